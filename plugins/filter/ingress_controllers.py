# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ingress_controllers
short_description: The ingress controller releases the platform's Ingresses need
version_added: 0.1.0
description:
  - Takes the schemes the platform's Ingresses use and returns one entry per ingress controller release.
  - On V(azure) one ingress-nginx per scheme in use, each with its IngressClass (C(nginx) public, C(nginx-internal)
    internal), C(--controller-class) value and load balancer Service annotations. On V(aws) one AWS Load Balancer
    Controller (the scheme is per ALB).
extends_documentation_fragment:
  - mlops.platform.cloud
options:
  schemes:
    description: The schemes in use (C(internet-facing), C(internal)); none means one public controller.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Show the controllers
  ansible.builtin.debug:
    msg: "{{ platform_cloud | mlops.platform.ingress_controllers(['internal']) }}"
  # azure: [{scheme: internal, class_name: nginx-internal, controller_value: k8s.io/ingress-nginx-internal,
  #          suffix: -internal, service_annotations: {service.beta.kubernetes.io/azure-load-balancer-internal: "true",
  #          ...}}]
"""

RETURN = r"""
_value:
  description: C(scheme), C(class_name), C(controller_value), C(suffix) (of release and component names) and
    C(service_annotations), per controller.
  type: list
  elements: dict
"""

from ansible_collections.mlops.platform.plugins.plugin_utils.cloud_filter import ask_profile


def ingress_controllers(cloud, schemes):
    """The profile's ingress controllers for ``schemes`` on ``cloud``."""
    return ask_profile("ingress_controllers", cloud, "ingress_controllers", schemes)


class FilterModule:
    def filters(self):
        return {"ingress_controllers": ingress_controllers}

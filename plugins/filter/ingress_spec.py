# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ingress_spec
short_description: Ingress class, controller and annotations for the platform's cloud
version_added: 0.1.0
description:
  - Returns what an Ingress needs on the cloud named by the input, so component roles never branch on the cloud.
  - On V(aws) the AWS Load Balancer Controller provisions an ALB per Ingress (or per O(group)); TLS uses the ACM
    certificate discovered from the Ingress TLS host, so O(tls_secret) requires O(host).
  - On V(azure) one ingress-nginx controller serves every Ingress; an internal load balancer is an annotation of
    the controller's Service (C(controller_service_annotations)), not of the Ingress. O(group) has no effect there.
extends_documentation_fragment:
  - mlops.platform.cloud
options:
  scheme:
    description: Whether the load balancer is reachable from the internet or only from the network.
    type: str
    default: internet-facing
    choices: [internet-facing, internal]
  host:
    description: The host name the Ingress serves (a DNS name, optionally starting with C(*.)).
    type: str
  tls_secret:
    description: The TLS Secret of the Ingress; when set, HTTP is redirected to HTTPS.
    type: str
  backend_protocol:
    description: The protocol between the load balancer and the service.
    type: str
    default: HTTP
    choices: [HTTP, HTTPS]
  group:
    description: The ALB IngressGroup to share one load balancer between Ingresses (AWS only).
    type: str
"""

EXAMPLES = r"""
- name: Show the Ingress settings for MLflow
  ansible.builtin.debug:
    msg: "{{ platform_cloud | mlops.platform.ingress_spec(host='mlflow.example.com', tls_secret='mlflow-tls') }}"
  # aws: {controller: aws_load_balancer_controller, class_name: alb,
  #       annotations: {alb.ingress.kubernetes.io/scheme: internet-facing, ...}, controller_service_annotations: {}}
"""

RETURN = r"""
_value:
  description:
    - C(controller), the key of the controller chart in C(platform_versions.charts)
      (C(aws_load_balancer_controller) or C(ingress_nginx)).
    - C(class_name), the IngressClass (C(alb) or C(nginx)).
    - C(annotations) for the Ingress and C(controller_service_annotations) for the controller's Service.
  type: dict
"""

from ansible_collections.mlops.platform.plugins.plugin_utils.cloud_filter import ask_profile


def ingress_spec(cloud, scheme="internet-facing", host=None, tls_secret=None, backend_protocol="HTTP", group=None):
    """The profile's ingress dict for ``cloud`` plus ``controller_service_annotations``."""
    spec = ask_profile("ingress_spec", cloud, "ingress", scheme, host, tls_secret, backend_protocol, group)
    spec["controller_service_annotations"] = ask_profile(
        "ingress_spec", cloud, "ingress_controller_service_annotations", scheme
    )
    return spec


class FilterModule:
    def filters(self):
        return {"ingress_spec": ingress_spec}

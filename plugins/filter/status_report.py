# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: status_report
short_description: The lines of the platform status report
version_added: 0.2.0
description:
  - Turns what playbooks/status.yml read from the cluster into a report, one string per line.
  - Lists the Helm releases, the Deployments, StatefulSets and DaemonSets of the platform namespaces with their
    ready and wanted replicas, and where each target service is reached (Ingress hosts, LoadBalancer addresses).
  - The platform namespaces are the namespaces of the Helm releases and the C(<component>[_<x>]_namespace)
    settings of the components enabled on the cloud (C(<component>_enabled)).
options:
  _input:
    description:
      - C(cluster), C(kubeconfig) (both shown), C(releases) (C(helm list -A -o json)), C(workloads), C(ingresses),
        C(services) (the C(resources) of C(kubernetes.core.k8s_info)), C(targets) (a list of
        C({title, namespace, port_forward})), C(catalog) (C(platform_component_catalog)), C(cloud) and
        C(settings) (the C(*_namespace) and C(*_enabled) variables of the play).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Report
  ansible.builtin.debug:
    msg: "{{ status__data | mlops.platform.status_report }}"
"""

RETURN = r"""
_value:
  description: The report, one string per line.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError
from ansible_collections.mlops.platform.plugins.module_utils.platform_status import status_report as _report


def status_report(data):
    try:
        return _report(data)
    except PlatformError as err:
        raise AnsibleFilterError(str(err)) from err


class FilterModule:
    def filters(self):
        return {"status_report": status_report}

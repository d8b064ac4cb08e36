# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: status_report
short_description: The platform status of one cluster, as data and as a readable table
version_added: 0.2.0
description:
  - Turns what playbooks/status.yml read from the cluster into a report.
  - "Charts: each pinned chart release (C(platform_versions.charts), through the components' release descriptions)
    against the Helm release of the cluster: V(ok), V(differs) (another version installed), V(missing),
    V(failed) (Helm status other than deployed); Helm releases no enabled component describes are V(not pinned)."
  - Readiness of the Deployments, StatefulSets and DaemonSets of the platform namespaces (ready and wanted replicas).
    The platform namespaces are the namespaces of the Helm releases and the C(<component>[_<x>]_namespace)
    settings of the components enabled on the cloud (C(<component>_enabled)).
  - Where each target service is reached (Ingress hosts, LoadBalancer addresses).
  - Certificate expiry of every cert-manager Certificate (C(status.notAfter)) and of every C(kubernetes.io/tls)
    Secret that no Certificate owns (the certificate in C(tls.crt) is read; nothing of the Secret is returned).
  - C(problems) lists what is not as it should be; C(ok) is true when there is nothing.
options:
  _input:
    description:
      - C(cluster), C(server), C(kubeconfig) (shown), C(releases) (C(helm list -A -o json)), C(workloads),
        C(ingresses), C(services), C(certificates), C(tls_secrets) (the C(resources) of C(kubernetes.core.k8s_info)),
        C(targets) (a list of C({title, namespace, port_forward})), C(pinned) (a list of
        C({component, chart, release, namespace}), C(chart) a key of C(charts)), C(charts)
        (C(platform_versions.charts)), C(catalog) (C(platform_component_catalog)), C(cloud), C(settings) (the
        C(*_namespace) and C(*_enabled) variables of the play), C(now) (ISO 8601), C(warn_days) (a certificate
        expiring sooner is reported) and C(notes) (lines about what could not be read).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Report
  ansible.builtin.debug:
    msg: "{{ (status__data | mlops.platform.status_report).table }}"
"""

RETURN = r"""
_value:
  description:
    - The report; C(table) is its readable form, one string per line. The other keys are for scripts
      (C(status_format=json)).
  type: dict
  contains:
    cluster:
      description: The cluster name.
      type: str
    ok:
      description: Whether nothing is wrong.
      type: bool
    problems:
      description: One line per problem.
      type: list
      elements: str
    charts:
      description: C({component, release, namespace, chart, installed, pinned, helm_status, state}) per release.
      type: list
      elements: dict
    workloads:
      description: C({namespace, kind, name, ready, wanted, ok}) per workload.
      type: list
      elements: dict
    endpoints:
      description: C({title, namespace, endpoints, hint}) per target service.
      type: list
      elements: dict
    certificates:
      description: C({namespace, name, source, secret, not_after, days_left, ready, state}) per certificate.
      type: list
      elements: dict
    table:
      description: The readable report, one string per line.
      type: list
      elements: str
"""

from ansible_collections.mlops.platform.plugins.module_utils.platform_status import status_report as _report
from ansible_collections.mlops.platform.plugins.plugin_utils.filter_errors import platform_filter


class FilterModule:
    def filters(self):
        return {"status_report": platform_filter(_report)}

# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: autoscaler
short_description: The GPU autoscaler of the platform's cloud (controller, charts, identity)
version_added: 0.1.0
description:
  - Returns which autoscaler the cloud named by the input uses, so the autoscaling role never branches on the cloud.
  - On V(aws) Karpenter provisions nodes just in time (charts C(karpenter_crd), then C(karpenter)); its controller
    calls EC2, so it needs the cloud identity C(karpenter).
  - On V(azure) KEDA scales workloads from Prometheus metrics and the AKS cluster autoscaler adds their nodes
    (chart C(keda), which installs its own CRDs); the triggers read the in-cluster Prometheus, so no cloud identity.
extends_documentation_fragment:
  - mlops.platform.cloud
"""

EXAMPLES = r"""
- name: Show the autoscaler of the cluster's cloud
  ansible.builtin.debug:
    msg: "{{ platform_cloud | mlops.platform.autoscaler }}"
  # aws:   {controller: karpenter, chart: karpenter, crd_chart: karpenter_crd, identity: karpenter}
  # azure: {controller: keda, chart: keda, crd_chart: null, identity: null}
"""

RETURN = r"""
_value:
  description:
    - C(controller), V(karpenter) or V(keda).
    - C(chart), the controller chart's key in C(platform_versions.charts).
    - C(crd_chart), the key of a CRD chart released before the controller, or null.
    - C(identity), the key of C(platform_infra.identities) and C(platform_service_accounts) of the controller's
      cloud identity, or null when it calls no cloud API.
  type: dict
"""

from ansible_collections.mlops.platform.plugins.plugin_utils.cloud_filter import ask_profile


def autoscaler(cloud):
    """The profile's autoscaler description for ``cloud``."""
    return ask_profile("autoscaler", cloud, "autoscaler")


class FilterModule:
    def filters(self):
        return {"autoscaler": autoscaler}

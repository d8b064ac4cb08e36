# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: autoscaler_objects
short_description: The autoscaler's custom resources for the platform's cloud (NodePools or ScaledObjects)
version_added: 0.1.0
description:
  - Builds the objects the cloud's autoscaler needs from the autoscaling settings, and checks them first; every
    problem is reported in one error that names the setting.
  - On V(aws), C(node_pools) holds one Karpenter C(EC2NodeClass) (named after the pool key) and one C(NodePool)
    per C(platform_node_pools) entry other than C(general) (the EKS managed node group). Each NodePool allows
    exactly the pool's instance types, spot only unless the pool sets C(on_demand_fallback), carries the pool's
    taints, labels its nodes C(platform.mlops/pool=<key>) and is limited to C(max_size) times the smallest type's
    vCPUs (and GPUs). O(settings.karpenter_pools) adds Karpenter's own settings by key. C(scalers) is empty.
  - On V(azure), C(scalers) holds one KEDA C(ScaledObject) (Prometheus trigger) per entry of O(settings.scalers)
    that has a target in O(settings.scaler_targets), in the target's namespace; a scaler without a target is not
    rendered. An C(InferenceService) target is scaled through its predictor Deployment C(<name>-predictor).
    C(node_pools) is empty (the AKS node pools and their cluster autoscaler come from Terraform).
extends_documentation_fragment:
  - mlops.platform.cloud
options:
  settings:
    description:
      - The autoscaling role's variables without their C(autoscaling_) prefix, plus C(cluster_name)
        (C(platform_infra.cluster_name)) and C(node_pools) (C(platform_node_pools)).
      - AWS reads C(cluster_name), C(node_pools), C(karpenter_node_role), C(karpenter_ami_alias) and
        C(karpenter_pools); Azure reads C(scalers), C(scaler_targets) and
        C(prometheus_url).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Show the Karpenter NodePools (aws) or KEDA ScaledObjects (azure)
  ansible.builtin.debug:
    msg: >-
      {{ platform_cloud | mlops.platform.autoscaler_objects({
           'cluster_name': platform_infra.cluster_name, 'node_pools': platform_node_pools,
           'karpenter_node_role': 'mlops-dev-karpenter-node', 'karpenter_ami_alias': 'al2023@v20250807',
           'karpenter_pools': autoscaling_karpenter_pools, 'scalers': [], 'scaler_targets': {},
           'prometheus_url': 'http://prometheus.monitoring.svc:9090'}) }}
"""

RETURN = r"""
_value:
  description:
    - C(node_pools), the objects to apply after the autoscaler's controller (EC2NodeClasses, then NodePools).
    - C(scalers), the objects to apply after the workloads they scale (ScaledObjects), sorted by name.
  type: dict
"""

from ansible_collections.mlops.platform.plugins.plugin_utils.cloud_filter import ask_profile


def autoscaler_objects(cloud, settings):
    """The profile's autoscaler objects for ``cloud`` built from ``settings``."""
    return ask_profile("autoscaler_objects", cloud, "autoscaler_objects", settings)


class FilterModule:
    def filters(self):
        return {"autoscaler_objects": autoscaler_objects}

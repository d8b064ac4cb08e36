# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: node_pools
short_description: The node pools as their nodes will be on the cloud (labels, taints, provisioner)
version_added: 0.1.0
description:
  - Turns C(platform_node_pools) into what the nodes of each pool actually carry on the cloud named by the input,
    the cloud's implicit labels and taints included, so tolerations and node selectors are derived from one source.
  - On V(azure) every spot pool gets AKS's own taint C(kubernetes.azure.com/scalesetpriority=spot:NoSchedule) and
    label, and every pool the C(kubernetes.azure.com/agentpool) label; every pool is scaled by the AKS cluster
    autoscaler (C(provisioner=cluster_autoscaler)).
  - On V(aws) the C(general) pool is the EKS managed node group (C(provisioner=node_group)); every other pool is a
    Karpenter NodePool (C(provisioner=karpenter)), with Karpenter's capacity-type label when the pool has one
    capacity type.
  - Every pool's nodes carry C(platform.mlops/pool=<key>).
extends_documentation_fragment:
  - mlops.platform.cloud
options:
  pools:
    description: C(platform_node_pools).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Show the GPU pool's taints on this cloud
  ansible.builtin.debug:
    msg: "{{ (platform_cloud | mlops.platform.node_pools(platform_node_pools)).gpu.taints }}"
  # azure: [{key: nvidia.com/gpu, value: "true", effect: NoSchedule},
  #         {key: kubernetes.azure.com/scalesetpriority, value: spot, effect: NoSchedule}]
"""

RETURN = r"""
_value:
  description:
    - Pool key -> C(labels), C(taints) (C({key, value, effect})), C(gpu), C(capacity_type), C(provisioner)
      and C(max_size).
  type: dict
"""

from ansible_collections.mlops.platform.plugins.plugin_utils.cloud_filter import ask_profile


def node_pools(cloud, pools):
    """The profile's view of ``pools`` on ``cloud``."""
    return ask_profile("node_pools", cloud, "node_pools", pools)


class FilterModule:
    def filters(self):
        return {"node_pools": node_pools}

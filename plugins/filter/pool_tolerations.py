# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: pool_tolerations
short_description: The tolerations that let a pod onto node pools
version_added: 0.1.0
description:
  - Takes the output of P(mlops.platform.node_pools#filter) and returns one C(Equal) toleration per distinct taint of
    the selected pools, the cloud's implicit taints included (AKS's spot taint).
  - Node-level DaemonSets take the tolerations of every pool; GPU workloads and the device plugin those of the
    GPU pools.
options:
  _input:
    description: The pools as P(mlops.platform.node_pools#filter) returns them.
    type: dict
    required: true
  keys:
    description: Only these pool keys (default every pool).
    type: list
    elements: str
  gpu:
    description: Only the pools with (V(true)) or without (V(false)) GPUs (default every pool).
    type: bool
"""

EXAMPLES = r"""
- name: Tolerations of every GPU pool
  ansible.builtin.debug:
    msg: >-
      {{ platform_cloud | mlops.platform.node_pools(platform_node_pools)
         | mlops.platform.pool_tolerations(gpu=true) }}
"""

RETURN = r"""
_value:
  description: Kubernetes tolerations (C(key), C(operator=Equal), C(value), C(effect)).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.module_utils._cloud.base import tolerations_for


def pool_tolerations(shapes, keys=None, gpu=None):
    """Tolerations for the pools of ``shapes`` (optionally only ``keys`` / GPU or non-GPU pools)."""
    if not isinstance(shapes, dict) or not all(
        isinstance(v, dict) and "taints" in v and "provisioner" in v for v in shapes.values()
    ):
        raise AnsibleFilterError("pool_tolerations: the input must be the output of mlops.platform.node_pools")
    selected = [key for key in shapes if (keys is None or key in keys) and (gpu is None or shapes[key]["gpu"] is gpu)]
    if keys is not None:
        unknown = [key for key in keys if key not in shapes]
        if unknown:
            raise AnsibleFilterError(
                "pool_tolerations: no pool {}; pools: {}".format(
                    ", ".join(map(str, unknown)), ", ".join(sorted(shapes))
                )
            )
    return tolerations_for(shapes, selected)


class FilterModule:
    def filters(self):
        return {"pool_tolerations": pool_tolerations}

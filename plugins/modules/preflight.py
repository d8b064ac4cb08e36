#!/usr/bin/python
# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: preflight
short_description: Check the whole platform configuration before anything runs
version_added: 0.1.0
description:
  - Validates every platform variable at once (cloud, environment, region, cluster name, Kubernetes
    version, network, node pools, cloud-layer facts, component toggles, chart mirror) and fails with
    B(one) message that lists every problem, each naming the variable and what is allowed.
  - Cloud-specific rules (instance types, regions, workload identities, object store names) come from the
    collection's per-cloud profiles; with an unknown C(platform_cloud) they are skipped.
  - Never changes anything. The P(mlops.platform.preflight#role) role assembles O(config) from the
    inventory host's variables.
author:
  - mlops.platform maintainers (@mlops)
options:
  config:
    description:
      - The platform configuration. Missing variables may be passed as V(null); they are reported as not set.
      - Keys are V(platform_cloud), V(platform_environment), V(platform_region), V(platform_cluster_name),
        V(platform_kubernetes_version), V(platform_network), V(platform_node_pools), V(platform_infra),
        V(platform_mode), V(platform_chart_mirror), V(platform_component_catalog), and V(toggles).
      - V(toggles) maps every C(<component>_enabled) host variable to its value. A toggle whose component is
        not in V(platform_component_catalog), a toggle that is not a boolean, and an enabled component whose
        catalog C(clouds) excludes the cloud are problems.
      - V(platform_chart_mirror), when not empty, must be an existing directory on the host the module runs on.
    type: dict
    required: true
attributes:
  check_mode:
    support: full
    description: The module only reads; it behaves the same in check mode.
  diff_mode:
    support: none
    description: Nothing is changed, so there is no diff.
notes:
  - Problems are sorted, so the same configuration always gives the same message.
"""

EXAMPLES = r"""
- name: Preflight | Check the platform configuration
  mlops.platform.preflight:
    config:
      platform_cloud: "{{ platform_cloud | default(None) }}"
      platform_environment: "{{ platform_environment | default(None) }}"
      platform_region: "{{ platform_region | default(None) }}"
      platform_cluster_name: "{{ platform_cluster_name | default(None) }}"
      platform_kubernetes_version: "{{ platform_kubernetes_version | default(None) }}"
      platform_network: "{{ platform_network | default(None) }}"
      platform_node_pools: "{{ platform_node_pools | default(None) }}"
      platform_infra: "{{ platform_infra | default(None) }}"
      platform_mode: "{{ platform_mode | default(None) }}"
      platform_chart_mirror: "{{ platform_chart_mirror | default(None) }}"
      platform_component_catalog: "{{ platform_component_catalog | default(None) }}"
      toggles:
        mlflow_enabled: true
"""

RETURN = r"""
problems:
  description:
    - Every problem found, sorted. Always empty on success; on failure the same list is in the result next to C(msg).
  returned: always
  type: list
  elements: str
  sample: []
summary:
  description: What was checked, for the log.
  returned: success
  type: dict
  sample:
    cloud: aws
    environment: dev
    region: eu-west-1
    cluster_name: mlops-dev
    kubernetes_version: "1.32"
    mode: render
    node_pools: [general, gpu, training]
    toggles:
      mlflow_enabled: true
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError
from ansible_collections.mlops.platform.plugins.module_utils.preflight import run_preflight

ARGUMENT_SPEC = {"config": {"type": "dict", "required": True}}


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        result = run_preflight(module.params["config"])
    except PlatformError as e:
        e.fail_json(module)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

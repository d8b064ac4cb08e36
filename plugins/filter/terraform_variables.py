# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: terraform_variables
short_description: The variables of the cloud's Terraform root, from the platform settings
version_added: 0.1.0
description:
  - Maps the platform settings to the variables of C(terraform/environments/<cloud>/<environment>), for the
    cloud named by the input; the infrastructure role writes the result as the JSON var-file.
  - Both roots take C(name), C(environment), C(kubernetes_version), C(network), C(node_pools) and
    C(service_accounts); the region is C(region) on V(aws) and C(location) on V(azure).
  - On V(azure) C(name) is the cluster name without its C(-<environment>) suffix (the AKS module appends it),
    C(network) keeps only C(cidr), and each service account gets the C(access) its workload needs.
  - C(service_accounts) keeps only the keys the cloud's root accepts (each has its own least-privilege policy).
  - O(extra) is added last and must not set a variable the role derives from a platform variable.
extends_documentation_fragment:
  - mlops.platform.cloud
options:
  settings:
    description:
      - C(cluster_name), C(environment), C(region), C(kubernetes_version), C(network), C(node_pools) and
        C(service_accounts), the C(platform_*) variables of those names.
    type: dict
    required: true
  extra:
    description: More root variables, normally C(infrastructure_terraform_vars).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Show the Terraform variables of the inventory
  ansible.builtin.debug:
    msg: >-
      {{ platform_cloud | mlops.platform.terraform_variables({'cluster_name': platform_cluster_name,
         'environment': platform_environment, 'region': platform_region,
         'kubernetes_version': platform_kubernetes_version, 'network': platform_network,
         'node_pools': platform_node_pools, 'service_accounts': platform_service_accounts},
         extra={'enable_eks_addons': false}) }}
  # aws: {enable_eks_addons: false, environment: dev, kubernetes_version: "1.32", name: mlops-dev,
  #       network: {...}, node_pools: {...}, region: eu-west-1, service_accounts: {...}}
"""

RETURN = r"""
_value:
  description: Root variable name -> value, sorted by name.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError
from ansible_collections.mlops.platform.plugins.module_utils.terraform import root_variables


def terraform_variables(cloud, settings, extra=None):
    """The Terraform root variables of ``cloud`` for the platform ``settings`` plus ``extra``."""
    try:
        return root_variables(cloud, settings, extra)
    except PlatformError as err:
        raise AnsibleFilterError(f"terraform_variables: {err}") from err


class FilterModule:
    def filters(self):
        return {"terraform_variables": terraform_variables}

# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: acme_dns01_solver
short_description: The cert-manager ACME DNS-01 solver of the platform's cloud
version_added: 0.1.0
description:
  - Returns the cert-manager ACME C(solvers[]) entry that answers DNS-01 challenges in the cloud's DNS zone with
    cert-manager's own workload identity, after checking both.
  - On V(azure) an C(azureDNS) solver; subscription, resource group and zone come from the zone's resource id, the
    managed identity from its client id (Terraform output C(identities.cert_manager)).
  - Other clouds have none (AWS serves ACM certificates); the filter fails naming C(platform_tls.challenge).
extends_documentation_fragment:
  - mlops.platform.cloud
options:
  zone_id:
    description: C(platform_tls.zone_id), the DNS zone (Azure - its resource id).
    type: str
    required: true
  identity:
    description: cert-manager's cloud identity (C(platform_infra.identities.cert_manager)).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Show the DNS-01 solver
  ansible.builtin.debug:
    msg: >-
      {{ platform_cloud | mlops.platform.acme_dns01_solver(platform_tls.zone_id,
         platform_infra.identities.cert_manager) }}
"""

RETURN = r"""
_value:
  description: One cert-manager ACME solver (C({dns01 - {azureDNS - ...}})).
  type: dict
"""

from ansible_collections.mlops.platform.plugins.plugin_utils.cloud_filter import ask_profile


def acme_dns01_solver(cloud, zone_id, identity):
    """The profile's DNS-01 solver for ``zone_id`` with ``identity``."""
    return ask_profile("acme_dns01_solver", cloud, "acme_dns01_solver", zone_id, identity)


class FilterModule:
    def filters(self):
        return {"acme_dns01_solver": acme_dns01_solver}

# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: secret_store_provider
short_description: The provider block of the platform ClusterSecretStore (External Secrets)
version_added: 0.1.0
description:
  - Returns the C(spec.provider) of an External Secrets C(external-secrets.io/v1) ClusterSecretStore that reads the
    cloud's secret store with the workload identity of O(service_account), for the cloud named by the input.
  - On V(aws) the store is AWS Secrets Manager (where RDS keeps the database login) in the region O(secret_store_ref),
    authenticated with the IRSA role of O(service_account) (C(auth.jwt.serviceAccountRef)).
  - On V(azure) the store is the Key Vault whose URL is O(secret_store_ref), authenticated with Microsoft Entra
    Workload ID (C(authType=WorkloadIdentity)) of O(service_account); O(tenant_id) is added as C(tenantId) when set.
extends_documentation_fragment:
  - mlops.platform.cloud
options:
  secret_store_ref:
    description:
      - The cloud secret store, normally C(platform_infra.secret_store_ref).
      - On V(aws) an AWS region such as C(eu-west-1); on V(azure) a Key Vault URL such as
        C(https://mlops-dev-kv.vault.azure.net/).
    type: str
    required: true
  service_account:
    description: The service account with the cloud identity, normally C(platform_service_accounts.external_secrets).
    type: dict
    required: true
    suboptions:
      namespace:
        description: Its namespace.
        type: str
        required: true
      name:
        description: Its name.
        type: str
        required: true
  tenant_id:
    description:
      - The Entra ID tenant, normally C(platform_infra.tenant_id). Optional on V(azure); must be empty or null on
        V(aws).
    type: str
"""

EXAMPLES = r"""
- name: Show the provider of the platform ClusterSecretStore
  ansible.builtin.debug:
    msg: >-
      {{ platform_cloud | mlops.platform.secret_store_provider(platform_infra.secret_store_ref,
         platform_service_accounts.external_secrets, tenant_id=platform_infra.tenant_id) }}
  # aws:   {aws: {service: SecretsManager, region: eu-west-1,
  #               auth: {jwt: {serviceAccountRef: {name: external-secrets, namespace: external-secrets}}}}}
  # azure: {azurekv: {vaultUrl: "https://mlops-dev-kv.vault.azure.net/", authType: WorkloadIdentity,
  #                   serviceAccountRef: {name: external-secrets, namespace: external-secrets},
  #                   tenantId: 11111111-1111-1111-1111-111111111111}}
"""

RETURN = r"""
_value:
  description: The ClusterSecretStore C(spec.provider), with one key (C(aws) or C(azurekv)).
  type: dict
"""

from ansible_collections.mlops.platform.plugins.plugin_utils.cloud_filter import ask_profile


def secret_store_provider(cloud, secret_store_ref, service_account, tenant_id=None):
    """The ClusterSecretStore ``spec.provider`` for ``cloud``."""
    return ask_profile(
        "secret_store_provider", cloud, "secret_store_provider", secret_store_ref, service_account, tenant_id
    )


class FilterModule:
    def filters(self):
        return {"secret_store_provider": secret_store_provider}

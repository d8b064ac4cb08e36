from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.filter.secret_store_provider import FilterModule, secret_store_provider

SA = {"namespace": "external-secrets", "name": "external-secrets"}
VAULT = "https://mlops-dev-kv.vault.azure.net/"
TENANT = "11111111-1111-1111-1111-111111111111"


def test_registered():
    assert FilterModule().filters()["secret_store_provider"] is secret_store_provider


@pytest.mark.parametrize(
    ("cloud", "ref", "tenant_id", "expected"),
    [
        (
            "aws",
            "eu-west-1",
            None,
            {
                "aws": {
                    "service": "SecretsManager",
                    "region": "eu-west-1",
                    "auth": {
                        "jwt": {"serviceAccountRef": {"name": "external-secrets", "namespace": "external-secrets"}}
                    },
                }
            },
        ),
        (
            "azure",
            VAULT,
            TENANT,
            {
                "azurekv": {
                    "vaultUrl": VAULT,
                    "authType": "WorkloadIdentity",
                    "serviceAccountRef": {"name": "external-secrets", "namespace": "external-secrets"},
                    "tenantId": TENANT,
                }
            },
        ),
    ],
)
def test_both_clouds(cloud, ref, tenant_id, expected):
    assert secret_store_provider(cloud, ref, SA, tenant_id=tenant_id) == expected


@pytest.mark.parametrize(
    ("cloud", "ref", "account", "message"),
    [
        ("gcp", "eu-west-1", SA, r"^secret_store_provider: unknown cloud 'gcp'; allowed: aws, azure, local"),
        ("aws", VAULT, SA, r"^secret_store_provider: invalid AWS secret store: secret_store_ref: 'https://mlops"),
        ("azure", "eu-west-1", SA, r"secret_store_ref: 'eu-west-1' is not a Key Vault URL"),
        ("azure", VAULT, "external-secrets", r"service_account: must be \{namespace, name\}, got 'external-secrets'"),
    ],
)
def test_errors_name_the_value(cloud, ref, account, message):
    with pytest.raises(AnsibleFilterError, match=message):
        secret_store_provider(cloud, ref, account)

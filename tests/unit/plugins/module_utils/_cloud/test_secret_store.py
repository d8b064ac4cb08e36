from __future__ import annotations

import copy

import pytest

from ansible_collections.mlops.platform.plugins.module_utils._cloud import get_profile
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError

SA = {"namespace": "external-secrets", "name": "external-secrets"}
VAULT = "https://mlops-dev-kv.vault.azure.net/"
TENANT = "11111111-1111-1111-1111-111111111111"
REF = {"name": "external-secrets", "namespace": "external-secrets"}


@pytest.mark.parametrize(
    ("cloud", "ref", "tenant_id", "expected"),
    [
        (
            "aws",
            "eu-west-1",
            None,
            {"aws": {"service": "SecretsManager", "region": "eu-west-1", "auth": {"jwt": {"serviceAccountRef": REF}}}},
        ),
        (
            "aws",
            "us-gov-west-1",
            "",
            {
                "aws": {
                    "service": "SecretsManager",
                    "region": "us-gov-west-1",
                    "auth": {"jwt": {"serviceAccountRef": REF}},
                }
            },
        ),
        (
            "azure",
            VAULT,
            None,
            {"azurekv": {"vaultUrl": VAULT, "authType": "WorkloadIdentity", "serviceAccountRef": REF}},
        ),
        (
            "azure",
            "https://kv1.vault.azure.cn",
            TENANT,
            {
                "azurekv": {
                    "vaultUrl": "https://kv1.vault.azure.cn",
                    "authType": "WorkloadIdentity",
                    "serviceAccountRef": REF,
                    "tenantId": TENANT,
                }
            },
        ),
    ],
)
def test_secret_store_provider(cloud, ref, tenant_id, expected):
    assert get_profile(cloud).secret_store_provider(ref, SA, tenant_id) == expected


def test_service_account_ref_is_a_copy_with_only_name_and_namespace():
    account = {**SA, "extra": "x"}
    before = copy.deepcopy(account)
    provider = get_profile("aws").secret_store_provider("eu-west-1", account)
    ref = provider["aws"]["auth"]["jwt"]["serviceAccountRef"]
    assert ref == REF
    ref["name"] = "changed"
    assert account == before


@pytest.mark.parametrize(
    ("cloud", "ref", "account", "tenant_id", "message"),
    [
        ("aws", VAULT, SA, None, r"secret_store_ref: 'https://mlops-dev-kv.vault.azure.net/' is not an AWS region"),
        ("aws", "/mlops-dev/mlflow/db", SA, None, r"on aws it is the AWS region of Secrets Manager"),
        ("aws", None, SA, None, r"secret_store_ref: null is not an AWS region"),
        ("aws", "eu-west-1", SA, TENANT, r"tenant_id: '1111.*' is set, but AWS has no tenant"),
        ("azure", "eu-west-1", SA, None, r"secret_store_ref: 'eu-west-1' is not a Key Vault URL"),
        ("azure", "http://kv1.vault.azure.net/", SA, None, r"'http://kv1.vault.azure.net/' is not a Key Vault URL"),
        ("azure", "https://kv--1.vault.azure.net/", SA, None, r"is not a Key Vault URL"),
        ("azure", "https://k.vault.azure.net/", SA, None, r"is not a Key Vault URL"),
        ("azure", VAULT, SA, "not-a-guid", r"tenant_id: 'not-a-guid' is not an Entra ID tenant ID"),
        ("aws", "eu-west-1", None, None, r"service_account: must be \{namespace, name\}, got null"),
        ("aws", "eu-west-1", {"name": "x"}, None, r"service_account.namespace: missing"),
        ("azure", VAULT, {"namespace": "Bad_NS", "name": "x"}, None, r"service_account.namespace 'Bad_NS'"),
        ("azure", VAULT, {"namespace": "ns", "name": 5}, None, r"service_account.name 5 \(int\) is not allowed"),
    ],
)
def test_secret_store_provider_rejects(cloud, ref, account, tenant_id, message):
    with pytest.raises(PlatformError, match=message):
        get_profile(cloud).secret_store_provider(ref, account, tenant_id)


def test_secret_store_errors_name_the_cloud():
    with pytest.raises(PlatformError, match=r"^invalid Azure secret store: "):
        get_profile("azure").secret_store_provider("", SA)

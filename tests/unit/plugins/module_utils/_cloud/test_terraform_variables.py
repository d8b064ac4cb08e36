"""terraform_variables: only what Terraform makes reaches the root (AWS node groups, ACM; Azure DNS-01 access)."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.mlops.platform.plugins.module_utils._cloud import get_profile
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError

AWS, AZURE = get_profile("aws"), get_profile("azure")
ZONE = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/dns/providers/Microsoft.Network/dnszones/"
    "dev.example.com"
)
GENERAL = {
    "instance_types": ["t3.large"],
    "capacity_type": "on_demand",
    "min_size": 2,
    "max_size": 2,
    "desired_size": 2,
    "taints": [],
    "labels": {"team": "platform"},
}
ACCOUNTS = {
    "mlflow": {"namespace": "mlflow", "name": "mlflow"},
    "cert_manager": {"namespace": "cert-manager", "name": "cert-manager"},
}


def settings(**changes) -> dict:
    base = {
        "cluster_name": "mlops-dev",
        "environment": "dev",
        "region": "eu-west-1",
        "kubernetes_version": "1.32",
        "network": {"cidr": "10.0.0.0/16"},
        "node_pools": {
            "general": GENERAL,
            "training": {"instance_types": ["c5.2xlarge"], "capacity_type": "spot", "on_demand_fallback": True},
            "gpu": {"instance_types": ["g4dn.xlarge"], "capacity_type": "spot", "gpu": True},
        },
        "service_accounts": ACCOUNTS,
    }
    return {**copy.deepcopy(base), **changes}


# ---------------------------------------------------------------- AWS
def test_aws_passes_only_the_node_group_pool():
    # Karpenter owns every other pool: a node group beside its NodePool would be a second source of nodes.
    assert AWS.terraform_variables(settings())["node_pools"] == {"general": GENERAL}


def test_aws_node_group_pool_loses_on_demand_fallback():
    given = settings()
    given["node_pools"]["general"] = {**GENERAL, "on_demand_fallback": False}
    assert AWS.terraform_variables(given)["node_pools"] == {"general": GENERAL}


def test_aws_does_not_mutate():
    given = settings(tls={"domains": ["*.dev.example.com"], "zone_id": "Z0123456789ABCDEFGHIJ"})
    before = copy.deepcopy(given)
    variables = AWS.terraform_variables(given)
    assert given == before
    variables["certificate_domains"].append("x")
    assert given["tls"]["domains"] == ["*.dev.example.com"]


def test_aws_certificate_from_tls_domains_and_zone():
    variables = AWS.terraform_variables(
        settings(tls={"domains": ["*.dev.example.com", "*.models.dev.example.com"], "zone_id": "Z0123456789ABCDEFGHIJ"})
    )
    assert variables["certificate_domains"] == ["*.dev.example.com", "*.models.dev.example.com"]
    assert variables["certificate_zone_id"] == "Z0123456789ABCDEFGHIJ"


@pytest.mark.parametrize(
    "tls",
    [
        None,
        {},
        {"domains": ["*.dev.example.com"], "zone_id": ""},  # the dev inventory: ACM finds the certificate by host
        {"domains": [], "zone_id": "Z0123456789ABCDEFGHIJ"},
        {"issuer": "letsencrypt", "challenge": "dns01", "zone_id": "Z0123456789ABCDEFGHIJ"},
        "letsencrypt",
    ],
)
def test_aws_no_certificate_without_both(tls):
    variables = AWS.terraform_variables(settings(tls=tls))
    assert "certificate_domains" not in variables
    assert "certificate_zone_id" not in variables


def test_aws_has_no_dns01_access():
    variables = AWS.terraform_variables(settings(tls={"issuer": "letsencrypt", "challenge": "dns01", "zone_id": ZONE}))
    assert "dns_zone_id" not in variables
    assert "cert_manager" not in variables["service_accounts"]


# ---------------------------------------------------------------- Azure
AZURE_POOLS = {"general": {"name": "system", "instance_types": ["Standard_D4s_v3"], "capacity_type": "on_demand"}}


def azure_settings(**changes) -> dict:
    return settings(region="westeurope", node_pools=AZURE_POOLS, **changes)


def test_azure_dns01_gives_cert_manager_the_zone():
    variables = AZURE.terraform_variables(
        azure_settings(tls={"issuer": "letsencrypt", "challenge": "dns01", "zone_id": ZONE})
    )
    assert variables["dns_zone_id"] == ZONE
    assert variables["service_accounts"] == {
        "cert_manager": {"namespace": "cert-manager", "name": "cert-manager", "access": "dns_zone"},
        "mlflow": {"namespace": "mlflow", "name": "mlflow", "access": "blob_write"},
    }
    # every AKS pool is Terraform's (the cluster autoscaler scales them)
    assert variables["node_pools"] == AZURE_POOLS


@pytest.mark.parametrize(
    "tls",
    [
        None,
        {"issuer": "letsencrypt", "challenge": "http01", "zone_id": ZONE},
        {"issuer": "platform-ca", "challenge": "dns01", "zone_id": ZONE},
        {"domains": ["*.dev.example.com"], "zone_id": ZONE},
    ],
)
def test_azure_no_dns_zone_access_without_letsencrypt_dns01(tls):
    variables = AZURE.terraform_variables(azure_settings(tls=tls))
    assert "dns_zone_id" not in variables
    assert "certificate_domains" not in variables
    assert set(variables["service_accounts"]) == {"mlflow"}


def test_azure_dns01_needs_cert_managers_service_account():
    given = azure_settings(
        tls={"issuer": "letsencrypt", "challenge": "dns01", "zone_id": ZONE},
        service_accounts={"mlflow": ACCOUNTS["mlflow"]},
    )
    with pytest.raises(PlatformError, match=r"^platform_service_accounts.cert_manager: must be \{namespace, name\}"):
        AZURE.terraform_variables(given)

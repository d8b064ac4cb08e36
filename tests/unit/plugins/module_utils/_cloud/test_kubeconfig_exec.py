from __future__ import annotations

import pytest

from ansible_collections.mlops.platform.plugins.module_utils._cloud import get_profile
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError


def test_aws_exec_uses_aws_eks_get_token():
    stanza = get_profile("aws").kubeconfig_exec("mlops-dev", "eu-west-1")
    assert stanza["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    assert stanza["command"] == "aws"
    assert stanza["args"] == [
        "eks",
        "get-token",
        "--cluster-name",
        "mlops-dev",
        "--region",
        "eu-west-1",
        "--output",
        "json",
    ]
    assert stanza["interactiveMode"] == "Never"


def test_azure_exec_uses_kubelogin_with_the_aks_server_id():
    stanza = get_profile("azure").kubeconfig_exec("mlops-dev", "westeurope")
    assert stanza["command"] == "kubelogin"
    assert stanza["args"] == [
        "get-token",
        "--login",
        "azurecli",
        "--server-id",
        "6dae42f8-4368-4678-94ff-3960e28e3630",
    ]


@pytest.mark.parametrize("cloud", ["aws", "azure"])
@pytest.mark.parametrize(("name", "region"), [("", "eu-west-1"), ("mlops-dev", None), (3, "x")])
def test_exec_needs_name_and_region(cloud, name, region):
    with pytest.raises(PlatformError, match=f"kubeconfig exec for {cloud}"):
        get_profile(cloud).kubeconfig_exec(name, region)


@pytest.mark.parametrize("cloud", ["aws", "azure"])
def test_same_interface(cloud):
    profile = get_profile(cloud)
    assert profile.credential_env_vars
    assert profile.terraform_service_account_keys
    assert set(
        profile.terraform_variables({"cluster_name": "mlops-dev", "environment": "dev", "service_accounts": {}})
    ) >= {
        "name",
        "environment",
        "kubernetes_version",
        "network",
        "node_pools",
        "service_accounts",
        profile.terraform_region_variable,
    }

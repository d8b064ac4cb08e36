from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.filter import cloud_credentials as cc
from ansible_collections.mlops.platform.plugins.filter import kubeconfig as kc
from ansible_collections.mlops.platform.plugins.filter import terraform_outputs as to
from ansible_collections.mlops.platform.plugins.filter import terraform_variables as tv

INFRA = {
    "cluster_name": "mlops-dev",
    "region": "eu-west-1",
    "cluster_endpoint": "https://ABC.gr7.eu-west-1.eks.amazonaws.com",
    "cluster_ca_certificate": "Q0E=",
}


def test_registered():
    assert tv.FilterModule().filters()["terraform_variables"] is tv.terraform_variables
    assert to.FilterModule().filters()["terraform_outputs"] is to.terraform_outputs
    assert kc.FilterModule().filters()["kubeconfig"] is kc.kubeconfig
    assert cc.FilterModule().filters()["cloud_credentials"] is cc.cloud_credentials


def test_kubeconfig():
    config = kc.kubeconfig("aws", INFRA)
    assert config["current-context"] == "mlops-dev"
    assert config["clusters"] == [
        {"name": "mlops-dev", "cluster": {"server": INFRA["cluster_endpoint"], "certificate-authority-data": "Q0E="}}
    ]
    assert config["users"][0]["user"]["exec"]["command"] == "aws"
    assert kc.kubeconfig("azure", INFRA)["users"][0]["user"]["exec"]["command"] == "kubelogin"


@pytest.mark.parametrize(
    ("cloud", "infra", "message"),
    [
        ("aws", {**INFRA, "cluster_endpoint": None}, "platform_infra lacks cluster_endpoint"),
        ("aws", {"region": "eu-west-1"}, "lacks cluster_name, cluster_endpoint, cluster_ca_certificate"),
        ("aws", None, "infra must be a mapping"),
        ("gcp", INFRA, "unknown cloud"),
    ],
)
def test_kubeconfig_rejects(cloud, infra, message):
    with pytest.raises(AnsibleFilterError, match=message):
        kc.kubeconfig(cloud, infra)


def test_terraform_variables_filter():
    result = tv.terraform_variables(
        "aws", {"cluster_name": "mlops-dev", "environment": "dev", "region": "eu-west-1", "service_accounts": {}}, None
    )
    assert result["region"] == "eu-west-1"
    with pytest.raises(AnsibleFilterError, match=r"terraform_variables: infrastructure_terraform_vars\.region"):
        tv.terraform_variables("aws", {"service_accounts": {}}, {"region": "x"})


def test_terraform_outputs_filter():
    outputs = {"a": {"value": 1, "sensitive": False}, "b": {"value": "s", "sensitive": True}}
    assert to.terraform_outputs(outputs)["b"] == "s"
    assert to.terraform_outputs(outputs)["tenant_id"] is None
    assert "b" not in to.terraform_outputs(outputs, sensitive=False)
    with pytest.raises(AnsibleFilterError, match="sensitive must be true or false"):
        to.terraform_outputs(outputs, sensitive="no")
    with pytest.raises(AnsibleFilterError, match="terraform_outputs: terraform output 'a': has no value"):
        to.terraform_outputs({"a": "x"})


def test_cloud_credentials_filter(monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "dev")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    assert "AWS_PROFILE" in cc.cloud_credentials("aws")
    assert cc.cloud_credentials("aws", {}) == []
    assert "ARM_CLIENT_ID" in cc.cloud_credentials("azure", {}, set_only=False)
    with pytest.raises(AnsibleFilterError, match="cloud_credentials: unknown cloud"):
        cc.cloud_credentials("gcp", {})
    with pytest.raises(AnsibleFilterError, match="set_only must be"):
        cc.cloud_credentials("aws", {}, set_only="yes")


def test_terraform_backend_config_filter():
    from ansible_collections.mlops.platform.plugins.filter import terraform_backend_config as tb

    backend = tb.FilterModule().filters()["terraform_backend_config"]
    assert backend({"bucket": "s", "encrypt": True}) == {"bucket": "s", "encrypt": "true"}
    with pytest.raises(AnsibleFilterError, match=r"infrastructure_backend_config\.endpoints"):
        backend({"endpoints": {"s3": "http://127.0.0.1"}})

from __future__ import annotations

import copy
import re

import pytest

from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError
from ansible_collections.mlops.platform.plugins.module_utils.terraform import (
    CONTRACT_OUTPUTS,
    backend_config_values,
    credentials_in_env,
    derived_variables,
    extra_variable_problems,
    outputs_to_infra,
    root_variables,
)

ACCOUNTS = {
    "mlflow": {"namespace": "mlflow", "name": "mlflow"},
    "argo_workflows": {"namespace": "argo", "name": "argo-workflow"},
    "kserve": {"namespace": "kserve", "name": "kserve-predictor"},
    "external_secrets": {"namespace": "external-secrets", "name": "external-secrets"},
    "karpenter": {"namespace": "karpenter", "name": "karpenter"},
    "aws_load_balancer_controller": {"namespace": "ingress", "name": "aws-load-balancer-controller"},
    # AWS only (the EBS CSI add-on): the AKS root does not take it.
    "ebs_csi_driver": {"namespace": "kube-system", "name": "ebs-csi-controller-sa"},
}
POOLS = {"general": {"instance_types": ["t3.large"], "capacity_type": "on_demand", "min_size": 2, "max_size": 4}}


def settings(**changes):
    base = {
        "cluster_name": "mlops-dev",
        "environment": "dev",
        "region": "eu-west-1",
        "kubernetes_version": "1.32",
        "network": {"cidr": "10.0.0.0/16", "availability_zones": 3, "nat_gateway_per_az": False},
        "node_pools": POOLS,
        "service_accounts": ACCOUNTS,
    }
    base.update(changes)
    return base


def test_aws_root_variables():
    assert root_variables("aws", settings(), {"enable_eks_addons": False}) == {
        "enable_eks_addons": False,
        "environment": "dev",
        "kubernetes_version": "1.32",
        "name": "mlops-dev",
        "network": {"cidr": "10.0.0.0/16", "availability_zones": 3, "nat_gateway_per_az": False},
        "node_pools": POOLS,
        "region": "eu-west-1",
        "service_accounts": ACCOUNTS,
    }


def test_azure_root_variables():
    variables = root_variables("azure", settings(region="westeurope"), {"admin_group_object_ids": []})
    assert variables["name"] == "mlops"
    assert variables["location"] == "westeurope"
    assert "region" not in variables
    assert variables["network"] == {"cidr": "10.0.0.0/16"}
    assert variables["service_accounts"] == {
        "argo_workflows": {"namespace": "argo", "name": "argo-workflow", "access": "blob_write"},
        "external_secrets": {"namespace": "external-secrets", "name": "external-secrets", "access": "secrets_read"},
        "kserve": {"namespace": "kserve", "name": "kserve-predictor", "access": "blob_read"},
        "mlflow": {"namespace": "mlflow", "name": "mlflow", "access": "blob_write"},
    }
    assert variables["admin_group_object_ids"] == []


def test_unknown_service_accounts_are_left_out():
    accounts = {**ACCOUNTS, "other": {"namespace": "x", "name": "y"}}
    assert "other" not in root_variables("aws", settings(service_accounts=accounts))["service_accounts"]


@pytest.mark.parametrize(
    ("cloud", "changes", "message"),
    [
        ("azure", {"cluster_name": "mlops"}, "platform_cluster_name: 'mlops' must be <name>-<platform_environment>"),
        ("azure", {"cluster_name": "mlops-platform1-dev"}, "the part before -dev must be 2-9 lowercase"),
        ("aws", {"service_accounts": None}, "platform_service_accounts: must be a mapping"),
        ("aws", {"service_accounts": {"mlflow": {"namespace": "mlflow"}}}, "platform_service_accounts.mlflow"),
    ],
)
def test_root_variables_name_the_platform_variable(cloud, changes, message):
    with pytest.raises(PlatformError, match=message):
        root_variables(cloud, settings(**changes))


@pytest.mark.parametrize(
    ("cloud", "extra", "message"),
    [
        (
            "aws",
            {"region": "us-east-1"},
            "infrastructure_terraform_vars.region: the role sets region from platform_region",
        ),
        (
            "azure",
            {"location": "x"},
            "infrastructure_terraform_vars.location: the role sets location from platform_region",
        ),
        ("aws", {"name": "x"}, "set platform_cluster_name instead"),
        ("aws", {"node_pools": {}}, "set platform_node_pools instead"),
        ("aws", ["x"], "infrastructure_terraform_vars: must be a mapping"),
        ("aws", {1: True}, "key 1 (int) is not a Terraform variable name"),
    ],
)
def test_extra_variables_may_not_replace_derived_ones(cloud, extra, message):
    assert any(message in problem for problem in extra_variable_problems(cloud, extra))
    with pytest.raises(PlatformError, match=re.escape(message.split(":")[0])):
        root_variables(cloud, settings(), extra)


def test_extra_variables_ok():
    assert extra_variable_problems("aws", None) == []
    assert extra_variable_problems("aws", {"enable_eks_addons": False}) == []
    assert extra_variable_problems("azure", {"region": "x"}) == []  # azure's root has no `region`


def test_derived_variables():
    assert derived_variables("aws")["region"] == "platform_region"
    assert derived_variables("azure")["location"] == "platform_region"
    assert derived_variables("aws")["service_accounts"] == "platform_service_accounts"


def test_root_variables_do_not_mutate():
    given = settings()
    before = copy.deepcopy(given)
    root_variables("azure", {**given, "region": "westeurope"})
    assert given == before


OUTPUTS = {
    "cluster_name": {"value": "mlops-dev", "type": "string", "sensitive": False},
    "identities": {"value": {"mlflow": "arn"}, "type": ["map", "string"], "sensitive": False},
    "cluster_ca_certificate": {"value": "Q0E=", "type": "string", "sensitive": True},
    "tenant_id": {"value": None, "type": "dynamic", "sensitive": False},
}


def test_outputs_to_infra():
    infra = outputs_to_infra({**OUTPUTS, "kms_key_arn": {"value": "arn:k", "sensitive": False}})
    assert infra == {
        **dict.fromkeys(CONTRACT_OUTPUTS),
        "cluster_ca_certificate": "Q0E=",
        "cluster_name": "mlops-dev",
        "identities": {"mlflow": "arn"},
        "kms_key_arn": "arn:k",
    }
    assert list(infra) == sorted(infra)
    assert "cluster_ca_certificate" not in outputs_to_infra(OUTPUTS, sensitive=False)
    # Terraform leaves null outputs out of its state: the contract's names read as null.
    assert outputs_to_infra({}) == dict.fromkeys(CONTRACT_OUTPUTS)


@pytest.mark.parametrize("outputs", [None, [], {"x": "plain"}, {"x": {"type": "string"}}])
def test_outputs_to_infra_rejects_without_showing_values(outputs):
    with pytest.raises(PlatformError) as raised:
        outputs_to_infra(outputs)
    assert "plain" not in str(raised.value)


@pytest.mark.parametrize(
    ("cloud", "environ", "expected"),
    [
        ("aws", {}, []),
        ("aws", {"AWS_PROFILE": "dev", "AWS_ACCESS_KEY_ID": ""}, ["AWS_PROFILE"]),
        ("aws", {"AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "ARM_CLIENT_ID": "x"}, ["AWS_ENDPOINT_URL"]),
        ("azure", {"ARM_CLIENT_ID": "x", "AWS_PROFILE": "dev"}, ["ARM_CLIENT_ID"]),
    ],
)
def test_credentials_in_env(cloud, environ, expected):
    assert credentials_in_env(cloud, environ) == expected


def test_credentials_in_env_all_names_and_errors():
    assert "AWS_PROFILE" in credentials_in_env("aws", {}, set_only=False)
    with pytest.raises(PlatformError, match="environ: must be a mapping"):
        credentials_in_env("aws", None)
    with pytest.raises(PlatformError, match="unknown cloud"):
        credentials_in_env("gcp", {})


def test_backend_config_values_as_terraform_reads_them():
    # The bootstrap's backend_config output as YAML gives booleans; terraform init refuses "encrypt=True".
    config = {"bucket": "mlops-state", "encrypt": True, "use_lockfile": True, "skip_x": False, "max_retries": 5}
    assert backend_config_values(config) == {
        "bucket": "mlops-state",
        "encrypt": "true",
        "use_lockfile": "true",
        "skip_x": "false",
        "max_retries": "5",
    }
    assert backend_config_values(None) == {} and backend_config_values({}) == {}


@pytest.mark.parametrize(
    ("config", "needle"),
    [
        (["bucket"], "infrastructure_backend_config: must be a mapping"),
        ({"endpoints": {"s3": "x"}}, "infrastructure_backend_config.endpoints"),
    ],
)
def test_backend_config_values_refuses(config, needle):
    with pytest.raises(PlatformError, match=re.escape(needle)):
        backend_config_values(config)

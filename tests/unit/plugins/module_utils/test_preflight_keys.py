from __future__ import annotations

import copy
import pathlib

import pytest
import yaml

from ansible_collections.mlops.platform.plugins.action.preflight import collection_variables
from ansible_collections.mlops.platform.plugins.module_utils.preflight import preflight_problems
from ansible_collections.mlops.platform.plugins.module_utils.preflight_keys import (
    key_problems,
    network_keys,
    terraform_variables,
)

from .test_preflight import AWS, AZURE, ROOT, never_a_dir

ROLES, KNOWN = collection_variables()
CONFIGS = {"aws": AWS, "azure": AZURE}


def host_variables(inventory: str) -> list:
    names = set()
    for path in sorted((ROOT / inventory).glob("**/*_vars/**/*.yml")):
        names.update(yaml.safe_load(path.read_text()) or {})
    return sorted(names)


def full(cloud: str, **changes) -> dict:
    """The cloud's dev inventory config as the action gives it (host variables, known variables, roles)."""
    config = copy.deepcopy(CONFIGS[cloud])
    config.update(
        host_variables=host_variables(f"inventories/{cloud}-dev"), known_variables=KNOWN, collection_roles=ROLES
    )
    config.update(changes)
    return config


INVENTORIES = [
    "inventories/aws-dev",
    "inventories/azure-dev",
    "tests/integration/inventories/aws-full",
    "tests/integration/inventories/azure-full",
    "molecule/kind/inventory",
]


@pytest.mark.parametrize("cloud", ["aws", "azure"])
def test_real_inventories_have_no_unknown_keys(cloud):
    assert key_problems(full(cloud)) == []
    assert preflight_problems(full(cloud), isdir=never_a_dir) == []


@pytest.mark.parametrize("inventory", INVENTORIES)
def test_every_inventory_sets_known_variables_only(inventory):
    names = host_variables(inventory)
    assert names
    config = {"host_variables": names, "known_variables": KNOWN, "collection_roles": ROLES}
    assert key_problems(config) == []


def test_terraform_roots_are_read():
    assert network_keys("aws", "dev") == ("availability_zones", "cidr", "nat_gateway_per_az")
    assert network_keys("azure", "dev") == ("cidr",)
    # No root (local/kind): what any root takes.
    assert network_keys("local", "dev") == ("availability_zones", "cidr", "nat_gateway_per_az")
    assert "certificate_domains" in terraform_variables("aws", "dev")
    assert "admin_group_object_ids" in terraform_variables("azure", "prod")
    # staging has no root of its own: every environment's variables.
    assert "availability_zones" in terraform_variables("azure", "staging")
    assert terraform_variables("local", "dev") == ()


def test_node_pool_unknown_setting():
    config = full("aws")
    config["platform_node_pools"]["gpu"]["min_sise"] = 0
    assert key_problems(config) == [
        "platform_node_pools.gpu.min_sise: unknown setting; did you mean min_size? allowed: capacity_type, "
        "desired_size, gpu, instance_types, labels, max_size, min_size, name, on_demand_fallback, taints"
    ]


def test_taint_unknown_field():
    config = full("aws")
    config["platform_node_pools"]["gpu"]["taints"][0]["efect"] = "NoSchedule"
    assert key_problems(config) == [
        "platform_node_pools.gpu.taints[0].efect: unknown field; did you mean effect? allowed: effect, key, value"
    ]


def test_network_unknown_setting_per_cloud():
    config = full("aws")
    config["platform_network"]["availabilty_zones"] = 2
    assert key_problems(config) == [
        "platform_network.availabilty_zones: unknown setting; did you mean availability_zones? "
        "allowed: availability_zones, cidr, nat_gateway_per_az"
    ]
    # The AKS root's network takes the cidr only: availability_zones there would be dropped silently.
    config = full("azure")
    config["platform_network"]["availability_zones"] = 2
    assert key_problems(config) == ["platform_network.availability_zones: unknown setting; allowed: cidr"]
    assert key_problems(full("aws")) == []


def test_infra_unknown_key_and_fallbacks():
    config = full("aws")
    config["platform_infra"]["secret_store_rf"] = "x"
    config["platform_infra"]["karpenter_node_role"] = "KarpenterNodeRole"
    problems = key_problems(config)
    assert len(problems) == 1
    assert problems[0].startswith(
        "platform_infra.secret_store_rf: unknown key; did you mean secret_store_ref? allowed: "
    )
    assert "karpenter_interruption_queue" in problems[0]


def test_infra_identities_unknown_key():
    config = full("aws")
    config["platform_infra"]["identities"]["mlfow"] = "arn:aws:iam::123456789012:role/x"
    problems = key_problems(config)
    assert len(problems) == 1
    assert problems[0].startswith("platform_infra.identities.mlfow: unknown identity; did you mean mlflow? allowed: ")
    assert key_problems(full("aws")) == []


@pytest.mark.parametrize("cloud", ["aws", "azure"])
def test_terraform_vars_unknown_variable(cloud):
    config = full(cloud, infrastructure_terraform_vars={"tag": {"team": "ml"}, "tags": {"team": "ml"}})
    problems = key_problems(config)
    assert len(problems) == 1
    assert problems[0].startswith("infrastructure_terraform_vars.tag: unknown variable; did you mean tags? allowed: ")
    assert key_problems(full(cloud, infrastructure_terraform_vars={"tags": {}})) == []


def test_terraform_vars_of_an_own_root_are_not_judged():
    config = full("aws", infrastructure_terraform_vars={"anything": 1})
    config["host_variables"] = [*config["host_variables"], "infrastructure_terraform_dir"]
    assert key_problems(config) == []


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("mlflow_replica", "mlflow_replicas"),
        ("cert_manager_enable", "cert_manager_enabled"),
        ("platform_node_pool", "platform_node_pools"),
    ],
)
def test_near_miss_of_a_known_variable(name, suggestion):
    config = full("aws")
    config["host_variables"] = [*config["host_variables"], name]
    assert key_problems(config) == [f"{name}: unknown variable; did you mean {suggestion}?"]


@pytest.mark.parametrize(
    "name",
    [
        "my_team_owner",  # not a collection prefix: the user's own variable
        "mlflow_team_contact",  # a collection prefix, but close to nothing the collection reads
        "platform__passed_once",  # internal (double underscore)
        "nosuch_enabled",  # an unknown component: the toggle check's
        "mlflow_replicas",  # known
    ],
)
def test_other_variables_are_not_judged(name):
    config = full("aws")
    config["host_variables"] = [*config["host_variables"], name]
    assert key_problems(config) == []


def test_near_miss_needs_the_action_inputs():
    config = copy.deepcopy(AWS)  # no host_variables / known_variables (e.g. called without the action)
    assert key_problems(config) == []


@pytest.mark.parametrize(
    "garbage",
    [None, [], 3, "x", {"a": None}, {"a": [1]}, {"a": {"taints": [None, 3, {"efect": 1}]}}, {1: {2: 3}}],
)
def test_garbage_never_raises(garbage):
    config = {
        "platform_cloud": garbage,
        "platform_environment": garbage,
        "platform_network": garbage,
        "platform_node_pools": garbage,
        "platform_infra": garbage,
        "platform_service_accounts": garbage,
        "infrastructure_terraform_vars": garbage,
        "platform_component_catalog": garbage,
        "host_variables": garbage,
        "known_variables": garbage,
        "collection_roles": garbage,
    }
    assert isinstance(key_problems(config), list)
    assert isinstance(preflight_problems(config, isdir=never_a_dir), list)
    assert key_problems(garbage) == []


def test_garbage_keys_are_named_with_their_path():
    config = full("aws")
    config["platform_node_pools"]["gpu"]["taints"].append({"key": "a", "effect": "NoSchedule", 3: "x"})
    problems = key_problems(config)
    assert problems == ["platform_node_pools.gpu.taints[1].3: unknown field; allowed: effect, key, value"]


def test_root_is_found():
    assert pathlib.Path(ROOT / "terraform" / "environments" / "aws" / "dev" / "variables.tf").is_file()

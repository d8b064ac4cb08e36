from __future__ import annotations

import copy
import pathlib
import re

import pytest
import yaml

from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError
from ansible_collections.mlops.platform.plugins.module_utils.preflight import (
    BRANCH_NAMES,
    CONFIG_KEYS,
    _argocd,
    format_problems,
    preflight_problems,
    run_preflight,
)

ROOT = pathlib.Path(__file__).resolve().parents[4]
TOGGLE = re.compile(r"^(?!ansible_)[a-z0-9_]+_enabled$")


def _load(path: pathlib.Path) -> dict:
    return yaml.safe_load(path.read_text()) or {}


def inventory_config(name: str) -> dict:
    """The config the preflight role assembles for the inventory's host (role defaults, then group_vars)."""
    defaults = {}
    for path in sorted((ROOT / "roles/platform/defaults/main").glob("*.yml")):
        defaults.update(_load(path))
    host_vars = {}
    for path in sorted((ROOT / "inventories" / name / "group_vars/all").glob("*.yml")):
        host_vars.update(_load(path))
    merged = {**defaults, **host_vars}
    config = {key: merged.get(key) for key in CONFIG_KEYS if key != "toggles"}
    config["toggles"] = {key: value for key, value in sorted(host_vars.items()) if TOGGLE.match(key)}
    return config


def never_a_dir(path):
    return False


AWS = inventory_config("aws-dev")
AZURE = inventory_config("azure-dev")
CONFIGS = {"aws": AWS, "azure": AZURE}


@pytest.mark.parametrize("cloud", ["aws", "azure"])
def test_real_inventories_pass(cloud):
    config = CONFIGS[cloud]
    assert config["platform_cloud"] == cloud
    assert preflight_problems(config, isdir=never_a_dir) == []
    result = run_preflight(config, isdir=never_a_dir)
    assert result["problems"] == []
    assert result["changed"] is False
    assert result["summary"]["cloud"] == cloud
    assert result["summary"]["node_pools"] == ["general", "gpu", "training"]


def with_change(cloud: str, path: str, value) -> dict:
    """A deep copy of the cloud's inventory config with ``path`` (dotted; [n] for list items) set or deleted."""
    config = copy.deepcopy(CONFIGS[cloud])
    *parents, last = re.findall(r"[^.\[\]]+", path)
    target = config
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    key = int(last) if isinstance(target, list) else last
    if value is DELETE:
        del target[key]
    else:
        target[key] = value
    return config


DELETE = object()

CASES = [
    # acceptance cases
    ("aws", "platform_cloud", "gcp", "platform_cloud: 'gcp' is not supported; allowed: aws, azure, local"),
    ("azure", "platform_cloud", None, "platform_cloud: not set; allowed: aws, azure, local"),
    (
        "aws",
        "platform_node_pools.gpu.instance_types",
        ["Standard_NC6s_v3"],
        "platform_node_pools.gpu.instance_types[0]: 'Standard_NC6s_v3' is an Azure VM size; on aws use an EC2 "
        "instance type such as g4dn.xlarge (GPU families: g4dn, g5,",
    ),
    (
        "azure",
        "platform_node_pools.general.instance_types",
        ["t3.large"],
        "platform_node_pools.general.instance_types[0]: 't3.large' is an EC2 instance type; on azure use an Azure VM "
        "size such as Standard_D4s_v3",
    ),
    # scalars
    ("aws", "platform_environment", "production", "platform_environment: 'production' is not allowed; allowed: dev"),
    ("aws", "platform_mode", "deploy", "platform_mode: 'deploy' is not allowed; allowed: render, apply"),
    ("aws", "platform_region", "westeurope", "platform_region: 'westeurope' is an Azure region; on aws use"),
    ("azure", "platform_region", "eu-west-1", "platform_region: 'eu-west-1' is an AWS region; on azure use"),
    ("aws", "platform_cluster_name", "MLops_Dev", "platform_cluster_name: 'MLops_Dev' is not a DNS label"),
    ("aws", "platform_cluster_name", "a" * 64, "is not a DNS label"),
    ("aws", "platform_kubernetes_version", 1.3, "platform_kubernetes_version: 1.3 (float) is a number; quote it"),
    ("aws", "platform_kubernetes_version", "1.29", "platform_kubernetes_version: '1.29' is not supported; allowed"),
    ("aws", "platform_kubernetes_version", "v1.32", "platform_kubernetes_version: 'v1.32' is not a \"1.NN\" version"),
    ("aws", "platform_chart_mirror", "/no/such/dir", "platform_chart_mirror: '/no/such/dir' is not an existing dir"),
    ("aws", "platform_chart_mirror", 3, "platform_chart_mirror: must be a directory path or empty, got 3 (int)"),
    # network
    ("aws", "platform_network.cidr", "10.0.0.0/8", "but terraform/modules/eks (var.network) takes /16 to /20"),
    ("aws", "platform_network.cidr", "10.0.0.0/28", "platform_network.cidr: prefix /28 is outside /8 to /24"),
    ("aws", "platform_network.cidr", "8.8.0.0/16", "platform_network.cidr: '8.8.0.0/16' is not a private RFC 1918"),
    ("aws", "platform_network.cidr", "10.0.1.0/16", "'10.0.1.0/16' has host bits set; did you mean 10.0.0.0/16?"),
    ("aws", "platform_network.cidr", "10.0.0.0", "platform_network.cidr: prefix /32 is outside"),
    ("aws", "platform_network.cidr", "fd00::/48", "'fd00::/48' is not a private RFC 1918 range"),
    ("aws", "platform_network.cidr", "not-a-cidr", "platform_network.cidr: 'not-a-cidr' is not in CIDR notation"),
    ("azure", "platform_network.cidr", DELETE, "platform_network.cidr: not set; use a private IPv4 network"),
    ("aws", "platform_network.availability_zones", True, "platform_network.availability_zones: must be an integer"),
    ("aws", "platform_network.nat_gateway_per_az", "no", "platform_network.nat_gateway_per_az: must be true or false"),
    # node pools
    (
        "aws",
        "platform_node_pools.gpu.min_size",
        3,
        "platform_node_pools.gpu: sizes must satisfy min_size <= "
        "desired_size <= max_size, got min_size 3, desired_size 0, max_size 2",
    ),
    ("aws", "platform_node_pools.general", DELETE, "platform_node_pools.general: missing; the general pool runs"),
    ("aws", "platform_node_pools.general.min_size", 0, "platform_node_pools.general.min_size: the general pool runs"),
    (
        "aws",
        "platform_node_pools.training.max_size",
        True,
        "platform_node_pools.training.max_size: must be a non-negative integer, got true",
    ),
    ("aws", "platform_node_pools.training.min_size", -1, "platform_node_pools.training.min_size: must be a non-neg"),
    ("aws", "platform_node_pools.training.min_size", "0", "platform_node_pools.training.min_size: must be a non-neg"),
    ("aws", "platform_node_pools.training.max_size", DELETE, "platform_node_pools.training.max_size: not set"),
    ("aws", "platform_node_pools.training.instance_types", [], "platform_node_pools.training.instance_types: must be"),
    ("aws", "platform_node_pools.training.instance_types", ["c5.xlarge", 5], "instance_types[1]: must be a string"),
    (
        "aws",
        "platform_node_pools.training.capacity_type",
        "preemptible",
        "platform_node_pools.training.capacity_type: 'preemptible' is not allowed; allowed: on_demand, spot",
    ),
    ("aws", "platform_node_pools.training.min_szie", 0, "platform_node_pools.training.min_szie: unknown setting; did"),
    ("aws", "platform_node_pools.gpu.taints", [], "platform_node_pools.gpu.taints: a GPU pool must carry the taint"),
    ("aws", "platform_node_pools.gpu.gpu", "yes", "platform_node_pools.gpu.gpu: must be true or false, got 'yes'"),
    ("aws", "platform_node_pools.gpu.gpu", False, "platform_node_pools.gpu.gpu: the gpu pool must set gpu: true"),
    (
        "aws",
        "platform_node_pools.training.taints[0].effect",
        "NoRun",
        "taints[0].effect: 'NoRun' is not allowed; allowed: NoSchedule, PreferNoSchedule, NoExecute",
    ),
    ("aws", "platform_node_pools.gpu.taints[0].value", True, "taints[0].value: true is a boolean; quote it"),
    ("aws", "platform_node_pools.training.taints[0].key", "bad key", "taints[0].key: 'bad key' is not a Kubernetes"),
    ("aws", "platform_node_pools.training.taints[0].extra", 1, "taints[0].extra: unknown field; allowed: effect"),
    ("aws", "platform_node_pools.training.taints", "workload=training", "taints: must be a list of {key, value, "),
    ("aws", "platform_node_pools.Training", {}, "platform_node_pools: pool key 'Training' is not a DNS label"),
    (
        "aws",
        "platform_node_pools.training.labels",
        {"team": 1},
        "platform_node_pools.training.labels: must map label names to string values, got {'team': 1} (dict)",
    ),
    ("aws", "platform_node_pools.training.labels", ["team=ml"], "platform_node_pools.training.labels: must map label"),
    (
        "aws",
        "platform_node_pools.training.on_demand_fallback",
        "yes",
        "platform_node_pools.training.on_demand_fallback: must be true or false, got 'yes'",
    ),
    (
        "aws",
        "platform_node_pools.general.on_demand_fallback",
        True,
        "platform_node_pools.general.on_demand_fallback: only Karpenter pools (not general, the EKS node group)",
    ),
    (
        "aws",
        "platform_node_pools.general.max_size",
        4,
        "platform_node_pools.general: on aws the general pool is the EKS",
    ),
    ("aws", "platform_node_pools.gpu.instance_types[0]", "g4dn.metal", "'g4dn.metal' is not in the collection's table"),
    ("azure", "platform_node_pools.gpu.name", "system", "platform_node_pools.gpu.name: 'system' is also the name of"),
    ("azure", "platform_node_pools.gpu.name", DELETE, "platform_node_pools.gpu.name: missing; AKS needs a node pool"),
    ("azure", "platform_node_pools.general.capacity_type", "spot", "the general pool is the AKS system pool"),
    ("azure", "platform_node_pools.gpu.instance_types[0]", "Standard_D4s_v3", "'Standard_D4s_v3' has no NVIDIA GPU"),
    # infra
    (
        "aws",
        "platform_infra.region",
        "us-east-1",
        "platform_infra.region: 'us-east-1' differs from platform_region 'eu-west-1'; set platform_region: 'us-east-1'",
    ),
    (
        "azure",
        "platform_infra.cluster_name",
        "other",
        "platform_infra.cluster_name: 'other' differs from platform_cluster_name 'mlops-dev'",
    ),
    ("aws", "platform_infra.db_port", "5432", "platform_infra.db_port: must be an integer from 1 to 65535"),
    ("aws", "platform_infra.db_port", 0, "platform_infra.db_port: must be an integer from 1 to 65535"),
    ("aws", "platform_infra.db_host", "not a host", "platform_infra.db_host: 'not a host' is not a DNS name"),
    ("aws", "platform_infra.db_name", "ml-flow", "platform_infra.db_name: 'ml-flow' is not a PostgreSQL database"),
    ("aws", "platform_infra.db_secret_ref", "", "platform_infra.db_secret_ref: must be a non-empty string"),
    ("aws", "platform_infra.db_secret_ref", DELETE, "platform_infra.db_secret_ref: missing"),
    ("aws", "platform_infra.identities", DELETE, "platform_infra.identities: missing"),
    ("aws", "platform_infra.registry", 5, "platform_infra.registry: must be a string or null, got 5 (int)"),
    (
        "aws",
        "platform_infra.object_store_bucket",
        "Bad_Bucket",
        "platform_infra.object_store_bucket: 'Bad_Bucket' is not a valid S3 bucket name",
    ),
    ("aws", "platform_infra.object_store_account", "acct", "platform_infra.object_store_account: 'acct' is set"),
    ("azure", "platform_infra.object_store_account", None, "platform_infra.object_store_account: missing; azure"),
    (
        "azure",
        "platform_infra.object_store_bucket",
        "ml--flow",
        "platform_infra.object_store_bucket: 'ml--flow' is not a valid blob container name",
    ),
    (
        "aws",
        "platform_infra.identities.mlflow",
        "22222222-2222-2222-2222-222222222222",
        "platform_infra.identities.mlflow: '22222222-2222-2222-2222-222222222222' is a managed identity client ID; "
        "on aws",
    ),
    (
        "azure",
        "platform_infra.identities.mlflow",
        "arn:aws:iam::123456789012:role/x",
        "platform_infra.identities.mlflow: 'arn:aws:iam::123456789012:role/x' is an IAM role ARN; on azure",
    ),
    (
        "aws",
        "platform_infra.identities.aws_load_balancer_controller",
        DELETE,
        "platform_infra.identities.aws_load_balancer_controller: missing; ingress needs it on aws",
    ),
    ("aws", "platform_infra.identities", "arn", "platform_infra.identities: must be a mapping"),
    # components
    (
        "aws",
        "toggles.foo_enabled",
        True,
        "foo_enabled: unknown component 'foo'; known components: argo_workflows, argocd, autoscaling, cert_manager, ",
    ),
    ("aws", "toggles.mlflow_enabled", "yes", "mlflow_enabled: must be true or false, got 'yes'"),
    (
        "azure",
        "platform_component_catalog.mlflow.clouds",
        ["aws"],
        "mlflow_enabled: mlflow does not run on azure "
        "(platform_component_catalog.mlflow.clouds: aws); this combination is incompatible",
    ),
    (
        "aws",
        "platform_component_catalog.mlflow.clouds",
        ["gcp"],
        "platform_component_catalog.mlflow.clouds: 'gcp' is not a cloud",
    ),
    ("aws", "platform_component_catalog.mlflow.wave", "40", "platform_component_catalog.mlflow.wave: must be a non-"),
    (
        "aws",
        "platform_component_catalog",
        None,
        "platform_component_catalog: not set; it comes from the platform role",
    ),
]


@pytest.mark.parametrize(("cloud", "path", "value", "expected"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_problem_is_reported(cloud, path, value, expected):
    problems = preflight_problems(with_change(cloud, path, value), isdir=never_a_dir)
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("cloud", "path", "value"),
    [
        ("aws", "platform_chart_mirror", ""),
        ("aws", "platform_chart_mirror", None),
        ("aws", "toggles.mlflow_enabled", False),
        ("aws", "toggles.mlflow_enabled", "false"),  # `-e mlflow_enabled=false` arrives as a string
        ("aws", "toggles.mlflow_enabled", "True"),
        ("aws", "toggles.mlflow_ingress_enabled", False),  # a feature toggle of the mlflow role
        ("aws", "toggles", {}),
        ("aws", "platform_node_pools.training", DELETE),
        ("aws", "platform_node_pools.gpu", DELETE),
        ("aws", "platform_node_pools.general.desired_size", DELETE),
        ("aws", "platform_node_pools.training.labels", {"team": "ml"}),
        ("aws", "platform_node_pools.training.labels", {}),
        ("aws", "platform_node_pools.training.on_demand_fallback", True),
        ("aws", "platform_node_pools.gpu.on_demand_fallback", False),
        ("azure", "platform_node_pools.gpu.labels", {"team": "ml"}),
        ("azure", "platform_network.cidr", "10.10.0.0/20"),
        ("azure", "platform_network.cidr", "172.20.0.0/16"),
        ("aws", "platform_kubernetes_version", "1.30"),
        ("aws", "platform_kubernetes_version", "1.33"),
        ("aws", "platform_environment", "prod"),
        ("aws", "platform_mode", "apply"),
    ],
)
def test_valid_variations(cloud, path, value):
    assert preflight_problems(with_change(cloud, path, value), isdir=never_a_dir) == []


def test_chart_mirror_that_exists(tmp_path):
    config = with_change("aws", "platform_chart_mirror", str(tmp_path))
    assert preflight_problems(config) == []


def test_enabled_component_needs_its_identity():
    problems = preflight_problems(with_change("azure", "platform_infra.identities", {}), isdir=never_a_dir)
    assert (
        "platform_infra.identities.mlflow: missing; mlflow needs it on azure "
        "(platform_component_catalog.mlflow.identities.azure) because mlflow_enabled is true"
    ) in problems
    assert all(problem.startswith("platform_infra.identities.") for problem in problems)


def test_unknown_cloud_skips_cloud_specific_checks_but_not_the_rest():
    config = with_change("aws", "platform_cloud", "gcp")
    config["platform_node_pools"]["gpu"].update(min_size=3, max_size=1)
    config["platform_node_pools"]["gpu"]["instance_types"] = ["Standard_NC6s_v3"]
    assert preflight_problems(config, isdir=never_a_dir) == [
        "platform_cloud: 'gcp' is not supported; allowed: aws, azure, local (cloud-specific checks were skipped)",
        "platform_node_pools.gpu: sizes must satisfy min_size <= desired_size <= max_size, "
        "got min_size 3, desired_size 0, max_size 1",
    ]


def test_every_problem_in_one_message():
    config = with_change("aws", "platform_cloud", "gcp")
    config["platform_node_pools"]["gpu"].update(min_size=3, max_size=1)
    config["toggles"]["foo_enabled"] = True
    with pytest.raises(PlatformError) as raised:
        run_preflight(config, isdir=never_a_dir)
    problems = raised.value.details["problems"]
    assert len(problems) == 3
    assert raised.value.msg == format_problems(problems)
    assert raised.value.msg.startswith("Preflight found 3 problem(s) in the platform configuration:\n - ")
    assert raised.value.msg.splitlines()[1:] == [f" - {p}" for p in problems]
    assert problems == sorted(problems)


def test_input_is_not_mutated():
    config = copy.deepcopy(AWS)
    config["platform_node_pools"]["gpu"]["min_size"] = 3
    before = copy.deepcopy(config)
    preflight_problems(config, isdir=never_a_dir)
    assert config == before


GARBAGE = [None, True, 0, -1, 1.5, "", "x", [], [None], ["x", 1], {}, {"x": None}, {1: [2]}, {None: {}}]


@pytest.mark.parametrize("config", [None, "platform", 3, [], [AWS]])
def test_config_that_is_not_a_mapping(config):
    (problem,) = preflight_problems(config)
    assert problem.startswith("config: must be a mapping of the platform variables, got ")


def _paths(value, prefix=""):
    """Every dotted path inside a config (the places garbage can go)."""
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            yield path
            yield from _paths(item, path)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            path = f"{prefix}[{index}]"
            yield path
            yield from _paths(item, path)


@pytest.mark.parametrize("cloud", ["aws", "azure"])
def test_garbage_anywhere_gives_messages_not_tracebacks(cloud):
    paths = list(_paths(CONFIGS[cloud]))
    assert len(paths) > 50
    for path in paths:
        for garbage in GARBAGE:
            problems = preflight_problems(with_change(cloud, path, garbage), isdir=never_a_dir)
            assert all(isinstance(problem, str) for problem in problems), (path, garbage)
            assert problems == sorted(set(problems))


@pytest.mark.parametrize("key", CONFIG_KEYS)
@pytest.mark.parametrize("garbage", GARBAGE)
def test_garbage_top_level(key, garbage):
    config = copy.deepcopy(AWS)
    config[key] = garbage
    problems = preflight_problems(config, isdir=never_a_dir)
    assert all(isinstance(problem, str) for problem in problems)


def test_everything_missing():
    problems = preflight_problems(dict.fromkeys(CONFIG_KEYS), isdir=never_a_dir)
    assert len(problems) == 10
    assert all(": not set; " in problem for problem in problems)


# ---------------------------------------------------------------------------- infrastructure role settings
@pytest.mark.parametrize(
    ("cloud", "key", "value", "expected"),
    [
        ("aws", "infrastructure_terraform", "maybe", "infrastructure_terraform: must be true or false, got 'maybe'"),
        ("aws", "infrastructure_terraform", 1, "infrastructure_terraform: must be true or false, got 1 (int)"),
        ("aws", "infrastructure_plan_in_render", "yes", "infrastructure_plan_in_render: 'yes' is not allowed"),
        ("aws", "infrastructure_backend_config", "bucket=x", "infrastructure_backend_config: must be a mapping"),
        ("aws", "infrastructure_terraform_vars", ["x"], "infrastructure_terraform_vars: must be a mapping"),
        (
            "aws",
            "infrastructure_terraform_vars",
            {"region": "us-east-1"},
            "infrastructure_terraform_vars.region: the role sets region from platform_region",
        ),
        ("azure", "platform_cluster_name", "platform", "platform_cluster_name: 'platform' must be <name>-"),
    ],
)
def test_infrastructure_settings(cloud, key, value, expected):
    config = copy.deepcopy(CONFIGS[cloud])
    config[key] = value
    problems = preflight_problems(config, isdir=never_a_dir)
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("infrastructure_terraform", False),
        ("infrastructure_terraform", "false"),  # -e infrastructure_terraform=false
        ("infrastructure_plan_in_render", "always"),
        ("infrastructure_backend_config", {"bucket": "b", "key": "k"}),
        ("infrastructure_terraform_vars", {"enable_eks_addons": False}),
    ],
)
def test_infrastructure_settings_valid(key, value):
    config = copy.deepcopy(AWS)
    config[key] = value
    assert preflight_problems(config, isdir=never_a_dir) == []


def test_existing_cluster_skips_the_terraform_name_rule():
    config = copy.deepcopy(AZURE)
    config.update(platform_cluster_name="platform", infrastructure_terraform=False)
    config["platform_infra"] = {**config["platform_infra"], "cluster_name": "platform"}
    assert preflight_problems(config, isdir=never_a_dir) == []


# ---------------------------------------------------------------------------- azure root variables
AZURE_TF_VARS = AZURE["infrastructure_terraform_vars"]


def azure_with_vars(tf_vars, **settings) -> dict:
    config = copy.deepcopy(AZURE)
    config.update(infrastructure_terraform_vars=tf_vars, **settings)
    return config


def test_azure_inventory_sets_the_root_variables_without_a_default():
    assert AZURE_TF_VARS["admin_group_object_ids"]
    assert AZURE_TF_VARS["api_server_authorized_ip_ranges"]
    assert preflight_problems(AZURE, isdir=never_a_dir) == []


@pytest.mark.parametrize("tf_vars", [None, {}, {"admin_group_object_ids": [], "api_server_authorized_ip_ranges": []}])
def test_azure_terraform_demands_admin_groups_and_api_server_ranges(tf_vars):
    problems = preflight_problems(azure_with_vars(tf_vars), isdir=never_a_dir)
    assert problems == [
        "infrastructure_terraform_vars: the azure Terraform root needs admin_group_object_ids and "
        "api_server_authorized_ip_ranges, which have no default; set them under infrastructure_terraform_vars "
        "(admin_group_object_ids: the Entra ID group object ids given cluster-admin (local accounts are disabled), "
        "e.g. [00000000-0000-0000-0000-000000000000]; api_server_authorized_ip_ranges: the CIDRs allowed to reach "
        "the public API server (operators', CI runners' egress), e.g. [203.0.113.0/24]), as "
        "inventories/azure-dev/group_vars/all/terraform.yml does, or set infrastructure_terraform: false for an "
        "existing cluster"
    ]
    # ... in the one message preflight fails with
    with pytest.raises(PlatformError, match=r"Preflight found 1 problem\(s\)") as err:
        run_preflight(azure_with_vars(tf_vars), isdir=never_a_dir)
    assert "admin_group_object_ids and api_server_authorized_ip_ranges" in err.value.msg


@pytest.mark.parametrize("name", ["admin_group_object_ids", "api_server_authorized_ip_ranges"])
def test_azure_terraform_names_the_one_missing_variable(name):
    tf_vars = {key: value for key, value in AZURE_TF_VARS.items() if key != name}
    (problem,) = preflight_problems(azure_with_vars(tf_vars), isdir=never_a_dir)
    assert problem.startswith(f"infrastructure_terraform_vars: the azure Terraform root needs {name}, which")


def test_azure_prod_root_has_no_api_server_ranges():
    # terraform/environments/azure/prod: a private API server, so only the admin groups are required.
    config = azure_with_vars({}, platform_environment="prod")
    problems = [p for p in preflight_problems(config, isdir=never_a_dir) if p.startswith("infrastructure_terraform_")]
    assert problems == [p for p in problems if "needs admin_group_object_ids, which" in p]
    assert len(problems) == 1


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("admin_group_object_ids", ["cluster-admins"]),
        ("admin_group_object_ids", ["00000000-0000-0000-0000-00000000000A"]),
        ("admin_group_object_ids", "00000000-0000-0000-0000-000000000000"),
        ("api_server_authorized_ip_ranges", ["0.0.0.0/0"]),
        ("api_server_authorized_ip_ranges", ["203.0.113.7"]),
        ("api_server_authorized_ip_ranges", ["2001:db8::/32"]),
        ("api_server_authorized_ip_ranges", ["office"]),
    ],
)
def test_azure_terraform_variables_are_validated(name, value):
    problems = preflight_problems(azure_with_vars({**AZURE_TF_VARS, name: value}), isdir=never_a_dir)
    assert len(problems) == 1
    assert problems[0].startswith(f"infrastructure_terraform_vars.{name}: must be a list of "), problems


def test_azure_existing_cluster_needs_no_root_variables():
    assert preflight_problems(azure_with_vars(None, infrastructure_terraform=False), isdir=never_a_dir) == []


def test_aws_needs_no_extra_root_variables():
    assert AWS["infrastructure_terraform_vars"] is None
    assert preflight_problems(AWS, isdir=never_a_dir) == []


# ---------------------------------------------------------------------------- argocd
REPO = "https://github.com/example/mlops-platform.git"
SHA = "0123456789abcdef0123456789abcdef01234567"


def argocd(**settings) -> dict:
    return {"argocd_enabled": True, **settings}


def revision_problems(problems: list) -> list:
    return [p for p in problems if p.startswith("argocd_gitops_revision:")]


# ---------------------------------------------------------------------------- disabled
@pytest.mark.parametrize("enabled", [None, False, "false", "False", "FALSE", 0])
def test_disabled_argocd_has_no_problems(enabled):
    config = {
        "argocd_enabled": enabled,
        "argocd_ingress_enabled": True,
        "argocd_gitops_repo_url": REPO,
        "argocd_gitops_revision": "main",
    }
    assert _argocd(config) == []


def test_argocd_not_in_the_config_has_no_problems():
    assert _argocd({}) == []
    assert _argocd({"argocd_ingress_enabled": True, "argocd_gitops_repo_url": REPO}) == []


@pytest.mark.parametrize("enabled", [True, "true", "True"])
def test_enabled_argocd_is_checked(enabled):
    problems = _argocd({"argocd_enabled": enabled, "argocd_gitops_repo_url": REPO, "argocd_gitops_revision": "main"})
    assert len(problems) == 1


def test_enabled_argocd_with_nothing_else_set_is_fine():
    assert _argocd(argocd()) == []


# ---------------------------------------------------------------------------- ingress host
@pytest.mark.parametrize("ingress", [True, "true", "True"])
@pytest.mark.parametrize("host", [None, ""])
def test_ingress_without_host(ingress, host):
    config = argocd(argocd_ingress_enabled=ingress)
    if host is not None:
        config["argocd_host"] = host
    problems = _argocd(config)
    assert len(problems) == 1
    assert problems[0].startswith("argocd_host:")


@pytest.mark.parametrize("ingress", [True, "true"])
def test_ingress_with_host(ingress):
    assert _argocd(argocd(argocd_ingress_enabled=ingress, argocd_host="argocd.dev.example.com")) == []


@pytest.mark.parametrize("ingress", [None, False, "false"])
def test_no_ingress_needs_no_host(ingress):
    assert _argocd(argocd(argocd_ingress_enabled=ingress)) == []


# ---------------------------------------------------------------------------- gitops revision
@pytest.mark.parametrize(
    "revision",
    [
        *(None, "", "main", "MAIN", "Master", "master", "HEAD", "head", "trunk", "develop", "development", "dev"),
        *("stable", "latest", "release", "refs/heads/x", "refs/heads/main", "v1.*", "*"),
    ],
)
def test_unpinned_revision(revision):
    problems = _argocd(argocd(argocd_gitops_repo_url=REPO, argocd_gitops_revision=revision))
    assert len(problems) == 1
    assert problems[0].startswith("argocd_gitops_revision:")
    assert REPO in problems[0]


def test_unpinned_revision_message_quotes_the_revision():
    (problem,) = _argocd(argocd(argocd_gitops_repo_url=REPO, argocd_gitops_revision="main"))
    assert problem.startswith("argocd_gitops_revision: 'main' is not a pinned revision")


@pytest.mark.parametrize("branch", BRANCH_NAMES)
def test_every_branch_name_is_refused(branch):
    for spelling in (branch, branch.upper()):
        problems = _argocd(argocd(argocd_gitops_repo_url=REPO, argocd_gitops_revision=spelling))
        assert revision_problems(problems), spelling


@pytest.mark.parametrize("revision", ["platform-2026.01.0", "v1.2.3", SHA, "mainline", "refs/tags/v1.0.0"])
def test_pinned_revision(revision):
    assert _argocd(argocd(argocd_gitops_repo_url=REPO, argocd_gitops_revision=revision)) == []


@pytest.mark.parametrize("repo", [None, ""])
@pytest.mark.parametrize("revision", [None, "", "main", "v1.*"])
def test_no_repo_no_revision_problem(repo, revision):
    assert _argocd(argocd(argocd_gitops_repo_url=repo, argocd_gitops_revision=revision)) == []


def test_host_and_revision_problems_together():
    problems = _argocd(argocd(argocd_ingress_enabled=True, argocd_gitops_repo_url=REPO, argocd_gitops_revision=""))
    assert [p.split(":")[0] for p in problems] == ["argocd_host", "argocd_gitops_revision"]


# ---------------------------------------------------------------------------- through preflight_problems
@pytest.fixture
def valid_config() -> dict:
    config = inventory_config("aws-dev")
    assert preflight_problems(config, isdir=never_a_dir) == []
    return config


def test_preflight_problems_reports_an_unpinned_revision(valid_config):
    config = {
        **valid_config,
        "argocd_enabled": True,
        "argocd_gitops_repo_url": REPO,
        "argocd_gitops_revision": "main",
    }
    problems = preflight_problems(config, isdir=never_a_dir)
    assert len(problems) == 1
    assert problems[0].startswith("argocd_gitops_revision: 'main'")
    assert REPO in problems[0]
    assert problems == sorted(problems)


def test_preflight_problems_sorts_argocd_problems_among_the_others(valid_config):
    config = {
        **valid_config,
        "platform_mode": "deploy",
        "argocd_enabled": True,
        "argocd_ingress_enabled": True,
        "argocd_gitops_repo_url": REPO,
        "argocd_gitops_revision": "main",
    }
    problems = preflight_problems(config, isdir=never_a_dir)
    assert [p.split(":", maxsplit=1)[0] for p in problems] == ["argocd_gitops_revision", "argocd_host", "platform_mode"]
    assert problems == sorted(problems)


def test_preflight_problems_with_a_pinned_revision(valid_config):
    config = {
        **valid_config,
        "argocd_enabled": "true",
        "argocd_ingress_enabled": "true",
        "argocd_host": "argocd.dev.example.com",
        "argocd_gitops_repo_url": REPO,
        "argocd_gitops_revision": "platform-2026.01.0",
    }
    assert preflight_problems(config, isdir=never_a_dir) == []


# ---------------------------------------------------------------------------- TLS of the exposed hosts
INTERNAL = [
    {"component": "mlflow", "host": "mlflow.dev.example.com", "scheme": "internal"},
    {"component": "kserve", "host": "*.models.dev.example.com", "scheme": "internal"},
]
PUBLIC = [{"component": "monitoring", "host": "grafana.dev.example.com", "scheme": "internet-facing"}]


def tls_config(cloud: str, tls: dict, exposures: list, **changes) -> dict:
    config = copy.deepcopy(CONFIGS[cloud])
    config.update(platform_tls=tls, platform_exposures=exposures, **changes)
    return config


def tls_problems(config: dict) -> list:
    return [p for p in preflight_problems(config, isdir=never_a_dir) if "tls" in p or "certificate" in p or "acme" in p]


def test_real_inventories_expose_hosts_their_tls_can_serve():
    for cloud in ("aws", "azure"):
        config = tls_config(cloud, CONFIGS[cloud]["platform_tls"], INTERNAL + PUBLIC)
        assert tls_problems(config) == []


@pytest.mark.parametrize(
    ("tls", "exposures", "expected"),
    [
        (
            {"issuer": "letsencrypt", "challenge": "http01"},
            INTERNAL[:1],
            "platform_tls.challenge: http01 cannot issue for the internal mlflow host mlflow.dev.example.com",
        ),
        (
            {"issuer": "letsencrypt", "challenge": "http01"},
            [{**INTERNAL[1], "scheme": "internet-facing"}],
            "http01 cannot issue the wildcard *.models.dev.example.com",
        ),
        ({"issuer": "vault"}, PUBLIC, "platform_tls.issuer: 'vault' is not allowed; allowed: letsencrypt, platform-ca"),
        ({"issuer": "letsencrypt", "challenge": "dns"}, PUBLIC, "platform_tls.challenge: 'dns' is not allowed"),
        (
            {"issuer": "letsencrypt", "challenge": "dns01", "zone_id": "dev.example.com"},
            PUBLIC,
            "not an Azure DNS zone",
        ),
        ({"issuer": "platform-ca", "domain": "x"}, PUBLIC, "platform_tls.domain: unknown setting"),
    ],
)
def test_azure_tls_problems(tls, exposures, expected):
    problems = tls_problems(tls_config("azure", tls, exposures))
    assert any(expected in p for p in problems), problems


def test_azure_private_ca_issues_internal_hosts_and_wildcards():
    assert tls_problems(tls_config("azure", {"issuer": "platform-ca"}, INTERNAL)) == []


def test_letsencrypt_needs_the_acme_email_and_cert_manager():
    config = tls_config("azure", {"issuer": "letsencrypt", "challenge": "http01"}, PUBLIC, cert_manager_acme_email="")
    config["toggles"]["cert_manager_enabled"] = False
    problems = tls_problems(config) + [p for p in preflight_problems(config, isdir=never_a_dir) if "cert_manager" in p]
    assert any(p.startswith("cert_manager_acme_email:") for p in problems), problems
    assert any(p.startswith("cert_manager_enabled: false") for p in problems), problems


@pytest.mark.parametrize(
    ("tls", "expected"),
    [
        ({"domains": ["*.other.example.com"]}, "no name covers the mlflow host mlflow.dev.example.com"),
        ({"domains": ["*.dev.example.com"]}, "no name covers the kserve host *.models.dev.example.com"),
        ({"domains": ["*.dev.example.com", "*.models.dev.example.com"], "zone_id": "zone-1"}, "not a Route53"),
        ({"zone_id": "Z0123456789ABCDEFGHIJ"}, "platform_tls.domains: set the names"),
        ({"domains": ["Dev.Example.com"]}, "must be a list of lowercase DNS names"),
    ],
)
def test_aws_acm_domains_cover_every_host(tls, expected):
    problems = tls_problems(tls_config("aws", tls, INTERNAL))
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    ("cloud", "arn", "expected"),
    [
        ("aws", "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9", None),
        ("aws", "arn:aws:iam::123456789012:role/x", "is not an ACM certificate ARN"),
        (
            "azure",
            "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9",
            "leave it null",
        ),
    ],
)
def test_certificate_arn(cloud, arn, expected):
    problems = preflight_problems(with_change(cloud, "platform_infra.certificate_arn", arn), isdir=never_a_dir)
    if expected is None:
        assert problems == []
    else:
        assert any(p.startswith("platform_infra.certificate_arn:") and expected in p for p in problems), problems

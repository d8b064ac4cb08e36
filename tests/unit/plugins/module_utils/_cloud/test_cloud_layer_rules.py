# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 10, class 1 and 6: what the Terraform modules and the clouds refuse later, known by the profiles.

Each rule has a failing and a passing case; where a fact is copied from a Terraform module (a validation's
regex or range, a default, a name derivation), a test parses the module with python-hcl2 and applies both to
the same table of values.
"""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path

import pytest

from ansible_collections.mlops.platform.plugins.module_utils._cloud import facts, get_profile

AWS = get_profile("aws")
AZURE = get_profile("azure")

ROOT = Path(__file__).resolve().parents[5]
EKS = ROOT / "terraform" / "modules" / "eks"
AKS = ROOT / "terraform" / "modules" / "aks"

# One service account per key the EKS root takes (their IAM roles are <name>-<key with '-'>).
ACCOUNTS = {key: {"namespace": "platform", "name": key.replace("_", "-")} for key in AWS.terraform_service_account_keys}

AWS_CONFIG = {
    "platform_cloud": "aws",
    "platform_environment": "dev",
    "platform_region": "eu-west-1",
    "platform_cluster_name": "mlops-dev",
    "platform_network": {"cidr": "10.0.0.0/16", "availability_zones": 3},
    "platform_node_pools": {
        "general": {"instance_types": ["t3.large"], "capacity_type": "on_demand", "min_size": 2, "max_size": 2},
        "gpu": {"instance_types": ["g4dn.xlarge"], "capacity_type": "spot", "gpu": True, "min_size": 0, "max_size": 2},
    },
    "platform_service_accounts": ACCOUNTS,
    "infrastructure_terraform_vars": {},
}

AZURE_CONFIG = {
    "platform_cloud": "azure",
    "platform_environment": "dev",
    "platform_region": "westeurope",
    "platform_cluster_name": "mlops-dev",
    "platform_network": {"cidr": "10.1.0.0/16"},
    "platform_node_pools": {
        "general": {
            "name": "system",
            "instance_types": ["Standard_D4s_v3"],
            "capacity_type": "on_demand",
            "min_size": 1,
            "max_size": 3,
        },
        "training": {
            "name": "training",
            "instance_types": ["Standard_D8s_v3"],
            "capacity_type": "spot",
            "min_size": 2,
            "max_size": 4,
        },
    },
    "platform_service_accounts": {},
    "infrastructure_terraform_vars": {},
}


def changed(config: dict, path: str, value) -> dict:
    """A deep copy of ``config`` with the dotted ``path`` set to ``value``."""
    result = copy.deepcopy(config)
    *parents, leaf = path.split(".")
    node = result
    for part in parents:
        node = node[part]
    node[leaf] = value
    return result


def test_valid_configurations_pass():
    assert AWS.cloud_layer_problems(AWS_CONFIG) == []
    assert AZURE.cloud_layer_problems(AZURE_CONFIG) == []


# ------------------------------------------------------------------------------------------- garbage input
@pytest.mark.parametrize("profile", [AWS, AZURE], ids=["aws", "azure"])
@pytest.mark.parametrize("garbage", [None, 3, "text", [1, 2], {"x": None}])
def test_garbage_never_raises(profile, garbage):
    assert isinstance(profile.cloud_layer_problems(garbage if isinstance(garbage, dict) else {}), list)
    base = AWS_CONFIG if profile is AWS else AZURE_CONFIG
    for key in base:
        assert isinstance(profile.cloud_layer_problems(changed(base, key, garbage)), list)
    for path in ("platform_network.cidr", "platform_network.availability_zones", "platform_node_pools.general"):
        assert isinstance(profile.cloud_layer_problems(changed(base, path, garbage)), list)
    pools = {"general": {"instance_types": garbage, "gpu": True, "max_size": garbage}}
    assert isinstance(profile.cloud_layer_problems(changed(base, "platform_node_pools", pools)), list)


# ------------------------------------------------------------------------------------------- regions
@pytest.mark.parametrize(
    ("profile", "config", "region", "suggestion"),
    [
        (AWS, AWS_CONFIG, "eu-wset-1", "did you mean 'eu-west-1'?"),
        (AWS, AWS_CONFIG, "us-gov-east-2", "did you mean 'us-gov-east-1'?"),
        (AZURE, AZURE_CONFIG, "westeurop", "did you mean 'westeurope'?"),
        (AZURE, AZURE_CONFIG, "germanycentral", "did you mean 'germanywestcentral'?"),
    ],
)
def test_region_that_does_not_exist(profile, config, region, suggestion):
    problems = profile.cloud_layer_problems(changed(config, "platform_region", region))
    assert len(problems) == 1
    assert problems[0].startswith(f"platform_region: {region!r} is not {profile.region_noun} that exists; {suggestion}")
    assert profile.known_regions_source in problems[0]


@pytest.mark.parametrize(
    ("profile", "config", "region"),
    [
        (AWS, AWS_CONFIG, "us-gov-west-1"),
        (AWS, AWS_CONFIG, "cn-northwest-1"),
        (AWS, AWS_CONFIG, "ap-southeast-7"),
        (AZURE, AZURE_CONFIG, "swedencentral"),
        (AZURE, AZURE_CONFIG, "usgovvirginia"),
    ],
)
def test_region_that_exists(profile, config, region):
    assert profile.cloud_layer_problems(changed(config, "platform_region", region)) == []


def test_region_pattern_message_is_kept_and_not_doubled():
    # A value not spelled like a region keeps region_problems' message; the existence rule says nothing.
    assert AWS.region_existence_problems("westeurope") == []
    assert AWS.region_problems("westeurope")[0].startswith("platform_region: 'westeurope' is an Azure region")


def test_aws_region_table_holds_botocore_partitions():
    botocore = pytest.importorskip("botocore")
    with open(os.path.join(os.path.dirname(botocore.__file__), "data", "endpoints.json"), encoding="utf-8") as handle:
        endpoints = json.load(handle)
    regions = {
        region
        for partition in endpoints["partitions"]
        if partition["partition"] in ("aws", "aws-cn", "aws-us-gov")
        for region in partition["regions"]
    }
    assert regions <= facts.AWS_REGIONS
    assert all(AWS.is_region(region) for region in facts.AWS_REGIONS)
    assert all(AZURE.is_region(region) for region in facts.AZURE_REGIONS)


# ------------------------------------------------------------------------------------------- EKS names
def test_eks_name_outside_the_module_validation():
    name = "a" * 33
    problems = AWS.cloud_layer_problems(changed(AWS_CONFIG, "platform_cluster_name", name))
    assert problems == [
        f"platform_cluster_name: {name!r} is not accepted by terraform/modules/eks (var.name): use "
        f"{facts.EKS_NAME_RULE}; it prefixes the IAM role names (the longest, {name}-aws-load-balancer-controller, "
        f"must stay within IAM's 64 characters) and the RDS identifier {name}-mlflow (RDS: starts with a letter)"
    ]


def test_eks_longest_name_fits_every_derived_name():
    assert AWS.cloud_layer_problems(changed(AWS_CONFIG, "platform_cluster_name", "a" * 32)) == []


def test_eks_double_dash_refused_by_rds():
    problems = AWS.cloud_layer_problems(changed(AWS_CONFIG, "platform_cluster_name", "mlops--dev"))
    assert problems == [
        "platform_cluster_name: makes the RDS instance identifier 'mlops--dev-mlflow', which RDS refuses "
        f"({facts.RDS_IDENTIFIER_RULE})"
    ]


def test_eks_bucket_prefix_refused_by_s3():
    problems = AWS.cloud_layer_problems(changed(AWS_CONFIG, "platform_cluster_name", "xn--dev"))
    rds = (
        "platform_cluster_name: makes the RDS instance identifier 'xn--dev-mlflow', which RDS refuses "
        f"({facts.RDS_IDENTIFIER_RULE})"
    )
    assert problems == [rds] + [
        f"platform_cluster_name: makes the S3 bucket name 'xn--dev-{bucket}-<account id>', which S3 refuses "
        f"({facts.S3_BUCKET_RULE})"
        for bucket in ("artifacts", "logs")
    ]
    named = changed(AWS_CONFIG, "infrastructure_terraform_vars", {"artifact_bucket_name": "my-bucket"})
    assert len(AWS.cloud_layer_problems(changed(named, "platform_cluster_name", "xn--dev"))) == 2


def test_eks_names_not_checked_without_terraform():
    config = changed(AWS_CONFIG, "platform_cluster_name", "mlops--dev")
    config["infrastructure_terraform"] = False
    assert AWS.cloud_layer_problems(config) == []


# ------------------------------------------------------------------------------------------- AKS names
def test_aks_unique_suffix_refused():
    config = changed(AZURE_CONFIG, "infrastructure_terraform_vars", {"unique_suffix": "x-1"})
    problems = AZURE.cloud_layer_problems(config)
    assert len(problems) == 1
    assert problems[0].startswith("infrastructure_terraform_vars.unique_suffix: 'x-1' is not accepted by ")


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
@pytest.mark.parametrize("suffix", ["", "z9", "abcd"])
@pytest.mark.parametrize("name", ["ab", "mlops", "a12345678"])
def test_aks_every_derived_name_fits(name, environment, suffix):
    config = dict(AZURE_CONFIG, platform_cluster_name=f"{name}-{environment}", platform_environment=environment)
    config["infrastructure_terraform_vars"] = {"unique_suffix": suffix}
    assert AZURE.cloud_layer_problems(config) == []


def test_aks_derived_name_refused():
    # What a name outside the module's rule would make (terraform_variables reports the name itself).
    names = AZURE.aks_names("ml-ops", "dev")
    assert names["storage_account"] == "ml-opsdevartifacts"
    assert not facts.STORAGE_ACCOUNT_RE.match(names["storage_account"])
    assert not facts.KEY_VAULT_RE.match(AZURE.aks_names("ml", "-dev")["key_vault"])
    assert not facts.REGISTRY_RE.match("ab-cd")


# ------------------------------------------------------------------------------------------- GPU architecture
def test_graviton_gpu_in_the_node_group_pool_refused():
    pools = copy.deepcopy(AWS_CONFIG["platform_node_pools"])
    pools["general"].update(instance_types=["g4dn.xlarge", "g5g.xlarge"], gpu=True)
    problems = AWS.cloud_layer_problems(changed(AWS_CONFIG, "platform_node_pools", pools))
    assert len(problems) == 1
    assert problems[0].startswith(
        "platform_node_pools.general.instance_types[1]: 'g5g.xlarge' is an arm64 (Graviton) GPU type, but the "
        "general pool is the EKS managed node group, which launches GPU nodes from the x86_64 AMI type "
        "AL2023_x86_64_NVIDIA"
    )


def test_gpu_family_the_node_group_validation_refuses():
    pools = copy.deepcopy(AWS_CONFIG["platform_node_pools"])
    pools["general"].update(instance_types=["gr6.4xlarge"], gpu=True)
    problems = AWS.cloud_layer_problems(changed(AWS_CONFIG, "platform_node_pools", pools))
    assert len(problems) == 1
    assert problems[0].startswith("platform_node_pools.general.instance_types[0]: 'gr6.4xlarge' is not among the GPU")


def test_graviton_gpu_in_a_karpenter_pool_is_supported():
    # Karpenter picks the AL2023 arm64 NVIDIA AMI (amazon-eks-ami v20250403, Karpenter >= 1.4) for g5g.
    pools = copy.deepcopy(AWS_CONFIG["platform_node_pools"])
    pools["gpu"]["instance_types"] = ["g5g.xlarge"]
    assert AWS.cloud_layer_problems(changed(AWS_CONFIG, "platform_node_pools", pools)) == []


# ------------------------------------------------------------------------------------------- networks
@pytest.mark.parametrize(
    ("path", "value", "start"),
    [
        (
            "platform_network.cidr",
            "10.0.0.0/22",
            "platform_network.cidr: '10.0.0.0/22' has prefix /22, but "
            "terraform/modules/eks (var.network) takes /16 to /20",
        ),
        (
            "platform_network.availability_zones",
            1,
            "platform_network.availability_zones: 1, but terraform/modules/eks takes 2 to 6: EKS refuses",
        ),
    ],
)
def test_eks_network_refused(path, value, start):
    problems = AWS.cloud_layer_problems(changed(AWS_CONFIG, path, value))
    assert len(problems) == 1
    assert problems[0].startswith(start)


@pytest.mark.parametrize(
    ("path", "value"), [("platform_network.cidr", "10.0.0.0/20"), ("platform_network.availability_zones", 6)]
)
def test_eks_network_ok(path, value):
    assert AWS.cloud_layer_problems(changed(AWS_CONFIG, path, value)) == []


@pytest.mark.parametrize(
    ("cidr", "start"),
    [
        ("10.1.0.0/24", "platform_network.cidr: '10.1.0.0/24' has prefix /24, but terraform/modules/aks"),
        (
            "172.16.0.0/16",
            "platform_network.cidr: '172.16.0.0/16' puts the nodes, database, endpoints subnet(s) "
            "(172.16.0.0/20, 172.16.16.0/24, 172.16.17.0/24) inside the AKS service_cidr 172.16.0.0/16",
        ),
        (
            "192.168.0.0/16",
            "platform_network.cidr: '192.168.0.0/16' puts the nodes subnet(s) (192.168.0.0/20) "
            "inside the AKS pod_cidr 192.168.0.0/16",
        ),
    ],
)
def test_aks_network_refused(cidr, start):
    problems = AZURE.cloud_layer_problems(changed(AZURE_CONFIG, "platform_network.cidr", cidr))
    assert any(problem.startswith(start) for problem in problems), problems


@pytest.mark.parametrize("cidr", ["10.1.0.0/16", "10.10.0.0/20", "172.20.0.0/16", "172.17.0.0/16"])
def test_aks_network_ok(cidr):
    assert AZURE.cloud_layer_problems(changed(AZURE_CONFIG, "platform_network.cidr", cidr)) == []


def test_aks_nodes_subnet_too_small():
    config = changed(AZURE_CONFIG, "platform_network.cidr", "10.10.0.0/20")  # nodes subnet /24: 251 addresses
    config["platform_node_pools"]["training"]["max_size"] = 200  # 200 + 66 surge + general 3 + 1
    problems = AZURE.cloud_layer_problems(config)
    assert problems == [
        "platform_network.cidr: '10.10.0.0/20' gives the nodes subnet (cidr/+4, terraform/modules/aks) a /24 with "
        "251 usable addresses (Azure reserves 5), but platform_node_pools.*.max_size plus the 33% upgrade surge "
        "need 270: AKS could not add the nodes; use a larger range or lower the max_size values"
    ]
    config["platform_node_pools"]["training"]["max_size"] = 185  # 185 + 62 + 4 = 251
    assert AZURE.cloud_layer_problems(config) == []


# ------------------------------------------------------------------------------------------- AKS VM sizes
def test_aks_pool_with_two_vm_sizes_refused():
    config = changed(
        AZURE_CONFIG, "platform_node_pools.training.instance_types", ["Standard_D8s_v3", "Standard_D4s_v3"]
    )
    assert AZURE.cloud_layer_problems(config) == [
        "platform_node_pools.training.instance_types: ['Standard_D8s_v3', 'Standard_D4s_v3'] (list) lists 2 VM "
        "sizes, but an AKS node pool has exactly one VM size (vm_size; terraform/modules/aks takes "
        "instance_types[0] and would drop the rest); list one size, or make one pool per size"
    ]


# ------------------------------------------------------------------------------------------- false rejections
def test_aks_spot_pool_with_a_minimum_is_accepted():
    # AKS allows a spot pool's autoscaler a minimum above zero (learn.microsoft.com/azure/aks/spot-node-pool).
    pool = AZURE_CONFIG["platform_node_pools"]["training"]
    assert pool["capacity_type"] == "spot" and pool["min_size"] == 2
    assert AZURE.node_pool_problems("training", pool) == []
    assert AZURE.cloud_layer_problems(AZURE_CONFIG) == []


def test_pool_labels_are_accepted():
    pool = dict(AZURE_CONFIG["platform_node_pools"]["training"], labels={"team": "ml"})
    assert AZURE.node_pool_problems("training", pool) == []
    pool = dict(AWS_CONFIG["platform_node_pools"]["general"], labels={"team": "ml"})
    assert AWS.node_pool_problems("general", pool) == []


# ------------------------------------------------------------------------------------------- Terraform agreement
hcl2 = pytest.importorskip("hcl2")


def _variable(path: Path, name: str) -> dict:
    with path.open(encoding="utf-8") as handle:
        blocks = hcl2.load(handle)["variable"]
    return next(block[f'"{name}"'] for block in blocks if f'"{name}"' in block)


def _regex_of(condition: str) -> re.Pattern:
    """The pattern of the first regex("...", ...) call in a Terraform condition."""
    match = re.search(r'regex\("((?:[^"\\]|\\.)*)"', condition)
    assert match, condition
    return re.compile(match.group(1).replace("\\\\", "\\"))


NAME_TABLE = [
    "a",
    "ab",
    "abc",
    "mlops",
    "mlops-dev",
    "mlops--dev",
    "Mlops",
    "1mlops",
    "mlops-",
    "ml_ops",
    "a" * 9,
    "a" * 10,
    "a" * 32,
    "a" * 33,
    "a1234567",
    "xn--dev",
    "",
]


def test_eks_name_regex_agrees_with_the_module():
    module = _regex_of(_variable(EKS / "variables.tf", "name")["validation"][0]["condition"])
    for value in NAME_TABLE:
        assert bool(module.match(value)) == bool(facts.EKS_NAME_RE.match(value)), value


def test_aks_name_and_suffix_regexes_agree_with_the_module():
    module = _regex_of(_variable(AKS / "variables.tf", "name")["validation"][0]["condition"])
    suffix = _regex_of(_variable(AKS / "variables.tf", "unique_suffix")["validation"][0]["condition"])
    for value in [*NAME_TABLE, "", "z", "z9", "abcd", "abcde", "A1", "a-1"]:
        assert bool(module.match(value)) == bool(facts.AKS_NAME_RE.match(value)), value
        assert bool(suffix.match(value)) == bool(facts.AKS_UNIQUE_SUFFIX_RE.match(value)), value


def test_eks_network_ranges_agree_with_the_module():
    validations = _variable(EKS / "variables.tf", "network")["validation"]
    cidr = _regex_of(validations[0]["condition"])
    for prefix in range(8, 29):
        value = f"10.0.0.0/{prefix}"
        assert bool(cidr.match(value)) == (facts.EKS_PREFIX_RANGE[0] <= prefix <= facts.EKS_PREFIX_RANGE[1]), value
    zones = [int(n) for n in re.findall(r"availability_zones [<>]= (\d+)", validations[1]["condition"])]
    assert tuple(zones) == facts.EKS_AZ_RANGE


def test_aks_network_facts_agree_with_the_module():
    network = _variable(AKS / "variables.tf", "network")
    bounds = [int(n) for n in re.findall(r"\[1\]\) [<>]= (\d+)", network["validation"][0]["condition"])]
    assert tuple(bounds) == facts.AKS_PREFIX_RANGE
    defaults = dict(re.findall(r'(\w+) = optional\(string, "([^"]+)"\)', network["type"]))
    assert defaults["service_cidr"] == facts.AKS_SERVICE_CIDR
    assert defaults["pod_cidr"] == facts.AKS_POD_CIDR
    subnets = (AKS / "network.tf").read_text(encoding="utf-8")
    assert f"cidrsubnet(var.network.cidr, {facts.AKS_NODES_SUBNET_NEWBITS}, 0)" in subnets
    assert "cidrsubnet(var.network.cidr, 8, 16)" in subnets and "cidrsubnet(var.network.cidr, 8, 17)" in subnets
    for name in ("node_pools.tf", "cluster.tf"):
        assert f'max_surge = "{facts.AKS_MAX_SURGE_PERCENT}%"' in (AKS / name).read_text(encoding="utf-8")


def test_eks_node_group_gpu_families_agree_with_the_module():
    conditions = [v["condition"] for v in _variable(EKS / "variables.tf", "node_pools")["validation"]]
    gpu = next(c for c in conditions if "p.gpu" in c)
    families = re.search(r"contains\(\[([^\]]*)\]", gpu).group(1)
    assert tuple(re.findall(r'"([^"]+)"', families)) == facts.EKS_NODE_GROUP_GPU_FAMILIES
    assert 'ami_type       = each.value.gpu ? "AL2023_x86_64_NVIDIA"' in (EKS / "node_groups.tf").read_text(
        encoding="utf-8"
    )


def _resources(path: Path, kind: str) -> dict:
    with path.open(encoding="utf-8") as handle:
        blocks = hcl2.load(handle).get("resource", [])
    return {
        name.strip('"'): body for block in blocks if f'"{kind}"' in block for name, body in block[f'"{kind}"'].items()
    }


def test_eks_iam_role_names_agree_with_the_module():
    roles = {}
    for path in EKS.glob("*.tf"):
        roles.update(_resources(path, "aws_iam_role"))
    templates = {body["name"] for body in roles.values()}
    fixed = {f'"${{var.name}}-{suffix}"' for suffix in facts.EKS_FIXED_ROLE_SUFFIXES}
    assert templates == fixed | {'"${var.name}-${replace(each.key, "_", "-")}"'}
    assert AWS.eks_role_suffixes(ACCOUNTS)[-len(ACCOUNTS) :] == sorted(key.replace("_", "-") for key in ACCOUNTS)


def test_eks_other_derived_names_agree_with_the_module():
    text = {path.name: path.read_text(encoding="utf-8") for path in EKS.glob("*.tf")}
    assert 'identifier     = "${var.name}-mlflow"' in text["database.tf"]
    assert '"${var.name}-artifacts-${local.account_id}"' in text["storage.tf"]
    assert 'log_bucket_name = "${var.name}-logs-${local.account_id}"' in text["storage.tf"]
    assert 'name          = "${var.name}-karpenter-${each.key}"' in text["karpenter.tf"]
    with (EKS / "karpenter.tf").open(encoding="utf-8") as handle:
        locals_ = [block for block in hcl2.load(handle)["locals"] if "karpenter_events" in block]
    assert tuple(locals_[0]["karpenter_events"]) == facts.EKS_KARPENTER_EVENTS


def _evaluate(template: str, values: dict) -> str:
    """Evaluate one of terraform/modules/aks/main.tf's name templates (interpolation and substr only)."""
    template = template.strip()
    substr = re.fullmatch(r'\$\{substr\("(.*)", (\d+), (\d+)\)\}', template)
    if substr:
        return _evaluate(substr.group(1), values)[int(substr.group(2)) : int(substr.group(2)) + int(substr.group(3))]
    template = template.strip('"')
    return re.sub(r"\$\{([a-z_.]+)\}", lambda match: values[match.group(1)], template)


@pytest.mark.parametrize("suffix", ["", "z9", "abcd"])
@pytest.mark.parametrize(("name", "environment"), [("ab", "dev"), ("mlops", "prod"), ("a12345678", "staging")])
def test_aks_name_derivation_agrees_with_the_module(name, environment, suffix):
    with (AKS / "main.tf").open(encoding="utf-8") as handle:
        local_values = hcl2.load(handle)["locals"][0]
    values = {"var.name": name, "var.environment": environment, "var.unique_suffix": suffix}
    values["local.prefix"] = _evaluate(local_values["prefix"], values)
    values["local.compact"] = _evaluate(local_values["compact"], values)
    derived = AZURE.aks_names(name, environment, suffix)
    assert derived == {key: _evaluate(local_values["names"][key], values) for key in derived}

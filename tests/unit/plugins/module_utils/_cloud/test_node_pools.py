"""CloudProfile.node_pools: the pools as their nodes will be on each cloud, and the tolerations derived from them."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.mlops.platform.plugins.module_utils._cloud import get_profile
from ansible_collections.mlops.platform.plugins.module_utils._cloud.aws import instance_capacity
from ansible_collections.mlops.platform.plugins.module_utils._cloud.base import tolerations_for
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError

AWS, AZURE, LOCAL = get_profile("aws"), get_profile("azure"), get_profile("local")

GPU_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}
TRAINING_TAINT = {"key": "workload", "value": "training", "effect": "NoSchedule"}
SPOT_TAINT = {"key": "kubernetes.azure.com/scalesetpriority", "value": "spot", "effect": "NoSchedule"}


def pools(cloud: str) -> dict:
    """platform_node_pools as the dev inventories spell them (the GPU taint value an unquoted YAML true)."""
    types = {
        "aws": ("t3.large", "c5.2xlarge", "g4dn.xlarge"),
        "azure": ("Standard_D4s_v3", "Standard_D8s_v3", "Standard_NC6s_v3"),
        "local": ("kind", "kind", "kind"),
    }[cloud]
    return {
        "general": {
            "name": "system",
            "instance_types": [types[0]],
            "capacity_type": "on_demand",
            "min_size": 2,
            "max_size": 2,
            "desired_size": 2,
            "taints": [],
        },
        "training": {
            "name": "training",
            "instance_types": [types[1]],
            "capacity_type": "spot",
            "min_size": 0,
            "max_size": 4,
            "taints": [dict(TRAINING_TAINT)],
        },
        "gpu": {
            "name": "gpu",
            "instance_types": [types[2]],
            "capacity_type": "spot",
            "gpu": True,
            "min_size": 0,
            "max_size": 2,
            "taints": [{**GPU_TAINT, "value": True}],
        },
    }


# ---------------------------------------------------------------- what each cloud's nodes carry
def test_aws_node_pools():
    assert AWS.node_pools(pools("aws")) == {
        "general": {
            # the EKS managed node group: EKS labels its capacity type
            "labels": {
                "eks.amazonaws.com/capacityType": "ON_DEMAND",
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/os": "linux",
                "platform.mlops/pool": "general",
            },
            "taints": [],
            "gpu": False,
            "capacity_type": "on_demand",
            "provisioner": "node_group",
            "max_size": 2,
        },
        "gpu": {
            "labels": {
                "karpenter.k8s.aws/instance-gpu-manufacturer": "nvidia",
                "karpenter.sh/capacity-type": "spot",
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/os": "linux",
                "platform.mlops/pool": "gpu",
            },
            "taints": [GPU_TAINT],
            "gpu": True,
            "capacity_type": "spot",
            "provisioner": "karpenter",
            "max_size": 2,
        },
        "training": {
            "labels": {
                "karpenter.sh/capacity-type": "spot",
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/os": "linux",
                "platform.mlops/pool": "training",
            },
            "taints": [TRAINING_TAINT],
            "gpu": False,
            "capacity_type": "spot",
            "provisioner": "karpenter",
            "max_size": 4,
        },
    }


@pytest.mark.parametrize(
    ("key", "changes", "labels"),
    [
        ("general", {"capacity_type": "spot"}, {"eks.amazonaws.com/capacityType": "SPOT"}),
        ("training", {"capacity_type": "on_demand"}, {"karpenter.sh/capacity-type": "on-demand"}),
        # spot that may fall back: Karpenter picks the capacity type, so the nodes carry no fixed one
        ("training", {"on_demand_fallback": True}, {}),
        ("training", {"on_demand_fallback": False}, {"karpenter.sh/capacity-type": "spot"}),
    ],
)
def test_aws_capacity_type_label(key, changes, labels):
    given = pools("aws")
    given[key].update(changes)
    shape = AWS.node_pools(given)[key]
    assert {k: v for k, v in shape["labels"].items() if "capacity" in k.lower()} == labels


def test_azure_node_pools():
    assert AZURE.node_pools(pools("azure")) == {
        "general": {
            "labels": {
                "kubernetes.azure.com/agentpool": "system",
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/os": "linux",
                "platform.mlops/pool": "general",
            },
            "taints": [],
            "gpu": False,
            "capacity_type": "on_demand",
            "provisioner": "cluster_autoscaler",
            "max_size": 2,
        },
        "gpu": {
            "labels": {
                "kubernetes.azure.com/agentpool": "gpu",
                "kubernetes.azure.com/scalesetpriority": "spot",
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/os": "linux",
                "platform.mlops/gpu": "true",
                "platform.mlops/pool": "gpu",
            },
            # the inventory's taint, then the one AKS puts on every spot node
            "taints": [GPU_TAINT, SPOT_TAINT],
            "gpu": True,
            "capacity_type": "spot",
            "provisioner": "cluster_autoscaler",
            "max_size": 2,
        },
        "training": {
            "labels": {
                "kubernetes.azure.com/agentpool": "training",
                "kubernetes.azure.com/scalesetpriority": "spot",
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/os": "linux",
                "platform.mlops/pool": "training",
            },
            "taints": [TRAINING_TAINT, SPOT_TAINT],
            "gpu": False,
            "capacity_type": "spot",
            "provisioner": "cluster_autoscaler",
            "max_size": 4,
        },
    }


def test_azure_spot_taint_is_not_doubled_when_the_inventory_names_it():
    given = pools("azure")
    given["gpu"]["taints"].append(dict(SPOT_TAINT))
    assert AZURE.node_pools(given)["gpu"]["taints"] == [GPU_TAINT, SPOT_TAINT]


def test_azure_on_demand_gpu_pool_has_no_spot_taint():
    given = pools("azure")
    given["gpu"]["capacity_type"] = "on_demand"
    shape = AZURE.node_pools(given)["gpu"]
    assert shape["taints"] == [GPU_TAINT]
    assert "kubernetes.azure.com/scalesetpriority" not in shape["labels"]


def test_local_node_pools_are_fixed_and_add_nothing():
    shapes = LOCAL.node_pools(pools("local"))
    assert {key: shape["provisioner"] for key, shape in shapes.items()} == {
        "general": "fixed",
        "gpu": "fixed",
        "training": "fixed",
    }
    # only what the kubelet adds (kind's node "instance types" say nothing of the architecture)
    assert shapes["gpu"]["labels"] == {"kubernetes.io/os": "linux", "platform.mlops/pool": "gpu"}
    assert shapes["gpu"]["taints"] == [GPU_TAINT]
    assert shapes["training"]["taints"] == [TRAINING_TAINT]


@pytest.mark.parametrize("cloud", ["aws", "azure", "local"])
def test_inventory_labels_are_kept_and_the_pool_label_wins(cloud):
    given = pools(cloud)
    given["training"]["labels"] = {"team": "ml", "platform.mlops/pool": "other", "preemptible": True, "tier": None}
    labels = get_profile(cloud).node_pools(given)["training"]["labels"]
    assert labels["team"] == "ml"
    assert labels["platform.mlops/pool"] == "training"
    # YAML scalars are spelled as Kubernetes label values
    assert labels["preemptible"] == "true"
    assert labels["tier"] == ""
    assert list(labels) == sorted(labels)


@pytest.mark.parametrize(
    ("taint", "expected"),
    [
        ({"key": "a", "value": True, "effect": "NoSchedule"}, {"key": "a", "value": "true", "effect": "NoSchedule"}),
        ({"key": "a", "value": False, "effect": "NoExecute"}, {"key": "a", "value": "false", "effect": "NoExecute"}),
        ({"key": "a", "value": 3, "effect": "NoSchedule"}, {"key": "a", "value": "3", "effect": "NoSchedule"}),
        ({"key": "a", "effect": "PreferNoSchedule"}, {"key": "a", "value": "", "effect": "PreferNoSchedule"}),
        ({"key": "a", "value": None, "effect": "NoSchedule"}, {"key": "a", "value": "", "effect": "NoSchedule"}),
    ],
)
def test_taint_values_are_strings(taint, expected):
    assert AWS.node_pools({"training": {"capacity_type": "on_demand", "taints": [taint]}})["training"]["taints"] == [
        expected
    ]


@pytest.mark.parametrize(
    "taint",
    [
        {"key": "a", "value": "b", "effect": "NoRun"},
        {"value": "b", "effect": "NoSchedule"},
        {"key": 1, "value": "b", "effect": "NoSchedule"},
        "a=b:NoSchedule",
        None,
    ],
)
def test_bad_taint_names_the_pool(taint):
    given = pools("azure")
    given["gpu"]["taints"] = [taint]
    with pytest.raises(
        PlatformError,
        match=r"^platform_node_pools.gpu.taints: each taint must be \{key, value, effect\} with effect one of "
        r"NoSchedule, PreferNoSchedule, NoExecute, got ",
    ):
        AZURE.node_pools(given)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("general", r"^platform_node_pools: must be a mapping of pool role -> settings, got 'general'"),
        (None, r"^platform_node_pools: must be a mapping of pool role -> settings, got null"),
        ({"gpu": None}, r"^platform_node_pools.gpu: must be a mapping of pool settings, got null"),
        ({"gpu": ["g4dn.xlarge"]}, r"^platform_node_pools.gpu: must be a mapping of pool settings, got \['g4dn"),
    ],
)
def test_node_pools_must_be_mappings(value, message):
    with pytest.raises(PlatformError, match=message):
        AWS.node_pools(value)


def test_node_pools_do_not_mutate_and_are_sorted():
    given = pools("azure")
    before = copy.deepcopy(given)
    shapes = AZURE.node_pools(given)
    assert given == before
    assert list(shapes) == ["general", "gpu", "training"]
    assert shapes["gpu"]["taints"][0] is not given["gpu"]["taints"][0]


def test_optional_settings_default():
    (shape,) = AWS.node_pools({"training": {"capacity_type": "on_demand", "taints": None, "labels": None}}).values()
    assert shape == {
        "labels": {
            "karpenter.sh/capacity-type": "on-demand",
            "kubernetes.io/os": "linux",
            "platform.mlops/pool": "training",
        },
        "taints": [],
        "gpu": False,
        "capacity_type": "on_demand",
        "provisioner": "karpenter",
        "max_size": None,
    }


# ---------------------------------------------------------------- tolerations
def toleration(taint: dict) -> dict:
    return {"key": taint["key"], "operator": "Equal", "value": taint["value"], "effect": taint["effect"]}


def test_tolerations_of_every_pool_one_per_distinct_taint():
    shapes = AZURE.node_pools(pools("azure"))
    # pools in key order (general, gpu, training); the spot taint of gpu and training once
    assert tolerations_for(shapes) == [toleration(GPU_TAINT), toleration(SPOT_TAINT), toleration(TRAINING_TAINT)]


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (["gpu"], [GPU_TAINT, SPOT_TAINT]),
        (["training"], [TRAINING_TAINT, SPOT_TAINT]),
        (["general"], []),
        ([], []),
        # order of the keys does not matter: pools are visited in key order
        (["training", "gpu"], [GPU_TAINT, SPOT_TAINT, TRAINING_TAINT]),
    ],
)
def test_tolerations_of_some_pools(keys, expected):
    shapes = AZURE.node_pools(pools("azure"))
    assert tolerations_for(shapes, keys) == [toleration(taint) for taint in expected]


def test_aws_gpu_tolerations_have_no_spot_taint():
    shapes = AWS.node_pools(pools("aws"))
    assert tolerations_for(shapes, ["gpu"]) == [toleration(GPU_TAINT)]


# ---------------------------------------------------------------- EC2 capacity table
@pytest.mark.parametrize(
    ("instance_type", "capacity"),
    [
        ("g4dn.xlarge", (4, 1, "amd64")),
        ("g4dn.12xlarge", (48, 4, "amd64")),
        ("g5.48xlarge", (192, 8, "amd64")),
        ("g5g.xlarge", (4, 1, "arm64")),
        ("g5g.16xlarge", (64, 2, "arm64")),
        ("g6e.2xlarge", (8, 1, "amd64")),
        ("p3.2xlarge", (8, 1, "amd64")),
        ("p4d.24xlarge", (96, 8, "amd64")),
        ("p5.48xlarge", (192, 8, "amd64")),
        ("t3.large", (2, 0, "amd64")),
        ("t3.micro", (2, 0, "amd64")),
        ("t3a.2xlarge", (8, 0, "amd64")),
        ("t4g.medium", (2, 0, "arm64")),
        ("c5.2xlarge", (8, 0, "amd64")),
        ("c5n.18xlarge", (72, 0, "amd64")),
        ("c6gn.4xlarge", (16, 0, "arm64")),
        ("m5.xlarge", (4, 0, "amd64")),
        ("m7g.large", (2, 0, "arm64")),
        ("r5.24xlarge", (96, 0, "amd64")),
    ],
)
def test_instance_capacity(instance_type, capacity):
    assert instance_capacity(instance_type) == capacity


@pytest.mark.parametrize(
    "instance_type",
    [
        "g4dn.metal",  # size not in the table
        "g6f.large",  # GPU family without table entries
        "c5.metal",
        "inf2.xlarge",  # no NVIDIA GPU, not a sized family
        "x2iedn.xlarge",
        "t3.4xlarge",  # burstable sizes end at 2xlarge
        "t3large",
        "Standard_NC6s_v3",
        "",
        None,
        5,
        ["t3.large"],
    ],
)
def test_instance_capacity_unknown(instance_type):
    assert instance_capacity(instance_type) is None


@pytest.mark.parametrize(
    ("cloud", "types", "arch"),
    [
        ("aws", ["g5g.xlarge"], "arm64"),
        ("aws", ["t3.large", "c5.2xlarge"], "amd64"),
        ("azure", ["Standard_D4ps_v5"], "arm64"),
        ("azure", ["Standard_D4s_v3"], "amd64"),
    ],
)
def test_the_kubelets_architecture_label(cloud, types, arch):
    given = pools(cloud)
    given["training"]["instance_types"] = types
    assert get_profile(cloud).node_pools(given)["training"]["labels"]["kubernetes.io/arch"] == arch


def test_mixed_architectures_carry_no_arch_label():
    given = pools("aws")
    given["training"]["instance_types"] = ["m7g.large", "m5.large"]
    assert "kubernetes.io/arch" not in AWS.node_pools(given)["training"]["labels"]

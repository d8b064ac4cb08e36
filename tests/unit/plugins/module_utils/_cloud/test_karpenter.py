"""AWS: Karpenter NodePools derived from platform_node_pools, and the checks that keep the two in step."""

from __future__ import annotations

import pytest

from ansible_collections.mlops.platform.plugins.module_utils._cloud import get_profile
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError

AWS = get_profile("aws")
GENERAL = {
    "instance_types": ["t3.large"],
    "capacity_type": "on_demand",
    "min_size": 2,
    "desired_size": 2,
    "max_size": 2,
    "taints": [],
}
GPU_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}


def node_pool(key: str = "gpu", tuning=None, **pool) -> dict:
    """The Karpenter NodePool of ``platform_node_pools.<key>`` (spot, max 2 unless ``pool`` says otherwise)."""
    entry = {"capacity_type": "spot", "min_size": 0, "max_size": 2, **pool}
    settings = {
        "cluster_name": "mlops-dev",
        "node_pools": {"general": GENERAL, key: entry},
        "karpenter_node_role": "mlops-dev-karpenter-node",
        "karpenter_ami_alias": "al2023@v20250807",
        "karpenter_pools": tuning,
    }
    node_class, nodepool = AWS.autoscaler_objects(settings)["node_pools"]
    assert node_class["kind"] == "EC2NodeClass"
    assert nodepool["kind"] == "NodePool"
    return nodepool


def requirements(nodepool: dict) -> dict:
    found = nodepool["spec"]["template"]["spec"]["requirements"]
    assert all(requirement["operator"] == "In" for requirement in found)
    return {requirement["key"]: requirement["values"] for requirement in found}


# ---------------------------------------------------------------- limits: max_size x the smallest type
@pytest.mark.parametrize(
    ("types", "max_size", "limits"),
    [
        (["g4dn.xlarge"], 2, {"cpu": "8", "nvidia.com/gpu": "2"}),
        (["g4dn.12xlarge"], 1, {"cpu": "48", "nvidia.com/gpu": "4"}),
        (["p4d.24xlarge"], 3, {"cpu": "288", "nvidia.com/gpu": "24"}),
        # mixed types: the smallest vCPUs and the fewest GPUs, so no mix exceeds max_size nodes
        (["g4dn.2xlarge", "g4dn.12xlarge"], 3, {"cpu": "24", "nvidia.com/gpu": "3"}),
        (["g5.12xlarge", "g4dn.xlarge"], 2, {"cpu": "8", "nvidia.com/gpu": "2"}),
    ],
)
def test_gpu_limits(types, max_size, limits):
    assert node_pool(instance_types=types, max_size=max_size, gpu=True, taints=[GPU_TAINT])["spec"]["limits"] == limits


@pytest.mark.parametrize(
    ("types", "max_size", "cpu"),
    [
        (["c5.2xlarge"], 4, "32"),
        (["t3.large"], 5, "10"),
        (["m5.4xlarge", "c5.xlarge", "r5.2xlarge"], 10, "40"),
    ],
)
def test_cpu_limits_without_gpus(types, max_size, cpu):
    assert node_pool("training", instance_types=types, max_size=max_size)["spec"]["limits"] == {"cpu": cpu}


# ---------------------------------------------------------------- requirements: the pool's own types
def test_requirements_are_exactly_the_pools_types():
    found = requirements(node_pool(instance_types=["g5.xlarge", "g4dn.xlarge", "g5.xlarge"], gpu=True))
    assert found == {
        "karpenter.k8s.aws/instance-family": ["g4dn", "g5"],
        "karpenter.sh/capacity-type": ["spot"],
        "kubernetes.io/arch": ["amd64"],
        "kubernetes.io/os": ["linux"],
        # in the inventory's order, each once
        "node.kubernetes.io/instance-type": ["g5.xlarge", "g4dn.xlarge"],
    }


@pytest.mark.parametrize(
    ("types", "arch"),
    [
        (["g5g.xlarge"], ["arm64"]),
        (["m7g.large", "m5.large"], ["amd64", "arm64"]),
        (["c5.xlarge"], ["amd64"]),
    ],
)
def test_arch_comes_from_the_types(types, arch):
    assert requirements(node_pool("training", instance_types=types))["kubernetes.io/arch"] == arch


@pytest.mark.parametrize(
    ("capacity_type", "fallback", "allowed"),
    [
        ("spot", None, ["spot"]),
        ("spot", False, ["spot"]),
        ("spot", True, ["spot", "on-demand"]),
        ("on_demand", None, ["on-demand"]),
    ],
)
def test_capacity_type_spot_unless_the_pool_falls_back(capacity_type, fallback, allowed):
    pool = {"instance_types": ["c5.xlarge"], "capacity_type": capacity_type}
    if fallback is not None:
        pool["on_demand_fallback"] = fallback
    assert requirements(node_pool("training", **pool))["karpenter.sh/capacity-type"] == allowed


def test_template_labels_are_the_pools_but_karpenters_own():
    nodepool = node_pool(instance_types=["g4dn.xlarge"], gpu=True, taints=[GPU_TAINT], labels={"team": "ml"})
    # karpenter.sh/ and karpenter.k8s.aws/ labels are Karpenter's to set (restricted in a NodePool template)
    assert nodepool["spec"]["template"]["metadata"]["labels"] == {"platform.mlops/pool": "gpu", "team": "ml"}
    assert nodepool["spec"]["template"]["spec"]["taints"] == [GPU_TAINT]


def test_tuning_names_the_nodepool_and_the_node_class_keeps_the_key():
    tuning = {"training": {"name": "batch", "volume_size": "50Gi"}}
    nodepool = node_pool("training", tuning=tuning, instance_types=["c5.xlarge"])
    assert nodepool["metadata"]["name"] == "batch"
    assert nodepool["spec"]["template"]["spec"]["nodeClassRef"]["name"] == "training"


def test_general_pool_is_never_a_nodepool():
    settings = {
        "cluster_name": "mlops-dev",
        "node_pools": {"general": GENERAL},
        "karpenter_node_role": "mlops-dev-karpenter-node",
        "karpenter_ami_alias": "al2023@v20250807",
        "karpenter_pools": {"general": {"name": "general"}},
    }
    with pytest.raises(
        PlatformError,
        match=r"karpenter_pools.general: not a Karpenter pool; Karpenter pools \(platform_node_pools but general\): "
        r"none",
    ):
        AWS.autoscaler_objects(settings)


def test_provisioners():
    assert AWS.pool_provisioner("general") == "node_group"
    assert AWS.pool_provisioner("gpu") == "karpenter"
    assert AWS.pool_provisioner("training") == "karpenter"


# ---------------------------------------------------------------- node_pool_problems: what preflight reports
def pool(**overrides):
    return {"instance_types": ["c5.xlarge"], "capacity_type": "spot", "min_size": 0, "max_size": 4, **overrides}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("general", dict(GENERAL)),
        ("general", {**GENERAL, "desired_size": None}),  # sizes not all set: preflight's job
        ("training", pool()),
        ("training", pool(on_demand_fallback=True)),
        ("training", pool(on_demand_fallback=False, capacity_type="on_demand")),
        ("gpu", pool(instance_types=["g4dn.xlarge", "g5g.2xlarge"], gpu=True)),
    ],
)
def test_pool_ok(key, value):
    assert AWS.node_pool_problems(key, value) == []


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        (
            "general",
            {**GENERAL, "min_size": 1, "desired_size": 2, "max_size": 3},
            [
                "platform_node_pools.general: on aws the general pool is the EKS managed node group Karpenter runs "
                "on, and nothing autoscales it (Karpenter scales the other pools); its size is fixed, so set "
                "min_size, desired_size and max_size to one value (got 1, 2, 3)"
            ],
        ),
        (
            "general",
            {**GENERAL, "on_demand_fallback": True},
            [
                "platform_node_pools.general.on_demand_fallback: only Karpenter pools (not general, the EKS node "
                "group) fall back"
            ],
        ),
        (
            "training",
            pool(instance_types=["c5.metal"]),
            [
                "platform_node_pools.training.instance_types[0]: 'c5.metal' is not in the collection's table of EC2 "
                "vCPUs and GPUs (plugins/module_utils/_cloud/aws.py), which the Karpenter NodePool's limits "
                "(max_size x the type's vCPUs and GPUs) need; use a listed type such as t3.large"
            ],
        ),
        (
            "gpu",
            pool(instance_types=["g4dn.xlarge", "g4dn.metal"], gpu=True),
            [
                "platform_node_pools.gpu.instance_types[1]: 'g4dn.metal' is not in the collection's table of EC2 "
                "vCPUs and GPUs (plugins/module_utils/_cloud/aws.py), which the Karpenter NodePool's limits "
                "(max_size x the type's vCPUs and GPUs) need; use a listed type such as g4dn.xlarge"
            ],
        ),
        (
            # misspelled: reported once, as a spelling problem
            "training",
            pool(instance_types=["C5.XLARGE"]),
            [
                "platform_node_pools.training.instance_types[0]: 'C5.XLARGE' is not an EC2 instance type; use "
                "<family>.<size> such as t3.large"
            ],
        ),
        (
            "training",
            pool(capacity_type="on_demand", on_demand_fallback=True),
            ["platform_node_pools.training.on_demand_fallback: only a spot pool can fall back to on-demand"],
        ),
        (
            "training",
            pool(on_demand_fallback="yes"),
            ["platform_node_pools.training.on_demand_fallback: must be true or false, got 'yes'"],
        ),
    ],
)
def test_pool_problems(key, value, expected):
    assert AWS.node_pool_problems(key, value) == expected

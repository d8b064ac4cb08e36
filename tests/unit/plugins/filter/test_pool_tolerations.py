from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.filter.node_pools import node_pools
from ansible_collections.mlops.platform.plugins.filter.pool_tolerations import FilterModule, pool_tolerations

# The Azure dev inventory's pools: both spot pools carry AKS's spot taint besides their own.
SHAPES = node_pools(
    "azure",
    {
        "general": {"name": "system", "capacity_type": "on_demand", "taints": []},
        "training": {
            "name": "training",
            "capacity_type": "spot",
            "taints": [{"key": "workload", "value": "training", "effect": "NoSchedule"}],
        },
        "gpu": {
            "name": "gpu",
            "capacity_type": "spot",
            "gpu": True,
            "taints": [{"key": "nvidia.com/gpu", "value": True, "effect": "NoSchedule"}],
        },
    },
)
GPU = {"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
SPOT = {"key": "kubernetes.azure.com/scalesetpriority", "operator": "Equal", "value": "spot", "effect": "NoSchedule"}
TRAINING = {"key": "workload", "operator": "Equal", "value": "training", "effect": "NoSchedule"}


def test_registered():
    assert FilterModule().filters()["pool_tolerations"] is pool_tolerations


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        # node-level DaemonSets: every pool, each taint once
        ({}, [GPU, SPOT, TRAINING]),
        # GPU workloads and the device plugin: the GPU pools, with the spot taint AKS adds
        ({"gpu": True}, [GPU, SPOT]),
        ({"gpu": False}, [TRAINING, SPOT]),
        ({"keys": ["training"]}, [TRAINING, SPOT]),
        ({"keys": ["general"]}, []),
        ({"keys": []}, []),
        # both filters: the pools that pass both
        ({"keys": ["gpu", "training"], "gpu": True}, [GPU, SPOT]),
        ({"keys": ["general"], "gpu": True}, []),
    ],
)
def test_tolerations(kwargs, expected):
    assert pool_tolerations(SHAPES, **kwargs) == expected


def test_aws_gpu_pool_needs_only_its_own_taint():
    shapes = node_pools(
        "aws",
        {
            "general": {"capacity_type": "on_demand", "taints": []},
            "gpu": {
                "capacity_type": "spot",
                "gpu": True,
                "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}],
            },
        },
    )
    assert pool_tolerations(shapes) == [GPU]
    assert pool_tolerations(shapes, gpu=False) == []


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (["inference"], r"^pool_tolerations: no pool inference; pools: general, gpu, training$"),
        (["gpu", "cpu", "batch"], r"^pool_tolerations: no pool cpu, batch; pools: general, gpu, training$"),
    ],
)
def test_unknown_keys(keys, message):
    with pytest.raises(AnsibleFilterError, match=message):
        pool_tolerations(SHAPES, keys=keys)


@pytest.mark.parametrize(
    "shapes",
    [
        None,
        "gpu",
        [SHAPES["gpu"]],
        {"gpu": "nvidia.com/gpu=true:NoSchedule"},
        # platform_node_pools itself, not what node_pools makes of it
        {"gpu": {"capacity_type": "spot", "gpu": True}},
    ],
)
def test_input_must_be_node_pools_output(shapes):
    with pytest.raises(
        AnsibleFilterError, match=r"^pool_tolerations: the input must be the output of mlops.platform.node_pools$"
    ):
        pool_tolerations(shapes)

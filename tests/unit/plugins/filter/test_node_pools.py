from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.filter.node_pools import FilterModule, node_pools

POOLS = {
    "general": {"name": "system", "capacity_type": "on_demand", "max_size": 2, "taints": []},
    "gpu": {
        "name": "gpu",
        "capacity_type": "spot",
        "gpu": True,
        "max_size": 2,
        "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}],
    },
}


def test_registered():
    assert FilterModule().filters()["node_pools"] is node_pools


@pytest.mark.parametrize(
    ("cloud", "provisioners", "gpu_taint_keys"),
    [
        ("aws", {"general": "node_group", "gpu": "karpenter"}, ["nvidia.com/gpu"]),
        (
            "azure",
            {"general": "cluster_autoscaler", "gpu": "cluster_autoscaler"},
            ["nvidia.com/gpu", "kubernetes.azure.com/scalesetpriority"],
        ),
        ("local", {"general": "fixed", "gpu": "fixed"}, ["nvidia.com/gpu"]),
    ],
)
def test_each_cloud(cloud, provisioners, gpu_taint_keys):
    shapes = node_pools(cloud, POOLS)
    assert {key: shape["provisioner"] for key, shape in shapes.items()} == provisioners
    assert [taint["key"] for taint in shapes["gpu"]["taints"]] == gpu_taint_keys
    assert shapes["gpu"]["labels"]["platform.mlops/pool"] == "gpu"
    assert shapes["gpu"]["gpu"] is True and shapes["general"]["gpu"] is False


@pytest.mark.parametrize(
    ("cloud", "pools", "message"),
    [
        ("gcp", POOLS, r"^node_pools: unknown cloud 'gcp'"),
        ("aws", ["general"], r"^node_pools: platform_node_pools: must be a mapping of pool role -> settings"),
        (
            "azure",
            {"gpu": {"taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoRun"}]}},
            r"^node_pools: platform_node_pools.gpu.taints: each taint must be \{key, value, effect\}",
        ),
    ],
)
def test_errors_are_filter_errors(cloud, pools, message):
    with pytest.raises(AnsibleFilterError, match=message):
        node_pools(cloud, pools)

from __future__ import annotations

import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.filter.autoscaler_objects import FilterModule, autoscaler_objects

GPU_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}
TRAINING_TAINT = {"key": "workload", "value": "training", "effect": "NoSchedule"}
PROMETHEUS = "http://kube-prometheus-stack-prometheus.monitoring.svc:9090"

SETTINGS = {
    "cluster_name": "mlops-dev",
    "node_pools": {
        "general": {"instance_types": ["t3.large"], "taints": []},
        "training": {"instance_types": ["c5.2xlarge"], "taints": [TRAINING_TAINT]},
        "gpu": {"instance_types": ["g4dn.xlarge"], "gpu": True, "taints": [GPU_TAINT]},
    },
    "karpenter_node_role": "mlops-dev-karpenter-node",
    "karpenter_ami_alias": "al2023@v20250807",
    "karpenter_pools": {
        "gpu": {
            "name": "gpu-workloads",
            "requirements": {
                "karpenter.k8s.aws/instance-family": ["g4dn", "g5", "p3", "p4d"],
                "karpenter.sh/capacity-type": ["spot", "on-demand"],
            },
            "limits": {"cpu": 192, "nvidia.com/gpu": "16"},
            "consolidate_after": "10m",
            "expire_after": "720h",
            "volume_size": "200Gi",
        },
        "training": {
            "name": "training-workloads",
            "requirements": {
                "karpenter.sh/capacity-type": ["spot"],
                "karpenter.k8s.aws/instance-size": ["xlarge", "2xlarge", "4xlarge"],
                "karpenter.k8s.aws/instance-category": ["c", "m", "r"],
            },
            "limits": {"cpu": "256"},
            "consolidate_after": "5m",
            "expire_after": "Never",
            "volume_size": "100Gi",
        },
    },
    "scalers": [
        {"name": "training-workload-scaler", "query": "sum(x)", "threshold": "2", "min_replicas": 0, "max_replicas": 8},
        {
            "name": "gpu-workload-scaler",
            "query": "sum(\n  y\n)",
            "threshold": 1,
            "min_replicas": 0,
            "max_replicas": 4,
            "activation_threshold": "0.5",
            "polling_interval": 15,
        },
    ],
    "scaler_targets": {"gpu-workload-scaler": {"kind": "Deployment", "name": "llm-server"}},
    "scaled_objects_namespace": "mlops",
    "prometheus_url": PROMETHEUS,
}


def test_registered():
    assert FilterModule().filters()["autoscaler_objects"] is autoscaler_objects


def test_aws_node_classes_then_node_pools():
    result = autoscaler_objects("aws", copy.deepcopy(SETTINGS))
    assert result["scalers"] == []
    objs = result["node_pools"]
    assert [(o["kind"], o["metadata"]["name"]) for o in objs] == [
        ("EC2NodeClass", "gpu"),
        ("EC2NodeClass", "training"),
        ("NodePool", "gpu-workloads"),
        ("NodePool", "training-workloads"),
    ]
    gpu_class = objs[0]
    assert gpu_class["apiVersion"] == "karpenter.k8s.aws/v1"
    assert gpu_class["spec"]["role"] == "mlops-dev-karpenter-node"
    assert gpu_class["spec"]["amiSelectorTerms"] == [{"alias": "al2023@v20250807"}]
    discovery = [{"tags": {"karpenter.sh/discovery": "mlops-dev"}}]
    assert gpu_class["spec"]["subnetSelectorTerms"] == discovery
    assert gpu_class["spec"]["securityGroupSelectorTerms"] == discovery
    assert gpu_class["spec"]["blockDeviceMappings"][0]["ebs"]["volumeSize"] == "200Gi"


def test_aws_node_pool_takes_taints_and_label_from_platform_node_pools():
    objs = autoscaler_objects("aws", copy.deepcopy(SETTINGS))["node_pools"]
    gpu, training = objs[2], objs[3]
    assert gpu["apiVersion"] == "karpenter.sh/v1"
    template = gpu["spec"]["template"]
    assert template["metadata"]["labels"] == {"platform.mlops/pool": "gpu"}
    assert template["spec"]["taints"] == [GPU_TAINT]
    assert template["spec"]["nodeClassRef"] == {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "gpu"}
    assert template["spec"]["requirements"] == [
        {"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": ["g4dn", "g5", "p3", "p4d"]},
        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot", "on-demand"]},
    ]
    assert gpu["spec"]["limits"] == {"cpu": "192", "nvidia.com/gpu": "16"}
    assert gpu["spec"]["disruption"] == {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "10m"}
    assert template["spec"]["expireAfter"] == "720h"
    assert training["spec"]["template"]["spec"]["taints"] == [TRAINING_TAINT]
    # requirements are sorted by label: stable output whatever the order of the settings
    assert [r["key"] for r in training["spec"]["template"]["spec"]["requirements"]] == [
        "karpenter.k8s.aws/instance-category",
        "karpenter.k8s.aws/instance-size",
        "karpenter.sh/capacity-type",
    ]


def test_aws_pool_without_taints_has_no_taints_field():
    settings = copy.deepcopy(SETTINGS)
    settings["node_pools"]["training"]["taints"] = []
    training = autoscaler_objects("aws", settings)["node_pools"][3]
    assert "taints" not in training["spec"]["template"]["spec"]


def test_input_not_mutated():
    settings = copy.deepcopy(SETTINGS)
    autoscaler_objects("aws", settings)
    autoscaler_objects("azure", settings)
    assert settings == SETTINGS


def test_azure_scaled_objects_only_for_scalers_with_a_target():
    result = autoscaler_objects("azure", copy.deepcopy(SETTINGS))
    assert result["node_pools"] == []
    assert result["scalers"] == [
        {
            "apiVersion": "keda.sh/v1alpha1",
            "kind": "ScaledObject",
            "metadata": {"name": "gpu-workload-scaler", "namespace": "mlops"},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "llm-server"},
                "minReplicaCount": 0,
                "maxReplicaCount": 4,
                "pollingInterval": 15,
                "cooldownPeriod": 300,
                "triggers": [
                    {
                        "type": "prometheus",
                        "metadata": {
                            "serverAddress": PROMETHEUS,
                            "query": "sum( y )",
                            "threshold": "1",
                            "activationThreshold": "0.5",
                        },
                    }
                ],
            },
        }
    ]


def test_azure_no_targets_no_scaled_objects():
    settings = {**copy.deepcopy(SETTINGS), "scaler_targets": {}}
    assert autoscaler_objects("azure", settings) == {"node_pools": [], "scalers": []}
    settings["scaler_targets"] = None
    assert autoscaler_objects("azure", settings)["scalers"] == []


def test_azure_scaled_objects_sorted_by_name():
    settings = copy.deepcopy(SETTINGS)
    settings["scaler_targets"]["training-workload-scaler"] = {"kind": "StatefulSet", "name": "workers"}
    names = [o["metadata"]["name"] for o in autoscaler_objects("azure", settings)["scalers"]]
    assert names == ["gpu-workload-scaler", "training-workload-scaler"]


def _aws(**changes):
    settings = copy.deepcopy(SETTINGS)
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        node = settings
        for part in parents:
            node = node[part]
        if value is KeyError:
            del node[leaf]
        else:
            node[leaf] = value
    return settings


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (_aws(karpenter_ami_alias="al2023@latest"), r"karpenter_ami_alias: 'al2023@latest' is not a pinned"),
        (_aws(karpenter_node_role="arn:aws:iam::1:role/x"), r"karpenter_node_role: .* is not an IAM role name"),
        (_aws(cluster_name=""), r"cluster_name: must be the EKS cluster name"),
        (_aws(node_pools__gpu=KeyError), r"karpenter_pools.gpu: platform_node_pools has no 'gpu' pool"),
        (
            _aws(**{"karpenter_pools__gpu__requirements__karpenter.k8s.aws/instance-family": ["g4dn", "m5"]}),
            r"instance-family: 'm5' has no NVIDIA GPU",
        ),
        (
            _aws(**{"karpenter_pools__training__requirements__karpenter.sh/capacity-type": ["spot", "preemptible"]}),
            r"capacity-type: 'preemptible' is not allowed; allowed: spot, on-demand, reserved",
        ),
        (
            _aws(**{"karpenter_pools__training__requirements__karpenter.sh/capacity-type": KeyError}),
            r"karpenter_pools.training.requirements: karpenter.sh/capacity-type missing",
        ),
        (_aws(karpenter_pools__gpu__consolidate_after="10 minutes"), r"consolidate_after: '10 minutes' is not a"),
        (_aws(karpenter_pools__gpu__volume_size="200"), r"volume_size: '200' is not a size in Gi"),
        (_aws(karpenter_pools__gpu__name="GPU_pool"), r"karpenter_pools.gpu.name 'GPU_pool' is not allowed"),
        (_aws(karpenter_pools__gpu__limits={}), r"karpenter_pools.gpu.limits: must cap"),
        (_aws(karpenter_pools="gpu"), r"karpenter_pools: must be a mapping"),
    ],
)
def test_aws_errors_name_the_setting(settings, message):
    with pytest.raises(AnsibleFilterError, match=r"autoscaler_objects: invalid Karpenter node pools: .*" + message):
        autoscaler_objects("aws", settings)


def test_aws_reports_every_problem_at_once():
    settings = _aws(karpenter_ami_alias="al2023@latest", karpenter_pools__gpu__volume_size="big")
    with pytest.raises(AnsibleFilterError) as err:
        autoscaler_objects("aws", settings)
    assert "karpenter_ami_alias" in str(err.value) and "karpenter_pools.gpu.volume_size" in str(err.value)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"scaler_targets": {"gpu-scaler": {"name": "x"}}}, r"scaler_targets.gpu-scaler: no scaler of that name"),
        (
            {"scaler_targets": {"gpu-workload-scaler": {"kind": "Job", "name": "x"}}},
            r"scaler_targets.gpu-workload-scaler.kind: 'Job' is not allowed; allowed: Deployment, StatefulSet",
        ),
        ({"scaler_targets": {"gpu-workload-scaler": {"kind": "Deployment"}}}, r"gpu-workload-scaler.name: missing"),
        ({"prometheus_url": "prometheus:9090"}, r"prometheus_url: 'prometheus:9090' is not an http\(s\) URL"),
        ({"scaled_objects_namespace": "ML Ops"}, r"scaled_objects_namespace 'ML Ops' is not allowed"),
        ({"scalers": "gpu"}, r"scalers: must be a list"),
    ],
)
def test_azure_errors_name_the_setting(changes, message):
    settings = {**copy.deepcopy(SETTINGS), **changes}
    with pytest.raises(AnsibleFilterError, match=r"autoscaler_objects: invalid KEDA scalers: .*" + message):
        autoscaler_objects("azure", settings)


@pytest.mark.parametrize(
    ("scaler", "message"),
    [
        ({"query": ""}, r"scalers\[0\].query: must be a PromQL expression"),
        ({"threshold": "-1"}, r"scalers\[0\].threshold: '-1' is not a non-negative number"),
        ({"threshold": True}, r"scalers\[0\].threshold: true is not a non-negative number"),
        ({"min_replicas": 9}, r"scalers\[0\]: max_replicas 8 must be at least 1 and at least min_replicas 9"),
        ({"max_replicas": 0}, r"scalers\[0\]: max_replicas 0 must be at least 1"),
        ({"max_replicas": "8"}, r"scalers\[0\].max_replicas: must be a non-negative integer"),
        ({"name": "Training"}, r"scalers\[0\].name 'Training' is not allowed"),
        ({"name": "gpu-workload-scaler"}, r"scalers\[1\].name: 'gpu-workload-scaler' is used twice"),
    ],
)
def test_azure_scaler_errors(scaler, message):
    settings = copy.deepcopy(SETTINGS)
    settings["scalers"][0].update(scaler)
    with pytest.raises(AnsibleFilterError, match=message):
        autoscaler_objects("azure", settings)


@pytest.mark.parametrize("cloud", ["aws", "azure"])
def test_settings_must_be_a_mapping(cloud):
    with pytest.raises(AnsibleFilterError, match=r"autoscaler settings: must be a mapping, got"):
        autoscaler_objects(cloud, ["x"])

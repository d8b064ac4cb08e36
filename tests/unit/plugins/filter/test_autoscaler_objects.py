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
    # platform_node_pools: the one source of the Karpenter NodePools (every pool but general).
    "node_pools": {
        "general": {
            "instance_types": ["t3.large"],
            "capacity_type": "on_demand",
            "min_size": 2,
            "max_size": 2,
            "desired_size": 2,
            "taints": [],
        },
        "training": {
            "instance_types": ["c5.2xlarge"],
            "capacity_type": "spot",
            "min_size": 0,
            "max_size": 4,
            "taints": [TRAINING_TAINT],
        },
        "gpu": {
            "instance_types": ["g4dn.xlarge"],
            "capacity_type": "spot",
            "gpu": True,
            "min_size": 0,
            "max_size": 2,
            "taints": [GPU_TAINT],
        },
    },
    "karpenter_node_role": "mlops-dev-karpenter-node",
    "karpenter_ami_alias": "al2023@v20250807",
    # Only Karpenter's own settings, by pool key.
    "karpenter_pools": {
        "gpu": {"name": "gpu-workloads", "consolidate_after": "10m", "volume_size": "200Gi"},
        "training": {"name": "training-workloads", "consolidate_after": "5m", "expire_after": "Never"},
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
    "scaler_targets": {"gpu-workload-scaler": {"kind": "Deployment", "name": "llm-server", "namespace": "serving"}},
    "prometheus_url": PROMETHEUS,
}


def test_registered():
    assert FilterModule().filters()["autoscaler_objects"] is autoscaler_objects


def test_aws_node_classes_then_node_pools():
    result = autoscaler_objects("aws", copy.deepcopy(SETTINGS))
    assert result["scalers"] == []
    objs = result["node_pools"]
    # every pool but general (the EKS managed node group Karpenter runs on)
    assert [(o["kind"], o["metadata"]["name"]) for o in objs] == [
        ("EC2NodeClass", "gpu"),
        ("EC2NodeClass", "training"),
        ("NodePool", "gpu-workloads"),
        ("NodePool", "training-workloads"),
    ]
    gpu_class, training_class = objs[0], objs[1]
    assert gpu_class["apiVersion"] == "karpenter.k8s.aws/v1"
    assert gpu_class["spec"]["role"] == "mlops-dev-karpenter-node"
    assert gpu_class["spec"]["amiSelectorTerms"] == [{"alias": "al2023@v20250807"}]
    discovery = [{"tags": {"karpenter.sh/discovery": "mlops-dev"}}]
    assert gpu_class["spec"]["subnetSelectorTerms"] == discovery
    assert gpu_class["spec"]["securityGroupSelectorTerms"] == discovery
    assert gpu_class["spec"]["tags"] == {"platform.mlops/pool": "gpu"}
    assert gpu_class["spec"]["blockDeviceMappings"][0]["ebs"]["volumeSize"] == "200Gi"
    # volume_size left out: the default
    assert training_class["spec"]["blockDeviceMappings"][0]["ebs"]["volumeSize"] == "100Gi"


def test_aws_gpu_node_pool_is_the_inventory_pool():
    gpu = autoscaler_objects("aws", copy.deepcopy(SETTINGS))["node_pools"][2]
    assert gpu == {
        "apiVersion": "karpenter.sh/v1",
        "kind": "NodePool",
        "metadata": {"name": "gpu-workloads"},
        "spec": {
            "template": {
                # Karpenter's own labels (capacity type, GPU manufacturer) are Karpenter's to set
                "metadata": {"labels": {"platform.mlops/pool": "gpu"}},
                "spec": {
                    "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "gpu"},
                    # sorted by label; exactly the pool's instance types, spot only (no on_demand_fallback)
                    "requirements": [
                        {"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": ["g4dn"]},
                        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot"]},
                        {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
                        {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
                        {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["g4dn.xlarge"]},
                    ],
                    "expireAfter": "720h",
                    "taints": [GPU_TAINT],
                },
            },
            # max_size 2 x g4dn.xlarge (4 vCPUs, 1 GPU)
            "limits": {"cpu": "8", "nvidia.com/gpu": "2"},
            "disruption": {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "10m"},
        },
    }


def test_aws_training_node_pool_is_the_inventory_pool():
    training = autoscaler_objects("aws", copy.deepcopy(SETTINGS))["node_pools"][3]
    spec = training["spec"]
    assert spec["template"]["spec"]["taints"] == [TRAINING_TAINT]
    assert spec["template"]["spec"]["expireAfter"] == "Never"
    assert spec["disruption"]["consolidateAfter"] == "5m"
    # max_size 4 x c5.2xlarge (8 vCPUs); no GPU limit on a pool without GPUs
    assert spec["limits"] == {"cpu": "32"}
    assert {r["key"]: r["values"] for r in spec["template"]["spec"]["requirements"]} == {
        "karpenter.k8s.aws/instance-family": ["c5"],
        "karpenter.sh/capacity-type": ["spot"],
        "kubernetes.io/arch": ["amd64"],
        "kubernetes.io/os": ["linux"],
        "node.kubernetes.io/instance-type": ["c5.2xlarge"],
    }


def test_aws_pool_without_karpenter_settings_takes_the_defaults():
    settings = copy.deepcopy(SETTINGS)
    del settings["karpenter_pools"]["training"]
    objs = autoscaler_objects("aws", settings)["node_pools"]
    training = objs[3]
    assert training["metadata"]["name"] == "training"
    assert training["spec"]["template"]["spec"]["expireAfter"] == "720h"
    assert training["spec"]["disruption"]["consolidateAfter"] == "10m"
    settings["karpenter_pools"] = None
    assert [o["metadata"]["name"] for o in autoscaler_objects("aws", settings)["node_pools"]] == [
        "gpu",
        "training",
        "gpu",
        "training",
    ]


def test_aws_pool_without_taints_has_no_taints_field():
    settings = copy.deepcopy(SETTINGS)
    settings["node_pools"]["training"]["taints"] = []
    training = autoscaler_objects("aws", settings)["node_pools"][3]
    assert "taints" not in training["spec"]["template"]["spec"]


def test_aws_taint_without_value_has_no_value_field():
    settings = copy.deepcopy(SETTINGS)
    settings["node_pools"]["training"]["taints"] = [{"key": "dedicated", "effect": "NoExecute"}]
    training = autoscaler_objects("aws", settings)["node_pools"][3]
    assert training["spec"]["template"]["spec"]["taints"] == [{"key": "dedicated", "effect": "NoExecute"}]


def test_aws_only_the_general_pool_means_no_karpenter_objects():
    settings = copy.deepcopy(SETTINGS)
    settings["node_pools"] = {"general": settings["node_pools"]["general"]}
    settings["karpenter_pools"] = {}
    assert autoscaler_objects("aws", settings) == {"node_pools": [], "scalers": []}


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
            # in the target's namespace: KEDA scales workloads of its own namespace only
            "metadata": {"name": "gpu-workload-scaler", "namespace": "serving"},
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
    settings["scaler_targets"] = {"gpu-workload-scaler": None}
    assert autoscaler_objects("azure", settings)["scalers"] == []


def test_azure_scaled_objects_sorted_by_name_each_in_its_targets_namespace():
    settings = copy.deepcopy(SETTINGS)
    settings["scaler_targets"]["training-workload-scaler"] = {
        "kind": "StatefulSet",
        "name": "workers",
        "namespace": "argo",
    }
    scalers = autoscaler_objects("azure", settings)["scalers"]
    assert [(o["metadata"]["name"], o["metadata"]["namespace"]) for o in scalers] == [
        ("gpu-workload-scaler", "serving"),
        ("training-workload-scaler", "argo"),
    ]
    assert scalers[1]["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "workers"}


def test_azure_inference_service_is_scaled_through_its_predictor():
    settings = copy.deepcopy(SETTINGS)
    settings["scalers"][1]["query"] = 'sum(rate(requests{exported_namespace="$namespace", ingress="$name"}[2m]))'
    settings["scaler_targets"] = {
        "gpu-workload-scaler": {"kind": "InferenceService", "name": "llm", "namespace": "kserve"}
    }
    (scaled,) = autoscaler_objects("azure", settings)["scalers"]
    assert scaled["metadata"] == {"name": "gpu-workload-scaler", "namespace": "kserve"}
    assert scaled["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "llm-predictor"}
    # the placeholders name the target (the InferenceService), not its predictor
    assert scaled["spec"]["triggers"][0]["metadata"]["query"] == (
        'sum(rate(requests{exported_namespace="kserve", ingress="llm"}[2m]))'
    )


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
        (
            _aws(node_pools__gpu=KeyError),
            r"karpenter_pools.gpu: not a Karpenter pool; Karpenter pools \(platform_node_pools but general\): "
            r"training$",
        ),
        (_aws(karpenter_pools__general={}), r"karpenter_pools.general: not a Karpenter pool"),
        (_aws(karpenter_pools__gpu="big"), r"karpenter_pools.gpu: must be a mapping of NodePool settings"),
        (
            _aws(karpenter_pools__gpu__limits={"cpu": "8"}),
            r"karpenter_pools.gpu: unknown setting\(s\) limits; allowed: name, consolidate_after, expire_after, "
            r"volume_size \(instance types, capacity, sizes and taints come from platform_node_pools.gpu\)",
        ),
        (_aws(karpenter_pools__gpu__consolidate_after="10 minutes"), r"consolidate_after: '10 minutes' is not a"),
        (_aws(karpenter_pools__training__expire_after="30d"), r"training.expire_after: '30d' is not a duration"),
        (_aws(karpenter_pools__gpu__volume_size="200"), r"volume_size: '200' is not a size in Gi"),
        (_aws(karpenter_pools__gpu__name="GPU_pool"), r"karpenter_pools.gpu.name 'GPU_pool' is not allowed"),
        (_aws(karpenter_pools="gpu"), r"karpenter_pools: must map node pool keys to NodePool settings, got 'gpu'"),
        (_aws(node_pools="gpu"), r"node_pools: must be platform_node_pools, got 'gpu'"),
        (_aws(node_pools__gpu=None), r"platform_node_pools.gpu: must be a mapping of pool settings, got null"),
        (
            _aws(node_pools__gpu__instance_types=["g4dn.metal"]),
            r"platform_node_pools.gpu.instance_types\[0\]: 'g4dn.metal' is not in the collection's table of EC2 "
            r"vCPUs and GPUs .* use a listed type such as g4dn.xlarge",
        ),
        (_aws(node_pools__training__instance_types=[]), r"platform_node_pools.training.instance_types: must list"),
        (_aws(node_pools__gpu__max_size=0), r"platform_node_pools.gpu.max_size: must be a positive integer .* got 0"),
        (_aws(node_pools__gpu__on_demand_fallback="yes"), r"gpu.on_demand_fallback: must be true or false, got 'yes'"),
        (
            _aws(node_pools__training__capacity_type="on_demand", node_pools__training__on_demand_fallback=True),
            r"platform_node_pools.training.on_demand_fallback: only a spot pool can fall back to on-demand",
        ),
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
            {"scaler_targets": {"gpu-workload-scaler": {"kind": "Job", "name": "x", "namespace": "ml"}}},
            r"scaler_targets.gpu-workload-scaler.kind: 'Job' is not allowed; "
            r"allowed: Deployment, StatefulSet, InferenceService",
        ),
        (
            {"scaler_targets": {"gpu-workload-scaler": {"kind": "Deployment", "namespace": "ml"}}},
            r"gpu-workload-scaler.name: missing",
        ),
        (
            {"scaler_targets": {"gpu-workload-scaler": {"kind": "Deployment", "name": "x"}}},
            r"gpu-workload-scaler.namespace: missing; use the workload's namespace \(the ScaledObject goes there\)",
        ),
        (
            {"scaler_targets": {"gpu-workload-scaler": {"name": "x", "namespace": "ML Ops"}}},
            r"gpu-workload-scaler.namespace 'ML Ops' is not allowed",
        ),
        (
            {"scaler_targets": {"gpu-workload-scaler": {"name": "x", "namespace": "ml", "replicas": 2}}},
            r"gpu-workload-scaler: unknown setting\(s\) replicas; allowed: kind, name, namespace",
        ),
        (
            {"scaler_targets": {"gpu-workload-scaler": "llm-server"}},
            r"scaler_targets.gpu-workload-scaler: must be \{kind, name, namespace\} of the workload to scale",
        ),
        ({"scaler_targets": ["x"]}, r"scaler_targets: must map scaler names to \{kind, name, namespace\}"),
        ({"prometheus_url": "prometheus:9090"}, r"prometheus_url: 'prometheus:9090' is not an http\(s\) URL"),
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
        (
            {"query": 'sum(up{namespace="$namespace", pod="$pod"})'},
            r"scalers\[0\].query: unknown placeholder\(s\) \$pod; allowed: \$namespace, \$name",
        ),
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

"""Self-tests of platform_checks/behaviour.py: every check passes on a good hand-made set, fails with a
message naming the object on each defect it exists for, and reports "examined nothing" on an empty set;
then every check runs over today's renders of the dev inventories and the test inventories that turn
every optional feature on (tests/integration/inventories/*-full).

Every check passes on every real render, and examines something in the full inventories.
"""

from __future__ import annotations

import copy

import pytest
import yaml

from .conftest import REPO, run_site
from .platform_checks import behaviour as B
from .platform_checks import manifests
from .platform_checks.render_facts import CHECKS, NOT_ON, facts
from .platform_checks.render_facts import INVENTORIES as RENDERED

# --------------------------------------------------------------------------------------------
# hand-made objects

GPU = "nvidia.com/gpu"
SPOT_TAINT = {"key": "kubernetes.azure.com/scalesetpriority", "value": "spot", "effect": "NoSchedule"}
GPU_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}
TOLERATE_GPU = {"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
TOLERATE_SPOT = {
    "key": "kubernetes.azure.com/scalesetpriority",
    "operator": "Equal",
    "value": "spot",
    "effect": "NoSchedule",
}
LINUX = {"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}


def aks_pools() -> dict:
    """An AKS cluster: on-demand system pool, spot GPU pool (AKS adds the spot taint and label)."""
    return {
        "general": {"labels": {**LINUX, "platform.mlops/pool": "general"}, "taints": [], "gpu": False},
        "gpu": {
            "labels": {**LINUX, "platform.mlops/pool": "gpu", "kubernetes.azure.com/scalesetpriority": "spot"},
            "taints": [GPU_TAINT, SPOT_TAINT],
            "gpu": True,
        },
    }


def obj(kind: str, name: str, namespace: str | None = "ml", api: str = "v1", **fields) -> dict:
    meta = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    for key in ("labels", "annotations"):
        if key in fields:
            meta[key] = fields.pop(key)
    return {"apiVersion": api, "kind": kind, "metadata": meta, **fields}


def container(name: str = "main", image: str = "registry.example/app:1.0", gpus: int = 0, **fields) -> dict:
    c = {"name": name, "image": image, **fields}
    if gpus:
        c["resources"] = {"limits": {GPU: str(gpus)}}
    return c


def workload(kind: str, name: str, podspec: dict, namespace: str = "ml", labels: dict | None = None) -> dict:
    labels = labels or {"app": name}
    return obj(
        kind,
        name,
        namespace,
        "apps/v1",
        spec={"selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": podspec}},
    )


def device_plugin(tolerations: list, node_selector: dict | None = None) -> dict:
    podspec = {
        "nodeSelector": node_selector if node_selector is not None else {"platform.mlops/pool": "gpu"},
        "tolerations": tolerations,
        "containers": [
            container(
                "nvidia-device-plugin",
                "nvcr.io/nvidia/k8s-device-plugin:v0.17.1",
                volumeMounts=[{"name": "dp", "mountPath": "/var/lib/kubelet/device-plugins"}],
            )
        ],
        "volumes": [{"name": "dp", "hostPath": {"path": "/var/lib/kubelet/device-plugins", "type": "Directory"}}],
    }
    return workload("DaemonSet", "nvidia-device-plugin", podspec, "nvidia-device-plugin")


def gpu_deployment(tolerations: list, node_selector: dict | None = None, name: str = "llm", ns: str = "ml") -> dict:
    podspec = {"containers": [container(gpus=1)], "tolerations": tolerations}
    if node_selector is not None:
        podspec["nodeSelector"] = node_selector
    return workload("Deployment", name, podspec, ns)


def only(result: B.Result, *needles: str) -> str:
    """The one problem of ``result``, which must contain every needle."""
    assert len(result.problems) == 1, result.problems
    for needle in needles:
        assert needle in result.problems[0], result.problems[0]
    return result.problems[0]


def nothing_examined(result: B.Result) -> None:
    assert result.examined == [] and result.problems == []
    message = result.require_examined()
    assert message == [
        f"{result.check}: examined nothing — the set holds nothing this check looks at, so its pass proves nothing"
    ]


# --------------------------------------------------------------------------------------------
# Result


def test_result_requires_something_examined():
    assert B.Result("x", ["p"], ["a"]).require_examined() == ["p"]
    assert B.Result("x").require_examined("no Ingress") == ["x: examined nothing — no Ingress"]
    assert B.Result("x", [], ["a", "b"]).summary() == "x: examined 2, 0 problem(s)"


# --------------------------------------------------------------------------------------------
# scheduling primitives


@pytest.mark.parametrize(
    ("toleration", "taint", "expected"),
    [
        ({"operator": "Exists"}, SPOT_TAINT, True),  # empty key + Exists: every taint
        ({"operator": "Exists", "effect": "NoExecute"}, SPOT_TAINT, False),
        ({"key": "kubernetes.azure.com/scalesetpriority", "operator": "Exists"}, SPOT_TAINT, True),  # any effect
        (TOLERATE_SPOT, SPOT_TAINT, True),
        ({**TOLERATE_SPOT, "value": "regular"}, SPOT_TAINT, False),
        ({"key": "kubernetes.azure.com/scalesetpriority", "value": "spot"}, SPOT_TAINT, True),  # "" operator = Equal
        ({"key": "dedicated", "operator": "Equal"}, {"key": "dedicated", "effect": "NoSchedule"}, True),  # None == ""
        ({"key": "dedicated", "value": ""}, {"key": "dedicated", "value": None, "effect": "NoSchedule"}, True),
        ({"key": "dedicated", "value": "x"}, {"key": "dedicated", "effect": "NoSchedule"}, False),
        ({"key": "other", "operator": "Exists"}, SPOT_TAINT, False),
        ({"key": "n", "operator": "Gt", "value": "1"}, {"key": "n", "value": "5", "effect": "NoSchedule"}, False),
        ({"key": "flag", "value": True}, {"key": "flag", "value": "true", "effect": "NoSchedule"}, True),
    ],
)
def test_toleration_rules(toleration, taint, expected):
    assert B.tolerates(toleration, taint) is expected


def test_only_noschedule_and_noexecute_taints_block():
    taints = [GPU_TAINT, {"key": "soft", "effect": "PreferNoSchedule"}, {"key": "evict", "effect": "NoExecute"}]
    assert [t["key"] for t in B.untolerated([], taints)] == ["nvidia.com/gpu", "evict"]
    assert B.taint_text(GPU_TAINT) == "nvidia.com/gpu=true:NoSchedule"
    assert B.taint_text({"key": "k", "effect": "NoExecute"}) == "k:NoExecute"


@pytest.mark.parametrize(
    ("requirement", "labels", "expected"),
    [
        ({"key": "zone", "operator": "In", "values": ["a", "b"]}, {"zone": "a"}, True),
        ({"key": "zone", "operator": "In", "values": ["a"]}, {}, False),
        ({"key": "zone", "operator": "NotIn", "values": ["a"]}, {}, True),  # absent label: NotIn holds
        ({"key": "zone", "operator": "NotIn", "values": ["a"]}, {"zone": "a"}, False),
        ({"key": "zone", "operator": "Exists"}, {"zone": ""}, True),
        ({"key": "zone", "operator": "DoesNotExist"}, {}, True),
        ({"key": "gpus", "operator": "Gt", "values": ["1"]}, {"gpus": "4"}, True),
        ({"key": "gpus", "operator": "Gt", "values": ["4"]}, {"gpus": "4"}, False),
        ({"key": "gpus", "operator": "Lt", "values": ["8"]}, {"gpus": "4"}, True),
        ({"key": "gpus", "operator": "Lt", "values": ["8"]}, {"gpus": "many"}, False),
        ({"key": "gpus", "operator": "Gt", "values": ["1", "2"]}, {"gpus": "4"}, False),
        ({"key": "gpus", "operator": "Gt", "values": ["1"]}, {}, False),
        ({"key": "zone", "operator": "Near", "values": ["a"]}, {"zone": "a"}, False),
    ],
)
def test_node_selector_requirements(requirement, labels, expected):
    assert B.requirement_matches(requirement, labels) is expected


def test_node_affinity_terms_are_ored_and_expressions_anded():
    def spec(*terms):
        return {
            "affinity": {
                "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}}
            }
        }

    pool = {"a": "1", "b": "2"}
    both = {
        "matchExpressions": [
            {"key": "a", "operator": "In", "values": ["1"]},
            {"key": "b", "operator": "In", "values": ["3"]},
        ]
    }
    other = {"matchExpressions": [{"key": "b", "operator": "Exists"}]}
    assert not B.node_selection_matches(spec(both), pool)  # ANDed: b is not 3
    assert B.node_selection_matches(spec(both, other), pool)  # ORed: the second term holds
    assert not B.node_selection_matches(spec({}), pool)  # an empty term matches nothing
    assert not B.node_selection_matches({"nodeSelector": {"a": "1", "c": "x"}, **spec(other)}, pool)
    assert B.node_selection_matches({"nodeSelector": {"a": 1}}, pool)  # values compare as strings


# --------------------------------------------------------------------------------------------
# 1. DaemonSets reach their pools


def test_daemonsets_pass_when_they_select_and_tolerate_their_pools():
    exporter = workload(
        "DaemonSet",
        "node-exporter",
        {"tolerations": [{"operator": "Exists"}], "containers": [container()]},
        "monitoring",
    )
    objs = [device_plugin([TOLERATE_GPU, TOLERATE_SPOT]), exporter]
    result = B.daemonsets_reach_pools(objs, aks_pools())
    assert result.problems == []
    assert "DaemonSet/nvidia-device-plugin/nvidia-device-plugin x pool gpu" in result.examined
    assert len(result.examined) == 4


def test_device_plugin_without_the_aks_spot_toleration_misses_the_gpu_pool():
    result = B.daemonsets_reach_pools([device_plugin([TOLERATE_GPU])], aks_pools())
    only(
        result,
        "DaemonSet/nvidia-device-plugin/nvidia-device-plugin",
        "misses gpu pool 'gpu'",
        "kubernetes.azure.com/scalesetpriority=spot:NoSchedule",
        "never advertise nvidia.com/gpu",
    )


def test_device_plugin_must_select_every_gpu_pool():
    pools = aks_pools()
    pools["gpu-a100"] = copy.deepcopy(pools["gpu"])
    pools["gpu-a100"]["labels"]["platform.mlops/pool"] = "gpu-a100"
    result = B.daemonsets_reach_pools([device_plugin([{"operator": "Exists"}])], pools)
    only(result, "misses gpu pool 'gpu-a100'", "does not select it")
    wide = device_plugin([{"operator": "Exists"}], node_selector={"kubernetes.azure.com/scalesetpriority": "spot"})
    assert B.daemonsets_reach_pools([wide], pools).problems == []


def test_daemonset_that_selects_no_pool_or_misses_a_taint():
    nowhere = workload(
        "DaemonSet", "agent", {"nodeSelector": {"kubernetes.io/os": "windows"}, "containers": [container()]}
    )
    only(B.daemonsets_reach_pools([nowhere], aks_pools()), "DaemonSet/ml/agent", "selects no node pool", "never run")
    spot_only = workload(
        "DaemonSet",
        "agent",
        {
            "nodeSelector": {"kubernetes.azure.com/scalesetpriority": "spot"},
            "tolerations": [TOLERATE_GPU],
            "containers": [container()],
        },
    )
    only(B.daemonsets_reach_pools([spot_only], aks_pools()), "selects pool 'gpu'", "scalesetpriority=spot:NoSchedule")


def test_daemonsets_get_the_controller_tolerations_for_node_conditions():
    pools = {
        "cordoned": {"labels": LINUX, "taints": [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}]}
    }
    ds = workload("DaemonSet", "agent", {"containers": [container()]})
    assert B.daemonsets_reach_pools([ds], pools).problems == []
    assert not B.reach({"containers": []}, pools)["cordoned"].lands  # a Deployment's pod does not get them


def test_nvidia_device_plugin_definition():
    assert B.is_nvidia_device_plugin(device_plugin([]))
    other = device_plugin([])
    other["metadata"]["name"] = "sriov-plugin"
    other["spec"]["template"]["spec"]["containers"][0].update(name="sriov", image="example/sriov-device-plugin:1")
    assert not B.is_nvidia_device_plugin(other)  # a device plugin, not NVIDIA's
    unmounted = device_plugin([])
    unmounted["spec"]["template"]["spec"]["volumes"] = []
    assert not B.is_nvidia_device_plugin(unmounted)  # NVIDIA image without the kubelet socket directory
    assert not B.is_nvidia_device_plugin(gpu_deployment([]))


def test_daemonsets_empty_set_examines_nothing():
    nothing_examined(B.daemonsets_reach_pools([], aks_pools()))
    nothing_examined(B.daemonsets_reach_pools([device_plugin([])], {}))


def test_karpenter_node_pools_become_pool_facts():
    pool = obj(
        "NodePool",
        "gpu-workloads",
        None,
        "karpenter.sh/v1",
        spec={
            "template": {
                "metadata": {"labels": {"platform.mlops/pool": "gpu"}},
                "spec": {
                    "requirements": [
                        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot"]},
                        {"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": ["g5", "p4d"]},
                    ],
                    "taints": [GPU_TAINT],
                    "startupTaints": [{"key": "init", "effect": "NoSchedule"}],
                },
            },
            "limits": {GPU: "16"},
        },
    )
    facts = B.karpenter_node_pools([pool])["karpenter:gpu-workloads"]
    assert facts["gpu"] is True and facts["taints"] == [GPU_TAINT]
    assert facts["labels"] == {
        "platform.mlops/pool": "gpu",
        "karpenter.sh/nodepool": "gpu-workloads",
        "karpenter.sh/capacity-type": "spot",
    }


# --------------------------------------------------------------------------------------------
# 2. GPU workloads land on GPU pools


def test_gpu_deployment_that_tolerates_the_gpu_pool_passes():
    objs = [
        device_plugin([{"operator": "Exists"}]),
        gpu_deployment([TOLERATE_GPU, TOLERATE_SPOT], {"platform.mlops/pool": "gpu"}),
    ]
    result = B.gpu_workloads_land_on_gpu_pools(objs, aks_pools())
    assert result.problems == []
    assert result.examined == ["Deployment/ml/llm requests nvidia.com/gpu 1 x pools ['general', 'gpu']"]


def test_gpu_pod_missing_the_spot_toleration_lands_nowhere():
    objs = [device_plugin([{"operator": "Exists"}]), gpu_deployment([TOLERATE_GPU], {"platform.mlops/pool": "gpu"})]
    only(
        B.gpu_workloads_land_on_gpu_pools(objs, aks_pools()),
        "Deployment/ml/llm",
        "can be scheduled on no node pool",
        "pool 'gpu': taint kubernetes.azure.com/scalesetpriority=spot:NoSchedule not tolerated",
        "pool 'general': its labels do not satisfy",
    )


def test_gpu_pod_that_lands_only_on_cpu_pools_stays_pending():
    objs = [device_plugin([{"operator": "Exists"}]), gpu_deployment([])]
    only(B.gpu_workloads_land_on_gpu_pools(objs, aks_pools()), "lands only on pool(s) ['general']", "no GPUs")


def test_gpu_pod_may_also_land_on_a_cpu_pool():
    objs = [device_plugin([{"operator": "Exists"}]), gpu_deployment([{"operator": "Exists"}])]
    assert B.gpu_workloads_land_on_gpu_pools(objs, aks_pools()).problems == []


def test_gpu_pool_without_the_device_plugin_advertises_no_gpus():
    objs = [
        device_plugin([TOLERATE_GPU]),
        gpu_deployment([TOLERATE_GPU, TOLERATE_SPOT], {"platform.mlops/pool": "gpu"}),
    ]
    only(B.gpu_workloads_land_on_gpu_pools(objs, aks_pools()), "no NVIDIA device plugin DaemonSet", "stays Pending")
    assert B.gpu_workloads_land_on_gpu_pools(objs, aks_pools(), require_device_plugin=False).problems == []


def test_inference_service_predictor_is_a_gpu_pod():
    isvc = obj(
        "InferenceService",
        "llm",
        "kserve",
        "serving.kserve.io/v1beta1",
        spec={
            "predictor": {
                "nodeSelector": {"platform.mlops/pool": "gpu"},
                "tolerations": [TOLERATE_GPU],
                "model": {"modelFormat": {"name": "huggingface"}, "resources": {"limits": {GPU: "1"}}},
            }
        },
    )
    result = B.gpu_workloads_land_on_gpu_pools([device_plugin([{"operator": "Exists"}]), isvc], aks_pools())
    only(result, "InferenceService/kserve/llm spec.predictor", "no node pool", "scalesetpriority=spot")
    isvc["spec"]["predictor"]["tolerations"].append(TOLERATE_SPOT)
    assert (
        B.gpu_workloads_land_on_gpu_pools([device_plugin([{"operator": "Exists"}]), isvc], aks_pools()).problems == []
    )


def test_argo_template_scheduling_overrides_the_workflow_spec():
    template = obj(
        "WorkflowTemplate",
        "train",
        "argo",
        "argoproj.io/v1alpha1",
        spec={
            "nodeSelector": {"platform.mlops/pool": "gpu"},
            "tolerations": [TOLERATE_GPU, TOLERATE_SPOT],
            "templates": [
                {"name": "main", "steps": [[{"name": "fit", "template": "fit"}]]},
                {"name": "fit", "container": container(gpus=2), "tolerations": [TOLERATE_GPU]},
                {"name": "eval", "script": {**container(gpus=1), "source": "print(1)"}},
            ],
        },
    )
    result = B.gpu_workloads_land_on_gpu_pools([device_plugin([{"operator": "Exists"}]), template], aks_pools())
    # the template's own tolerations replace the workflow's (no spot toleration); eval inherits the workflow's
    only(result, "WorkflowTemplate/argo/train template fit", "nvidia.com/gpu 2", "no node pool")
    assert len(result.examined) == 2


def test_argo_controller_workflow_defaults_and_cron_workflows():
    config = {"workflowDefaults": {"spec": {"tolerations": [TOLERATE_GPU, TOLERATE_SPOT]}}}
    configmap = obj(
        "ConfigMap", "argo-workflows-workflow-controller-configmap", "argo", data={"config": yaml.safe_dump(config)}
    )
    cron = obj(
        "CronWorkflow",
        "nightly",
        "argo",
        "argoproj.io/v1alpha1",
        spec={
            "workflowSpec": {
                "nodeSelector": {"platform.mlops/pool": "gpu"},
                "templates": [{"name": "t", "container": container(gpus=1)}],
            }
        },
    )
    plugin = device_plugin([{"operator": "Exists"}])
    assert B.gpu_workloads_land_on_gpu_pools([plugin, configmap, cron], aks_pools()).problems == []
    only(B.gpu_workloads_land_on_gpu_pools([plugin, cron], aks_pools()), "CronWorkflow/argo/nightly template t")


def test_gpu_workloads_empty_set_examines_nothing():
    nothing_examined(
        B.gpu_workloads_land_on_gpu_pools([workload("Deployment", "web", {"containers": [container()]})], aks_pools())
    )


# --------------------------------------------------------------------------------------------
# 3. GPU quota where GPU work runs


def quota(namespace: str, hard: dict, name: str = "gpu-quota") -> dict:
    return obj("ResourceQuota", name, namespace, spec={"hard": hard})


def test_gpu_quota_beside_the_gpu_work_passes():
    result = B.gpu_quota_where_gpu_work_runs([gpu_deployment([]), quota("ml", {"requests.nvidia.com/gpu": "4"})])
    assert result.problems == []
    assert "namespace ml: GPU work ['Deployment/ml/llm']" in result.examined


def test_gpu_quota_in_the_wrong_namespace():
    result = B.gpu_quota_where_gpu_work_runs([gpu_deployment([]), quota("mlops", {"requests.nvidia.com/gpu": "4"})])
    assert len(result.problems) == 2, result.problems
    assert "ResourceQuota/mlops/gpu-quota: limits GPUs in namespace 'mlops'" in result.problems[0]
    assert "constrains nothing (GPU work runs in: ['ml'])" in result.problems[0]
    assert result.problems[1].startswith("namespace 'ml': runs GPU work (Deployment/ml/llm) but no ResourceQuota")


def test_gpu_quota_keys_must_use_the_requests_prefix():
    result = B.gpu_quota_where_gpu_work_runs(
        [gpu_deployment([]), quota("ml", {"limits.nvidia.com/gpu": "4", GPU: "4"})]
    )
    assert sum("is not valid for an extended resource" in p for p in result.problems) == 2
    assert any("no ResourceQuota there limits 'requests.nvidia.com/gpu'" in p for p in result.problems)


def test_gpu_quota_of_zero_rejects_the_namespace_gpu_work():
    only(B.gpu_quota_where_gpu_work_runs([gpu_deployment([]), quota("ml", {"requests.nvidia.com/gpu": 0})]), "is 0")


def test_limit_range_that_hands_out_gpus():
    limit_range = obj(
        "LimitRange",
        "defaults",
        "ml",
        spec={"limits": [{"type": "Container", "default": {GPU: "1"}, "defaultRequest": {"cpu": "100m"}}]},
    )
    only(B.gpu_quota_where_gpu_work_runs([limit_range]), "LimitRange/ml/defaults", "limits[0].default", "gets one")
    limit_range["spec"]["limits"][0] = {"type": "Container", "min": {GPU: "1"}}
    only(B.gpu_quota_where_gpu_work_runs([limit_range]), "limits[0].min", "rejected")
    limit_range["spec"]["limits"][0] = {"type": "Container", "max": {GPU: "2"}}
    assert B.gpu_quota_where_gpu_work_runs([limit_range]).problems == []


def test_runtime_gpu_namespaces_and_argo_executor_namespaces():
    role = obj(
        "Role",
        "workflow",
        "argo",
        "rbac.authorization.k8s.io/v1",
        rules=[{"apiGroups": ["argoproj.io"], "resources": ["workflowtaskresults"], "verbs": ["create", "patch"]}],
    )
    binding = obj(
        "RoleBinding",
        "workflow",
        "argo",
        "rbac.authorization.k8s.io/v1",
        roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "workflow"},
        subjects=[{"kind": "ServiceAccount", "name": "argo-workflow", "namespace": "argo"}],
    )
    assert B.argo_workflow_namespaces([role, binding]) == {"argo"}
    result = B.gpu_quota_where_gpu_work_runs([quota("argo", {"requests.nvidia.com/gpu": "4"})], {"argo"})
    assert result.problems == []
    assert "namespace argo: GPU work ['GPU work submitted at run time (caller)']" in result.examined


def test_gpu_quota_empty_set_examines_nothing():
    nothing_examined(B.gpu_quota_where_gpu_work_runs([]))


# --------------------------------------------------------------------------------------------
# 4. exposure


def nginx_controller(controller_class: str, name: str = "ingress-nginx-internal") -> dict:
    args = ["/nginx-ingress-controller", f"--controller-class={controller_class}", f"--ingress-class={name}"]
    return workload(
        "Deployment",
        f"{name}-controller",
        {"containers": [container("controller", "registry.k8s.io/ingress-nginx/controller:v1.14.1", args=args)]},
        "ingress",
        {"app.kubernetes.io/instance": name, "app.kubernetes.io/component": "controller"},
    )


def load_balancer(name: str, instance: str, internal: bool, namespace: str = "ingress") -> dict:
    annotations = {"service.beta.kubernetes.io/azure-load-balancer-internal": "true"} if internal else {}
    return obj(
        "Service",
        name,
        namespace,
        annotations=annotations,
        spec={
            "type": "LoadBalancer",
            "selector": {"app.kubernetes.io/instance": instance},
            "ports": [{"name": "https", "port": 443}],
        },
    )


def ingress(
    name: str, host: str, class_name: str, namespace: str = "ml", annotations: dict | None = None, tls=None
) -> dict:
    spec = {"ingressClassName": class_name, "rules": [{"host": host, "http": {"paths": []}}]}
    if tls is not None:
        spec["tls"] = tls
    return obj("Ingress", name, namespace, "networking.k8s.io/v1", annotations=annotations or {}, spec=spec)


def ingress_class(name: str, controller: str, **spec) -> dict:
    return obj("IngressClass", name, None, "networking.k8s.io/v1", spec={"controller": controller, **spec})


def azure_internal_set(internal: bool = True) -> list:
    return [
        ingress_class("nginx-internal", "k8s.io/ingress-nginx-internal"),
        nginx_controller("k8s.io/ingress-nginx-internal"),
        load_balancer("ingress-nginx-internal-controller", "ingress-nginx-internal", internal),
        ingress("mlflow", "mlflow.dev.example.com", "nginx-internal"),
    ]


def test_azure_internal_host_behind_an_internal_load_balancer_passes():
    result = B.exposure(azure_internal_set(), {"mlflow.dev.example.com": "internal"}, "azure")
    assert result.problems == []
    assert result.examined == [
        "Ingress/ml/mlflow host mlflow.dev.example.com via class nginx-internal: internal",
        "Service/ingress/ingress-nginx-internal-controller LoadBalancer (internal)",
    ]


def test_azure_internal_wish_behind_a_public_load_balancer():
    result = B.exposure(azure_internal_set(internal=False), {"mlflow.dev.example.com": "internal"}, "azure")
    only(result, "Ingress/ml/mlflow", "should be internal but is internet-facing", "reachable from the internet")


def test_azure_class_that_reaches_an_internal_and_a_public_load_balancer_is_public():
    objs = [*azure_internal_set(), load_balancer("second", "ingress-nginx-internal", internal=False)]
    only(B.exposure(objs, {"mlflow.dev.example.com": "internal"}, "azure"), "is internet-facing")


def test_exposure_reports_unwished_hosts_missing_hosts_and_stray_load_balancers():
    objs = [*azure_internal_set(), load_balancer("stray", "nobody", internal=False, namespace="ml")]
    result = B.exposure(objs, {"argo.dev.example.com": "internal"}, "azure")
    assert len(result.problems) == 3, result.problems
    assert "host mlflow.dev.example.com is served (internal) but is not in the expected exposures" in result.problems[0]
    assert result.problems[1] == "host argo.dev.example.com: expected internal, but no Ingress in the set serves it"
    assert result.problems[2].startswith("Service/ml/stray: unexpected internet-facing load balancer")
    bad = B.exposure(azure_internal_set(), {"mlflow.dev.example.com": "private"}, "azure")
    assert any("must be one of" in p for p in bad.problems)


def test_exposure_of_a_class_without_controller_or_load_balancer():
    objs = azure_internal_set()[:1] + azure_internal_set()[3:]
    only(B.exposure(objs, {"mlflow.dev.example.com": "internal"}, "azure"), "resolves to no controller workload")
    objs = azure_internal_set()[:2] + azure_internal_set()[3:]
    only(B.exposure(objs, {"mlflow.dev.example.com": "internal"}, "azure"), "behind no Service of type LoadBalancer")
    objs = azure_internal_set()[1:]
    problems = B.exposure(objs, {"mlflow.dev.example.com": "internal"}, "azure").problems
    assert any("IngressClass 'nginx-internal' is not in the set" in p for p in problems)


def alb_set(*ingresses) -> list:
    controller = workload(
        "Deployment",
        "aws-load-balancer-controller",
        {
            "containers": [
                container(
                    "controller",
                    "public.ecr.aws/eks/aws-load-balancer-controller:v2.16.0",
                    args=["--ingress-class=alb"],
                )
            ]
        },
        "ingress",
    )
    return [ingress_class("alb", "ingress.k8s.aws/alb"), controller, *ingresses]


def test_alb_scheme_annotation_and_its_internal_default():
    internal = ingress("a", "a.example.com", "alb", annotations={B.ALB_SCHEME: "internal"})
    public = ingress("b", "b.example.com", "alb", annotations={B.ALB_SCHEME: "internet-facing"})
    unset = ingress("c", "c.example.com", "alb")
    wish = {"a.example.com": "internal", "b.example.com": "internet-facing", "c.example.com": "internal"}
    assert B.exposure(alb_set(internal, public, unset), wish, "aws").problems == []
    only(
        B.exposure(alb_set(unset), {"c.example.com": "internet-facing"}, "aws"),
        "should be internet-facing but is internal",
        "default",
    )


def test_alb_group_has_one_scheme():
    group = {B.ALB_GROUP: "shared"}
    public = ingress("b", "b.example.com", "alb", annotations={**group, B.ALB_SCHEME: "internet-facing"})
    unset = ingress("c", "c.example.com", "alb", annotations=group)
    result = B.exposure(
        alb_set(public, unset), {"b.example.com": "internet-facing", "c.example.com": "internal"}, "aws"
    )
    only(result, "Ingress/ml/c", "should be internal but is internet-facing", "ALB group 'shared'")
    internal = ingress("a", "a.example.com", "alb", annotations={**group, B.ALB_SCHEME: "internal"})
    result = B.exposure(
        alb_set(public, internal), {"a.example.com": "internal", "b.example.com": "internet-facing"}, "aws"
    )
    assert len(result.problems) == 2 and all("conflicting schemes" in p for p in result.problems)


def test_alb_ingress_class_params_scheme_wins():
    params = obj("IngressClassParams", "alb", None, "elbv2.k8s.aws/v1beta1", spec={"scheme": "internet-facing"})
    objs = alb_set(ingress("a", "a.example.com", "alb", annotations={B.ALB_SCHEME: "internal"}))
    objs[0]["spec"]["parameters"] = {"apiGroup": "elbv2.k8s.aws", "kind": "IngressClassParams", "name": "alb"}
    only(B.exposure([*objs, params], {"a.example.com": "internal"}, "aws"), "IngressClassParams of class alb")
    only(B.exposure(objs[:1] + objs[2:], {"a.example.com": "internal"}, "aws"), "no AWS Load Balancer Controller")


def test_load_balancer_scheme_rules():
    svc = load_balancer("x", "y", internal=False)
    assert B.load_balancer_scheme(svc, "aws") == "internet-facing"  # in-tree provider
    svc["metadata"]["annotations"] = {"service.beta.kubernetes.io/aws-load-balancer-type": "external"}
    assert B.load_balancer_scheme(svc, "aws") == "internal"  # AWS Load Balancer Controller default
    svc["metadata"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-scheme"] = "internet-facing"
    assert B.load_balancer_scheme(svc, "aws") == "internet-facing"
    assert B.load_balancer_scheme(load_balancer("x", "y", internal=True), "azure") == "internal"


def test_exposure_empty_set_examines_nothing():
    nothing_examined(B.exposure([], {}, "azure"))


# --------------------------------------------------------------------------------------------
# 5. TLS

ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
HTTPS_PORTS = '[{"HTTP": 80}, {"HTTPS": 443}]'


def test_alb_host_with_https_redirect_and_acm_certificate_passes():
    good = {B.ALB_LISTEN_PORTS: HTTPS_PORTS, B.ALB_SSL_REDIRECT: "443", B.ALB_CERTIFICATE_ARN: ARN}
    result = B.tls(alb_set(ingress("a", "a.example.com", "alb", annotations=good)), "aws")
    assert result.problems == [] and result.examined == ["Ingress/ml/a host a.example.com (ALB)"]
    discovered = {B.ALB_LISTEN_PORTS: HTTPS_PORTS, B.ALB_SSL_REDIRECT: "443"}
    tls_hosts = [{"hosts": ["*.example.com"]}]
    assert (
        B.tls(alb_set(ingress("a", "a.example.com", "alb", annotations=discovered, tls=tls_hosts)), "aws").problems
        == []
    )


@pytest.mark.parametrize(
    ("annotations", "needle"),
    [
        ({}, "listens on ['HTTP'] only: served without TLS"),
        ({B.ALB_LISTEN_PORTS: HTTPS_PORTS, B.ALB_CERTIFICATE_ARN: ARN}, "is not redirected"),
        (
            {B.ALB_LISTEN_PORTS: HTTPS_PORTS, B.ALB_SSL_REDIRECT: "8443", B.ALB_CERTIFICATE_ARN: ARN},
            "is not redirected",
        ),
        ({B.ALB_LISTEN_PORTS: HTTPS_PORTS, B.ALB_SSL_REDIRECT: "443"}, "no certificate source"),
        ({B.ALB_LISTEN_PORTS: "[HTTPS]"}, "is not a JSON list"),
    ],
)
def test_alb_tls_defects(annotations, needle):
    only(B.tls(alb_set(ingress("a", "a.example.com", "alb", annotations=annotations)), "aws"), "Ingress/ml/a", needle)


def test_alb_certificate_arn_must_be_an_acm_arn():
    annotations = {
        B.ALB_LISTEN_PORTS: HTTPS_PORTS,
        B.ALB_SSL_REDIRECT: "443",
        B.ALB_CERTIFICATE_ARN: "arn:aws:iam::1:server-certificate/x",
    }
    problems = B.tls(alb_set(ingress("a", "a.example.com", "alb", annotations=annotations)), "aws").problems
    assert any("is not an ACM certificate ARN" in p for p in problems) and any(
        "no certificate source" in p for p in problems
    )
    assert (
        B.tls(alb_set(ingress("a", "a.example.com", "alb", annotations={B.ALB_CERTIFICATE_ARN: ARN})), "aws").problems
        == []
    )


def cluster_issuer(name: str = "letsencrypt", solver: dict | None = None) -> dict:
    solvers = [solver or {"dns01": {"azureDNS": {"hostedZoneName": "example.com"}}}]
    return obj(
        "ClusterIssuer", name, None, "cert-manager.io/v1", spec={"acme": {"server": "https://acme", "solvers": solvers}}
    )


def certificate(secret: str, dns_names: list, issuer: str = "letsencrypt", namespace: str = "ml") -> dict:
    return obj(
        "Certificate",
        secret,
        namespace,
        "cert-manager.io/v1",
        spec={"secretName": secret, "dnsNames": dns_names, "issuerRef": {"kind": "ClusterIssuer", "name": issuer}},
    )


def nginx_tls_set(*extra, annotations=None, tls=None) -> list:
    tls = tls if tls is not None else [{"hosts": ["mlflow.dev.example.com"], "secretName": "mlflow-tls"}]
    return [
        *azure_internal_set()[:3],
        ingress("mlflow", "mlflow.dev.example.com", "nginx-internal", annotations=annotations, tls=tls),
        *extra,
    ]


def test_nginx_host_with_a_certificate_from_an_issuer_of_the_set_passes():
    objs = nginx_tls_set(cluster_issuer(), certificate("mlflow-tls", ["*.dev.example.com"]))
    result = B.tls(objs, "azure", expected={"mlflow.dev.example.com": "internal"})
    assert result.problems == []
    assert result.examined == ["Ingress/ml/mlflow host mlflow.dev.example.com (certificate from the cluster)"]
    shim = nginx_tls_set(cluster_issuer(), annotations={B.SHIM_CLUSTER_ISSUER: "letsencrypt"})
    assert B.tls(shim, "azure").problems == []


@pytest.mark.parametrize(
    ("objs", "needle"),
    [
        (nginx_tls_set(cluster_issuer(), tls=[]), "no spec.tls entry covers the host: served over plain HTTP"),
        (nginx_tls_set(cluster_issuer(), tls=[{"hosts": ["mlflow.dev.example.com"]}]), "has no secretName"),
        (nginx_tls_set(cluster_issuer()), "nothing produces TLS Secret 'mlflow-tls'"),
        (nginx_tls_set(cluster_issuer(), certificate("mlflow-tls", ["*.example.com"])), "do not cover the host"),
        (nginx_tls_set(certificate("mlflow-tls", ["mlflow.dev.example.com"])), "which is not in the set"),
        (nginx_tls_set(annotations={B.SHIM_ISSUER: "ca"}), "names Issuer 'ca', which is not in the set"),
        (
            nginx_tls_set(
                cluster_issuer(), annotations={B.SHIM_CLUSTER_ISSUER: "letsencrypt", B.NGINX_SSL_REDIRECT: "false"}
            ),
            "served over plain HTTP too",
        ),
    ],
)
def test_nginx_tls_defects(objs, needle):
    only(B.tls(objs, "azure"), "Ingress/ml/mlflow: host mlflow.dev.example.com", needle)


def test_http01_cannot_issue_for_an_internal_host():
    http01 = cluster_issuer(solver={"http01": {"ingress": {"ingressClassName": "nginx"}}})
    objs = nginx_tls_set(http01, annotations={B.SHIM_CLUSTER_ISSUER: "letsencrypt"})
    only(
        B.tls(objs, "azure", expected={"mlflow.dev.example.com": "internal"}),
        "ClusterIssuer/-/letsencrypt",
        "HTTP-01 only",
    )
    assert B.tls(objs, "azure", expected={"mlflow.dev.example.com": "internet-facing"}).problems == []
    zoned = copy.deepcopy(http01)
    zoned["spec"]["acme"]["solvers"].append({"selector": {"dnsZones": ["dev.example.com"]}, "dns01": {"azureDNS": {}}})
    objs = nginx_tls_set(zoned, annotations={B.SHIM_CLUSTER_ISSUER: "letsencrypt"})
    assert B.tls(objs, "azure", expected={"mlflow.dev.example.com": "internal"}).problems == []


def test_issuers_outside_the_set_and_wildcard_coverage():
    objs = nginx_tls_set(annotations={B.SHIM_CLUSTER_ISSUER: "corporate-ca"})
    assert B.tls(objs, "azure", issuers=["ClusterIssuer/corporate-ca"]).problems == []
    assert B.host_covered("*.example.com", "a.example.com")
    assert not B.host_covered("*.example.com", "a.b.example.com")
    assert not B.host_covered("*.example.com", "example.com")


def test_tls_empty_set_examines_nothing():
    nothing_examined(B.tls([], "aws"))


# --------------------------------------------------------------------------------------------
# PromQL tokenizer


@pytest.mark.parametrize(
    ("expr", "metrics"),
    [
        ("up", {"up"}),
        ('sum by (namespace, le) (rate(foo_total{job="x", le=~"a|b"}[5m]))', {"foo_total"}),
        (
            "sum(rate(a_total[5m])) without (instance) / on (namespace) group_left(owner) b offset 5m > bool 0",
            {"a_total", "b"},
        ),
        ("# a comment with fake_metric\nreal_metric", {"real_metric"}),
        ('label_replace(m1, "dst", "$1", "src", "(.*){x}")', {"m1"}),
        ('{__name__="by_name", job="j"}', {"by_name"}),
        ('{__name__=~"alt_a|alt_b"}', {"alt_a", "alt_b"}),
        ('{"quoted.metric", job="j"}', {"quoted.metric"}),
        ("histogram_quantile(0.9, sum by (le) (rate(h_bucket[5m])))", {"h_bucket"}),
        ("max_over_time(m3[1h:5m]) @ start() unless on() vector(1)", {"m3"}),
        ('count_values("version", build_info) or absent(up{job="a"})', {"build_info", "up"}),
        ("1e3 * m2 + 0x1F - .5 + inf", {"m2"}),
        ("(a or b) and c unless d", {"a", "b", "c", "d"}),
        ("topk(5, x) atan2 y", {"x", "y"}),
        ("sum without (a) (z) * on (a) group_right (b) w", {"z", "w"}),
        ("instance:node_cpu:rate5m", {"instance:node_cpu:rate5m"}),
    ],
)
def test_promql_metric_names(expr, metrics):
    assert B.parse_promql(expr).metrics == metrics


def test_promql_selectors_keep_their_matchers_and_functions():
    parsed = B.parse_promql('sum(kube_pod_info{namespace="ml", pod=~"llm-.*"}) or vector(0)')
    assert parsed.selectors == [B.Selector("kube_pod_info", (("namespace", "=", "ml"), ("pod", "=~", "llm-.*")))]
    assert parsed.functions == {"sum", "vector"}
    assert B.parse_promql('{__name__=~"kube_.+"}').selectors == [B.Selector("", (), "=~kube_.+")]
    for broken in ('up{job="x}', "sum(up", "up{job=x}", "up{job"):
        with pytest.raises(B.PromQLError):
            B.parse_promql(broken)


# --------------------------------------------------------------------------------------------
# 6. KEDA scalers


def scaled_object(target: str, query: str, minimum: int | None = None, kind: str | None = None, ns: str = "ml") -> dict:
    spec = {
        "scaleTargetRef": {"name": target, **({"kind": kind} if kind else {})},
        "triggers": [
            {
                "type": "prometheus",
                "metadata": {
                    "serverAddress": "http://prometheus.monitoring.svc:9090",
                    "query": query,
                    "threshold": "1",
                },
            }
        ],
    }
    if minimum is not None:
        spec["minReplicaCount"] = minimum
    return obj("ScaledObject", f"{target}-scaler", ns, "keda.sh/v1alpha1", spec=spec)


PROMETHEUS_SERVICE = obj(
    "Service",
    "prometheus",
    "monitoring",
    labels={"app": "kube-prometheus-stack-prometheus", "self-monitor": "true"},
    spec={"ports": [{"name": "http-web", "port": 9090}], "selector": {"app": "prometheus"}},
)
REQUESTS = 'sum(rate(nginx_ingress_controller_requests{exported_namespace="ml"}[2m]))'
PENDING_GPU = 'sum(kube_pod_container_resource_requests{resource="nvidia_com_gpu", namespace="ml"})'


def test_scaler_on_an_existing_target_passes():
    objs = [PROMETHEUS_SERVICE, gpu_deployment([]), scaled_object("llm", REQUESTS)]
    result = B.scalers_wired(objs)
    assert result.problems == []
    assert result.examined[0] == "ScaledObject/ml/llm-scaler -> Deployment/llm (minReplicaCount 0)"


def test_scaler_without_its_target_or_its_prometheus():
    only(
        B.scalers_wired([PROMETHEUS_SERVICE, scaled_object("llm", REQUESTS)]),
        "ScaledObject/ml/llm-scaler",
        "KEDA has nothing to scale",
    )
    objs = [
        PROMETHEUS_SERVICE,
        workload("StatefulSet", "llm", {"containers": [container()]}),
        scaled_object("llm", REQUESTS),
    ]
    only(B.scalers_wired(objs), "scaleTargetRef Deployment/llm is not in namespace 'ml'")  # kind defaults to Deployment
    only(B.scalers_wired([gpu_deployment([]), scaled_object("llm", REQUESTS)]), "names Service monitoring/prometheus")
    empty_query = scaled_object("llm", "")
    only(B.scalers_wired([PROMETHEUS_SERVICE, gpu_deployment([]), empty_query]), "has no query")


def test_scaler_on_an_inference_service_predictor():
    isvc = obj(
        "InferenceService",
        "llm",
        "ml",
        "serving.kserve.io/v1beta1",
        annotations={B.KSERVE_MODE_ANNOTATION: "Standard", B.KSERVE_AUTOSCALER_ANNOTATION: "external"},
        spec={"predictor": {"model": {"modelFormat": {"name": "sklearn"}}}},
    )
    so = scaled_object("llm-predictor", REQUESTS)
    assert B.scalers_wired([PROMETHEUS_SERVICE, isvc, so]).problems == []
    isvc["metadata"]["annotations"] = {B.KSERVE_MODE_ANNOTATION: "RawDeployment"}
    only(B.scalers_wired([PROMETHEUS_SERVICE, isvc, so]), "KServe's own HPA and KEDA fight")
    isvc["metadata"]["annotations"] = {}
    config = obj(
        "ConfigMap", "inferenceservice-config", "kserve", data={"deploy": '{"defaultDeploymentMode": "Serverless"}'}
    )
    only(
        B.scalers_wired([PROMETHEUS_SERVICE, isvc, so, config]),
        "deployment mode 'Serverless'",
        "no Deployment llm-predictor",
    )


def test_min_zero_scaler_fed_only_by_its_own_pods_never_leaves_zero():
    so = scaled_object("llm", PENDING_GPU)  # minReplicaCount unset: KEDA's default is 0
    only(
        B.scalers_wired([PROMETHEUS_SERVICE, gpu_deployment([]), so]),
        "can never leave zero",
        "kube_pod_container_resource_requests of namespace ml",
    )
    # another pod source in the namespace can feed the query
    other = workload("Job", "batch", {"containers": [container(gpus=1)]})
    assert B.scalers_wired([PROMETHEUS_SERVICE, gpu_deployment([]), other, so]).problems == []
    # confined to the target's own pods: dead even with other pods around
    own = scaled_object("llm", 'sum(kube_pod_status_phase{pod=~"llm-.*", phase="Pending"})', minimum=0)
    only(B.scalers_wired([PROMETHEUS_SERVICE, gpu_deployment([]), other, own]), "of the target's own pods")
    # minReplicaCount 1, or a constant fallback, or a cluster-wide query: not a dead end
    for fine in (
        scaled_object("llm", PENDING_GPU, minimum=1),
        scaled_object("llm", PENDING_GPU + " or vector(1)"),
        scaled_object("llm", "sum(kube_pod_container_resource_requests)"),
    ):
        assert B.scalers_wired([PROMETHEUS_SERVICE, gpu_deployment([]), fine]).problems == []


def test_min_zero_scaler_on_a_metric_only_the_target_emits():
    exporters = {**B.EXPORTERS, "vllm:": (B.Emitter("vLLM server", "Pod", {"app": "llm"}, "metrics"),)}
    so = scaled_object("llm", "sum(vllm:num_requests_waiting)", minimum=0)
    objs = [PROMETHEUS_SERVICE, gpu_deployment([]), so]
    only(B.scalers_wired(objs, exporters), "vllm:num_requests_waiting, scraped from the target's own pods only")
    assert B.scalers_wired(objs).problems == []  # without the table the source is unknown: not judged


def test_scalers_empty_set_examines_nothing():
    nothing_examined(B.scalers_wired([gpu_deployment([])]))


# --------------------------------------------------------------------------------------------
# 7. queries scraped


def prometheus(**spec) -> dict:
    selectors = {
        "serviceMonitorSelector": {},
        "serviceMonitorNamespaceSelector": {},
        "podMonitorSelector": {},
        "podMonitorNamespaceSelector": {},
        "ruleSelector": {},
        "ruleNamespaceSelector": {},
    }
    return obj("Prometheus", "k8s", "monitoring", "monitoring.coreos.com/v1", spec={**selectors, **spec})


def service_monitor(name: str, namespace: str, selector: dict, port: str, path: str | None = None, **meta) -> dict:
    endpoint = {"port": port, **({"path": path} if path else {})}
    return obj(
        "ServiceMonitor",
        name,
        namespace,
        "monitoring.coreos.com/v1",
        spec={"selector": {"matchLabels": selector}, "endpoints": [endpoint]},
        **meta,
    )


NGINX_METRICS = obj(
    "Service",
    "ingress-nginx-controller-metrics",
    "ingress",
    labels={"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"},
    spec={"ports": [{"name": "metrics", "port": 10254, "targetPort": "metrics"}], "selector": {"app": "nginx"}},
)
NGINX_MONITOR = service_monitor("ingress-nginx", "ingress", {"app.kubernetes.io/name": "ingress-nginx"}, "metrics")


def scraped_set(*extra) -> list:
    return [
        prometheus(),
        PROMETHEUS_SERVICE,
        NGINX_METRICS,
        NGINX_MONITOR,
        gpu_deployment([]),
        scaled_object("llm", REQUESTS),
        *extra,
    ]


def test_scaler_query_on_a_scraped_metric_passes():
    result = B.queries_scraped(scraped_set())
    assert result.problems == []
    assert result.examined == ["ScaledObject/ml/llm-scaler triggers[0].query: nginx_ingress_controller_requests"]


def test_scaler_query_on_an_unscraped_metric():
    objs = [o for o in scraped_set() if o is not NGINX_MONITOR]
    only(
        B.queries_scraped(objs),
        "ScaledObject/ml/llm-scaler: triggers[0].query reads nginx_ingress_controller_requests",
        "which no ServiceMonitor in the set scrapes",
    )
    wrong_port = service_monitor("ingress-nginx", "ingress", {"app.kubernetes.io/name": "ingress-nginx"}, "http")
    only(B.queries_scraped([*objs, wrong_port]), "which no ServiceMonitor in the set scrapes")
    no_service = [o for o in objs if o is not NGINX_METRICS]
    only(B.queries_scraped([*no_service, NGINX_MONITOR]), "no Service in the set has labels")


def test_monitor_that_no_prometheus_loads_scrapes_nothing():
    objs = [o for o in scraped_set() if o.get("kind") != "Prometheus"]
    picky = prometheus(serviceMonitorSelector={"matchLabels": {"release": "kube-prometheus-stack"}})
    only(B.queries_scraped([*objs, picky]), "scrapes it, but no Prometheus of the set loads that monitor")
    own_namespace_only = prometheus(serviceMonitorNamespaceSelector=None)
    only(B.queries_scraped([*objs, own_namespace_only]), "no Prometheus of the set loads that monitor")
    labelled = copy.deepcopy(NGINX_MONITOR)
    labelled["metadata"]["labels"] = {"release": "kube-prometheus-stack"}
    objs = [o for o in objs if o is not NGINX_MONITOR]
    assert B.queries_scraped([*objs, labelled, picky]).problems == []


def rule(name: str, namespace: str, *rules: dict, **meta) -> dict:
    return obj(
        "PrometheusRule",
        name,
        namespace,
        "monitoring.coreos.com/v1",
        spec={"groups": [{"name": "g", "rules": list(rules)}]},
        **meta,
    )


def test_prometheus_rules_recorded_unknown_and_not_loaded():
    rules = rule(
        "platform",
        "monitoring",
        {
            "record": "ns:nginx_requests:rate5m",
            "expr": "sum by (namespace) (rate(nginx_ingress_controller_requests[5m]))",
        },
        {"alert": "Busy", "expr": "ns:nginx_requests:rate5m > 10"},
        {"alert": "Missing", "expr": "ns:unknown:rate5m > 1"},
        {"alert": "Typo", "expr": "ngnix_requests_total > 1"},
    )
    result = B.queries_scraped([*scraped_set(), rules])
    assert len(result.problems) == 2, result.problems
    assert "rule Missing reads ns:unknown:rate5m" in result.problems[0] and "no rule of the set" in result.problems[0]
    assert (
        "rule Typo reads ngnix_requests_total" in result.problems[1]
        and "no exporter in the table" in result.problems[1]
    )
    assert B.queries_scraped([*scraped_set(), rules], include_rule=lambda r: False).problems == []
    picky = prometheus(ruleSelector={"matchLabels": {"role": "alerts"}})
    objs = [o for o in scraped_set() if o.get("kind") != "Prometheus"]
    problems = B.queries_scraped([*objs, picky, rules]).problems
    assert problems[0] == "PrometheusRule/monitoring/platform: no Prometheus of the set loads it: its rules never run"


def test_kubelet_cadvisor_metrics_need_the_cadvisor_path():
    kubelet_monitor = service_monitor("kubelet", "monitoring", {"k8s-app": "kubelet"}, "https-metrics")
    kubelet_monitor["spec"]["namespaceSelector"] = {"matchNames": ["kube-system"]}
    rules = rule(
        "r", "monitoring", {"alert": "Throttled", "expr": "rate(container_cpu_cfs_throttled_periods_total[5m]) > 1"}
    )
    only(
        B.queries_scraped([prometheus(), kubelet_monitor, rules]),
        "container_cpu_cfs_throttled_periods_total",
        "path /metrics/cadvisor",
    )
    kubelet_monitor["spec"]["endpoints"].append({"port": "https-metrics", "path": "/metrics/cadvisor"})
    assert B.queries_scraped([prometheus(), kubelet_monitor, rules]).problems == []


def test_pod_monitor_emitters():
    exporters = {"vllm:": (B.Emitter("vLLM server", "Pod", {"app": "llm"}, "metrics"),)}
    deployment = gpu_deployment([])
    deployment["spec"]["template"]["spec"]["containers"][0]["ports"] = [{"name": "metrics", "containerPort": 8000}]
    rules = rule("r", "monitoring", {"alert": "Queue", "expr": "vllm:num_requests_waiting > 5"})
    only(B.queries_scraped([prometheus(), deployment, rules], exporters), "no loaded PodMonitor scrapes")
    monitor = obj(
        "PodMonitor",
        "llm",
        "ml",
        "monitoring.coreos.com/v1",
        spec={"selector": {"matchLabels": {"app": "llm"}}, "podMetricsEndpoints": [{"port": "metrics"}]},
    )
    assert B.queries_scraped([prometheus(), deployment, rules, monitor], exporters).problems == []


def test_exporters_table():
    assert B.emitters_of("kube_pod_info", B.EXPORTERS) == (B.KUBE_STATE_METRICS,)
    assert B.emitters_of("kube_state_metrics_list_total", B.EXPORTERS) == (B.KUBE_STATE_METRICS_TELEMETRY,)
    assert B.emitters_of("prometheus_operator_ready", B.EXPORTERS) == (B.PROMETHEUS_OPERATOR,)
    assert B.emitters_of("up", B.EXPORTERS) == (B.PROMETHEUS_ITSELF,)
    assert B.emitters_of("upstream_total", B.EXPORTERS) == ()  # "up" is an exact name, not a prefix
    for key, emitters in B.EXPORTERS.items():
        assert emitters, key
        for emitter in emitters:
            assert emitter.ref.startswith("http") and emitter.what, (key, emitter)
            assert emitter.kind in ("Service", "Pod", "any", "prometheus")
            assert emitter.kind not in ("Service", "Pod") or (emitter.labels and emitter.port), (key, emitter)


def test_queries_empty_set_examines_nothing():
    nothing_examined(B.queries_scraped([]))


# --------------------------------------------------------------------------------------------
# today's renders


@pytest.fixture(scope="session")
def renders(rendered, full_builds) -> dict:
    """inventory -> the facts of today's render (platform_checks.render_facts)."""
    builds = {**{name: run.build_dir for name, run in rendered.items()}, **full_builds}
    return {name: facts(inventory, builds[name]) for name, inventory in RENDERED.items()}


def test_every_check_examines_something_in_the_full_inventories(renders):
    """The *-full inventories turn every optional feature on: a check that examines nothing there is blind."""
    blind = [
        f"{name}: {problem}"
        for name in ("aws-full", "azure-full")
        for check, run in CHECKS.items()
        if check not in NOT_ON.get(renders[name]["cloud"], set())
        for problem in run(renders[name]).require_examined()
        if "examined nothing" in problem
    ]
    assert blind == []


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("name", RENDERED)
def test_real_render_behaviour(renders, name, check):
    render = renders[name]
    result = CHECKS[check](render)
    strict = name.endswith("-full") and check not in NOT_ON.get(render["cloud"], set())
    problems = result.require_examined() if strict else result.problems
    assert problems == [], f"{name} {result.summary()}:\n" + "\n".join(problems)


def named(objs: list, kind: str, name: str) -> dict:
    """The object ``kind``/``name`` of ``objs``, replaced there by a deep copy (the render stays untouched) that
    keeps its effective namespace (helm's release namespace)."""
    index = next(i for i, o in enumerate(objs) if o.get("kind") == kind and o["metadata"].get("name") == name)
    clone = copy.deepcopy(objs[index])
    manifests.register_origin(clone, release_namespace=manifests.effective_namespace(objs[index]))
    objs[index] = clone
    return clone


def drop_internal_lb(objs):
    del named(objs, "Service", "ingress-nginx-internal-controller")["metadata"]["annotations"][
        "service.beta.kubernetes.io/azure-load-balancer-internal"
    ]


def drop_spot_toleration(objs):
    podspec = named(objs, "DaemonSet", "nvidia-device-plugin")["spec"]["template"]["spec"]
    podspec["tolerations"] = [t for t in podspec["tolerations"] if "scalesetpriority" not in t["key"]]


def mlflow_alb_public(objs):
    named(objs, "Ingress", "mlflow")["metadata"]["annotations"][B.ALB_SCHEME] = "internet-facing"


def mlflow_without_tls(objs):
    named(objs, "Ingress", "mlflow")["spec"].pop("tls")


def drop_nginx_monitors(objs):
    for name in ("ingress-nginx-controller", "ingress-nginx-internal-controller"):
        objs.remove(named(objs, "ServiceMonitor", name))


def kserve_hpa_back(objs):
    del named(objs, "InferenceService", "tinyllama")["metadata"]["annotations"][B.KSERVE_AUTOSCALER_ANNOTATION]


def gpu_quota_elsewhere(objs):
    objs[:] = [o for o in objs if o.get("kind") != "ResourceQuota"]
    objs.append(quota("default", {"requests.nvidia.com/gpu": "4"}))


def llm_without_gpu_toleration(objs):
    named(objs, "InferenceService", "tinyllama")["spec"]["predictor"]["tolerations"] = []


@pytest.mark.parametrize(
    ("name", "check", "plant", "needle"),
    [
        ("azure-full", "exposure", drop_internal_lb, "should be internal but is internet-facing"),
        ("azure-full", "daemonsets_reach_pools", drop_spot_toleration, "kubernetes.azure.com/scalesetpriority=spot"),
        ("aws-dev", "exposure", mlflow_alb_public, "conflicting schemes"),
        ("azure-full", "tls", mlflow_without_tls, "no spec.tls entry covers the host"),
        ("azure-full", "queries_scraped", drop_nginx_monitors, "reads nginx_ingress_controller_requests"),
        ("azure-full", "scalers_wired", kserve_hpa_back, "KServe's own HPA and KEDA fight"),
        ("azure-full", "gpu_quota_where_gpu_work_runs", gpu_quota_elsewhere, "no ResourceQuota there limits"),
        ("aws-full", "gpu_workloads_land_on_gpu_pools", llm_without_gpu_toleration, "nvidia.com/gpu=true:NoSchedule"),
    ],
)
def test_real_render_with_a_planted_defect(renders, name, check, plant, needle):
    """Each check finds a defect planted in today's render (and did not report that finding before)."""
    render = dict(renders[name])
    before = CHECKS[check](render).problems
    render["objs"] = list(render["objs"])
    plant(render["objs"])
    found = [p for p in CHECKS[check](render).problems if p not in before]
    assert any(needle in p for p in found), found


# --------------------------------------------------------------------------------------------
# identities reach the pods, Argo's artifact repository, Karpenter NodePools from the inventory

AZURE_IDENTITY = {
    "service_account_annotations": {"azure.workload.identity/client-id": "44444444-4444-4444-4444-444444444444"},
    "service_account_labels": {},
    "pod_labels": {"azure.workload.identity/use": "true"},
}


def _identity_set(isvc_labels: dict, workflow_labels: dict) -> list:
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {
                "name": "wf",
                "namespace": "argo",
                "annotations": AZURE_IDENTITY["service_account_annotations"],
            },
        },
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {
                "name": "kp",
                "namespace": "kserve",
                "annotations": AZURE_IDENTITY["service_account_annotations"],
            },
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "executor", "namespace": "argo"},
            "rules": [{"apiGroups": ["argoproj.io"], "resources": ["workflowtaskresults"], "verbs": ["create"]}],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "executor", "namespace": "argo"},
            "roleRef": {"kind": "Role", "name": "executor", "apiGroup": "rbac.authorization.k8s.io"},
            "subjects": [{"kind": "ServiceAccount", "name": "wf", "namespace": "argo"}],
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argo-workflows-workflow-controller-configmap", "namespace": "argo"},
            "data": {
                "config": yaml.safe_dump(
                    {
                        "workflowDefaults": {
                            "spec": {"serviceAccountName": "wf", "podMetadata": {"labels": workflow_labels}}
                        }
                    }
                )
            },
        },
        {
            "apiVersion": "serving.kserve.io/v1beta1",
            "kind": "InferenceService",
            "metadata": {"name": "iris", "namespace": "kserve", "labels": isvc_labels},
            "spec": {"predictor": {"serviceAccountName": "kp", "model": {"modelFormat": {"name": "sklearn"}}}},
        },
    ]


BINDINGS = {("argo", "wf"): AZURE_IDENTITY, ("kserve", "kp"): AZURE_IDENTITY}
USE = {"azure.workload.identity/use": "true"}


def test_identities_reach_run_time_pods():
    result = B.identities_reach_pods(_identity_set(USE, USE), BINDINGS)
    assert result.problems == []
    assert "Argo workflowDefaults as wf" in result.examined
    assert any("InferenceService/kserve/iris" in entry for entry in result.examined)


def test_identity_label_missing_on_workflow_pods_or_predictors():
    problems = B.identities_reach_pods(_identity_set({}, {}), BINDINGS).problems
    assert any("Argo workflowDefaults" in p and "azure.workload.identity/use" in p for p in problems), problems
    assert any("InferenceService/kserve/iris" in p for p in problems), problems


def test_identities_empty_set_examines_nothing():
    assert "examined nothing" in B.identities_reach_pods([], {}).require_examined()[-1]


def _artifact_set(name: str, annotation: str, data: dict) -> list:
    return [
        *_identity_set(USE, USE)[2:4],
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": name,
                "namespace": "argo",
                "annotations": {"workflows.argoproj.io/default-artifact-repository": annotation},
            },
            "data": data,
        },
    ]


def test_artifact_repository_found():
    repository = {"default": yaml.safe_dump({"s3": {"bucket": "b"}})}
    assert B.workflow_artifact_repository(_artifact_set("artifact-repositories", "default", repository)).problems == []


@pytest.mark.parametrize(
    ("name", "annotation", "data", "needle"),
    [
        ("artifact-repository", "default", {"default": "s3: {bucket: b}"}, "no ConfigMap artifact-repositories"),
        ("artifact-repositories", "main", {"default": "s3: {bucket: b}"}, "names no key"),
        ("artifact-repositories", "default", {"default": "{}"}, "holds 0 repositories"),
    ],
)
def test_artifact_repository_defects(name, annotation, data, needle):
    problems = B.workflow_artifact_repository(_artifact_set(name, annotation, data)).problems
    assert any(needle in p for p in problems), problems


def _node_pool(taints: list, types: list, capacity: list, limits: dict) -> dict:
    return {
        "apiVersion": "karpenter.sh/v1",
        "kind": "NodePool",
        "metadata": {"name": "gpu-workloads"},
        "spec": {
            "template": {
                "metadata": {"labels": {"platform.mlops/pool": "gpu"}},
                "spec": {
                    "taints": taints,
                    "requirements": [
                        {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": types},
                        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": capacity},
                    ],
                },
            },
            "limits": limits,
        },
    }


GPU_POOL = {"instance_types": ["g4dn.xlarge"], "capacity_type": "spot", "gpu": True, "max_size": 2}
GPU_FACTS = {"gpu": {"provisioner": "karpenter", "gpu": True, "taints": [GPU_TAINT], "labels": {}}}


def test_node_pool_is_the_inventory_pool():
    good = _node_pool([GPU_TAINT], ["g4dn.xlarge"], ["spot"], {"cpu": "8", GPU: "2"})
    assert B.node_pools_match_inventory([good], GPU_FACTS, {"gpu": GPU_POOL}).problems == []


@pytest.mark.parametrize(
    ("node_pool", "needle"),
    [
        (_node_pool([], ["g4dn.xlarge"], ["spot"], {"cpu": "8", GPU: "2"}), "must carry"),
        (_node_pool([GPU_TAINT], ["g4dn.xlarge", "p4d.24xlarge"], ["spot"], {"cpu": "8", GPU: "2"}), "instance types"),
        (_node_pool([GPU_TAINT], ["g4dn.xlarge"], ["spot", "on-demand"], {"cpu": "8", GPU: "2"}), "capacity"),
        (_node_pool([GPU_TAINT], ["g4dn.xlarge"], ["spot"], {"cpu": "192", GPU: "16"}), "past max_size"),
    ],
)
def test_node_pool_that_is_not_the_inventory_pool(node_pool, needle):
    problems = B.node_pools_match_inventory([node_pool], GPU_FACTS, {"gpu": GPU_POOL}).problems
    assert any(needle in p for p in problems), problems


def test_pool_without_its_node_pool_and_node_pool_without_its_pool():
    assert "0 Karpenter NodePools" in B.node_pools_match_inventory([], GPU_FACTS, {"gpu": GPU_POOL}).problems[0]
    stray = _node_pool([GPU_TAINT], ["g4dn.xlarge"], ["spot"], {"cpu": "8", GPU: "2"})
    problems = B.node_pools_match_inventory([stray], {}, {}).problems
    assert any("no inventory pool" in p for p in problems), problems


# --------------------------------------------------------------------------------------------
# the tables of the closing note: placement (DaemonSet x pool) and exposure / TLS per host


def placement_matrix(render: dict) -> dict:
    """DaemonSet -> pool -> "runs" | "not selected" | "blocked by <taint>"."""
    matrix = {}
    for obj in render["objs"]:
        if obj.get("kind") != "DaemonSet":
            continue
        podspec = obj["spec"]["template"]["spec"]
        reaches = B.reach(podspec, render["pools"], B._daemonset_tolerations(podspec))
        matrix[f"{obj['metadata'].get('namespace') or '-'}/{obj['metadata']['name']}"] = {
            pool: "runs"
            if r.lands
            else ("not selected" if not r.selected else "blocked by " + ", ".join(map(B.taint_text, r.blocking)))
            for pool, r in reaches.items()
        }
    return matrix


def nginx_scheme(render: dict, class_name: str) -> str:
    """internal / internet-facing of an nginx class, from the render: class -> controller -> LoadBalancer."""
    objs = render["objs"]
    ingress_class = next(o for o in objs if o.get("kind") == "IngressClass" and o["metadata"]["name"] == class_name)
    schemes = {
        B.load_balancer_scheme(svc, render["cloud"])
        for controller in B.ingress_controllers(objs)
        if controller.controller == ingress_class["spec"]["controller"]
        for svc in objs
        if svc.get("kind") == "Service"
        and svc["spec"].get("type") == "LoadBalancer"
        and B.selector_matches({"matchLabels": svc["spec"].get("selector") or {}}, controller.pod_labels)
    }
    return "internet-facing" if "internet-facing" in schemes else ",".join(sorted(schemes)) or "none"


def exposure_table(render: dict) -> list:
    """(host, class, internal/public as rendered, certificate source) of every Ingress host."""
    rows = []
    for obj in render["objs"]:
        if obj.get("kind") != "Ingress":
            continue
        annotations = obj["metadata"].get("annotations") or {}
        for rule in obj["spec"].get("rules") or ():
            host = rule.get("host")
            if render["cloud"] == "aws":
                scheme = annotations.get(B.ALB_SCHEME, "internal")
                source = "ACM " + (annotations.get(B.ALB_CERTIFICATE_ARN) or "found by host (spec.tls)")
            else:
                scheme = nginx_scheme(render, obj["spec"].get("ingressClassName"))
                secret = next(
                    (t.get("secretName") for t in obj["spec"].get("tls") or () if host in t.get("hosts", [])), None
                )
                source = f"cert-manager {annotations.get(B.SHIM_CLUSTER_ISSUER)} -> Secret {secret}"
            rows.append((host, obj["spec"].get("ingressClassName"), scheme, source))
    return sorted(rows)


@pytest.mark.parametrize("name", ["aws-full", "azure-full"])
def test_placement_and_exposure_tables(renders, name):
    """Print the tables (pytest -s); every node-level agent runs on every pool, the device plugin on every
    GPU pool and nowhere else, and every host is in the exposure table with a certificate source."""
    render = renders[name]
    matrix = placement_matrix(render)
    pools = sorted(render["pools"])
    print(f"\n{name}: DaemonSet x pool\n| DaemonSet | " + " | ".join(pools) + " |")
    print("|---|" + "---|" * len(pools))
    for daemonset, row in sorted(matrix.items()):
        print(f"| {daemonset} | " + " | ".join(row[p] for p in pools) + " |")
    gpu_pools = {key for key, pool in render["pools"].items() if pool["gpu"]}
    for daemonset, row in matrix.items():
        lands = {pool for pool, state in row.items() if state == "runs"}
        assert lands == (gpu_pools if "nvidia-device-plugin" in daemonset else set(pools)), (daemonset, row)
    table = exposure_table(render)
    print(f"\n{name}: exposure and TLS\n| host | class | load balancer | certificate source |\n|---|---|---|---|")
    for row in table:
        print("| " + " | ".join(map(str, row)) + " |")
    assert {row[0]: row[2] for row in table} == render["expected"]


# --------------------------------------------------------------------------------------------
# the catalog's `provides` is what the components really install


def _role_of(folder: str, catalog: dict) -> str:
    """The component (role) of a release folder: the folder, or the role it is a part of (<role>_<part>)."""
    if folder in catalog:
        return folder
    return max((role for role in catalog if folder.startswith(role + "_")), key=len)


def test_catalog_provides_is_what_the_components_install(rendered, full_builds):
    """Every CRD a component renders is in its catalog `provides` (group, or group/Kind), and every entry
    there is installed by that component in some render: the render-time dependency check reads this list."""
    catalog = yaml.safe_load((REPO / "roles/platform/defaults/main/components.yml").read_text())
    catalog = catalog["platform_component_catalog"]
    builds = [run.build_dir for run in rendered.values()] + list(full_builds.values())
    installed: dict = {}
    for build in builds:
        for folder, content in manifests.load_tree(build / "mlops-dev").items():
            for obj in content.objects:
                if obj.get("kind") == "CustomResourceDefinition":
                    group, kind = obj["spec"]["group"], obj["spec"]["names"]["kind"]
                    installed.setdefault(_role_of(folder, catalog), set()).add((group, kind))
    assert installed, "no CRD rendered"
    unlisted = [
        f"{role}: {kind}.{group}"
        for role, kinds in sorted(installed.items())
        for group, kind in sorted(kinds)
        if not any(p in (group, f"{group}/{kind}") for p in catalog[role].get("provides") or ())
    ]
    assert unlisted == [], "CRDs missing from the catalog's provides"
    stale = [
        f"{role}: {entry}"
        for role, entry_ in sorted(catalog.items())
        for entry in entry_.get("provides") or ()
        if not any(entry in (group, f"{group}/{kind}") for group, kind in installed.get(role, ()))
    ]
    assert stale == [], "provides entries no render installs"


def test_a_component_whose_provider_is_disabled_is_refused_before_anything_is_written(upstream, tmp_path):
    build = tmp_path / "build"
    run = run_site(RENDERED["aws-dev"], build, "-e", "external_secrets_enabled=false")
    assert run.rc != 0
    assert (
        "mlflow renders ExternalSecret (external-secrets.io), whose CRD only external_secrets "
        "(external_secrets_enabled: true) installs, and it is disabled" in " ".join(run.output.split())
    ), run.output[-3000:]
    assert "Traceback" not in run.output
    assert not build.exists() or not any(build.rglob("*.yaml"))

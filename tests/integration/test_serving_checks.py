"""The serving behaviour checks (platform_checks/serving.py): KServe's run-time objects as the v0.16.0 source makes
them, the canary split of each cloud, runtime matching and KServe's own Ingress config.

Each check passes on a hand-made set built with the cloud profiles' own ``canary_ingresses`` and on the renders of
the *-full test inventories (examining something there), and fails, for the reason it exists for, on each defect
planted into a deep copy of those objects.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

import pytest

from ansible_collections.mlops.platform.plugins.module_utils._cloud import get_profile

from .platform_checks import serving as S
from .platform_checks.render_facts import FULL, INVENTORIES, facts
from .platform_checks.wiring import _ns

MLSERVER = "docker.io/seldonio/mlserver:1.5.0"
DOMAIN = "models.dev.example.com"
CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
TLS = {"certificate_arn": CERTIFICATE, "issuer": "letsencrypt"}


# --------------------------------------------------------------------------------------------
# a hand-made serving set, shaped like the kserve role's (issue 12 spec)


def runtime(name: str, formats: list, image: str, port: str, ports: list, **spec) -> dict:
    return {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": "ServingRuntime",
        "metadata": {"name": name, "namespace": "kserve"},
        "spec": {
            "annotations": {"prometheus.kserve.io/port": port, "prometheus.kserve.io/path": "/metrics"},
            "supportedModelFormats": formats,
            "protocolVersions": ["v2"],
            "containers": [{"name": "kserve-container", "image": image, "ports": ports, **spec}],
        },
    }


def isvc(name: str, serving: str, track: str, runtime_name: str, fmt: dict, annotations: dict) -> dict:
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {
            "name": name,
            "namespace": "kserve",
            "labels": {
                "app.kubernetes.io/part-of": "mlops-platform",
                S.SERVING_LABEL: serving,
                S.TRACK_LABEL: track,
                "platform.mlops/server": "vllm" if "vllm" in runtime_name else "mlserver",
            },
            "annotations": {"serving.kserve.io/deploymentMode": "Standard", **annotations},
        },
        "spec": {
            "predictor": {
                "model": {
                    "runtime": runtime_name,
                    "modelFormat": fmt,
                    "protocolVersion": "v2",
                    "storageUri": "s3://b/m",
                }
            }
        },
    }


def ingress_config(class_name: str, domain: str = DOMAIN) -> dict:
    config = {
        "enableGatewayApi": False,
        "ingressGateway": "knative-serving/knative-ingress-gateway",
        "ingressClassName": class_name,
        "ingressDomain": domain,
        "domainTemplate": "{{ .Name }}-{{ .Namespace }}.{{ .IngressDomain }}",
        "urlScheme": "https",
        "disableIstioVirtualHost": True,
        "disableIngressCreation": False,
    }
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "inferenceservice-config", "namespace": "kserve"},
        "data": {"ingress": json.dumps(config)},
    }


def pdb(isvc_name: str, **budget) -> dict:
    """The PodDisruptionBudget the kserve role gives a predictor (maxUnavailable / minAvailable in ``budget``)."""
    spec = {
        k.replace("max_unavailable", "maxUnavailable").replace("min_available", "minAvailable"): v
        for k, v in budget.items()
    }
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": f"{isvc_name}-predictor", "namespace": "kserve", "labels": {S.SERVING_LABEL: isvc_name}},
        "spec": {**spec, "selector": {"matchLabels": {"app": f"isvc.{isvc_name}-predictor"}}},
    }


def pod_monitor(server: str, port: str) -> dict:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PodMonitor",
        "metadata": {"name": f"{server}-predictors", "namespace": "kserve"},
        "spec": {
            "namespaceSelector": {"matchNames": ["kserve"]},
            "selector": {"matchLabels": {"component": "predictor", "platform.mlops/server": server}},
            "podMetricsEndpoints": [{"port": port, "path": "/metrics"}],
        },
    }


def hand_made(cloud: str, scheme: str) -> list[dict]:
    profile = get_profile(cloud)
    spec = profile.ingress(scheme, f"*.{DOMAIN}", "HTTP", "mlops-dev", TLS, "kserve")
    mlflow = {"name": "mlflow", "version": "3"}
    objs = [
        runtime(
            "mlops-mlserver-mlflow",
            [{"name": "mlflow", "version": "3", "autoSelect": False}],
            MLSERVER,
            "8082",
            [{"name": "http1", "containerPort": 8080}, {"name": "metrics", "containerPort": 8082}],
            env=[{"name": "MLSERVER_METRICS_PORT", "value": "8082"}],
        ),
        runtime(
            "mlops-vllm",
            [{"name": "vllm", "version": "1", "autoSelect": False}],
            "docker.io/vllm/vllm-openai:v0.8.0",
            "8080",
            [{"name": "http1", "containerPort": 8080}],
            args=["--host=0.0.0.0", "--port=8080"],
        ),
        isvc("iris", "iris", "stable", "mlops-mlserver-mlflow", mlflow, spec["annotations"]),
        isvc("iris-canary", "iris", "canary", "mlops-mlserver-mlflow", mlflow, spec["annotations"]),
        isvc("tinyllama", "tinyllama", "stable", "mlops-vllm", {"name": "vllm", "version": "1"}, spec["annotations"]),
        ingress_config(spec["class_name"]),
        *(pdb(name, max_unavailable=1) for name in ("iris", "iris-canary", "tinyllama")),
        pod_monitor("mlserver", "metrics"),
        pod_monitor("vllm", "http1"),
    ]
    objs += profile.canary_ingresses(
        "iris-public",
        "kserve",
        f"iris.{DOMAIN}",
        "iris-predictor",
        "iris-canary-predictor",
        weight=10,
        scheme=scheme,
        group="mlops-dev",
        tls=TLS,
        labels={S.SERVING_LABEL: "iris"},
    )
    return objs


HAND_MADE = {"aws": ("aws", "internet-facing"), "azure": ("azure", "internal")}


def hand_made_facts(name: str) -> dict:
    cloud, scheme = HAND_MADE[name]
    return {
        "objs": hand_made(cloud, scheme),
        "serving": {"cloud": cloud, "scheme": scheme, "domain": DOMAIN, "tls": True},
    }


# --------------------------------------------------------------------------------------------
# the model of KServe itself


def test_predictor_service_and_pods_as_kserve_makes_them():
    objs = hand_made("aws", "internet-facing")
    iris, mlserver = objs[2], objs[0]
    service = S.predictor_service(iris, mlserver)
    assert service["metadata"]["name"] == "iris-predictor"
    assert service["spec"]["selector"] == {"app": "isvc.iris-predictor"}
    # first containerPort -> port 80; the others keep their number
    assert service["spec"]["ports"] == [
        {"name": "http1", "port": 80, "targetPort": 8080},
        {"name": "metrics", "port": 8082, "targetPort": 8082},
    ]
    pods = S.predictor_pod_labels(iris, mlserver)
    assert pods["app"] == "isvc.iris-predictor"
    assert pods["serving.kserve.io/inferenceservice"] == "iris"
    assert pods["component"] == "predictor"
    assert pods[S.SERVING_LABEL] == "iris"  # the InferenceService's labels are copied


def test_service_without_container_ports():
    bare = runtime("bare", [{"name": "x", "version": "1", "autoSelect": True}], "example/x:1", "8080", [])
    service = S.predictor_service(isvc("a", "a", "stable", "bare", {"name": "x"}, {}), bare)
    assert service["spec"]["ports"] == [{"name": "a-predictor", "port": 80, "targetPort": 8080}]


def test_runtime_selection():
    objs = hand_made("aws", "internet-facing")
    runtimes = [o for o in objs if o["kind"] == "ServingRuntime"]
    iris = objs[2]
    assert [r["metadata"]["name"] for r in S.matching_runtimes(iris, runtimes)] == ["mlops-mlserver-mlflow"]
    # the chart's kserve-mlserver lists mlflow 1 and 2 only: an MLflow 3 model matches nothing there
    chart = copy.deepcopy(runtimes[0])
    chart["kind"] = "ClusterServingRuntime"
    chart["metadata"] = {"name": "kserve-mlserver"}
    chart["spec"]["supportedModelFormats"] = [{"name": "mlflow", "version": v, "autoSelect": True} for v in "12"]
    auto = copy.deepcopy(iris)
    del auto["spec"]["predictor"]["model"]["runtime"]
    assert S.matching_runtimes(auto, [chart]) == []
    auto["spec"]["predictor"]["model"]["modelFormat"]["version"] = "2"
    assert S.matching_runtimes(auto, [chart]) == [chart]
    # autoSelect: false is no obstacle for an explicit runtime, but is for the auto-selection
    assert S.matching_runtimes(auto, runtimes) == []
    # an explicit runtime: the namespace's ServingRuntime before a ClusterServingRuntime of the same name
    clash = copy.deepcopy(chart)
    clash["metadata"]["name"] = "mlops-mlserver-mlflow"
    assert S.matching_runtimes(iris, [clash, *runtimes])[0]["kind"] == "ServingRuntime"
    # protocol: the runtime must speak the InferenceService's
    v1 = copy.deepcopy(iris)
    v1["spec"]["predictor"]["model"]["protocolVersion"] = "v1"
    assert S.matching_runtimes(v1, runtimes) == []


def test_metrics_port():
    assert S.metrics_port({"image": MLSERVER}) == 8082
    assert S.metrics_port({"image": MLSERVER, "env": [{"name": "MLSERVER_METRICS_PORT", "value": "9090"}]}) == 9090
    assert S.metrics_port({"image": "vllm/vllm-openai:v0.8.0"}) == 8000
    assert S.metrics_port({"image": "vllm/vllm-openai:v0.8.0", "args": ["--port", "8080"]}) == 8080
    assert S.metrics_port({"image": "example/other:1"}) is None
    assert S.metrics_port({"image": "kserve/pmmlserver:v0.16.0"}) is None  # not MLServer


def test_unused_runtime_with_a_wrong_metrics_port():
    """The chart's kserve-mlserver (users' InferenceServices auto-select it) announces 8080; MLServer serves 8082."""
    objs = hand_made("aws", "internet-facing")
    chart = copy.deepcopy(objs[0])
    chart["kind"], chart["metadata"] = "ClusterServingRuntime", {"name": "kserve-mlserver"}
    chart["spec"]["annotations"]["prometheus.kserve.io/port"] = "8080"
    chart["spec"]["containers"][0]["env"] = []
    problems = S.isvc_runtime_match([*objs, chart]).problems
    assert problems == [
        "ClusterServingRuntime/-/kserve-mlserver: prometheus.kserve.io/port is '8080', but its server "
        f"({MLSERVER}) serves metrics on 8082: Prometheus scrapes a port without metrics (fix the annotation, or "
        "disable the runtime)"
    ]
    chart["spec"]["disabled"] = True
    assert S.isvc_runtime_match([*objs, chart]).problems == []


def test_kserve_ingress():
    objs = hand_made("aws", "internet-facing")
    config = json.loads(objs[5]["data"]["ingress"])
    ingress = S.kserve_ingress(objs[2], config)
    assert ingress["spec"]["rules"][0]["host"] == f"iris-kserve.{DOMAIN}"
    assert ingress["spec"]["ingressClassName"] == "alb"
    assert ingress["metadata"]["annotations"]["alb.ingress.kubernetes.io/scheme"] == "internet-facing"
    assert S.kserve_ingress(objs[2], {**config, "disableIngressCreation": True}) is None


# --------------------------------------------------------------------------------------------
# planted defects: (check, what to do to a deep copy of the objects, clouds, reason the check must give)


def _ingresses(objs: list, predicate: Callable[[dict], bool]) -> list[dict]:
    found = [o for o in objs if o.get("kind") == "Ingress" and predicate(o)]
    assert found, "the set holds no Ingress the defect is for"
    return found


def _action_ingress(objs: list) -> tuple[dict, str]:
    ingress = _ingresses(objs, lambda o: any("/actions." in k for k in o["metadata"].get("annotations", {})))[0]
    key = next(k for k in ingress["metadata"]["annotations"] if "/actions." in k)
    return ingress, key


def weights_sum_110(objs: list) -> None:
    ingress, key = _action_ingress(objs)
    action = json.loads(ingress["metadata"]["annotations"][key])
    action["forwardConfig"]["targetGroups"][-1]["weight"] += 10
    ingress["metadata"]["annotations"][key] = json.dumps(action)


def canary_on_8080(objs: list) -> None:
    ingress, key = _action_ingress(objs)
    action = json.loads(ingress["metadata"]["annotations"][key])
    action["forwardConfig"]["targetGroups"][-1]["servicePort"] = 8080
    ingress["metadata"]["annotations"][key] = json.dumps(action)


def canary_twin_on_another_host(objs: list) -> None:
    canary = _ingresses(objs, S.is_nginx_canary)[0]
    canary["spec"]["rules"][0]["host"] = "elsewhere." + DOMAIN


def canary_to_other_serving(objs: list) -> None:
    canary = _ingresses(objs, S.is_nginx_canary)[0]
    llm = next(
        o
        for o in objs
        if o["kind"] == "InferenceService" and o["spec"]["predictor"]["model"]["runtime"] == "mlops-vllm"
    )
    canary["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] = (
        llm["metadata"]["name"] + "-predictor"
    )


def mlflow_version_2(objs: list) -> None:
    for obj in objs:
        if obj["kind"] == "InferenceService" and obj["spec"]["predictor"]["model"]["modelFormat"]["name"] == "mlflow":
            obj["spec"]["predictor"]["model"]["modelFormat"]["version"] = "2"


def mlserver_metrics_on_8080(objs: list) -> None:
    for obj in objs:
        if obj["kind"] == "ServingRuntime" and "mlserver" in obj["spec"]["containers"][0]["image"]:
            obj["spec"]["annotations"]["prometheus.kserve.io/port"] = "8080"


def _edit_ingress_config(objs: list, **changes) -> None:
    configmap = next(o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "inferenceservice-config")
    config = json.loads(configmap["data"]["ingress"])
    config.update(changes)
    configmap["data"]["ingress"] = json.dumps(config)


def class_istio(objs: list) -> None:
    _edit_ingress_config(objs, ingressClassName="istio")


def isvc_without_alb_scheme(objs: list) -> None:
    for obj in objs:
        if obj["kind"] == "InferenceService":
            obj["metadata"]["annotations"].pop("alb.ingress.kubernetes.io/scheme", None)


def pdb_on_the_isvc_name(objs: list) -> None:
    for obj in objs:
        if obj.get("kind") == "PodDisruptionBudget" and obj["metadata"]["name"] == "iris-predictor":
            obj["spec"]["selector"]["matchLabels"] = {"app": "isvc.iris"}


def pdb_blocks_drains(objs: list) -> None:
    for obj in objs:
        if obj.get("kind") == "PodDisruptionBudget" and obj["metadata"]["name"] == "iris-canary-predictor":
            obj["spec"] = {"minAvailable": 1, "selector": obj["spec"]["selector"]}


def second_pdb(objs: list) -> None:
    objs.append(pdb("iris", max_unavailable=1))
    objs[-1]["metadata"]["name"] = "iris-extra"


def mlserver_scraped_on_http(objs: list) -> None:
    for obj in objs:
        if obj.get("kind") == "PodMonitor" and obj["metadata"]["name"] == "mlserver-predictors":
            obj["spec"]["podMetricsEndpoints"][0]["port"] = "http1"


MUTATIONS = {
    "PodDisruptionBudget selecting the InferenceService's name, not its predictor pods": (
        "predictors_guarded",
        pdb_on_the_isvc_name,
        ("aws", "azure"),
        "InferenceService/kserve/iris: no PodDisruptionBudget selects its predictor pods",
    ),
    "PodDisruptionBudget that blocks every drain of a one-replica canary": (
        "predictors_guarded",
        pdb_blocks_drains,
        ("aws", "azure"),
        "lets no pod of InferenceService/kserve/iris-canary be evicted",
    ),
    "a second PodDisruptionBudget over the same predictor pods": (
        "predictors_guarded",
        second_pdb,
        ("aws", "azure"),
        "the eviction API refuses to evict a pod with more than one",
    ),
    "MLServer predictors scraped on the inference port": (
        "predictors_guarded",
        mlserver_scraped_on_http,
        ("aws", "azure"),
        "its predictor serves metrics on 8082",
    ),
    "ALB forward weights sum to 110": ("canary_split", weights_sum_110, ("aws",), "sum to 110, not 100"),
    "ALB canary target on a port KServe's Service lacks": ("canary_split", canary_on_8080, ("aws",), "port 8080"),
    "nginx canary twin on another host": (
        "canary_split",
        canary_twin_on_another_host,
        ("azure",),
        "without a non-canary Ingress",
    ),
    "nginx canary to another serving's predictor": (
        "canary_split",
        canary_to_other_serving,
        ("azure",),
        "splits between InferenceServices of servings",
    ),
    "MLflow 3 models declared as mlflow 2": ("isvc_runtime_match", mlflow_version_2, ("aws", "azure"), "mlflow:2"),
    "MLServer's metrics announced on 8080": (
        "isvc_runtime_match",
        mlserver_metrics_on_8080,
        ("aws", "azure"),
        "serves metrics on 8082",
    ),
    "KServe's Ingresses of the chart's class istio": (
        "kserve_ingress_config",
        class_istio,
        ("aws", "azure"),
        "ingressClassName is 'istio'",
    ),
    "InferenceServices without the ALB scheme annotation": (
        "kserve_ingress_config",
        isvc_without_alb_scheme,
        ("aws",),
        "alb.ingress.kubernetes.io/scheme is None",
    ),
}


def planted(objs: list, mutate: Callable[[list], None]) -> list:
    """A deep copy of ``objs`` (each keeping its effective namespace) with the defect ``mutate`` plants."""
    copies = copy.deepcopy(objs)
    for original, duplicate in zip(objs, copies, strict=True):
        meta = duplicate.get("metadata")
        if isinstance(meta, dict) and not meta.get("namespace") and _ns(original):
            meta["namespace"] = _ns(original)
    mutate(copies)
    return copies


def assert_passes(render: dict, where: str) -> None:
    for name, check in S.CHECKS.items():
        result = check(render)
        problems = result.require_examined(f"{where} renders nothing {name} looks at")
        assert not problems, f"{name} on {where}:\n" + "\n".join(problems)


def assert_caught(render: dict, mutation: str) -> None:
    name, mutate, _clouds, reason = MUTATIONS[mutation]
    mutated = {**render, "objs": planted(render["objs"], mutate)}
    problems = S.CHECKS[name](mutated).problems
    assert any(reason in p for p in problems), f"{name} missed {mutation!r} ({reason!r}):\n" + "\n".join(problems)


@pytest.mark.parametrize("name", sorted(HAND_MADE))
def test_hand_made_set_passes(name):
    assert_passes(hand_made_facts(name), f"the hand-made {name} set")


@pytest.mark.parametrize(
    ("mutation", "cloud"), [(m, cloud) for m, (_n, _f, clouds, _r) in MUTATIONS.items() for cloud in clouds]
)
def test_hand_made_defects_caught(mutation, cloud):
    assert_caught(hand_made_facts(cloud), mutation)


@pytest.mark.parametrize("check", sorted(S.CHECKS))
def test_empty_set_examines_nothing(check):
    result = S.CHECKS[check](
        {"objs": [], "serving": {"cloud": "aws", "scheme": "internal", "domain": "", "tls": False}}
    )
    assert result.require_examined() == [f"{check}: examined nothing — {result.require_examined()[0].split('— ')[1]}"]


# --------------------------------------------------------------------------------------------
# the renders of the *-full test inventories


@pytest.fixture(scope="module")
def full_renders(full_builds) -> dict:
    return {name: facts(INVENTORIES[name], full_builds[name]) for name in FULL}


@pytest.mark.parametrize("name", FULL)
def test_full_renders_pass_and_examine(full_renders, name):
    render = full_renders[name]
    assert_passes(render, name)
    print({check: S.CHECKS[check](render).summary() for check in S.CHECKS})


@pytest.mark.parametrize(
    ("mutation", "name"),
    [(m, f"{cloud}-full") for m, (_n, _f, clouds, _r) in MUTATIONS.items() for cloud in clouds],
)
def test_full_render_defects_caught(full_renders, mutation, name):
    assert_caught(full_renders[name], mutation)

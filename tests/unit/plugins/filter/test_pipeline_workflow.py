"""The ML pipeline's WorkflowTemplate generator (pipeline/src/mlops_pipeline/workflow.py, Hera 6.0.0) and the
mlops.platform.pipeline_workflow filter that calls it."""

from __future__ import annotations

import copy
import importlib
import re
import sys
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.filter import pipeline_workflow as plugin
from ansible_collections.mlops.platform.plugins.filter.node_pools import node_pools
from ansible_collections.mlops.platform.plugins.filter.pool_tolerations import pool_tolerations

pytest.importorskip("hera", reason="hera==6.0.0 (requirements/dev.txt) is not installed")
sys.path.insert(0, str(plugin.PIPELINE_SRC))
spec = importlib.import_module("mlops_pipeline.spec")
workflow = importlib.import_module("mlops_pipeline.workflow")

POOLS = node_pools(
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
CONFIG = {
    "name": "ml-pipeline",
    "namespace": "argo",
    "labels": {"app.kubernetes.io/name": "ml-pipeline"},
    "image": "mlopsdevacr.azurecr.io/mlops-pipeline:0.1.0-0123456789abcdef",
    "serving_runtime": {
        "image": "docker.io/seldonio/mlserver:1.5.0",
        "python": "3.10",
        "libraries": {"scikit-learn": "1.4.1.post1", "numpy": "1.26.4"},
    },
    "service_account": "argo-workflow",
    "pod_labels": {"azure.workload.identity/use": "true"},
    "parameters": {"threshold": "0.85"},
    "artifact_repository": {
        "azure": {
            "endpoint": "https://acct.blob.core.windows.net",
            "container": "artifacts",
            "blobNameFormat": "argo/{{workflow.name}}/{{pod.name}}",
            "useSDKCreds": True,
        }
    },
    "mlflow": {
        "tracking_uri": "http://mlflow.mlflow.svc.cluster.local",
        "artifacts_destination": "wasbs://artifacts@acct.blob.core.windows.net/mlflow",
        "credentials_secret": "ml-pipeline-mlflow",
    },
    "memoize": {"config_map": "ml-pipeline-cache", "max_age": "720h"},
    "retry": {"limit": 3, "backoff": {"duration": "30s", "factor": 2, "max_duration": "10m"}},
    "resources": {
        "default": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}},
        "train": {"requests": {"cpu": 2, "memory": "4Gi"}, "limits": {"memory": "4Gi", "nvidia.com/gpu": 1}},
    },
    "placement": {
        "training": {
            "node_selector": {"platform.mlops/pool": "gpu"},
            "tolerations": pool_tolerations(POOLS, keys=["gpu"]),
        }
    },
    "schedule": "0 3 * * 1",
    "timezone": "Europe/Amsterdam",
}
PLACEHOLDER = re.compile(r"\{\{([^{}]+)\}\}")


def build(**changes) -> list:
    config = copy.deepcopy(CONFIG)
    config.update(changes)
    return workflow.build(config)


@pytest.fixture(scope="module")
def objects() -> list:
    return build()


def templates(objects) -> dict:
    return {t["name"]: t for t in objects[0]["spec"]["templates"]}


def tasks(objects) -> dict:
    return {t["name"]: t for t in templates(objects)["pipeline"]["dag"]["tasks"]}


def test_same_settings_same_yaml():
    shuffled = dict(reversed(list(copy.deepcopy(CONFIG).items())))
    first = yaml.safe_dump_all(build(), sort_keys=False)
    assert first == yaml.safe_dump_all(build(), sort_keys=False)
    assert first == yaml.safe_dump_all(workflow.build(shuffled), sort_keys=False)


def test_a_template_and_a_dag_task_per_step(objects):
    template = objects[0]
    assert template["kind"] == "WorkflowTemplate" and template["apiVersion"] == "argoproj.io/v1alpha1"
    assert template["spec"]["entrypoint"] == "pipeline"
    assert set(templates(objects)) == set(spec.STEP_NAMES) | {"pipeline"}
    dag = tasks(objects)
    assert list(dag) == list(spec.STEP_NAMES)
    for step in spec.STEPS:
        assert dag[step.name]["template"] == step.name
        assert set(filter(None, (dag[step.name].get("depends") or "").split(" && "))) == set(step.after)
        container = templates(objects)[step.name]["container"]
        assert container["command"] == [step.command]
        assert container["image"] == CONFIG["image"]
    params = {p["name"]: p["value"] for p in template["spec"]["arguments"]["parameters"]}
    assert params == {**spec.PARAMETERS, "threshold": "0.85"}


def test_conditions_from_the_spec(objects):
    dag = tasks(objects)
    decision = "'{{tasks.evaluate.outputs.parameters.decision}}' == 'register'"
    assert dag["register"]["when"] == decision
    assert dag["serving-gate"]["when"] == decision
    assert dag["promote"]["when"] == decision + " && '{{workflow.parameters.promote}}' == 'true'"
    assert all("when" not in dag[name] for name in ("ingest", "validate", "features", "train", "evaluate"))


def test_references_become_inputs_of_the_template(objects):
    dag, by_name = tasks(objects), templates(objects)
    for step in spec.STEPS:
        declared = {p["name"] for p in (by_name[step.name].get("inputs") or {}).get("parameters") or ()}
        used = {m.split(".")[2] for m in PLACEHOLDER.findall(str(by_name[step.name])) if m.startswith("inputs.param")}
        assert used <= declared, step.name
        passed = {p["name"]: p["value"] for p in (dag[step.name].get("arguments") or {}).get("parameters") or ()}
        assert set(passed) == declared
    evaluate = {p["name"]: p["value"] for p in dag["evaluate"]["arguments"]["parameters"]}
    assert evaluate["train-model-uri"] == "{{tasks.train.outputs.parameters.model-uri}}"
    assert evaluate["metric"] == "{{workflow.parameters.metric}}"
    assert "{{inputs.parameters.train-model-uri}}" in by_name["evaluate"]["container"]["args"]


def test_output_parameters_read_the_output_files(objects):
    for step in spec.STEPS:
        outputs = (templates(objects)[step.name].get("outputs") or {}).get("parameters") or ()
        assert {p["name"]: p["valueFrom"]["path"] for p in outputs} == {
            name: f"{spec.WORK_DIR}/out/{name}" for name in step.parameters
        }
        args = templates(objects)[step.name]["container"]["args"]
        assert all(f"{spec.WORK_DIR}/out/{name}" in args for name in step.parameters)


def test_artifacts_azure(objects):
    by_name, dag = templates(objects), tasks(objects)
    features = by_name["features"]["outputs"]["artifacts"][0]
    assert features["azure"]["blob"].startswith("features/{{inputs.parameters.ingest-dataset-digest}}-v1-t")
    assert features["azure"]["container"] == "artifacts" and features["archive"] == {"none": {}}
    model = next(a for a in by_name["serving-gate"]["inputs"]["artifacts"] if a["name"] == "model")
    assert model["path"] == spec.MODEL_DIR
    assert model["azure"]["blob"] == "{{inputs.parameters.register-model-key}}"
    assert {"name": "features", "from": "{{tasks.features.outputs.artifacts.features}}"} in dag["train"]["arguments"][
        "artifacts"
    ]


def test_artifacts_s3_key_only():
    repository = {"s3": {"bucket": "b", "endpoint": "s3.eu-west-1.amazonaws.com", "keyFormat": "argo/x"}}
    by_name = templates(build(artifact_repository=repository))
    assert by_name["features"]["outputs"]["artifacts"][0]["s3"] == {
        "key": "features/{{inputs.parameters.ingest-dataset-digest}}-v1-t{{inputs.parameters.test-percent}}"
        "-s{{inputs.parameters.seed}}"
    }
    with pytest.raises(workflow.ConfigError, match="neither s3 nor azure"):
        build(artifact_repository={"gcs": {}})


def filled(key: str, arguments: dict, defaults: dict) -> str:
    def value(match):
        passed = arguments[match.group(1).split(".")[2]]
        inner = PLACEHOLDER.fullmatch(passed).group(1).split(".")
        return defaults[inner[2]] if inner[0] == "workflow" else "0" * 64 + "-v1-t20-s42"

    return PLACEHOLDER.sub(value, key)


def test_memo_keys_are_legal_configmap_keys_once_filled(objects):
    defaults = {p["name"]: p["value"] for p in objects[0]["spec"]["arguments"]["parameters"]}
    memoized = {name: t["memoize"] for name, t in templates(objects).items() if "memoize" in t}
    assert set(memoized) == {s.name for s in spec.STEPS if s.memoize}
    for name, memoize in memoized.items():
        arguments = {p["name"]: p["value"] for p in tasks(objects)[name]["arguments"]["parameters"]}
        key = filled(memoize["key"], arguments, defaults)
        assert re.fullmatch(r"[-._a-zA-Z0-9]+", key) and len(key) <= 253, key
        assert memoize["maxAge"] == "720h"
        assert memoize["cache"]["configMap"] == {"name": "ml-pipeline-cache", "key": memoize["key"]}
    assert "-lr0.1-d3-breast-cancer-classifier" in filled(
        memoized["train"]["key"],
        {p["name"]: p["value"] for p in tasks(objects)["train"]["arguments"]["parameters"]},
        defaults,
    )


def _train_key(objects, step="train") -> str:
    defaults = {p["name"]: p["value"] for p in objects[0]["spec"]["arguments"]["parameters"]}
    arguments = {p["name"]: p["value"] for p in tasks(objects)[step]["arguments"]["parameters"]}
    return filled(templates(objects)[step]["memoize"]["key"], arguments, defaults)


@pytest.mark.parametrize(
    "changes",
    [
        {"parameters": {"n-estimators": "200"}},
        {"parameters": {"learning-rate": "0.05"}},
        {"parameters": {"max-depth": "4"}},
        {"parameters": {"experiment": "other-experiment"}},
        {"image": "registry.example/mlops-pipeline:0.1.1-0123456789abcdef"},
    ],
)
def test_the_train_memo_key_changes_with_each_input(objects, changes):
    # The feature set id (dataset digest, split, seed) is checked through the features key below; the
    # hyperparameters, the experiment and the step image (code and dependencies) here.
    assert _train_key(build(**changes)) != _train_key(objects)


@pytest.mark.parametrize("changes", [{"parameters": {"test-percent": "25"}}, {"parameters": {"seed": "7"}}])
def test_the_features_memo_key_changes_with_each_input(objects, changes):
    assert _train_key(build(**changes), "features") != _train_key(objects, "features")


def test_an_illegal_memo_key_is_refused_at_build_time():
    with pytest.raises(workflow.ConfigError, match="train: memoization key"):
        build(parameters={"experiment": "Breast Cancer/v2"})
    assert "memoize" not in templates(build(memoize=None))["train"]


def test_retries_with_backoff_never_retry_a_refusal(objects):
    for name in spec.STEP_NAMES:
        retry = templates(objects)[name]["retryStrategy"]
        assert retry["limit"] == 3 and retry["backoff"] == {"duration": "30s", "factor": 2, "maxDuration": "10m"}
        assert retry["expression"] == f'lastRetry.exitCode != "{spec.EXIT_REFUSED}"'


def test_placement_per_pool_class(objects):
    by_name = templates(objects)
    train = by_name["train"]
    assert train["nodeSelector"] == {"platform.mlops/pool": "gpu"}
    assert sorted(t["key"] for t in train["tolerations"]) == ["kubernetes.azure.com/scalesetpriority", "nvidia.com/gpu"]
    assert train["container"]["resources"]["limits"] == {"memory": "4Gi", "nvidia.com/gpu": "1"}
    for name in spec.STEP_NAMES:
        if spec.step(name).pool == "general":
            assert "nodeSelector" not in by_name[name] and "tolerations" not in by_name[name]
            assert by_name[name]["container"]["resources"]["requests"] == {"cpu": "250m", "memory": "512Mi"}


def test_serving_sidecar_is_the_contract_runtime(objects):
    gate = templates(objects)["serving-gate"]
    (sidecar,) = gate["sidecars"]
    assert sidecar["image"] == "docker.io/seldonio/mlserver:1.5.0" and sidecar["mirrorVolumeMounts"] is True
    assert {e["name"]: e["value"] for e in sidecar["env"]} == {
        "MLSERVER_MODEL_IMPLEMENTATION": "mlserver_mlflow.MLflowRuntime",
        "MLSERVER_MODEL_NAME": "candidate",
        "MLSERVER_MODEL_URI": spec.MODEL_DIR,
        "MLSERVER_HTTP_PORT": "8080",
    }
    assert all("sidecars" not in t for n, t in templates(objects).items() if n != "serving-gate")


def test_env_service_account_and_security(objects):
    template = objects[0]["spec"]
    assert template["serviceAccountName"] == "argo-workflow"
    assert template["podMetadata"] == {"labels": {"azure.workload.identity/use": "true"}}
    for name in spec.STEP_NAMES:
        t = templates(objects)[name]
        env = {e["name"]: e for e in t["container"]["env"]}
        assert env["MLFLOW_TRACKING_URI"]["value"] == "http://mlflow.mlflow.svc.cluster.local"
        assert env["MLFLOW_TRACKING_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
            "name": "ml-pipeline-mlflow",
            "key": "password",
        }
        assert env["MLOPS_ARTIFACTS_DESTINATION"]["value"].startswith("wasbs://")
        assert yaml.safe_load(env["MLOPS_SERVING_CONTRACT"]["value"])["python"] == "3.10"
        for container in [t["container"], *t.get("sidecars", ())]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False and context["capabilities"] == {"drop": ["ALL"]}
            assert context["runAsNonRoot"] is True and context["seccompProfile"] == {"type": "RuntimeDefault"}
    no_login = templates(build(mlflow={**CONFIG["mlflow"], "credentials_secret": ""}))["train"]["container"]["env"]
    assert "MLFLOW_TRACKING_USERNAME" not in {e["name"] for e in no_login}


def test_cron_workflow_only_with_a_schedule(objects):
    cron = objects[1]
    assert cron["kind"] == "CronWorkflow"
    assert cron["spec"]["schedules"] == ["0 3 * * 1"] and cron["spec"]["timezone"] == "Europe/Amsterdam"
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    assert cron["spec"]["workflowSpec"]["workflowTemplateRef"] == {"name": "ml-pipeline"}
    assert cron["spec"]["workflowSpec"]["serviceAccountName"] == "argo-workflow"
    assert [o["kind"] for o in build(schedule="")] == ["WorkflowTemplate"]


def test_unknown_parameters_are_refused():
    with pytest.raises(workflow.ConfigError, match="unknown"):
        build(parameters={"epochs": "3"})


def test_the_filter_returns_the_generator_output():
    assert plugin.FilterModule().filters()["pipeline_workflow"] is plugin.pipeline_workflow
    assert plugin.pipeline_workflow(copy.deepcopy(CONFIG)) == build()
    with pytest.raises(AnsibleFilterError, match="must be a mapping"):
        plugin.pipeline_workflow(["x"])
    with pytest.raises(AnsibleFilterError, match="ConfigError: parameters: unknown"):
        plugin.pipeline_workflow({**CONFIG, "parameters": {"epochs": "3"}})
    with pytest.raises(AnsibleFilterError, match="KeyError"):
        plugin.pipeline_workflow({k: v for k, v in CONFIG.items() if k != "image"})


def test_the_filter_names_the_hera_release_when_hera_is_missing(monkeypatch):
    for name in [n for n in sys.modules if n == "hera" or n.startswith("hera.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "hera", None)
    with pytest.raises(AnsibleFilterError, match=re.escape("install hera==6.0.0")):
        plugin.pipeline_workflow(copy.deepcopy(CONFIG))


def test_the_collection_ships_the_generator():
    assert Path(plugin.PIPELINE_SRC, "mlops_pipeline", "workflow.py").is_file()
    assert Path(plugin.PIPELINE_SRC, "mlops_pipeline", "spec.py").is_file()

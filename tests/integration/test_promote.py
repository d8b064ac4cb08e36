"""playbooks/promote.yml, the registered_model lookup and the model_alias module against real servers on 127.0.0.1.

MLflow 3.7.0 (.venv/mlflow-server, SQLite backend, artifacts proxied to an S3 destination) holds the registry; its
versions are made through the REST API (a logged model for the MLflow 3 ``models:/m-<id>`` source, a plain S3
source). Two MLServer 1.5.0 (.venv/ml-serving) serve a small MLflow model as the canary ``iris-canary``: one gets
good inference requests, the other malformed ones (MLServer answers 500). A real Prometheus (Debian's 2.42) scrapes
both; promote.yml reads its verdict from there (promote; roll back on the error ratio; roll back on p95 latency),
or, without Prometheus, from one V2 inference against the good server (smoke).

The cluster boundary: promote.yml renders the kserve role's InferenceServices release into the build folder
(platform_mode=render, what the stable and canary predictors would serve is read from those files), and one run in
platform_mode=apply against a kubeconfig whose API server is 127.0.0.1:<nothing listens> stops at the release's
apply, before any alias moved (as tests/integration/test_apply_boundary.py does for site.yml).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from .conftest import REPO, ansible_bin, run_playbook, upstream_dir
from .ml_lifecycle import servers
from .promote import registry

pytestmark = [pytest.mark.slow, pytest.mark.integration]

INVENTORY = REPO / "tests" / "integration" / "inventories" / "aws-full"
SERVING_VENV = REPO / ".venv" / "ml-serving"
CANARY = "iris-canary"
MAKE_MODEL = """
import sys
import mlflow.sklearn
from sklearn.linear_model import LogisticRegression
X = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5], [4.9, 3.0, 1.4, 0.2]]
mlflow.sklearn.save_model(LogisticRegression(max_iter=200).fit(X, [0, 2, 1, 0]), sys.argv[1])
"""
# One iris row as a V2 request (one FP64 input per column, decoded as a DataFrame: the pipeline gate's format).
GOOD_REQUEST = {
    "inputs": [
        {"name": f"f{i}", "shape": [1], "datatype": "FP64", "data": [v]} for i, v in enumerate([5.1, 3.5, 1.4, 0.2])
    ],
    "parameters": {"content_type": "pd"},
}
# Four values as one input: the model cannot take it, MLServer answers 500.
BAD_REQUEST = {"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP64", "data": [5.1, 3.5, 1.4, 0.2]}]}


def missing() -> str | None:
    needs = {
        registry.MLFLOW_VENV / "bin" / "mlflow": "the MLflow server venv (make setup)",
        SERVING_VENV / "bin" / "mlserver": "the MLServer 1.5.0 venv (make setup)",
    }
    for path, what in needs.items():
        if not path.exists():
            return f"{what} is missing: {path}"
    if shutil.which("prometheus") is None:
        return "prometheus is not on PATH (apt-get install prometheus)"
    return None


def clean_env() -> dict:
    drop = ("MLFLOW_", "AWS_", "MLSERVER_", "PYTHON", "VIRTUAL_ENV")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


def post(url: str, body: dict) -> int:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def prom_query(url: str, query: str) -> list:
    with urllib.request.urlopen(f"{url}/api/v1/query?" + urllib.parse.urlencode({"query": query}), timeout=5) as a:
        return json.loads(a.read())["data"]["result"]


class Stack:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.started: list[servers.Server] = []
        self.mlflow = self.good = self.bad = self.prometheus = None

    def start(self) -> None:
        logs = self.work / "logs"
        logs.mkdir()
        model = self.work / "model"
        maker = subprocess.Popen([str(SERVING_VENV / "bin" / "python"), "-c", MAKE_MODEL, str(model)], env=clean_env())
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            mlflow = pool.submit(registry.start, logs)
            assert maker.wait(60) == 0, "the MLflow model for MLServer could not be saved"
            canaries = {}
            for name in ("good", "bad"):
                (logs / name).mkdir()
                canaries[name] = pool.submit(
                    servers.start_mlserver, SERVING_VENV, model, CANARY, clean_env(), logs / name, 60
                )
            # Every server that started is stopped, even when another one failed.
            for future in [mlflow, *canaries.values()]:
                with contextlib.suppress(Exception):
                    self.started.append(future.result())
            self.mlflow, self.good, self.bad = mlflow.result(), canaries["good"].result(), canaries["bad"].result()
        self.prometheus = self.start_prometheus(logs)
        self.started.append(self.prometheus)

    def start_prometheus(self, logs: Path) -> servers.Server:
        jobs = []
        for name, server in (("good", self.good), ("bad", self.bad)):
            target = urllib.parse.urlsplit(server.metrics_url)
            jobs.append(
                {"job_name": name, "metrics_path": target.path, "static_configs": [{"targets": [target.netloc]}]}
            )
        return servers.start_prometheus(
            {"global": {"scrape_interval": "1s"}, "scrape_configs": jobs}, logs, clean_env()
        )

    def wait_for(self, query: str, what: str, deadline: float = 30) -> None:
        """Until every job (good, bad) has a sample of ``query`` > 0."""
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            seen = {r["metric"].get("job"): float(r["value"][1]) for r in prom_query(self.prometheus.url, query)}
            if all(seen.get(job, 0) > 0 for job in ("good", "bad")):
                return
            time.sleep(0.3)
        raise AssertionError(f"Prometheus never saw {what}: {query}")

    def traffic(self) -> None:
        """Two batches of inference requests a scrape apart, so that the counters increase inside the window.

        Prometheus scrapes a new target only after its discovery's first update (about 5 s).
        """
        self.wait_for("up", "both MLServer targets up")
        infer = 'rest_server_requests_total{path=~".*/infer"}'
        for batch in ("first", "second"):
            for _request in range(3):
                assert post(f"{self.good.url}/v2/models/{CANARY}/infer", GOOD_REQUEST) == 200
                assert post(f"{self.bad.url}/v2/models/{CANARY}/infer", BAD_REQUEST) == 500
            if batch == "first":
                self.wait_for(f"sum by (job) ({infer})", "the first requests")
        self.wait_for(f"sum by (job) (increase({infer}[2m]))", "the requests increase")

    def stop(self) -> None:
        for server in reversed(self.started):
            server.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    why = missing()
    if why:
        pytest.skip(why)
    s = Stack(tmp_path_factory.mktemp("promote"))
    try:
        s.start()
        s.traffic()
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def client(stack):
    return registry.Client(stack.mlflow.url)


def new_model(client, name: str, challenger_gate: str | None = "passed") -> dict:
    """A registered model with champion (an MLflow 3 logged model) and challenger (an S3 source) versions."""
    client.model(name)
    model_id = client.logged_model()
    champion = client.version(name, f"models:/{model_id}", model_id=model_id)
    challenger = client.version(name, f"s3://mlops-promote-test/{name}/2", gate=challenger_gate)
    client.alias(name, "champion", champion)
    client.alias(name, "challenger", challenger)
    return {
        "champion": champion,
        "challenger": challenger,
        "champion_uri": f"{registry.DESTINATION}/1/models/{model_id}/artifacts",
        "challenger_uri": f"s3://mlops-promote-test/{name}/2",
    }


def promote(stack, tmp_path: Path, model: str, *args: str, check: bool = False, **overrides):
    """promote.yml -e serving=iris against the aws-full inventory, its one predictive service reading ``model``."""
    build = tmp_path / "build"
    variables = {
        "serving": "iris",
        "infrastructure_terraform": False,
        "platform_mode": "render",
        "platform_chart_mirror": str(upstream_dir() / "charts"),
        "platform_build_dir": str(build),
        "kserve_model_registry_uri": stack.mlflow.url,
        "kserve_model_artifacts_destination": registry.DESTINATION,
        "kserve_inference_services": [
            {
                "name": "iris",
                "model_format": "mlflow",
                "registered_model": model,
                "canary": {"alias": "challenger", "weight": 10},
                "min_replicas": 1,
                "max_replicas": 2,
            }
        ],
        "kserve_llm_services": [],
        "promote_soak_seconds": 0,
        "promote_prometheus_window": "2m",
        **overrides,
    }
    extra = tmp_path / f"vars-{time.monotonic_ns()}.json"
    extra.write_text(json.dumps(variables))
    argv = ["playbooks/promote.yml", "-i", str(INVENTORY), "-e", f"@{extra}", *args]
    return run_playbook([*argv, "--check", "--diff"] if check else argv, build)


def said(run) -> str:
    """The run's output with every run of whitespace one space (the YAML callback wraps long lines)."""
    return " ".join(run.output.split())


def prometheus(stack, job: str, **overrides) -> dict:
    return {
        "promote_prometheus_url": stack.prometheus.url,
        "promote_prometheus_selector": f'job="{job}"',
        **overrides,
    }


def served(build: Path) -> dict:
    """InferenceService name -> storageUri in the rendered release."""
    (manifests,) = build.glob("*/kserve_models/manifests.yaml")
    docs = [d for d in yaml.safe_load_all(manifests.read_text()) if d]
    return {
        d["metadata"]["name"]: d["spec"]["predictor"]["model"]["storageUri"]
        for d in docs
        if d["kind"] == "InferenceService"
    }


def files(build: Path) -> dict:
    return {p: p.read_bytes() for p in build.rglob("*") if p.is_file()} if build.exists() else {}


def test_lookup_resolves_both_sources(stack, client):
    from ansible_collections.mlops.platform.plugins.module_utils import mlflow_registry

    model = new_model(client, "lookup-model")
    got = mlflow_registry.resolve(
        mlflow_registry.Registry(stack.mlflow.url),
        "lookup-model",
        ["champion", "challenger", "nope"],
        registry.DESTINATION,
    )
    assert got["aliases"]["nope"] is None
    assert got["aliases"]["champion"]["storage_uri"] == model["champion_uri"]
    assert got["aliases"]["champion"]["source"].startswith("models:/m-")
    assert got["aliases"]["challenger"]["storage_uri"] == model["challenger_uri"]
    assert got["aliases"]["challenger"]["gate"] == "passed"
    with pytest.raises(
        mlflow_registry.PlatformError, match=r"kserve_model_registry_uri\).*no registered model 'absent'"
    ):
        mlflow_registry.resolve(mlflow_registry.Registry(stack.mlflow.url), "absent", ["champion"], None)


def run_module(stack, *args: str, check: bool = False):
    argv = [ansible_bin("ansible"), "localhost", "-m", "mlops.platform.model_alias", "-a", " ".join(args)]
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), MLFLOW_TRACKING_URI=stack.mlflow.url)
    env.pop("MLFLOW_TRACKING_TOKEN", None)
    proc = subprocess.run(
        [*argv, "--check", "--diff"] if check else argv,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_model_alias_module(stack, client):
    model = new_model(client, "module-model")
    move = f"name=module-model alias=champion version={model['challenger']}"
    rc, out = run_module(stack, move, check=True)
    assert rc == 0 and "CHANGED" in out and "module-model@champion: 1" in out, out
    assert client.aliases("module-model")["champion"] == model["champion"], "check mode moved the alias"
    rc, out = run_module(stack, move)
    assert rc == 0 and "CHANGED" in out, out
    assert client.aliases("module-model")["champion"] == model["challenger"]
    assert client.tags("module-model", model["challenger"])["mlops.previous_champion"] == model["champion"]
    rc, out = run_module(stack, move)
    assert rc == 0 and "SUCCESS" in out and "changed: false" in out, out
    # A version the serving gate rejected never becomes the champion.
    rejected = client.version("module-model", "s3://mlops-promote-test/module-model/3", gate="failed")
    rc, out = run_module(stack, f"name=module-model alias=champion version={rejected}")
    assert rc != 0 and "has not passed the serving gate (serving_gate=failed)" in out, out
    assert client.aliases("module-model")["champion"] == model["challenger"]


def test_inputs_are_checked_before_anything(stack, client, tmp_path):
    run = promote(stack, tmp_path, "inputs-model", "-e", "serving=nope")
    expected = "serving (promote_serving) must be the name of an entry of kserve_inference_services (iris)"
    assert run.rc != 0 and expected in said(run), run.output
    run = promote(stack, tmp_path, "inputs-model", "-e", "action=sideways")
    assert run.rc != 0 and "must be one of auto, promote, rollback" in said(run), run.output
    assert not (tmp_path / "build").exists()


def test_a_configuration_preflight_refuses_changes_nothing(stack, client, tmp_path):
    """promote applies the release of every served model: an LLM that does not fit its GPU stops it in preflight."""
    model = new_model(client, "preflight-model")
    mistral = {"name": "mistral-7b", "model": "mistral-7b-instruct-v0.2", "pool": "gpu", "max_model_len": 4096}
    run = promote(stack, tmp_path, "preflight-model", kserve_llm_services=[mistral])
    assert run.rc != 0 and "kserve_llm_services[0]: does not fit" in said(run), run.output
    assert "TASK [mlops.platform.promote : Promote | Champion and challenger" not in run.output
    assert client.aliases("preflight-model") == {"champion": model["champion"], "challenger": model["challenger"]}
    assert not (tmp_path / "build").exists()


def test_refuses_a_challenger_the_gate_rejected(stack, client, tmp_path):
    model = new_model(client, "gate-model", challenger_gate="failed")
    run = promote(stack, tmp_path, "gate-model", **prometheus(stack, "good"))
    assert run.rc != 0 and "its serving_gate tag is failed, not passed" in said(run), run.output
    assert client.aliases("gate-model") == {"champion": model["champion"], "challenger": model["challenger"]}
    assert not (tmp_path / "build").exists(), "a refused promotion rendered the canary"
    # Rolling it back is still allowed, at once (no canary, no verification).
    run = promote(stack, tmp_path, "gate-model", "-e", "action=rollback")
    assert run.rc == 0 and run.changed() == 2, run.output  # challenger alias removed, stable served
    assert client.aliases("gate-model") == {"champion": model["champion"]}
    assert client.tags("gate-model", model["challenger"])["mlops.rollout"] == "rolled-back"
    assert served(tmp_path / "build") == {"iris": model["champion_uri"]}


def test_too_little_traffic_leaves_the_canary(stack, client, tmp_path):
    model = new_model(client, "quiet-model")
    run = promote(stack, tmp_path, "quiet-model", **prometheus(stack, "nobody"))
    assert run.rc != 0 and "too little to judge. The canary stays" in said(run), run.output
    assert client.aliases("quiet-model") == {"champion": model["champion"], "challenger": model["challenger"]}
    assert served(tmp_path / "build") == {"iris": model["champion_uri"], CANARY: model["challenger_uri"]}


def test_prometheus_verdict_promotes(stack, client, tmp_path):
    model = new_model(client, "good-model")
    checked = promote(stack, tmp_path, "good-model", check=True, **prometheus(stack, "good"))
    assert checked.rc == 0, checked.output
    assert f"promote: champion {model['champion']} -> {model['challenger']}" in said(checked)
    assert "for 10% of the requests to iris" in said(checked) and "for 90%" in said(checked)
    assert client.aliases("good-model")["challenger"] == model["challenger"], "--check moved an alias"
    assert not files(tmp_path / "build"), "--check wrote the render"

    first = promote(stack, tmp_path, "good-model", **prometheus(stack, "good"))
    assert first.rc == 0, first.output
    assert first.changed() == 4, first.output  # canary staged, champion moved, challenger removed, stable served
    assert "verification: passed" in said(first)
    assert client.aliases("good-model") == {"champion": model["challenger"]}
    tags = client.tags("good-model", model["challenger"])
    assert tags["mlops.previous_champion"] == model["champion"] and tags["mlops.rollout"] == "promoted"
    assert served(tmp_path / "build") == {"iris": model["challenger_uri"]}

    second = promote(stack, tmp_path, "good-model", **prometheus(stack, "good"))
    assert second.rc == 0 and second.changed() == 0, second.output
    assert "no canary to promote or roll back" in said(second)


@pytest.mark.parametrize(
    ("job", "limits", "reason"),
    [
        ("bad", {}, "error ratio 1.0 > promote_max_error_ratio 0.05"),
        ("good", {"promote_max_p95_seconds": 0.0001}, "s > promote_max_p95_seconds 0.0001"),
    ],
    ids=["error-ratio", "latency"],
)
def test_prometheus_verdict_rolls_back(stack, client, tmp_path, job, limits, reason):
    name = f"rollback-{job}-{len(limits)}"
    model = new_model(client, name)
    run = promote(stack, tmp_path, name, **prometheus(stack, job, **limits))
    assert run.rc == 0, run.output
    assert reason in said(run), run.output
    assert client.aliases(name) == {"champion": model["champion"]}
    assert client.tags(name, model["challenger"])["mlops.rollout"] == "rolled-back"
    assert served(tmp_path / "build") == {"iris": model["champion_uri"]}


def test_smoke_inference_promotes_without_prometheus(stack, client, tmp_path):
    model = new_model(client, "smoke-model")
    run = promote(
        stack,
        tmp_path,
        "smoke-model",
        promote_canary_url=stack.good.url,
        promote_smoke_request=GOOD_REQUEST,
    )
    assert run.rc == 0, run.output
    assert "verification: passed" in said(run) and '"status": 200' in said(run), run.output
    assert client.aliases("smoke-model") == {"champion": model["challenger"]}
    assert served(tmp_path / "build") == {"iris": model["challenger_uri"]}


def test_apply_stops_at_the_cluster_before_any_alias_moves(stack, client, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "nowhere", "cluster": {"server": f"https://127.0.0.1:{port}"}}],
                "contexts": [{"name": "nowhere", "context": {"cluster": "nowhere", "user": "nobody"}}],
                "current-context": "nowhere",
                "users": [{"name": "nobody", "user": {"token": "not-a-credential"}}],
            }
        )
    )
    model = new_model(client, "apply-model")
    run = promote(
        stack,
        tmp_path,
        "apply-model",
        platform_mode="apply",
        platform_kubeconfig=str(kubeconfig),
        platform_release_timeout=30,
        **prometheus(stack, "good"),
    )
    assert run.rc != 0, run.output
    failed = [line for line in run.output.splitlines() if line.startswith("fatal:")]
    assert failed, run.output
    assert "Apply the InferenceServices release, until ready" in run.output.split("fatal:")[0].rsplit("TASK [", 1)[1]
    assert f"127.0.0.1:{port}" in said(run), run.output
    assert client.aliases("apply-model") == {"champion": model["champion"], "challenger": model["challenger"]}

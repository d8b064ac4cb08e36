"""The ML lifecycle on 127.0.0.1 (issue 11, item 6): the pipeline's own entry points, the MLflow
server the platform pins, the serving runtime the platform pins.

PostgreSQL, moto's S3 and MLflow 3.7.0 (.venv/mlflow-server) start once for the module. The
pipeline's steps run as subprocesses of .venv/ml-pipeline (Python 3.10, the step image's lock),
with the command lines of pipeline/src/mlops_pipeline/spec.py (see ml_lifecycle/runner.py for
the two local stand-ins: the feature store and the serving gate's sidecar). The candidate model
is fetched from the S3 folder its registry entry resolves to -- what KServe's storage initializer
fetches -- and served by MLServer 1.5.0 (.venv/ml-serving, Python 3.10, the runtime image's pins)
with the environment KServe sets; the serving gate calls it, promotion moves ``champion``, and a
V2 inference on held-out rows is checked against their labels. A re-run on the same data creates
nothing. A model trained with Python 3.11 and a current scikit-learn is refused by the gate and
by promotion.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from .ml_lifecycle import runner, servers

pytestmark = [pytest.mark.slow, pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]
VENV = Path(os.environ.get("VIRTUAL_ENV") or REPO / ".venv")
if not (VENV / "bin" / "python").exists():
    VENV = REPO / ".venv"
PIPELINE_VENV = VENV / "ml-pipeline"
SERVING_VENV = VENV / "ml-serving"
MLFLOW_VENV = VENV / "mlflow-server"
MOTO_SERVER = VENV / "bin" / "moto_server"
VERSIONS_FILE = REPO / "roles" / "platform" / "defaults" / "main" / "versions.yml"
SKEW_SCRIPT = Path(__file__).resolve().parent / "ml_lifecycle" / "train_skewed.py"
BUCKET = "mlops-platform-test"
ARTIFACTS_DESTINATION = f"s3://{BUCKET}/mlflow"
FEATURE_STORE = f"s3://{BUCKET}/features"
# What MLServer calls the candidate (the serving gate's --served-model-name in spec.py).
SERVED_NAME = "candidate"
TEST_KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def missing_pieces() -> str | None:
    """Why the module cannot run here (None: it can)."""
    setup = "run `make setup` (scripts/setup.sh; Python 3.10 from $PYTHON310, PATH or pyenv)"
    needs = {
        PIPELINE_VENV / "bin" / "mlops-ingest": f"the pipeline venv {PIPELINE_VENV}",
        SERVING_VENV / "bin" / "mlserver": f"the MLServer 1.5.0 venv {SERVING_VENV}",
        MLFLOW_VENV / "bin" / "mlflow": f"the MLflow server venv {MLFLOW_VENV}",
        MOTO_SERVER: f"moto_server in {VENV / 'bin'}",
        runner.SPEC_FILE: "pipeline/src/mlops_pipeline/spec.py",
    }
    for path, what in needs.items():
        if not path.exists():
            return f"{what} is missing ({path}): {setup}"
    for tool in ("initdb", "pg_ctl", "createdb"):
        if shutil.which(tool) is None:
            return f"PostgreSQL's {tool} is not on PATH (install PostgreSQL 15 server binaries)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser: PostgreSQL cannot run as an unprivileged user"
    return None


def serving_contract() -> dict:
    """The serving-runtime contract from its one source, platform_versions.serving_runtime."""
    runtime = yaml.safe_load(VERSIONS_FILE.read_text())["platform_versions"]["serving_runtime"]
    return {
        "image": f"{runtime['image']['repository']}:{runtime['image']['tag']}",
        "python": str(runtime["python"]),
        "libraries": {name: str(version) for name, version in runtime["libraries"].items()},
    }


def base_env() -> dict[str, str]:
    """The caller's environment without anything that would point a subprocess elsewhere."""
    drop = ("AWS_", "MLFLOW_", "MLOPS_", "MLSERVER_", "AZURE_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(name, None)
    env["GIT_PYTHON_REFRESH"] = "quiet"
    return env


def split_s3(uri: str):
    parsed = urllib.parse.urlparse(uri)
    assert parsed.scheme == "s3", uri
    return parsed.netloc, parsed.path.lstrip("/")


class Lifecycle:
    """The module's servers and clients (see the module docstring)."""

    def __init__(self, work: Path):
        self.work = work
        self.logs = work / "logs"
        self.logs.mkdir()
        self.timings: dict[str, float] = {}
        self.started = time.monotonic()
        self.postgres: servers.Postgres | None = None
        self.moto: servers.Server | None = None
        self.mlflow: servers.Server | None = None
        self.mlserver: servers.Server | None = None
        self.served_dir: Path | None = None
        self.contract = serving_contract()

    def start(self) -> None:
        self.postgres = servers.Postgres(self.logs)
        self.timings["postgres ready"] = self.postgres.ready_seconds
        self.moto = servers.start_moto(MOTO_SERVER, self.logs)
        self.timings["moto ready"] = self.moto.ready_seconds
        self.s3().create_bucket(Bucket=BUCKET)
        env = dict(base_env(), **TEST_KEYS, MLFLOW_S3_ENDPOINT_URL=self.moto.url, AWS_ENDPOINT_URL_S3=self.moto.url)
        self.mlflow = servers.start_mlflow(MLFLOW_VENV, self.postgres.uri, ARTIFACTS_DESTINATION, env, self.logs)
        self.timings["mlflow ready"] = self.mlflow.ready_seconds

    def stop(self) -> None:
        for server in (self.mlserver, self.mlflow, self.moto):
            if server is not None:
                server.stop()
        if self.postgres is not None:
            self.postgres.stop()

    def diagnose(self) -> str:
        parts = [s.describe() for s in (self.mlflow, self.mlserver, self.moto, self.postgres) if s is not None]
        return "\n".join(parts)

    def s3(self):
        import boto3  # the main venv's (requirements/dev.txt)

        return boto3.client(
            "s3",
            endpoint_url=self.moto.url,
            **{k.lower(): v for k, v in TEST_KEYS.items() if k != "AWS_DEFAULT_REGION"},
            region_name="us-east-1",
        )

    def step_env(self) -> dict[str, str]:
        """What a step container gets: the tracking server, the artifacts destination, the contract, S3."""
        return dict(
            base_env(),
            **TEST_KEYS,
            MLFLOW_TRACKING_URI=self.mlflow.url,
            MLOPS_ARTIFACTS_DESTINATION=ARTIFACTS_DESTINATION,
            MLOPS_SERVING_CONTRACT=json.dumps(self.contract),
            AWS_ENDPOINT_URL_S3=self.moto.url,
            MLFLOW_S3_ENDPOINT_URL=self.moto.url,
        )

    def download(self, uri: str, dest: Path) -> int:
        """Every object under the S3 folder ``uri`` into ``dest`` (what a storage initializer does)."""
        bucket, prefix = split_s3(uri.rstrip("/") + "/")
        client = self.s3()
        count = 0
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                target = dest / item["Key"][len(prefix) :]
                target.parent.mkdir(parents=True, exist_ok=True)
                client.download_file(bucket, item["Key"], str(target))
                count += 1
        assert count, f"nothing stored under {uri}"
        return count

    def listing(self, uri: str) -> dict[str, str]:
        """key -> ETag + LastModified of every object under an S3 folder."""
        bucket, prefix = split_s3(uri.rstrip("/") + "/")
        found = {}
        for page in self.s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                found[item["Key"]] = f"{item['ETag']} {item['LastModified'].isoformat()}"
        return found

    def api(self, path: str, params: dict | None = None, body: dict | None = None) -> dict:
        """The MLflow REST API (GET with params, POST with body)."""
        url = f"{self.mlflow.url}/api/2.0/mlflow/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")

    def versions(self, name: str) -> dict[str, dict]:
        found = self.api("model-versions/search", {"filter": f"name='{name}'", "max_results": 100})
        return {v["version"]: v for v in found.get("model_versions", [])}

    def version(self, name: str, version: str) -> dict:
        """One model version with its tags and aliases (the search API leaves aliases out)."""
        return self.api("model-versions/get", {"name": name, "version": version})["model_version"]

    def alias(self, name: str, alias: str) -> str:
        return self.api("registered-models/alias", {"name": name, "alias": alias})["model_version"]["version"]

    def runs(self, experiment: str) -> list:
        experiment_id = self.api("experiments/get-by-name", {"experiment_name": experiment})["experiment"][
            "experiment_id"
        ]
        return self.api("runs/search", body={"experiment_ids": [experiment_id], "max_results": 1000}).get("runs", [])

    def storage_uri(self, name: str, version: str) -> str:
        """The S3 folder of a model version: its mlflow-artifacts: download URI under the artifacts destination."""
        uri = self.api("model-versions/get-download-uri", {"name": name, "version": version})["artifact_uri"]
        prefix = "mlflow-artifacts:/"
        assert uri.startswith(prefix), uri
        return f"{ARTIFACTS_DESTINATION}/{uri[len(prefix) :].lstrip('/')}"

    def resolve(self, run: runner.PipelineRun, alias: str) -> str:
        """``mlops-resolve``: the storage URI ``models:/NAME@ALIAS`` resolves to."""
        out = run.work / "outputs" / "resolve" / alias
        out.parent.mkdir(parents=True, exist_ok=True)
        argv = [
            str(PIPELINE_VENV / "bin" / "mlops-resolve"),
            "--model-name",
            run.spec.PARAMETERS["model-name"],
            "--alias",
            alias,
            "--storage-uri-output",
            str(out),
        ]
        result = runner.run_command(f"resolve {alias}", argv, run.env, run.work)
        assert result.rc == 0, f"{result.describe()}\n{self.diagnose()}"
        return out.read_text()

    def serve(self, model_dir: Path) -> servers.Server:
        """MLServer 1.5.0 on the downloaded model folder (started once for the module)."""
        if self.mlserver is None:
            self.mlserver = servers.start_mlserver(SERVING_VENV, model_dir, SERVED_NAME, base_env(), self.logs)
            self.served_dir = model_dir
            self.timings["mlserver ready"] = self.mlserver.ready_seconds
        assert self.served_dir == model_dir, "MLServer serves one model folder per module"
        return self.mlserver


def report(config, lines) -> None:
    """Timings and results on the terminal, past pytest's output capture (as ``capsys.disabled()``)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        for line in lines:
            print(f"[ml-lifecycle] {line}", file=sys.stderr)
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        for line in lines:
            reporter.write_line(f"[ml-lifecycle] {line}")


@pytest.fixture(scope="module")
def spec():
    if not runner.SPEC_FILE.exists():
        pytest.skip(f"{runner.SPEC_FILE} is missing")
    return runner.load_spec()


@pytest.fixture(scope="module")
def lifecycle(spec, tmp_path_factory, request):
    reason = missing_pieces()
    if reason:
        pytest.skip(reason)
    life = Lifecycle(tmp_path_factory.mktemp("ml-lifecycle"))
    failed_before = request.session.testsfailed
    try:
        life.start()
        yield life
    finally:
        life.stop()
        life.timings["module total"] = time.monotonic() - life.started
        lines = [f"{name}: {seconds:.1f} s" for name, seconds in life.timings.items()]
        if request.session.testsfailed > failed_before:
            # pytest's tmp folders rotate (other sessions may remove them): keep the logs under build/.
            kept = REPO / "build" / "test-logs" / "ml-lifecycle"
            shutil.rmtree(kept, ignore_errors=True)
            shutil.copytree(life.logs, kept)
            lines.append(f"server logs kept in {kept}")
        report(request.config, lines)


def new_run(life: Lifecycle, spec, name: str) -> runner.PipelineRun:
    work = life.work / name
    work.mkdir()

    def fetch_features(run: runner.PipelineRun, folder: Path) -> None:
        # The artifact key spec.py gives the features output (features/ + spec.feature_set_id(...)):
        # the folder the step's --store-uri wrote (or reused) must be that key.
        feature_set_id = run.outputs[("features", "feature-set-id")]
        key = "".join(spec.resolve(spec.step("features").outputs[0].key, run.value))
        assert key == f"features/{feature_set_id}", (key, feature_set_id)
        life.download(f"s3://{BUCKET}/{key}", folder)

    def before_gate(run: runner.PipelineRun) -> dict[str, str]:
        # What the serving gate's pod has: the version's folder fetched by the storage initializer
        # into MODEL_DIR, and the serving runtime sidecar loading it.
        version = run.outputs[("register", "version")]
        key = run.outputs[("register", "model-key")]
        storage = life.resolve(run, "challenger")
        assert storage == f"s3://{BUCKET}/{key}", (storage, key)
        assert storage == life.storage_uri(spec.PARAMETERS["model-name"], version)
        run.challenger = life.alias(spec.PARAMETERS["model-name"], "challenger")
        model_dir = run.work / "mnt-models"
        life.download(storage, model_dir)
        assert (model_dir / "MLmodel").is_file(), sorted(p.name for p in model_dir.iterdir())
        server = life.serve(model_dir)
        run.storage_uri = storage
        return {"--model-dir": str(model_dir), "--endpoint": server.url}

    return runner.PipelineRun(
        spec=spec,
        bin_dir=PIPELINE_VENV / "bin",
        work=work,
        env=life.step_env(),
        feature_store=FEATURE_STORE,
        fetch_features=fetch_features,
        before_gate=before_gate,
        diagnose=life.diagnose,
    )


@pytest.fixture(scope="module")
def first_run(lifecycle, spec, request):
    start = time.monotonic()
    run = new_run(lifecycle, spec, "run-1").run()
    lifecycle.timings["first pipeline run"] = time.monotonic() - start
    report(request.config, [f"first run steps: {run.timings()}"])
    return run


def test_first_run_registers_serves_and_promotes(first_run, lifecycle, spec, request):
    name = spec.PARAMETERS["model-name"]
    assert first_run.outputs[("evaluate", "decision")] == "register", first_run.steps["evaluate"].describe()
    assert [n for n, r in first_run.steps.items() if r.skipped] == []
    version = first_run.outputs[("register", "version")]
    assert list(lifecycle.versions(name)) == [version]
    # Registration aliased it challenger (checked before the gate ran, in before_gate) ...
    assert first_run.challenger == version
    detail = lifecycle.version(name, version)
    tags = {t["key"]: t["value"] for t in detail.get("tags", [])}
    assert tags.get("serving_gate") == "passed", tags
    # ... and promotion moved champion to it; challenger no longer points at it.
    assert lifecycle.alias(name, "champion") == version
    assert detail.get("aliases") == ["champion"], detail
    # models:/NAME@champion resolves to the very folder MLServer was started on.
    champion_uri = lifecycle.resolve(first_run, "champion")
    assert champion_uri == first_run.storage_uri == lifecycle.storage_uri(name, version)
    run_data = lifecycle.api("runs/get", {"run_id": first_run.outputs[("train", "run-id")]})["run"]["data"]
    metrics = {m["key"]: round(m["value"], 4) for m in run_data.get("metrics", [])}
    metric = spec.PARAMETERS["metric"]
    assert metrics[f"test_{metric}"] >= float(spec.PARAMETERS["threshold"]), metrics
    report(
        request.config,
        [
            f"registered {name} version {version}; aliases {detail.get('aliases')}; tags {tags}",
            f"models:/{name}@champion -> version {version} -> {champion_uri}",
            f"run {first_run.outputs[('train', 'run-id')]} metrics {metrics}",
        ],
    )


def test_served_prediction_matches_labels(first_run, lifecycle, request):
    server = lifecycle.mlserver
    assert server is not None, "the serving gate never started MLServer"
    test_csv = first_run.artifact_dir("features") / "test.csv"
    rows = list(csv_rows(test_csv))
    labels = [int(float(row.pop("target"))) for row in rows]
    columns = list(rows[0])
    body = {
        "parameters": {"content_type": "pd"},
        "inputs": [
            {"name": col, "shape": [len(rows)], "datatype": "FP64", "data": [float(row[col]) for row in rows]}
            for col in columns
        ],
    }
    request_ = urllib.request.Request(
        f"{server.url}/v2/models/{SERVED_NAME}/infer",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request_, timeout=60) as response:
        answer = json.loads(response.read())
    predictions = [int(value) for value in answer["outputs"][0]["data"]]
    assert len(predictions) == len(labels)
    accuracy = sum(p == y for p, y in zip(predictions, labels, strict=True)) / len(labels)
    assert accuracy >= 0.9, (accuracy, predictions, labels)
    # The runtime predicts what the pipeline's evaluation measured on the same rows.
    run_data = lifecycle.api("runs/get", {"run_id": first_run.outputs[("train", "run-id")]})["run"]["data"]
    evaluated = {m["key"]: m["value"] for m in run_data.get("metrics", [])}.get("test_accuracy")
    assert evaluated is None or abs(evaluated - accuracy) < 1e-9, (evaluated, accuracy)
    with urllib.request.urlopen(server.metrics_url, timeout=10) as response:
        metrics = response.read().decode()
    assert "model_infer_request_success_total" in metrics
    report(
        request.config,
        [
            f"MLServer 1.5.0 ({answer.get('model_name')}) on {len(rows)} held-out rows: "
            f"accuracy {accuracy:.3f}; first predictions {predictions[:10]} vs labels {labels[:10]}"
        ],
    )


def csv_rows(path: Path):
    import csv

    with open(path, newline="") as handle:
        yield from csv.DictReader(handle)


def test_rerun_on_same_data_creates_nothing(first_run, lifecycle, spec, request):
    name, experiment = spec.PARAMETERS["model-name"], spec.PARAMETERS["experiment"]
    feature_set = first_run.outputs[("features", "feature-set-id")]
    stored = lifecycle.listing(f"{FEATURE_STORE}/{feature_set}")
    runs_before, versions_before = lifecycle.runs(experiment), lifecycle.versions(name)
    champion_before = lifecycle.alias(name, "champion")
    start = time.monotonic()
    rerun = new_run(lifecycle, spec, "run-2").run()
    lifecycle.timings["re-run"] = time.monotonic() - start
    assert rerun.outputs[("features", "feature-set-id")] == feature_set
    assert "reuse" in (rerun.steps["features"].stdout + rerun.steps["features"].stderr).lower(), rerun.steps[
        "features"
    ].describe()
    assert lifecycle.listing(f"{FEATURE_STORE}/{feature_set}") == stored, "the feature set was rewritten"
    assert rerun.outputs[("train", "run-id")] == first_run.outputs[("train", "run-id")]
    assert rerun.outputs[("train", "fingerprint")] == first_run.outputs[("train", "fingerprint")]
    assert rerun.outputs[("evaluate", "decision")] == "unchanged", rerun.steps["evaluate"].describe()
    assert [n for n, r in rerun.steps.items() if r.skipped] == ["register", "serving-gate", "promote"]
    assert len(lifecycle.runs(experiment)) == len(runs_before)
    assert lifecycle.versions(name).keys() == versions_before.keys()
    assert lifecycle.alias(name, "champion") == champion_before
    report(request.config, [f"re-run steps: {rerun.timings()}; decision unchanged, feature set {feature_set} reused"])


def test_skewed_model_is_refused(first_run, lifecycle, spec, request):
    name, experiment = spec.PARAMETERS["model-name"], spec.PARAMETERS["experiment"]
    champion_before = lifecycle.alias(name, "champion")
    argv = [
        str(MLFLOW_VENV / "bin" / "python"),
        str(SKEW_SCRIPT),
        str(first_run.artifact_dir("features")),
        name,
        experiment,
    ]
    trained = runner.run_command("train skewed", argv, first_run.env, first_run.work)
    assert trained.rc == 0, trained.describe()
    skewed = json.loads(trained.stdout.strip().splitlines()[-1])
    version = skewed["version"]
    assert version not in (champion_before,)
    skew_dir = first_run.work / "skewed-model"
    lifecycle.download(lifecycle.storage_uri(name, version), skew_dir)
    server = lifecycle.mlserver
    assert server is not None, "the serving gate never started MLServer"
    skew = dataclasses.replace(
        first_run,
        outputs={**first_run.outputs, ("register", "version"): version},
        steps={},
        before_gate=lambda run: {"--model-dir": str(skew_dir), "--endpoint": server.url},
    )
    gate = skew.run_step(spec.step("serving-gate"), check=False)
    assert gate.rc == spec.EXIT_REFUSED, gate.describe()
    message = gate.stderr
    assert "Traceback" not in message, message
    runtime = lifecycle.contract
    names_sklearn = skewed["scikit-learn"] in message and runtime["libraries"]["scikit-learn"] in message
    names_python = skewed["python"].rsplit(".", 1)[0] in message and runtime["python"] in message
    assert names_sklearn or names_python, f"the refusal does not name both versions:\n{message}"
    # What the gate prevents: the serving runtime cannot load this model (a CrashLoopBackOff in a cluster).
    crash = crash_of_serving_runtime(lifecycle, skew_dir)
    promote = skew.run_step(spec.step("promote"), check=False)
    assert promote.rc == spec.EXIT_REFUSED, promote.describe()
    assert "Traceback" not in promote.stderr, promote.stderr
    assert lifecycle.alias(name, "champion") == champion_before
    report(
        request.config,
        [
            f"skewed version {version} (Python {skewed['python']}, scikit-learn {skewed['scikit-learn']}) refused: "
            f"{message.strip().splitlines()[-1] if message.strip() else '?'}",
            f"promote refused: {promote.stderr.strip().splitlines()[-1] if promote.stderr.strip() else '?'}",
            f"MLServer 1.5.0 on the skewed model: {crash}",
        ],
    )


def crash_of_serving_runtime(lifecycle: Lifecycle, model_dir: Path) -> str:
    """Start a second MLServer on ``model_dir``; it must not become ready. Returns the error it logged."""
    logs = lifecycle.logs / "skewed"
    logs.mkdir(exist_ok=True)
    start = time.monotonic()
    try:
        server = servers.start_mlserver(SERVING_VENV, model_dir, "skewed", base_env(), logs, deadline=60)
    except RuntimeError as exc:
        lifecycle.timings["mlserver refusing the skewed model"] = time.monotonic() - start
        log = servers.tail(logs / "mlserver.log", 20000)
        assert "failed to load" in log or "Error" in log, f"MLServer stopped without naming a load error:\n{exc}"
        errors = [line.strip() for line in log.splitlines() if "Error:" in line]
        return errors[-1] if errors else str(exc).splitlines()[0]
    server.stop()
    raise AssertionError(f"MLServer 1.5.0 loaded the skewed model from {model_dir}: the skew test proves nothing")

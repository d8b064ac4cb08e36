"""Shared fixtures: a dataset and feature set made once, a real MLflow file store per test,
a moto S3 server and a fake V2 serving runtime on 127.0.0.1 (started and stopped here)."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import threading
import time
import typing

import pytest
from mlops_pipeline import data, features, spec, storage

PIPELINE = pathlib.Path(__file__).resolve().parents[1]
REPO = PIPELINE.parent
CONTRACT = {
    "image": "docker.io/seldonio/mlserver:1.5.0",
    "python": "3.10",
    "libraries": {
        "scikit-learn": "1.4.1.post1",
        "numpy": "1.26.4",
        "scipy": "1.12.0",
        "joblib": "1.3.2",
        "cloudpickle": "3.0.0",
        "pandas": "2.2.1",
    },
}
# Small models keep the suite fast; the pickle-sensitive estimator is the same.
FAST = {"n_estimators": 20, "learning_rate": 0.1, "max_depth": 2, "seed": 42}


def run_cli(entry: typing.Callable[[list[str]], None], argv: list[str]) -> int:
    """Run a console-script function; its exit status (0 when it returns)."""
    try:
        entry(argv)
    except SystemExit as stop:
        return int(stop.code or 0)
    return 0


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def dataset_dir(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """The breast-cancer dataset, ingested once."""
    folder = tmp_path_factory.mktemp("dataset")
    data.ingest("breast_cancer", str(folder))
    return folder


@pytest.fixture(scope="session")
def features_dir(dataset_dir: pathlib.Path, tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """The feature set (20 % test, seed 42), built once."""
    folder = tmp_path_factory.mktemp("features")
    features.build(str(dataset_dir), "20", "42", str(folder), None)
    return folder


@pytest.fixture
def tracking(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh, real MLflow tracking store and model registry (file store) for one test."""
    import mlflow

    uri = (tmp_path / "mlruns").as_uri()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.delenv("MLOPS_ARTIFACTS_DESTINATION", raising=False)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    yield uri
    with contextlib.suppress(Exception):
        mlflow.end_run()


@pytest.fixture
def contract_file(tmp_path: pathlib.Path) -> str:
    """The serving-runtime contract as a JSON file."""
    path = tmp_path / "contract.json"
    path.write_text(json.dumps(CONTRACT), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> typing.Iterator[str]:
    """A real moto S3 server on 127.0.0.1 (moto_server from this environment), stopped after."""
    binary = shutil.which("moto_server", path=os.path.dirname(sys.executable)) or shutil.which("moto_server")
    if binary is None:
        pytest.skip("moto_server not installed (pip install -r requirements-test.lock)")
    port = free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("wb")
    process = subprocess.Popen([binary, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            break
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"moto_server did not start (log: {log.name})")
        time.sleep(0.1)
    yield endpoint
    process.terminate()
    process.wait(timeout=10)
    log.close()


@pytest.fixture
def s3_bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> typing.Iterator[str]:
    """A fresh bucket on the moto server; boto3 reaches it through the standard environment."""
    import uuid

    import boto3

    for name, value in {
        "AWS_ENDPOINT_URL_S3": s3_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    storage._s3_client.cache_clear()
    bucket = f"platform-{uuid.uuid4().hex[:12]}"
    boto3.client("s3").create_bucket(Bucket=bucket)
    yield bucket
    storage._s3_client.cache_clear()


class FakeRuntime:
    """A tiny V2 (Open Inference Protocol) server answering like MLServer for one model."""

    def __init__(self, served: str, predict: typing.Callable[[typing.Any], list[int]], not_ready_polls: int = 0):
        self.served = served
        self.predict = predict
        self.not_ready_polls = not_ready_polls
        self.requests: list[dict[str, typing.Any]] = []
        self.flip = False
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        runtime = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: typing.Any) -> None:  # quiet
                pass

            def _answer(self, status: int, body: dict[str, typing.Any]) -> None:
                payload = json.dumps(body).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                if self.path != f"/v2/models/{runtime.served}/ready":
                    self._answer(404, {"error": "unknown"})
                elif runtime.not_ready_polls > 0:
                    runtime.not_ready_polls -= 1
                    self._answer(400, {"error": "model not ready"})
                else:
                    self._answer(200, {})

            def do_POST(self) -> None:
                import pandas

                if self.path != f"/v2/models/{runtime.served}/infer":
                    self._answer(404, {"error": "unknown"})
                    return
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                runtime.requests.append(request)
                frame = pandas.DataFrame({item["name"]: item["data"] for item in request["inputs"]})
                labels = runtime.predict(frame)
                if runtime.flip:
                    labels = [1 - label for label in labels]
                output = {"name": "output-1", "shape": [len(labels), 1], "datatype": "INT64", "data": labels}
                self._answer(200, {"model_name": runtime.served, "outputs": [output]})

        return Handler

    def __enter__(self) -> FakeRuntime:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def step_flags(name: str) -> list[str]:
    """The flags spec.py gives a step's command line."""
    return [word for word in spec.step(name).args if isinstance(word, str) and word.startswith("--")]

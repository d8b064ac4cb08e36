"""The registry client against a real HTTP server on 127.0.0.1 that answers as MLflow's REST API does (the real
MLflow 3.7.0 server is tests/integration/test_promote.py's): auth headers, error messages, storage URI resolution."""

from __future__ import annotations

import json
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.mlops.platform.plugins.module_utils import mlflow_registry as registry
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError

SECRET = "s3cr3t-never-shown"


class Fake:
    """Answers: {(method, path): (status, body)}; records (method, path, query, body, headers)."""

    def __init__(self) -> None:
        self.answers: dict = {}
        self.seen: list = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self):
                url = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                fake.seen.append((self.command, url.path, dict(urllib.parse.parse_qsl(url.query)), body, self.headers))
                status, payload = fake.answers.get(
                    (self.command, url.path), (404, {"error_code": "ENDPOINT_NOT_FOUND"})
                )
                data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def on(self, method: str, endpoint: str, status: int, body) -> None:
        self.answers[(method, f"/api/2.0/mlflow/{endpoint}")] = (status, body)


@pytest.fixture
def fake():
    server = Fake()
    yield server
    server.server.shutdown()
    server.server.server_close()


def version(number: str, source: str, **tags) -> dict:
    return {
        "name": "iris",
        "version": number,
        "source": source,
        "run_id": "r1",
        "tags": [{"key": k, "value": v} for k, v in tags.items()],
    }


def test_basic_auth_from_the_environment(fake):
    fake.on("GET", "registered-models/get", 200, {"registered_model": {"name": "iris"}})
    env = {"MLFLOW_TRACKING_USERNAME": "ops", "MLFLOW_TRACKING_PASSWORD": SECRET}
    registry.Registry(fake.url, environ=env).registered_model("iris")
    assert fake.seen[0][4]["Authorization"].startswith("Basic ")
    assert fake.seen[0][2] == {"name": "iris"}


def test_a_token_wins_over_basic_auth(fake):
    fake.on("GET", "registered-models/get", 200, {"registered_model": {"name": "iris"}})
    env = {"MLFLOW_TRACKING_TOKEN": SECRET, "MLFLOW_TRACKING_USERNAME": "ops", "MLFLOW_TRACKING_PASSWORD": "x"}
    registry.Registry(fake.url, environ=env).registered_model("iris")
    assert fake.seen[0][4]["Authorization"] == f"Bearer {SECRET}"


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_are_named_never_shown(fake, status):
    fake.on("GET", "registered-models/get", status, {"error_code": "UNAUTHENTICATED", "message": "no"})
    with pytest.raises(PlatformError) as caught:
        registry.Registry(fake.url, environ={"MLFLOW_TRACKING_TOKEN": SECRET}).registered_model("iris")
    assert f"refused GET registered-models/get ({status})" in caught.value.msg
    assert "kserve_model_registry_uri" in caught.value.msg and "MLFLOW_TRACKING_TOKEN" in caught.value.msg
    assert SECRET not in caught.value.msg


def test_no_credentials_says_which_to_set(fake):
    fake.on("GET", "registered-models/get", 401, "")
    with pytest.raises(PlatformError, match="without credentials: set MLFLOW_TRACKING_USERNAME/PASSWORD"):
        registry.Registry(fake.url, environ={}).registered_model("iris")


def test_credentials_in_the_uri_are_used_and_redacted(fake):
    fake.on("GET", "registered-models/get", 500, {"message": "boom"})
    host = fake.url.removeprefix("http://")
    client = registry.Registry(f"http://ops:{SECRET}@{host}", environ={})
    with pytest.raises(PlatformError) as caught:
        client.registered_model("iris")
    assert fake.seen[0][4]["Authorization"].startswith("Basic ")
    assert SECRET not in caught.value.msg and "answered 500" in caught.value.msg and "boom" in caught.value.msg


def test_unreachable_server():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(PlatformError, match=rf"127.0.0.1:{port} \(kserve_model_registry_uri\) is unreachable"):
        registry.Registry(f"http://127.0.0.1:{port}", environ={}).registered_model("iris")


def test_not_an_http_url():
    with pytest.raises(PlatformError, match="kserve_model_registry_uri must be the MLflow tracking server's http"):
        registry.Registry("", environ={})


def test_missing_model_is_not_found(fake):
    fake.on("GET", "registered-models/get", 404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "nope"})
    with pytest.raises(registry.NotFound, match="has no registered model 'iris'"):
        registry.Registry(fake.url, environ={}).registered_model("iris")


def test_an_answer_that_is_not_json(fake):
    fake.on("GET", "registered-models/get", 200, "<html>login</html>")
    with pytest.raises(PlatformError, match="something else than JSON"):
        registry.Registry(fake.url, environ={}).registered_model("iris")


def test_resolve_maps_storage_locations(fake):
    aliases = [{"alias": "champion", "version": "1"}, {"alias": "challenger", "version": "2"}]
    fake.on("GET", "registered-models/get", 200, {"registered_model": {"name": "iris", "aliases": aliases}})
    fake.on(
        "GET",
        "model-versions/get",
        200,
        {"model_version": version("1", "models:/m-abc", serving_gate="passed", **{"serving_gate.runtime": "img:1"})},
    )
    fake.on(
        "GET", "model-versions/get-download-uri", 200, {"artifact_uri": "mlflow-artifacts:/1/models/m-abc/artifacts"}
    )
    got = registry.resolve(registry.Registry(fake.url, environ={}), "iris", ["champion", "other"], "s3://b/mlflow/")
    champion = got["aliases"]["champion"]
    assert champion["storage_uri"] == "s3://b/mlflow/1/models/m-abc/artifacts"
    assert (champion["gate"], champion["gate_runtime"], champion["version"]) == ("passed", "img:1", "1")
    assert got["aliases"]["other"] is None
    with pytest.raises(PlatformError, match="kserve_model_artifacts_destination"):
        registry.resolve(registry.Registry(fake.url, environ={}), "iris", ["champion"], None)


def test_logged_model_and_run_sources(fake):
    client = registry.Registry(fake.url, environ={})
    fake.on("GET", "model-versions/get-download-uri", 200, {"artifact_uri": "models:/m-abc"})
    fake.on("GET", "logged-models/m-abc", 200, {"model": {"info": {"artifact_uri": "s3://b/1/models/m-abc/artifacts"}}})
    assert client.storage_uri(version("1", "models:/m-abc"), None) == "s3://b/1/models/m-abc/artifacts"
    fake.on("GET", "model-versions/get-download-uri", 200, {"artifact_uri": "runs:/r1/model"})
    fake.on("GET", "runs/get", 200, {"run": {"info": {"artifact_uri": "s3://b/1/r1/artifacts"}}})
    assert client.storage_uri(version("1", "runs:/r1/model"), None) == "s3://b/1/r1/artifacts/model"
    fake.on("GET", "model-versions/get-download-uri", 200, {"artifact_uri": "models:/other/3"})
    with pytest.raises(PlatformError, match="register it from a logged model"):
        client.storage_uri(version("1", "models:/other/3"), None)


def test_writes_send_what_mlflow_expects(fake):
    client = registry.Registry(fake.url, environ={})
    fake.on("POST", "registered-models/alias", 200, {})
    fake.on("DELETE", "registered-models/alias", 200, {})
    fake.on("POST", "model-versions/set-tag", 200, {})
    client.set_alias("iris", "champion", 3)
    client.delete_alias("iris", "challenger")
    client.set_version_tag("iris", "3", "mlops.rollout", "promoted")
    assert [(m, p.rsplit("/mlflow/", 1)[1], b) for m, p, _q, b, _h in fake.seen] == [
        ("POST", "registered-models/alias", {"name": "iris", "alias": "champion", "version": "3"}),
        ("DELETE", "registered-models/alias", {"name": "iris", "alias": "challenger"}),
        (
            "POST",
            "model-versions/set-tag",
            {"name": "iris", "version": "3", "key": "mlops.rollout", "value": "promoted"},
        ),
    ]


def test_plan_and_gate(fake):
    fake.on(
        "GET", "registered-models/get", 200, {"registered_model": {"aliases": [{"alias": "champion", "version": "1"}]}}
    )
    fake.on("GET", "model-versions/get", 200, {"model_version": version("2", "s3://x", serving_gate="failed")})
    client = registry.Registry(fake.url, environ={})
    assert registry.plan_alias(client, "iris", "champion", "2", "present") == {
        "before": "1",
        "after": "2",
        "changed": True,
    }
    assert registry.plan_alias(client, "iris", "challenger", None, "absent") == {
        "before": None,
        "after": None,
        "changed": False,
    }
    assert "serving_gate=failed" in registry.gate_refusal("iris", version("2", "s3://x", serving_gate="failed"))
    assert registry.gate_refusal("iris", version("2", "s3://x", serving_gate="passed")) is None

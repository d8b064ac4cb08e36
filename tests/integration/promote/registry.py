"""An MLflow 3.7.0 tracking server on 127.0.0.1 (SQLite backend, artifacts proxied to a folder), with registered
models made through its REST API: the registry promote.yml, the lookup and the module talk to."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from ..ml_lifecycle import servers

REPO = Path(__file__).resolve().parents[3]
MLFLOW_VENV = REPO / ".venv" / "mlflow-server"
# Where the server's artifact proxy stores files (its --artifacts-destination): the lookup maps to it.
DESTINATION = "s3://mlops-promote-test/mlflow"


def start(log_dir: Path) -> servers.Server:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "AWS_", "PYTHON"))}
    return servers.start_mlflow(MLFLOW_VENV, f"sqlite:///{log_dir}/mlflow.sqlite", DESTINATION, env, log_dir)


class Client:
    """Just enough REST to set up a registry (independent of the code under test)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def api(self, method: str, endpoint: str, body: dict | None = None, params: dict | None = None) -> dict:
        url = f"{self.url}/api/2.0/mlflow/{endpoint}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read() or b"{}")

    def logged_model(self, experiment: str = "promote") -> str:
        """A logged model (MLflow 3): its id; its files are at mlflow-artifacts:/<exp>/models/<id>/artifacts."""
        try:
            exp = self.api("POST", "experiments/create", {"name": experiment})["experiment_id"]
        except urllib.error.HTTPError:
            exp = self.api("GET", "experiments/get-by-name", params={"experiment_name": experiment})["experiment"][
                "experiment_id"
            ]
        return self.api("POST", "logged-models", {"experiment_id": exp, "name": "model"})["model"]["info"]["model_id"]

    def model(self, name: str) -> None:
        self.api("POST", "registered-models/create", {"name": name})

    def version(self, name: str, source: str, gate: str | None = "passed", model_id: str | None = None) -> str:
        body = {"name": name, "source": source}
        if model_id:
            body["model_id"] = model_id
        version = self.api("POST", "model-versions/create", body)["model_version"]["version"]
        if gate is not None:
            self.tag(name, version, "serving_gate", gate)
        return version

    def tag(self, name: str, version: str, key: str, value: str) -> None:
        self.api("POST", "model-versions/set-tag", {"name": name, "version": version, "key": key, "value": value})

    def alias(self, name: str, alias: str, version: str) -> None:
        self.api("POST", "registered-models/alias", {"name": name, "alias": alias, "version": version})

    def aliases(self, name: str) -> dict:
        model = self.api("GET", "registered-models/get", params={"name": name})["registered_model"]
        return {item["alias"]: item["version"] for item in model.get("aliases", [])}

    def tags(self, name: str, version: str) -> dict:
        got = self.api("GET", "model-versions/get", params={"name": name, "version": version})["model_version"]
        return {item["key"]: item["value"] for item in got.get("tags", [])}

"""The serving gate: the candidate model, loaded by the serving runtime itself, must answer.

1. Skew: the versions the model folder records against the serving-runtime contract.
2. Readiness: ``GET {endpoint}/v2/models/{name}/ready`` until 200 (the runtime loaded it).
3. Inference: ``POST {endpoint}/v2/models/{name}/infer`` with the feature set's test rows (one
   FP64 input per column, pandas content type); the served labels must equal those the model
   predicts here, loaded with ``mlflow.pyfunc.load_model``.
Passing tags the registered version ``serving_gate=passed`` (and the runtime image).
"""

from __future__ import annotations

import json
import pathlib
import time
import typing
import urllib.error
import urllib.request

from mlops_pipeline import contract, features, registry
from mlops_pipeline.common import Refused, say

POLL_SECONDS = 1.0


def _get_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError):
        return 0


def wait_ready(endpoint: str, served: str, timeout: float) -> None:
    """Wait until the runtime says the model is ready; refuse when it never does."""
    url = f"{endpoint.rstrip('/')}/v2/models/{served}/ready"
    deadline = time.monotonic() + timeout
    status = _get_status(url)
    while status != 200:
        if time.monotonic() >= deadline:
            raise Refused(
                f"serving runtime never reported model {served} ready within {timeout:g}s "
                f"({url}: last status {status or 'no answer'})"
            )
        time.sleep(POLL_SECONDS)
        status = _get_status(url)
    say(f"{url}: ready")


def v2_request(x: typing.Any) -> dict[str, typing.Any]:
    """A V2 inference request: one FP64 input per column, decoded as a pandas DataFrame."""
    rows = len(x)
    inputs = [
        {"name": str(name), "shape": [rows], "datatype": "FP64", "data": [float(value) for value in x[name]]}
        for name in x.columns
    ]
    return {"inputs": inputs, "parameters": {"content_type": "pd"}}


def infer(endpoint: str, served: str, x: typing.Any, timeout: float) -> list[int]:
    """The labels the served model predicts for ``x``."""
    url = f"{endpoint.rstrip('/')}/v2/models/{served}/infer"
    body = json.dumps(v2_request(x)).encode("utf-8")
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as error:
        detail = error.read().decode("utf-8", "replace").replace("\n", " ")[:300]
        raise Refused(f"serving runtime answered {error.code} to {url}: {detail}") from error
    outputs = answer.get("outputs") or []
    if not outputs:
        raise Refused(f"serving runtime's answer from {url} has no outputs")
    return [round(float(value)) for value in outputs[0].get("data", [])]


def local_labels(model_dir: str, x: typing.Any) -> list[int]:
    """The labels the model predicts when loaded here with MLflow's pyfunc loader."""
    import mlflow

    predicted = mlflow.pyfunc.load_model(model_dir).predict(x)
    return [round(float(value)) for value in list(predicted)]


def compare(served: typing.Sequence[int], local: typing.Sequence[int]) -> None:
    """Refuse when the served predictions differ from the local ones."""
    if len(served) != len(local):
        raise Refused(f"serving runtime returned {len(served)} predictions for {len(local)} rows")
    differ = [index for index, (left, right) in enumerate(zip(served, local, strict=True)) if left != right]
    if differ:
        raise Refused(
            f"{len(differ)} of {len(local)} served predictions differ from the model's local ones "
            f"(first at row {differ[0]}: served {served[differ[0]]}, local {local[differ[0]]})"
        )


def check_identity(model_dir: str, model_name: str, version: typing.Any) -> None:
    """Refuse a model folder that holds another model than the registered version."""
    import yaml

    recorded = (yaml.safe_load(pathlib.Path(model_dir, "MLmodel").read_text(encoding="utf-8")) or {}).get("model_id")
    source = str(version.source or "")
    registered = source.rsplit("/", maxsplit=1)[-1] if source.startswith("models:/m-") else None
    if recorded and registered and recorded != registered:
        raise Refused(
            f"{model_dir} holds model {recorded}, but version {version.version} of {model_name} is {registered}"
        )


def gate(
    model_dir: str,
    features_uri: str,
    model_name: str,
    version: str,
    endpoint: str,
    served: str,
    contract_file: str | None,
    timeout: float,
) -> None:
    """Run the gate; on success tag the version ``serving_gate=passed``."""
    runtime = contract.load(contract_file)
    registered = registry.get_version(model_name, version)
    contract.check(model_dir, runtime)
    check_identity(model_dir, model_name, registered)
    say(f"{model_dir}: Python and {', '.join(runtime.libraries)} agree with {runtime.image}")
    _manifest, x, _labels = features.load(features_uri, features.TEST_FILE)
    wait_ready(endpoint, served, timeout)
    served_labels = infer(endpoint, served, x, timeout)
    compare(served_labels, local_labels(model_dir, x))
    client = registry.mlflow_client()
    client.set_model_version_tag(model_name, version, registry.TAG_GATE, registry.GATE_PASSED)
    client.set_model_version_tag(model_name, version, registry.TAG_GATE_RUNTIME, runtime.image)
    say(
        f"serving gate passed: {len(x)} predictions from {runtime.image} match; "
        f"version {version} of {model_name} tagged"
    )

# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The MLflow model registry over its REST API (``/api/2.0/mlflow``), with urllib only.

The controller never imports mlflow: the lookup ``mlops.platform.registered_model`` and the module
``mlops.platform.model_alias`` talk to the tracking server the platform runs, as the pipeline's
``mlops_pipeline.registry`` does through the MLflow client (same aliases and tags).

Credentials come from the environment only, as the MLflow client reads them:
``MLFLOW_TRACKING_USERNAME``/``MLFLOW_TRACKING_PASSWORD`` (basic) or ``MLFLOW_TRACKING_TOKEN``
(bearer). They are never part of a message, a result or an exception.

Storage URI of a version (what KServe's storage initializer fetches): the server's download URI
(``model-versions/get-download-uri``: the version's storage location, which MLflow 3 sets to the
logged model's artifact location for a ``models:/m-<id>`` source, else the source); a ``models:/m-<id>``
or ``runs:/<run>/<path>`` URI left is resolved through the logged model or the run; then
``mlflow-artifacts:/P`` -> ``<artifacts destination>/P`` (the server's ``--artifacts-destination``).
"""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.parse

from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import open_url

from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError

# The pipeline's registry contract (pipeline/src/mlops_pipeline/registry.py).
CHAMPION = "champion"
CHALLENGER = "challenger"
TAG_GATE = "serving_gate"
TAG_GATE_RUNTIME = "serving_gate.runtime"
TAG_PREVIOUS_CHAMPION = "mlops.previous_champion"
GATE_PASSED = "passed"
TAG_ROLLOUT = "mlops.rollout"

API = "/api/2.0/mlflow"
NOT_FOUND_CODES = ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE")
# What names the server in messages: the inventory variable users set.
SETTING = "kserve_model_registry_uri"


class NotFound(PlatformError):
    """The server answered that the model, version or alias does not exist."""


def auth_header(environ: dict | None = None) -> dict:
    """The Authorization header from the MLflow client's environment variables (empty: none)."""
    env = os.environ if environ is None else environ
    token = env.get("MLFLOW_TRACKING_TOKEN")
    if token:
        return {"Authorization": f"Bearer {token}"}
    user, password = env.get("MLFLOW_TRACKING_USERNAME"), env.get("MLFLOW_TRACKING_PASSWORD")
    if user and password:
        pair = base64.b64encode(f"{user}:{password}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}
    return {}


def redact(uri: str) -> str:
    """``uri`` without any user:password part (a URI can carry one)."""
    parsed = urllib.parse.urlsplit(uri)
    if parsed.username or parsed.password:
        host = parsed.hostname or ""
        if parsed.port:
            host = f"{host}:{parsed.port}"
        parsed = parsed._replace(netloc=host)
    return urllib.parse.urlunsplit(parsed)


def join_uri(base: str, relative: str) -> str:
    """``base`` and ``relative`` joined with exactly one slash."""
    relative = relative.strip("/")
    return f"{base.rstrip('/')}/{relative}" if relative else base.rstrip("/")


def map_artifacts(uri: str, artifacts_destination: str | None) -> str:
    """``mlflow-artifacts:/P`` (the server's artifact proxy) -> ``<destination>/P``; other URIs as they are."""
    if not uri.startswith("mlflow-artifacts:"):
        return uri
    if not artifacts_destination:
        raise PlatformError(
            f"{uri} is in the MLflow server's artifact proxy: give its artifacts destination "
            "(kserve_model_artifacts_destination, the server's --artifacts-destination) to resolve it"
        )
    return join_uri(artifacts_destination, urllib.parse.urlsplit(uri).path)


class Registry:
    """A client of one MLflow tracking server's registry REST API."""

    def __init__(self, tracking_uri: str, timeout: float = 30.0, environ: dict | None = None) -> None:
        if not tracking_uri or not str(tracking_uri).startswith(("http://", "https://")):
            raise PlatformError(
                f"{SETTING} must be the MLflow tracking server's http(s) URL (or set MLFLOW_TRACKING_URI), "
                f"got {redact(str(tracking_uri or '')) or 'nothing'!r}"
            )
        parsed = urllib.parse.urlsplit(tracking_uri)
        headers = auth_header(environ)
        if parsed.username and not headers:
            # user:password in the URI: used as basic auth, never shown.
            pair = f"{urllib.parse.unquote(parsed.username)}:{urllib.parse.unquote(parsed.password or '')}"
            headers = {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}
        self.base = redact(tracking_uri).rstrip("/")
        self.timeout = timeout
        self._headers = headers

    # ------------------------------------------------------------------ transport
    def call(self, method: str, endpoint: str, params: dict | None = None, body: dict | None = None) -> dict:
        """One REST call; the parsed JSON answer. PlatformError (NotFound) names the server and the cause."""
        url = f"{self.base}{API}/{endpoint}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Accept": "application/json", **self._headers}
        if data is not None:
            headers["Content-Type"] = "application/json"
        where = f"MLflow server {self.base} ({SETTING})"
        try:
            answer = open_url(
                url, data=data, headers=headers, method=method, timeout=self.timeout, use_netrc=False, use_proxy=True
            )
            text = answer.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", "replace")
            try:
                payload = json.loads(detail)
            except ValueError:
                payload = {}
            code = payload.get("error_code", "") if isinstance(payload, dict) else ""
            message = payload.get("message", "") if isinstance(payload, dict) else ""
            if error.code in (401, 403):
                how = "with the credentials of MLFLOW_TRACKING_USERNAME/PASSWORD or MLFLOW_TRACKING_TOKEN"
                if not self._headers:
                    how = "without credentials: set MLFLOW_TRACKING_USERNAME/PASSWORD or MLFLOW_TRACKING_TOKEN"
                raise PlatformError(f"{where} refused {method} {endpoint} ({error.code}) {how}") from None
            if error.code == 404 or code in NOT_FOUND_CODES:
                raise NotFound(f"{where}: {message or detail[:200] or 'not found'}") from None
            raise PlatformError(
                f"{where} answered {error.code} to {method} {endpoint}: {message or detail[:300]}"
            ) from None
        except (TimeoutError, urllib.error.URLError, UrlsConnectionError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise PlatformError(f"{where} is unreachable: {reason}") from None
        try:
            return json.loads(text) if text.strip() else {}
        except ValueError:
            raise PlatformError(f"{where} answered {endpoint} with something else than JSON: {text[:200]!r}") from None

    # ------------------------------------------------------------------ reads
    def registered_model(self, name: str) -> dict:
        """The registered model (``name``, ``aliases`` [{alias, version}], ``tags``...); NotFound names it."""
        try:
            return self.call("GET", "registered-models/get", {"name": name})["registered_model"]
        except NotFound:
            raise NotFound(f"MLflow server {self.base} ({SETTING}) has no registered model {name!r}") from None

    def version(self, name: str, version: str) -> dict:
        try:
            return self.call("GET", "model-versions/get", {"name": name, "version": str(version)})["model_version"]
        except NotFound:
            raise NotFound(f"registered model {name!r} has no version {version}") from None

    def version_by_alias(self, name: str, alias: str) -> dict | None:
        """The version ``alias`` points at, or None when the model has no such alias."""
        model = self.registered_model(name)
        if not any(item.get("alias") == alias for item in model.get("aliases", [])):
            return None
        try:
            return self.call("GET", "registered-models/alias", {"name": name, "alias": alias})["model_version"]
        except NotFound:
            return None

    def aliases(self, name: str) -> dict:
        """``{alias: version}`` of the registered model."""
        return {item["alias"]: str(item["version"]) for item in self.registered_model(name).get("aliases", [])}

    def download_uri(self, name: str, version: str) -> str:
        answer = self.call("GET", "model-versions/get-download-uri", {"name": name, "version": str(version)})
        return answer.get("artifact_uri", "")

    def storage_uri(self, version: dict, artifacts_destination: str | None) -> str:
        """Where the version's files are (see the module docstring)."""
        uri = self.download_uri(version["name"], version["version"]) or version.get("source", "")
        if uri.startswith("models:/m-"):
            model_id = urllib.parse.urlsplit(uri).path.lstrip("/").split("/")[0]
            logged = self.call("GET", f"logged-models/{urllib.parse.quote(model_id)}")
            uri = logged.get("model", {}).get("info", {}).get("artifact_uri", "")
            if not uri:
                raise PlatformError(f"logged model {model_id} has no artifact location")
        elif uri.startswith("runs:/"):
            parts = urllib.parse.urlsplit(uri).path.lstrip("/").split("/", 1)
            run = self.call("GET", "runs/get", {"run_id": parts[0]})
            uri = join_uri(run["run"]["info"]["artifact_uri"], parts[1] if len(parts) > 1 else "")
        elif uri.startswith("models:/"):
            raise PlatformError(
                f"version {version['version']} of {version['name']} points at {uri}: register it from "
                "a logged model (models:/m-<id>) or a storage URI"
            )
        return map_artifacts(uri, artifacts_destination)

    # ------------------------------------------------------------------ writes
    def set_alias(self, name: str, alias: str, version: str) -> None:
        self.call("POST", "registered-models/alias", body={"name": name, "alias": alias, "version": str(version)})

    def delete_alias(self, name: str, alias: str) -> None:
        self.call("DELETE", "registered-models/alias", body={"name": name, "alias": alias})

    def set_version_tag(self, name: str, version: str, key: str, value: str) -> None:
        body = {"name": name, "version": str(version), "key": key, "value": str(value)}
        self.call("POST", "model-versions/set-tag", body=body)


def tags_of(version: dict) -> dict:
    """``{key: value}`` of a model version's tags (the REST answer lists them)."""
    return {item["key"]: item.get("value", "") for item in version.get("tags", []) or []}


def describe(registry: Registry, version: dict, artifacts_destination: str | None) -> dict:
    """The lookup's view of one version: version, storage_uri, source, run_id, gate, gate_runtime, tags."""
    tags = tags_of(version)
    return {
        "version": str(version["version"]),
        "storage_uri": registry.storage_uri(version, artifacts_destination),
        "source": version.get("source", ""),
        "run_id": version.get("run_id", ""),
        "gate": tags.get(TAG_GATE, ""),
        "gate_runtime": tags.get(TAG_GATE_RUNTIME, ""),
        "tags": tags,
    }


def resolve(registry: Registry, name: str, aliases: list, artifacts_destination: str | None) -> dict:
    """``{name, aliases: {alias: None | describe(...)}}`` for a registered model (NotFound when it is missing)."""
    current = registry.aliases(name)
    resolved = {}
    for alias in aliases:
        if alias not in current:
            resolved[alias] = None
            continue
        resolved[alias] = describe(registry, registry.version(name, current[alias]), artifacts_destination)
    return {"name": name, "aliases": resolved}


def gate_refusal(name: str, version: dict) -> str | None:
    """Why ``version`` may not become the champion (its serving gate tag), or None."""
    gate = tags_of(version).get(TAG_GATE, "")
    if gate == GATE_PASSED:
        return None
    return (
        f"version {version['version']} of {name} has not passed the serving gate "
        f"({TAG_GATE}={gate or 'unset'}): refusing to make it the {CHAMPION}"
    )


def plan_alias(registry: Registry, name: str, alias: str, version: str | None, state: str) -> dict:
    """What setting (``state=present``) or deleting ``alias`` changes: ``{before, after, changed}``."""
    before = registry.aliases(name).get(alias)
    if state == "absent":
        after = None
    else:
        registry.version(name, version)  # NotFound names a missing version before anything changes
        after = str(version)
    return {"before": before, "after": after, "changed": before != after}

"""The MLflow 3 model registry with aliases: register, promote, resolve.

``challenger`` marks a newly registered version; ``champion`` is the version that serves.
A version carries the fingerprint of the run that trained it, so registering the same model
twice reuses the first version.
"""

from __future__ import annotations

import os
import typing

from mlops_pipeline import storage, train
from mlops_pipeline.common import Refused, say

CHAMPION = "champion"
CHALLENGER = "challenger"
TAG_GATE = "serving_gate"
TAG_GATE_RUNTIME = "serving_gate.runtime"
TAG_PREVIOUS_CHAMPION = "mlops.previous_champion"
GATE_PASSED = "passed"
ARTIFACTS_DESTINATION_ENV = "MLOPS_ARTIFACTS_DESTINATION"


def mlflow_client() -> typing.Any:
    import mlflow

    return mlflow.MlflowClient()


def _not_found(error: Exception) -> bool:
    return getattr(error, "error_code", "") in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE")


def version_by_alias(model_name: str, alias: str) -> typing.Any | None:
    """The version ``alias`` points at, or None (no such model or alias)."""
    from mlflow.exceptions import MlflowException

    try:
        return mlflow_client().get_model_version_by_alias(model_name, alias)
    except MlflowException as error:
        if _not_found(error):
            return None
        raise


def version_with_fingerprint(model_name: str, fingerprint: str) -> typing.Any | None:
    """The oldest version of ``model_name`` tagged with ``fingerprint``, or None."""
    client = mlflow_client()
    matches = []
    token = None
    while True:
        page = client.search_model_versions(f"name = '{model_name}'", page_token=token)
        matches += [item for item in page if item.tags.get(train.TAG_FINGERPRINT) == fingerprint]
        token = page.token
        if not token:
            break
    return min(matches, key=lambda item: int(item.version)) if matches else None


def get_version(model_name: str, version: str) -> typing.Any:
    from mlflow.exceptions import MlflowException

    try:
        return mlflow_client().get_model_version(model_name, version)
    except MlflowException as error:
        if _not_found(error):
            raise Refused(f"model {model_name} has no version {version}") from error
        raise


def storage_uri(model_name: str, version: str) -> str:
    """The storage URI of a version's files (what a storage initializer fetches)."""
    download = mlflow_client().get_model_version_download_uri(model_name, version)
    return storage.storage_uri(download, os.environ.get(ARTIFACTS_DESTINATION_ENV))


def register(model_uri: str, run_id: str, fingerprint: str, model_name: str) -> tuple[str, str]:
    """Register the model (or reuse the version with its fingerprint); alias it challenger.

    Returns (version, model key: the version's files relative to the bucket/container).
    """
    import mlflow

    existing = version_with_fingerprint(model_name, fingerprint)
    if existing is not None:
        version = str(existing.version)
        say(f"version {version} of {model_name} already holds fingerprint {fingerprint}: reused, nothing registered")
    else:
        run_tags = mlflow_client().get_run(run_id).data.tags
        tags = {
            train.TAG_FINGERPRINT: fingerprint,
            "mlops.run_id": run_id,
            train.TAG_FEATURE_SET: run_tags.get(train.TAG_FEATURE_SET, ""),
            train.TAG_PACKAGE_VERSION: run_tags.get(train.TAG_PACKAGE_VERSION, ""),
        }
        created = mlflow.register_model(model_uri, model_name, tags=tags)
        version = str(created.version)
        say(f"registered {model_uri} as version {version} of {model_name}")
    champion = version_by_alias(model_name, CHAMPION)
    if champion is not None and str(champion.version) == version:
        say(f"version {version} is the champion: challenger not set")
    else:
        mlflow_client().set_registered_model_alias(model_name, CHALLENGER, version)
        say(f"alias {CHALLENGER} -> version {version}")
    key = storage.key_in_container(storage_uri(model_name, version))
    return version, key


def promote(model_name: str, version: str) -> None:
    """Move ``champion`` to a version that passed the serving gate."""
    client = mlflow_client()
    candidate = get_version(model_name, version)
    gate = candidate.tags.get(TAG_GATE)
    if gate != GATE_PASSED:
        raise Refused(
            f"version {version} of {model_name} has not passed the serving gate ({TAG_GATE}={gate or 'unset'})"
        )
    previous = version_by_alias(model_name, CHAMPION)
    if previous is not None and str(previous.version) == str(version):
        say(f"version {version} of {model_name} is already the champion: nothing changed")
        return
    previous_version = str(previous.version) if previous is not None else "none"
    client.set_model_version_tag(model_name, version, TAG_PREVIOUS_CHAMPION, previous_version)
    client.set_registered_model_alias(model_name, CHAMPION, version)
    challenger = version_by_alias(model_name, CHALLENGER)
    if challenger is not None and str(challenger.version) == str(version):
        client.delete_registered_model_alias(model_name, CHALLENGER)
    say(f"{CHAMPION} of {model_name}: version {previous_version} -> {version}")


def resolve(model_name: str, alias: str) -> str:
    """The storage URI ``models:/NAME@ALIAS`` resolves to."""
    target = version_by_alias(model_name, alias)
    if target is None:
        raise Refused(f"model {model_name} has no alias {alias}")
    uri = storage_uri(model_name, str(target.version))
    say(f"models:/{model_name}@{alias} = version {target.version} at {uri}")
    return uri

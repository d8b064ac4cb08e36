"""Evaluation: the candidate's metric on the feature set's test rows, and the registry decision.

Decisions: ``reject`` (below the threshold, or below the current ``champion`` on the same test
rows), ``unchanged`` (a version of the model with this fingerprint is already registered),
``register``. Each decision is a normal outcome (exit 0); the log says why.
"""

from __future__ import annotations

import typing

from mlops_pipeline import features, train
from mlops_pipeline.common import Refused, say

METRICS = ("accuracy", "f1", "roc_auc")
REJECT, UNCHANGED, REGISTER = "reject", "unchanged", "register"


def _champion_score(model_name: str, metric: str, x: typing.Any, y: typing.Any) -> tuple[str, float] | None:
    import mlflow
    from mlflow.exceptions import MlflowException

    from mlops_pipeline import registry

    champion = registry.version_by_alias(model_name, registry.CHAMPION)
    if champion is None:
        return None
    try:
        model = mlflow.sklearn.load_model(f"models:/{model_name}@{registry.CHAMPION}")
    except MlflowException as error:
        raise RuntimeError(f"cannot load the champion (version {champion.version}) of {model_name}: {error}") from error
    return str(champion.version), train.scores(model, x, y)[metric]


def decide(score: float, threshold: float, champion: tuple[str, float] | None, existing: str | None) -> tuple[str, str]:
    """The decision and why, from the candidate's score and what the registry holds."""
    if score < threshold:
        return REJECT, f"{score:.4f} is below the threshold {threshold}"
    if champion is not None and score < champion[1]:
        return (
            REJECT,
            f"{score:.4f} is below the champion's (version {champion[0]}) {champion[1]:.4f} on the same test set",
        )
    if existing is not None:
        return UNCHANGED, f"version {existing} already holds this fingerprint: nothing to register"
    versus = f", champion version {champion[0]} has {champion[1]:.4f}" if champion else ", no champion yet"
    return REGISTER, f"{score:.4f} meets the threshold {threshold}{versus}"


def evaluate(
    features_uri: str, model_uri: str, run_id: str, fingerprint: str, model_name: str, metric: str, threshold: float
) -> str:
    """Score the candidate on the test rows, log the scores, return the decision."""
    import mlflow

    from mlops_pipeline import registry

    if metric not in METRICS:
        raise Refused(f"--metric must be one of {', '.join(METRICS)}, got {metric!r}")
    if not 0.0 <= threshold <= 1.0:
        raise Refused(f"--threshold must be between 0 and 1, got {threshold}")
    manifest, x, y = features.load(features_uri, features.TEST_FILE)
    candidate = mlflow.sklearn.load_model(model_uri)
    test_scores = train.scores(candidate, x, y)
    client = mlflow.MlflowClient()
    model_id = model_uri.rsplit("/", maxsplit=1)[-1] if model_uri.startswith("models:/m-") else None
    for key, value in test_scores.items():
        client.log_metric(
            run_id,
            f"test_{key}",
            value,
            dataset_name=f"{manifest['feature_set_id']}/{features.TEST_FILE}",
            dataset_digest=str(manifest["files"][features.TEST_FILE]["sha256"])[:16],
            model_id=model_id,
        )
    existing = registry.version_with_fingerprint(model_name, fingerprint)
    champion = _champion_score(model_name, metric, x, y)
    decision, why = decide(test_scores[metric], threshold, champion, existing.version if existing else None)
    client.set_tag(run_id, "mlops.decision", decision)
    say(f"test {metric} = {test_scores[metric]:.4f} (all: {test_scores}); decision {decision}: {why}")
    return decision

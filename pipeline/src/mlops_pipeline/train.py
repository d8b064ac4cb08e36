"""Training: a GradientBoostingClassifier in a scikit-learn Pipeline, logged to MLflow 3.

The run is identified by a fingerprint of what determines the model (feature set id,
hyperparameters, package version). A FINISHED run in the experiment that carries the same
fingerprint is reused: a second run on the same inputs creates nothing.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import typing

from mlops_pipeline import __version__, features, spec
from mlops_pipeline.common import Refused, say, sha256_hex

TAG_FINGERPRINT = "mlops.fingerprint"
TAG_FEATURE_SET = "mlops.feature_set_id"
TAG_PACKAGE_VERSION = "mlops.package_version"
TAG_MODEL_ID = "mlops.model_id"


@dataclasses.dataclass(frozen=True)
class Hyperparameters:
    """The model's hyperparameters (and the seed of its randomness)."""

    n_estimators: int
    learning_rate: float
    max_depth: int
    seed: int

    def check(self) -> None:
        """Refuse values the estimator cannot use."""
        if self.n_estimators < 1 or self.max_depth < 1:
            raise Refused(f"--n-estimators and --max-depth must be >= 1, got {self.n_estimators} and {self.max_depth}")
        if not 0.0 < self.learning_rate <= 1.0:
            raise Refused(f"--learning-rate must be in (0, 1], got {self.learning_rate}")
        if self.seed < 0:
            raise Refused(f"--seed must be >= 0, got {self.seed}")


@dataclasses.dataclass(frozen=True)
class Trained:
    """What the training step hands on."""

    run_id: str
    model_uri: str
    fingerprint: str
    reused: bool


def fingerprint(feature_set_id: str, hyper: Hyperparameters) -> str:
    """32 hex digits identifying the model a run trains."""
    document = {"feature_set_id": feature_set_id, "hyperparameters": dataclasses.asdict(hyper), "package": __version__}
    return sha256_hex(json.dumps(document, sort_keys=True).encode("utf-8"))[:32]


def model_requirements() -> list[str]:
    """The model's pip requirements: the versions this process really pickles it with."""
    names = ["mlflow-skinny", *spec.CONTRACT_LIBRARIES]
    return [f"{name}=={importlib.metadata.version(name)}" for name in names]


def _build(hyper: Hyperparameters) -> typing.Any:
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    classifier = GradientBoostingClassifier(
        n_estimators=hyper.n_estimators,
        learning_rate=hyper.learning_rate,
        max_depth=hyper.max_depth,
        random_state=hyper.seed,
    )
    return Pipeline([("scale", StandardScaler()), ("classifier", classifier)])


def scores(model: typing.Any, x: typing.Any, y: typing.Any) -> dict[str, float]:
    """accuracy, f1 and roc_auc of a fitted classifier on (x, y)."""
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    predicted = model.predict(x)
    probability = model.predict_proba(x)[:, 1]
    return {
        "accuracy": float(accuracy_score(y, predicted)),
        "f1": float(f1_score(y, predicted)),
        "roc_auc": float(roc_auc_score(y, probability)),
    }


def _finished_run(experiment_id: str, print_: str) -> typing.Any | None:
    import mlflow

    runs = mlflow.search_runs(
        experiment_ids=[experiment_id],
        filter_string=f"tags.`{TAG_FINGERPRINT}` = '{print_}' and attributes.status = 'FINISHED'",
        order_by=["attributes.start_time ASC"],
        output_format="list",
    )
    usable = [run for run in runs if run.data.tags.get(TAG_MODEL_ID)]
    return usable[0] if usable else None


def train(features_uri: str, experiment: str, hyper: Hyperparameters) -> Trained:
    """Train and log the model, or reuse the run that already did."""
    import mlflow
    from mlflow.models import infer_signature

    hyper.check()
    manifest, x, y = features.load(features_uri, features.TRAIN_FILE)
    set_id = str(manifest["feature_set_id"])
    print_ = fingerprint(set_id, hyper)
    experiment_id = mlflow.set_experiment(experiment).experiment_id
    previous = _finished_run(experiment_id, print_)
    if previous is not None:
        model_uri = f"models:/{previous.data.tags[TAG_MODEL_ID]}"
        say(f"run {previous.info.run_id} already trained fingerprint {print_}: reused ({model_uri}), no new run")
        return Trained(previous.info.run_id, model_uri, print_, reused=True)
    model = _build(hyper).fit(x, y)
    train_scores = scores(model, x, y)
    tags = {TAG_FINGERPRINT: print_, TAG_FEATURE_SET: set_id, TAG_PACKAGE_VERSION: __version__}
    with mlflow.start_run(experiment_id=experiment_id, tags=tags) as run:
        mlflow.log_params(
            {**dataclasses.asdict(hyper), "estimator": "GradientBoostingClassifier", "feature_set_id": set_id}
        )
        mlflow.log_metrics({f"train_{key}": value for key, value in train_scores.items()})
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            signature=infer_signature(x, model.predict(x)),
            input_example=x.head(3),
            pip_requirements=model_requirements(),
            tags=tags,
        )
        mlflow.set_tag(TAG_MODEL_ID, info.model_id)
    model_uri = f"models:/{info.model_id}"
    say(f"run {run.info.run_id} trained fingerprint {print_} on {set_id}: {train_scores} -> {model_uri}")
    return Trained(run.info.run_id, model_uri, print_, reused=False)

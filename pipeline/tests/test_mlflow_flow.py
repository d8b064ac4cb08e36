"""Training, evaluation, registration, promotion and resolution against a real MLflow store."""

from __future__ import annotations

import pathlib
import re

import pytest
from conftest import FAST, run_cli
from mlops_pipeline import cli, evaluate, registry, spec, storage, train

MODEL = "breast-cancer-classifier"


def _train(features_dir: pathlib.Path, out: pathlib.Path, **overrides: object) -> dict[str, str]:
    hyper = {**FAST, **overrides}
    argv = ["--features-uri", str(features_dir), "--experiment", "exp"]
    for key, value in hyper.items():
        argv += [f"--{key.replace('_', '-')}", str(value)]
    argv += ["--run-id-output", str(out / "run-id"), "--model-uri-output", str(out / "model-uri")]
    argv += ["--fingerprint-output", str(out / "fingerprint")]
    assert run_cli(cli.train, argv) == 0
    return {name: (out / name).read_text() for name in ("run-id", "model-uri", "fingerprint")}


def _evaluate(features_dir: pathlib.Path, out: pathlib.Path, trained: dict[str, str], threshold: str = "0.9") -> str:
    argv = ["--features-uri", str(features_dir), "--model-uri", trained["model-uri"], "--run-id", trained["run-id"]]
    argv += ["--fingerprint", trained["fingerprint"], "--model-name", MODEL, "--metric", "f1"]
    argv += ["--threshold", threshold, "--decision-output", str(out / "decision")]
    assert run_cli(cli.evaluate, argv) == 0
    return (out / "decision").read_text()


def _register(out: pathlib.Path, trained: dict[str, str]) -> tuple[str, str]:
    argv = ["--model-uri", trained["model-uri"], "--run-id", trained["run-id"], "--fingerprint", trained["fingerprint"]]
    argv += ["--model-name", MODEL, "--version-output", str(out / "version"), "--model-key-output", str(out / "key")]
    assert run_cli(cli.register, argv) == 0
    return (out / "version").read_text(), (out / "key").read_text()


def _runs(experiment: str = "exp") -> list:
    import mlflow

    found = mlflow.get_experiment_by_name(experiment)
    return mlflow.search_runs(experiment_ids=[found.experiment_id], output_format="list") if found else []


def _alias(alias: str) -> str | None:
    found = registry.version_by_alias(MODEL, alias)
    return None if found is None else str(found.version)


def _versions() -> list:
    return list(registry.mlflow_client().search_model_versions(f"name = '{MODEL}'"))


def test_train_logs_a_model_and_is_idempotent(
    tracking: str, features_dir: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    import mlflow

    first = _train(features_dir, tmp_path / "a")
    assert re.fullmatch(r"[0-9a-f]{32}", first["fingerprint"])
    assert re.fullmatch(r"models:/m-[0-9a-f]+", first["model-uri"])
    run = mlflow.get_run(first["run-id"])
    assert run.info.status == "FINISHED"
    assert run.data.tags[train.TAG_FINGERPRINT] == first["fingerprint"]
    assert run.data.tags[train.TAG_FEATURE_SET].endswith("-v1-t20-s42")
    assert run.data.params["n_estimators"] == "20"
    assert run.data.metrics["train_f1"] > 0.9
    model = mlflow.sklearn.load_model(first["model-uri"])
    assert type(model.steps[-1][1]).__name__ == "GradientBoostingClassifier"
    second = _train(features_dir, tmp_path / "b")
    assert second == first
    assert len(_runs()) == 1
    third = _train(features_dir, tmp_path / "c", max_depth=3)
    assert third["fingerprint"] != first["fingerprint"] and len(_runs()) == 2


def test_the_model_records_the_contract_versions(tracking: str, features_dir: pathlib.Path, tmp_path) -> None:
    import mlflow
    from mlops_pipeline import contract

    trained = _train(features_dir, tmp_path)
    folder = mlflow.artifacts.download_artifacts(trained["model-uri"], dst_path=str(tmp_path / "model"))
    recorded = contract.recorded_versions(folder)
    assert set(recorded.python) == {("MLmodel", "3.10"), ("python_env.yaml", "3.10"), ("conda.yaml", "3.10")}
    assert {version for _source, version in recorded.libraries["scikit-learn"]} == {"1.4.1.post1"}
    assert recorded.libraries["numpy"] == [("requirements.txt", "1.26.4"), ("conda.yaml", "1.26.4")]


def test_register_promote_resolve_end_to_end(
    tracking: str, features_dir: pathlib.Path, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trained = _train(features_dir, tmp_path)
    assert _evaluate(features_dir, tmp_path, trained) == evaluate.REGISTER
    run = registry.mlflow_client().get_run(trained["run-id"])
    assert {"test_accuracy", "test_f1", "test_roc_auc"} <= set(run.data.metrics)
    version, key = _register(tmp_path, trained)
    assert version == "1"
    version_tags = registry.mlflow_client().get_model_version(MODEL, version).tags
    assert version_tags[train.TAG_FINGERPRINT] == trained["fingerprint"]
    assert version_tags[train.TAG_FEATURE_SET].endswith("-v1-t20-s42")
    assert _alias(registry.CHALLENGER) == "1"
    assert pathlib.Path(key).joinpath("MLmodel").is_file()
    # Idempotent: the same model again registers nothing, and evaluation says unchanged.
    assert _register(tmp_path, trained) == (version, key)
    assert len(_versions()) == 1
    assert _evaluate(features_dir, tmp_path, trained) == evaluate.UNCHANGED
    # Promotion needs the serving gate's tag.
    capsys.readouterr()
    assert run_cli(cli.promote, ["--model-name", MODEL, "--version", version]) == spec.EXIT_REFUSED
    assert "has not passed the serving gate (serving_gate=unset)" in capsys.readouterr().err
    registry.mlflow_client().set_model_version_tag(MODEL, version, registry.TAG_GATE, registry.GATE_PASSED)
    assert run_cli(cli.promote, ["--model-name", MODEL, "--version", version]) == 0
    assert _alias(registry.CHAMPION) == "1"
    assert _alias(registry.CHALLENGER) is None
    tags = registry.mlflow_client().get_model_version(MODEL, version).tags
    assert tags[registry.TAG_PREVIOUS_CHAMPION] == "none"
    capsys.readouterr()
    assert run_cli(cli.promote, ["--model-name", MODEL, "--version", version]) == 0
    assert "already the champion: nothing changed" in capsys.readouterr().out
    # Re-running on the same data: unchanged, challenger not set on the champion.
    assert _evaluate(features_dir, tmp_path, trained) == evaluate.UNCHANGED
    assert _register(tmp_path, trained)[0] == "1" and _alias(registry.CHALLENGER) is None
    # Resolve: the storage URI the champion alias points at.
    out = tmp_path / "storage-uri"
    assert run_cli(cli.resolve, ["--model-name", MODEL, "--alias", "champion", "--storage-uri-output", str(out)]) == 0
    assert storage.local_path(out.read_text()).joinpath("MLmodel").is_file()
    assert run_cli(cli.resolve, ["--model-name", MODEL, "--alias", "nobody", "--storage-uri-output", str(out)]) == 3


def test_a_worse_model_than_the_champion_is_rejected(
    tracking: str, features_dir: pathlib.Path, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _train(features_dir, tmp_path / "good")
    version, _key = _register(tmp_path / "good", good)
    registry.mlflow_client().set_model_version_tag(MODEL, version, registry.TAG_GATE, registry.GATE_PASSED)
    registry.promote(MODEL, version)
    weak = _train(features_dir, tmp_path / "weak", n_estimators=1, max_depth=1, learning_rate=0.05)
    capsys.readouterr()
    assert _evaluate(features_dir, tmp_path / "weak", weak, threshold="0.5") == evaluate.REJECT
    assert "below the champion's (version 1)" in capsys.readouterr().out
    assert _evaluate(features_dir, tmp_path / "weak", weak, threshold="0.99") == evaluate.REJECT
    assert len(_versions()) == 1


def test_promotion_records_the_previous_champion(tracking: str, features_dir: pathlib.Path, tmp_path) -> None:
    client = registry.mlflow_client()
    first = _train(features_dir, tmp_path / "1")
    second = _train(features_dir, tmp_path / "2", max_depth=3)
    for trained in (first, second):
        version, _key = _register(tmp_path, trained)
        client.set_model_version_tag(MODEL, version, registry.TAG_GATE, registry.GATE_PASSED)
    registry.promote(MODEL, "1")
    assert _alias(registry.CHALLENGER) == "2"
    registry.promote(MODEL, "2")
    assert _alias(registry.CHAMPION) == "2"
    assert _alias(registry.CHALLENGER) is None
    assert client.get_model_version(MODEL, "2").tags[registry.TAG_PREVIOUS_CHAMPION] == "1"


@pytest.mark.parametrize(
    ("score", "champion", "existing", "decision"),
    [
        (0.80, None, None, evaluate.REJECT),
        (0.95, ("3", 0.97), None, evaluate.REJECT),
        (0.95, ("3", 0.97), "4", evaluate.REJECT),
        (0.95, ("3", 0.95), "3", evaluate.UNCHANGED),
        (0.95, None, "1", evaluate.UNCHANGED),
        (0.95, ("3", 0.93), None, evaluate.REGISTER),
        (0.95, None, None, evaluate.REGISTER),
    ],
)
def test_decision_table(score: float, champion, existing, decision: str) -> None:
    assert evaluate.decide(score, 0.9, champion, existing)[0] == decision


def test_storage_uri_and_key() -> None:
    uri = storage.storage_uri("mlflow-artifacts:/1/models/m-abc/artifacts", "s3://platform/mlflow")
    assert uri == "s3://platform/mlflow/1/models/m-abc/artifacts"
    assert storage.key_in_container(uri) == "mlflow/1/models/m-abc/artifacts"
    blob = storage.storage_uri(
        "mlflow-artifacts:/1/models/m-abc/artifacts", "wasbs://c@acct.blob.core.windows.net/mlflow"
    )
    assert storage.key_in_container(blob) == "mlflow/1/models/m-abc/artifacts"
    assert storage.storage_uri("s3://b/x", None) == "s3://b/x"


def test_an_mlflow_artifacts_uri_needs_the_destination(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlops_pipeline.common import Refused

    with pytest.raises(Refused, match="MLOPS_ARTIFACTS_DESTINATION"):
        storage.storage_uri("mlflow-artifacts:/1/models/m-abc/artifacts", None)

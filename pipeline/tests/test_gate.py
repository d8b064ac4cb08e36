"""The serving gate: skew refused naming both versions; a V2 runtime on 127.0.0.1 must agree."""

from __future__ import annotations

import json
import pathlib
import re
import shutil

import pytest
from conftest import CONTRACT, FAST, FakeRuntime, run_cli
from mlops_pipeline import cli, contract, registry, spec, train

MODEL = "breast-cancer-classifier"
RUNTIME = "serving runtime docker.io/seldonio/mlserver:1.5.0"


@pytest.fixture
def candidate(tracking: str, features_dir: pathlib.Path, tmp_path: pathlib.Path) -> tuple[str, pathlib.Path]:
    """A registered version and its files, as the storage initializer leaves them."""
    import mlflow

    trained = train.train(str(features_dir), "gate", train.Hyperparameters(**FAST))
    version, _key = registry.register(trained.model_uri, trained.run_id, trained.fingerprint, MODEL)
    folder = mlflow.artifacts.download_artifacts(f"models:/{MODEL}/{version}", dst_path=str(tmp_path / "models"))
    return version, pathlib.Path(folder)


def _local_predictor(model_dir: pathlib.Path):
    import mlflow

    model = mlflow.pyfunc.load_model(str(model_dir))
    return lambda frame: [int(label) for label in model.predict(frame)]


def _gate_argv(model_dir, features_dir, version: str, endpoint: str, contract_file: str) -> list[str]:
    return [
        "--model-dir", str(model_dir), "--features-uri", str(features_dir), "--model-name", MODEL,
        "--version", version, "--endpoint", endpoint, "--served-model-name", "candidate",
        "--contract", contract_file, "--timeout", "5",
    ]  # fmt: skip


def _skew(model_dir: pathlib.Path, sklearn: str | None = None, python: str | None = None, numpy: str | None = None):
    text = (model_dir / "MLmodel").read_text()
    if sklearn:
        text = text.replace("sklearn_version: 1.4.1.post1", f"sklearn_version: {sklearn}")
        requirements = (model_dir / "requirements.txt").read_text()
        (model_dir / "requirements.txt").write_text(
            requirements.replace("scikit-learn==1.4.1.post1", f"scikit-learn=={sklearn}")
        )
    if python:
        text = text.replace("python_version: 3.10.13", f"python_version: {python}")
    if numpy:
        conda = (model_dir / "conda.yaml").read_text()
        (model_dir / "conda.yaml").write_text(conda.replace("numpy==1.26.4", f"numpy=={numpy}"))
    (model_dir / "MLmodel").write_text(text)


def test_gate_passes_when_the_runtime_answers_like_the_model(
    candidate, features_dir: pathlib.Path, contract_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    version, model_dir = candidate
    with FakeRuntime("candidate", _local_predictor(model_dir), not_ready_polls=2) as runtime:
        code = run_cli(cli.serving_gate, _gate_argv(model_dir, features_dir, version, runtime.endpoint, contract_file))
    assert code == 0, capsys.readouterr().err
    request = runtime.requests[0]
    assert request["parameters"] == {"content_type": "pd"}
    assert len(request["inputs"]) == 30
    assert {item["datatype"] for item in request["inputs"]} == {"FP64"}
    assert {tuple(item["shape"]) for item in request["inputs"]} == {(114,)}
    tags = registry.mlflow_client().get_model_version(MODEL, version).tags
    assert tags[registry.TAG_GATE] == registry.GATE_PASSED
    assert tags[registry.TAG_GATE_RUNTIME] == CONTRACT["image"]
    assert run_cli(cli.promote, ["--model-name", MODEL, "--version", version]) == 0


def test_gate_refuses_mismatched_predictions(candidate, features_dir, contract_file, capsys) -> None:
    version, model_dir = candidate
    with FakeRuntime("candidate", _local_predictor(model_dir)) as runtime:
        runtime.flip = True
        code = run_cli(cli.serving_gate, _gate_argv(model_dir, features_dir, version, runtime.endpoint, contract_file))
    err = capsys.readouterr().err
    assert code == spec.EXIT_REFUSED
    assert "114 of 114 served predictions differ from the model's local ones" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert registry.TAG_GATE not in registry.mlflow_client().get_model_version(MODEL, version).tags
    assert run_cli(cli.promote, ["--model-name", MODEL, "--version", version]) == spec.EXIT_REFUSED


def test_gate_refuses_a_runtime_that_never_gets_ready(candidate, features_dir, contract_file, capsys) -> None:
    version, model_dir = candidate
    with FakeRuntime("candidate", _local_predictor(model_dir), not_ready_polls=1000) as runtime:
        argv = _gate_argv(model_dir, features_dir, version, runtime.endpoint, contract_file)
        argv[-1] = "1"
        assert run_cli(cli.serving_gate, argv) == spec.EXIT_REFUSED
    assert "never reported model candidate ready within 1s" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("skew", "message"),
    [
        ({"sklearn": "1.7.2"}, f"scikit-learn 1.7.2 (model) != 1.4.1.post1 ({RUNTIME})"),
        ({"python": "3.12.1"}, f"Python 3.12 (model) != 3.10 ({RUNTIME})"),
        ({"numpy": "2.4.0"}, f"numpy 2.4.0 (model) != 1.26.4 ({RUNTIME})"),
    ],
    ids=["scikit-learn", "python", "numpy"],
)
def test_gate_refuses_a_skewed_model_naming_both_versions(
    candidate, features_dir, contract_file, capsys, skew: dict[str, str], message: str
) -> None:
    version, model_dir = candidate
    _skew(model_dir, **skew)
    # No runtime listens: the skew check refuses before any call.
    code = run_cli(cli.serving_gate, _gate_argv(model_dir, features_dir, version, "http://127.0.0.1:9", contract_file))
    err = capsys.readouterr().err
    assert code == spec.EXIT_REFUSED
    assert err.startswith("mlops-serving-gate: refused: training/serving skew: ")
    assert message in err and err.count("\n") == 1


def test_gate_refuses_another_model_than_the_version(candidate, features_dir, contract_file, capsys) -> None:
    version, model_dir = candidate
    mlmodel = model_dir / "MLmodel"
    mlmodel.write_text(re.sub(r"^model_id: m-[0-9a-f]+$", "model_id: m-0000", mlmodel.read_text(), flags=re.MULTILINE))
    code = run_cli(cli.serving_gate, _gate_argv(model_dir, features_dir, version, "http://127.0.0.1:9", contract_file))
    assert code == spec.EXIT_REFUSED
    assert f"holds model m-0000, but version {version} of {MODEL} is m-" in capsys.readouterr().err


def test_contract_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    monkeypatch.setenv(contract.ENV_VAR, json.dumps(CONTRACT))
    loaded = contract.load(None)
    assert loaded.image == CONTRACT["image"] and loaded.libraries["scikit-learn"] == "1.4.1.post1"
    monkeypatch.delenv(contract.ENV_VAR)
    with pytest.raises(contract.Refused, match="no serving-runtime contract"):
        contract.load(None)
    broken = tmp_path / "c.json"
    broken.write_text(json.dumps({**CONTRACT, "libraries": {"numpy": "1.26.4"}}))
    with pytest.raises(contract.Refused, match="names no version for scikit-learn"):
        contract.load(str(broken))


def test_a_model_folder_without_mlmodel_is_refused(tmp_path: pathlib.Path) -> None:
    with pytest.raises(contract.Refused, match="MLmodel missing"):
        contract.recorded_versions(str(tmp_path))


def test_recorded_versions_read_every_file(candidate) -> None:
    _version, model_dir = candidate
    copy = model_dir.parent / "copy"
    shutil.copytree(model_dir, copy)
    (copy / "requirements.txt").write_text("scipy==1.13.0\n")
    assert contract.skews(str(copy), contract.parse(json.dumps(CONTRACT), "test")) == [
        f"scipy 1.13.0 (model) != 1.12.0 ({RUNTIME})"
    ]

"""Feature sets: content address, determinism, reuse in a store (file:// and a real moto S3)."""

from __future__ import annotations

import json
import pathlib

import pytest
from conftest import run_cli
from mlops_pipeline import cli, data, features, spec, storage


def _digest(dataset_dir: pathlib.Path) -> str:
    return json.loads((dataset_dir / data.METADATA_FILE).read_text())["sha256"]


def test_feature_set_id_is_the_spec_address(dataset_dir: pathlib.Path, features_dir: pathlib.Path) -> None:
    manifest = json.loads((features_dir / features.MANIFEST_FILE).read_text())
    expected = "".join(spec.feature_set_id(_digest(dataset_dir), "20", "42"))
    assert manifest["feature_set_id"] == expected == f"{_digest(dataset_dir)}-v{spec.FEATURE_VERSION}-t20-s42"
    assert manifest["files"][features.TRAIN_FILE]["rows"] == 455
    assert manifest["files"][features.TEST_FILE]["rows"] == 114
    assert manifest["inputs"] == {
        "dataset": "breast_cancer",
        "dataset_sha256": _digest(dataset_dir),
        "test_percent": 20,
        "seed": 42,
    }


def test_split_is_deterministic_and_stratified(dataset_dir: pathlib.Path, features_dir: pathlib.Path, tmp_path) -> None:
    output = tmp_path / "again"
    out_file = tmp_path / "id"
    argv = ["--input-uri", str(dataset_dir), "--output-uri", str(output), "--test-percent", "20", "--seed", "42"]
    assert run_cli(cli.features, [*argv, "--feature-set-output", str(out_file)]) == 0
    for name in (features.TRAIN_FILE, features.TEST_FILE, features.MANIFEST_FILE):
        assert (output / name).read_bytes() == (features_dir / name).read_bytes()
    _manifest, _x, y = features.load(str(output), features.TEST_FILE)
    assert 0.3 < y.mean() < 0.8  # both classes in the test rows, in the dataset's proportion
    assert out_file.read_text() == json.loads((output / features.MANIFEST_FILE).read_text())["feature_set_id"]


def test_other_inputs_give_another_id(dataset_dir: pathlib.Path, tmp_path: pathlib.Path) -> None:
    first = features.build(str(dataset_dir), "25", "42", str(tmp_path / "a"), None)
    second = features.build(str(dataset_dir), "25", "7", str(tmp_path / "b"), None)
    assert first != second and first.endswith("-t25-s42") and second.endswith("-t25-s7")


@pytest.mark.parametrize(("percent", "seed"), [("0", "42"), ("20.5", "42"), ("020", "42"), ("20", "-1"), ("20", "x")])
def test_bad_split_parameters_are_refused(dataset_dir, tmp_path, capsys, percent: str, seed: str) -> None:
    argv = ["--input-uri", str(dataset_dir), "--output-uri", str(tmp_path), "--test-percent", percent, "--seed", seed]
    assert run_cli(cli.features, [*argv, "--feature-set-output", str(tmp_path / "id")]) == spec.EXIT_REFUSED
    assert "refused: --" in capsys.readouterr().err


def _store_run(dataset_dir: pathlib.Path, store: str, out: pathlib.Path) -> int:
    argv = ["--input-uri", str(dataset_dir), "--store-uri", store, "--test-percent", "20", "--seed", "42"]
    return run_cli(cli.features, [*argv, "--feature-set-output", str(out)])


def test_file_store_reuses_a_feature_set(dataset_dir: pathlib.Path, tmp_path: pathlib.Path, capsys) -> None:
    store = (tmp_path / "store").as_uri()
    assert _store_run(dataset_dir, store, tmp_path / "id1") == 0
    set_id = (tmp_path / "id1").read_text()
    folder = tmp_path / "store" / set_id
    stamps = {path.name: path.stat().st_mtime_ns for path in folder.iterdir()}
    assert sorted(stamps) == sorted([features.TRAIN_FILE, features.TEST_FILE, features.MANIFEST_FILE])
    capsys.readouterr()
    assert _store_run(dataset_dir, store, tmp_path / "id2") == 0
    assert f"feature set {set_id} reused" in capsys.readouterr().out
    assert (tmp_path / "id2").read_text() == set_id
    assert {path.name: path.stat().st_mtime_ns for path in folder.iterdir()} == stamps


def test_s3_store_reuses_a_feature_set(
    dataset_dir: pathlib.Path, s3_bucket: str, tmp_path: pathlib.Path, capsys
) -> None:
    import boto3

    store = f"s3://{s3_bucket}/feature-store"
    assert _store_run(dataset_dir, store, tmp_path / "id1") == 0
    set_id = (tmp_path / "id1").read_text()
    s3 = boto3.client("s3")
    listing = s3.list_objects_v2(Bucket=s3_bucket, Prefix=f"feature-store/{set_id}/")["Contents"]
    keys = sorted(item["Key"].rsplit("/", maxsplit=1)[-1] for item in listing)
    assert keys == sorted([features.MANIFEST_FILE, features.TEST_FILE, features.TRAIN_FILE])
    modified = {item["Key"]: item["LastModified"] for item in listing}
    capsys.readouterr()
    assert _store_run(dataset_dir, store, tmp_path / "id2") == 0
    assert "reused" in capsys.readouterr().out
    again = s3.list_objects_v2(Bucket=s3_bucket, Prefix=f"feature-store/{set_id}/")["Contents"]
    assert {item["Key"]: item["LastModified"] for item in again} == modified
    manifest, x, _y = features.load(f"{store}/{set_id}", features.TRAIN_FILE)
    assert manifest["feature_set_id"] == set_id and len(x) == 455


def test_s3_dataset_round_trip(s3_bucket: str, tmp_path: pathlib.Path) -> None:
    uri = f"s3://{s3_bucket}/datasets/breast_cancer"
    digest = data.ingest("breast_cancer", uri)
    assert run_cli(cli.validate, ["--input-uri", uri, "--report-output", str(tmp_path / "rows")]) == 0
    assert storage.exists(uri, data.DATA_FILE) and not storage.exists(uri, "nothing.csv")
    assert len(digest) == 64


def test_a_missing_s3_object_is_refused(s3_bucket: str, tmp_path: pathlib.Path, capsys) -> None:
    uri = f"s3://{s3_bucket}/datasets/none"
    assert run_cli(cli.validate, ["--input-uri", uri, "--report-output", str(tmp_path / "rows")]) == spec.EXIT_REFUSED
    assert f"no such object: s3://{s3_bucket}/datasets/none/data.csv" in capsys.readouterr().err

"""Ingestion (determinism, digest, metadata) and validation (every rule refuses with its name)."""

from __future__ import annotations

import hashlib
import json
import pathlib
import re

import pytest
from conftest import run_cli
from mlops_pipeline import cli, data, spec


def test_ingest_writes_the_dataset_and_its_digest(tmp_path: pathlib.Path) -> None:
    digest_file = tmp_path / "out" / "digest"
    code = run_cli(
        cli.ingest,
        ["--dataset", "breast_cancer", "--output-uri", str(tmp_path / "ds"), "--digest-output", str(digest_file)],
    )
    assert code == 0
    digest = digest_file.read_text()
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    raw = (tmp_path / "ds" / data.DATA_FILE).read_bytes()
    assert hashlib.sha256(raw).hexdigest() == digest
    metadata = json.loads((tmp_path / "ds" / data.METADATA_FILE).read_text())
    assert metadata["sha256"] == digest
    assert metadata["rows"] == 569
    assert metadata["columns"] == [*data.BREAST_CANCER_FEATURES, "target"]
    assert metadata["dtypes"]["target"] == "int64"
    header = raw.split(b"\n", maxsplit=1)[0].decode()
    assert header.split(",")[:2] == ["mean_radius", "mean_texture"]
    assert header.endswith(",target")


def test_ingest_is_deterministic(tmp_path: pathlib.Path, dataset_dir: pathlib.Path) -> None:
    again = data.ingest("breast_cancer", (tmp_path / "again").as_uri())
    assert (tmp_path / "again" / data.DATA_FILE).read_bytes() == (dataset_dir / data.DATA_FILE).read_bytes()
    assert again == json.loads((dataset_dir / data.METADATA_FILE).read_text())["sha256"]


def test_ingest_refuses_an_unknown_dataset(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run_cli(
        cli.ingest, ["--dataset", "iris", "--output-uri", str(tmp_path), "--digest-output", str(tmp_path / "d")]
    )
    assert code == spec.EXIT_REFUSED
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown dataset 'iris'" in err and "Traceback" not in err


def test_validate_passes_the_ingested_dataset(dataset_dir: pathlib.Path, tmp_path: pathlib.Path) -> None:
    report = tmp_path / "rows"
    assert run_cli(cli.validate, ["--input-uri", str(dataset_dir), "--report-output", str(report)]) == 0
    assert report.read_text() == "569"


def _broken(dataset_dir: pathlib.Path, tmp_path: pathlib.Path, edit, refresh_digest: bool = True) -> pathlib.Path:
    """A copy of the dataset with ``edit`` applied to its rows (a list of lists of strings)."""
    lines = (dataset_dir / data.DATA_FILE).read_text().splitlines()
    rows = [line.split(",") for line in lines]
    edit(rows)
    raw = ("\n".join(",".join(row) for row in rows) + "\n").encode()
    metadata = json.loads((dataset_dir / data.METADATA_FILE).read_text())
    metadata["rows"] = len(rows) - 1
    if refresh_digest:
        metadata["sha256"] = hashlib.sha256(raw).hexdigest()
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / data.DATA_FILE).write_bytes(raw)
    (folder / data.METADATA_FILE).write_text(json.dumps(metadata))
    return folder


def _set(row: int, column: str, value: str):
    def edit(rows: list[list[str]]) -> None:
        rows[row + 1][rows[0].index(column)] = value

    return edit


def _drop_column(column: str):
    def edit(rows: list[list[str]]) -> None:
        index = rows[0].index(column)
        for row in rows:
            del row[index]

    return edit


def _relabel_target(value: str):
    def edit(rows: list[list[str]]) -> None:
        for row in rows[1:]:
            row[-1] = value

    return edit


@pytest.mark.parametrize(
    ("edit", "refresh", "message"),
    [
        (_set(3, "mean_area", ""), True, "column mean_area: 1 null/NaN value(s)"),
        (_set(5, "worst_texture", "abc"), True, "column worst_texture: dtype object, expected float64"),
        (_drop_column("area_error"), True, "missing column(s): area_error"),
        (_set(0, "target", "2"), True, "column target: value(s) [2] outside [0, 1]"),
        (_set(0, "target", "0.5"), True, "column target: dtype float64, expected int64"),
        (_relabel_target("1"), True, "column target: class 0 is 0.0% of rows, below the minimum 10%"),
        (_set(7, "mean_radius", "-1.5"), True, "column mean_radius: 1 negative value(s)"),
        (_set(7, "mean_radius", "inf"), True, "column mean_radius: 1 infinite value(s)"),
        (_set(1, "mean_radius", "99.0"), False, "digest mismatch: data.csv sha256"),
    ],
    ids=["null", "dtype", "missing-column", "bad-target", "float-target", "class-share", "negative", "inf", "digest"],
)
def test_validate_refuses_with_the_rule_it_breaks(
    dataset_dir: pathlib.Path,
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
    edit,
    refresh: bool,
    message: str,
) -> None:
    folder = _broken(dataset_dir, tmp_path, edit, refresh_digest=refresh)
    code = run_cli(cli.validate, ["--input-uri", str(folder), "--report-output", str(tmp_path / "rows")])
    err = capsys.readouterr().err
    assert code == spec.EXIT_REFUSED
    assert err.startswith("mlops-validate: refused: validation failed: ")
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "rows").exists()


def test_validate_refuses_too_few_rows(dataset_dir: pathlib.Path, tmp_path: pathlib.Path, capsys) -> None:
    folder = _broken(dataset_dir, tmp_path, lambda rows: rows.__delitem__(slice(50, None)))
    assert run_cli(cli.validate, ["--input-uri", str(folder), "--report-output", str(tmp_path / "r")]) == 3
    assert "49 rows, fewer than the minimum 100" in capsys.readouterr().err


def test_validate_refuses_a_missing_dataset(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        run_cli(cli.validate, ["--input-uri", str(tmp_path / "nowhere"), "--report-output", str(tmp_path / "r")]) == 3
    )
    assert "no such file" in capsys.readouterr().err


def test_usage_mistakes_are_refused_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(cli.validate, ["--input-uri"]) == spec.EXIT_REFUSED
    err = capsys.readouterr().err
    assert err.startswith("mlops-validate: refused: ") and err.count("\n") == 1


def test_console_scripts_exit_refused_without_traceback(tmp_path: pathlib.Path) -> None:
    """The installed entry points, as Argo runs them: exit 3, one line on stderr."""
    import shutil
    import subprocess
    import sys

    script = shutil.which("mlops-validate", path=str(pathlib.Path(sys.executable).parent))
    assert script, "the package is not installed in this environment (pip install --no-deps -e pipeline)"
    done = subprocess.run(
        [script, "--input-uri", str(tmp_path / "none"), "--report-output", str(tmp_path / "rows")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == spec.EXIT_REFUSED
    assert done.stderr == f"mlops-validate: refused: no such file: {tmp_path / 'none' / 'data.csv'}\n"

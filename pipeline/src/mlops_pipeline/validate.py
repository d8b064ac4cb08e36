"""Validation: the dataset's schema and values, before anything is computed from it.

Every rule that fails is named in one line (column and rule); any failure refuses the run.
"""

from __future__ import annotations

import io
import json
import typing

from mlops_pipeline import data, storage
from mlops_pipeline.common import Refused, say, sha256_hex

MIN_ROWS = 100
MIN_CLASS_SHARE = 0.10
TARGET_VALUES = (0, 1)


def _schema_problems(frame: typing.Any, expected: typing.Sequence[str]) -> list[str]:
    columns = list(frame.columns)
    problems = []
    missing = [name for name in expected if name not in columns]
    unexpected = [name for name in columns if name not in expected]
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    if unexpected:
        problems.append(f"unexpected column(s): {', '.join(unexpected)}")
    for name in expected:
        if name in columns:
            kind = frame[name].dtype.kind
            wanted = "int64" if name == data.TARGET else "float64"
            if kind not in ("i", "u") and not (kind == "f" and wanted == "float64"):
                problems.append(f"column {name}: dtype {frame[name].dtype}, expected {wanted}")
    return problems


def _value_problems(frame: typing.Any) -> list[str]:
    import numpy

    problems = []
    for name in frame.columns:
        column = frame[name]
        nulls = int(column.isna().sum())
        if nulls:
            problems.append(f"column {name}: {nulls} null/NaN value(s)")
        if column.dtype.kind in ("i", "u", "f"):
            infinite = int(numpy.isinf(column.to_numpy(dtype="float64", na_value=0.0)).sum())
            if infinite:
                problems.append(f"column {name}: {infinite} infinite value(s)")
            if name != data.TARGET:
                negative = int((column < 0).sum())
                if negative:
                    problems.append(f"column {name}: {negative} negative value(s) (measurements are non-negative)")
    return problems


def _target_problems(frame: typing.Any) -> list[str]:
    if data.TARGET not in frame.columns or frame[data.TARGET].dtype.kind not in ("i", "u"):
        return []
    target = frame[data.TARGET]
    outside = sorted(set(int(value) for value in target.unique()) - set(TARGET_VALUES))
    if outside:
        return [f"column {data.TARGET}: value(s) {outside} outside {list(TARGET_VALUES)}"]
    problems = []
    for value in TARGET_VALUES:
        share = float((target == value).mean()) if len(target) else 0.0
        if share < MIN_CLASS_SHARE:
            problems.append(
                f"column {data.TARGET}: class {value} is {share:.1%} of rows, below the minimum {MIN_CLASS_SHARE:.0%}"
            )
    return problems


def problems(raw: bytes, metadata: typing.Mapping[str, typing.Any]) -> list[str]:
    """Every rule ``raw`` (data.csv) and its ``metadata`` (dataset.json) break."""
    import pandas

    found = []
    digest = sha256_hex(raw)
    if digest != metadata.get("sha256"):
        found.append(f"digest mismatch: data.csv sha256 {digest} != dataset.json sha256 {metadata.get('sha256')}")
    name = str(metadata.get("name"))
    if name not in data.SCHEMAS:
        return [*found, f"dataset.json: unknown dataset {name!r}"]
    frame = pandas.read_csv(io.BytesIO(raw))
    if len(frame) < MIN_ROWS:
        found.append(f"{len(frame)} rows, fewer than the minimum {MIN_ROWS}")
    if metadata.get("rows") != len(frame):
        found.append(f"row count mismatch: data.csv has {len(frame)}, dataset.json says {metadata.get('rows')}")
    found += _schema_problems(frame, [*data.SCHEMAS[name], data.TARGET])
    found += _value_problems(frame)
    found += _target_problems(frame)
    return found


def validate(input_uri: str) -> int:
    """Validate the dataset at ``input_uri``; return its row count or refuse."""
    raw = storage.read_bytes(input_uri, data.DATA_FILE)
    try:
        metadata = json.loads(storage.read_bytes(input_uri, data.METADATA_FILE))
    except ValueError as error:
        raise Refused(f"validation failed: {data.METADATA_FILE} is not JSON: {error}") from error
    found = problems(raw, metadata)
    if found:
        raise Refused("validation failed: " + "; ".join(found))
    rows = int(metadata["rows"])
    say(f"validated {metadata['name']} ({rows} rows, sha256 {metadata['sha256']}): schema and values pass")
    return rows

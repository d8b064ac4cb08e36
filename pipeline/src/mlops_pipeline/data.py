"""Ingestion: a dataset that ships inside scikit-learn, written as ``data.csv`` + ``dataset.json``.

``data.csv`` is formatted deterministically (snake_case header, ``repr`` of each float -- the
shortest text that reads back to the same double -- integers for the target, ``\\n`` line
ends), so the same dataset always has the same SHA-256: the dataset digest.
"""

from __future__ import annotations

import io
import re
import typing

from mlops_pipeline import storage
from mlops_pipeline.common import Refused, say, sha256_hex, to_json

DATA_FILE = "data.csv"
METADATA_FILE = "dataset.json"
TARGET = "target"

# The breast-cancer dataset's schema: 30 non-negative float measurements and a binary target.
BREAST_CANCER_FEATURES = tuple(
    pattern.format(measure)
    for pattern in ("mean_{}", "{}_error", "worst_{}")
    for measure in (
        "radius",
        "texture",
        "perimeter",
        "area",
        "smoothness",
        "compactness",
        "concavity",
        "concave_points",
        "symmetry",
        "fractal_dimension",
    )
)
SCHEMAS: dict[str, tuple[str, ...]] = {"breast_cancer": BREAST_CANCER_FEATURES}


def snake_case(name: str) -> str:
    """``"mean concave points"`` -> ``"mean_concave_points"``."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def _load(dataset: str) -> tuple[list[str], typing.Any, typing.Any]:
    if dataset not in SCHEMAS:
        raise Refused(f"unknown dataset {dataset!r} (known: {', '.join(sorted(SCHEMAS))})")
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{dataset}")()
    names = [snake_case(str(name)) for name in bunch.feature_names]
    if tuple(names) != SCHEMAS[dataset]:
        raise RuntimeError(f"scikit-learn's {dataset} columns changed: {names}")
    return names, bunch.data, bunch.target


def to_csv(columns: typing.Sequence[str], rows: typing.Iterable[typing.Sequence[typing.Any]]) -> bytes:
    """Deterministic CSV: floats as ``repr``, integers as integers, ``\\n`` line ends."""
    out = io.StringIO()
    out.write(",".join(columns) + "\n")
    for row in rows:
        out.write(",".join(repr(float(value)) if isinstance(value, float) else str(value) for value in row) + "\n")
    return out.getvalue().encode("utf-8")


def ingest(dataset: str, output_uri: str) -> str:
    """Write the dataset to ``output_uri``; return its digest (SHA-256 of ``data.csv``)."""
    names, features, target = _load(dataset)
    rows = ([float(value) for value in features[index]] + [int(target[index])] for index in range(len(target)))
    data = to_csv([*names, TARGET], rows)
    digest = sha256_hex(data)
    metadata = {
        "name": dataset,
        "rows": len(target),
        "columns": [*names, TARGET],
        "dtypes": {**dict.fromkeys(names, "float64"), TARGET: "int64"},
        "target": TARGET,
        "sha256": digest,
        "source": f"sklearn.datasets.load_{dataset}",
    }
    storage.write_bytes(output_uri, DATA_FILE, data)
    storage.write_bytes(output_uri, METADATA_FILE, to_json(metadata))
    say(f"ingested {dataset}: {len(target)} rows, {len(names)} features, sha256 {digest} -> {output_uri}")
    return digest

"""Feature engineering: a deterministic stratified split, written as a versioned feature set.

A feature set is addressed by what it is computed from (``spec.feature_set_id``: the dataset
digest, ``spec.FEATURE_VERSION``, the test share and the seed). ``--store-uri`` writes it to
``<store>/<feature set id>/`` unless a feature set with that id is already there, in which
case it is reused and nothing is written (the feature store). ``--output-uri`` writes exactly
there (in Argo the artifact repository stores it at the content-addressed key spec.py gives).

Feature version 1: the 30 measurements as they are (scaling is part of the model pipeline, so
the served model takes the raw measurements).
"""

from __future__ import annotations

import io
import json
import typing

from mlops_pipeline import __version__, data, spec, storage
from mlops_pipeline.common import Refused, say, sha256_hex, to_json

TRAIN_FILE = "train.csv"
TEST_FILE = "test.csv"
MANIFEST_FILE = "manifest.json"


def canonical_int(value: str, flag: str, low: int, high: int) -> str:
    """``value`` if it is an integer in [low, high] written canonically (it enters the id)."""
    try:
        number = int(value)
    except ValueError as error:
        raise Refused(f"{flag} must be an integer, got {value!r}") from error
    if str(number) != value or not low <= number <= high:
        raise Refused(f"{flag} must be an integer from {low} to {high} written plainly, got {value!r}")
    return value


def feature_set_id(digest: str, test_percent: str, seed: str) -> str:
    """The feature set's content address."""
    return "".join(str(word) for word in spec.feature_set_id(digest, test_percent, seed))


def _read_dataset(input_uri: str) -> tuple[bytes, str]:
    raw = storage.read_bytes(input_uri, data.DATA_FILE)
    metadata = json.loads(storage.read_bytes(input_uri, data.METADATA_FILE))
    digest = sha256_hex(raw)
    if digest != metadata.get("sha256"):
        raise Refused(f"digest mismatch: data.csv sha256 {digest} != dataset.json sha256 {metadata.get('sha256')}")
    return raw, str(metadata.get("name"))


def _split(raw: bytes, test_percent: int, seed: int) -> tuple[typing.Any, typing.Any]:
    import pandas
    from sklearn.model_selection import train_test_split

    frame = pandas.read_csv(io.BytesIO(raw))
    train, test = train_test_split(
        frame, test_size=test_percent / 100, random_state=seed, stratify=frame[data.TARGET], shuffle=True
    )
    return train.sort_index(), test.sort_index()


def _frame_csv(frame: typing.Any) -> bytes:
    columns = list(frame.columns)
    rows = (
        [int(value) if name == data.TARGET else float(value) for name, value in zip(columns, row, strict=True)]
        for row in frame.itertuples(index=False, name=None)
    )
    return data.to_csv(columns, rows)


def existing_manifest(store_uri: str, set_id: str) -> dict[str, typing.Any] | None:
    """The manifest of feature set ``set_id`` in the store, or None when it is not there."""
    folder = storage.join(store_uri, set_id)
    if not storage.exists(folder, MANIFEST_FILE):
        return None
    manifest = json.loads(storage.read_bytes(folder, MANIFEST_FILE))
    if manifest.get("feature_set_id") != set_id:
        raise Refused(
            f"{storage.join(folder, MANIFEST_FILE)} holds feature set "
            f"{manifest.get('feature_set_id')!r}, not {set_id!r}"
        )
    return manifest


def build(input_uri: str, test_percent: str, seed: str, output_uri: str | None, store_uri: str | None) -> str:
    """Compute (or reuse) the feature set; return its id."""
    test_percent = canonical_int(test_percent, "--test-percent", 1, 90)
    seed = canonical_int(seed, "--seed", 0, 2**32 - 1)
    raw, dataset = _read_dataset(input_uri)
    digest = sha256_hex(raw)
    set_id = feature_set_id(digest, test_percent, seed)
    if store_uri:
        if existing_manifest(store_uri, set_id) is not None:
            say(f"feature set {set_id} reused from {storage.join(store_uri, set_id)} (nothing written)")
            return set_id
        output_uri = storage.join(store_uri, set_id)
    if not output_uri:
        raise Refused("pass --output-uri or --store-uri")
    train, test = _split(raw, int(test_percent), int(seed))
    train_csv, test_csv = _frame_csv(train), _frame_csv(test)
    manifest = {
        "feature_set_id": set_id,
        "feature_version": spec.FEATURE_VERSION,
        "inputs": {"dataset": dataset, "dataset_sha256": digest, "test_percent": int(test_percent), "seed": int(seed)},
        "columns": [name for name in train.columns if name != data.TARGET],
        "target": data.TARGET,
        "files": {
            TRAIN_FILE: {"rows": len(train), "sha256": sha256_hex(train_csv)},
            TEST_FILE: {"rows": len(test), "sha256": sha256_hex(test_csv)},
        },
        "package_version": __version__,
    }
    storage.write_bytes(output_uri, TRAIN_FILE, train_csv)
    storage.write_bytes(output_uri, TEST_FILE, test_csv)
    # The manifest last: a folder with a manifest is complete.
    storage.write_bytes(output_uri, MANIFEST_FILE, to_json(manifest))
    say(f"feature set {set_id}: {len(train)} train / {len(test)} test rows -> {output_uri}")
    return set_id


def load(features_uri: str, name: str) -> tuple[dict[str, typing.Any], typing.Any, typing.Any]:
    """(manifest, X, y) of ``train.csv`` or ``test.csv`` in a feature set, digests checked."""
    import pandas

    manifest = json.loads(storage.read_bytes(features_uri, MANIFEST_FILE))
    raw = storage.read_bytes(features_uri, name)
    expected = manifest["files"][name]["sha256"]
    if sha256_hex(raw) != expected:
        raise Refused(f"{name} in {features_uri}: sha256 {sha256_hex(raw)} != manifest {expected}")
    frame = pandas.read_csv(io.BytesIO(raw))
    features = frame[manifest["columns"]].astype("float64")
    return manifest, features, frame[manifest["target"]].astype("int64")

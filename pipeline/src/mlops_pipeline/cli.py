"""The steps' command lines (console scripts ``mlops-*``; flags as in ``spec.STEPS``).

Exit 0: done. Exit ``spec.EXIT_REFUSED``: the input is refused (a usage mistake, invalid data,
skew, a failed gate, a refused promotion), with one line on stderr and no traceback. Any other
non-zero exit is an error a retry may cure.
"""

from __future__ import annotations

import argparse
import sys
import typing

from mlops_pipeline import __version__, spec
from mlops_pipeline.common import Refused, write_output


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage mistake in one line and exits ``EXIT_REFUSED``."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(spec.EXIT_REFUSED, f"{self.prog}: refused: {message} (see {self.prog} --help)\n")


def _parser(command: str, description: str) -> _Parser:
    return _Parser(prog=command, description=f"{description} (mlops-pipeline {__version__})")


def _run(command: str, body: typing.Callable[[], None]) -> None:
    try:
        body()
    except Refused as refusal:
        print(f"{command}: refused: {refusal}", file=sys.stderr, flush=True)
        sys.exit(spec.EXIT_REFUSED)


def ingest(argv: typing.Sequence[str] | None = None) -> None:
    """mlops-ingest: write a bundled dataset and its digest."""
    parser = _parser("mlops-ingest", "Write a dataset bundled with scikit-learn as data.csv + dataset.json.")
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--output-uri", required=True)
    parser.add_argument("--digest-output", required=True)
    args = parser.parse_args(argv)

    def body() -> None:
        from mlops_pipeline import data

        write_output(args.digest_output, data.ingest(args.dataset, args.output_uri))

    _run(parser.prog, body)


def validate(argv: typing.Sequence[str] | None = None) -> None:
    """mlops-validate: check the dataset's schema and values."""
    parser = _parser("mlops-validate", "Validate a dataset's schema and values; refuse it with the failing rules.")
    parser.add_argument("--input-uri", required=True)
    parser.add_argument("--report-output", required=True)
    args = parser.parse_args(argv)

    def body() -> None:
        from mlops_pipeline import validate as step

        write_output(args.report_output, str(step.validate(args.input_uri)))

    _run(parser.prog, body)


def features(argv: typing.Sequence[str] | None = None) -> None:
    """mlops-features: the versioned, content-addressed feature set."""
    parser = _parser("mlops-features", "Split the dataset into a content-addressed feature set (train/test).")
    parser.add_argument("--input-uri", required=True)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--output-uri")
    where.add_argument("--store-uri")
    parser.add_argument("--test-percent", required=True)
    parser.add_argument("--seed", required=True)
    parser.add_argument("--feature-set-output", required=True)
    args = parser.parse_args(argv)

    def body() -> None:
        from mlops_pipeline import features as step

        set_id = step.build(args.input_uri, args.test_percent, args.seed, args.output_uri, args.store_uri)
        write_output(args.feature_set_output, set_id)

    _run(parser.prog, body)


def train(argv: typing.Sequence[str] | None = None) -> None:
    """mlops-train: train and log the model (or reuse the run with its fingerprint)."""
    parser = _parser("mlops-train", "Train the classifier on a feature set and log it to MLflow.")
    parser.add_argument("--features-uri", required=True)
    parser.add_argument("--experiment", required=True)
    parser.add_argument("--n-estimators", required=True, type=int)
    parser.add_argument("--learning-rate", required=True, type=float)
    parser.add_argument("--max-depth", required=True, type=int)
    parser.add_argument("--seed", required=True, type=int)
    parser.add_argument("--run-id-output", required=True)
    parser.add_argument("--model-uri-output", required=True)
    parser.add_argument("--fingerprint-output", required=True)
    args = parser.parse_args(argv)

    def body() -> None:
        from mlops_pipeline import train as step

        hyper = step.Hyperparameters(args.n_estimators, args.learning_rate, args.max_depth, args.seed)
        trained = step.train(args.features_uri, args.experiment, hyper)
        write_output(args.run_id_output, trained.run_id)
        write_output(args.model_uri_output, trained.model_uri)
        write_output(args.fingerprint_output, trained.fingerprint)

    _run(parser.prog, body)


def evaluate(argv: typing.Sequence[str] | None = None) -> None:
    """mlops-evaluate: score the candidate and decide reject / unchanged / register."""
    from mlops_pipeline.evaluate import METRICS

    parser = _parser("mlops-evaluate", "Score the candidate on the test rows; decide reject, unchanged or register.")
    parser.add_argument("--features-uri", required=True)
    parser.add_argument("--model-uri", required=True)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--fingerprint", required=True)
    parser.add_argument("--model-name", required=True)
    parser.add_argument("--metric", required=True, choices=METRICS)
    parser.add_argument("--threshold", required=True, type=float)
    parser.add_argument("--decision-output", required=True)
    args = parser.parse_args(argv)

    def body() -> None:
        from mlops_pipeline import evaluate as step

        decision = step.evaluate(
            args.features_uri,
            args.model_uri,
            args.run_id,
            args.fingerprint,
            args.model_name,
            args.metric,
            args.threshold,
        )
        write_output(args.decision_output, decision)

    _run(parser.prog, body)


def register(argv: typing.Sequence[str] | None = None) -> None:
    """mlops-register: register the model version (or reuse it) and alias it challenger."""
    parser = _parser("mlops-register", "Register the model (unless its fingerprint is registered) as challenger.")
    parser.add_argument("--model-uri", required=True)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--fingerprint", required=True)
    parser.add_argument("--model-name", required=True)
    parser.add_argument("--version-output", required=True)
    parser.add_argument("--model-key-output", required=True)
    args = parser.parse_args(argv)

    def body() -> None:
        from mlops_pipeline import registry

        version, key = registry.register(args.model_uri, args.run_id, args.fingerprint, args.model_name)
        write_output(args.version_output, version)
        write_output(args.model_key_output, key)

    _run(parser.prog, body)


def serving_gate(argv: typing.Sequence[str] | None = None) -> None:
    """mlops-serving-gate: skew check, then the serving runtime must answer like the model."""
    parser = _parser("mlops-serving-gate", "Refuse a skewed model; call the serving runtime and compare predictions.")
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--features-uri", required=True)
    parser.add_argument("--model-name", required=True)
    parser.add_argument("--version", dest="model_version", required=True)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--served-model-name", required=True)
    parser.add_argument("--contract", help="the serving-runtime contract (JSON); default: $MLOPS_SERVING_CONTRACT")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the runtime (default 300)")
    args = parser.parse_args(argv)

    def body() -> None:
        from mlops_pipeline import gate

        gate.gate(
            args.model_dir,
            args.features_uri,
            args.model_name,
            args.model_version,
            args.endpoint,
            args.served_model_name,
            args.contract,
            args.timeout,
        )

    _run(parser.prog, body)


def promote(argv: typing.Sequence[str] | None = None) -> None:
    """mlops-promote: move champion to a version that passed the serving gate."""
    parser = _parser("mlops-promote", "Move the champion alias to a version that passed the serving gate.")
    parser.add_argument("--model-name", required=True)
    parser.add_argument("--version", dest="model_version", required=True)
    args = parser.parse_args(argv)

    def body() -> None:
        from mlops_pipeline import registry

        registry.promote(args.model_name, args.model_version)

    _run(parser.prog, body)


def resolve(argv: typing.Sequence[str] | None = None) -> None:
    """mlops-resolve: the storage URI models:/NAME@ALIAS resolves to."""
    parser = _parser("mlops-resolve", "Print/write the storage URI a registry alias resolves to.")
    parser.add_argument("--model-name", required=True)
    parser.add_argument("--alias", default="champion")
    parser.add_argument("--storage-uri-output", required=True)
    args = parser.parse_args(argv)

    def body() -> None:
        from mlops_pipeline import registry

        write_output(args.storage_uri_output, registry.resolve(args.model_name, args.alias))

    _run(parser.prog, body)

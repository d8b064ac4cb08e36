"""The pipeline as data: its steps, their command lines, inputs and outputs.

This module is the one description of the DAG. It imports nothing beyond the standard
library, so that both sides read it:

* the steps themselves (``mlops_pipeline.data``, ``.features``, ... behind ``mlops_pipeline.cli``),
  which implement each command;
* the WorkflowTemplate generator (``mlops_pipeline.workflow``, Hera), which turns every
  step into an Argo template and every reference into an Argo expression;
* the local proof (``tests/integration/test_ml_lifecycle.py`` in the collection), which runs
  the same command lines as subprocesses, with references resolved to local values.

A command line is a list of words, where a word is either a literal string or a reference:

* ``Param("seed")`` -- a workflow parameter (WorkflowTemplate ``spec.arguments``);
* ``StepOutput("ingest", "dataset-digest")`` -- an output parameter of an earlier step;
* ``ArtifactPath("features")`` -- the local folder where the step finds or leaves the
  artifact of that name (in Argo, the artifact's ``path``);
* ``OutputFile("decision")`` -- the file where the step writes the value of its output
  parameter (in Argo, ``valueFrom.path``).

Each ``--*-output`` file holds one value, without a trailing newline.
"""

from __future__ import annotations

import dataclasses
import typing

# Bump when the feature engineering changes what it writes for the same input: the feature
# set's address (and so its memoization key) changes with it.
FEATURE_VERSION = "1"

# The datasets the ingest step knows (bundled with scikit-learn: nothing is downloaded at run
# time); ``mlops_pipeline.data.SCHEMAS`` holds their columns (a test keeps the two equal).
DATASETS = ("breast_cancer",)

# The folder under which a step's files live in its container.
WORK_DIR = "/work"
# Where the serving gate finds the candidate model (the serving runtime sidecar loads it
# from the same folder, as KServe's storage initializer leaves it in /mnt/models).
MODEL_DIR = "/mnt/models"
# Pickle-critical and numeric libraries: the step image and the serving runtime must agree
# on each one's version (the serving-runtime contract), and on Python's minor version.
CONTRACT_LIBRARIES = ("scikit-learn", "numpy", "scipy", "joblib", "cloudpickle", "pandas")
# Exit status of a step that refuses its input (invalid data, a skewed model, a failed
# gate): a retry cannot help, so the WorkflowTemplate's retry strategy does not retry it.
EXIT_REFUSED = 3


@dataclasses.dataclass(frozen=True)
class Param:
    """A workflow parameter."""

    name: str


@dataclasses.dataclass(frozen=True)
class StepOutput:
    """An output parameter of an earlier step."""

    step: str
    name: str


@dataclasses.dataclass(frozen=True)
class ArtifactPath:
    """The local folder of an artifact (input or output) of the running step."""

    name: str


@dataclasses.dataclass(frozen=True)
class OutputFile:
    """The file where the running step writes one of its output parameters."""

    name: str


Word = str | Param | StepOutput | ArtifactPath | OutputFile


@dataclasses.dataclass(frozen=True)
class Artifact:
    """An artifact a step reads or writes.

    ``source`` (inputs only): the step whose output artifact of the same name this is, or
    ``None`` when the artifact comes from storage at ``key``. ``key`` (a tuple of words,
    joined without separator): where the artifact lives in the platform bucket/container,
    relative to it; ``None`` lets the artifact repository choose (outputs) or requires a
    ``source`` (inputs).
    """

    name: str
    path: str
    source: str | None = None
    key: tuple[Word, ...] | None = None


@dataclasses.dataclass(frozen=True)
class Step:
    """One step of the DAG, run as one container from the step image."""

    name: str
    command: str
    args: tuple[Word, ...]
    # Steps this one runs after.
    after: tuple[str, ...] = ()
    # Which node pool class runs it: general, training, or gpu (see the generator).
    pool: str = "general"
    inputs: tuple[Artifact, ...] = ()
    outputs: tuple[Artifact, ...] = ()
    # Output parameters, each written to OutputFile(name).
    parameters: tuple[str, ...] = ()
    # Memoization key (words joined without separator), or None: not memoized.
    memoize: tuple[Word, ...] | None = None
    # Condition on earlier outputs: (StepOutput, expected value), all must hold.
    when: tuple[tuple[Word, str], ...] = ()
    # True: the serving runtime runs beside the step, loading MODEL_DIR.
    serving_sidecar: bool = False


# Workflow parameters with their defaults; the platform fills the defaults from the inventory.
PARAMETERS = {
    "model-name": "breast-cancer-classifier",
    "experiment": "breast-cancer-classifier",
    "dataset": "breast_cancer",
    "test-percent": "20",
    "seed": "42",
    "n-estimators": "100",
    "learning-rate": "0.1",
    "max-depth": "3",
    "metric": "f1",
    "threshold": "0.9",
    "promote": "true",
}

_DATASET = ArtifactPath("dataset")
_FEATURES = ArtifactPath("features")


def feature_set_id(dataset_digest: Word, test_percent: Word, seed: Word) -> tuple[Word, ...]:
    """The content address of a feature set: what it is computed from, nothing else.

    The words are joined without separator. Only ``[0-9a-z.-]`` appear in them, so the
    result is a legal object key and ConfigMap key (memoization caches).
    """
    return (dataset_digest, "-v", FEATURE_VERSION, "-t", test_percent, "-s", seed)


FEATURE_SET_ID = feature_set_id(StepOutput("ingest", "dataset-digest"), Param("test-percent"), Param("seed"))

STEPS = (
    Step(
        name="ingest",
        command="mlops-ingest",
        args=("--dataset", Param("dataset"), "--output-uri", _DATASET, "--digest-output", OutputFile("dataset-digest")),
        outputs=(Artifact("dataset", WORK_DIR + "/dataset"),),
        parameters=("dataset-digest",),
    ),
    Step(
        name="validate",
        command="mlops-validate",
        args=("--input-uri", _DATASET, "--report-output", OutputFile("rows")),
        after=("ingest",),
        inputs=(Artifact("dataset", WORK_DIR + "/dataset", source="ingest"),),
        parameters=("rows",),
    ),
    Step(
        name="features",
        command="mlops-features",
        args=(
            "--input-uri",
            _DATASET,
            "--output-uri",
            _FEATURES,
            "--test-percent",
            Param("test-percent"),
            "--seed",
            Param("seed"),
            "--feature-set-output",
            OutputFile("feature-set-id"),
        ),
        after=("validate",),
        inputs=(Artifact("dataset", WORK_DIR + "/dataset", source="ingest"),),
        outputs=(Artifact("features", WORK_DIR + "/features", key=("features/", *FEATURE_SET_ID)),),
        parameters=("feature-set-id",),
        memoize=("features-", *FEATURE_SET_ID),
    ),
    Step(
        name="train",
        command="mlops-train",
        args=(
            "--features-uri",
            _FEATURES,
            "--experiment",
            Param("experiment"),
            "--n-estimators",
            Param("n-estimators"),
            "--learning-rate",
            Param("learning-rate"),
            "--max-depth",
            Param("max-depth"),
            "--seed",
            Param("seed"),
            "--run-id-output",
            OutputFile("run-id"),
            "--model-uri-output",
            OutputFile("model-uri"),
            "--fingerprint-output",
            OutputFile("fingerprint"),
        ),
        after=("features",),
        pool="training",
        inputs=(Artifact("features", WORK_DIR + "/features", source="features"),),
        parameters=("run-id", "model-uri", "fingerprint"),
        memoize=(
            "train-",
            StepOutput("features", "feature-set-id"),
            "-n",
            Param("n-estimators"),
            "-lr",
            Param("learning-rate"),
            "-d",
            Param("max-depth"),
            "-",
            Param("experiment"),
        ),
    ),
    Step(
        name="evaluate",
        command="mlops-evaluate",
        args=(
            "--features-uri",
            _FEATURES,
            "--model-uri",
            StepOutput("train", "model-uri"),
            "--run-id",
            StepOutput("train", "run-id"),
            "--fingerprint",
            StepOutput("train", "fingerprint"),
            "--model-name",
            Param("model-name"),
            "--metric",
            Param("metric"),
            "--threshold",
            Param("threshold"),
            "--decision-output",
            OutputFile("decision"),
        ),
        after=("train",),
        inputs=(Artifact("features", WORK_DIR + "/features", source="features"),),
        parameters=("decision",),
    ),
    Step(
        name="register",
        command="mlops-register",
        args=(
            "--model-uri",
            StepOutput("train", "model-uri"),
            "--run-id",
            StepOutput("train", "run-id"),
            "--fingerprint",
            StepOutput("train", "fingerprint"),
            "--model-name",
            Param("model-name"),
            "--version-output",
            OutputFile("version"),
            "--model-key-output",
            OutputFile("model-key"),
        ),
        after=("evaluate",),
        parameters=("version", "model-key"),
        when=((StepOutput("evaluate", "decision"), "register"),),
    ),
    Step(
        name="serving-gate",
        command="mlops-serving-gate",
        args=(
            "--model-dir",
            MODEL_DIR,
            "--features-uri",
            _FEATURES,
            "--model-name",
            Param("model-name"),
            "--version",
            StepOutput("register", "version"),
            "--endpoint",
            "http://127.0.0.1:8080",
            "--served-model-name",
            "candidate",
        ),
        after=("register",),
        inputs=(
            Artifact("features", WORK_DIR + "/features", source="features"),
            Artifact("model", MODEL_DIR, key=(StepOutput("register", "model-key"),)),
        ),
        when=((StepOutput("evaluate", "decision"), "register"),),
        serving_sidecar=True,
    ),
    Step(
        name="promote",
        command="mlops-promote",
        args=("--model-name", Param("model-name"), "--version", StepOutput("register", "version")),
        after=("serving-gate",),
        when=((StepOutput("evaluate", "decision"), "register"), (Param("promote"), "true")),
    ),
)

STEP_NAMES = tuple(step.name for step in STEPS)


def step(name: str) -> Step:
    """The step called ``name``."""
    for candidate in STEPS:
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def resolve(words: typing.Iterable[Word], value: typing.Callable[[Word], str]) -> list[str]:
    """Literal words as they are, references through ``value``."""
    return [word if isinstance(word, str) else value(word) for word in words]

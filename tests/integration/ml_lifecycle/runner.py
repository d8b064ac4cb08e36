"""Run the pipeline's DAG (pipeline/src/mlops_pipeline/spec.py) as local subprocesses.

Every step runs as ``.venv/ml-pipeline/bin/<step.command>`` with the command line built from
``spec.STEPS`` by ``spec.resolve``: ``Param`` -> its default in ``spec.PARAMETERS``,
``StepOutput`` -> what the earlier step wrote to its output file, ``ArtifactPath`` -> a local
folder, ``OutputFile`` -> a file in the run's folder. A step whose ``when`` does not hold is
skipped, as Argo skips it.

Two local stand-ins for what Argo does around a step, both explicit hooks of the caller:

* the feature store: the features step writes with ``--store-uri s3://BUCKET/features`` (the
  step itself reuses a feature set already there) instead of ``--output-uri``, and the later
  steps' ``features`` folder is a download of ``features/<feature set id>/`` -- the artifact key
  spec.py gives that output, which is what Argo's artifact repository fetches for them;
* the serving gate's sidecar: before the gate, the caller downloads the model version's S3
  folder (what KServe's storage initializer fetches) and serves it with MLServer; the gate's
  literal ``--model-dir`` and ``--endpoint`` become that folder and that server.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[3]
SPEC_FILE = REPO / "pipeline" / "src" / "mlops_pipeline" / "spec.py"


def load_spec() -> ModuleType:
    """spec.py (standard library only) loaded from the checkout: the test venv does not hold the package."""
    name = "mlops_pipeline_spec_under_test"
    if name in sys.modules:
        return sys.modules[name]
    module_spec = importlib.util.spec_from_file_location(name, SPEC_FILE)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    module_spec.loader.exec_module(module)
    return module


@dataclass
class StepRun:
    """One step's subprocess: its argv, exit status, output and duration (None: skipped)."""

    name: str
    argv: list[str]
    rc: int | None
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0

    @property
    def skipped(self) -> bool:
        return self.rc is None

    def describe(self) -> str:
        return (
            f"$ {' '.join(self.argv)}\n(exit {self.rc}, {self.seconds:.1f} s)\n"
            f"--- stdout\n{self.stdout[-4000:]}\n--- stderr\n{self.stderr[-6000:]}"
        )


class StepFailed(AssertionError):
    """A step exited non-zero where the flow expects it to succeed."""


@dataclass
class PipelineRun:
    """One local run of the DAG: the folders, the output parameters, every step's subprocess."""

    spec: ModuleType
    bin_dir: Path
    work: Path
    env: dict[str, str]
    feature_store: str
    # Called after the features step wrote the feature set to the store: (run, local folder) -> fills
    # the folder with the stored feature set.
    fetch_features: Callable[[PipelineRun, Path], None]
    # Called before the serving gate: (run) -> literal overrides, e.g. {"--endpoint": URL, "--model-dir": DIR}.
    before_gate: Callable[[PipelineRun], dict[str, str]]
    # Extra diagnostics (server logs) appended to a failing step's message.
    diagnose: Callable[[], str] = lambda: ""
    outputs: dict[tuple[str, str], str] = field(default_factory=dict)
    # The step being resolved (OutputFile references are that step's files).
    current: str = ""
    # The storage URI of the model the serving gate ran against (set by before_gate).
    storage_uri: str = ""
    # The version alias challenger pointed at when the serving gate started (set by before_gate).
    challenger: str = ""
    steps: dict[str, StepRun] = field(default_factory=dict)

    def artifact_dir(self, name: str) -> Path:
        return self.work / "artifacts" / name

    def output_file(self, step: str, name: str) -> Path:
        return self.work / "outputs" / step / name

    def value(self, word) -> str:
        """A reference of spec.py as its local value while ``self.current`` runs."""
        spec = self.spec
        if isinstance(word, spec.Param):
            return spec.PARAMETERS[word.name]
        if isinstance(word, spec.StepOutput):
            return self.outputs[(word.step, word.name)]
        if isinstance(word, spec.ArtifactPath):
            return str(self.artifact_dir(word.name))
        if isinstance(word, spec.OutputFile):
            return str(self.output_file(self.current, word.name))
        raise TypeError(f"unknown word {word!r}")

    def argv(self, step) -> list[str]:
        """The step's command line from spec.py, with the local stand-ins (see the module docstring)."""
        self.current = step.name
        words = self.spec.resolve(step.args, self.value)
        if step.name == "features":
            at = words.index("--output-uri")
            words[at : at + 2] = ["--store-uri", self.feature_store]
        return [str(self.bin_dir / step.command), *words]

    def condition_holds(self, step) -> bool:
        return all(self.spec.resolve((ref,), self.value)[0] == expected for ref, expected in step.when)

    def run(self, stop_after: str | None = None) -> PipelineRun:
        """Every step in order (spec.STEPS is topologically ordered); asserts each one that runs succeeds."""
        for step in self.spec.STEPS:
            self.run_step(step)
            if step.name == stop_after:
                break
        return self

    def run_step(self, step, check: bool = True) -> StepRun:
        self.current = step.name
        if not self.condition_holds(step):
            result = StepRun(step.name, [], None)
            self.steps[step.name] = result
            return result
        for name in step.parameters:
            self.output_file(step.name, name).parent.mkdir(parents=True, exist_ok=True)
        for artifact in step.outputs:
            self.artifact_dir(artifact.name).mkdir(parents=True, exist_ok=True)
        argv = self.argv(step)
        if step.serving_sidecar:
            overrides = self.before_gate(self)
            argv = [*argv]
            for flag, local in overrides.items():
                argv[argv.index(flag) + 1] = local
        result = run_command(step.name, argv, self.env, self.work)
        self.steps[step.name] = result
        if check and result.rc != 0:
            raise StepFailed(f"step {step.name} failed:\n{result.describe()}\n{self.diagnose()}")
        if result.rc == 0:
            for name in step.parameters:
                path = self.output_file(step.name, name)
                if not path.is_file():
                    raise StepFailed(f"step {step.name} wrote no {path}:\n{result.describe()}")
                self.outputs[(step.name, name)] = path.read_text()
            if step.name == "features":
                self.fetch_features(self, self.artifact_dir("features"))
        return result

    def timings(self) -> str:
        return ", ".join(
            f"{name} {'skipped' if run.skipped else f'{run.seconds:.1f}s'}" for name, run in self.steps.items()
        )


def run_command(name: str, argv: list[str], env: dict[str, str], cwd: Path, timeout: float = 300) -> StepRun:
    start = time.monotonic()
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, check=False, timeout=timeout)
    return StepRun(name, argv, proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start)

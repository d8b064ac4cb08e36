"""The step image equals the serving-runtime contract (roles/platform/defaults/main/versions.yml),
and the package's command lines are those spec.py describes."""

from __future__ import annotations

import hashlib
import importlib.metadata
import re
import sys

import pytest
import yaml
from conftest import PIPELINE, REPO, run_cli, step_flags
from mlops_pipeline import __version__, cli, spec

VERSIONS = REPO / "roles" / "platform" / "defaults" / "main" / "versions.yml"
_PIN = re.compile(r"^([a-z0-9][a-z0-9._-]*)==([^\s\\;]+)", re.MULTILINE)


def _platform_versions() -> dict:
    return yaml.safe_load(VERSIONS.read_text())["platform_versions"]


def _pins(name: str) -> dict[str, str]:
    return dict(_PIN.findall((PIPELINE / name).read_text()))


@pytest.fixture(scope="module")
def runtime() -> dict:
    return _platform_versions()["serving_runtime"]


def test_the_lock_pins_exactly_the_contract_libraries(runtime: dict) -> None:
    pins = _pins("requirements.lock")
    assert set(runtime["libraries"]) == set(spec.CONTRACT_LIBRARIES)
    for library, version in runtime["libraries"].items():
        assert pins.get(library) == str(version), f"{library}: lock {pins.get(library)} != contract {version}"
    assert pins["mlflow-skinny"] == "3.7.0"


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-test.lock", "requirements-build.lock"])
def test_every_lock_entry_is_pinned_with_hashes(lock: str) -> None:
    blocks = re.split(r"\n(?=[a-z0-9])", (PIPELINE / lock).read_text().split("\n\n", maxsplit=1)[-1].strip())
    requirements = [block for block in blocks if not block.startswith("#")]
    assert requirements
    for block in requirements:
        assert _PIN.match(block), block.splitlines()[0]
        assert "--hash=sha256:" in block, block.splitlines()[0]


def test_the_test_lock_agrees_with_the_runtime_lock() -> None:
    runtime, test = _pins("requirements.lock"), _pins("requirements-test.lock")
    assert test["moto"] == "5.2.5"
    assert {
        name: (runtime[name], test[name]) for name in runtime.keys() & test.keys() if runtime[name] != test[name]
    } == {}


def test_the_dockerfile_python_is_the_contract_minor(runtime: dict) -> None:
    dockerfile = (PIPELINE / "Dockerfile").read_text()
    python = re.search(r"^ARG PYTHON_VERSION=(\d+)\.(\d+)\.(\d+)$", dockerfile, re.MULTILINE)
    assert python, "the base image's Python must be pinned by its full version"
    assert f"{python.group(1)}.{python.group(2)}" == runtime["python"]
    bases = re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE)
    assert bases and all(base == "docker.io/library/python:${PYTHON_VERSION}-slim-bookworm" for base in bases)
    assert '"--require-hashes", "--no-deps", "--only-binary=:all:", "-r", "requirements.lock"' in dockerfile
    user = re.findall(r"^USER (\S+)$", dockerfile, re.MULTILINE)
    assert user and re.fullmatch(r"[1-9]\d*:[1-9]\d*", user[-1])
    assert "ENTRYPOINT" not in dockerfile


def test_the_image_tag_is_the_version_and_the_lock_digest() -> None:
    image = _platform_versions()["images"]["pipeline"]
    digest = hashlib.sha256((PIPELINE / "requirements.lock").read_bytes()).hexdigest()[:16]
    assert image == {"repository": "mlops-pipeline", "tag": f"{__version__}-{digest}"}
    assert re.search(
        r'^version = \{ attr = "mlops_pipeline.__version__" \}$',
        (PIPELINE / "pyproject.toml").read_text(),
        re.MULTILINE,
    )


def test_this_environment_is_the_contract(runtime: dict) -> None:
    """The tests run where the lock is installed: the versions the models here are pickled with."""
    assert f"{sys.version_info.major}.{sys.version_info.minor}" == runtime["python"]
    for library, version in runtime["libraries"].items():
        assert importlib.metadata.version(library) == str(version)


def test_every_step_command_is_a_console_script() -> None:
    pyproject = (PIPELINE / "pyproject.toml").read_text()
    scripts = dict(re.findall(r'^(mlops-[a-z-]+) = "mlops_pipeline\.cli:([a-z_]+)"$', pyproject, re.MULTILINE))
    assert {step.command for step in spec.STEPS} | {"mlops-resolve"} == set(scripts)
    for function in scripts.values():
        assert callable(getattr(cli, function))


@pytest.mark.parametrize("name", spec.STEP_NAMES)
def test_every_spec_flag_is_accepted(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    step = spec.step(name)
    entry = getattr(cli, step.command.removeprefix("mlops-").replace("-", "_"))
    assert run_cli(entry, ["--help"]) == 0
    usage = capsys.readouterr().out
    for flag in step_flags(name):
        assert re.search(rf"{re.escape(flag)}\b", usage), f"{step.command} lacks {flag}"


def test_package_imports_stay_light() -> None:
    """spec.py and the package root import no heavy library (the Ansible controller imports them)."""
    import subprocess

    heavy = ("sklearn", "pandas", "mlflow", "boto3", "numpy")
    code = f"import sys, mlops_pipeline.spec, mlops_pipeline.cli; print([m for m in {heavy!r} if m in sys.modules])"
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"
    )

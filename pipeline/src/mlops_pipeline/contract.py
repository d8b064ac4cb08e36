"""The serving-runtime contract and the skew check against a model folder.

The contract (one source: the collection's ``platform_versions.serving_runtime``) arrives as
JSON, in the environment variable ``MLOPS_SERVING_CONTRACT`` or in a file::

    {"image": "docker.io/seldonio/mlserver:1.5.0", "python": "3.10",
     "libraries": {"scikit-learn": "1.4.1.post1", "numpy": "1.26.4", ...}}

A model folder (what ``mlflow.sklearn.log_model`` writes) records the versions it was pickled
with: ``MLmodel`` (``python_version``, the sklearn flavor's ``sklearn_version``),
``requirements.txt`` and ``conda.yaml`` (pip pins). Any of them that names a contract library
at another version, or another Python minor, is a skew.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import re
import typing

from mlops_pipeline import spec
from mlops_pipeline.common import Refused

ENV_VAR = "MLOPS_SERVING_CONTRACT"
_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*==\s*([^\s;#]+)")


@dataclasses.dataclass(frozen=True)
class Contract:
    """The serving runtime's image, Python minor and pickle-critical library versions."""

    image: str
    python: str
    libraries: typing.Mapping[str, str]

    def runtime(self) -> str:
        """How messages name the runtime."""
        return f"serving runtime {self.image}"


def canonical_name(name: str) -> str:
    """A distribution name as PEP 503 normalises it (``scikit_learn`` -> ``scikit-learn``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse(text: str, origin: str) -> Contract:
    """The contract from its JSON text; ``origin`` names where it came from in messages."""
    try:
        document = json.loads(text)
    except ValueError as error:
        raise Refused(f"serving-runtime contract from {origin} is not JSON: {error}") from error
    if not isinstance(document, dict):
        raise Refused(f"serving-runtime contract from {origin} is not a JSON object")
    missing = [key for key in ("image", "python", "libraries") if key not in document]
    if missing:
        raise Refused(f"serving-runtime contract from {origin} lacks {', '.join(missing)}")
    libraries = {canonical_name(str(key)): str(value) for key, value in dict(document["libraries"]).items()}
    absent = [name for name in spec.CONTRACT_LIBRARIES if name not in libraries]
    if absent:
        raise Refused(f"serving-runtime contract from {origin} names no version for {', '.join(absent)}")
    return Contract(image=str(document["image"]), python=str(document["python"]), libraries=libraries)


def load(path: str | None) -> Contract:
    """The contract from ``path`` if given, else from ``$MLOPS_SERVING_CONTRACT``."""
    if path:
        file = pathlib.Path(path)
        if not file.is_file():
            raise Refused(f"serving-runtime contract file not found: {path}")
        return parse(file.read_text(encoding="utf-8"), path)
    text = os.environ.get(ENV_VAR, "")
    if not text.strip():
        raise Refused(f"no serving-runtime contract: pass --contract FILE or set {ENV_VAR}")
    return parse(text, ENV_VAR)


def python_minor(version: str) -> str:
    """``3.10.13`` -> ``3.10``."""
    return ".".join(version.strip().split(".")[:2])


def _pins(lines: typing.Iterable[str]) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in lines:
        match = _PIN.match(line)
        if match:
            pins[canonical_name(match.group(1))] = match.group(2)
    return pins


def _yaml(path: pathlib.Path) -> typing.Any:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def _conda_pins(path: pathlib.Path) -> dict[str, str]:
    pip_lines: list[str] = []
    for dependency in _yaml(path).get("dependencies", []) or []:
        if isinstance(dependency, dict):
            pip_lines.extend(str(item) for item in dependency.get("pip", []) or [])
    return _pins(pip_lines)


@dataclasses.dataclass(frozen=True)
class Recorded:
    """What a model folder says it was built with: every (source file, version) per name."""

    python: typing.Sequence[tuple[str, str]]
    libraries: typing.Mapping[str, typing.Sequence[tuple[str, str]]]


def _conda_python(path: pathlib.Path) -> str | None:
    for dependency in _yaml(path).get("dependencies", []) or []:
        if isinstance(dependency, str) and re.match(r"^python\s*=", dependency):
            return python_minor(dependency.split("=", maxsplit=1)[1].lstrip("="))
    return None


def _python_versions(folder: pathlib.Path, mlmodel: typing.Mapping[str, typing.Any]) -> list[tuple[str, str]]:
    found = []
    flavor = (mlmodel.get("flavors") or {}).get("python_function") or {}
    for version in (mlmodel.get("python_version"), flavor.get("python_version")):
        if version:
            found.append(("MLmodel", python_minor(str(version))))
    if (folder / "python_env.yaml").is_file():
        version = _yaml(folder / "python_env.yaml").get("python")
        if version:
            found.append(("python_env.yaml", python_minor(str(version))))
    if (folder / "conda.yaml").is_file():
        version = _conda_python(folder / "conda.yaml")
        if version:
            found.append(("conda.yaml", version))
    return found


def recorded_versions(model_dir: str) -> Recorded:
    """The Python minor and library versions a model folder records, from every file that says."""
    folder = pathlib.Path(model_dir)
    mlmodel_path = folder / "MLmodel"
    if not mlmodel_path.is_file():
        raise Refused(f"no MLflow model in {model_dir} (MLmodel missing)")
    mlmodel = _yaml(mlmodel_path)
    libraries: dict[str, list[tuple[str, str]]] = {}
    sklearn_version = ((mlmodel.get("flavors") or {}).get("sklearn") or {}).get("sklearn_version")
    if sklearn_version:
        libraries["scikit-learn"] = [("MLmodel", str(sklearn_version))]
    for name in ("requirements.txt", "conda.yaml"):
        path = folder / name
        if path.is_file():
            pins = _conda_pins(path) if name == "conda.yaml" else _pins(path.read_text(encoding="utf-8").splitlines())
            for library, version in pins.items():
                libraries.setdefault(library, []).append((name, version))
    return Recorded(python=_python_versions(folder, mlmodel), libraries=libraries)


def _same(left: str, right: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(left) == Version(right)
    except InvalidVersion:
        return left == right


def _distinct(found: typing.Iterable[tuple[str, str]]) -> list[str]:
    versions: list[str] = []
    for _source, version in found:
        if version not in versions:
            versions.append(version)
    return versions


def skews(model_dir: str, contract: Contract) -> list[str]:
    """Every disagreement between the model folder and the contract, one phrase each."""
    recorded = recorded_versions(model_dir)
    problems: list[str] = []
    if not recorded.python:
        problems.append(
            f"the model records no Python version (MLmodel python_version); "
            f"{contract.runtime()} runs Python {contract.python}"
        )
    for version in _distinct(recorded.python):
        if version != contract.python:
            problems.append(f"Python {version} (model) != {contract.python} ({contract.runtime()})")
    if "scikit-learn" not in recorded.libraries:
        problems.append(
            f"the model records no scikit-learn version; {contract.runtime()} has {contract.libraries['scikit-learn']}"
        )
    for name in spec.CONTRACT_LIBRARIES:
        for version in _distinct(recorded.libraries.get(name, ())):
            if not _same(version, contract.libraries[name]):
                problems.append(f"{name} {version} (model) != {contract.libraries[name]} ({contract.runtime()})")
    return problems


def check(model_dir: str, contract: Contract) -> None:
    """Refuse a model folder that disagrees with the contract, naming both versions."""
    problems = skews(model_dir, contract)
    if problems:
        raise Refused("training/serving skew: " + "; ".join(problems))

"""Fixtures of the offline proof harness: run the real site.yml against the real upstream charts."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
INVENTORIES = ("aws-dev", "azure-dev")
_RECAP = re.compile(
    r"^(?P<host>\S+)\s*:\s*ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)"
    r"\s+failed=(?P<failed>\d+)",
    re.MULTILINE,
)


def upstream_dir() -> Path:
    return Path(os.environ.get("PLATFORM_UPSTREAM", REPO.parent / "shared" / "upstream")).resolve()


def ansible_bin(name: str) -> str:
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else name


@dataclass
class PlaybookRun:
    argv: list
    rc: int
    output: str
    seconds: float
    build_dir: Path

    @property
    def recap(self) -> dict:
        """host -> {ok, changed, unreachable, failed} from the PLAY RECAP."""
        return {
            m["host"]: {k: int(m[k]) for k in ("ok", "changed", "unreachable", "failed")}
            for m in _RECAP.finditer(self.output)
        }

    def changed(self) -> int:
        return sum(host["changed"] for host in self.recap.values())


def playbook_env(root: Path, environment: dict | None = None) -> dict:
    """The environment of a playbook run from ``root``: no cloud credential or kubeconfig of the caller,
    ``root``'s ansible.cfg, the venv first on PATH; ``environment`` added."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AZURE_", "ARM_")) and k != "KUBECONFIG"}
    env.update(
        ANSIBLE_CONFIG=str(root / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    env.update(environment or {})
    return env


def run_playbook(args: list, build_dir: Path, environment: dict | None = None, root: Path = REPO) -> PlaybookRun:
    """``ansible-playbook <args>`` from the repository (or the collection copy ``root``) with its ansible.cfg.

    No cloud credential or kubeconfig of the caller reaches the run (``environment`` adds variables).
    """
    argv = [ansible_bin("ansible-playbook"), *args]
    env = playbook_env(root, environment)
    if root != REPO:
        env["ANSIBLE_COLLECTIONS_PATH"] = str(root.parents[2])
    start = time.monotonic()
    proc = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, check=False, timeout=900)
    return PlaybookRun(argv, proc.returncode, proc.stdout + proc.stderr, time.monotonic() - start, build_dir)


def run_site(
    inventory: Path,
    build_dir: Path,
    *extra: str,
    mode: str = "render",
    playbook: str = "site.yml",
    environment: dict | None = None,
    root: Path = REPO,
) -> PlaybookRun:
    """Run site.yml the way the README says, offline, against the upstream chart mirror."""
    args = [
        playbook,
        "-i",
        str(inventory),
        "-e",
        f"platform_mode={mode}",
        "-e",
        f"platform_chart_mirror={upstream_dir() / 'charts'}",
        "-e",
        f"platform_build_dir={build_dir}",
        *extra,
    ]
    return run_playbook(args, build_dir, environment, root)


def mutated_collection(tmp_path: Path, path: str, old: str, new: str) -> Path:
    """A copy of the collection at <tmp>/ansible_collections/mlops/platform with one edit (a planted defect).

    Run it with ``ANSIBLE_COLLECTIONS_PATH=<tmp>`` from the copy (``run_site(..., root=copy)``).
    """
    root = tmp_path / "ansible_collections" / "mlops" / "platform"
    shutil.copytree(
        REPO,
        root,
        ignore=shutil.ignore_patterns(".venv", ".git", "build", "tests", "terraform", "molecule", "__pycache__"),
    )
    target = root / path
    text = target.read_text()
    assert old in text, f"{path} no longer holds {old!r}: update the mutation"
    target.write_text(text.replace(old, new, 1))
    return root


@pytest.fixture(scope="session")
def upstream() -> Path:
    path = upstream_dir()
    if not (path / "charts").is_dir():
        pytest.skip(f"upstream charts not found at {path} (set PLATFORM_UPSTREAM): cannot render offline")
    return path


@pytest.fixture(scope="session")
def rendered(upstream, tmp_path_factory) -> dict:
    """inventory name -> the first render of site.yml into a fresh build dir."""
    runs = {}
    for name in INVENTORIES:
        build = tmp_path_factory.mktemp(f"build-{name}")
        run = run_site(REPO / "inventories" / name, build)
        assert run.rc == 0, f"render of {name} failed:\n{run.output[-6000:]}"
        runs[name] = run
    return runs


# What the *-full inventories' InferenceServices find in the model registry: the registered model of
# kserve_inference_services[iris] with a champion and a different challenger (both gate-passed), so the renders hold
# a stable and a canary predictor. Sources are mlflow-artifacts: URIs, as MLflow's artifact proxy records them.
REGISTERED_MODELS = {
    "iris-classifier": [
        {"source": "mlflow-artifacts:/1/models/m-0001/artifacts", "alias": "champion"},
        {"source": "mlflow-artifacts:/1/models/m-0002/artifacts", "alias": "challenger"},
    ]
}
MLFLOW_VENV = REPO / ".venv" / "mlflow-server"


def mlflow_call(url: str, method: str, path: str, body: dict | None = None) -> dict:
    """One call of MLflow's REST API (``/api/2.0/mlflow/<path>``); the JSON answer."""
    import json
    import urllib.request

    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{url}/api/2.0/mlflow/{path}", data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read() or b"{}")


def seed_registry(url: str, models: dict) -> None:
    """Register each model's versions (tagged serving_gate=passed, as the pipeline's gate does) and set aliases."""
    for name, versions in models.items():
        mlflow_call(url, "POST", "registered-models/create", {"name": name})
        for spec in versions:
            version = mlflow_call(url, "POST", "model-versions/create", {"name": name, "source": spec["source"]})
            number = version["model_version"]["version"]
            tag = {"name": name, "version": number, "key": "serving_gate", "value": spec.get("gate", "passed")}
            mlflow_call(url, "POST", "model-versions/set-tag", tag)
            if spec.get("alias"):
                alias = {"name": name, "alias": spec["alias"], "version": number}
                mlflow_call(url, "POST", "registered-models/alias", alias)


@pytest.fixture(scope="session", autouse=True)
def model_registry(tmp_path_factory) -> str:
    """An MLflow 3 tracking server on 127.0.0.1 (SQLite backend) holding REGISTERED_MODELS; its URL, also in
    MLFLOW_TRACKING_URI for every playbook the session runs (playbook_env passes the environment on).

    The kserve role resolves the *-full inventories' registered models through it at render time (the
    mlops.platform.registered_model lookup), as it asks the platform's MLflow in a real run.
    """
    from .ml_lifecycle import servers

    if not (MLFLOW_VENV / "bin" / "mlflow").exists():
        pytest.fail(f"{MLFLOW_VENV} is missing: run scripts/setup.sh (make test does) to build the MLflow server venv")
    logs = tmp_path_factory.mktemp("model-registry")
    backend = f"sqlite:///{logs / 'mlflow.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AZURE_", "MLFLOW_"))}
    server = servers.start_mlflow(MLFLOW_VENV, backend, str(logs / "artifacts"), env, logs)
    before = os.environ.get("MLFLOW_TRACKING_URI")
    try:
        seed_registry(server.url, REGISTERED_MODELS)
        os.environ["MLFLOW_TRACKING_URI"] = server.url
        yield server.url
    finally:
        if before is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = before
        server.stop()


@pytest.fixture(scope="session")
def full_builds(upstream, tmp_path_factory) -> dict:
    """inventory name -> build dir of the *-full test inventories, rendered once per session, side by side
    (the behaviour checks and the ML pipeline's render tests read the same renders)."""
    from concurrent.futures import ThreadPoolExecutor

    from .platform_checks.render_facts import FULL
    from .platform_checks.render_facts import INVENTORIES as FULL_INVENTORIES

    def render(name: str):
        build = tmp_path_factory.mktemp(f"full-{name}")
        return name, build, run_site(FULL_INVENTORIES[name], build)

    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(render, FULL))
    for name, _build, run in runs:
        assert run.rc == 0, f"render of {name} failed:\n{run.output[-4000:]}"
    return {name: build for name, build, _run in runs}


@pytest.fixture
def broken_inventory(tmp_path):
    """Copy an inventory so a test can break one variable without touching the repo."""

    def make(name: str) -> Path:
        dest = tmp_path / name
        shutil.copytree(REPO / "inventories" / name, dest)
        return dest

    return make

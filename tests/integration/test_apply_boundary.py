"""The install path, run for real up to the cluster boundary.

No kube-apiserver can run here, so site.yml runs in ``platform_mode=apply`` (and with ``--check``)
against a kubeconfig whose API server is 127.0.0.1 on a port where nothing listens. Every wave is
reached on its own with its wave tag (``--tags wave_<N>``: the real flow stops at the first failed
wave). From the task results (the ``ansible.posix.json`` callback) each wave must show:

* its task ran the module for every release of the wave the render described, and every release
  failed only because the cluster is unreachable, in one line naming the endpoint (never on task
  semantics: async, argument validation, templating, undefined variables);
* the releases of the wave were all started before the first of them finished (side by side);
* no release values in the output.

The mutations (an unsupported ``async`` keyword, an undefined variable, one release at a time) show
that each check fails on the defect it exists for.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import REPO, ansible_bin, mutated_collection, playbook_env, upstream_dir

WAVE_TASK = "Release | Apply side by side, until ready, the releases of wave "
RENDER_TASK = "Release | Describe and render every release"
CLOUDS = {"aws-dev": "aws", "azure-dev": "azure"}
# Values that must never reach the output of a failed apply (they are in the rendered values.yaml).
VALUE_MARKERS = ("replicaCount", "serviceAccount:")
TABLE: list = []


@pytest.fixture(scope="module")
def nowhere(tmp_path_factory) -> tuple:
    """A kubeconfig whose API server is 127.0.0.1:<port> with nothing listening; (path, server URL)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = f"https://127.0.0.1:{port}"
    return write_kubeconfig(tmp_path_factory.mktemp("kube") / "config", server), server


def write_kubeconfig(path: Path, server: str) -> Path:
    """A kubeconfig of one cluster at ``server`` (a token that is no credential), written to ``path``."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "nowhere", "cluster": {"server": server, "insecure-skip-tls-verify": True}}],
        "contexts": [{"name": "nowhere", "context": {"cluster": "nowhere", "user": "nobody"}}],
        "current-context": "nowhere",
        "users": [{"name": "nobody", "user": {"token": "not-a-credential"}}],
    }
    path.write_text(yaml.safe_dump(config))
    return path


# The upgrade guard (roles/release, before the first wave) is the first thing that talks to the cluster and
# stops the run there; with both flags set it has nothing to refuse and does not run, so every wave is reached.
# tests/integration/test_upgrade.py runs the guard itself to this boundary and against a helm stand-in.
GUARD_OFF = ("-e", "release_allow_downgrade=true", "-e", "release_allow_major_skip=true")


def apply(inventory: Path, build: Path, kubeconfig: Path, *extra: str, root: Path = REPO, guard: bool = False) -> tuple:
    """site.yml in apply mode with the JSON callback: (rc, parsed output, raw output); the upgrade guard off
    unless ``guard``."""
    env = playbook_env(root, {"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"})
    if root != REPO:
        env["ANSIBLE_COLLECTIONS_PATH"] = str(root.parents[2])
    argv = [
        ansible_bin("ansible-playbook"),
        "site.yml",
        "-i",
        str(inventory),
        "-e",
        "platform_mode=apply",
        "-e",
        f"platform_kubeconfig={kubeconfig}",
        "-e",
        "infrastructure_terraform=false",
        "-e",
        f"platform_chart_mirror={upstream_dir() / 'charts'}",
        "-e",
        f"platform_build_dir={build}",
        *(() if guard else GUARD_OFF),
        *extra,
    ]
    proc = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, check=False, timeout=600)
    start = proc.stdout.find("{")
    try:
        parsed = json.loads(proc.stdout[start:]) if start >= 0 else {}
    except ValueError:
        parsed = {}
    return proc.returncode, parsed, proc.stdout + proc.stderr


def task_results(parsed: dict) -> list:
    """(task name, result) of every task of every play, in order (one host per inventory)."""
    out = []
    for play in parsed.get("plays", []):
        for task in play.get("tasks", []):
            for result in task.get("hosts", {}).values():
                # Role tasks are named "<role> : <name>".
                out.append((task["task"]["name"].rpartition(" : ")[2], result))
    return out


def pending_of(parsed: dict) -> list:
    for name, result in task_results(parsed):
        if name == RENDER_TASK:
            return result["ansible_facts"]["release__pending"]
    raise AssertionError("the render task did not run")


def boundary(parsed: dict, server: str, wave: int, expected: list) -> dict:
    """Check one wave's run; return its table row. AssertionError names what is wrong."""
    results = task_results(parsed)
    failed = [(name, r) for name, r in results if r.get("failed")]
    waves = [(name, r) for name, r in results if name.startswith(WAVE_TASK)]
    assert failed, "nothing failed: the cluster boundary was never reached"
    (name, result), *others = failed
    assert not others, f"more than one task failed: {[n for n, _result in failed]}"
    assert name.startswith(WAVE_TASK), f"task {name!r} failed before any release ran: {result.get('msg')}"
    assert len(waves) == 1, f"expected the one wave {wave}, got {[n for n, _result in waves]}"
    records = result.get("releases")
    assert records, f"the wave task failed without running its module: {result.get('msg')}"
    assert result["wave"] == wave
    assert sorted(r["component"] for r in records) == sorted(expected), "not every release of the wave ran"
    for record in records:
        assert record["unreachable"], f"{record['component']} failed on something else: {record['error']}"
        assert server in record["error"], record["error"]
    lines = result["msg"].splitlines()
    assert len(lines) == len(records) + 1 and all(server in line for line in lines[1:]), result["msg"]
    last_start = max(r["started_at"] for r in records)
    first_end = min(r["finished_at"] for r in records)
    if len(records) > 1:
        assert last_start < first_end, (
            f"wave {wave}: releases ran one after another (last started {last_start - first_end:.3f} s "
            "after the first finished)"
        )
    return {
        "wave": wave,
        "releases": len(records),
        "started": [r["started"] for r in records],
        "finished": [r["finished"] for r in records],
    }


@pytest.fixture(scope="module")
def plans(upstream, nowhere, tmp_path_factory) -> dict:
    """inventory -> (build dir, every release the render describes, with its wave)."""
    out = {}
    for name in CLOUDS:
        build = tmp_path_factory.mktemp(f"apply-{name}")
        rc, parsed, raw = apply(REPO / "inventories" / name, build, nowhere[0])
        assert rc != 0 and parsed, raw[-4000:]
        out[name] = (build, pending_of(parsed))
    return out


@pytest.mark.parametrize("check", [False, True], ids=["apply", "check"])
@pytest.mark.parametrize("name", list(CLOUDS))
def test_every_wave_reaches_the_cluster_and_only_the_cluster_stops_it(plans, nowhere, name, check):
    build, pending = plans[name]
    kubeconfig, server = nowhere
    waves = sorted({release["wave"] for release in pending})
    assert len(waves) >= 4, waves
    for wave in waves:
        expected = [r["component"] for r in pending if r["wave"] == wave]
        extra = ["--tags", f"wave_{wave}"] + (["--check", "--diff"] if check else [])
        rc, parsed, raw = apply(REPO / "inventories" / name, build, kubeconfig, *extra)
        assert rc != 0, raw[-3000:]
        row = boundary(parsed, server, wave, expected)
        assert not any(marker in raw for marker in VALUE_MARKERS), "release values in the output"
        TABLE.append({"inventory": name, "check": check, **row})


def test_concurrency_table():
    """The per-wave table of the runs above (printed with -s; quoted in the closing note)."""
    if not TABLE:
        pytest.skip("the wave runs did not run in this session (e.g. -k selected this test alone)")
    print("\ninventory  mode   wave  releases  started (s)                 finished (s)")
    for row in TABLE:
        started, finished = row["started"], row["finished"]
        print(
            f"{row['inventory']:<10} {'check' if row['check'] else 'apply':<6} {row['wave']:>4}  {row['releases']:>8}  "
            f"{min(started):.3f}..{max(started):.3f}  {min(finished):.3f}..{max(finished):.3f}"
        )
    assert all(max(r["started"]) < min(r["finished"]) for r in TABLE if r["releases"] > 1)


def test_deploy_fails_with_one_line_per_release_naming_the_endpoint(plans, nowhere):
    """The default callback, as `make deploy` prints it: one readable line per release, no values."""
    build, pending = plans["aws-dev"]
    kubeconfig, server = nowhere
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    proc = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "deploy",
            "INVENTORY=inventories/aws-dev",
            f"CHART_MIRROR={upstream_dir() / 'charts'}",
            "EXTRA=-e infrastructure_terraform=false "
            f"-e platform_kubeconfig={kubeconfig} -e platform_build_dir={build} {' '.join(GUARD_OFF)}",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    wave0 = [r["component"] for r in pending if r["wave"] == 0]
    for component in wave0:
        lines = [line for line in out.splitlines() if line.strip().startswith(f"{component}: cluster {server}")]
        assert lines, f"no line for {component}:\n{out[-3000:]}"
    assert not any(marker in out for marker in VALUE_MARKERS)


# ---------------------------------------------------------------------------- mutations
MUTATIONS = {
    "async": ("register: release__applied", "register: release__applied\n  async: 600\n  poll: 0", "async"),
    "undefined": ("release_wait_timeout | int", "release_wait_timeout_typo | int", "release_wait_timeout_typo"),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_mutation_in_the_apply_task_is_caught(plans, nowhere, tmp_path, mutation):
    old, new, needle = MUTATIONS[mutation]
    root = mutated_collection(tmp_path, "roles/release/tasks/apply_wave.yml", old, new)
    build, pending = plans["aws-dev"]
    kubeconfig, server = nowhere
    rc, parsed, raw = apply(REPO / "inventories" / "aws-dev", build, kubeconfig, "--tags", "wave_10", root=root)
    assert rc != 0
    expected = [r["component"] for r in pending if r["wave"] == 10]
    with pytest.raises(AssertionError) as caught:
        boundary(parsed, server, 10, expected)
    assert needle in str(caught.value) or needle in raw, str(caught.value)


def test_mutation_one_release_at_a_time_is_caught(plans, nowhere):
    build, pending = plans["aws-dev"]
    kubeconfig, server = nowhere
    wave = max((r["wave"] for r in pending), key=lambda w: sum(r["wave"] == w for r in pending))
    expected = [r["component"] for r in pending if r["wave"] == wave]
    _rc, parsed, _raw = apply(
        REPO / "inventories" / "aws-dev",
        build,
        kubeconfig,
        "--tags",
        f"wave_{wave}",
        "-e",
        "platform_release_concurrency=1",
    )
    with pytest.raises(AssertionError, match="one after another"):
        boundary(parsed, server, wave, expected)


# ---------------------------------------------------------------------------- what apply installs
def test_apply_installs_the_rendered_files(plans):
    """Every pending release points at its rendered folder; the object counts match manifests.yaml."""
    for name, (build, pending) in plans.items():
        cluster = (
            build
            / yaml.safe_load((REPO / "inventories" / name / "group_vars/all/platform.yml").read_text())[
                "platform_cluster_name"
            ]
        )
        folders = {p.name for p in cluster.iterdir() if (p / ".render.sha256").is_file()}
        assert pending and {r["component"] for r in pending} == folders, name
        for release in pending:
            assert Path(release["folder"]) == cluster / release["component"]
            ours = [d for d in yaml.safe_load_all((cluster / release["component"] / "manifests.yaml").read_text()) if d]
            assert len(ours) == int(release["create_namespace"]) + release["manifests_pre"] + release["manifests"]
            assert "values" not in release
            if release["chart_ref"]:
                assert (cluster / release["component"] / "values.yaml").is_file()


# ---------------------------------------------------------------------------- the post-renderer, with real helm
POSTRENDER = REPO / "roles" / "release" / "files" / "postrender.py"


def helm_template_post_rendered(release: dict, kube_version: str, spec: Path) -> subprocess.CompletedProcess:
    """What helm upgrade installs, without a cluster: helm template with apply's post-renderer."""
    argv = [
        ansible_bin("helm"),
        "template",
        release["release_name"],
        release["chart_ref"],
        "--version",
        release["chart_version"],
        "--namespace",
        release["namespace"],
        "--values",
        str(Path(release["folder"]) / "values.yaml"),
        "--kube-version",
        kube_version,
        "--skip-tests",
        "--post-renderer",
        sys.executable,
        "--post-renderer-args",
        str(POSTRENDER),
        "--post-renderer-args",
        str(spec),
    ]
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=300)


def run_local(argv: list) -> tuple:
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


def test_every_chart_installs_exactly_the_reviewed_objects(plans, tmp_path):
    """For every chart release of both clouds, helm's own render at install, through the post-renderer,
    is accepted: the drop rules match and the objects are those of the reviewed chart.yaml. A planted
    difference (an expected object gone) is refused with a message naming it."""
    from ansible_collections.mlops.platform.plugins.module_utils import apply as apply_utils

    checked = dropped = crds = 0
    for name, (_build, pending) in plans.items():
        kube = str(
            yaml.safe_load((REPO / "inventories" / name / "group_vars/all/platform.yml").read_text())[
                "platform_kubernetes_version"
            ]
        )
        for release in (r for r in pending if r["chart_ref"]):
            spec = tmp_path / f"{name}-{release['component']}.json"
            target = apply_utils.Target(helm=ansible_bin("helm"))
            names = apply_utils.chart_crd_names(release, target, lambda argv, _stdin: run_local(argv))
            plan = apply_utils.read_plan(release["folder"], release, names)
            apply_utils.write_postrender_spec(str(spec), release, plan)
            proc = helm_template_post_rendered(release, kube, spec)
            assert proc.returncode == 0, f"{name} {release['component']}: {proc.stderr[-2000:]}"
            # Hooks are helm's: never post-rendered (a dropped hook, like MLflow's generated key Secret, is
            # kept out at install by the lookup that finds our ExternalSecret's Secret first).
            objects = [
                d
                for d in yaml.safe_load_all(proc.stdout)
                if d and "helm.sh/hook" not in (d.get("metadata", {}).get("annotations") or {})
            ]
            assert not any(
                d.get("kind") == rule["kind"] and d["metadata"]["name"] == rule["name"]
                for d in objects
                for rule in release["drop"]
            ), release["component"]
            checked += 1
            dropped += len(release["drop"])
            crds += len(names)
    assert checked >= 20 and dropped >= 1 and crds >= 10, (checked, dropped, crds)
    # The mutation: the reviewed render lists an object the chart no longer renders.
    data = json.loads(spec.read_text())
    data["expect"].append(["ConfigMap", "", "not-in-the-chart"])
    spec.write_text(json.dumps(data))
    proc = helm_template_post_rendered(release, kube, spec)
    assert proc.returncode != 0 and "gone: ConfigMap  not-in-the-chart" in proc.stderr, proc.stderr[-1000:]

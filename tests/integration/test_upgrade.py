"""The upgrade guard in site.yml's apply, with the real helm and kubectl, before anything changes.

No kube-apiserver runs here. Two clusters stand in:

* a kubeconfig at 127.0.0.1:<closed port> (test_apply_boundary's): the guard is the first thing that talks
  to the cluster, so the run stops there, in one line naming the endpoint, and no wave starts;
* a helm storage stand-in on 127.0.0.1: an HTTP server that answers only what ``helm list`` asks
  (``GET /version`` and ``GET /api/v1/secrets?labelSelector=owner=helm``) with release Secrets encoded as
  helm's secrets driver stores them (gzip + base64 of the release JSON), and 404 to anything else. Real helm
  lists them; the guard compares them with the pinned versions. It records every request, so a refused run
  shows that the cluster saw one listing and nothing else.

Mutations: the guard task removed from the role, and the version comparison flipped, are both caught.
"""

from __future__ import annotations

import base64
import gzip
import http.server
import json
import subprocess
import threading
import urllib.parse

import pytest

from . import test_apply_boundary
from .conftest import REPO, ansible_bin, mutated_collection
from .test_apply_boundary import WAVE_TASK, apply, pending_of, task_results, write_kubeconfig

# The kubeconfig at a closed 127.0.0.1 port (a fixture, shared).
nowhere = test_apply_boundary.nowhere
INVENTORY = REPO / "inventories" / "aws-dev"
GUARD_TASK = "Release | Upgrade guard, no chart downgrade or skip across majors"
CHANGES_TASK = "Release | Chart version changes of this run"


def release_secret(name: str, namespace: str, chart: str, version: str, status: str = "deployed") -> dict:
    """A helm release as helm 3's secrets driver stores it (pkg/storage/driver/secrets.go, util.go:
    base64(gzip(JSON)) in data.release, which the API serves base64-encoded once more)."""
    release = {
        "name": name,
        "namespace": namespace,
        "version": 1,
        "info": {"status": status, "first_deployed": "2026-11-30T10:00:00Z", "last_deployed": "2026-11-30T10:00:00Z"},
        "chart": {"metadata": {"name": chart, "version": version, "apiVersion": "v2"}},
        "config": {},
        "manifest": "",
    }
    stored = base64.b64encode(gzip.compress(json.dumps(release).encode())).decode()
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "helm.sh/release.v1",
        "metadata": {
            "name": f"sh.helm.release.v1.{name}.v1",
            "namespace": namespace,
            "labels": {"owner": "helm", "name": name, "status": status, "version": "1"},
        },
        "data": {"release": base64.b64encode(stored.encode()).decode()},
    }


class HelmStandIn(http.server.ThreadingHTTPServer):
    """Answers helm list's two requests; everything else is 404. ``requests`` records what was asked."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.secrets: list = []
        self.requests: list = []

    @property
    def server(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(http.server.BaseHTTPRequestHandler):
    def _send(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.server.requests.append(("GET", self.path))
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/version":
            self._send(200, {"major": "1", "minor": "33", "gitVersion": "v1.33.0"})
        elif url.path == "/api/v1/secrets" and "owner=helm" in urllib.parse.parse_qs(url.query).get(
            "labelSelector", []
        ):
            self._send(200, {"kind": "SecretList", "apiVersion": "v1", "metadata": {}, "items": self.server.secrets})
        else:
            self._send(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404})

    def _refuse(self):
        self.server.requests.append((self.command, self.path))
        self._send(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404})

    do_POST = do_PATCH = do_PUT = do_DELETE = _refuse

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    """(server, kubeconfig path) of a running helm stand-in."""
    server = HelmStandIn()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, write_kubeconfig(tmp_path_factory.mktemp("standin") / "config", server.server)
    server.shutdown()
    server.server_close()


def by_component(pending: list) -> dict:
    return {r["component"]: r for r in pending}


# What the stand-in cluster has installed, per component: (installed chart version, the guard's action).
ALLOWED = {
    "cert_manager": ("v1.18.2", "upgrade"),  # pinned v1.19.1
    "external_secrets": ("0.20.4", "major upgrade"),  # pinned 1.1.1: 0.x -> 1 is one step
    "kserve_crd": ("v0.15.2", "major upgrade"),  # pinned v0.16.0: below 1.0 the minor is the major
    "kyverno": ("3.3.4", "unchanged"),
}
REFUSED = {
    "monitoring": ("75.0.0", "release_allow_downgrade"),  # pinned 72.6.2
    "argocd": ("5.51.6", "release_allow_major_skip"),  # pinned 7.9.0
    "argo_workflows": ("0.44.0", "release_allow_major_skip"),  # pinned 0.46.1
}


def install(server: HelmStandIn, pending: list, versions: dict) -> None:
    releases = by_component(pending)
    server.secrets = [
        release_secret(releases[c]["release_name"], releases[c]["namespace"], releases[c]["chart_name"], versions[c][0])
        for c in versions
    ]


def guard_result(parsed: dict) -> dict:
    for name, result in task_results(parsed):
        if name == GUARD_TASK:
            return result
    raise AssertionError("the upgrade guard did not run")


def refused_before_any_wave(parsed: dict, server: str, expected: dict) -> list:
    """The run stopped at the guard, which names exactly ``expected`` ({component: flag}); no wave ran."""
    results = task_results(parsed)
    waves = [name for name, _result in results if name.startswith(WAVE_TASK)]
    assert not waves, f"a wave ran although the guard should have refused: {waves}"
    result = guard_result(parsed)
    assert result.get("failed"), "the guard let the run through"
    head, *lines = result["msg"].splitlines()
    assert server in head and "nothing was applied" in head, head
    named = {line.split(":", 1)[0]: line.rsplit("set ", 1)[1].split("=")[0] for line in lines}
    assert named == expected, result["msg"]
    for line in lines:
        component = line.split(":", 1)[0]
        assert REFUSED[component][0] in line, line  # the installed version
    return lines


@pytest.fixture(scope="module")
def planned(standin, tmp_path_factory) -> tuple:
    """An empty stand-in cluster: every release is an install, the guard passes, the first wave starts.
    Returns (build dir, every pending release)."""
    server, kubeconfig = standin
    build = tmp_path_factory.mktemp("upgrade")
    server.secrets = []
    rc, parsed, raw = apply(INVENTORY, build, kubeconfig, guard=True)
    assert rc != 0 and parsed, raw[-3000:]
    guard = guard_result(parsed)
    assert not guard.get("failed") and {r["action"] for r in guard["releases"]} == {"install"}, guard
    assert any(name.startswith(WAVE_TASK) for name, _result in task_results(parsed)), "no wave ran after the guard"
    return build, pending_of(parsed)


def test_crd_charts_are_released_in_a_wave_before_their_controllers(planned):
    """Wave order, CRDs first: a *-crd chart's release comes in an earlier wave than its controller chart's."""
    _build, pending = planned
    charts = {r["chart_name"]: r["wave"] for r in pending if r["chart_name"]}
    crd_charts = [name for name in charts if name.endswith("-crd")]
    assert sorted(crd_charts) == ["karpenter-crd", "kserve-crd"], crd_charts
    for name in crd_charts:
        assert charts[name] < charts[name[: -len("-crd")]], (name, charts)
    # kube-prometheus-stack's CRDs: the same chart with only its CRDs on, released before the stack.
    waves = {r["component"]: r["wave"] for r in pending}
    assert waves["monitoring_crd"] == 0 < waves["monitoring"], waves


def test_allowed_moves_are_listed_and_the_waves_start(standin, planned):
    server, kubeconfig = standin
    build, pending = planned
    install(server, pending, ALLOWED)
    rc, parsed, raw = apply(INVENTORY, build, kubeconfig, "--tags", "wave_0,wave_10,wave_30", guard=True)
    assert rc != 0, raw[-3000:]
    guard = guard_result(parsed)
    assert not guard.get("failed"), guard.get("msg")
    actions = {row["component"]: (row["installed"], row["action"]) for row in guard["releases"]}
    for component, expected in ALLOWED.items():
        assert actions[component] == expected, (component, actions)
    changes = next(result["msg"] for name, result in task_results(parsed) if name == CHANGES_TASK)
    assert len(changes) == 3 and all("->" in line for line in changes), changes
    # The first wave (0: the CRD charts) is what runs next; the stand-in is no API server, so it fails there.
    waves = [result["wave"] for name, result in task_results(parsed) if name.startswith(WAVE_TASK)]
    assert waves == [0], waves


@pytest.mark.parametrize(
    "flags, expected",
    [
        ((), {c: flag for c, (_v, flag) in REFUSED.items()}),
        (
            ("-e", "release_allow_downgrade=true"),
            {"argocd": "release_allow_major_skip", "argo_workflows": "release_allow_major_skip"},
        ),
        (("-e", "release_allow_major_skip=true", "--check"), {"monitoring": "release_allow_downgrade"}),
    ],
    ids=["default", "downgrade-allowed", "skip-allowed-check-mode"],
)
def test_downgrades_and_major_skips_are_refused_before_any_change(standin, planned, flags, expected):
    server, kubeconfig = standin
    build, pending = planned
    install(server, pending, {**ALLOWED, **REFUSED})
    server.requests.clear()
    rc, parsed, raw = apply(INVENTORY, build, kubeconfig, *flags, guard=True)
    assert rc != 0, raw[-3000:]
    refused_before_any_wave(parsed, server.server, expected)
    # One listing, and nothing else reached the cluster.
    assert server.requests == [("GET", "/version"), ("GET", "/api/v1/secrets?labelSelector=owner%3Dhelm")], (
        server.requests
    )


def test_unreachable_cluster_stops_at_the_guard_in_one_line(nowhere, planned):
    kubeconfig, endpoint = nowhere
    build, _pending = planned
    rc, parsed, raw = apply(INVENTORY, build, kubeconfig, guard=True)
    assert rc != 0
    assert not [name for name, _r in task_results(parsed) if name.startswith(WAVE_TASK)], "a wave ran"
    assert guard_result(parsed)["msg"] == (
        f"upgrade guard: cluster {endpoint} is unreachable (connection refused); the installed chart versions "
        "(helm list) cannot be compared with the pinned ones; nothing was applied"
    )
    assert "Traceback" not in raw


# ---------------------------------------------------------------------------- mutations
MUTATIONS = {
    # The guard task gone from the role: the first wave runs with a downgrade pending.
    "guard removed": (
        "roles/release/tasks/main.yml",
        "      when: not (release_allow_downgrade | bool and release_allow_major_skip | bool)",
        "      when: false",
        "a wave ran although the guard should have refused",
    ),
    # The comparison flipped: the downgrade passes and the upgrades are refused instead.
    "comparison flipped": (
        "plugins/module_utils/upgrade.py",
        "elif want.key() < have.key():",
        "elif want.key() > have.key():",
        "pins the older 7.9.0 (a downgrade)",
    ),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_mutation_is_caught(standin, planned, tmp_path, mutation):
    server, kubeconfig = standin
    build, pending = planned
    install(server, pending, {**ALLOWED, **REFUSED})
    path, old, new, needle = MUTATIONS[mutation]
    root = mutated_collection(tmp_path, path, old, new)
    rc, parsed, raw = apply(INVENTORY, build, kubeconfig, root=root, guard=True)
    assert rc != 0 and parsed, raw[-3000:]
    with pytest.raises(AssertionError) as caught:
        refused_before_any_wave(parsed, server.server, {c: flag for c, (_v, flag) in REFUSED.items()})
    assert needle in str(caught.value), str(caught.value)


def test_the_stand_in_encodes_releases_as_helm_reads_them(standin, planned):
    """Sanity of the stand-in itself: real helm lists what it serves, chart column "<name>-<version>"."""
    server, kubeconfig = standin
    _build, pending = planned
    install(server, pending, {"monitoring": ("75.0.0", None)})
    out = subprocess.run(
        [ansible_bin("helm"), "list", "-A", "-a", "-o", "json", "--kubeconfig", str(kubeconfig)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    [entry] = json.loads(out)
    release = by_component(pending)["monitoring"]
    assert (entry["name"], entry["namespace"], entry["chart"], entry["status"]) == (
        release["release_name"],
        release["namespace"],
        "kube-prometheus-stack-75.0.0",
        "deployed",
    )

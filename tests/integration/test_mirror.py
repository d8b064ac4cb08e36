"""scripts/mirror.py (`make mirror`) against a chart repository served on 127.0.0.1 by the real helm.

The repository holds copies of two upstream charts and an index.yaml written by `helm repo index`;
nothing goes beyond 127.0.0.1 (helm's config/cache live in the temp dir, proxies are cleared).
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from .conftest import REPO, ansible_bin

pytestmark = pytest.mark.integration

# Two small upstream charts: one whose version starts with "v" (as kserve's does), one without.
CHARTS = {"cert_manager": ("cert-manager", "v1.19.1"), "tetragon": ("tetragon", "1.3.0")}


class _Handler(http.server.SimpleHTTPRequestHandler):
    requests: list

    def do_GET(self):
        self.requests.append(self.path)
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def chart_repo(upstream, tmp_path):
    """(base URL, request log) of a chart repository on 127.0.0.1 serving the two charts."""
    root = tmp_path / "repo"
    root.mkdir()
    for name, version in CHARTS.values():
        shutil.copy(upstream / "charts" / f"{name}-{version}.tgz", root)
    requests: list = []
    handler = type("Handler", (_Handler,), {"requests": requests})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    url = f"http://127.0.0.1:{server.server_address[1]}"
    subprocess.run([ansible_bin("helm"), "repo", "index", str(root), "--url", url], check=True, env=helm_env(tmp_path))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url, requests
    server.shutdown()
    server.server_close()


def helm_env(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    for kind in ("CACHE", "CONFIG", "DATA"):
        env[f"HELM_{kind}_HOME"] = str(tmp_path / "helm" / kind.lower())
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


def run_mirror(tmp_path: Path, versions: Path, destination: Path, *args: str) -> subprocess.CompletedProcess:
    argv = [sys.executable, str(REPO / "scripts" / "mirror.py"), str(destination), "--versions", str(versions), *args]
    return subprocess.run(argv, env=helm_env(tmp_path), capture_output=True, text=True, timeout=300, check=False)


def write_versions(path: Path, charts: dict) -> Path:
    path.write_text(yaml.safe_dump({"platform_versions": {"charts": charts}}))
    return path


def test_mirror_pulls_skips_and_reports(chart_repo, upstream, tmp_path):
    url, requests = chart_repo
    charts = {key: {"repo": url, "name": name, "version": version} for key, (name, version) in CHARTS.items()}
    charts["missing"] = {"repo": url, "name": "no-such-chart", "version": "1.0.0"}
    charts["wrong_version"] = {"repo": url, "name": "tetragon", "version": "9.9.9"}
    # An OCI registry on a closed local port: the OCI spelling is used, and fails here.
    charts["oci"] = {"repo": "oci://127.0.0.1:9/charts", "name": "kserve", "version": "v0.16.0"}
    versions = write_versions(tmp_path / "versions.yml", charts)
    mirror = tmp_path / "mirror"
    only = ("--only", "cert_manager", "--only", "tetragon")

    # 1. the two charts land, byte for byte what the repository serves
    first = run_mirror(tmp_path, versions, mirror, *only)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "2 pulled, 0 already present, 0 failed" in first.stdout
    for name, version in CHARTS.values():
        archive = f"{name}-{version}.tgz"
        assert (mirror / archive).read_bytes() == (upstream / "charts" / archive).read_bytes()
    assert sorted(p.name for p in mirror.iterdir()) == ["cert-manager-v1.19.1.tgz", "tetragon-1.3.0.tgz"]

    # 2. a second run downloads nothing (not even the index)
    requests.clear()
    second = run_mirror(tmp_path, versions, mirror, *only)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "0 pulled, 2 already present, 0 failed" in second.stdout
    assert requests == []

    # 3. every chart that fails is reported with the exact command to retry, and the exit status says so
    third = run_mirror(tmp_path, versions, mirror)
    assert third.returncode == 1, third.stdout + third.stderr
    assert "0 pulled, 2 already present, 3 failed" in third.stdout
    assert "3 chart(s) could not be pulled; retry each with:" in third.stderr
    for command in (
        f"helm pull no-such-chart --repo {url} --version 1.0.0 -d {mirror}",
        f"helm pull tetragon --repo {url} --version 9.9.9 -d {mirror}",
        f"helm pull oci://127.0.0.1:9/charts/kserve --version v0.16.0 -d {mirror}",
    ):
        assert command in third.stderr, third.stderr
    # nothing half-downloaded is left behind
    assert sorted(p.name for p in mirror.iterdir()) == ["cert-manager-v1.19.1.tgz", "tetragon-1.3.0.tgz"]


def test_unknown_chart_name(tmp_path):
    versions = write_versions(tmp_path / "versions.yml", {"keda": {"repo": "https://x", "name": "keda", "version": 1}})
    result = run_mirror(tmp_path, versions, tmp_path / "mirror", "--only", "kedda")
    assert result.returncode == 2
    assert "unknown chart(s) kedda; known: keda" in result.stderr
    assert not (tmp_path / "mirror").exists()

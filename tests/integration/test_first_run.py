"""What a new user meets on the first run, tried as they would: no network, tags, the summary, --check
--diff, and the collection installed from its tarball."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import REPO, ansible_bin, run_playbook, run_site, upstream_dir

CATALOG = yaml.safe_load((REPO / "roles/platform/defaults/main/components.yml").read_text())[
    "platform_component_catalog"
]
VERSIONS = yaml.safe_load((REPO / "roles/platform/defaults/main/versions.yml").read_text())["platform_versions"]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_no_network_fails_in_one_message_with_every_pull_command_and_writes_nothing(tmp_path):
    """Without a mirror and without network (a proxy on 127.0.0.1 where nothing listens), the render
    names every chart with the command that fetches it, says how to use a mirror, and writes nothing."""
    proxy = f"http://127.0.0.1:{closed_port()}"
    env = {
        "HTTPS_PROXY": proxy,
        "HTTP_PROXY": proxy,
        "https_proxy": proxy,
        "http_proxy": proxy,
        "NO_PROXY": "",
        "no_proxy": "",
        "HELM_CACHE_HOME": str(tmp_path / "helm-cache"),
        "HELM_CONFIG_HOME": str(tmp_path / "helm-config"),
        "HELM_DATA_HOME": str(tmp_path / "helm-data"),
    }
    build = tmp_path / "build"
    run = run_playbook(
        ["site.yml", "-i", str(REPO / "inventories/aws-dev"), "-e", f"platform_build_dir={build}"], build, env
    )
    assert run.rc != 0
    assert (
        "could not be fetched" in run.output and "platform_chart_mirror" in run.output and "make mirror" in run.output
    )
    assert "helm pull oci://ghcr.io/kserve/charts/kserve --version v0.16.0 -d DIR" in run.output
    charts = {c["name"] for key, c in VERSIONS["charts"].items() if key not in ("keda", "ingress_nginx")}
    for name in charts:
        assert f"helm pull {name} " in run.output or f"/{name} --version" in run.output, name
    assert not build.exists(), sorted(str(p) for p in build.rglob("*"))
    assert "Traceback" not in run.output


def test_tags_that_name_nothing_fail_with_the_known_ones(tmp_path, upstream):
    run = run_site(REPO / "inventories/aws-dev", tmp_path / "build", "--tags", "mlfow")
    assert run.rc != 0
    assert "--tags mlfow: no such component or step; known:" in run.output
    assert "mlflow" in run.output and "wave_<N>" in run.output
    assert not (tmp_path / "build").exists()


def test_list_tags_lists_every_component_and_wave(tmp_path, upstream):
    """The tags site.yml lists are the catalog's components, its steps and the waves releases use."""
    proc = subprocess.run(
        [ansible_bin("ansible-playbook"), "site.yml", "--list-tags"],
        cwd=REPO,
        env={**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")},
        capture_output=True,
        text=True,
        check=True,
    )
    # Every play's tags (the first play only checks that the inventory has a cluster).
    listed = set()
    for line in proc.stdout.splitlines():
        if "TASK TAGS" in line:
            listed |= set(line.split("[", 1)[1].rstrip("]").split(", "))
    waves = set()
    for name in ("aws-dev", "azure-dev"):
        run = run_site(REPO / "inventories" / name, tmp_path / name, "-e", "platform_render_reuse=false")
        assert run.rc == 0, run.output[-3000:]
        waves |= {int(line.split()[2]) for line in run.output.splitlines() if line.strip().startswith("- 'wave ")}
    waves |= {entry["wave"] for entry in CATALOG.values()}
    # Waves of releases the test inventories leave off (e.g. the KEDA ScaledObjects): the roles' *_wave defaults.
    for defaults in REPO.glob("roles/*/defaults/main.yml"):
        waves |= {v for k, v in (yaml.safe_load(defaults.read_text()) or {}).items() if k.endswith("_wave")}
    expected = set(CATALOG) | {"always", "preflight", "infrastructure"} | {f"wave_{w}" for w in waves}
    assert listed == expected


def test_summary_says_the_mode_the_versions_and_how_to_install(tmp_path, upstream):
    run = run_site(REPO / "inventories/aws-dev", tmp_path / "build")
    assert run.rc == 0, run.output[-3000:]
    text = " ".join(run.output.split())  # the YAML callback folds long lines
    assert "mode render" in text and "nothing was installed" in text
    assert "-e platform_mode=apply" in text
    assert f"cert-manager {VERSIONS['charts']['cert_manager']['version']}" in text
    assert f"rendered to {tmp_path / 'build' / 'mlops-dev'}" in text


def test_check_diff_shows_the_diff_of_each_rendered_file_that_would_change(tmp_path, upstream):
    build = tmp_path / "build"
    assert run_site(REPO / "inventories/aws-dev", build).rc == 0
    before = {p: p.read_bytes() for p in build.rglob("*") if p.is_file()}
    unchanged = run_site(REPO / "inventories/aws-dev", build, "--check", "--diff", "-e", "platform_render_reuse=false")
    assert unchanged.rc == 0 and unchanged.changed() == 0, unchanged.output[-3000:]
    changed = run_site(REPO / "inventories/aws-dev", build, "--check", "--diff", "-e", "cert_manager_replicas=3")
    assert changed.rc == 0 and changed.changed() == 1, changed.output[-3000:]
    assert f"--- {build}/mlops-dev/cert_manager/values.yaml" in changed.output
    assert "-  replicaCount: 1" in changed.output and "+  replicaCount: 3" in changed.output
    assert {p: p.read_bytes() for p in build.rglob("*") if p.is_file()} == before


def test_the_installed_collection_writes_into_the_users_project(tmp_path, upstream):
    """ansible-galaxy collection install of the built tarball, then ansible-playbook mlops.platform.site
    from a project folder: the render lands in that project's build/, never in the installed collection."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")},
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    dist = tmp_path / "dist"
    subprocess.run(
        [ansible_bin("ansible-galaxy"), "collection", "build", "--output-path", str(dist), str(REPO)],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    (tarball,) = dist.glob("mlops-platform-*.tar.gz")
    installed = tmp_path / "collections"
    subprocess.run(
        [ansible_bin("ansible-galaxy"), "collection", "install", "--no-deps", "-p", str(installed), str(tarball)],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    project = tmp_path / "project"
    project.mkdir()
    proc = subprocess.run(
        [
            ansible_bin("ansible-playbook"),
            "mlops.platform.site",
            "-i",
            str(REPO / "inventories/aws-dev"),
            "-e",
            f"platform_chart_mirror={upstream_dir() / 'charts'}",
        ],
        cwd=project,
        env={**env, "ANSIBLE_COLLECTIONS_PATH": str(installed)},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    assert (project / "build" / "mlops-dev" / "cert_manager" / "chart.yaml").is_file()
    assert not list((installed / "ansible_collections").rglob("chart.yaml"))


@pytest.mark.parametrize("playbook_dir", ["/x/ansible_collections/mlops/platform/playbooks", "/proj/plays"])
def test_build_dir_default(playbook_dir, tmp_path, monkeypatch):
    from ansible_collections.mlops.platform.plugins.filter.build_dir import build_dir

    monkeypatch.chdir(tmp_path)
    expected = tmp_path / "build" if "ansible_collections" in playbook_dir else Path(playbook_dir) / "build"
    assert build_dir(playbook_dir) == str(expected)
    assert build_dir(str(REPO / "playbooks")) == str(REPO / "build")


def test_the_summary_after_apply_lists_the_endpoints(tmp_path):
    """The summary template with Ingresses and Services as kubernetes.core.k8s_info returns them (an
    Ingress with TLS and an address, one without status, a LoadBalancer Service with a hostname)."""
    ingresses = [
        {
            "metadata": {"name": "mlflow", "namespace": "mlflow"},
            "spec": {"rules": [{"host": "mlflow.example.com"}], "tls": [{"hosts": ["mlflow.example.com"]}]},
            "status": {"loadBalancer": {"ingress": [{"hostname": "k8s-mlops-1234.elb.amazonaws.com"}]}},
        },
        {
            "metadata": {"name": "argocd-server", "namespace": "argocd"},
            "spec": {"rules": [{"host": "argocd.example.com"}]},
        },
        {"metadata": {"name": "other", "namespace": "default"}, "spec": {"rules": [{"host": "x.example.com"}]}},
    ]
    services = [
        {
            "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress"},
            "spec": {"type": "LoadBalancer"},
            "status": {"loadBalancer": {"ingress": [{"ip": "10.1.2.3"}]}},
        },
        {"metadata": {"name": "mlflow", "namespace": "mlflow"}, "spec": {"type": "ClusterIP"}},
    ]
    variables = {
        "platform_mode": "apply",
        "platform_cloud": "aws",
        "platform_cluster_name": "mlops-dev",
        "platform_region": "eu-west-1",
        "platform_cluster_dir": "/b/mlops-dev",
        "release__pending": [
            {
                "wave": 10,
                "component": "cert_manager",
                "chart_name": "cert-manager",
                "chart_version": "v1.19.1",
                "release_name": "cert-manager",
                "namespace": "cert-manager",
            },
        ],
        "release__rendered": {},
        "release__ingresses": {"resources": ingresses},
        "release__services": {"resources": services},
    }
    (tmp_path / "vars.yml").write_text(yaml.safe_dump(variables))
    (tmp_path / "play.yml").write_text(
        yaml.safe_dump(
            [
                {
                    "hosts": "localhost",
                    "gather_facts": False,
                    "vars_files": [str(tmp_path / "vars.yml")],
                    "tasks": [
                        {
                            "ansible.builtin.copy": {
                                "content": "{{ lookup('ansible.builtin.template', '"
                                + str(REPO / "roles/release/templates/summary.j2")
                                + "') | from_yaml | to_json }}",
                                "dest": str(tmp_path / "summary.json"),
                            }
                        }
                    ],
                }
            ]
        )
    )
    run = run_playbook([str(tmp_path / "play.yml"), "-i", "localhost,", "-c", "local"], tmp_path)
    assert run.rc == 0, run.output[-3000:]
    lines = json.loads((tmp_path / "summary.json").read_text())
    assert lines[1] == "installed from the render in /b/mlops-dev, wave by wave"
    assert "wave 10 cert_manager: cert-manager v1.19.1 (release cert-manager, namespace cert-manager)" in lines
    assert "endpoint mlflow/mlflow: https://mlflow.example.com -> k8s-mlops-1234.elb.amazonaws.com" in lines
    assert "endpoint argocd/argocd-server: http://argocd.example.com -> no address yet" in lines
    assert "load balancer ingress/ingress-nginx-controller: 10.1.2.3" in lines
    assert not any("x.example.com" in line or "ClusterIP" in line for line in lines)

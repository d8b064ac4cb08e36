"""playbooks/status.yml and the releases half of playbooks/drift.yml, run for real up to the cluster boundary.

No kube-apiserver can run here (TESTING.md), so both run against a kubeconfig whose API server is 127.0.0.1 on a
port where nothing listens: each must stop there in one line naming that endpoint, after everything before the
cluster ran for real (options checked, the pinned releases worked out, every release rendered with the real helm
against the upstream charts). The Terraform half of drift.yml runs against moto in test_terraform_aws.py (e2).
The status role's report part (the table, the JSON document for scripts, the status_output file) runs for real
on recorded reads (day2/status_report.yml: helm list rows and k8s_info results of a cluster with one problem of each
kind); the report functions are unit-tested (tests/unit/plugins/module_utils/test_platform_status.py).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from .conftest import REPO, mutated_collection, playbook_env, run_playbook, upstream_dir
from .test_apply_boundary import nowhere, task_results

INVENTORY = REPO / "inventories" / "aws-dev"
RENDER_TASK = "Drift | Render every release (check mode, into a temp folder)"
PINNED_TASK = "Status | The pinned chart releases of the enabled components"
__all__ = ["nowhere"]  # the fixture (a kubeconfig whose API server is a closed port on 127.0.0.1)


def run(playbook: str, build: Path, *extra: str, root: Path = REPO) -> tuple:
    """The playbook with the JSON callback: (rc, parsed output, raw output)."""
    args = [playbook, "-i", str(INVENTORY), "-e", f"platform_build_dir={build}", *extra]
    done = run_playbook(args, build, {"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"}, root=root)
    start = done.output.find("{")
    try:
        parsed = json.JSONDecoder().raw_decode(done.output[start:])[0] if start >= 0 else {}
    except ValueError:
        parsed = {}
    return done.rc, parsed, done.output


results = task_results


def failures(parsed: dict) -> list:
    return [(name, r.get("msg")) for name, r in results(parsed) if r.get("failed") and not r.get("skipped")]


def result_of(parsed: dict, name: str) -> dict:
    found = [r for n, r in results(parsed) if n == name]
    assert found, f"task {name!r} did not run: {[n for n, _r in results(parsed)]}"
    return found[0]


# ------------------------------------------------------------------------------------------------ status
@pytest.fixture(scope="module")
def status_run(nowhere, tmp_path_factory) -> tuple:
    build = tmp_path_factory.mktemp("status-build")
    return run("playbooks/status.yml", build, "-e", f"platform_kubeconfig={nowhere[0]}")


def test_status_stops_at_the_unreachable_cluster_in_one_line(status_run, nowhere):
    _kubeconfig, server = nowhere
    rc, parsed, output = status_run
    assert rc != 0
    (failed,) = failures(parsed)
    assert failed[0] == "Status | Check the cluster answered", failed
    assert failed[1].startswith(f"Cluster mlops-dev at {server} cannot be read ("), failed[1]
    assert "\n" not in failed[1].strip() and "Traceback" not in output
    assert "platform_kubeconfig" in failed[1]
    # What status compares helm list with was worked out before the cluster was asked (checked against the
    # render in the drift test below).
    pinned = result_of(parsed, PINNED_TASK)["ansible_facts"]["status__pinned_releases"]
    assert {"component": "mlflow", "chart": "mlflow", "release": "mlflow", "namespace": "mlflow"} in pinned


def test_status_options_are_checked_before_the_cluster(tmp_path):
    rc, parsed, _output = run("playbooks/status.yml", tmp_path, "-e", "status_format=yaml")
    assert rc != 0
    (failed,) = failures(parsed)
    assert failed == ("Status | Check the options", 'status_format must be table or json (got "yaml").')


def test_status_mutation_raw_helm_error_is_caught(nowhere, tmp_path):
    """Planted defect: the helm list failure not absorbed -> helm's raw error instead of the one line."""
    kubeconfig, _server = nowhere
    root = mutated_collection(
        tmp_path,
        "roles/status/tasks/main.yml",
        "  register: status__helm_list\n  changed_when: false\n  failed_when: false\n",
        "  register: status__helm_list\n  changed_when: false\n",
    )
    rc, parsed, _output = run("playbooks/status.yml", tmp_path, "-e", f"platform_kubeconfig={kubeconfig}", root=root)
    assert rc != 0
    (failed,) = failures(parsed)
    assert failed[0] != "Status | Check the cluster answered"  # the test above would fail on this defect


def test_make_status_json_prints_only_json_on_stdout(nowhere):
    """make status-aws FORMAT=json: the playbook's output goes to stderr, so stdout holds the JSON document or, as
    here at the boundary, nothing; the exit status says the status could not be read."""
    kubeconfig, server = nowhere
    argv = ["make", "-s", "status-aws", "FORMAT=json", f"KUBECONFIG_FILE={kubeconfig}"]
    proc = subprocess.run(argv, cwd=REPO, env=playbook_env(REPO), capture_output=True, text=True, check=False)
    assert proc.returncode != 0
    assert proc.stdout == ""
    assert f"Cluster mlops-dev at {server} cannot be read (" in proc.stderr, proc.stderr[-3000:]
    assert "status_format=json" not in proc.stderr  # the recipe line is not echoed


# ------------------------------------------------------------------------------------------------ drift
def test_drift_scope_is_checked_first(tmp_path):
    rc, parsed, _output = run("playbooks/drift.yml", tmp_path, "-e", "drift_scope=helm")
    assert rc != 0
    ran = [name for name, _r in results(parsed)]
    assert ran[-1] == "Drift | Check drift_scope" and len([n for n in ran if n.startswith("Drift |")]) == 1, ran
    (failed,) = failures(parsed)
    assert failed[1].startswith('drift_scope must be one of all, infrastructure, releases (got "helm")')


def drift_releases(kubeconfig: Path, build: Path, root: Path = REPO) -> tuple:
    return run(
        "playbooks/drift.yml",
        build,
        "-e",
        "drift_scope=releases",
        "-e",
        f"platform_kubeconfig={kubeconfig}",
        "-e",
        f"platform_chart_mirror={upstream_dir() / 'charts'}",
        root=root,
    )


@pytest.fixture(scope="module")
def drift_run(nowhere, upstream, tmp_path_factory) -> tuple:
    build = tmp_path_factory.mktemp("drift-build")
    return (*drift_releases(nowhere[0], build), build)


def test_drift_releases_stop_at_the_unreachable_cluster(drift_run, nowhere):
    rc, parsed, output, build = drift_run
    _kubeconfig, server = nowhere
    assert rc != 0, output[-4000:]
    (failed,) = failures(parsed)
    assert failed == (
        "Drift | Fail when the live state differs or could not be checked",
        "Drift of mlops-dev is unknown: part of the state could not be checked (summary above). Check that the "
        "cluster is reachable with platform_kubeconfig, and run again.",
    )
    pending = result_of(parsed, RENDER_TASK)["ansible_facts"]["release__pending"]
    report = result_of(parsed, "Drift | Summarise")["ansible_facts"]["drift_report"]
    rows = report["releases"]
    # Every release of the render has a row; the first wave's were checked and hit the boundary, naming it; the
    # later waves were not tried.
    assert [r["component"] for r in rows] == [p["component"] for p in pending]
    first = min(p["wave"] for p in pending)
    in_first = {p["component"] for p in pending if p["wave"] == first}
    for row in rows:
        if row["component"] in in_first:
            assert row["state"] == "unreachable" and f"cluster {server} is unreachable" in row["error"], row
        else:
            assert row["state"] == "not checked", row
    assert report["drift"] is False and report["unknown"] is True
    assert f"Releases: 0 of {len(rows)} drift, {len(rows)} not checked" in output
    # check mode: the build folder was not written, the temp render is gone.
    assert not any(build.iterdir())
    assert "replicaCount" not in output  # no values in the output


def test_status_pins_what_the_render_installs(drift_run, status_run):
    """status's cheap list of pinned releases (descriptions only, no render) is exactly the chart releases the render
    would install, with the versions file's versions."""
    _rc, parsed, _output, _build = drift_run
    pending = result_of(parsed, RENDER_TASK)["ansible_facts"]["release__pending"]
    _rc, status, _out = status_run
    pinned = result_of(status, PINNED_TASK)["ansible_facts"]["status__pinned_releases"]
    versions = yaml.safe_load((REPO / "roles/platform/defaults/main/versions.yml").read_text())["platform_versions"]
    from_status = sorted(
        (
            p["component"],
            p["release"],
            p["namespace"],
            versions["charts"][p["chart"]]["name"],
            str(versions["charts"][p["chart"]]["version"]),
        )
        for p in pinned
        if p["chart"]
    )
    from_render = sorted(
        (p["component"], p["release_name"], p["namespace"], p["chart_name"], str(p["chart_version"]))
        for p in pending
        if p.get("chart_ref")
    )
    assert from_status == from_render


def test_drift_mutation_later_waves_tried_is_caught(nowhere, upstream, tmp_path):
    """Planted defect: the stop after an unreachable wave removed -> later waves are tried (and reported unreachable),
    which the boundary test above rejects."""
    root = mutated_collection(
        tmp_path,
        "roles/drift/tasks/wave.yml",
        "         or drift__checked.releases | selectattr('unreachable') | list | length > 0 }}",
        "         }}",
    )
    build = tmp_path / "build"
    build.mkdir()
    rc, parsed, _output = drift_releases(nowhere[0], build, root=root)
    assert rc != 0
    rows = result_of(parsed, "Drift | Summarise")["ansible_facts"]["drift_report"]["releases"]
    assert {r["state"] for r in rows} == {"unreachable"}


# ------------------------------------------------------------------------------------------------ the report
KEY_MARKER = "UHJpdmF0ZUtleU1hcmtlcg=="  # stands for tls.key: must never reach the output or the JSON file


def recorded_reads(pinned: list) -> dict:
    """What main.yml's reads return on a cluster of aws-dev (helm list, k8s_info), one of each kind of problem:
    mlflow's chart an older version, argocd's missing, a workload not ready, a certificate expiring soon."""
    import datetime

    from ansible_collections.mlops.platform.tests.unit.plugins.module_utils.test_platform_status import (
        certificate,
        pem_certificate,
        tls_secret,
    )

    charts = yaml.safe_load((REPO / "roles/platform/defaults/main/versions.yml").read_text())["platform_versions"]
    rows = [
        {
            "name": p["release"],
            "namespace": p["namespace"],
            "revision": "1",
            "updated": "2026-11-30 10:00:00 +0000 UTC",
            "status": "deployed",
            "chart": f"{charts['charts'][p['chart']]['name']}-"
            + ("1.7.0" if p["component"] == "mlflow" else str(charts["charts"][p["chart"]]["version"])),
            "app_version": "x",
        }
        for p in pinned
        if p["chart"] and p["component"] != "argocd"
    ]
    now = datetime.datetime.now(datetime.UTC)
    soon = (now + datetime.timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def deployment(namespace, name, wanted, ready):
        meta = {"namespace": namespace, "name": name}
        return {
            "kind": "Deployment",
            "metadata": meta,
            "spec": {"replicas": wanted},
            "status": {"readyReplicas": ready},
        }

    return {
        "server": {"stdout": "https://ABCDEF.gr7.eu-west-1.eks.amazonaws.com", "rc": 0},
        "helm_list": {"stdout": json.dumps(rows), "rc": 0},
        "workloads": {
            "results": [
                {"resources": [deployment("mlflow", "mlflow", 1, 1), deployment("argocd", "argocd-server", 1, 0)]},
                {"resources": []},
                {"resources": []},
            ]
        },
        "ingresses": {
            "resources": [
                {
                    "metadata": {"namespace": "mlflow", "name": "mlflow"},
                    "spec": {"tls": [{"secretName": "mlflow-tls"}], "rules": [{"host": "mlflow.dev.example.com"}]},
                    "status": {"loadBalancer": {"ingress": [{"hostname": "k8s-mlops-1234.elb.amazonaws.com"}]}},
                }
            ]
        },
        "services": {"resources": []},
        "certificates": {"resources": [certificate("mlflow", "mlflow", "mlflow-tls", soon)]},
        "tls_secrets": {
            "resources": [
                tls_secret("ingress", "default-cert", pem_certificate(now + datetime.timedelta(days=200)), KEY_MARKER)
            ]
        },
    }


def status_report_run(status_run, tmp_path, *extra: str, root: Path = REPO) -> tuple:
    pinned = result_of(status_run[1], PINNED_TASK)["ansible_facts"]["status__pinned_releases"]
    reads = tmp_path / "reads.json"
    reads.write_text(json.dumps({"status_reads": recorded_reads(pinned)}))
    playbook = str(REPO / "tests/integration/day2/status_report.yml")  # the mutated copies hold no tests/
    return run(playbook, tmp_path, "-e", f"@{reads}", *extra, root=root), pinned


def test_status_report_json_for_scripts(status_run, tmp_path):
    """The real role's report part fed with recorded reads: the JSON file holds one document per cluster, for
    scripts (no table, no Secret data); the table says the same for people."""
    out = tmp_path / "status.json"
    (rc, _parsed, output), pinned = status_report_run(
        status_run, tmp_path, "-e", "status_format=json", "-e", f"status_output={out}"
    )
    assert rc == 0, output[-4000:]
    (doc,) = json.loads(out.read_text())["clusters"]
    assert "table" not in doc and KEY_MARKER not in out.read_text() and KEY_MARKER not in output
    assert doc["cluster"] == "mlops-dev" and doc["server"] == "https://ABCDEF.gr7.eu-west-1.eks.amazonaws.com"
    charts = {r["component"]: r for r in doc["charts"]}
    assert len(charts) == len([p for p in pinned if p["chart"]])
    assert charts["mlflow"]["state"] == "differs" and charts["mlflow"]["installed"] == "1.7.0"
    assert charts["argocd"]["state"] == "missing"
    assert {r["state"] for c, r in charts.items() if c not in ("mlflow", "argocd")} == {"ok"}
    assert doc["ok"] is False and len(doc["problems"]) == 4, doc["problems"]
    assert [(c["name"], c["source"], c["state"]) for c in doc["certificates"]] == [
        ("default-cert", "Secret", "ok"),
        ("mlflow", "Certificate", "expiring"),
    ]
    assert doc["endpoints"][0]["endpoints"] == [
        "https://mlflow.dev.example.com (Ingress mlflow, k8s-mlops-1234.elb.amazonaws.com)"
    ]


def test_status_report_table(status_run, tmp_path):
    (rc, parsed, output), pinned = status_report_run(status_run, tmp_path)
    assert rc == 0, output[-4000:]
    lines = result_of(parsed, "Status | Report")["msg"]
    total = len([p for p in pinned if p["chart"]])
    assert f"Charts: {total - 2} of {total} as pinned" in lines
    assert "Status: 4 problem(s)" in lines and KEY_MARKER not in output


def test_status_report_mutation_table_in_json_is_caught(status_run, tmp_path):
    """Planted defect: the table left in the JSON document -> the check above fails on it."""
    root = mutated_collection(
        tmp_path,
        "roles/status/tasks/report.yml",
        "reports.append(hostvars[host].status_report | dict2items | rejectattr('key', 'eq', 'table')",
        "reports.append(hostvars[host].status_report | dict2items",
    )
    out = tmp_path / "status.json"
    (rc, _parsed, output), _pinned = status_report_run(
        status_run, tmp_path, "-e", "status_format=json", "-e", f"status_output={out}", root=root
    )
    assert rc == 0, output[-4000:]
    assert "table" in json.loads(out.read_text())["clusters"][0]

"""checkov over the platform's OWN rendered manifests (manifests*.yaml of every release), and the chart findings
the platform fixes through chart values.

Zero failed checks is the bar for our objects: a check that does not fit an object is skipped on the object itself
with checkov's Kubernetes annotation ``checkov.io/skip<N>: <CHECK_ID>=<reason>``, and every skip must carry a
reason. The charts' objects (chart.yaml) are the charts' own business, except for the findings that matter (issue
14), fixed through values where the chart allows it:

* Grafana reading every Secret of the cluster (CKV2_K8S_5): its ClusterRoleBinding binds a ConfigMaps-only
  ClusterRole, the sidecars watch ConfigMaps only.
* MLflow's init containers allowing privilege escalation and NET_RAW: the chart's dbchecker (no securityContext,
  none settable) is replaced by a locked-down wait-for-database; every container of the pod runs as non-root with
  the RuntimeDefault seccomp profile. The chart's ini-file-initializer (auth) still has no securityContext of its
  own: the chart (mlflow 1.8.1) offers no value for it.
* Argo CD's application-controller ClusterRole (wildcard: escalate, bind, webhooks): left, see the argocd role's
  values; Argo CD deploys the platform's own ClusterRoles, webhooks and CRDs, so it must hold every permission it
  grants (Kubernetes' RBAC escalation check) or escalate/bind.

The checkov counts of those charts are printed (``-s``) for the record.

Offline: BC_SKIP_MAPPING=TRUE and --skip-download keep checkov off its vendor's API.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import REPO
from .platform_checks import manifests
from .platform_checks.render_facts import FULL

pytestmark = pytest.mark.integration

MIN_REASON_CHARS = 20
CHART_COMPONENTS = ("argocd", "monitoring", "mlflow")


def checkov_bin() -> str:
    configured = os.environ.get("CHECKOV_BIN")
    for candidate in (configured, str(REPO / ".venv" / "checkov" / "bin" / "checkov"), shutil.which("checkov")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    pytest.skip("checkov not found: set CHECKOV_BIN or run `make setup` (.venv/checkov)")


def run_checkov(directory: Path, home: Path, *files: Path) -> dict:
    """checkov's JSON report for the Kubernetes framework over ``directory`` (or ``files``), merged."""
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "HOME": str(home)}
    # No --quiet: with it the JSON report drops the skipped checks and their reasons.
    target = [arg for f in files for arg in ("-f", str(f))] if files else ["-d", str(directory)]
    argv = [checkov_bin(), *target, "--framework", "kubernetes", "--skip-download", "--compact", "-o", "json"]
    result = subprocess.run(argv, cwd=directory, capture_output=True, text=True, check=False, timeout=600, env=env)
    assert result.stdout.strip(), f"checkov printed nothing (rc {result.returncode}):\n{result.stderr[-2000:]}"
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    merged = {"passed": [], "failed": [], "skipped": [], "resources": 0}
    for report in reports:
        if "results" not in report:  # an empty run: {"passed": 0, "failed": 0, ...}
            continue
        merged["passed"] += report["results"]["passed_checks"]
        merged["failed"] += report["results"]["failed_checks"]
        merged["skipped"] += report["results"]["skipped_checks"]
        merged["resources"] += report["summary"]["resource_count"]
    return merged


def our_manifests(build: Path, dest: Path) -> list[Path]:
    """Copy every release's manifests*.yaml (our objects, not the charts') under ``dest/<component>/``."""
    copied = []
    for path in sorted((build / "mlops-dev").glob("*/manifests*.yaml")):
        target = dest / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        copied.append(target)
    return copied


def describe(check: dict) -> str:
    return f"{check['check_id']} ({check['check_name']}) {check['resource']} in {check['file_path']}"


@pytest.mark.parametrize("name", FULL)
def test_our_manifests_have_no_failed_check_without_an_inline_reason(full_builds, name, tmp_path):
    files = our_manifests(full_builds[name], tmp_path / "manifests")
    assert len(files) > 10
    report = run_checkov(tmp_path / "manifests", tmp_path)
    assert report["resources"] > 100 and report["passed"]
    assert report["failed"] == [], "checkov failed checks on our manifests:\n" + "\n".join(
        describe(c) for c in report["failed"]
    )
    for check in report["skipped"]:
        reason = (check.get("check_result") or {}).get("suppress_comment") or ""
        assert len(reason.strip()) >= MIN_REASON_CHARS, f"skipped without a reason: {describe(check)}"
    print(f"\n{name}: our manifests: {len(report['passed'])} passed, 0 failed, {len(report['skipped'])} skipped")


def test_a_failed_check_on_our_objects_is_reported(tmp_path):
    """The bar bites: a privileged container in kserve, with no reason, fails (CKV_K8S_16)."""
    (tmp_path / "m").mkdir()
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "bad", "namespace": "kserve"},
        "spec": {
            "selector": {"matchLabels": {"app": "bad"}},
            "template": {
                "metadata": {"labels": {"app": "bad"}},
                "spec": {"containers": [{"name": "c", "image": "x:1", "securityContext": {"privileged": True}}]},
            },
        },
    }
    (tmp_path / "m" / "manifests.yaml").write_text(json.dumps(deployment))
    report = run_checkov(tmp_path / "m", tmp_path)
    assert "CKV_K8S_16" in {c["check_id"] for c in report["failed"]}
    deployment["metadata"]["annotations"] = {"checkov.io/skip1": "CKV_K8S_16=a reason long enough to be read"}
    (tmp_path / "m" / "manifests.yaml").write_text(json.dumps(deployment))
    report = run_checkov(tmp_path / "m", tmp_path)
    assert "CKV_K8S_16" not in {c["check_id"] for c in report["failed"]}
    assert "CKV_K8S_16" in {c["check_id"] for c in report["skipped"]}


@pytest.mark.parametrize("name", FULL)
def test_the_chart_findings_that_matter_are_fixed(full_builds, name, tmp_path):
    tree = manifests.load_tree(full_builds[name] / "mlops-dev")
    counts = {}
    for component in CHART_COMPONENTS:
        report = run_checkov(tree[component].path, tmp_path, tree[component].path / "chart.yaml")
        counts[component] = report
        print(f"\n{name} {component} chart.yaml: {len(report['passed'])} passed, {len(report['failed'])} failed")
    # Grafana reads ConfigMaps, not every Secret of the cluster.
    monitoring_failed = {c["check_id"] for c in counts["monitoring"]["failed"]}
    assert "CKV2_K8S_5" not in monitoring_failed
    objs = tree["monitoring"].chart_objects
    (binding,) = [
        o
        for o in objs
        if o["kind"] == "ClusterRoleBinding" and o["metadata"]["name"].endswith("grafana-clusterrolebinding")
    ]
    (role,) = [o for o in objs if o["kind"] == "ClusterRole" and o["metadata"]["name"] == binding["roleRef"]["name"]]
    assert role["rules"] == [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}]
    assert not [
        o
        for o in objs
        if o["kind"] in ("ClusterRole", "Role")
        and "secrets" in json.dumps(o.get("rules"))
        and "grafana" in o["metadata"]["name"]
    ]
    # MLflow: no init container may escalate or keep NET_RAW, except the chart's ini-file-initializer, which the
    # chart gives no securityContext value; the pod runs it as non-root with the runtime's seccomp profile.
    (deployment,) = [o for o in tree["mlflow"].chart_objects if o["kind"] == "Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    names = [c["name"] for c in pod["initContainers"]]
    assert "dbchecker" not in names and "wait-for-database" in names
    for container in pod["initContainers"] + pod["containers"]:
        if container["name"] == "ini-file-initializer":
            continue
        sc = container.get("securityContext") or {}
        assert sc.get("allowPrivilegeEscalation") is False, container["name"]
        assert "ALL" in sc.get("capabilities", {}).get("drop", []), container["name"]

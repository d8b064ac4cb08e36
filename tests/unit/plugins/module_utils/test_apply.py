"""Apply, step by step, with the cluster's answers given: which calls a release makes, when it stops,
what counts as a change, what it prints. The real binaries against an unreachable cluster are the
integration harness's (tests/integration/test_apply_boundary.py)."""

from __future__ import annotations

import json
import threading
import time

import pytest
import yaml

from ansible_collections.mlops.platform.plugins.module_utils import apply
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError

REFUSED = "The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?"
HELM_REFUSED = (
    'Error: Kubernetes cluster unreachable: Get "https://127.0.0.1:6443/version": dial tcp: connection refused'
)


def write_release(tmp_path, component="demo", chart=True, pre=1, post=1, values=None):
    folder = tmp_path / component
    folder.mkdir()
    objects = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}}]
    objects += [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"pre-{i}"}} for i in range(pre)]
    objects += [
        {"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer", "metadata": {"name": f"post-{i}"}}
        for i in range(post)
    ]
    (folder / "manifests.yaml").write_text(apply.dump_documents(objects))
    release = {
        "component": component,
        "release_name": component,
        "namespace": "demo",
        "wave": 10,
        "create_namespace": True,
        "manifests_pre": pre,
        "manifests": post,
        "drop": [],
        "folder": str(folder),
        "chart_ref": None,
        "chart_name": None,
        "chart_version": None,
        "chart_repo": None,
    }
    if chart:
        (folder / "values.yaml").write_text(yaml.safe_dump(values if values is not None else {"replicaCount": 2}))
        (folder / "chart.yaml").write_text(
            "# header\n---\n# Source: demo/templates/deploy.yaml\napiVersion: apps/v1\nkind: Deployment\n"
            "metadata:\n  name: demo\n---\n# Source: demo/crds/crd.yaml\napiVersion: apiextensions.k8s.io/v1\n"
            "kind: CustomResourceDefinition\nmetadata:\n  name: things.example.com\n---\n"
            "# Source: demo/templates/hook.yaml\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: check\n"
            "  annotations:\n    helm.sh/hook: post-install\n"
        )
        release.update(chart_ref="/charts/demo-1.0.0.tgz", chart_name="demo", chart_version="1.0.0")
    return release


CRD = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: things.example.com\n"


class Cluster:
    """Answers kubectl and helm calls; records them."""

    def __init__(self, diff_rc=1, status=None, fail_on=None, error=REFUSED):
        self.calls, self.diff_rc, self.status, self.fail_on, self.error = [], diff_rc, status, fail_on, error

    def __call__(self, argv, stdin=None):
        self.calls.append(argv)
        verb = argv[1]
        if self.fail_on and self.fail_on in " ".join(argv):
            return 2, "", self.error  # kubectl diff: 1 means "differs", more is an error
        if argv[0] == "helm" and verb == "show":  # helm show crds: the chart's crds/ folder
            return 0, CRD, ""
        if argv[0] == "kubectl" and verb == "diff":
            return self.diff_rc, "diff -u a b\n-x\n+y\n" if self.diff_rc == 1 else "", ""
        if argv[0] == "helm" and verb == "status":
            if self.status is None:
                return 1, "", "Error: release: not found"
            return 0, json.dumps(self.status), ""
        return 0, "", ""

    def cluster_calls(self):
        """The calls that reach the API server (helm show reads the chart only)."""
        return [argv for argv in self.calls if argv[1] != "show"]

    def verbs(self):
        return [f"{argv[0]} {argv[1]}" for argv in self.calls]


def target(tmp_path):
    return apply.Target(server="https://127.0.0.1:6443", kubectl="kubectl", helm="helm", workdir=str(tmp_path))


def test_a_new_release_runs_every_step_in_order(tmp_path):
    release = write_release(tmp_path)
    cluster = Cluster()
    records, _diffs = apply.apply_wave([release], target(tmp_path), cluster)
    assert records[0].error is None and records[0].changed
    assert cluster.verbs() == [
        "helm show",
        "kubectl diff",
        "kubectl apply",
        "kubectl diff",
        "kubectl apply",
        "kubectl diff",  # the chart's crds/ folder, applied server-side (helm never upgrades those)
        "kubectl apply",
        "kubectl wait",
        "helm status",
        "helm upgrade",
        "kubectl diff",
        "kubectl apply",
        "kubectl wait",
    ]
    upgrade = next(argv for argv in cluster.calls if argv[1] == "upgrade")
    assert upgrade[upgrade.index("--values") + 1] == str(tmp_path / "demo" / "values.yaml")
    assert {"--install", "--wait", "--atomic"} <= set(upgrade)
    assert "--post-renderer" not in upgrade  # no post-renderer configured in this target
    assert "--skip-crds" in upgrade
    assert [s["result"] for s in records[0].steps] == ["changed"] * 5


def test_an_unchanged_release_changes_nothing(tmp_path):
    release = write_release(tmp_path, values={"replicaCount": 2})
    status = {"info": {"status": "deployed"}, "chart": {"metadata": {"name": "demo", "version": "1.0.0"}}}
    cluster = Cluster(diff_rc=0, status={**status, "config": {"replicaCount": 2}})
    records, diffs = apply.apply_wave([release], target(tmp_path), cluster, want_diff=True)
    assert not records[0].changed and diffs == []
    assert "helm upgrade" not in cluster.verbs() and "kubectl apply" not in cluster.verbs()


@pytest.mark.parametrize(
    "status",
    [
        {"info": {"status": "failed"}, "chart": {"metadata": {"name": "demo", "version": "1.0.0"}}, "config": {}},
        {"info": {"status": "deployed"}, "chart": {"metadata": {"name": "demo", "version": "0.9.0"}}, "config": {}},
        {
            "info": {"status": "deployed"},
            "chart": {"metadata": {"name": "demo", "version": "1.0.0"}},
            "config": {"x": 1},
        },
    ],
    ids=["failed-release", "other-version", "other-values"],
)
def test_a_release_that_differs_is_upgraded(tmp_path, status):
    release = write_release(tmp_path, values={})
    cluster = Cluster(diff_rc=0, status=status)
    records, _diffs = apply.apply_wave([release], target(tmp_path), cluster)
    assert "helm upgrade" in cluster.verbs() and records[0].changed


def test_check_mode_applies_nothing_and_diffs_with_secrets_masked(tmp_path):
    release = write_release(tmp_path)
    stored = apply.dump_documents(
        [{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "c2VjcmV0"}}]
    )
    status = {
        "info": {"status": "deployed"},
        "chart": {"metadata": {"name": "demo", "version": "0.9.0"}},
        "config": {},
        "manifest": stored,
    }
    cluster = Cluster(status=status)
    records, diffs = apply.apply_wave([release], target(tmp_path), cluster, check_mode=True, want_diff=True)
    assert records[0].changed and records[0].error is None
    assert not {"kubectl apply", "helm upgrade", "kubectl wait"} & set(cluster.verbs())
    text = "".join(d["prepared"] for d in diffs)
    assert "c2VjcmV0" not in text and "(hidden)" in text
    assert "demo 0.9.0 -> demo 1.0.0" in text and "kind: Deployment" in text
    # The chart's crds/ folder and its hooks are helm's business, not part of the release manifest.
    assert "things.example.com" not in text and "name: check" not in text


def test_check_mode_plans_objects_whose_crd_an_earlier_step_installs(tmp_path):
    release = write_release(tmp_path, chart=False, pre=0)
    cluster = Cluster()

    def run(argv, stdin=None):
        if argv[1] == "diff" and "ClusterIssuer" in (stdin or ""):
            return 2, "", 'error: no matches for kind "ClusterIssuer" in version "cert-manager.io/v1"'
        return cluster(argv, stdin)

    records, _diffs = apply.apply_wave([release], target(tmp_path), run, check_mode=True)
    assert records[0].error is None
    assert records[0].steps[-1] == {"step": "objects after the chart", "result": "would change"}
    # Outside check mode the same answer is a failure.
    records, _diffs = apply.apply_wave([release], target(tmp_path), run)
    assert records[0].error and not records[0].unreachable


def test_an_unreachable_cluster_stops_the_release_at_its_first_call_and_names_the_endpoint(tmp_path):
    release = write_release(tmp_path)
    cluster = Cluster(fail_on="kubectl", error=REFUSED)
    records, _diffs = apply.apply_wave([release], target(tmp_path), cluster)
    record = records[0]
    assert record.unreachable and len(cluster.cluster_calls()) == 1
    assert record.error.startswith("cluster https://127.0.0.1:6443 is unreachable (unreachable) at step 'namespace'")
    assert "nothing of this release was applied" in record.error
    message = apply.failure_message(records, 10)
    assert message.splitlines() == ["wave 10: 1 of 1 releases failed", f"demo: {record.error}"]


def test_helm_errors_are_classified_too(tmp_path):
    release = write_release(tmp_path, chart=True)
    cluster = Cluster(fail_on="helm status", error=HELM_REFUSED, diff_rc=0)
    records, _diffs = apply.apply_wave([release], target(tmp_path), cluster)
    assert records[0].unreachable and "at step 'chart'" in records[0].error


@pytest.mark.parametrize(
    ("text", "unreachable"),
    [
        (REFUSED, True),
        (HELM_REFUSED, True),
        ("dial tcp: lookup api.example.com: no such host", True),
        ("Unable to connect to the server: net/http: TLS handshake timeout", True),
        ("Error: UPGRADE FAILED: values don't meet the specifications of the schema", False),
        ("error: You must be logged in to the server (Unauthorized)", False),
    ],
)
def test_classify(text, unreachable):
    assert apply.classify(text)[0] is unreachable
    assert len(apply.classify(text * 20)[1]) <= 300


def test_a_release_error_never_echoes_more_than_one_line(tmp_path):
    release = write_release(tmp_path)
    cluster = Cluster(fail_on="kubectl diff", error="Error: boom\nvalues:\n  password: hunter2\n")
    records, _diffs = apply.apply_wave([release], target(tmp_path), cluster)
    assert records[0].error == "at step 'namespace': boom"


def test_an_edited_render_fails_before_any_cluster_call(tmp_path):
    release = write_release(tmp_path)
    release["manifests"] = 2  # the description says 2 objects after the chart; the file holds 1
    cluster = Cluster()
    with pytest.raises(PlatformError, match="holds 3 objects, the render of this run 4"):
        apply.apply_wave([release], target(tmp_path), cluster)
    assert cluster.cluster_calls() == []


def test_the_releases_of_a_wave_run_side_by_side(tmp_path):
    releases = [write_release(tmp_path, component=f"r{i}", chart=False, pre=0, post=0) for i in range(4)]
    barrier = threading.Barrier(4, timeout=1)

    def run(argv, stdin=None):
        barrier.wait()  # only returns when all four releases are in their first call at once
        time.sleep(0.01)
        return 2, "", REFUSED

    records, _diffs = apply.apply_wave(releases, target(tmp_path), run)
    assert all(r.unreachable for r in records)
    assert max(r.started for r in records) < min(r.finished for r in records)
    # One at a time, the same wave cannot meet at the barrier.
    with pytest.raises(threading.BrokenBarrierError):
        barrier.reset()
        apply.apply_wave(releases, target(tmp_path), run, workers=1)


def test_the_post_renderer_spec_lists_what_helm_installs(tmp_path):
    release = write_release(tmp_path)
    release["drop"] = [{"kind": "Secret", "name": "x"}]
    apply.apply_wave([release], target(tmp_path), Cluster(diff_rc=0, fail_on="helm status", error=REFUSED))
    spec = json.loads((tmp_path / "demo.json").read_text())
    assert spec == {
        "component": "demo",
        "drop": [{"kind": "Secret", "name": "x"}],
        "expect": [["Deployment", "", "demo"]],
    }

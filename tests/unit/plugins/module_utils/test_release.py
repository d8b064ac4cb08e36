from __future__ import annotations

import os

import pytest
import yaml

from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError
from ansible_collections.mlops.platform.plugins.module_utils.release import (
    CHART_FILE,
    KEY_FILE,
    MANIFESTS_FILE,
    VALUES_FILE,
    ChartSource,
    ReleaseSpec,
    helm_template_argv,
    render_all,
    render_release,
    resolve_chart,
    split_documents,
    sync_files,
)

CHART = {"repo": "https://charts.example.org", "name": "demo", "version": "1.2.3"}

HELM_OUTPUT = """---
# Source: demo/templates/sa.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: demo
---
# Source: demo/templates/secret.yaml
apiVersion: v1
kind: Secret
metadata:
  name: demo-random
data:
  key: c2VjcmV0
---
"""


class FakeHelm:
    """Stands in for the helm binary: records argv and the values file it was given."""

    def __init__(self, rc=0, out=HELM_OUTPUT, err=""):
        self.rc, self.out, self.err = rc, out, err
        self.calls = []
        self.values_seen = None

    def __call__(self, argv):
        self.calls.append(argv)
        with open(argv[argv.index("--values") + 1], encoding="utf-8") as handle:
            self.values_seen = yaml.safe_load(handle)
        return self.rc, self.out, self.err


def spec(**overrides):
    base = dict(
        component="demo",
        release_name="demo",
        namespace="demo-ns",
        chart=ChartSource(ref="demo", version="1.2.3", repo="https://charts.example.org", name="demo"),
        values={"replicaCount": 2},
        drop=[{"kind": "Secret", "name": "demo-random"}],
    )
    base.update(overrides)
    return ReleaseSpec(**base)


@pytest.mark.parametrize(
    ("chart", "mirror", "expected"),
    [
        (CHART, None, ChartSource(ref="demo", version="1.2.3", repo="https://charts.example.org", name="demo")),
        (
            {**CHART, "repo": "oci://ghcr.io/org/charts/"},
            None,
            ChartSource(ref="oci://ghcr.io/org/charts/demo", version="1.2.3", name="demo"),
        ),
    ],
)
def test_resolve_chart_from_repositories(chart, mirror, expected):
    assert resolve_chart(chart, mirror) == expected


def test_resolve_chart_from_a_mirror(tmp_path):
    (tmp_path / "demo-1.2.3.tgz").write_bytes(b"")
    assert resolve_chart(CHART, str(tmp_path)) == ChartSource(
        ref=str(tmp_path / "demo-1.2.3.tgz"), version="1.2.3", name="demo"
    )


@pytest.mark.parametrize(
    ("chart", "message"),
    [
        ({"repo": "x", "name": "demo"}, "lacks version"),
        ({"name": "", "version": "1"}, "lacks repo, name"),
    ],
)
def test_resolve_chart_rejects_incomplete_pins(chart, message):
    with pytest.raises(PlatformError, match=message):
        resolve_chart(chart, None)


def test_resolve_chart_names_the_missing_archive(tmp_path):
    with pytest.raises(PlatformError, match=r"platform_chart_mirror: .* has no demo-1\.2\.3\.tgz"):
        resolve_chart(CHART, str(tmp_path))


def test_argv_is_a_list_with_repo_and_kube_version():
    argv = helm_template_argv("/bin/helm", spec(kube_version="1.32"), "/tmp/v.yaml")
    assert argv[:4] == ["/bin/helm", "template", "demo", "demo"]
    assert argv[argv.index("--repo") + 1] == "https://charts.example.org"
    assert argv[argv.index("--kube-version") + 1] == "1.32"
    assert "--include-crds" in argv
    assert "--skip-tests" in argv


def test_render_drops_objects_adds_namespace_and_writes_values():
    helm = FakeHelm()
    rendered = render_release(spec(namespace_labels={"pod-security.kubernetes.io/enforce": "baseline"}), "helm", helm)
    assert helm.values_seen == {"replicaCount": 2}
    chart_docs = list(yaml.safe_load_all(rendered.files[CHART_FILE]))
    assert [d["kind"] for d in chart_docs if d] == ["ServiceAccount"]
    assert "# Source: demo/templates/sa.yaml" in rendered.files[CHART_FILE]
    for name in (CHART_FILE, MANIFESTS_FILE, VALUES_FILE):  # which release and chart made each file
        assert rendered.files[name].splitlines()[1] == "# release demo, namespace demo-ns, chart demo 1.2.3"
    ours = [d for d in yaml.safe_load_all(rendered.files[MANIFESTS_FILE]) if d]
    assert ours == [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "demo-ns", "labels": {"pod-security.kubernetes.io/enforce": "baseline"}},
        }
    ]
    assert yaml.safe_load(rendered.files[VALUES_FILE]) == {"replicaCount": 2}
    assert rendered.dropped == ["Secret/demo-random"]
    assert rendered.object_count == 2


def test_render_is_deterministic():
    assert render_release(spec(), "helm", FakeHelm()).files == render_release(spec(), "helm", FakeHelm()).files


def test_a_secret_with_data_is_refused():
    with pytest.raises(PlatformError, match=r"demo: Secret demo-random carries data \(key\)"):
        render_release(spec(drop=[]), "helm", FakeHelm())


def test_our_own_secret_with_data_is_refused_too():
    ours = [{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "pw"}, "stringData": {"password": "x"}}]
    with pytest.raises(PlatformError, match="Secret pw carries data"):
        render_release(spec(manifests=ours), "helm", FakeHelm())


def test_a_stale_drop_rule_fails():
    with pytest.raises(PlatformError, match="drop rule Secret/gone matches no object"):
        render_release(
            spec(drop=[{"kind": "Secret", "name": "demo-random"}, {"kind": "Secret", "name": "gone"}]),
            "helm",
            FakeHelm(),
        )


def test_helm_failure_is_reported_with_its_message():
    with pytest.raises(PlatformError, match=r"demo: helm template failed .* postgres user must be specified"):
        render_release(spec(), "helm", FakeHelm(rc=1, out="", err="Error: postgres user must be specified"))


def test_non_object_documents_are_rejected():
    with pytest.raises(PlatformError, match="not a Kubernetes object"):
        render_release(spec(drop=[]), "helm", FakeHelm(out="---\njust a string\n"))


def test_sync_files_writes_once_then_reports_no_change(tmp_path):
    dest = tmp_path / "demo"
    files = {CHART_FILE: "a\n", MANIFESTS_FILE: "b\n", VALUES_FILE: "c\n"}
    changed, diff = sync_files(str(dest), files)
    assert changed == [CHART_FILE, MANIFESTS_FILE, VALUES_FILE]
    assert "chart.yaml: absent" in diff["before"]
    assert (dest / CHART_FILE).read_text() == "a\n"
    assert oct(os.stat(dest / CHART_FILE).st_mode & 0o777) == "0o644"
    assert sync_files(str(dest), files)[0] == []


def test_sync_files_check_mode_writes_nothing(tmp_path):
    dest = tmp_path / "demo"
    changed, _diff = sync_files(str(dest), {CHART_FILE: "a\n"}, check_mode=True)
    assert changed == [CHART_FILE]
    assert not dest.exists()


def test_sync_files_removes_a_managed_file_no_longer_rendered(tmp_path):
    dest = tmp_path / "demo"
    sync_files(str(dest), {CHART_FILE: "a\n", MANIFESTS_FILE: "b\n"})
    (dest / "notes.txt").write_text("not ours")
    changed, _diff = sync_files(str(dest), {CHART_FILE: "a\n"})
    assert changed == [MANIFESTS_FILE]
    assert sorted(p.name for p in dest.iterdir()) == [CHART_FILE, "notes.txt"]


def test_a_release_without_chart_renders_our_manifests_only():
    ours = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "demo-ns"}}]
    helm = FakeHelm()
    rendered = render_release(spec(chart=None, drop=[], manifests=ours), None, helm)
    assert helm.calls == []
    assert sorted(rendered.files) == [MANIFESTS_FILE]
    assert [d["kind"] for d in yaml.safe_load_all(rendered.files[MANIFESTS_FILE]) if d] == ["Namespace", "ConfigMap"]


def test_render_all_skips_helm_when_inputs_and_files_are_unchanged(tmp_path):
    helm = FakeHelm()
    first = render_all([spec()], str(tmp_path), "helm", "helm-id", helm)
    assert first[0].changed == [CHART_FILE, MANIFESTS_FILE, VALUES_FILE] and not first[0].current
    assert (tmp_path / "demo" / KEY_FILE).is_file()
    second = render_all([spec()], str(tmp_path), "helm", "helm-id", helm)
    assert second[0].current and second[0].changed == []
    assert len(helm.calls) == 1


@pytest.mark.parametrize(
    "change",
    [
        lambda d: (d / CHART_FILE).write_text("edited by hand\n"),
        lambda d: (d / VALUES_FILE).unlink(),
        lambda d: (d / KEY_FILE).write_text("not json"),
    ],
    ids=["file-edited", "file-removed", "key-garbled"],
)
def test_render_all_renders_again_when_the_files_were_touched(tmp_path, change):
    helm = FakeHelm()
    render_all([spec()], str(tmp_path), "helm", "helm-id", helm)
    change(tmp_path / "demo")
    again = render_all([spec()], str(tmp_path), "helm", "helm-id", helm)
    assert not again[0].current and len(helm.calls) == 2
    assert render_all([spec()], str(tmp_path), "helm", "helm-id", helm)[0].current


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (spec(), spec(values={"replicaCount": 3})),
        (spec(), spec(namespace="other")),
        (spec(), spec(kube_version="1.33")),
    ],
    ids=["values", "namespace", "kube-version"],
)
def test_render_all_renders_again_when_an_input_changes(tmp_path, first, second):
    helm = FakeHelm()
    render_all([first], str(tmp_path), "helm", "helm-id", helm)
    assert not render_all([second], str(tmp_path), "helm", "helm-id", helm)[0].current
    assert len(helm.calls) == 2


def test_render_all_renders_again_for_another_helm(tmp_path):
    helm = FakeHelm()
    render_all([spec()], str(tmp_path), "helm", "helm-3.17.2", helm)
    assert not render_all([spec()], str(tmp_path), "helm", "helm-3.18.0", helm)[0].current


def test_render_all_check_mode_writes_neither_files_nor_key(tmp_path):
    results = render_all([spec()], str(tmp_path), "helm", "helm-id", FakeHelm(), check_mode=True)
    assert results[0].changed and list(tmp_path.iterdir()) == []


def test_render_all_reports_every_failure_and_refuses_duplicates(tmp_path):
    failing = FakeHelm(rc=1, out="", err="boom")
    with pytest.raises(PlatformError, match=r"a: helm template failed .*boom; b: helm template failed .*boom"):
        render_all([spec(component="a"), spec(component="b")], str(tmp_path), "helm", "id", failing)
    with pytest.raises(PlatformError, match="two releases render into the same folder: demo"):
        render_all([spec(), spec()], str(tmp_path), "helm", "id", FakeHelm())


def test_split_documents_reads_a_plain_equals_sign_as_a_string():
    # prometheus-operator CRDs: `enum: [=, '!=']` (YAML 1.1's `value` type, a string to Go YAML)
    docs = split_documents("kind: X\nenum: [=, '!=']\n")
    assert docs[0][1]["enum"] == ["=", "!="]


def test_a_secret_with_data_inside_a_list_is_refused():
    out = "---\nkind: List\napiVersion: v1\nitems:\n  - kind: Secret\n    apiVersion: v1\n    metadata: {name: s}\n"
    out += "    data: {k: dg==}\n"
    with pytest.raises(PlatformError, match="Secret s carries data"):
        render_release(spec(drop=[]), "helm", FakeHelm(out=out))


def test_split_documents_parses_only_what_it_checks():
    text = "---\nkind: CustomResourceDefinition\nmetadata:\n  labels:\n    name: x\n  name: big\nspec: {}\n"
    text += "---\nkind: Secret\nmetadata:\n  name: s\n"
    (crd, crd_obj), (_raw, secret) = split_documents(text)
    assert crd_obj == {"kind": "CustomResourceDefinition", "metadata": {"name": "big"}}
    assert crd.startswith("kind: CustomResourceDefinition")
    assert secret == {"kind": "Secret", "metadata": {"name": "s"}}
    # a kind a drop rule names is parsed in full
    assert split_documents(text, {"CustomResourceDefinition"})[0][1]["spec"] == {}

"""Self-tests of tests/integration/platform_checks: every checker passes on good input (real upstream
charts rendered with the real helm where it matters) and FAILS, with a useful message, on bad input.

Environment:
  PLATFORM_UPSTREAM  the upstream charts/CRDs fixture (default: <repo>/../shared/upstream)
  PLATFORM_HELM      helm 3 binary (default: `helm` next to sys.executable, then PATH)
Only temporary directories are written.
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

if __package__:  # tests/integration imported as a package
    from .platform_checks import manifests, schemas, values_keys, wiring
else:  # rootdir-relative import (no __init__.py): this file's directory is on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from platform_checks import manifests, schemas, values_keys, wiring

REPO = Path(__file__).resolve().parents[2]
UPSTREAM = Path(os.environ.get("PLATFORM_UPSTREAM") or REPO.parent / "shared" / "upstream")
CHARTS = UPSTREAM / "charts"
CRDS = UPSTREAM / "crds"
K8S = "1.32.0"


def _find_helm() -> str | None:
    if os.environ.get("PLATFORM_HELM"):
        return shutil.which(os.environ["PLATFORM_HELM"])  # None (-> skip) if it is not an executable
    beside = Path(sys.executable).parent / "helm"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("helm")


HELM = _find_helm()

needs_upstream = pytest.mark.skipif(
    not (CHARTS.is_dir() and CRDS.is_dir()),
    reason=f"upstream charts/CRDs fixture not found at {UPSTREAM} (set PLATFORM_UPSTREAM)",
)
needs_helm = pytest.mark.skipif(
    HELM is None, reason="helm binary not found (set PLATFORM_HELM, or put helm next to python or on PATH)"
)


def _objs(text: str, component: str = "test", release_namespace: str = "") -> list[dict]:
    return manifests.load_documents(text, component=component, release_namespace=release_namespace)


# --------------------------------------------------------------------------------------------
# fixtures: one helm render per chart and one CRD load per session
# --------------------------------------------------------------------------------------------


def helm_template(chart: str, namespace: str = "platform", *sets: str) -> str:
    """``helm template test <chart>.tgz --namespace NS --include-crds [--set ...]`` (stdout)."""
    if HELM is None:
        pytest.skip("helm binary not found (set PLATFORM_HELM, or put helm next to python or on PATH)")
    argv = [HELM, "template", "test", str(CHARTS / f"{chart}.tgz"), "--namespace", namespace, "--include-crds"]
    for item in sets:
        argv += ["--set", item]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture(scope="session")
def render(tmp_path_factory):
    """Objects of a chart rendered once per session (do not mutate them: see _mutable)."""
    cache: dict[tuple, list[dict]] = {}
    out_dir = tmp_path_factory.mktemp("renders")

    def _render(chart: str, namespace: str = "platform", *sets: str) -> list[dict]:
        key = (chart, namespace, sets)
        if key not in cache:
            target = out_dir / f"{chart}-{len(cache)}.yaml"
            target.write_text(helm_template(chart, namespace, *sets), encoding="utf-8")
            component = chart.rsplit("-", 1)[0]
            cache[key] = manifests.load_documents(target, component=component, release_namespace=namespace)
        return cache[key]

    return _render


@pytest.fixture(scope="session")
def crd_schemas():
    if not CRDS.is_dir():
        pytest.skip(f"upstream CRDs not found at {CRDS} (set PLATFORM_UPSTREAM)")
    return schemas.load_crd_schemas(CRDS)


def _mutable(objs: list[dict]) -> list[dict]:
    """Deep copies that keep their origin (component, release namespace) for messages."""
    out = []
    for obj in objs:
        clone = copy.deepcopy(obj)
        ref = manifests.ref_of(obj)
        manifests.register_origin(clone, ref.component, ref.source_file, manifests.effective_namespace(obj))
        out.append(clone)
    return out


# --------------------------------------------------------------------------------------------
# manifests
# --------------------------------------------------------------------------------------------


def test_load_documents_skips_empty_docs_and_flattens_lists():
    text = """
---
# only a comment
---
apiVersion: v1
kind: List
items:
  - {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}
  - apiVersion: v1
    kind: List
    items: [{apiVersion: v1, kind: ConfigMap, metadata: {name: b}}]
---
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: ns}
"""
    objs = _objs(text, component="demo")
    assert [o["metadata"]["name"] for o in objs] == ["a", "b", "c"]
    ref = manifests.ref_of(objs[2])
    assert (ref.kind, ref.apiVersion, ref.namespace, ref.name, ref.component) == ("ConfigMap", "v1", "ns", "c", "demo")
    assert str(ref) == "demo ConfigMap/ns/c"


def test_loader_reads_yaml11_value_tag_that_safe_load_rejects():
    text = "apiVersion: v1\nkind: X\nmetadata: {name: x}\nenum: ['!=', =, =~, '!~']\n"
    with pytest.raises(yaml.constructor.ConstructorError, match=r"tag:yaml\.org,2002:value"):
        list(yaml.safe_load_all(text))
    assert _objs(text)[0]["enum"] == ["!=", "=", "=~", "!~"]


def test_load_documents_rejects_non_mapping_documents():
    with pytest.raises(ValueError, match="not a mapping"):
        _objs("- a\n- b\n")


def test_load_tree_reads_components(tmp_path):
    comp = tmp_path / "aws-dev" / "mlflow"
    comp.mkdir(parents=True)
    (comp / "chart.yaml").write_text(
        "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: mlflow, namespace: mlflow}\n"
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: mlflow}\n"
        "spec: {selector: {}, template: {spec: {serviceAccountName: mlflow, containers: []}}}\n"
    )
    (comp / "manifests.yaml").write_text("---\napiVersion: v1\nkind: Namespace\nmetadata: {name: mlflow}\n")
    (comp / "values.yaml").write_text("# header\nreplicaCount: 2\nimage: {tag: '3.1'}\n")

    host = manifests.load_tree(tmp_path / "aws-dev")
    assert list(host) == ["mlflow"]
    mlflow = host["mlflow"]
    assert [o["kind"] for o in mlflow.chart_objects] == ["ServiceAccount", "Deployment"]
    assert [o["kind"] for o in mlflow.our_objects] == ["Namespace"]
    assert mlflow.values == {"replicaCount": 2, "image": {"tag": "3.1"}}
    assert mlflow.release_namespace == "mlflow"
    deployment = mlflow.chart_objects[1]
    assert manifests.effective_namespace(deployment) == "mlflow"
    assert manifests.ref_of(deployment).component == "mlflow"
    assert manifests.ref_of(deployment).source_file.endswith("chart.yaml")
    # the Deployment names no namespace: it goes to the release namespace, where its SA is
    assert wiring.service_accounts_exist(mlflow.objects) == []

    whole = manifests.load_tree(tmp_path)
    assert list(whole) == ["aws-dev/mlflow"]
    assert len(manifests.all_objects(whole)) == 3


@needs_upstream
@needs_helm
def test_load_tree_on_a_real_render(tmp_path):
    """A tree as the render role writes it: helm output, our manifests, our values."""
    comp = tmp_path / "mlops-dev" / "mlflow"
    comp.mkdir(parents=True)
    header = "# Rendered by mlops.platform (platform_mode=render). Do not edit: re-run the playbook.\n"
    (comp / "chart.yaml").write_text(header + helm_template("mlflow-1.8.1", "mlflow", "replicaCount=2"))
    (comp / "manifests.yaml").write_text(header + "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: mlflow\n")
    (comp / "values.yaml").write_text(header + "replicaCount: 2\n")
    tree = manifests.load_tree(tmp_path / "mlops-dev")
    mlflow = tree["mlflow"]
    assert (mlflow.chart_name, mlflow.chart_version, mlflow.release_namespace) == ("mlflow", "1.8.1", "mlflow")
    assert len(mlflow.chart_objects) == 6 and mlflow.values == {"replicaCount": 2}
    assert schemas.validate_core(mlflow.objects, K8S) == ([], [])
    assert wiring.service_accounts_exist(mlflow.objects) == []
    assert wiring.namespaces_exist(mlflow.objects) == []
    defaults = values_keys.chart_default_values(CHARTS / "mlflow-1.8.1.tgz")
    assert values_keys.unknown_value_keys(mlflow.values, defaults, chart="mlflow", version="1.8.1") == []
    assert values_keys.unknown_value_keys(mlflow.values, defaults, chart="mlflow", version="1.9.0") == [
        "mlflow: values checked against mlflow-1.8.1, whose version is '1.8.1', not '1.9.0'"
    ]


# --------------------------------------------------------------------------------------------
# schemas: built-in kinds
# --------------------------------------------------------------------------------------------


@needs_upstream
@needs_helm
def test_core_passes_real_cert_manager_render(render):
    objs = render("cert-manager-v1.19.1")
    assert len(objs) == 46
    problems, custom = schemas.validate_core(objs, K8S)
    assert problems == []
    assert custom == []


@needs_upstream
@needs_helm
def test_core_rejects_bad_fields_in_real_deployment(render):
    objs = _mutable(render("cert-manager-v1.19.1"))
    deployment = next(o for o in objs if o["kind"] == "Deployment")
    name = deployment["metadata"]["name"]
    spec = deployment["spec"]
    spec["replica"] = spec.pop("replicas", 1)  # misspelled field
    container = spec["template"]["spec"]["containers"][0]
    container["ports"][0]["containerPort"] = "http"  # wrong type
    del spec["selector"]  # missing required field

    problems, _custom = schemas.validate_core(objs, K8S)
    assert len(problems) == 3, problems
    prefix = f"cert-manager Deployment/platform/{name}: "
    assert all(p.startswith(prefix) for p in problems), problems
    text = "\n".join(problems)
    assert "spec: Additional properties are not allowed ('replica' was unexpected)" in text
    assert "spec.template.spec.containers[0].ports[0].containerPort: 'http' is not of type 'integer'" in text
    assert "spec: 'selector' is a required property" in text


@needs_upstream
@needs_helm
def test_core_verdicts_agree_with_kubernetes_validate(render):
    """Our cached validators give kubernetes_validate.validate(strict=True)'s verdict."""
    good = render("cert-manager-v1.19.1")
    bad = _mutable(good[:12])
    for obj in bad:
        obj.setdefault("metadata", {})["nmae"] = "typo"
    for obj in [*good, *bad]:
        ours, _custom = schemas.validate_core([obj], K8S)
        try:
            kubernetes_validate.validate(obj, K8S, strict=True)
            theirs = True
        except kubernetes_validate.ValidationError:
            theirs = False
        assert (not ours) == theirs, (obj["kind"], list(ours))
    cluster_issuer = {"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer", "metadata": {"name": "x"}}
    with pytest.raises(kubernetes_validate.SchemaNotFoundError):
        kubernetes_validate.validate(cluster_issuer, K8S, strict=True)
    assert schemas.validate_core([cluster_issuer], K8S) == ([], [cluster_issuer])


def test_core_rejects_api_versions_kubernetes_no_longer_serves():
    objs = _objs(
        """
apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata: {name: psp}
---
apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata: {name: web, namespace: ns}
---
apiVersion: networking.k8s.io/v1
kind: Ingres
metadata: {name: web, namespace: ns}
""",
        component="old",
    )
    problems, custom = schemas.validate_core(objs, K8S)
    assert custom == []
    assert len(problems) == 3
    assert problems[0] == (
        "old PodSecurityPolicy/-/psp: <root>: policy/v1beta1 PodSecurityPolicy is not served by "
        "Kubernetes 1.32.0 (kubernetes-validate: Couldn't find schema)"
    )


def test_lookalike_group_is_not_validated_as_builtin(crd_schemas):
    # kubernetes-validate's file naming drops the group's domain: apps.example.com/v1 -> "apps-v1"
    obj = {"apiVersion": "apps.example.com/v1", "kind": "Deployment", "metadata": {"name": "x", "namespace": "n"}}
    problems, custom = schemas.validate_core([obj], K8S, component="c")
    assert problems == [] and custom == [obj]
    problems = schemas.validate_custom(custom, crd_schemas, component="c")
    assert problems == [
        "c Deployment/n/x: <root>: no schema: apps.example.com/v1 Deployment is neither a built-in kind nor "
        "defined by a known CRD"
    ]


# --------------------------------------------------------------------------------------------
# schemas: custom resources
# --------------------------------------------------------------------------------------------

GOOD_CLUSTER_ISSUER = """
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: letsencrypt}
spec:
  acme:
    server: https://acme-v02.api.letsencrypt.org/directory
    email: ops@example.com
    privateKeySecretRef: {name: letsencrypt-account}
    solvers:
      - http01: {ingress: {ingressClassName: nginx}}
"""

GOOD_CERTIFICATE = """
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web, namespace: apps}
spec:
  secretName: web-tls
  dnsNames: [web.example.com]
  duration: 2160h
  issuerRef: {name: letsencrypt, kind: ClusterIssuer, group: cert-manager.io}
  privateKey: {algorithm: ECDSA, size: 256, rotationPolicy: Always}
"""


def test_crd_schemas_cover_every_upstream_file(crd_schemas):
    groups = {g for g, _version, _kind in crd_schemas}
    for group in (
        "cert-manager.io",
        "monitoring.coreos.com",
        "argoproj.io",
        "keda.sh",
        "serving.kserve.io",
        "kyverno.io",
        "external-secrets.io",
        "karpenter.sh",
        "elbv2.k8s.aws",
        "cilium.io",
    ):
        assert group in groups
    assert ("monitoring.coreos.com", "v1alpha1", "AlertmanagerConfig") in crd_schemas  # the `=` enum file


def test_custom_good_resources_pass(crd_schemas):
    objs = _objs(GOOD_CLUSTER_ISSUER + "---" + GOOD_CERTIFICATE, component="cert-manager")
    problems, custom = schemas.validate_core(objs, K8S)
    assert problems == [] and len(custom) == 2
    assert schemas.validate_custom(custom, crd_schemas) == []


@pytest.mark.parametrize(
    ("source", "edit", "expected"),
    [
        pytest.param(
            GOOD_CLUSTER_ISSUER,
            lambda o: o["spec"]["acme"].update(emial=o["spec"]["acme"].pop("email")),
            "cert-manager ClusterIssuer/-/letsencrypt: spec.acme: Additional properties are not allowed "
            "('emial' was unexpected)",
            id="misspelled-field",
        ),
        pytest.param(
            GOOD_CLUSTER_ISSUER,
            lambda o: o.update(spce=o.pop("spec")),
            "cert-manager ClusterIssuer/-/letsencrypt: <root>: Additional properties are not allowed "
            "('spce' was unexpected)",  # and: 'spec' is a required property
            id="misspelled-top-level",
        ),
        pytest.param(
            GOOD_CERTIFICATE,
            lambda o: o["spec"]["privateKey"].update(algorithm="DSA"),
            "cert-manager Certificate/apps/web: spec.privateKey.algorithm: 'DSA' is not one of "
            "['RSA', 'ECDSA', 'Ed25519']",
            id="wrong-enum",
        ),
        pytest.param(
            GOOD_CERTIFICATE,
            lambda o: o["spec"].update(dnsNames="web.example.com"),
            "cert-manager Certificate/apps/web: spec.dnsNames: 'web.example.com' is not of type 'array'",
            id="wrong-type",
        ),
        pytest.param(
            GOOD_CERTIFICATE,
            lambda o: o["spec"].pop("issuerRef"),
            "cert-manager Certificate/apps/web: spec: 'issuerRef' is a required property",
            id="missing-required",
        ),
        pytest.param(
            GOOD_CERTIFICATE,
            lambda o: o["metadata"].pop("name"),
            "cert-manager Certificate/apps/?: metadata: 'name' is a required property",
            id="missing-name",
        ),
    ],
)
def test_custom_bad_resources_fail(crd_schemas, source, edit, expected):
    obj = _objs(source, component="cert-manager")[0]
    edit(obj)
    problems = schemas.validate_custom([obj], crd_schemas)
    assert expected in problems, problems


def test_custom_real_prometheus_operator_schema_quirks(crd_schemas):
    """int-or-string targetPort, and the Go-regex `^(?i)...` pattern of PrometheusRule."""
    objs = _objs(
        """
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: m, namespace: mon}
spec:
  selector: {matchLabels: {app: x}}
  endpoints: [{targetPort: 8080}, {targetPort: metrics, interval: 30s}]
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: r, namespace: mon}
spec:
  groups: [{name: g, partial_response_strategy: WARN, rules: [{alert: A, expr: up == 0}]}]
""",
        component="mon",
    )
    assert schemas.validate_custom(objs, crd_schemas) == []
    objs[0]["spec"]["endpoints"][0]["targetPort"] = [8080]
    objs[0]["spec"]["endpoints"][1]["scheme"] = "gopher"
    objs[1]["spec"]["groups"][0]["partial_response_strategy"] = "maybe"
    problems = schemas.validate_custom(objs, crd_schemas)
    assert len(problems) == 3, problems
    assert problems[0].startswith(
        "mon ServiceMonitor/mon/m: spec.endpoints[0].targetPort: [8080] is not valid under any"
    )
    assert problems[1] == "mon ServiceMonitor/mon/m: spec.endpoints[1].scheme: 'gopher' is not one of ['http', 'https']"
    assert problems[2].startswith(
        "mon PrometheusRule/mon/r: spec.groups[0].partial_response_strategy: 'maybe' does not"
    )


SYNTHETIC_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: {x-kubernetes-int-or-string: true, pattern: '^[0-9]+(Mi|Gi)?$'}
                free: {type: object, x-kubernetes-preserve-unknown-fields: true, properties: {known: {type: string}}}
                labels: {type: object, additionalProperties: {type: string}}
                template: {type: object, x-kubernetes-embedded-resource: true, properties: {spec: {type: object}}}
                note: {type: string, nullable: true}
                mode: {type: string, enum: [a, b]}
    - name: v0
      served: false
      storage: false
"""


def test_custom_structural_schema_conversion():
    crd_objs = _objs(SYNTHETIC_CRD)
    # schemas from the rendered set only (no CRD directory)
    widget_schemas = schemas.load_crd_schemas(None, crd_objs)
    assert set(widget_schemas) == {("example.com", "v1", "Widget")}  # v0 is not served
    good = _objs(
        """
apiVersion: example.com/v1
kind: Widget
metadata: {name: w, namespace: n, labels: {a: b}}
spec:
  size: 3
  free: {known: x, anything: {goes: [1, 2]}}
  labels: {team: ml}
  template: {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {}}
  note: null
  mode: null
""",
        component="w",
    )
    assert schemas.validate_all(good, widget_schemas, K8S) == []
    good[0]["spec"]["size"] = "10Gi"
    assert schemas.validate_all(good, widget_schemas, K8S) == []

    bad = copy.deepcopy(good[0])
    bad["spec"].update(size=1.5, labels={"team": 1}, mode="c", extra=True)
    bad["spec"]["free"]["known"] = 7  # preserve-unknown still validates known fields
    bad["spec"]["template"]["spce"] = {}
    problems = schemas.validate_custom([bad], widget_schemas, component="w")
    assert [p.split(": ")[1] for p in problems] == [
        "spec",
        "spec.free.known",
        "spec.labels.team",
        "spec.mode",
        "spec.size",
        "spec.template",
    ], problems
    v0 = dict(good[0], apiVersion="example.com/v0")
    assert schemas.validate_custom([v0], widget_schemas, component="w") == [
        "w Widget/n/w: <root>: no schema: example.com/v0 Widget is neither a built-in kind nor defined by a known "
        "CRD (CRD serves versions v1)"
    ]


def test_rendered_crd_overrides_upstream_file(crd_schemas):
    crd = _objs(SYNTHETIC_CRD.replace("example.com", "cert-manager.io").replace("Widget", "ClusterIssuer"))
    merged = schemas.load_crd_schemas(CRDS, crd)
    assert (
        merged[("cert-manager.io", "v1", "ClusterIssuer")]
        is not crd_schemas[("cert-manager.io", "v1", "ClusterIssuer")]
    )
    assert merged[("cert-manager.io", "v1", "Certificate")] is crd_schemas[("cert-manager.io", "v1", "Certificate")]


@needs_upstream
@needs_helm
def test_full_kube_prometheus_stack_render_validates_fast(render, crd_schemas):
    objs = render("kube-prometheus-stack-72.6.2", "monitoring")
    assert len(objs) == 136
    start = time.perf_counter()
    all_schemas = schemas.load_crd_schemas(CRDS, objs)
    problems = schemas.validate_all(objs, all_schemas, K8S)
    elapsed = time.perf_counter() - start
    print(f"\nvalidated {len(objs)} kube-prometheus-stack objects in {elapsed:.2f}s")
    assert problems == []
    assert elapsed < 30
    # and a broken one is found in the same set
    broken = _mutable(objs)
    prometheus = next(o for o in broken if o["kind"] == "Prometheus")
    prometheus["spec"]["retentionn"] = "10d"
    problems = schemas.validate_all(broken, all_schemas, K8S)
    assert problems == [
        "kube-prometheus-stack Prometheus/monitoring/test-kube-prometheus-stack-prometheus: spec: Additional "
        "properties are not allowed ('retentionn' was unexpected)"
    ]


@needs_upstream
@needs_helm
@pytest.mark.parametrize(
    ("chart", "sets"),
    [
        ("argo-workflows-0.46.1", ()),
        ("kserve-v0.16.0", ()),
        ("karpenter-1.8.0", ("settings.clusterName=test",)),
        ("aws-load-balancer-controller-1.16.0", ("clusterName=test",)),
    ],
)
def test_more_upstream_renders_validate(render, crd_schemas, chart, sets):
    objs = render(chart, "platform", *sets)
    assert schemas.validate_all(objs, schemas.load_crd_schemas(CRDS, objs), K8S) == []


# --------------------------------------------------------------------------------------------
# values keys
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mlflow_defaults():
    if not CHARTS.is_dir():
        pytest.skip(f"upstream charts not found at {CHARTS} (set PLATFORM_UPSTREAM)")
    return values_keys.chart_default_values(CHARTS / "mlflow-1.8.1.tgz")


@pytest.fixture(scope="module")
def kps_defaults():
    if not CHARTS.is_dir():
        pytest.skip(f"upstream charts not found at {CHARTS} (set PLATFORM_UPSTREAM)")
    return values_keys.chart_default_values(CHARTS / "kube-prometheus-stack-72.6.2.tgz")


def test_chart_default_values_reads_archive_and_subcharts(mlflow_defaults, kps_defaults):
    assert mlflow_defaults.label == "mlflow-1.8.1"
    assert mlflow_defaults.values["replicaCount"] == 1
    assert mlflow_defaults.subcharts["mysql"].subcharts["common"].name == "common"
    assert set(kps_defaults.subcharts) >= {"grafana", "kube-state-metrics", "prometheus-node-exporter"}


def test_values_good_keys_pass(mlflow_defaults):
    ours = {
        "replicaCount": 2,
        "image": {"tag": "v3.1.0"},
        "podAnnotations": {"prometheus.io/scrape": "true"},
        "serviceAccount": {"create": True, "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/x"}},
        "resources": {"requests": {"cpu": "100m"}},
        "ingress": {"enabled": True, "hosts": [{"host": "mlflow.example.com", "paths": [{"path": "/"}]}]},
        "global": {"anything": 1},
        "mysql": {"enabled": False, "auth": {"rootPassword": "x"}},
    }
    allow = ["podAnnotations", "serviceAccount.annotations", "resources"]
    assert values_keys.unknown_value_keys(ours, mlflow_defaults, allow) == []


def test_values_misspelled_key_fails_with_suggestion(mlflow_defaults):
    problems = values_keys.unknown_value_keys({"replicaCont": 2}, mlflow_defaults)
    assert problems == [
        "mlflow: values key 'replicaCont' does not exist in mlflow-1.8.1 values.yaml (did you mean 'replicaCount'?)"
    ]


def test_values_nested_lists_and_empty_maps(mlflow_defaults):
    ours = {
        "image": {"tagg": "1"},
        "ingress": {"hosts": [{"hots": "x", "paths": [{"path": "/", "pathTyp": "Prefix"}]}]},
        "podAnnotations": {"a": "b"},
        "extraEnvVars": {"MLFLOW_X": "1"},
    }
    problems = values_keys.unknown_value_keys(ours, mlflow_defaults, allow_free_form=["extraEnvVars"])
    assert problems == [
        "mlflow: values key 'image.tagg' does not exist in mlflow-1.8.1 values.yaml (did you mean 'image.tag'?)",
        "mlflow: values key 'ingress.hosts[0].hots' does not exist in mlflow-1.8.1 values.yaml "
        "(did you mean 'ingress.hosts[0].host'?)",
        "mlflow: values key 'ingress.hosts[0].paths[0].pathTyp' does not exist in mlflow-1.8.1 values.yaml "
        "(did you mean 'ingress.hosts[0].paths[0].pathType'?)",
        "mlflow: values key 'podAnnotations.a' does not exist in mlflow-1.8.1 values.yaml; 'podAnnotations' has "
        "no keys in the defaults ({} or null): list it in allow_free_form if it is a free-form map",
    ]


def test_values_allow_list_patterns():
    defaults = values_keys.ChartDefaults(
        "demo", "1.0", {"a": {"x": {"annotations": {}}, "y": {"annotations": {}}}, "deep": {"p": {"q": {"r": {}}}}}
    )
    ours = {
        "a": {"x": {"annotations": {"k": "v"}}, "y": {"annotations": {"k": "v"}}},
        "deep": {"p": {"q": {"r": {"s": 1}}}},
    }
    assert values_keys.unknown_value_keys(ours, defaults, ["a.*.annotations", "**.r"]) == []
    assert len(values_keys.unknown_value_keys(ours, defaults, ["a.x.annotations"])) == 2
    # an allow-listed key must still exist
    assert values_keys.unknown_value_keys({"b": {"k": 1}}, defaults, ["b"]) == [
        "demo: values key 'b' does not exist in demo-1.0 values.yaml"
    ]
    # a map where the chart has a scalar
    assert values_keys.unknown_value_keys({"a": 1, "deep": {"p": "x"}}, defaults) == []
    plain = values_keys.unknown_value_keys({"s": {"t": 1}}, {"s": "text"})
    assert plain == ["chart: values key 's' is a map, but chart-? values.yaml has a str there"]


@needs_helm
@needs_upstream
def test_values_subchart_keys_checked_where_helm_is_silent(kps_defaults, render):
    ours = {
        "grafana": {"adminPasword": "x", "forceDeployDashboards": True, "sidecar": {"dashboards": {"enabled": True}}},
        "kube-state-metrics": {"replicas": 1},
        "prometheus": {"prometheusSpec": {"retention": "10d"}},
        "global": {"imageRegistry": "mirror.example.com"},
    }
    problems = values_keys.unknown_value_keys(ours, kps_defaults)
    assert problems == [
        "kube-prometheus-stack: values key 'grafana.adminPasword' does not exist in grafana-9.0.0 (subchart of "
        "kube-prometheus-stack-72.6.2) values.yaml (did you mean 'grafana.adminPassword'?)"
    ]
    # helm itself renders the typo without complaint (this chart has no values.schema.json)
    objs = render("kube-prometheus-stack-72.6.2", "monitoring", "grafana.adminPasword=x")
    assert any(o["kind"] == "Deployment" for o in objs)


# --------------------------------------------------------------------------------------------
# wiring
# --------------------------------------------------------------------------------------------


@needs_upstream
@needs_helm
def test_wiring_passes_on_real_renders(render):
    for chart, ns, sets in [
        ("cert-manager-v1.19.1", "cert-manager", ()),
        ("kube-prometheus-stack-72.6.2", "monitoring", ()),
        ("kserve-v0.16.0", "kserve", ()),
        ("keda-2.18.3", "keda", ()),
    ]:
        objs = render(chart, ns, *sets)
        namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
        assert wiring.service_accounts_exist(objs) == [], chart
        assert wiring.monitors_select_something(objs, wiring.CLUSTER_PROVIDED_SERVICES) == [], chart
        assert wiring.images_pinned(objs) == [], chart
        assert wiring.namespaces_exist([*objs, namespace], also_known=["kube-system"]) == [], chart


@needs_upstream
@needs_helm
def test_wiring_kube_prometheus_stack_needs_cluster_services(render):
    """Its apiserver/kubelet ServiceMonitors select Services the cluster provides, not the chart."""
    problems = wiring.monitors_select_something(render("kube-prometheus-stack-72.6.2", "monitoring"))
    assert len(problems) == 2
    assert "ServiceMonitor/monitoring/test-kube-prometheus-stack-apiserver: selects no Service" in problems[0]
    assert "ServiceMonitor/monitoring/test-kube-prometheus-stack-kubelet: selects no Service" in problems[1]


@needs_upstream
@needs_helm
def test_service_account_missing_fails(render):
    objs = [o for o in render("cert-manager-v1.19.1", "cert-manager") if o["kind"] != "ServiceAccount"]
    problems = wiring.service_accounts_exist(objs)
    assert len(problems) == 4, problems  # cainjector, controller, webhook, startupapicheck
    assert problems[0] == (
        "cert-manager Deployment/cert-manager/test-cert-manager-cainjector: serviceAccountName "
        "'test-cert-manager-cainjector' has no ServiceAccount in namespace 'cert-manager'"
    )


def test_service_account_wrong_namespace_fails():
    objs = _objs(
        """
apiVersion: v1
kind: ServiceAccount
metadata: {name: trainer, namespace: ml}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: retrain, namespace: pipelines}
spec:
  schedule: "@daily"
  jobTemplate: {spec: {template: {spec: {serviceAccountName: trainer, containers: [{name: c, image: "x:1"}]}}}}
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: ml}
spec: {serviceAccountName: trainer, containers: [{name: c, image: "x:1"}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: ml}
spec: {template: {spec: {containers: [{name: c, image: "x:1"}]}}}
""",
        component="ml",
    )
    assert [o["kind"] for o, _podspec, _meta in wiring.pod_templates(objs)] == ["CronJob", "Pod", "Deployment"]
    assert wiring.service_accounts_exist(objs) == [
        "ml CronJob/pipelines/retrain: serviceAccountName 'trainer' has no ServiceAccount in namespace 'pipelines' "
        "(exists in namespace ml)"
    ]
    assert wiring.service_accounts_annotated(objs, [("ml", "trainer")], "eks.amazonaws.com/role-arn") == [
        "ml ServiceAccount/ml/trainer: missing annotation eks.amazonaws.com/role-arn"
    ]


MONITORED = """
apiVersion: v1
kind: Service
metadata: {name: mlflow, namespace: mlflow, labels: {app.kubernetes.io/name: mlflow}}
spec: {ports: [{name: http, port: 5000}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: server, namespace: serving}
spec:
  selector: {matchLabels: {app: server}}
  template:
    metadata: {labels: {app: server, tier: model}}
    spec: {containers: [{name: s, image: "s:1", ports: [{name: metrics, containerPort: 8082}]}]}
"""


@pytest.mark.parametrize(
    ("monitor", "expected"),
    [
        (
            "kind: ServiceMonitor\nmetadata: {name: m, namespace: mlflow}\n"
            "spec: {selector: {matchLabels: {app.kubernetes.io/name: mlflow}}, endpoints: [{port: http}]}",
            [],
        ),
        (
            "kind: ServiceMonitor\nmetadata: {name: m, namespace: monitoring}\n"
            "spec: {selector: {matchLabels: {app.kubernetes.io/name: mlflow}},"
            " namespaceSelector: {matchNames: [mlflow]}, endpoints: [{port: http}]}",
            [],
        ),
        (
            "kind: ServiceMonitor\nmetadata: {name: m, namespace: monitoring}\n"
            "spec: {selector: {matchExpressions: [{key: app.kubernetes.io/name, operator: In, values: [mlflow]}]},"
            " namespaceSelector: {any: true}, endpoints: [{port: http}]}",
            [],
        ),
        (
            "kind: ServiceMonitor\nmetadata: {name: m, namespace: monitoring}\n"
            "spec: {selector: {matchLabels: {app.kubernetes.io/name: mlflow}}, endpoints: [{port: http}]}",
            ["selects no Service"],
        ),
        (
            "kind: ServiceMonitor\nmetadata: {name: m, namespace: mlflow}\n"
            "spec: {selector: {matchLabels: {app: mlflow}}, endpoints: [{port: http}]}",
            ["selects no Service"],
        ),
        (
            "kind: ServiceMonitor\nmetadata: {name: m, namespace: mlflow}\n"
            "spec: {selector: {matchLabels: {app.kubernetes.io/name: mlflow}}, endpoints: [{port: metrics}]}",
            ["endpoints[0].port 'metrics' is not a port name of the selected Services ['mlflow']"],
        ),
        (
            "kind: PodMonitor\nmetadata: {name: p, namespace: serving}\n"
            "spec: {selector: {matchLabels: {tier: model}}, podMetricsEndpoints: [{port: metrics}]}",
            [],
        ),
        (
            "kind: PodMonitor\nmetadata: {name: p, namespace: serving}\n"
            "spec: {selector: {matchLabels: {tier: web}}, podMetricsEndpoints: [{port: metrics}]}",
            ["selects no pod template"],
        ),
        (
            "kind: PodMonitor\nmetadata: {name: p, namespace: serving}\n"
            "spec: {selector: {matchExpressions: [{key: tier, operator: NotIn, values: [model]}]}}",
            ["selects no pod template"],
        ),
        (
            "kind: PodMonitor\nmetadata: {name: p, namespace: serving}\n"
            "spec: {selector: {matchLabels: {tier: model}}, podMetricsEndpoints: [{port: http}]}",
            ["podMetricsEndpoints[0].port 'http' is not a container port name"],
        ),
    ],
)
def test_monitors_select_something(monitor, expected):
    objs = _objs(MONITORED + "---\napiVersion: monitoring.coreos.com/v1\n" + monitor, component="obs")
    problems = wiring.monitors_select_something(objs)
    assert len(problems) == len(expected), problems
    for problem, fragment in zip(problems, expected, strict=True):
        assert problem.startswith("obs ") and fragment in problem


def test_namespaces_exist():
    objs = _objs(
        """
apiVersion: v1
kind: Namespace
metadata: {name: mlflow}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: a, namespace: mlflow}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: mlfow}
spec: {podSelector: {}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: r, namespace: mlflow}
---
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: le}
---
apiVersion: v1
kind: Secret
metadata: {name: s, namespace: kube-system}
""",
        component="ns",
    )
    assert wiring.namespaces_exist(objs, also_known=["kube-system"]) == [
        "ns NetworkPolicy/mlfow/deny: namespace 'mlfow' is not created by a Namespace in the set",
        "ns ClusterRole/mlflow/r: cluster-scoped ClusterRole has metadata.namespace 'mlflow'",
    ]
    # release namespace of namespace-less objects counts, CRD scopes are honoured
    crd = _objs(SYNTHETIC_CRD)[0]
    widget = _objs("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n", release_namespace="apps")
    assert wiring.namespaces_exist([crd, *widget]) == [
        "test Widget/-/w: namespace 'apps' is not created by a Namespace in the set"
    ]
    assert wiring.namespaces_exist([crd, *widget], also_known=["apps"]) == []


@pytest.mark.parametrize(
    ("image", "problem"),
    [
        ("ghcr.io/mlflow/mlflow:v3.1.0", None),
        ("registry.local:5000/team/app:1.2.3", None),
        ("nginx@sha256:" + "a" * 64, None),
        ("nginx:1.27@sha256:" + "b" * 64, None),
        ("nginx", "has no tag or digest"),
        ("registry.local:5000/team/app", "has no tag or digest"),
        ("nginx:latest", "mutable tag 'latest'"),
        ("ghcr.io/org/app:main", "mutable tag 'main'"),
        ("quay.io/org/app:Nightly", "mutable tag 'Nightly'"),
        ("org/app:dev", "mutable tag 'dev'"),
        ("org/app@sha256:short", "malformed digest"),
    ],
)
def test_images_pinned(image, problem):
    objs = _objs(
        f"""
apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: d, namespace: n}}
spec:
  template:
    spec:
      initContainers: [{{name: init, image: "busybox:1.36"}}]
      containers: [{{name: c, image: "{image}"}}]
---
apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
metadata: {{name: rt}}
spec: {{containers: [{{name: kserve-container, image: "{image}"}}]}}
""",
        component="img",
    )
    problems = wiring.images_pinned(objs)
    if problem is None:
        assert problems == []
    else:
        assert problems[0].startswith("img DaemonSet/n/d: spec.template.spec.containers[0].image: ")
        assert problems[1].startswith("img ClusterServingRuntime/-/rt: spec.containers[0].image: ")
        assert all(problem in p for p in problems) and len(problems) == 2


def test_scaled_objects_target_exists():
    objs = _objs(
        """
apiVersion: apps/v1
kind: Deployment
metadata: {name: model, namespace: serving}
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: good, namespace: serving}
spec: {scaleTargetRef: {name: model}}
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: bad, namespace: serving}
spec: {scaleTargetRef: {name: modle}}
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: other-ns, namespace: batch}
spec: {scaleTargetRef: {kind: Deployment, name: model}}
""",
        component="keda",
    )
    assert wiring.scaled_objects_target_exists(objs) == [
        "keda ScaledObject/serving/bad: scaleTargetRef Deployment/modle is not in namespace 'serving'",
        "keda ScaledObject/batch/other-ns: scaleTargetRef Deployment/model is not in namespace 'batch'",
    ]


def test_nodepools_must_reference_an_existing_nodeclass():
    nodeclass = {"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass", "metadata": {"name": "gpu"}}
    pool = {
        "apiVersion": "karpenter.sh/v1",
        "kind": "NodePool",
        "metadata": {"name": "gpu-workloads"},
        "spec": {
            "template": {
                "spec": {"nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "gpu"}}
            }
        },
    }
    assert wiring.nodepools_reference_nodeclasses([nodeclass, pool]) == []
    problems = wiring.nodepools_reference_nodeclasses([pool])
    assert problems and "NodePool gpu-workloads" in problems[0]


def test_identities_must_be_bound_to_service_accounts_and_pods():
    identity = {
        "service_account_annotations": {"azure.workload.identity/client-id": "22222222-2222-2222-2222-222222222222"},
        "pod_labels": {"azure.workload.identity/use": "true"},
    }
    account = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {
            "name": "mlflow",
            "namespace": "mlflow",
            "annotations": dict(identity["service_account_annotations"]),
        },
    }
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "mlflow", "namespace": "mlflow"},
        "spec": {
            "template": {
                "metadata": {"labels": {"azure.workload.identity/use": "true"}},
                "spec": {"serviceAccountName": "mlflow", "containers": [{"name": "m", "image": "x:1"}]},
            }
        },
    }
    bindings = {("mlflow", "mlflow"): identity}
    assert wiring.identities_bound([account, deployment], bindings) == []
    assert "not rendered" in wiring.identities_bound([deployment], bindings)[0]
    unlabelled = copy.deepcopy(deployment)
    unlabelled["spec"]["template"]["metadata"]["labels"] = {}
    assert "without pod label" in wiring.identities_bound([account, unlabelled], bindings)[0]
    wrong = copy.deepcopy(account)
    wrong["metadata"]["annotations"] = {}
    assert (
        "annotation azure.workload.identity/client-id=None" in wiring.identities_bound([wrong, deployment], bindings)[0]
    )

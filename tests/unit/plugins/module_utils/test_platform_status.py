from __future__ import annotations

import base64
import datetime

import pytest

from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError
from ansible_collections.mlops.platform.plugins.module_utils.platform_status import (
    certificate_rows,
    chart_rows,
    drift_report,
    endpoints,
    platform_namespaces,
    release_drift_rows,
    status_report,
    table,
    terraform_changes,
    tls_certificates,
    workload_rows,
)

CATALOG = {
    "mlflow": {"clouds": ["aws", "azure"]},
    "autoscaling": {"clouds": ["aws"]},
    "argo_workflows": {"clouds": ["aws"]},
    "argo": {"clouds": ["aws"]},
}
NOW = "2026-12-04T00:00:00Z"
CHARTS = {
    "cert_manager": {"repo": "https://charts.jetstack.io", "name": "cert-manager", "version": "v1.19.1"},
    "mlflow": {"repo": "https://community-charts.github.io/helm-charts", "name": "mlflow", "version": "1.8.1"},
    "argo_cd": {"repo": "https://argoproj.github.io/argo-helm", "name": "argo-cd", "version": "7.9.0"},
    "kserve": {"repo": "oci://ghcr.io/kserve/charts", "name": "kserve", "version": "v0.16.0"},
}
PINNED = [
    {"component": "cert_manager", "chart": "cert_manager", "release": "cert-manager", "namespace": "cert-manager"},
    {"component": "mlflow", "chart": "mlflow", "release": "mlflow", "namespace": "mlflow"},
    {"component": "argocd", "chart": "argo_cd", "release": "argocd", "namespace": "argocd"},
    {"component": "kserve", "chart": "kserve", "release": "kserve", "namespace": "kserve"},
    {"component": "rbac", "chart": "", "release": "platform-rbac", "namespace": "kserve"},  # manifests only
]


def helm_row(name, namespace, chart, status="deployed"):
    """A row of `helm list -A -a -o json` (helm 3.17: name, namespace, revision, updated, status, chart, ...)."""
    return {
        "name": name,
        "namespace": namespace,
        "revision": "3",
        "updated": "2026-11-30 10:00:00.000000 +0000 UTC",
        "status": status,
        "chart": chart,
        "app_version": "x",
    }


def workload(kind, namespace, name, spec=None, status=None):
    return {"kind": kind, "metadata": {"namespace": namespace, "name": name}, "spec": spec or {}, "status": status}


def test_namespaces_of_enabled_components_and_releases():
    settings = {
        "mlflow_namespace": "mlflow",
        "mlflow_enabled": True,
        "autoscaling_keda_namespace": "keda",
        "autoscaling_enabled": "true",  # -e autoscaling_enabled=true
        "argo_workflows_namespace": "argo",
        "argo_workflows_enabled": False,  # longest owner wins: not the argo component
        "argo_enabled": True,
        "unknown_namespace": "elsewhere",
    }
    releases = [{"namespace": "kube-system"}]
    assert platform_namespaces(CATALOG, "aws", settings, releases) == ["keda", "kube-system", "mlflow"]
    # autoscaling does not run on azure
    assert platform_namespaces(CATALOG, "azure", settings) == ["mlflow"]


def test_namespaces_need_mappings():
    with pytest.raises(PlatformError, match="platform_namespaces: catalog and settings must be mappings"):
        platform_namespaces(None, "aws", {})


def test_workload_readiness():
    rows = workload_rows(
        [
            workload("Deployment", "mlflow", "mlflow", {"replicas": 2}, {"readyReplicas": 1}),
            workload("StatefulSet", "mlflow", "db", {"replicas": 1}, {"readyReplicas": 1}),
            workload("DaemonSet", "tetragon", "tetragon", {}, {"desiredNumberScheduled": 3, "numberReady": 3}),
            workload("Deployment", "mlflow", "scaled-to-zero", {"replicas": 0}, {}),
            workload("Deployment", "kube-system", "coredns", {"replicas": 2}, {}),
        ],
        ["mlflow", "tetragon"],
    )
    assert [(r["kind"], r["name"], r["ready"], r["wanted"], r["ok"]) for r in rows] == [
        ("Deployment", "mlflow", 1, 2, False),
        ("Deployment", "scaled-to-zero", 0, 0, True),
        ("StatefulSet", "db", 1, 1, True),
        ("DaemonSet", "tetragon", 3, 3, True),
    ]


def test_endpoints_from_ingress_and_load_balancer():
    ingresses = [
        {
            "metadata": {"namespace": "mlflow", "name": "mlflow"},
            "spec": {"tls": [{"hosts": ["mlflow.example.com"]}], "rules": [{"host": "mlflow.example.com"}, {}]},
            "status": {"loadBalancer": {"ingress": [{"hostname": "lb.example.net"}]}},
        },
        {"metadata": {"namespace": "argocd", "name": "argocd"}, "spec": {"rules": [{"host": "argocd.example.com"}]}},
    ]
    services = [
        {"metadata": {"namespace": "mlflow", "name": "lb"}, "spec": {"type": "LoadBalancer"}, "status": {}},
        {
            "metadata": {"namespace": "mlflow", "name": "x"},
            "spec": {"type": "LoadBalancer"},
            "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.5"}]}},
        },
        {"metadata": {"namespace": "mlflow", "name": "mlflow"}, "spec": {"type": "ClusterIP"}},
    ]
    assert endpoints(ingresses, services, "mlflow") == [
        "https://mlflow.example.com (Ingress mlflow, lb.example.net)",
        "LoadBalancer lb: address pending",
        "LoadBalancer x: 203.0.113.5",
    ]
    assert endpoints(ingresses, services, "argocd") == ["http://argocd.example.com (Ingress argocd, address pending)"]
    assert endpoints(ingresses, services, "monitoring") == []


# ------------------------------------------------------------------------------------------------ charts
def test_chart_versions_installed_against_pinned():
    releases = [
        helm_row("cert-manager", "cert-manager", "cert-manager-v1.19.1"),
        helm_row("mlflow", "mlflow", "mlflow-1.7.0"),  # an older version installed
        helm_row("kserve", "kserve", "kserve-v0.16.0", status="pending-upgrade"),  # an interrupted upgrade
        helm_row("someone-elses", "default", "redis-20.1.0"),
    ]
    rows = {r["release"]: r for r in chart_rows(PINNED, CHARTS, releases)}
    assert rows["cert-manager"]["state"] == "ok"
    assert (rows["cert-manager"]["installed"], rows["cert-manager"]["pinned"]) == ("v1.19.1", "v1.19.1")
    assert rows["mlflow"]["state"] == "differs"
    assert (rows["mlflow"]["installed"], rows["mlflow"]["pinned"]) == ("1.7.0", "1.8.1")
    assert rows["argocd"]["state"] == "missing" and rows["argocd"]["installed"] is None
    assert rows["kserve"]["state"] == "failed" and rows["kserve"]["helm_status"] == "pending-upgrade"
    assert rows["someone-elses"]["state"] == "not pinned" and rows["someone-elses"]["component"] is None
    assert "platform-rbac" not in rows  # our manifests only: no Helm release to compare


def test_chart_version_prefix_v_is_the_same_version():
    rows = chart_rows(PINNED[:1], CHARTS, [helm_row("cert-manager", "cert-manager", "cert-manager-1.19.1")])
    assert rows[0]["state"] == "ok"


def test_chart_of_another_name_differs():
    rows = chart_rows(PINNED[1:2], CHARTS, [helm_row("mlflow", "mlflow", "mlflow-server-1.8.1")])
    assert rows[0]["state"] == "differs" and rows[0]["installed"] == "mlflow-server-1.8.1"


def test_chart_rows_name_an_unknown_chart_key():
    with pytest.raises(PlatformError, match=r"mlflow pins chart 'nope', which is not a key of platform_versions"):
        chart_rows([{"component": "mlflow", "chart": "nope", "release": "m", "namespace": "m"}], CHARTS, [])


# ------------------------------------------------------------------------------------------------ certificates
def pem_certificate(not_after: datetime.datetime, names=("mlflow.example.com",)) -> str:
    """A real self-signed certificate (cryptography), PEM, as cert-manager stores it in tls.crt."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_after - datetime.timedelta(days=90))
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def tls_secret(namespace, name, crt: str, key="LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t") -> dict:
    encoded = base64.b64encode(crt.encode()).decode()
    return {
        "kind": "Secret",
        "type": "kubernetes.io/tls",
        "metadata": {"namespace": namespace, "name": name},
        "data": {"tls.crt": encoded, "tls.key": key},
    }


def test_tls_certificates_read_the_leaf_and_nothing_else():
    expires = datetime.datetime(2027, 1, 10, 12, 0, tzinfo=datetime.UTC)
    rows = tls_certificates(
        [
            tls_secret("mlflow", "mlflow-tls", pem_certificate(expires, ("mlflow.example.com", "m.example.com"))),
            tls_secret("argocd", "broken", "not a certificate"),
        ]
    )
    assert rows == [
        {"namespace": "argocd", "name": "broken", "not_after": None, "dns_names": []},
        {
            "namespace": "mlflow",
            "name": "mlflow-tls",
            "not_after": "2027-01-10T12:00:00Z",
            "dns_names": ["mlflow.example.com", "m.example.com"],
        },
    ]
    assert "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t" not in repr(rows)


def certificate(namespace, name, secret, not_after=None, ready="True"):
    """A cert-manager.io/v1 Certificate as k8s_info returns it (status.notAfter, the Ready condition)."""
    status = {"conditions": [{"type": "Ready", "status": ready, "reason": "Ready"}]}
    if not_after:
        status["notAfter"] = not_after
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"namespace": namespace, "name": name},
        "spec": {"secretName": secret, "dnsNames": [f"{name}.example.com"], "issuerRef": {"name": "letsencrypt"}},
        "status": status,
    }


def test_certificate_expiry():
    certificates = [
        certificate("mlflow", "mlflow", "mlflow-tls", "2027-02-01T00:00:00Z"),
        certificate("argocd", "argocd", "argocd-tls", "2026-12-14T00:00:00Z"),  # 10 days left
        certificate("monitoring", "grafana", "grafana-tls", "2026-12-01T00:00:00Z", ready="False"),  # expired
        certificate("kserve", "pending", "pending-tls", ready="False"),  # never issued
    ]
    tls = [
        {"namespace": "mlflow", "name": "mlflow-tls", "not_after": "2027-02-01T00:00:00Z"},  # owned: not twice
        {"namespace": "ingress", "name": "default-cert", "not_after": "2027-06-01T00:00:00Z"},
        {"namespace": "ingress", "name": "unreadable", "not_after": None},
    ]
    rows = {(r["namespace"], r["name"]): r for r in certificate_rows(certificates, tls, NOW)}
    assert len(rows) == 6
    assert rows[("mlflow", "mlflow")]["state"] == "ok" and rows[("mlflow", "mlflow")]["days_left"] == 59
    assert rows[("argocd", "argocd")]["state"] == "expiring" and rows[("argocd", "argocd")]["days_left"] == 10
    assert rows[("monitoring", "grafana")]["state"] == "expired" and rows[("monitoring", "grafana")]["ready"] is False
    assert rows[("kserve", "pending")]["state"] == "not issued"
    assert (
        rows[("ingress", "default-cert")]["source"] == "Secret" and rows[("ingress", "default-cert")]["state"] == "ok"
    )
    assert rows[("ingress", "unreadable")]["state"] == "unreadable"
    # The warning window is a setting.
    assert certificate_rows(certificates[1:2], [], NOW, warn_days=5)[0]["state"] == "ok"


def test_certificate_rows_need_a_time():
    with pytest.raises(PlatformError, match="now must be an ISO 8601 time"):
        certificate_rows([], [], "yesterday")


# ------------------------------------------------------------------------------------------------ the report
def test_table_aligns_columns():
    assert table(["A", "BB"], [["xyz", None], ["1", "2"]]) == ["  A    BB", "  xyz  -", "  1    2"]


def report_data(**more):
    data = {
        "cluster": "mlops-dev",
        "server": "https://ABC.gr7.eu-west-1.eks.amazonaws.com",
        "kubeconfig": "/k",
        "releases": [helm_row("mlflow", "mlflow", "mlflow-1.8.1")],
        "workloads": [workload("Deployment", "mlflow", "mlflow", {"replicas": 1}, {"readyReplicas": 1})],
        "ingresses": [],
        "services": [],
        "certificates": [certificate("mlflow", "mlflow", "mlflow-tls", "2027-02-01T00:00:00Z")],
        "tls_secrets": [],
        "targets": [{"title": "Grafana", "namespace": "monitoring", "port_forward": "port-forward-grafana"}],
        "pinned": PINNED[1:2],
        "charts": CHARTS,
        "catalog": CATALOG,
        "cloud": "aws",
        "settings": {},
        "now": NOW,
    }
    data.update(more)
    return data


def test_report_all_well():
    report = status_report(report_data())
    assert report["ok"] is True and report["problems"] == []
    assert report["table"] == [
        "Cluster mlops-dev (https://ABC.gr7.eu-west-1.eks.amazonaws.com; kubeconfig /k)",
        "Charts: 1 of 1 as pinned",
        "  STATE  COMPONENT  RELEASE        INSTALLED  PINNED  HELM",
        "  ok     mlflow     mlflow/mlflow  1.8.1      1.8.1   deployed",
        "Workloads: 1 of 1 ready in mlflow",
        "  STATE  NAMESPACE  KIND        NAME    READY",
        "  ok     mlflow     Deployment  mlflow  1/1",
        "Endpoints:",
        "  Grafana: no Ingress or LoadBalancer in monitoring; make port-forward-grafana",
        "Certificates: 1 of 1 valid for more than 21 days",
        "  STATE  NAMESPACE  NAME    SOURCE       EXPIRES               DAYS",
        "  ok     mlflow     mlflow  Certificate  2027-02-01T00:00:00Z  59",
        "Status: OK",
    ]


def test_report_lists_the_problems_and_reads_tls_secrets():
    expires = datetime.datetime(2026, 12, 10, tzinfo=datetime.UTC)
    report = status_report(
        report_data(
            releases=[helm_row("mlflow", "mlflow", "mlflow-1.7.0")],
            workloads=[workload("Deployment", "mlflow", "mlflow", {"replicas": 2}, {"readyReplicas": 1})],
            certificates=[],
            tls_secrets=[tls_secret("mlflow", "mlflow-tls", pem_certificate(expires))],
            notes=["cert-manager Certificates not read (is cert-manager installed?)"],
        )
    )
    assert report["ok"] is False
    assert report["problems"] == [
        "chart mlflow/mlflow: differs (installed 1.7.0, pinned 1.8.1)",
        "workload mlflow/Deployment/mlflow: 1/2 ready",
        "certificate mlflow/mlflow-tls: expiring (2026-12-10T00:00:00Z, 6 days)",
    ]
    assert report["table"][-5:] == [
        "Note: cert-manager Certificates not read (is cert-manager installed?)",
        "Status: 3 problem(s)",
        "  - chart mlflow/mlflow: differs (installed 1.7.0, pinned 1.8.1)",
        "  - workload mlflow/Deployment/mlflow: 1/2 ready",
        "  - certificate mlflow/mlflow-tls: expiring (2026-12-10T00:00:00Z, 6 days)",
    ]


def test_report_needs_a_mapping():
    with pytest.raises(PlatformError, match="status_report: expected a mapping"):
        status_report([])


# ------------------------------------------------------------------------------------------------ drift
# `terraform show -json` of a plan after a tag was put on the bucket out of band (the shape of Terraform 1.11).
PLAN = {
    "format_version": "1.2",
    "resource_drift": [
        {
            "address": "module.storage.aws_s3_bucket.artifacts",
            "change": {"actions": ["update"], "before": {"tags": {"a": "b"}}, "after": {"tags": {"a": "secret"}}},
        }
    ],
    "resource_changes": [
        {
            "address": "module.storage.aws_s3_bucket.artifacts",
            "change": {"actions": ["update"], "before": {"tags": {"a": "secret"}}, "after": {"tags": {"a": "b"}}},
        },
        {"address": "aws_vpc.main", "change": {"actions": ["no-op"]}},
        {"address": "data.aws_caller_identity.current", "change": {"actions": ["read"]}},
        {"address": "aws_db_instance.main", "change": {"actions": ["delete", "create"]}},
    ],
}


def test_terraform_changes_keep_addresses_only():
    changes = terraform_changes(PLAN)
    assert changes == {
        "changes": [
            {"address": "aws_db_instance.main", "action": "replace"},
            {"address": "module.storage.aws_s3_bucket.artifacts", "action": "update"},
        ],
        "outside": [{"address": "module.storage.aws_s3_bucket.artifacts", "action": "update"}],
    }
    assert "secret" not in repr(changes)
    assert terraform_changes({"format_version": "1.2"}) == {"changes": [], "outside": []}
    with pytest.raises(PlatformError, match="terraform_changes: expected the JSON plan"):
        terraform_changes("Plan: 1 to change")


def record(component, steps, error=None, unreachable=False, chart="mlflow 1.8.1"):
    """A release_apply record (check mode), as the module returns it."""
    return {
        "component": component,
        "release": component,
        "namespace": component,
        "chart": chart,
        "steps": [{"step": step, "result": result} for step, result in steps],
        "changed": any(r == "would change" for _s, r in steps),
        "error": error,
        "unreachable": unreachable,
    }


def test_release_drift_rows():
    rows = release_drift_rows(
        [
            record("mlflow", [("namespace", "unchanged"), ("chart", "would change")]),
            record("argocd", [("namespace", "unchanged"), ("chart", "unchanged")]),
            record("kserve", [], error="cluster https://x is unreachable (connection refused)", unreachable=True),
            record("rbac", [], error="at step 'objects after the chart': forbidden", chart=None),
            {"component": "gpu", "release": "gpu", "namespace": "gpu", "chart": None, "not_checked": True},
        ]
    )
    assert [(r["component"], r["state"], r["steps"]) for r in rows] == [
        ("mlflow", "drift", ["chart"]),
        ("argocd", "in sync", []),
        ("kserve", "unreachable", []),
        ("rbac", "error", []),
        ("gpu", "not checked", []),
    ]


def test_drift_report_terraform_and_releases():
    infra = {"root": "/t/dev", "exit_code": 2, "summary": "Plan: 0 to add, 1 to change, 0 to destroy."}
    report = drift_report(
        {
            "cluster": "mlops-dev",
            "infrastructure": {**infra, **terraform_changes(PLAN)},
            "releases": [record("mlflow", [("chart", "would change")]), record("argocd", [("chart", "unchanged")])],
        }
    )
    assert report["drift"] is True and report["unknown"] is False
    assert report["lines"][:5] == [
        "Drift of cluster mlops-dev:",
        "  Terraform: DRIFT in /t/dev (plan -detailed-exitcode 2): Plan: 0 to add, 1 to change, 0 to destroy.",
        "    changed outside Terraform: module.storage.aws_s3_bucket.artifacts (update)",
        "    plan would replace: aws_db_instance.main",
        "    plan would update: module.storage.aws_s3_bucket.artifacts",
    ]
    assert report["lines"][5].startswith("  Releases: 1 of 2 drift (")
    assert report["lines"][-1] == "Result: DRIFT (the live state differs from this repository)"


def test_drift_report_none_unknown_and_skipped():
    clean = drift_report({"cluster": "c", "infrastructure": {"root": "/r", "exit_code": 0}, "releases": None})
    assert (clean["drift"], clean["unknown"], clean["lines"][-1]) == (False, False, "Result: no drift")
    assert clean["lines"][1] == "  Terraform: no drift in /r (plan -detailed-exitcode 0)"
    unreachable = drift_report(
        {
            "cluster": "c",
            "infrastructure": {"skipped": "infrastructure_terraform is false"},
            "releases": [record("mlflow", [], error="cluster https://x is unreachable", unreachable=True)],
        }
    )
    assert (unreachable["drift"], unreachable["unknown"]) == (False, True)
    assert "  Terraform: not checked (infrastructure_terraform is false)" in unreachable["lines"]
    assert unreachable["lines"][-1] == "Result: UNKNOWN (part of the state could not be checked)"
    with pytest.raises(PlatformError, match="drift_report: expected a mapping"):
        drift_report(None)

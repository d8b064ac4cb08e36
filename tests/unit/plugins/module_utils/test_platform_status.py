from __future__ import annotations

import pytest

from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError
from ansible_collections.mlops.platform.plugins.module_utils.platform_status import (
    endpoints,
    platform_namespaces,
    status_report,
    workload_rows,
)

CATALOG = {
    "mlflow": {"clouds": ["aws", "azure"]},
    "autoscaling": {"clouds": ["aws"]},
    "argo_workflows": {"clouds": ["aws"]},
    "argo": {"clouds": ["aws"]},
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


def test_report():
    lines = status_report(
        {
            "cluster": "mlops-dev",
            "kubeconfig": "/k",
            "releases": [{"name": "mlflow", "namespace": "mlflow", "chart": "mlflow-1.8.1", "status": "deployed"}],
            "workloads": [workload("Deployment", "mlflow", "mlflow", {"replicas": 1}, {"readyReplicas": 1})],
            "ingresses": [],
            "services": [],
            "targets": [{"title": "Grafana", "namespace": "monitoring", "port_forward": "port-forward-grafana"}],
            "catalog": CATALOG,
            "cloud": "aws",
            "settings": {},
        }
    )
    assert lines == [
        "Cluster mlops-dev (kubeconfig /k)",
        "Helm releases: 1",
        "  mlflow/mlflow  mlflow-1.8.1  deployed",
        "Workloads: 1 of 1 ready in mlflow",
        "  ok   mlflow/Deployment/mlflow  1/1",
        "Endpoints:",
        "  Grafana: no Ingress or LoadBalancer in monitoring; make port-forward-grafana",
    ]


def test_report_needs_a_mapping():
    with pytest.raises(PlatformError, match="status_report: expected a mapping"):
        status_report([])

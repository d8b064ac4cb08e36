from __future__ import annotations

import yaml

from ansible_collections.mlops.platform.plugins.module_utils import network_policies as np
from ansible_collections.mlops.platform.plugins.module_utils.release import (
    MANIFESTS_FILE,
    ReleaseSpec,
    render_all,
)

PARAMS = {
    "dns": {"namespace": "kube-system", "pod_labels": {"k8s-app": "kube-dns"}},
    "cloud_ports": [443, 6443],
    "extra_egress": {"app": [5432, "53/UDP"]},
    "webhook_services": [{"namespace": "hooks", "name": "late-hook"}],
    "ingress": {
        "namespace": "ingress",
        "pod_labels": {"app": "nginx"},
        "external_controllers": ["ingress.k8s.aws/alb"],
    },
    "flows": [{"name": "allow-jobs", "from_namespace": "jobs", "to_namespace": "app", "to_service": "app"}],
    "exempt_namespaces": ["kube-system"],
}


def deployment(namespace, name, labels, ports=(), host=False):
    spec = {"containers": [{"name": "c", "ports": list(ports)}]}
    if host:
        spec["hostNetwork"] = True
    return {
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"template": {"metadata": {"labels": labels}, "spec": spec}},
    }


def service(namespace, name, selector, ports, labels=None):
    return {
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
        "spec": {"selector": selector, "ports": ports},
    }


OBJECTS = [
    {"kind": "Namespace", "metadata": {"name": "app"}},
    {"kind": "Prometheus", "metadata": {"name": "prom", "namespace": "mon"}},
    deployment("mon", "prom-operator", {"app": "op"}),
    deployment("app", "app", {"app": "app"}, [{"name": "http", "containerPort": 5000}]),
    service("app", "app", {"app": "app"}, [{"name": "web", "port": 80, "targetPort": "http"}], {"svc": "app"}),
    deployment("jobs", "runner", {"app": "runner"}),
    deployment("hooks", "hook", {"app": "hook"}, [{"name": "https", "containerPort": 9443}]),
    service("hooks", "hook", {"app": "hook"}, [{"port": 443, "targetPort": 9443}]),
    service("hooks", "late-hook", {"app": "late"}, [{"port": 443, "targetPort": "https"}]),
    deployment("nodes", "exporter", {"app": "exp"}, [{"name": "metrics", "containerPort": 9100}], host=True),
    service("nodes", "exporter", {"app": "exp"}, [{"name": "metrics", "port": 9100, "targetPort": 9100}], {"e": "x"}),
    {
        "kind": "ServiceMonitor",
        "metadata": {"name": "app", "namespace": "app"},
        "spec": {"selector": {"matchLabels": {"svc": "app"}}, "endpoints": [{"port": "web"}]},
    },
    {
        "kind": "ServiceMonitor",
        "metadata": {"name": "exp", "namespace": "mon"},
        "spec": {
            "selector": {"matchLabels": {"e": "x"}},
            "namespaceSelector": {"matchNames": ["nodes"]},
            "endpoints": [{"port": "metrics"}],
        },
    },
    {
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "hook"},
        "webhooks": [{"clientConfig": {"service": {"namespace": "hooks", "name": "hook"}}}],
    },
    {"kind": "IngressClass", "metadata": {"name": "alb"}, "spec": {"controller": "ingress.k8s.aws/alb"}},
    {"kind": "IngressClass", "metadata": {"name": "nginx"}, "spec": {"controller": "k8s.io/ingress-nginx"}},
    {
        "kind": "Ingress",
        "metadata": {"name": "app", "namespace": "app"},
        "spec": {
            "ingressClassName": "nginx",
            "rules": [{"http": {"paths": [{"backend": {"service": {"name": "app", "port": {"number": 80}}}}]}}],
        },
    },
    {
        "kind": "InferenceService",
        "metadata": {"name": "iris", "namespace": "serve"},
        "spec": {"predictor": {"model": {"runtime": "rt", "modelFormat": {"name": "sklearn"}}}},
    },
    {
        "kind": "ClusterServingRuntime",
        "metadata": {"name": "rt"},
        "spec": {"containers": [{"name": "kserve-container", "ports": [{"containerPort": 8080, "protocol": "TCP"}]}]},
    },
]


def by_name(policies):
    return {(p["metadata"]["namespace"], p["metadata"]["name"]): p["spec"] for p in policies}


def test_every_platform_namespace_gets_default_deny_dns_and_apis():
    policies = by_name(np.derive(OBJECTS, PARAMS))
    for namespace in ("app", "mon", "jobs", "hooks", "nodes", "serve"):
        assert policies[(namespace, "default-deny")] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        egress = policies[(namespace, "allow-dns-and-apis")]["egress"]
        assert egress[0]["to"][0]["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
        assert {p["port"] for p in egress[1]["ports"]} == {443, 6443}
    assert not any(ns == "kube-system" for ns, _name in policies)
    extra = policies[("app", "allow-dns-and-apis")]["egress"][2]["ports"]
    assert extra == [{"protocol": "TCP", "port": 5432}, {"protocol": "UDP", "port": 53}]


def test_prometheus_reaches_the_target_port_of_the_monitored_service():
    policies = by_name(np.derive(OBJECTS, PARAMS))
    rule = policies[("app", "allow-prometheus-scrape-ingress-1")]
    assert rule["podSelector"] == {"matchLabels": {"app": "app"}}
    assert rule["ingress"][0]["ports"] == [{"protocol": "TCP", "port": "http"}]
    peer = rule["ingress"][0]["from"][0]
    assert peer["namespaceSelector"] == {"matchLabels": {np.NAME_LABEL: "mon"}}
    assert peer["podSelector"]["matchLabels"]["operator.prometheus.io/name"] == "prom"
    egress = [
        s for (ns, name), s in policies.items() if ns == "mon" and name.startswith("allow-prometheus-scrape-egress")
    ]
    ports = [r["ports"] for s in egress for r in s["egress"]]
    assert [{"protocol": "TCP", "port": "http"}] in ports
    # The host-network exporter: egress to its node's address, numeric port.
    assert any(
        r["to"] == [{"ipBlock": {"cidr": "0.0.0.0/0"}}] and r["ports"][0]["port"] == 9100
        for s in egress
        for r in s["egress"]
    )


def test_the_api_server_reaches_webhooks_from_configurations_and_late_services():
    policies = by_name(np.derive(OBJECTS, PARAMS))
    hooks = [s for (ns, name), s in policies.items() if ns == "hooks" and name.startswith("allow-apiserver-webhooks")]
    got = {(repr(s["podSelector"]), r["ports"][0]["port"]) for s in hooks for r in s["ingress"]}
    assert got == {(repr({"matchLabels": {"app": "hook"}}), 9443), (repr({"matchLabels": {"app": "late"}}), "https")}
    assert all(r["from"] == [{"ipBlock": {"cidr": "0.0.0.0/0"}}] for s in hooks for r in s["ingress"])


def test_ingress_controllers_reach_backends_and_predictors():
    policies = by_name(np.derive(OBJECTS, PARAMS))
    app = policies[("app", "allow-ingress-controller-ingress-1")]
    assert app["ingress"][0]["ports"] == [{"protocol": "TCP", "port": "http"}]
    assert app["ingress"][0]["from"][0]["podSelector"] == {"matchLabels": {"app": "nginx"}}
    predictor = policies[("serve", "allow-ingress-controller-ingress-1")]
    assert predictor["podSelector"] == {"matchLabels": {np.ISVC_LABEL: "iris"}}
    assert predictor["ingress"][0]["ports"] == [{"protocol": "TCP", "port": 8080}]


def test_an_external_load_balancer_class_admits_ip_blocks():
    objects = [dict(o) for o in OBJECTS]
    for obj in objects:
        if obj["kind"] == "Ingress":
            obj["spec"] = dict(obj["spec"], ingressClassName="alb")
    policies = by_name(np.derive(objects, PARAMS))
    rule = policies[("app", "allow-load-balancer-ingress-1")]
    assert rule["ingress"][0]["from"] == [{"ipBlock": {"cidr": "0.0.0.0/0"}}]


def test_flows_to_a_service_open_both_ends():
    policies = by_name(np.derive(OBJECTS, PARAMS))
    assert policies[("jobs", "allow-jobs-egress-1")]["egress"][0]["ports"] == [{"protocol": "TCP", "port": "http"}]
    assert policies[("app", "allow-jobs-ingress-1")]["podSelector"] == {"matchLabels": {"app": "app"}}


def test_selects_follows_label_selector_semantics():
    labels = {"a": "1", "b": "2"}
    assert np.selects({}, labels)
    assert np.selects({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1", "3"]}]}, labels)
    assert not np.selects({"matchExpressions": [{"key": "b", "operator": "NotIn", "values": ["2"]}]}, labels)
    assert np.selects({"matchExpressions": [{"key": "c", "operator": "DoesNotExist"}]}, labels)
    assert not np.selects({"matchLabels": {"a": "2"}}, labels)


def test_render_all_derives_a_release_from_the_others(tmp_path):
    """The release_render hook: a release with ``derive`` gets the policies of the other releases' objects, and a
    second render with nothing changed is current (idempotent)."""
    app = ReleaseSpec(component="app", release_name="app", namespace="app", chart=None, manifests=OBJECTS[3:5])
    policies = ReleaseSpec(
        component="network_policies",
        release_name="np",
        namespace="kube-system",
        chart=None,
        create_namespace=False,
        derive={"with": "network_policies", "params": PARAMS},
    )
    first = render_all([policies, app], str(tmp_path), None, "none", None)
    assert [r.component for r in first] == ["network_policies", "app"]
    docs = [d for d in yaml.safe_load_all((tmp_path / "network_policies" / MANIFESTS_FILE).read_text()) if d]
    assert {d["metadata"]["namespace"] for d in docs} == {"app"}
    assert first[0].manifests == len(docs) > 2
    second = render_all([policies, app], str(tmp_path), None, "none", None)
    assert all(r.current for r in second)

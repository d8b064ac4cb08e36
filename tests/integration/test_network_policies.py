"""The platform's NetworkPolicies (roles/network_policies, derived by plugins/module_utils/network_policies.py) as both
full test inventories render them, run through the real network-config-analyzer (``.venv/nca/bin/nca``, PyPI
``network-config-analyzer``, installed by scripts/setup.sh):

* nca gets the rendered NetworkPolicies (plus the one Kyverno's ``add-default-networkpolicy`` would generate, when
  that ClusterPolicy is rendered), the namespaces and a pod per rendered workload (the KServe predictors' pods as
  KServe makes them, tests/integration/observability/scrape.py), plus the pods the render implies but does not
  contain (Prometheus's, an Argo workflow step, CoreDNS, pods outside the platform) and prints the connectivity map;
* a table of REQUIRED flows, computed here from the rendered objects (not from the policies): every pod -> DNS, every
  port a ServiceMonitor/PodMonitor scrapes, the API server -> every webhook's pods, the ingress controller (ALB:
  its addresses) -> every Ingress backend and predictor, workflow pods -> MLflow and object storage, MLflow ->
  PostgreSQL, every pod -> the API server and cloud APIs. Each must be open;
* a sample of FORBIDDEN flows must be closed;
* a mutation: without the Prometheus scrape policies, the same check reports the scrape flows closed.

``pytest -s`` prints the matrix (flow -> expected/actual).
"""

from __future__ import annotations

import copy
import ipaddress
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from .conftest import REPO
from .observability.scrape import pods_of
from .platform_checks import manifests
from .platform_checks.render_facts import FULL, INVENTORIES, inventory_settings
from .platform_checks.serving import predictors

NCA = REPO / ".venv" / "nca" / "bin" / "nca"
# Addresses outside the pod network: the API server's, a node's (kubelet, host-network exporters), the ALB's,
# the cloud's APIs and object storage, the managed PostgreSQL.
API_SERVER = "172.16.0.10"
NODE = "10.0.5.20"
LOAD_BALANCER = "10.0.7.30"
CLOUD = "52.216.0.1"
DATABASE = "10.0.9.40"
EXEMPT = {"kube-system", "kube-public", "kube-node-lease", "default"}


# --------------------------------------------------------------------------------------------
# the render and the cluster nca sees


def _objects(name: str, build: Path) -> list[dict]:
    values = inventory_settings(INVENTORIES[name])
    objs = manifests.all_objects(manifests.load_tree(build / values["platform_cluster_name"]))
    for obj in objs:
        namespace = manifests.effective_namespace(obj)
        if namespace and obj.get("kind") != "Namespace":
            obj.setdefault("metadata", {}).setdefault("namespace", namespace)
    return objs


def _pod(namespace: str, name: str, labels: dict, ports: list, host: bool = False) -> dict:
    spec = {"containers": [{"name": "c", "image": "example", "ports": [dict(p) for p in ports]}]}
    if host:
        spec["hostNetwork"] = True
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
        "spec": spec,
    }


def _selects(selector: dict | None, labels: dict) -> bool:
    """Kubernetes label selector semantics (matchLabels, matchExpressions)."""
    selector = selector or {}
    if any(labels.get(k) != str(v) for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or ():
        key, values = expr["key"], [str(v) for v in expr.get("values") or ()]
        present = key in labels
        ok = {
            "In": present and labels[key] in values,
            "NotIn": not present or labels[key] not in values,
            "Exists": present,
            "DoesNotExist": not present,
        }[expr["operator"]]
        if not ok:
            return False
    return True


class Cluster:
    """The rendered set as nca sees it: pods (name -> manifest), namespaces, policies."""

    def __init__(self, objs: list[dict]):
        self.objs = objs
        self.pods: dict[str, dict] = {}
        self.host: set[str] = set()
        for pod in pods_of(objs):
            ports = [p for _c, ps in pod.containers for p in ps]
            self.add(pod.namespace, pod.name, pod.labels, ports)
        for obj in objs:
            if obj.get("kind") == "DaemonSet" and ((obj["spec"]["template"].get("spec") or {}).get("hostNetwork")):
                self.host.add(f"{obj['metadata']['namespace']}/{obj['metadata']['name']}-0")
        # Pods the operators make from the rendered custom resources (prometheus-operator's pod labels).
        for prom in self.of("Prometheus"):
            name = prom["metadata"]["name"]
            labels = {"app.kubernetes.io/name": "prometheus", "operator.prometheus.io/name": name, "prometheus": name}
            self.add(prom["metadata"]["namespace"], f"prometheus-{name}-0", labels, [{"containerPort": 9090}])
        # An Argo workflow step (the pipeline's pods carry the workflow's label).
        templates = self.of("WorkflowTemplate")
        if templates:
            workflow = templates[0]
            self.workflow = self.add(
                workflow["metadata"]["namespace"],
                "ml-pipeline-step-0",
                {"workflows.argoproj.io/workflow": workflow["metadata"]["name"]},
                [],
            )
        self.dns = self.add("kube-system", "coredns-0", {"k8s-app": "kube-dns"}, [{"containerPort": 53}])
        # Pods outside the platform: kube-system (never policed), a team namespace (Kyverno's generated policy).
        self.system_probe = self.add("kube-system", "probe-0", {"app": "probe"}, [])
        self.outsider = self.add("team-x", "outsider-0", {"app": "outsider"}, [])
        self.policies = self.of("NetworkPolicy")
        self.kyverno_note = self._kyverno_generated("team-x")

    def add(self, namespace: str, name: str, labels: dict, ports: list) -> str:
        self.pods[f"{namespace}/{name}"] = _pod(namespace, name, labels, ports)
        return f"{namespace}/{name}"

    def of(self, kind: str) -> list[dict]:
        return [o for o in self.objs if o.get("kind") == kind]

    def _kyverno_generated(self, namespace: str) -> str:
        policy = next(
            (p for p in self.of("ClusterPolicy") if p["metadata"]["name"] == "add-default-networkpolicy"), None
        )
        if policy is None:
            return "Kyverno's add-default-networkpolicy is not in the render (not committed yet): not included"
        rule = next(r for r in policy["spec"]["rules"] if r.get("generate"))
        generate = copy.deepcopy(rule["generate"])
        text = yaml.safe_dump(generate)
        text = text.replace("{{request.object.metadata.name}}", namespace)
        generate = yaml.safe_load(text)
        data = generate.get("data") or {}
        obj = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", **data}
        obj["metadata"] = {**(data.get("metadata") or {}), "name": generate.get("name"), "namespace": namespace}
        self.policies = [*self.policies, obj]
        return f"Kyverno's generated {obj['metadata']['name']} included for namespace {namespace}"

    def namespaces(self) -> list[str]:
        return sorted({p["metadata"]["namespace"] for p in self.pods.values()})

    def labels(self, pod: str) -> dict:
        return self.pods[pod]["metadata"]["labels"]

    def in_namespace(self, namespace: str, selector: dict | None) -> list[str]:
        return [
            key
            for key, pod in self.pods.items()
            if pod["metadata"]["namespace"] == namespace and _selects(selector, pod["metadata"]["labels"])
        ]

    def port_number(self, pod: str, port) -> int | None:
        if isinstance(port, int) or (isinstance(port, str) and port.isdigit()):
            return int(port)
        for declared in self.pods[pod]["spec"]["containers"][0]["ports"]:
            if declared.get("name") == port:
                return int(declared["containerPort"])
        return None


# --------------------------------------------------------------------------------------------
# nca


def connectivity(cluster: Cluster, policies: list[dict], tmp: Path) -> list[tuple[str, str, str]]:
    """(source, destination, connections) lines of nca's connectivity map."""
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "policies.yaml").write_text(yaml.safe_dump_all(policies))
    (tmp / "pods.yaml").write_text(
        yaml.safe_dump({"apiVersion": "v1", "kind": "PodList", "items": list(cluster.pods.values())})
    )
    namespaces = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": {"kubernetes.io/metadata.name": n}}}
        for n in cluster.namespaces()
    ]
    (tmp / "namespaces.yaml").write_text(
        yaml.safe_dump({"apiVersion": "v1", "kind": "NamespaceList", "items": namespaces})
    )
    argv = [str(NCA), "--connectivity", str(tmp / "policies.yaml"), "--pod_list", str(tmp / "pods.yaml")]
    argv += ["--ns_list", str(tmp / "namespaces.yaml"), "--output_format", "txt_no_fw_rules"]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=300)
    # nca's exit code is the query's result count; the map is on stdout.
    assert "=>" in proc.stdout, f"nca printed no connectivity map: {proc.stdout[-2000:]} {proc.stderr[-2000:]}"
    lines = []
    for line in proc.stdout.splitlines():
        match = re.match(r"^(\S+) => (\S+) : (.+)$", line.strip())
        if match:
            lines.append((match.group(1), match.group(2), match.group(3)))
    return lines


def _in_ranges(ip: str, text: str) -> bool:
    address = ipaddress.ip_address(ip)
    for part in text.split(","):
        if "-" not in part:
            continue
        low, high = part.split("-", 1)
        try:
            if ipaddress.ip_address(low) <= address <= ipaddress.ip_address(high):
                return True
        except ValueError:
            return False
    return False


def _endpoint_matches(endpoint: str, text: str) -> bool:
    if text.endswith("]"):
        return text.rsplit("[", 1)[0] == endpoint
    try:
        ipaddress.ip_address(endpoint)
    except ValueError:
        return False
    return _in_ranges(endpoint, text)


def _allows(connections: str, protocol: str, port: int) -> bool:
    if connections.strip() == "All connections":
        return True
    for group in re.findall(r"\{([^}]*)\}", connections):
        protocols = re.search(r"protocols:([A-Z, ]+?)(?:,dst_ports|$)", group)
        ports = re.search(r"dst_ports:([0-9,\-]+)", group)
        if protocols and protocol not in [p.strip() for p in protocols.group(1).split(",")]:
            continue
        if not ports:
            return True
        for item in ports.group(1).split(","):
            low, _sep, high = item.partition("-")
            if int(low) <= port <= int(high or low):
                return True
    return False


def is_open(lines, source: str, destination: str, protocol: str, port: int) -> bool:
    return any(
        _endpoint_matches(source, src) and _endpoint_matches(destination, dst) and _allows(conn, protocol, port)
        for src, dst, conn in lines
    )


# --------------------------------------------------------------------------------------------
# the required and forbidden flows, from the rendered objects


def _services(cluster: Cluster) -> dict:
    return {(s["metadata"]["namespace"], s["metadata"]["name"]): s for s in cluster.of("Service")}


def _service_targets(cluster: Cluster, service: dict, port_ref=None) -> list[tuple[str, int]]:
    """(pod, port number) of a Service's pods for its port ``port_ref`` (name or number; every port if None)."""
    found = []
    namespace = service["metadata"]["namespace"]
    for port in service["spec"].get("ports") or ():
        if port_ref is not None and port_ref not in (port.get("name"), port.get("port")):
            continue
        target = port.get("targetPort", port.get("port"))
        for pod in cluster.in_namespace(namespace, {"matchLabels": service["spec"].get("selector") or {}}):
            if not service["spec"].get("selector"):
                continue
            number = cluster.port_number(pod, target)
            if number:
                found.append((pod, number))
    return found


def required_flows(cluster: Cluster, cloud: str) -> list[tuple[str, str, str, str, int]]:
    """(what, source, destination, protocol, port) the platform needs open."""
    flows = []
    platform = [p for p in cluster.pods if p.split("/")[0] not in EXEMPT | {"team-x"}]
    for pod in platform:
        flows.append(("DNS", pod, cluster.dns, "UDP", 53))
        flows.append(("kube API", pod, API_SERVER, "TCP", 443))
    for pod in platform:
        if pod.split("/")[0] in ("kserve", "mlflow", "argo", "external-secrets", "karpenter", "ingress"):
            flows.append(("cloud API/object storage", pod, CLOUD, "TCP", 443))
    for pod in cluster.in_namespace("mlflow", {"matchLabels": {"app.kubernetes.io/name": "mlflow"}}):
        flows.append(("MLflow -> PostgreSQL", pod, DATABASE, "TCP", 5432))
    services = _services(cluster)
    # Prometheus -> every scraped port.
    prometheus = [p for p in cluster.pods if cluster.labels(p).get("app.kubernetes.io/name") == "prometheus"]
    all_ns = cluster.namespaces()
    for monitor in cluster.of("ServiceMonitor") + cluster.of("PodMonitor"):
        spec = monitor["spec"]
        ns_sel = spec.get("namespaceSelector") or {}
        namespaces = all_ns if ns_sel.get("any") else ns_sel.get("matchNames") or [monitor["metadata"]["namespace"]]
        what = f"scrape {monitor['kind']}/{monitor['metadata']['name']}"
        targets = []
        if monitor["kind"] == "ServiceMonitor":
            chosen = [
                s
                for (ns, _n), s in services.items()
                if ns in namespaces and _selects(spec.get("selector"), s["metadata"].get("labels") or {})
            ]
            for endpoint in spec.get("endpoints") or ():
                for service in chosen:
                    if endpoint.get("port") is None and endpoint.get("targetPort") is not None:
                        # targetPort: the pods' port itself (cert-manager's monitor).
                        selector = {"matchLabels": service["spec"].get("selector") or {}}
                        for pod in cluster.in_namespace(service["metadata"]["namespace"], selector):
                            number = cluster.port_number(pod, endpoint["targetPort"])
                            if number:
                                targets.append((pod, number))
                    else:
                        targets += _service_targets(cluster, service, endpoint.get("port"))
            if not chosen:
                # The cluster's own Services, which no chart renders.
                name = monitor["metadata"]["name"]
                if "kubelet" in name:
                    targets.append((NODE, 10250))
                elif "coredns" in name:
                    targets.append((cluster.dns, 9153))
                elif "apiserver" in name:
                    targets.append((API_SERVER, 443))
                else:
                    raise AssertionError(f"{what}: selects no rendered Service and is not a known cluster Service")
        else:
            for namespace in namespaces:
                for pod in cluster.in_namespace(namespace, spec.get("selector")):
                    for endpoint in spec.get("podMetricsEndpoints") or ():
                        number = cluster.port_number(pod, endpoint.get("port"))
                        if number:
                            targets.append((pod, number))
        for target, port in targets:
            destination = NODE if target in cluster.host else target
            # Prometheus scraping itself never leaves the pod.
            for source in [p for p in prometheus if p != destination]:
                flows.append((what, source, destination, "TCP", port))
    # The API server -> every webhook (the configurations', the aggregated APIs', Kyverno's run-time ones).
    refs = []
    for config in cluster.of("ValidatingWebhookConfiguration") + cluster.of("MutatingWebhookConfiguration"):
        for hook in config.get("webhooks") or ():
            ref = (hook.get("clientConfig") or {}).get("service")
            if ref:
                refs.append((config["metadata"]["name"], ref["namespace"], ref["name"], ref.get("port", 443)))
    for api in cluster.of("APIService"):
        ref = api["spec"].get("service")
        if ref:
            refs.append((api["metadata"]["name"], ref["namespace"], ref["name"], ref.get("port", 443)))
    # Kyverno registers its webhook configurations itself, pointing at these Services (chart kyverno 3.3).
    for name in ("kyverno-svc", "kyverno-cleanup-controller"):
        if ("kyverno", name) in services:
            refs.append(("kyverno (run time)", "kyverno", name, 443))
    for what, namespace, name, port in refs:
        service = services.get((namespace, name))
        assert service is not None, f"webhook {what}: Service {namespace}/{name} is not rendered"
        for pod, number in _service_targets(cluster, service, port):
            flows.append((f"webhook {what}", API_SERVER, pod, "TCP", number))
    # Ingress controller -> every Ingress backend and every predictor.
    classes = {c["metadata"]["name"]: c["spec"].get("controller") for c in cluster.of("IngressClass")}
    controllers = cluster.in_namespace("ingress", {"matchLabels": {"app.kubernetes.io/component": "controller"}})
    controllers = [p for p in controllers if cluster.labels(p).get("app.kubernetes.io/name") == "ingress-nginx"]

    def sources(klass):
        return [LOAD_BALANCER] if classes.get(klass) == "ingress.k8s.aws/alb" else controllers

    for ingress in cluster.of("Ingress"):
        klass = ingress["spec"].get("ingressClassName")
        assert sources(klass), f"Ingress {ingress['metadata']['name']}: no controller for class {klass}"
        for rule in ingress["spec"].get("rules") or ():
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                service = services.get((ingress["metadata"]["namespace"], backend["name"]))
                if service is None:
                    continue  # KServe's run-time Services: the predictors below
                ref = backend["port"].get("number") or backend["port"].get("name")
                for pod, number in _service_targets(cluster, service, ref):
                    for source in sources(klass):
                        flows.append((f"ingress {ingress['metadata']['name']}", source, pod, "TCP", number))
    # The cloud's load balancer -> the Services of type LoadBalancer (ingress-nginx's controllers).
    for service in services.values():
        if service["spec"].get("type") == "LoadBalancer":
            for pod, number in _service_targets(cluster, service):
                flows.append((f"load balancer {service['metadata']['name']}", LOAD_BALANCER, pod, "TCP", number))
    kserve_classes = {
        i["spec"].get("ingressClassName") for i in cluster.of("Ingress") if i["metadata"]["namespace"] == "kserve"
    }
    for (namespace, service_name), found in predictors(cluster.objs).items():
        service = found["service"]
        for pod in cluster.in_namespace(namespace, {"matchLabels": found["pods"]}):
            target = service["spec"]["ports"][0]["targetPort"]
            for klass in kserve_classes:
                for source in sources(klass):
                    flows.append((f"serving {service_name}", source, pod, "TCP", int(target)))
            flows.append(("predictor -> object storage", pod, CLOUD, "TCP", 443))
    # Workflow pods -> MLflow and object storage.
    mlflow = services.get(("mlflow", "mlflow"))
    if mlflow is not None and getattr(cluster, "workflow", None):
        for pod, number in _service_targets(cluster, mlflow):
            flows.append(("workflow -> MLflow", cluster.workflow, pod, "TCP", number))
        flows.append(("workflow -> object storage", cluster.workflow, CLOUD, "TCP", 443))
    return flows


def forbidden_flows(cluster: Cluster) -> list[tuple[str, str, str, str, int]]:
    def first(namespace, **labels):
        found = cluster.in_namespace(namespace, {"matchLabels": labels})
        assert found, f"no pod {labels} in {namespace}"
        return found[0]

    mlflow = first("mlflow", **{"app.kubernetes.io/name": "mlflow"})
    mlflow_port = cluster.port_number(mlflow, "mlflow") or 5000
    kyverno = first("kyverno", **{"app.kubernetes.io/component": "admission-controller"})
    argocd = first("argocd", **{"app.kubernetes.io/name": "argocd-server"})
    repo = first("argocd", **{"app.kubernetes.io/name": "argocd-repo-server"})
    predictor = first("kserve", component="predictor")
    prometheus = next(p for p in cluster.pods if cluster.labels(p).get("app.kubernetes.io/name") == "prometheus")
    return [
        ("predictor -> PostgreSQL", predictor, DATABASE, "TCP", 5432),
        ("workflow -> kyverno webhook", cluster.workflow, kyverno, "TCP", 9443),
        ("workflow -> argocd server", cluster.workflow, argocd, "TCP", 8080),
        ("predictor -> argocd server", predictor, argocd, "TCP", 8080),
        ("predictor -> MLflow", predictor, mlflow, "TCP", mlflow_port),
        ("predictor -> Prometheus", predictor, prometheus, "TCP", 9090),
        ("kube-system pod -> MLflow", cluster.system_probe, mlflow, "TCP", mlflow_port),
        ("team-x pod -> MLflow", cluster.outsider, mlflow, "TCP", mlflow_port),
        ("team-x pod -> predictor", cluster.outsider, predictor, "TCP", 8080),
        ("outside address -> argocd repo server", API_SERVER, repo, "TCP", 8081),
        ("MLflow -> kyverno webhook", mlflow, kyverno, "TCP", 9443),
        ("MLflow -> SSH anywhere", mlflow, CLOUD, "TCP", 22),
    ]


def matrix(lines, flows, expected: bool) -> list[tuple]:
    return [
        (what, src, dst, f"{proto}/{port}", expected, is_open(lines, src, dst, proto, port))
        for what, src, dst, proto, port in flows
    ]


def _print(name: str, rows: list[tuple]) -> None:
    print(f"\n== {name}: reachability (flow -> expected/actual), {len(rows)} flows")
    seen = set()
    for what, src, dst, port, expected, actual in rows:
        key = (what, src.split("/")[0], dst, port)
        if key in seen and expected == actual:
            continue  # one line per (flow, source namespace, destination, port) when as expected
        seen.add(key)
        mark = "ok " if expected == actual else "BAD"
        want, got = ("open" if expected else "closed"), ("open" if actual else "closed")
        print(f"{mark} {what:45.45} {src:60.60} -> {dst:60.60} {port:9} {want}/{got}")


# --------------------------------------------------------------------------------------------
# the tests


pytestmark = pytest.mark.skipif(not NCA.exists() and not shutil.which("nca"), reason="nca not installed (make setup)")


@pytest.fixture(scope="module")
def clusters(full_builds) -> dict:
    return {name: Cluster(_objects(name, full_builds[name])) for name in FULL}


@pytest.mark.parametrize("name", FULL)
def test_every_platform_namespace_denies_by_default(clusters, name):
    cluster = clusters[name]
    denied = {
        p["metadata"]["namespace"]
        for p in cluster.policies
        if p["metadata"]["name"] == "default-deny"
        and p["spec"].get("podSelector") == {}
        and set(p["spec"].get("policyTypes") or ()) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    }
    workloads = {
        o["metadata"]["namespace"]
        for o in cluster.objs
        if o.get("kind") in ("Deployment", "StatefulSet", "DaemonSet", "InferenceService")
    }
    missing = sorted(workloads - EXEMPT - denied)
    assert not missing, f"platform namespaces without default deny: {missing}"


@pytest.mark.parametrize("name", FULL)
def test_required_flows_open_and_forbidden_closed(clusters, name, tmp_path):
    cluster = clusters[name]
    print(f"\n{name}: {cluster.kyverno_note}")
    lines = connectivity(cluster, cluster.policies, tmp_path)
    rows = matrix(lines, required_flows(cluster, name), True) + matrix(lines, forbidden_flows(cluster), False)
    _print(name, rows)
    bad = [r for r in rows if r[4] != r[5]]
    assert len(rows) > 100
    assert not bad, "flows not as expected:\n" + "\n".join(
        f"{r[0]}: {r[1]} -> {r[2]} {r[3]} expected {'open' if r[4] else 'closed'}" for r in bad
    )


@pytest.mark.parametrize("name", FULL)
def test_dropping_the_scrape_allows_closes_the_scrapes(clusters, name, tmp_path):
    """Mutation: the rendered set without the Prometheus -> metrics port policies; the same check reports the
    scrape flows of other namespaces closed."""
    cluster = clusters[name]
    mutated = [p for p in cluster.policies if not p["metadata"]["name"].startswith("allow-prometheus-scrape")]
    assert len(mutated) < len(cluster.policies)
    lines = connectivity(cluster, mutated, tmp_path)
    prometheus_ns = {
        p.split("/")[0] for p in cluster.pods if cluster.labels(p).get("app.kubernetes.io/name") == "prometheus"
    }
    scrapes = [
        f
        for f in required_flows(cluster, name)
        if f[0].startswith("scrape") and f[2].split("/")[0] not in prometheus_ns and "/" in f[2]
    ]
    rows = matrix(lines, scrapes, True)
    closed = [r for r in rows if not r[5]]
    print(f"\n{name}: without allow-prometheus-scrape-*, {len(closed)} of {len(rows)} cross-namespace scrapes closed")
    for row in closed[:10]:
        print(f"   closed: {row[0]} {row[1]} -> {row[2]} {row[3]}")
    assert rows and len(closed) == len(rows)

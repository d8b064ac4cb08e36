# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The platform's NetworkPolicies, derived from the rendered objects of every release.

Pure functions over plain data: :func:`derive` takes every rendered object (chart and our own, with
``metadata.namespace`` filled in) and the parameters of the network_policies role and returns the
NetworkPolicies. The release_render hook (``derive`` of a release description) calls it once every other
release has been rendered, so the allows follow what the charts really render:

- default deny, ingress and egress, in every platform workload namespace (the namespaces of the rendered
  workloads and Namespace objects, less ``exempt_namespaces``);
- within a namespace, everything (a component's own pods talk to each other: Argo CD's server to its
  repo server and Redis, Grafana to Prometheus, Kyverno's controllers to each other);
- everything -> DNS (``dns``: kube-system CoreDNS pods, UDP/TCP 53);
- egress to TCP ``cloud_ports`` (443, 6443) anywhere: the Kubernetes API server (outside the pod network,
  its address is not known at render time) which every namespace's controllers watch, and the cloud APIs the
  workload identities call (object storage over HTTPS, secret stores, load balancer APIs, ACME);
- ``extra_egress``: per namespace, further ports anywhere (``5432`` or ``"53/UDP"``: MLflow -> PostgreSQL,
  a managed database outside the cluster);
- Prometheus (the pods the operator makes for each rendered ``Prometheus``) -> every port a rendered
  ServiceMonitor (selector -> Services -> targetPort -> the Services' pod selector) or PodMonitor (selector
  -> pods, named port) scrapes; targets without a rendered Service (kubelet, CoreDNS, API server) or on the
  host network (node exporter) are egress to ``ipBlock`` anywhere on their numeric port, when the monitor gives
  one, and ``unrendered_scrape_targets`` ({cidr} or {namespace, pod_labels}, ports) name the others;
- the API server -> every webhook: the rendered Validating/MutatingWebhookConfigurations' Services (and
  ``webhook_services``, the Services of webhooks that register themselves at run time, Kyverno's) -> the
  Services' pods and target ports, and of every APIService (an aggregated API: KEDA's metrics server). The
  API server is not a pod: its address is outside the pod network and
  not known at render time, so these ports admit ``ipBlock`` 0.0.0.0/0, those ports only;
- ingress controllers -> each rendered Ingress's backend (Service -> pods, targetPort), and -> every
  InferenceService's predictor pods (KServe makes their Services and Ingresses at run time) on the ports of
  the runtime's ``kserve-container``. In-cluster controllers are the pods of ``ingress.namespace``; a class
  whose controller is in ``ingress.external_controllers`` (the AWS ALB, target type ip: the load balancer
  sends to pod IPs from outside the pod network) admits ``ipBlock`` 0.0.0.0/0 on the backend port;
- Services of type LoadBalancer or NodePort (ingress-nginx's controller) admit ``ipBlock`` 0.0.0.0/0 on their
  target ports: the cloud's load balancer is outside the pod network;
- ``flows``: further pod-to-pod flows (workflow pods -> MLflow), to a Service by name (its pods and target
  ports): the ingress policy at the Service and the egress policy at the source.

Kubelet probes need no allow: traffic from a pod's own node is always allowed (Kubernetes documentation,
"Network Policies": "traffic to and from the node where a Pod is running is always allowed").
"""

from __future__ import annotations

import re

# The kinds derive() reads: release_render parses only these (the rest of a chart's output stays text).
KINDS = frozenset(
    {
        "Namespace",
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "Service",
        "ServiceMonitor",
        "PodMonitor",
        "Prometheus",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "APIService",
        "Ingress",
        "IngressClass",
        "InferenceService",
        "ServingRuntime",
        "ClusterServingRuntime",
    }
)
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")
ANYWHERE = "0.0.0.0/0"
NAME_LABEL = "kubernetes.io/metadata.name"
# KServe labels every predictor pod with its InferenceService (constants.InferenceServicePodLabelKey).
ISVC_LABEL = "serving.kserve.io/inferenceservice"
# KServe's default container port when a runtime declares none (constants.InferenceServiceDefaultHttpPort).
PREDICTOR_DEFAULT_PORT = 8080
# The labels prometheus-operator gives the pods of a Prometheus (pkg/prometheus/server/statefulset.go).
PROMETHEUS_POD_LABELS = ("app.kubernetes.io/name", "prometheus")
_DNS1123 = re.compile(r"[^a-z0-9-]+")


def _meta(obj: dict) -> dict:
    return obj.get("metadata") or {}


def _ns(obj: dict) -> str:
    return str(_meta(obj).get("namespace") or "default")


def _name(obj: dict) -> str:
    return str(_meta(obj).get("name") or "")


def _of(objects: list, *kinds: str) -> list:
    return [o for o in objects if isinstance(o, dict) and o.get("kind") in kinds]


def selects(selector: dict | None, labels: dict) -> bool:
    """Whether a label selector (matchLabels, matchExpressions) selects ``labels``; an empty one selects all."""
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != str(value):
            return False
    for expr in selector.get("matchExpressions") or ():
        key, op, values = expr.get("key"), expr.get("operator"), [str(v) for v in expr.get("values") or ()]
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


class Pods:
    """The pods of the rendered set: one per workload template, one per InferenceService predictor."""

    def __init__(self, objects: list):
        self.items = []  # (namespace, labels, containers' ports, host network)
        for obj in _of(objects, *WORKLOAD_KINDS):
            template = (obj.get("spec") or {}).get("template") or {}
            spec = template.get("spec") or {}
            ports = [p for c in spec.get("containers") or () for p in c.get("ports") or ()]
            labels = {str(k): str(v) for k, v in (_meta(template).get("labels") or {}).items()}
            self.items.append((_ns(obj), labels, ports, bool(spec.get("hostNetwork"))))
        for isvc, ports in predictors(objects):
            self.items.append((_ns(isvc), {ISVC_LABEL: _name(isvc), "component": "predictor"}, ports, False))

    def matching(self, namespace: str, selector: dict) -> list:
        return [p for p in self.items if p[0] == namespace and selects(selector, p[1])]


def predictors(objects: list) -> list:
    """(InferenceService, its predictor container's ports) for every InferenceService of the set: the ports of
    the runtime's ``kserve-container`` (the one its model names, else the first supporting its format), else
    KServe's default 8080."""
    runtimes = _of(objects, "ServingRuntime", "ClusterServingRuntime")
    found = []
    for isvc in _of(objects, "InferenceService"):
        model = ((isvc.get("spec") or {}).get("predictor") or {}).get("model") or {}
        fmt = (model.get("modelFormat") or {}).get("name")
        named = [r for r in runtimes if _name(r) == model.get("runtime")]
        by_format = [
            r
            for r in runtimes
            if any(f.get("name") == fmt for f in (r.get("spec") or {}).get("supportedModelFormats") or ())
        ]
        runtime = (named or by_format or [None])[0]
        ports = []
        if runtime:
            for container in (runtime.get("spec") or {}).get("containers") or ():
                if container.get("name") == "kserve-container":
                    ports = list(container.get("ports") or ())
        ports += list(model.get("ports") or ())
        found.append((isvc, ports or [{"containerPort": PREDICTOR_DEFAULT_PORT, "protocol": "TCP"}]))
    return found


def _service_port(service: dict, ref) -> dict | None:
    """The Service port a reference (name or number) names."""
    for port in (service.get("spec") or {}).get("ports") or ():
        if ref is not None and (port.get("name") == ref or port.get("port") == ref or str(port.get("port")) == ref):
            return port
    return None


def _target(port: dict):
    """A Service port's targetPort (number or container port name; the port itself when unset)."""
    target = port.get("targetPort", port.get("port"))
    return int(target) if isinstance(target, str) and target.isdigit() else target


def _np_port(port, protocol: str = "TCP") -> dict:
    return {"protocol": protocol or "TCP", "port": port}


def parse_port(text) -> dict:
    """A NetworkPolicy port from ``443`` or ``"53/UDP"``."""
    number, _sep, protocol = str(text).partition("/")
    return _np_port(int(number), protocol.upper() or "TCP")


def _numeric(port, pods: list):
    """A named container port as its number on ``pods`` (for ipBlock peers), else ``port``."""
    if isinstance(port, int):
        return port
    for _namespace, _labels, ports, _host in pods:
        for declared in ports:
            if declared.get("name") == port:
                return declared.get("containerPort")
    return None


class Builder:
    """Collects allows as (namespace, pod selector) x (peer) x ports, and emits one policy per kind of allow."""

    def __init__(self, namespaces: list):
        self.namespaces = namespaces
        self.ingress: dict = {}  # (ns, policy name) -> (selector, [rules])
        self.egress: dict = {}

    @staticmethod
    def _add(table: dict, namespace: str, name: str, selector: dict, rule: dict) -> None:
        _selector, rules = table.setdefault((namespace, name, repr(selector)), (selector, []))
        if rule not in rules:
            rules.append(rule)

    def allow_in(self, namespace: str, name: str, selector: dict, peer: dict, ports: list) -> None:
        if namespace in self.namespaces:
            self._add(self.ingress, namespace, name, selector, {"from": [peer], "ports": ports})

    def allow_out(self, namespace: str, name: str, selector: dict, peer: dict, ports: list) -> None:
        if namespace in self.namespaces:
            self._add(self.egress, namespace, name, selector, {"to": [peer], "ports": ports})

    def flow(self, source: tuple, dest: tuple, ports: list, name: str) -> None:
        """A pod-to-pod flow: ``source``/``dest`` are (namespace, pod selector)."""
        self.allow_out(source[0], name, source[1], pod_peer(*dest), ports)
        self.allow_in(dest[0], name, dest[1], pod_peer(*source), ports)

    def policies(self, labels: dict) -> list:
        out, counts = [], {}
        for kind, table in (("Ingress", self.ingress), ("Egress", self.egress)):
            for (namespace, name, _key), (selector, rules) in sorted(table.items()):
                # One policy per (namespace, allow, pod selector): numbered in a stable order.
                index = counts[(namespace, name, kind)] = counts.get((namespace, name, kind), 0) + 1
                spec = {"podSelector": selector, "policyTypes": [kind], kind.lower(): rules}
                out.append(policy(f"{name}-{kind.lower()}-{index}", namespace, spec, labels))
        return out


def pod_peer(namespace: str, selector: dict) -> dict:
    return {"namespaceSelector": {"matchLabels": {NAME_LABEL: namespace}}, "podSelector": selector}


def ip_peer(cidr: str = ANYWHERE) -> dict:
    return {"ipBlock": {"cidr": cidr}}


def policy(name: str, namespace: str, spec: dict, labels: dict) -> dict:
    meta = {"name": _DNS1123.sub("-", name.lower())[:63].strip("-"), "namespace": namespace}
    if labels:
        meta["labels"] = dict(labels)
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta, "spec": spec}


def _selector_of(labels: dict) -> dict:
    return {"matchLabels": dict(sorted(labels.items()))} if labels else {}


def platform_namespaces(objects: list, exempt) -> list:
    found = {_name(o) for o in _of(objects, "Namespace")}
    found |= {_ns(o) for o in _of(objects, *WORKLOAD_KINDS, "InferenceService")}
    return sorted(found - set(exempt or ()))


def _monitor_namespaces(monitor: dict, all_namespaces: list) -> list:
    selector = (monitor.get("spec") or {}).get("namespaceSelector") or {}
    if selector.get("any"):
        return all_namespaces
    return list(selector.get("matchNames") or [_ns(monitor)])


def scrape_targets(objects: list, pods: Pods) -> list:
    """(namespace, pod selector, port (number or name), host network or no Service, monitor) of every
    endpoint of every ServiceMonitor and PodMonitor of the set."""
    services = _of(objects, "Service")
    namespaces = sorted({_ns(o) for o in objects if _meta(o).get("namespace")})
    targets = []
    for monitor in _of(objects, "ServiceMonitor"):
        spec = monitor.get("spec") or {}
        for namespace in _monitor_namespaces(monitor, namespaces):
            chosen = [
                s
                for s in services
                if _ns(s) == namespace and selects(spec.get("selector"), _meta(s).get("labels") or {})
            ]
            for endpoint in spec.get("endpoints") or ():
                if not chosen:
                    # A Service the chart does not render (the operator's kubelet Service, kube-system's):
                    # outside the pod network or not ours; the port is the endpoint's, numeric when given.
                    targets.append((namespace, None, endpoint.get("targetPort"), True, monitor))
                for service in chosen:
                    port = _service_port(service, endpoint.get("port"))
                    target = _target(port) if port else endpoint.get("targetPort")
                    selector = (service.get("spec") or {}).get("selector") or {}
                    matched = pods.matching(namespace, {"matchLabels": selector})
                    host = bool(matched) and all(p[3] for p in matched)
                    targets.append((namespace, _selector_of(selector), target, host, monitor))
    for monitor in _of(objects, "PodMonitor"):
        spec = monitor.get("spec") or {}
        selector = spec.get("selector") or {}
        for namespace in _monitor_namespaces(monitor, namespaces):
            for endpoint in spec.get("podMetricsEndpoints") or ():
                port = endpoint.get("port") or endpoint.get("portNumber") or endpoint.get("targetPort")
                targets.append((namespace, dict(selector), port, False, monitor))
    return targets


def webhook_targets(objects: list, extra_services) -> list:
    """(namespace, pod selector, target ports) of the Service of every webhook of the set, and of
    ``extra_services`` ({namespace, name}: every port)."""
    services = {(_ns(s), _name(s)): s for s in _of(objects, "Service")}
    refs = []
    for config in _of(objects, "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"):
        for hook in config.get("webhooks") or ():
            ref = (hook.get("clientConfig") or {}).get("service")
            if ref:
                refs.append((ref.get("namespace"), ref.get("name"), ref.get("port", 443)))
    # An aggregated API (KEDA's external metrics server) is called by the API server the same way.
    for api in _of(objects, "APIService"):
        ref = (api.get("spec") or {}).get("service")
        if ref:
            refs.append((ref.get("namespace"), ref.get("name"), ref.get("port", 443)))
    refs += [(e["namespace"], e["name"], None) for e in extra_services or ()]
    found = {}
    for namespace, name, port in refs:
        service = services.get((namespace, name))
        if service is None:
            continue
        ports = (service.get("spec") or {}).get("ports") or ()
        chosen = [p for p in ports if port is None or p.get("port") == port]
        selector = _selector_of((service.get("spec") or {}).get("selector") or {})
        key = (namespace, repr(selector))
        entry = found.setdefault(key, (namespace, selector, []))
        for p in chosen:
            if _target(p) not in entry[2]:
                entry[2].append(_target(p))
    return list(found.values())


def _ingress_backends(ingress: dict) -> list:
    spec = ingress.get("spec") or {}
    backends = [spec["defaultBackend"]] if spec.get("defaultBackend") else []
    for rule in spec.get("rules") or ():
        backends += [p.get("backend") or {} for p in (rule.get("http") or {}).get("paths") or ()]
    return [b["service"] for b in backends if b.get("service")]


def derive(objects: list, params: dict) -> list:
    """The platform's NetworkPolicies for the rendered ``objects`` (see the module docstring for ``params``)."""
    labels = params.get("labels") or {}
    namespaces = platform_namespaces(objects, params.get("exempt_namespaces"))
    build = Builder(namespaces)
    pods = Pods(objects)
    out = []
    dns = params.get("dns") or {}
    dns_peer = pod_peer(dns.get("namespace", "kube-system"), _selector_of(dns.get("pod_labels") or {}))
    dns_ports = [_np_port(53, "UDP"), _np_port(53, "TCP")]
    cloud_ports = [parse_port(p) for p in params.get("cloud_ports") or (443,)]
    for namespace in namespaces:
        out.append(policy("default-deny", namespace, {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}, labels))
        same = {"podSelector": {}}
        out.append(
            policy(
                "allow-same-namespace",
                namespace,
                {
                    "podSelector": {},
                    "policyTypes": ["Ingress", "Egress"],
                    "ingress": [{"from": [same]}],
                    "egress": [{"to": [same]}],
                },
                labels,
            )
        )
        egress = [{"to": [dns_peer], "ports": dns_ports}, {"to": [ip_peer()], "ports": cloud_ports}]
        extra = (params.get("extra_egress") or {}).get(namespace) or []
        if extra:
            egress.append({"to": [ip_peer()], "ports": [parse_port(p) for p in extra]})
        out.append(
            policy(
                "allow-dns-and-apis",
                namespace,
                {"podSelector": {}, "policyTypes": ["Egress"], "egress": egress},
                labels,
            )
        )
    # Prometheus -> every scraped port.
    scrapers = [
        (
            _ns(p),
            _selector_of({PROMETHEUS_POD_LABELS[0]: PROMETHEUS_POD_LABELS[1], "operator.prometheus.io/name": _name(p)}),
        )
        for p in _of(objects, "Prometheus")
    ]
    for namespace, selector, port, outside, _monitor in scrape_targets(objects, pods):
        if port is None:
            continue
        for source in scrapers:
            if outside or selector is None:
                number = _numeric(port, pods.matching(namespace, selector or {}))
                if number is not None:
                    build.allow_out(source[0], "allow-prometheus-scrape", source[1], ip_peer(), [_np_port(number)])
                continue
            build.flow(source, (namespace, selector), [_np_port(port)], "allow-prometheus-scrape")
    # Scrape targets whose Services no chart renders (the cluster's own: kubelet, CoreDNS): given as params.
    for target in params.get("unrendered_scrape_targets") or ():
        peer = (
            ip_peer(target["cidr"])
            if target.get("cidr")
            else pod_peer(target["namespace"], _selector_of(target.get("pod_labels") or {}))
        )
        for source in scrapers:
            build.allow_out(
                source[0], "allow-prometheus-scrape", source[1], peer, [parse_port(p) for p in target["ports"]]
            )
    # The API server -> webhooks.
    for namespace, selector, ports in webhook_targets(objects, params.get("webhook_services")):
        build.allow_in(namespace, "allow-apiserver-webhooks", selector, ip_peer(), [_np_port(p) for p in ports])
    # Ingress controllers -> Ingress backends and predictors.
    ingress = params.get("ingress") or {}
    external = set(ingress.get("external_controllers") or ())
    classes = {_name(c): (c.get("spec") or {}).get("controller") for c in _of(objects, "IngressClass")}
    controller_peer = (ingress.get("namespace"), _selector_of(ingress.get("pod_labels") or {}))
    services = {(_ns(s), _name(s)): s for s in _of(objects, "Service")}

    def expose(namespace: str, selector: dict, ports: list, klass) -> None:
        if classes.get(klass) in external:
            build.allow_in(namespace, "allow-load-balancer", selector, ip_peer(), ports)
        elif controller_peer[0]:
            build.flow(controller_peer, (namespace, selector), ports, "allow-ingress-controller")

    for item in _of(objects, "Ingress"):
        klass = (item.get("spec") or {}).get("ingressClassName")
        for backend in _ingress_backends(item):
            service = services.get((_ns(item), backend.get("name")))
            ref = (backend.get("port") or {}).get("number") or (backend.get("port") or {}).get("name")
            port = _service_port(service, ref) if service else None
            if port is None:
                continue  # KServe's run-time Services (predictors, the ALB split): the predictors' allow below
            selector = _selector_of((service.get("spec") or {}).get("selector") or {})
            expose(_ns(item), selector, [_np_port(_target(port))], klass)
    # Services the cloud's load balancer sends to (ingress-nginx's controller behind the Azure Load Balancer):
    # from outside the pod network, to their target ports.
    for item in _of(objects, "Service"):
        spec = item.get("spec") or {}
        if spec.get("type") in ("LoadBalancer", "NodePort") and spec.get("selector"):
            ports = [_np_port(_target(p), p.get("protocol", "TCP")) for p in spec.get("ports") or ()]
            build.allow_in(_ns(item), "allow-load-balancer", _selector_of(spec["selector"]), ip_peer(), ports)
    predictor_classes = sorted(
        {(i.get("spec") or {}).get("ingressClassName") for i in _of(objects, "Ingress")} - {None}
    )
    for isvc, ports in predictors(objects):
        selector = _selector_of({ISVC_LABEL: _name(isvc)})
        np_ports = [_np_port(p.get("containerPort"), p.get("protocol", "TCP")) for p in ports]
        for klass in predictor_classes or [None]:
            expose(_ns(isvc), selector, np_ports, klass)
    # Further flows to a Service: its pods and target ports.
    for flow in params.get("flows") or ():
        service = services.get((flow["to_namespace"], flow["to_service"]))
        if service is None:
            continue
        selector = _selector_of((service.get("spec") or {}).get("selector") or {})
        ports = [_np_port(_target(p)) for p in (service.get("spec") or {}).get("ports") or ()]
        source = (flow["from_namespace"], flow.get("from_selector") or {})
        build.flow(source, (flow["to_namespace"], selector), ports, flow["name"])
    return out + build.policies(labels)

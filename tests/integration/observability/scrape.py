"""The Prometheus scrape configuration the Prometheus Operator generates from ServiceMonitors and PodMonitors,
with Kubernetes service discovery replaced by the targets a rendered set would have, bound to local servers.

The operator turns each monitor endpoint into one scrape job whose ``kubernetes_sd_configs`` discover every
endpoint (ServiceMonitor: role endpoints) or pod container port (PodMonitor: role pod) of the selected namespaces,
and whose ``relabel_configs`` keep the targets the monitor selects (by the Service's or pod's labels and the port
name), set the ``namespace``/``service``/``pod``/``container``/``job``/``endpoint`` labels, then apply the
monitor's own ``relabelings``; ``metricRelabelings`` become ``metric_relabel_configs``. Ref prometheus-operator
v0.82 pkg/prometheus/promcfg.go (generateServiceMonitorConfig, generatePodMonitorConfig) and
https://prometheus.io/docs/prometheus/latest/configuration/configuration/#kubernetes_sd_config (meta labels).

Here the discovery is a ``static_configs`` entry per target that a Kubernetes SD would find, carrying the same
``__meta_kubernetes_*`` labels (derived from the rendered Services, pod templates and, for KServe predictors, the
pods KServe would make), with the address of the local server that plays that container port. Prometheus applies
the generated relabelings to them exactly as in a cluster: a selector, port name or relabeling that does not fit
the objects leaves the job without a target, and the live test sees no series.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..platform_checks.manifests import effective_namespace
from ..platform_checks.serving import _predictor_container, matching_runtimes, predictors

_UNSAFE = re.compile(r"[^a-zA-Z0-9_]")


def sanitize(name: str) -> str:
    """A Kubernetes label name as Prometheus's Kubernetes SD writes it into a meta label name."""
    return _UNSAFE.sub("_", name)


@dataclass
class Pod:
    """A pod as the Kubernetes SD sees it: namespace, name, labels, containers with their named ports."""

    namespace: str
    name: str
    labels: Mapping[str, str]
    containers: list[tuple[str, list[Mapping]]]  # (container name, ports [{name, containerPort}])
    workload: str = ""


@dataclass
class Target:
    address: str
    labels: dict = field(default_factory=dict)


def _meta(obj: Mapping) -> Mapping:
    return obj.get("metadata") or {}


def _ns(obj: Mapping) -> str:
    """The object's namespace, or the namespace of the release that installs it (helm template leaves it out)."""
    return effective_namespace(obj) or "default"


def _template(obj: Mapping) -> Mapping | None:
    spec = obj.get("spec") or {}
    if obj.get("kind") in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
        return spec.get("template") or {}
    return None


def pods_of(objs: Iterable[dict]) -> list[Pod]:
    """One pod per workload of the set (its pod template), and one per predictor KServe would make."""
    objs = list(objs)
    pods = []
    for obj in objs:
        template = _template(obj)
        if template is None:
            continue
        name = str(_meta(obj).get("name"))
        podspec = template.get("spec") or {}
        containers = [(str(c.get("name")), list(c.get("ports") or ())) for c in podspec.get("containers") or ()]
        labels = {str(k): str(v) for k, v in (_meta(template).get("labels") or {}).items()}
        pods.append(Pod(_ns(obj), f"{name}-0", labels, containers, name))
    for (namespace, service), found in predictors(objs).items():
        runtime = _runtime_of(objs, found["isvc"])
        container = _predictor_container(found["isvc"], runtime) if runtime else {}
        pods.append(
            Pod(
                namespace,
                f"{service}-0",
                dict(found["pods"]),
                [("kserve-container", list(container.get("ports") or ()))],
                service,
            )
        )
    return pods


def _runtime_of(objs: list[dict], isvc: Mapping) -> Mapping | None:
    runtimes = [o for o in objs if o.get("kind") in ("ServingRuntime", "ClusterServingRuntime")]
    matches = matching_runtimes(isvc, runtimes)
    return matches[0] if matches else None


def services_of(objs: Iterable[dict]) -> list[dict]:
    services = [o for o in objs if o.get("kind") == "Service"]
    services += [found["service"] for found in predictors(list(objs)).values()]
    return services


def _selects(selector: Mapping | None, labels: Mapping) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _pod_meta(pod: Pod, container: str, port: Mapping | None) -> dict:
    labels = {
        "__meta_kubernetes_namespace": pod.namespace,
        "__meta_kubernetes_pod_name": pod.name,
        "__meta_kubernetes_pod_phase": "Running",
        "__meta_kubernetes_pod_ready": "true",
        "__meta_kubernetes_pod_container_name": container,
    }
    for key, value in pod.labels.items():
        labels[f"__meta_kubernetes_pod_label_{sanitize(key)}"] = value
        labels[f"__meta_kubernetes_pod_labelpresent_{sanitize(key)}"] = "true"
    if port:
        labels["__meta_kubernetes_pod_container_port_name"] = str(port.get("name") or "")
        labels["__meta_kubernetes_pod_container_port_number"] = str(port.get("containerPort") or "")
    return labels


def discover(objs: Iterable[dict], bind: Mapping[tuple[str, str, int], str]) -> dict[str, list[Target]]:
    """The targets a Kubernetes SD would find, for the container ports ``bind`` maps to a local address.

    ``bind``: (namespace, workload name, container port number) -> "127.0.0.1:<port>". Returns {"endpoints":
    [...], "pod": [...]}: one endpoints target per (Service port, selected pod), one pod target per container port.
    """
    objs = list(objs)
    pods = pods_of(objs)
    found: dict[str, list[Target]] = {"endpoints": [], "pod": []}
    for pod in pods:
        for container, ports in pod.containers:
            for port in ports:
                address = bind.get((pod.namespace, pod.workload, int(port.get("containerPort") or 0)))
                if address:
                    found["pod"].append(Target(address, _pod_meta(pod, container, port)))
    for service in services_of(objs):
        namespace = _ns(service)
        spec = service.get("spec") or {}
        service_labels = {str(k): str(v) for k, v in (_meta(service).get("labels") or {}).items()}
        for pod in pods:
            if pod.namespace != namespace or not _selects(spec.get("selector"), pod.labels):
                continue
            for service_port in spec.get("ports") or ():
                target_port = service_port.get("targetPort", service_port.get("port"))
                for container, ports in pod.containers:
                    port = next(
                        (p for p in ports if target_port in (p.get("name"), p.get("containerPort"))),
                        None,
                    )
                    if port is None:
                        continue
                    address = bind.get((namespace, pod.workload, int(port.get("containerPort") or 0)))
                    if not address:
                        continue
                    labels = _pod_meta(pod, container, port)
                    labels.update(
                        {
                            "__meta_kubernetes_service_name": str(_meta(service).get("name")),
                            "__meta_kubernetes_endpoint_port_name": str(service_port.get("name") or ""),
                            "__meta_kubernetes_endpoint_port_protocol": "TCP",
                            "__meta_kubernetes_endpoint_ready": "true",
                            "__meta_kubernetes_endpoint_address_target_kind": "Pod",
                            "__meta_kubernetes_endpoint_address_target_name": pod.name,
                        }
                    )
                    for key, value in service_labels.items():
                        labels[f"__meta_kubernetes_service_label_{sanitize(key)}"] = value
                        labels[f"__meta_kubernetes_service_labelpresent_{sanitize(key)}"] = "true"
                    found["endpoints"].append(Target(address, labels))
    return found


# --------------------------------------------------------------------------------------------
# the operator's relabelings


def _selector_relabelings(selector: Mapping | None, kind: str) -> list[dict]:
    """keep/drop rules of a label selector over the Service's (kind "service") or pod's (kind "pod") labels."""
    selector = selector or {}
    rules = []
    for key, value in (selector.get("matchLabels") or {}).items():
        rules.append(
            {
                "action": "keep",
                "source_labels": [
                    f"__meta_kubernetes_{kind}_label_{sanitize(key)}",
                    f"__meta_kubernetes_{kind}_labelpresent_{sanitize(key)}",
                ],
                "regex": f"({value});true",
            }
        )
    for expression in selector.get("matchExpressions") or ():
        key, operator = sanitize(str(expression.get("key"))), expression.get("operator")
        values = "|".join(str(v) for v in expression.get("values") or ())
        both = [f"__meta_kubernetes_{kind}_label_{key}", f"__meta_kubernetes_{kind}_labelpresent_{key}"]
        if operator == "In":
            rules.append({"action": "keep", "source_labels": both, "regex": f"({values});true"})
        elif operator == "NotIn":
            rules.append({"action": "drop", "source_labels": both, "regex": f"({values});true"})
        elif operator == "Exists":
            rules.append({"action": "keep", "source_labels": both[1:], "regex": "true"})
        elif operator == "DoesNotExist":
            rules.append({"action": "drop", "source_labels": both[1:], "regex": "true"})
    return rules


def _user_relabelings(relabelings: Iterable[Mapping] | None) -> list[dict]:
    """A monitor's RelabelConfigs (camelCase) as Prometheus relabel_configs (snake_case)."""
    names = {
        "sourceLabels": "source_labels",
        "targetLabel": "target_label",
        "separator": "separator",
        "regex": "regex",
        "modulus": "modulus",
        "replacement": "replacement",
        "action": "action",
    }
    out = []
    for rule in relabelings or ():
        converted = {names[k]: v for k, v in rule.items() if k in names}
        if "action" in converted:
            converted["action"] = str(converted["action"]).lower()
        out.append(converted)
    return out


def _namespaces(monitor: Mapping) -> list[str] | None:
    """The namespaces a monitor's SD watches; None: every namespace."""
    selector = (monitor.get("spec") or {}).get("namespaceSelector") or {}
    if selector.get("any"):
        return None
    return [str(n) for n in selector.get("matchNames") or ()] or [_ns(monitor)]


def _in_namespaces(targets: list[Target], namespaces: list[str] | None) -> list[dict]:
    return [
        {"targets": [t.address], "labels": t.labels}
        for t in targets
        if namespaces is None or t.labels["__meta_kubernetes_namespace"] in namespaces
    ]


def _endpoint_common(endpoint: Mapping, secrets: Mapping[tuple[str, str, str], str], namespace: str) -> dict:
    job = {
        "metrics_path": endpoint.get("path") or "/metrics",
        "scheme": endpoint.get("scheme") or "http",
        "scrape_interval": "1s",
        "scrape_timeout": "1s",
        "honor_labels": bool(endpoint.get("honorLabels", False)),
    }
    if endpoint.get("params"):
        job["params"] = endpoint["params"]
    auth = endpoint.get("basicAuth")
    if auth:
        # The operator reads the Secret's keys (in the monitor's namespace) into the generated configuration.
        job["basic_auth"] = {
            "username": secrets[(namespace, auth["username"]["name"], auth["username"]["key"])],
            "password": secrets[(namespace, auth["password"]["name"], auth["password"]["key"])],
        }
    metric_relabelings = _user_relabelings(endpoint.get("metricRelabelings"))
    if metric_relabelings:
        job["metric_relabel_configs"] = metric_relabelings
    return job


def _keep(source: str, regex: object) -> dict:
    return {"action": "keep", "source_labels": [source], "regex": str(regex)}


def _copied(kind: str, label: str, target: str) -> dict:
    """Copy the Service's (kind "service") or pod's ("pod") label ``label``, when set, into ``target``."""
    return {
        "source_labels": [f"__meta_kubernetes_{kind}_label_{sanitize(label)}"],
        "target_label": target,
        "regex": "(.+)",
        "replacement": "${1}",
    }


_POD_PHASE_DROP = {"action": "drop", "source_labels": ["__meta_kubernetes_pod_phase"], "regex": "(Failed|Succeeded)"}


def _jobs(monitor: Mapping, endpoints_key: str, targets: list[Target], secrets: Mapping, relabel_of) -> list[dict]:
    """One job per endpoint of ``monitor`` with discovered targets: ``relabel_of(spec, endpoint)`` gives the
    operator's relabelings for the monitor's kind; the monitor's own relabelings come after them."""
    spec = monitor.get("spec") or {}
    namespace, name = _ns(monitor), str(_meta(monitor).get("name"))
    kind = "serviceMonitor" if monitor.get("kind") == "ServiceMonitor" else "podMonitor"
    configs = _in_namespaces(targets, _namespaces(monitor))
    if not configs:
        return []
    jobs = []
    for index, endpoint in enumerate(spec.get(endpoints_key) or ()):
        relabel = [{"source_labels": ["job"], "target_label": "__tmp_prometheus_job_name"}]
        relabel += relabel_of(spec, endpoint)
        relabel += _user_relabelings(endpoint.get("relabelings"))
        job = {"job_name": f"{kind}/{namespace}/{name}/{index}", **_endpoint_common(endpoint, secrets, namespace)}
        job["static_configs"] = configs
        job["relabel_configs"] = relabel
        jobs.append(job)
    return jobs


def _service_monitor_relabelings(spec: Mapping, endpoint: Mapping) -> list[dict]:
    relabel = _selector_relabelings(spec.get("selector"), "service")
    target_port = endpoint.get("targetPort")
    if endpoint.get("port"):
        relabel.append(_keep("__meta_kubernetes_endpoint_port_name", endpoint["port"]))
    elif target_port is not None:
        source = "name" if isinstance(target_port, str) else "number"
        relabel.append(_keep(f"__meta_kubernetes_pod_container_port_{source}", target_port))
    relabel += [
        {
            "source_labels": [
                "__meta_kubernetes_endpoint_address_target_kind",
                "__meta_kubernetes_endpoint_address_target_name",
            ],
            "separator": ";",
            "regex": "Pod;(.*)",
            "replacement": "${1}",
            "target_label": "pod",
        },
        {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
        {"source_labels": ["__meta_kubernetes_service_name"], "target_label": "service"},
        {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
        {"source_labels": ["__meta_kubernetes_pod_container_name"], "target_label": "container"},
        _POD_PHASE_DROP,
    ]
    relabel += [_copied("service", label, sanitize(label)) for label in spec.get("targetLabels") or ()]
    relabel += [_copied("pod", label, sanitize(label)) for label in spec.get("podTargetLabels") or ()]
    relabel.append({"source_labels": ["__meta_kubernetes_service_name"], "target_label": "job", "replacement": "${1}"})
    if spec.get("jobLabel"):
        relabel.append(_copied("service", spec["jobLabel"], "job"))
    port_name = endpoint.get("port") or (target_port if isinstance(target_port, str) else None)
    if port_name:
        relabel.append({"target_label": "endpoint", "replacement": str(port_name)})
    return relabel


def _pod_monitor_relabelings(namespace: str, name: str):
    def relabelings(spec: Mapping, endpoint: Mapping) -> list[dict]:
        relabel = _selector_relabelings(spec.get("selector"), "pod")
        if endpoint.get("port"):
            relabel.append(_keep("__meta_kubernetes_pod_container_port_name", endpoint["port"]))
        elif endpoint.get("portNumber") is not None:
            relabel.append(_keep("__meta_kubernetes_pod_container_port_number", endpoint["portNumber"]))
        relabel += [
            {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
            {"source_labels": ["__meta_kubernetes_pod_container_name"], "target_label": "container"},
            {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
            _POD_PHASE_DROP,
        ]
        relabel += [_copied("pod", label, sanitize(label)) for label in spec.get("podTargetLabels") or ()]
        relabel.append({"target_label": "job", "replacement": f"{namespace}/{name}"})
        if spec.get("jobLabel"):
            relabel.append(_copied("pod", spec["jobLabel"], "job"))
        if endpoint.get("port"):
            relabel.append({"target_label": "endpoint", "replacement": str(endpoint["port"])})
        return relabel

    return relabelings


def service_monitor_jobs(monitor: Mapping, found: Mapping[str, list[Target]], secrets: Mapping) -> list[dict]:
    return _jobs(monitor, "endpoints", found["endpoints"], secrets, _service_monitor_relabelings)


def pod_monitor_jobs(monitor: Mapping, found: Mapping[str, list[Target]], secrets: Mapping) -> list[dict]:
    relabelings = _pod_monitor_relabelings(_ns(monitor), str(_meta(monitor).get("name")))
    return _jobs(monitor, "podMetricsEndpoints", found["pod"], secrets, relabelings)


def scrape_configs(
    objs: Iterable[dict],
    bind: Mapping[tuple[str, str, int], str],
    secrets: Mapping[tuple[str, str, str], str] | None = None,
) -> list[dict]:
    """The scrape jobs of every ServiceMonitor and PodMonitor of ``objs`` that has a discovered target.

    ``secrets``: (namespace, Secret name, key) -> value, for the monitors' basicAuth references.
    """
    objs = list(objs)
    found = discover(objs, bind)
    jobs = []
    for monitor in objs:
        if not str(monitor.get("apiVersion", "")).startswith("monitoring.coreos.com/"):
            continue
        if monitor.get("kind") == "ServiceMonitor":
            jobs += service_monitor_jobs(monitor, found, secrets or {})
        elif monitor.get("kind") == "PodMonitor":
            jobs += pod_monitor_jobs(monitor, found, secrets or {})
    return jobs

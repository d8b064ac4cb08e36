"""Serving behaviour: what KServe will make at run time from the rendered InferenceServices, and whether the
platform's traffic split, runtimes and KServe's own Ingresses fit it.

No rendered object shows a predictor's Service, its pods or the Ingress KServe makes per InferenceService: the
controller creates them at run time. This module models them from the KServe v0.16.0 source (paths below are
in github.com/kserve/kserve at tag v0.16.0) in Standard (RawDeployment) mode, so the checks can follow a public
host's backends down to the predictor pods offline:

- Service ``<isvc>-predictor`` (``constants.PredictorServiceName``, pkg/constants/constants.go), in the
  InferenceService's namespace, made by ``createDefaultSvc`` in
  pkg/controller/v1beta1/inferenceservice/reconcilers/service/service_reconciler.go: the first port is
  ``port: 80`` (``constants.CommonDefaultHttpPort``) with ``targetPort`` and ``name`` the first containerPort of
  the pod's first container (the predictor's ``kserve-container``; a ``transformer-container`` instead when
  there is one); every further containerPort becomes a port of the same number; a container without ports gets
  one port named ``<isvc>-predictor`` to 8080. A logger or batcher sends the first port to the agent on 9081.
  Selector: ``{app: isvc.<isvc>-predictor}`` only (``constants.GetRawServiceLabel``).
- Predictor pods (``buildObjectMeta`` in pkg/controller/v1beta1/inferenceservice/components/predictor.go and
  ``createRawDeployment`` in reconcilers/deployment/deployment_reconciler.go): labels are the union, later
  winning, of the ServingRuntime's ``spec.labels``, the InferenceService's labels, ``spec.predictor.labels`` and
  ``{serving.kserve.io/inferenceservice: <isvc>, component: predictor}``, plus ``app: isvc.<isvc>-predictor``.
- The runtime (``reconcileModel`` in components/predictor.go; ``GetSupportingRuntimes`` and
  ``RuntimeSupportsModel`` in pkg/apis/serving/v1beta1/predictor_model.go; ``GetServingRuntime`` in
  pkg/controller/v1beta1/inferenceservice/utils/utils.go): an explicit ``spec.predictor.model.runtime`` names a
  ServingRuntime of the InferenceService's namespace, else a ClusterServingRuntime of that name; it must not be
  disabled, must list the model format as ``name`` + ``version`` exactly (``mt:<name>:<version>``; autoSelect
  does not matter then), and when the InferenceService sets ``protocolVersion`` list it in
  ``protocolVersions`` (or list none). Without an explicit runtime KServe takes the first of the runtimes that
  are enabled, single-model, not multi-node, list the format with ``autoSelect: true`` and support the protocol
  (``v1`` when unset): the namespace's first, ordered by ``priority`` of the format, then the cluster's.
- KServe's own Ingress (``createRawIngress`` in reconcilers/ingress/kube_ingress_reconciler.go): named
  ``<isvc>``, ``ingressClassName`` from the ``ingress`` JSON of the inferenceservice-config ConfigMap, the
  InferenceService's own annotations copied verbatim, no ``tls`` section, host from ``domainTemplate`` over
  ``ingressDomain``; none when ``disableIngressCreation`` is true or the domain is ``svc.cluster.local``.
  ``NewIngressConfig`` (pkg/apis/serving/v1beta1/configmap.go) refuses a config without ``ingressGateway``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from .behaviour import Result, _annotations, _spec, is_nginx_canary, who
from .wiring import _labels, _meta, _ns, selector_matches

ISVC_LABEL = "serving.kserve.io/inferenceservice"
SERVING_LABEL = "platform.mlops/serving"
TRACK_LABEL = "platform.mlops/track"
ALB = "alb.ingress.kubernetes.io/"
NGINX = "nginx.ingress.kubernetes.io/"
PROMETHEUS_PORT = "prometheus.kserve.io/port"
# pkg/constants/constants.go: CommonDefaultHttpPort, InferenceServiceDefaultHttpPort, InferenceServiceDefaultAgentPort.
SERVICE_PORT = 80
DEFAULT_CONTAINER_PORT = 8080
AGENT_PORT = 9081
RUNTIME_KINDS = ("ServingRuntime", "ClusterServingRuntime")


# --------------------------------------------------------------------------------------------
# KServe's model


def _mapping(value) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def predictor_name(isvc: Mapping) -> str:
    """``<isvc>-predictor``: the Deployment, Service (and HPA) KServe makes for the predictor."""
    return f"{_meta(isvc).get('name')}-predictor"


def _model(isvc: Mapping) -> Mapping:
    return _mapping(_mapping(_spec(isvc).get("predictor")).get("model"))


def _format_labels(runtime: Mapping, explicit: bool) -> set:
    """``getServingRuntimeSupportedModelFormatLabelSet``: ``mt:<name>`` and ``mt:<name>:<version>`` of every
    supported format (only the autoSelect ones unless the InferenceService names the runtime)."""
    labels = set()
    for entry in _spec(runtime).get("supportedModelFormats") or ():
        entry = _mapping(entry)
        if explicit or entry.get("autoSelect") is True:
            labels.add(f"mt:{entry.get('name')}")
            if entry.get("version") is not None:
                labels.add(f"mt:{entry.get('name')}:{entry.get('version')}")
    return labels


def _format_label(isvc: Mapping) -> str:
    model_format = _mapping(_model(isvc).get("modelFormat"))
    version = model_format.get("version")
    return f"mt:{model_format.get('name')}" + (f":{version}" if version is not None else "")


def runtime_reasons(isvc: Mapping, runtime: Mapping, explicit: bool) -> list[str]:
    """Why KServe would refuse ``runtime`` for ``isvc`` (empty: it accepts it)."""
    spec, model = _spec(runtime), _model(isvc)
    reasons = []
    if spec.get("disabled") is True:
        reasons.append("it is disabled")
    if _format_label(isvc) not in _format_labels(runtime, explicit):
        wanted = _format_label(isvc)[3:]
        listed = sorted(label[3:] for label in _format_labels(runtime, True) if label.count(":") == 2)
        reasons.append(
            f"it lists no model format {wanted} ({'explicit' if explicit else 'autoSelect'}; lists {listed})"
        )
    protocols = [str(p) for p in spec.get("protocolVersions") or ()]
    protocol = model.get("protocolVersion")
    if protocol is None and not explicit:
        protocol = "v1"  # ModelSpec.GetProtocol: v1 when unset (only the auto-selection asks)
    if protocol is not None and protocols and str(protocol) not in protocols:
        reasons.append(f"it speaks {protocols}, not protocol {protocol}")
    if not explicit and (spec.get("multiModel") is True or spec.get("workerSpec") is not None):
        reasons.append("it is a multi-model or multi-node runtime")
    return reasons


def _priority(runtime: Mapping, format_name) -> int:
    for entry in _spec(runtime).get("supportedModelFormats") or ():
        entry = _mapping(entry)
        if entry.get("name") == format_name and isinstance(entry.get("priority"), int):
            return entry["priority"]
    return -1


def matching_runtimes(isvc: Mapping, runtimes: Iterable[Mapping]) -> list[dict]:
    """The runtimes KServe accepts for ``isvc``, in its order of preference (it takes the first).

    With an explicit ``spec.predictor.model.runtime``: the one it names (the namespace's ServingRuntime, else the
    ClusterServingRuntime), if it supports the model. Without: every auto-selectable supporting runtime."""
    runtimes = [r for r in runtimes if r.get("kind") in RUNTIME_KINDS]
    namespace = _ns(isvc)
    local = [r for r in runtimes if r.get("kind") == "ServingRuntime" and _ns(r) == namespace]
    cluster = [r for r in runtimes if r.get("kind") == "ClusterServingRuntime"]
    name = _model(isvc).get("runtime")
    if name is not None:
        named = [r for r in local if _meta(r).get("name") == name] or [
            r for r in cluster if _meta(r).get("name") == name
        ]
        return [r for r in named[:1] if not runtime_reasons(isvc, r, explicit=True)]
    format_name = _mapping(_model(isvc).get("modelFormat")).get("name")
    ordered = []
    for group in (local, cluster):
        supporting = [r for r in group if not runtime_reasons(isvc, r, explicit=False)]
        ordered += sorted(supporting, key=lambda r: -_priority(r, format_name))
    return ordered


def _predictor_container(isvc: Mapping, runtime: Mapping) -> dict:
    """The pod's first container: the runtime's ``kserve-container`` merged with the model's fields
    (``MergeRuntimeContainers``: the InferenceService's ports replace or add by containerPort, its env by name,
    its args after the runtime's)."""
    base = next(
        (_mapping(c) for c in _spec(runtime).get("containers") or () if _mapping(c).get("name") == "kserve-container"),
        {},
    )
    container = dict(base)
    model = _model(isvc)
    ports = {p.get("containerPort"): dict(p) for p in base.get("ports") or () if isinstance(p, Mapping)}
    for port in model.get("ports") or ():
        if isinstance(port, Mapping):
            ports[port.get("containerPort")] = {**ports.get(port.get("containerPort"), {}), **port}
    container["ports"] = list(ports.values())
    # Strategic merge: env by name, command replaced; args concatenated, the runtime's first
    # (MergeRuntimeContainers, pkg/controller/v1beta1/inferenceservice/utils/utils.go).
    env = {str(e.get("name")): dict(e) for e in base.get("env") or () if isinstance(e, Mapping)}
    env.update({str(e.get("name")): dict(e) for e in model.get("env") or () if isinstance(e, Mapping)})
    if env:
        container["env"] = list(env.values())
    if model.get("command"):
        container["command"] = model["command"]
    container["args"] = [*(base.get("args") or ()), *(model.get("args") or ())]
    return container


def predictor_pod_labels(isvc: Mapping, runtime: Mapping | None = None) -> dict:
    """The labels KServe puts on the predictor pods of ``isvc`` (served by ``runtime``)."""
    predictor = _mapping(_spec(isvc).get("predictor"))
    labels: dict = {}
    for source in (_spec(runtime or {}).get("labels"), _labels(_meta(isvc)), predictor.get("labels")):
        labels.update({str(k): str(v) for k, v in _mapping(source).items()})
    labels[ISVC_LABEL] = str(_meta(isvc).get("name"))
    labels["component"] = "predictor"
    labels["app"] = f"isvc.{predictor_name(isvc)}"
    return labels


def predictor_service(isvc: Mapping, runtime: Mapping) -> dict:
    """The Service KServe makes for the predictor of ``isvc`` when ``runtime`` serves it."""
    name = predictor_name(isvc)
    predictor = _mapping(_spec(isvc).get("predictor"))
    transformer = next(
        (_mapping(c) for c in predictor.get("containers") or () if _mapping(c).get("name") == "transformer-container"),
        None,
    )
    container = transformer or _predictor_container(isvc, runtime)
    declared = [p for p in container.get("ports") or () if isinstance(p, Mapping)]
    if declared:
        first = declared[0]
        ports = [{"name": first.get("name"), "port": SERVICE_PORT, "targetPort": first.get("containerPort")}]
        ports += [
            {"name": p.get("name"), "port": p.get("containerPort"), "targetPort": p.get("containerPort")}
            for p in declared[1:]
        ]
    else:
        ports = [{"name": name, "port": SERVICE_PORT, "targetPort": DEFAULT_CONTAINER_PORT}]
    if predictor.get("logger") or predictor.get("batcher"):
        ports[0]["targetPort"] = AGENT_PORT
    meta = {"name": name, "namespace": _ns(isvc), "labels": predictor_pod_labels(isvc, runtime)}
    meta["labels"].pop("app")
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta,
        "spec": {"selector": {"app": f"isvc.{name}"}, "ports": ports},
    }


def _env(container: Mapping) -> dict:
    return {str(e.get("name")): e.get("value") for e in container.get("env") or () if isinstance(e, Mapping)}


def _arg(container: Mapping, flag: str):
    args = [str(a) for a in (container.get("command") or []) + (container.get("args") or [])]
    for index, arg in enumerate(args):
        if arg.startswith(flag + "="):
            return arg.split("=", maxsplit=1)[1]
        if arg == flag and index + 1 < len(args):
            return args[index + 1]
    return None


def metrics_port(container: Mapping) -> int | None:
    """The port the server in ``container`` serves Prometheus metrics on, where the server is known.

    MLServer (image ``<registry>/mlserver``): ``MLSERVER_METRICS_PORT``, default 8082 (``Settings.metrics_port`` in
    mlserver/settings.py, SeldonIO/MLServer 1.5.0; env prefix ``MLSERVER_``). vLLM's OpenAI server (image
    ``vllm*``): ``/metrics`` on the API port itself, ``--port``, default 8000 (``FrontendArgs.port`` in
    vllm/entrypoints/openai/cli_args.py). Other servers: None (the annotation must name a declared port)."""
    repository = str(container.get("image") or "").split("@", maxsplit=1)[0]
    last = repository.rsplit("/", maxsplit=1)[-1].split(":", maxsplit=1)[0]  # seldonio/mlserver, vllm/vllm-openai
    try:
        if last == "mlserver":
            return int(_env(container).get("MLSERVER_METRICS_PORT") or 8082)
        if last.startswith("vllm"):
            return int(_arg(container, "--port") or 8000)
    except ValueError:
        return None
    return None


def kserve_ingress(isvc: Mapping, config: Mapping) -> dict | None:
    """The Ingress KServe makes for ``isvc`` from the ``ingress`` JSON ``config`` (None when it makes none)."""
    domain = config.get("ingressDomain") or ""
    if config.get("disableIngressCreation") is True or domain == "svc.cluster.local":
        return None
    if _labels(_meta(isvc)).get("networking.kserve.io/visibility") == "cluster-local":
        return None
    template = config.get("domainTemplate") or "{{ .Name }}-{{ .Namespace }}.{{ .IngressDomain }}"
    host = (
        template.replace("{{ .Name }}", str(_meta(isvc).get("name")))
        .replace("{{ .Namespace }}", _ns(isvc))
        .replace("{{ .IngressDomain }}", domain)
    )
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": _meta(isvc).get("name"), "namespace": _ns(isvc), "annotations": dict(_annotations(isvc))},
        "spec": {
            "ingressClassName": config.get("ingressClassName"),
            "rules": [{"host": host, "http": {"paths": [_path_to(predictor_name(isvc), SERVICE_PORT)]}}],
        },
    }


def _path_to(service: str, port: int) -> dict:
    return {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": service, "port": {"number": port}}}}


# --------------------------------------------------------------------------------------------
# what the set will run


def _isvcs(objs: Iterable[dict]) -> list[dict]:
    return [o for o in objs if o.get("kind") == "InferenceService"]


def _runtimes(objs: Iterable[dict]) -> list[dict]:
    return [o for o in objs if o.get("kind") in RUNTIME_KINDS]


def predictors(objs: Iterable[dict]) -> dict:
    """(namespace, Service name) -> {isvc, service, pods (labels)} for every InferenceService of the set that
    exactly one runtime serves (KServe makes no Deployment without one)."""
    objs = list(objs)
    runtimes = _runtimes(objs)
    found = {}
    for isvc in _isvcs(objs):
        matches = matching_runtimes(isvc, runtimes)
        if matches:
            service = predictor_service(isvc, matches[0])
            found[(_ns(isvc), service["metadata"]["name"])] = {
                "isvc": isvc,
                "service": service,
                "pods": predictor_pod_labels(isvc, matches[0]),
            }
    return found


# --------------------------------------------------------------------------------------------
# canary_split


def _backends(ingress: Mapping) -> list[tuple[str, str, dict]]:
    """(host, path, backend service) of every rule path of ``ingress`` (host "" for none)."""
    found = []
    for rule in _spec(ingress).get("rules") or ():
        for path in _mapping(_mapping(rule).get("http")).get("paths") or ():
            service = _mapping(_mapping(_mapping(path).get("backend")).get("service"))
            found.append((str(_mapping(rule).get("host") or ""), str(_mapping(path).get("path") or "/"), service))
    return found


def _port_ref(port) -> tuple:
    """A service port reference as ("number", n) or ("name", s)."""
    if isinstance(port, Mapping):
        if port.get("number") is not None:
            return ("number", port.get("number"))
        return ("name", port.get("name"))
    if isinstance(port, int) and not isinstance(port, bool):
        return ("number", port)
    if isinstance(port, str) and port.isdigit():
        return ("number", int(port))
    return ("name", port)


def _targets(ingress: Mapping, service: Mapping, problems: list) -> list[tuple[str, tuple, object]]:
    """(service, port ref, weight) the backend ``service`` of ``ingress`` sends to (an ALB action expanded)."""
    port = _port_ref(service.get("port"))
    if port != ("name", "use-annotation"):
        return [(str(service.get("name")), port, None)]
    key = f"{ALB}actions.{service.get('name')}"
    text = _annotations(ingress).get(key)
    if text is None:
        problems.append(f"{who(ingress)}: its backend is the action {service.get('name')!r}, but no {key} defines it")
        return []
    try:
        action = json.loads(text)
    except (TypeError, ValueError) as err:
        problems.append(f"{who(ingress)}: {key} is not JSON ({err}): the controller refuses the Ingress")
        return []
    groups = _mapping(_mapping(action).get("forwardConfig")).get("targetGroups")
    if _mapping(action).get("type") != "forward" or not isinstance(groups, list) or not groups:
        problems.append(f"{who(ingress)}: {key} is no forward action with forwardConfig.targetGroups")
        return []
    targets = []
    for group in groups:
        group = _mapping(group)
        if "serviceName" not in group:
            problems.append(f"{who(ingress)}: {key} forwards to {group!r}, not to a Service of the cluster")
            continue
        targets.append((str(group["serviceName"]), _port_ref(group.get("servicePort")), group.get("weight")))
    return targets


def _canary_weight(ingress: Mapping, problems: list):
    annotations = _annotations(ingress)
    total_text = annotations.get(NGINX + "canary-weight-total", "100")
    text = annotations.get(NGINX + "canary-weight")
    if not (isinstance(text, str) and text.isdigit() and str(total_text).isdigit()):
        problems.append(
            f"{who(ingress)}: canary-weight {text!r} (of {total_text!r}) is no whole number: ingress-nginx sends the "
            "canary nothing by weight"
        )
        return None
    weight, total = int(text), int(total_text)
    if total != 100 or not 0 <= weight <= total:
        problems.append(f"{who(ingress)}: canary-weight {weight} of {total} is not a percent (0..100 of 100)")
        return None
    return weight


def canary_split(objs: Iterable[dict]) -> Result:
    """Every Ingress that routes to KServe predictor Services splits one host between the stable and the canary
    predictor of one serving, as KServe will make them.

    AWS: the ``actions.<name>`` forward annotation parses, its weights are integers summing to 100. ingress-nginx:
    a canary Ingress has a non-canary twin of the same class, host and path, and its canary-weight is 0..100.
    Every target is the ``<isvc>-predictor`` Service of an InferenceService of the set that a runtime serves, on
    a port that Service has, selecting that InferenceService's predictor pods and no other's; a host's stable and
    canary targets are two InferenceServices of the same serving (``platform.mlops/serving``), tracks stable and
    canary; every canary InferenceService of a served host gets a share. Examined: one entry per route (host and
    path of an Ingress) and per target."""
    objs = list(objs)
    result = Result("canary_split")
    served = predictors(objs)
    ingresses = [o for o in objs if o.get("kind") == "Ingress"]
    # (namespace, class, host, path) -> [(Ingress, service, port, weight)]
    routes: dict = {}
    for ingress in ingresses:
        for host, path, service in _backends(ingress):
            targets = _targets(ingress, service, result.problems)
            if not any(
                (_ns(ingress), name) in served or name.endswith("-predictor") for name, _port, _w in targets
            ) and not is_nginx_canary(ingress):
                continue
            key = (_ns(ingress), _spec(ingress).get("ingressClassName"), host, path)
            if is_nginx_canary(ingress):
                weight = _canary_weight(ingress, result.problems)
                if weight is None:
                    continue
                targets = [(name, port, weight) for name, port, _w in targets]
            routes.setdefault(key, []).extend((ingress, name, port, w) for name, port, w in targets)
    canaries_served = set()
    for (namespace, class_name, host, path), entries in sorted(routes.items(), key=lambda item: str(item[0])):
        route = f"{host or '*'}{path} ({class_name}, {namespace})"
        result.examined.append(f"route {route}")
        canary_entries = [e for e in entries if is_nginx_canary(e[0])]
        stable_entries = [e for e in entries if not is_nginx_canary(e[0])]
        if canary_entries and not stable_entries:
            result.problems.append(
                f"{who(canary_entries[0][0])}: a canary Ingress for {route} without a non-canary Ingress of the same "
                "class, host and path: ingress-nginx ignores a canary that has no main Ingress to split"
            )
            continue
        if len({who(e[0]) for e in canary_entries}) > 1:
            result.problems.append(f"{route}: more than one canary Ingress; ingress-nginx uses one")
        weights = []
        if canary_entries:
            canary_weight = sum(w for _i, _n, _p, w in canary_entries[:1])
            if len(stable_entries) != 1:
                result.problems.append(f"{route}: {len(stable_entries)} main Ingress backends beside the canary")
            weights = [(e, 100 - canary_weight) for e in stable_entries[:1]] + [(canary_entries[0], canary_weight)]
        else:
            action = [e for e in stable_entries if e[3] is not None]
            if action:
                bad = [w for *_rest, w in action if isinstance(w, bool) or not isinstance(w, int)]
                if bad:
                    result.problems.append(
                        f"{who(action[0][0])}: the weights {bad!r} of {route} are not integers: the controller "
                        "refuses the action"
                    )
                    continue
                total = sum(w for *_rest, w in action)
                if total != 100:
                    result.problems.append(
                        f"{who(action[0][0])}: the weights of {route} sum to {total}, not 100: the canary's share "
                        "is not the percent the inventory set"
                    )
            weights = [(e, 100 if e[3] is None else e[3]) for e in stable_entries]
        isvcs = []
        for (ingress, name, port, _w), weight in weights:
            result.examined.append(f"{who(ingress)} -> Service/{namespace}/{name} ({weight}%)")
            target = served.get((namespace, name))
            if target is None:
                result.problems.append(
                    f"{who(ingress)}: sends {weight}% of {route} to Service/{namespace}/{name}, which KServe never "
                    "makes (no InferenceService of the set served by a runtime has that predictor): those requests "
                    "fail with 503"
                )
                continue
            service = target["service"]
            kind, value = port
            known = [p.get(kind if kind == "name" else "port") for p in service["spec"]["ports"]]
            if value not in known:
                result.problems.append(
                    f"{who(ingress)}: sends {route} to Service/{namespace}/{name} port {value!r}, but KServe's Service "
                    f"has ports {known!r} (kserve v0.16.0 service_reconciler.go): the load balancer finds no endpoint"
                )
            selector = {"matchLabels": service["spec"]["selector"]}
            if not selector_matches(selector, target["pods"]):
                result.problems.append(f"Service/{namespace}/{name}: its selector misses its own predictor pods")
            others = [
                key[1]
                for key, other in served.items()
                if other is not target and selector_matches(selector, other["pods"])
            ]
            if others:
                result.problems.append(f"Service/{namespace}/{name}: its selector also selects the pods of {others}")
            isvcs.append((target["isvc"], weight))
        _check_tracks(route, isvcs, result)
        canaries_served |= {who(isvc) for isvc, weight in isvcs if weight > 0}
    _check_canaries_served(objs, routes, served, canaries_served, result)
    return result


def _check_tracks(route: str, isvcs: list, result: Result) -> None:
    names = [who(isvc) for isvc, _w in isvcs]
    if len(set(names)) != len(names):
        result.problems.append(f"{route}: sends to {names}, one InferenceService twice: no split")
    if len(isvcs) < 2:
        return
    servings = {_labels(_meta(isvc)).get(SERVING_LABEL) for isvc, _w in isvcs}
    if len(servings) != 1 or None in servings:
        result.problems.append(
            f"{route}: splits between InferenceServices of servings {sorted(map(str, servings))}: a host serves one "
            f"model, its stable and canary predictors (label {SERVING_LABEL})"
        )
    tracks = sorted(str(_labels(_meta(isvc)).get(TRACK_LABEL)) for isvc, _w in isvcs)
    if tracks != ["canary", "stable"]:
        result.problems.append(f"{route}: splits between tracks {tracks}, not one stable and one canary predictor")


def _check_canaries_served(objs, routes, served, canaries_served, result: Result) -> None:
    """A canary InferenceService whose serving has a public route must get a share of it."""
    routed_servings = set()
    for entries in routes.values():
        for ingress, name, _port, _w in entries:
            target = served.get((_ns(ingress), name))
            if target is not None:
                routed_servings.add(_labels(_meta(target["isvc"])).get(SERVING_LABEL))
    for isvc in _isvcs(objs):
        labels = _labels(_meta(isvc))
        routed = labels.get(SERVING_LABEL) in routed_servings
        if labels.get(TRACK_LABEL) == "canary" and routed and who(isvc) not in canaries_served:
            result.problems.append(
                f"{who(isvc)}: the canary of {labels.get(SERVING_LABEL)} gets no share of its public host: it "
                "runs, and no request reaches it"
            )


# --------------------------------------------------------------------------------------------
# isvc_runtime_match


def isvc_runtime_match(objs: Iterable[dict]) -> Result:
    """Every InferenceService is served by exactly one runtime of the set (format name and version, protocol;
    an explicit runtime must exist and support them), and that runtime's ``prometheus.kserve.io/port`` is the
    port its server serves metrics on. Examined: one entry per InferenceService and per runtime it uses."""
    objs = list(objs)
    result = Result("isvc_runtime_match")
    runtimes = _runtimes(objs)
    used = {}
    for isvc in _isvcs(objs):
        result.examined.append(who(isvc))
        model = _model(isvc)
        explicit = model.get("runtime") is not None
        matches = matching_runtimes(isvc, runtimes)
        wanted = f"model format {_format_label(isvc)[3:]}, protocol {model.get('protocolVersion') or 'unset'}"
        if explicit and not matches:
            named = [r for r in runtimes if _meta(r).get("name") == model.get("runtime")]
            why = "; ".join(runtime_reasons(isvc, named[0], True)) if named else "no runtime of that name in the set"
            result.problems.append(
                f"{who(isvc)}: names runtime {model.get('runtime')!r} for {wanted}, which KServe refuses ({why}): "
                "the predictor never starts"
            )
            continue
        if not matches:
            result.problems.append(f"{who(isvc)}: no runtime of the set supports {wanted}: the predictor never starts")
            continue
        if not explicit and len(matches) > 1:
            result.problems.append(
                f"{who(isvc)}: {len(matches)} runtimes auto-select {wanted} ({[who(r) for r in matches]}): which one "
                "serves depends on priorities and creation times; name the runtime"
            )
        used[who(matches[0])] = matches[0]
    # The runtimes the set's InferenceServices use, and every other enabled runtime whose server is known: users'
    # own InferenceServices auto-select those (the chart's kserve-mlserver announces 8080; MLServer serves 8082).
    for runtime in runtimes:
        known = metrics_port(_kserve_container(runtime)) is not None and _spec(runtime).get("disabled") is not True
        if known and who(runtime) not in used:
            used[who(runtime)] = runtime
    for name in sorted(used):
        result.problems += _metrics_problems(name, used[name])
        result.examined.append(f"{name} metrics")
    return result


def _kserve_container(runtime: Mapping) -> Mapping:
    containers = [_mapping(c) for c in _spec(runtime).get("containers") or ()]
    return next((c for c in containers if c.get("name") == "kserve-container"), {})


def _metrics_problems(name: str, runtime: Mapping) -> list[str]:
    """Whether the runtime's ``prometheus.kserve.io/port`` (ServingRuntimePodSpec.annotations: KServe puts them on
    the predictor pods, where Prometheus reads them) is the port its server serves metrics on."""
    port = _mapping(_spec(runtime).get("annotations")).get(PROMETHEUS_PORT)
    container = _kserve_container(runtime)
    serves = metrics_port(container)
    declared = [p.get("containerPort") for p in container.get("ports") or () if isinstance(p, Mapping)]
    if port is None:
        return [f"{name}: no {PROMETHEUS_PORT} annotation: Prometheus never scrapes its predictors"]
    if not str(port).isdigit() or (serves is not None and int(port) != serves):
        return [
            f"{name}: {PROMETHEUS_PORT} is {port!r}, but its server ({container.get('image')}) serves metrics on "
            f"{serves}: Prometheus scrapes a port without metrics (fix the annotation, or disable the runtime)"
        ]
    if serves is None and int(port) not in declared:
        return [f"{name}: {PROMETHEUS_PORT} {port!r} is none of its container's ports {declared}"]
    return []


# --------------------------------------------------------------------------------------------
# kserve_ingress_config


def _ingress_config(objs: Iterable[dict]) -> tuple[dict | None, dict]:
    for obj in objs:
        if obj.get("kind") == "ConfigMap" and _meta(obj).get("name") == "inferenceservice-config":
            return obj, _mapping(obj.get("data"))
    return None, {}


def kserve_ingress_config(objs: Iterable[dict], expected: Mapping) -> Result:
    """The ``ingress`` JSON of the rendered inferenceservice-config, and the Ingress KServe makes from it per
    InferenceService, expose the predictors as the platform wishes.

    ``expected``: ``cloud`` (platform_cloud), ``scheme`` (kserve_ingress_scheme), ``domain``
    (kserve_ingress_domain, "" for none) and ``tls`` (whether the platform's hosts are HTTPS). The ConfigMap parses,
    names an ``ingressGateway`` (KServe refuses the config without one), its class is the one the cloud profile uses
    for that scheme, its domain is ``domain``; with a domain KServe makes Ingresses (disableIngressCreation false)
    and its URLs are https when ``tls``. Each InferenceService's annotations, which KServe copies onto its Ingress,
    give the load balancer the scheme (ALB: ``scheme``, target-type ip as the predictor Service is ClusterIP, the
    platform's group of that scheme). Examined: the ConfigMap and one entry per InferenceService's Ingress."""
    from ansible_collections.mlops.platform.plugins.module_utils._cloud import get_profile

    objs = list(objs)
    result = Result("kserve_ingress_config")
    configmap, data = _ingress_config(objs)
    if configmap is None:
        if _isvcs(objs):
            result.problems.append("no inferenceservice-config ConfigMap: KServe's controller does not start")
        return result
    result.examined.append(who(configmap))
    try:
        config = json.loads(data.get("ingress") or "")
    except ValueError as err:
        result.problems.append(f"{who(configmap)}: its ingress JSON does not parse ({err}): KServe refuses it")
        return result
    profile = get_profile(expected["cloud"])
    domain, scheme = expected.get("domain") or "", expected["scheme"]
    wanted_class = profile.ingress_class_for(scheme)
    problems = []
    if not config.get("ingressGateway"):
        problems.append("ingressGateway is empty: NewIngressConfig refuses the config (kserve v0.16.0 configmap.go)")
    if config.get("ingressClassName") != wanted_class:
        problems.append(
            f"ingressClassName is {config.get('ingressClassName')!r}, but {scheme} Ingresses on {profile.name} are "
            f"class {wanted_class!r}: no controller (or the wrong load balancer) serves KServe's Ingresses"
        )
    if domain:
        if config.get("ingressDomain") != domain:
            problems.append(f"ingressDomain is {config.get('ingressDomain')!r}, not kserve_ingress_domain {domain!r}")
        if config.get("disableIngressCreation") is not False:
            problems.append(
                f"disableIngressCreation is {config.get('disableIngressCreation')!r} with the domain {domain!r} set: "
                "KServe makes no Ingress and the predictors' URLs lead nowhere"
            )
        if expected.get("tls") and config.get("urlScheme") != "https":
            problems.append(f"urlScheme is {config.get('urlScheme')!r}, but the hosts are HTTPS only")
    elif config.get("disableIngressCreation") is not True:
        problems.append("disableIngressCreation is not true without kserve_ingress_domain: Ingresses of example.com")
    result.problems += [f"{who(configmap)}: {p}" for p in problems]
    for isvc in _isvcs(objs):
        ingress = kserve_ingress(isvc, config)
        if ingress is None:
            continue
        result.examined.append(f"{who(isvc)} -> KServe's Ingress {ingress['spec']['rules'][0]['host']}")
        annotations = ingress["metadata"]["annotations"]
        if profile.ingress_controller == "aws_load_balancer_controller":
            wanted = {ALB + "scheme": scheme, ALB + "target-type": "ip"}
            group = annotations.get(ALB + "group.name")
            suffix = "-internal" if scheme == "internal" else "-public"
            for key, value in wanted.items():
                if annotations.get(key) != value:
                    result.problems.append(
                        f"{who(isvc)}: KServe copies its annotations onto its Ingress, and {key} is "
                        f"{annotations.get(key)!r}, not {value!r}: the predictor is exposed wrongly or not at all"
                    )
            if group is not None and not str(group).endswith(suffix):
                result.problems.append(f"{who(isvc)}: group.name {group!r} joins a load balancer of the other scheme")
        elif any(key.startswith(ALB) for key in annotations):
            result.problems.append(f"{who(isvc)}: ALB annotations on an {profile.ingress_class} cloud")
    return result


# --------------------------------------------------------------------------------------------
# predictors_guarded


def _replicas(isvc: Mapping) -> int:
    value = _mapping(_spec(isvc).get("predictor")).get("minReplicas")
    return value if isinstance(value, int) and not isinstance(value, bool) else 1


def _allows_eviction(pdb: Mapping, replicas: int) -> bool:
    """Whether a PodDisruptionBudget lets a drain evict one of ``replicas`` ready pods (integers only)."""
    spec = _spec(pdb)
    if isinstance(spec.get("maxUnavailable"), int):
        return spec["maxUnavailable"] >= 1
    if isinstance(spec.get("minAvailable"), int):
        return replicas - spec["minAvailable"] >= 1
    return True  # a percentage: rounded by the API server, not judged here


def _monitor_ports(monitor: Mapping) -> list[str]:
    return [str(e.get("port")) for e in _spec(monitor).get("podMetricsEndpoints") or () if isinstance(e, Mapping)]


def predictors_guarded(objs: Iterable[dict]) -> Result:
    """Every predictor KServe will run for an InferenceService of the set has exactly one PodDisruptionBudget that
    selects its pods (by the labels KServe gives them) and still lets a node drain evict one of its minReplicas
    pods; and, where the set scrapes predictors at all (a PodMonitor in the namespace), a PodMonitor selects its
    pods at the named container port its server serves metrics on (MLServer: MLSERVER_METRICS_PORT, 8082; vLLM:
    --port). PodDisruptionBudgets and PodMonitors that select no predictor are problems too. Examined: one entry
    per predictor."""
    objs = list(objs)
    result = Result("predictors_guarded")
    runtimes = _runtimes(objs)
    pdbs = [o for o in objs if o.get("kind") == "PodDisruptionBudget"]
    monitors = [o for o in objs if o.get("kind") == "PodMonitor"]
    used_pdbs: set = set()
    used_monitors: set = set()
    for isvc in _isvcs(objs):
        matches = matching_runtimes(isvc, runtimes)
        if not matches:
            continue  # isvc_runtime_match reports it
        namespace, labels = _ns(isvc), predictor_pod_labels(isvc, matches[0])
        container = _predictor_container(isvc, matches[0])
        result.examined.append(f"{who(isvc)} predictor pods {labels.get('app')}")
        guarding = [p for p in pdbs if _ns(p) == namespace and selector_matches(_spec(p).get("selector"), labels)]
        used_pdbs.update(id(p) for p in guarding)
        if not guarding:
            result.problems.append(
                f"{who(isvc)}: no PodDisruptionBudget selects its predictor pods ({labels.get('app')}): a node drain "
                "or consolidation may evict every replica at once"
            )
        elif len(guarding) > 1:
            result.problems.append(
                f"{who(isvc)}: {len(guarding)} PodDisruptionBudgets select its predictor pods "
                f"({', '.join(who(p) for p in guarding)}): the eviction API refuses to evict a pod with more than one"
            )
        elif not _allows_eviction(guarding[0], _replicas(isvc)):
            result.problems.append(
                f"{who(guarding[0])}: lets no pod of {who(isvc)} be evicted at its {_replicas(isvc)} minReplicas: "
                "node drains and Karpenter consolidation wait on it forever"
            )
        in_namespace = [
            m for m in monitors if namespace in _mapping(_spec(m).get("namespaceSelector")).get("matchNames", [_ns(m)])
        ]
        if not in_namespace:
            continue
        scraping = [m for m in in_namespace if selector_matches(_spec(m).get("selector"), labels)]
        used_monitors.update(id(m) for m in scraping)
        port = metrics_port(container)
        names = {str(p.get("name")): p.get("containerPort") for p in container.get("ports") or () if p.get("name")}
        good = [m for m in scraping if any(names.get(n) is not None and names[n] == port for n in _monitor_ports(m))]
        if not good:
            found = ", ".join(f"{who(m)} port(s) {_monitor_ports(m)}" for m in scraping) or "no PodMonitor selects them"
            result.problems.append(
                f"{who(isvc)}: its predictor serves metrics on {port} ({names}), but {found}: Prometheus never "
                "scrapes it, and what reads its series (promote.yml's verification, alerts, dashboards) sees nothing"
            )
    for pdb in pdbs:
        if id(pdb) not in used_pdbs and _labels(_meta(pdb)).get(SERVING_LABEL):
            result.problems.append(f"{who(pdb)}: selects no predictor pod of the set: it guards nothing")
    for monitor in monitors:
        if id(monitor) not in used_monitors and "component" in _mapping(_spec(monitor).get("selector")).get(
            "matchLabels", {}
        ):
            result.problems.append(f"{who(monitor)}: selects no predictor pod of the set: nothing is scraped")
    return result


CHECKS = {
    "predictors_guarded": lambda f: predictors_guarded(f["objs"]),
    "canary_split": lambda f: canary_split(f["objs"]),
    "isvc_runtime_match": lambda f: isvc_runtime_match(f["objs"]),
    "kserve_ingress_config": lambda f: kserve_ingress_config(f["objs"], f["serving"]),
}

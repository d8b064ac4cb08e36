"""Behaviour checks over a rendered set: what the objects DO together, not what each one says.

The checks in :mod:`.wiring` look at objects one by one ("the name it references exists"). These
follow behaviour across objects and facts the render does not hold: which node pools a pod can be
scheduled on (labels and taints of the pools, cloud-implicit ones included), which load balancer an
Ingress host ends up behind, where its certificate comes from, whether a scaler can ever leave zero
and whether the metrics a query reads are scraped at all.

Every check returns a :class:`Result` that lists what it EXAMINED, one human-readable entry per
object or pair, besides its problems. A check that examined nothing passes on nothing: callers turn
that into a failure with :meth:`Result.require_examined`.

Node pool facts (``pools``) are passed in: ``{key: {"labels": {label: value}, "taints": [{"key",
"value" (may be missing/None), "effect"}], "gpu": bool}}`` with every label and taint the pool's
nodes carry, cloud-implicit ones included (AKS puts ``kubernetes.azure.com/scalesetpriority=spot:
NoSchedule`` on every spot pool). :func:`karpenter_node_pools` derives such facts from Karpenter
NodePools in the set.

Problems name the object as ``Kind/namespace/name`` (the namespace helm installs it into when the
object names none) and say what is wrong and what it does at run time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import yaml

from .wiring import (
    CLUSTER_PROVIDED_SERVICES,
    CLUSTER_SCOPED_KINDS,
    _labels,
    _meta,
    _namespace_selected,
    _ns,
    identities_bound,
    pod_templates,
    selector_matches,
)

GPU = "nvidia.com/gpu"


# --------------------------------------------------------------------------------------------
# result


@dataclass
class Result:
    """What a check found (``problems``) and what it looked at (``examined``, one entry per object/pair)."""

    check: str
    problems: list[str] = field(default_factory=list)
    examined: list[str] = field(default_factory=list)

    def require_examined(self, why: str = "") -> list[str]:
        """The problems, plus ``"<check>: examined nothing — ..."`` when the check examined nothing."""
        if self.examined:
            return list(self.problems)
        reason = why or "the set holds nothing this check looks at, so its pass proves nothing"
        return [*self.problems, f"{self.check}: examined nothing — {reason}"]

    def summary(self) -> str:
        return f"{self.check}: examined {len(self.examined)}, {len(self.problems)} problem(s)"


# --------------------------------------------------------------------------------------------
# small helpers


def _annotations(obj: Mapping) -> Mapping:
    annotations = _meta(obj).get("annotations")
    return annotations if isinstance(annotations, Mapping) else {}


def _spec(obj: Mapping) -> Mapping:
    spec = obj.get("spec")
    return spec if isinstance(spec, Mapping) else {}


# Cluster-scoped custom kinds of this platform (built-in ones: wiring.CLUSTER_SCOPED_KINDS; kinds named
# Cluster* are cluster-scoped by convention: ClusterIssuer, ClusterWorkflowTemplate, ClusterServingRuntime).
_CLUSTER_CUSTOM_KINDS = frozenset({"IngressClassParams", "NodePool", "EC2NodeClass", "AKSNodeClass"})


def who(obj: Mapping) -> str:
    """``Kind/namespace/name`` of ``obj`` (the effective namespace; ``-`` for none or a cluster-scoped kind)."""
    meta = _meta(obj)
    kind = str(obj.get("kind") or "?")
    cluster = kind in CLUSTER_SCOPED_KINDS or kind in _CLUSTER_CUSTOM_KINDS or kind.startswith("Cluster")
    namespace = "" if cluster else _ns(obj)
    return f"{kind}/{namespace or '-'}/{meta.get('name') or meta.get('generateName') or '?'}"


def _s(value: object) -> str:
    """A label/taint/toleration value as the API server stores it: missing is "", YAML booleans lower-case."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _of_kind(objs: Iterable[dict], kind: str, group: str = "") -> list[dict]:
    return [
        o
        for o in objs
        if o.get("kind") == kind and (not group or str(o.get("apiVersion", "")).split("/", maxsplit=1)[0] == group)
    ]


def _containers(podspec: Mapping, keys: Iterable[str] = ("initContainers", "containers")) -> Iterator[Mapping]:
    for key in keys:
        for container in podspec.get(key) or ():
            if isinstance(container, Mapping):
                yield container


def _quantity(value: object) -> float:
    """A resource quantity as a number (extended resources are whole numbers; a few suffixes for safety)."""
    if value is None or isinstance(value, bool):
        return 0.0
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    factors = {"m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 1024.0, "Mi": 1024.0**2, "Gi": 1024.0**3}
    for suffix in sorted(factors, key=len, reverse=True):
        if text.endswith(suffix):
            try:
                return float(text[: -len(suffix)]) * factors[suffix]
            except ValueError:
                return 0.0
    try:
        return float(text)
    except ValueError:
        return 0.0


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


# --------------------------------------------------------------------------------------------
# scheduling: node selection and taints, exactly as kube-scheduler evaluates them

# Only these effects keep a pod off a node; PreferNoSchedule is a preference.
# Ref https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/
SCHEDULING_EFFECTS = ("NoSchedule", "NoExecute")

# The DaemonSet controller adds these tolerations to every DaemonSet pod (node conditions, not pool
# taints); hostNetwork pods also get network-unavailable.
# Ref https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/#taints-and-tolerations
DAEMONSET_TOLERATIONS: tuple[dict, ...] = (
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
)
DAEMONSET_HOSTNETWORK_TOLERATION = {
    "key": "node.kubernetes.io/network-unavailable",
    "operator": "Exists",
    "effect": "NoSchedule",
}


def tolerates(toleration: Mapping, taint: Mapping) -> bool:
    """Whether ``toleration`` tolerates ``taint`` (Kubernetes 1.32 rules).

    Ref https://pkg.go.dev/k8s.io/api/core/v1#Toleration.ToleratesTaint: a non-empty effect must equal
    the taint's (empty matches every effect); a non-empty key must equal the taint's (an empty key,
    valid only with Exists, matches every key); operator Exists matches every value, Equal (also the
    empty operator) compares values, where a missing value is "" on both sides. Any other operator
    matches nothing (Lt/Gt exist only behind the 1.35 TaintTolerationComparisonOperators gate).
    """
    effect = _s(toleration.get("effect"))
    if effect and effect != _s(taint.get("effect")):
        return False
    key = _s(toleration.get("key"))
    if key and key != _s(taint.get("key")):
        return False
    operator = _s(toleration.get("operator")) or "Equal"
    if operator == "Exists":
        return True
    if operator == "Equal":
        return _s(toleration.get("value")) == _s(taint.get("value"))
    return False


def untolerated(tolerations: Iterable[Mapping], taints: Iterable[Mapping]) -> list[Mapping]:
    """The NoSchedule/NoExecute taints that no toleration tolerates."""
    tolerations = [t for t in tolerations if isinstance(t, Mapping)]
    return [
        taint
        for taint in taints
        if _s(taint.get("effect")) in SCHEDULING_EFFECTS and not any(tolerates(t, taint) for t in tolerations)
    ]


def taint_text(taint: Mapping) -> str:
    value = _s(taint.get("value"))
    return f"{_s(taint.get('key'))}{'=' + value if value else ''}:{_s(taint.get('effect'))}"


def requirement_matches(requirement: Mapping, labels: Mapping) -> bool:
    """One NodeSelectorRequirement on a node's labels: In, NotIn, Exists, DoesNotExist, Gt, Lt.

    Ref https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/node-selector-requirement/
    NotIn and DoesNotExist match a node without the label; Gt/Lt compare a single integer value with
    the label's value parsed as an integer (an unparsable value does not match).
    """
    key = requirement.get("key")
    operator = requirement.get("operator")
    values = [_s(v) for v in requirement.get("values") or ()]
    present = key in labels
    value = _s(labels.get(key))
    if operator == "In":
        return present and value in values
    if operator == "NotIn":
        return not present or value not in values
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    if operator in ("Gt", "Lt"):
        if not present or len(values) != 1:
            return False
        try:
            left, right = int(value), int(values[0])
        except ValueError:
            return False
        return left > right if operator == "Gt" else left < right
    return False


def node_selector_term_matches(term: Mapping, labels: Mapping) -> bool:
    """A NodeSelectorTerm: its matchExpressions ANDed. A term with neither matchExpressions nor
    matchFields matches nothing (API docs). matchFields name nodes (metadata.name), which a pool's
    facts do not hold: they are assumed to match some node of the pool."""
    expressions = term.get("matchExpressions") or []
    if not expressions and not term.get("matchFields"):
        return False
    return all(requirement_matches(e, labels) for e in expressions)


def node_selection_matches(podspec: Mapping, labels: Mapping) -> bool:
    """``nodeSelector`` (every pair must be a label of the node) AND the required node affinity
    (``nodeSelectorTerms`` ORed). Ref https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/"""
    for key, value in (podspec.get("nodeSelector") or {}).items():
        if key not in labels or _s(labels[key]) != _s(value):
            return False
    affinity = (podspec.get("affinity") or {}).get("nodeAffinity") or {}
    required = affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    if not required:
        return True
    return any(node_selector_term_matches(t, labels) for t in required.get("nodeSelectorTerms") or ())


@dataclass
class Reach:
    """How a pod template relates to one node pool."""

    pool: str
    selected: bool  # nodeSelector and required node affinity match the pool's labels
    blocking: list = field(default_factory=list)  # the pool's NoSchedule/NoExecute taints it does not tolerate

    @property
    def lands(self) -> bool:
        return self.selected and not self.blocking

    def why_not(self) -> str:
        if not self.selected:
            return f"pool '{self.pool}': its labels do not satisfy nodeSelector/required node affinity"
        return f"pool '{self.pool}': taint {', '.join(taint_text(t) for t in self.blocking)} not tolerated"


def _pool_labels(pool: Mapping) -> Mapping:
    labels = pool.get("labels")
    return labels if isinstance(labels, Mapping) else {}


def _pool_taints(pool: Mapping) -> list[Mapping]:
    return [t for t in pool.get("taints") or () if isinstance(t, Mapping)]


def reach(podspec: Mapping, pools: Mapping[str, Mapping], extra_tolerations: Iterable[Mapping] = ()) -> dict:
    """pool key -> :class:`Reach` of a pod spec (anything with nodeSelector/affinity/tolerations)."""
    tolerations = [*(podspec.get("tolerations") or ()), *extra_tolerations]
    return {
        key: Reach(
            key,
            node_selection_matches(podspec, _pool_labels(pool)),
            untolerated(tolerations, _pool_taints(pool)),
        )
        for key, pool in pools.items()
    }


def _pool_view(podspec: Mapping, pools: Mapping[str, Mapping]) -> dict:
    """pool -> the values (None: absent) of the labels the pod selects on, for messages."""
    keys = list(podspec.get("nodeSelector") or {})
    affinity = ((podspec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    for term in affinity.get("nodeSelectorTerms") or ():
        keys += [e.get("key") for e in term.get("matchExpressions") or () if e.get("key") not in keys]
    return {name: {k: _pool_labels(pool).get(k) for k in keys} for name, pool in pools.items()}


def _scheduling_text(podspec: Mapping) -> str:
    parts = [f"nodeSelector {dict(podspec.get('nodeSelector') or {})}"]
    affinity = ((podspec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    if affinity:
        parts.append(f"required node affinity {json.dumps(affinity, sort_keys=True)}")
    return ", ".join(parts)


def karpenter_node_pools(objs: Iterable[dict]) -> dict[str, dict]:
    """Pool facts of the Karpenter NodePools (karpenter.sh) in the set, keyed ``karpenter:<name>``.

    Labels: ``spec.template.metadata.labels``, ``karpenter.sh/nodepool=<name>`` and every requirement
    ``In`` with exactly one value (a multi-value requirement leaves the label's value open, so it is
    left out: a selector on it is judged as not matching). Taints: ``spec.template.spec.taints``
    (``startupTaints`` are removed once the node is initialised). GPU: ``spec.limits`` names
    nvidia.com/gpu or a requirement constrains ``karpenter.k8s.aws/instance-gpu-*``.
    Ref https://karpenter.sh/docs/concepts/nodepools/ (well-known labels, taints, startupTaints)
    """
    pools: dict[str, dict] = {}
    for pool in _of_kind(objs, "NodePool", "karpenter.sh"):
        name = _meta(pool).get("name")
        template = _spec(pool).get("template") or {}
        labels = {str(k): _s(v) for k, v in _labels(template.get("metadata") or {}).items()}
        labels["karpenter.sh/nodepool"] = str(name)
        requirements = (template.get("spec") or {}).get("requirements") or ()
        for requirement in requirements:
            values = requirement.get("values") or ()
            if requirement.get("operator") == "In" and len(values) == 1:
                labels[str(requirement.get("key"))] = _s(values[0])
        gpu = GPU in (_spec(pool).get("limits") or {}) or any(
            str(r.get("key", "")).startswith("karpenter.k8s.aws/instance-gpu") for r in requirements
        )
        pools[f"karpenter:{name}"] = {
            "labels": labels,
            "taints": list((template.get("spec") or {}).get("taints") or ()),
            "gpu": bool(gpu),
        }
    return pools


# --------------------------------------------------------------------------------------------
# 1. DaemonSets reach the pools they must run on

# The kubelet's device-plugin directory: a device plugin registers on kubelet.sock in it and serves
# its own socket there. Ref https://kubernetes.io/docs/concepts/extend-kubernetes/compute-storage-net/device-plugins/
DEVICE_PLUGIN_DIR = "/var/lib/kubelet/device-plugins"


def _mounts_device_plugin_dir(podspec: Mapping) -> bool:
    host_dirs = {
        v.get("name")
        for v in podspec.get("volumes") or ()
        if isinstance(v, Mapping)
        and str((v.get("hostPath") or {}).get("path", "")).rstrip("/") in (DEVICE_PLUGIN_DIR, "/var/lib/kubelet")
    }
    return any(m.get("name") in host_dirs for c in _containers(podspec) for m in c.get("volumeMounts") or ())


def is_nvidia_device_plugin(obj: Mapping, podspec: Mapping | None = None) -> bool:
    """A DaemonSet is the NVIDIA device plugin (the thing that makes nodes advertise nvidia.com/gpu) when
    (1) a container mounts a hostPath volume of the kubelet's device-plugin directory
    (/var/lib/kubelet/device-plugins, or /var/lib/kubelet above it): every device plugin must, to
    register with the kubelet; and (2) "nvidia" is in the DaemonSet's name or a container's name or
    image (NVIDIA's k8s-device-plugin, the GPU operator's nvidia-device-plugin-daemonset)."""
    if obj.get("kind") != "DaemonSet":
        return False
    if podspec is None:
        podspec = ((_spec(obj).get("template") or {}).get("spec")) or {}
    if not _mounts_device_plugin_dir(podspec):
        return False
    names = [str(_meta(obj).get("name", ""))]
    names += [f"{c.get('name', '')} {c.get('image', '')}" for c in _containers(podspec)]
    return any("nvidia" in n.lower() for n in names)


def _daemonset_tolerations(podspec: Mapping) -> list[Mapping]:
    extra = list(DAEMONSET_TOLERATIONS)
    if podspec.get("hostNetwork"):
        extra.append(DAEMONSET_HOSTNETWORK_TOLERATION)
    return extra


def daemonsets_reach_pools(objs: Iterable[dict], pools: Mapping[str, Mapping]) -> Result:
    """Every DaemonSet selects at least one pool and tolerates every NoSchedule/NoExecute taint of each
    pool it selects (else the pool silently runs without it); the NVIDIA device plugin selects and
    tolerates EVERY gpu pool (else those nodes never advertise nvidia.com/gpu).

    Examined: one entry per (DaemonSet, pool) pair.
    """
    result = Result("daemonsets_reach_pools")
    gpu_pools = sorted(k for k, p in pools.items() if p.get("gpu"))
    for obj, podspec, _template_meta in pod_templates(objs):
        if obj.get("kind") != "DaemonSet":
            continue
        plugin = is_nvidia_device_plugin(obj, podspec)
        reaches = reach(podspec, pools, _daemonset_tolerations(podspec))
        result.examined += [f"{who(obj)} x pool {key}" for key in reaches]
        if pools and not any(r.selected for r in reaches.values()):
            result.problems.append(
                f"{who(obj)}: selects no node pool ({_scheduling_text(podspec)}; the pools' values of those labels "
                f"{_pool_view(podspec, pools)}): its pods never run anywhere"
            )
        for key, r in reaches.items():
            if plugin and key in gpu_pools:
                continue
            if r.selected and r.blocking:
                result.problems.append(
                    f"{who(obj)}: selects pool '{key}' but does not tolerate its taint "
                    f"{', '.join(taint_text(t) for t in r.blocking)}: the scheduler keeps its pods off every node "
                    f"of that pool, which then runs without it"
                )
        if plugin:
            for key in gpu_pools:
                r = reaches[key]
                if r.lands:
                    continue
                why = (
                    f"does not select it ({_scheduling_text(podspec)}; the pool's values of those labels "
                    f"{_pool_view(podspec, {key: pools[key]})[key]})"
                    if not r.selected
                    else f"does not tolerate its taint {', '.join(taint_text(t) for t in r.blocking)}"
                )
                result.problems.append(
                    f"{who(obj)}: NVIDIA device plugin misses gpu pool '{key}': {why}; nodes there never "
                    f"advertise {GPU}, so no GPU pod is ever scheduled on them"
                )
    return result


# --------------------------------------------------------------------------------------------
# 2. GPU workloads land on GPU pools


@dataclass
class PodShape:
    """What a pod of ``obj`` would be scheduled with: ``spec`` holds nodeSelector/affinity/tolerations,
    ``containers`` the containers whose resources count; ``where`` names the part of ``obj``."""

    obj: dict
    where: str
    spec: Mapping
    containers: list[Mapping]
    init_containers: list[Mapping] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{who(self.obj)}{' ' + self.where if self.where else ''}"

    @property
    def gpus(self) -> float:
        """nvidia.com/gpu the pod needs: the sum over containers (request, else limit — for extended
        resources a limit alone sets the request), or the largest init container's, if larger."""

        def of(container: Mapping) -> float:
            resources = container.get("resources") or {}
            request = (resources.get("requests") or {}).get(GPU)
            limit = (resources.get("limits") or {}).get(GPU)
            return _quantity(request if request is not None else limit)

        return max([sum(of(c) for c in self.containers), *(of(c) for c in self.init_containers)])


_KSERVE_COMPONENTS = ("predictor", "transformer", "explainer")
_KSERVE_POD_FIELDS = {
    "containers",
    "initContainers",
    "volumes",
    "nodeSelector",
    "tolerations",
    "affinity",
    "imagePullSecrets",
    "securityContext",
    "serviceAccountName",
    "workerSpec",
}


def _kserve_shapes(isvc: dict) -> Iterator[PodShape]:
    """InferenceService (serving.kserve.io/v1beta1) components: pod-spec fields inline, containers in
    ``model``, ``containers`` and the framework keys (sklearn, pytorch, triton, huggingface, ...).
    Ref https://kserve.github.io/website/docs/reference/crd-api (PredictorSpec embeds PodSpec)"""
    for component in _KSERVE_COMPONENTS:
        part = _spec(isvc).get(component)
        if not isinstance(part, Mapping):
            continue
        containers = [c for c in part.get("containers") or () if isinstance(c, Mapping)]
        containers += [
            v
            for k, v in part.items()
            if k not in _KSERVE_POD_FIELDS and isinstance(v, Mapping) and ("resources" in v or k == "model")
        ]
        yield PodShape(isvc, f"spec.{component}", part, containers, list(_containers(part, ("initContainers",))))


def _argo_defaults(objs: Iterable[dict]) -> Mapping:
    """``workflowDefaults.spec`` of the Argo Workflows controller ConfigMap in the set, if any."""
    for cm in _of_kind(objs, "ConfigMap"):
        if not str(_meta(cm).get("name", "")).endswith("workflow-controller-configmap"):
            continue
        try:
            config = yaml.safe_load((cm.get("data") or {}).get("config") or "") or {}
        except yaml.YAMLError:
            continue
        if isinstance(config, Mapping):
            return (config.get("workflowDefaults") or {}).get("spec") or {}
    return {}


_ARGO_KINDS = ("WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow", "Workflow")


def _argo_shapes(obj: dict, defaults: Mapping) -> Iterator[PodShape]:
    """Argo (argoproj.io/v1alpha1) templates that run a pod: container, script or containerSet. The
    controller takes nodeSelector, affinity and tolerations from the template if it sets them, else
    from the workflow spec (Ref argo-workflows workflow/controller/workflowpod.go
    addSchedulingConstraints); the controller's workflowDefaults fill an unset workflow-spec field."""
    spec = _spec(obj)
    if obj.get("kind") == "CronWorkflow":
        spec = spec.get("workflowSpec") or {}
    for template in spec.get("templates") or ():
        if not isinstance(template, Mapping):
            continue
        containers = [template[k] for k in ("container", "script") if isinstance(template.get(k), Mapping)]
        containers += [
            c for c in (template.get("containerSet") or {}).get("containers") or () if isinstance(c, Mapping)
        ]
        if not containers:
            continue
        containers += [c for c in template.get("sidecars") or () if isinstance(c, Mapping)]
        scheduling = {
            key: template.get(key) or spec.get(key) or defaults.get(key)
            for key in ("nodeSelector", "affinity", "tolerations")
        }
        inits = [c for c in template.get("initContainers") or () if isinstance(c, Mapping)]
        yield PodShape(obj, f"template {template.get('name')}", scheduling, containers, inits)


def pod_shapes(objs: Iterable[dict]) -> Iterator[PodShape]:
    """Every pod the set would run: workload pod templates (wiring.pod_templates), KServe
    InferenceService components and Argo workflow templates."""
    objs = list(objs)
    for obj, podspec, _template_meta in pod_templates(objs):
        yield PodShape(
            obj,
            "",
            podspec,
            list(_containers(podspec, ("containers",))),
            list(_containers(podspec, ("initContainers",))),
        )
    for isvc in _of_kind(objs, "InferenceService", "serving.kserve.io"):
        yield from _kserve_shapes(isvc)
    defaults = _argo_defaults(objs)
    for obj in objs:
        if obj.get("kind") in _ARGO_KINDS and str(obj.get("apiVersion", "")).startswith("argoproj.io/"):
            yield from _argo_shapes(obj, defaults)


def gpu_pods(objs: Iterable[dict]) -> list[PodShape]:
    """The pods of the set that request (or limit) nvidia.com/gpu > 0."""
    return [shape for shape in pod_shapes(objs) if shape.gpus > 0]


def device_plugin_pools(objs: Iterable[dict], pools: Mapping[str, Mapping]) -> set[str]:
    """Pools on which an NVIDIA device-plugin DaemonSet of the set runs."""
    reached: set[str] = set()
    for obj, podspec, _template_meta in pod_templates(objs):
        if is_nvidia_device_plugin(obj, podspec):
            reaches = reach(podspec, pools, _daemonset_tolerations(podspec))
            reached |= {key for key, r in reaches.items() if r.lands}
    return reached


def gpu_workloads_land_on_gpu_pools(
    objs: Iterable[dict], pools: Mapping[str, Mapping], require_device_plugin: bool = True
) -> Result:
    """Every pod that requests nvidia.com/gpu can be scheduled (selected, every NoSchedule/NoExecute
    taint tolerated) on at least one gpu pool — with ``require_device_plugin``, one on which an NVIDIA
    device plugin of the set runs, since only there do nodes advertise nvidia.com/gpu. Landing on a
    non-GPU pool as well is fine (the scheduler skips nodes without the resource); landing on no pool,
    or only on pools without GPUs, leaves the pod Pending forever.

    Pods: Deployment, StatefulSet, DaemonSet, Job, CronJob, Pod, ReplicaSet templates, KServe
    InferenceService components, Argo WorkflowTemplate/ClusterWorkflowTemplate/CronWorkflow/Workflow
    templates. Examined: one entry per GPU-requesting pod.
    """
    objs = list(objs)
    result = Result("gpu_workloads_land_on_gpu_pools")
    plugin_pools = device_plugin_pools(objs, pools)
    for shape in gpu_pods(objs):
        reaches = reach(shape.spec, pools)
        lands = sorted(k for k, r in reaches.items() if r.lands)
        result.examined.append(f"{shape.label} requests {GPU} {_fmt(shape.gpus)} x pools {sorted(pools)}")
        gpu_lands = [k for k in lands if pools[k].get("gpu")]
        usable = [k for k in gpu_lands if k in plugin_pools or not require_device_plugin]
        if usable:
            continue
        off = "; ".join(r.why_not() for k, r in sorted(reaches.items()) if not r.lands)
        if not lands:
            result.problems.append(
                f"{shape.label}: requests {GPU} {_fmt(shape.gpus)} but can be scheduled on no node pool "
                f"({off or 'no pools given'}): it stays Pending"
            )
        elif gpu_lands:
            result.problems.append(
                f"{shape.label}: requests {GPU} {_fmt(shape.gpus)} and lands on gpu pool(s) {gpu_lands}, but no NVIDIA "
                f"device plugin DaemonSet of the set runs there, so their nodes advertise no {GPU}: it stays Pending"
            )
        else:
            result.problems.append(
                f"{shape.label}: requests {GPU} {_fmt(shape.gpus)} but lands only on pool(s) {lands}, which have no "
                f"GPUs, and on no gpu pool ({off}): it stays Pending"
            )
    return result


# --------------------------------------------------------------------------------------------
# 3. GPU quota where GPU work runs

# For extended resources only quota items prefixed "requests." are allowed.
# Ref https://kubernetes.io/docs/concepts/policy/resource-quotas/#resource-quota-for-extended-resources
GPU_QUOTA_KEY = f"requests.{GPU}"

# Argo's executor writes the step's result as a WorkflowTaskResult: a ServiceAccount that may create
# them is one workflow pods run as. Ref https://argo-workflows.readthedocs.io/en/latest/workflow-rbac/
_ARGO_EXECUTOR_RESOURCE = "workflowtaskresults"


def argo_workflow_namespaces(objs: Iterable[dict]) -> set[str]:
    """Namespaces where Argo workflow pods run: those of ServiceAccounts bound (RoleBinding or
    ClusterRoleBinding) to a Role/ClusterRole that may create argoproj.io workflowtaskresults."""
    objs = list(objs)
    granting = set()
    for role in [*_of_kind(objs, "Role"), *_of_kind(objs, "ClusterRole")]:
        for rule in role.get("rules") or ():
            if (
                "argoproj.io" in (rule.get("apiGroups") or ())
                and {_ARGO_EXECUTOR_RESOURCE, "*"} & set(rule.get("resources") or ())
                and {"create", "*"} & set(rule.get("verbs") or ())
            ):
                scope = _ns(role) if role.get("kind") == "Role" else ""
                granting.add((role.get("kind"), scope, _meta(role).get("name")))
    namespaces = set()
    for binding in [*_of_kind(objs, "RoleBinding"), *_of_kind(objs, "ClusterRoleBinding")]:
        ref = binding.get("roleRef") or {}
        scope = _ns(binding) if ref.get("kind") == "Role" else ""
        if (ref.get("kind"), scope, ref.get("name")) not in granting:
            continue
        for subject in binding.get("subjects") or ():
            if subject.get("kind") == "ServiceAccount":
                namespaces.add(str(subject.get("namespace") or _ns(binding)))
    return namespaces


def gpu_quota_where_gpu_work_runs(objs: Iterable[dict], runtime_gpu_namespaces: Iterable[str] = ()) -> Result:
    """GPU quotas sit exactly where GPU work runs, and no LimitRange hands every container a GPU.

    GPU work namespaces: the namespaces of the pods of check 2 that request nvidia.com/gpu (workload
    templates, InferenceService components, Argo templates), plus ``runtime_gpu_namespaces``: work the
    render cannot show, named by the caller (e.g. :func:`argo_workflow_namespaces`, where users submit
    GPU workflows at run time). InferenceServices or WorkflowTemplates that request no GPU do not count:
    a GPU quota constrains nothing there, and whether GPU work will arrive later is a fact of the
    platform's design that the caller states.

    Problems: a GPU-work namespace without a ResourceQuota on ``requests.nvidia.com/gpu`` (or with 0);
    a quota key ``nvidia.com/gpu`` or ``limits.nvidia.com/gpu`` (invalid for extended resources); a
    GPU quota in a namespace without GPU work (it constrains nothing, and the real work runs without
    one); a LimitRange with a ``default``/``defaultRequest``/``min`` of nvidia.com/gpu (every container
    would take, or be forced to request, a GPU).
    Examined: each GPU-work namespace, each quota and each LimitRange.
    """
    objs = list(objs)
    result = Result("gpu_quota_where_gpu_work_runs")
    work: dict[str, list[str]] = {}
    for shape in gpu_pods(objs):
        if shape.obj.get("kind") == "ClusterWorkflowTemplate":
            continue  # runs in the namespace of whichever Workflow references it: not a fact of the set
        work.setdefault(_ns(shape.obj), []).append(shape.label)
    for namespace in runtime_gpu_namespaces:
        work.setdefault(namespace, []).append("GPU work submitted at run time (caller)")
    quotas: dict[str, list[tuple[dict, float]]] = {}
    for quota in _of_kind(objs, "ResourceQuota"):
        hard = _spec(quota).get("hard") or {}
        gpu_keys = [k for k in hard if GPU in str(k)]
        result.examined.append(f"{who(quota)} (GPU keys {gpu_keys or 'none'})")
        for key in gpu_keys:
            if key != GPU_QUOTA_KEY:
                result.problems.append(
                    f"{who(quota)}: quota key '{key}' is not valid for an extended resource (only "
                    f"'{GPU_QUOTA_KEY}' is): it does not limit GPUs as meant"
                )
        if GPU_QUOTA_KEY in hard:
            quotas.setdefault(_ns(quota), []).append((quota, _quantity(hard[GPU_QUOTA_KEY])))
        if gpu_keys and _ns(quota) not in work:
            where = sorted(work) or "none"
            result.problems.append(
                f"{who(quota)}: limits GPUs in namespace '{_ns(quota) or '-'}', where nothing in the set requests "
                f"{GPU}: it constrains nothing (GPU work runs in: {where})"
            )
    for namespace, sources in sorted(work.items()):
        result.examined.append(f"namespace {namespace or '-'}: GPU work {sorted(set(sources))}")
        found = quotas.get(namespace)
        if not found:
            result.problems.append(
                f"namespace '{namespace or '-'}': runs GPU work ({', '.join(sorted(set(sources)))}) but no "
                f"ResourceQuota there limits '{GPU_QUOTA_KEY}': nothing caps its GPUs"
            )
        elif all(value <= 0 for _quota, value in found):
            result.problems.append(
                f"{who(found[0][0])}: '{GPU_QUOTA_KEY}' is 0 in a namespace that runs GPU work "
                f"({', '.join(sorted(set(sources)))}): every GPU pod there is rejected"
            )
    for limit_range in _of_kind(objs, "LimitRange"):
        result.examined.append(who(limit_range))
        for i, limit in enumerate(_spec(limit_range).get("limits") or ()):
            for field_name in ("default", "defaultRequest", "min"):
                value = (limit.get(field_name) or {}).get(GPU)
                if value is not None and _quantity(value) > 0:
                    effect = (
                        "every container without a GPU request is rejected"
                        if field_name == "min"
                        else "every container that names no GPU gets one"
                    )
                    result.problems.append(
                        f"{who(limit_range)}: limits[{i}].{field_name} gives {GPU} {value}: {effect}"
                    )
    return result


# --------------------------------------------------------------------------------------------
# ingress classes, controllers and load balancers (checks 4 and 5)

ALB_CONTROLLER = "ingress.k8s.aws/alb"
NGINX_CONTROLLER = "k8s.io/ingress-nginx"
ALB_SCHEME = "alb.ingress.kubernetes.io/scheme"
ALB_GROUP = "alb.ingress.kubernetes.io/group.name"
ALB_LISTEN_PORTS = "alb.ingress.kubernetes.io/listen-ports"
ALB_SSL_REDIRECT = "alb.ingress.kubernetes.io/ssl-redirect"
ALB_CERTIFICATE_ARN = "alb.ingress.kubernetes.io/certificate-arn"
AZURE_INTERNAL = "service.beta.kubernetes.io/azure-load-balancer-internal"
DEFAULT_CLASS = "ingressclass.kubernetes.io/is-default-class"
_ACM_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+$")


def _flag(args: Iterable[str], name: str) -> str | None:
    """Value of ``--name=value`` or ``--name value`` in a container's command line."""
    args = list(args)
    for i, arg in enumerate(args):
        if arg.startswith(f"--{name}="):
            return arg.split("=", 1)[1]
        if arg == f"--{name}" and i + 1 < len(args):
            return args[i + 1]
    return None


@dataclass
class IngressController:
    """A workload that implements IngressClasses whose spec.controller is ``controller``."""

    workload: dict
    controller: str
    class_flag: str
    pod_labels: Mapping

    @property
    def namespace(self) -> str:
        return _ns(self.workload)


def ingress_controllers(objs: Iterable[dict]) -> list[IngressController]:
    """Ingress controllers among the Deployments/DaemonSets/StatefulSets of the set.

    * AWS Load Balancer Controller (image ``aws-load-balancer-controller``): IngressClass controller
      ``ingress.k8s.aws/alb``, ``--ingress-class`` default ``alb``.
      Ref https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/ingress/ingress_class/
    * ingress-nginx (``/nginx-ingress-controller`` or image ``ingress-nginx/controller``), or any
      container with ``--controller-class``: ``--controller-class`` (default ``k8s.io/ingress-nginx``)
      is the IngressClass controller value it implements; ``--ingress-class`` (default ``nginx``).
      Ref https://kubernetes.github.io/ingress-nginx/user-guide/cli-arguments/
    An IngressClass is implemented by the controllers whose value equals its spec.controller.
    """
    found = []
    for obj, podspec, template_meta in pod_templates(objs):
        if obj.get("kind") not in ("Deployment", "DaemonSet", "StatefulSet"):
            continue
        for container in _containers(podspec, ("containers",)):
            args = [str(a) for a in (*(container.get("command") or ()), *(container.get("args") or ()))]
            image = str(container.get("image", ""))
            controller_class = _flag(args, "controller-class")
            if "aws-load-balancer-controller" in image:
                found.append(
                    IngressController(
                        obj, ALB_CONTROLLER, _flag(args, "ingress-class") or "alb", _labels(template_meta)
                    )
                )
            elif (
                controller_class is not None
                or "ingress-nginx/controller" in image
                or any(a.endswith("/nginx-ingress-controller") for a in args)
            ):
                found.append(
                    IngressController(
                        obj,
                        controller_class or NGINX_CONTROLLER,
                        _flag(args, "ingress-class") or "nginx",
                        _labels(template_meta),
                    )
                )
            else:
                continue
            break
    return found


def _is_load_balancer(svc: Mapping) -> bool:
    return svc.get("kind") == "Service" and _spec(svc).get("type") == "LoadBalancer"


def _service_selects(svc: Mapping, namespace: str, pod_labels: Mapping) -> bool:
    selector = _spec(svc).get("selector") or {}
    return bool(selector) and _ns(svc) == namespace and all(pod_labels.get(k) == v for k, v in selector.items())


def load_balancer_scheme(svc: Mapping, cloud: str) -> str:
    """ "internal" or "internet-facing" for a Service of type LoadBalancer.

    * azure: internal iff ``service.beta.kubernetes.io/azure-load-balancer-internal: "true"``.
      Ref https://learn.microsoft.com/azure/aks/internal-lb
    * aws: ``service.beta.kubernetes.io/aws-load-balancer-scheme`` if set; else the legacy
      ``aws-load-balancer-internal`` (true or a CIDR) means internal; else a Service the AWS Load
      Balancer Controller provisions (``aws-load-balancer-type`` external/nlb-ip, or loadBalancerClass
      ``service.k8s.aws/nlb``) defaults to internal, the in-tree cloud provider's to internet-facing.
      Ref https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/service/annotations/
    * any other cloud: internet-facing (the worst case).
    """
    annotations = _annotations(svc)
    if cloud == "azure":
        return "internal" if _s(annotations.get(AZURE_INTERNAL)).lower() == "true" else "internet-facing"
    if cloud == "aws":
        scheme = _s(annotations.get("service.beta.kubernetes.io/aws-load-balancer-scheme"))
        if scheme:
            return scheme
        legacy = _s(annotations.get("service.beta.kubernetes.io/aws-load-balancer-internal")).lower()
        if legacy and legacy != "false":
            return "internal"
        lbc = _s(annotations.get("service.beta.kubernetes.io/aws-load-balancer-type")) in ("external", "nlb-ip") or (
            _spec(svc).get("loadBalancerClass") == "service.k8s.aws/nlb"
        )
        return "internal" if lbc else "internet-facing"
    return "internet-facing"


class _Ingresses:
    """Ingresses, their classes, controllers and load balancers of one rendered set."""

    def __init__(self, objs: list[dict], cloud: str):
        self.cloud = cloud
        self.ingresses = _of_kind(objs, "Ingress")
        self.classes = {_meta(c).get("name"): c for c in _of_kind(objs, "IngressClass")}
        self.params = {_meta(p).get("name"): p for p in _of_kind(objs, "IngressClassParams", "elbv2.k8s.aws")}
        self.controllers = ingress_controllers(objs)
        self.load_balancers = [s for s in objs if _is_load_balancer(s)]

    def class_name(self, ingress: Mapping) -> str | None:
        """spec.ingressClassName, else the legacy kubernetes.io/ingress.class annotation, else the one
        IngressClass marked default. Ref https://kubernetes.io/docs/concepts/services-networking/ingress/#default-ingress-class"""
        name = _spec(ingress).get("ingressClassName") or _annotations(ingress).get("kubernetes.io/ingress.class")
        if name:
            return str(name)
        defaults = [n for n, c in self.classes.items() if _s(_annotations(c).get(DEFAULT_CLASS)) == "true"]
        return defaults[0] if len(defaults) == 1 else None

    def controller_value(self, class_name: str | None) -> str | None:
        ingress_class = self.classes.get(class_name)
        if ingress_class is not None:
            return _spec(ingress_class).get("controller")
        if class_name == "alb" and self.cloud == "aws":
            return ALB_CONTROLLER
        return None

    def is_alb(self, ingress: Mapping) -> bool:
        return self.controller_value(self.class_name(ingress)) == ALB_CONTROLLER

    def class_params(self, class_name: str | None) -> Mapping:
        """spec of the IngressClassParams an ALB IngressClass references (spec.parameters)."""
        parameters = _spec(self.classes.get(class_name) or {}).get("parameters") or {}
        if parameters.get("kind") != "IngressClassParams":
            return {}
        return _spec(self.params.get(parameters.get("name")) or {})

    def controllers_of(self, class_name: str | None) -> list[IngressController]:
        value = self.controller_value(class_name)
        return [c for c in self.controllers if value and c.controller == value]

    def load_balancers_of(self, controller: IngressController) -> list[dict]:
        return [s for s in self.load_balancers if _service_selects(s, controller.namespace, controller.pod_labels)]

    def alb_scheme(self, ingress: Mapping) -> tuple[str | None, str]:
        """(scheme, how it follows) of the ALB serving ``ingress``; scheme None when the group conflicts.

        IngressClassParams spec.scheme, when set, applies to every Ingress of the class; else the
        scheme annotation is Exclusive within an IngressGroup (group.name annotation, or
        IngressClassParams spec.group.name; an Ingress without one is its own group): one ALB, one
        scheme; the Ingresses that set it must agree; unset everywhere means the default, internal.
        Ref https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/ingress/annotations/#scheme
        """
        class_name = self.class_name(ingress)
        params = self.class_params(class_name)
        if params.get("scheme"):
            return str(params["scheme"]), f"IngressClassParams of class {class_name} sets scheme {params['scheme']}"
        group = self._group(ingress, params)
        members = [
            i
            for i in self.ingresses
            if self.is_alb(i) and self._group(i, self.class_params(self.class_name(i))) == group
        ]
        explicit = {who(i): _s(_annotations(i).get(ALB_SCHEME)) for i in members if _annotations(i).get(ALB_SCHEME)}
        values = set(explicit.values())
        label = f"ALB group '{group[1]}'" if group[0] == "group" else "its own ALB"
        if len(values) > 1:
            return None, f"{label} has conflicting schemes {explicit}"
        if values:
            value = values.pop()
            return value, f"{label}: {ALB_SCHEME} {value}"
        return "internal", f"{label}: no {ALB_SCHEME} annotation, so the controller's default, internal"

    @staticmethod
    def _group(ingress: Mapping, params: Mapping) -> tuple[str, str]:
        name = (params.get("group") or {}).get("name") or _annotations(ingress).get(ALB_GROUP)
        return ("group", str(name)) if name else ("ingress", who(ingress))

    def class_exposure(self, class_name: str | None) -> tuple[str | None, str, list[dict]]:
        """(exposure, explanation, load balancers) of a non-ALB class: follow IngressClass ->
        controller workload -> LoadBalancer Services selecting its pods. Reaching any public load
        balancer makes the class public."""
        if class_name is None:
            return None, "the Ingress names no class and there is no single default IngressClass", []
        if class_name not in self.classes:
            return None, f"IngressClass '{class_name}' is not in the set", []
        controllers = self.controllers_of(class_name)
        if not controllers:
            value = self.controller_value(class_name)
            return None, f"IngressClass '{class_name}' (controller {value}) resolves to no controller workload", []
        services = [s for c in controllers for s in self.load_balancers_of(c)]
        if not services:
            names = [who(c.workload) for c in controllers]
            return None, f"controller {names} of class '{class_name}' is behind no Service of type LoadBalancer", []
        schemes = {who(s): load_balancer_scheme(s, self.cloud) for s in services}
        exposure = "internet-facing" if "internet-facing" in schemes.values() else "internal"
        return exposure, f"class '{class_name}' -> {schemes}", services


def _hosts(ingress: Mapping) -> list[str]:
    return [str(r.get("host") or "") for r in _spec(ingress).get("rules") or () if isinstance(r, Mapping)]


EXPOSURES = ("internal", "internet-facing")


def exposure(objs: Iterable[dict], expected: Mapping[str, str], cloud: str) -> Result:
    """Each Ingress host is exposed as the inventory wishes (``expected``: host -> "internal" |
    "internet-facing"), and every Service of type LoadBalancer belongs to an ingress controller.

    ALB classes (controller ingress.k8s.aws/alb): the ALB's scheme, see :meth:`_Ingresses.alb_scheme`;
    the class must also resolve to an AWS Load Balancer Controller workload. Other classes: the chain
    IngressClass -> controller workload (``--controller-class``) -> LoadBalancer Services selecting its
    pods -> :func:`load_balancer_scheme`; a class behind any public load balancer is public.

    Problems: a host not in ``expected``; an expected host no Ingress serves; a scheme other than the
    wish; a class that resolves to no controller or no load balancer; a load balancer no ingress
    controller owns. Examined: each (Ingress, host) and each LoadBalancer Service.
    """
    objs = list(objs)
    result = Result("exposure")
    index = _Ingresses(objs, cloud)
    for host, wish in sorted(expected.items()):
        if wish not in EXPOSURES:
            result.problems.append(f"expected['{host}'] = {wish!r}: must be one of {list(EXPOSURES)}")
    served: set[str] = set()
    for ingress in index.ingresses:
        class_name = index.class_name(ingress)
        if index.is_alb(ingress):
            scheme, how = index.alb_scheme(ingress)
            if not index.controllers_of(class_name):
                scheme, how = None, f"ALB class '{class_name}' resolves to no AWS Load Balancer Controller workload"
        else:
            scheme, how, _services = index.class_exposure(class_name)
        for host in _hosts(ingress):
            served.add(host)
            shown = host or "(every host: a rule without host)"
            result.examined.append(f"{who(ingress)} host {shown} via class {class_name}: {scheme or 'unresolved'}")
            wish = expected.get(host)
            if scheme is None:
                result.problems.append(f"{who(ingress)}: host {shown}: exposure cannot be resolved: {how}")
            if wish is None:
                result.problems.append(
                    f"{who(ingress)}: host {shown} is served ({scheme or 'unresolved'}) but is not in the expected "
                    f"exposures: nobody asked for it to be reachable"
                )
            elif scheme is not None and scheme != wish:
                risk = (
                    "reachable from the internet"
                    if scheme == "internet-facing"
                    else "unreachable from outside the network"
                )
                result.problems.append(
                    f"{who(ingress)}: host {shown} should be {wish} but is {scheme} ({how}): it is {risk}"
                )
    for host in sorted(set(expected) - served):
        result.problems.append(f"host {host}: expected {expected[host]}, but no Ingress in the set serves it")
    owned = {id(s) for c in index.controllers for s in index.load_balancers_of(c)}
    for svc in index.load_balancers:
        scheme = load_balancer_scheme(svc, cloud)
        result.examined.append(f"{who(svc)} LoadBalancer ({scheme})")
        if id(svc) not in owned:
            result.problems.append(
                f"{who(svc)}: unexpected {scheme} load balancer: it fronts no ingress controller of the set"
            )
    return result


# --------------------------------------------------------------------------------------------
# 5. TLS

CERT_MANAGER_GROUP = "cert-manager.io"
SHIM_CLUSTER_ISSUER = "cert-manager.io/cluster-issuer"
SHIM_ISSUER = "cert-manager.io/issuer"
NGINX_SSL_REDIRECT = "nginx.ingress.kubernetes.io/ssl-redirect"


def host_covered(pattern: str, host: str) -> bool:
    """A certificate/TLS name covers ``host``: equal, or a wildcard ``*.zone`` for exactly one label
    more (RFC 6125 section 6.4.3; what ACM and cert-manager issue)."""
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern == host:
        return True
    if pattern.startswith("*.") and "." in host:
        return host.split(".", 1)[1] == pattern[2:]
    return False


def _listen_ports(ingress: Mapping, has_certificate: bool) -> tuple[dict[str, set[int]], str | None]:
    """protocol -> ports of alb.ingress.kubernetes.io/listen-ports; its default is HTTP 80, or HTTPS 443
    when a certificate ARN is set. Ref https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/ingress/annotations/#listen-ports"""
    raw = _annotations(ingress).get(ALB_LISTEN_PORTS)
    if raw is None:
        return ({"HTTPS": {443}} if has_certificate else {"HTTP": {80}}), None
    try:
        entries = json.loads(str(raw))
        ports: dict[str, set[int]] = {}
        for entry in entries:
            for protocol, port in entry.items():
                ports.setdefault(str(protocol).upper(), set()).add(int(port))
        return ports, None
    except (ValueError, TypeError, AttributeError):
        return {}, f"{ALB_LISTEN_PORTS} {raw!r} is not a JSON list of {{protocol: port}}"


class _Issuers:
    def __init__(self, objs: list[dict], extra: Iterable[str]):
        self.cluster = {_meta(i).get("name"): i for i in _of_kind(objs, "ClusterIssuer", CERT_MANAGER_GROUP)}
        self.namespaced = {(_ns(i), _meta(i).get("name")): i for i in _of_kind(objs, "Issuer", CERT_MANAGER_GROUP)}
        self.extra = set(extra)

    def find(self, kind: str, namespace: str, name: str) -> tuple[dict | None, bool]:
        """(issuer object, exists): an issuer outside the set named in ``extra`` exists without an object."""
        if kind == "ClusterIssuer":
            return self.cluster.get(name), name in self.cluster or f"ClusterIssuer/{name}" in self.extra
        return (
            self.namespaced.get((namespace, name)),
            (namespace, name) in self.namespaced or f"Issuer/{namespace}/{name}" in self.extra,
        )


def _acme_http01_only(issuer: Mapping | None, host: str) -> bool:
    """Whether an ACME issuer would solve ``host`` with HTTP-01 only: of its solvers, those whose
    selector fits the host (dnsNames match beats the longest dnsZones match beats no selector) are all
    http01. Ref https://cert-manager.io/docs/configuration/acme/#adding-multiple-solver-types"""
    acme = _spec(issuer or {}).get("acme")
    if not isinstance(acme, Mapping):
        return False
    named, zoned, general = [], [], []
    for solver in acme.get("solvers") or ():
        selector = solver.get("selector") or {}
        if host in (selector.get("dnsNames") or ()):
            named.append(solver)
        elif selector.get("dnsZones"):
            zones = [z for z in selector["dnsZones"] if host == z or host.endswith("." + z)]
            if zones:
                zoned.append((max(len(z) for z in zones), solver))
        elif not selector.get("dnsNames"):
            general.append(solver)
    if named:
        chosen = named
    elif zoned:
        longest = max(n for n, _s in zoned)
        chosen = [s for n, s in zoned if n == longest]
    else:
        chosen = general
    return bool(chosen) and all("http01" in s and "dns01" not in s for s in chosen)


def tls(
    objs: Iterable[dict], cloud: str, issuers: Iterable[str] | None = None, expected: Mapping[str, str] | None = None
) -> Result:
    """Every Ingress host is served over HTTPS with a certificate source.

    ALB: listen-ports has HTTPS; an HTTP listener redirects (ssl-redirect names an HTTPS port of
    listen-ports; Ref https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/tasks/ssl_redirect/);
    the certificate is ``alb.ingress.kubernetes.io/certificate-arn`` (ACM ARN shape) or the class's
    IngressClassParams spec.certificateArn, or spec.tls[].hosts names the host (the controller then
    discovers the ACM certificate; Ref .../guide/ingress/cert_discovery/).

    Other classes (ingress-nginx): a spec.tls entry covers the host with a secretName; the Secret is
    produced in the Ingress's namespace by a cert-manager Certificate whose dnsNames (or commonName)
    cover the host and whose issuerRef (kind default Issuer) names an issuer in the set — or the
    Ingress carries ``cert-manager.io/cluster-issuer`` / ``cert-manager.io/issuer`` naming one
    (ingress-shim; Ref https://cert-manager.io/docs/usage/ingress/); ``ssl-redirect: "false"`` serves
    HTTP too. With ``expected``, an ACME issuer that would solve an internal host by HTTP-01 only
    cannot issue (the CA must reach the host from the internet;
    Ref https://letsencrypt.org/docs/challenge-types/#http-01-challenge).

    ``issuers``: issuers that exist outside the set, as "ClusterIssuer/<name>" or "Issuer/<ns>/<name>".
    Examined: each (Ingress, host).
    """
    objs = list(objs)
    result = Result("tls")
    index = _Ingresses(objs, cloud)
    known = _Issuers(objs, issuers or ())
    certificates = _of_kind(objs, "Certificate", CERT_MANAGER_GROUP)
    for ingress in index.ingresses:
        alb = index.is_alb(ingress)
        for host in _hosts(ingress):
            shown = host or "(every host)"
            result.examined.append(f"{who(ingress)} host {shown} ({'ALB' if alb else 'certificate from the cluster'})")
            served_by = ingress
            if not alb and is_nginx_canary(ingress):
                # ingress-nginx serves a canary Ingress inside the server of its main Ingress (same class and host):
                # TLS, like every server-level setting, is the main one's.
                # Ref https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#canary
                served_by = _canary_main(ingress, host, index)
                if served_by is None:
                    result.problems.append(
                        f"{who(ingress)}: host {shown}: a canary Ingress without a main Ingress of class "
                        f"{index.class_name(ingress)} for the host: ingress-nginx serves nothing for it"
                    )
                    continue
            problems = (
                _alb_tls_problems(ingress, host, index)
                if alb
                else _secret_tls_problems(served_by, host, certificates, known, expected or {})
            )
            result.problems += [f"{who(ingress)}: host {shown}: {p}" for p in problems]
    return result


NGINX_CANARY = "nginx.ingress.kubernetes.io/canary"


def is_nginx_canary(ingress: Mapping) -> bool:
    """An ingress-nginx canary Ingress (annotation canary: "true"), served inside its main Ingress's server."""
    return _s(_annotations(ingress).get(NGINX_CANARY)).lower() == "true"


def _canary_main(canary: Mapping, host: str, index: _Ingresses) -> Mapping | None:
    """The non-canary Ingress of the same class serving ``host``: the server a canary Ingress joins."""
    for ingress in index.ingresses:
        if (
            ingress is not canary
            and not is_nginx_canary(ingress)
            and index.class_name(ingress) == index.class_name(canary)
            and host in _hosts(ingress)
        ):
            return ingress
    return None


def _alb_tls_problems(ingress: Mapping, host: str, index: _Ingresses) -> list[str]:
    annotations = _annotations(ingress)
    params = index.class_params(index.class_name(ingress))
    arns = [a.strip() for a in _s(annotations.get(ALB_CERTIFICATE_ARN)).split(",") if a.strip()]
    arns += [str(a) for a in (params.get("certificateArn") or ())]
    ports, error = _listen_ports(ingress, bool(arns))
    if error:
        return [error]
    problems = [f"certificate ARN '{a}' is not an ACM certificate ARN" for a in arns if not _ACM_ARN.match(a)]
    if "HTTPS" not in ports:
        return [*problems, f"the ALB listens on {sorted(ports)} only: served without TLS"]
    if "HTTP" in ports:
        redirect = _s(annotations.get(ALB_SSL_REDIRECT))
        if not redirect.isdigit() or int(redirect) not in ports["HTTPS"]:
            problems.append(
                f"HTTP listener {sorted(ports['HTTP'])} is not redirected ({ALB_SSL_REDIRECT} "
                f"{redirect or 'unset'}, HTTPS ports {sorted(ports['HTTPS'])}): the host is served over plain HTTP too"
            )
    tls_hosts = [h for entry in _spec(ingress).get("tls") or () for h in entry.get("hosts") or ()]
    if not any(_ACM_ARN.match(a) for a in arns) and not any(host_covered(h, host) for h in tls_hosts):
        problems.append(
            f"no certificate source: no {ALB_CERTIFICATE_ARN} and spec.tls[].hosts does not name the host, "
            f"so the HTTPS listener has no certificate for it"
        )
    return problems


def _secret_tls_problems(
    ingress: Mapping, host: str, certificates: list[dict], known: _Issuers, expected: Mapping[str, str]
) -> list[str]:
    namespace = _ns(ingress)
    annotations = _annotations(ingress)
    entries = [e for e in _spec(ingress).get("tls") or () if any(host_covered(h, host) for h in e.get("hosts") or ())]
    if not entries:
        return ["no spec.tls entry covers the host: served over plain HTTP"]
    secret = entries[0].get("secretName")
    if not secret:
        return ["its spec.tls entry has no secretName: the controller serves its self-signed default certificate"]
    problems = []
    if _s(annotations.get(NGINX_SSL_REDIRECT)).lower() == "false":
        problems.append(f"{NGINX_SSL_REDIRECT}: 'false': the host is served over plain HTTP too")
    issuer: Mapping | None = None
    producers = [c for c in certificates if _ns(c) == namespace and _spec(c).get("secretName") == secret]
    if producers:
        certificate = producers[0]
        names = [*(_spec(certificate).get("dnsNames") or ()), _spec(certificate).get("commonName") or ""]
        if not any(n and host_covered(str(n), host) for n in names):
            problems.append(
                f"{who(certificate)} makes Secret '{secret}' but its dnsNames {names[:-1]} do not cover the host"
            )
        ref = _spec(certificate).get("issuerRef") or {}
        group = ref.get("group") or CERT_MANAGER_GROUP
        kind = ref.get("kind") or "Issuer"
        issuer, exists = known.find(kind, namespace, str(ref.get("name")))
        if group != CERT_MANAGER_GROUP:
            exists = f"{kind}/{ref.get('name')}" in known.extra
        if not exists:
            problems.append(
                f"{who(certificate)} names issuer {group}/{kind} '{ref.get('name')}', which is not in the set"
            )
    elif annotations.get(SHIM_CLUSTER_ISSUER) or annotations.get(SHIM_ISSUER):
        kind = "ClusterIssuer" if annotations.get(SHIM_CLUSTER_ISSUER) else "Issuer"
        name = str(annotations.get(SHIM_CLUSTER_ISSUER) or annotations.get(SHIM_ISSUER))
        issuer, exists = known.find(kind, namespace, name)
        if not exists:
            problems.append(f"cert-manager annotation names {kind} '{name}', which is not in the set")
    else:
        problems.append(
            f"nothing produces TLS Secret '{secret}' in namespace '{namespace or '-'}': no cert-manager Certificate "
            f"makes it and the Ingress has no {SHIM_CLUSTER_ISSUER}/{SHIM_ISSUER} annotation"
        )
    if expected.get(host) == "internal" and _acme_http01_only(issuer, host):
        problems.append(
            f"{who(issuer or {})} would solve it by ACME HTTP-01 only, but the host is internal: the CA cannot "
            f"reach it from the internet, so the certificate is never issued"
        )
    return problems


# --------------------------------------------------------------------------------------------
# PromQL: the vector selectors of an expression

# Keywords that take a parenthesised list of label names (which are not metrics), and the other keywords.
# Ref https://prometheus.io/docs/prometheus/latest/querying/operators/ (aggregation and vector matching)
_LABEL_LIST_KEYWORDS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
_KEYWORDS = frozenset({"offset", "bool", "and", "or", "unless", "atan2", "inf", "nan"})
_IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_NUMBER = re.compile(
    r"0[xX][0-9a-fA-F]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?(?:(?:ms|[smhdwy])(?:\d+(?:ms|[smhdwy]))*)?"
)
_MATCH_OPS = ("=~", "!~", "!=", "=")


class PromQLError(ValueError):
    """An expression the tokenizer cannot read."""


@dataclass(frozen=True)
class Selector:
    """One vector selector: metric name ("" if the selector names none) and its label matchers."""

    metric: str
    matchers: tuple[tuple[str, str, str], ...] = ()
    name_regex: str = ""


@dataclass
class PromQL:
    selectors: list[Selector]
    functions: set[str]

    @property
    def metrics(self) -> set[str]:
        return {s.metric for s in self.selectors if s.metric}


def _read_string(text: str, i: int) -> tuple[str, int]:
    quote = text[i]
    out = []
    j = i + 1
    while j < len(text):
        ch = text[j]
        if ch == "\\" and quote != "`" and j + 1 < len(text):
            out.append(text[j + 1])
            j += 2
            continue
        if ch == quote:
            return "".join(out), j + 1
        out.append(ch)
        j += 1
    raise PromQLError(f"unterminated string at {i}: {text[i : i + 40]!r}")


def _skip_blank(text: str, i: int) -> int:
    while i < len(text):
        if text[i].isspace():
            i += 1
        elif text[i] == "#":
            end = text.find("\n", i)
            i = len(text) if end < 0 else end + 1
        else:
            break
    return i


def _closing(text: str, i: int) -> int:
    """Index after the bracket that closes the one at ``i`` (strings skipped)."""
    opening = text[i]
    closing = {"(": ")", "[": "]", "{": "}"}[opening]
    depth = 0
    j = i
    while j < len(text):
        ch = text[j]
        if ch in "\"'`":
            j = _read_string(text, j)[1]
            continue
        if ch == opening:
            depth += 1
        elif ch == closing:
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    raise PromQLError(f"unclosed {opening!r} at {i}: {text[i : i + 40]!r}")


def _read_matchers(text: str, i: int) -> tuple[list[tuple[str, str, str]], list[str], int]:
    """Matchers of the ``{...}`` at ``i``: (label, op, value) triples, bare quoted metric names, end."""
    matchers: list[tuple[str, str, str]] = []
    names: list[str] = []
    j = i + 1
    while True:
        j = _skip_blank(text, j)
        if j >= len(text):
            raise PromQLError(f"unclosed '{{' at {i}")
        if text[j] == "}":
            return matchers, names, j + 1
        if text[j] == ",":
            j += 1
            continue
        if text[j] in "\"'`":
            label, j = _read_string(text, j)
        else:
            m = _IDENT.match(text, j)
            if not m:
                raise PromQLError(f"expected a label name at {j}: {text[j : j + 40]!r}")
            label, j = m.group(), m.end()
        j = _skip_blank(text, j)
        op = next((o for o in _MATCH_OPS if text.startswith(o, j)), None)
        if op is None:
            names.append(label)  # {"metric.name", ...}: a quoted metric name (Prometheus 3)
            continue
        j = _skip_blank(text, j + len(op))
        if j >= len(text) or text[j] not in "\"'`":
            raise PromQLError(f"expected a string after {label}{op} at {j}: {text[j : j + 40]!r}")
        value, j = _read_string(text, j)
        matchers.append((label, op, value))


def _selectors(metric: str, matchers: list[tuple[str, str, str]], names: list[str]) -> list[Selector]:
    rest = tuple(m for m in matchers if m[0] != "__name__")
    found = [Selector(n, rest) for n in ([metric] if metric else []) + names]
    for _label, op, value in (m for m in matchers if m[0] == "__name__"):
        if op == "=":
            found.append(Selector(value, rest))
        elif op == "=~" and re.fullmatch(r"\^?\(?[A-Za-z0-9_:|]+\)?\$?", value):
            found += [Selector(n, rest) for n in value.strip("^$()").split("|") if n]
        else:
            found.append(Selector("", rest, f"{op}{value}"))
    return found or [Selector("", rest)]


def _word_at(text: str, i: int) -> str:
    match = _IDENT.match(text, i)
    return match.group().lower() if match else ""


def parse_promql(expr: str) -> PromQL:
    """The vector selectors and function names of a PromQL expression.

    A careful tokenizer, not a full parser (no PromQL parser is installed in this venv): it skips
    comments, strings, numbers and durations (ranges, subqueries, offset, @), keywords, label lists
    after by/without/on/ignoring/group_left/group_right, and label names inside ``{}``; an identifier
    followed by ``(``, or by ``by``/``without``, is a function or aggregation; any other identifier is
    a metric name. ``__name__``
    matchers and quoted names in braces name metrics too.
    """
    selectors: list[Selector] = []
    functions: set[str] = set()
    i = depth = 0
    while i < len(expr):
        i = _skip_blank(expr, i)
        if i >= len(expr):
            break
        ch = expr[i]
        if ch in "\"'`":
            i = _read_string(expr, i)[1]
        elif ch == "[":
            i = _closing(expr, i)  # a range or subquery: durations only
        elif ch.isdigit() or (ch == "." and expr[i + 1 : i + 2].isdigit()):
            match = _NUMBER.match(expr, i)
            i = match.end() if match else i + 1
        elif ch == "{":
            matchers, names, i = _read_matchers(expr, i)
            selectors += _selectors("", matchers, names)
        elif match := _IDENT.match(expr, i):
            word, i = match.group(), match.end()
            j = _skip_blank(expr, i)
            following = expr[j : j + 1]
            if word.lower() in _LABEL_LIST_KEYWORDS:
                if following == "(":
                    i = _closing(expr, j)
            elif word.lower() in _KEYWORDS:
                pass
            elif following == "(" or _word_at(expr, j) in ("by", "without"):
                functions.add(word)  # a function, or an aggregation with its grouping first: sum by (x) (...)
            elif following == "{":
                matchers, names, i = _read_matchers(expr, j)
                selectors += _selectors(word, matchers, names)
            else:
                selectors.append(Selector(word))
        else:
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if depth < 0:
                raise PromQLError(f"unbalanced ')' at {i}: {expr[max(0, i - 20) : i + 20]!r}")
            i += 1  # operators and punctuation
    if depth:
        raise PromQLError(f"{depth} unclosed '(' in {expr[:60]!r}")
    return PromQL(selectors, functions)


# --------------------------------------------------------------------------------------------
# exporters: which scrape target emits which metric


@dataclass(frozen=True)
class Emitter:
    """Where a metric comes from: a Service (``labels`` on the Service, ``port`` its port name) or pod
    template (``labels`` on the pods, ``port`` a container port name) scraped at ``path``; kind "any"
    (every scraped target emits it) or "prometheus" (Prometheus makes it itself)."""

    what: str
    kind: str
    labels: Mapping = field(default_factory=dict)
    port: str = ""
    path: str = "/metrics"
    namespace: str = ""
    ref: str = ""


_KPS = "kube-prometheus-stack 72.x"

KUBE_STATE_METRICS = Emitter(
    "kube-state-metrics (the kube-prometheus-stack subchart), Service port 'http' (8080)",
    "Service",
    {"app.kubernetes.io/name": "kube-state-metrics"},
    "http",
    ref="https://github.com/kubernetes/kube-state-metrics/tree/main/docs#metrics-documentation; "
    "prometheus-community/helm-charts charts/kube-state-metrics/templates/service.yaml",
)
KUBE_STATE_METRICS_TELEMETRY = Emitter(
    "kube-state-metrics' own telemetry, Service port 'metrics' (8081, only with selfMonitor.enabled)",
    "Service",
    {"app.kubernetes.io/name": "kube-state-metrics"},
    "metrics",
    ref="https://github.com/kubernetes/kube-state-metrics/blob/main/docs/developer/cli-arguments.md "
    "(--telemetry-port); chart values selfMonitor.enabled (default false) adds the 'metrics' port",
)
NODE_EXPORTER = Emitter(
    "prometheus-node-exporter DaemonSet, Service port 'http-metrics' (9100)",
    "Service",
    {"app.kubernetes.io/name": "prometheus-node-exporter"},
    "http-metrics",
    ref="https://github.com/prometheus/node_exporter; charts/prometheus-node-exporter/templates/service.yaml",
)
KUBELET = Emitter(
    "kubelet /metrics, via the kube-system/kubelet Service the prometheus-operator maintains, port 'https-metrics'",
    "Service",
    {"k8s-app": "kubelet"},
    "https-metrics",
    namespace="kube-system",
    ref="https://kubernetes.io/docs/reference/instrumentation/metrics/; prometheus-operator --kubelet-service",
)
KUBELET_CADVISOR = Emitter(
    "cAdvisor in the kubelet, /metrics/cadvisor on port 'https-metrics'",
    "Service",
    {"k8s-app": "kubelet"},
    "https-metrics",
    path="/metrics/cadvisor",
    namespace="kube-system",
    ref="https://github.com/google/cadvisor/blob/master/docs/storage/prometheus.md",
)
KUBELET_PROBES = Emitter(
    "kubelet probe results, /metrics/probes on port 'https-metrics'",
    "Service",
    {"k8s-app": "kubelet"},
    "https-metrics",
    path="/metrics/probes",
    namespace="kube-system",
    ref="https://kubernetes.io/docs/reference/instrumentation/metrics/ (prober_probe_total)",
)
APISERVER = Emitter(
    "kube-apiserver, Service default/kubernetes port 'https'",
    "Service",
    {"component": "apiserver", "provider": "kubernetes"},
    "https",
    namespace="default",
    ref="https://kubernetes.io/docs/reference/instrumentation/metrics/",
)
PROMETHEUS = Emitter(
    f"Prometheus server ({_KPS}), Service port 'http-web'",
    "Service",
    {"app": "kube-prometheus-stack-prometheus", "self-monitor": "true"},
    "http-web",
    ref="https://prometheus.io/docs/prometheus/latest/; kube-prometheus-stack templates/prometheus/service.yaml",
)
PROMETHEUS_RELOADER = Emitter(
    "config-reloader sidecar of Prometheus, Service port 'reloader-web'",
    "Service",
    {"app": "kube-prometheus-stack-prometheus", "self-monitor": "true"},
    "reloader-web",
    ref="https://github.com/prometheus-operator/prometheus-operator/tree/main/cmd/prometheus-config-reloader",
)
ALERTMANAGER = Emitter(
    f"Alertmanager ({_KPS}), Service port 'http-web'",
    "Service",
    {"app": "kube-prometheus-stack-alertmanager", "self-monitor": "true"},
    "http-web",
    ref="https://prometheus.io/docs/alerting/latest/alertmanager/; templates/alertmanager/service.yaml",
)
ALERTMANAGER_RELOADER = Emitter(
    "config-reloader sidecar of Alertmanager, Service port 'reloader-web'",
    "Service",
    {"app": "kube-prometheus-stack-alertmanager", "self-monitor": "true"},
    "reloader-web",
    ref="https://github.com/prometheus-operator/prometheus-operator/tree/main/cmd/prometheus-config-reloader",
)
PROMETHEUS_OPERATOR = Emitter(
    f"prometheus-operator ({_KPS}), Service port 'https'",
    "Service",
    {"app": "kube-prometheus-stack-operator"},
    "https",
    ref="https://prometheus-operator.dev/docs/platform/operator-metrics/; templates/prometheus-operator/service.yaml",
)
COREDNS = Emitter(
    f"CoreDNS, via the kube-system Service {_KPS} adds (coreDns.service), port 'http-metrics'",
    "Service",
    {"app": "kube-prometheus-stack-coredns"},
    "http-metrics",
    namespace="kube-system",
    ref="https://coredns.io/plugins/metrics/; kube-prometheus-stack templates/exporters/core-dns/service.yaml",
)
INGRESS_NGINX = Emitter(
    "ingress-nginx controller, Service <release>-controller-metrics port 'metrics' (controller.metrics.enabled)",
    "Service",
    {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"},
    "metrics",
    ref="https://kubernetes.github.io/ingress-nginx/user-guide/monitoring/; "
    "charts/ingress-nginx/templates/controller-service-metrics.yaml",
)
ARGO_WORKFLOWS = Emitter(
    "Argo Workflows controller, Service <release>-workflow-controller port 'metrics' (controller.metricsConfig)",
    "Service",
    {"app.kubernetes.io/component": "workflow-controller", "app.kubernetes.io/part-of": "argo-workflows"},
    "metrics",
    ref="https://argo-workflows.readthedocs.io/en/latest/metrics/; "
    "argo-helm charts/argo-workflows/templates/controller/workflow-controller-service.yaml",
)
KEDA = Emitter(
    "KEDA operator, Service keda-operator port 'metrics' (8080)",
    "Service",
    {"app.kubernetes.io/name": "keda-operator"},
    "metrics",
    ref="https://keda.sh/docs/2.18/integrations/prometheus/; kedacore/charts keda/templates/manager/service.yaml",
)
KARPENTER = Emitter(
    "Karpenter controller, Service karpenter port 'http-metrics' (8080)",
    "Service",
    {"app.kubernetes.io/name": "karpenter"},
    "http-metrics",
    ref="https://karpenter.sh/docs/reference/metrics/; charts/karpenter/templates/service.yaml",
)
DCGM_EXPORTER = Emitter(
    "NVIDIA DCGM exporter DaemonSet, Service port 'metrics' (9400)",
    "Service",
    {"app.kubernetes.io/name": "dcgm-exporter"},
    "metrics",
    ref="https://docs.nvidia.com/datacenter/cloud-native/gpu-telemetry/latest/dcgm-exporter.html; "
    "NVIDIA/dcgm-exporter deployment/templates/service.yaml",
)
MLFLOW = Emitter(
    "MLflow tracking server run with --expose-prometheus (prometheus_flask_exporter), Service port 'http'",
    "Service",
    {"app.kubernetes.io/name": "mlflow"},
    "http",
    ref="https://mlflow.org/docs/latest/api_reference/cli.html#mlflow-server (--expose-prometheus); "
    "community-charts mlflow templates/servicemonitor.yaml",
)
MLSERVER = Emitter(
    "MLServer predictor pods of KServe (RawDeployment; the mlops-mlserver runtime), container port 'metrics' (8082)",
    "Pod",
    {"component": "predictor", "platform.mlops/server": "mlserver"},
    "metrics",
    ref="https://github.com/SeldonIO/MLServer/blob/1.5.0/docs/user-guide/metrics.md (rest_server_*, model_infer_*, "
    "parallel_request_queue_*); roles/kserve/templates/inference-services.yaml.j2 (PodMonitor mlserver-predictors)",
)
VLLM = Emitter(
    "vLLM predictor pods of KServe (the mlops-vllm runtime), container port 'http1' (8080, /metrics beside the API)",
    "Pod",
    {"component": "predictor", "platform.mlops/server": "vllm"},
    "http1",
    ref="https://docs.vllm.ai/en/v0.8.0/serving/metrics.html (vllm:*); "
    "roles/kserve/templates/inference-services.yaml.j2 (PodMonitor vllm-predictors)",
)
CERT_MANAGER = Emitter(
    "cert-manager controller, Service port 'tcp-prometheus-servicemonitor' (9402)",
    "Service",
    {"app.kubernetes.io/name": "cert-manager", "app.kubernetes.io/component": "controller"},
    "tcp-prometheus-servicemonitor",
    ref="https://cert-manager.io/docs/devops-tips/prometheus-metrics/",
)
KYVERNO = Emitter(
    "Kyverno controllers, Services *-metrics port 'metrics-port' (8000)",
    "Service",
    {"app.kubernetes.io/part-of": "kyverno"},
    "metrics-port",
    ref="https://kyverno.io/docs/monitoring/",
)
EXTERNAL_SECRETS = Emitter(
    "External Secrets controller, Service external-secrets-metrics port 'metrics'",
    "Service",
    {"app.kubernetes.io/name": "external-secrets"},
    "metrics",
    ref="https://external-secrets.io/latest/api/metrics/",
)
ARGOCD = Emitter(
    "Argo CD components, Services *-metrics port 'http-metrics'",
    "Service",
    {"app.kubernetes.io/part-of": "argocd"},
    "http-metrics",
    ref="https://argo-cd.readthedocs.io/en/stable/operator-manual/metrics/",
)
TETRAGON = Emitter(
    "Tetragon agent, Service tetragon port 'metrics' (2112)",
    "Service",
    {"app.kubernetes.io/name": "tetragon"},
    "metrics",
    ref="https://tetragon.io/docs/reference/metrics/",
)
ANY_TARGET = Emitter(
    "every scraped Go/Python target (client library process/runtime metrics)",
    "any",
    ref="https://prometheus.io/docs/instrumenting/writing_clientlibs/#standard-and-runtime-collectors",
)
PROMETHEUS_ITSELF = Emitter(
    "Prometheus itself: per scrape target (up, scrape_*) and per alerting rule (ALERTS, ALERTS_FOR_STATE)",
    "prometheus",
    ref="https://prometheus.io/docs/concepts/jobs_instances/#automatically-generated-labels-and-time-series; "
    "https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/#inspecting-alerts-during-runtime",
)

# Metric-name prefix (ending in "_" or ":") or exact name -> the emitters that can produce it (any one scraped
# is enough). The longest matching key wins. Labels and ports are those of the pinned charts as this
# platform renders them (both inventories).
EXPORTERS: dict[str, tuple[Emitter, ...]] = {
    "kube_": (KUBE_STATE_METRICS,),
    "kube_state_metrics_": (KUBE_STATE_METRICS_TELEMETRY,),
    "node_": (NODE_EXPORTER,),
    "kubelet_": (KUBELET,),
    "storage_operation_": (KUBELET,),
    "volume_manager_": (KUBELET,),
    "prober_": (KUBELET_PROBES,),
    "container_": (KUBELET_CADVISOR,),
    "machine_": (KUBELET_CADVISOR,),
    "apiserver_": (APISERVER,),
    "aggregator_": (APISERVER,),
    "etcd_": (APISERVER,),
    "kubernetes_build_info": (APISERVER, KUBELET),
    "rest_client_": (APISERVER, KUBELET),
    "workqueue_": (ANY_TARGET,),
    "controller_runtime_": (ANY_TARGET,),
    "process_": (ANY_TARGET,),
    "go_": (ANY_TARGET,),
    "python_": (ANY_TARGET,),
    "up": (PROMETHEUS_ITSELF,),
    "scrape_": (PROMETHEUS_ITSELF,),
    "ALERTS": (PROMETHEUS_ITSELF,),
    "ALERTS_FOR_STATE": (PROMETHEUS_ITSELF,),
    "prometheus_": (PROMETHEUS,),
    "net_conntrack_": (PROMETHEUS,),
    "prometheus_operator_": (PROMETHEUS_OPERATOR,),
    "alertmanager_": (ALERTMANAGER,),
    "reloader_": (PROMETHEUS_RELOADER, ALERTMANAGER_RELOADER),
    "coredns_": (COREDNS,),
    "nginx_ingress_controller_": (INGRESS_NGINX,),
    "argo_workflows_": (ARGO_WORKFLOWS,),
    "keda_": (KEDA,),
    "karpenter_": (KARPENTER,),
    "DCGM_FI_": (DCGM_EXPORTER,),
    # MLflow 3.7's prometheus_exporter.py: prometheus_flask_exporter with defaults_prefix "mlflow"
    "mlflow_http_request_": (MLFLOW,),
    "rest_server_": (MLSERVER,),
    "model_infer_": (MLSERVER,),
    "parallel_request_queue_": (MLSERVER,),
    "vllm:": (VLLM,),
    "certmanager_": (CERT_MANAGER,),
    "kyverno_": (KYVERNO,),
    "externalsecret_": (EXTERNAL_SECRETS,),
    "argocd_": (ARGOCD,),
    "tetragon_": (TETRAGON,),
}


def emitters_of(metric: str, exporters: Mapping[str, tuple[Emitter, ...]]) -> tuple[Emitter, ...]:
    """The emitters of the longest key that matches ``metric`` (a key ending in "_" or ":" is a prefix)."""
    best: tuple[int, tuple[Emitter, ...]] = (-1, ())
    for key, emitters in exporters.items():
        matches = metric.startswith(key) if key.endswith(("_", ":")) else metric == key
        if matches and len(key) > best[0]:
            best = (len(key), tuple(emitters))
    return best[1]


def _kserve_predictor_pods(objs: list[dict]) -> Iterator[tuple[dict, dict, dict]]:
    """(InferenceService, pod spec, pod metadata) of the predictor pods KServe makes at run time for each
    InferenceService of the set that a runtime serves: the labels and the kserve-container (with the runtime's
    ports) as serving.py derives them, so a PodMonitor of the predictors is judged like any other."""
    from . import serving as S  # serving.py imports this module

    runtimes = S._runtimes(objs)
    for isvc in S._isvcs(objs):
        matches = S.matching_runtimes(isvc, runtimes)
        if matches:
            pod = {"containers": [S._predictor_container(isvc, matches[0])]}
            yield isvc, pod, {"labels": S.predictor_pod_labels(isvc, matches[0])}


class _Scrapes:
    """What the monitors of a set scrape, and which monitors a Prometheus of the set loads.

    A Prometheus loads a ServiceMonitor/PodMonitor that its ``serviceMonitorSelector`` /
    ``podMonitorSelector`` selects (an empty selector selects all, a missing one none) in a namespace
    its ``*NamespaceSelector`` selects (empty: all; missing: its own namespace only; else by the
    Namespace's labels). Ref https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.PrometheusSpec
    With no Prometheus in the set every monitor counts as loaded (the Prometheus is elsewhere).
    """

    def __init__(self, objs: list[dict], also_present: Iterable[dict]):
        self.prometheuses = _of_kind(objs, "Prometheus", "monitoring.coreos.com")
        self.namespace_labels = {
            _meta(n).get("name"): {**_labels(_meta(n)), "kubernetes.io/metadata.name": _meta(n).get("name")}
            for n in _of_kind(objs, "Namespace")
        }
        self.services = [o for o in [*objs, *also_present] if o.get("kind") == "Service"]
        self.templates = [*pod_templates(objs), *_kserve_predictor_pods(objs)]
        self.monitors = [
            m
            for m in objs
            if m.get("kind") in ("ServiceMonitor", "PodMonitor")
            and str(m.get("apiVersion", "")).startswith("monitoring.coreos.com/")
        ]

    def _ns_labels(self, namespace: str) -> Mapping:
        return self.namespace_labels.get(namespace) or {"kubernetes.io/metadata.name": namespace}

    def loads(self, obj: Mapping, selector_key: str, namespace_key: str) -> bool:
        if not self.prometheuses:
            return True
        for prometheus in self.prometheuses:
            spec = _spec(prometheus)
            selector = spec.get(selector_key)
            if selector is None or not selector_matches(selector, _labels(_meta(obj))):
                continue
            namespace_selector = spec.get(namespace_key)
            if namespace_selector is None:
                if _ns(obj) == _ns(prometheus):
                    return True
            elif selector_matches(namespace_selector, self._ns_labels(_ns(obj))):
                return True
        return False

    def monitor_loaded(self, monitor: Mapping) -> bool:
        if monitor.get("kind") == "ServiceMonitor":
            return self.loads(monitor, "serviceMonitorSelector", "serviceMonitorNamespaceSelector")
        return self.loads(monitor, "podMonitorSelector", "podMonitorNamespaceSelector")

    def rule_loaded(self, rule: Mapping) -> bool:
        return self.loads(rule, "ruleSelector", "ruleNamespaceSelector")

    def _service_endpoint(self, monitor: Mapping, svc: Mapping, port: str, path: str) -> bool:
        if not (
            _namespace_selected(monitor, _ns(svc))
            and selector_matches(_spec(monitor).get("selector"), _labels(_meta(svc)))
        ):
            return False
        service_port = next((p for p in _spec(svc).get("ports") or () if p.get("name") == port), None)
        for endpoint in _spec(monitor).get("endpoints") or ():
            if (endpoint.get("path") or "/metrics") != path:
                continue
            if endpoint.get("port") == port:
                return True
            target = endpoint.get("targetPort")
            if target is not None and service_port is not None and target == service_port.get("targetPort"):
                return True
        return False

    def scraped(self, emitter: Emitter) -> tuple[bool, str]:
        """(scraped, why not) for one emitter."""
        loaded = [m for m in self.monitors if self.monitor_loaded(m)]
        if emitter.kind == "prometheus":
            if self.prometheuses or self.monitors:
                return True, ""
            return False, "no Prometheus and no monitor in the set"
        if emitter.kind == "any":
            return (True, "") if loaded else (False, "no monitor that a Prometheus loads is in the set")
        wanted = {"matchLabels": dict(emitter.labels)}
        if emitter.kind == "Pod":
            return self._pod_scraped(emitter, wanted, loaded)
        services = [
            s
            for s in self.services
            if selector_matches(wanted, _labels(_meta(s)))
            and (not emitter.namespace or _ns(s) == emitter.namespace)
            and any(p.get("name") == emitter.port for p in _spec(s).get("ports") or ())
        ]
        if not services:
            return False, (
                f"it comes from {emitter.what}; no Service in the set has labels {dict(emitter.labels)} and a port "
                f"'{emitter.port}'"
            )
        scrapers = [
            m
            for m in self.monitors
            if m.get("kind") == "ServiceMonitor"
            and any(self._service_endpoint(m, s, emitter.port, emitter.path) for s in services)
        ]
        if any(any(m is x for x in loaded) for m in scrapers):
            return True, ""
        names = sorted(who(s) for s in services)
        if scrapers:
            return False, (
                f"it comes from {names} (port '{emitter.port}'); {who(scrapers[0])} scrapes it, but no Prometheus of "
                f"the set loads that monitor"
            )
        return False, (
            f"it comes from {names} (port '{emitter.port}', path {emitter.path}), which no ServiceMonitor in the set "
            f"scrapes"
        )

    def _pod_scraped(self, emitter: Emitter, wanted: Mapping, loaded: list[dict]) -> tuple[bool, str]:
        pods = [
            (obj, meta)
            for obj, podspec, meta in self.templates
            if selector_matches(wanted, _labels(meta))
            and any(p.get("name") == emitter.port for c in _containers(podspec) for p in c.get("ports") or ())
        ]
        if not pods:
            return False, f"it comes from {emitter.what}; no pod template in the set has labels {dict(emitter.labels)}"
        for monitor in loaded:
            if monitor.get("kind") != "PodMonitor":
                continue
            for obj, meta in pods:
                if not (
                    _namespace_selected(monitor, _ns(obj))
                    and selector_matches(_spec(monitor).get("selector"), _labels(meta))
                ):
                    continue
                for endpoint in _spec(monitor).get("podMetricsEndpoints") or ():
                    if endpoint.get("port") == emitter.port and (endpoint.get("path") or "/metrics") == emitter.path:
                        return True, ""
        names = sorted(who(o) for o, _meta in pods)
        return False, f"it comes from the pods of {names} (port '{emitter.port}'), which no loaded PodMonitor scrapes"


def _prometheus_triggers(scaled_object: Mapping) -> Iterator[tuple[int, Mapping]]:
    for i, trigger in enumerate(_spec(scaled_object).get("triggers") or ()):
        if isinstance(trigger, Mapping) and trigger.get("type") == "prometheus":
            yield i, trigger.get("metadata") or {}


def _query_sources(objs: list[dict], include_rule: Callable[[dict], bool] | None) -> Iterator[tuple[dict, str, str]]:
    """(object, where, PromQL) of every KEDA prometheus trigger and every (included) PrometheusRule expr."""
    for scaled_object in _of_kind(objs, "ScaledObject", "keda.sh"):
        for i, metadata in _prometheus_triggers(scaled_object):
            yield scaled_object, f"triggers[{i}].query", str(metadata.get("query") or "")
    for rule_object in _of_kind(objs, "PrometheusRule", "monitoring.coreos.com"):
        if include_rule is not None and not include_rule(rule_object):
            continue
        for group in _spec(rule_object).get("groups") or ():
            for rule in group.get("rules") or ():
                name = rule.get("alert") or rule.get("record")
                yield rule_object, f"group {group.get('name')} rule {name}", str(rule.get("expr") or "")


def queries_scraped(
    objs: Iterable[dict],
    exporters: Mapping[str, tuple[Emitter, ...]] | None = None,
    include_rule: Callable[[dict], bool] | None = None,
    also_present: Iterable[dict] = CLUSTER_PROVIDED_SERVICES,
) -> Result:
    """Every metric a KEDA prometheus trigger or a PrometheusRule expr of the set reads is produced:
    by a recording rule of the set (a name with ':' must be), or by an emitter of ``exporters`` (default
    :data:`EXPORTERS`) that a ServiceMonitor/PodMonitor of the set scrapes on the right port and path,
    that monitor being loaded by a Prometheus of the set. A PrometheusRule no Prometheus loads is a
    problem of its own (it is never evaluated).

    ``include_rule(prometheus_rule) -> bool`` leaves rules out (e.g. the charts' default rules);
    ``also_present``: objects the cluster has outside the set (the kubelet and apiserver Services).
    Examined: one entry per (object, rule or trigger, metric).
    """
    objs = list(objs)
    exporters = EXPORTERS if exporters is None else exporters
    result = Result("queries_scraped")
    scrapes = _Scrapes(objs, also_present)
    recorded = {
        str(rule.get("record"))
        for rule_object in _of_kind(objs, "PrometheusRule", "monitoring.coreos.com")
        if scrapes.rule_loaded(rule_object)
        for group in _spec(rule_object).get("groups") or ()
        for rule in group.get("rules") or ()
        if rule.get("record")
    }
    for rule_object in _of_kind(objs, "PrometheusRule", "monitoring.coreos.com"):
        if (include_rule is None or include_rule(rule_object)) and not scrapes.rule_loaded(rule_object):
            result.problems.append(f"{who(rule_object)}: no Prometheus of the set loads it: its rules never run")
    verdicts: dict[str, tuple[bool, str]] = {}
    missing: dict[tuple[str, str], tuple[list[str], str]] = {}
    for obj, where, expr in _query_sources(objs, include_rule):
        if not expr.strip():
            result.problems.append(f"{who(obj)}: {where}: empty query")
            continue
        try:
            parsed = parse_promql(expr)
        except PromQLError as error:
            result.problems.append(f"{who(obj)}: {where}: cannot read the query ({error})")
            continue
        for selector in parsed.selectors:
            if not selector.metric:
                result.examined.append(f"{who(obj)} {where}: selector {selector.name_regex or selector.matchers}")
                result.problems.append(
                    f"{who(obj)}: {where}: selects series by {selector.name_regex or selector.matchers} without a "
                    f"metric name: what it reads cannot be checked"
                )
        for metric in sorted(parsed.metrics):
            result.examined.append(f"{who(obj)} {where}: {metric}")
            if metric not in verdicts:
                verdicts[metric] = _produced(metric, recorded, exporters, scrapes)
            ok, why = verdicts[metric]
            if not ok:
                missing.setdefault((who(obj), metric), ([], why))[0].append(where)
    for (name, metric), (wheres, why) in missing.items():
        more = f" and {len(wheres) - 1} more" if len(wheres) > 1 else ""
        result.problems.append(f"{name}: {wheres[0]}{more} reads {metric}, which nothing scrapes: {why}")
    return result


def _produced(
    metric: str, recorded: set[str], exporters: Mapping[str, tuple[Emitter, ...]], scrapes: _Scrapes
) -> tuple[bool, str]:
    if metric in recorded:
        return True, ""
    emitters = emitters_of(metric, exporters)
    if not emitters and ":" in metric:
        # Ref https://prometheus.io/docs/practices/rules/#naming (level:metric:operations); exporters rarely use
        # ':' (vLLM's vllm:* do: name them in the table)
        return False, "a recording-rule name, but no rule of the set (that a Prometheus loads) records it"
    if not emitters:
        return False, "no exporter in the table emits it"
    reasons = []
    for emitter in emitters:
        ok, why = scrapes.scraped(emitter)
        if ok:
            return True, ""
        reasons.append(why)
    return False, " / ".join(reasons)


# --------------------------------------------------------------------------------------------
# 6. KEDA scalers

KSERVE_DEPLOYMENT_MODES = ("Standard", "RawDeployment")  # a Deployment per component; Serverless/Knative: a ksvc
KSERVE_MODE_ANNOTATION = "serving.kserve.io/deploymentMode"
KSERVE_AUTOSCALER_ANNOTATION = "serving.kserve.io/autoscalerClass"
KSERVE_POD_LABEL = "serving.kserve.io/inferenceservice"

# Series that exist only while a pod exists: kube-state-metrics' pod metrics and cAdvisor's container
# metrics. Ref https://github.com/kubernetes/kube-state-metrics/blob/main/docs/metrics/workload/pod-metrics.md
PER_POD_PREFIXES = ("kube_pod_", "container_")
# Functions that make a value out of nothing: a query using them has another source than the series.
_CONSTANT_FUNCTIONS = frozenset({"vector", "absent", "absent_over_time", "time", "scalar"})


def _kserve_default_mode(objs: list[dict]) -> str:
    """defaultDeploymentMode of the inferenceservice-config ConfigMap in the set ("" if absent)."""
    for cm in _of_kind(objs, "ConfigMap"):
        if _meta(cm).get("name") != "inferenceservice-config":
            continue
        raw = (cm.get("data") or {}).get("deploy") or ""
        try:
            return str(json.loads(raw).get("defaultDeploymentMode") or "")
        except (ValueError, AttributeError):
            match = re.search(r'"defaultDeploymentMode"\s*:\s*"([^"]+)"', raw)
            return match.group(1) if match else ""
    return ""


def _server_service(address: str, services: list[dict]) -> tuple[bool, str]:
    """Whether a trigger's serverAddress (``http://<svc>.<ns>.svc[.cluster.local]:<port>``) names a
    Service of the set with that port; addresses outside the cluster are not judged."""
    match = re.match(r"^https?://([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?(?::(\d+))?(?:/.*)?$", address)
    if not match:
        return True, ""
    name, namespace, port = match.group(1), match.group(2), match.group(3)
    service = next((s for s in services if _meta(s).get("name") == name and _ns(s) == namespace), None)
    if service is None:
        return False, f"serverAddress {address} names Service {namespace}/{name}, which is not in the set"
    if port and not any(str(p.get("port")) == port for p in _spec(service).get("ports") or ()):
        return False, f"serverAddress {address}: Service {who(service)} has no port {port}"
    return True, ""


def _confined_to_namespace(selector: Selector, namespace: str) -> bool:
    for label, op, value in selector.matchers:
        if label != "namespace":
            continue
        if op == "=" and value == namespace:
            return True
        if op == "=~" and re.fullmatch(r"[a-z0-9-]+", value) and value == namespace:
            return True
    return False


def _confined_to_pods_of(selector: Selector, target: str) -> bool:
    return any(
        label == "pod" and op == "=~" and value.startswith(f"{target}-") for label, op, value in selector.matchers
    )


def _gpu_filtered(selector: Selector) -> bool:
    """Whether the selector keeps only GPU series (kube-state-metrics spells the resource nvidia_com_gpu)."""
    return any(
        label == "resource" and op in ("=", "=~") and "nvidia_com_gpu" in value
        for label, op, value in selector.matchers
    )


def _self_fed(
    parsed: PromQL,
    namespace: str,
    target: str,
    others: list[str],
    target_only: set[str],
    gpu_others: list[str] | None = None,
) -> str | None:
    """Why a query can only be non-zero while the target's own pods exist, or None.

    Rule: the query uses no value-from-nothing function (vector, absent, time, scalar), has at least
    one selector, and EVERY selector is one of
    (a) a per-pod series (kube_pod_*, container_*) confined to the target's pods (``pod=~"<target>-..."``);
    (b) a per-pod series confined to the target's namespace (``namespace="<ns>"``) where the set renders
        no other pod source (workload, InferenceService, Argo template) than the target — no other GPU pod
        source when the selector keeps GPU series only (``resource="nvidia_com_gpu"``);
    (c) a metric in ``target_only``: every emitter of it (``exporters``) scrapes the target's own pods.
    Then, at zero replicas, no selector returns a series, the query is empty (KEDA's prometheus scaler
    reads empty as 0, ignoreNullValues defaults to true) and 0 never exceeds activationThreshold.
    Ref https://keda.sh/docs/2.18/scalers/prometheus/ and https://keda.sh/docs/2.18/concepts/scaling-deployments/#activating-and-scaling-thresholds
    """
    if parsed.functions & _CONSTANT_FUNCTIONS or not parsed.selectors:
        return None
    reasons = []
    for selector in parsed.selectors:
        per_pod = selector.metric.startswith(PER_POD_PREFIXES)
        if per_pod and _confined_to_pods_of(selector, target):
            reasons.append(f"{selector.metric} of the target's own pods")
        elif per_pod and _confined_to_namespace(selector, namespace) and _gpu_filtered(selector) and not gpu_others:
            reasons.append(f"GPU {selector.metric} of namespace {namespace}, where only the target's pods take a GPU")
        elif per_pod and _confined_to_namespace(selector, namespace) and not others:
            reasons.append(f"{selector.metric} of namespace {namespace}, where the set runs no pod but the target's")
        elif selector.metric in target_only:
            reasons.append(f"{selector.metric}, scraped from the target's own pods only")
        else:
            return None
    return "; ".join(sorted(set(reasons)))


def scalers_wired(objs: Iterable[dict], exporters: Mapping[str, tuple[Emitter, ...]] | None = None) -> Result:
    """Every KEDA ScaledObject (keda.sh/v1alpha1) scales something and can leave zero.

    * scaleTargetRef (kind default Deployment) exists in the ScaledObject's namespace — or is the
      predictor Deployment ``<isvc>-predictor`` of an InferenceService there, which KServe creates only
      in Standard (formerly RawDeployment) mode (Ref kserve pkg/constants/constants.go
      PredictorServiceName, DeploymentModeType); the InferenceService must then say
      ``serving.kserve.io/autoscalerClass: external``, else KServe's own HPA fights KEDA's.
      Ref https://keda.sh/docs/2.18/reference/scaledobject-spec/ (target in the same namespace)
    * a prometheus trigger has a query, and a serverAddress inside the cluster names a Service of the set.
    * minReplicaCount 0 (KEDA's default when unset; Ref the spec above) with a trigger whose query is
      fed only by the target's own pods is a dead end: see :func:`_self_fed` for the rule. With
      ``exporters``, a metric only the target's pods emit counts as such.
    Examined: one entry per ScaledObject and per trigger.
    """
    objs = list(objs)
    result = Result("scalers_wired")
    workloads = {(o.get("kind"), _ns(o), _meta(o).get("name")): (o, meta) for o, _spec_, meta in pod_templates(objs)}
    isvcs = {(_ns(i), _meta(i).get("name")): i for i in _of_kind(objs, "InferenceService", "serving.kserve.io")}
    default_mode = _kserve_default_mode(objs)
    services = [o for o in objs if o.get("kind") == "Service"]
    shapes = list(pod_shapes(objs))
    for scaled_object in _of_kind(objs, "ScaledObject", "keda.sh"):
        namespace = _ns(scaled_object)
        spec = _spec(scaled_object)
        ref = spec.get("scaleTargetRef") or {}
        kind, name = ref.get("kind") or "Deployment", str(ref.get("name"))
        minimum = spec.get("minReplicaCount", 0)
        result.examined.append(f"{who(scaled_object)} -> {kind}/{name} (minReplicaCount {minimum})")
        target = workloads.get((kind, namespace, name))
        target_labels: Mapping = _labels(target[1]) if target else {}
        isvc = isvcs.get((namespace, name.removesuffix("-predictor"))) if name.endswith("-predictor") else None
        if target is None and kind == "Deployment" and isvc is not None:
            mode = _s(_annotations(isvc).get(KSERVE_MODE_ANNOTATION)) or default_mode
            autoscaler = _s(_annotations(isvc).get(KSERVE_AUTOSCALER_ANNOTATION))
            target_labels = {KSERVE_POD_LABEL: _meta(isvc).get("name")}
            if mode not in KSERVE_DEPLOYMENT_MODES:
                result.problems.append(
                    f"{who(scaled_object)}: targets {kind}/{name}, the predictor of {who(isvc)}, but that runs in "
                    f"deployment mode '{mode or 'unknown'}' (a Knative Service), so no Deployment {name} exists"
                )
            elif autoscaler != "external":
                result.problems.append(
                    f"{who(scaled_object)}: scales the predictor of {who(isvc)}, whose {KSERVE_AUTOSCALER_ANNOTATION} "
                    f"is '{autoscaler or 'hpa (default)'}', not 'external': KServe's own HPA and KEDA fight over "
                    f"its replicas"
                )
        elif target is None:
            result.problems.append(
                f"{who(scaled_object)}: scaleTargetRef {kind}/{name} is not in namespace '{namespace or '-'}' (nor the "
                f"predictor Deployment <isvc>-predictor of an InferenceService there): KEDA has nothing to scale"
            )
        target_objs = [o for o in (target[0] if target else None, isvc) if o is not None]
        others = sorted(
            {s.label for s in shapes if _ns(s.obj) == namespace and not any(s.obj is t for t in target_objs)}
        )
        gpu_others = sorted(
            {
                s.label
                for s in shapes
                if _ns(s.obj) == namespace and s.gpus > 0 and not any(s.obj is t for t in target_objs)
            }
        )
        for i, metadata in _prometheus_triggers(scaled_object):
            query = str(metadata.get("query") or "")
            result.examined.append(f"{who(scaled_object)} triggers[{i}] prometheus: {query or '(no query)'}")
            if not query.strip():
                result.problems.append(f"{who(scaled_object)}: triggers[{i}] has no query: it never scales")
                continue
            ok, why = _server_service(str(metadata.get("serverAddress") or ""), services)
            if not ok:
                result.problems.append(f"{who(scaled_object)}: triggers[{i}]: {why}: the query never runs")
            if minimum not in (0, "0"):
                continue
            try:
                parsed = parse_promql(query)
            except PromQLError as error:
                result.problems.append(f"{who(scaled_object)}: triggers[{i}]: cannot read the query ({error})")
                continue
            target_only = {
                m
                for m in parsed.metrics
                if _emitted_only_by(
                    m, exporters, objs, target_objs[0] if target_objs else None, target_labels, namespace
                )
            }
            dead = _self_fed(parsed, namespace, name, others, target_only, gpu_others)
            if dead:
                result.problems.append(
                    f"{who(scaled_object)}: triggers[{i}] can never leave zero: minReplicaCount is {minimum} and the "
                    f"query reads only {dead}; with no replica there is no series, so the query stays empty"
                )
    return result


def _emitted_only_by(
    metric: str,
    exporters: Mapping[str, tuple[Emitter, ...]] | None,
    objs: list[dict],
    target: Mapping | None,
    target_labels: Mapping,
    namespace: str,
) -> bool:
    """Whether every emitter of ``metric`` in ``exporters`` scrapes the target's pods and no other pod of
    the set: a Pod emitter whose labels select the target's pod labels and no other template's; a
    Service emitter whose every matching Service selects, in the target's namespace, only the target's pods."""
    if not exporters or not target_labels:
        return False
    emitters = emitters_of(metric, exporters)
    if not emitters:
        return False
    others = [(o, meta) for o, _podspec, meta in pod_templates(objs) if o is not target]
    for emitter in emitters:
        wanted = {"matchLabels": dict(emitter.labels)}
        if emitter.kind == "Pod":
            if not selector_matches(wanted, target_labels) or any(
                selector_matches(wanted, _labels(meta)) for _o, meta in others
            ):
                return False
        elif emitter.kind == "Service":
            services = [s for s in _of_kind(objs, "Service") if selector_matches(wanted, _labels(_meta(s)))]
            if not services:
                return False
            for svc in services:
                selector = _spec(svc).get("selector") or {}
                if not selector or _ns(svc) != namespace or not _subset(selector, target_labels):
                    return False
                if any(_ns(o) == namespace and _subset(selector, _labels(meta)) for o, meta in others):
                    return False
        else:
            return False
    return True


def _subset(small: Mapping, big: Mapping) -> bool:
    return all(big.get(k) == v for k, v in small.items())


# --------------------------------------------------------------------------------------------
# 8. Cloud identities reach the pods that use them, run-time pods included


def identities_reach_pods(objs: Iterable[dict], bindings: Mapping[tuple[str, str], Mapping]) -> Result:
    """Every service account with a cloud identity carries it, and every pod that runs as it carries the
    identity's pod labels (Azure Workload Identity mutates only pods labelled ``azure.workload.identity/use``):
    workload pod templates (wiring.identities_bound), InferenceService components (KServe copies the
    InferenceService's labels onto the predictor's pods), and the workflow pods Argo creates at run time
    from the controller's ``workflowDefaults`` (podMetadata) when they run as that account.

    ``bindings``: (namespace, name) -> the cloud profile's workload_identity() (service_account_annotations,
    service_account_labels, pod_labels).
    """
    objs = list(objs)
    result = Result("identities_reach_pods", identities_bound(objs, bindings), [])
    shapes = list(pod_shapes(objs))
    defaults = _argo_workflow_defaults(objs)
    workflow_namespaces = argo_workflow_namespaces(objs)
    for (namespace, name), identity in sorted(bindings.items()):
        result.examined.append(f"ServiceAccount/{namespace}/{name}")
        wanted = identity.get("pod_labels") or {}
        for shape in shapes:
            obj = shape.obj
            if obj.get("kind") != "InferenceService" or _ns(obj) != namespace:
                continue
            if shape.spec.get("serviceAccountName", "default") != name:
                continue
            result.examined.append(f"{shape.label} as {name}")
            labels = _labels(_meta(obj))
            result.problems += [
                f"{shape.label}: runs as {namespace}/{name} without the label {key}={value!r} on the "
                "InferenceService (KServe copies its labels to the pods): the pods get no cloud identity"
                for key, value in wanted.items()
                if labels.get(key) != value
            ]
        if defaults is not None and defaults.get("serviceAccountName") == name and namespace in workflow_namespaces:
            result.examined.append(f"Argo workflowDefaults as {name}")
            labels = ((defaults.get("podMetadata") or {}).get("labels")) or {}
            result.problems += [
                f"Argo workflowDefaults: workflow pods run as {namespace}/{name} without podMetadata label "
                f"{key}={value!r}: they get no cloud identity"
                for key, value in wanted.items()
                if labels.get(key) != value
            ]
    return result


def _argo_workflow_defaults(objs: Iterable[dict]) -> Mapping | None:
    """``workflowDefaults.spec`` of the Argo Workflows controller ConfigMap, None when there is none."""
    if not any(
        str(_meta(cm).get("name", "")).endswith("workflow-controller-configmap") for cm in _of_kind(objs, "ConfigMap")
    ):
        return None
    return _argo_defaults(objs)


# --------------------------------------------------------------------------------------------
# 9. Argo Workflows finds its artifact repository

ARGO_ARTIFACT_REPOSITORIES = "artifact-repositories"
ARGO_DEFAULT_REPOSITORY = "workflows.argoproj.io/default-artifact-repository"
_ARTIFACT_KINDS = ("s3", "azure", "gcs", "oss", "hdfs", "artifactory", "http")


def workflow_artifact_repository(objs: Iterable[dict]) -> Result:
    """Each namespace where workflows run holds the ConfigMap Argo looks up by default,
    ``artifact-repositories``, whose ``default-artifact-repository`` annotation names one of its keys, and
    that key holds one repository (s3, azure, ...). Without it every workflow that passes an artifact fails.
    Ref https://argo-workflows.readthedocs.io/en/latest/artifact-repository-ref/
    """
    objs = list(objs)
    result = Result("workflow_artifact_repository", [], [])
    maps = {(_ns(cm), _meta(cm).get("name")): cm for cm in _of_kind(objs, "ConfigMap")}
    for namespace in sorted(argo_workflow_namespaces(objs)):
        result.examined.append(f"workflow namespace {namespace}")
        cm = maps.get((namespace, ARGO_ARTIFACT_REPOSITORIES))
        if cm is None:
            result.problems.append(
                f"namespace {namespace}: workflows run here, but there is no ConfigMap {ARGO_ARTIFACT_REPOSITORIES} "
                "(the name Argo looks up): every workflow that passes an artifact fails"
            )
            continue
        key = _annotations(cm).get(ARGO_DEFAULT_REPOSITORY)
        data = cm.get("data") or {}
        if key not in data:
            result.problems.append(
                f"{who(cm)}: annotation {ARGO_DEFAULT_REPOSITORY}={key!r} names no key of the ConfigMap "
                f"({', '.join(sorted(data)) or 'none'}): Argo finds no default repository"
            )
            continue
        try:
            repository = yaml.safe_load(data[key]) or {}
        except yaml.YAMLError as err:
            result.problems.append(f"{who(cm)}: key {key} is not YAML: {err}")
            continue
        kinds = [kind for kind in _ARTIFACT_KINDS if isinstance(repository, Mapping) and kind in repository]
        if len(kinds) != 1:
            result.problems.append(
                f"{who(cm)}: key {key} holds {len(kinds)} repositories ({', '.join(kinds) or 'none'}); want one of "
                f"{', '.join(_ARTIFACT_KINDS)}"
            )
    return result


# --------------------------------------------------------------------------------------------
# 10. Karpenter NodePools are the inventory's pools (one source)


def node_pools_match_inventory(objs: Iterable[dict], pools: Mapping[str, Mapping], inventory: Mapping) -> Result:
    """Every pool Karpenter provisions (``provisioner: karpenter`` in the pool facts) has exactly one NodePool
    in the set, and that NodePool is the inventory's pool: its nodes carry the pool label and exactly the
    pool's taints (a missing taint lets any pod onto GPU nodes; an extra one keeps the platform's agents
    off), it allows exactly the pool's instance types and capacity (spot only unless ``on_demand_fallback``),
    and its limits hold at most ``max_size`` nodes of the smallest of those types (vCPUs and GPUs from the
    collection's EC2 table, the same the profile uses). ``inventory``: ``platform_node_pools``.
    Ref https://karpenter.sh/docs/concepts/nodepools/
    """
    from ansible_collections.mlops.platform.plugins.module_utils._cloud.aws import instance_capacity

    objs = list(objs)
    result = Result("node_pools_match_inventory", [], [])
    by_pool: dict[str, list[dict]] = {}
    for node_pool in _of_kind(objs, "NodePool", "karpenter.sh"):
        labels = _labels(((_spec(node_pool).get("template") or {}).get("metadata")) or {})
        by_pool.setdefault(str(labels.get("platform.mlops/pool")), []).append(node_pool)
    for key, facts in sorted(pools.items()):
        if facts.get("provisioner") != "karpenter":
            if key in by_pool:
                result.problems.append(
                    f"{who(by_pool[key][0])}: pool {key} is provisioned by {facts.get('provisioner')}, not Karpenter: "
                    "two sources of nodes for one pool"
                )
            continue
        result.examined.append(f"pool {key}")
        found = by_pool.get(key, [])
        if len(found) != 1:
            result.problems.append(
                f"pool {key}: {len(found)} Karpenter NodePools carry platform.mlops/pool={key}; want exactly one, "
                "or the pool's pods stay pending"
            )
            continue
        node_pool, pool = found[0], inventory.get(key) or {}
        spec = (_spec(node_pool).get("template") or {}).get("spec") or {}
        taints = {(t.get("key"), _s(t.get("value")), t.get("effect")) for t in spec.get("taints") or ()}
        want = {(t.get("key"), _s(t.get("value")), t.get("effect")) for t in facts.get("taints") or ()}
        if taints != want:
            result.problems.append(
                f"{who(node_pool)}: taints {sorted(taints)} but pool {key}'s nodes must carry {sorted(want)}"
            )
        requirements = {
            r.get("key"): set(r.get("values") or ())
            for r in spec.get("requirements") or ()
            if r.get("operator") == "In"
        }
        types = set(pool.get("instance_types") or ())
        allowed_types = requirements.get("node.kubernetes.io/instance-type") or set()
        if allowed_types != types:
            result.problems.append(
                f"{who(node_pool)}: instance types {sorted(allowed_types)}, but pool {key} lists {sorted(types)}"
            )
        capacity = (
            {"spot", "on-demand"}
            if pool.get("on_demand_fallback")
            else ({"spot"} if pool.get("capacity_type") == "spot" else {"on-demand"})
        )
        if requirements.get("karpenter.sh/capacity-type") != capacity:
            fallback = " with on-demand fallback" if pool.get("on_demand_fallback") else ""
            result.problems.append(
                f"{who(node_pool)}: capacity {sorted(requirements.get('karpenter.sh/capacity-type') or [])}, but pool "
                f"{key} is {pool.get('capacity_type')}{fallback}"
            )
        capacities = [instance_capacity(t) for t in types]
        if types and all(capacities):
            limits = _spec(node_pool).get("limits") or {}
            size = int(pool.get("max_size") or 0)
            for resource, index in (("cpu", 0), (GPU, 1)):
                most = size * min(c[index] for c in capacities)
                if resource == GPU and not facts.get("gpu"):
                    continue
                if resource not in limits or _quantity(limits[resource]) > most:
                    result.problems.append(
                        f"{who(node_pool)}: limit {resource}={limits.get(resource)!r} lets the pool grow past "
                        f"max_size {size} (at most {most:g} for {size} x the smallest type)"
                    )
    for key, found in sorted(by_pool.items()):
        if key not in pools:
            result.problems += [
                f"{who(p)}: carries platform.mlops/pool={key}, which is no inventory pool" for p in found
            ]
    return result


# --------------------------------------------------------------------------------------------
# 11. The ML pipeline's workflows: what the Argo CRD schema cannot see
#
# The WorkflowTemplate/CronWorkflow schema accepts a container without an image, a DAG task naming a template
# that does not exist, an expression naming a task that has not run yet or an input never declared, a
# memoization key that is no ConfigMap key, a retry of a refusal. Argo finds these only when a run reaches them.

_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
_CONFIG_MAP_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
# What a step output looks like at run time, at its longest: a content address (sha256) with a suffix.
_EXAMPLE_OUTPUT = "f" * 64 + "-v1-t100-s4294967295"
# Exit code of a step that refuses its input (mlops_pipeline.spec.EXIT_REFUSED): retrying cannot help.
EXIT_REFUSED = 3
_RETRY_REFUSAL = re.compile(r"lastRetry\.exitCode\s*!=\s*(['\"]?)(\d+)\1")


def _workflow_specs(objs: Iterable[dict]) -> Iterator[tuple[dict, Mapping]]:
    """(object, workflow spec) of every Argo WorkflowTemplate, ClusterWorkflowTemplate, CronWorkflow, Workflow."""
    for obj in objs:
        if obj.get("kind") in _ARGO_KINDS and str(obj.get("apiVersion", "")).startswith("argoproj.io/"):
            spec = _spec(obj)
            yield obj, (spec.get("workflowSpec") or {}) if obj.get("kind") == "CronWorkflow" else spec


def _pod_templates(spec: Mapping) -> Iterator[Mapping]:
    for template in spec.get("templates") or ():
        if isinstance(template, Mapping) and any(k in template for k in ("container", "script", "containerSet")):
            yield template


def _image_pinned(image: object) -> bool:
    """A tag other than latest, or a digest."""
    text = str(image or "")
    if "@sha256:" in text:
        return True
    name, _sep, tag = text.rpartition(":")
    return bool(name) and "/" not in tag and tag not in ("", "latest")


def workflow_images_pinned(objs: Iterable[dict]) -> Result:
    """Every container of every Argo workflow template (main, init, sidecar, containerSet) sets an image with a
    pinned tag or digest: the schema lets ``image`` be missing, and a missing image fails only when the step runs.
    Examined: one entry per container."""
    result = Result("workflow_images_pinned")
    for obj, spec in _workflow_specs(objs):
        for template in _pod_templates(spec):
            containers = [("main", template.get(k)) for k in ("container", "script") if template.get(k)]
            containers += [("containerSet", c) for c in (template.get("containerSet") or {}).get("containers") or ()]
            containers += [("sidecar", c) for c in template.get("sidecars") or ()]
            containers += [("init", c) for c in template.get("initContainers") or ()]
            for role, container in containers:
                label = f"{who(obj)} template {template.get('name')} {role} {container.get('name') or '-'}"
                result.examined.append(label)
                if not _image_pinned(container.get("image")):
                    result.problems.append(
                        f"{label}: image {container.get('image')!r} is not pinned (repository:tag other than latest, "
                        "or a digest): the pod fails or runs whatever the tag points at today"
                    )
    return result


def _dependencies(task: Mapping) -> set[str]:
    """The tasks a DAG task waits for: ``dependencies`` or the task names of ``depends``."""
    names = set(task.get("dependencies") or ())
    depends = str(task.get("depends") or "")
    names |= {m.split(".")[0] for m in re.findall(r"[A-Za-z0-9][-A-Za-z0-9.]*", depends)} - {"Succeeded"}
    return names


def _ancestors(tasks: Mapping[str, Mapping], name: str) -> set[str]:
    seen: set[str] = set()
    todo = list(_dependencies(tasks.get(name) or {}))
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo += list(_dependencies(tasks.get(current) or {}))
    return seen


def _placeholders(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield from _PLACEHOLDER.findall(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _placeholders(item)
    elif isinstance(value, list):
        for item in value:
            yield from _placeholders(item)


def workflow_references_resolve(objs: Iterable[dict]) -> Result:
    """In every Argo workflow: each DAG task's template exists (or the CronWorkflow's workflowTemplateRef names a
    WorkflowTemplate of the set in its namespace); each ``{{tasks.X...}}`` in a task names a task it depends on
    (directly or through others), so X has run when the expression is resolved; each ``{{inputs.parameters.X}}``
    / ``{{inputs.artifacts.X}}`` of a template is declared in its inputs; each ``{{workflow.parameters.X}}`` is a
    workflow argument. Examined: one entry per DAG task, per template and per workflowTemplateRef."""
    objs = list(objs)
    result = Result("workflow_references_resolve")
    templates_by_ref = {(_ns(o), _meta(o).get("name")): o for o in objs if o.get("kind") == "WorkflowTemplate"}
    for obj, spec in _workflow_specs(objs):
        ref = spec.get("workflowTemplateRef")
        if isinstance(ref, Mapping):
            result.examined.append(f"{who(obj)} workflowTemplateRef {ref.get('name')}")
            if not ref.get("clusterScope") and (_ns(obj), ref.get("name")) not in templates_by_ref:
                result.problems.append(
                    f"{who(obj)}: workflowTemplateRef names WorkflowTemplate {ref.get('name')!r}, which is not in "
                    f"namespace {_ns(obj) or '-'}: every run fails to start"
                )
        names = {t.get("name") for t in spec.get("templates") or () if isinstance(t, Mapping)}
        arguments = {p.get("name") for p in (spec.get("arguments") or {}).get("parameters") or ()}
        for template in spec.get("templates") or ():
            if not isinstance(template, Mapping):
                continue
            label = f"{who(obj)} template {template.get('name')}"
            inputs = template.get("inputs") or {}
            declared = {
                "parameters": {p.get("name") for p in inputs.get("parameters") or ()},
                "artifacts": {a.get("name") for a in inputs.get("artifacts") or ()},
            }
            tasks = {t.get("name"): t for t in (template.get("dag") or {}).get("tasks") or ()}
            body = {k: v for k, v in template.items() if k not in ("dag", "steps")}
            result.examined.append(label)
            for expression in sorted(set(_placeholders(body))):
                parts = expression.split(".")
                if parts[0] == "inputs" and len(parts) == 3 and parts[2] not in declared.get(parts[1], {parts[2]}):
                    result.problems.append(
                        f"{label}: {{{{{expression}}}}} names an input the template does not declare"
                    )
                if parts[:2] == ["workflow", "parameters"] and len(parts) == 3 and parts[2] not in arguments:
                    result.problems.append(f"{label}: {{{{{expression}}}}} names no workflow argument")
            for name, task in tasks.items():
                result.examined.append(f"{label} task {name}")
                if task.get("template") and task.get("template") not in names:
                    result.problems.append(f"{label} task {name}: template {task.get('template')!r} does not exist")
                unknown = _dependencies(task) - set(tasks)
                if unknown:
                    result.problems.append(f"{label} task {name}: depends on unknown task(s) {sorted(unknown)}")
                before = _ancestors(tasks, name)
                for expression in sorted(set(_placeholders(task))):
                    parts = expression.split(".")
                    if parts[0] == "tasks" and len(parts) > 1 and parts[1] not in before:
                        result.problems.append(
                            f"{label} task {name}: {{{{{expression}}}}} names task {parts[1]!r}, which it does not "
                            "depend on: the value does not exist yet when the task starts"
                        )
                    if parts[:2] == ["workflow", "parameters"] and len(parts) == 3 and parts[2] not in arguments:
                        result.problems.append(f"{label} task {name}: {{{{{expression}}}}} names no workflow argument")
    return result


def _filled(text: str, dag_arguments: Mapping[str, str], defaults: Mapping[str, str]) -> str:
    """``text`` with ``{{inputs.parameters.X}}`` replaced by what the DAG passes (workflow arguments at their
    defaults, step outputs by a realistic longest value)."""

    def value(match: re.Match) -> str:
        parts = match.group(1).split(".")
        if parts[:2] == ["inputs", "parameters"] and len(parts) == 3:
            passed = str(dag_arguments.get(parts[2], ""))
            inner = _PLACEHOLDER.fullmatch(passed)
            if inner is None:
                return passed or _EXAMPLE_OUTPUT
            inner_parts = inner.group(1).split(".")
            if inner_parts[:2] == ["workflow", "parameters"]:
                return str(defaults.get(inner_parts[2], ""))
            return _EXAMPLE_OUTPUT
        if parts[:2] == ["workflow", "parameters"] and len(parts) == 3:
            return str(defaults.get(parts[2], ""))
        return _EXAMPLE_OUTPUT

    return _PLACEHOLDER.sub(value, text)


def workflow_memo_keys_legal(objs: Iterable[dict]) -> Result:
    """Every memoized template's key, filled as a run fills it (workflow arguments at their defaults, step outputs
    by a 64-hex content address with a suffix), is a legal ConfigMap key (``[-._a-zA-Z0-9]+``, at most 253
    characters), and the cache names a ConfigMap: Argo stores the entry under that key, and an illegal one fails
    the step at run time. Examined: one entry per memoized template."""
    result = Result("workflow_memo_keys_legal")
    for obj, spec in _workflow_specs(objs):
        defaults = {p.get("name"): p.get("value") for p in (spec.get("arguments") or {}).get("parameters") or ()}
        passed: dict[str, dict[str, str]] = {}
        for template in spec.get("templates") or ():
            for task in (template.get("dag") or {}).get("tasks") or ():
                arguments = {
                    p.get("name"): p.get("value") for p in (task.get("arguments") or {}).get("parameters") or ()
                }
                passed[task.get("template")] = arguments
        for template in spec.get("templates") or ():
            memoize = template.get("memoize")
            if not isinstance(memoize, Mapping):
                continue
            label = f"{who(obj)} template {template.get('name')}"
            result.examined.append(f"{label} memoize key {memoize.get('key')!r}")
            filled = _filled(str(memoize.get("key") or ""), passed.get(template.get("name"), {}), defaults)
            if not _CONFIG_MAP_KEY.match(filled) or len(filled) > 253:
                result.problems.append(
                    f"{label}: memoization key {memoize.get('key')!r} becomes {filled!r} in a run, which is not a "
                    "ConfigMap key ([-._a-zA-Z0-9]+, at most 253 characters): the step fails when it saves its result"
                )
            if not ((memoize.get("cache") or {}).get("configMap") or {}).get("name"):
                result.problems.append(f"{label}: memoize names no cache ConfigMap")
    return result


def workflow_retries_spare_refusals(objs: Iterable[dict]) -> Result:
    """Every template that runs a pod retries with backoff, and never retries exit code 3 (the pipeline's refusal:
    invalid data, a skewed model, a failed gate), whose retry would only refuse again and hide the reason.
    Examined: one entry per pod template."""
    result = Result("workflow_retries_spare_refusals")
    for obj, spec in _workflow_specs(objs):
        for template in _pod_templates(spec):
            label = f"{who(obj)} template {template.get('name')}"
            result.examined.append(label)
            retry = template.get("retryStrategy") or spec.get("retryStrategy")
            if not isinstance(retry, Mapping) or not retry.get("limit"):
                result.problems.append(f"{label}: no retryStrategy with a limit: a transient failure fails the run")
                continue
            if not (retry.get("backoff") or {}).get("duration"):
                result.problems.append(f"{label}: retries without backoff: retries hit the same outage at once")
            spared = {int(m.group(2)) for m in _RETRY_REFUSAL.finditer(str(retry.get("expression") or ""))}
            if EXIT_REFUSED not in spared:
                result.problems.append(
                    f"{label}: retries exit code {EXIT_REFUSED} (a refusal) too: expression "
                    f"{retry.get('expression')!r} must exclude lastRetry.exitCode {EXIT_REFUSED}"
                )
    return result


def _toleration_set(tolerations: Iterable[Mapping]) -> set[tuple]:
    return {
        (t.get("key"), t.get("operator") or "Equal", _s(t.get("value")), t.get("effect") or "")
        for t in tolerations or ()
    }


def workflow_placement(
    objs: Iterable[dict], pools: Mapping[str, Mapping], placed: Mapping[str, str], pool_label: str
) -> Result:
    """The named templates of the set's WorkflowTemplates land on their pool, and only there: ``placed`` is
    template name -> pool key (from the inventory: the training pool, or the GPU pool when training uses one).
    The template selects ``<pool_label>=<key>`` and tolerates exactly the taints the pool's nodes carry, the
    cloud's implicit ones included (AKS's spot taint): fewer leaves the pod Pending, more lets it be placed by a
    later node selector change onto pools it was never meant for. Examined: one entry per placed template."""
    result = Result("workflow_placement")
    for obj, spec in _workflow_specs(objs):
        if obj.get("kind") != "WorkflowTemplate":
            continue
        for template in _pod_templates(spec):
            key = placed.get(str(template.get("name")))
            if key is None:
                continue
            label = f"{who(obj)} template {template.get('name')}"
            result.examined.append(f"{label} on pool {key}")
            if key not in pools:
                result.problems.append(f"{label}: meant for pool {key!r}, which is no pool of the inventory")
                continue
            selector = template.get("nodeSelector") or spec.get("nodeSelector") or {}
            if selector != {pool_label: key}:
                result.problems.append(f"{label}: nodeSelector {selector}, want {{{pool_label}: {key}}} (pool {key})")
            want = {
                (t.get("key"), "Equal", _s(t.get("value")), t.get("effect")) for t in pools[key].get("taints") or ()
            }
            have = _toleration_set(template.get("tolerations") or spec.get("tolerations") or ())
            if have != want:
                result.problems.append(
                    f"{label}: tolerates {sorted(have)}, but pool {key}'s nodes carry exactly {sorted(want)} "
                    f"(missing {sorted(want - have)}, extra {sorted(have - want)})"
                )
    return result


def workflow_service_account(
    objs: Iterable[dict], account: tuple[str, str], bindings: Mapping[tuple[str, str], Mapping]
) -> Result:
    """Every Argo WorkflowTemplate and CronWorkflow in the workflow namespace runs as the workflow service account
    ``account`` (namespace, name), and that account carries the cloud identity (``bindings``): the steps read and
    write the platform bucket with it. Examined: one entry per workflow object in that namespace."""
    result = Result("workflow_service_account")
    namespace, name = account
    accounts = {(_ns(o), _meta(o).get("name")): o for o in objs if o.get("kind") == "ServiceAccount"}
    for obj, spec in _workflow_specs(objs):
        if obj.get("kind") not in ("WorkflowTemplate", "CronWorkflow") or _ns(obj) != namespace:
            continue
        result.examined.append(f"{who(obj)} as {spec.get('serviceAccountName')}")
        if spec.get("serviceAccountName") != name:
            result.problems.append(
                f"{who(obj)}: runs as {spec.get('serviceAccountName')!r}, not the workflow service account {name!r} "
                "with the cloud identity: its steps cannot reach the platform bucket"
            )
            continue
        identity = bindings.get(account)
        if identity is None:
            result.problems.append(f"{who(obj)}: the workflow service account {namespace}/{name} has no cloud identity")
            continue
        sa = accounts.get(account)
        annotations = _annotations(sa) if sa else {}
        missing = {
            k: v for k, v in (identity.get("service_account_annotations") or {}).items() if annotations.get(k) != v
        }
        if sa is None or missing:
            result.problems.append(
                f"{who(obj)}: ServiceAccount {namespace}/{name} "
                + ("is not in the set" if sa is None else f"lacks the identity annotations {missing}")
            )
    return result


# --------------------------------------------------------------------------------------------
# 12. One serving runtime: what KServe serves MLflow models with is what the pipeline's gate tested
#
# The serving-runtime contract (platform_versions.serving_runtime) names the model server, its Python and the
# pickle-critical libraries. The gate's sidecar loads each candidate in that server, and the step image is locked
# to its versions; if KServe's runtime for the mlflow format were another image, the gate would prove nothing
# about what serves the champion.

_MLSERVER_IMPLEMENTATION = "MLSERVER_MODEL_IMPLEMENTATION"
_CONTRACT_ENV = "MLOPS_SERVING_CONTRACT"


def _env(container: Mapping) -> dict:
    return {e.get("name"): e.get("value") for e in container.get("env") or () if isinstance(e, Mapping)}


def _same_image(given: object, want: str) -> bool:
    """``given`` is ``want``; an image without tag or digest is compared by repository only (that it is not
    pinned is workflow_images_pinned's finding, not this check's)."""
    text = str(given or "")
    name, _sep, tag = text.rpartition(":")
    if "@" in text or (name and "/" not in tag):
        return text == want
    return text == want.rpartition(":")[0]


def serving_runtime_contract(objs: Iterable[dict], contract: Mapping) -> Result:
    """Every KServe ServingRuntime/ClusterServingRuntime that serves the ``mlflow`` model format, every Argo
    sidecar that runs a model server (``MLSERVER_MODEL_IMPLEMENTATION``), and every container that is handed the
    contract (``MLOPS_SERVING_CONTRACT``) agree with ``contract`` (``platform_versions.serving_runtime``): the
    same image, and the same Python and libraries. Examined: one entry per runtime, sidecar and contract env."""
    result = Result("serving_runtime_contract")
    image = f"{contract['image']['repository']}:{contract['image']['tag']}"
    for obj in objs:
        if obj.get("kind") not in ("ServingRuntime", "ClusterServingRuntime"):
            continue
        formats = {str(f.get("name")) for f in _spec(obj).get("supportedModelFormats") or () if isinstance(f, Mapping)}
        if "mlflow" not in formats:
            continue
        for container in _spec(obj).get("containers") or ():
            result.examined.append(f"{who(obj)} container {container.get('name')}")
            if container.get("image") != image:
                result.problems.append(
                    f"{who(obj)}: serves MLflow models with {container.get('image')!r}, but the pipeline's serving "
                    f"gate and step image follow the contract's {image!r}: the champion is served by a runtime "
                    "nobody tested"
                )
    for obj, spec in _workflow_specs(objs):
        for template in _pod_templates(spec):
            containers = [("main", template.get(k)) for k in ("container", "script") if template.get(k)]
            containers += [("sidecar", c) for c in template.get("sidecars") or ()]
            for role, container in containers:
                env = _env(container)
                label = f"{who(obj)} template {template.get('name')} {role} {container.get('name') or '-'}"
                if _MLSERVER_IMPLEMENTATION in env:
                    result.examined.append(f"{label} model server")
                    if not _same_image(container.get("image"), image):
                        result.problems.append(
                            f"{label}: the serving gate loads candidates in {container.get('image')!r}, not the "
                            f"contract's serving runtime {image!r}"
                        )
                if _CONTRACT_ENV in env:
                    result.examined.append(f"{label} {_CONTRACT_ENV}")
                    try:
                        given = json.loads(env[_CONTRACT_ENV] or "")
                    except ValueError:
                        given = None
                    want = {"image": image, "python": str(contract["python"]), "libraries": contract["libraries"]}
                    if not isinstance(given, Mapping) or {k: given.get(k) for k in want} != want:
                        result.problems.append(f"{label}: {_CONTRACT_ENV} is {given!r}, not the contract {want!r}")
    return result

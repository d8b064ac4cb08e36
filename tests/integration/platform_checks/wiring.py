"""Cross-object checks over a rendered set: what one object names must exist in the set.

Each check takes the whole rendered set (a list of object dicts) and returns a list of problems,
``"<component> <kind>/<namespace>/<name>: <problem>"``. An object without ``metadata.namespace``
is compared as namespace ``""`` (helm applies it to the release namespace).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping

from .manifests import effective_namespace, ref_of

POD_TEMPLATE_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet")

# Built-in kinds that are not namespaced (Kubernetes 1.32); CRDs are looked up by their scope.
CLUSTER_SCOPED_KINDS = frozenset(
    {
        "APIService",
        "CertificateSigningRequest",
        "ClusterRole",
        "ClusterRoleBinding",
        "ClusterTrustBundle",
        "ComponentStatus",
        "CSIDriver",
        "CSINode",
        "CustomResourceDefinition",
        "DeviceClass",
        "FlowSchema",
        "IngressClass",
        "IPAddress",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "RuntimeClass",
        "ServiceCIDR",
        "StorageClass",
        "StorageVersion",
        "StorageVersionMigration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
        "VolumeAttributesClass",
    }
)

MUTABLE_TAGS = frozenset({"latest", "main", "master", "stable", "edge", "nightly", "dev"})


def _meta(obj: Mapping) -> Mapping:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _ns(obj: Mapping) -> str:
    return effective_namespace(obj)  # type: ignore[arg-type]


def _labels(meta: Mapping) -> Mapping:
    labels = meta.get("labels")
    return labels if isinstance(labels, Mapping) else {}


def pod_templates(objs: Iterable[dict]) -> Iterator[tuple[dict, dict, dict]]:
    """(object, pod spec, pod template metadata) of every workload (and bare Pod) in the set."""
    for obj in objs:
        kind = obj.get("kind")
        if kind not in POD_TEMPLATE_KINDS:
            continue
        spec = obj.get("spec") or {}
        if kind == "Pod":
            yield obj, spec, dict(_meta(obj))
            continue
        if kind == "CronJob":
            spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
        template = spec.get("template") or {}
        yield obj, template.get("spec") or {}, template.get("metadata") or {}


def _containers(podspec: Mapping) -> Iterator[Mapping]:
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for container in podspec.get(key) or ():
            if isinstance(container, Mapping):
                yield container


# --------------------------------------------------------------------------------------------


def service_accounts_exist(objs: Iterable[dict]) -> list[str]:
    """Every pod template's serviceAccountName is "default" or a ServiceAccount in its namespace."""
    objs = list(objs)
    accounts = {(_ns(o), _meta(o).get("name")) for o in objs if o.get("kind") == "ServiceAccount"}
    problems = []
    for obj, podspec, _template_meta in pod_templates(objs):
        name = podspec.get("serviceAccountName") or podspec.get("serviceAccount") or "default"
        if name != "default" and (_ns(obj), name) not in accounts:
            same_name = sorted(ns or "-" for ns, n in accounts if n == name)
            hint = f" (exists in namespace {', '.join(same_name)})" if same_name else ""
            problems.append(
                f"{ref_of(obj)}: serviceAccountName '{name}' has no ServiceAccount in namespace "
                f"'{_ns(obj) or '-'}'{hint}"
            )
    return problems


def service_accounts_annotated(objs: Iterable[dict], names: Iterable[tuple[str, str]], annotation: str) -> list[str]:
    """Each (namespace, name) ServiceAccount exists and carries ``annotation`` (e.g. the IRSA
    ``eks.amazonaws.com/role-arn`` or ``azure.workload.identity/client-id``) with a non-empty value."""
    accounts = {(_ns(o), _meta(o).get("name")): o for o in objs if o.get("kind") == "ServiceAccount"}
    problems = []
    for namespace, name in names:
        sa = accounts.get((namespace, name))
        if sa is None:
            problems.append(f"ServiceAccount {namespace}/{name}: not in the rendered set")
        elif not (_meta(sa).get("annotations") or {}).get(annotation):
            problems.append(f"{ref_of(sa)}: missing annotation {annotation}")
    return problems


def selector_matches(selector: Mapping | None, labels: Mapping) -> bool:
    """Kubernetes LabelSelector semantics (matchLabels + matchExpressions); empty selects all."""
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if str(labels.get(key)) != str(value) or key not in labels:
            return False
    for expr in selector.get("matchExpressions") or ():
        key, op, values = expr.get("key"), expr.get("operator"), [str(v) for v in expr.get("values") or ()]
        if op == "In" and not (key in labels and str(labels[key]) in values):
            return False
        if op == "NotIn" and key in labels and str(labels[key]) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            return False
    return True


def _namespace_selected(monitor: Mapping, namespace: str) -> bool:
    ns_selector = (monitor.get("spec") or {}).get("namespaceSelector") or {}
    if ns_selector.get("any"):
        return True
    names = ns_selector.get("matchNames")
    if names:
        return namespace in names
    return namespace == _ns(monitor)


# Services a cluster has without our set: the API server's own `kubernetes` Service, and the
# kubelet Service/Endpoints the prometheus-operator maintains (--kubelet-service=kube-system/<name>,
# labelled as below). kube-prometheus-stack's apiserver and kubelet ServiceMonitors select these.
CLUSTER_PROVIDED_SERVICES: tuple[dict, ...] = (
    {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "labels": {"component": "apiserver", "provider": "kubernetes"},
        },
        "spec": {"ports": [{"name": "https", "port": 443}]},
    },
    {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "kubelet",
            "namespace": "kube-system",
            "labels": {"app.kubernetes.io/name": "kubelet", "k8s-app": "kubelet"},
        },
        "spec": {
            "ports": [
                {"name": "https-metrics", "port": 10250},
                {"name": "http-metrics", "port": 10255},
                {"name": "cadvisor", "port": 4194},
            ]
        },
    },
)


def monitors_select_something(objs: Iterable[dict], also_present: Iterable[dict] = ()) -> list[str]:
    """Every ServiceMonitor selects a Service (in its namespaceSelector's namespaces) that has each
    endpoint's named ``port``; every PodMonitor selects a pod template whose containers have each
    podMetricsEndpoint's named ``port``. ``also_present``: objects the cluster has outside the set
    (e.g. :data:`CLUSTER_PROVIDED_SERVICES`); they are only selected, not checked."""
    objs = list(objs)
    services = [o for o in [*objs, *also_present] if o.get("kind") == "Service"]
    templates = list(pod_templates(objs))
    problems = []
    for mon in objs:
        kind = mon.get("kind")
        if kind not in ("ServiceMonitor", "PodMonitor") or not str(mon.get("apiVersion", "")).startswith(
            "monitoring.coreos.com/"
        ):
            continue
        spec = mon.get("spec") or {}
        selector = spec.get("selector")
        if kind == "ServiceMonitor":
            matched = [
                s
                for s in services
                if _namespace_selected(mon, _ns(s)) and selector_matches(selector, _labels(_meta(s)))
            ]
            if not matched:
                problems.append(f"{ref_of(mon)}: selects no Service (selector {selector}, namespaces {_where(mon)})")
                continue
            for i, endpoint in enumerate(spec.get("endpoints") or ()):
                port = endpoint.get("port")
                if port and not any(
                    p.get("name") == port for s in matched for p in (s.get("spec") or {}).get("ports") or ()
                ):
                    problems.append(
                        f"{ref_of(mon)}: endpoints[{i}].port '{port}' is not a port name of the selected Services "
                        f"{sorted(_meta(s).get('name') for s in matched)}"
                    )
        else:
            matched = [
                (o, podspec)
                for o, podspec, meta in templates
                if _namespace_selected(mon, _ns(o)) and selector_matches(selector, _labels(meta))
            ]
            if not matched:
                problems.append(
                    f"{ref_of(mon)}: selects no pod template (selector {selector}, namespaces {_where(mon)})"
                )
                continue
            for i, endpoint in enumerate(spec.get("podMetricsEndpoints") or ()):
                port = endpoint.get("port")
                if port and not any(
                    p.get("name") == port
                    for _obj, podspec in matched
                    for c in _containers(podspec)
                    for p in c.get("ports") or ()
                ):
                    problems.append(
                        f"{ref_of(mon)}: podMetricsEndpoints[{i}].port '{port}' is not a container port name of the "
                        f"selected pods {sorted(_meta(o).get('name') for o, _podspec in matched)}"
                    )
    return problems


def _where(monitor: Mapping) -> str:
    ns_selector = (monitor.get("spec") or {}).get("namespaceSelector") or {}
    if ns_selector.get("any"):
        return "any"
    return str(ns_selector.get("matchNames") or [_ns(monitor) or "-"])


def scaled_objects_target_exists(objs: Iterable[dict]) -> list[str]:
    """Every KEDA ScaledObject's scaleTargetRef names a workload in its namespace."""
    objs = list(objs)
    present = {(o.get("kind"), _ns(o), _meta(o).get("name")) for o in objs}
    problems = []
    for obj in objs:
        if obj.get("kind") != "ScaledObject" or not str(obj.get("apiVersion", "")).startswith("keda.sh/"):
            continue
        target = (obj.get("spec") or {}).get("scaleTargetRef") or {}
        kind = target.get("kind") or "Deployment"
        if (kind, _ns(obj), target.get("name")) not in present:
            problems.append(
                f"{ref_of(obj)}: scaleTargetRef {kind}/{target.get('name')} is not in namespace '{_ns(obj) or '-'}'"
            )
    return problems


def is_namespaced(obj: Mapping, crd_scopes: Mapping[tuple[str, str], str] | None = None) -> bool:
    """Whether ``obj``'s kind is namespaced: built-in kinds by :data:`CLUSTER_SCOPED_KINDS`, custom
    kinds by ``crd_scopes`` ((group, kind) -> scope) or the CRDs in the set; unknown -> namespaced."""
    kind = obj.get("kind")
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    if crd_scopes and (group, kind) in crd_scopes:
        return crd_scopes[(group, kind)] == "Namespaced"
    return kind not in CLUSTER_SCOPED_KINDS


def namespaces_exist(
    objs: Iterable[dict],
    also_known: Iterable[str] = (),
    crd_scopes: Mapping[tuple[str, str], str] | None = None,
) -> list[str]:
    """Every namespaced object's ``metadata.namespace`` is created by a Namespace in the set or is
    in ``also_known`` (e.g. "kube-system", namespaces helm creates). A cluster-scoped kind with a
    namespace is reported too (the namespace would be ignored)."""
    objs = list(objs)
    scopes = dict(crd_scopes or {})
    for o in objs:
        if o.get("kind") == "CustomResourceDefinition":
            spec = o.get("spec") or {}
            scopes[(spec.get("group"), (spec.get("names") or {}).get("kind"))] = spec.get("scope", "Namespaced")
    known = set(also_known) | {_meta(o).get("name") for o in objs if o.get("kind") == "Namespace"}
    problems = []
    for obj in objs:
        if not is_namespaced(obj, scopes):
            explicit = _meta(obj).get("namespace")
            if explicit:
                problems.append(f"{ref_of(obj)}: cluster-scoped {obj.get('kind')} has metadata.namespace '{explicit}'")
            continue
        namespace = _ns(obj)
        if not namespace:
            continue  # no namespace and no known release namespace: nothing to check
        if namespace not in known:
            problems.append(f"{ref_of(obj)}: namespace '{namespace}' is not created by a Namespace in the set")
    return problems


_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def image_problem(image: str) -> str | None:
    """Why ``image`` is not pinned, or None: no tag/digest, or a mutable tag (latest, main, ...)."""
    if not image or not isinstance(image, str):
        return "empty image"
    if "@" in image:
        return None if _DIGEST.search(image) else f"image '{image}' has a malformed digest"
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return f"image '{image}' has no tag or digest (means :latest)"
    tag = last.rsplit(":", 1)[1]
    if not tag:
        return f"image '{image}' has an empty tag"
    if tag.lower() in MUTABLE_TAGS:
        return f"image '{image}' uses the mutable tag '{tag}'"
    return None


def _images_in(value: object, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, Mapping):
        for key, sub in value.items():
            sub_path = f"{path}.{key}" if path else str(key)
            if key == "image" and isinstance(sub, str):
                yield sub_path, sub
            else:
                yield from _images_in(sub, sub_path)
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield from _images_in(sub, f"{path}[{i}]")


def images_pinned(objs: Iterable[dict]) -> list[str]:
    """Every ``image:`` string in every object's ``spec`` (containers of workloads, and of custom
    resources such as Prometheus or ClusterServingRuntime) has a fixed tag or a digest."""
    problems = []
    for obj in objs:
        if obj.get("kind") in ("ConfigMap", "Secret", "CustomResourceDefinition"):
            continue
        for path, image in _images_in(obj.get("spec") or {}, "spec"):
            problem = image_problem(image)
            if problem:
                problems.append(f"{ref_of(obj)}: {path}: {problem}")
    return problems


def nodepools_reference_nodeclasses(objs: Iterable[dict]) -> list[str]:
    """Every Karpenter NodePool's spec.template.spec.nodeClassRef names an EC2NodeClass in the set."""
    objs = list(objs)
    classes = {_meta(o).get("name") for o in objs if o.get("kind") == "EC2NodeClass"}
    problems = []
    for pool in (o for o in objs if o.get("kind") == "NodePool"):
        ref = ((((pool.get("spec") or {}).get("template") or {}).get("spec") or {}).get("nodeClassRef")) or {}
        if ref.get("kind") != "EC2NodeClass" or ref.get("name") not in classes:
            problems.append(
                f"NodePool {_meta(pool).get('name')}: nodeClassRef {dict(ref)} names no EC2NodeClass in the set"
            )
    return problems


def identities_bound(objs: Iterable[dict], bindings: Mapping[tuple[str, str], Mapping]) -> list[str]:
    """Each (namespace, service account) in ``bindings`` exists and carries its identity.

    ``bindings`` maps (namespace, name) to the cloud profile's workload_identity() result
    (service_account_annotations, service_account_labels, pod_labels). Every pod template running
    as that service account must carry the pod labels (Azure workload identity's `use` label).
    """
    objs = list(objs)
    accounts = {(_ns(o), _meta(o).get("name")): o for o in objs if o.get("kind") == "ServiceAccount"}
    problems = []
    for (namespace, name), identity in sorted(bindings.items()):
        account = accounts.get((namespace, name))
        if account is None:
            problems.append(f"ServiceAccount {namespace}/{name}: not rendered, but it needs a cloud identity")
            continue
        annotations = _meta(account).get("annotations") or {}
        for key, value in (identity.get("service_account_annotations") or {}).items():
            if annotations.get(key) != value:
                problems.append(
                    f"ServiceAccount {namespace}/{name}: annotation {key}={annotations.get(key)!r}, want {value!r}"
                )
        for obj, podspec, template_meta in pod_templates(objs):
            if _ns(obj) != namespace or podspec.get("serviceAccountName") != name:
                continue
            labels = _labels(template_meta)
            for key, value in (identity.get("pod_labels") or {}).items():
                if labels.get(key) != value:
                    problems.append(
                        f"{obj.get('kind')} {namespace}/{_meta(obj).get('name')}: runs as {name} without pod label "
                        f"{key}={value!r}"
                    )
    return problems

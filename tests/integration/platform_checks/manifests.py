"""Read rendered Kubernetes YAML (helm output, our manifests, CRD files) into plain dicts.

Every object read through :func:`load_documents` / :func:`load_tree` is remembered together with
its origin (component, source file), so the checkers can name it in their messages via
:func:`ref_of` without the objects having to carry anything but their own Kubernetes fields.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class PlatformLoader(_BASE_LOADER):  # type: ignore[misc, valid-type]
    """SafeLoader (libyaml when available) that also reads YAML 1.1 ``=`` scalars as strings.

    PyYAML resolves a plain ``=`` to ``tag:yaml.org,2002:value`` and has no constructor for it
    (the prometheus-operator CRDs have ``enum: ['!=', =, =~, '!~']``); Go YAML reads it as "=".
    """


PlatformLoader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


@dataclass(frozen=True)
class ObjectRef:
    """Identity and origin of one rendered object, for messages."""

    kind: str
    apiVersion: str
    namespace: str
    name: str
    component: str = ""
    source_file: str = ""

    def __str__(self) -> str:
        return f"{self.component or '-'} {self.kind}/{self.namespace or '-'}/{self.name}"


# id(obj) -> (obj, ref, release namespace). The object itself is kept so that its id cannot be
# reused while the entry exists; copies (copy.deepcopy) are new objects without an entry.
_ORIGINS: dict[int, tuple[dict, ObjectRef, str]] = {}


def _make_ref(obj: dict, component: str = "", source_file: str = "") -> ObjectRef:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    return ObjectRef(
        kind=str(obj.get("kind") or "?"),
        apiVersion=str(obj.get("apiVersion") or "?"),
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or meta.get("generateName") or "?"),
        component=component,
        source_file=source_file,
    )


def register_origin(obj: dict, component: str = "", source_file: str = "", release_namespace: str = "") -> ObjectRef:
    """Remember where ``obj`` came from (done by the loaders; call it for hand-made objects).

    ``release_namespace`` is the namespace helm installs ``obj`` into if it names none itself."""
    ref = _make_ref(obj, component, source_file)
    _ORIGINS[id(obj)] = (obj, ref, release_namespace)
    return ref


def effective_namespace(obj: dict) -> str:
    """``metadata.namespace``, else the release namespace remembered for ``obj``, else ""."""
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    if meta.get("namespace"):
        return str(meta["namespace"])
    entry = _ORIGINS.get(id(obj))
    return entry[2] if entry is not None and entry[0] is obj else ""


def ref_of(obj: dict, component: str | None = None) -> ObjectRef:
    """The :class:`ObjectRef` of ``obj``; ``component`` overrides the remembered component."""
    entry = _ORIGINS.get(id(obj))
    if entry is not None and entry[0] is obj:
        known = entry[1]
        ref = _make_ref(obj, known.component, known.source_file)  # metadata may have been edited
    else:
        ref = _make_ref(obj)
    return ObjectRef(
        ref.kind,
        ref.apiVersion,
        ref.namespace,
        ref.name,
        ref.component if component is None else component,
        ref.source_file,
    )


def _flatten(doc: object, out: list[dict]) -> None:
    if not doc:
        return
    if not isinstance(doc, dict):
        raise ValueError(f"YAML document is a {type(doc).__name__}, not a mapping: {str(doc)[:80]!r}")
    if doc.get("kind") == "List" and isinstance(doc.get("items"), list) and "apiVersion" in doc:
        for item in doc["items"]:
            _flatten(item, out)
        return
    out.append(doc)


def _read_source(path_or_text: str | os.PathLike) -> tuple[str, str]:
    if isinstance(path_or_text, os.PathLike):
        return Path(path_or_text).read_text(encoding="utf-8"), os.fspath(path_or_text)
    if "\n" not in path_or_text and os.path.isfile(path_or_text):
        return Path(path_or_text).read_text(encoding="utf-8"), path_or_text
    return path_or_text, "<text>"


def load_yaml_all(path_or_text: str | os.PathLike) -> list:
    """Every YAML document (including empty ones as ``None``), read with :class:`PlatformLoader`."""
    text, _source = _read_source(path_or_text)
    return list(yaml.load_all(text, Loader=PlatformLoader))


def load_documents(path_or_text: str | os.PathLike, component: str = "", release_namespace: str = "") -> list[dict]:
    """Objects of a multi-document YAML file or string.

    Empty documents are skipped and ``kind: List`` documents are replaced by their items.
    A ``str`` is a file path if it names an existing file and has no newline, else YAML text.
    ``component`` and ``release_namespace`` (the ``helm --namespace`` the text was rendered with)
    are remembered for :func:`ref_of` and :func:`effective_namespace`.
    """
    text, source = _read_source(path_or_text)
    out: list[dict] = []
    for doc in yaml.load_all(text, Loader=PlatformLoader):
        _flatten(doc, out)
    for obj in out:
        register_origin(obj, component, source, release_namespace)
    return out


@dataclass
class Component:
    """One rendered component directory ``build/<host>/<component>/``."""

    name: str
    path: Path
    chart_objects: list[dict] = field(default_factory=list)  # chart.yaml: the helm template output
    our_objects: list[dict] = field(default_factory=list)  # manifests.yaml (and any other *.yaml)
    values: dict = field(default_factory=dict)  # values.yaml: the values we passed to helm
    release_namespace: str = ""  # inferred, see load_tree
    chart_name: str = ""  # inferred from the chart objects' helm.sh/chart label, see load_tree
    chart_version: str = ""

    @property
    def objects(self) -> list[dict]:
        return self.chart_objects + self.our_objects


CHART_FILE = "chart.yaml"
MANIFESTS_FILE = "manifests.yaml"
VALUES_FILE = "values.yaml"


def load_tree(build_dir: str | os.PathLike) -> dict[str, Component]:
    """Read every ``*.yaml`` under a rendered tree.

    ``build_dir`` is ``build/<host>`` (keys are component names) or ``build`` (keys are
    ``<host>/<component>``): a component is any directory that directly holds ``*.yaml`` files.
    ``values.yaml`` is read as a values mapping, ``chart.yaml`` as the chart's objects, every other
    ``*.yaml`` (normally ``manifests.yaml``) as our objects.

    Not written in the tree, so inferred: the release namespace (the namespace every chart object
    that names one agrees on, else the single Namespace our manifests create; objects without
    ``metadata.namespace`` are then remembered as being in it, see :func:`effective_namespace`), and
    the chart name/version (the most common ``helm.sh/chart`` label of the chart objects; subchart
    objects carry their own, fewer, labels).
    """
    root = Path(build_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"rendered tree not found: {root}")
    components: dict[str, Component] = {}
    for yml in sorted(root.rglob("*.yaml")):
        cdir = yml.parent
        key = cdir.relative_to(root).as_posix()
        if key == ".":
            raise ValueError(f"{yml}: YAML file directly in {root}; expected <component>/{yml.name}")
        comp = components.setdefault(key, Component(name=cdir.name, path=cdir))
        if yml.name == VALUES_FILE:
            docs = [d for d in load_yaml_all(yml) if d is not None]
            if len(docs) > 1 or (docs and not isinstance(docs[0], dict)):
                raise ValueError(f"{yml}: a values file must hold one mapping")
            comp.values = docs[0] if docs else {}
        elif yml.name == CHART_FILE:
            comp.chart_objects.extend(load_documents(yml, component=comp.name))
        else:
            comp.our_objects.extend(load_documents(yml, component=comp.name))
    for comp in components.values():
        comp.release_namespace = _infer_release_namespace(comp)
        comp.chart_name, comp.chart_version = _infer_chart(comp)
        for obj in comp.objects:
            entry = _ORIGINS[id(obj)]
            _ORIGINS[id(obj)] = (obj, entry[1], comp.release_namespace)
    return components


_CHART_LABEL = re.compile(r"^(?P<name>.+?)-(?P<version>v?\d+\.\d+\.\d+\S*)$")


_RELEASE_HEADER = re.compile(
    r"^# release (?P<release>\S+), namespace (?P<namespace>\S+)(, chart (?P<name>\S+) (?P<version>\S+))?$", re.MULTILINE
)


def release_header(comp: Component) -> dict:
    """The release line the render writes at the top of each file: release, namespace, chart name/version."""
    for name in ("values.yaml", "manifests.yaml", "chart.yaml"):
        path = Path(comp.path) / name
        if path.is_file():
            with path.open(encoding="utf-8") as handle:
                match = _RELEASE_HEADER.search(handle.read(2048))
            if match:
                return {k: v for k, v in match.groupdict().items() if v}
    return {}


def _infer_chart(comp: Component) -> tuple[str, str]:
    header = release_header(comp)
    if header.get("name"):
        return header["name"], header["version"]
    # kube-prometheus-stack labels its own objects `chart:` instead of `helm.sh/chart`.
    labels = Counter(
        (lab.get("helm.sh/chart") or lab.get("chart"))
        for lab in (((o.get("metadata") or {}).get("labels") or {}) for o in comp.chart_objects)
    )
    labels.pop(None, None)
    for label, _count in labels.most_common():
        match = _CHART_LABEL.match(str(label))
        if match:
            return match["name"], match["version"]
    return "", ""


def _infer_release_namespace(comp: Component) -> str:
    header = release_header(comp)
    if header.get("namespace"):
        return header["namespace"]
    # charts write {{ .Release.Namespace }} on most objects; a few go elsewhere (kube-system)
    named = Counter((o.get("metadata") or {}).get("namespace") for o in comp.chart_objects)
    named.pop(None, None)
    named.pop("", None)
    created = [(o.get("metadata") or {}).get("name") for o in comp.our_objects if o.get("kind") == "Namespace"]
    for namespace, _count in named.most_common():
        if not created or namespace in created:
            return str(namespace)
    return str(created[0]) if len(created) == 1 else ""


def all_objects(components: dict[str, Component]) -> list[dict]:
    """Chart and own objects of every component, in a stable order."""
    return [obj for key in sorted(components) for obj in components[key].objects]

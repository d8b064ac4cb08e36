"""Schema validation of rendered objects.

* Built-in Kubernetes kinds: the strict (unknown fields rejected) JSON schemas that ship with
  ``kubernetes-validate`` for the target Kubernetes version, loaded through its Python API.
* Custom resources: the ``openAPIV3Schema`` of the upstream CRDs (``../shared/upstream/crds``) and of
  CRDs rendered in the set itself, converted from the Kubernetes structural-schema dialect to
  JSON Schema 2020-12 (unknown fields rejected unless ``x-kubernetes-preserve-unknown-fields``).

Every object is validated by exactly one of the two, or reported as having no schema.
Messages: ``"<component> <kind>/<namespace>/<name>: <path>: <error>"``.
"""

from __future__ import annotations

import copy
import functools
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

import jsonschema
import kubernetes_validate
import kubernetes_validate.utils as kv_utils
from packaging.version import Version
from referencing import Registry, Resource

from .manifests import load_yaml_all, ref_of

GVK = tuple[str, str, str]  # (group, version, kind)

MAX_ERRORS_PER_OBJECT = 20


def split_api_version(api_version: str) -> tuple[str, str]:
    """``"apps/v1"`` -> ``("apps", "v1")``; ``"v1"`` -> ``("", "v1")``."""
    group, _sep, version = str(api_version).rpartition("/")
    return group, version


def gvk_of(obj: Mapping) -> GVK:
    group, version = split_api_version(obj.get("apiVersion") or "")
    return group, version, str(obj.get("kind") or "")


def _json_path(path: Iterable) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "<root>"


def _message(obj: Mapping, component: str | None, path: Iterable, error: str) -> str:
    return f"{ref_of(obj, component)}: {_json_path(path)}: {error}"


def _format_errors(obj: Mapping, component: str | None, validator, instance) -> list[str]:
    errors = sorted(validator.iter_errors(instance), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    out: list[str] = []
    for err in errors[:MAX_ERRORS_PER_OBJECT]:
        text = err.message
        if err.validator in ("anyOf", "oneOf") and err.context:
            best = jsonschema.exceptions.best_match(err.context)
            text = f"{text} ({_json_path(best.absolute_path)}: {best.message})"
        if len(text) > 400:
            text = text[:400] + "..."
        message = _message(obj, component, err.absolute_path, text)
        if message not in out:
            out.append(message)
    if len(errors) > MAX_ERRORS_PER_OBJECT:
        out.append(_message(obj, component, [], f"... and {len(errors) - MAX_ERRORS_PER_OBJECT} more errors"))
    return out


# --------------------------------------------------------------------------------------------
# Built-in kinds (kubernetes-validate)
# --------------------------------------------------------------------------------------------


class CoreResult(NamedTuple):
    """What :func:`validate_core` returns: ``problems, custom = validate_core(objs)``."""

    problems: list[str]  # messages about built-in objects (and API versions Kubernetes does not serve)
    custom: list[dict]  # objects that are not built-in kinds: for validate_custom


@functools.cache
def _schema_version(k8s_version: str) -> str:
    """The schema set kubernetes-validate uses for ``k8s_version`` (latest not newer than it)."""
    wanted = Version(kv_utils.major_minor(k8s_version.lstrip("v")))
    candidates = [v for v in kv_utils.all_versions() if Version(kv_utils.major_minor(v)) <= wanted]
    if not candidates:
        raise kubernetes_validate.VersionNotSupportedError(version=k8s_version)
    return candidates[-1]


@functools.cache
def _core_definitions(k8s_version: str) -> tuple[Registry, frozenset]:
    schema_dir = f"v{_schema_version(k8s_version)}-local-strict"
    defs = kv_utils.schema_contents(f"kubernetes-json-schema/{schema_dir}/_definitions.json", k8s_version)
    gvks = set()
    for definition in defs["$defs"].values():
        for gvk in definition.get("x-kubernetes-group-version-kind", ()):
            gvks.add((gvk["group"], gvk["version"], gvk["kind"]))
    return Resource.from_contents(defs) @ Registry(), frozenset(gvks)


@functools.cache
def builtin_groups(k8s_version: str = "1.32.0") -> frozenset:
    """API groups served by Kubernetes itself ("" is the core group)."""
    return frozenset(g for g, _version, _kind in _core_definitions(k8s_version)[1])


@functools.cache
def _core_validator(k8s_version: str, api_version: str, kind: str):
    """Strict validator for a built-in (apiVersion, kind), or ``None`` if kubernetes-validate has no
    schema for it (kubernetes_validate.SchemaNotFoundError, "Couldn't find schema")."""
    schema_dir = f"v{_schema_version(k8s_version)}-local-strict"
    group, version = split_api_version(api_version)
    # same file naming as kubernetes_validate.utils.validate: rbac.authorization.k8s.io/v1 -> rbac-v1
    short = group.split(".")[0]
    name = f"{kind.lower()}-{short}-{version}" if group else f"{kind.lower()}-{version}"
    try:
        schema = kv_utils.schema_contents(f"kubernetes-json-schema/{schema_dir}/{name}.json", k8s_version)
    except FileNotFoundError:
        return None
    # the file name drops the group's domain: make sure the schema really is for this group
    served = {(g["group"], g["version"], g["kind"]) for g in schema.get("x-kubernetes-group-version-kind", ())}
    if (group, version, kind) not in served:
        return None
    registry = Resource.from_contents(schema) @ _core_definitions(k8s_version)[0]
    return jsonschema.Draft202012Validator(schema, registry=registry)


def is_builtin(obj: Mapping, k8s_version: str = "1.32.0") -> bool:
    return _core_validator(k8s_version, str(obj.get("apiVersion")), str(obj.get("kind"))) is not None


def validate_core(objs: Iterable[dict], k8s_version: str = "1.32.0", component: str | None = None) -> CoreResult:
    """Validate built-in kinds strictly against Kubernetes ``k8s_version``'s schemas.

    Returns ``(problems, custom)``: the problems (messages) and the objects of API groups Kubernetes
    does not serve (custom resources), which are not validated here but left for
    :func:`validate_custom` (never silently passed). An object of a Kubernetes group with a kind/version that Kubernetes
    ``k8s_version`` does not serve (e.g. ``policy/v1beta1 PodSecurityPolicy``) is a problem.
    """
    problems: list[str] = []
    custom: list[dict] = []
    k8s_groups = builtin_groups(k8s_version)
    for obj in objs:
        if not isinstance(obj, dict) or not obj.get("apiVersion") or not obj.get("kind"):
            problems.append(
                _message(obj if isinstance(obj, dict) else {}, component, [], "apiVersion and kind required")
            )
            continue
        validator = _core_validator(k8s_version, str(obj["apiVersion"]), str(obj["kind"]))
        if validator is None:
            group = split_api_version(obj["apiVersion"])[0]
            if group in k8s_groups:
                problems.append(
                    _message(
                        obj,
                        component,
                        [],
                        f"{obj['apiVersion']} {obj['kind']} is not served by Kubernetes {k8s_version} "
                        "(kubernetes-validate: Couldn't find schema)",
                    )
                )
            else:
                custom.append(obj)
            continue
        problems.extend(_format_errors(obj, component, validator, obj))
    return CoreResult(problems, custom)


# --------------------------------------------------------------------------------------------
# Custom resources (CRD openAPIV3Schema)
# --------------------------------------------------------------------------------------------


def _crd_schemas_from_objects(crds: Iterable[Mapping], source: str) -> dict[GVK, dict]:
    out: dict[GVK, dict] = {}
    for crd in crds:
        if not isinstance(crd, Mapping) or crd.get("kind") != "CustomResourceDefinition":
            continue
        if crd.get("apiVersion") != "apiextensions.k8s.io/v1":
            raise ValueError(f"{source}: CRD {crd.get('metadata', {}).get('name')} is not apiextensions.k8s.io/v1")
        spec = crd.get("spec") or {}
        group, kind = spec.get("group"), (spec.get("names") or {}).get("kind")
        for ver in spec.get("versions") or ():
            if not ver.get("served", True):
                continue
            schema = (ver.get("schema") or {}).get("openAPIV3Schema")
            if schema is None:
                schema = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
            out[(group, ver["name"], kind)] = schema
    return out


@functools.lru_cache(maxsize=64)
def _crd_file_schemas(path: str, _mtime_ns: int, _size: int) -> dict[GVK, dict]:
    docs = [d for d in load_yaml_all(Path(path)) if d]
    return _crd_schemas_from_objects(docs, path)


def crd_scopes(crd_dir: str | os.PathLike | None = None, extra_crd_objects: Iterable[Mapping] = ()) -> dict:
    """(group, kind) -> "Namespaced" | "Cluster", from CRD objects (and the upstream CRD files)."""
    out = {}
    objs = list(extra_crd_objects)
    if crd_dir is not None:
        for path in sorted(Path(crd_dir).glob("*.y*ml")):
            objs.extend(d for d in load_yaml_all(path) if d)
    for crd in objs:
        if isinstance(crd, Mapping) and crd.get("kind") == "CustomResourceDefinition":
            spec = crd.get("spec") or {}
            out[(spec.get("group"), (spec.get("names") or {}).get("kind"))] = spec.get("scope", "Namespaced")
    return out


def load_crd_schemas(crd_dir: str | os.PathLike | None, extra_crd_objects: Iterable[Mapping] = ()) -> dict[GVK, dict]:
    """(group, version, kind) -> openAPIV3Schema for every served version of every CRD in
    ``crd_dir/*.yaml`` and in ``extra_crd_objects`` (e.g. the CRDs a chart renders; any object that
    is not a CustomResourceDefinition is ignored, so a whole rendered set may be passed). A CRD in
    the rendered set overrides the upstream file's definition of the same (group, version, kind).
    Each file is parsed once per process (cached by path, mtime and size)."""
    schemas: dict[GVK, dict] = {}
    if crd_dir is not None:
        files = sorted(Path(crd_dir).glob("*.y*ml"))
        if not files:
            raise FileNotFoundError(f"no CRD files in {crd_dir}")
        for path in files:
            st = path.stat()
            schemas.update(_crd_file_schemas(str(path.resolve()), st.st_mtime_ns, st.st_size))
    schemas.update(_crd_schemas_from_objects(extra_crd_objects, "rendered set"))
    return schemas


_COMBINATORS = ("allOf", "anyOf", "oneOf")
_DROP_KEYS = {"description", "example", "externalDocs", "default", "format", "x-kubernetes-validations"}
_LOOSE_METADATA = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "namespace": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}
_EMBEDDED_FIELDS = {
    "apiVersion": {"type": "string"},
    "kind": {"type": "string"},
    "metadata": {"type": "object"},
}


def structural_to_jsonschema(schema: Mapping, *, root: bool = True, structural: bool = True) -> dict:
    """Convert a Kubernetes structural ``openAPIV3Schema`` to JSON Schema 2020-12.

    * ``x-kubernetes-int-or-string: true`` -> ``anyOf: [integer, string]``;
    * ``nullable: true`` -> ``null`` is allowed;
    * ``x-kubernetes-preserve-unknown-fields: true`` -> unknown fields allowed at that level;
    * every other object rejects unknown fields (``additionalProperties: false`` unless the schema
      gives ``additionalProperties``), as the API server does with strict field validation;
    * ``x-kubernetes-embedded-resource: true`` -> apiVersion/kind/metadata allowed;
    * the root ``metadata`` is checked loosely (a name is required);
    * ``x-kubernetes-validations`` (CEL), ``format`` and ``default`` are not evaluated.

    Sub-schemas under allOf/anyOf/oneOf/not are value validations (``structural=False``): they are
    converted without closing objects, since in a structural schema they only repeat fields of the
    enclosing schema.
    """
    out: dict = {}
    for key, value in schema.items():
        if key in _DROP_KEYS:
            continue
        if key == "properties":
            out[key] = {
                name: (
                    copy.deepcopy(_LOOSE_METADATA)
                    if root and name == "metadata"
                    else structural_to_jsonschema(sub, root=False, structural=structural)
                )
                for name, sub in value.items()
            }
        elif key in ("items", "additionalProperties") and isinstance(value, Mapping):
            out[key] = structural_to_jsonschema(value, root=False, structural=structural)
        elif key in _COMBINATORS:
            out[key] = [structural_to_jsonschema(sub, root=False, structural=False) for sub in value]
        elif key == "not":
            out[key] = structural_to_jsonschema(value, root=False, structural=False)
        elif key.startswith("x-kubernetes-") or key == "nullable":
            continue
        elif key == "pattern":
            translated = go_regex_to_python(value)
            if translated is not None:
                out[key] = translated
        else:
            out[key] = copy.deepcopy(value)

    if schema.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        # structural schemas may spell it out as anyOf [integer, string] (the only anyOf allowed here)
        if "anyOf" not in out:
            out["anyOf"] = [{"type": "integer"}, {"type": "string"}]

    if schema.get("x-kubernetes-embedded-resource"):
        props = out.setdefault("properties", {})
        for name, sub in _EMBEDDED_FIELDS.items():
            props.setdefault(name, dict(sub))
    if root:
        props = out.setdefault("properties", {})
        props.setdefault("apiVersion", {"type": "string"})
        props.setdefault("kind", {"type": "string"})
        props.setdefault("metadata", copy.deepcopy(_LOOSE_METADATA))

    is_object = schema.get("type") == "object" or "properties" in schema
    if (
        structural
        and is_object
        and "additionalProperties" not in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    if schema.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else [*out["type"], "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        if any(comb in out for comb in _COMBINATORS):
            out = {"anyOf": [{"type": "null"}, out]}
    return out


_INLINE_FLAGS = re.compile(r"\(\?([imsU]+)\)")

# Go (RE2) patterns Python's re cannot compile; their `pattern` is not checked (kept for reporting).
UNTRANSLATABLE_PATTERNS: set[str] = set()


def go_regex_to_python(pattern: str) -> str | None:
    """Translate a CRD ``pattern`` (Go RE2 syntax) for Python's ``re``; ``None`` if impossible.

    RE2 allows global flags such as ``(?i)`` anywhere (``^(?i)(abort|warn)?$`` in the
    prometheus-operator PrometheusRule CRD); Python wants them first, so they are moved to the front
    (which widens them to the whole pattern). ``\\z`` becomes ``\\Z``.
    """
    flags = "".join(sorted(set("".join(_INLINE_FLAGS.findall(pattern))) - {"U"}))
    translated = _INLINE_FLAGS.sub("", pattern).replace(r"\z", r"\Z")
    if flags:
        translated = f"(?{flags}){translated}"
    try:
        re.compile(translated)
    except re.error:
        UNTRANSLATABLE_PATTERNS.add(pattern)
        return None
    return translated


# id(raw schema) -> (raw schema, validator): the raw schema is kept so its id stays unique.
_CUSTOM_VALIDATORS: dict[int, tuple[dict, jsonschema.protocols.Validator]] = {}


def custom_validator(schema: dict) -> jsonschema.protocols.Validator:
    """Compiled (converted, checked) validator for one CRD version's schema, cached."""
    entry = _CUSTOM_VALIDATORS.get(id(schema))
    if entry is not None and entry[0] is schema:
        return entry[1]
    converted = structural_to_jsonschema(schema)
    jsonschema.Draft202012Validator.check_schema(converted)
    validator = jsonschema.Draft202012Validator(converted)
    _CUSTOM_VALIDATORS[id(schema)] = (schema, validator)
    return validator


def _prune_nulls(value):
    """The API server prunes ``null`` fields of non-nullable schemas before validation."""
    if isinstance(value, dict):
        return {k: _prune_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_prune_nulls(v) for v in value]
    return value


def validate_custom(objs: Iterable[dict], schemas: Mapping[GVK, dict], component: str | None = None) -> list[str]:
    """Validate custom resources against their CRD schema; an object without one is a problem."""
    problems: list[str] = []
    for obj in objs:
        gvk = gvk_of(obj)
        schema = schemas.get(gvk)
        if schema is None:
            known = sorted(v for g, v, k in schemas if (g, k) == (gvk[0], gvk[2]))
            hint = f" (CRD serves versions {', '.join(known)})" if known else ""
            problems.append(
                _message(
                    obj,
                    component,
                    [],
                    f"no schema: {obj.get('apiVersion')} {obj.get('kind')} is neither a built-in kind nor "
                    f"defined by a known CRD{hint}",
                )
            )
            continue
        problems.extend(_format_errors(obj, component, custom_validator(schema), _prune_nulls(obj)))
    return problems


def validate_all(
    objs: Iterable[dict],
    schemas: Mapping[GVK, dict],
    k8s_version: str = "1.32.0",
    component: str | None = None,
) -> list[str]:
    """Every object validated by exactly one of :func:`validate_core` / :func:`validate_custom`."""
    problems, custom = validate_core(objs, k8s_version, component)
    return problems + validate_custom(custom, schemas, component)

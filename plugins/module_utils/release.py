# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render platform releases: ``helm template`` of a pinned chart plus our own manifests.

Pure functions over plain data. The only side effects are the helm call, made through the
``run`` function the caller passes (``AnsibleModule.run_command`` in production, a fake in
unit tests), and :func:`sync_files`, which writes the rendered files idempotently.

A rendered component directory also holds ``.render.sha256``: the digest of everything the
render depends on (the release description, the chart archive or pin, the helm binary) and of
the files written. When both still match, :func:`render_all` skips helm altogether: a no-op
rerun reads a few files instead of rendering every chart again.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace

from ansible_collections.mlops.platform.plugins.module_utils import network_policies
from ansible_collections.mlops.platform.plugins.module_utils.chart_mirror import pull_command
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError
from ansible_collections.mlops.platform.plugins.module_utils.pod_security import pod_security_labels

try:
    import yaml

    HAS_YAML = True
    # libyaml when present: helm output of a big chart (CRDs) is megabytes of YAML.
    _DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        """A safe loader that reads YAML 1.1's plain ``=`` (the ``value`` type) as a string.

        The prometheus-operator CRDs list ``=`` unquoted in an enum; Go YAML reads it as a string.
        """

    _Loader.add_constructor("tag:yaml.org,2002:value", yaml.constructor.SafeConstructor.construct_yaml_str)
    YAML_LOADER = _Loader
except ImportError:  # pragma: no cover - PyYAML ships with ansible-core
    HAS_YAML = False
    YAML_LOADER = None

# The files a rendered component directory holds. Only these are ever written or removed.
CHART_FILE = "chart.yaml"
MANIFESTS_FILE = "manifests.yaml"
VALUES_FILE = "values.yaml"
MANAGED_FILES = (CHART_FILE, MANIFESTS_FILE, VALUES_FILE)
KEY_FILE = ".render.sha256"
# Bump when the rendered layout or content rules change, so existing keys stop matching.
RENDER_FORMAT = 3
# A --diff (of a rendered file, of a release's manifest) shows at most this many lines.
MAX_DIFF_LINES = 400

# Patterns start with a newline (the text gets one in front): a literal prefix lets the regex engine
# skip ahead instead of trying every position of megabytes of CRDs.
_DOC_SPLIT = re.compile(r"\n---[ \t]*(?=\n|\Z)")
_HEADER = "# Rendered by mlops.platform (platform_mode=render). Do not edit: re-run the playbook.\n"


@dataclass(frozen=True)
class ChartSource:
    """Where helm takes the chart from: a local archive, a repository or an OCI reference."""

    ref: str
    version: str
    repo: str | None = None
    name: str = ""


@dataclass(frozen=True)
class ReleaseSpec:
    """One component's release, as the component roles describe it."""

    component: str
    release_name: str
    namespace: str
    chart: ChartSource | None  # None: a release of our own manifests only
    values: dict = field(default_factory=dict)
    manifests_pre: list = field(default_factory=list)
    manifests: list = field(default_factory=list)
    drop: list = field(default_factory=list)
    create_namespace: bool = True
    namespace_labels: dict = field(default_factory=dict)
    kube_version: str | None = None
    derive: dict = field(default_factory=dict)


# Derivers a release description names in ``derive.with``: (the kinds they read, function(objects, params) ->
# the objects to add to the release's manifests). They run after every other release is rendered, with the
# objects of all of them (see render_all).
DERIVERS = {
    "network_policies": (network_policies.KINDS, network_policies.derive),
}


@dataclass(frozen=True)
class RenderedRelease:
    files: dict
    object_count: int
    dropped: list


def resolve_chart(chart: dict, mirror: str | None) -> ChartSource:
    """Return where helm takes ``chart`` ({repo, name, version}) from.

    With a mirror directory the chart must be there as ``<name>-<version>.tgz`` (as
    ``helm package`` names it); otherwise the chart's repository is used.
    """
    missing = [key for key in ("repo", "name", "version") if not chart.get(key)]
    if missing:
        raise PlatformError(
            "chart entry {!r} lacks {} (set them in platform_versions.charts)".format(chart, ", ".join(missing))
        )
    name, version, repo = chart["name"], str(chart["version"]), chart["repo"]
    if mirror:
        archive = os.path.join(mirror, f"{name}-{version}.tgz")
        if not os.path.isfile(archive):
            raise PlatformError(
                f"platform_chart_mirror: {mirror} has no {name}-{version}.tgz; add the packaged chart "
                f"(helm pull {repo} --version {version}) or unset platform_chart_mirror"
            )
        return ChartSource(ref=os.path.abspath(archive), version=version, name=name)
    if repo.startswith("oci://"):
        return ChartSource(ref="{}/{}".format(repo.rstrip("/"), name), version=version, name=name)
    return ChartSource(ref=name, version=version, repo=repo, name=name)


# What helm and kubectl print when a host cannot be reached at all, and the short reason to show.
NETWORK_FAILURES = (
    ("connection refused", "connection refused"),
    ("no such host", "host name not found"),
    ("i/o timeout", "timed out"),
    ("tls handshake timeout", "timed out"),
    ("network is unreachable", "network unreachable"),
    ("no route to host", "no route to host"),
)
# What helm prints when a chart cannot be downloaded (no network, DNS, a proxy, a moved repository).
_FETCH_FAILURES = (
    *NETWORK_FAILURES,
    ("dial tcp", "no connection"),
    ("is not a valid chart repository or cannot be reached", "repository not reachable"),
    ("failed to fetch", "download failed"),
    ("failed to do request", "download failed"),
    ("not found in", "chart version not in the repository"),
)


def fetch_failure(text: str) -> str | None:
    """A short reason when helm's error says the chart could not be downloaded, else None."""
    lower = text.lower()
    for needle, reason in _FETCH_FAILURES:
        if needle in lower:
            return reason
    return None


class ChartFetchError(PlatformError):
    """A chart that helm could not download; :func:`render_all` reports every one in one message."""

    def __init__(self, component: str, chart: ChartSource, reason: str) -> None:
        self.component, self.chart, self.reason = component, chart, reason
        super().__init__(f"{component}: chart {chart.name} {chart.version} could not be fetched ({reason})")


def _pin(chart: ChartSource) -> dict:
    """The pinned chart entry ({repo, name, version}) a repository or OCI source was resolved from."""
    repo = chart.repo or chart.ref[: -len(chart.name) - 1]
    return {"repo": repo, "name": chart.name, "version": chart.version}


def fetch_failures_message(failures: list) -> str:
    """One message for every chart that could not be fetched, with the way out."""
    commands: dict = {}
    for failure in failures:
        commands.setdefault(pull_command(_pin(failure.chart), "DIR"), []).append(failure.component)
    reasons = sorted({f.reason for f in failures})
    lines = [
        f"{len(commands)} chart(s) could not be fetched from their repositories ({', '.join(reasons)}); "
        "nothing was written. Without network, point platform_chart_mirror at a directory of packaged charts "
        "(<name>-<version>.tgz): make render CHART_MIRROR=DIR, or -e platform_chart_mirror=DIR. "
        "`make mirror MIRROR_DIR=DIR` builds one on a connected machine, or per chart:"
    ]
    lines += [f"  {command}   ({', '.join(components)})" for command, components in commands.items()]
    return "\n".join(lines)


def helm_template_argv(helm: str, spec: ReleaseSpec, values_file: str) -> list:
    """The helm command line that renders ``spec`` (an argv list, never a shell string)."""
    argv = [
        helm,
        "template",
        spec.release_name,
        spec.chart.ref,
        "--namespace",
        spec.namespace,
        "--version",
        spec.chart.version,
        "--values",
        values_file,
        "--include-crds",
        # Test hooks (pods that `helm test` runs) are never installed: keep them out of the output too.
        "--skip-tests",
    ]
    if spec.chart.repo:
        argv += ["--repo", spec.chart.repo]
    if spec.kube_version:
        argv += ["--kube-version", spec.kube_version]
    return argv


_TOP_KIND = re.compile(r"\nkind:[ \t]*[\"']?([A-Za-z0-9]+)[\"']?[ \t]*(?=\n|\Z)")
_TOP_NAME = re.compile(r"\nmetadata:[ \t]*\n(?:[ \t]*#.*\n|  .*\n)*?  name:[ \t]*[\"']?([^\"'\s#]+)")
# Documents of these kinds are always parsed: their content is checked (Secret data, List items).
_PARSED_KINDS = frozenset({"Secret", "List"})


def split_documents(text: str, parse_kinds=frozenset()) -> list:
    """Split helm output into ``(raw_text, object)`` pairs, skipping empty documents.

    Only documents whose content matters are parsed: kinds in ``parse_kinds`` (e.g. those a drop
    rule names), Secrets and Lists, and anything whose top-level ``kind`` a line scan cannot read.
    The others (megabytes of CRDs, say) get a stub object with their kind and name.
    """
    docs = []
    wanted = _PARSED_KINDS | frozenset(parse_kinds)
    for raw in _DOC_SPLIT.split("\n" + text):
        kinds = _TOP_KIND.findall("\n" + raw)
        name = _TOP_NAME.search("\n" + raw)
        if len(kinds) == 1 and kinds[0] not in wanted and name:
            docs.append((raw.strip("\n"), {"kind": kinds[0], "metadata": {"name": name.group(1)}}))
            continue
        obj = yaml.load(raw, Loader=YAML_LOADER)  # a safe loader: CSafeLoader or SafeLoader
        if obj is None:
            continue
        if not isinstance(obj, dict) or "kind" not in obj:
            raise PlatformError(f"helm rendered a document that is not a Kubernetes object: {raw[:200]!r}")
        docs.append((raw.strip("\n"), obj))
    return docs


def _matches(rule: dict, obj: dict) -> bool:
    meta = obj.get("metadata") or {}
    return rule.get("kind") == obj.get("kind") and rule.get("name") == meta.get("name")


def drop_objects(docs: list, rules: list, component: str) -> tuple:
    """Remove the chart objects that ``rules`` name; a rule that matches nothing is an error.

    An unmatched rule means the chart changed under us (a stale workaround), so it fails loudly
    instead of silently keeping an object we meant to replace.
    """
    kept = [doc for doc in docs if not any(_matches(rule, doc[1]) for rule in rules)]
    for rule in rules:
        if not any(_matches(rule, doc[1]) for doc in docs):
            raise PlatformError(
                "{}: drop rule {}/{} matches no object the chart renders; remove the rule or fix its kind/name".format(
                    component, rule.get("kind"), rule.get("name")
                )
            )
    dropped = ["{}/{}".format(rule["kind"], rule["name"]) for rule in rules]
    return kept, dropped


def secret_problems(objects: list, component: str) -> list:
    """Secrets must reach the cluster through External Secrets, never through rendered files."""
    problems = []
    flat = [item for obj in objects for item in (obj.get("items") or [] if obj.get("kind") == "List" else [obj])]
    for obj in flat:
        if not isinstance(obj, dict):
            continue
        if obj.get("kind") == "Secret" and (obj.get("data") or obj.get("stringData")):
            problems.append(
                "{}: Secret {} carries data ({}); deliver it with an ExternalSecret "
                "or drop it from the chart output".format(
                    component,
                    (obj.get("metadata") or {}).get("name"),
                    ", ".join(sorted({**(obj.get("data") or {}), **(obj.get("stringData") or {})})),
                )
            )
    return problems


def namespace_object(spec: ReleaseSpec) -> dict:
    meta = {"name": spec.namespace}
    if spec.namespace_labels:
        meta["labels"] = {str(k): str(v) for k, v in sorted(spec.namespace_labels.items())}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


def dump_documents(objects: list) -> str:
    return "".join(
        "---\n" + yaml.dump(obj, Dumper=_DUMPER, default_flow_style=False, sort_keys=False) for obj in objects
    )


def run_helm_template(spec: ReleaseSpec, helm: str, run, values_text: str) -> str:
    """``helm template`` of ``spec``'s chart with ``values_text``; its stdout, or PlatformError."""
    with tempfile.TemporaryDirectory(prefix="mlops-platform-") as tmp:
        values_file = os.path.join(tmp, "values.yaml")
        with open(values_file, "w", encoding="utf-8") as handle:
            handle.write(values_text)
        rc, out, err = run(helm_template_argv(helm, spec, values_file))
    if rc != 0:
        text = (err or out).strip()
        if spec.chart.repo or spec.chart.ref.startswith("oci://"):
            reason = fetch_failure(text)
            if reason:
                raise ChartFetchError(spec.component, spec.chart, reason)
        raise PlatformError(
            f"{spec.component}: helm template failed for chart {spec.chart.ref} {spec.chart.version}: {text}"
        )
    return out


def render_release(spec: ReleaseSpec, helm: str | None, run) -> RenderedRelease:
    """Render ``spec`` with helm and our manifests into file contents (nothing is written).

    ``run(argv)`` returns ``(rc, stdout, stderr)``. A spec without a chart renders our manifests only
    (no helm call, no chart or values file).
    """
    if not HAS_YAML:  # pragma: no cover
        raise PlatformError("PyYAML is required to render releases")
    values_text = yaml.dump(spec.values or {}, Dumper=_DUMPER, default_flow_style=False, sort_keys=True)
    out = run_helm_template(spec, helm, run, values_text) if spec.chart is not None else ""
    parse_kinds = frozenset(rule.get("kind") for rule in spec.drop)
    docs, dropped = drop_objects(split_documents(out, parse_kinds), spec.drop, spec.component)
    ours = ([namespace_object(spec)] if spec.create_namespace else []) + list(spec.manifests_pre) + list(spec.manifests)
    problems = secret_problems([obj for _raw, obj in docs] + ours, spec.component)
    if problems:
        raise PlatformError("; ".join(problems))
    header = _HEADER + f"# release {spec.release_name}, namespace {spec.namespace}"
    header += f", chart {spec.chart.name} {spec.chart.version}\n" if spec.chart is not None else "\n"
    files = {MANIFESTS_FILE: header + dump_documents(ours)}
    if spec.chart is not None:
        files[CHART_FILE] = header + "".join(f"---\n{raw}\n" for raw, _obj in docs)
        files[VALUES_FILE] = header + values_text
    return RenderedRelease(files=files, object_count=len(docs) + len(ours), dropped=dropped)


def sync_files(
    dest: str, files: dict, check_mode: bool = False, names: tuple = MANAGED_FILES, unified: bool = False
) -> tuple:
    """Make ``dest`` hold exactly ``files`` among ``names``; return ``(changed_names, diff)``.

    Files are compared byte for byte and replaced atomically; nothing is written in check mode. The diff
    lists the sizes of the files that change, or with ``unified`` is their unified diff (``prepared``).
    """
    changed, before, after, prepared = [], [], [], []
    for name in names:
        path = os.path.join(dest, name)
        old = None
        if os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                old = handle.read()
        new = files.get(name)
        if old == new:
            continue
        changed.append(name)
        before.append("{}: {}".format(name, "absent" if old is None else f"{len(old)} bytes"))
        after.append("{}: {}".format(name, "absent" if new is None else f"{len(new)} bytes"))
        if unified:
            prepared.append(unified_diff(old or "", new or "", path, path))
        if check_mode:
            continue
        if new is None:
            os.remove(path)
            continue
        os.makedirs(dest, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest, prefix=f".{name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(new)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    if unified:
        return changed, {"prepared": "".join(prepared)}
    diff = {"before_header": dest, "after_header": dest, "before": "\n".join(before), "after": "\n".join(after)}
    return changed, diff


def unified_diff(before: str, after: str, before_name: str, after_name: str) -> str:
    """The unified diff of two texts, at most MAX_DIFF_LINES lines (rendered CRDs are megabytes)."""
    lines = list(difflib.unified_diff(before.splitlines(True), after.splitlines(True), before_name, after_name, n=3))
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"... {len(lines) - MAX_DIFF_LINES} more diff lines not shown\n"]
    return "".join(lines)


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_digest(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def render_key(spec: ReleaseSpec, helm_identity: str) -> str:
    """Digest of everything the rendered files depend on.

    A chart from a mirror is identified by its archive's content; one from a repository by its pin
    (repository, name, exact version), which a chart repository must not change.
    """
    chart = None
    if spec.chart is not None:
        chart = asdict(spec.chart)
        if os.path.isfile(spec.chart.ref):
            chart["ref"] = file_digest(spec.chart.ref)
    inputs = {k: v for k, v in asdict(spec).items() if k != "chart"}
    inputs.update(chart=chart, helm=helm_identity if spec.chart is not None else None, format=RENDER_FORMAT)
    return _sha256_text(json.dumps(inputs, sort_keys=True, default=str))


def read_key(dest: str):
    """The key file's content, or None when absent or unreadable."""
    try:
        with open(os.path.join(dest, KEY_FILE), encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def is_current(dest: str, key: str) -> bool:
    """Whether ``dest`` holds exactly the files rendered for ``key``, untouched since."""
    recorded = read_key(dest)
    if not isinstance(recorded, dict) or recorded.get("key") != key or not isinstance(recorded.get("files"), dict):
        return False
    for name in MANAGED_FILES:
        path = os.path.join(dest, name)
        expected = recorded["files"].get(name)
        if expected is None:
            if os.path.exists(path):
                return False
        elif not os.path.isfile(path) or file_digest(path) != expected:
            return False
    return True


def key_file_text(key: str, files: dict) -> str:
    digests = {name: _sha256_text(text) for name, text in sorted(files.items()) if text is not None}
    return json.dumps({"key": key, "files": digests}, indent=2, sort_keys=True) + "\n"


@dataclass(frozen=True)
class ReleaseResult:
    component: str
    changed: list
    objects: int | None
    dropped: list
    current: bool
    diff: dict | None = None
    folder: str = ""
    manifests: int = 0  # our manifests (those a ``derive`` adds included)


@dataclass(frozen=True)
class _Render:
    """A release rendered in memory (``rendered`` None: its folder is current)."""

    spec: ReleaseSpec
    dest: str
    key: str
    rendered: RenderedRelease | None


def _render(spec: ReleaseSpec, dest: str, helm: str | None, helm_id: str, run) -> _Render:
    key = render_key(spec, helm_id)
    if is_current(dest, key):
        return _Render(spec, dest, key, None)
    return _Render(spec, dest, key, render_release(spec, helm, run))


def _write(job: _Render, check_mode: bool, want_diff: bool, plan_root: str | None) -> ReleaseResult:
    spec, dest = job.spec, job.dest
    if job.rendered is None:
        return ReleaseResult(spec.component, [], None, [], True, folder=dest, manifests=len(spec.manifests))
    files = job.rendered.files
    changed, diff = sync_files(dest, files, check_mode=check_mode, unified=want_diff)
    folder = dest
    if check_mode and plan_root and changed:
        # Apply under --check plans from the render of this run, written aside (the build folder is untouched).
        folder = os.path.join(plan_root, spec.component)
        sync_files(folder, files)
    if not check_mode:
        sync_files(dest, {KEY_FILE: key_file_text(job.key, files)}, names=(KEY_FILE,))
    return ReleaseResult(
        spec.component,
        changed,
        job.rendered.object_count,
        job.rendered.dropped,
        False,
        diff=diff,
        folder=folder,
        manifests=len(spec.manifests),
    )


# API groups Kubernetes 1.32 serves itself: every other group needs a CRD some component installs.
BUILTIN_API_GROUPS = frozenset(
    {
        "",
        "apps",
        "batch",
        "policy",
        "autoscaling",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "certificates.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "internal.apiserver.k8s.io",
        "networking.k8s.io",
        "node.k8s.io",
        "rbac.authorization.k8s.io",
        "resource.k8s.io",
        "scheduling.k8s.io",
        "storage.k8s.io",
        "storagemigration.k8s.io",
    }
)
_DOC_SPLIT = re.compile(r"^---\s*$", re.MULTILINE)
_TOP_API_VERSION = re.compile(r"^apiVersion:\s*[\"']?([^\s\"']+)", re.MULTILINE)
_TOP_KIND = re.compile(r"^kind:\s*[\"']?([^\s\"']+)", re.MULTILINE)


def kinds_rendered(texts) -> set:
    """(API group, kind) of every top-level object in the rendered file ``texts`` (helm's and our YAML put
    apiVersion and kind at column 0; what is nested, e.g. inside a ConfigMap's data, is indented)."""
    found = set()
    for text in texts:
        for doc in _DOC_SPLIT.split(text):
            version, kind = _TOP_API_VERSION.search(doc), _TOP_KIND.search(doc)
            if version and kind:
                api_version = version.group(1)
                found.add((api_version.split("/", 1)[0] if "/" in api_version else "", kind.group(1)))
    return found


def _provides(entries, group: str, kind: str) -> bool:
    """Whether catalog ``provides`` entries (``group`` for all its kinds, or ``group/Kind``) cover a kind."""
    return any(entry == group or entry == f"{group}/{kind}" for entry in entries or ())


def dependency_problems(used: dict, catalog: dict, enabled: set) -> list:
    """What a rendered release uses that no enabled component provides (``used``: component -> (group,
    kind) set; ``catalog``: platform_component_catalog, whose ``provides`` lists the CRD groups - or
    group/Kind - each component installs; ``enabled``: the enabled components). Each problem names the
    release, the kind and the component that would provide it: it would fail at apply ("no matches for
    kind"), so the render refuses before anything is written."""
    problems = []
    for component in sorted(used):
        for group, kind in sorted(used[component]):
            if group in BUILTIN_API_GROUPS:
                continue
            if any(_provides(catalog[name].get("provides"), group, kind) for name in enabled if name in catalog):
                continue
            providers = sorted(n for n, entry in catalog.items() if _provides(entry.get("provides"), group, kind))
            if providers:
                needs = " or ".join(f"{n} ({n}_enabled: true)" for n in providers)
                problems.append(
                    f"{component} renders {kind} ({group}), whose CRD only {needs} installs, and it is disabled: "
                    f"enable it, or disable {component}"
                )
            else:
                problems.append(f"{component} renders {kind} ({group}), whose CRD no component of the catalog installs")
    return problems


def render_all(
    specs: list,
    dest_root: str,
    helm: str | None,
    helm_identity: str,
    run,
    check_mode=False,
    workers=2,
    want_diff=False,
    plan_root=None,
    requires=None,
):
    """Render every spec into ``dest_root/<component>``, ``workers`` helm calls at a time.

    Every release is rendered in memory first; files are written only when all of them rendered, so a
    failed render (a chart that cannot be fetched, say) leaves the build folder as it was. Charts that
    cannot be fetched are reported together, with the way to mirror them. Results come back in the
    order of ``specs``. With ``plan_root`` in check mode, the files of changed releases are written
    there instead (what apply under --check plans from).
    """
    components = [spec.component for spec in specs]
    duplicates = sorted({c for c in components if components.count(c) > 1})
    if duplicates:
        raise PlatformError(f"two releases render into the same folder: {', '.join(duplicates)}")
    # Releases with ``derive`` are made from the others' rendered objects: rendered after them.
    derived = [spec for spec in specs if spec.derive]
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [
            pool.submit(_render, spec, os.path.join(dest_root, spec.component), helm, helm_identity, run)
            for spec in specs
            if not spec.derive
        ]
    jobs, errors, fetches = [], [], []
    for future in futures:
        try:
            jobs.append(future.result())
        except ChartFetchError as err:
            fetches.append(err)
        except PlatformError as err:
            errors.append(err.msg)
    if fetches:
        errors.insert(0, fetch_failures_message(fetches))
    if errors:
        raise PlatformError("\n".join(errors) if fetches else "; ".join(errors))
    for spec in derived:
        spec = replace(spec, manifests=[*spec.manifests, *derive_objects(spec, jobs)])
        jobs.append(_render(spec, os.path.join(dest_root, spec.component), helm, helm_identity, run))
    jobs.sort(key=lambda job: components.index(job.spec.component))
    if requires is not None:
        # ``requires``: {catalog, enabled, owners (component -> role)}; a release whose kinds no enabled
        # component provides would fail at apply: refuse before anything is written.
        used = {}
        for job in jobs:
            texts = _object_texts(job)
            role = requires["owners"].get(job.spec.component, job.spec.component)
            used.setdefault(role, set()).update(kinds_rendered(texts))
        problems = dependency_problems(used, requires["catalog"], set(requires["enabled"]))
        if problems:
            raise PlatformError("components need components that are disabled: " + "; ".join(problems))
    return [_write(job, check_mode, want_diff, plan_root) for job in jobs]


def derive_objects(spec: ReleaseSpec, jobs: list) -> list:
    """The objects ``spec.derive`` ({with: a DERIVERS name, params}) makes from the objects of the rendered
    ``jobs`` (only the kinds the deriver reads are parsed; namespaced objects without a namespace get their
    release's, as helm would install them)."""
    name = spec.derive.get("with")
    if name not in DERIVERS:
        raise PlatformError(f"{spec.component}: derive.with {name!r} is not one of {', '.join(sorted(DERIVERS))}")
    kinds, function = DERIVERS[name]
    objects = []
    for job in jobs:
        for text in _object_texts(job):
            for _raw, doc in split_documents(text, kinds):
                # A chart's List (the ALB controller's IngressClass) counts as its items.
                for obj in doc.get("items") or [] if doc.get("kind") == "List" else [doc]:
                    if not isinstance(obj, dict) or obj.get("kind") not in kinds:
                        continue
                    meta = obj.setdefault("metadata", {})
                    if obj.get("kind") != "Namespace":
                        meta.setdefault("namespace", job.spec.namespace)
                    objects.append(obj)
    return function(objects, spec.derive.get("params") or {})


def _object_texts(job: _Render) -> list:
    """The texts of the files holding a release's objects (chart.yaml, manifests.yaml; not values.yaml): from
    this render, or from the folder of a release that is current."""
    names = (CHART_FILE, MANIFESTS_FILE)
    if job.rendered is not None:
        return [job.rendered.files[name] for name in names if name in job.rendered.files]
    texts = []
    for name in names:
        path = os.path.join(job.dest, name)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as handle:
                texts.append(handle.read())
    return texts


# The argument spec of the release_render module and action (one place for both).
RELEASE_OPTIONS = dict(
    component=dict(type="str", required=True),
    release_name=dict(type="str", required=True),
    namespace=dict(type="str", required=True),
    chart=dict(type="str"),
    values=dict(type="dict", default={}),
    manifests_pre=dict(type="list", elements="dict", default=[]),
    manifests=dict(type="list", elements="dict", default=[]),
    drop=dict(type="list", elements="dict", default=[]),
    create_namespace=dict(type="bool", default=True),
    wave=dict(type="raw"),
    requires_all_releases=dict(type="bool", default=False),
    derive=dict(type="dict", default={}),
)

ARGUMENT_SPEC = dict(
    releases=dict(type="list", elements="dict", options=RELEASE_OPTIONS),
    components=dict(type="dict"),
    for_apply=dict(type="bool", default=False),
    stamp=dict(type="str", no_log=False),
    charts=dict(type="dict", required=True),
    chart_mirror=dict(type="path"),
    pod_security=dict(type="dict", default={}),
    pod_security_default=dict(type="dict", default={}),
    kube_version=dict(type="str"),
    dest=dict(type="path", required=True),
    helm_binary=dict(type="path"),
    workers=dict(type="int"),
    plan_dir=dict(type="path"),
)


def release_spec(release: dict, params: dict) -> ReleaseSpec:
    """The ReleaseSpec of one validated ``releases`` entry of the module arguments."""
    chart = None
    if release["chart"]:
        if release["chart"] not in params["charts"]:
            raise PlatformError(
                f"{release['component']}: chart {release['chart']!r} is not in platform_versions.charts "
                f"(known: {', '.join(sorted(params['charts']))})"
            )
        chart = resolve_chart(params["charts"][release["chart"]], params["chart_mirror"])
    return ReleaseSpec(
        component=release["component"],
        release_name=release["release_name"],
        namespace=release["namespace"],
        chart=chart,
        values=release["values"],
        manifests_pre=release["manifests_pre"],
        manifests=release["manifests"],
        drop=release["drop"],
        create_namespace=release["create_namespace"],
        namespace_labels=pod_security_labels(
            release["namespace"], params["pod_security"], params["pod_security_default"]
        ),
        kube_version=params["kube_version"],
        derive=release.get("derive") or {},
    )


def pending_entry(release: dict, params: dict, folder: str, manifests: int | None = None) -> dict:
    """What apply needs of a validated release: names, wave, object counts, chart source, rendered folder.

    No values and no objects: the rendered files are the source of those, and the fact stays small
    (a failing task never prints a release's values). ``manifests``: the count the render reports (a
    ``derive`` adds objects to the description's).
    """
    entry = {
        "component": release["component"],
        "release_name": release["release_name"],
        "namespace": release["namespace"],
        "wave": int(release["wave"] or 0),
        "create_namespace": release["create_namespace"],
        "manifests_pre": len(release["manifests_pre"]),
        "manifests": len(release["manifests"]) if manifests is None else manifests,
        "drop": release["drop"],
        "folder": folder,
        "chart_ref": None,
        "chart_name": None,
        "chart_version": None,
        "chart_repo": None,
    }
    if release["chart"]:
        chart = resolve_chart(params["charts"][release["chart"]], params["chart_mirror"])
        entry.update(chart_ref=chart.ref, chart_name=chart.name, chart_version=chart.version, chart_repo=chart.repo)
    return entry


def helm_identity(helm: str | None) -> str:
    """What identifies the helm binary for the render key: another helm re-renders everything."""
    if helm and os.path.isfile(helm):
        stat = os.stat(helm)
        return f"{os.path.realpath(helm)}:{stat.st_size}:{stat.st_mtime_ns}"
    return str(helm)


def render_releases(params: dict, check_mode: bool, want_diff: bool, run, find_helm) -> dict:
    """The whole release_render task over validated ``params``: the module/action result dict.

    ``find_helm()`` returns the helm path (called only when a release has a chart).
    """
    specs = [release_spec(release, params) for release in params["releases"]]
    helm = (params["helm_binary"] or find_helm()) if any(spec.chart for spec in specs) else None
    results = render_all(
        specs,
        params["dest"],
        helm,
        helm_identity(helm),
        run=run,
        check_mode=check_mode,
        workers=params["workers"] or os.cpu_count() or 1,
        want_diff=want_diff,
        plan_root=params.get("plan_dir"),
        requires=params.get("requires"),
    )
    result = dict(
        changed=any(r.changed for r in results),
        releases=[
            dict(
                component=r.component,
                files=r.changed,
                current=r.current,
                objects=r.objects,
                dropped=r.dropped,
                folder=r.folder,
                manifests=r.manifests,
            )
            for r in results
        ],
    )
    if want_diff and result["changed"]:
        result["diff"] = [r.diff for r in results if r.changed]
    return result


# ---------------------------------------------------------------------------- the play's components
def tag_selected(tag: str, run_tags, skip_tags) -> bool:
    """Whether ``--tags``/``--skip-tags`` select a component tagged ``tag`` (its role name).

    Ansible's rules for a task tagged ``tag``: ``all`` and ``tagged`` select every tagged task;
    ``--skip-tags`` wins over ``--tags``.
    """
    return _tags_selected({tag}, run_tags, skip_tags)


def _tags_selected(tags: set, run_tags, skip_tags) -> bool:
    run_tags, skip_tags = set(run_tags or ["all"]), set(skip_tags or [])
    if skip_tags & (tags | {"tagged", "all"}):
        return False
    return bool(run_tags & (tags | {"tagged", "all"}))


# A release is also selected by its wave's tag, e.g. --tags wave_30 (install or render one wave).
WAVE_TAG_PREFIX = "wave_"


def release_selected(role: str, wave, run_tags, skip_tags) -> bool:
    """Whether ``--tags``/``--skip-tags`` select a release of ``role`` in ``wave``: by the role's tag or
    ``wave_<wave>``, with Ansible's rules (``all``/``tagged`` select everything, ``--skip-tags`` wins)."""
    return _tags_selected({role, f"{WAVE_TAG_PREFIX}{int(wave or 0)}"}, run_tags, skip_tags)


def owner_of(folder: str, roles) -> str | None:
    """The role that renders into ``folder``: ``<role>`` or ``<role>_<part>`` (longest role name wins)."""
    owners = [role for role in roles if folder == role or folder.startswith(role + "_")]
    return max(owners, key=len) if owners else None


def stale_folders(dest: str, roles, pruned_roles, current) -> list:
    """Rendered folders under ``dest`` that no longer hold a release, sorted.

    A folder is ours when it holds a render key file. It is stale when no current release renders into
    it and its owning role is in ``pruned_roles`` (disabled components, and selected components whose
    releases changed); folders of roles that ``--tags`` left out are left alone.
    """
    if not os.path.isdir(dest):
        return []
    stale = []
    for folder in sorted(os.listdir(dest)):
        path = os.path.join(dest, folder)
        if folder in current or not os.path.isfile(os.path.join(path, KEY_FILE)):
            continue
        if owner_of(folder, roles) in pruned_roles:
            stale.append(path)
    return stale


def remove_folders(paths: list, check_mode: bool) -> None:
    """Remove the rendered folders ``paths`` (only the files we write, then the empty folder)."""
    if check_mode:
        return
    for path in paths:
        for name in (*MANAGED_FILES, KEY_FILE):
            if os.path.exists(os.path.join(path, name)):
                os.remove(os.path.join(path, name))
        if not os.listdir(path):
            os.rmdir(path)


def incomplete_problems(releases: list, left_out: list) -> list:
    """A release that needs every enabled component's release cannot be rendered without some of them."""
    if not left_out:
        return []
    return [
        f"{release['component']}: its objects are made from the releases of every enabled component, "
        f"but {', '.join(left_out)} did not run (--tags?). Render without --tags, or add their tags: "
        f"--tags {','.join([release['component'], *left_out])}"
        for release in releases
        if release.get("requires_all_releases")
    ]

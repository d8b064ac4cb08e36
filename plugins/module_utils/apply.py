# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Install rendered releases into a cluster: the releases of one wave side by side.

Apply installs exactly what the render wrote (``<cluster dir>/<component>/``): ``manifests.yaml``
(the Namespace, our objects needed before the chart, our objects that need it) with
``kubectl apply --server-side``, and the chart with ``helm upgrade --install`` and the rendered
``values.yaml``; a post-renderer applies the same drop rules as the render and refuses a chart
that renders other objects than the ones written (``roles/release/files/postrender.py``).

Every cluster call goes through the ``run(argv, stdin)`` function the caller passes, which returns
``(rc, stdout, stderr)``; each release records when it started and finished, so a wave's concurrency
is visible in the task result. Errors become one line per release (the cluster endpoint named when it
is unreachable); no values are ever echoed.
"""

from __future__ import annotations

import json
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError
from ansible_collections.mlops.platform.plugins.module_utils.release import (
    CHART_FILE,
    MANIFESTS_FILE,
    NETWORK_FAILURES,
    VALUES_FILE,
    YAML_LOADER,
    dump_documents,
    unified_diff,
)

try:
    import yaml
except ImportError:  # pragma: no cover - PyYAML ships with ansible-core
    yaml = None

FIELD_MANAGER = "mlops-platform"
HOOK_ANNOTATION = "helm.sh/hook"
# Our objects that report readiness as a status condition, and the condition apply waits for.
READY_CONDITIONS = {
    "CustomResourceDefinition": "Established",
    "ClusterIssuer": "Ready",
    "Issuer": "Ready",
    "Certificate": "Ready",
    "ClusterSecretStore": "Ready",
    "SecretStore": "Ready",
    "ExternalSecret": "Ready",
}
ROLLOUT_KINDS = ("Deployment", "StatefulSet", "DaemonSet")
# What kubectl and helm print when the API server cannot be reached (not a task or manifest problem).
_UNREACHABLE = (
    *NETWORK_FAILURES,
    ("context deadline exceeded", "timed out"),
    ("tls: ", "TLS handshake failed"),
    ("x509: ", "certificate not trusted"),
    ("kubernetes cluster unreachable", "unreachable"),
    ("unable to connect to the server", "unreachable"),
    ("the connection to the server", "unreachable"),
)
_UNAUTHORIZED = ("unauthorized", "forbidden", "must be logged in", "getting credentials")
# In check mode the objects of an earlier, not yet installed, step cannot be looked up.
_NOT_YET = ("no matches for kind", "the server could not find the requested resource", "not found")
_SECRET_KINDS = ("Secret",)


@dataclass(frozen=True)
class Target:
    """The cluster: kubeconfig and context (None: the client defaults) and its endpoint, for messages."""

    kubeconfig: str | None = None
    context: str | None = None
    server: str = "the cluster in the current kubeconfig"
    kubectl: str = "kubectl"
    helm: str = "helm"
    timeout: int = 600
    postrender: tuple = ()  # argv prefix of the post-renderer: (python, script)
    workdir: str = ""  # where the post-renderer's inputs are written

    def postrender_spec(self, component: str) -> str:
        """The post-renderer's input of ``component``'s chart (see :func:`write_postrender_spec`)."""
        return os.path.join(self.workdir, component + ".json")

    def kubectl_argv(self, *args: str) -> list:
        argv = [self.kubectl]
        if self.kubeconfig:
            argv += ["--kubeconfig", self.kubeconfig]
        if self.context:
            argv += ["--context", self.context]
        return argv + list(args)

    def helm_argv(self, *args: str) -> list:
        argv = [self.helm, *args]
        if self.kubeconfig:
            argv += ["--kubeconfig", self.kubeconfig]
        if self.context:
            argv += ["--kube-context", self.context]
        return argv


class StepFailed(Exception):
    def __init__(self, step: str, reason: str, unreachable: bool = False):
        super().__init__(reason)
        self.step, self.reason, self.unreachable = step, reason, unreachable


@dataclass
class Record:
    """What happened to one release: its steps, whether it changed, its timing and its error."""

    component: str
    release: str
    namespace: str
    chart: str | None
    steps: list = field(default_factory=list)
    changed: bool = False
    started: float = 0.0
    finished: float = 0.0
    error: str | None = None
    unreachable: bool = False
    diff: list = field(default_factory=list)

    def as_dict(self, origin: float) -> dict:
        return {
            "component": self.component,
            "release": self.release,
            "namespace": self.namespace,
            "chart": self.chart,
            "steps": self.steps,
            "changed": self.changed,
            "started": round(self.started - origin, 3),
            "finished": round(self.finished - origin, 3),
            "started_at": round(self.started, 3),
            "finished_at": round(self.finished, 3),
            "error": self.error,
            "unreachable": self.unreachable,
        }


def classify(stderr: str) -> tuple:
    """``(unreachable, short reason)`` from a kubectl or helm error text (first meaningful line only)."""
    text = (stderr or "").strip()
    lower = text.lower()
    for needle, reason in _UNREACHABLE:
        if needle in lower:
            return True, reason
    if any(needle in lower for needle in _UNAUTHORIZED):
        return False, _first_line("not authorised: " + text)
    return False, _first_line(text)


def _first_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    line = re.sub(r"^(error|Error):\s*", "", lines[0] if lines else "no output")
    return line if len(line) <= 300 else line[:297] + "..."


def load_documents(text: str) -> list:
    return [doc for doc in yaml.load_all(text, Loader=YAML_LOADER) if doc]


@dataclass(frozen=True)
class Plan:
    """One release's rendered files, split into what apply installs at each step."""

    namespace: list
    before: list
    after: list
    values_file: str | None
    values: dict
    chart_objects: list  # the objects of chart.yaml (the reviewed render of the chart)
    crds_folder: frozenset = frozenset()  # names of the CRDs that come from the chart's crds/ folders


def read_plan(folder: str, release: dict, crds_folder: frozenset = frozenset()) -> Plan:
    """The rendered files of ``release`` in ``folder``; the object counts must match its description."""
    path = os.path.join(folder, MANIFESTS_FILE)
    try:
        with open(path, encoding="utf-8") as handle:
            ours = load_documents(handle.read())
    except OSError as err:
        raise PlatformError(f"{release['component']}: {path} cannot be read ({err.strerror}); render again") from None
    counts = (int(release["create_namespace"]), release["manifests_pre"], release["manifests"])
    if len(ours) != sum(counts):
        raise PlatformError(
            f"{release['component']}: {path} holds {len(ours)} objects, the render of this run {sum(counts)}; "
            "render again (was the file edited?)"
        )
    namespace, before, after = ours[: counts[0]], ours[counts[0] : counts[0] + counts[1]], ours[counts[0] + counts[1] :]
    values_file, values, chart_objects = None, {}, []
    if release.get("chart_ref"):
        values_file = os.path.join(folder, VALUES_FILE)
        with open(values_file, encoding="utf-8") as handle:
            values = yaml.load(handle, Loader=YAML_LOADER) or {}
        with open(os.path.join(folder, CHART_FILE), encoding="utf-8") as handle:
            chart_objects = load_documents(handle.read())
    return Plan(namespace, before, after, values_file, values, chart_objects, frozenset(crds_folder))


def chart_crd_names(release: dict, target: Target, run) -> frozenset:
    """The names of the CRDs in the chart's crds/ folders (``helm show crds``; the chart, no cluster)."""
    argv = [target.helm, "show", "crds", release["chart_ref"], "--version", str(release["chart_version"])]
    if release.get("chart_repo"):
        argv += ["--repo", release["chart_repo"]]
    rc, out, err = run(argv, None)
    if rc != 0:
        raise PlatformError(f"{release['component']}: helm show crds failed: {_first_line(err or out)}")
    # helm prints the files one after the other, not always with a document separator between them.
    text = re.sub(r"(?m)^(?=apiVersion:)", "---\n", out)
    return frozenset(
        (doc.get("metadata") or {}).get("name")
        for doc in load_documents(text)
        if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition"
    )


def _is_crds_folder(obj: dict, names: frozenset) -> bool:
    return obj.get("kind") == "CustomResourceDefinition" and (obj.get("metadata") or {}).get("name") in names


def installed_objects(plan: Plan) -> list:
    """The chart objects helm installs as the release's manifest: not hooks, not the chart's crds/ folder."""
    return [
        obj
        for obj in plan.chart_objects
        if HOOK_ANNOTATION not in ((obj.get("metadata") or {}).get("annotations") or {})
        and not _is_crds_folder(obj, plan.crds_folder)
    ]


def crds_folder_objects(plan: Plan) -> list:
    """The rendered CRDs of the chart's crds/ folders. helm installs those once and never upgrades them;
    apply applies them itself (server-side) before the chart, so a new chart version brings its CRDs."""
    return [obj for obj in plan.chart_objects if _is_crds_folder(obj, plan.crds_folder)]


def identity(obj: dict) -> tuple:
    meta = obj.get("metadata") or {}
    return (obj.get("kind"), meta.get("namespace") or "", meta.get("name"))


def masked(obj: dict) -> dict:
    """Secrets with their values replaced, for diffs."""
    if obj.get("kind") in _SECRET_KINDS:
        obj = dict(obj)
        for key in ("data", "stringData"):
            if obj.get(key):
                obj[key] = {name: "(hidden)" for name in obj[key]}
    return obj


class ReleaseApply:
    """Apply one release's plan, step by step, through ``run``."""

    def __init__(self, release: dict, plan: Plan, target: Target, run, check_mode: bool, want_diff: bool):
        self.release, self.plan, self.target, self.run = release, plan, target, run
        self.check_mode, self.want_diff = check_mode, want_diff
        self.record = Record(
            component=release["component"],
            release=release["release_name"],
            namespace=release["namespace"],
            chart=f"{release['chart_name']} {release['chart_version']}" if release.get("chart_ref") else None,
        )

    # ------------------------------------------------------------------ helpers
    def _call(self, step: str, argv: list, stdin: str | None = None) -> tuple:
        rc, out, err = self.run(argv, stdin)
        if rc != 0:
            unreachable, reason = classify(err or out)
            raise StepFailed(step, reason, unreachable)
        return rc, out, err

    def _step(self, step: str, result: str) -> None:
        self.record.steps.append({"step": step, "result": result})
        if result in ("changed", "would change"):
            self.record.changed = True

    # ------------------------------------------------------------------ our objects
    def objects(self, step: str, objects: list) -> None:
        if not objects:
            return
        text = dump_documents(objects)
        common = ["--server-side", f"--field-manager={FIELD_MANAGER}", "--force-conflicts", "-f", "-"]
        rc, out, err = self.run(self.target.kubectl_argv("diff", *common), text)
        if rc not in (0, 1):
            unreachable, reason = classify(err or out)
            if self.check_mode and not unreachable and any(n in (err or "").lower() for n in _NOT_YET):
                # Its CRD or namespace comes from an earlier step that check mode did not install.
                self._step(step, "would change")
                self.record.diff.append(
                    {"prepared": f"{self.record.component} {step}: would create {len(objects)} objects"}
                )
                return
            raise StepFailed(step, reason, unreachable)
        if rc == 0:
            self._step(step, "unchanged")
        else:
            if self.want_diff:
                self.record.diff.append({"prepared": out})
            if self.check_mode:
                self._step(step, "would change")
                return
            self._call(step, self.target.kubectl_argv("apply", *common), text)
            self._step(step, "changed")
        if not self.check_mode:
            self.wait(step, objects)

    def wait(self, step: str, objects: list) -> None:
        timeout = f"--timeout={self.target.timeout}s"
        for obj in objects:
            kind, namespace, name = identity(obj)
            group = (obj.get("apiVersion") or "").rpartition("/")[0]
            resource = f"{kind.lower()}.{group}/{name}" if group else f"{kind.lower()}/{name}"
            scope = ["-n", namespace or self.release["namespace"]] if namespace or kind in ROLLOUT_KINDS else []
            if kind in ROLLOUT_KINDS:
                self._call(f"{step}: wait", self.target.kubectl_argv("rollout", "status", resource, *scope, timeout))
            elif kind in READY_CONDITIONS:
                condition = f"--for=condition={READY_CONDITIONS[kind]}"
                self._call(f"{step}: wait", self.target.kubectl_argv("wait", condition, resource, *scope, timeout))

    # ------------------------------------------------------------------ the chart
    def status(self):
        rc, out, err = self.run(
            self.target.helm_argv(
                "status", self.release["release_name"], "-n", self.release["namespace"], "-o", "json"
            ),
            None,
        )
        if rc != 0:
            unreachable, reason = classify(err or out)
            if not unreachable and "not found" in (err or "").lower():
                return None
            raise StepFailed("chart", reason, unreachable)
        try:
            return json.loads(out)
        except ValueError:
            raise StepFailed("chart", "helm status printed no JSON") from None

    def chart(self) -> None:
        release = self.release
        current = self.status()
        want_version = str(release["chart_version"]).lstrip("v")
        if current is not None:
            meta = (current.get("chart") or {}).get("metadata") or {}
            same = (
                (current.get("info") or {}).get("status") == "deployed"
                and meta.get("name") == release["chart_name"]
                and str(meta.get("version", "")).lstrip("v") == want_version
                and (current.get("config") or {}) == self.plan.values
            )
            if same:
                self._step("chart", "unchanged")
                return
        if self.want_diff:
            self.record.diff.append({"prepared": self.chart_diff(current)})
        if self.check_mode:
            self._step("chart", "would change")
            return
        argv = [
            "upgrade",
            "--install",
            release["release_name"],
            release["chart_ref"],
            "--version",
            str(release["chart_version"]),
            "--namespace",
            release["namespace"],
            "--create-namespace",
            "--values",
            self.plan.values_file,
            "--wait",
            "--timeout",
            f"{self.target.timeout}s",
            "--atomic",
            # Applied above, server-side, so that they are upgraded too (helm only ever creates them).
            "--skip-crds",
        ]
        if release.get("chart_repo"):
            argv += ["--repo", release["chart_repo"]]
        if self.target.postrender:
            spec = self.target.postrender_spec(self.release["component"])
            argv += ["--post-renderer", self.target.postrender[0]]
            for arg in (*self.target.postrender[1:], spec):
                argv += ["--post-renderer-args", arg]
        self._call("chart", self.target.helm_argv(*argv))
        self._step("chart", "changed")

    def chart_diff(self, current) -> str:
        """The release's stored manifest against the render (what helm-diff shows by default); Secrets masked."""
        name = f"{self.record.component} (helm release {self.record.release})"
        wanted = sorted((masked(o) for o in installed_objects(self.plan)), key=identity)
        after = dump_documents(wanted)
        if current is None:
            return f"{name}: would install {len(wanted)} objects of chart {self.record.chart}\n"
        stored = sorted((masked(o) for o in load_documents(current.get("manifest") or "")), key=identity)
        meta = (current.get("chart") or {}).get("metadata") or {}
        head = f"{name}: chart {meta.get('name')} {meta.get('version')} -> {self.record.chart}\n"
        values = sorted(
            key
            for key in set(current.get("config") or {}) | set(self.plan.values)
            if (current.get("config") or {}).get(key) != self.plan.values.get(key)
        )
        if values:
            head += f"values that change (top-level keys): {', '.join(values)}\n"
        return head + unified_diff(dump_documents(stored), after, "installed", "rendered")

    # ------------------------------------------------------------------ the release
    def apply(self) -> Record:
        self.record.started = time.time()
        try:
            self.objects("namespace", self.plan.namespace)
            self.objects("objects before the chart", self.plan.before)
            if self.release.get("chart_ref"):
                self.objects("chart CRDs", crds_folder_objects(self.plan))
                self.chart()
            self.objects("objects after the chart", self.plan.after)
        except StepFailed as failed:
            self.record.unreachable = failed.unreachable
            done = [s["step"] for s in self.record.steps if s["result"] == "changed"]
            where = f"at step '{failed.step}'"
            if failed.unreachable:
                self.record.error = f"cluster {self.target.server} is unreachable ({failed.reason}) {where}; " + (
                    "nothing of this release was applied" if not done else f"applied before: {', '.join(done)}"
                )
            else:
                self.record.error = f"{where}: {failed.reason}"
        self.record.finished = time.time()
        return self.record


def apply_wave(releases: list, target: Target, run, check_mode=False, want_diff=False, workers=0):
    """Apply ``releases`` (one wave, each with its rendered ``folder``) side by side.

    Returns ``(records, diffs)`` in the given order. Plans are read (and checked) before any cluster
    call, so a bad render fails the wave before anything is applied. ``target.workdir`` receives
    the post-renderer's input of each chart release.
    """

    def plan_of(release: dict) -> Plan:
        names = chart_crd_names(release, target, run) if release.get("chart_ref") else ()
        return read_plan(release["folder"], release, names)

    if not releases:
        return [], []
    with ThreadPoolExecutor(max_workers=len(releases)) as pool:  # helm show crds may download each chart
        plans = list(pool.map(plan_of, releases))
    for release, plan in zip(releases, plans, strict=True):
        if release.get("chart_ref"):
            write_postrender_spec(target.postrender_spec(release["component"]), release, plan)
    jobs = [ReleaseApply(r, p, target, run, check_mode, want_diff) for r, p in zip(releases, plans, strict=True)]
    with ThreadPoolExecutor(max_workers=workers if workers and workers > 0 else len(jobs)) as pool:
        futures = [pool.submit(job.apply) for job in jobs]
    records = [future.result() for future in futures]
    return records, [d for record in records for d in record.diff]


def helm_releases(target: Target, run) -> list:
    """Every helm release of the cluster, in one call (``helm list -A -a -o json``): the upgrade guard's input.

    ``--all``: a release left pending or failed by an interrupted run still holds the chart version helm upgrades
    from. An unreachable cluster is one line naming the endpoint."""
    rc, out, err = run(target.helm_argv("list", "--all-namespaces", "--all", "--output", "json"), None)
    if rc != 0:
        unreachable, reason = classify(err or out)
        if unreachable:
            raise PlatformError(
                f"upgrade guard: cluster {target.server} is unreachable ({reason}); the installed chart versions "
                "(helm list) cannot be compared with the pinned ones; nothing was applied"
            )
        raise PlatformError(f"upgrade guard: helm list on cluster {target.server} failed: {reason}")
    try:
        listed = json.loads(out or "[]")
    except ValueError:
        raise PlatformError(f"upgrade guard: helm list on cluster {target.server} printed no JSON") from None
    return listed if isinstance(listed, list) else []


def write_postrender_spec(path: str, release: dict, plan: Plan) -> None:
    """What the post-renderer needs: the drop rules and the objects the chart must render (identities)."""
    spec = {
        "component": release["component"],
        "drop": release.get("drop") or [],
        "expect": sorted([list(identity(obj)) for obj in installed_objects(plan)]),
    }
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(spec, handle, sort_keys=True, indent=1)


def failure_message(records: list, wave) -> str:
    lines = [f"{r.component}: {r.error}" for r in records if r.error]
    return f"wave {wave}: {len(lines)} of {len(records)} releases failed\n" + "\n".join(lines)


# The argument spec of the release_apply module and action (one place for both).
PENDING_OPTIONS = dict(
    component=dict(type="str", required=True),
    release_name=dict(type="str", required=True),
    namespace=dict(type="str", required=True),
    wave=dict(type="int", default=0),
    create_namespace=dict(type="bool", default=True),
    manifests_pre=dict(type="int", default=0),
    manifests=dict(type="int", default=0),
    drop=dict(type="list", elements="dict", default=[]),
    folder=dict(type="path", required=True),
    chart_ref=dict(type="str"),
    chart_name=dict(type="str"),
    chart_version=dict(type="str"),
    chart_repo=dict(type="str"),
)

# The options of the release role's cluster actions (doc fragment release_cluster), then each one's own.
CLUSTER_OPTIONS = dict(
    releases=dict(type="list", elements="dict", options=PENDING_OPTIONS, required=True),
    kubeconfig=dict(type="path"),
    context=dict(type="str"),
    helm_binary=dict(type="path"),
    kubectl_binary=dict(type="path"),
)

ARGUMENT_SPEC = dict(
    CLUSTER_OPTIONS,
    wave=dict(type="raw"),
    timeout=dict(type="int", default=600),
    workers=dict(type="int", default=0),
)

GUARD_ARGUMENT_SPEC = dict(
    CLUSTER_OPTIONS,
    allow_downgrade=dict(type="bool", default=False),
    allow_major_skip=dict(type="bool", default=False),
)

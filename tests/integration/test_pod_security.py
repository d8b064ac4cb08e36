"""Pod Security Admission: every rendered pod template is admitted by its namespace's enforce level.

The levels come from the rendered Namespace objects' ``pod-security.kubernetes.io/enforce`` labels (the design's
PSA table through ``platform_pod_security``). The Pod Security Standards are implemented here from their
documentation, control by control (https://kubernetes.io/docs/concepts/security/pod-security-standards/, the
baseline and restricted policies as of Kubernetes 1.32): :func:`violations` returns the controls a pod spec breaks
at a level. Proven on both full renders:

* every pod template of every workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod) satisfies
  the enforce level of its namespace (a warn/audit level is reported, not enforced, and not checked here);
* every namespace left ``privileged`` holds a pod that needs it (fails baseline), so nothing is privileged for no
  reason;
* the checker bites: a privileged container, a hostPath volume or hostNetwork in kserve is refused.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from .platform_checks import manifests
from .platform_checks.render_facts import FULL

pytestmark = pytest.mark.integration

LEVELS = ("privileged", "baseline", "restricted")
ENFORCE = "pod-security.kubernetes.io/enforce"

# Baseline "Capabilities": adding any beyond this list is forbidden.
BASELINE_CAPABILITIES = {
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
}
# Baseline "Sysctls": the safe set.
SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}
# Baseline "SELinux": allowed types (user and role must be unset).
SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
# Restricted "Volume Types": the only volume sources allowed.
RESTRICTED_VOLUMES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}
APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}
WORKLOAD_API_VERSIONS = {"v1", "apps/v1", "batch/v1"}


def containers_of(spec: dict) -> list[dict]:
    return [
        *(spec.get("initContainers") or []),
        *(spec.get("containers") or []),
        *(spec.get("ephemeralContainers") or []),
    ]


def _baseline(spec: dict, annotations: dict) -> list[str]:
    out = []
    pod_sc = spec.get("securityContext") or {}
    containers = containers_of(spec)
    scs = [(c.get("name", "?"), c.get("securityContext") or {}) for c in containers]
    # HostProcess
    if (pod_sc.get("windowsOptions") or {}).get("hostProcess") or any(
        (sc.get("windowsOptions") or {}).get("hostProcess") for _n, sc in scs
    ):
        out.append("hostProcess")
    # Host Namespaces
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field):
            out.append(field)
    for name, sc in scs:
        # Privileged Containers
        if sc.get("privileged"):
            out.append(f"{name}: privileged")
        # Capabilities
        added = set((sc.get("capabilities") or {}).get("add") or []) - BASELINE_CAPABILITIES
        if added:
            out.append(f"{name}: capabilities.add {sorted(added)}")
        # /proc Mount Type
        if sc.get("procMount") not in (None, "Default"):
            out.append(f"{name}: procMount {sc['procMount']}")
    # HostPath Volumes
    for volume in spec.get("volumes") or []:
        if "hostPath" in volume:
            out.append(f"volume {volume.get('name')}: hostPath")
    # Host Ports
    for c in containers:
        for port in c.get("ports") or []:
            if port.get("hostPort"):
                out.append(f"{c.get('name')}: hostPort {port['hostPort']}")
    # AppArmor (fields and the older annotations)
    for where, sc in [("pod", pod_sc), *scs]:
        profile = (sc.get("appArmorProfile") or {}).get("type")
        if profile not in (None, "RuntimeDefault", "Localhost"):
            out.append(f"{where}: appArmorProfile {profile}")
    for key, value in (annotations or {}).items():
        if key.startswith(APPARMOR_ANNOTATION) and not (value == "runtime/default" or value.startswith("localhost/")):
            out.append(f"annotation {key}: {value}")
    # SELinux
    for where, sc in [("pod", pod_sc), *scs]:
        options = sc.get("seLinuxOptions") or {}
        if options.get("type", "") not in SELINUX_TYPES or options.get("user") or options.get("role"):
            out.append(f"{where}: seLinuxOptions {options}")
    # Seccomp
    for where, sc in [("pod", pod_sc), *scs]:
        if (sc.get("seccompProfile") or {}).get("type") == "Unconfined":
            out.append(f"{where}: seccompProfile Unconfined")
    # Sysctls
    for sysctl in pod_sc.get("sysctls") or []:
        if sysctl.get("name") not in SAFE_SYSCTLS:
            out.append(f"sysctl {sysctl.get('name')}")
    return out


def _restricted(spec: dict) -> list[str]:
    out = []
    pod_sc = spec.get("securityContext") or {}
    # Volume Types
    for volume in spec.get("volumes") or []:
        sources = set(volume) - {"name"}
        if not sources <= RESTRICTED_VOLUMES:
            out.append(f"volume {volume.get('name')}: {sorted(sources - RESTRICTED_VOLUMES)}")
    if pod_sc.get("runAsUser") == 0:
        out.append("pod: runAsUser 0")
    pod_seccomp = (pod_sc.get("seccompProfile") or {}).get("type")
    for c in containers_of(spec):
        name, sc = c.get("name", "?"), c.get("securityContext") or {}
        # Privilege Escalation
        if sc.get("allowPrivilegeEscalation") is not False:
            out.append(f"{name}: allowPrivilegeEscalation not false")
        # Running as Non-root
        non_root = sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot"))
        if non_root is not True:
            out.append(f"{name}: runAsNonRoot not true")
        # Running as Non-root user
        if sc.get("runAsUser") == 0:
            out.append(f"{name}: runAsUser 0")
        # Seccomp: RuntimeDefault or Localhost, set on the pod or on each container
        seccomp = (sc.get("seccompProfile") or {}).get("type", pod_seccomp)
        if seccomp not in ("RuntimeDefault", "Localhost"):
            out.append(f"{name}: seccompProfile {seccomp}")
        # Capabilities: drop ALL, add at most NET_BIND_SERVICE
        caps = sc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            out.append(f"{name}: capabilities.drop lacks ALL")
        added = set(caps.get("add") or []) - {"NET_BIND_SERVICE"}
        if added:
            out.append(f"{name}: capabilities.add {sorted(added)}")
    return out


def violations(spec: dict, level: str, annotations: dict | None = None) -> list[str]:
    """The Pod Security Standards controls ``spec`` (a PodSpec) breaks at ``level``."""
    assert level in LEVELS, level
    if level == "privileged":
        return []
    out = _baseline(spec, annotations or {})
    if level == "restricted":
        out += _restricted(spec)
    return out


def pod_templates(objs: list[dict]):
    """(namespace, "Kind/name", pod spec, pod annotations) of every workload."""
    for obj in objs:
        kind = obj.get("kind")
        if kind not in WORKLOADS or obj.get("apiVersion") not in WORKLOAD_API_VERSIONS:
            continue
        if kind == "Pod":
            template = obj
        elif kind == "CronJob":
            template = obj["spec"]["jobTemplate"]["spec"]["template"]
        else:
            template = obj["spec"]["template"]
        annotations = (template.get("metadata") or {}).get("annotations") or {}
        yield manifests.effective_namespace(obj), f"{kind}/{obj['metadata']['name']}", template["spec"], annotations


def render(build: Path) -> tuple[list[dict], dict[str, str]]:
    objs = manifests.all_objects(manifests.load_tree(build / "mlops-dev"))
    levels = {
        obj["metadata"]["name"]: (obj["metadata"].get("labels") or {}).get(ENFORCE)
        for obj in objs
        if obj.get("kind") == "Namespace"
    }
    return objs, levels


@pytest.fixture(scope="module")
def renders(full_builds) -> dict:
    return {name: render(full_builds[name]) for name in FULL}


@pytest.mark.parametrize("name", FULL)
def test_every_pod_template_meets_its_namespace_enforce_level(renders, name):
    objs, levels = renders[name]
    problems, checked = [], 0
    for namespace, ref, spec, pod_annotations in pod_templates(objs):
        level = levels.get(namespace)
        assert level in LEVELS, f"{name}: {ref} in namespace {namespace} with no Pod Security enforce label"
        checked += 1
        problems += [f"{namespace} ({level}) {ref}: {v}" for v in violations(spec, level, pod_annotations)]
    assert checked > 20
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("name", FULL)
def test_every_privileged_namespace_holds_a_pod_that_needs_it(renders, name):
    objs, levels = renders[name]
    needs = {}
    for namespace, ref, spec, pod_annotations in pod_templates(objs):
        if violations(spec, "baseline", pod_annotations):
            needs.setdefault(namespace, []).append(ref)
    privileged = {ns for ns, level in levels.items() if level == "privileged"}
    assert privileged, f"{name}: no privileged namespace at all (node agents must run somewhere)"
    for namespace in privileged:
        assert needs.get(namespace), f"{name}: namespace {namespace} is privileged but none of its pods needs it"
    # The ML namespaces are not privileged; kyverno's pods meet restricted, so its namespace enforces it.
    for namespace in ("kserve", "argo", "mlflow"):
        assert levels[namespace] in ("baseline", "restricted"), namespace
    assert levels["kyverno"] == "restricted"


def test_the_checker_refuses_what_the_standards_forbid(renders):
    objs, levels = renders["aws-full"]
    assert levels["kserve"] in ("baseline", "restricted")
    specs = [spec for ns, _ref, spec, _a in pod_templates(objs) if ns == "kserve"]
    assert specs
    spec = specs[0]
    assert violations(spec, levels["kserve"]) == []
    mutations = {
        "privileged": lambda s: s["containers"][0].setdefault("securityContext", {}).update(privileged=True),
        "hostNetwork": lambda s: s.update(hostNetwork=True),
        "hostPath": lambda s: s.setdefault("volumes", []).append({"name": "h", "hostPath": {"path": "/"}}),
        "capabilities": lambda s: (
            s["containers"][0].setdefault("securityContext", {}).update(capabilities={"add": ["SYS_ADMIN"]})
        ),
        "hostPort": lambda s: s["containers"][0].setdefault("ports", []).append({"containerPort": 1, "hostPort": 1}),
        "seccomp": lambda s: s.setdefault("securityContext", {}).update(seccompProfile={"type": "Unconfined"}),
        "sysctl": lambda s: s.setdefault("securityContext", {}).update(
            sysctls=[{"name": "kernel.msgmax", "value": "1"}]
        ),
        "procMount": lambda s: s["containers"][0].setdefault("securityContext", {}).update(procMount="Unmasked"),
    }
    for what, mutate in mutations.items():
        bad = copy.deepcopy(spec)
        mutate(bad)
        assert violations(bad, "baseline"), f"{what} passed baseline"
        assert violations(bad, "restricted"), f"{what} passed restricted"
        assert violations(bad, "privileged") == []
    # Restricted-only controls.
    compliant = {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [
            {"name": "c", "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}
        ],
        "volumes": [{"name": "v", "emptyDir": {}}],
    }
    assert violations(compliant, "restricted") == []
    for what, mutate in {
        "escalation": lambda s: s["containers"][0]["securityContext"].pop("allowPrivilegeEscalation"),
        "root": lambda s: s["securityContext"].pop("runAsNonRoot"),
        "uid0": lambda s: s["containers"][0]["securityContext"].update(runAsUser=0),
        "drop": lambda s: s["containers"][0]["securityContext"].pop("capabilities"),
        "seccomp": lambda s: s["securityContext"].pop("seccompProfile"),
        "volume": lambda s: s["volumes"].append({"name": "n", "nfs": {"server": "x", "path": "/"}}),
        "CHOWN": lambda s: s["containers"][0]["securityContext"]["capabilities"].update(add=["CHOWN"]),
    }.items():
        bad = copy.deepcopy(compliant)
        mutate(bad)
        assert violations(bad, "restricted"), f"{what} passed restricted"
        assert violations(bad, "baseline") == [], f"{what} failed baseline"

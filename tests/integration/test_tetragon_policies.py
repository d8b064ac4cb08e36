"""The platform's Tetragon TracingPolicies: the design's Tetragon table on both clouds.

Design (Security Architecture, "Tetragon Runtime Security"): four policies and the namespaces they watch; its
``mlops`` namespace is the platform's ML namespaces (kserve, argo, mlflow). Each (policy, namespace) pair is one
TracingPolicyNamespaced (a namespaced policy applies to the pods of its namespace only). Proven here, on both full
renders: the same policies in the same namespaces, valid against Tetragon's own CRD schema, every kprobe hooking a
real kernel function (this kernel's symbol table when readable; the functions upstream's examples hook) with
selectors, in the release after Tetragon's CRDs and before the ML workloads. A planted defect (a policy missing
on one cloud, the public original's 3 policies on Azure against 4 on AWS) fails the comparison.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from .platform_checks import manifests, schemas
from .platform_checks.render_facts import FULL
from .test_platform_checks import CRDS

pytestmark = pytest.mark.integration

KIND = "TracingPolicyNamespaced"
ML_NAMESPACES = {"kserve", "argo", "mlflow"}  # the design's `mlops`, as the full inventories name them
# The design's table: policy -> namespaces (mlops expanded to the ML namespaces).
DESIGN = {
    "sensitive-file-access": ML_NAMESPACES | {"argo", "kserve"},
    "container-escape-detection": ML_NAMESPACES | {"argo", "kserve"},
    "ml-network-connections": ML_NAMESPACES | {"kserve"},
    "suspicious-process-execution": {"kserve"},
}
# What each policy must hook (kernel function -> where upstream's examples at cilium/tetragon v1.3.0 hook it).
HOOKS = {
    "sensitive-file-access": {"fd_install"},
    "container-escape-detection": {"sys_ptrace", "sys_setns"},
    "ml-network-connections": {"tcp_connect"},
    "suspicious-process-execution": {"sys_execve"},
}
UPSTREAM_EXAMPLES = {
    "fd_install": "examples/tracingpolicy/sys_write_follow_fd_etc_pwd.yaml",
    "sys_ptrace": "examples/tracingpolicy/sys_ptrace.yaml",
    "sys_setns": "docs/security-observability-with-ebpf/04_chapter/01_cilium_tracing_policy/02_nsenter.yaml",
    "tcp_connect": "examples/tracingpolicy/tcp-connect.yaml",
    "sys_execve": "examples/tracingpolicy/fd_memfd_kill.yaml",
}
KALLSYMS = Path("/proc/kallsyms")
# Tetragon prefixes a syscall's "sys_<name>" with the architecture's syscall wrapper prefix.
SYSCALL_PREFIXES = ("__x64_", "__arm64_", "__ia32_", "")


def policies_of(build: Path) -> list[dict]:
    objs = manifests.all_objects(manifests.load_tree(build / "mlops-dev"))
    return [obj for obj in objs if obj.get("kind") == KIND]


def table_of(policies: list[dict]) -> dict[str, set]:
    table: dict[str, set] = {}
    for obj in policies:
        table.setdefault(obj["metadata"]["name"], set()).add(obj["metadata"]["namespace"])
    return table


def kernel_symbols() -> set | None:
    try:
        text = KALLSYMS.read_text()
    except OSError:
        return None
    return {line.split()[2] for line in text.splitlines() if len(line.split()) >= 3}


def is_kernel_symbol(kprobe: dict, symbols: set) -> bool:
    call = kprobe["call"]
    if kprobe.get("syscall"):
        return any(prefix + call in symbols for prefix in SYSCALL_PREFIXES)
    return call in symbols


@pytest.fixture(scope="module")
def policies(full_builds) -> dict[str, list[dict]]:
    return {name: policies_of(full_builds[name]) for name in FULL}


def test_both_clouds_have_the_design_table(policies):
    tables = {name: table_of(objs) for name, objs in policies.items()}
    for name, table in tables.items():
        assert table == DESIGN, f"{name}: {table}"
        pairs = [(o["metadata"]["name"], o["metadata"]["namespace"]) for o in policies[name]]
        assert len(pairs) == len(set(pairs)), f"{name}: a policy twice in a namespace"
    assert tables["aws-full"] == tables["azure-full"]
    # The policy bodies are the same on both clouds too.
    bodies = {
        name: {(o["metadata"]["name"], o["metadata"]["namespace"]): o["spec"] for o in objs}
        for name, objs in policies.items()
    }
    assert bodies["aws-full"] == bodies["azure-full"]


def test_a_policy_missing_on_one_cloud_is_caught(policies):
    """The public original's defect: one policy fewer on Azure."""
    azure = [o for o in copy.deepcopy(policies["azure-full"]) if o["metadata"]["name"] != "ml-network-connections"]
    assert table_of(azure) != DESIGN
    assert table_of(azure) != table_of(policies["aws-full"])


def test_policies_validate_against_tetragon_crd(policies):
    if not CRDS.is_dir():
        pytest.skip(f"upstream CRDs not found at {CRDS}")
    crd_schemas = schemas.load_crd_schemas(CRDS)
    assert ("cilium.io", "v1alpha1", KIND) in crd_schemas
    for name, objs in policies.items():
        assert schemas.validate_custom(objs, crd_schemas, component="tetragon_policies") == [], name
    # The schema check bites: an unknown selector operator is refused.
    bad = copy.deepcopy(policies["aws-full"][0])
    bad["spec"]["kprobes"][0]["selectors"][0]["matchArgs"][0]["operator"] = "StartsWith"
    assert schemas.validate_custom([bad], crd_schemas, component="tetragon_policies")


def test_every_kprobe_hooks_a_kernel_function_with_selectors(policies):
    symbols = kernel_symbols()
    for name, objs in policies.items():
        for obj in objs:
            policy = obj["metadata"]["name"]
            kprobes = obj["spec"]["kprobes"]
            assert {k["call"] for k in kprobes} == HOOKS[policy], f"{name} {policy}"
            for kprobe in kprobes:
                assert kprobe["call"] in UPSTREAM_EXAMPLES
                assert kprobe.get("selectors"), f"{name} {policy} {kprobe['call']}: no selector (every call reported)"
                for selector in kprobe["selectors"]:
                    for match in selector.get("matchArgs", []):
                        indexes = {arg["index"] for arg in kprobe["args"]}
                        assert match["index"] in indexes, f"{policy}: selector on an argument the hook does not read"
                        assert match["values"]
                if symbols:
                    assert is_kernel_symbol(kprobe, symbols), f"{policy}: {kprobe['call']} is not in {KALLSYMS}"
    if symbols:
        assert not is_kernel_symbol({"call": "sys_no_such_call", "syscall": True}, symbols)


def test_sensitive_paths_and_tools_are_matched(policies):
    by_name = {o["metadata"]["name"]: o["spec"] for o in policies["aws-full"]}
    values = [
        v
        for kprobe in by_name["sensitive-file-access"]["kprobes"]
        for s in kprobe["selectors"]
        for m in s["matchArgs"]
        for v in m["values"]
    ]
    assert "/etc/shadow" in values and "/var/run/secrets/kubernetes.io/" in values
    assert any(".ssh" in v for v in values)
    tools = by_name["suspicious-process-execution"]["kprobes"][0]["selectors"][0]["matchArgs"][0]
    assert tools["operator"] == "Postfix" and {"/wget", "/curl", "/nc"} <= set(tools["values"])
    network = by_name["ml-network-connections"]["kprobes"][0]["selectors"][0]["matchArgs"][0]
    assert network["operator"] == "NotDAddr" and "127.0.0.0/8" in network["values"]


def test_policies_come_after_the_crds_and_before_the_ml_workloads(full_builds):
    """The GitOps Applications carry the release waves: Tetragon (its CRDs) < policies < the ML components."""
    for name in FULL:
        objs = manifests.all_objects(manifests.load_tree(full_builds[name] / "mlops-dev"))
        waves = {
            obj["spec"]["source"]["path"].rsplit("/", 1)[-1]: int(
                obj["metadata"].get("annotations", {}).get("argocd.argoproj.io/sync-wave", 0)
            )
            for obj in objs
            if obj.get("kind") == "Application" and obj["apiVersion"].startswith("argoproj.io/")
        }
        assert (
            waves["tetragon"]
            < waves["tetragon_policies"]
            < min(waves[c] for c in ("kserve", "mlflow", "argo_workflows"))
        )
        policies = [o for o in objs if o.get("kind") == KIND]
        assert policies and all(manifests.ref_of(o).component == "tetragon_policies" for o in policies)

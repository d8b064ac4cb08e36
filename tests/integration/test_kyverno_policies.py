"""The platform's Kyverno ClusterPolicies, proven to admit and deny with a real CEL engine (issue 14).

Every rule's CEL expression is read from the rendered ClusterPolicy (both -full inventories) and evaluated by the
`cel` package (common-expression-language) against the admit and deny fixtures of tests/integration/kyverno/ and
against every object the platform itself renders that the rule matches (Kyverno's autogen emulated for the pod
controllers). `pytest -s` prints the admit/deny matrix.
"""

from __future__ import annotations

import copy
import fnmatch
from pathlib import Path

import pytest

from .conftest import run_site
from .kyverno import (
    NAMESPACE_VARIABLE,
    all_rules,
    derived_pods,
    evaluate,
    fixtures,
    generated_networkpolicy,
    matches,
    policies,
)
from .platform_checks import manifests, schemas
from .platform_checks.render_facts import INVENTORIES as FULL_INVENTORIES

POLICIES = {
    "require-resource-limits",
    "disallow-latest-tag",
    "require-mlops-labels",
    "restrict-image-registries",
    "add-default-networkpolicy",
}
# Platform objects a rule may deny, with the reason: (policy/rule, kind, name pattern) -> why. An exclusion that no
# longer fails is an error (remove it).
# None today: the argo_workflows role gives the executor containers resources (argo_workflows_executor_resources).
EXCLUSIONS: dict[tuple[str, str, str], str] = {}
EXECUTOR_RESOURCES = {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}}


def _excluded(key: tuple[str, str, str]) -> tuple[str, str, str] | None:
    for rule, kind, pattern in EXCLUSIONS:
        if key[0] == rule and key[1] == kind and fnmatch.fnmatchcase(key[2], pattern):
            return (rule, kind, pattern)
    return None


def _with_executor_resources(pod: dict) -> dict:
    fixed = copy.deepcopy(pod)
    for container in fixed["spec"].get("initContainers", []) + fixed["spec"]["containers"]:
        if container["name"] in ("init", "wait"):
            container["resources"] = EXECUTOR_RESOURCES
    return fixed


def _namespace(obj: dict) -> str | None:
    return obj.get("metadata", {}).get("namespace")


def _validation_rules(build: Path) -> list[dict]:
    return [r for r in all_rules(build) if "cel" in r.get("validate", {})]


def test_the_five_policies_in_cel_form(full_builds):
    for name, build in full_builds.items():
        rendered = policies(build)
        assert set(rendered) == POLICIES, name
        for rule in _validation_rules(build):
            assert rule["validate"]["failureAction"] == "Audit", f"{name}: dev is Audit ({rule['name']})"
            assert set(rule["validate"]) == {"failureAction", "cel"}, f"{name} {rule['name']}: CEL only"
        for policy in rendered.values():
            assert "validationFailureAction" not in policy["spec"], "deprecated in Kyverno 1.13: per-rule failureAction"


def test_admit_deny_matrix(full_builds):
    admit, deny = fixtures("admit"), fixtures("deny")
    for name, build in full_builds.items():
        rules = _validation_rules(build)
        matrix, problems = [], []
        covered = {f"{r['policy']}/{r['name']}": {"admit": 0, "deny": 0} for r in rules}
        for expected, cases in (("admit", admit), ("deny", deny)):
            for case in cases:
                obj = case["object"]
                denied = set()
                for rule in rules:
                    key = f"{rule['policy']}/{rule['name']}"
                    if not matches(rule, obj, _namespace(obj)):
                        continue
                    ok, _why = evaluate(rule, obj)
                    matrix.append((key, case["name"], expected, "admit" if ok else "deny"))
                    if ok:
                        covered[key]["admit"] += 1
                    else:
                        covered[key]["deny"] += 1
                        denied.add(key)
                want = set(case.get("denied_by", []))
                if denied != want:
                    problems.append(f"{name} {case['name']}: denied by {sorted(denied)}, expected {sorted(want)}")
        print(f"\nKyverno admit/deny matrix ({name}): rule x fixture -> result")
        for key, case, expected, result in matrix:
            print(f"  {key:58} {case:45} {expected:6} -> {result}")
        assert not problems, "\n".join(problems)
        for key, seen in covered.items():
            if "/autogen-" in key:
                continue  # the autogen copies are covered through the deny fixtures' denied_by
            assert seen["deny"] >= 1 and seen["admit"] >= 1, f"{name}: {key} lacks an admit or a deny fixture: {seen}"


def test_every_platform_object_passes(full_builds):
    for name, build in full_builds.items():
        rules = _validation_rules(build)
        objs = manifests.all_objects(manifests.load_tree(build / "mlops-dev"))
        pods = derived_pods(objs, manifests.effective_namespace)
        assert pods, f"{name}: no workflow or predictor pod derived"
        checked, failures, excused = 0, [], set()
        for obj in objs + pods:
            namespace = manifests.effective_namespace(obj)
            for rule in rules:
                if not matches(rule, obj, namespace):
                    continue
                checked += 1
                ok, why = evaluate(rule, obj)
                key = (f"{rule['policy']}/{rule['name']}", obj["kind"], obj["metadata"]["name"])
                if not ok and _excluded(key):
                    excused.add(_excluded(key))
                    # only the executor containers fail: with resources they pass
                    assert evaluate(rule, _with_executor_resources(obj))[0], f"{name}: {key} fails beyond the executor"
                elif not ok:
                    failures.append(f"{name}: {key} {why}")
        print(f"\n{name}: {checked} (rule, platform object) pairs evaluated, exclusions: {EXCLUSIONS or 'none'}")
        assert checked > 20, f"{name}: too few platform objects matched ({checked})"
        assert not failures, "\n".join(failures)
        stale = set(EXCLUSIONS) - excused
        assert not stale, f"{name}: these exclusions no longer fail, remove them: {sorted(stale)}"


def test_allowed_registries_cover_the_pinned_images(full_builds):
    for name, build in full_builds.items():
        (rule,) = [r for r in _validation_rules(build) if r["name"] == "pod-image-registry"]
        expr = rule["validate"]["cel"]["expressions"][0]["expression"]
        for registry in ("docker.io", "quay.io", "nvcr.io"):
            assert f'"{registry}"' in expr, f"{name}: {registry} (a pinned image's registry) not allowed"
        cloud = "dkr.ecr." if name.startswith("aws") else "azurecr.io"
        assert cloud in expr, f"{name}: the cloud registry is not allowed"


def test_generated_networkpolicy(full_builds):
    for name, build in full_builds.items():
        policy = policies(build)["add-default-networkpolicy"]
        (rule,) = policy["spec"]["rules"]
        generate = rule["generate"]
        assert generate["synchronize"] is True
        assert generate["namespace"] == NAMESPACE_VARIABLE, "the Kyverno variable must reach the cluster literally"
        netpol = generated_networkpolicy(build, "team-a")
        result = schemas.validate_core([netpol])
        assert not result.problems and not result.custom, result.problems
        assert netpol["spec"]["podSelector"] == {} and set(netpol["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        assert "ingress" not in netpol["spec"], "default deny: no ingress rule"
        excluded = set(rule["exclude"]["any"][0]["resources"]["names"])
        objs = manifests.all_objects(manifests.load_tree(build / "mlops-dev"))
        platform_namespaces = {manifests.effective_namespace(o) for o in objs} - {None, ""}
        missing = platform_namespaces - excluded
        assert not missing, f"{name}: platform namespaces would get the default deny: {sorted(missing)}"
        assert {"kube-system", "kube-public", "kube-node-lease", "kyverno"} <= excluded
        namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}
        assert matches(rule, namespace, None)
        assert not matches(rule, {**namespace, "metadata": {"name": "kserve"}}, None)


def _mutated(rule: dict, old: str, new: str) -> dict:
    planted = copy.deepcopy(rule)
    expr = planted["validate"]["cel"]["expressions"][0]
    assert old in expr["expression"], f"{rule['name']} no longer holds {old!r}: update the mutation"
    expr["expression"] = expr["expression"].replace(old, new, 1)
    return planted


@pytest.mark.parametrize(
    ("rule_name", "old", "new", "fixture"),
    [
        # the latest check dropped
        ("pod-image-tag", " && !c.image.endsWith(':latest')", "", "pod-latest-tag"),
        # a foreign registry planted in the allowed list
        ("pod-image-registry", ".all(c, [", '.all(c, ["ghcr.io", ', "pod-foreign-registry"),
        # the memory limit no longer required
        ("pod-resources", " && has(c.resources.limits) && 'memory' in c.resources.limits", "", "pod-no-memory-limit"),
        # the serving label no longer required
        (
            "inference-service-serving-label",
            "'platform.mlops/serving' in object.metadata.labels"
            " && object.metadata.labels['platform.mlops/serving'] != ''",
            "true",
            "isvc-unlabelled",
        ),
    ],
)
def test_planted_defects_are_caught(full_builds, rule_name, old, new, fixture):
    """A defect planted in a copy of a rendered rule lets a deny fixture through: the matrix test would fail."""
    build = full_builds["aws-full"]
    (rule,) = [r for r in _validation_rules(build) if r["name"] == rule_name]
    deny = {case["name"]: case["object"] for case in fixtures("deny")}
    planted = _mutated(rule, old, new)
    assert evaluate(rule, deny[fixture])[0] is False
    assert evaluate(planted, deny[fixture])[0] is True, f"the planted defect in {rule_name} is not caught by {fixture}"


def test_actions_per_environment(full_builds, tmp_path):
    """prod: Enforce; dev (the full builds): Audit; kyverno_policy_actions wins."""
    build = tmp_path / "prod"
    run = run_site(
        FULL_INVENTORIES["aws-full"],
        build,
        "-e",
        "platform_environment=prod",
        "-e",
        '{"kyverno_policy_actions": {"disallow-latest-tag": "Audit"}}',
        "-e",
        "platform_render_reuse=false",
    )
    assert run.rc == 0, run.output[-4000:]
    for rule in _validation_rules(build):
        want = "Audit" if rule["policy"] == "disallow-latest-tag" else "Enforce"
        assert rule["validate"]["failureAction"] == want, (rule["policy"], rule["name"])

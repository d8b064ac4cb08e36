"""Platform users' RBAC (roles/rbac) on both full renders: least privilege, the cloud's subjects, and who can do what.

(1) The rendered Roles grant no Secret access, no wildcard verb, resource or API group, no escalate/bind/impersonate,
    no pod exec/attach/port-forward and no RBAC or service account token objects.
(2) Each RoleBinding's subject is the cloud's form of the inventory's entries: on Azure the Entra group object IDs
    (lowercase), on AWS the Kubernetes group mlops:<role>, which the EKS access entries (the Terraform root's
    user_access_entries, computed from the same platform_user_groups) give exactly the inventory's IAM roles.
(3) A small RBAC authorizer (Kubernetes' RuleAllows/ResourceMatches semantics, over EVERY Role, ClusterRole,
    RoleBinding and ClusterRoleBinding the platform renders, charts included, aggregation included) answers "can
    principal P do verb V on resource R in namespace N" for each inventory principal; the matrix must equal the
    issue's (view / deploy models / run pipelines) and is printed (-s).
(4) Mutations: a Role that reads Secrets, a wildcard verb, or a binding of the wrong group are caught.
(5) Terraform (slow): a plan of environments/aws/dev with the real hashicorp/aws provider against moto creates one
    aws_eks_access_entry per IAM role with those kubernetes_groups (moto has no CreateAccessEntry, so the plan, not
    an apply, is the proof; the apply test turns enable_user_access_entries off).
"""

from __future__ import annotations

import copy
import json
import re

import pytest
import yaml

from ansible_collections.mlops.platform.plugins.module_utils.terraform import root_variables

from . import terraform_harness as tfh
from .conftest import REPO
from .platform_checks import manifests
from .platform_checks.render_facts import FULL

pytestmark = pytest.mark.integration

INVENTORIES = REPO / "tests" / "integration" / "inventories"
ROLES = ("view", "deploy_models", "run_pipelines")
KSERVE, ARGO, MLFLOW, MONITORING = "kserve", "argo", "mlflow", "monitoring"  # as the full inventories name them
ML_NAMESPACES = (KSERVE, ARGO, MLFLOW)
# Where each role is granted.
GRANTS = {"view": set(ML_NAMESPACES), "deploy_models": {KSERVE}, "run_pipelines": {ARGO}}
GUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

FORBIDDEN_VERBS = {"*", "escalate", "bind", "impersonate"}
FORBIDDEN_RESOURCES = {
    "*",
    "secrets",
    "pods/exec",
    "pods/attach",
    "pods/portforward",
    "serviceaccounts",
    "serviceaccounts/token",
    "roles",
    "rolebindings",
    "clusterroles",
    "clusterrolebindings",
}

# The issue's matrix: request (verb, API group, resource, namespace) -> the roles that must allow it; every other
# role must be denied. A principal holding several roles may do what any of them may.
CORE, KSERVE_API, ARGO_API, RBAC_API = "", "serving.kserve.io", "argoproj.io", "rbac.authorization.k8s.io"
EXPECTED = {}
for _ns in ML_NAMESPACES:
    _here = {role for role, namespaces in GRANTS.items() if _ns in namespaces}
    EXPECTED[("get", CORE, "pods", _ns)] = _here
    EXPECTED[("get", CORE, "pods/log", _ns)] = _here
    EXPECTED[("list", CORE, "events", _ns)] = _here
    EXPECTED[("get", CORE, "secrets", _ns)] = set()
    EXPECTED[("list", CORE, "secrets", _ns)] = set()
    EXPECTED[("watch", CORE, "secrets", _ns)] = set()
    EXPECTED[("get", CORE, "configmaps", _ns)] = set()
    EXPECTED[("create", CORE, "pods", _ns)] = set()
    EXPECTED[("create", CORE, "pods/exec", _ns)] = set()
    EXPECTED[("create", RBAC_API, "rolebindings", _ns)] = set()
EXPECTED.update(
    {
        ("list", "apps", "deployments", MLFLOW): {"view"},
        ("patch", "apps", "deployments", MLFLOW): set(),
        ("get", KSERVE_API, "inferenceservices", KSERVE): {"view", "deploy_models"},
        ("create", KSERVE_API, "inferenceservices", KSERVE): {"deploy_models"},
        ("patch", KSERVE_API, "inferenceservices", KSERVE): {"deploy_models"},
        ("delete", KSERVE_API, "inferenceservices", KSERVE): {"deploy_models"},
        ("create", KSERVE_API, "inferenceservices", ARGO): set(),
        ("create", KSERVE_API, "servingruntimes", KSERVE): set(),
        ("list", ARGO_API, "workflows", ARGO): {"view", "run_pipelines"},
        ("create", ARGO_API, "workflows", ARGO): {"run_pipelines"},
        ("patch", ARGO_API, "workflows", ARGO): {"run_pipelines"},  # argo stop / terminate
        ("delete", ARGO_API, "workflows", ARGO): set(),
        ("create", ARGO_API, "workflows", KSERVE): set(),
        ("get", ARGO_API, "workflowtemplates", ARGO): {"view", "run_pipelines"},
        ("create", ARGO_API, "workflowtemplates", ARGO): set(),
        ("update", ARGO_API, "workflowtemplates", ARGO): set(),
        ("get", CORE, "pods", MONITORING): set(),
        ("get", CORE, "secrets", MONITORING): set(),
        ("get", CORE, "secrets", "kube-system"): set(),
    }
)


# ---------------------------------------------------------------------------------------- the authorizer
# Semantics of Kubernetes' RBAC authorizer: plugin/pkg/auth/authorizer/rbac/rbac.go (RuleAllows) and
# pkg/apis/rbac/v1/evaluation_helpers.go (VerbMatches, APIGroupMatches, ResourceMatches) in kubernetes/kubernetes.
def _resource_matches(rule_resources: list, resource: str) -> bool:
    _requested, _slash, sub = resource.partition("/")
    for rule_resource in rule_resources:
        if rule_resource in ("*", resource):
            return True
        if sub and rule_resource == f"*/{sub}":
            return True
    return False


def rule_allows(rule: dict, verb: str, group: str, resource: str) -> bool:
    if rule.get("nonResourceURLs") or rule.get("resourceNames"):
        return False  # our requests name no object: a rule limited to names does not allow them
    verbs, groups = rule.get("verbs") or [], rule.get("apiGroups") or []
    return (
        ("*" in verbs or verb in verbs)
        and ("*" in groups or group in groups)
        and _resource_matches(rule.get("resources") or [], resource)
    )


class Authorizer:
    """Every Role, ClusterRole (aggregation resolved), RoleBinding and ClusterRoleBinding of a render."""

    def __init__(self, objects: list):
        self.roles, self.cluster_roles, self.bindings = {}, {}, []
        for obj in objects:
            kind, meta = obj.get("kind"), obj.get("metadata") or {}
            if kind == "Role":
                self.roles[(manifests.effective_namespace(obj), meta["name"])] = obj.get("rules") or []
            elif kind == "ClusterRole":
                self.cluster_roles[meta["name"]] = obj
            elif kind == "RoleBinding":
                self.bindings.append((manifests.effective_namespace(obj), obj))
            elif kind == "ClusterRoleBinding":
                self.bindings.append((None, obj))
        self.cluster_rules = {name: self._cluster_rules(obj) for name, obj in self.cluster_roles.items()}

    def _cluster_rules(self, obj: dict) -> list:
        aggregation = obj.get("aggregationRule")
        if not aggregation:
            return obj.get("rules") or []
        rules = []
        for selector in aggregation.get("clusterRoleSelectors") or []:
            assert not selector.get("matchExpressions"), "matchExpressions: not modelled"
            wanted = selector.get("matchLabels") or {}
            for other in self.cluster_roles.values():
                labels = (other.get("metadata") or {}).get("labels") or {}
                if other is not obj and all(labels.get(k) == v for k, v in wanted.items()):
                    rules += other.get("rules") or []
        return rules

    def allowed(self, groups: set, verb: str, group: str, resource: str, namespace: str) -> list:
        """The bindings (namespace/name) that allow the request; empty = denied."""
        groups = set(groups) | {"system:authenticated"}
        reasons = []
        for bound_ns, binding in self.bindings:
            if bound_ns is not None and bound_ns != namespace:
                continue
            subjects = binding.get("subjects") or []
            if not any(s.get("kind") == "Group" and s.get("name") in groups for s in subjects):
                continue
            ref = binding["roleRef"]
            if ref["kind"] == "Role":
                rules = self.roles.get((bound_ns, ref["name"]), [])
            else:
                rules = self.cluster_rules.get(ref["name"], [])
            if any(rule_allows(rule, verb, group, resource) for rule in rules):
                reasons.append(f"{bound_ns or '(cluster)'}/{binding['metadata']['name']}")
        return reasons


# ---------------------------------------------------------------------------------------- fixtures
def inventory_groups(name: str) -> dict:
    return yaml.safe_load((INVENTORIES / name / "group_vars/all/rbac.yml").read_text())["platform_user_groups"]


def inventory_settings(name: str) -> dict:
    merged: dict = {}
    for path in sorted((INVENTORIES / name / "group_vars/all").glob("*.yml")):
        merged.update(yaml.safe_load(path.read_text()) or {})
    return merged


def access_entries(name: str) -> dict:
    """The Terraform root's user_access_entries as the infrastructure role computes them for the inventory."""
    v = inventory_settings(name)
    settings = {
        "cluster_name": v["platform_cluster_name"],
        "environment": v["platform_environment"],
        "region": v["platform_region"],
        "kubernetes_version": v["platform_kubernetes_version"],
        "network": v["platform_network"],
        "node_pools": v["platform_node_pools"],
        "service_accounts": {},
        "user_groups": v["platform_user_groups"],
    }
    return root_variables(v["platform_cloud"], settings).get("user_access_entries", {})


def principals(name: str) -> dict:
    """Each principal of the inventory -> (roles it holds, the Kubernetes groups the API server sees for it)."""
    groups = inventory_groups(name)
    if name.startswith("aws"):
        entries = access_entries(name)
        # An IAM role reaches Kubernetes only through its access entry's kubernetes_groups.
        seen = {arn: set(entries.get(arn, [])) for role in ROLES for arn in groups.get(role) or []}
        return {arn: ({r for r in ROLES if arn in (groups.get(r) or [])}, seen[arn]) for arn in seen}
    # AKS with Entra ID: the token's groups claim holds the group object IDs (lowercase).
    ids = {entry.lower() for role in ROLES for entry in groups.get(role) or []}
    return {gid: ({r for r in ROLES if gid in {e.lower() for e in groups.get(r) or []}}, {gid}) for gid in sorted(ids)}


@pytest.fixture(scope="module")
def renders(full_builds) -> dict:
    out = {}
    for name in FULL:
        tree = manifests.load_tree(full_builds[name] / "mlops-dev")
        assert "rbac" in tree, f"{name}: no rbac release rendered"
        out[name] = {
            "ours": manifests.all_objects({"rbac": tree["rbac"]}),
            "all": manifests.all_objects(tree),
        }
    return out


def ours(renders, name: str, kind: str) -> list:
    return [o for o in renders[name]["ours"] if o.get("kind") == kind]


# (object name, namespace) of every Role and of every RoleBinding (the full inventories bind every role).
GRANTED = {(f"platform-{role.replace('_', '-')}", ns) for role, namespaces in GRANTS.items() for ns in namespaces}


def placed(objects: list) -> set:
    return {(o["metadata"]["name"], o["metadata"]["namespace"]) for o in objects}


# ---------------------------------------------------------------------------------------- (1) least privilege
def privilege_problems(roles: list) -> list:
    problems = []
    for role in roles:
        where = f"{role['metadata']['namespace']}/{role['metadata']['name']}"
        for index, rule in enumerate(role.get("rules") or []):
            verbs, resources = set(rule.get("verbs") or []), set(rule.get("resources") or [])
            if FORBIDDEN_VERBS & verbs:
                problems.append(f"{where} rule {index}: verbs {sorted(FORBIDDEN_VERBS & verbs)}")
            if FORBIDDEN_RESOURCES & resources:
                problems.append(f"{where} rule {index}: resources {sorted(FORBIDDEN_RESOURCES & resources)}")
            if "*" in (rule.get("apiGroups") or []) or any(r.startswith("*/") for r in resources):
                problems.append(f"{where} rule {index}: wildcard API group or subresource")
            if rule.get("nonResourceURLs"):
                problems.append(f"{where} rule {index}: nonResourceURLs")
    return problems


@pytest.mark.parametrize("name", FULL)
def test_roles_are_least_privilege(renders, name):
    roles = ours(renders, name, "Role")
    assert placed(roles) == GRANTED
    assert privilege_problems(roles) == []
    # Only Roles and RoleBindings: nothing cluster-wide.
    assert {o["kind"] for o in renders[name]["ours"]} == {"Role", "RoleBinding"}


def test_roles_are_the_same_on_both_clouds(renders):
    def rules(name):
        return {(r["metadata"]["namespace"], r["metadata"]["name"]): r["rules"] for r in ours(renders, name, "Role")}

    assert rules("aws-full") == rules("azure-full")


def test_released_after_the_namespaces_exist():
    catalog = yaml.safe_load((REPO / "roles/platform/defaults/main/components.yml").read_text())
    catalog = catalog["platform_component_catalog"]
    # kserve, argo_workflows and mlflow create the namespaces the Roles live in.
    assert catalog["rbac"]["wave"] > max(catalog[c]["wave"] for c in ("kserve", "argo_workflows", "mlflow"))


# ---------------------------------------------------------------------------------------- (2) subjects
def subject_problems(name: str, bindings: list) -> list:
    groups = inventory_groups(name)
    problems = []
    for binding in bindings:
        meta = binding["metadata"]
        role = meta["name"].removeprefix("platform-").replace("-", "_")
        where = f"{meta['namespace']}/{meta['name']}"
        if binding["roleRef"] != {"apiGroup": RBAC_API, "kind": "Role", "name": meta["name"]}:
            problems.append(f"{where}: roleRef {binding['roleRef']}")
        names = [s["name"] for s in binding["subjects"]]
        if any(s.get("kind") != "Group" or s.get("apiGroup") != RBAC_API for s in binding["subjects"]):
            problems.append(f"{where}: a subject that is not a Group")
        if name.startswith("aws"):
            wanted = ["mlops:" + role.replace("_", "-")]
        else:
            wanted = sorted({entry.lower() for entry in groups[role]})
            problems += [f"{where}: {n} is not a lowercase GUID" for n in names if not GUID_RE.match(n)]
        if names != wanted:
            problems.append(f"{where}: subjects {names}, wanted {wanted}")
    return problems


@pytest.mark.parametrize("name", FULL)
def test_each_binding_binds_the_clouds_form_of_the_inventory_entries(renders, name):
    bindings = ours(renders, name, "RoleBinding")
    assert placed(bindings) == GRANTED
    assert subject_problems(name, bindings) == []


def test_aws_access_entries_give_each_role_arn_exactly_its_groups():
    groups = inventory_groups("aws-full")
    entries = access_entries("aws-full")
    wanted = {}
    for role in ROLES:
        for arn in groups[role]:
            wanted.setdefault(arn, set()).add("mlops:" + role.replace("_", "-"))
    assert entries == {arn: sorted(wanted[arn]) for arn in sorted(wanted)}
    # A Kubernetes group EKS refuses would fail the apply.
    assert not any(g.startswith(("system:", "eks:")) for gs in entries.values() for g in gs)


def test_azure_needs_no_access_entries():
    assert access_entries("azure-full") == {}


# ---------------------------------------------------------------------------------------- (3) the matrix
def matrix_of(name: str, objects: list) -> tuple[dict, list]:
    """(principal, request) -> allowed, and the disagreements with EXPECTED."""
    auth = Authorizer(objects)
    result, wrong = {}, []
    for principal, (held, seen) in principals(name).items():
        for request, allowed_roles in EXPECTED.items():
            reasons = auth.allowed(seen, *request)
            result[(principal, request)] = bool(reasons)
            want = bool(held & allowed_roles)
            if bool(reasons) != want:
                wrong.append(f"{principal} {request}: {'allowed by ' + ', '.join(reasons) if reasons else 'denied'}")
    return result, wrong


ROLE_SHORT = {"view": "view", "deploy_models": "deploy", "run_pipelines": "run"}


def format_matrix(name: str, result: dict) -> str:
    people = principals(name)
    short = {p: p.rsplit("/", 1)[-1][:20] for p in people}
    held = {p: "+".join(ROLE_SHORT[r] for r in ROLES if r in people[p][0]) for p in people}
    lines = [f"{name}: principal (roles it holds) -> allowed (Y) / denied (.)"]
    lines.append(f"{'request':<58}" + "".join(f"{short[p]:>22}" for p in people))
    lines.append(f"{'':<58}" + "".join(f"{'(' + held[p] + ')':>22}" for p in people))
    for request in EXPECTED:
        verb, group, resource, ns = request
        label = f"{verb} {(group + '/') if group else ''}{resource} in {ns}"
        lines.append(f"{label:<58}" + "".join(f"{'Y' if result[(p, request)] else '.':>22}" for p in people))
    return "\n".join(lines)


@pytest.mark.parametrize("name", FULL)
def test_who_can_do_what(renders, name):
    result, wrong = matrix_of(name, renders[name]["all"])
    print("\n" + format_matrix(name, result))
    assert wrong == []
    # Every role is held by someone and every principal can do something: the matrix is not vacuous.
    assert {role for held, _seen in principals(name).values() for role in held} == set(ROLES)
    assert all(any(result[(p, r)] for r in EXPECTED) for p in principals(name))


@pytest.mark.parametrize("name", FULL)
def test_nobody_reads_secrets_anywhere(renders, name):
    auth = Authorizer(renders[name]["all"])
    namespaces = {manifests.effective_namespace(o) for o in renders[name]["all"]} - {""}
    for principal, (_held, seen) in principals(name).items():
        for ns in sorted(namespaces):
            for verb in ("get", "list", "watch"):
                assert auth.allowed(seen, verb, CORE, "secrets", ns) == [], (principal, verb, ns)


# ---------------------------------------------------------------------------------------- (4) mutations
def test_a_role_that_reads_secrets_is_caught(renders):
    objects = copy.deepcopy(renders["aws-full"]["all"])
    view = next(o for o in objects if o.get("kind") == "Role" and o["metadata"]["name"] == "platform-view")
    view["rules"].append({"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]})
    assert any("secrets" in p for p in privilege_problems([view]))
    _result, wrong = matrix_of("aws-full", objects)
    assert any("'secrets'" in line and "allowed by" in line for line in wrong), wrong


def test_a_wildcard_verb_is_caught(renders):
    role = copy.deepcopy(ours(renders, "azure-full", "Role")[0])
    role["rules"][0]["verbs"] = ["*"]
    assert privilege_problems([role])
    _result, wrong = matrix_of("azure-full", [*renders["azure-full"]["all"], role])
    assert wrong  # e.g. viewers may now create pods (the same Role name replaces the rendered one)


def test_a_binding_of_the_wrong_group_is_caught(renders):
    bindings = copy.deepcopy(ours(renders, "azure-full", "RoleBinding"))
    bindings[0]["subjects"][0]["name"] = "mlops-viewers"  # a name, not the Entra object ID
    assert subject_problems("azure-full", bindings)
    aws = copy.deepcopy(ours(renders, "aws-full", "RoleBinding"))
    aws[0]["subjects"][0]["name"] = "arn:aws:iam::123456789012:role/mlops-viewers"  # the ARN is no Kubernetes group
    assert subject_problems("aws-full", aws)


# ---------------------------------------------------------------------------------------- (5) Terraform plan
@pytest.mark.slow
def test_terraform_plan_creates_the_access_entries(tmp_path):
    reason = tfh.skip_reason()
    if reason:
        pytest.skip(reason)
    entries = access_entries("aws-full")
    moto = tfh.Moto(tmp_path / "moto.log").start()
    try:
        root = tfh.prepare_moto_copy(tmp_path / "terraform", moto.endpoint)
        variables = dict.fromkeys(tfh.UNIMPLEMENTED_APIS, False)
        variables.update(enable_user_access_entries=True, user_access_entries=entries)
        (root / "rbac.auto.tfvars.json").write_text(json.dumps(variables))
        init = tfh.terraform(root, "init", "-input=false", "-no-color")
        assert init.returncode == 0, init.stdout + init.stderr
        plan = tfh.terraform(root, "plan", "-input=false", "-no-color", "-out=plan.bin")
        assert plan.returncode == 0, plan.stdout[-4000:] + plan.stderr
        shown = tfh.terraform(root, "show", "-json", "plan.bin")
        assert shown.returncode == 0, shown.stderr
    finally:
        moto.stop()
    changes = json.loads(shown.stdout)["resource_changes"]
    planned = {
        c["change"]["after"]["principal_arn"]: c["change"]["after"]
        for c in changes
        if c["type"] == "aws_eks_access_entry" and c["name"] == "user"
    }
    assert {arn: sorted(after["kubernetes_groups"]) for arn, after in planned.items()} == entries
    assert all(after["type"] == "STANDARD" for after in planned.values())
    # No EKS access policy: what the groups may do is the Roles above, nothing cluster-wide.
    assert not [c for c in changes if c["type"] == "aws_eks_access_policy_association"]
    print(f"\nplanned access entries: {json.dumps({a: sorted(p['kubernetes_groups']) for a, p in planned.items()})}")


def test_access_entries_stay_off_where_moto_lacks_the_api():
    assert "enable_user_access_entries" in tfh.UNIMPLEMENTED_APIS
    hcl = (REPO / "terraform/modules/eks/access.tf").read_text()
    assert "var.enable_user_access_entries ? var.user_access_entries : {}" in hcl


def test_every_full_inventory_sets_groups():
    for name in FULL:
        groups = inventory_groups(name)
        assert all(groups.get(role) for role in ROLES), name

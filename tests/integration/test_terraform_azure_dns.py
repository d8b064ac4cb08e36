"""cert-manager's DNS-01 access on Azure (terraform/modules/aks: dns_zone_id, access = dns_zone).

The azurerm provider is not available offline (TESTING.md), so the role assignment itself is
checked as parsed HCL (python-hcl2): its role and scope, the identity and federated credential
every service account gets, the `identities` output, and that both environment roots pass
dns_zone_id through. What needs no provider is evaluated by real Terraform: the module's own
dns_zone_id and service_accounts variable blocks, copied into a provider-less root and planned with
good and bad values, and the precondition's expression in `terraform console`. The same regex is
also checked with Python's re. `terraform fmt` and checkov cover these files in
test_terraform_azure.py and test_terraform_checkov.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODULE = REPO / "terraform" / "modules" / "aks"
BOOTSTRAP = REPO / "terraform" / "bootstrap" / "azure"
ENV_ROOTS = tuple(REPO / "terraform" / "environments" / "azure" / env for env in ("dev", "prod"))

SUB = "00000000-0000-0000-0000-000000000000"
GOOD_IDS = (
    f"/subscriptions/{SUB}/resourceGroups/rg-dns/providers/Microsoft.Network/dnszones/dev.example.com",
    # ARM templates' resourceId() spelling, and any case of the type segment.
    f"/subscriptions/{SUB}/resourceGroups/rg-dns/providers/Microsoft.Network/dnsZones/dev.example.com",
    f"/subscriptions/{SUB}/resourcegroups/rg-dns/providers/microsoft.network/DNSZONES/dev.example.com",
    "/subscriptions/0A1B2C3D-4E5F-4a6b-8c7d-9e0f1a2b3c4d/resourceGroups/Rg.Dns(prod)_1/providers/"
    "Microsoft.Network/dnszones/models.dev.example.com",
)
BAD_IDS = (
    f"/subscriptions/{SUB}/resourceGroups/rg-dns/providers/Microsoft.Network/dnszones/",  # no zone
    f"/subscriptions/{SUB}/resourceGroups/rg-dns/providers/Microsoft.Network/dnszones/dev.example.com/",
    f"/subscriptions/{SUB}/resourceGroups/rg-dns/providers/Microsoft.Network/dnszones/com",  # one label
    # A record set, not the zone.
    f"/subscriptions/{SUB}/resourceGroups/rg-dns/providers/Microsoft.Network/dnszones/dev.example.com/TXT/_acme",
    # A private zone: public ACME DNS-01 cannot be solved there.
    f"/subscriptions/{SUB}/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/dev.example.com",
    f"/subscriptions/{SUB}/resourceGroups/rg-dns/providers/Microsoft.Storage/dnszones/dev.example.com",
    "/subscriptions/my-subscription/resourceGroups/rg-dns/providers/Microsoft.Network/dnszones/dev.example.com",
    f"/subscriptions/{SUB}/resourceGroups/rg-dns./providers/Microsoft.Network/dnszones/dev.example.com",
    f"/subscriptions/{SUB}/resourceGroups/rg-dns",
    f"subscriptions/{SUB}/resourceGroups/rg-dns/providers/Microsoft.Network/dnszones/dev.example.com",
    "dev.example.com",
)
SA = {"namespace": "cert-manager", "name": "cert-manager", "access": "dns_zone"}
# The built-in role's id. Ref: https://learn.microsoft.com/azure/role-based-access-control/built-in-roles
DNS_ZONE_CONTRIBUTOR = "befefa01-2a29-4197-83a8-272ff33ce314"


def _label(key: str) -> str:
    return key[1:-1] if len(key) >= 2 and key[0] == key[-1] == '"' else key


def _value(text):
    """An HCL string as python-hcl2 >= 7 gives it (quoted), unquoted; interpolations stay as they are."""
    return json.loads(text) if isinstance(text, str) and text.startswith('"') else text


def parse(path: Path) -> dict:
    hcl2 = pytest.importorskip("hcl2", reason="python-hcl2 is not installed (pip install python-hcl2)")
    with path.open(encoding="utf-8") as handle:
        return hcl2.load(handle)


def named(path: Path, kind: str, *labels: str) -> dict:
    """The body of the `kind` block with these labels (resource "type" "name", variable "name", ...)."""
    for entry in parse(path).get(kind, []):
        body = entry
        for label in labels:
            body = next((v for k, v in body.items() if _label(k) == label), None)
            if body is None:
                break
        if body is not None:
            return body
    raise AssertionError(f"{path.name}: no {kind} {' '.join(labels)}")


def block_text(path: Path, header: str) -> str:
    """A top-level block (`variable "x"`, `locals`) of a .tf file, verbatim."""
    text = path.read_text(encoding="utf-8")
    match = re.search(rf"^{re.escape(header)} \{{.*?^\}}\n", text, re.S | re.M)
    assert match, f"{header} not found in {path.relative_to(REPO)}"
    return match.group(0)


def variable_block_text(name: str) -> str:
    """The module's own `variable "<name>" {...}` block, verbatim."""
    return block_text(MODULE / "variables.tf", f'variable "{name}"')


def zone_id_regex(path: Path = MODULE / "variables.tf", name: str = "dns_zone_id") -> str:
    condition = named(path, "variable", name)["validation"][0]["condition"]
    match = re.search(r'regex\(("(?:[^"\\]|\\.)*"), \w+(?:\.\w+)?\)', condition)
    assert match, condition
    return json.loads(match.group(1))  # an HCL string literal: its escapes are JSON's


def terraform_bin() -> str:
    terraform = shutil.which("terraform") or (
        "/usr/local/bin/terraform" if Path("/usr/local/bin/terraform").exists() else None
    )
    if not terraform:
        pytest.skip("terraform CLI not found: the variable blocks were not evaluated by Terraform")
    return terraform


def terraform(root: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    # No provider is needed: a root of variables and outputs only plans without `init`.
    return subprocess.run(
        [terraform_bin(), *args],
        cwd=root,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "HOME": str(root)},
    )


def one_line(text: str) -> str:
    return " ".join(text.replace("│", " ").replace("╷", " ").replace("╵", " ").split())


# --------------------------------------------------------------------------- the role assignment
def test_dns_zone_access_is_dns_zone_contributor_on_the_zone():
    identity = MODULE / "identity.tf"
    (local_block,) = [entry for entry in parse(identity)["locals"] if "access_roles" in entry]
    dns_zone = local_block["access_roles"]["dns_zone"]
    assert _value(dns_zone["role"]) == "DNS Zone Contributor"
    assert dns_zone["scope"] == "${var.dns_zone_id}"
    assert 'sa.access != "none"' in local_block["granted_service_accounts"]

    assignment = named(identity, "resource", "azurerm_role_assignment", "workload")
    assert assignment["for_each"] == "${local.granted_service_accounts}"
    assert assignment["scope"] == "${local.access_roles[each.value.access].scope}"
    assert assignment["role_definition_name"] == "${local.access_roles[each.value.access].role}"
    assert assignment["principal_id"] == "${azurerm_user_assigned_identity.workload[each.key].principal_id}"
    assert _value(assignment["principal_type"]) == "ServicePrincipal"


def test_a_dns_zone_service_account_gets_an_identity_federated_like_the_others():
    identity = MODULE / "identity.tf"
    workload = named(identity, "resource", "azurerm_user_assigned_identity", "workload")
    credential = named(identity, "resource", "azurerm_federated_identity_credential", "workload")
    assert workload["for_each"] == credential["for_each"] == "${var.service_accounts}"
    assert credential["parent_id"] == "${azurerm_user_assigned_identity.workload[each.key].id}"
    assert credential["issuer"] == "${azurerm_kubernetes_cluster.this.oidc_issuer_url}"
    assert _value(credential["subject"]) == "system:serviceaccount:${each.value.namespace}:${each.value.name}"
    assert [_value(a) for a in credential["audience"]] == ["api://AzureADTokenExchange"]
    # Every service account's client id, under its key (azure.workload.identity/client-id).
    identities = named(MODULE / "outputs.tf", "output", "identities")["value"]
    assert identities == "${try({for k, id in azurerm_user_assigned_identity.workload : k => id.client_id}, null)}"


def test_dns_zone_access_needs_the_zone_precondition():
    assignment = named(MODULE / "identity.tf", "resource", "azurerm_role_assignment", "workload")
    (precondition,) = assignment["lifecycle"][0]["precondition"]
    assert precondition["condition"] == '${each.value.access != "dns_zone" || var.dns_zone_id != ""}'
    assert "var.dns_zone_id" in precondition["error_message"]


@pytest.mark.parametrize(
    ("access", "zone_id", "holds"),
    [
        ("dns_zone", "", False),
        ("dns_zone", GOOD_IDS[0], True),
        ("blob_read", "", True),
        ("secrets_read", GOOD_IDS[0], True),
    ],
)
def test_the_precondition_evaluated_by_terraform(tmp_path, access, zone_id, holds):
    """The precondition's own expression in `terraform console`, each.value.access bound to a variable."""
    condition = named(MODULE / "identity.tf", "resource", "azurerm_role_assignment", "workload")["lifecycle"][0][
        "precondition"
    ][0]["condition"]
    expression = condition.removeprefix("${").removesuffix("}").replace("each.value.access", "var.access")
    (tmp_path / "main.tf").write_text(
        'variable "access" {\n  type = string\n}\n\n' + variable_block_text("dns_zone_id")
    )
    result = terraform(tmp_path, "console", f"-var=access={access}", f"-var=dns_zone_id={zone_id}", stdin=expression)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == str(holds).lower(), result.stdout


# ------------------------------------------------------------------------------ the variables
def test_dns_zone_id_regex_in_python():
    pattern = re.compile(zone_id_regex())
    wrong = [i for i in GOOD_IDS if not pattern.match(i)] + [i for i in BAD_IDS if pattern.match(i)]
    assert not wrong, f"misjudged by {pattern.pattern}: {wrong}"


def test_dns_zone_id_validation_evaluated_by_terraform(tmp_path):
    """The module's variable block, verbatim, in a provider-less root: plan accepts or rejects each id."""
    (tmp_path / "variables.tf").write_text(variable_block_text("dns_zone_id"))
    wrong = []
    for zone_id in ("", *GOOD_IDS, *BAD_IDS):
        plan = terraform(tmp_path, "plan", "-input=false", "-no-color", f"-var=dns_zone_id={zone_id}")
        accepted = plan.returncode == 0
        if accepted != (zone_id == "" or zone_id in GOOD_IDS):
            wrong.append((zone_id, plan.returncode, one_line(plan.stderr)[-300:]))
        if not accepted:
            assert "var.dns_zone_id must be" in one_line(plan.stderr), plan.stderr
    assert not wrong, wrong


@pytest.mark.parametrize(("access", "valid"), [("dns_zone", True), ("none", True), ("dns", False)])
def test_service_accounts_accept_dns_zone_access(tmp_path, access, valid):
    (tmp_path / "variables.tf").write_text(variable_block_text("service_accounts"))
    accounts = json.dumps({"cert_manager": {**SA, "access": access}})
    plan = terraform(tmp_path, "plan", "-input=false", "-no-color", f"-var=service_accounts={accounts}")
    assert (plan.returncode == 0) == valid, plan.stdout + plan.stderr
    if not valid:
        assert "service_accounts[*].access must be none, blob_read, blob_write, secrets_read or dns_zone" in one_line(
            plan.stderr
        )


# ---------------------------------------------------------------------------- the roots, the contract
@pytest.mark.parametrize("root", ENV_ROOTS, ids=lambda p: p.name)
def test_env_roots_pass_dns_zone_id_through(root):
    variable = named(root / "variables.tf", "variable", "dns_zone_id")
    assert variable["type"] == "string" and _value(variable["default"]) == ""
    module = named(root / "main.tf", "module", "aks")
    assert module["dns_zone_id"] == "${var.dns_zone_id}"
    assert _value(module["source"]) == "../../../modules/aks"


def test_certificate_arn_is_null_on_azure():
    """The contract's output (modules/eks: the ACM certificate) exists here too, always null."""
    assert named(MODULE / "outputs.tf", "output", "certificate_arn")["value"] == "${try(null, null)}"
    for root in ENV_ROOTS:
        assert named(root / "outputs.tf", "output", "certificate_arn")["value"] == "${module.aks.certificate_arn}"


# ------------------------------------------------------------------------------ the bootstrap
def test_bootstrap_lets_the_ci_identity_assign_dns_zone_contributor_on_the_zones_only(tmp_path):
    """CI applies the environments: on each zone of dns_zone_ids it may assign DNS Zone Contributor and
    no other role. The condition is rendered by Terraform from the bootstrap's own locals."""
    assignment = named(BOOTSTRAP / "main.tf", "resource", "azurerm_role_assignment", "ci_dns_zone_rbac_admin")
    assert assignment["for_each"] == "${var.dns_zone_ids}"
    assert assignment["scope"] == "${each.value}"
    assert _value(assignment["role_definition_name"]) == "Role Based Access Control Administrator"
    assert assignment["principal_id"] == "${azurerm_user_assigned_identity.ci.principal_id}"
    assert assignment["condition"] == (
        "${format(local.rbac_admin_condition, local.dns_zone_contributor, local.dns_zone_contributor)}"
    )
    expression = assignment["condition"].removeprefix("${").removesuffix("}")
    variables = 'variable "name" {\n  type = string\n}\n\nvariable "tags" {\n  type = map(string)\n}\n\n'
    (tmp_path / "main.tf").write_text(variables + block_text(BOOTSTRAP / "main.tf", "locals"))
    result = terraform(tmp_path, "console", "-var=name=mlops", "-var=tags={}", stdin=f"jsonencode({expression})")
    assert result.returncode == 0, result.stdout + result.stderr
    condition = json.loads(json.loads(result.stdout))
    granted = re.findall(r"RoleDefinitionId\] ForAnyOfAnyValues:GuidEquals \{([^}]*)\}", condition)
    assert granted == [DNS_ZONE_CONTRIBUTOR, DNS_ZONE_CONTRIBUTOR], condition  # write and delete
    assert "roleAssignments/write" in condition and "roleAssignments/delete" in condition


def test_bootstrap_dns_zone_ids_use_the_modules_rule():
    variable = named(BOOTSTRAP / "variables.tf", "variable", "dns_zone_ids")
    assert variable["type"] == "${set(string)}"
    assert zone_id_regex(BOOTSTRAP / "variables.tf", "dns_zone_ids") == zone_id_regex()

"""Static proof of the Azure Terraform (modules/aks, environments/azure, bootstrap/azure).

The azurerm provider is not available offline, so this layer is checked with what
does run here (TESTING.md, "Terraform Azure"): HCL parsing (python-hcl2), the
output/variable contract and `terraform fmt -check`; checkov scans these directories in
test_terraform_checkov.py. `terraform validate` is NOT run for azurerm; a dedicated test
reports that as a skip. No network is used.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ansible_collections.mlops.platform.plugins.module_utils.terraform import CONTRACT_OUTPUTS

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "terraform"
MODULE = TERRAFORM / "modules" / "aks"
ENV_ROOTS = (TERRAFORM / "environments" / "azure" / "dev", TERRAFORM / "environments" / "azure" / "prod")
BOOTSTRAP = TERRAFORM / "bootstrap" / "azure"
AZURE_DIRS = (MODULE, *ENV_ROOTS, BOOTSTRAP)

# The cloud-layer contract shared with modules/eks (Ansible reads these as
# platform_infra without branching), plus the two Azure-only outputs.
REQUIRED_OUTPUTS = frozenset(CONTRACT_OUTPUTS) | {"key_vault_id", "resource_group_name"}
SENSITIVE_OUTPUTS = frozenset({"cluster_ca_certificate"})

VALIDATE_NOT_RUN = (
    "terraform validate is NOT run for the Azure Terraform: the hashicorp/azurerm (and hashicorp/random) "
    "providers are not available offline, and a validate without them would be fake. Covered instead: "
    "HCL parse (python-hcl2), terraform fmt -check, the output/variable contract, checkov."
)


def tf_files(*dirs: Path) -> list[Path]:
    files = sorted(f for d in dirs for f in d.rglob("*.tf") if ".terraform" not in f.parts)
    assert files, f"no .tf files under {[str(d) for d in dirs]}"
    return files


def _label(key: str) -> str:
    """python-hcl2 >= 7 keeps the quotes of block labels and strings; older versions don't."""
    return key[1:-1] if len(key) >= 2 and key[0] == key[-1] == '"' else key


def parse(path: Path) -> dict:
    hcl2 = pytest.importorskip("hcl2", reason="python-hcl2 is not installed (pip install python-hcl2)")
    with path.open(encoding="utf-8") as handle:
        return hcl2.load(handle)


def blocks(dirs, kind: str) -> dict[str, tuple[Path, dict]]:
    """name -> (file, body) of every `kind` block (variable/output) in the .tf files of dirs."""
    found: dict[str, tuple[Path, dict]] = {}
    for path in tf_files(*dirs):
        for entry in parse(path).get(kind, []):
            for name, body in entry.items():
                found[_label(name)] = (path, body)
    return found


@pytest.mark.parametrize("path", tf_files(*AZURE_DIRS), ids=lambda p: str(p.relative_to(REPO)))
def test_every_tf_file_parses(path):
    assert isinstance(parse(path), dict)


def test_module_outputs_are_exactly_the_contract():
    outputs = blocks([MODULE], "output")
    assert set(outputs) == REQUIRED_OUTPUTS, (
        f"missing: {sorted(REQUIRED_OUTPUTS - set(outputs))}, unexpected: {sorted(set(outputs) - REQUIRED_OUTPUTS)}"
    )
    for name, (path, body) in outputs.items():
        assert str(body.get("value", "")).startswith("${try("), (
            f"{path.name}: output {name} is not wrapped in try(..., null)"
        )
        assert str(body.get("value", "")).rstrip("}").endswith("null)"), (
            f"{path.name}: output {name} must fall back to null"
        )
        assert bool(body.get("sensitive", False)) == (name in SENSITIVE_OUTPUTS), f"output {name}: wrong sensitive flag"


@pytest.mark.parametrize("root", ENV_ROOTS, ids=lambda p: p.name)
def test_env_roots_pass_every_module_output_through(root):
    outputs = blocks([root], "output")
    assert set(outputs) == REQUIRED_OUTPUTS
    for name, (_path, body) in outputs.items():
        assert body["value"] == f"${{module.aks.{name}}}", f"{root.name}: output {name} must be module.aks.{name}"
        assert bool(body.get("sensitive", False)) == (name in SENSITIVE_OUTPUTS)


@pytest.mark.parametrize("directory", AZURE_DIRS, ids=lambda p: str(p.relative_to(TERRAFORM)))
def test_every_variable_has_description_and_type(directory):
    variables = blocks([directory], "variable")
    assert variables, f"{directory} declares no variables"
    for name, (path, body) in variables.items():
        assert str(body.get("description", "")).strip('"'), f"{path.name}: variable {name} has no description"
        assert "type" in body, f"{path.name}: variable {name} has no type"


@pytest.mark.parametrize("root", ENV_ROOTS, ids=lambda p: p.name)
def test_env_roots_are_thin(root):
    names = {p.name for p in root.glob("*.tf")}
    assert {"providers.tf", "backend.tf", "main.tf", "variables.tf", "outputs.tf"} <= names
    backend = parse(root / "backend.tf")["terraform"][0]["backend"][0]
    assert set(map(_label, backend)) == {"azurerm"} and not backend[next(iter(backend))].keys() - {"__is_block__"}, (
        'backend must be a partial `backend "azurerm" {}`'
    )
    variables = blocks([root], "variable")
    for required in (
        "name",
        "environment",
        "location",
        "kubernetes_version",
        "network",
        "node_pools",
        "service_accounts",
    ):
        assert required in variables, f"{root.name}: variable {required} missing"


def test_inline_checkov_skips_carry_a_reason():
    pattern = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?")
    for path in tf_files(*AZURE_DIRS):
        for line in path.read_text(encoding="utf-8").splitlines():
            match = pattern.search(line)
            if match:
                assert match.group(2) and len(match.group(2).strip()) >= 20, (
                    f"{path}: {match.group(1)} skipped without a reason"
                )


def test_terraform_validate_is_not_run_for_azurerm():
    print(VALIDATE_NOT_RUN)
    pytest.skip(VALIDATE_NOT_RUN)


def test_terraform_fmt():
    terraform = shutil.which("terraform") or (
        "/usr/local/bin/terraform" if Path("/usr/local/bin/terraform").exists() else None
    )
    if not terraform:
        pytest.skip("terraform CLI not found: fmt -check not run")
    result = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", *(str(d.relative_to(REPO)) for d in AZURE_DIRS)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, f"terraform fmt -check: unformatted files:\n{result.stdout}{result.stderr}"

"""checkov on the Terraform of both clouds (modules/{eks,aks}, environments/*/{dev,prod}, bootstrap/*).

Zero failed checks is the bar; a check that does not fit is skipped inline at the
resource with `#checkov:skip=<ID>[,<ID>...]:<reason>`, and every such skip in
terraform/**/*.tf must carry a reason.

Offline: BC_SKIP_MAPPING=TRUE and --skip-download keep checkov off its vendor's API.
checkov runs with cwd = the resolved repository root and relative directory
arguments, so that module sources (`../../../modules/eks`) never cross the symlink
the Makefile runs pytest through.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "terraform"
AWS_DIRS = (
    "terraform/modules/eks",
    "terraform/environments/aws/dev",
    "terraform/environments/aws/prod",
    "terraform/bootstrap/aws",
)
AZURE_DIRS = (
    "terraform/modules/aks",
    "terraform/environments/azure/dev",
    "terraform/environments/azure/prod",
    "terraform/bootstrap/azure",
)

# checkov's own suppression syntax (checkov.common.comment.enum.COMMENT_REGEX): one or
# more comma-separated IDs, then an optional ":reason".
SKIP_COMMENT = re.compile(r"(?:checkov|bridgecrew|cortex):skip= *([A-Za-z_\d-]+(?:,[A-Za-z_\d-]+)*)?(:[^\n]*)?")
MIN_REASON_CHARS = 20

pytestmark = pytest.mark.integration


def checkov_bin() -> str | None:
    configured = os.environ.get("CHECKOV_BIN")
    if configured and Path(configured).is_file() and os.access(configured, os.X_OK):
        return configured
    return shutil.which("checkov")


def run_checkov(directory: str, home: Path) -> list[dict]:
    checkov = checkov_bin()
    if not checkov:
        pytest.skip(
            "checkov not found: set CHECKOV_BIN (the Makefile points it at .venv/checkov/bin/checkov, "
            "installed by `make setup`) or put checkov on PATH"
        )
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "HOME": str(home), "TF_CLI_CONFIG_FILE": os.devnull}
    # No --quiet: with it the JSON report drops the skipped checks and their reasons.
    argv = [checkov, "-d", directory, "--framework", "terraform", "--skip-download", "--compact", "-o", "json"]
    result = subprocess.run(
        argv,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        env=env,
    )
    assert result.stdout.strip(), f"checkov printed nothing (rc {result.returncode}):\n{result.stderr[-2000:]}"
    report = json.loads(result.stdout)
    return report if isinstance(report, list) else [report]


@pytest.mark.parametrize("directory", AWS_DIRS + AZURE_DIRS, ids=lambda d: d.removeprefix("terraform/"))
def test_checkov_reports_no_failed_checks(directory, tmp_path):
    reports = run_checkov(directory, tmp_path)
    results = [r.get("results", {}) for r in reports]
    failed = [c for r in results for c in r.get("failed_checks", [])]
    skipped = [c for r in results for c in r.get("skipped_checks", [])]
    passed = sum(r.get("summary", {}).get("passed", 0) for r in reports)
    print(f"checkov {directory}: passed={passed} failed={len(failed)} skipped={len(skipped)}")
    assert len(skipped) == sum(r.get("summary", {}).get("skipped", 0) for r in reports), "skipped checks missing"
    for check in skipped:
        reason = (check.get("check_result") or {}).get("suppress_comment", "")
        print(f"  skipped {check['check_id']} {check['resource']}: {reason}")

    assert not failed, f"checkov {directory}: {len(failed)} failed checks:\n" + "\n".join(
        f"  {c['check_id']} {c['resource']} ({c['file_path']}:{c['file_line_range']}): {c['check_name']}"
        for c in failed
    )
    assert passed > 0, f"checkov evaluated nothing in {directory}"
    unexplained = [
        c
        for c in skipped
        if (c.get("check_result") or {}).get("suppress_comment", "").strip() in ("", "No comment provided")
    ]
    assert not unexplained, "checks skipped without a reason: " + ", ".join(
        f"{c['check_id']} {c['resource']}" for c in unexplained
    )


def inline_skips() -> list[tuple[Path, int, str, str]]:
    """(file, line, ids, reason) of every checkov skip comment in terraform/**/*.tf."""
    found = []
    for path in sorted(TERRAFORM.rglob("*.tf")):
        if ".terraform" in path.relative_to(TERRAFORM).parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = SKIP_COMMENT.search(line)
            if match:
                found.append((path, number, match.group(1) or "", (match.group(2) or ":")[1:].strip()))
    return found


def test_terraform_has_inline_skips_to_check():
    assert inline_skips(), "no checkov:skip comment found under terraform/ (is the regex still right?)"


def test_every_inline_skip_names_a_check_and_a_reason():
    problems = []
    for path, number, ids, reason in inline_skips():
        where = f"{path.relative_to(REPO)}:{number}"
        if not ids:
            problems.append(f"{where}: checkov:skip without a check ID")
        elif len(reason) < MIN_REASON_CHARS:
            problems.append(f"{where}: {ids} skipped without a reason (got {reason!r})")
    print(f"{len(inline_skips())} inline checkov skips under terraform/")
    assert not problems, "checkov skips must carry an honest reason:\n" + "\n".join(problems)


def test_skip_parser_rejects_a_skip_without_reason():
    """The parser above must see a missing or empty reason, or the previous test proves nothing."""
    assert SKIP_COMMENT.search("  #checkov:skip=CKV_AWS_18").group(2) is None
    assert SKIP_COMMENT.search("  #checkov:skip=CKV_AWS_18:").group(2) == ":"
    match = SKIP_COMMENT.search("  #checkov:skip=CKV_AWS_111,CKV_AWS_356:a key policy: Resource * is the key")
    assert match.group(1) == "CKV_AWS_111,CKV_AWS_356"
    assert match.group(2) == ":a key policy: Resource * is the key"

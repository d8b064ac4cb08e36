"""playbooks/destroy.yml without a cloud or a cluster: the refusals, and the teardown run to the cluster boundary.

No API server can run here, so the in-cluster cleanup runs against a kubeconfig whose server is 127.0.0.1 on a
port where nothing listens, with an empty Terraform root (no state: nothing to purge, nothing to destroy). The
cloud half (the versioned bucket purge, then terraform destroy) runs against moto in test_terraform_aws.py (f);
the ordering and selection over realistic objects in tests/unit/plugins/module_utils/test_teardown.py.
The mutations (the prod guard removed, the boundary message without the way on) show the checks can fail.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from . import test_apply_boundary
from .conftest import REPO, mutated_collection, run_playbook

INVENTORIES = {"aws-dev": "mlops-dev", "azure-dev": "mlops-dev"}
# The fixture of test_apply_boundary: a kubeconfig whose API server is 127.0.0.1:<port> with nothing listening.
nowhere = test_apply_boundary.nowhere
CLOUD_INSPECT = "Teardown | Look for what would stop terraform destroy"
CLUSTER_TASK = "Teardown | In-cluster objects that keep cloud resources alive"
DESTROY_TASK = "Infrastructure | Terraform with"


@pytest.fixture(scope="module")
def place(nowhere, tmp_path_factory) -> tuple:
    """(kubeconfig at 127.0.0.1:<closed port>, its server URL, an empty Terraform root, a build dir)."""
    if shutil.which("terraform") is None or not Path(os.environ.get("TF_CLI_CONFIG_FILE", "/nonexistent")).is_file():
        pytest.skip("terraform with the offline CLI config (TF_CLI_CONFIG_FILE) is needed: make setup")
    base = tmp_path_factory.mktemp("teardown")
    (base / "terraform").mkdir()
    (base / "build").mkdir()
    return nowhere[0], nowhere[1], base / "terraform", base / "build"


def destroy(place, inventory: str, *extra: str, root: Path = REPO):
    kubeconfig, _server, tf_root, build = place
    args = [
        "playbooks/destroy.yml", "-i", str(REPO / "inventories" / inventory),
        "-e", f"platform_kubeconfig={kubeconfig}", "-e", f"infrastructure_terraform_dir={tf_root}",
        "-e", f"platform_build_dir={build}", *extra,
    ]  # fmt: skip
    return run_playbook(args, build, root=root)


def test_prod_is_refused_before_any_change(place):
    run = destroy(place, "aws-dev", "-e", "infrastructure_destroy_confirm=mlops-dev", "-e", "platform_environment=prod")
    assert run.rc != 0
    assert "Refusing to destroy mlops-dev: platform_environment is prod" in run.output, run.output[-3000:]
    assert "-e teardown_allow_prod=true" in run.output
    assert CLOUD_INSPECT not in run.output and CLUSTER_TASK not in run.output and DESTROY_TASK not in run.output
    # With the flag, the run goes on (to the cluster boundary here).
    allowed = destroy(
        place, "aws-dev", "-e", "infrastructure_destroy_confirm=mlops-dev", "-e", "platform_environment=prod",
        "-e", "teardown_allow_prod=true",
    )  # fmt: skip
    assert allowed.rc != 0 and "cannot reach the Kubernetes API" in allowed.output, allowed.output[-3000:]


def test_the_prod_guard_can_fail(place, tmp_path):
    """Planted defect: without the prod assertion, a prod inventory reaches the teardown."""
    mutant = mutated_collection(
        tmp_path, "roles/teardown/tasks/confirm.yml", "platform_environment != 'prod' or teardown_allow_prod", "true"
    )
    run = destroy(
        place, "aws-dev", "-e", "infrastructure_destroy_confirm=mlops-dev", "-e", "platform_environment=prod",
        root=mutant,
    )  # fmt: skip
    assert "platform_environment is prod" not in run.output and CLOUD_INSPECT in run.output, run.output[-3000:]


@pytest.mark.parametrize("inventory", INVENTORIES)
def test_the_cluster_cleanup_stops_at_the_boundary_with_one_line(place, inventory):
    _kubeconfig, server, _tf, _build = place
    run = destroy(place, inventory, "-e", f"infrastructure_destroy_confirm={INVENTORIES[inventory]}")
    assert run.rc != 0
    lines = [line for line in run.output.splitlines() if "cannot reach the Kubernetes API" in line]
    assert lines, run.output[-4000:]
    assert f"cannot reach the Kubernetes API at {server} (The connection to the server 127.0.0.1:" in lines[0]
    assert "rerun with -e teardown_cluster_cleanup=false" in lines[0]
    assert "Traceback" not in run.output
    # The read-only cloud inspection ran first; nothing after the cluster step did.
    assert CLOUD_INSPECT in run.output and "Teardown | Empty the buckets" not in run.output
    assert DESTROY_TASK not in run.output


def test_the_boundary_message_can_fail(place, tmp_path):
    """Planted defect: the message without the way on is caught by the check above."""
    mutant = mutated_collection(
        tmp_path, "plugins/module_utils/teardown.py", "rerun with -e teardown_cluster_cleanup=false", "rerun"
    )
    run = destroy(place, "aws-dev", "-e", "infrastructure_destroy_confirm=mlops-dev", root=mutant)
    lines = [line for line in run.output.splitlines() if "cannot reach the Kubernetes API" in line]
    assert lines and "teardown_cluster_cleanup=false" not in lines[0]


def test_without_the_cluster_check_mode_reports_and_changes_nothing(place):
    run = destroy(
        place, "aws-dev", "-e", "infrastructure_destroy_confirm=mlops-dev", "-e", "teardown_cluster_cleanup=false",
        "--check",
    )  # fmt: skip
    assert run.rc == 0, run.output[-4000:]
    assert "In-cluster cleanup skipped (teardown_cluster_cleanup=false)" in run.output
    assert "no AWS Backup vault in the state" in run.output
    assert "Terraform plan (check mode) of the destroy" in run.output
    assert run.changed() == 0

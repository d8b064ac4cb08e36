"""Terraform against moto on 127.0.0.1: the emulator, the test-only override files, and runners.

Nothing here edits terraform/: the test works on a temp copy of it, without the dev root's
backend.tf (local state), and writes the override files listed below into that copy.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TERRAFORM_TREE = REPO / "terraform"
AWS_ROOTS = ("environments/aws/dev", "environments/aws/prod", "bootstrap/aws")
DEV_ROOT = "environments/aws/dev"
TF_PLUGIN_MIRROR = Path("/opt/tf-plugins")
REGION = "eu-west-1"

# Every AWS API the dev root (and the identity matrix) calls, pointed at moto (acm, route53: the
# ingress certificate, test_terraform_acm.py).
ENDPOINT_SERVICES = (
    "ec2",
    "eks",
    "iam",
    "s3",
    "rds",
    "ssm",
    "sts",
    "ecr",
    "kms",
    "sqs",
    "events",
    "logs",
    "secretsmanager",
    "acm",
    "route53",
)

# Root variables for APIs moto does not implement (404): the test turns them off, as a user of
# the emulator would; they are real root variables, not test hooks.
UNIMPLEMENTED_APIS = {
    "enable_eks_addons": "aws_eks_addon: moto has no CreateAddon (404)",
    "enable_karpenter_access_entry": "aws_eks_access_entry: moto has no CreateAccessEntry (404)",
    "enable_user_access_entries": "aws_eks_access_entry (platform users): moto has no CreateAccessEntry (404)",
}

# The emulator's artifacts, one override each, WITH the reason (printed by the test).
# (file in the copy, HCL, reason). Measured with Terraform 1.11.4, hashicorp/aws 5.100.0, moto 5.2.5.
EMULATOR_OVERRIDES = (
    (
        "modules/eks/moto_override.tf",
        """resource "aws_ec2_tag" "cluster_security_group_discovery" {
  resource_id = aws_vpc.this.main_route_table_id
}""",
        "moto's CreateCluster returns an empty clusterSecurityGroupId (real EKS creates eks-cluster-sg-*), "
        "else 'InvalidID: The ID '' is not valid': the tag goes on a resource no Terraform resource manages "
        "tags of (the VPC's main route table; the default security group is aws_default_security_group's)",
    ),
    (
        "modules/eks/moto_override.tf",
        """resource "aws_vpc_security_group_ingress_rule" "db_from_cluster" {
  referenced_security_group_id = aws_vpc.this.default_security_group_id
  lifecycle {
    ignore_changes = [referenced_security_group_id, description]
  }
}""",
        "same empty cluster security group ('InvalidGroup.NotFound: The security group '' does not exist'); and "
        "moto returns the referenced group as <account>/sg-... and drops the rule's description, so the second "
        "plan would replace the rule",
    ),
    (
        "modules/eks/moto_override.tf",
        """resource "aws_eks_cluster" "this" {
  lifecycle {
    ignore_changes = [access_config]
  }
}""",
        "moto's DescribeCluster omits accessConfig: the second plan would replace the cluster, the OIDC provider "
        "and every IRSA trust policy",
    ),
    (
        "modules/eks/moto_override.tf",
        """resource "aws_eks_node_group" "this" {
  lifecycle {
    ignore_changes = [remote_access, update_config, scaling_config[0].desired_size]
  }
}""",
        'moto\'s DescribeNodegroup invents remote_access { ec2_ssh_key = "eksKeypair" } and omits updateConfig '
        "(the second plan would replace every node group); an override's ignore_changes replaces the module's "
        "list, so its desired_size entry is repeated",
    ),
    (
        "modules/eks/moto_override.tf",
        """resource "aws_db_instance" "mlflow" {
  lifecycle {
    ignore_changes = [
      performance_insights_enabled,
      performance_insights_kms_key_id,
      performance_insights_retention_period,
    ]
  }
}""",
        "moto's DescribeDBInstances does not return PerformanceInsightsEnabled (reads back false): every plan "
        "would update the instance (and RDS modify waits make a re-apply take minutes)",
    ),
    (
        "modules/eks/moto_override.tf",
        """resource "aws_db_parameter_group" "mlflow" {
  lifecycle {
    ignore_changes = [parameter]
  }
}""",
        "moto's DescribeDBParameters omits each parameter's Source, so the provider reads no user-set parameter "
        "back and every plan re-adds rds.force_ssl, log_statement and log_min_duration_statement",
    ),
    (
        "modules/eks/moto_override.tf",
        """resource "aws_s3_bucket_notification" "artifacts" {
  lifecycle {
    ignore_changes = [eventbridge]
  }
}""",
        "moto's GetBucketNotificationConfiguration does not return EventBridgeConfiguration (reads back "
        "eventbridge = false): every plan would update the notification",
    ),
)


def provider_override(endpoint: str) -> str:
    """environments/aws/dev/override.tf: the provider pointed at moto with test credentials."""
    endpoints = "\n".join(f'    {service:<14} = "{endpoint}"' for service in ENDPOINT_SERVICES)
    return f"""# Test only: the AWS provider against moto on {endpoint}.
provider "aws" {{
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true

  endpoints {{
{endpoints}
  }}
}}
"""


def skip_reason() -> str | None:
    """Why the Terraform layer cannot run on this machine, or None."""
    if shutil.which("terraform") is None:
        return "terraform CLI not on PATH (TESTING.md: /usr/local/bin/terraform 1.11.4)"
    if not TF_PLUGIN_MIRROR.is_dir():
        return f"offline provider mirror {TF_PLUGIN_MIRROR} missing (hashicorp/aws 5.100.0): cannot init offline"
    cli_config = os.environ.get("TF_CLI_CONFIG_FILE", "")
    if not cli_config or not Path(cli_config).is_file():
        return "TF_CLI_CONFIG_FILE does not point at the mirror config (make setup writes .venv/terraform.rc)"
    if not (Path(sys.executable).parent / "moto_server").exists():
        return "moto_server not installed in the venv (moto[server])"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Moto:
    """moto_server on 127.0.0.1, with IAM enforcement switchable at run time."""

    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    # Extra environment of the server (moto settings such as MOTO_ACM_VALIDATION_WAIT).
    env: dict = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Moto:
        env = {**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true", **self.env}
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=1).close()
                return self
            except (urllib.error.URLError, ConnectionError):
                if self.process.poll() is not None:
                    break
                time.sleep(0.2)
        raise RuntimeError(f"moto_server did not start; log:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if getattr(self, "_log", None):
            self._log.close()

    def enforce_iam(self, on: bool) -> None:
        """moto checks SigV4 signatures and identity policies from the next request on (on), or never (off).

        POST /moto-api/reset-auth sets INITIAL_NO_AUTH_ACTION_COUNT: 0 = from now, inf = off.
        """
        request = urllib.request.Request(
            f"{self.endpoint}/moto-api/reset-auth",
            data=b"0" if on else b"inf",
            method="POST",
            headers={"Content-Type": "text/plain"},  # a form body would be parsed away
        )
        urllib.request.urlopen(request, timeout=10).close()


def terraform_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_VAR_"))}
    env.update(TF_IN_AUTOMATION="1", TF_INPUT="0", CHECKPOINT_DISABLE="1")
    return env


def terraform(root: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["terraform", *args],
        cwd=root,
        env=terraform_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def copy_tree(dest: Path) -> Path:
    """A copy of terraform/ without caches, state or lock files."""
    shutil.copytree(
        TERRAFORM_TREE,
        dest,
        ignore=shutil.ignore_patterns(
            ".terraform", "*.tfstate*", ".terraform.lock.hcl", "*_override.tf", "override.tf"
        ),
    )
    return dest


def prepare_moto_copy(dest: Path, endpoint: str) -> Path:
    """Copy terraform/, delete the dev root's backend.tf, write the override files; returns the dev root."""
    copy_tree(dest)
    root = dest / DEV_ROOT
    (root / "backend.tf").unlink()
    (root / "override.tf").write_text(provider_override(endpoint))
    by_file: dict = {}
    for path, hcl, reason in EMULATOR_OVERRIDES:
        by_file.setdefault(path, []).append(f"# {reason}\n{hcl}\n")
    for path, blocks in by_file.items():
        (dest / path).write_text(
            "# Test only: moto artifacts (tests/integration/terraform_harness.py).\n\n" + "\n".join(blocks)
        )
    return root


def state_resources(root: Path) -> list:
    proc = terraform(root, "state", "list")
    if proc.returncode != 0:
        if "No state file was found" in proc.stderr:
            return []
        raise RuntimeError(proc.stderr)
    return [line for line in proc.stdout.splitlines() if line.strip()]


def outputs(root: Path) -> dict:
    proc = terraform(root, "output", "-json")
    assert proc.returncode == 0, proc.stderr
    return {name: out["value"] for name, out in json.loads(proc.stdout).items()}

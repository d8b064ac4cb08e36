"""The ingress certificate of the AWS cloud layer for real (terraform/modules/eks/certificate.tf).

The real dev root (environments/aws/dev, through the harness's temp copy), the real hashicorp/aws
provider and moto on 127.0.0.1, one moto server for the module. moto issues a DNS-validated ACM
certificate MOTO_ACM_VALIDATION_WAIT seconds after the request (moto.settings.ACM_VALIDATION_WAIT,
default 60); the server here waits 1 s.

Only the certificate's part of the root is applied: ``-target`` on aws_acm_certificate_validation
takes the certificate, its Route53 validation records, the validation and the zone they read. The
rest of the root (EKS, RDS: ~2 min against moto) is what test_terraform_aws.py applies. The plan
of "nothing requested" and the destroy run on the whole root. Most of the runtime is the provider's
Route53 change waiter (a fixed 15 s delay after each record change, on apply and on destroy).
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from ansible_collections.mlops.platform.plugins.module_utils.terraform import CONTRACT_OUTPUTS, outputs_to_infra

from . import terraform_harness as tfh

pytestmark = pytest.mark.slow

SKIP = tfh.skip_reason()
ZONE = "dev.example.com"
DOMAINS = ["*.dev.example.com", "dev.example.com", "*.models.dev.example.com"]
# A wildcard and its apex share one validation record: two records for three names.
VALIDATION_KEYS = {"dev.example.com", "models.dev.example.com"}
TARGET = "-target=module.platform.aws_acm_certificate_validation.this"
CERTIFICATE_TYPES = {"aws_acm_certificate", "aws_acm_certificate_validation", "aws_route53_record"}


class Root:
    """moto (ACM validation wait 1 s) + the dev root's temp copy, initialised, + a public hosted zone."""

    def __init__(self, base: Path, moto: tfh.Moto):
        self.moto = moto
        self.root = tfh.prepare_moto_copy(base / "terraform", moto.endpoint)
        init = tfh.terraform(self.root, "init", "-backend=false", "-input=false", "-no-color")
        assert init.returncode == 0, init.stdout + init.stderr
        self.zone_id = self._public_zone(ZONE)

    def client(self, service: str):
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.moto.endpoint,
            region_name=tfh.REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def _public_zone(self, name: str) -> str:
        """A public zone whose id has the real shape: moto draws 22 characters of [A-Z0-9], real ids
        (and the module's certificate_zone_id validation) start with Z; zones that don't are deleted."""
        route53 = self.client("route53")
        for attempt in range(1000):
            zone = route53.create_hosted_zone(Name=name, CallerReference=f"acm-test-{attempt}")["HostedZone"]
            zone_id = zone["Id"].rsplit("/", 1)[-1]
            if zone_id.startswith("Z"):
                return zone_id
            route53.delete_hosted_zone(Id=zone_id)
        raise AssertionError("moto drew no hosted zone id starting with Z in 1000 attempts")

    def variables(self, domains: tuple | list | None = None, zone_id: str | None = None) -> list[str]:
        args = [f"-var={name}=false" for name in tfh.UNIMPLEMENTED_APIS]
        args += [f"-var=certificate_domains={json.dumps(list(DOMAINS if domains is None else domains))}"]
        args += [f"-var=certificate_zone_id={self.zone_id if zone_id is None else zone_id}"]
        return args

    def terraform(self, *args: str) -> subprocess.CompletedProcess:
        return tfh.terraform(self.root, *args, "-input=false", "-no-color")

    def records(self) -> dict:
        """(name, type) -> values of the zone's record sets."""
        sets = self.client("route53").list_resource_record_sets(HostedZoneId=self.zone_id)["ResourceRecordSets"]
        return {(s["Name"], s["Type"]): sorted(r["Value"] for r in s.get("ResourceRecords", [])) for s in sets}


def one_line(text: str) -> str:
    """Terraform's diagnostics, boxes and line wraps removed."""
    return " ".join(text.replace("│", " ").replace("╷", " ").replace("╵", " ").split())


@pytest.fixture(scope="module")
def tf(tmp_path_factory, request):
    if SKIP:
        pytest.skip(SKIP)
    pytest.importorskip("boto3")
    base = tmp_path_factory.mktemp("tf-acm")
    # moto issues DNS-validated certificates after 1 s instead of 60 (moto.settings.ACM_VALIDATION_WAIT).
    moto = tfh.Moto(base / "moto.log", env={"MOTO_ACM_VALIDATION_WAIT": "1"}).start()
    failed_before = request.session.testsfailed
    try:
        yield Root(base, moto)
    finally:
        moto.stop()
        if request.session.testsfailed != failed_before:
            print(f"moto log and the root's copy kept in {base}")


# ------------------------------------------------------------------------------ bad input
def test_bad_names_fail_at_plan_naming_the_variables(tf):
    """Every failing validation is reported by one plan: both variables, with the names that are wrong."""
    domains = ["*.dev.example.com", "Dev.Example.com", "a.*.example.com"]
    plan = tf.terraform("plan", TARGET, *tf.variables(domains, "/hostedzone/Z0123"))
    assert plan.returncode == 1, plan.stdout[-3000:] + plan.stderr
    error = one_line(plan.stderr)
    assert (
        "certificate_domains: set lowercase DNS names (labels of letters, digits and '-', at least two labels, at most "
        '253 characters), with a wildcard only as the whole first label (e.g. "*.dev.example.com"); not valid: '
        '"Dev.Example.com", "a.*.example.com".'
    ) in error, error
    assert "certificate_zone_id: set the id of a Route53 hosted zone" in error, error
    assert "Creating..." not in plan.stdout and tfh.state_resources(tf.root) == []


def test_names_outside_the_zone_fail_at_plan(tf):
    """The precondition on the certificate: its names must lie in the zone its records go to."""
    plan = tf.terraform("plan", TARGET, *tf.variables(["*.dev.example.com", "*.dev.example.org"]))
    assert plan.returncode == 1, plan.stdout[-3000:] + plan.stderr
    error = one_line(plan.stderr)
    assert "Resource precondition failed" in error, error
    assert (
        "certificate_domains: every name must lie in the hosted zone certificate_zone_id (dev.example.com), where "
        "the validation records are written; outside it: *.dev.example.org."
    ) in error, error
    assert tfh.state_resources(tf.root) == []


# ------------------------------------------------------------------------- not requested
def test_without_zone_id_nothing_is_requested(tf, tmp_path):
    """The whole root's plan: no certificate resource, certificate_arn null (known), and a warning."""
    plan_file = tmp_path / "plan.out"
    plan = tf.terraform("plan", f"-out={plan_file}", *tf.variables(DOMAINS, ""))
    assert plan.returncode == 0, plan.stdout[-3000:] + plan.stderr
    shown = tfh.terraform(tf.root, "show", "-json", str(plan_file))
    assert shown.returncode == 0, shown.stderr
    planned = json.loads(shown.stdout)
    types = {change["type"] for change in planned["resource_changes"]}
    assert "aws_eks_cluster" in types, "the whole root was planned"
    assert not types & CERTIFICATE_TYPES, sorted(types & CERTIFICATE_TYPES)
    output = planned["output_changes"]["certificate_arn"]
    assert output["after"] is None and output["after_unknown"] is False, output
    # The check block says why (a warning, not an error).
    assert "certificate_domains and certificate_zone_id: set both" in one_line(plan.stdout + plan.stderr)
    # Terraform stores no null output; platform_infra still has the key (CONTRACT_OUTPUTS).
    assert "certificate_arn" in CONTRACT_OUTPUTS
    assert outputs_to_infra({})["certificate_arn"] is None


# ------------------------------------------------------------------------------- requested
@pytest.fixture(scope="module")
def issued(tf):
    start = time.monotonic()
    apply = tf.terraform("apply", "-auto-approve", TARGET, *tf.variables())
    assert apply.returncode == 0, apply.stdout[-6000:] + apply.stderr + f"\nmoto log: {tf.moto.log_path}"
    print(f"targeted apply: {time.monotonic() - start:.1f} s")
    (certificate,) = tf.client("acm").list_certificates()["CertificateSummaryList"]
    return certificate["CertificateArn"]


def test_certificate_is_issued_for_every_name(tf, issued):
    certificate = tf.client("acm").describe_certificate(CertificateArn=issued)["Certificate"]
    assert certificate["DomainName"] == DOMAINS[0]
    assert sorted(certificate["SubjectAlternativeNames"]) == sorted(DOMAINS)
    assert certificate["Status"] == "ISSUED"
    assert certificate["Type"] == "AMAZON_ISSUED"
    assert {o["ValidationMethod"] for o in certificate["DomainValidationOptions"]} == {"DNS"}
    tags = {t["Key"]: t["Value"] for t in tf.client("acm").list_tags_for_certificate(CertificateArn=issued)["Tags"]}
    assert tags["Name"] == "mlops-dev-ingress"
    assert tags["platform.mlops/cluster"] == "mlops-dev"


def test_validation_records_are_in_the_zone(tf, issued):
    options = tf.client("acm").describe_certificate(CertificateArn=issued)["Certificate"]["DomainValidationOptions"]
    wanted = {
        (o["ResourceRecord"]["Name"], o["ResourceRecord"]["Type"]): [o["ResourceRecord"]["Value"]] for o in options
    }
    assert len(options) == len(DOMAINS) and len(wanted) == len(VALIDATION_KEYS), "wildcard and apex share a record"
    records = tf.records()
    for key, value in wanted.items():
        assert records.get(key) == value, f"{key}: {records.get(key)} != {value}"
    managed = [r for r in tfh.state_resources(tf.root) if ".aws_route53_record.certificate_validation[" in r]
    assert sorted(managed) == sorted(
        f'module.platform.aws_route53_record.certificate_validation["{key}"]' for key in VALIDATION_KEYS
    )


def test_output_is_the_validated_certificate(tf, issued):
    outputs = tfh.outputs(tf.root)
    assert outputs["certificate_arn"] == issued
    # As the infrastructure role reads it (the terraform_outputs filter): platform_infra.certificate_arn.
    raw = json.loads(tfh.terraform(tf.root, "output", "-json").stdout)
    assert outputs_to_infra(raw)["certificate_arn"] == issued


def test_second_plan_is_empty(tf, issued):
    plan = tf.terraform("plan", "-detailed-exitcode", TARGET, *tf.variables())
    assert plan.returncode == 0, plan.stdout[-6000:] + plan.stderr
    assert "No changes." in plan.stdout


def test_destroy_removes_the_certificate_and_its_records(tf, issued):
    destroy = tf.terraform("destroy", "-auto-approve", *tf.variables())
    assert destroy.returncode == 0, destroy.stdout[-6000:] + destroy.stderr
    assert tfh.state_resources(tf.root) == []
    assert tf.client("acm").list_certificates()["CertificateSummaryList"] == []
    assert {kind for _name, kind in tf.records()} == {"NS", "SOA"}

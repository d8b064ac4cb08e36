"""The AWS cloud layer for real: the real roots, the real hashicorp/aws provider, moto on 127.0.0.1.

(a) `terraform fmt -check` of the real tree; `init -backend=false` + `validate` of every AWS root;
(b) apply of environments/aws/dev THROUGH playbooks/infrastructure.yml (platform_mode=apply), and no
    output or secret value in the run's output; (c) a second run changes nothing and
    `terraform plan -detailed-exitcode` is 0; (d) site.yml renders from the REAL outputs (render mode
    plans the state and takes platform_infra from it); (e) the identity matrix: each service account's
    role, assumed by web identity, does what its workload needs and nothing else, with moto enforcing
    IAM (what it enforces is printed); a removed grant is detected; (f) destroy through
    playbooks/destroy.yml: refused without the confirmation, and for a prod inventory without
    teardown_allow_prod, before any change; the dev root runs with force_destroy = false (a test-only
    override, as in prod) and the versioned artifact bucket holds objects, older versions and delete
    markers, so only the teardown's purge can empty it: without the purge the run is refused before any
    change, --check changes nothing, a load balancer left in the VPC stops the run before terraform destroy, and
    the destroy empties the bucket and ends with an empty state.

The figures (resources, apply/plan/destroy times) and the identity matrix are printed at the end of
the module and written to <pytest tmp>/terraform-aws-report.txt.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from . import terraform_harness as tfh
from .conftest import REPO, PlaybookRun, run_playbook, run_site

pytestmark = pytest.mark.slow

SKIP = tfh.skip_reason()
INVENTORY = REPO / "inventories" / "aws-dev"
# The cluster folder under the build dir: the inventory's platform_cluster_name.
CLUSTER_DIR = "mlops-dev"

# What moto 5.2.5 enforces once IAM enforcement is on (POST /moto-api/reset-auth with 0; see
# moto/core/authorization.py and moto/iam/access_control.py). Printed with the matrix.
MOTO_IAM_ENFORCEMENT = """\
moto 5.2.5 IAM enforcement (switched on per test with POST /moto-api/reset-auth = INITIAL_NO_AUTH_ACTION_COUNT 0):
  ENFORCED  SigV4 signature and the session token of the assumed-role credentials
  ENFORCED  the role's identity policies (inline + attached), Action and Resource, explicit Deny
  ENFORCED  Resource for S3 (bucket / bucket/key ARN) and SQS (queue ARN): prefix- and queue-scoped grants count
  NOT       Resource for Secrets Manager, SSM, EC2, ELBv2, KMS: moto authorizes them against Resource '*', so a
            grant scoped to one secret is DENIED by moto -> those rows are decided by moto's own policy engine
            (moto.iam.access_control.IAMPolicy) on the role's policies with the real resource ARN ("engine")
  NOT       Conditions: only StringEquals is implemented and identity-policy calls carry no context keys, so every
            Condition passes (kms:ViaService, s3:prefix, aws:RequestedRegion, aws:ResourceTag are NOT tested)
  ARTIFACT  moto evaluates the BUCKET policy on every object request (even with enforcement off) but not its
            Conditions (Bool is not implemented, so it passes): the TLS-only statement (Deny s3:* when
            aws:SecureTransport is false) denies every object request. The matrix runs with the bucket policy
            lifted and puts it back afterwards; the TLS-only statement is checked as data instead
  NOT       KMS key use behind SSE-KMS (S3 does not call KMS as the caller), KMS key policies
  NOT       AssumeRoleWithWebIdentity: any JWT-shaped token is accepted; the token, the OIDC provider and the
            trust policy (sub/aud) are not evaluated -> the trust policies are checked as data instead"""

FIGURES: dict = {}
MATRIX: list = []


def _report(config) -> None:
    lines = ["Terraform against moto (environments/aws/dev):"]
    lines += [f"  {key}: {value}" for key, value in FIGURES.items()]
    if MATRIX:
        lines.append("Identity matrix (service account -> role: proven allowed / denied):")
        width = max(len(row["sa"]) for row in MATRIX)
        for row in MATRIX:
            lines.append(f"  {row['sa']:<{width}}  {row['role']}")
            lines.append(f"  {'':<{width}}    allowed: {'; '.join(row['allowed'])}")
            lines.append(f"  {'':<{width}}    denied:  {'; '.join(row['denied'])}")
        lines.append(MOTO_IAM_ENFORCEMENT)
    overrides = [f"  {i}. {path}: {reason}" for i, (path, _hcl, reason) in enumerate(tfh.EMULATOR_OVERRIDES, 1)]
    lines += ["Test-only emulator overrides (each with its reason):", *overrides]
    lines += [f"  root variable {k} = false: {why}" for k, why in tfh.UNIMPLEMENTED_APIS.items()]
    text = "\n".join(lines)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        # Module teardown runs under output capture: write past it, so `make test` shows the figures.
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            reporter.write_sep("-", "terraform_aws report")
            reporter.write_line(text)
    return text


@pytest.fixture(scope="module", autouse=True)
def report(request, tmp_path_factory):
    yield
    if FIGURES or MATRIX:
        text = _report(request.config)
        path = tmp_path_factory.getbasetemp() / "terraform-aws-report.txt"
        path.write_text(text + "\n")


def _need_terraform():
    if SKIP:
        pytest.skip(SKIP)


# ---------------------------------------------------------------------------------------- (a)
def test_a_fmt_check_of_the_real_tree():
    _need_terraform()
    proc = subprocess.run(
        ["terraform", "fmt", "-check", "-recursive", "-diff", "-no-color", "terraform"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env=tfh.terraform_env(),
    )
    assert proc.returncode == 0, f"terraform fmt -check found unformatted files:\n{proc.stdout}{proc.stderr}"


@pytest.mark.parametrize("root", tfh.AWS_ROOTS)
def test_a_init_and_validate(tmp_path, root):
    _need_terraform()
    tree = tfh.copy_tree(tmp_path / "terraform")
    init = tfh.terraform(tree / root, "init", "-backend=false", "-input=false", "-no-color")
    assert init.returncode == 0, init.stdout + init.stderr
    validate = tfh.terraform(tree / root, "validate", "-no-color")
    assert validate.returncode == 0, validate.stdout + validate.stderr


# ---------------------------------------------------------------------------------------- fixtures
# Test only, not an emulator artifact: the dev root's buckets as in prod (force_destroy = false), so that
# terraform destroy cannot empty them and (f) proves the teardown's purge does (a Terraform override file
# may set a module block's arguments: https://developer.hashicorp.com/terraform/language/files/override).
FORCE_DESTROY_OFF = """# Test only (tests/integration/test_terraform_aws.py): only the teardown purges the buckets.
module "platform" {
  force_destroy = false
}
"""


def playbook(playbook_path: str, build: Path, *extra: str) -> PlaybookRun:
    return run_playbook([playbook_path, "-i", str(INVENTORY), *extra], build)


class Platform:
    """moto + the temp copy of terraform/ + the playbook runs against it."""

    def __init__(self, base: Path):
        self.base = base
        self.moto = tfh.Moto(base / "moto.log").start()
        self.root = tfh.prepare_moto_copy(base / "terraform", self.moto.endpoint)
        (self.root / "force_destroy_override.tf").write_text(FORCE_DESTROY_OFF)
        self.build = base / "build"
        self.build.mkdir()
        self.extra_vars = {
            "infrastructure_terraform_dir": str(self.root),
            "platform_build_dir": str(self.build),
            "infrastructure_terraform_vars": dict.fromkeys(tfh.UNIMPLEMENTED_APIS, False),
        }
        self.apply_run: PlaybookRun | None = None

    def infrastructure(self, mode: str = "apply", *extra: str) -> PlaybookRun:
        return playbook(
            "playbooks/infrastructure.yml",
            self.build,
            "-e",
            f"platform_mode={mode}",
            "-e",
            json.dumps(self.extra_vars),
            *extra,
        )

    def destroy(self, *extra: str) -> PlaybookRun:
        """playbooks/destroy.yml; the teardown's AWS SDK calls go to moto through the SDK's own settings."""
        args = ["playbooks/destroy.yml", "-i", str(INVENTORY), "-e", json.dumps(self.extra_vars), *extra]
        return run_playbook(args, self.build, environment=self.sdk_environment)

    @property
    def sdk_environment(self) -> dict:
        return {
            "AWS_ENDPOINT_URL": self.moto.endpoint,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": tfh.REGION,
        }

    def boto(self, service: str, credentials: dict | None = None):
        import boto3
        from botocore.config import Config

        creds = credentials or {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
        return boto3.client(
            service,
            endpoint_url=self.moto.endpoint,
            region_name=tfh.REGION,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
            **creds,
        )


@pytest.fixture(scope="module")
def platform(tmp_path_factory, request):
    _need_terraform()
    pytest.importorskip("boto3")
    base = tmp_path_factory.mktemp("tf-aws")
    env = Platform(base)
    failed_before = request.session.testsfailed
    try:
        run = env.infrastructure("apply")
        env.apply_run = run
        FIGURES["apply through playbooks/infrastructure.yml"] = f"{run.seconds:.1f} s"
        FIGURES["resources created"] = len(tfh.state_resources(env.root))
        assert run.rc == 0, f"apply failed:\n{run.output[-8000:]}\nmoto log: {env.moto.log_path}"
        yield env
    finally:
        env.moto.stop()
        if request.session.testsfailed != failed_before:
            # pytest keeps the last tmp dirs: the state, the copy and the emulator's log stay for a look.
            print(f"moto log kept at {env.moto.log_path}")


# ---------------------------------------------------------------------------------------- (b)
def _inventory_text() -> str:
    return "\n".join(p.read_text() for p in sorted((INVENTORY / "group_vars" / "all").glob("*.yml")))


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def test_b_apply_through_the_playbook_prints_no_value(platform):
    run = platform.apply_run
    assert run.changed() > 0
    assert "Apply complete! Resources:" in run.output
    outputs = tfh.outputs(platform.root)
    inventory = _inventory_text()
    leaked = [
        value for value in _strings(outputs) if len(value) >= 12 and value not in inventory and value in run.output
    ]
    assert not leaked, f"output values printed by the playbook: {leaked}"
    # The RDS-managed secret: its ARN (random suffix) and the password itself.
    secret_arn = outputs["db_secret_ref"]
    assert re.search(r":secret:rds!db-[0-9a-f-]+-\w{6}$", secret_arn), secret_arn
    assert secret_arn.rsplit("-", 1)[1] not in run.output
    login = json.loads(platform.boto("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"])
    assert set(login) >= {"username", "password"}
    assert login["password"] not in run.output


def test_b_platform_infra_is_the_terraform_outputs(platform):
    host_dir = platform.build / CLUSTER_DIR
    outputs = tfh.outputs(platform.root)
    infra = json.loads((host_dir / "infra.json").read_text())
    # No output of the AWS root is sensitive; Terraform drops null outputs, the role keeps them as null.
    assert {k: v for k, v in infra.items() if v is not None} == outputs
    assert infra["tenant_id"] is None and infra["object_store_account"] is None
    assert set(infra["identities"]) == set(tfh_service_accounts())
    kubeconfig = host_dir / "kubeconfig"
    assert kubeconfig.stat().st_mode & 0o777 == 0o600
    config = yaml.safe_load(kubeconfig.read_text())
    assert config["clusters"][0]["cluster"]["server"] == outputs["cluster_endpoint"]
    exec_auth = config["users"][0]["user"]["exec"]
    assert exec_auth["command"] == "aws"
    assert exec_auth["args"][:4] == ["eks", "get-token", "--cluster-name", outputs["cluster_name"]]
    assert exec_auth["args"][4:6] == ["--region", tfh.REGION]
    assert set(config["users"][0]["user"]) == {"exec"}  # no token, password or client key in the file


def tfh_service_accounts() -> dict:
    """The service accounts the AWS root gives an IRSA role (the platform's, as the profile passes them)."""
    from ansible_collections.mlops.platform.plugins.module_utils._cloud import get_profile

    defaults = yaml.safe_load((REPO / "roles/platform/defaults/main/platform.yml").read_text())
    accounts = defaults["platform_service_accounts"]
    return {key: accounts[key] for key in get_profile("aws").terraform_service_account_keys if key in accounts}


# ---------------------------------------------------------------------------------------- (c)
def _var_file(platform, path: Path) -> Path:
    """The variables the role passes, built by the same function (module_utils.terraform)."""
    from ansible_collections.mlops.platform.plugins.module_utils.terraform import root_variables

    group_vars = yaml.safe_load((INVENTORY / "group_vars/all/platform.yml").read_text())
    settings = {
        "cluster_name": group_vars["platform_cluster_name"],
        "environment": group_vars["platform_environment"],
        "region": group_vars["platform_region"],
        "kubernetes_version": group_vars["platform_kubernetes_version"],
        "network": group_vars["platform_network"],
        "node_pools": group_vars["platform_node_pools"],
        "service_accounts": tfh_service_accounts(),
    }
    path.write_text(json.dumps(root_variables("aws", settings, platform.extra_vars["infrastructure_terraform_vars"])))
    return path


def test_c_second_run_changes_nothing(platform, tmp_path):
    rerun = platform.infrastructure("apply")
    assert rerun.rc == 0, rerun.output[-6000:]
    assert rerun.changed() == 0, rerun.output[-6000:]
    assert "No changes." in rerun.output
    FIGURES["second run (no changes)"] = f"{rerun.seconds:.1f} s"
    start = time.monotonic()
    plan = tfh.terraform(
        platform.root,
        "plan",
        "-detailed-exitcode",
        "-input=false",
        "-no-color",
        f"-var-file={_var_file(platform, tmp_path / 'v.json')}",
    )
    FIGURES["terraform plan -detailed-exitcode"] = f"{time.monotonic() - start:.1f} s, exit {plan.returncode}"
    assert plan.returncode == 0, plan.stdout[-6000:] + plan.stderr
    assert "No changes." in plan.stdout


def test_c_check_mode_changes_nothing(platform):
    before = tfh.state_resources(platform.root)
    state = (platform.root / "terraform.tfstate").read_bytes()
    run = platform.infrastructure("apply", "--check")
    assert run.rc == 0, run.output[-6000:]
    assert run.changed() == 0, run.output[-6000:]
    assert (platform.root / "terraform.tfstate").read_bytes() == state
    assert tfh.state_resources(platform.root) == before


# ---------------------------------------------------------------------------------------- (d)
def test_d_render_from_the_real_outputs(platform, upstream, tmp_path):
    from .test_site_render import all_objects, find, mlflow_container_args

    build = tmp_path / "build"
    build.mkdir()
    extra = {**platform.extra_vars, "platform_build_dir": str(build), "infrastructure_plan_in_render": "always"}
    run = run_site(INVENTORY, build, "-e", json.dumps(extra))
    assert run.rc == 0, run.output[-8000:]
    assert "Render: terraform plan (read-only)" in run.output
    identities = tfh.outputs(platform.root)["identities"]
    bucket = tfh.outputs(platform.root)["object_store_bucket"]
    objects = all_objects(build, CLUSTER_DIR)
    sa = find(objects, "ServiceAccount", "mlflow", "mlflow")
    assert sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == identities["mlflow"]
    _deployment, args = mlflow_container_args(objects)
    assert f"--artifacts-destination=s3://{bucket}/mlflow" in args
    lbc = find(objects, "ServiceAccount", "aws-load-balancer-controller", "ingress")
    assert lbc["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == identities["aws_load_balancer_controller"]
    FIGURES["render of site.yml from the Terraform state (plan + render)"] = f"{run.seconds:.1f} s"


# ---------------------------------------------------------------------------------------- (e)
def _jwt(claims: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'kid': 'test'})}.{part(claims)}.{part({'sig': 'not-verified-by-moto'})}"


class Matrix:
    """Web-identity sessions of every role, and the calls each workload makes."""

    def __init__(self, platform):
        self.platform = platform
        self.outputs = tfh.outputs(platform.root)
        self.identities = self.outputs["identities"]
        self.bucket = self.outputs["object_store_bucket"]
        self.issuer = self.outputs["oidc_issuer_url"]
        self.accounts = tfh_service_accounts()
        admin_sqs = platform.boto("sqs")
        self.other_queue = admin_sqs.create_queue(QueueName="matrix-not-karpenters")["QueueUrl"]
        self.other_secret = platform.boto("secretsmanager").create_secret(Name="matrix-other", SecretString="x")["ARN"]
        self.sessions = {key: self.assume(key) for key in self.identities}

    def assume(self, key: str) -> dict:
        account = self.accounts[key]
        token = _jwt(
            {
                "iss": self.issuer,
                "sub": f"system:serviceaccount:{account['namespace']}:{account['name']}",
                "aud": "sts.amazonaws.com",
            }
        )
        creds = self.platform.boto("sts").assume_role_with_web_identity(
            RoleArn=self.identities[key], RoleSessionName=f"matrix-{key}", WebIdentityToken=token
        )["Credentials"]
        return {
            "aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"],
        }

    def client(self, key: str, service: str):
        return self.platform.boto(service, self.sessions[key])

    def role_policies(self, key: str) -> list:
        iam = self.platform.boto("iam")
        role = self.identities[key].rsplit("/", 1)[1]
        names = iam.list_role_policies(RoleName=role)["PolicyNames"]
        return [json.dumps(iam.get_role_policy(RoleName=role, PolicyName=n)["PolicyDocument"]) for n in names]

    def engine_allows(self, key: str, action: str, resource: str) -> bool:
        """moto's own policy engine on the role's policies, with the real resource ARN."""
        from moto.iam.access_control import IAMPolicy, PermissionResult

        results = [IAMPolicy(p).is_action_permitted(action, resource) for p in self.role_policies(key)]
        return PermissionResult.PERMITTED in results and PermissionResult.DENIED not in results


def attempt(call) -> str:
    from botocore.exceptions import ClientError

    try:
        call()
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "")
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation") or status == 403:
            return "denied"
        return f"error {code or status}: {err}"
    return "allowed"


def workload_calls(m: Matrix) -> dict:
    """key -> [(label, expected, call)]: exactly what each workload does, and one thing it must not."""
    probe = "mlflow/matrix/probe.txt"
    kms = m.outputs["kms_key_arn"]
    queue = m.outputs["karpenter_interruption_queue"]
    s3 = {key: m.client(key, "s3") for key in ("mlflow", "argo_workflows", "kserve")}

    def put(key, name):
        return lambda: s3[key].put_object(
            Bucket=m.bucket, Key=name, Body=b"probe", ServerSideEncryption="aws:kms", SSEKMSKeyId=kms
        )

    def receive(url):
        return lambda: m.client("karpenter", "sqs").receive_message(QueueUrl=url, WaitTimeSeconds=0)

    return {
        "mlflow": [
            ("s3:PutObject mlflow/* (SSE-KMS, bucket key)", "allowed", put("mlflow", probe)),
            ("s3:GetObject mlflow/*", "allowed", lambda: s3["mlflow"].get_object(Bucket=m.bucket, Key=probe)),
            (
                "s3:ListBucket prefix mlflow/",
                "allowed",
                lambda: s3["mlflow"].list_objects_v2(Bucket=m.bucket, Prefix="mlflow/"),
            ),
            ("s3:PutObject outside mlflow/", "denied", put("mlflow", "models/matrix.txt")),
        ],
        "argo_workflows": [
            ("s3:PutObject artifacts", "allowed", put("argo_workflows", "argo/matrix/out.tgz")),
            (
                "s3:GetObject artifacts",
                "allowed",
                lambda: s3["argo_workflows"].get_object(Bucket=m.bucket, Key="argo/matrix/out.tgz"),
            ),
            ("s3:ListBucket", "allowed", lambda: s3["argo_workflows"].list_objects_v2(Bucket=m.bucket)),
            (
                "s3:DeleteObject",
                "denied",
                lambda: s3["argo_workflows"].delete_object(Bucket=m.bucket, Key="argo/matrix/out.tgz"),
            ),
        ],
        "kserve": [
            ("s3:GetObject (model)", "allowed", lambda: s3["kserve"].get_object(Bucket=m.bucket, Key=probe)),
            ("s3:ListBucket", "allowed", lambda: s3["kserve"].list_objects_v2(Bucket=m.bucket)),
            ("s3:PutObject", "denied", put("kserve", "mlflow/matrix/kserve-write.txt")),
        ],
        "karpenter": [
            ("ec2:DescribeInstances", "allowed", lambda: m.client("karpenter", "ec2").describe_instances()),
            (
                "sqs:ReceiveMessage interruption queue",
                "allowed",
                receive(m.platform.boto("sqs").get_queue_url(QueueName=queue)["QueueUrl"]),
            ),
            ("sqs:ReceiveMessage another queue", "denied", receive(m.other_queue)),
            ("s3:ListAllMyBuckets", "denied", lambda: m.client("karpenter", "s3").list_buckets()),
        ],
        "aws_load_balancer_controller": [
            (
                "elasticloadbalancing:DescribeLoadBalancers",
                "allowed",
                lambda: m.client("aws_load_balancer_controller", "elbv2").describe_load_balancers(),
            ),
            (
                "ec2:DescribeInstances",
                "allowed",
                lambda: m.client("aws_load_balancer_controller", "ec2").describe_instances(),
            ),
            ("s3:ListAllMyBuckets", "denied", lambda: m.client("aws_load_balancer_controller", "s3").list_buckets()),
            ("iam:ListRoles", "denied", lambda: m.client("aws_load_balancer_controller", "iam").list_roles()),
        ],
        # The EKS add-on's controller (AmazonEBSCSIDriverPolicy attached, platform key via EC2 inline).
        "ebs_csi_driver": [
            ("ec2:DescribeVolumes", "allowed", lambda: m.client("ebs_csi_driver", "ec2").describe_volumes()),
            ("s3:ListAllMyBuckets", "denied", lambda: m.client("ebs_csi_driver", "s3").list_buckets()),
        ],
        # Secrets Manager / SSM: moto authorizes against Resource '*', see MOTO_IAM_ENFORCEMENT.
        "external_secrets": [],
    }


ENGINE_CALLS = {
    "external_secrets": [
        ("secretsmanager:GetSecretValue db_secret_ref", "allowed", "secretsmanager:GetSecretValue", "db_secret_ref"),
        ("secretsmanager:GetSecretValue another secret", "denied", "secretsmanager:GetSecretValue", "other_secret"),
        (
            "secretsmanager:GetSecretValue /<name>/alertmanager/slack",
            "allowed",
            "secretsmanager:GetSecretValue",
            "platform_secret",
        ),
        ("ssm:GetParameter /<name>/mlflow/db", "allowed", "ssm:GetParameter", "parameter"),
        ("ssm:GetParameter /other/x", "denied", "ssm:GetParameter", "other_parameter"),
    ],
}


@pytest.fixture(scope="module")
def matrix(platform):
    m = Matrix(platform)
    m.bucket_policy = platform.boto("s3").get_bucket_policy(Bucket=m.bucket)["Policy"]
    return m


def test_e_bucket_policy_is_tls_only(matrix):
    """The statement moto cannot evaluate, checked as data."""
    statements = json.loads(matrix.bucket_policy)["Statement"]
    assert any(
        st["Effect"] == "Deny"
        and st.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") in ("false", False)
        and f"arn:aws:s3:::{matrix.bucket}/*" in st["Resource"]
        for st in statements
    ), statements


# mlflow first: kserve reads the model object mlflow writes.
MATRIX_ORDER = (
    "mlflow",
    "argo_workflows",
    "kserve",
    "karpenter",
    "aws_load_balancer_controller",
    "ebs_csi_driver",
    "external_secrets",
)


def run_matrix(platform, m: Matrix, keys=MATRIX_ORDER) -> dict:
    """key -> [(label, expected, got)] with moto enforcing IAM and the bucket policy lifted (see
    MOTO_IAM_ENFORCEMENT); enforcement is off and the bucket policy back afterwards."""
    calls = workload_calls(m)
    results: dict = {}
    s3 = platform.boto("s3")
    s3.delete_bucket_policy(Bucket=m.bucket)
    try:
        platform.moto.enforce_iam(True)
        try:
            for key in keys:
                results[key] = [(label, expected, attempt(call)) for label, expected, call in calls[key]]
        finally:
            platform.moto.enforce_iam(False)
    finally:
        s3.put_bucket_policy(Bucket=m.bucket, Policy=m.bucket_policy)
    return results


def test_e_trust_policies_name_exactly_the_service_accounts(platform, matrix):
    """What moto cannot enforce (web identity), checked as data: each role trusts one SA of the cluster's OIDC."""
    iam = platform.boto("iam")
    provider = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    issuer_host = matrix.issuer.removeprefix("https://")
    for key, arn in matrix.identities.items():
        document = iam.get_role(RoleName=arn.rsplit("/", 1)[1])["Role"]["AssumeRolePolicyDocument"]
        (statement,) = document["Statement"]
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert statement["Principal"]["Federated"] in [p["Arn"] for p in provider]
        account = matrix.accounts[key]
        assert statement["Condition"]["StringEquals"] == {
            f"{issuer_host}:sub": f"system:serviceaccount:{account['namespace']}:{account['name']}",
            f"{issuer_host}:aud": "sts.amazonaws.com",
        }, key


def test_e_identity_matrix(platform, matrix):
    assert set(matrix.identities) == set(tfh_service_accounts())
    results = run_matrix(platform, matrix)
    resources = {
        "db_secret_ref": matrix.outputs["db_secret_ref"],
        "other_secret": matrix.other_secret,
        "platform_secret": (
            f"arn:aws:secretsmanager:{tfh.REGION}:123456789012:secret:/{matrix.outputs['cluster_name']}"
            "/alertmanager/slack-AbCdEf"
        ),
        "parameter": f"arn:aws:ssm:{tfh.REGION}:123456789012:parameter/{matrix.outputs['cluster_name']}/mlflow/db",
        "other_parameter": f"arn:aws:ssm:{tfh.REGION}:123456789012:parameter/other/x",
    }
    for key, calls in ENGINE_CALLS.items():
        results[key] = results.get(key, []) + [
            (
                f"{label} [engine]",
                expected,
                "allowed" if matrix.engine_allows(key, action, resources[res]) else "denied",
            )
            for label, expected, action, res in calls
        ]
    # The External Secrets read itself, with its own session (enforcement off: see MOTO_IAM_ENFORCEMENT).
    login = json.loads(
        matrix.client("external_secrets", "secretsmanager").get_secret_value(SecretId=resources["db_secret_ref"])[
            "SecretString"
        ]
    )
    assert set(login) >= {"username", "password"}
    MATRIX.clear()
    problems = []
    for key in sorted(results):
        rows = results[key]
        MATRIX.append(
            {
                "sa": f"{matrix.accounts[key]['namespace']}/{matrix.accounts[key]['name']} ({key})",
                "role": matrix.identities[key].rsplit("/", 1)[1],
                "allowed": [label for label, _e, got in rows if got == "allowed"],
                "denied": [label for label, _e, got in rows if got == "denied"],
            }
        )
        problems += [
            f"{key}: {label}: expected {expected}, got {got}" for label, expected, got in rows if got != expected
        ]
    assert not problems, "\n".join(problems)


def test_e_a_removed_grant_is_detected(platform, matrix):
    """The matrix can fail: without s3:PutObject in mlflow's policy, mlflow's write is denied."""
    iam = platform.boto("iam")
    role = matrix.identities["mlflow"].rsplit("/", 1)[1]
    (name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    original = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
    broken = copy.deepcopy(original)
    for statement in broken["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        statement["Action"] = [a for a in actions if a != "s3:PutObject"] or ["s3:GetObject"]
    iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(broken))
    try:
        rows = {label: got for label, _e, got in run_matrix(platform, matrix, ["mlflow"])["mlflow"]}
    finally:
        iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(original))
    assert rows["s3:PutObject mlflow/* (SSE-KMS, bucket key)"] == "denied", rows
    assert rows["s3:GetObject mlflow/*"] == "allowed", rows


# ---------------------------------------------------------------------------------------- (e2) drift
def drift(platform, *extra: str, root: Path = REPO) -> PlaybookRun:
    """playbooks/drift.yml, Terraform half only, against the applied dev root."""
    args = ["playbooks/drift.yml", "-i", str(INVENTORY), "-e", json.dumps(platform.extra_vars)]
    return run_playbook([*args, "-e", "drift_scope=infrastructure", *extra], platform.build, root=root)


def _addresses_of(platform, kind: str, **values) -> list:
    """The state addresses of the resources of type ``kind`` whose attributes include ``values``."""
    state = json.loads(tfh.terraform(platform.root, "show", "-json").stdout)["values"]["root_module"]
    modules, found = [state], []
    while modules:
        module = modules.pop()
        modules += module.get("child_modules", [])
        found += [
            r["address"]
            for r in module.get("resources", [])
            if r["type"] == kind and all(r["values"].get(k) == v for k, v in values.items())
        ]
    return found


def test_e2_no_drift_after_apply(platform):
    run = drift(platform)
    FIGURES["drift.yml, no drift (plan -detailed-exitcode 0)"] = f"{run.seconds:.1f} s, rc {run.rc}"
    assert run.rc == 0, run.output[-6000:]
    assert "Terraform: no drift in" in run.output and "Result: no drift" in run.output, run.output[-3000:]


def test_e2_a_tag_changed_out_of_band_is_drift(platform, tmp_path):
    """A tag put on the artifact bucket with boto3: drift.yml fails naming the bucket's address, and prints no
    value; with the detailed exit code removed from the role (a planted defect) the drift would go unseen."""
    from .conftest import mutated_collection

    s3 = platform.boto("s3")
    bucket = tfh.outputs(platform.root)["object_store_bucket"]
    (address,) = _addresses_of(platform, "aws_s3_bucket", bucket=bucket)
    original = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    marker = "changed-out-of-band-7f3a"
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [*original, {"Key": "drift-test", "Value": marker}]})
    try:
        run = drift(platform)
        mutant = mutated_collection(
            tmp_path, "roles/infrastructure/tasks/drift.yml", "          - -detailed-exitcode\n", ""
        )
        missed = drift(platform, root=mutant)
    finally:
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": original})
    FIGURES["drift.yml, a tag changed with boto3 (plan -detailed-exitcode 2)"] = f"{run.seconds:.1f} s, rc {run.rc}"
    assert run.rc != 0, run.output[-6000:]
    assert "Terraform: DRIFT in" in run.output and "Result: DRIFT" in run.output, run.output[-4000:]
    assert f"changed outside Terraform: {address} (update)" in run.output, run.output[-4000:]
    assert f"plan would update: {address}" in run.output, run.output[-4000:]
    assert marker not in run.output  # no value printed, not even the tag
    # The planted defect: without -detailed-exitcode the plan exits 0 and the drift goes unseen.
    assert missed.rc == 0 and "Result: no drift" in missed.output, missed.output[-4000:]
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == original  # restored for the later tests


# ---------------------------------------------------------------------------------------- (f)
def test_f_destroy_needs_the_confirmation(platform):
    before = tfh.state_resources(platform.root)
    run = platform.destroy()
    assert run.rc != 0
    assert "Refusing to destroy" in run.output and "infrastructure_destroy_confirm=mlops-dev" in run.output
    assert "TASK [mlops.platform.infrastructure : Infrastructure | Terraform with" not in run.output
    assert tfh.state_resources(platform.root) == before
    wrong = platform.destroy("-e", "infrastructure_destroy_confirm=mlops-prod")
    assert wrong.rc != 0 and "Refusing to destroy" in wrong.output


def test_f_prod_is_refused_without_teardown_allow_prod(platform):
    """The same inventory as prod: refused after the confirmation, before the teardown or Terraform runs."""
    before = tfh.state_resources(platform.root)
    run = platform.destroy("-e", "infrastructure_destroy_confirm=mlops-dev", "-e", "platform_environment=prod")
    assert run.rc != 0
    assert "platform_environment is prod" in run.output and "-e teardown_allow_prod=true" in run.output
    assert "Teardown | Look for what would stop terraform destroy" not in run.output
    assert tfh.state_resources(platform.root) == before


# Put by the test into the artifact bucket (versioned): (key, versions written, delete markers after them).
ARTIFACTS = (
    ("mlflow/1/abc/artifacts/model.pkl", 3, 0),
    ("mlflow/1/abc/artifacts/MLmodel", 2, 1),
    ("argo/pipeline-7/train.tgz", 1, 2),
)


def _versions(s3, bucket: str) -> tuple:
    pages = list(s3.get_paginator("list_object_versions").paginate(Bucket=bucket))
    return (
        sum(len(p.get("Versions") or []) for p in pages),
        sum(len(p.get("DeleteMarkers") or []) for p in pages),
    )


@pytest.fixture(scope="module")
def filled_buckets(platform):
    """Objects, older versions and delete markers in the artifact bucket, one object in the log bucket.

    The buckets' TLS-only policies are lifted while the test writes (moto evaluates a bucket policy on object
    requests without its Condition: see MOTO_IAM_ENFORCEMENT) and put back for the refused and --check runs."""
    s3 = platform.boto("s3")
    outputs = tfh.outputs(platform.root)
    buckets = {"artifacts": outputs["object_store_bucket"]}
    (logs,) = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith("mlops-dev-logs-")]
    buckets["logs"] = logs
    policies = {name: s3.get_bucket_policy(Bucket=name)["Policy"] for name in buckets.values()}
    for name in policies:
        s3.delete_bucket_policy(Bucket=name)
    try:
        for key, versions, markers in ARTIFACTS:
            for n in range(versions):
                s3.put_object(Bucket=buckets["artifacts"], Key=key, Body=f"version {n}".encode())
            for _marker in range(markers):
                s3.delete_object(Bucket=buckets["artifacts"], Key=key)
        s3.put_object(Bucket=logs, Key="s3-access/2026-12-04-00-00-00-ABCDEF", Body=b"log line")
    finally:
        for name, policy in policies.items():
            s3.put_bucket_policy(Bucket=name, Policy=policy)
    return buckets


def test_f_only_the_purge_can_empty_the_bucket(platform, filled_buckets):
    """force_destroy is off in the state, and S3 refuses to delete the non-empty bucket (Terraform's call)."""
    from botocore.exceptions import ClientError

    show = json.loads(tfh.terraform(platform.root, "show", "-json").stdout)
    modules = show["values"]["root_module"]["child_modules"]
    flags = {
        r["values"]["bucket"]: r["values"]["force_destroy"]
        for m in modules
        for r in m["resources"]
        if r["type"] == "aws_s3_bucket"
    }
    assert flags == dict.fromkeys(filled_buckets.values(), False), flags
    s3 = platform.boto("s3")
    versions, markers = _versions(s3, filled_buckets["artifacts"])
    assert versions >= sum(v for _k, v, _m in ARTIFACTS) and markers == sum(m for _k, _v, m in ARTIFACTS)
    with pytest.raises(ClientError, match="BucketNotEmpty"):
        s3.delete_bucket(Bucket=filled_buckets["artifacts"])


def test_f_without_the_purge_the_destroy_is_refused_before_any_change(platform, filled_buckets):
    """The planted defect (no purge): the run stops on the bucket terraform destroy could not delete, first."""
    before = tfh.state_resources(platform.root)
    s3 = platform.boto("s3")
    held = _versions(s3, filled_buckets["artifacts"])
    run = platform.destroy(
        "-e", "infrastructure_destroy_confirm=mlops-dev", "-e", "teardown_cluster_cleanup=false",
        "-e", "teardown_purge_object_store=false",
    )  # fmt: skip
    assert run.rc != 0
    words = " ".join(run.output.split())
    assert f"s3://{filled_buckets['artifacts']} holds {held[0]} object versions and {held[1]} delete" in words
    assert "BucketNotEmpty" in words and "-e teardown_purge_object_store=true" in words
    assert tfh.state_resources(platform.root) == before
    assert _versions(s3, filled_buckets["artifacts"]) == held


def test_f_check_mode_changes_nothing(platform, filled_buckets):
    before = tfh.state_resources(platform.root)
    s3 = platform.boto("s3")
    held = _versions(s3, filled_buckets["artifacts"])
    run = platform.destroy(
        "-e", "infrastructure_destroy_confirm=mlops-dev", "-e", "teardown_cluster_cleanup=false", "--check"
    )
    FIGURES["destroy.yml --check (teardown report + terraform plan -destroy)"] = f"{run.seconds:.1f} s"
    assert run.rc == 0, run.output[-6000:]
    words = " ".join(run.output.split())
    assert f"s3://{filled_buckets['artifacts']}: would delete {held[0]} object versions and {held[1]}" in words
    assert "Terraform plan (check mode) of the destroy" in run.output
    assert tfh.state_resources(platform.root) == before
    assert _versions(s3, filled_buckets["artifacts"]) == held


def _controller_leftovers(platform) -> tuple:
    """A load balancer and its security group in the VPC, as the AWS Load Balancer Controller makes them for an
    Ingress (and leaves them when the cluster goes first): (delete function, their names)."""
    ec2, elbv2 = platform.boto("ec2"), platform.boto("elbv2")
    vpc = tfh.outputs(platform.root)["network_id"]
    by_zone = {
        s["AvailabilityZone"]: s["SubnetId"]
        for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    }
    subnets = sorted(by_zone.values())
    group = ec2.create_security_group(GroupName="k8s-mlflow-mlflow-1a2b3c", Description="[k8s] mlflow", VpcId=vpc)
    balancer = elbv2.create_load_balancer(
        Name="k8s-mlflow-mlflow-1a2b3c",
        Subnets=subnets[:2],
        SecurityGroups=[group["GroupId"]],
        Scheme="internet-facing",
    )["LoadBalancers"][0]

    def delete():
        elbv2.delete_load_balancer(LoadBalancerArn=balancer["LoadBalancerArn"])
        ec2.delete_security_group(GroupId=group["GroupId"])

    return delete, (f"load balancer {balancer['LoadBalancerName']}", f"security group {group['GroupId']}")


def test_f_destroy_through_the_playbook(platform, filled_buckets):
    """The cluster part cannot run here (moto has no Kubernetes API: the kubeconfig's server is moto's invented
    EKS endpoint); tests/integration/test_teardown.py runs it to the cluster boundary. A load balancer and security
    group the cluster left in the VPC stop the first run after the purge, before terraform destroy; the second,
    once they are gone, destroys."""
    s3 = platform.boto("s3")
    held = _versions(s3, filled_buckets["artifacts"])
    delete_leftovers, leftovers = _controller_leftovers(platform)
    before = tfh.state_resources(platform.root)
    # Emulator artifact: moto 5.2.5 evaluates the bucket policy for each key of a DeleteObjects request too
    # (moto/s3/responses.py, _bucket_response_delete_keys), without the policy's Condition, so the TLS-only
    # statement denies every delete (AccessDenied); on S3 the purge's HTTPS requests pass it. Lifted for the run
    # (Terraform's refresh then finds the policies gone and drops them from the state).
    for bucket in filled_buckets.values():
        s3.delete_bucket_policy(Bucket=bucket)
    args = ("-e", "infrastructure_destroy_confirm=mlops-dev", "-e", "teardown_cluster_cleanup=false")
    stopped = platform.destroy(*args)
    stopped_words = " ".join(stopped.output.split())
    assert stopped.rc != 0 and "DependencyViolation" in stopped_words, stopped.output[-4000:]
    assert all(name in stopped_words for name in leftovers), stopped.output[-4000:]
    assert tfh.state_resources(platform.root) == before and _versions(s3, filled_buckets["artifacts"]) == (0, 0)
    delete_leftovers()
    run = platform.destroy(*args)
    FIGURES["destroy through playbooks/destroy.yml"] = f"{run.seconds:.1f} s"
    FIGURES["purged from the artifact bucket before terraform destroy"] = (
        f"{held[0]} object versions, {held[1]} delete markers (force_destroy = false)"
    )
    assert run.rc == 0, run.output[-8000:]
    words = " ".join(run.output.split())  # the report's lines are wrapped
    assert (
        f"s3://{filled_buckets['artifacts']}: deleted {held[0]} object versions and {held[1]} delete" in stopped_words
    )
    assert f"s3://{filled_buckets['artifacts']}: deleted 0 object versions and 0 delete" in words
    # The log bucket holds the test's object and moto's server access logs of the artifact bucket's requests.
    assert re.search(rf"s3://{filled_buckets['logs']}: deleted \d+ object versions", stopped_words)
    assert f"server access logging of s3://{filled_buckets['artifacts']} into s3://{filled_buckets['logs']}" in (
        stopped_words
    )
    assert "no load balancer or security group outside the state in vpc-" in words
    assert "In-cluster cleanup skipped (teardown_cluster_cleanup=false)" in run.output
    assert "Destroy complete!" in run.output, run.output[-3000:]
    assert tfh.state_resources(platform.root) == []
    assert not {b["Name"] for b in s3.list_buckets()["Buckets"]} & set(filled_buckets.values())
    assert not (platform.build / CLUSTER_DIR / "kubeconfig").exists()
    assert not (platform.build / CLUSTER_DIR / "infra.json").exists()

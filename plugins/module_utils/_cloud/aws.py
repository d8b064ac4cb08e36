# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS profile: EKS managed node groups, IRSA, S3, AWS Load Balancer Controller (ALB)."""

from __future__ import annotations

import re

from ansible_collections.mlops.platform.plugins.module_utils._cloud.base import CloudProfile, register, show

# NVIDIA GPU families (AMD g4ad and Inferentia/Trainium are not: the platform schedules on nvidia.com/gpu).
GPU_FAMILIES = ("g4dn", "g5", "g5g", "g6", "g6e", "g6f", "gr6", "p3", "p3dn", "p4d", "p4de", "p5", "p5e", "p5en")

# Ref https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IPV4_RE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


@register
class AwsProfile(CloudProfile):
    """Amazon EKS."""

    name = "aws"
    title = "AWS"
    ingress_controller = "aws_load_balancer_controller"
    ingress_class = "alb"

    instance_type_noun = "an EC2 instance type"
    instance_type_format = "<family>.<size>"
    instance_type_example = "t3.large"
    gpu_instance_type_example = "g4dn.xlarge"
    gpu_families_text = ", ".join(GPU_FAMILIES)

    region_noun = "an AWS region"
    region_format = "<area>-<direction>-<n>"
    region_example = "eu-west-1"

    identity_noun = "an IAM role ARN"
    identity_format = "arn:aws:iam::<12-digit account id>:role/<name>"
    identity_example = "arn:aws:iam::123456789012:role/mlops-dev-mlflow"

    _instance_type_re = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
    _region_re = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
    # Partitions aws, aws-cn, aws-us-gov, aws-iso(-b|-e|-f), ...; role path segments then the name.
    _identity_re = re.compile(r"^arn:aws(-[a-z]+)*:iam::\d{12}:role/([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$")

    def is_gpu_instance_type(self, value) -> bool:
        return self.is_instance_type(value) and value.split(".", 1)[0] in GPU_FAMILIES

    def _workload_identity(self, identity: str) -> dict:
        # IRSA: the EKS pod identity webhook reads the role from the service account.
        return {
            "service_account_annotations": {"eks.amazonaws.com/role-arn": identity},
            "service_account_labels": {},
            "pod_labels": {},
        }

    def object_store_problems(
        self, bucket, account=None, bucket_var: str = "bucket", account_var: str = "account"
    ) -> list:
        problems = []
        if account not in (None, ""):
            problems.append(
                f"{account_var}: {show(account)} is set, but an S3 bucket has no storage account; leave it null on aws"
            )
        if not isinstance(bucket, str) or not _BUCKET_RE.match(bucket):
            reason = "3-63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit"
        elif ".." in bucket:
            reason = "no two adjacent periods"
        elif _IPV4_RE.match(bucket):
            reason = "not formatted as an IP address"
        elif bucket.startswith(_BUCKET_PREFIXES):
            reason = "no prefix {}".format(", ".join(_BUCKET_PREFIXES))
        elif bucket.endswith(_BUCKET_SUFFIXES):
            reason = "no suffix {}".format(", ".join(_BUCKET_SUFFIXES))
        else:
            return problems
        problems.append(f"{bucket_var}: {show(bucket)} is not a valid S3 bucket name ({reason})")
        return problems

    def _object_store_uri(self, bucket: str, path: str, account) -> str:
        return f"s3://{bucket}/{path}" if path else f"s3://{bucket}"

    def _ingress_problems(self, host, tls_secret) -> list:
        if tls_secret is not None and host is None:
            # The ALB controller cannot use a Kubernetes TLS Secret: it discovers the ACM
            # certificate from the Ingress TLS hosts, so TLS needs a host.
            return [
                f"tls_secret {show(tls_secret)} needs a host: an ALB discovers its ACM certificate from the TLS host"
            ]
        return []

    def _ingress_annotations(self, scheme, host, tls_secret, backend_protocol, group) -> dict:
        # Ref https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/ingress/annotations/
        prefix = "alb.ingress.kubernetes.io/"
        annotations = {
            prefix + "scheme": scheme,
            prefix + "target-type": "ip",
            prefix + "backend-protocol": backend_protocol,
            prefix + "listen-ports": '[{"HTTP": 80}]',
        }
        if tls_secret is not None:
            annotations[prefix + "listen-ports"] = '[{"HTTP": 80}, {"HTTPS": 443}]'
            annotations[prefix + "ssl-redirect"] = "443"
        if group is not None:
            annotations[prefix + "group.name"] = group
        return annotations

    def _controller_service_annotations(self, scheme: str) -> dict:
        # The controller provisions one ALB per Ingress (group); its own Service is ClusterIP.
        return {}

    # Ref https://docs.aws.amazon.com/eks/latest/userguide/create-kubeconfig.html (what update-kubeconfig writes)
    kubeconfig_install_hint = "Install the AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/"
    # What the AWS SDK credential chain (Terraform's provider included) reads, and the endpoint override.
    credential_env_vars = (
        "AWS_ACCESS_KEY_ID",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_ENDPOINT_URL",
    )
    # terraform/modules/eks: one IRSA role (and least-privilege policy) per key.
    terraform_service_account_keys = (
        "mlflow",
        "argo_workflows",
        "kserve",
        "external_secrets",
        "karpenter",
        "aws_load_balancer_controller",
    )

    def _kubeconfig_exec_command(self, cluster_name: str, region: str) -> tuple:
        return "aws", ["eks", "get-token", "--cluster-name", cluster_name, "--region", region, "--output", "json"]

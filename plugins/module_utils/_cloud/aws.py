# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS profile: EKS managed node groups, IRSA, S3, AWS Load Balancer Controller (ALB)."""

from __future__ import annotations

import json
import re
from types import MappingProxyType

from ansible_collections.mlops.platform.plugins.module_utils._cloud import facts
from ansible_collections.mlops.platform.plugins.module_utils._cloud.base import (
    USER_ROLES,
    CloudProfile,
    derived_name_problems,
    ipv4_network,
    mapping,
    register,
    show,
)
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError

# NVIDIA GPU families (AMD g4ad and Inferentia/Trainium are not: the platform schedules on nvidia.com/gpu).
GPU_FAMILIES = ("g4dn", "g5", "g5g", "g6", "g6e", "g6f", "gr6", "p3", "p3dn", "p4d", "p4de", "p5", "p5e", "p5en")

# Ref https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IPV4_RE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
# Graviton families carry a "g" after the generation digit (t4g, m7g, c6gn, g5g); the rest are x86_64.
_GRAVITON_FAMILY_RE = re.compile(r"^[a-z]+[0-9]+[a-z]*g[a-z]*$")


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

    # ------------------------------------------------------------------ platform users (RBAC)
    # An IAM role reaches Kubernetes through an EKS access entry (terraform/modules/eks/access.tf) whose
    # kubernetes_groups name the group per platform user role; the RoleBindings bind that group.
    # Ref https://docs.aws.amazon.com/eks/latest/userguide/access-entries.html
    user_group_noun = "an IAM role ARN"
    user_group_format = "arn:aws:iam::<12-digit account id>:role/<name>"
    user_group_example = "arn:aws:iam::123456789012:role/mlops-data-scientists"
    _user_group_re = _identity_re
    # EKS refuses kubernetes_groups that start with "system:" (and "eks:"); ours are prefixed "mlops:".
    _group_prefix = "mlops:"

    def _rbac_group(self, entry: str, role: str) -> str:
        return self._group_prefix + role.replace("_", "-")

    def user_access_entries(self, groups) -> dict:
        problems = self.user_group_problems(groups)
        if problems:
            raise PlatformError("; ".join(problems))
        entries: dict = {}
        for role in USER_ROLES:
            for arn in (groups or {}).get(role) or []:
                entries.setdefault(arn, set()).add(self._rbac_group(arn, role))
        return {arn: sorted(entries[arn]) for arn in sorted(entries)}

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

    # The ALB serves an ACM certificate (a Kubernetes Secret cannot reach it): the ARN from the cloud layer
    # (Terraform output certificate_arn), or, without one, the certificate ACM holds for the TLS host (the
    # controller discovers it). Ref https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/ingress/cert_discovery/
    tls_source = "acm"
    _certificate_arn_re = re.compile(r"^arn:aws(-[a-z]+)*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$")

    def _certificate_arn_reasons(self, path: str, value, hint: str = "") -> list:
        """Problems with an optional ACM certificate ARN ``value`` at ``path`` (empty: none, or a valid ARN)."""
        if value in (None, "") or (isinstance(value, str) and self._certificate_arn_re.match(value)):
            return []
        return [
            f"{path}: {show(value)} is not an ACM certificate ARN "
            f"(arn:aws:acm:<region>:<account>:certificate/<id>{hint})"
        ]

    def certificate_arn_problems(self, value) -> list:
        return self._certificate_arn_reasons(
            "platform_infra.certificate_arn", value, ", the Terraform output certificate_arn"
        )

    def _tls_problems(self, tls: dict, host, name) -> list:
        problems = self._certificate_arn_reasons("tls.certificate_arn", tls.get("certificate_arn"))
        if host is None:
            problems.append("tls: needs a host; the ALB serves the ACM certificate of the Ingress's TLS host")
        return problems

    def _ingress_annotations(self, scheme, backend_protocol, group, tls) -> dict:
        # Ref https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/ingress/annotations/
        prefix = "alb.ingress.kubernetes.io/"
        annotations = {
            prefix + "scheme": scheme,
            prefix + "target-type": "ip",
            prefix + "backend-protocol": backend_protocol,
            prefix + "listen-ports": '[{"HTTP": 80}]',
        }
        if tls is not None:
            # HTTPS only: port 80 answers with a redirect to 443.
            annotations[prefix + "listen-ports"] = '[{"HTTP": 80}, {"HTTPS": 443}]'
            annotations[prefix + "ssl-redirect"] = "443"
            annotations[prefix + "ssl-policy"] = "ELBSecurityPolicy-TLS13-1-2-2021-06"
            if tls.get("certificate_arn"):
                annotations[prefix + "certificate-arn"] = tls["certificate_arn"]
        if group is not None:
            # One ALB per group: an internal and an internet-facing Ingress can never share one.
            annotations[prefix + "group.name"] = f"{group}-{'internal' if scheme == 'internal' else 'public'}"
        return annotations

    def _health_annotations(self, health_path: str) -> dict:
        # Each target group probes its pods itself (target-type ip), by default at "/".
        # Ref https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/ingress/annotations/#healthcheck-path
        return {"alb.ingress.kubernetes.io/healthcheck-path": health_path}

    def _ingress_tls(self, host: str, tls: dict, name) -> list:
        # No secretName: the controller matches the host against ACM certificates.
        return [{"hosts": [host]}]

    def _controller_service_annotations(self, scheme: str) -> dict:
        # The controller provisions one ALB per Ingress (group); its own Service is ClusterIP.
        return {}

    def _canary_ingresses(self, spec: dict, split: dict) -> list:
        # One Ingress, one ALB rule: the rule's backend names an action (port name "use-annotation") that the
        # annotation alb.ingress.kubernetes.io/actions.<action> defines as a forward to weighted target groups,
        # one per Service. Ref https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/ingress/annotations/#actions
        # and the blue/green example https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/use_cases/blue_green/
        # (serviceName/servicePort/weight; the ALB routes weight/sum of the weights to each group).
        action = f"{split['name']}-split"
        groups = [{"serviceName": split["stable"], "servicePort": split["port"], "weight": 100 - split["weight"]}]
        if split["canary"] is not None:
            groups.append({"serviceName": split["canary"], "servicePort": split["port"], "weight": split["weight"]})
        forward = {"type": "forward", "forwardConfig": {"targetGroups": groups}}
        annotations = dict(spec["annotations"])
        annotations[f"alb.ingress.kubernetes.io/actions.{action}"] = json.dumps(forward, sort_keys=True)
        if split["health_path"] is not None:
            # Each target group probes its pods itself (target-type ip), by default at "/".
            annotations["alb.ingress.kubernetes.io/healthcheck-path"] = split["health_path"]
        backend = {"name": action, "port": {"name": "use-annotation"}}
        return [self._ingress_object(split["name"], split, spec["class_name"], annotations, backend, spec["tls"])]

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
        "ebs_csi_driver",
    )

    def _kubeconfig_exec_command(self, cluster_name: str, region: str) -> tuple:
        return "aws", ["eks", "get-token", "--cluster-name", cluster_name, "--region", region, "--output", "json"]

    # The secret store is Secrets Manager in this region: RDS keeps the database login in its own
    # Secrets Manager secret (terraform/README.md, "how the database login reaches MLflow").
    secret_store_ref_noun = "the AWS region of Secrets Manager"
    secret_store_ref_example = "eu-west-1"

    def _region_reasons(self, name: str, region, purpose: str) -> list:
        if self.is_region(region):
            return []
        return [f"{name}: {show(region)} is not {self.region_noun}; {purpose}, such as {self.region_example}"]

    def _secret_store_problems(self, secret_store_ref, tenant_id) -> list:
        problems = self._region_reasons(
            "secret_store_ref", secret_store_ref, f"on aws it is {self.secret_store_ref_noun}"
        )
        if tenant_id not in (None, ""):
            problems.append(f"tenant_id: {show(tenant_id)} is set, but AWS has no tenant; leave it null on aws")
        return problems

    def _secret_store_provider(self, secret_store_ref: str, service_account: dict, tenant_id) -> dict:
        # Ref https://external-secrets.io/latest/provider/aws-secrets-manager/#eks-service-account-credentials
        # The operator requests a token for the referenced service account and assumes its IRSA role.
        return {
            "aws": {
                "service": "SecretsManager",
                "region": secret_store_ref,
                "auth": {"jwt": {"serviceAccountRef": service_account}},
            }
        }

    def _artifact_repository_problems(self, region) -> list:
        return self._region_reasons("region", region, "an S3 artifact repository needs the bucket's region")

    def _artifact_repository(self, bucket: str, account, key_format: str, region) -> dict:
        # Ref https://argo-workflows.readthedocs.io/en/stable/configure-artifact-repository/#aws-s3-irsa
        # No encryptionOptions: enableEncryption without a kmsKeyId asks for SSE-S3, which would replace
        # the bucket's default encryption (SSE-KMS with the platform key, terraform/modules/eks/storage.tf).
        return {
            "s3": {
                "bucket": bucket,
                "endpoint": _s3_endpoint(region),
                "region": region,
                "keyFormat": key_format,
                "useSDKCreds": True,
            }
        }

    def _model_store_problems(self, region) -> list:
        return self._region_reasons("region", region, "KServe's S3 client needs the bucket's region")

    def _model_store_annotations(self, region) -> dict:
        # Ref https://kserve.github.io/website/docs/model-serving/storage/providers/s3 (IRSA service account)
        prefix = "serving.kserve.io/"
        return {
            prefix + "s3-endpoint": _s3_endpoint(region),
            prefix + "s3-region": region,
            prefix + "s3-usehttps": "1",
            prefix + "s3-useanoncredential": "false",
        }

    # ------------------------------------------------------------------ autoscaling: Karpenter
    # Ref https://karpenter.sh/docs/concepts/nodepools/ and /nodeclasses/ (karpenter.sh/v1, karpenter.k8s.aws/v1)
    autoscaler_controller = "karpenter"
    autoscaler_chart = "karpenter"
    # The CRDs come from their own chart, released first, so that an upgrade of the controller chart
    # (whose crds/ helm never upgrades) cannot leave old CRDs behind. Ref https://karpenter.sh/docs/upgrading/
    autoscaler_crd_chart = "karpenter_crd"
    autoscaler_identity = "karpenter"

    # The pools' nodes: `general` is the EKS managed node group Karpenter's controller runs on (Terraform,
    # terraform/modules/eks/node_groups.tf, held at its desired_size: nothing autoscales it); every other
    # pool is a Karpenter NodePool only (no node group beside it), derived here from the same inventory entry.
    def pool_provisioner(self, key: str) -> str:
        return "node_group" if key == self.system_pool else "karpenter"

    def instance_arch(self, instance_type) -> str | None:
        capacity = instance_capacity(instance_type)
        return capacity[2] if capacity else None

    def _implicit_labels(self, key: str, pool: dict) -> dict:
        capacity = pool.get("capacity_type")
        if self.pool_provisioner(key) == "node_group":
            # Ref https://docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html (capacity type label)
            return {"eks.amazonaws.com/capacityType": "SPOT" if capacity == "spot" else "ON_DEMAND"}
        # Ref https://karpenter.sh/docs/concepts/scheduling/#well-known-labels
        labels = {}
        if pool.get("gpu") is True:
            labels["karpenter.k8s.aws/instance-gpu-manufacturer"] = "nvidia"
        if not (capacity == "spot" and pool.get("on_demand_fallback") is True):  # else whichever Karpenter finds
            labels[self._capacity_key] = "spot" if capacity == "spot" else "on-demand"
        return labels

    def _pool_problems(self, key: str, pool: dict) -> list:
        if self.pool_provisioner(key) == "karpenter":
            # Types not even spelled like one are reported by node_pool_problems already.
            return self.karpenter_pool_problems(key, pool, spelled_only=True)
        prefix = f"platform_node_pools.{key}"
        if pool.get("on_demand_fallback") is not None:
            return [f"{prefix}.on_demand_fallback: only Karpenter pools (not {key}, the EKS node group) fall back"]
        # desired_size defaults to min_size (as preflight reads it).
        sizes = [pool.get(field) for field in ("min_size", "desired_size", "max_size")]
        sizes[1] = sizes[0] if sizes[1] is None else sizes[1]
        if all(isinstance(size, int) and not isinstance(size, bool) for size in sizes) and len(set(sizes)) > 1:
            return [
                f"{prefix}: on aws the {key} pool is the EKS managed node group Karpenter runs on, and nothing "
                f"autoscales it (Karpenter scales the other pools); its size is fixed, so set min_size, "
                f"desired_size and max_size to one value (got {sizes[0]}, {sizes[1]}, {sizes[2]})"
            ]
        return []

    # ------------------------------------------------------------------ what the cloud layer enforces later
    known_regions = facts.AWS_REGIONS
    known_regions_source = facts.AWS_REGIONS_SOURCE

    def _terraform_layer_problems(self, config: dict) -> list:
        return self._eks_name_problems(config) + self._eks_network_problems(config.get("platform_network"))

    def _node_pool_layer_problems(self, pools: dict) -> list:
        """GPU types the general pool's managed node group cannot launch: it uses the AMI type
        AL2023_x86_64_NVIDIA (terraform/modules/eks/node_groups.tf), so an arm64 (Graviton) GPU type such as
        g5g has no AMI there, and the module's validation admits only EKS_NODE_GROUP_GPU_FAMILIES. Karpenter
        pools are not refused: Karpenter (>= 1.4, the collection pins 1.8) picks the AL2023 arm64 NVIDIA AMI
        (amazon-eks-ami v20250403) for g5g."""
        pool = pools.get(self.system_pool)
        if (
            not isinstance(pool, dict)
            or pool.get("gpu") is not True
            or not isinstance(pool.get("instance_types"), list)
        ):
            return []
        problems = []
        families = ", ".join(facts.EKS_NODE_GROUP_GPU_FAMILIES)
        for index, value in enumerate(pool["instance_types"]):
            if not self.is_gpu_instance_type(value):
                continue  # not a GPU type at all: node_pool_problems reports it
            family = value.split(".", 1)[0]
            path = f"platform_node_pools.{self.system_pool}.instance_types[{index}]"
            if _GRAVITON_FAMILY_RE.match(family):
                problems.append(
                    f"{path}: {show(value)} is an arm64 (Graviton) GPU type, but the {self.system_pool} pool is the "
                    f"EKS managed node group, which launches GPU nodes from the x86_64 AMI type AL2023_x86_64_NVIDIA "
                    f"(terraform/modules/eks/node_groups.tf): EC2 refuses the architecture mismatch; use an x86_64 "
                    f"GPU family ({families}), or put arm64 GPUs in a Karpenter pool (another key), whose "
                    f"AL2023 arm64 NVIDIA AMI supports them"
                )
            elif family not in facts.EKS_NODE_GROUP_GPU_FAMILIES:
                problems.append(
                    f"{path}: {show(value)} is not among the GPU families terraform/modules/eks's node_pools "
                    f"validation admits for the managed node group ({families}); use one of them, or put it in a "
                    f"Karpenter pool (another key)"
                )
        return problems

    def _eks_name_problems(self, config: dict) -> list:
        """The names terraform/modules/eks derives from var.name (= platform_cluster_name)."""
        var = "platform_cluster_name"
        name = config.get(var)
        if not isinstance(name, str) or not name:
            return []  # preflight reports a missing or non-string name
        if not facts.EKS_NAME_RE.match(name):
            longest = max(self.eks_role_suffixes(config.get("platform_service_accounts")), key=len)
            return [
                f"{var}: {show(name)} is not accepted by terraform/modules/eks (var.name): use {facts.EKS_NAME_RULE}; "
                f"it prefixes the IAM role names (the longest, {name}-{longest}, must stay within IAM's 64 "
                f"characters) and the RDS identifier {name}-mlflow (RDS: starts with a letter)"
            ]
        problems = []
        for suffix in self.eks_role_suffixes(config.get("platform_service_accounts")):
            problems += derived_name_problems(
                var, "IAM role name", f"{name}-{suffix}", facts.IAM_ROLE_RE, facts.IAM_ROLE_RULE, "IAM"
            )
        problems += derived_name_problems(
            var, "RDS instance identifier", f"{name}-mlflow", facts.RDS_IDENTIFIER_RE, facts.RDS_IDENTIFIER_RULE, "RDS"
        )
        problems += derived_name_problems(
            var, "EKS cluster name", name, facts.EKS_CLUSTER_RE, facts.EKS_CLUSTER_RULE, "EKS"
        )
        for event in facts.EKS_KARPENTER_EVENTS:
            problems += derived_name_problems(
                var,
                "EventBridge rule name",
                f"{name}-karpenter-{event}",
                facts.EVENTBRIDGE_RULE_RE,
                facts.EVENTBRIDGE_RULE_RULE,
                "EventBridge",
            )
        extra = mapping(config.get("infrastructure_terraform_vars"))
        buckets = ["logs"] if extra.get("artifact_bucket_name") not in (None, "") else ["artifacts", "logs"]
        for bucket in buckets:
            # The 12-digit account id is unknown here; its length is what counts.
            problems += derived_name_problems(
                var,
                "S3 bucket name",
                f"{name}-{bucket}-{facts.AWS_ACCOUNT_PLACEHOLDER}",
                facts.S3_BUCKET_RE,
                facts.S3_BUCKET_RULE,
                "S3",
                shown=f"{name}-{bucket}-<account id>",
            )
        return problems

    def eks_role_suffixes(self, accounts) -> list:
        """The suffixes of the IAM role names terraform/modules/eks makes: <name>-<suffix>."""
        keys = [key for key in mapping(accounts) if key in self.terraform_service_account_keys]
        return list(facts.EKS_FIXED_ROLE_SUFFIXES) + [key.replace("_", "-") for key in sorted(keys)]

    def _eks_network_problems(self, network) -> list:
        network = mapping(network)
        problems = []
        cidr = ipv4_network(network.get("cidr"))
        low, high = facts.EKS_PREFIX_RANGE
        if cidr is not None and not low <= cidr.prefixlen <= high:
            problems.append(
                f"platform_network.cidr: {show(network.get('cidr'))} has prefix /{cidr.prefixlen}, but "
                f"terraform/modules/eks (var.network) takes /{low} to /{high}: the VPC is cut into eighths (one "
                f"private subnet per availability zone, the public subnets in the last eighth) and pods take VPC "
                f"addresses; use e.g. 10.0.0.0/16"
            )
        zones = network.get("availability_zones")
        low, high = facts.EKS_AZ_RANGE
        if isinstance(zones, int) and not isinstance(zones, bool) and not low <= zones <= high:
            problems.append(
                f"platform_network.availability_zones: {zones}, but terraform/modules/eks takes {low} to {high}: "
                f"EKS refuses a cluster whose subnets are not in at least two availability zones, and the "
                f"module carves at most {high} private subnets (eighths) beside the public eighth"
            )
        return problems

    def terraform_variables(self, settings: dict) -> dict:
        variables = super().terraform_variables(settings)
        tls = settings.get("tls") if isinstance(settings.get("tls"), dict) else {}
        if tls.get("domains") and tls.get("zone_id"):
            # terraform/modules/eks requests the ACM certificate of the domains, validated in the Route53 zone.
            variables["certificate_domains"] = list(tls["domains"])
            variables["certificate_zone_id"] = tls["zone_id"]
        pools = variables.get("node_pools")
        if isinstance(pools, dict):
            # Karpenter owns the other pools: a managed node group beside a NodePool would be a second
            # source of nodes for the same pool, which nothing would scale.
            variables["node_pools"] = {
                key: {name: value for name, value in pools[key].items() if name != "on_demand_fallback"}
                for key in pools
                if self.pool_provisioner(key) == "node_group"
            }
        access = self.user_access_entries(settings.get("user_groups"))
        if access:
            # terraform/modules/eks/access.tf: one access entry per IAM role of platform_user_groups.
            variables["user_access_entries"] = access
        return variables

    # Versions pinned, never `latest` (a new AMI release would drift, i.e. replace, every node).
    _ami_alias_re = re.compile(r"^(al2023|al2|bottlerocket)@v[0-9][0-9.]*(-[0-9A-Za-z.]+)?$")
    _duration_re = re.compile(r"^(([0-9]+(s|m|h))+|Never)$")
    _volume_re = re.compile(r"^[1-9][0-9]{0,4}Gi$")
    _iam_role_name_re = re.compile(r"^[\w+=,.@-]{1,64}$")
    _capacity_key = "karpenter.sh/capacity-type"
    _pool_settings_defaults = MappingProxyType(
        {"consolidate_after": "10m", "expire_after": "720h", "volume_size": "100Gi"}
    )

    def _autoscaler_node_pools(self, settings: dict) -> list:
        cluster = settings.get("cluster_name")
        node_role = settings.get("karpenter_node_role")
        alias = settings.get("karpenter_ami_alias")
        tuning = settings.get("karpenter_pools")
        platform_pools = settings.get("node_pools")
        problems = []
        if not isinstance(cluster, str) or not cluster:
            problems.append(f"cluster_name: must be the EKS cluster name, got {show(cluster)}")
        if not isinstance(node_role, str) or not self._iam_role_name_re.match(node_role):
            problems.append(
                f"karpenter_node_role: {show(node_role)} is not an IAM role name (the Terraform output "
                "karpenter_node_role, e.g. mlops-dev-karpenter-node)"
            )
        if not isinstance(alias, str) or not self._ami_alias_re.match(alias):
            problems.append(
                f"karpenter_ami_alias: {show(alias)} is not a pinned EKS-optimized AMI alias; use <family>@<release> "
                "such as al2023@v20250807 (never @latest: every AMI release would replace every node)"
            )
        if tuning is None:
            tuning = {}
        if not isinstance(tuning, dict):
            problems.append(f"karpenter_pools: must map node pool keys to NodePool settings, got {show(tuning)}")
            tuning = {}
        if not isinstance(platform_pools, dict):
            problems.append(f"node_pools: must be platform_node_pools, got {show(platform_pools)}")
            platform_pools = {}
        keys = [key for key in sorted(platform_pools) if self.pool_provisioner(key) == "karpenter"]
        for key in sorted(tuning, key=str):
            if key not in keys:
                problems.append(
                    "karpenter_pools.{}: not a Karpenter pool; Karpenter pools (platform_node_pools but {}): {}".format(
                        key, self.system_pool, ", ".join(keys) or "none"
                    )
                )
        pools = {}
        for key in keys:
            own = tuning.get(key)
            if own is not None and not isinstance(own, dict):
                problems.append(
                    f"karpenter_pools.{key}: must be a mapping of NodePool settings "
                    f"(name, consolidate_after, expire_after, volume_size), got {show(own)}"
                )
                own = None
            pool = {**self._pool_settings_defaults, "name": key, **(own or {})}
            problems += self._karpenter_pool_problems(key, pool, platform_pools[key])
            pools[key] = pool
        if problems:
            self._autoscaler_failure("Karpenter node pools", problems)
        shapes = self.node_pools({key: platform_pools[key] for key in keys})
        node_classes = [self._ec2_node_class(key, pools[key], cluster, node_role, alias) for key in keys]
        node_pools = [self._karpenter_node_pool(key, pools[key], platform_pools[key], shapes[key]) for key in keys]
        return node_classes + node_pools

    def _karpenter_pool_problems(self, key, pool, platform_pool) -> list:
        prefix = f"karpenter_pools.{key}"
        problems = []
        unknown = sorted(str(name) for name in pool if name not in ("name", *self._pool_settings_defaults))
        if unknown:
            problems.append(
                "{}: unknown setting(s) {}; allowed: name, {} (instance types, capacity, sizes and taints come "
                "from platform_node_pools.{})".format(
                    prefix, ", ".join(unknown), ", ".join(self._pool_settings_defaults), key
                )
            )
        problems += self._object_name_problems(f"{prefix}.name", pool.get("name"), "a NodePool name like gpu-workloads")
        for field in ("consolidate_after", "expire_after"):
            value = pool.get(field)
            if not isinstance(value, str) or not self._duration_re.match(value):
                problems.append(f"{prefix}.{field}: {show(value)} is not a duration such as 10m, 720h or Never")
        volume = pool.get("volume_size")
        if not isinstance(volume, str) or not self._volume_re.match(volume):
            problems.append(f"{prefix}.volume_size: {show(volume)} is not a size in Gi such as 100Gi")
        problems += self.karpenter_pool_problems(key, platform_pool)
        return problems

    def karpenter_pool_problems(self, key: str, pool, spelled_only: bool = False) -> list:
        """What keeps ``platform_node_pools.<key>`` from becoming a Karpenter NodePool (empty when it can)."""
        prefix = f"platform_node_pools.{key}"
        if not isinstance(pool, dict):
            return [f"{prefix}: must be a mapping of pool settings, got {show(pool)}"]
        problems = []
        types = pool.get("instance_types")
        if not isinstance(types, list) or not types:
            return (
                []
                if spelled_only
                else [f"{prefix}.instance_types: must list the EC2 instance types, got {show(types)}"]
            )
        for index, value in enumerate(types):
            if instance_capacity(value) is None and not (spelled_only and not self.is_instance_type(value)):
                problems.append(
                    f"{prefix}.instance_types[{index}]: {show(value)} is not in the collection's table of EC2 "
                    f"vCPUs and GPUs (plugins/module_utils/_cloud/aws.py), which the Karpenter NodePool's limits "
                    f"(max_size x the type's vCPUs and GPUs) need; use a listed type such as "
                    f"{self.gpu_instance_type_example if pool.get('gpu') is True else self.instance_type_example}"
                )
        size = pool.get("max_size")
        if not spelled_only and (not isinstance(size, int) or isinstance(size, bool) or size < 1):
            problems.append(f"{prefix}.max_size: must be a positive integer (the NodePool's limits), got {show(size)}")
        fallback = pool.get("on_demand_fallback", False)
        if not isinstance(fallback, bool):
            problems.append(f"{prefix}.on_demand_fallback: must be true or false, got {show(fallback)}")
        elif fallback and pool.get("capacity_type") != "spot":
            problems.append(f"{prefix}.on_demand_fallback: only a spot pool can fall back to on-demand")
        return problems

    def _ec2_node_class(self, key: str, pool: dict, cluster: str, node_role: str, alias: str) -> dict:
        # Subnets and the cluster security group carry `karpenter.sh/discovery: <cluster>`
        # (terraform/modules/eks/network.tf, cluster.tf); the role is the module's Karpenter node role.
        discovery = [{"tags": {"karpenter.sh/discovery": cluster}}]
        return {
            "apiVersion": "karpenter.k8s.aws/v1",
            "kind": "EC2NodeClass",
            "metadata": {"name": key},
            "spec": {
                "role": node_role,
                "amiSelectorTerms": [{"alias": alias}],
                "subnetSelectorTerms": discovery,
                "securityGroupSelectorTerms": discovery,
                # The AL2023 root volume also holds the images: GPU/ML images run to tens of GiB.
                "blockDeviceMappings": [
                    {
                        "deviceName": "/dev/xvda",
                        "ebs": {
                            "volumeSize": pool["volume_size"],
                            "volumeType": "gp3",
                            "encrypted": True,
                            "deleteOnTermination": True,
                        },
                    }
                ],
                "tags": {self.pool_label: key},
            },
        }

    def _karpenter_node_pool(self, key: str, pool: dict, platform_pool: dict, shape: dict) -> dict:
        types = list(dict.fromkeys(platform_pool["instance_types"]))
        capacities = [instance_capacity(value) for value in types]
        if platform_pool.get("capacity_type") == "spot":
            capacity = ["spot", "on-demand"] if platform_pool.get("on_demand_fallback") is True else ["spot"]
        else:
            capacity = ["on-demand"]
        requirements = {
            # Exactly the pool's instance types (and so its families): Karpenter picks among them only.
            "node.kubernetes.io/instance-type": types,
            "karpenter.k8s.aws/instance-family": sorted({value.split(".", 1)[0] for value in types}),
            self._capacity_key: capacity,
            "kubernetes.io/arch": sorted({capacity[2] for capacity in capacities}),
            "kubernetes.io/os": ["linux"],
        }
        # At most max_size nodes: the limits are max_size x the smallest type's vCPUs (and GPUs), so no mix of
        # the pool's types can exceed max_size nodes. Ref https://karpenter.sh/docs/concepts/nodepools/#speclimits
        limits = {"cpu": str(pool_size(platform_pool) * min(capacity[0] for capacity in capacities))}
        if platform_pool.get("gpu") is True:
            limits["nvidia.com/gpu"] = str(pool_size(platform_pool) * min(capacity[1] for capacity in capacities))
        spec = {
            "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": key},
            "requirements": [
                {"key": label, "operator": "In", "values": requirements[label]} for label in sorted(requirements)
            ],
            "expireAfter": pool["expire_after"],
        }
        if shape["taints"]:
            spec["taints"] = [
                {"key": taint["key"], "value": taint["value"], "effect": taint["effect"]}
                if taint["value"]
                else {"key": taint["key"], "effect": taint["effect"]}
                for taint in shape["taints"]
            ]
        # Karpenter and the kubelet set the well-known labels; a NodePool template may not (restricted domains).
        labels = {
            name: value
            for name, value in shape["labels"].items()
            if not name.startswith(("karpenter.sh/", "karpenter.k8s.aws/", "kubernetes.io/", "node.kubernetes.io/"))
        }
        return {
            "apiVersion": "karpenter.sh/v1",
            "kind": "NodePool",
            "metadata": {"name": pool["name"]},
            "spec": {
                "template": {"metadata": {"labels": labels}, "spec": spec},
                "limits": limits,
                "disruption": {
                    "consolidationPolicy": "WhenEmptyOrUnderutilized",
                    "consolidateAfter": pool["consolidate_after"],
                },
            },
        }

    # ------------------------------------------------------------------ storage: EBS gp3 through the EBS CSI driver
    def default_storage_class(self) -> dict | None:
        # EKS 1.30+ has no default StorageClass (gp2 lost its default annotation) and no EBS CSI driver:
        # terraform/modules/eks installs the aws-ebs-csi-driver add-on (IRSA role ebs_csi_driver), and this
        # class becomes the default. WaitForFirstConsumer: the volume is created in the zone of the node the
        # pod is scheduled on (an EBS volume attaches only in its own AZ). encrypted without kmsKeyId: the
        # account's EBS key. Ref https://github.com/kubernetes-sigs/aws-ebs-csi-driver/blob/master/docs/parameters.md
        return {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": "gp3", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": "ebs.csi.aws.com",
            "parameters": {"type": "gp3", "encrypted": "true"},
            "reclaimPolicy": "Delete",
            "volumeBindingMode": "WaitForFirstConsumer",
            "allowVolumeExpansion": True,
        }

    # ------------------------------------------------------------------ GPU memory
    def _gpu_memory(self, instance_type: str) -> tuple | None:
        gpus = _GPUS.get(instance_type)
        family, size = instance_type.partition(".")[::2]
        gpu = _GPU_MODELS.get(family)
        if gpus is None or gpu is None or size not in _VCPUS_BY_SIZE:
            return None
        return (gpus, *gpu, family, _VCPUS_BY_SIZE[size])

    def _gpu_instance_types(self) -> tuple:
        return tuple(_GPUS)


# vCPUs by size for the families whose vCPU count follows the size name (Ref
# https://docs.aws.amazon.com/ec2/latest/instancetypes/ — the "vCPUs" column of each family's table).
_VCPUS_BY_SIZE = MappingProxyType(
    {
        "medium": 1,
        "large": 2,
        "xlarge": 4,
        "2xlarge": 8,
        "3xlarge": 12,
        "4xlarge": 16,
        "6xlarge": 24,
        "8xlarge": 32,
        "9xlarge": 36,
        "12xlarge": 48,
        "16xlarge": 64,
        "18xlarge": 72,
        "24xlarge": 96,
        "32xlarge": 128,
        "48xlarge": 192,
    }
)
# Burstable families: 2 vCPUs from nano to large. Ref https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html
_BURSTABLE_VCPUS = MappingProxyType(
    {"nano": 2, "micro": 2, "small": 2, "medium": 2, "large": 2, "xlarge": 4, "2xlarge": 8}
)
_BURSTABLE_FAMILIES = ("t3", "t3a", "t4g")
# General purpose, compute and memory optimized families whose sizes follow _VCPUS_BY_SIZE.
_SIZED_FAMILIES = re.compile(r"^(m|c|r)[5-8](a|i|g|n|d|gd|gn|in|ad|id|zn)?$")
# NVIDIA GPUs per instance type. Ref https://docs.aws.amazon.com/ec2/latest/instancetypes/ac.html
_GPUS = MappingProxyType(
    {
        **{f"g4dn.{size}": 1 for size in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")},
        "g4dn.12xlarge": 4,
        **{f"g5.{size}": 1 for size in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")},
        "g5.12xlarge": 4,
        "g5.24xlarge": 4,
        "g5.48xlarge": 8,
        **{f"g6.{size}": 1 for size in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")},
        "g6.12xlarge": 4,
        "g6.24xlarge": 4,
        "g6.48xlarge": 8,
        **{f"g6e.{size}": 1 for size in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")},
        "g6e.12xlarge": 4,
        "g6e.24xlarge": 4,
        "g6e.48xlarge": 8,
        **{f"g5g.{size}": 1 for size in ("xlarge", "2xlarge", "4xlarge", "8xlarge")},
        "g5g.16xlarge": 2,
        "p3.2xlarge": 1,
        "p3.8xlarge": 4,
        "p3.16xlarge": 8,
        "p3dn.24xlarge": 8,
        "p4d.24xlarge": 8,
        "p4de.24xlarge": 8,
        "p5.48xlarge": 8,
        "p5e.48xlarge": 8,
        "p5en.48xlarge": 8,
    }
)
# The NVIDIA GPU of each family in _GPUS: (model, memory per GPU in GiB, CUDA compute capability). Memory: the
# "GPU memory (GiB)" column of https://docs.aws.amazon.com/ec2/latest/instancetypes/ac.html divided by the GPU
# count (g4dn.xlarge 16, g5.xlarge 24, g6.xlarge 24, g6e.xlarge 48, p3.2xlarge 16, p3dn.24xlarge 256, p4d.24xlarge
# 320, p4de.24xlarge 640, p5.48xlarge 640, p5e/p5en.48xlarge 1128). Compute capability: NVIDIA's table
# https://developer.nvidia.com/cuda-gpus (T4 7.5, A10G 8.6 as A10, L4 and L40S 8.9, V100 7.0, A100 8.0, H100 and
# H200 9.0); vLLM's bfloat16 needs 8.0, its AWQ kernels 7.5.
_GPU_MODELS = MappingProxyType(
    {
        "g4dn": ("T4", 16, 7.5),
        "g5": ("A10G", 24, 8.6),
        "g5g": ("T4G", 16, 7.5),
        "g6": ("L4", 24, 8.9),
        "g6e": ("L40S", 48, 8.9),
        "p3": ("V100", 16, 7.0),
        "p3dn": ("V100", 32, 7.0),
        "p4d": ("A100", 40, 8.0),
        "p4de": ("A100", 80, 8.0),
        "p5": ("H100", 80, 9.0),
        "p5e": ("H200", 141, 9.0),
        "p5en": ("H200", 141, 9.0),
    }
)


def instance_capacity(instance_type) -> tuple | None:
    """(vCPUs, NVIDIA GPUs, architecture) of an EC2 instance type the collection knows, else None."""
    if not isinstance(instance_type, str) or "." not in instance_type:
        return None
    family, size = instance_type.split(".", 1)
    # Graviton families carry a "g" after the generation digit (t4g, m7g, c6gn, g5g); the rest are x86_64.
    arch = "arm64" if _GRAVITON_FAMILY_RE.match(family) else "amd64"
    if family.startswith(("g", "p")) and family[1:2].isdigit():
        gpus = _GPUS.get(instance_type)
        vcpus = _VCPUS_BY_SIZE.get(size)
        return None if gpus is None or vcpus is None else (vcpus, gpus, arch)
    if family in _BURSTABLE_FAMILIES:
        vcpus = _BURSTABLE_VCPUS.get(size)
    elif _SIZED_FAMILIES.match(family):
        vcpus = _VCPUS_BY_SIZE.get(size)
    else:
        vcpus = None
    return None if vcpus is None else (vcpus, 0, arch)


def pool_size(pool: dict) -> int:
    """The most nodes a pool may have."""
    return int(pool["max_size"])


def _s3_endpoint(region: str) -> str:
    """The regional S3 endpoint (China regions live under amazonaws.com.cn)."""
    return f"s3.{region}.amazonaws.com.cn" if region.startswith("cn-") else f"s3.{region}.amazonaws.com"

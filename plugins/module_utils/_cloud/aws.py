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

    # The label the managed node groups carry too (terraform/modules/eks/node_groups.tf).
    pool_label = "platform.mlops/pool"
    # Versions pinned, never `latest` (a new AMI release would drift, i.e. replace, every node).
    _ami_alias_re = re.compile(r"^(al2023|al2|bottlerocket)@v[0-9][0-9.]*(-[0-9A-Za-z.]+)?$")
    _duration_re = re.compile(r"^(([0-9]+(s|m|h))+|Never)$")
    _volume_re = re.compile(r"^[1-9][0-9]{0,4}Gi$")
    _iam_role_name_re = re.compile(r"^[\w+=,.@-]{1,64}$")
    _capacity_types = ("spot", "on-demand", "reserved")
    _family_key = "karpenter.k8s.aws/instance-family"
    _capacity_key = "karpenter.sh/capacity-type"

    def _autoscaler_node_pools(self, settings: dict) -> list:
        cluster = settings.get("cluster_name")
        node_role = settings.get("karpenter_node_role")
        alias = settings.get("karpenter_ami_alias")
        pools = settings.get("karpenter_pools")
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
        if not isinstance(pools, dict):
            problems.append(f"karpenter_pools: must be a mapping of node pool key -> settings, got {show(pools)}")
            pools = {}
        if not isinstance(platform_pools, dict):
            platform_pools = {}
        for key in sorted(pools):
            problems += self._karpenter_pool_problems(key, pools[key], platform_pools.get(key))
        if problems:
            self._autoscaler_failure("Karpenter node pools", problems)
        node_classes = [self._ec2_node_class(key, pools[key], cluster, node_role, alias) for key in sorted(pools)]
        node_pools = [self._karpenter_node_pool(key, pools[key], platform_pools[key]) for key in sorted(pools)]
        return node_classes + node_pools

    def _karpenter_pool_problems(self, key, pool, platform_pool) -> list:
        prefix = f"karpenter_pools.{key}"
        if not isinstance(pool, dict):
            return [f"{prefix}: must be a mapping, got {show(pool)}"]
        problems = []
        if not isinstance(platform_pool, dict):
            problems.append(
                f"{prefix}: platform_node_pools has no {show(key)} pool; the Karpenter pool takes its taints and "
                f"its {self.pool_label} label from it"
            )
        elif not isinstance(platform_pool.get("taints", []), list):
            taints = platform_pool.get("taints")
            problems.append(f"platform_node_pools.{key}.taints: must be a list, got {show(taints)}")
        problems += self._object_name_problems(f"{prefix}.name", pool.get("name"), "a NodePool name like gpu-workloads")
        requirements = pool.get("requirements")
        if not isinstance(requirements, dict) or not requirements:
            problems.append(f"{prefix}.requirements: must map node labels to allowed values, got {show(requirements)}")
            requirements = {}
        for label, values in requirements.items():
            if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
                problems.append(
                    f"{prefix}.requirements.{label}: must be a non-empty list of strings, not {show(values)}"
                )
        capacity = requirements.get(self._capacity_key)
        if not isinstance(capacity, list) or not capacity:
            allowed = ", ".join(self._capacity_types)
            problems.append(f"{prefix}.requirements: {self._capacity_key} missing; list {allowed}")
        else:
            problems += [
                "{}.requirements.{}: {} is not allowed; allowed: {}".format(
                    prefix, self._capacity_key, show(value), ", ".join(self._capacity_types)
                )
                for value in capacity
                if value not in self._capacity_types
            ]
        families = requirements.get(self._family_key)
        if isinstance(platform_pool, dict) and platform_pool.get("gpu") is True:
            if not isinstance(families, list):
                problems.append(
                    f"{prefix}.requirements: a GPU pool must list {self._family_key} ({self.gpu_families_text})"
                )
            else:
                problems += [
                    f"{prefix}.requirements.{self._family_key}: {show(value)} has no NVIDIA GPU "
                    f"(GPU families: {self.gpu_families_text})"
                    for value in families
                    if value not in GPU_FAMILIES
                ]
        for field in ("consolidate_after", "expire_after"):
            value = pool.get(field)
            if not isinstance(value, str) or not self._duration_re.match(value):
                problems.append(f"{prefix}.{field}: {show(value)} is not a duration such as 10m, 720h or Never")
        volume = pool.get("volume_size")
        if not isinstance(volume, str) or not self._volume_re.match(volume):
            problems.append(f"{prefix}.volume_size: {show(volume)} is not a size in Gi such as 100Gi")
        limits = pool.get("limits")
        if not isinstance(limits, dict) or not limits:
            problems.append(f"{prefix}.limits: must cap the pool's resources (cpu, memory, ...), got {show(limits)}")
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

    @staticmethod
    def _label_value(value) -> str:
        # An unquoted YAML `true` is spelled as Terraform and kubectl spell it (nvidia.com/gpu=true).
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def _karpenter_node_pool(self, key: str, pool: dict, platform_pool: dict) -> dict:
        requirements = pool["requirements"]
        taints = [
            {"key": taint.get("key"), "value": self._label_value(taint.get("value")), "effect": taint.get("effect")}
            if taint.get("value") is not None
            else {"key": taint.get("key"), "effect": taint.get("effect")}
            for taint in platform_pool.get("taints") or []
        ]
        spec = {
            "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": key},
            "requirements": [
                {"key": label, "operator": "In", "values": list(requirements[label])} for label in sorted(requirements)
            ],
            "expireAfter": pool["expire_after"],
        }
        if taints:
            spec["taints"] = taints
        limits = pool["limits"]
        return {
            "apiVersion": "karpenter.sh/v1",
            "kind": "NodePool",
            "metadata": {"name": pool["name"]},
            "spec": {
                "template": {"metadata": {"labels": {self.pool_label: key}}, "spec": spec},
                "limits": {name: str(limits[name]) for name in sorted(limits)},
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


def _s3_endpoint(region: str) -> str:
    """The regional S3 endpoint (China regions live under amazonaws.com.cn)."""
    return f"s3.{region}.amazonaws.com.cn" if region.startswith("cn-") else f"s3.{region}.amazonaws.com"

from __future__ import annotations

import pytest

from ansible_collections.mlops.platform.plugins.module_utils._cloud import get_profile, supported_clouds
from ansible_collections.mlops.platform.plugins.module_utils._cloud.aws import AwsProfile
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError

AWS = get_profile("aws")
ROLE = "arn:aws:iam::123456789012:role/mlops-dev-mlflow"


def test_get_profile():
    assert isinstance(AWS, AwsProfile)
    assert supported_clouds() == ["aws", "azure", "local"]


@pytest.mark.parametrize("cloud", ["gcp", "AWS", "", None, ["aws"], 1])
def test_get_profile_unknown_names_the_allowed_clouds(cloud):
    with pytest.raises(PlatformError, match=r"unknown cloud .*; allowed: aws, azure, local"):
        get_profile(cloud)


# ---------------------------------------------------------------- workload identity
@pytest.mark.parametrize(
    "arn",
    [
        ROLE,
        "arn:aws:iam::123456789012:role/path/to/mlops-dev-mlflow",
        "arn:aws-us-gov:iam::123456789012:role/x",
        "arn:aws-cn:iam::123456789012:role/name+=,.@-_",
    ],
)
def test_workload_identity_irsa(arn):
    assert AWS.workload_identity(arn) == {
        "service_account_annotations": {"eks.amazonaws.com/role-arn": arn},
        "service_account_labels": {},
        "pod_labels": {},
    }


@pytest.mark.parametrize(
    ("identity", "message"),
    [
        ("arn:aws:iam::12345678901:role/x", "is not an IAM role ARN"),  # 11 digits
        ("arn:aws:iam::123456789012:user/x", "is not an IAM role ARN"),
        ("arn:aws:iam::123456789012:role/", "is not an IAM role ARN"),
        ("arn:aws:s3:::bucket", "is not an IAM role ARN"),
        ("22222222-2222-2222-2222-222222222222", "is a managed identity client ID; on aws use an IAM role ARN"),
        ("", "is not an IAM role ARN"),
        (None, "null is not an IAM role ARN"),
        (123, r"123 \(int\) is not an IAM role ARN"),
    ],
)
def test_workload_identity_rejects(identity, message):
    with pytest.raises(PlatformError, match=message):
        AWS.workload_identity(identity)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (ROLE, []),
        (
            "22222222-2222-2222-2222-222222222222",
            [
                "platform_infra.identities.mlflow: '22222222-2222-2222-2222-222222222222' is a managed identity "
                "client ID; on aws use an IAM role ARN (arn:aws:iam::<12-digit account id>:role/<name>) such as "
                "arn:aws:iam::123456789012:role/mlops-dev-mlflow"
            ],
        ),
        (
            "mlflow",
            [
                "platform_infra.identities.mlflow: 'mlflow' is not an IAM role ARN; on aws use an IAM role ARN "
                "(arn:aws:iam::<12-digit account id>:role/<name>) such as "
                "arn:aws:iam::123456789012:role/mlops-dev-mlflow"
            ],
        ),
    ],
)
def test_identity_problems(value, expected):
    assert AWS.identity_problems("mlflow", value) == expected


# ---------------------------------------------------------------- object store
@pytest.mark.parametrize(
    ("bucket", "path", "account", "expected"),
    [
        ("mlops-dev-artifacts-123456789012", "", None, "s3://mlops-dev-artifacts-123456789012"),
        ("mlops-dev-artifacts", "mlflow", None, "s3://mlops-dev-artifacts/mlflow"),
        ("mlops-dev-artifacts", "/mlflow//runs/", "", "s3://mlops-dev-artifacts/mlflow/runs"),
        ("my.bucket.name", "///", None, "s3://my.bucket.name"),
        ("abc", None, None, "s3://abc"),
    ],
)
def test_object_store_uri(bucket, path, account, expected):
    assert AWS.object_store_uri(bucket, path, account) == expected


@pytest.mark.parametrize(
    ("bucket", "reason"),
    [
        ("ab", "3-63 lowercase"),
        ("a" * 64, "3-63 lowercase"),
        ("My-Bucket", "3-63 lowercase"),
        ("-bucket", "3-63 lowercase"),
        ("bucket-", "3-63 lowercase"),
        ("bucket_name", "3-63 lowercase"),
        ("my..bucket", "no two adjacent periods"),
        ("192.168.5.4", "not formatted as an IP address"),
        ("xn--bucket", "no prefix"),
        ("sthree-bucket", "no prefix"),
        ("bucket-s3alias", "no suffix"),
        ("bucket--ol-s3", "no suffix"),
        (None, "3-63 lowercase"),
        (["bucket"], "3-63 lowercase"),
    ],
)
def test_object_store_rejects_bad_buckets(bucket, reason):
    with pytest.raises(PlatformError, match=rf"bucket: .* is not a valid S3 bucket name \({reason}"):
        AWS.object_store_uri(bucket)


def test_object_store_rejects_an_account_and_a_bad_path():
    with pytest.raises(PlatformError, match=r"account: 'acct' is set.*leave it null on aws; path: must be a string"):
        AWS.object_store_uri("bucket", ["x"], "acct")


def test_object_store_problems_name_the_variables():
    assert AWS.object_store_problems(
        "B", "x", "platform_infra.object_store_bucket", "platform_infra.object_store_account"
    ) == [
        "platform_infra.object_store_account: 'x' is set, but an S3 bucket has no storage account; "
        "leave it null on aws",
        "platform_infra.object_store_bucket: 'B' is not a valid S3 bucket name (3-63 lowercase letters, digits, '.' "
        "and '-', starting and ending with a letter or digit)",
    ]


# ---------------------------------------------------------------- ingress
ALB = "alb.ingress.kubernetes.io/"


CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
HTTPS = {
    ALB + "listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
    ALB + "ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
    ALB + "ssl-redirect": "443",
}


@pytest.mark.parametrize(
    ("kwargs", "annotations", "tls"),
    [
        (
            {},
            {
                ALB + "backend-protocol": "HTTP",
                ALB + "listen-ports": '[{"HTTP": 80}]',
                ALB + "scheme": "internet-facing",
                ALB + "target-type": "ip",
            },
            [],
        ),
        (
            {
                "scheme": "internal",
                "host": "mlflow.example.com",
                "tls": {"certificate_arn": CERTIFICATE},
                "group": "platform",
                "name": "mlflow",
            },
            {
                ALB + "backend-protocol": "HTTP",
                ALB + "certificate-arn": CERTIFICATE,
                ALB + "group.name": "platform-internal",
                ALB + "scheme": "internal",
                ALB + "target-type": "ip",
                **HTTPS,
            },
            [{"hosts": ["mlflow.example.com"]}],
        ),
        (
            # No ARN (null or ""): the controller finds ACM's certificate by the TLS host; the issuer is not AWS's.
            {"host": "*.models.example.com", "tls": {"certificate_arn": "", "issuer": "letsencrypt"}, "group": "mlops"},
            {
                ALB + "backend-protocol": "HTTP",
                ALB + "group.name": "mlops-public",
                ALB + "scheme": "internet-facing",
                ALB + "target-type": "ip",
                **HTTPS,
            },
            [{"hosts": ["*.models.example.com"]}],
        ),
        (
            # No tls: plain HTTP, even with a host.
            {"host": "*.example.com", "backend_protocol": "HTTPS"},
            {
                ALB + "backend-protocol": "HTTPS",
                ALB + "listen-ports": '[{"HTTP": 80}]',
                ALB + "scheme": "internet-facing",
                ALB + "target-type": "ip",
            },
            [],
        ),
    ],
)
def test_ingress(kwargs, annotations, tls):
    spec = AWS.ingress(**kwargs)
    assert spec == {
        "controller": "aws_load_balancer_controller",
        "tls_source": "acm",
        "class_name": "alb",
        "annotations": annotations,
        "tls": tls,
    }
    assert list(spec["annotations"]) == sorted(annotations)


@pytest.mark.parametrize("scheme", ["internet-facing", "internal"])
def test_ingress_one_alb_per_group_and_scheme(scheme):
    annotations = AWS.ingress(scheme=scheme, group="a" * 54)["annotations"]
    suffix = "internal" if scheme == "internal" else "public"
    assert annotations[ALB + "group.name"] == "a" * 54 + "-" + suffix
    assert len(annotations[ALB + "group.name"]) <= 63


@pytest.mark.parametrize(
    "arn",
    [
        CERTIFICATE,
        "arn:aws-us-gov:acm:us-gov-west-1:123456789012:certificate/abcdef01-2345-6789-abcd-ef0123456789",
        "arn:aws-cn:acm:cn-north-1:123456789012:certificate/abcdef01-2345-6789-abcd-ef0123456789",
    ],
)
def test_ingress_takes_acm_certificate_arns(arn):
    annotations = AWS.ingress(host="a.example.com", tls={"certificate_arn": arn})["annotations"]
    assert annotations[ALB + "certificate-arn"] == arn


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scheme": "public"}, "scheme 'public' is not allowed; allowed: internet-facing, internal"),
        ({"backend_protocol": "GRPC"}, "backend_protocol 'GRPC' is not allowed; allowed: HTTP, HTTPS"),
        ({"host": "Not A Host"}, "host 'Not A Host' is not allowed"),
        ({"group": "-grp"}, "group '-grp' is not allowed"),
        ({"group": "a" * 55}, r"group 'a{55}' is not allowed; use lowercase letters, digits, '-' and '.', <= 54"),
        ({"name": "MLflow"}, r"name 'MLflow' is not allowed; use a name such as mlflow \(the Secret <name>-tls\)"),
        ({"name": "a" * 60}, r"name 'a{60}' is not allowed"),
        ({"tls": {"certificate_arn": CERTIFICATE}}, r"tls: needs a host; the ALB serves the ACM certificate"),
        ({"tls": "acm"}, r"tls: must be a mapping of the certificate source, got 'acm'"),
        (
            {"host": "a.example.com", "tls": {"certificate_arn": "arn:aws:iam::123456789012:role/x"}},
            r"tls.certificate_arn: 'arn:aws:iam::123456789012:role/x' is not an ACM certificate ARN "
            r"\(arn:aws:acm:<region>:<account>:certificate/<id>\)",
        ),
        (
            {"host": "a.example.com", "tls": {"certificate_arn": 5}},
            r"tls.certificate_arn: 5 \(int\) is not an ACM certificate ARN",
        ),
    ],
)
def test_ingress_rejects(kwargs, message):
    with pytest.raises(PlatformError, match=r"^invalid ingress for aws: " + message):
        AWS.ingress(**kwargs)


@pytest.mark.parametrize("scheme", ["internet-facing", "internal"])
def test_controller_service_annotations_are_empty(scheme):
    # The ALB is provisioned per Ingress; the controller's own Service needs nothing.
    assert AWS.ingress_controller_service_annotations(scheme) == {}


def test_controller_service_annotations_reject_unknown_scheme():
    with pytest.raises(PlatformError, match="scheme 'external' is not allowed"):
        AWS.ingress_controller_service_annotations("external")


# ---------------------------------------------------------------- node pools
def pool(**overrides):
    base = {"instance_types": ["t3.large"], "capacity_type": "on_demand", "min_size": 2, "max_size": 2}
    return {**base, **overrides}


GPU_TAINT = [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("general", pool()),
        ("training", pool(instance_types=["c5.2xlarge", "m5.xlarge"], capacity_type="spot")),
        ("gpu", pool(instance_types=["g4dn.xlarge", "g5.2xlarge", "p4d.24xlarge"], gpu=True, taints=GPU_TAINT)),
        ("gpu", pool(instance_types=["g6e.xlarge"], gpu=True, capacity_type="spot")),
    ],
)
def test_node_pool_ok(key, value):
    assert AWS.node_pool_problems(key, value) == []


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        (
            "gpu",
            pool(instance_types=["Standard_NC6s_v3"], gpu=True),
            [
                "platform_node_pools.gpu.instance_types[0]: 'Standard_NC6s_v3' is an Azure VM size; on aws use an EC2 "
                "instance type such as g4dn.xlarge (GPU families: g4dn, g5, g5g, g6, g6e, g6f, gr6, p3, p3dn, p4d, "
                "p4de, p5, p5e, p5en)"
            ],
        ),
        (
            "general",
            pool(instance_types=["Standard_D4s_v3"]),
            [
                "platform_node_pools.general.instance_types[0]: 'Standard_D4s_v3' is an Azure VM size; on aws use an "
                "EC2 instance type such as t3.large"
            ],
        ),
        (
            "general",
            pool(instance_types=["T3.LARGE"]),
            [
                "platform_node_pools.general.instance_types[0]: 'T3.LARGE' is not an EC2 instance type; use "
                "<family>.<size> such as t3.large"
            ],
        ),
        (
            "gpu",
            pool(instance_types=["m5.xlarge"], gpu=True),
            [
                "platform_node_pools.gpu.instance_types[0]: 'm5.xlarge' has no NVIDIA GPU but the pool sets gpu: true; "
                "use a GPU family (g4dn, g5, g5g, g6, g6e, g6f, gr6, p3, p3dn, p4d, p4de, p5, p5e, p5en) such as "
                "g4dn.xlarge"
            ],
        ),
        (
            "training",
            pool(capacity_type="SPOT"),
            ["platform_node_pools.training.capacity_type: 'SPOT' is not allowed; allowed: on_demand, spot"],
        ),
        (
            "training",
            {"instance_types": ["c5.xlarge"]},
            ["platform_node_pools.training.capacity_type: missing; set one of on_demand, spot"],
        ),
    ],
)
def test_node_pool_problems(key, value, expected):
    assert AWS.node_pool_problems(key, value) == expected


@pytest.mark.parametrize("value", [None, "pool", [], {"instance_types": "t3.large", "capacity_type": "spot"}])
def test_node_pool_garbage_is_left_to_preflight(value):
    assert AWS.node_pool_problems("general", value) == []


def test_node_pool_problems_do_not_mutate():
    value = pool(gpu=True, instance_types=["t3.large"])
    before = repr(value)
    AWS.node_pool_problems("gpu", value)
    assert repr(value) == before


# ---------------------------------------------------------------- region
@pytest.mark.parametrize("region", ["eu-west-1", "us-east-2", "ap-southeast-3", "us-gov-west-1", "il-central-1"])
def test_region_ok(region):
    assert AWS.region_problems(region) == []


@pytest.mark.parametrize(
    ("region", "message"),
    [
        ("westeurope", "platform_region: 'westeurope' is an Azure region; on aws use an AWS region"),
        ("eu-west", "platform_region: 'eu-west' is not an AWS region; on aws use an AWS region"),
        ("EU-WEST-1", "is not an AWS region"),
        (None, "platform_region: null is not an AWS region"),
    ],
)
def test_region_problems(region, message):
    (problem,) = AWS.region_problems(region)
    assert message in problem
    assert problem.endswith("such as eu-west-1")


# ---------------------------------------------------------------- autoscaling (Karpenter)
KARPENTER_SETTINGS = {
    "cluster_name": "mlops-dev",
    "node_pools": {
        "general": pool(min_size=2, desired_size=2, max_size=2),
        "gpu": pool(
            instance_types=["g5.xlarge"],
            capacity_type="spot",
            gpu=True,
            min_size=0,
            max_size=4,
            taints=[{"key": "nvidia.com/gpu", "value": True, "effect": "NoSchedule"}],
        ),
    },
    "karpenter_node_role": "mlops-dev-karpenter-node",
    "karpenter_ami_alias": "al2023@v20250807",
    "karpenter_pools": {"gpu": {"name": "gpu-workloads", "consolidate_after": "1h30m", "expire_after": "168h"}},
}


def test_autoscaler_is_karpenter():
    assert AWS.autoscaler() == {
        "controller": "karpenter",
        "chart": "karpenter",
        "crd_chart": "karpenter_crd",
        "identity": "karpenter",
    }


def test_autoscaler_objects_karpenter():
    objects = AWS.autoscaler_objects(KARPENTER_SETTINGS)
    assert objects["scalers"] == []
    # general is the EKS managed node group: no NodePool of its own
    node_class, node_pool = objects["node_pools"]
    assert node_class["kind"] == "EC2NodeClass" and node_class["metadata"]["name"] == "gpu"
    assert node_pool["metadata"]["name"] == "gpu-workloads"
    assert node_pool["spec"]["template"]["spec"]["nodeClassRef"]["name"] == node_class["metadata"]["name"]
    # an unquoted YAML boolean taint value is spelled as Terraform spells it (nvidia.com/gpu=true)
    assert node_pool["spec"]["template"]["spec"]["taints"] == [
        {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}
    ]
    # max_size 4 x g5.xlarge (4 vCPUs, 1 GPU)
    assert node_pool["spec"]["limits"] == {"cpu": "16", "nvidia.com/gpu": "4"}
    assert node_pool["spec"]["template"]["spec"]["expireAfter"] == "168h"
    assert node_pool["spec"]["disruption"]["consolidateAfter"] == "1h30m"


@pytest.mark.parametrize("alias", ["al2023@latest", "al2023", "windows2022@latest", "al2023@v2025 05", "", None])
def test_autoscaler_objects_ami_alias_pinned(alias):
    with pytest.raises(PlatformError, match=r"karpenter_ami_alias: .* is not a pinned EKS-optimized AMI alias"):
        AWS.autoscaler_objects({**KARPENTER_SETTINGS, "karpenter_ami_alias": alias})


def test_default_storage_class_is_gp3_on_the_ebs_csi_driver():
    assert AWS.default_storage_class() == {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": "gp3", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "ebs.csi.aws.com",
        "parameters": {"type": "gp3", "encrypted": "true"},
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
    }


def test_default_storage_class_is_a_fresh_object():
    AWS.default_storage_class()["metadata"]["name"] = "changed"
    assert AWS.default_storage_class()["metadata"]["name"] == "gp3"


def test_ebs_csi_driver_identity_reaches_the_terraform_root():
    assert "ebs_csi_driver" in AWS.terraform_service_account_keys

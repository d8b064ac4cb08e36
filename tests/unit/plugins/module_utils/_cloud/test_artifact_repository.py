from __future__ import annotations

import pytest

from ansible_collections.mlops.platform.plugins.module_utils._cloud import get_profile
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError

BUCKET = "mlops-dev-artifacts-123456789012"


@pytest.mark.parametrize(
    ("cloud", "bucket", "account", "key_prefix", "region", "expected"),
    [
        (
            "aws",
            BUCKET,
            None,
            "argo",
            "eu-west-1",
            {
                "s3": {
                    "bucket": BUCKET,
                    "endpoint": "s3.eu-west-1.amazonaws.com",
                    "region": "eu-west-1",
                    "keyFormat": "argo/{{workflow.name}}/{{pod.name}}",
                    "useSDKCreds": True,
                }
            },
        ),
        (
            "aws",
            BUCKET,
            "",
            "/argo//runs/",
            "cn-north-1",
            {
                "s3": {
                    "bucket": BUCKET,
                    "endpoint": "s3.cn-north-1.amazonaws.com.cn",
                    "region": "cn-north-1",
                    "keyFormat": "argo/runs/{{workflow.name}}/{{pod.name}}",
                    "useSDKCreds": True,
                }
            },
        ),
        (
            "azure",
            "mlflow-artifacts",
            "mlopsdevartifacts",
            "argo",
            "westeurope",
            {
                "azure": {
                    "endpoint": "https://mlopsdevartifacts.blob.core.windows.net",
                    "container": "mlflow-artifacts",
                    "blobNameFormat": "argo/{{workflow.name}}/{{pod.name}}",
                    "useSDKCreds": True,
                }
            },
        ),
        (
            "azure",
            "mlflow-artifacts",
            "mlopsdevartifacts",
            None,
            None,
            {
                "azure": {
                    "endpoint": "https://mlopsdevartifacts.blob.core.windows.net",
                    "container": "mlflow-artifacts",
                    "blobNameFormat": "{{workflow.name}}/{{pod.name}}",
                    "useSDKCreds": True,
                }
            },
        ),
    ],
)
def test_artifact_repository(cloud, bucket, account, key_prefix, region, expected):
    assert get_profile(cloud).artifact_repository(bucket, account, key_prefix, region) == expected


@pytest.mark.parametrize(
    ("cloud", "bucket", "account", "key_prefix", "region", "message"),
    [
        ("aws", BUCKET, None, "argo", None, r"region: null is not an AWS region; an S3 artifact repository needs"),
        ("aws", BUCKET, None, "argo", "westeurope", r"region: 'westeurope' is not an AWS region"),
        ("aws", BUCKET, "mlopsdevartifacts", "argo", "eu-west-1", r"account: 'mlopsdevartifacts' is set"),
        ("aws", "Bad_Bucket", None, "argo", "eu-west-1", r"bucket: 'Bad_Bucket' is not a valid S3 bucket name"),
        ("aws", BUCKET, None, 7, "eu-west-1", r"key_prefix: must be a string, got 7 \(int\)"),
        ("aws", BUCKET, None, "{{workflow.name}}", "eu-west-1", r"key_prefix: '\{\{workflow.name\}\}' must be a"),
        ("azure", "mlflow-artifacts", None, "argo", None, r"account: missing; azure needs the storage account"),
        ("azure", "Bad--c", "mlopsdevartifacts", "argo", None, r"bucket: 'Bad--c' is not a valid blob container"),
    ],
)
def test_artifact_repository_rejects(cloud, bucket, account, key_prefix, region, message):
    with pytest.raises(PlatformError, match=message):
        get_profile(cloud).artifact_repository(bucket, account, key_prefix, region)


def test_artifact_repository_errors_name_the_cloud():
    with pytest.raises(PlatformError, match=r"^invalid AWS artifact repository: "):
        get_profile("aws").artifact_repository(BUCKET, None, "argo", "")

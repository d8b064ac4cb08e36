from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.filter.artifact_repository import FilterModule, artifact_repository

BUCKET = "mlops-dev-artifacts-123456789012"


def test_registered():
    assert FilterModule().filters()["artifact_repository"] is artifact_repository


@pytest.mark.parametrize(
    ("cloud", "bucket", "account", "region", "expected"),
    [
        (
            "aws",
            BUCKET,
            None,
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
            "azure",
            "mlflow-artifacts",
            "mlopsdevartifacts",
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
    ],
)
def test_both_clouds(cloud, bucket, account, region, expected):
    assert artifact_repository(cloud, bucket, account=account, key_prefix="argo", region=region) == expected


@pytest.mark.parametrize(
    ("cloud", "bucket", "account", "region", "message"),
    [
        (None, BUCKET, None, "eu-west-1", r"^artifact_repository: unknown cloud null"),
        ("aws", BUCKET, None, None, r"^artifact_repository: invalid AWS artifact repository: region: null"),
        ("azure", "mlflow-artifacts", None, "westeurope", r"account: missing; azure needs the storage account"),
    ],
)
def test_errors_name_the_value(cloud, bucket, account, region, message):
    with pytest.raises(AnsibleFilterError, match=message):
        artifact_repository(cloud, bucket, account=account, key_prefix="argo", region=region)

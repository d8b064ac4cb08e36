from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.filter.object_store_uri import FilterModule, object_store_uri


def test_registered():
    assert FilterModule().filters()["object_store_uri"] is object_store_uri


@pytest.mark.parametrize(
    ("cloud", "args", "kwargs", "expected"),
    [
        ("aws", ("mlops-dev-artifacts-123456789012",), {}, "s3://mlops-dev-artifacts-123456789012"),
        ("aws", ("mlops-dev-artifacts", "mlflow"), {"account": None}, "s3://mlops-dev-artifacts/mlflow"),
        ("aws", ("mlops-dev-artifacts", "/a//b/"), {}, "s3://mlops-dev-artifacts/a/b"),
        (
            "azure",
            ("mlflow-artifacts",),
            {"account": "mlopsdevartifacts"},
            "wasbs://mlflow-artifacts@mlopsdevartifacts.blob.core.windows.net",
        ),
        (
            "azure",
            ("mlflow-artifacts", "/models/iris/"),
            {"account": "mlopsdevartifacts"},
            "wasbs://mlflow-artifacts@mlopsdevartifacts.blob.core.windows.net/models/iris",
        ),
    ],
)
def test_both_clouds(cloud, args, kwargs, expected):
    assert object_store_uri(cloud, *args, **kwargs) == expected


@pytest.mark.parametrize(
    ("cloud", "args", "kwargs", "message"),
    [
        ("gcp", ("bucket",), {}, r"object_store_uri: unknown cloud 'gcp'; allowed: aws, azure, local"),
        ("aws", ("Bad_Bucket",), {}, r"bucket: 'Bad_Bucket' is not a valid S3 bucket name \(3-63 lowercase"),
        ("aws", ("bucket-s3alias",), {}, r"no suffix -s3alias"),
        ("aws", ("bucket",), {"account": "acct"}, r"account: 'acct' is set.*leave it null on aws"),
        ("azure", ("mlflow",), {}, r"account: missing; azure needs the storage account name"),
        ("azure", ("ml--flow",), {"account": "acct"}, r"bucket: 'ml--flow' is not a valid blob container name"),
        ("azure", ("mlflow", 5), {"account": "acct"}, r"path: must be a string, got 5 \(int\)"),
    ],
)
def test_errors_name_the_value_and_what_is_allowed(cloud, args, kwargs, message):
    with pytest.raises(AnsibleFilterError, match=message):
        object_store_uri(cloud, *args, **kwargs)

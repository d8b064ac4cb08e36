from __future__ import annotations

import pytest

from ansible_collections.mlops.platform.plugins.module_utils._cloud import get_profile
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError


@pytest.mark.parametrize(
    ("cloud", "region", "expected"),
    [
        (
            "aws",
            "eu-west-1",
            {
                "serving.kserve.io/s3-endpoint": "s3.eu-west-1.amazonaws.com",
                "serving.kserve.io/s3-region": "eu-west-1",
                "serving.kserve.io/s3-useanoncredential": "false",
                "serving.kserve.io/s3-usehttps": "1",
            },
        ),
        (
            "aws",
            "cn-northwest-1",
            {
                "serving.kserve.io/s3-endpoint": "s3.cn-northwest-1.amazonaws.com.cn",
                "serving.kserve.io/s3-region": "cn-northwest-1",
                "serving.kserve.io/s3-useanoncredential": "false",
                "serving.kserve.io/s3-usehttps": "1",
            },
        ),
        ("azure", "westeurope", {}),
        ("azure", None, {}),
    ],
)
def test_model_store_annotations(cloud, region, expected):
    result = get_profile(cloud).model_store_annotations(region)
    assert result == expected
    assert list(result) == sorted(result)


@pytest.mark.parametrize(
    ("region", "message"),
    [
        (None, r"^invalid AWS model store: region: null is not an AWS region; KServe's S3 client needs"),
        ("westeurope", r"region: 'westeurope' is not an AWS region"),
        (["eu-west-1"], r"region: \['eu-west-1'\] \(list\) is not an AWS region"),
    ],
)
def test_model_store_annotations_rejects(region, message):
    with pytest.raises(PlatformError, match=message):
        get_profile("aws").model_store_annotations(region)

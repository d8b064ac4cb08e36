from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.filter.model_store_annotations import (
    FilterModule,
    model_store_annotations,
)


def test_registered():
    assert FilterModule().filters()["model_store_annotations"] is model_store_annotations


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
        ("azure", "westeurope", {}),
    ],
)
def test_both_clouds(cloud, region, expected):
    assert model_store_annotations(cloud, region) == expected


@pytest.mark.parametrize(
    ("cloud", "region", "message"),
    [
        ("gcp", "eu-west-1", r"^model_store_annotations: unknown cloud 'gcp'"),
        ("aws", "westeurope", r"^model_store_annotations: invalid AWS model store: region: 'westeurope' is not"),
    ],
)
def test_errors_name_the_value(cloud, region, message):
    with pytest.raises(AnsibleFilterError, match=message):
        model_store_annotations(cloud, region)

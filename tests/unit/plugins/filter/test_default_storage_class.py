from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.filter.default_storage_class import (
    FilterModule,
    default_storage_class,
)


def test_registered():
    assert FilterModule().filters()["default_storage_class"] is default_storage_class


def test_aws_is_the_default_gp3_class():
    storage_class = default_storage_class("aws")
    assert storage_class["kind"] == "StorageClass"
    assert storage_class["metadata"]["name"] == "gp3"
    assert storage_class["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}
    assert storage_class["provisioner"] == "ebs.csi.aws.com"


def test_azure_has_its_own():
    assert default_storage_class("azure") is None


def test_unknown_cloud():
    message = r"default_storage_class: unknown cloud 'gcp'; allowed: aws, azure, local"
    with pytest.raises(AnsibleFilterError, match=message):
        default_storage_class("gcp")

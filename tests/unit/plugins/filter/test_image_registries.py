from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.filter.image_registries import (
    FilterModule,
    image_registries,
    image_registry,
)


def test_registered():
    assert FilterModule().filters()["image_registries"] is image_registries


@pytest.mark.parametrize(
    ("reference", "registry"),
    [
        ("busybox", "docker.io"),
        ("busybox:1.32", "docker.io"),
        ("burakince/mlflow", "docker.io"),
        ("docker.io/library/postgres:16.9", "docker.io"),
        ("index.docker.io/library/busybox", "docker.io"),
        ("quay.io/minio/minio", "quay.io"),
        ("nvcr.io/nvidia/k8s/dcgm-exporter", "nvcr.io"),
        (
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mlops-pipeline:0.1.0",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
        ),
        ("mlopsdevacr.azurecr.io", "mlopsdevacr.azurecr.io"),
        ("localhost:5000/x", "localhost:5000"),
        ("localhost/x", "localhost"),
        ("localhost:5000", "localhost:5000"),
        ("busybox@sha256:abc", "docker.io"),
    ],
)
def test_registry_of_a_reference(reference, registry):
    assert image_registry(reference) == registry


def test_sorted_unique_and_empty_entries_skipped():
    refs = ["busybox", "", None, "quay.io/minio/minio", "burakince/mlflow", "mlopsdevacr.azurecr.io"]
    assert image_registries(refs) == ["docker.io", "mlopsdevacr.azurecr.io", "quay.io"]


def test_not_a_list():
    with pytest.raises(AnsibleFilterError):
        image_registries("busybox")
    with pytest.raises(AnsibleFilterError):
        image_registry(3)

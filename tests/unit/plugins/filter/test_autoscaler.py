from __future__ import annotations

import pathlib

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.filter.autoscaler import FilterModule, autoscaler


def test_registered():
    assert FilterModule().filters()["autoscaler"] is autoscaler


@pytest.mark.parametrize(
    ("cloud", "expected"),
    [
        (
            "aws",
            {"controller": "karpenter", "chart": "karpenter", "crd_chart": "karpenter_crd", "identity": "karpenter"},
        ),
        ("azure", {"controller": "keda", "chart": "keda", "crd_chart": None, "identity": None}),
    ],
)
def test_both_clouds(cloud, expected):
    assert autoscaler(cloud) == expected


def test_chart_keys_are_in_the_versions_file():
    versions = pathlib.Path(__file__).parents[4] / "roles/platform/defaults/main/versions.yml"
    charts = yaml.safe_load(versions.read_text())["platform_versions"]["charts"]
    for cloud in ("aws", "azure"):
        spec = autoscaler(cloud)
        assert spec["chart"] in charts
        assert spec["crd_chart"] is None or spec["crd_chart"] in charts


def test_unknown_cloud():
    with pytest.raises(AnsibleFilterError, match=r"autoscaler: unknown cloud 'gcp'; allowed: aws, azure, local"):
        autoscaler("gcp")

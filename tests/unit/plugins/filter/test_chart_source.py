from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.filter.chart_source import FilterModule, chart_source

CHART = {"repo": "https://charts.jetstack.io", "name": "cert-manager", "version": "v1.19.1"}


def test_registered():
    assert FilterModule().filters()["chart_source"] is chart_source


@pytest.mark.parametrize(
    ("chart", "expected"),
    [
        (CHART, {"ref": "cert-manager", "version": "v1.19.1", "repo": "https://charts.jetstack.io"}),
        (
            {"repo": "oci://public.ecr.aws/karpenter", "name": "karpenter", "version": "1.8.0"},
            {"ref": "oci://public.ecr.aws/karpenter/karpenter", "version": "1.8.0", "repo": None},
        ),
    ],
)
def test_repositories(chart, expected):
    assert chart_source(chart) == expected


def test_mirror(tmp_path):
    (tmp_path / "cert-manager-v1.19.1.tgz").write_bytes(b"")
    assert chart_source(CHART, str(tmp_path))["ref"] == str(tmp_path / "cert-manager-v1.19.1.tgz")


@pytest.mark.parametrize(
    ("chart", "mirror", "message"),
    [
        ("cert-manager", "", "expected a chart dict"),
        (CHART, "/nonexistent", "has no cert-manager-v1.19.1.tgz"),
        ({"name": "x"}, "", "lacks repo, version"),
    ],
)
def test_errors_name_the_problem(chart, mirror, message):
    with pytest.raises(AnsibleFilterError, match=message):
        chart_source(chart, mirror)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.filter.pod_security_labels import FilterModule, pod_security_labels

LEVELS = {
    "mlflow": {"enforce": "baseline", "warn": "restricted", "audit": "restricted"},
    "monitoring": {"enforce": "privileged"},
}
DEFAULT = {"enforce": "restricted"}


def test_registered():
    assert FilterModule().filters()["pod_security_labels"] is pod_security_labels


@pytest.mark.parametrize(
    ("namespace", "expected"),
    [
        (
            "mlflow",
            {
                "pod-security.kubernetes.io/audit": "restricted",
                "pod-security.kubernetes.io/enforce": "baseline",
                "pod-security.kubernetes.io/warn": "restricted",
            },
        ),
        ("monitoring", {"pod-security.kubernetes.io/enforce": "privileged"}),
        ("other", {"pod-security.kubernetes.io/enforce": "restricted"}),
    ],
)
def test_labels(namespace, expected):
    assert pod_security_labels(namespace, LEVELS, DEFAULT) == expected


def test_input_is_not_mutated():
    levels = {"a": {"enforce": "baseline"}}
    pod_security_labels("a", levels, DEFAULT)
    assert levels == {"a": {"enforce": "baseline"}}


@pytest.mark.parametrize(
    ("namespace", "levels", "message"),
    [
        ("", LEVELS, "expected a namespace name"),
        ("x", {"x": {"enforce": "strict"}}, r"platform_pod_security.x.enforce: 'strict' is not one of privileged"),
        ("x", {"x": {"enforced": "baseline"}}, r"unknown mode\(s\) enforced"),
        ("x", {"x": "baseline"}, "must be a dict"),
    ],
)
def test_errors(namespace, levels, message):
    with pytest.raises(AnsibleFilterError, match=message):
        pod_security_labels(namespace, levels, DEFAULT)

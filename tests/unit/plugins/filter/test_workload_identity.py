from __future__ import annotations

import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.filter.workload_identity import FilterModule, workload_identity

ROLE = "arn:aws:iam::123456789012:role/mlops-dev-mlflow"
CLIENT_ID = "22222222-2222-2222-2222-222222222222"


def test_registered():
    assert FilterModule().filters()["workload_identity"] is workload_identity


@pytest.mark.parametrize(
    ("cloud", "identity", "expected"),
    [
        (
            "aws",
            ROLE,
            {
                "service_account_annotations": {"eks.amazonaws.com/role-arn": ROLE},
                "service_account_labels": {},
                "pod_labels": {},
            },
        ),
        (
            "azure",
            CLIENT_ID,
            {
                "service_account_annotations": {"azure.workload.identity/client-id": CLIENT_ID},
                "service_account_labels": {},
                "pod_labels": {"azure.workload.identity/use": "true"},
            },
        ),
    ],
)
def test_both_clouds(cloud, identity, expected):
    result = workload_identity(cloud, identity)
    assert result == expected
    assert list(result) == ["service_account_annotations", "service_account_labels", "pod_labels"]


@pytest.mark.parametrize(
    ("cloud", "identity", "message"),
    [
        ("gcp", ROLE, r"workload_identity: unknown cloud 'gcp'; allowed: aws, azure, local"),
        (None, ROLE, r"unknown cloud null; allowed: aws, azure, local"),
        (
            "aws",
            CLIENT_ID,
            r"'22222222-2222-2222-2222-222222222222' is a managed identity client ID; on aws use an IAM",
        ),
        ("azure", ROLE, r"is an IAM role ARN; on azure use a managed identity client ID \(a GUID\)"),
        ("azure", "", r"'' is not a managed identity client ID"),
    ],
)
def test_errors_name_the_value_and_what_is_allowed(cloud, identity, message):
    with pytest.raises(AnsibleFilterError, match=message):
        workload_identity(cloud, identity)


def test_results_are_independent_copies():
    first = workload_identity("azure", CLIENT_ID)
    expected = copy.deepcopy(first)
    first["pod_labels"]["x"] = "y"
    assert workload_identity("azure", CLIENT_ID) == expected

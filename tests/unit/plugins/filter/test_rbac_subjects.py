from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.filter.rbac_subjects import FilterModule, rbac_subjects

ROLE = "arn:aws:iam::123456789012:role/mlops-ml-engineers"
GROUP = "33333333-3333-3333-3333-333333333333"


def test_registered():
    assert FilterModule().filters()["rbac_subjects"] is rbac_subjects


@pytest.mark.parametrize(
    ("cloud", "entries", "name"),
    [("aws", [ROLE], "mlops:deploy-models"), ("azure", [GROUP], GROUP), ("local", ["ml-engineers"], "ml-engineers")],
)
def test_subject_per_cloud(cloud, entries, name):
    assert rbac_subjects(cloud, entries, "deploy_models") == [
        {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": name}
    ]


def test_error_is_a_filter_error_naming_the_variable():
    with pytest.raises(AnsibleFilterError, match=r"rbac_subjects: platform_user_groups.view: .* is an IAM role ARN"):
        rbac_subjects("azure", [ROLE], "view")

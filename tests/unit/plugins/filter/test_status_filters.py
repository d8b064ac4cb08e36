from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.filter.drift_report import FilterModule as DriftReport
from ansible_collections.mlops.platform.plugins.filter.status_report import FilterModule as StatusReport
from ansible_collections.mlops.platform.plugins.filter.terraform_drift import FilterModule as TerraformDrift


@pytest.mark.parametrize(
    ("module", "name", "message"),
    [
        (StatusReport, "status_report", "status_report: expected a mapping"),
        (DriftReport, "drift_report", "drift_report: expected a mapping"),
        (TerraformDrift, "terraform_drift", "terraform_changes: expected the JSON plan"),
    ],
)
def test_a_user_error_is_one_filter_error(module, name, message):
    function = module().filters()[name]
    with pytest.raises(AnsibleFilterError, match=message):
        function("not a mapping")


def test_terraform_drift_filter():
    plan = {"resource_changes": [{"address": "aws_vpc.main", "change": {"actions": ["update"], "after": {"x": 1}}}]}
    assert TerraformDrift().filters()["terraform_drift"](plan) == {
        "changes": [{"address": "aws_vpc.main", "action": "update"}],
        "outside": [],
    }

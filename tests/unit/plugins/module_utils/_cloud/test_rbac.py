"""Platform users (roles/rbac): each cloud's form of a platform_user_groups entry, the RoleBinding subject it
becomes, the EKS access entries the same variable gives Terraform, and preflight's messages."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.mlops.platform.plugins.module_utils._cloud import get_profile
from ansible_collections.mlops.platform.plugins.module_utils._cloud.base import USER_ROLES
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError
from ansible_collections.mlops.platform.plugins.module_utils.preflight import preflight_problems

from ..test_preflight import AWS as AWS_CONFIG
from ..test_preflight import AZURE as AZURE_CONFIG
from ..test_preflight import never_a_dir

AWS, AZURE, LOCAL = get_profile("aws"), get_profile("azure"), get_profile("local")
VIEWERS = "arn:aws:iam::123456789012:role/mlops-viewers"
ENGINEERS = "arn:aws:iam::123456789012:role/team/mlops-ml-engineers"
GOV = "arn:aws-us-gov:iam::123456789012:role/mlops-viewers"
GROUP = "33333333-3333-3333-3333-333333333333"
GROUP_UPPER = "4444AAAA-4444-4444-4444-444444444444"


def group(name: str) -> dict:
    return {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": name}


def test_roles_are_the_three_of_the_issue():
    assert USER_ROLES == ("view", "deploy_models", "run_pipelines")


# ---------------------------------------------------------------------------------------- subjects
@pytest.mark.parametrize(
    ("profile", "entries", "role", "expected"),
    [
        # AWS: the group the access entry names, one subject however many roles hold it.
        (AWS, [VIEWERS, ENGINEERS], "view", [group("mlops:view")]),
        (AWS, [ENGINEERS], "deploy_models", [group("mlops:deploy-models")]),
        (AWS, [GOV], "run_pipelines", [group("mlops:run-pipelines")]),
        # Azure: the Entra group object ID itself, lowercase, deduplicated.
        (AZURE, [GROUP, GROUP_UPPER, GROUP_UPPER.lower()], "view", [group(GROUP), group(GROUP_UPPER.lower())]),
        # local: the Kubernetes group as it is.
        (
            LOCAL,
            ["data-scientists", "oidc:ml-engineers"],
            "run_pipelines",
            [group("data-scientists"), group("oidc:ml-engineers")],
        ),
        (AWS, [], "view", []),
        (AZURE, None, "view", []),
    ],
)
def test_rbac_subjects(profile, entries, role, expected):
    assert profile.rbac_subjects(entries, role) == expected


@pytest.mark.parametrize(
    ("profile", "entry", "role", "message"),
    [
        (AWS, GROUP, "view", "platform_user_groups.view: '33333333-3333-3333-3333-333333333333' is a Microsoft Entra"),
        (AWS, "mlops-viewers", "view", "is not an IAM role ARN; on aws use an IAM role ARN (arn:aws:iam::<12-digit"),
        (AWS, "arn:aws:iam::123456789012:user/alice", "view", "is not an IAM role ARN"),
        (
            AZURE,
            VIEWERS,
            "deploy_models",
            "platform_user_groups.deploy_models: 'arn:aws:iam::123456789012:role/mlops-viewers' is an IAM role ARN; "
            "on azure use a Microsoft Entra ID group object ID (a GUID)",
        ),
        (AZURE, "mlops-viewers", "view", "is not a Microsoft Entra ID group object ID"),
        (LOCAL, "system:masters", "view", "is not a Kubernetes group name; on local use a Kubernetes group name"),
        (AWS, VIEWERS, "admin", "rbac role 'admin' is not one of view, deploy_models, run_pipelines"),
    ],
)
def test_rbac_subject_refuses_another_form(profile, entry, role, message):
    with pytest.raises(PlatformError, match=None) as err:
        profile.rbac_subject(entry, role)
    assert message in str(err.value)


def test_rbac_subjects_refuses_a_string_for_a_list():
    with pytest.raises(PlatformError, match=r"platform_user_groups\.view: must be a list"):
        AWS.rbac_subjects(VIEWERS, "view")


# ---------------------------------------------------------------------------------------- access entries
def test_aws_access_entries_one_per_arn_with_every_group():
    groups = {"view": [VIEWERS, ENGINEERS], "deploy_models": [ENGINEERS], "run_pipelines": [ENGINEERS]}
    assert AWS.user_access_entries(groups) == {
        ENGINEERS: ["mlops:deploy-models", "mlops:run-pipelines", "mlops:view"],
        VIEWERS: ["mlops:view"],
    }


@pytest.mark.parametrize("groups", [None, {}, {"view": []}, {"view": None}])
def test_aws_no_access_entries_without_groups(groups):
    assert AWS.user_access_entries(groups) == {}


def test_other_clouds_need_no_access_entries():
    assert AZURE.user_access_entries({"view": [GROUP]}) == {}
    assert LOCAL.user_access_entries({"view": ["viewers"]}) == {}


def test_aws_access_entries_refuse_what_rbac_would():
    with pytest.raises(PlatformError, match=r"platform_user_groups.view\[0\]: '33333333"):
        AWS.user_access_entries({"view": [GROUP]})


def test_terraform_variables_carry_the_access_entries_only_when_there_are_some():
    settings = {
        "cluster_name": "mlops-dev",
        "environment": "dev",
        "region": "eu-west-1",
        "kubernetes_version": "1.32",
        "network": {"cidr": "10.0.0.0/16"},
        "node_pools": {},
        "service_accounts": {},
    }
    assert "user_access_entries" not in AWS.terraform_variables(dict(settings, user_groups={"view": []}))
    variables = AWS.terraform_variables(dict(settings, user_groups={"run_pipelines": [VIEWERS]}))
    assert variables["user_access_entries"] == {VIEWERS: ["mlops:run-pipelines"]}


# ---------------------------------------------------------------------------------------- preflight
@pytest.mark.parametrize(
    ("config", "groups", "expected"),
    [
        (
            AWS_CONFIG,
            {"view": [GROUP]},
            "platform_user_groups.view[0]: '33333333-3333-3333-3333-333333333333' is a "
            "Microsoft Entra ID group object ID; on aws use an IAM role ARN "
            "(arn:aws:iam::<12-digit account id>:role/<name>)",
        ),
        (
            AWS_CONFIG,
            {"deploy_models": [VIEWERS, "arn:aws:iam::12345:role/x"]},
            "platform_user_groups.deploy_models[1]: 'arn:aws:iam::12345:role/x' is not an IAM role ARN",
        ),
        (
            AZURE_CONFIG,
            {"run_pipelines": ["not-a-guid"]},
            "platform_user_groups.run_pipelines[0]: 'not-a-guid' is not a Microsoft Entra ID group object ID; on azure "
            "use a Microsoft Entra ID group object ID (a GUID) such as 33333333-3333-3333-3333-333333333333",
        ),
        (
            AZURE_CONFIG,
            {"admins": [GROUP]},
            "platform_user_groups: unknown key 'admins'; the platform's user roles are "
            "view, deploy_models, run_pipelines",
        ),
        (AZURE_CONFIG, {"view": GROUP}, "platform_user_groups.view: must be a list"),
        (AZURE_CONFIG, [GROUP], "platform_user_groups: must be a mapping of view, deploy_models, run_pipelines"),
    ],
)
def test_preflight_names_the_entry_and_the_form(config, groups, expected):
    config = copy.deepcopy(config)
    config["platform_user_groups"] = groups
    problems = preflight_problems(config, isdir=never_a_dir)
    assert expected in "\n".join(problems), problems


@pytest.mark.parametrize(
    ("config", "groups"),
    [
        (AWS_CONFIG, {"view": [VIEWERS, GOV], "deploy_models": [ENGINEERS], "run_pipelines": []}),
        (AZURE_CONFIG, {"view": [GROUP, GROUP_UPPER], "deploy_models": None}),
        (AWS_CONFIG, None),
    ],
)
def test_preflight_accepts_the_clouds_form(config, groups):
    config = copy.deepcopy(config)
    config["platform_user_groups"] = groups
    assert preflight_problems(config, isdir=never_a_dir) == []

# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: rbac_subjects
short_description: The RoleBinding subjects that grant a platform user role to the inventory's groups
version_added: 0.1.0
description:
  - Returns the subjects of the RoleBinding of one platform user role (V(view), V(deploy_models),
    V(run_pipelines)) for the entries of C(platform_user_groups.<role>), on the cloud named by the input.
  - On V(aws) an entry is an IAM role ARN; it reaches Kubernetes through an EKS access entry (made by the
    Terraform layer from the same variable) whose C(kubernetes_groups) include C(mlops:<role>), and the
    subject is that group (one subject, however many roles).
  - On V(azure) (AKS with Microsoft Entra ID integration) an entry is an Entra group object ID (a GUID), and the
    subject is the group itself, in lowercase.
  - On V(local) an entry is a Kubernetes group name (not C(system:*)), bound as it is.
  - Every subject is a Group (C(kind=Group), C(apiGroup=rbac.authorization.k8s.io), C(name)); duplicates are
    dropped and the list is sorted by name.
extends_documentation_fragment:
  - mlops.platform.cloud
options:
  entries:
    description: The entries of C(platform_user_groups.<role>) (null is an empty list).
    type: list
    elements: str
    required: true
  role:
    description: The platform user role.
    type: str
    required: true
    choices: [view, deploy_models, run_pipelines]
"""

EXAMPLES = r"""
- name: Show who may deploy models
  ansible.builtin.debug:
    msg: "{{ platform_cloud | mlops.platform.rbac_subjects(platform_user_groups.deploy_models, 'deploy_models') }}"
  # aws:   [{kind: Group, apiGroup: rbac.authorization.k8s.io, name: "mlops:deploy-models"}]
  # azure: [{kind: Group, apiGroup: rbac.authorization.k8s.io, name: 33333333-3333-3333-3333-333333333333}]
"""

RETURN = r"""
_value:
  description: The subjects, each with C(kind), C(apiGroup) and C(name), sorted by name; empty without entries.
  type: list
  elements: dict
"""

from ansible_collections.mlops.platform.plugins.plugin_utils.cloud_filter import ask_profile


def rbac_subjects(cloud, entries, role):
    """The RoleBinding subjects of ``role`` for ``entries`` on ``cloud``."""
    return ask_profile("rbac_subjects", cloud, "rbac_subjects", entries, role)


class FilterModule:
    def filters(self):
        return {"rbac_subjects": rbac_subjects}

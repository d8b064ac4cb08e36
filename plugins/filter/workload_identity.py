# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: workload_identity
short_description: Service account and pod metadata that bind a workload to its cloud identity
version_added: 0.1.0
description:
  - Returns the service account annotations and labels and the pod labels that give a workload its cloud
    identity, for the cloud named by the input.
  - On V(aws) (IRSA) the service account is annotated with C(eks.amazonaws.com/role-arn); the identity must be an
    IAM role ARN.
  - On V(azure) (Microsoft Entra Workload ID) the service account is annotated with
    C(azure.workload.identity/client-id) and pods are labelled C(azure.workload.identity/use=true); the identity
    must be the managed identity's client ID (a GUID).
extends_documentation_fragment:
  - mlops.platform.cloud
options:
  identity:
    description: The cloud identity, normally C(platform_infra.identities.<workload>).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Show the metadata that gives MLflow its identity
  ansible.builtin.debug:
    msg: "{{ platform_cloud | mlops.platform.workload_identity(platform_infra.identities.mlflow) }}"
  # aws:   {service_account_annotations: {eks.amazonaws.com/role-arn: arn:aws:iam::...:role/...},
  #         service_account_labels: {}, pod_labels: {}}
  # azure: {service_account_annotations: {azure.workload.identity/client-id: <guid>},
  #         service_account_labels: {}, pod_labels: {azure.workload.identity/use: "true"}}
"""

RETURN = r"""
_value:
  description: C(service_account_annotations), C(service_account_labels) and C(pod_labels), each a dict of strings.
  type: dict
"""

from ansible_collections.mlops.platform.plugins.plugin_utils.cloud_filter import ask_profile


def workload_identity(cloud, identity):
    """Service account annotations/labels and pod labels for ``identity`` on ``cloud``."""
    return ask_profile("workload_identity", cloud, "workload_identity", identity)


class FilterModule:
    def filters(self):
        return {"workload_identity": workload_identity}

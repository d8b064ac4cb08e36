# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: kubeconfig
short_description: A kubeconfig for the platform cluster that uses the cloud CLI for tokens
version_added: 0.1.0
description:
  - Builds a kubeconfig (one cluster, user and context, named after the cluster) from the cloud-layer facts, for
    the cloud named by the input.
  - The user authenticates with exec auth, so the file holds no credential. On V(aws)
    C(aws eks get-token --cluster-name <name> --region <region>); on V(azure)
    C(kubelogin get-token --login azurecli --server-id 6dae42f8-4368-4678-94ff-3960e28e3630).
extends_documentation_fragment:
  - mlops.platform.cloud
options:
  infra:
    description:
      - The cloud-layer facts, normally C(platform_infra) set from the Terraform outputs.
      - Uses C(cluster_name), C(region), C(cluster_endpoint) and C(cluster_ca_certificate) (base64 PEM).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Write the kubeconfig of the cluster Terraform created
  ansible.builtin.copy:
    content: "{{ platform_cloud | mlops.platform.kubeconfig(platform_infra) | ansible.builtin.to_nice_yaml }}"
    dest: "{{ platform_cluster_dir }}/kubeconfig"
    mode: "0600"
"""

RETURN = r"""
_value:
  description: The kubeconfig (C(apiVersion) v1, C(kind) Config).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.module_utils._cloud import get_profile
from ansible_collections.mlops.platform.plugins.module_utils._cloud.base import show
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError

REQUIRED = ("cluster_name", "region", "cluster_endpoint", "cluster_ca_certificate")


def kubeconfig(cloud, infra):
    """A kubeconfig dict for the cluster described by ``infra`` on ``cloud``."""
    if not isinstance(infra, dict):
        raise AnsibleFilterError(f"kubeconfig: infra must be a mapping (platform_infra), got {show(infra)}")
    missing = [key for key in REQUIRED if not isinstance(infra.get(key), str) or not infra.get(key)]
    if missing:
        raise AnsibleFilterError("kubeconfig: platform_infra lacks {}".format(", ".join(missing)))
    try:
        exec_auth = get_profile(cloud).kubeconfig_exec(infra["cluster_name"], infra["region"])
    except PlatformError as err:
        raise AnsibleFilterError(f"kubeconfig: {err}") from err
    name = infra["cluster_name"]
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": name,
                "cluster": {
                    "server": infra["cluster_endpoint"],
                    "certificate-authority-data": infra["cluster_ca_certificate"],
                },
            }
        ],
        "users": [{"name": name, "user": {"exec": exec_auth}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
        "preferences": {},
    }


class FilterModule:
    def filters(self):
        return {"kubeconfig": kubeconfig}

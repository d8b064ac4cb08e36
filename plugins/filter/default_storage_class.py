# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: default_storage_class
short_description: The StorageClass the platform makes the cluster's default, if the cloud needs one
version_added: 0.1.0
description:
  - Returns the default StorageClass the platform adds on the cloud named by the input, so the storage role
    never branches on the cloud. PersistentVolumeClaims without C(storageClassName) (Prometheus, Alertmanager)
    get it.
  - On V(aws) returns the StorageClass C(gp3) (EBS CSI driver C(ebs.csi.aws.com), which terraform/modules/eks
    installs as the EKS add-on; gp3, encrypted, C(WaitForFirstConsumer), expandable, reclaim C(Delete)), annotated
    as the default class (EKS 1.30 and later have none).
  - On V(azure) returns null; AKS ships the Azure Disk CSI driver and its default class C(managed-csi).
extends_documentation_fragment:
  - mlops.platform.cloud
"""

EXAMPLES = r"""
- name: Show the default StorageClass the platform adds
  ansible.builtin.debug:
    msg: "{{ platform_cloud | mlops.platform.default_storage_class }}"
  # aws:   {apiVersion: storage.k8s.io/v1, kind: StorageClass, metadata: {name: gp3, annotations:
  #         {storageclass.kubernetes.io/is-default-class: "true"}}, provisioner: ebs.csi.aws.com,
  #         parameters: {type: gp3, encrypted: "true"}, reclaimPolicy: Delete,
  #         volumeBindingMode: WaitForFirstConsumer, allowVolumeExpansion: true}
  # azure: null
"""

RETURN = r"""
_value:
  description: A C(storage.k8s.io/v1) StorageClass object, or null when the cloud's clusters already have a default.
  type: dict
"""

from ansible_collections.mlops.platform.plugins.plugin_utils.cloud_filter import ask_profile


def default_storage_class(cloud):
    """The profile's default StorageClass for ``cloud`` (None when the cloud has its own)."""
    return ask_profile("default_storage_class", cloud, "default_storage_class")


class FilterModule:
    def filters(self):
        return {"default_storage_class": default_storage_class}

# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: artifact_repository
short_description: An Argo Workflows artifact repository in the platform's object store
version_added: 0.1.0
description:
  - Returns an Argo Workflows artifact repository (the value of one key of the C(artifact-repositories) ConfigMap)
    that keeps artifacts in the platform bucket (container) under O(key_prefix), with credentials from the
    workflow pod's cloud identity (C(useSDKCreds)), for the cloud named by the input.
  - Artifact keys are C(<key_prefix>/{{workflow.name}}/{{pod.name}}); leading, trailing and repeated slashes in
    O(key_prefix) are dropped.
  - On V(aws) returns an C(s3) repository on the regional S3 endpoint; O(region) is required. No
    C(encryptionOptions) are set, so the bucket's default encryption (SSE-KMS with the platform key) applies.
  - On V(azure) returns an C(azure) repository on C(https://<account>.blob.core.windows.net); O(account) is required
    and O(region) is ignored.
extends_documentation_fragment:
  - mlops.platform.cloud
options:
  bucket:
    description: The S3 bucket or blob container, normally C(platform_infra.object_store_bucket).
    type: str
    required: true
  account:
    description:
      - The Azure storage account, normally C(platform_infra.object_store_account).
      - Required on V(azure); must be empty or null on V(aws).
    type: str
  key_prefix:
    description: A plain path inside the bucket under which the artifacts are written.
    type: str
    default: ""
  region:
    description: The bucket's region, normally C(platform_infra.region). Required on V(aws).
    type: str
"""

EXAMPLES = r"""
- name: Show the default artifact repository of Argo Workflows
  ansible.builtin.debug:
    msg: >-
      {{ platform_cloud | mlops.platform.artifact_repository(platform_infra.object_store_bucket,
         account=platform_infra.object_store_account, key_prefix='argo', region=platform_infra.region) }}
  # aws:   {s3: {bucket: mlops-dev-artifacts-123456789012, endpoint: s3.eu-west-1.amazonaws.com,
  #              region: eu-west-1, keyFormat: "argo/{{workflow.name}}/{{pod.name}}", useSDKCreds: true}}
  # azure: {azure: {endpoint: "https://mlopsdevartifacts.blob.core.windows.net", container: mlflow-artifacts,
  #                 blobNameFormat: "argo/{{workflow.name}}/{{pod.name}}", useSDKCreds: true}}
"""

RETURN = r"""
_value:
  description: The artifact repository, with one key (C(s3) or C(azure)).
  type: dict
"""

from ansible_collections.mlops.platform.plugins.plugin_utils.cloud_filter import ask_profile


def artifact_repository(cloud, bucket, account=None, key_prefix="", region=None):
    """The Argo Workflows artifact repository in ``bucket`` on ``cloud``."""
    return ask_profile("artifact_repository", cloud, "artifact_repository", bucket, account, key_prefix, region)


class FilterModule:
    def filters(self):
        return {"artifact_repository": artifact_repository}

# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: object_store_uri
short_description: The URI of a path in the platform's object store
version_added: 0.1.0
description:
  - Builds the object store URI that MLflow and KServe use for a path in a bucket (container), for the cloud
    named by the input.
  - On V(aws) returns C(s3://<bucket>[/<path>]) and checks the S3 bucket naming rules.
  - On V(azure) returns C(wasbs://<container>@<account>.blob.core.windows.net[/<path>]) and checks the storage
    account and container naming rules; O(account) is required.
  - Leading, trailing and repeated slashes in O(path) are dropped.
extends_documentation_fragment:
  - mlops.platform.cloud
options:
  bucket:
    description: The S3 bucket or blob container, normally C(platform_infra.object_store_bucket).
    type: str
    required: true
  path:
    description: A path inside the bucket; empty for the bucket itself.
    type: str
    default: ""
  account:
    description:
      - The Azure storage account, normally C(platform_infra.object_store_account).
      - Required on V(azure); must be empty or null on V(aws).
    type: str
"""

EXAMPLES = r"""
- name: Show where MLflow stores artifacts
  ansible.builtin.debug:
    msg: >-
      {{ platform_cloud | mlops.platform.object_store_uri(platform_infra.object_store_bucket, 'mlflow',
         account=platform_infra.object_store_account) }}
  # aws:   s3://mlops-dev-artifacts-123456789012/mlflow
  # azure: wasbs://mlflow-artifacts@mlopsdevartifacts.blob.core.windows.net/mlflow
"""

RETURN = r"""
_value:
  description: The object store URI.
  type: str
"""

from ansible_collections.mlops.platform.plugins.plugin_utils.cloud_filter import ask_profile


def object_store_uri(cloud, bucket, path="", account=None):
    """The URI of ``path`` in ``bucket`` on ``cloud``."""
    return ask_profile("object_store_uri", cloud, "object_store_uri", bucket, path, account)


class FilterModule:
    def filters(self):
        return {"object_store_uri": object_store_uri}

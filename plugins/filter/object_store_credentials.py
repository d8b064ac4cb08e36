# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: object_store_credentials
short_description: What a workload needs besides its workload identity to reach the object store
version_added: 0.1.0
description:
  - Returns how a workload in a namespace reaches the platform's object store when the cloud gives it no
    workload identity, for the cloud named by the input.
  - On V(aws) and V(azure) the workload identity suffices, so there is nothing to add (no Secret, no environment,
    no objects).
  - On V(local) the object store is the in-cluster MinIO of the C(local_services) component; the S3 keys reach the
    namespace as the Secret C(object-store-credentials), made by an ExternalSecret from the platform
    ClusterSecretStore (the source Secret C(object-store) with C(access_key) and C(secret_key)). The result never
    holds a credential.
extends_documentation_fragment:
  - mlops.platform.cloud
options:
  namespace:
    description: The namespace of the workload (where the Secret is made).
    type: str
    required: true
  secret_store:
    description: The ClusterSecretStore the ExternalSecret reads, normally C(platform_secret_store).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Show what MLflow needs to reach the object store
  ansible.builtin.debug:
    msg: "{{ platform_cloud | mlops.platform.object_store_credentials(mlflow_namespace, platform_secret_store) }}"
  # aws, azure: {secret_name: null, keys: {}, env: {}, objects: []}
  # local:      {secret_name: object-store-credentials,
  #              keys: {access_key: AWS_ACCESS_KEY_ID, secret_key: AWS_SECRET_ACCESS_KEY},
  #              env: {AWS_DEFAULT_REGION: us-east-1, AWS_ENDPOINT_URL_S3: http://minio...,
  #                    MLFLOW_S3_ENDPOINT_URL: http://minio...},
  #              objects: [<ExternalSecret object-store-credentials>]}
"""

RETURN = r"""
_value:
  description:
    - C(secret_name) (the Secret with the S3 keys, or null), C(keys) (C(access_key) and C(secret_key) to the key
      in that Secret), C(env) (plain container environment, the endpoint and region) and C(objects) (the
      ExternalSecret to apply in the namespace first).
  type: dict
"""

from ansible_collections.mlops.platform.plugins.plugin_utils.cloud_filter import ask_profile


def object_store_credentials(cloud, namespace, secret_store):
    """The object store credentials wiring of a workload in ``namespace`` on ``cloud``."""
    return ask_profile("object_store_credentials", cloud, "object_store_credentials", namespace, secret_store)


class FilterModule:
    def filters(self):
        return {"object_store_credentials": object_store_credentials}

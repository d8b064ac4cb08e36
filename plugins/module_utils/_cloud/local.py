# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Local profile: an existing plain Kubernetes cluster (kind) with in-cluster stand-ins for the cloud.

No cloud identity: workloads reach the object store with S3 keys instead. The stand-ins are the
``local_services`` component: MinIO (the S3 API) and PostgreSQL in the namespace ``local-services``.
The secret store is External Secrets' ``kubernetes`` provider reading Secrets of one namespace
(``platform_infra.secret_store_ref``), which whoever owns the cluster fills before the platform is
installed, as the cloud layer fills Secrets Manager or Key Vault:

* ``object-store`` with the keys ``access_key`` and ``secret_key``: MinIO's root login, which the
  platform's S3 clients use too;
* ``platform_infra.db_secret_ref`` with ``username`` and ``password``: the PostgreSQL login.
"""

from __future__ import annotations

import re

from ansible_collections.mlops.platform.plugins.module_utils._cloud.aws import AwsProfile
from ansible_collections.mlops.platform.plugins.module_utils._cloud.azure import AzureProfile
from ansible_collections.mlops.platform.plugins.module_utils._cloud.base import CloudProfile, register, show

# The stand-ins of the local_services role (roles/local_services): where MinIO answers.
STANDINS_NAMESPACE = "local-services"
OBJECT_STORE_HOST = f"minio.{STANDINS_NAMESPACE}.svc.cluster.local:9000"
OBJECT_STORE_URL = f"http://{OBJECT_STORE_HOST}"
# MinIO's default region; S3 clients sign requests for it.
OBJECT_STORE_REGION = "us-east-1"
# The source Secret (in the secret store namespace) with the S3 keys, and its keys.
OBJECT_STORE_SOURCE = "object-store"
OBJECT_STORE_SOURCE_KEYS = {"AWS_ACCESS_KEY_ID": "access_key", "AWS_SECRET_ACCESS_KEY": "secret_key"}
# The Secret an ExternalSecret makes in each namespace that talks to the object store. Its keys
# are the AWS SDK's environment variable names, so a container can take it whole (envFrom).
CREDENTIALS_SECRET = "object-store-credentials"

_DNS_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


@register
class LocalProfile(CloudProfile):
    """An existing plain Kubernetes cluster such as kind: no cloud API, no Terraform."""

    name = "local"
    title = "local Kubernetes"
    # The same controller as on Azure (none is installed by default: a kind cluster has no load balancer).
    ingress_controller = "ingress_nginx"
    ingress_class = "nginx"
    # No Terraform root: the cluster exists; platform_infra states its facts.
    terraform_root = False

    instance_type_noun = "a local node name"
    instance_type_format = "local or kind, optionally -<suffix>"
    instance_type_example = "kind"
    gpu_instance_type_example = "none"
    gpu_families_text = "none: a local cluster offers no GPU pool"

    def pool_provisioner(self, key: str) -> str:
        # kind's nodes are fixed containers: nothing adds or removes them.
        return "fixed"

    region_noun = "the local region"
    region_format = "local"
    region_example = "local"

    identity_noun = "no cloud identity"
    identity_format = "none"
    identity_example = "nothing (leave platform_infra.identities empty)"

    _instance_type_re = re.compile(r"^(local|kind)(-[a-z0-9]+)*$")
    _region_re = re.compile(r"^local$")

    def is_gpu_instance_type(self, value) -> bool:
        return False

    # ------------------------------------------------------------------ workload identity: none
    def _identity_reasons(self, value) -> list:
        if value in (None, ""):
            return []
        return [f"{show(value)} is set, but a local cluster has no workload identity; remove it"]

    def _workload_identity(self, identity) -> dict:
        return {"service_account_annotations": {}, "service_account_labels": {}, "pod_labels": {}}

    # ------------------------------------------------------------------ platform users (RBAC): plain groups
    # A local (kind) cluster has no cloud directory: an entry is the Kubernetes group its authenticator
    # gives (a client certificate's O=, an OIDC groups claim), bound as it is. "system:" groups are the
    # API server's own.
    user_group_noun = "a Kubernetes group name"
    user_group_format = "the group the cluster's authenticator gives, not system:*"
    user_group_example = "mlops-data-scientists"
    _user_group_re = re.compile(r"^(?!system:)[^\s]{1,253}$")
    _user_group_hint = False  # every string is a group name here: never "this is a Kubernetes group name" elsewhere

    def _rbac_group(self, entry: str, role: str) -> str:
        return entry

    # ------------------------------------------------------------------ object store: in-cluster MinIO
    def object_store_problems(
        self, bucket, account=None, bucket_var: str = "bucket", account_var: str = "account"
    ) -> list:
        # MinIO follows the S3 bucket naming rules.
        problems = AwsProfile.object_store_problems(self, bucket, None, bucket_var, account_var)
        if account not in (None, ""):
            problems.insert(
                0, f"{account_var}: {show(account)} is set, but MinIO has no storage account; leave it null on local"
            )
        return problems

    def _object_store_uri(self, bucket: str, path: str, account) -> str:
        return f"s3://{bucket}/{path}" if path else f"s3://{bucket}"

    def _artifact_repository(self, bucket: str, account, key_format: str, region) -> dict:
        # Ref https://argo-workflows.readthedocs.io/en/stable/configure-artifact-repository/#configuring-minio
        keys = {name: {"name": CREDENTIALS_SECRET, "key": key} for name, key in _credential_keys().items()}
        return {
            "s3": {
                "bucket": bucket,
                "endpoint": OBJECT_STORE_HOST,
                "insecure": True,
                "region": OBJECT_STORE_REGION,
                "keyFormat": key_format,
                "accessKeySecret": keys["access_key"],
                "secretKeySecret": keys["secret_key"],
            }
        }

    def _model_store_annotations(self, region) -> dict:
        # Ref https://kserve.github.io/website/docs/model-serving/storage/providers/s3 (S3-compatible endpoint)
        prefix = "serving.kserve.io/"
        return {
            prefix + "s3-endpoint": OBJECT_STORE_HOST,
            prefix + "s3-region": OBJECT_STORE_REGION,
            prefix + "s3-usehttps": "0",
            prefix + "s3-useanoncredential": "false",
        }

    def _object_store_credentials(self, namespace: str, secret_store: str) -> dict:
        annotations = self.model_store_annotations()
        external_secret = {
            "apiVersion": "external-secrets.io/v1",
            "kind": "ExternalSecret",
            "metadata": {"name": CREDENTIALS_SECRET, "namespace": namespace},
            "spec": {
                "refreshInterval": "1h",
                "secretStoreRef": {"kind": "ClusterSecretStore", "name": secret_store},
                "target": {
                    "name": CREDENTIALS_SECRET,
                    "creationPolicy": "Owner",
                    # KServe's storage initializer reads the S3 settings from the Secret too.
                    "template": {"metadata": {"annotations": annotations}},
                },
                "data": [
                    {"secretKey": name, "remoteRef": {"key": OBJECT_STORE_SOURCE, "property": source}}
                    for name, source in sorted(OBJECT_STORE_SOURCE_KEYS.items())
                ],
            },
        }
        return {
            "secret_name": CREDENTIALS_SECRET,
            "keys": _credential_keys(),
            "env": {
                # boto3 (MLflow's S3 client) and other AWS SDKs; MLflow reads its own variable first.
                "AWS_DEFAULT_REGION": OBJECT_STORE_REGION,
                "AWS_ENDPOINT_URL_S3": OBJECT_STORE_URL,
                "MLFLOW_S3_ENDPOINT_URL": OBJECT_STORE_URL,
            },
            "objects": [external_secret],
        }

    # ------------------------------------------------------------------ ingress: ingress-nginx, as on Azure
    _ingress_annotations = AzureProfile._ingress_annotations
    _tls_problems = AzureProfile._tls_problems
    _ingress_tls = AzureProfile._ingress_tls
    _canary_ingresses = AzureProfile._canary_ingresses

    def _controller_service_annotations(self, scheme: str) -> dict:
        return {}

    # ------------------------------------------------------------------ secret store: Kubernetes Secrets
    secret_store_ref_noun = "the namespace whose Secrets the platform reads"
    secret_store_ref_example = "platform-secrets"

    def _secret_store_problems(self, secret_store_ref, tenant_id) -> list:
        problems = []
        if not isinstance(secret_store_ref, str) or not _DNS_LABEL_RE.match(secret_store_ref):
            problems.append(
                f"secret_store_ref: {show(secret_store_ref)} is not a namespace name; on local it is "
                f"{self.secret_store_ref_noun}, such as {self.secret_store_ref_example}"
            )
        if tenant_id not in (None, ""):
            problems.append(f"tenant_id: {show(tenant_id)} is set, but a local cluster has no tenant; leave it null")
        return problems

    def _secret_store_provider(self, secret_store_ref: str, service_account: dict, tenant_id) -> dict:
        # Ref https://external-secrets.io/latest/provider/kubernetes/
        # The operator reads the Secrets of that namespace with a token of its own service account,
        # which needs get/list/watch on Secrets there (a Role the cluster owner grants, as the cloud
        # layer grants the operator's identity access to Secrets Manager or Key Vault).
        return {
            "kubernetes": {
                "remoteNamespace": secret_store_ref,
                "server": {
                    "caProvider": {
                        "type": "ConfigMap",
                        "name": "kube-root-ca.crt",
                        "key": "ca.crt",
                        "namespace": service_account["namespace"],
                    }
                },
                "auth": {"serviceAccount": service_account},
            }
        }

    # ------------------------------------------------------------------ cluster access, storage
    kubeconfig_install_hint = "A local cluster's kubeconfig (kind export kubeconfig) needs no exec plugin"

    def _kubeconfig_exec_command(self, cluster_name: str, region: str) -> tuple:
        raise NotImplementedError("a local cluster has no cloud CLI token: use its own kubeconfig")

    def default_storage_class(self) -> dict | None:
        # kind ships the default class `standard` (rancher local-path-provisioner).
        return None


def _credential_keys() -> dict:
    """Role -> key in the credentials Secret: ``access_key`` and ``secret_key``."""
    return {source: name for name, source in OBJECT_STORE_SOURCE_KEYS.items()}

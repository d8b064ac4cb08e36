# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure profile: AKS node pools, Microsoft Entra Workload ID, Blob Storage, ingress-nginx."""

from __future__ import annotations

import re

from ansible_collections.mlops.platform.plugins.module_utils._cloud.base import CloudProfile, register, show
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError

# NVIDIA GPU series: NC (compute), ND (deep learning), NV (visualisation).
GPU_SERIES = ("NC", "ND", "NV")

_ACCOUNT_RE = re.compile(r"^[a-z0-9]{3,24}$")
# Ref https://learn.microsoft.com/rest/api/storageservices/naming-and-referencing-containers--blobs--and-metadata
_CONTAINER_RE = re.compile(r"^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$")
_POOL_NAME_RE = re.compile(r"^[a-z][a-z0-9]{0,11}$")
_ACCOUNT_RULE = "3-24 lowercase letters and digits"
_CONTAINER_RULE = "3-63 lowercase letters, digits and single '-', starting and ending with a letter or digit"
_POOL_NAME_RULE = "1-12 lowercase letters and digits, starting with a letter"
_AKS_NAME_RE = re.compile(r"^[a-z][a-z0-9]{1,8}$")
AKS_SERVER_ID = "6dae42f8-4368-4678-94ff-3960e28e3630"


@register
class AzureProfile(CloudProfile):
    """Azure Kubernetes Service."""

    name = "azure"
    title = "Azure"
    ingress_controller = "ingress_nginx"
    ingress_class = "nginx"

    instance_type_noun = "an Azure VM size"
    instance_type_format = "Standard_<size>"
    instance_type_example = "Standard_D4s_v3"
    gpu_instance_type_example = "Standard_NC6s_v3"
    gpu_families_text = "NC*, ND*, NV* sizes"

    region_noun = "an Azure region"
    region_format = "lowercase letters and digits, no dashes"
    region_example = "westeurope"

    identity_noun = "a managed identity client ID"
    identity_format = "a GUID"
    identity_example = "22222222-2222-2222-2222-222222222222"

    _instance_type_re = re.compile(r"^Standard_[A-Za-z0-9_]+$")
    _region_re = re.compile(r"^[a-z]+[a-z0-9]*$")
    _identity_re = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

    def is_gpu_instance_type(self, value) -> bool:
        return self.is_instance_type(value) and value[len("Standard_") :][:2].upper() in GPU_SERIES

    def _workload_identity(self, identity: str) -> dict:
        # Ref https://azure.github.io/azure-workload-identity/docs/topics/service-account-labels-and-annotations.html
        # The client ID goes on the service account; the webhook mutates only pods with the label.
        return {
            "service_account_annotations": {"azure.workload.identity/client-id": identity},
            "service_account_labels": {},
            "pod_labels": {"azure.workload.identity/use": "true"},
        }

    def object_store_problems(
        self, bucket, account=None, bucket_var: str = "bucket", account_var: str = "account"
    ) -> list:
        problems = []
        if account in (None, ""):
            problems.append(f"{account_var}: missing; azure needs the storage account name ({_ACCOUNT_RULE})")
        elif not isinstance(account, str) or not _ACCOUNT_RE.match(account):
            problems.append(f"{account_var}: {show(account)} is not a valid storage account name ({_ACCOUNT_RULE})")
        if not isinstance(bucket, str) or not _CONTAINER_RE.match(bucket):
            problems.append(f"{bucket_var}: {show(bucket)} is not a valid blob container name ({_CONTAINER_RULE})")
        return problems

    def _object_store_uri(self, bucket: str, path: str, account) -> str:
        base = f"wasbs://{bucket}@{account}.blob.core.windows.net"
        return f"{base}/{path}" if path else base

    def _ingress_annotations(self, scheme, host, tls_secret, backend_protocol, group) -> dict:
        # One ingress-nginx controller serves every Ingress, so `group` has nothing to select here;
        # an internal load balancer is a property of the controller's Service (see below).
        annotations = {"nginx.ingress.kubernetes.io/backend-protocol": backend_protocol}
        if tls_secret is not None:
            annotations["nginx.ingress.kubernetes.io/ssl-redirect"] = "true"
        return annotations

    def _controller_service_annotations(self, scheme: str) -> dict:
        # Ref https://cloud-provider-azure.sigs.k8s.io/topics/loadbalancer/#loadbalancer-annotations
        annotations = {"service.beta.kubernetes.io/azure-load-balancer-health-probe-request-path": "/healthz"}
        if scheme == "internal":
            annotations["service.beta.kubernetes.io/azure-load-balancer-internal"] = "true"
        return annotations

    def _pool_problems(self, key: str, pool: dict) -> list:
        prefix = f"platform_node_pools.{key}"
        problems = []
        name = pool.get("name")
        if name is None:
            problems.append(f"{prefix}.name: missing; AKS needs a node pool name ({_POOL_NAME_RULE})")
        elif not isinstance(name, str) or not _POOL_NAME_RE.match(name):
            problems.append(f"{prefix}.name: {show(name)} is not a valid AKS node pool name ({_POOL_NAME_RULE})")
        spot = pool.get("capacity_type") == "spot"
        if key == "general" and spot:
            # The general pool is created as the AKS system pool, and system pools cannot be Spot.
            problems.append(f"{prefix}.capacity_type: the general pool is the AKS system pool, which cannot be spot")
        min_size = pool.get("min_size")
        if spot and key != "general" and isinstance(min_size, int) and not isinstance(min_size, bool) and min_size > 0:
            problems.append(
                f"{prefix}.min_size: {min_size} on a spot pool; Spot VMs can be evicted at any time, so AKS spot "
                "pools must be able to scale to zero: set min_size: 0"
            )
        return problems

    # Ref https://azure.github.io/kubelogin/concepts/login-modes/azurecli.html
    # 6dae42f8-... is the AKS AAD server application id, the same in every tenant.
    kubeconfig_install_hint = "Install kubelogin: https://azure.github.io/kubelogin/install.html"
    credential_env_vars = (
        "ARM_CLIENT_ID",
        "ARM_SUBSCRIPTION_ID",
        "ARM_USE_MSI",
        "ARM_USE_OIDC",
        "AZURE_CLIENT_ID",
    )
    terraform_region_variable = "location"
    # terraform/modules/aks: one federated identity per key, with the access it grants.
    terraform_service_account_access = {
        "mlflow": "blob_write",
        "argo_workflows": "blob_write",
        "kserve": "blob_read",
        "external_secrets": "secrets_read",
    }
    terraform_service_account_keys = tuple(terraform_service_account_access)

    def _kubeconfig_exec_command(self, cluster_name: str, region: str) -> tuple:
        # AKS with Entra ID (local accounts disabled): kubelogin turns the Azure CLI login into a token.
        return "kubelogin", ["get-token", "--login", "azurecli", "--server-id", AKS_SERVER_ID]

    def _terraform_name(self, cluster_name, environment):
        # terraform/modules/aks names the cluster <name>-<environment> and needs <name> alone (2-9 characters).
        suffix = f"-{environment}"
        if not isinstance(cluster_name, str) or not isinstance(environment, str) or not cluster_name.endswith(suffix):
            raise PlatformError(
                f"platform_cluster_name: {show(cluster_name)} must be <name>-<platform_environment> on azure "
                f"(terraform/modules/aks names the cluster so), e.g. mlops-{environment}"
            )
        name = cluster_name[: -len(suffix)]
        if not _AKS_NAME_RE.match(name):
            raise PlatformError(
                f"platform_cluster_name: {show(cluster_name)}: the part before -{environment} must be "
                "2-9 lowercase letters and digits starting with a letter (Azure storage and registry names)"
            )
        return name

    def _terraform_network(self, network):
        # The AKS root derives its subnets from the VNet range alone.
        return {"cidr": network.get("cidr")} if isinstance(network, dict) else network

    def _terraform_service_account(self, key: str, account) -> dict:
        return {**super()._terraform_service_account(key, account), "access": self.terraform_service_account_access[key]}

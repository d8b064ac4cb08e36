# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure profile: AKS node pools, Microsoft Entra Workload ID, Blob Storage, ingress-nginx."""

from __future__ import annotations

import ipaddress
import re
from types import MappingProxyType

from ansible_collections.mlops.platform.plugins.module_utils._cloud import facts
from ansible_collections.mlops.platform.plugins.module_utils._cloud.base import (
    CloudProfile,
    derived_name_problems,
    ipv4_network,
    mapping,
    register,
    show,
)
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
# Ref https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates#vault-name-and-object-name
# Vault names: 3-24 letters, digits and single dashes, starting with a letter, not ending with a dash.
_VAULT_URL_RE = re.compile(
    r"^https://[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]\.vault\.(azure\.net|azure\.cn|usgovcloudapi\.net)/?$"
)
_VAULT_RULE = "3-24 letters, digits and single '-', starting with a letter"
# What terraform/modules/aks accepts as an Entra ID object id.
_GUID_RE = re.compile(r"^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$")


def _is_allowed_cidr(value) -> bool:
    """An IPv4 CIDR (with its /prefix) other than 0.0.0.0/0: what the AKS module's validation admits."""
    network = ipv4_network(value)
    return network is not None and network.prefixlen > 0


def _cidrsubnet(network, newbits: int, number: int):
    """Terraform's cidrsubnet(network, newbits, number) for an IPv4 network."""
    prefix = network.prefixlen + newbits
    address = int(network.network_address) + (number << (32 - prefix))
    return ipaddress.ip_network((address, prefix))


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

    # ------------------------------------------------------------------ platform users (RBAC)
    # AKS with Microsoft Entra ID integration puts the user's Entra group object IDs in the groups the API
    # server sees: a RoleBinding subject {kind: Group, name: <object ID>} grants the group directly.
    # Ref https://learn.microsoft.com/en-us/azure/aks/azure-ad-rbac
    user_group_noun = "a Microsoft Entra ID group object ID"
    user_group_format = "a GUID"
    user_group_example = "33333333-3333-3333-3333-333333333333"
    _user_group_re = _identity_re

    def _rbac_group(self, entry: str, role: str) -> str:
        # Entra ID issues object IDs in lowercase; a RoleBinding's group name is compared as written.
        return entry.lower()

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

    # One ingress-nginx controller per scheme in use: an internal Azure load balancer cannot be public too, and
    # a controller behind a public one serves every Ingress of its class to the internet (by Host header).
    # Ref https://kubernetes.github.io/ingress-nginx/user-guide/multiple-ingress/
    _internal_class = "nginx-internal"

    def ingress_class_for(self, scheme: str) -> str:
        return self._internal_class if scheme == "internal" else self.ingress_class

    def _ingress_controllers(self, schemes: list) -> list:
        return [
            {
                "scheme": scheme,
                "class_name": self.ingress_class_for(scheme),
                "controller_value": f"k8s.io/ingress-{self.ingress_class_for(scheme)}",
                "suffix": "-internal" if scheme == "internal" else "",
                "service_annotations": self.ingress_controller_service_annotations(scheme),
            }
            for scheme in schemes
        ]

    def _tls_problems(self, tls: dict, host, name) -> list:
        problems = []
        issuer = tls.get("issuer")
        if not isinstance(issuer, str) or not re.match(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", issuer):
            problems.append(f"tls.issuer: {show(issuer)} is not a ClusterIssuer name; cert-manager issues the host's")
        if host is None:
            problems.append("tls: needs a host; cert-manager issues the certificate of the Ingress's TLS host")
        elif name is None:
            problems.append("name: missing; the certificate's Secret is <name>-tls")
        return problems

    def _ingress_annotations(self, scheme, backend_protocol, group, tls) -> dict:
        # The class (ingress_class_for) says internal or public; `group` has nothing to select here.
        annotations = {"nginx.ingress.kubernetes.io/backend-protocol": backend_protocol}
        if tls is not None:
            # HTTPS only; cert-manager's ingress-shim makes the Certificate of the TLS hosts from the issuer.
            # Ref https://cert-manager.io/docs/usage/ingress/
            annotations["nginx.ingress.kubernetes.io/ssl-redirect"] = "true"
            annotations["nginx.ingress.kubernetes.io/force-ssl-redirect"] = "true"
            annotations["cert-manager.io/cluster-issuer"] = tls["issuer"]
        return annotations

    def _canary_ingresses(self, spec: dict, split: dict) -> list:
        # ingress-nginx: the stable Ingress owns the host (class, TLS, cert-manager's certificate); a second
        # Ingress of the same class, host and path marked canary takes canary-weight percent of its requests.
        # The controller ignores the canary's other annotations (it inherits the stable one's), so the twin
        # carries no TLS and no cert-manager annotation (one Certificate per Secret).
        # Ref https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#canary
        port = {"number": split["port"]}
        stable = self._ingress_object(
            split["name"],
            split,
            spec["class_name"],
            spec["annotations"],
            {"name": split["stable"], "port": port},
            spec["tls"],
        )
        if split["canary"] is None or split["weight"] == 0:
            return [stable]
        canary_annotations = {
            "nginx.ingress.kubernetes.io/canary": "true",
            "nginx.ingress.kubernetes.io/canary-weight": str(split["weight"]),
        }
        canary = self._ingress_object(
            f"{split['name']}-canary",
            split,
            spec["class_name"],
            canary_annotations,
            {"name": split["canary"], "port": dict(port)},
            [],
        )
        return [stable, canary]

    # /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/dnszones/<zone>
    _dns_zone_re = re.compile(
        r"^/subscriptions/(?P<subscription>[0-9a-fA-F-]{36})/resourceGroups/(?P<group>[-\w._()]{1,90})"
        r"/providers/Microsoft\.Network/dnszones/(?P<zone>[a-z0-9]([-a-z0-9.]*[a-z0-9])?)$",
        re.IGNORECASE,
    )

    def dns01_problems(self, zone_id, identity) -> list:
        problems = []
        if not isinstance(zone_id, str) or not self._dns_zone_re.match(zone_id):
            problems.append(
                f"platform_tls.zone_id: {show(zone_id)} is not an Azure DNS zone resource id "
                "(/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/dnszones/<zone>)"
            )
        if not self.is_identity(identity):
            problems.append(
                f"platform_infra.identities.cert_manager: {show(identity)} is not {self.identity_noun}; DNS-01 "
                "answers challenges with cert-manager's workload identity (Terraform output identities.cert_manager)"
            )
        return problems

    def _acme_dns01_solver(self, zone_id, identity) -> dict:
        # Ref https://cert-manager.io/docs/configuration/acme/dns01/azuredns/ (managed identity, workload identity)
        zone = self._dns_zone_re.match(zone_id)
        return {
            "dns01": {
                "azureDNS": {
                    "subscriptionID": zone["subscription"],
                    "resourceGroupName": zone["group"],
                    "hostedZoneName": zone["zone"],
                    "environment": "AzurePublicCloud",
                    "managedIdentity": {"clientID": identity},
                }
            }
        }

    def _ingress_tls(self, host: str, tls: dict, name) -> list:
        return [{"hosts": [host], "secretName": f"{name}-tls"}]

    def _controller_service_annotations(self, scheme: str) -> dict:
        # Ref https://cloud-provider-azure.sigs.k8s.io/topics/loadbalancer/#loadbalancer-annotations
        annotations = {"service.beta.kubernetes.io/azure-load-balancer-health-probe-request-path": "/healthz"}
        if scheme == "internal":
            annotations["service.beta.kubernetes.io/azure-load-balancer-internal"] = "true"
        return annotations

    # Every AKS pool (the system pool `general` too) runs the cluster autoscaler between min_size and max_size
    # (terraform/modules/aks cluster.tf and node_pools.tf: auto_scaling_enabled).
    def pool_provisioner(self, key: str) -> str:
        return "cluster_autoscaler"

    # Arm64 (Ampere) sizes carry a "p" among the size letters: Standard_D4ps_v5, Standard_E8pds_v5.
    # Ref https://learn.microsoft.com/azure/virtual-machines/sizes/general-purpose/dpsv5-series
    _arm_size_re = re.compile(r"^Standard_[A-Z]+[0-9]+[a-z]*p[a-z]*_v[0-9]+$")

    def instance_arch(self, instance_type) -> str | None:
        if not self.is_instance_type(instance_type):
            return None
        return "arm64" if self._arm_size_re.match(instance_type) else "amd64"

    # Ref https://learn.microsoft.com/azure/aks/spot-node-pool: AKS taints and labels every spot node so.
    spot_taint = MappingProxyType(
        {"key": "kubernetes.azure.com/scalesetpriority", "value": "spot", "effect": "NoSchedule"}
    )

    def _implicit_taints(self, key: str, pool: dict) -> list:
        return [dict(self.spot_taint)] if pool.get("capacity_type") == "spot" else []

    def _implicit_labels(self, key: str, pool: dict) -> dict:
        # Ref https://learn.microsoft.com/azure/aks/use-labels (kubernetes.azure.com/agentpool is AKS-reserved).
        labels = {}
        if isinstance(pool.get("name"), str):
            labels["kubernetes.azure.com/agentpool"] = pool["name"]
        if pool.get("capacity_type") == "spot":
            labels[self.spot_taint["key"]] = self.spot_taint["value"]
        if pool.get("gpu") is True:
            labels["platform.mlops/gpu"] = "true"  # terraform/modules/aks/node_pools.tf
        return labels

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
        # A spot pool may keep min_size > 0: AKS allows a spot pool's autoscaler a minimum above zero
        # (Ref https://learn.microsoft.com/azure/aks/spot-node-pool, whose example uses --min-count 1);
        # evicted nodes are replaced when capacity allows.
        return problems

    # ------------------------------------------------------------------ what the cloud layer enforces later
    known_regions = facts.AZURE_REGIONS
    known_regions_source = facts.AZURE_REGIONS_SOURCE

    def _terraform_layer_problems(self, config: dict) -> list:
        return self._aks_name_problems(config) + self._aks_network_problems(
            config.get("platform_network"), config.get("platform_node_pools")
        )

    def _node_pool_layer_problems(self, pools: dict) -> list:
        problems = []
        for key, pool in pools.items():
            types = mapping(pool).get("instance_types")
            if isinstance(types, list) and len(types) > 1:
                problems.append(
                    f"platform_node_pools.{key}.instance_types: {show(types)} lists {len(types)} VM sizes, but an "
                    f"AKS node pool has exactly one VM size (vm_size; terraform/modules/aks takes instance_types[0] "
                    f"and would drop the rest); list one size, or make one pool per size"
                )
        return problems

    @staticmethod
    def aks_names(name: str, environment: str, unique_suffix: str = "") -> dict:
        """The names terraform/modules/aks/main.tf derives (local.names) from var.name, var.environment and
        var.unique_suffix."""
        prefix = f"{name}-{environment}"
        compact = f"{name}{environment}"
        return {
            "storage_account": f"{compact}{unique_suffix}artifacts"[:24],
            "key_vault": f"{prefix}-kv{unique_suffix}",
            "registry": f"{compact}acr{unique_suffix}",
            "postgres": f"{prefix}-mlflow{unique_suffix}",
        }

    _aks_name_rules = MappingProxyType(
        {
            "storage_account": ("storage account name", facts.STORAGE_ACCOUNT_RE, facts.STORAGE_ACCOUNT_RULE),
            "key_vault": ("Key Vault name", facts.KEY_VAULT_RE, facts.KEY_VAULT_RULE),
            "registry": ("container registry name", facts.REGISTRY_RE, facts.REGISTRY_RULE),
            "postgres": ("PostgreSQL flexible server name", facts.POSTGRES_SERVER_RE, facts.POSTGRES_SERVER_RULE),
        }
    )

    def _aks_name_problems(self, config: dict) -> list:
        cluster = config.get("platform_cluster_name")
        environment = config.get("platform_environment")
        if not isinstance(cluster, str) or not isinstance(environment, str) or not cluster.endswith(f"-{environment}"):
            return []  # terraform_variables reports a cluster name that is not <name>-<environment>
        name = cluster[: -len(environment) - 1]
        if not facts.AKS_NAME_RE.match(name):
            return []  # likewise
        suffix = mapping(config.get("infrastructure_terraform_vars")).get("unique_suffix", "")
        suffix = "" if suffix is None else suffix
        if not isinstance(suffix, str) or not facts.AKS_UNIQUE_SUFFIX_RE.match(suffix):
            return [
                f"infrastructure_terraform_vars.unique_suffix: {show(suffix)} is not accepted by "
                f"terraform/modules/aks (var.unique_suffix): use 0-4 lowercase letters and digits; it ends the "
                f"storage account and registry names, which Azure allows only lowercase letters and digits"
            ]
        problems = []
        for key, derived in self.aks_names(name, environment, suffix).items():
            what, pattern, rule = self._aks_name_rules[key]
            problems += derived_name_problems("platform_cluster_name", what, derived, pattern, rule, "Azure")
        return problems

    def _aks_network_problems(self, network, pools) -> list:
        network = mapping(network)
        vnet = ipv4_network(network.get("cidr"))
        if vnet is None:
            return []  # preflight reports a missing or malformed cidr
        var = "platform_network.cidr"
        low, high = facts.AKS_PREFIX_RANGE
        if not low <= vnet.prefixlen <= high:
            return [
                f"{var}: {show(network.get('cidr'))} has prefix /{vnet.prefixlen}, but terraform/modules/aks "
                f"(var.network) takes /{low} to /{high}: it carves a /{vnet.prefixlen + 4}-sized nodes subnet "
                f"(cidr/+4) and /+8 subnets for PostgreSQL and private endpoints; use e.g. 10.1.0.0/16"
            ]
        problems = []
        # terraform/modules/aks/network.tf: nodes cidrsubnet(cidr, 4, 0), database (8, 16), endpoints (8, 17).
        subnets = {
            "nodes": _cidrsubnet(vnet, facts.AKS_NODES_SUBNET_NEWBITS, 0),
            "database": _cidrsubnet(vnet, 8, 16),
            "endpoints": _cidrsubnet(vnet, 8, 17),
        }
        # Ref https://learn.microsoft.com/azure/aks/azure-cni-overlay (IP address planning): the service range must
        # not overlap the cluster's subnets, the pod range not the cluster (nodes) subnet.
        ranges = (
            ("service_cidr", facts.AKS_SERVICE_CIDR, tuple(subnets)),
            ("pod_cidr", facts.AKS_POD_CIDR, ("nodes",)),
        )
        for what, value, names in ranges:
            hit = [name for name in names if subnets[name].overlaps(ipv4_network(value))]
            if hit:
                problems.append(
                    f"{var}: {show(network.get('cidr'))} puts the {', '.join(hit)} subnet(s) "
                    f"({', '.join(str(subnets[name]) for name in hit)}) inside the AKS {what} {value} "
                    f"(terraform/modules/aks default), and AKS refuses a cluster whose subnets overlap its "
                    f"{what}; use a range outside it, e.g. 10.1.0.0/16"
                )
        nodes_prefix = vnet.prefixlen + facts.AKS_NODES_SUBNET_NEWBITS
        usable = 2 ** (32 - nodes_prefix) - facts.AZURE_SUBNET_RESERVED
        wanted = 0
        for pool in mapping(pools).values():
            size = mapping(pool).get("max_size")
            if isinstance(size, int) and not isinstance(size, bool) and size > 0:
                wanted += size + -(-size * facts.AKS_MAX_SURGE_PERCENT // 100)
        if wanted > usable:
            problems.append(
                f"{var}: {show(network.get('cidr'))} gives the nodes subnet (cidr/+4, terraform/modules/aks) a "
                f"/{nodes_prefix} with {usable} usable addresses (Azure reserves {facts.AZURE_SUBNET_RESERVED}), "
                f"but platform_node_pools.*.max_size plus the {facts.AKS_MAX_SURGE_PERCENT}% upgrade surge need "
                f"{wanted}: AKS could not add the nodes; use a larger range or lower the max_size values"
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
    terraform_service_account_access = MappingProxyType(
        {
            "mlflow": "blob_write",
            "argo_workflows": "blob_write",
            "kserve": "blob_read",
            "external_secrets": "secrets_read",
        }
    )
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

    def terraform_variables(self, settings: dict) -> dict:
        variables = super().terraform_variables(settings)
        tls = settings.get("tls") if isinstance(settings.get("tls"), dict) else {}
        if tls.get("issuer") == "letsencrypt" and tls.get("challenge") == "dns01":
            # cert-manager answers DNS-01 challenges in the zone with its own identity (DNS Zone Contributor).
            variables["dns_zone_id"] = tls.get("zone_id")
            account = (settings.get("service_accounts") or {}).get("cert_manager")
            variables["service_accounts"]["cert_manager"] = {
                **super()._terraform_service_account("cert_manager", account),
                "access": "dns_zone",
            }
        return variables

    def _terraform_service_account(self, key: str, account) -> dict:
        return {
            **super()._terraform_service_account(key, account),
            "access": self.terraform_service_account_access[key],
        }

    # Variables of terraform/environments/azure/<env> that have no default and that the role cannot derive
    # from the platform_* settings: infrastructure_terraform_vars carries them (preflight demands them).
    terraform_required_extra = MappingProxyType(
        {
            "admin_group_object_ids": "the Entra ID group object ids given cluster-admin (local accounts are "
            "disabled), e.g. [00000000-0000-0000-0000-000000000000]",
            "api_server_authorized_ip_ranges": "the CIDRs allowed to reach the public API server (operators', "
            "CI runners' egress), e.g. [203.0.113.0/24]",
        }
    )

    def terraform_extra_problems(self, environment, extra) -> list:
        """What ``infrastructure_terraform_vars`` (``extra``) lacks for the Azure root of ``environment``."""
        extra = extra if isinstance(extra, dict) else {}
        # The prod root's API server is private: it has no api_server_authorized_ip_ranges.
        required = [n for n in self.terraform_required_extra if environment != "prod" or n == "admin_group_object_ids"]
        missing = [name for name in required if extra.get(name) in (None, "", [])]
        problems = []
        if missing:
            needs = "; ".join(f"{name}: {self.terraform_required_extra[name]}" for name in missing)
            problems.append(
                f"infrastructure_terraform_vars: the azure Terraform root needs {' and '.join(missing)}, which have "
                f"no default; set them under infrastructure_terraform_vars ({needs}), as "
                "inventories/azure-dev/group_vars/all/terraform.yml does, or set infrastructure_terraform: false "
                "for an existing cluster"
            )
        groups = extra.get("admin_group_object_ids")
        if groups not in (None, "", []) and (
            not isinstance(groups, list) or not all(isinstance(g, str) and _GUID_RE.match(g) for g in groups)
        ):
            problems.append(
                "infrastructure_terraform_vars.admin_group_object_ids: must be a list of Entra ID group object ids "
                f"(lowercase GUIDs), got {show(groups)}"
            )
        ranges = extra.get("api_server_authorized_ip_ranges")
        if ranges not in (None, "", []) and (not isinstance(ranges, list) or not all(map(_is_allowed_cidr, ranges))):
            problems.append(
                "infrastructure_terraform_vars.api_server_authorized_ip_ranges: must be a list of IPv4 CIDRs such "
                f"as 203.0.113.0/24, not 0.0.0.0/0, got {show(ranges)}"
            )
        return problems

    # The secret store is the platform Key Vault; platform_infra.secret_store_ref is its URL.
    secret_store_ref_noun = "the Key Vault URL"
    secret_store_ref_example = "https://mlops-dev-kv.vault.azure.net/"

    def _secret_store_problems(self, secret_store_ref, tenant_id) -> list:
        problems = []
        if not isinstance(secret_store_ref, str) or not _VAULT_URL_RE.match(secret_store_ref):
            problems.append(
                f"secret_store_ref: {show(secret_store_ref)} is not a Key Vault URL; on azure it is "
                f"{self.secret_store_ref_noun} (https://<vault name: {_VAULT_RULE}>.vault.azure.net/), "
                f"such as {self.secret_store_ref_example}"
            )
        if tenant_id not in (None, "") and not self.is_identity(tenant_id):
            problems.append(f"tenant_id: {show(tenant_id)} is not an Entra ID tenant ID (a GUID)")
        return problems

    def _secret_store_provider(self, secret_store_ref: str, service_account: dict, tenant_id) -> dict:
        # Ref https://external-secrets.io/latest/provider/azure-key-vault/#workload-identity
        # The operator exchanges a token of the referenced service account for its federated identity
        # (client ID from the account's azure.workload.identity/client-id annotation).
        provider = {"vaultUrl": secret_store_ref, "authType": "WorkloadIdentity", "serviceAccountRef": service_account}
        if tenant_id:
            provider["tenantId"] = tenant_id
        return {"azurekv": provider}

    def _artifact_repository(self, bucket: str, account, key_format: str, region) -> dict:
        # Ref https://argo-workflows.readthedocs.io/en/stable/configure-artifact-repository/#configuring-azure-blob-storage
        # useSDKCreds: DefaultAzureCredential, i.e. the workload identity the webhook injects into labelled pods.
        return {
            "azure": {
                "endpoint": f"https://{account}.blob.core.windows.net",
                "container": bucket,
                "blobNameFormat": key_format,
                "useSDKCreds": True,
            }
        }

    def _model_store_annotations(self, region) -> dict:
        # The storage initializer reads https://<account>.blob.core.windows.net/<container>/... URIs with
        # DefaultAzureCredential (the pod's workload identity); nothing to configure on the service account.
        return {}

    # ------------------------------------------------------------------ autoscaling: KEDA (+ AKS cluster autoscaler)
    # KEDA scales the workloads; the AKS cluster autoscaler (terraform/modules/aks node pools, min 0) adds the
    # nodes their pods need. Ref https://keda.sh/docs/2.18/scalers/prometheus/
    autoscaler_controller = "keda"
    autoscaler_chart = "keda"
    autoscaler_crd_chart = None  # the keda chart installs its CRDs from templates/
    autoscaler_identity = None  # the Prometheus triggers read the in-cluster Prometheus: no cloud API

    # What a scaler may scale. An InferenceService (KServe RawDeployment) is scaled through its predictor
    # Deployment, which KServe names <name>-predictor; the InferenceService must then carry
    # serving.kserve.io/autoscalerClass: external so that KServe creates no HPA of its own beside KEDA's.
    _scaler_target_kinds = ("Deployment", "StatefulSet", "InferenceService")
    _prometheus_url_re = re.compile(r"^https?://[^\s/]+(:[0-9]+)?(/\S*)?$")
    _quantity_re = re.compile(r"^[0-9]+(\.[0-9]+)?$")
    # Placeholders a scaler's query may use: the target's namespace and name.
    _query_placeholders = ("$namespace", "$name")

    def _autoscaler_scalers(self, settings: dict) -> list:
        scalers = settings.get("scalers")
        targets = settings.get("scaler_targets")
        url = settings.get("prometheus_url")
        problems = []
        if not isinstance(url, str) or not self._prometheus_url_re.match(url):
            problems.append(f"prometheus_url: {show(url)} is not an http(s) URL of the Prometheus server")
        if not isinstance(scalers, list):
            problems.append(f"scalers: must be a list of scaler settings, got {show(scalers)}")
            scalers = []
        if targets is None:
            targets = {}
        if not isinstance(targets, dict):
            problems.append(f"scaler_targets: must map scaler names to {{kind, name, namespace}}, got {show(targets)}")
            targets = {}
        names = []
        for index, scaler in enumerate(scalers):
            problems += self._scaler_problems(f"scalers[{index}]", scaler)
            if isinstance(scaler, dict):
                if scaler.get("name") in names:
                    problems.append(f"scalers[{index}].name: {show(scaler.get('name'))} is used twice")
                names.append(scaler.get("name"))
        for name in sorted(targets, key=str):
            if name not in names:
                problems.append(
                    "scaler_targets.{}: no scaler of that name; scalers: {}".format(name, ", ".join(map(str, names)))
                )
            elif targets[name] is not None:
                problems += self._scaler_target_problems(f"scaler_targets.{name}", targets[name])
        if problems:
            self._autoscaler_failure("KEDA scalers", problems)
        return [
            self._scaled_object(scaler, targets[scaler["name"]], url)
            for scaler in sorted(scalers, key=lambda item: item["name"])
            if targets.get(scaler["name"])
        ]

    def _scaler_problems(self, path: str, scaler) -> list:
        if not isinstance(scaler, dict):
            return [f"{path}: must be a mapping, got {show(scaler)}"]
        problems = self._object_name_problems(f"{path}.name", scaler.get("name"), "a ScaledObject name")
        query = scaler.get("query")
        if not isinstance(query, str) or not query.strip():
            problems.append(f"{path}.query: must be a PromQL expression, got {show(query)}")
        else:
            stray = sorted(set(re.findall(r"\$[A-Za-z_]+", query)) - set(self._query_placeholders))
            if stray:
                problems.append(
                    "{}.query: unknown placeholder(s) {}; allowed: {}".format(
                        path, ", ".join(stray), ", ".join(self._query_placeholders)
                    )
                )
        for field in ("threshold", "activation_threshold"):
            value = scaler.get(field, "0" if field == "activation_threshold" else None)
            if not self._quantity_re.match(str(value)) or isinstance(value, bool):
                problems.append(f"{path}.{field}: {show(value)} is not a non-negative number")
        low, high = scaler.get("min_replicas"), scaler.get("max_replicas")
        for field, value in (("min_replicas", low), ("max_replicas", high)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                problems.append(f"{path}.{field}: must be a non-negative integer, got {show(value)}")
        if isinstance(low, int) and isinstance(high, int) and not problems and (high < 1 or low > high):
            problems.append(f"{path}: max_replicas {high} must be at least 1 and at least min_replicas {low}")
        return problems

    def _scaler_target_problems(self, path: str, target) -> list:
        if not isinstance(target, dict):
            return [f"{path}: must be {{kind, name, namespace}} of the workload to scale, got {show(target)}"]
        problems = []
        unknown = sorted(str(key) for key in target if key not in ("kind", "name", "namespace"))
        if unknown:
            problems.append(f"{path}: unknown setting(s) {', '.join(unknown)}; allowed: kind, name, namespace")
        if target.get("kind", "Deployment") not in self._scaler_target_kinds:
            problems.append(
                "{}.kind: {} is not allowed; allowed: {}".format(
                    path, show(target.get("kind")), ", ".join(self._scaler_target_kinds)
                )
            )
        problems += self._object_name_problems(f"{path}.name", target.get("name"), "the workload's name")
        problems += self._object_name_problems(
            f"{path}.namespace", target.get("namespace"), "the workload's namespace (the ScaledObject goes there)"
        )
        return problems

    def _scaled_object(self, scaler: dict, target: dict, url: str) -> dict:
        kind = target.get("kind", "Deployment")
        # Ref https://github.com/kserve/kserve (pkg/constants: the RawDeployment predictor is <isvc>-predictor)
        workload = (
            {"kind": "Deployment", "name": f"{target['name']}-predictor"}
            if kind == "InferenceService"
            else {
                "kind": kind,
                "name": target["name"],
            }
        )
        query = " ".join(scaler["query"].split())
        query = query.replace("$namespace", target["namespace"]).replace("$name", target["name"])
        return {
            "apiVersion": "keda.sh/v1alpha1",
            "kind": "ScaledObject",
            "metadata": {"name": scaler["name"], "namespace": target["namespace"]},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", **workload},
                "minReplicaCount": scaler["min_replicas"],
                "maxReplicaCount": scaler["max_replicas"],
                "pollingInterval": int(scaler.get("polling_interval", 30)),
                "cooldownPeriod": int(scaler.get("cooldown_period", 300)),
                "triggers": [
                    {
                        "type": "prometheus",
                        "metadata": {
                            "serverAddress": url,
                            "query": query,
                            "threshold": str(scaler["threshold"]),
                            "activationThreshold": str(scaler.get("activation_threshold", "0")),
                        },
                    }
                ],
            },
        }

    # ------------------------------------------------------------------ storage
    def default_storage_class(self) -> dict | None:
        # AKS runs the Azure Disk CSI driver and ships the default class managed-csi (Standard SSD LRS,
        # WaitForFirstConsumer, expandable): nothing to add. Ref https://learn.microsoft.com/azure/aks/azure-disk-csi
        return None

    # ------------------------------------------------------------------ GPU memory
    def _gpu_memory(self, instance_type: str) -> tuple | None:
        name = _GPU_SIZE_NAMES.get(instance_type.lower())
        if name is None:
            return None
        family, vcpus, gpus = _GPU_SIZES[name]
        return (gpus, *_GPU_SERIES_MODELS[family], family, vcpus)

    def _gpu_instance_types(self) -> tuple:
        return tuple(_GPU_SIZES)


# The NVIDIA GPU of each size series: (model, memory per GPU in GiB, CUDA compute capability). Ref the series
# pages under https://learn.microsoft.com/azure/virtual-machines/sizes/gpu-accelerated/ : ncv3-series (V100 16 GB),
# ncast4v3-series (T4 16 GB), nca100v4-series (A100 PCIe 80 GB), ndasra100v4-series (A100 40 GB),
# ndma100v4-series (A100 80 GB), ndh100v5-series (H100 80 GB); the same figures in
# https://huggingface.co/docs/microsoft-azure/azure-ai/hardware. Compute capability:
# https://developer.nvidia.com/cuda-gpus. Not listed (no sourced figure here): NC H100 v5 (H100 NVL), NC A10 v4,
# the NV visualisation sizes (partitioned or pre-Volta GPUs vLLM does not run on).
_GPU_SERIES_MODELS = MappingProxyType(
    {
        "NCv3": ("V100", 16, 7.0),
        "NCasT4_v3": ("T4", 16, 7.5),
        "NC_A100_v4": ("A100", 80, 8.0),
        "ND_A100_v4": ("A100", 40, 8.0),
        "NDm_A100_v4": ("A100", 80, 8.0),
        "ND_H100_v5": ("H100", 80, 9.0),
    }
)
# VM size -> (series, vCPUs, GPUs), from the same pages.
_GPU_SIZES = MappingProxyType(
    {
        "Standard_NC6s_v3": ("NCv3", 6, 1),
        "Standard_NC12s_v3": ("NCv3", 12, 2),
        "Standard_NC24s_v3": ("NCv3", 24, 4),
        "Standard_NC24rs_v3": ("NCv3", 24, 4),
        "Standard_NC4as_T4_v3": ("NCasT4_v3", 4, 1),
        "Standard_NC8as_T4_v3": ("NCasT4_v3", 8, 1),
        "Standard_NC16as_T4_v3": ("NCasT4_v3", 16, 1),
        "Standard_NC64as_T4_v3": ("NCasT4_v3", 64, 4),
        "Standard_NC24ads_A100_v4": ("NC_A100_v4", 24, 1),
        "Standard_NC48ads_A100_v4": ("NC_A100_v4", 48, 2),
        "Standard_NC96ads_A100_v4": ("NC_A100_v4", 96, 4),
        "Standard_ND96asr_v4": ("ND_A100_v4", 96, 8),
        "Standard_ND96amsr_A100_v4": ("NDm_A100_v4", 96, 8),
        "Standard_ND96isr_H100_v5": ("ND_H100_v5", 96, 8),
    }
)
# Azure compares VM size names without regard to case.
_GPU_SIZE_NAMES = MappingProxyType({name.lower(): name for name in _GPU_SIZES})

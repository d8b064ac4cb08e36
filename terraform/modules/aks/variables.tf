# Inputs of the AKS cloud layer. The first group mirrors the inventory
# (platform_cluster_name, platform_region, platform_kubernetes_version,
# platform_network, platform_node_pools); the rest is Azure-specific.
# Cross-variable rules are preconditions next to the resource they protect.

# --- Identity of the environment ---------------------------------------------

variable "name" {
  description = "Platform name; resources are named <name>-<environment> (the cluster: mlops-dev), or <name><environment>... where Azure allows no hyphens. 2-9 lowercase letters and digits, so every derived name fits Azure's length limits."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,8}$", var.name))
    error_message = "var.name must be 2-9 lowercase letters and digits, starting with a letter (e.g. \"mlops\"): storage account and registry names allow no hyphens, Key Vault names at most 24 characters."
  }
}

variable "environment" {
  description = "Environment name: dev, staging or prod. Part of every resource name."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "var.environment must be one of dev, staging, prod."
  }
}

variable "unique_suffix" {
  description = "Optional suffix (0-4 lowercase letters/digits) for the globally unique names (storage account, Key Vault, ACR, PostgreSQL server) when the plain names are taken."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^[a-z0-9]{0,4}$", var.unique_suffix))
    error_message = "var.unique_suffix must be 0-4 lowercase letters or digits."
  }
}

variable "location" {
  description = "Azure region (the inventory's platform_region), e.g. westeurope."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+[a-z0-9]*$", var.location))
    error_message = "var.location must be an Azure region name in its short form, e.g. westeurope (no spaces or capitals)."
  }
}

variable "existing_resource_group_name" {
  description = "Name of an existing resource group to deploy into. null creates a resource group named <name>-<environment>."
  type        = string
  default     = null

  validation {
    condition     = var.existing_resource_group_name == null || can(regex("^[-\\w\\._\\(\\)]{1,90}$", var.existing_resource_group_name))
    error_message = "var.existing_resource_group_name must be null or a valid resource group name (1-90 characters)."
  }
}

variable "tags" {
  description = "Tags added to every resource (environment and managed-by tags are always set)."
  type        = map(string)
  default     = {}
}

# --- Cluster ------------------------------------------------------------------

variable "kubernetes_version" {
  description = "Kubernetes minor version of the control plane and every node pool, MAJOR.MINOR (the patch follows automatic_upgrade_channel)."
  type        = string

  validation {
    condition     = contains(["1.30", "1.31", "1.32", "1.33"], var.kubernetes_version)
    error_message = "var.kubernetes_version must be one of \"1.30\", \"1.31\", \"1.32\", \"1.33\" (MAJOR.MINOR, quoted)."
  }
}

variable "network" {
  description = "Address plan: the VNet cidr (the inventory's platform_network.cidr) and optional overrides. Subnets default to cidrsubnet(cidr, 4, 0) for nodes, cidrsubnet(cidr, 8, 16) for PostgreSQL and cidrsubnet(cidr, 8, 17) for private endpoints; pods use the overlay pod_cidr, not VNet addresses."
  type = object({
    cidr                  = string
    nodes_subnet_cidr     = optional(string)
    database_subnet_cidr  = optional(string)
    endpoints_subnet_cidr = optional(string)
    pod_cidr              = optional(string, "192.168.0.0/16")
    service_cidr          = optional(string, "172.16.0.0/16")
    dns_service_ip        = optional(string, "172.16.0.10")
  })

  validation {
    condition     = can(cidrhost(var.network.cidr, 0)) && try(tonumber(split("/", var.network.cidr)[1]) >= 8 && tonumber(split("/", var.network.cidr)[1]) <= 20, false)
    error_message = "var.network.cidr must be an IPv4 CIDR between /8 and /20 (e.g. 10.1.0.0/16)."
  }

  validation {
    condition = alltrue([
      for c in [var.network.nodes_subnet_cidr, var.network.database_subnet_cidr, var.network.endpoints_subnet_cidr, var.network.pod_cidr, var.network.service_cidr] :
      c == null || can(cidrhost(c, 0))
    ])
    error_message = "var.network subnet, pod_cidr and service_cidr values must be IPv4 CIDRs (e.g. 10.1.0.0/20)."
  }

  validation {
    condition     = can(cidrhost("${var.network.dns_service_ip}/32", 0))
    error_message = "var.network.dns_service_ip must be an IPv4 address inside service_cidr (e.g. 172.16.0.10)."
  }
}

variable "network_policy" {
  description = "Kubernetes NetworkPolicy engine: azure (Azure NPM) or cilium (Azure CNI powered by Cilium; also sets the Cilium data plane)."
  type        = string
  default     = "azure"

  validation {
    condition     = contains(["azure", "cilium"], var.network_policy)
    error_message = "var.network_policy must be azure or cilium."
  }
}

variable "sku_tier" {
  description = "AKS control plane tier: Free (no SLA), Standard (uptime SLA) or Premium (long-term support)."
  type        = string
  default     = "Standard"

  validation {
    condition     = contains(["Free", "Standard", "Premium"], var.sku_tier)
    error_message = "var.sku_tier must be Free, Standard or Premium."
  }
}

variable "automatic_upgrade_channel" {
  description = "AKS automatic upgrade channel. patch keeps the pinned minor and applies its patches."
  type        = string
  default     = "patch"

  validation {
    condition     = contains(["patch", "stable", "rapid", "node-image"], var.automatic_upgrade_channel)
    error_message = "var.automatic_upgrade_channel must be patch, stable, rapid or node-image (use patch to keep kubernetes_version's minor)."
  }
}

variable "private_cluster_enabled" {
  description = "Private API server (reachable only from the VNet or peered networks). When false, api_server_authorized_ip_ranges must restrict the public endpoint."
  type        = bool
  default     = false
}

variable "api_server_authorized_ip_ranges" {
  description = "CIDRs allowed to reach the public API server (operators, CI egress). Required when private_cluster_enabled = false; must be empty when it is true."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.api_server_authorized_ip_ranges : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "var.api_server_authorized_ip_ranges must be IPv4 CIDRs and must not contain 0.0.0.0/0."
  }
}

variable "admin_group_object_ids" {
  description = "Entra ID group object ids that get cluster-admin (local accounts are disabled, so at least one is needed)."
  type        = list(string)

  validation {
    condition     = length(var.admin_group_object_ids) > 0
    error_message = "var.admin_group_object_ids needs at least one Entra ID group object id: local accounts are disabled, so without it nobody can administer the cluster."
  }

  validation {
    condition     = alltrue([for id in var.admin_group_object_ids : can(regex("^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$", id))])
    error_message = "var.admin_group_object_ids must be Entra ID object ids (GUIDs)."
  }
}

variable "monitoring" {
  description = "Azure Monitor Container Insights (creates a Log Analytics workspace with retention_days) and Microsoft Defender for Containers."
  type = object({
    container_insights_enabled = optional(bool, true)
    defender_enabled           = optional(bool, false)
    retention_days             = optional(number, 30)
  })
  default = {}

  validation {
    condition     = var.monitoring.retention_days >= 30 && var.monitoring.retention_days <= 730
    error_message = "var.monitoring.retention_days must be between 30 and 730."
  }
}

variable "node_pools" {
  description = "Node pools, same shape as the inventory's platform_node_pools: keys general (the system pool, on demand, runs the platform services), training and gpu; each {name, instance_types (one VM size), capacity_type on_demand|spot, min_size, max_size, desired_size, gpu, taints [{key, value, effect}], labels}."
  type = map(object({
    name           = string
    instance_types = list(string)
    capacity_type  = string
    min_size       = number
    max_size       = number
    desired_size   = number
    gpu            = optional(bool, false)
    taints = optional(list(object({
      key    = string
      value  = string
      effect = string
    })), [])
    labels = optional(map(string), {})
  }))

  validation {
    condition     = contains(keys(var.node_pools), "general") && alltrue([for k in keys(var.node_pools) : contains(["general", "training", "gpu"], k)])
    error_message = "var.node_pools must have the key general (the system pool) and may have training and gpu; no other keys."
  }

  validation {
    condition     = alltrue([for p in values(var.node_pools) : can(regex("^[a-z][a-z0-9]{0,11}$", p.name))])
    error_message = "var.node_pools[*].name must match ^[a-z][a-z0-9]{0,11}$ (AKS pool names: up to 12 lowercase letters and digits)."
  }

  validation {
    condition     = length(distinct([for p in values(var.node_pools) : p.name])) == length(var.node_pools)
    error_message = "var.node_pools[*].name must be unique."
  }

  validation {
    condition     = alltrue([for p in values(var.node_pools) : length(p.instance_types) == 1 && can(regex("^Standard_[A-Za-z0-9_]+$", p.instance_types[0]))])
    error_message = "var.node_pools[*].instance_types must hold exactly one Azure VM size (an AKS pool has one size), e.g. [\"Standard_D4s_v3\"]."
  }

  validation {
    condition     = alltrue([for p in values(var.node_pools) : contains(["on_demand", "spot"], p.capacity_type)])
    error_message = "var.node_pools[*].capacity_type must be on_demand or spot."
  }

  validation {
    condition     = alltrue([for p in values(var.node_pools) : p.min_size >= 0 && p.min_size <= p.max_size && p.desired_size >= p.min_size && p.desired_size <= p.max_size && p.max_size <= 1000])
    error_message = "var.node_pools[*] must satisfy 0 <= min_size <= desired_size <= max_size <= 1000."
  }

  validation {
    condition     = alltrue([for p in values(var.node_pools) : !p.gpu || can(regex("^Standard_N[CDV]", p.instance_types[0]))])
    error_message = "var.node_pools[*] with gpu = true must use an N-series GPU size (Standard_NC*, Standard_ND*, Standard_NV*), e.g. Standard_NC6s_v3."
  }

  validation {
    condition     = !contains(keys(var.node_pools), "general") || try(var.node_pools["general"].capacity_type == "on_demand" && var.node_pools["general"].min_size >= 1 && !var.node_pools["general"].gpu, false)
    error_message = "var.node_pools.general is the AKS system pool: capacity_type must be on_demand (spot cannot be the system pool), min_size >= 1 and gpu = false."
  }

  validation {
    condition     = !contains(keys(var.node_pools), "general") || try(length(var.node_pools["general"].taints) == 0, false)
    error_message = "var.node_pools.general.taints must be empty: the system pool runs the platform services and azurerm 4.x cannot taint the default node pool."
  }

  validation {
    condition     = alltrue(flatten([for p in values(var.node_pools) : [for t in p.taints : contains(["NoSchedule", "PreferNoSchedule", "NoExecute"], t.effect)]]))
    error_message = "var.node_pools[*].taints[*].effect must be NoSchedule, PreferNoSchedule or NoExecute."
  }
}

variable "availability_zones" {
  description = "Availability zones of every node pool, e.g. [\"1\", \"2\", \"3\"]. Empty: no zone pinning (regions or VM sizes without zones)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for z in var.availability_zones : contains(["1", "2", "3"], z)])
    error_message = "var.availability_zones may only contain \"1\", \"2\" and \"3\"."
  }
}

variable "node_os_disk" {
  description = "OS disk of every node: type Ephemeral (on the VM cache, faster, free; size_gb must fit the smallest pool size's cache, 100 GiB for Standard_D4s_v3) or Managed; container images live on it."
  type = object({
    type    = optional(string, "Ephemeral")
    size_gb = optional(number, 96)
  })
  default = {}

  validation {
    condition     = contains(["Ephemeral", "Managed"], var.node_os_disk.type) && var.node_os_disk.size_gb >= 30 && var.node_os_disk.size_gb <= 2048
    error_message = "var.node_os_disk.type must be Ephemeral or Managed and size_gb between 30 and 2048."
  }
}

variable "host_encryption_enabled" {
  description = "Encryption at host for every node (temp disk and caches encrypted). Needs the subscription feature Microsoft.Compute/EncryptionAtHost registered."
  type        = bool
  default     = true
}

variable "max_pods" {
  description = "Maximum pods per node (Azure CNI overlay allows up to 250)."
  type        = number
  default     = 110

  validation {
    condition     = var.max_pods >= 50 && var.max_pods <= 250
    error_message = "var.max_pods must be between 50 and 250."
  }
}

# --- Workload identity ----------------------------------------------------------

variable "service_accounts" {
  description = "Kubernetes service accounts that get a user-assigned identity federated with the cluster's OIDC issuer. access grants the least privilege the workload needs: blob_write (Storage Blob Data Contributor on the artifacts container), blob_read (Storage Blob Data Reader on it), secrets_read (Key Vault Secrets User on the vault), dns_zone (DNS Zone Contributor on dns_zone_id: cert-manager's ACME DNS-01 solver; needs dns_zone_id) or none."
  type = map(object({
    namespace = string
    name      = string
    access    = optional(string, "none")
  }))
  default = {
    mlflow           = { namespace = "mlflow", name = "mlflow", access = "blob_write" }
    argo_workflows   = { namespace = "argo", name = "argo-workflow", access = "blob_write" }
    kserve           = { namespace = "kserve", name = "kserve-predictor", access = "blob_read" }
    external_secrets = { namespace = "external-secrets", name = "external-secrets", access = "secrets_read" }
  }
  # null (e.g. an environment root's unset variable) means these defaults.
  nullable = false

  validation {
    condition     = alltrue([for k in keys(var.service_accounts) : can(regex("^[a-z][a-z0-9_]{0,40}$", k))])
    error_message = "var.service_accounts keys must be lowercase identifiers (letters, digits, underscores), e.g. argo_workflows."
  }

  validation {
    condition = alltrue(flatten([for sa in values(var.service_accounts) : [
      can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", sa.namespace)),
      can(regex("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$", sa.name)),
    ]]))
    error_message = "var.service_accounts[*].namespace and name must be Kubernetes DNS names (lowercase letters, digits, '-')."
  }

  validation {
    condition     = alltrue([for sa in values(var.service_accounts) : contains(["none", "blob_read", "blob_write", "secrets_read", "dns_zone"], sa.access)])
    error_message = "var.service_accounts[*].access must be none, blob_read, blob_write, secrets_read or dns_zone."
  }
}

variable "dns_zone_id" {
  description = "Resource id of the Azure DNS zone of the ingress hosts, /subscriptions/<subscription id>/resourceGroups/<resource group>/providers/Microsoft.Network/dnszones/<zone>: service accounts with access = dns_zone (cert-manager) get DNS Zone Contributor on it to solve ACME DNS-01 challenges. \"\": no DNS zone access."
  type        = string
  default     = ""
  nullable    = false

  validation {
    # ARM compares resource types and names case-insensitively, and ids come back in either
    # spelling (.../Microsoft.Network/dnszones/... from the CLI, .../dnsZones/... from ARM
    # templates' resourceId()): the resourceGroups and provider segments match in any case.
    # Resource group: 1-90 letters, digits, '_', '-', '.', '()', not ending in '.'.
    # Ref: https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/resource-name-rules
    condition     = var.dns_zone_id == "" || can(regex("^/subscriptions/[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}/(?i:resourceGroups)/[-A-Za-z0-9_.()]{0,89}[-A-Za-z0-9_()]/providers/(?i:Microsoft\\.Network/dnszones)/([A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?$", var.dns_zone_id))
    error_message = "var.dns_zone_id must be \"\" or the resource id of an Azure DNS zone: /subscriptions/<subscription id>/resourceGroups/<resource group>/providers/Microsoft.Network/dnszones/<zone name> (e.g. from az network dns zone show --query id)."
  }
}

# --- Object storage -------------------------------------------------------------

variable "storage_replication_type" {
  description = "Replication of the artifacts storage account: LRS, ZRS, GRS, RAGRS, GZRS or RAGZRS."
  type        = string
  default     = "ZRS"

  validation {
    condition     = contains(["LRS", "ZRS", "GRS", "RAGRS", "GZRS", "RAGZRS"], var.storage_replication_type)
    error_message = "var.storage_replication_type must be LRS, ZRS, GRS, RAGRS, GZRS or RAGZRS."
  }
}

variable "artifacts_container_name" {
  description = "Blob container for MLflow artifacts (object_store_bucket)."
  type        = string
  default     = "mlflow-artifacts"

  validation {
    condition     = can(regex("^[a-z0-9](-?[a-z0-9]){2,62}$", var.artifacts_container_name))
    error_message = "var.artifacts_container_name must be 3-63 lowercase letters, digits and single hyphens."
  }
}

variable "blob_soft_delete_days" {
  description = "Days deleted blobs and containers are kept (soft delete)."
  type        = number
  default     = 14

  validation {
    condition     = var.blob_soft_delete_days >= 7 && var.blob_soft_delete_days <= 365
    error_message = "var.blob_soft_delete_days must be between 7 and 365."
  }
}

# --- Database -------------------------------------------------------------------

variable "db_version" {
  description = "PostgreSQL major version of the Flexible Server."
  type        = string
  default     = "16"

  validation {
    condition     = contains(["14", "15", "16", "17"], var.db_version)
    error_message = "var.db_version must be one of \"14\", \"15\", \"16\", \"17\" (quoted)."
  }
}

variable "db_sku_name" {
  description = "Flexible Server SKU, <tier>_<size>: B_ (burstable, no HA), GP_ (general purpose) or MO_ (memory optimized), e.g. GP_Standard_D2ds_v5."
  type        = string
  default     = "GP_Standard_D2ds_v5"

  validation {
    condition     = can(regex("^(B|GP|MO)_Standard_[A-Za-z0-9_]+$", var.db_sku_name))
    error_message = "var.db_sku_name must look like B_Standard_B1ms, GP_Standard_D2ds_v5 or MO_Standard_E4ds_v5."
  }
}

variable "db_storage_mb" {
  description = "Flexible Server storage in MB (auto-grow is enabled)."
  type        = number
  default     = 32768

  validation {
    condition     = contains([32768, 65536, 131072, 262144, 524288, 1048576, 2097152, 4193280, 4194304, 8388608, 16777216, 33553408], var.db_storage_mb)
    error_message = "var.db_storage_mb must be one of the Flexible Server sizes: 32768, 65536, 131072, 262144, 524288, 1048576, 2097152, 4193280, 4194304, 8388608, 16777216, 33553408."
  }
}

variable "db_high_availability" {
  description = "Zone-redundant high availability (standby in another zone). Needs a GP_ or MO_ SKU."
  type        = bool
  default     = false
}

variable "db_geo_redundant_backup" {
  description = "Geo-redundant backups (paired region). Can only be chosen when the server is created."
  type        = bool
  default     = false
}

variable "db_backup_retention_days" {
  description = "Point-in-time restore window in days."
  type        = number
  default     = 7

  validation {
    condition     = var.db_backup_retention_days >= 7 && var.db_backup_retention_days <= 35
    error_message = "var.db_backup_retention_days must be between 7 and 35."
  }
}

variable "db_name" {
  description = "Database created for MLflow (db_name)."
  type        = string
  default     = "mlflow"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,62}$", var.db_name))
    error_message = "var.db_name must be a lowercase PostgreSQL identifier (letters, digits, underscores)."
  }
}

variable "db_admin_login" {
  description = "Administrator login of the server; MLflow uses it through the Key Vault secret."
  type        = string
  default     = "mlflowadmin"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.db_admin_login)) && !contains(["admin", "administrator", "root", "guest", "public", "azure_superuser", "azure_pg_admin", "postgres", "sa"], var.db_admin_login) && !startswith(var.db_admin_login, "pg_")
    error_message = "var.db_admin_login must be a lowercase identifier, not a reserved name (admin, root, postgres, azure_superuser, pg_*, ...)."
  }
}

variable "db_password_version" {
  description = "Version of the generated administrator password. Increase it by one to rotate: the server and the Key Vault secret both receive a new password in the same apply."
  type        = number
  default     = 1

  validation {
    condition     = var.db_password_version >= 1 && floor(var.db_password_version) == var.db_password_version
    error_message = "var.db_password_version must be a whole number >= 1; increase it to rotate the password."
  }
}

variable "db_entra_administrator" {
  description = "Optional Entra ID administrator of the PostgreSQL server (a group is best): {object_id, principal_name, principal_type Group|User|ServicePrincipal}. null: only the password login administers the server."
  type = object({
    object_id      = string
    principal_name = string
    principal_type = string
  })
  default = null

  validation {
    condition     = var.db_entra_administrator == null || try(contains(["Group", "User", "ServicePrincipal"], var.db_entra_administrator.principal_type) && can(regex("^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$", var.db_entra_administrator.object_id)), false)
    error_message = "var.db_entra_administrator.principal_type must be Group, User or ServicePrincipal and object_id a GUID."
  }
}

variable "db_secret_name" {
  description = "Key Vault secret holding the database login as JSON {username, password} (db_secret_ref; External Secrets extracts both keys)."
  type        = string
  default     = "mlflow-db-password"

  validation {
    condition     = can(regex("^[0-9A-Za-z-]{1,127}$", var.db_secret_name))
    error_message = "var.db_secret_name must be 1-127 letters, digits and hyphens (a Key Vault secret name)."
  }
}

# --- Key Vault ------------------------------------------------------------------

variable "key_vault_purge_protection" {
  description = "Purge protection: a deleted vault or secret cannot be purged before the soft-delete period ends (irreversible once on). On in prod."
  type        = bool
  default     = true
}

variable "key_vault_soft_delete_days" {
  description = "Days a deleted vault or secret stays recoverable."
  type        = number
  default     = 90

  validation {
    condition     = var.key_vault_soft_delete_days >= 7 && var.key_vault_soft_delete_days <= 90
    error_message = "var.key_vault_soft_delete_days must be between 7 and 90."
  }
}

variable "key_vault_allowed_ip_ranges" {
  description = "Public CIDRs allowed through the Key Vault firewall (the Terraform runner writes the database secret over the data plane). Empty: the vault is reachable only through its private endpoint, so Terraform must run from the VNet."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.key_vault_allowed_ip_ranges : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "var.key_vault_allowed_ip_ranges must be IPv4 CIDRs and must not contain 0.0.0.0/0."
  }
}

# --- Registry -------------------------------------------------------------------

variable "registry_sku" {
  description = "ACR SKU: Premium (private endpoint, no public access, retention, zone redundancy) or Standard (public endpoint with Entra ID auth only)."
  type        = string
  default     = "Premium"

  validation {
    condition     = contains(["Standard", "Premium"], var.registry_sku)
    error_message = "var.registry_sku must be Standard or Premium."
  }
}

variable "registry_allowed_ip_ranges" {
  description = "Premium only: public CIDRs allowed to push and pull (e.g. CI runners). Empty: the registry is reachable only through its private endpoint."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.registry_allowed_ip_ranges : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "var.registry_allowed_ip_ranges must be IPv4 CIDRs and must not contain 0.0.0.0/0."
  }
}

# The first group mirrors the inventory (inventories/azure-dev/group_vars/all/
# platform.yml); the module validates every value again.

variable "subscription_id" {
  description = "Azure subscription id. null: taken from ARM_SUBSCRIPTION_ID."
  type        = string
  default     = null

  validation {
    condition     = var.subscription_id == null || can(regex("^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$", var.subscription_id))
    error_message = "var.subscription_id must be null or a subscription GUID."
  }
}

variable "name" {
  description = "Platform name; the cluster is <name>-<environment> (platform_cluster_name)."
  type        = string
  default     = "mlops"
}

variable "environment" {
  description = "Environment of this root; fixed to prod."
  type        = string
  default     = "prod"

  validation {
    condition     = var.environment == "prod"
    error_message = "var.environment must be prod in terraform/environments/azure/prod (use the dev root for dev)."
  }
}

variable "location" {
  description = "Azure region (platform_region)."
  type        = string
  default     = "westeurope"
}

variable "resource_group_name" {
  description = "Existing resource group to deploy into (terraform/bootstrap/azure creates <name>-<environment> and lets the CI identity deploy only there). null: this root creates it, which needs subscription-level rights."
  type        = string
  default     = null
}

variable "unique_suffix" {
  description = "Optional 0-4 character suffix for the globally unique names (storage account, Key Vault, ACR, PostgreSQL)."
  type        = string
  default     = ""
}

variable "kubernetes_version" {
  description = "Kubernetes MAJOR.MINOR (platform_kubernetes_version), \"1.30\"..\"1.33\"."
  type        = string
  default     = "1.32"
}

variable "network" {
  description = "Address plan (platform_network): the VNet cidr; subnets are derived from it."
  type = object({
    cidr = string
  })
  default = {
    cidr = "10.2.0.0/16"
  }
}

variable "node_pools" {
  description = "Node pools (platform_node_pools): general (system, on demand), training and gpu (spot, scale to zero, tainted)."
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
  default = {
    general = {
      name           = "system"
      instance_types = ["Standard_D4s_v3"]
      capacity_type  = "on_demand"
      min_size       = 2
      max_size       = 4
      desired_size   = 2
    }
    training = {
      name           = "training"
      instance_types = ["Standard_D8s_v3"]
      capacity_type  = "spot"
      min_size       = 0
      max_size       = 4
      desired_size   = 0
      taints         = [{ key = "workload", value = "training", effect = "NoSchedule" }]
    }
    gpu = {
      name           = "gpu"
      instance_types = ["Standard_NC6s_v3"]
      capacity_type  = "spot"
      gpu            = true
      min_size       = 0
      max_size       = 2
      desired_size   = 0
      taints         = [{ key = "nvidia.com/gpu", value = "true", effect = "NoSchedule" }]
    }
  }
}

variable "service_accounts" {
  description = "Service accounts federated with the cluster's OIDC issuer, {namespace, name, access}. null: the module's defaults (mlflow, argo_workflows, kserve, external_secrets)."
  type = map(object({
    namespace = string
    name      = string
    access    = optional(string, "none")
  }))
  default = null
}

variable "dns_zone_id" {
  description = "Resource id of the Azure DNS zone of the ingress hosts (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/dnszones/<zone>): service accounts with access = dns_zone (cert-manager, ACME DNS-01) get DNS Zone Contributor on it. \"\": none."
  type        = string
  default     = ""
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

# --- Azure-specific ----------------------------------------------------------------

variable "availability_zones" {
  description = "Zones of every node pool. Check that each pool's VM size (notably the GPU size) is offered in each zone of the region."
  type        = list(string)
  default     = ["1", "2", "3"]
}

variable "admin_group_object_ids" {
  description = "Entra ID group object ids with cluster-admin (local accounts are disabled)."
  type        = list(string)
}

variable "key_vault_allowed_ip_ranges" {
  description = "Public CIDRs allowed through the Key Vault firewall. Empty (recommended): the vault is private-endpoint only and Terraform runs from a runner inside the VNet."
  type        = list(string)
  default     = []
}

variable "registry_allowed_ip_ranges" {
  description = "Public CIDRs allowed to push to and pull from ACR (CI runners); otherwise private endpoint only."
  type        = list(string)
  default     = []
}

variable "db_entra_administrator" {
  description = "Optional Entra ID administrator of PostgreSQL: {object_id, principal_name, principal_type Group|User|ServicePrincipal}."
  type = object({
    object_id      = string
    principal_name = string
    principal_type = string
  })
  default = null
}

variable "db_password_version" {
  description = "Increase by one to rotate the generated PostgreSQL password (server and Key Vault secret together)."
  type        = number
  default     = 1
}

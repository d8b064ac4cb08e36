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
  description = "Platform name, the same as the environments' name (2-9 lowercase letters and digits)."
  type        = string
  default     = "mlops"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,8}$", var.name))
    error_message = "var.name must be 2-9 lowercase letters and digits, starting with a letter."
  }
}

variable "unique_suffix" {
  description = "Optional 0-4 lowercase letters/digits appended to the state storage account name when the plain name is taken."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^[a-z0-9]{0,4}$", var.unique_suffix))
    error_message = "var.unique_suffix must be 0-4 lowercase letters or digits."
  }
}

variable "location" {
  description = "Azure region of the state account and the environments' resource groups."
  type        = string
  default     = "westeurope"

  validation {
    condition     = can(regex("^[a-z]+[a-z0-9]*$", var.location))
    error_message = "var.location must be an Azure region short name, e.g. westeurope."
  }
}

variable "environments" {
  description = "Environments whose resource group (<name>-<environment>) this creates and the CI identity may deploy into."
  type        = set(string)
  default     = ["dev", "prod"]

  validation {
    condition     = length(var.environments) > 0 && alltrue([for e in var.environments : contains(["dev", "staging", "prod"], e)])
    error_message = "var.environments must be a non-empty subset of dev, staging, prod."
  }
}

variable "state_allowed_ip_ranges" {
  description = "Public CIDRs allowed through the state account's firewall (operators, CI runners with known egress). At least one: the account denies everything else."
  type        = list(string)

  validation {
    condition     = length(var.state_allowed_ip_ranges) > 0 && alltrue([for c in var.state_allowed_ip_ranges : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "var.state_allowed_ip_ranges needs at least one IPv4 CIDR and must not contain 0.0.0.0/0."
  }
}

variable "github" {
  description = "GitHub Actions OIDC trust: repository (owner/name) and the token subjects allowed to log in, e.g. [\"ref:refs/heads/main\", \"environment:prod\", \"pull_request\"] (prefixed with repo:<repository>:)."
  type = object({
    repository = string
    subjects   = list(string)
  })

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github.repository))
    error_message = "var.github.repository must be owner/name."
  }

  validation {
    condition     = length(var.github.subjects) > 0 && alltrue([for s in var.github.subjects : can(regex("^(ref:refs/(heads|tags)/.+|environment:.+|pull_request)$", s))])
    error_message = "var.github.subjects must be non-empty, each ref:refs/heads/<branch>, ref:refs/tags/<tag>, environment:<name> or pull_request."
  }
}

variable "dns_zone_ids" {
  description = "Resource ids of the Azure DNS zones the environments set as dns_zone_id (cert-manager ACME DNS-01): the CI identity may assign DNS Zone Contributor there, and no other role. Empty: no zone."
  type        = set(string)
  default     = []

  validation {
    # The same rule as modules/aks's dns_zone_id.
    condition     = alltrue([for id in var.dns_zone_ids : can(regex("^/subscriptions/[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}/(?i:resourceGroups)/[-A-Za-z0-9_.()]{0,89}[-A-Za-z0-9_()]/providers/(?i:Microsoft\\.Network/dnszones)/([A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?$", id))])
    error_message = "var.dns_zone_ids must hold Azure DNS zone resource ids: /subscriptions/<subscription id>/resourceGroups/<resource group>/providers/Microsoft.Network/dnszones/<zone name>."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

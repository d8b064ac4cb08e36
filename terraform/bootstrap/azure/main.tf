# Prerequisites of the Azure environments:
# 1. a state storage account + container for the azurerm backend. The backend
#    locks a state by taking a lease on its blob, so no lock table is needed;
#    versioning and soft delete keep every earlier state recoverable.
# 2. a user-assigned identity GitHub Actions logs in as through OIDC (federated
#    credentials, no client secret), with access to the state container and to
#    the environments' resource groups only.

locals {
  tags = merge(var.tags, { platform = var.name, managed-by = "terraform", purpose = "terraform-bootstrap" })

  # Roles modules/aks assigns; the CI identity may assign only these.
  # Ref: https://learn.microsoft.com/azure/role-based-access-control/built-in-roles
  assignable_role_ids = [
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe", # Storage Blob Data Contributor
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1", # Storage Blob Data Reader
    "4633458b-17de-408a-b874-0445c86b69e6", # Key Vault Secrets User
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7", # Key Vault Secrets Officer
    "7f951dda-4ed3-4680-a7ca-43fe172d538d", # AcrPull
    "4d97b98b-1d4f-4787-a291-c67834d212e7", # Network Contributor
  ]
  assignable_roles = join(", ", local.assignable_role_ids)

  # DNS Zone Contributor, which modules/aks assigns on dns_zone_id (access = dns_zone):
  # the CI identity may assign it on var.dns_zone_ids (a zone inside an environment's
  # group is listed there too).
  dns_zone_contributor = "befefa01-2a29-4197-83a8-272ff33ce314"

  # The condition of a constrained Role Based Access Control Administrator: it may
  # write and delete role assignments of the given role definition ids only.
  # Ref: https://learn.microsoft.com/azure/role-based-access-control/delegate-role-assignments-examples#example-constrain-roles
  rbac_admin_condition = <<-EOT
    (
      (
        !(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})
      )
      OR
      (
        @Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {%s}
      )
    )
    AND
    (
      (
        !(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})
      )
      OR
      (
        @Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {%s}
      )
    )
  EOT
}

resource "azurerm_resource_group" "state" {
  name     = "${var.name}-tfstate"
  location = var.location
  tags     = local.tags
}

resource "azurerm_storage_account" "state" {
  #checkov:skip=CKV2_AZURE_1:Microsoft-managed keys plus infrastructure encryption; a customer-managed key for the state account would need a Key Vault that itself has to exist before the state does.
  #checkov:skip=CKV_AZURE_33:Blob-only account: no queues, and queue logging needs the data plane with shared keys, which are disabled.
  #checkov:skip=CKV_AZURE_59:CI runners and operators reach the state over the public endpoint, limited by the firewall to state_allowed_ip_ranges and to Entra ID auth (no shared keys).
  #checkov:skip=CKV2_AZURE_33:No private endpoint: the runners that read the state are outside any VNet this bootstrap owns; access is IP-firewalled and Entra ID only.
  name                     = substr("${var.name}${var.unique_suffix}tfstate", 0, 24)
  resource_group_name      = azurerm_resource_group.state.name
  location                 = var.location
  account_kind             = "StorageV2"
  account_tier             = "Standard"
  account_replication_type = "GZRS"

  min_tls_version                   = "TLS1_2"
  https_traffic_only_enabled        = true
  allow_nested_items_to_be_public   = false
  shared_access_key_enabled         = false
  default_to_oauth_authentication   = true
  local_user_enabled                = false
  sftp_enabled                      = false
  infrastructure_encryption_enabled = true
  cross_tenant_replication_enabled  = false
  public_network_access_enabled     = true

  network_rules {
    default_action = "Deny"
    bypass         = ["AzureServices"]
    ip_rules       = [for c in var.state_allowed_ip_ranges : trimsuffix(c, "/32")]
  }

  sas_policy {
    expiration_period = "01.00:00:00"
    expiration_action = "Log"
  }

  blob_properties {
    versioning_enabled  = true
    change_feed_enabled = true

    delete_retention_policy {
      days = 30
    }

    container_delete_retention_policy {
      days = 30
    }
  }

  tags = local.tags
}

resource "azurerm_storage_container" "state" {
  #checkov:skip=CKV2_AZURE_21:Logging through Log Analytics Storage Insights needs the shared account key, which is disabled; enable a diagnostic setting on the blob service where a workspace exists.
  name                  = "tfstate"
  storage_account_id    = azurerm_storage_account.state.id
  container_access_type = "private"
}

# Losing the state account loses track of every environment.
resource "azurerm_management_lock" "state" {
  name       = "${var.name}-tfstate-no-delete"
  scope      = azurerm_storage_account.state.id
  lock_level = "CanNotDelete"
  notes      = "Terraform state of the MLOps platform environments."
}

# --- CI identity (GitHub Actions OIDC) -----------------------------------------

resource "azurerm_user_assigned_identity" "ci" {
  name                = "${var.name}-github-actions"
  location            = var.location
  resource_group_name = azurerm_resource_group.state.name
  tags                = local.tags
}

resource "azurerm_federated_identity_credential" "github" {
  for_each = toset(var.github.subjects)

  name                = "github-${substr(sha1(each.value), 0, 12)}"
  resource_group_name = azurerm_resource_group.state.name
  parent_id           = azurerm_user_assigned_identity.ci.id
  issuer              = "https://token.actions.githubusercontent.com"
  audience            = ["api://AzureADTokenExchange"]
  subject             = "repo:${var.github.repository}:${each.value}"
}

resource "azurerm_role_assignment" "ci_state" {
  scope                = azurerm_storage_container.state.id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_user_assigned_identity.ci.principal_id
  principal_type       = "ServicePrincipal"
}

# The environments deploy into these groups (set resource_group_name in each
# environment root); the CI identity has no rights outside them.
resource "azurerm_resource_group" "environment" {
  for_each = var.environments

  name     = "${var.name}-${each.key}"
  location = var.location
  tags     = merge(local.tags, { environment = each.key, purpose = "platform" })
}

resource "azurerm_role_assignment" "ci_contributor" {
  for_each = var.environments

  scope                = azurerm_resource_group.environment[each.key].id
  role_definition_name = "Contributor"
  principal_id         = azurerm_user_assigned_identity.ci.principal_id
  principal_type       = "ServicePrincipal"
}

# Contributor cannot create role assignments; this may, but only of the roles
# the module grants (an ABAC condition on the role definition id).
resource "azurerm_role_assignment" "ci_rbac_admin" {
  for_each = var.environments

  scope                = azurerm_resource_group.environment[each.key].id
  role_definition_name = "Role Based Access Control Administrator"
  principal_id         = azurerm_user_assigned_identity.ci.principal_id
  principal_type       = "ServicePrincipal"
  condition_version    = "2.0"
  condition            = format(local.rbac_admin_condition, local.assignable_roles, local.assignable_roles)
}

# The Azure DNS zones of the environments' ingress hosts usually live outside their
# resource groups (one zone, delegated once, for every environment). modules/aks
# grants cert-manager's identity DNS Zone Contributor on its dns_zone_id, so the CI
# identity may assign that one role there, and nothing else (it gets no rights on
# the zone's records itself).
resource "azurerm_role_assignment" "ci_dns_zone_rbac_admin" {
  for_each = var.dns_zone_ids

  scope                = each.value
  role_definition_name = "Role Based Access Control Administrator"
  principal_id         = azurerm_user_assigned_identity.ci.principal_id
  principal_type       = "ServicePrincipal"
  condition_version    = "2.0"
  condition            = format(local.rbac_admin_condition, local.dns_zone_contributor, local.dns_zone_contributor)
}

# Identities: the cluster's control plane, and one user-assigned identity per
# platform service account, federated with the cluster's OIDC issuer (Entra
# Workload ID). The kubelet identity is created by AKS; see registry.tf.

resource "azurerm_user_assigned_identity" "cluster" {
  name                = "${local.prefix}-cluster"
  location            = var.location
  resource_group_name = local.resource_group_name
  tags                = local.tags
}

# BYO subnet: the control plane joins load balancers and node NICs to it.
# Scoped to the subnet, not the VNet or the resource group.
resource "azurerm_role_assignment" "cluster_network" {
  scope                = azurerm_subnet.nodes.id
  role_definition_name = "Network Contributor"
  principal_id         = azurerm_user_assigned_identity.cluster.principal_id
  principal_type       = "ServicePrincipal"
}

# --- Workload identities ---------------------------------------------------------

locals {
  # access -> (role, scope). Scopes are the narrowest that work: the artifacts
  # container, not the account; the vault (External Secrets reads any secret
  # the platform stores there); the one DNS zone of the ingress hosts, where
  # cert-manager writes (and removes) the _acme-challenge TXT records of DNS-01.
  # Ref: https://cert-manager.io/docs/configuration/acme/dns01/azuredns/
  access_roles = {
    blob_write   = { role = "Storage Blob Data Contributor", scope = azurerm_storage_container.artifacts.id }
    blob_read    = { role = "Storage Blob Data Reader", scope = azurerm_storage_container.artifacts.id }
    secrets_read = { role = "Key Vault Secrets User", scope = azurerm_key_vault.this.id }
    dns_zone     = { role = "DNS Zone Contributor", scope = var.dns_zone_id }
  }

  granted_service_accounts = { for k, sa in var.service_accounts : k => sa if sa.access != "none" }
}

resource "azurerm_user_assigned_identity" "workload" {
  for_each = var.service_accounts

  name                = "${local.prefix}-${replace(each.key, "_", "-")}"
  location            = var.location
  resource_group_name = local.resource_group_name
  tags                = local.tags
}

resource "azurerm_federated_identity_credential" "workload" {
  for_each = var.service_accounts

  name                = "${local.prefix}-${replace(each.key, "_", "-")}"
  resource_group_name = local.resource_group_name
  parent_id           = azurerm_user_assigned_identity.workload[each.key].id
  audience            = ["api://AzureADTokenExchange"]
  issuer              = azurerm_kubernetes_cluster.this.oidc_issuer_url
  subject             = "system:serviceaccount:${each.value.namespace}:${each.value.name}"
}

resource "azurerm_role_assignment" "workload" {
  for_each = local.granted_service_accounts

  scope                = local.access_roles[each.value.access].scope
  role_definition_name = local.access_roles[each.value.access].role
  principal_id         = azurerm_user_assigned_identity.workload[each.key].principal_id
  principal_type       = "ServicePrincipal"

  lifecycle {
    precondition {
      condition     = each.value.access != "dns_zone" || var.dns_zone_id != ""
      error_message = "var.service_accounts.${each.key}.access = dns_zone needs var.dns_zone_id (the Azure DNS zone cert-manager solves DNS-01 in); set it, or give ${each.key} another access."
    }
  }
}

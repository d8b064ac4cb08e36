# Key Vault: the platform's secret store (secret_store_ref). RBAC authorization
# (no access policies), soft delete, purge protection per environment, and a
# firewall that denies everything except the private endpoint (the cluster's
# External Secrets) and key_vault_allowed_ip_ranges (the Terraform runner, which
# writes the database secret over the data plane).

resource "azurerm_key_vault" "this" {
  #checkov:skip=CKV_AZURE_110:Purge protection is per environment (var.key_vault_purge_protection, default true, on in prod); dev turns it off so a destroyed dev vault can be purged and its name reused.
  #checkov:skip=CKV_AZURE_42:Same as CKV_AZURE_110: soft delete is always on (7-90 days), purge protection only where the environment keeps its vault.
  #checkov:skip=CKV_AZURE_189:Public network access is on only when key_vault_allowed_ip_ranges is set (the Terraform runner must write the database secret), and then behind a default-deny firewall; with the list empty it is off.
  name                = local.names.key_vault
  location            = var.location
  resource_group_name = local.resource_group_name
  tenant_id           = data.azurerm_client_config.current.tenant_id
  sku_name            = "standard"

  enable_rbac_authorization  = true
  soft_delete_retention_days = var.key_vault_soft_delete_days
  purge_protection_enabled   = var.key_vault_purge_protection

  public_network_access_enabled = length(var.key_vault_allowed_ip_ranges) > 0

  network_acls {
    default_action = "Deny"
    bypass         = "AzureServices"
    ip_rules       = var.key_vault_allowed_ip_ranges
  }

  tags = local.tags
}

# The identity running Terraform writes the database secret.
resource "azurerm_role_assignment" "terraform_secrets_officer" {
  scope                = azurerm_key_vault.this.id
  role_definition_name = "Key Vault Secrets Officer"
  principal_id         = data.azurerm_client_config.current.object_id
}

resource "azurerm_private_endpoint" "vault" {
  name                = "${local.prefix}-vault"
  location            = var.location
  resource_group_name = local.resource_group_name
  subnet_id           = azurerm_subnet.endpoints.id
  tags                = local.tags

  private_service_connection {
    name                           = "${local.prefix}-vault"
    private_connection_resource_id = azurerm_key_vault.this.id
    subresource_names              = ["vault"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "vault"
    private_dns_zone_ids = [azurerm_private_dns_zone.endpoints["vault"].id]
  }
}

resource "azurerm_monitor_diagnostic_setting" "vault" {
  count = local.log_workspace_enabled ? 1 : 0

  name                       = "${local.prefix}-vault"
  target_resource_id         = azurerm_key_vault.this.id
  log_analytics_workspace_id = azurerm_log_analytics_workspace.this[0].id

  enabled_log {
    category_group = "audit"
  }
}

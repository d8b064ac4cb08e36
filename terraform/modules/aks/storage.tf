# MLflow artifact store: a StorageV2 account reachable only through its private
# endpoint, Entra ID authentication only (no shared keys, no anonymous access),
# with blob versioning and soft delete. The container is created through the
# Resource Manager API (storage_account_id), so Terraform needs no data-plane
# access to the account (set features.storage.data_plane_available = false).

resource "azurerm_storage_account" "artifacts" {
  #checkov:skip=CKV2_AZURE_1:Encrypted with Microsoft-managed keys plus infrastructure (double) encryption; customer-managed keys would add a Key Vault key, its rotation and an identity per account, not justified for ML artifacts here.
  #checkov:skip=CKV_AZURE_206:Replication is per environment (var.storage_replication_type): zone-redundant ZRS by default, geo-redundant GZRS in prod; the check accepts geo-replication only.
  #checkov:skip=CKV_AZURE_33:Blob-only account: no queues are used, and queue logging properties go through the data plane, which this module keeps closed.
  name                     = local.names.storage_account
  resource_group_name      = local.resource_group_name
  location                 = var.location
  account_kind             = "StorageV2"
  account_tier             = "Standard"
  account_replication_type = var.storage_replication_type

  min_tls_version                   = "TLS1_2"
  https_traffic_only_enabled        = true
  public_network_access_enabled     = false
  allow_nested_items_to_be_public   = false
  shared_access_key_enabled         = false
  default_to_oauth_authentication   = true
  local_user_enabled                = false
  sftp_enabled                      = false
  infrastructure_encryption_enabled = true
  cross_tenant_replication_enabled  = false

  network_rules {
    default_action = "Deny"
    bypass         = ["AzureServices"]
  }

  # Only user-delegation SAS can exist (no shared keys); keep them short-lived.
  sas_policy {
    expiration_period = "01.00:00:00"
    expiration_action = "Log"
  }

  blob_properties {
    versioning_enabled  = true
    change_feed_enabled = true

    delete_retention_policy {
      days = var.blob_soft_delete_days
    }

    container_delete_retention_policy {
      days = var.blob_soft_delete_days
    }
  }

  tags = local.tags
}

resource "azurerm_storage_container" "artifacts" {
  #checkov:skip=CKV2_AZURE_21:Blob read/write/delete logging is the diagnostic setting below (audit category group); the check only recognises Log Analytics Storage Insights, which needs the shared account key this account disables.
  name                  = var.artifacts_container_name
  storage_account_id    = azurerm_storage_account.artifacts.id
  container_access_type = "private"
}

resource "azurerm_private_endpoint" "blob" {
  name                = "${local.prefix}-blob"
  location            = var.location
  resource_group_name = local.resource_group_name
  subnet_id           = azurerm_subnet.endpoints.id
  tags                = local.tags

  private_service_connection {
    name                           = "${local.prefix}-blob"
    private_connection_resource_id = azurerm_storage_account.artifacts.id
    subresource_names              = ["blob"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "blob"
    private_dns_zone_ids = [azurerm_private_dns_zone.endpoints["blob"].id]
  }
}

# Blob read/write/delete logs (who touched which artifact), when a workspace exists.
resource "azurerm_monitor_diagnostic_setting" "blob" {
  count = local.log_workspace_enabled ? 1 : 0

  name                       = "${local.prefix}-blob"
  target_resource_id         = "${azurerm_storage_account.artifacts.id}/blobServices/default"
  log_analytics_workspace_id = azurerm_log_analytics_workspace.this[0].id

  enabled_log {
    category_group = "audit"
  }
}

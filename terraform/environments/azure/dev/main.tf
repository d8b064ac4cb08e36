# dev: public API server restricted to api_server_authorized_ip_ranges, single
# PostgreSQL server without HA or geo-backup, purgeable Key Vault.
module "aks" {
  source = "../../../modules/aks"

  name        = var.name
  environment = var.environment
  location    = var.location

  existing_resource_group_name = var.resource_group_name
  unique_suffix                = var.unique_suffix
  kubernetes_version           = var.kubernetes_version
  network                      = var.network
  node_pools                   = var.node_pools
  service_accounts             = var.service_accounts
  dns_zone_id                  = var.dns_zone_id
  tags                         = var.tags

  sku_tier                        = "Standard"
  private_cluster_enabled         = false
  api_server_authorized_ip_ranges = var.api_server_authorized_ip_ranges
  admin_group_object_ids          = var.admin_group_object_ids
  monitoring = {
    container_insights_enabled = true
    defender_enabled           = false
    retention_days             = 30
  }

  storage_replication_type = "ZRS"
  blob_soft_delete_days    = 7

  db_sku_name              = "B_Standard_B2s"
  db_high_availability     = false
  db_geo_redundant_backup  = false
  db_backup_retention_days = 7
  db_password_version      = var.db_password_version
  db_entra_administrator   = var.db_entra_administrator

  key_vault_purge_protection  = false
  key_vault_soft_delete_days  = 7
  key_vault_allowed_ip_ranges = var.key_vault_allowed_ip_ranges

  registry_sku               = "Premium"
  registry_allowed_ip_ranges = var.registry_allowed_ip_ranges
}

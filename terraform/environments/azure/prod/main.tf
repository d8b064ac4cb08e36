# prod: private API server, zone-redundant HA PostgreSQL with geo-redundant
# backups, purge-protected Key Vault, geo-zone-redundant artifacts, Defender.
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
  private_cluster_enabled         = true
  api_server_authorized_ip_ranges = []
  admin_group_object_ids          = var.admin_group_object_ids
  availability_zones              = var.availability_zones
  monitoring = {
    container_insights_enabled = true
    defender_enabled           = true
    retention_days             = 90
  }

  storage_replication_type = "GZRS"
  blob_soft_delete_days    = 30

  db_sku_name              = "GP_Standard_D2ds_v5"
  db_high_availability     = true
  db_geo_redundant_backup  = true
  db_backup_retention_days = 35
  db_password_version      = var.db_password_version
  db_entra_administrator   = var.db_entra_administrator

  key_vault_purge_protection  = true
  key_vault_soft_delete_days  = 90
  key_vault_allowed_ip_ranges = var.key_vault_allowed_ip_ranges

  registry_sku               = "Premium"
  registry_allowed_ip_ranges = var.registry_allowed_ip_ranges
}

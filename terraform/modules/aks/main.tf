# Shared facts: names, tags, the resource group and the caller's identity.

data "azurerm_client_config" "current" {}

locals {
  prefix = "${var.name}-${var.environment}"
  # Storage accounts and registries allow only lowercase letters and digits.
  compact = "${var.name}${var.environment}"

  names = {
    cluster        = local.prefix
    resource_group = coalesce(var.existing_resource_group_name, local.prefix)
    vnet           = local.prefix
    # At most 9 + 7 + 4 characters before "artifacts": the suffix always survives.
    storage_account = substr("${local.compact}${var.unique_suffix}artifacts", 0, 24)
    key_vault       = "${local.prefix}-kv${var.unique_suffix}"
    registry        = "${local.compact}acr${var.unique_suffix}"
    postgres        = "${local.prefix}-mlflow${var.unique_suffix}"
    log_analytics   = "${local.prefix}-logs"
  }

  tags = merge(var.tags, {
    environment = var.environment
    platform    = var.name
    managed-by  = "terraform"
  })

  resource_group_name = var.existing_resource_group_name == null ? azurerm_resource_group.this[0].name : data.azurerm_resource_group.existing[0].name
  resource_group_id   = var.existing_resource_group_name == null ? azurerm_resource_group.this[0].id : data.azurerm_resource_group.existing[0].id
}

resource "azurerm_resource_group" "this" {
  count = var.existing_resource_group_name == null ? 1 : 0

  name     = local.names.resource_group
  location = var.location
  tags     = local.tags
}

data "azurerm_resource_group" "existing" {
  count = var.existing_resource_group_name == null ? 0 : 1

  name = var.existing_resource_group_name
}

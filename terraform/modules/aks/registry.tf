# Container registry for training and serving images. Entra ID auth only (no
# admin user, no anonymous pull); the kubelet identity pulls with AcrPull.
# Premium: private endpoint only, dedicated data endpoints, zone redundancy and
# retention of untagged manifests. Standard keeps a public endpoint (Standard has
# no network rules) guarded by Entra ID.

locals {
  registry_premium = var.registry_sku == "Premium"
  # Premium: public endpoint only for registry_allowed_ip_ranges (CI pushes).
  registry_public = !local.registry_premium || length(var.registry_allowed_ip_ranges) > 0
}

resource "azurerm_container_registry" "this" {
  #checkov:skip=CKV_AZURE_166:Quarantine holds every pushed image until a scanner releases it; the platform has no quarantine-aware scanner, so CI pushes would never become pullable.
  #checkov:skip=CKV_AZURE_164:Docker Content Trust (Notary v1) is being retired by Azure; image signing belongs to Notation/Ratify, not this flag.
  #checkov:skip=CKV_AZURE_233:zone_redundancy_enabled is true for Premium (the default) via an expression the check does not evaluate; Standard cannot be zone-redundant.
  #checkov:skip=CKV_AZURE_165:Geo-replication is a multi-region decision; the platform runs one region per environment.
  name                = local.names.registry
  resource_group_name = local.resource_group_name
  location            = var.location
  sku                 = var.registry_sku

  admin_enabled                 = false
  anonymous_pull_enabled        = false
  public_network_access_enabled = var.registry_sku != "Premium" || length(var.registry_allowed_ip_ranges) > 0
  network_rule_bypass_option    = "AzureServices"
  data_endpoint_enabled         = var.registry_sku == "Premium"
  zone_redundancy_enabled       = var.registry_sku == "Premium"
  # Export can only be disabled together with public network access.
  export_policy_enabled    = local.registry_public
  retention_policy_in_days = local.registry_premium ? 7 : null

  dynamic "network_rule_set" {
    for_each = local.registry_premium ? [1] : []
    content {
      default_action = "Deny"
      ip_rule = [for cidr in var.registry_allowed_ip_ranges : {
        action   = "Allow"
        ip_range = cidr
      }]
    }
  }

  tags = local.tags

  lifecycle {
    precondition {
      condition     = local.registry_premium || length(var.registry_allowed_ip_ranges) == 0
      error_message = "registry_allowed_ip_ranges needs network rules, which only the Premium SKU has: set registry_sku = \"Premium\" or registry_allowed_ip_ranges = []."
    }
  }
}

resource "azurerm_private_endpoint" "registry" {
  count = local.registry_premium ? 1 : 0

  name                = "${local.prefix}-registry"
  location            = var.location
  resource_group_name = local.resource_group_name
  subnet_id           = azurerm_subnet.endpoints.id
  tags                = local.tags

  private_service_connection {
    name                           = "${local.prefix}-registry"
    private_connection_resource_id = azurerm_container_registry.this.id
    subresource_names              = ["registry"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "registry"
    private_dns_zone_ids = [azurerm_private_dns_zone.endpoints["registry"].id]
  }
}

resource "azurerm_role_assignment" "kubelet_acr_pull" {
  scope                            = azurerm_container_registry.this.id
  role_definition_name             = "AcrPull"
  principal_id                     = azurerm_kubernetes_cluster.this.kubelet_identity[0].object_id
  skip_service_principal_aad_check = true
}

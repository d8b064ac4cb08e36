# The AKS cluster. Its default (system) node pool is node_pools.general; the
# other pools are in node_pools.tf.

locals {
  general               = var.node_pools["general"]
  log_workspace_enabled = var.monitoring.container_insights_enabled || var.monitoring.defender_enabled
}

resource "azurerm_log_analytics_workspace" "this" {
  count = local.log_workspace_enabled ? 1 : 0

  name                = local.names.log_analytics
  location            = var.location
  resource_group_name = local.resource_group_name
  sku                 = "PerGB2018"
  retention_in_days   = var.monitoring.retention_days
  tags                = local.tags
}

resource "azurerm_kubernetes_cluster" "this" {
  #checkov:skip=CKV_AZURE_115:Private API server is per environment (var.private_cluster_enabled, true in prod); otherwise a precondition requires api_server_authorized_ip_ranges, so the public endpoint is never open to all.
  #checkov:skip=CKV_AZURE_232:The system pool (node_pools.general) runs the platform services by design (the inventory has no separate platform pool); only_critical_addons_enabled would taint it CriticalAddonsOnly and leave them unschedulable.
  #checkov:skip=CKV_AZURE_117:Node OS disks are Ephemeral (on the VM cache, no managed disk) with encryption at host; a customer-managed disk encryption set applies to managed OS disks only.
  name                = local.names.cluster
  location            = var.location
  resource_group_name = local.resource_group_name
  node_resource_group = "${local.prefix}-nodes"
  dns_prefix          = local.prefix
  kubernetes_version  = var.kubernetes_version
  sku_tier            = var.sku_tier

  automatic_upgrade_channel = var.automatic_upgrade_channel
  node_os_upgrade_channel   = "NodeImage"

  oidc_issuer_enabled               = true
  workload_identity_enabled         = true
  local_account_disabled            = true
  role_based_access_control_enabled = true
  azure_policy_enabled              = true
  image_cleaner_enabled             = true
  image_cleaner_interval_hours      = 48

  private_cluster_enabled = var.private_cluster_enabled
  private_dns_zone_id     = var.private_cluster_enabled ? "System" : null

  dynamic "api_server_access_profile" {
    for_each = var.private_cluster_enabled ? [] : [1]
    content {
      authorized_ip_ranges = var.api_server_authorized_ip_ranges
    }
  }

  azure_active_directory_role_based_access_control {
    tenant_id              = data.azurerm_client_config.current.tenant_id
    admin_group_object_ids = var.admin_group_object_ids
    azure_rbac_enabled     = true
  }

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.cluster.id]
  }

  default_node_pool {
    name                         = local.general.name
    temporary_name_for_rotation  = "tmp${substr(local.general.name, 0, 9)}"
    vm_size                      = local.general.instance_types[0]
    vnet_subnet_id               = azurerm_subnet.nodes.id
    orchestrator_version         = var.kubernetes_version
    only_critical_addons_enabled = false
    auto_scaling_enabled         = true
    min_count                    = local.general.min_size
    max_count                    = local.general.max_size
    node_count                   = local.general.desired_size
    max_pods                     = var.max_pods
    os_disk_type                 = var.node_os_disk.type
    os_disk_size_gb              = var.node_os_disk.size_gb
    host_encryption_enabled      = var.host_encryption_enabled
    zones                        = length(var.availability_zones) > 0 ? var.availability_zones : null
    node_labels                  = merge(local.general.labels, { "platform.mlops/pool" = "general" })
    tags                         = local.tags

    upgrade_settings {
      max_surge = "33%"
    }
  }

  network_profile {
    network_plugin      = "azure"
    network_plugin_mode = "overlay"
    network_policy      = var.network_policy
    # Cilium network policy requires the Cilium data plane.
    network_data_plane = var.network_policy == "cilium" ? "cilium" : "azure"
    pod_cidr           = var.network.pod_cidr
    service_cidr       = var.network.service_cidr
    dns_service_ip     = var.network.dns_service_ip
    load_balancer_sku  = "standard"
    outbound_type      = "loadBalancer"
  }

  dynamic "oms_agent" {
    for_each = var.monitoring.container_insights_enabled ? [1] : []
    content {
      log_analytics_workspace_id      = azurerm_log_analytics_workspace.this[0].id
      msi_auth_for_monitoring_enabled = true
    }
  }

  dynamic "microsoft_defender" {
    for_each = var.monitoring.defender_enabled ? [1] : []
    content {
      log_analytics_workspace_id = azurerm_log_analytics_workspace.this[0].id
    }
  }

  # The platform syncs secrets with External Secrets (workload identity); the
  # CSI driver add-on stays available for workloads that mount secrets as files.
  key_vault_secrets_provider {
    secret_rotation_enabled  = true
    secret_rotation_interval = "2m"
  }

  tags = local.tags

  lifecycle {
    # The cluster autoscaler owns the node count.
    ignore_changes = [default_node_pool[0].node_count]

    precondition {
      condition     = var.private_cluster_enabled || length(var.api_server_authorized_ip_ranges) > 0
      error_message = "The API server would be open to the internet: set api_server_authorized_ip_ranges to your operators' and CI runners' egress CIDRs, or set private_cluster_enabled = true."
    }

    precondition {
      condition     = !var.private_cluster_enabled || length(var.api_server_authorized_ip_ranges) == 0
      error_message = "api_server_authorized_ip_ranges only applies to a public API server: set it to [] when private_cluster_enabled = true."
    }
  }

  depends_on = [azurerm_role_assignment.cluster_network]
}

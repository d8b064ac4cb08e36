# User node pools: every node_pools entry except general (the system pool in
# cluster.tf). Spot pools scale to zero and carry AKS's own spot taint and label
# explicitly: AKS adds kubernetes.azure.com/scalesetpriority=spot to every spot
# node, and leaving it out of the configuration makes every plan want to
# replace the pool (the taints are ForceNew).

locals {
  spot_taint = "kubernetes.azure.com/scalesetpriority=spot:NoSchedule"
  spot_label = { "kubernetes.azure.com/scalesetpriority" = "spot" }

  user_pools = {
    for key, pool in var.node_pools : key => merge(pool, {
      spot = pool.capacity_type == "spot"
      taints = distinct(concat(
        [for t in pool.taints : "${t.key}=${t.value}:${t.effect}"],
        pool.capacity_type == "spot" ? [local.spot_taint] : [],
      ))
      labels = merge(
        pool.labels,
        { "platform.mlops/pool" = key },
        pool.gpu ? { "platform.mlops/gpu" = "true" } : {},
        pool.capacity_type == "spot" ? local.spot_label : {},
      )
    }) if key != "general"
  }
}

resource "azurerm_kubernetes_cluster_node_pool" "this" {
  for_each = local.user_pools

  name                  = each.value.name
  kubernetes_cluster_id = azurerm_kubernetes_cluster.this.id
  mode                  = "User"
  vm_size               = each.value.instance_types[0]
  vnet_subnet_id        = azurerm_subnet.nodes.id
  orchestrator_version  = var.kubernetes_version

  auto_scaling_enabled = true
  min_count            = each.value.min_size
  max_count            = each.value.max_size
  node_count           = each.value.desired_size

  priority        = each.value.spot ? "Spot" : "Regular"
  eviction_policy = each.value.spot ? "Delete" : null
  # -1: pay up to the on-demand price, never evicted for price, only capacity.
  spot_max_price = each.value.spot ? -1 : null

  node_taints = each.value.taints
  node_labels = each.value.labels

  max_pods                = var.max_pods
  os_disk_type            = var.node_os_disk.type
  os_disk_size_gb         = var.node_os_disk.size_gb
  host_encryption_enabled = var.host_encryption_enabled
  zones                   = length(var.availability_zones) > 0 ? var.availability_zones : null

  # Surge upgrades are not supported on spot pools.
  dynamic "upgrade_settings" {
    for_each = each.value.spot ? [] : [1]
    content {
      max_surge = "33%"
    }
  }

  tags = local.tags

  lifecycle {
    # The cluster autoscaler owns the node count.
    ignore_changes = [node_count]
  }
}

# VNet with three subnets: AKS nodes, the PostgreSQL delegated subnet, and the
# private endpoints of Blob storage, Key Vault and ACR. Pods get overlay
# addresses (network.pod_cidr) and leave the node SNAT'ed to the node's IP, so
# the NSGs below only need to know the nodes subnet.

locals {
  subnet_cidrs = {
    nodes     = coalesce(var.network.nodes_subnet_cidr, cidrsubnet(var.network.cidr, 4, 0))
    database  = coalesce(var.network.database_subnet_cidr, cidrsubnet(var.network.cidr, 8, 16))
    endpoints = coalesce(var.network.endpoints_subnet_cidr, cidrsubnet(var.network.cidr, 8, 17))
  }
}

resource "azurerm_virtual_network" "this" {
  name                = local.names.vnet
  location            = var.location
  resource_group_name = local.resource_group_name
  address_space       = [var.network.cidr]
  tags                = local.tags
}

resource "azurerm_subnet" "nodes" {
  name                 = "nodes"
  resource_group_name  = local.resource_group_name
  virtual_network_name = azurerm_virtual_network.this.name
  address_prefixes     = [local.subnet_cidrs.nodes]
}

resource "azurerm_subnet" "database" {
  name                 = "postgresql"
  resource_group_name  = local.resource_group_name
  virtual_network_name = azurerm_virtual_network.this.name
  address_prefixes     = [local.subnet_cidrs.database]

  delegation {
    name = "postgresql-flexible-server"

    service_delegation {
      name    = "Microsoft.DBforPostgreSQL/flexibleServers"
      actions = ["Microsoft.Network/virtualNetworks/subnets/join/action"]
    }
  }
}

resource "azurerm_subnet" "endpoints" {
  name                 = "private-endpoints"
  resource_group_name  = local.resource_group_name
  virtual_network_name = azurerm_virtual_network.this.name
  address_prefixes     = [local.subnet_cidrs.endpoints]
  # Let the NSG below apply to the private endpoints' network interfaces.
  private_endpoint_network_policies = "Enabled"
}

# --- NSGs ---------------------------------------------------------------------
# The nodes NSG keeps Azure's default rules (VNet and load balancer inbound):
# AKS adds its own rules for Services of type LoadBalancer to the NSG it manages
# in the node resource group, and a stricter subnet NSG would break them.
resource "azurerm_network_security_group" "nodes" {
  name                = "${local.prefix}-nodes"
  location            = var.location
  resource_group_name = local.resource_group_name
  tags                = local.tags
}

resource "azurerm_network_security_group" "database" {
  name                = "${local.prefix}-postgresql"
  location            = var.location
  resource_group_name = local.resource_group_name
  tags                = local.tags

  security_rule {
    name                       = "allow-postgresql-from-nodes"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "5432"
    source_address_prefix      = local.subnet_cidrs.nodes
    destination_address_prefix = local.subnet_cidrs.database
  }

  # HA standby and replicas talk to the primary inside the delegated subnet.
  security_rule {
    name                       = "allow-postgresql-within-subnet"
    priority                   = 110
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "5432"
    source_address_prefix      = local.subnet_cidrs.database
    destination_address_prefix = local.subnet_cidrs.database
  }

  security_rule {
    name                       = "deny-other-vnet-inbound"
    priority                   = 4000
    direction                  = "Inbound"
    access                     = "Deny"
    protocol                   = "*"
    source_port_range          = "*"
    destination_port_range     = "*"
    source_address_prefix      = "VirtualNetwork"
    destination_address_prefix = "*"
  }
}

resource "azurerm_network_security_group" "endpoints" {
  name                = "${local.prefix}-private-endpoints"
  location            = var.location
  resource_group_name = local.resource_group_name
  tags                = local.tags

  security_rule {
    name                       = "allow-https-from-nodes"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "443"
    source_address_prefix      = local.subnet_cidrs.nodes
    destination_address_prefix = local.subnet_cidrs.endpoints
  }

  security_rule {
    name                       = "deny-other-vnet-inbound"
    priority                   = 4000
    direction                  = "Inbound"
    access                     = "Deny"
    protocol                   = "*"
    source_port_range          = "*"
    destination_port_range     = "*"
    source_address_prefix      = "VirtualNetwork"
    destination_address_prefix = "*"
  }
}

resource "azurerm_subnet_network_security_group_association" "nodes" {
  subnet_id                 = azurerm_subnet.nodes.id
  network_security_group_id = azurerm_network_security_group.nodes.id
}

resource "azurerm_subnet_network_security_group_association" "database" {
  subnet_id                 = azurerm_subnet.database.id
  network_security_group_id = azurerm_network_security_group.database.id
}

resource "azurerm_subnet_network_security_group_association" "endpoints" {
  subnet_id                 = azurerm_subnet.endpoints.id
  network_security_group_id = azurerm_network_security_group.endpoints.id
}

# --- Private DNS for the private endpoints -------------------------------------

locals {
  # ACR private endpoints need the Premium SKU.
  private_dns_zones = merge(
    {
      blob  = "privatelink.blob.core.windows.net"
      vault = "privatelink.vaultcore.azure.net"
    },
    var.registry_sku == "Premium" ? { registry = "privatelink.azurecr.io" } : {},
  )
}

resource "azurerm_private_dns_zone" "endpoints" {
  for_each = local.private_dns_zones

  name                = each.value
  resource_group_name = local.resource_group_name
  tags                = local.tags
}

resource "azurerm_private_dns_zone_virtual_network_link" "endpoints" {
  for_each = local.private_dns_zones

  name                  = "${local.prefix}-${each.key}"
  resource_group_name   = local.resource_group_name
  private_dns_zone_name = azurerm_private_dns_zone.endpoints[each.key].name
  virtual_network_id    = azurerm_virtual_network.this.id
  registration_enabled  = false
  tags                  = local.tags
}

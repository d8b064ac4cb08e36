# Run once per subscription by someone who may create role assignments at the
# environments' resource groups (Owner or User Access Administrator). State is
# local on purpose (this creates the remote state's home); keep the file safe,
# or migrate it into the new container afterwards with `terraform init
# -migrate-state` and a backend "azurerm" block.
provider "azurerm" {
  subscription_id     = var.subscription_id
  storage_use_azuread = true

  features {
    storage {
      # The container is created through Resource Manager; no shared keys.
      data_plane_available = false
    }

    resource_group {
      prevent_deletion_if_contains_resources = true
    }
  }
}

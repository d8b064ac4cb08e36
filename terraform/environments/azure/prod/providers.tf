provider "azurerm" {
  # null: taken from ARM_SUBSCRIPTION_ID (set by the CI's OIDC login).
  subscription_id = var.subscription_id
  # The artifacts account has no shared keys: storage calls use Entra ID.
  storage_use_azuread = true

  features {
    key_vault {
      # prod has purge protection: never purge, recover instead.
      purge_soft_delete_on_destroy          = false
      purge_soft_deleted_secrets_on_destroy = false
      recover_soft_deleted_key_vaults       = true
      recover_soft_deleted_secrets          = true
    }

    storage {
      # The artifacts account is private; manage it through Resource Manager only.
      data_plane_available = false
    }

    resource_group {
      prevent_deletion_if_contains_resources = true
    }
  }
}

provider "random" {}

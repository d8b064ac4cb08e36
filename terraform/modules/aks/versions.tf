terraform {
  # 1.11: write-only arguments (administrator_password_wo, value_wo) carry the
  # database password from an ephemeral resource without ever writing it to
  # state or plan. 1.10 alone (ephemeral resources) is not enough.
  required_version = ">= 1.11, < 2.0"

  required_providers {
    azurerm = {
      source = "hashicorp/azurerm"
      # 4.23: azurerm_key_vault_secret.value_wo (4.21 added
      # azurerm_postgresql_flexible_server.administrator_password_wo).
      version = "~> 4.23"
    }
    random = {
      source = "hashicorp/random"
      # 3.7: the ephemeral random_password (never stored in state).
      version = "~> 3.7"
    }
  }
}

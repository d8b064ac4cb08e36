terraform {
  # Same bounds as modules/aks (write-only arguments need Terraform 1.11).
  required_version = ">= 1.11, < 2.0"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.23"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.7"
    }
  }
}

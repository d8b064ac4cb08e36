# Partial configuration: the state account comes from terraform/bootstrap/azure,
# given at init time, e.g.
#   terraform init -backend-config=backend.hcl
# with backend.hcl holding resource_group_name, storage_account_name,
# container_name, key = "azure/dev/terraform.tfstate" and use_azuread_auth = true.
# The azurerm backend locks the state with a blob lease: no lock table needed.
terraform {
  backend "azurerm" {}
}

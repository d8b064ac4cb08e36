output "state_resource_group_name" {
  description = "backend.hcl resource_group_name."
  value       = try(azurerm_resource_group.state.name, null)
}

output "state_storage_account_name" {
  description = "backend.hcl storage_account_name."
  value       = try(azurerm_storage_account.state.name, null)
}

output "state_container_name" {
  description = "backend.hcl container_name."
  value       = try(azurerm_storage_container.state.name, null)
}

output "ci_client_id" {
  description = "AZURE_CLIENT_ID for azure/login in GitHub Actions (with AZURE_TENANT_ID and AZURE_SUBSCRIPTION_ID)."
  value       = try(azurerm_user_assigned_identity.ci.client_id, null)
}

output "tenant_id" {
  description = "AZURE_TENANT_ID for azure/login."
  value       = try(azurerm_user_assigned_identity.ci.tenant_id, null)
}

output "environment_resource_group_names" {
  description = "Resource group per environment: set resource_group_name in terraform/environments/azure/<env>."
  value       = try({ for k, rg in azurerm_resource_group.environment : k => rg.name }, null)
}

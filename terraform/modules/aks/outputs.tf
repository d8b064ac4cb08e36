# The cloud-layer contract: the SAME names as terraform/modules/eks, read by the
# Ansible side as platform_infra without branching on the cloud. Outputs never
# fail (try(..., null)); the only secret-bearing one is marked sensitive.

output "cluster_name" {
  description = "AKS cluster name."
  value       = try(azurerm_kubernetes_cluster.this.name, null)
}

output "cluster_endpoint" {
  description = "API server URL (the private FQDN when private_cluster_enabled)."
  value       = try(azurerm_kubernetes_cluster.this.kube_config[0].host, null)
}

output "cluster_ca_certificate" {
  description = "Base64 PEM CA certificate of the API server (from kube_config, hence sensitive)."
  value       = try(azurerm_kubernetes_cluster.this.kube_config[0].cluster_ca_certificate, null)
  sensitive   = true
}

output "oidc_issuer_url" {
  description = "The cluster's OIDC issuer URL (issuer of the federated identity credentials)."
  value       = try(azurerm_kubernetes_cluster.this.oidc_issuer_url, null)
}

output "region" {
  description = "Azure region."
  value       = try(azurerm_kubernetes_cluster.this.location, null)
}

output "network_id" {
  description = "VNet resource id."
  value       = try(azurerm_virtual_network.this.id, null)
}

output "tenant_id" {
  description = "Entra ID tenant id (workload identity, Key Vault)."
  value       = try(data.azurerm_client_config.current.tenant_id, null)
}

output "object_store_bucket" {
  description = "Blob container for MLflow artifacts."
  value       = try(azurerm_storage_container.artifacts.name, null)
}

output "object_store_account" {
  description = "Storage account holding the artifacts container."
  value       = try(azurerm_storage_account.artifacts.name, null)
}

output "object_store_uri" {
  description = "Artifact root URI: wasbs://<container>@<account>.blob.core.windows.net."
  value       = try("wasbs://${azurerm_storage_container.artifacts.name}@${azurerm_storage_account.artifacts.name}.blob.core.windows.net", null)
}

output "db_host" {
  description = "PostgreSQL server FQDN (resolves privately inside the VNet)."
  value       = try(azurerm_postgresql_flexible_server.this.fqdn, null)
}

output "db_port" {
  description = "PostgreSQL port (Flexible Server listens on 5432 only)."
  value       = try(local.db_port, null)
}

output "db_name" {
  description = "MLflow database name."
  value       = try(azurerm_postgresql_flexible_server_database.mlflow.name, null)
}

output "db_secret_ref" {
  description = "Key Vault secret name holding the database login as JSON {username, password} (External Secrets dataFrom.extract key)."
  value       = try(azurerm_key_vault_secret.db.name, null)
}

output "identities" {
  description = "Workload identity client id per service-account key (azure.workload.identity/client-id annotation)."
  value       = try({ for k, id in azurerm_user_assigned_identity.workload : k => id.client_id }, null)
}

output "registry" {
  description = "ACR login server."
  value       = try(azurerm_container_registry.this.login_server, null)
}

output "secret_store_ref" {
  description = "Key Vault URI (the External Secrets ClusterSecretStore vaultUrl)."
  value       = try(azurerm_key_vault.this.vault_uri, null)
}

output "key_vault_id" {
  description = "Key Vault resource id."
  value       = try(azurerm_key_vault.this.id, null)
}

output "resource_group_name" {
  description = "Resource group of every resource of this environment."
  value       = try(local.resource_group_name, null)
}

output "certificate_arn" {
  description = "ARN of the AWS ACM certificate of the ingress hosts; null on Azure (cert-manager issues the ingress certificates in the cluster, solving ACME DNS-01 in dns_zone_id)."
  # try() like every output of the contract; there is no cloud certificate to name here.
  value = try(null, null)
}

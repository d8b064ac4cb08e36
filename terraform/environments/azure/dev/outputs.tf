# environments/azure/prod/outputs.tf is a link to this file: every environment exposes the same outputs.
# Every module output, same names: Ansible reads them as platform_infra.

output "cluster_name" {
  description = "AKS cluster name."
  value       = module.aks.cluster_name
}

output "cluster_endpoint" {
  description = "API server URL."
  value       = module.aks.cluster_endpoint
}

output "cluster_ca_certificate" {
  description = "Base64 PEM CA certificate of the API server."
  value       = module.aks.cluster_ca_certificate
  sensitive   = true
}

output "oidc_issuer_url" {
  description = "The cluster's OIDC issuer URL."
  value       = module.aks.oidc_issuer_url
}

output "region" {
  description = "Azure region."
  value       = module.aks.region
}

output "network_id" {
  description = "VNet resource id."
  value       = module.aks.network_id
}

output "tenant_id" {
  description = "Entra ID tenant id."
  value       = module.aks.tenant_id
}

output "object_store_bucket" {
  description = "Blob container for MLflow artifacts."
  value       = module.aks.object_store_bucket
}

output "object_store_account" {
  description = "Storage account of the artifacts container."
  value       = module.aks.object_store_account
}

output "object_store_uri" {
  description = "Artifact root URI (wasbs://<container>@<account>.blob.core.windows.net)."
  value       = module.aks.object_store_uri
}

output "db_host" {
  description = "PostgreSQL server FQDN."
  value       = module.aks.db_host
}

output "db_port" {
  description = "PostgreSQL port."
  value       = module.aks.db_port
}

output "db_name" {
  description = "MLflow database name."
  value       = module.aks.db_name
}

output "db_secret_ref" {
  description = "Key Vault secret name with the database login as JSON {username, password}."
  value       = module.aks.db_secret_ref
}

output "identities" {
  description = "Workload identity client id per service-account key."
  value       = module.aks.identities
}

output "registry" {
  description = "ACR login server."
  value       = module.aks.registry
}

output "secret_store_ref" {
  description = "Key Vault URI."
  value       = module.aks.secret_store_ref
}

output "key_vault_id" {
  description = "Key Vault resource id."
  value       = module.aks.key_vault_id
}

output "resource_group_name" {
  description = "Resource group of the environment."
  value       = module.aks.resource_group_name
}

output "certificate_arn" {
  description = "ARN of the AWS ACM certificate of the ingress hosts; null on Azure (cert-manager issues the ingress certificates in the cluster, solving ACME DNS-01 in dns_zone_id)."
  value       = module.aks.certificate_arn
}

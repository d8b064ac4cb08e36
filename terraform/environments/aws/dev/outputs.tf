# environments/aws/prod/outputs.tf is a link to this file: every environment exposes the same outputs.
# Every output of the platform module, under the same name: the infrastructure
# play reads them all as platform_infra.

output "cluster_name" {
  description = "EKS cluster name."
  value       = module.platform.cluster_name
}

output "cluster_endpoint" {
  description = "Kubernetes API server URL."
  value       = module.platform.cluster_endpoint
}

output "cluster_ca_certificate" {
  description = "Cluster CA certificate, base64-encoded PEM (as in a kubeconfig's certificate-authority-data)."
  value       = module.platform.cluster_ca_certificate
}

output "oidc_issuer_url" {
  description = "OIDC issuer URL of the cluster (IRSA)."
  value       = module.platform.oidc_issuer_url
}

output "region" {
  description = "AWS region."
  value       = module.platform.region
}

output "network_id" {
  description = "VPC id."
  value       = module.platform.network_id
}

output "tenant_id" {
  description = "Azure tenant id; null on AWS."
  value       = module.platform.tenant_id
}

output "object_store_bucket" {
  description = "S3 artifact bucket name."
  value       = module.platform.object_store_bucket
}

output "object_store_account" {
  description = "Azure storage account; null on AWS."
  value       = module.platform.object_store_account
}

output "object_store_uri" {
  description = "URI of the artifact bucket (s3://<bucket>)."
  value       = module.platform.object_store_uri
}

output "db_host" {
  description = "MLflow PostgreSQL host name."
  value       = module.platform.db_host
}

output "db_port" {
  description = "MLflow PostgreSQL port."
  value       = module.platform.db_port
}

output "db_name" {
  description = "MLflow database name."
  value       = module.platform.db_name
}

output "db_secret_ref" {
  description = "ARN of the RDS-managed Secrets Manager secret holding the database login as JSON {\"username\", \"password\"} (the ExternalSecret's remote key). Not the secret itself."
  value       = module.platform.db_secret_ref
}

output "secret_store_ref" {
  description = "What the External Secrets ClusterSecretStore points at: the region of Secrets Manager (provider aws, service SecretsManager)."
  value       = module.platform.secret_store_ref
}

output "identities" {
  description = "IAM role ARN per service-account key (IRSA; the eks.amazonaws.com/role-arn annotation)."
  value       = module.platform.identities
}

output "registry" {
  description = "ECR registry host (<account>.dkr.ecr.<region>.amazonaws.com)."
  value       = module.platform.registry
}

output "kms_key_arn" {
  description = "ARN of the platform KMS key (bucket, database, secrets, parameters, registry)."
  value       = module.platform.kms_key_arn
}

output "cluster_security_group_id" {
  description = "The EKS-created cluster security group (control plane <-> nodes; the database admits it)."
  value       = module.platform.cluster_security_group_id
}

output "node_security_group_id" {
  description = "Security group of the nodes: managed node groups and Karpenter nodes use the cluster security group (no separate node group is created)."
  value       = module.platform.node_security_group_id
}

output "karpenter_interruption_queue" {
  description = "Name of the SQS interruption queue (Karpenter settings.interruptionQueue)."
  value       = module.platform.karpenter_interruption_queue
}

output "karpenter_node_role" {
  description = "Name of the IAM role of Karpenter-launched nodes (EC2NodeClass spec.role)."
  value       = module.platform.karpenter_node_role
}

output "certificate_arn" {
  description = "ARN of the ACM certificate of certificate_domains, once issued (DNS-validated): the ALB's certificate (alb.ingress.kubernetes.io/certificate-arn). null when none is requested (certificate_domains or certificate_zone_id empty)."
  value       = module.platform.certificate_arn
}

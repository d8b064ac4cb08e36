# The cloud facts the Ansible layer reads as platform_infra. The AKS module
# exposes the SAME names (null where a concept does not exist on that cloud), so
# the playbooks never branch on the cloud. Outputs never fail (try) and never
# carry a secret: the database login is only referenced (db_secret_ref).

output "cluster_name" {
  description = "EKS cluster name."
  value       = try(aws_eks_cluster.this.name, null)
}

output "cluster_endpoint" {
  description = "Kubernetes API server URL."
  value       = try(aws_eks_cluster.this.endpoint, null)
}

output "cluster_ca_certificate" {
  description = "Cluster CA certificate, base64-encoded PEM (as in a kubeconfig's certificate-authority-data)."
  value       = try(aws_eks_cluster.this.certificate_authority[0].data, null)
}

output "oidc_issuer_url" {
  description = "OIDC issuer URL of the cluster (IRSA)."
  value       = try(aws_eks_cluster.this.identity[0].oidc[0].issuer, null)
}

output "region" {
  description = "AWS region."
  value       = try(local.region, null)
}

output "network_id" {
  description = "VPC id."
  value       = try(aws_vpc.this.id, null)
}

output "tenant_id" {
  description = "Azure tenant id; null on AWS."
  value       = null
}

output "object_store_bucket" {
  description = "S3 artifact bucket name."
  value       = try(aws_s3_bucket.artifacts.bucket, null)
}

output "object_store_account" {
  description = "Azure storage account; null on AWS."
  value       = null
}

output "object_store_uri" {
  description = "URI of the artifact bucket (s3://<bucket>)."
  value       = try("s3://${aws_s3_bucket.artifacts.bucket}", null)
}

output "db_host" {
  description = "MLflow PostgreSQL host name."
  value       = try(aws_db_instance.mlflow.address, null)
}

output "db_port" {
  description = "MLflow PostgreSQL port."
  value       = try(aws_db_instance.mlflow.port, null)
}

output "db_name" {
  description = "MLflow database name."
  value       = try(aws_db_instance.mlflow.db_name, null)
}

output "db_secret_ref" {
  description = "ARN of the RDS-managed Secrets Manager secret holding the database login as JSON {\"username\", \"password\"} (the ExternalSecret's remote key). Not the secret itself."
  value       = try(aws_db_instance.mlflow.master_user_secret[0].secret_arn, null)
}

output "secret_store_ref" {
  description = "What the External Secrets ClusterSecretStore points at: the region of Secrets Manager (provider aws, service SecretsManager)."
  value       = try(local.region, null)
}

output "identities" {
  description = "IAM role ARN per service-account key (IRSA; the eks.amazonaws.com/role-arn annotation)."
  value       = try({ for k, r in aws_iam_role.irsa : k => r.arn }, null)
}

output "registry" {
  description = "ECR registry host (<account>.dkr.ecr.<region>.amazonaws.com)."
  value       = try(local.registry_host, null)
}

output "kms_key_arn" {
  description = "ARN of the platform KMS key (bucket, database, secrets, parameters, registry)."
  value       = try(aws_kms_key.platform.arn, null)
}

output "cluster_security_group_id" {
  description = "The EKS-created cluster security group (control plane <-> nodes; the database admits it)."
  value       = try(aws_eks_cluster.this.vpc_config[0].cluster_security_group_id, null)
}

output "node_security_group_id" {
  description = "Security group of the nodes: managed node groups and Karpenter nodes use the cluster security group (no separate node group is created)."
  value       = try(aws_eks_cluster.this.vpc_config[0].cluster_security_group_id, null)
}

output "karpenter_interruption_queue" {
  description = "Name of the SQS interruption queue (Karpenter settings.interruptionQueue)."
  value       = try(aws_sqs_queue.karpenter_interruption.name, null)
}

output "karpenter_node_role" {
  description = "Name of the IAM role of Karpenter-launched nodes (EC2NodeClass spec.role)."
  value       = try(aws_iam_role.karpenter_node.name, null)
}

output "certificate_arn" {
  description = "ARN of the ACM certificate of certificate_domains, once issued (DNS-validated): the ALB's certificate (alb.ingress.kubernetes.io/certificate-arn). null when none is requested (certificate_domains or certificate_zone_id empty)."
  value       = try(aws_acm_certificate_validation.this[0].certificate_arn, null)
}

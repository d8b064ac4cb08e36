# prod: a NAT gateway per AZ and a private API endpoint (variable defaults),
# Multi-AZ database with deletion protection and a final snapshot, and nothing
# that terraform destroy may delete with its content.
module "platform" {
  source = "../../../modules/eks"

  name               = var.name
  environment        = var.environment
  kubernetes_version = var.kubernetes_version
  network            = var.network
  node_pools         = var.node_pools
  service_accounts   = var.service_accounts

  certificate_domains = var.certificate_domains
  certificate_zone_id = var.certificate_zone_id

  cluster_endpoint_public_access       = var.cluster_endpoint_public_access
  cluster_endpoint_private_access      = var.cluster_endpoint_private_access
  cluster_endpoint_public_access_cidrs = var.cluster_endpoint_public_access_cidrs

  enable_eks_addons               = var.enable_eks_addons
  enable_karpenter_access_entry   = var.enable_karpenter_access_entry
  enable_user_access_entries      = var.enable_user_access_entries
  user_access_entries             = var.user_access_entries
  db_performance_insights_enabled = var.db_performance_insights_enabled

  force_destroy            = false
  deletion_protection      = true
  db_multi_az              = true
  db_backup_retention_days = 30
  log_retention_days       = 365

  tags = var.tags
}

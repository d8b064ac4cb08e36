# dev: one NAT gateway (network default), a public API endpoint, a database and
# bucket that terraform destroy may delete with their content.
module "platform" {
  source = "../../../modules/eks"

  name               = var.name
  environment        = var.environment
  kubernetes_version = var.kubernetes_version
  network            = var.network
  node_pools         = var.node_pools
  service_accounts   = var.service_accounts

  cluster_endpoint_public_access       = var.cluster_endpoint_public_access
  cluster_endpoint_private_access      = var.cluster_endpoint_private_access
  cluster_endpoint_public_access_cidrs = var.cluster_endpoint_public_access_cidrs

  enable_eks_addons             = var.enable_eks_addons
  enable_karpenter_access_entry = var.enable_karpenter_access_entry

  force_destroy       = true
  deletion_protection = false
  log_retention_days  = 30

  tags = var.tags
}

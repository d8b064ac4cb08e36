# dev: one NAT gateway (network default), a public API endpoint, a database and
# bucket that terraform destroy may delete with their content.
module "platform" {
  # dev relaxes five module defaults on purpose (they stay on in prod); checkov
  # applies these skips to the module's resources:
  #checkov:skip=CKV_AWS_39:dev: public API endpoint so the Ansible layer (kubectl/Helm) runs from outside the VPC; prod root keeps it private
  #checkov:skip=CKV_AWS_38:dev: public endpoint open to 0.0.0.0/0 by default (set cluster_endpoint_public_access_cidrs to narrow it); prod root keeps the endpoint private and a check block warns on a public prod endpoint
  #checkov:skip=CKV_AWS_157:dev: single-AZ database for cost; prod root sets db_multi_az = true
  #checkov:skip=CKV_AWS_293:dev: no RDS deletion protection so that terraform destroy removes a throw-away environment; prod root requires it (precondition)
  #checkov:skip=CKV_AWS_338:dev: 30-day log retention for cost; prod root keeps control-plane logs and the log bucket 365 days
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

  force_destroy       = true
  deletion_protection = false
  log_retention_days  = 30

  tags = var.tags
}

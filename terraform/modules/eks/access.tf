# The platform's users: one EKS access entry per IAM role of the inventory's platform_user_groups, whose
# kubernetes_groups are the groups the Ansible layer's RoleBindings bind (roles/rbac: mlops:view,
# mlops:deploy-models, mlops:run-pipelines). No access policy is associated: what the groups may do is
# Kubernetes RBAC only (least-privilege Roles per namespace), never an EKS cluster-wide policy.
# The map is computed by the AWS cloud profile (user_access_entries) from platform_user_groups: one source.
# Ref https://docs.aws.amazon.com/eks/latest/userguide/access-entries.html
# Ref https://registry.terraform.io/providers/hashicorp/aws/5.100.0/docs/resources/eks_access_entry

resource "aws_eks_access_entry" "user" {
  for_each = var.enable_user_access_entries ? var.user_access_entries : {}

  cluster_name      = aws_eks_cluster.this.name
  principal_arn     = each.key
  type              = "STANDARD"
  kubernetes_groups = each.value
  tags              = local.tags
}

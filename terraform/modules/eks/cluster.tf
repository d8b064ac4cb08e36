# EKS control plane: IAM role, Kubernetes secrets envelope-encrypted with a
# dedicated KMS key, control-plane logs, API endpoint access, and the IAM OIDC
# provider that IRSA trusts (identity.tf).

data "aws_iam_policy_document" "eks_assume" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]
    principals {
      type        = "Service"
      identifiers = ["eks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "cluster" {
  name               = "${var.name}-cluster"
  assume_role_policy = data.aws_iam_policy_document.eks_assume.json
  tags               = local.tags
}

resource "aws_iam_role_policy_attachment" "cluster" {
  for_each = toset(["AmazonEKSClusterPolicy", "AmazonEKSVPCResourceController"])

  role       = aws_iam_role.cluster.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/${each.value}"
}

# Key for Kubernetes Secrets envelope encryption; only the cluster role uses it.
resource "aws_kms_key" "eks" {
  description             = "${var.name}: EKS Kubernetes secrets envelope encryption"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  policy                  = data.aws_iam_policy_document.kms_account.json
  tags                    = local.tags
}

resource "aws_kms_alias" "eks" {
  name          = "alias/${var.name}-eks"
  target_key_id = aws_kms_key.eks.key_id
}

# The cluster role encrypts/decrypts the secrets' data keys
# (Ref https://docs.aws.amazon.com/eks/latest/userguide/enable-kms.html).
data "aws_iam_policy_document" "cluster_encryption" {
  statement {
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"]
    resources = [aws_kms_key.eks.arn]
  }
}

resource "aws_iam_role_policy" "cluster_encryption" {
  name   = "secrets-encryption"
  role   = aws_iam_role.cluster.id
  policy = data.aws_iam_policy_document.cluster_encryption.json
}

# Created before the cluster so that retention and encryption are ours, not EKS's defaults.
resource "aws_cloudwatch_log_group" "cluster" {
  name              = "/aws/eks/${var.name}/cluster"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.platform.arn
  tags              = local.tags
}

resource "aws_eks_cluster" "this" {
  name                      = var.name
  version                   = var.kubernetes_version
  role_arn                  = aws_iam_role.cluster.arn
  enabled_cluster_log_types = var.cluster_log_types

  vpc_config {
    subnet_ids              = aws_subnet.private[*].id
    endpoint_private_access = var.cluster_endpoint_private_access
    endpoint_public_access  = var.cluster_endpoint_public_access
    public_access_cidrs     = var.cluster_endpoint_public_access_cidrs
  }

  # Access entries (the Karpenter node role, admins) instead of the aws-auth ConfigMap,
  # which stays readable for managed node groups.
  access_config {
    authentication_mode                         = "API_AND_CONFIG_MAP"
    bootstrap_cluster_creator_admin_permissions = true
  }

  encryption_config {
    resources = ["secrets"]
    provider {
      key_arn = aws_kms_key.eks.arn
    }
  }

  tags = merge(local.tags, { "karpenter.sh/discovery" = var.name })

  lifecycle {
    precondition {
      condition     = var.cluster_endpoint_public_access || var.cluster_endpoint_private_access
      error_message = "cluster_endpoint_public_access / cluster_endpoint_private_access: set at least one to true, or nothing (not even the nodes) can reach the Kubernetes API."
    }
  }

  depends_on = [
    aws_iam_role_policy_attachment.cluster,
    aws_iam_role_policy.cluster_encryption,
    aws_cloudwatch_log_group.cluster,
  ]
}

# Managed node groups and Karpenter nodes get the EKS-created cluster security
# group; tag it so that EC2NodeClass securityGroupSelectorTerms finds it.
resource "aws_ec2_tag" "cluster_security_group_discovery" {
  resource_id = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
  key         = "karpenter.sh/discovery"
  value       = var.name
}

resource "aws_iam_openid_connect_provider" "cluster" {
  url             = aws_eks_cluster.this.identity[0].oidc[0].issuer
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = var.oidc_thumbprints
  tags            = local.tags
}

# Add-ons EKS manages; versions default to the ones EKS publishes for the cluster version.
# aws-ebs-csi-driver: EKS 1.30+ ships neither an EBS CSI driver nor a default StorageClass, so
# without it every PersistentVolumeClaim stays Pending (the Ansible `storage` component adds
# the default gp3 class). Its controller calls EC2 through the IRSA role ebs_csi_driver
# (identity.tf), trusted for kube-system/ebs-csi-controller-sa, the account the add-on creates.
locals {
  eks_addons = ["vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver"]
  # Add-on -> key of var.service_accounts whose IRSA role the add-on's service account gets.
  eks_addon_identities = { "aws-ebs-csi-driver" = "ebs_csi_driver" }
}

resource "aws_eks_addon" "this" {
  for_each = var.enable_eks_addons ? toset(local.eks_addons) : toset([])

  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = each.value
  addon_version               = lookup(var.eks_addon_versions, each.value, null)
  service_account_role_arn    = try(aws_iam_role.irsa[local.eks_addon_identities[each.value]].arn, null)
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "PRESERVE"
  tags                        = local.tags

  lifecycle {
    precondition {
      condition     = !contains(keys(local.eks_addon_identities), each.value) || contains(keys(var.service_accounts), lookup(local.eks_addon_identities, each.value, ""))
      error_message = "service_accounts: the ${each.value} add-on needs its IRSA role; keep the entry ${lookup(local.eks_addon_identities, each.value, "")} (e.g. {namespace = \"kube-system\", name = \"ebs-csi-controller-sa\"})."
    }
  }

  # CoreDNS and the EBS CSI controller need nodes to become ACTIVE; the controller its role's policies.
  depends_on = [aws_eks_node_group.this, aws_iam_role_policy.irsa, aws_iam_role_policy_attachment.irsa]
}

check "public_endpoint_open_to_the_internet" {
  assert {
    condition     = !(var.environment == "prod" && var.cluster_endpoint_public_access && contains(var.cluster_endpoint_public_access_cidrs, "0.0.0.0/0"))
    error_message = "cluster_endpoint_public_access_cidrs: the prod API endpoint is public to 0.0.0.0/0; set cluster_endpoint_public_access = false or list your CIDR blocks."
  }
}

# Workload identity (IRSA): one IAM role per entry of var.service_accounts,
# assumable only by that Kubernetes service account through the cluster's OIDC
# provider, with the least privilege that workload needs. The Karpenter
# controller policy is in karpenter.tf.

locals {
  oidc_issuer_host = replace(aws_eks_cluster.this.identity[0].oidc[0].issuer, "https://", "")

  bucket_arn = aws_s3_bucket.artifacts.arn

  irsa_policies = {
    mlflow                       = data.aws_iam_policy_document.mlflow.json
    argo_workflows               = data.aws_iam_policy_document.argo_workflows.json
    kserve                       = data.aws_iam_policy_document.kserve.json
    external_secrets             = data.aws_iam_policy_document.external_secrets.json
    karpenter                    = data.aws_iam_policy_document.karpenter_controller.json
    aws_load_balancer_controller = data.aws_iam_policy_document.aws_load_balancer_controller.json
    ebs_csi_driver               = data.aws_iam_policy_document.ebs_csi_driver.json
  }

  # AWS-managed policies attached to an IRSA role besides its inline policy (path/name under
  # arn:<partition>:iam::aws:policy/).
  irsa_managed_policies = {
    ebs_csi_driver = "service-role/AmazonEBSCSIDriverPolicy"
  }
}

data "aws_iam_policy_document" "irsa_trust" {
  for_each = var.service_accounts

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.cluster.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer_host}:sub"
      values   = ["system:serviceaccount:${each.value.namespace}:${each.value.name}"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer_host}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "irsa" {
  for_each = var.service_accounts

  name               = "${var.name}-${replace(each.key, "_", "-")}"
  description        = "IRSA: ${each.value.namespace}/${each.value.name}"
  assume_role_policy = data.aws_iam_policy_document.irsa_trust[each.key].json
  tags               = merge(local.tags, { "platform.mlops/service-account" = "${each.value.namespace}/${each.value.name}" })
}

resource "aws_iam_role_policy" "irsa" {
  for_each = var.service_accounts

  name   = replace(each.key, "_", "-")
  role   = aws_iam_role.irsa[each.key].id
  policy = local.irsa_policies[each.key]
}

resource "aws_iam_role_policy_attachment" "irsa" {
  for_each = { for key, policy in local.irsa_managed_policies : key => policy if contains(keys(var.service_accounts), key) }

  role       = aws_iam_role.irsa[each.key].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/${each.value}"
}

# ------------------------------------------------ artifact bucket (SSE-KMS) ----

# Every role that reads or writes the bucket needs its KMS key, but only through S3.
data "aws_iam_policy_document" "bucket_kms" {
  statement {
    sid       = "ArtifactBucketKeyViaS3"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [aws_kms_key.platform.arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.${local.dns_suffix}"]
    }
  }
}

data "aws_iam_policy_document" "mlflow" {
  source_policy_documents = [data.aws_iam_policy_document.bucket_kms.json]

  statement {
    sid       = "ListArtifacts"
    actions   = ["s3:ListBucket"]
    resources = [local.bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [var.mlflow_artifacts_prefix, "${var.mlflow_artifacts_prefix}/*"]
    }
  }
  statement {
    sid       = "ReadWriteArtifacts"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.bucket_arn}/${var.mlflow_artifacts_prefix}/*"]
  }
}

data "aws_iam_policy_document" "argo_workflows" {
  source_policy_documents = [data.aws_iam_policy_document.bucket_kms.json]

  statement {
    sid       = "Bucket"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.bucket_arn]
  }
  statement {
    sid       = "ReadWriteArtifacts"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${local.bucket_arn}/*"]
  }
}

data "aws_iam_policy_document" "kserve" {
  source_policy_documents = [data.aws_iam_policy_document.bucket_kms.json]

  statement {
    sid       = "Bucket"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.bucket_arn]
  }
  statement {
    sid       = "ReadModels"
    actions   = ["s3:GetObject"]
    resources = ["${local.bucket_arn}/*"]
  }
}

# ------------------------------------------------------- External Secrets ----

data "aws_iam_policy_document" "external_secrets" {
  statement {
    sid       = "ReadDatabaseSecret"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [aws_db_instance.mlflow.master_user_secret[0].secret_arn]
  }
  statement {
    # The platform's own secrets, named /<name>/... (Alertmanager receivers' URLs, admin logins):
    # Secrets Manager appends a random suffix to each secret's ARN, hence the trailing wildcard.
    sid       = "ReadPlatformSecrets"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = ["arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:/${var.name}/*"]
  }
  statement {
    sid       = "ReadPlatformParameters"
    actions   = ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"]
    resources = ["arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/${var.name}/*"]
  }
  statement {
    sid       = "DecryptThroughSecretsManagerAndSsm"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.platform.arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values = [
        "secretsmanager.${local.region}.${local.dns_suffix}",
        "ssm.${local.region}.${local.dns_suffix}",
      ]
    }
  }
}

# --------------------------------------------------------- EBS CSI driver ----
# The EKS add-on aws-ebs-csi-driver (cluster.tf): AmazonEBSCSIDriverPolicy (attached above) for
# the volumes and snapshots, plus the platform key for volumes encrypted with it (a StorageClass
# with kmsKeyId = kms_key_arn), only through EC2: EBS creates a grant for the volume's lifetime.
# Ref https://docs.aws.amazon.com/eks/latest/userguide/ebs-csi.html (custom KMS key policy).

data "aws_iam_policy_document" "ebs_csi_driver" {
  statement {
    sid       = "PlatformKeyGrantsForVolumes"
    actions   = ["kms:CreateGrant"]
    resources = [aws_kms_key.platform.arn]
    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["ec2.${local.region}.${local.dns_suffix}"]
    }
  }
  statement {
    sid       = "PlatformKeyForVolumesViaEc2"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
    resources = [aws_kms_key.platform.arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["ec2.${local.region}.${local.dns_suffix}"]
    }
  }
}

# ------------------------------------------- AWS Load Balancer Controller ----
# The upstream policy (kubernetes-sigs/aws-load-balancer-controller docs/install/iam_policy.json,
# v2.13) statement by statement, with ARNs narrowed to this region and account (and the
# security group's VPC to the platform VPC): "*" remains only for actions that take no resource
# ARN (Describe*, List*, shield:GetSubscriptionState). Resources the controller creates carry
# the tag elbv2.k8s.aws/cluster; mutations require it.

locals {
  lbc_cluster_tag = "elbv2.k8s.aws/cluster"
  ec2_arn         = "arn:${local.partition}:ec2:${local.region}:${local.account_id}"
  elb_arn         = "arn:${local.partition}:elasticloadbalancing:${local.region}:${local.account_id}"
  elb_taggable = [
    "${local.elb_arn}:targetgroup/*/*",
    "${local.elb_arn}:loadbalancer/net/*/*",
    "${local.elb_arn}:loadbalancer/app/*/*",
  ]
  # Load balancers, listeners, rules and target groups of this region and account.
  elb_all = [
    "${local.elb_arn}:loadbalancer/*",
    "${local.elb_arn}:listener/*",
    "${local.elb_arn}:listener-rule/*",
    "${local.elb_arn}:targetgroup/*",
  ]
  security_groups = "${local.ec2_arn}:security-group/*"
}

data "aws_iam_policy_document" "aws_load_balancer_controller" {
  statement {
    sid       = "ServiceLinkedRole"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing"]
    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values   = ["elasticloadbalancing.amazonaws.com"]
    }
  }

  statement {
    sid = "Describe"
    actions = [
      "ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeAvailabilityZones",
      "ec2:DescribeInternetGateways", "ec2:DescribeVpcs", "ec2:DescribeVpcPeeringConnections",
      "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeInstances",
      "ec2:DescribeNetworkInterfaces", "ec2:DescribeTags",
      "ec2:DescribeCoipPools", "ec2:DescribeIpamPools",
      "ec2:DescribeRouteTables",
      "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes",
      "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeListenerCertificates",
      "elasticloadbalancing:DescribeSSLPolicies", "elasticloadbalancing:DescribeRules",
      "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetGroupAttributes",
      "elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DescribeTags",
      "elasticloadbalancing:DescribeTrustStores", "elasticloadbalancing:DescribeListenerAttributes",
      "elasticloadbalancing:DescribeCapacityReservation",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "SecurityGroupsOfTheVpc"
    actions   = ["ec2:GetSecurityGroupsForVpc"]
    resources = [aws_vpc.this.arn, local.security_groups]
  }

  statement {
    sid       = "CoipPoolUsage"
    actions   = ["ec2:GetCoipPoolUsage"]
    resources = ["${local.ec2_arn}:coip-pool/*"]
  }

  statement {
    sid       = "ListCertificatesAndShieldSubscription"
    actions   = ["acm:ListCertificates", "iam:ListServerCertificates", "shield:GetSubscriptionState"]
    resources = ["*"]
  }

  statement {
    sid     = "CertificatesAndCognito"
    actions = ["acm:DescribeCertificate", "iam:GetServerCertificate", "cognito-idp:DescribeUserPoolClient"]
    resources = [
      "arn:${local.partition}:acm:${local.region}:${local.account_id}:certificate/*",
      "arn:${local.partition}:iam::${local.account_id}:server-certificate/*",
      "arn:${local.partition}:cognito-idp:${local.region}:${local.account_id}:userpool/*",
    ]
  }

  statement {
    sid = "WafOnLoadBalancers"
    actions = [
      "waf-regional:GetWebACL", "waf-regional:GetWebACLForResource", "waf-regional:AssociateWebACL", "waf-regional:DisassociateWebACL",
      "wafv2:GetWebACL", "wafv2:GetWebACLForResource", "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL",
    ]
    resources = [
      "arn:${local.partition}:waf-regional:${local.region}:${local.account_id}:webacl/*",
      "arn:${local.partition}:wafv2:${local.region}:${local.account_id}:regional/webacl/*/*",
      "${local.elb_arn}:loadbalancer/app/*/*",
    ]
  }

  statement {
    sid       = "ShieldProtections"
    actions   = ["shield:DescribeProtection", "shield:CreateProtection", "shield:DeleteProtection"]
    resources = ["arn:${local.partition}:shield::${local.account_id}:protection/*"]
  }

  statement {
    sid       = "SecurityGroupRulesAnyGroupInVpcs"
    actions   = ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"]
    resources = [local.security_groups]
  }

  statement {
    sid       = "CreateSecurityGroup"
    actions   = ["ec2:CreateSecurityGroup"]
    resources = [local.security_groups, aws_vpc.this.arn]
  }

  statement {
    sid       = "TagSecurityGroupOnCreate"
    actions   = ["ec2:CreateTags"]
    resources = ["${local.ec2_arn}:security-group/*"]
    condition {
      test     = "StringEquals"
      variable = "ec2:CreateAction"
      values   = ["CreateSecurityGroup"]
    }
    condition {
      test     = "Null"
      variable = "aws:RequestTag/${local.lbc_cluster_tag}"
      values   = ["false"]
    }
  }

  statement {
    sid       = "TagOwnSecurityGroups"
    actions   = ["ec2:CreateTags", "ec2:DeleteTags"]
    resources = ["${local.ec2_arn}:security-group/*"]
    condition {
      test     = "Null"
      variable = "aws:RequestTag/${local.lbc_cluster_tag}"
      values   = ["true"]
    }
    condition {
      test     = "Null"
      variable = "aws:ResourceTag/${local.lbc_cluster_tag}"
      values   = ["false"]
    }
  }

  statement {
    sid       = "ManageOwnSecurityGroups"
    actions   = ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"]
    resources = [local.security_groups]
    condition {
      test     = "Null"
      variable = "aws:ResourceTag/${local.lbc_cluster_tag}"
      values   = ["false"]
    }
  }

  statement {
    sid       = "CreateTaggedLoadBalancers"
    actions   = ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"]
    resources = local.elb_all
    condition {
      test     = "Null"
      variable = "aws:RequestTag/${local.lbc_cluster_tag}"
      values   = ["false"]
    }
  }

  statement {
    sid = "ListenersAndRules"
    actions = [
      "elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener",
      "elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule",
    ]
    resources = local.elb_all
  }

  statement {
    sid       = "TagOwnLoadBalancers"
    actions   = ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"]
    resources = local.elb_taggable
    condition {
      test     = "Null"
      variable = "aws:RequestTag/${local.lbc_cluster_tag}"
      values   = ["true"]
    }
    condition {
      test     = "Null"
      variable = "aws:ResourceTag/${local.lbc_cluster_tag}"
      values   = ["false"]
    }
  }

  statement {
    sid     = "TagListenersAndRules"
    actions = ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"]
    resources = [
      "${local.elb_arn}:listener/net/*/*/*",
      "${local.elb_arn}:listener/app/*/*/*",
      "${local.elb_arn}:listener-rule/net/*/*/*",
      "${local.elb_arn}:listener-rule/app/*/*/*",
    ]
  }

  statement {
    sid = "ModifyOwnLoadBalancers"
    actions = [
      "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetIpAddressType",
      "elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets",
      "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyTargetGroup",
      "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:DeleteTargetGroup",
      "elasticloadbalancing:ModifyListenerAttributes", "elasticloadbalancing:ModifyCapacityReservation",
      "elasticloadbalancing:ModifyIpPools",
    ]
    resources = local.elb_all
    condition {
      test     = "Null"
      variable = "aws:ResourceTag/${local.lbc_cluster_tag}"
      values   = ["false"]
    }
  }

  statement {
    sid       = "TagOnCreate"
    actions   = ["elasticloadbalancing:AddTags"]
    resources = local.elb_taggable
    condition {
      test     = "StringEquals"
      variable = "elasticloadbalancing:CreateAction"
      values   = ["CreateTargetGroup", "CreateLoadBalancer"]
    }
    condition {
      test     = "Null"
      variable = "aws:RequestTag/${local.lbc_cluster_tag}"
      values   = ["false"]
    }
  }

  statement {
    sid       = "Targets"
    actions   = ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"]
    resources = ["${local.elb_arn}:targetgroup/*/*"]
  }

  statement {
    sid = "ListenerSettings"
    actions = [
      "elasticloadbalancing:SetWebAcl", "elasticloadbalancing:ModifyListener",
      "elasticloadbalancing:AddListenerCertificates", "elasticloadbalancing:RemoveListenerCertificates",
      "elasticloadbalancing:ModifyRule", "elasticloadbalancing:SetRulePriorities",
    ]
    resources = local.elb_all
  }
}

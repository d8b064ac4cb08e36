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

# ------------------------------------------- AWS Load Balancer Controller ----
# The upstream policy (kubernetes-sigs/aws-load-balancer-controller docs/install/iam_policy.json,
# v2.13) statement by statement, with ARNs narrowed to this region and account. Resources the
# controller creates carry the tag elbv2.k8s.aws/cluster; mutations require it.

locals {
  lbc_cluster_tag = "elbv2.k8s.aws/cluster"
  ec2_arn         = "arn:${local.partition}:ec2:${local.region}:${local.account_id}"
  elb_arn         = "arn:${local.partition}:elasticloadbalancing:${local.region}:${local.account_id}"
  elb_taggable = [
    "${local.elb_arn}:targetgroup/*/*",
    "${local.elb_arn}:loadbalancer/net/*/*",
    "${local.elb_arn}:loadbalancer/app/*/*",
  ]
}

data "aws_iam_policy_document" "aws_load_balancer_controller" {
  statement {
    sid       = "ServiceLinkedRole"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["*"]
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
      "ec2:DescribeNetworkInterfaces", "ec2:DescribeTags", "ec2:GetCoipPoolUsage",
      "ec2:DescribeCoipPools", "ec2:GetSecurityGroupsForVpc", "ec2:DescribeIpamPools",
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
    sid = "CertificatesWafShield"
    actions = [
      "cognito-idp:DescribeUserPoolClient",
      "acm:ListCertificates", "acm:DescribeCertificate",
      "iam:ListServerCertificates", "iam:GetServerCertificate",
      "waf-regional:GetWebACL", "waf-regional:GetWebACLForResource", "waf-regional:AssociateWebACL", "waf-regional:DisassociateWebACL",
      "wafv2:GetWebACL", "wafv2:GetWebACLForResource", "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL",
      "shield:GetSubscriptionState", "shield:DescribeProtection", "shield:CreateProtection", "shield:DeleteProtection",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "SecurityGroupRulesAnyGroupInVpcs"
    actions   = ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"]
    resources = ["*"]
  }

  statement {
    sid       = "CreateSecurityGroup"
    actions   = ["ec2:CreateSecurityGroup"]
    resources = ["*"]
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
    resources = ["*"]
    condition {
      test     = "Null"
      variable = "aws:ResourceTag/${local.lbc_cluster_tag}"
      values   = ["false"]
    }
  }

  statement {
    sid       = "CreateTaggedLoadBalancers"
    actions   = ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"]
    resources = ["*"]
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
    resources = ["*"]
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
    resources = ["*"]
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
    resources = ["*"]
  }
}

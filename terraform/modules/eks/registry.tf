# ECR repositories for the platform's own images (training, serving): tags are
# immutable (a tag names one image forever), images are scanned on push and
# encrypted with the platform key.

resource "aws_ecr_repository" "this" {
  for_each = toset(var.ecr_repositories)

  name                 = each.value
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.force_destroy

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.platform.arn
  }

  tags = local.tags

  lifecycle {
    precondition {
      condition     = !(local.is_prod && var.force_destroy)
      error_message = "force_destroy: set false when environment = prod (a destroy must never delete images)."
    }
  }
}

locals {
  registry_host = "${local.account_id}.dkr.ecr.${local.region}.${local.dns_suffix}"
}

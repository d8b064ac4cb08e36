# The bootstrap keeps local state: it creates the bucket remote state lives in.
# Keep terraform.tfstate safe (or migrate it into the bucket afterwards, see
# terraform/README.md).
provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.tags, { "platform.mlops/managed-by" = "terraform-bootstrap" })
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id        = data.aws_caller_identity.current.account_id
  partition         = data.aws_partition.current.partition
  state_bucket_name = coalesce(var.state_bucket_name, "${var.name}-tfstate-${local.account_id}")
}

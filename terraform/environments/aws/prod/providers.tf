provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.tags, { "platform.mlops/managed-by" = "terraform" })
  }
}

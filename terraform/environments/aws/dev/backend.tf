# Remote state in the bucket terraform/bootstrap/aws creates, with S3-native
# locking (use_lockfile; no DynamoDB table). Partial configuration: the values
# come from `terraform init -backend-config=...` (see terraform/README.md).
# Kept in its own file so that a test copy can delete it and run on local state.
terraform {
  backend "s3" {}
}

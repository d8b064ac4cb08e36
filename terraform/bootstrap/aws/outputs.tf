output "state_bucket" {
  description = "Name of the Terraform state bucket."
  value       = try(aws_s3_bucket.state.bucket, null)
}

output "state_kms_key_arn" {
  description = "ARN of the KMS key encrypting the state."
  value       = try(aws_kms_key.state.arn, null)
}

output "ci_role_arn" {
  description = "Role GitHub Actions assumes (aws-actions/configure-aws-credentials role-to-assume)."
  value       = try(aws_iam_role.ci.arn, null)
}

output "github_oidc_provider_arn" {
  description = "ARN of the GitHub Actions OIDC provider."
  value       = try(local.github_oidc_provider_arn, null)
}

output "backend_config" {
  description = "Backend settings for the environments (-backend-config=KEY=VALUE each; add key=aws/<env>/terraform.tfstate)."
  value = try({
    bucket       = aws_s3_bucket.state.bucket
    region       = var.region
    encrypt      = true
    kms_key_id   = aws_kms_key.state.arn
    use_lockfile = true
  }, null)
}

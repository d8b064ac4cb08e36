variable "name" {
  description = "Prefix of the bootstrap resources (state bucket, KMS alias, CI role), e.g. \"mlops\"."
  type        = string
  default     = "mlops"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name: set 3-32 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit."
  }
}

variable "region" {
  description = "AWS region of the state bucket."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$", var.region))
    error_message = "region: set an AWS region code such as \"eu-west-1\"."
  }
}

variable "state_bucket_name" {
  description = "Name of the Terraform state bucket. null: \"<name>-tfstate-<account id>\"."
  type        = string
  default     = null

  validation {
    condition = var.state_bucket_name == null || (
      can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", coalesce(var.state_bucket_name, "x"))) &&
      !can(regex("\\.\\.", coalesce(var.state_bucket_name, "x"))) &&
      !can(regex("^\\d+\\.\\d+\\.\\d+\\.\\d+$", coalesce(var.state_bucket_name, "x"))) &&
      !can(regex("^(xn--|sthree-|amzn-s3-demo-)", coalesce(var.state_bucket_name, "x"))) &&
      !can(regex("(-s3alias|--ol-s3|\\.mrap|--x-s3|--table-s3)$", coalesce(var.state_bucket_name, "x")))
    )
    error_message = "state_bucket_name: set a valid S3 bucket name (3-63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit, no '..', not an IP address, no reserved prefix or suffix) or null."
  }
}

variable "noncurrent_state_retention_days" {
  description = "Days old (noncurrent) state versions are kept before they expire."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_state_retention_days >= 1
    error_message = "noncurrent_state_retention_days: set a number of days >= 1."
  }
}

variable "access_log_retention_days" {
  description = "Days the state bucket's server access logs are kept in the access-log bucket."
  type        = number
  default     = 365

  validation {
    condition     = var.access_log_retention_days >= 1 && floor(var.access_log_retention_days) == var.access_log_retention_days
    error_message = "access_log_retention_days: set a whole number of days >= 1."
  }
}

variable "github_repository" {
  description = "GitHub repository (\"<owner>/<repo>\") whose Actions workflows may assume the CI role."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", var.github_repository))
    error_message = "github_repository: set \"<owner>/<repo>\" (e.g. \"example-org/mlops-platform\")."
  }
}

variable "github_branches" {
  description = "Branches of github_repository whose workflow runs may assume the CI role (OIDC sub repo:<owner>/<repo>:ref:refs/heads/<branch>)."
  type        = list(string)
  default     = ["main"]

  validation {
    condition     = length(var.github_branches) > 0 && alltrue([for b in var.github_branches : can(regex("^[A-Za-z0-9._/-]+$", b)) && !can(regex("\\*", b))])
    error_message = "github_branches: set a non-empty list of exact branch names (no wildcards), e.g. [\"main\"]."
  }
}

variable "create_github_oidc_provider" {
  description = "Create the IAM OIDC provider for token.actions.githubusercontent.com. An account holds one per URL: set false if it already exists (it is then looked up)."
  type        = bool
  default     = true
}

variable "github_oidc_thumbprints" {
  description = "Thumbprints of the GitHub Actions OIDC issuer's CA chain. IAM trusts GitHub's issuer through its own CA library and ignores them, but the API requires one; the defaults are GitHub's published values."
  type        = list(string)
  default     = ["6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"]

  validation {
    condition     = length(var.github_oidc_thumbprints) > 0 && alltrue([for t in var.github_oidc_thumbprints : can(regex("^[0-9a-f]{40}$", t))])
    error_message = "github_oidc_thumbprints: set a non-empty list of 40-character lowercase hex SHA-1 thumbprints."
  }
}

variable "ci_role_policy_arns" {
  description = <<-EOT
    Managed policies attached to the CI role, which applies the platform environments (it creates
    VPCs, EKS, IAM roles, RDS, KMS keys...). The default AdministratorAccess is what a first apply
    needs; narrow it (or add a permissions boundary) once the platform's footprint is settled.
    The state bucket access is granted separately.
  EOT
  type        = list(string)
  default     = ["arn:aws:iam::aws:policy/AdministratorAccess"]

  validation {
    condition     = alltrue([for a in var.ci_role_policy_arns : can(regex("^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/.+$", a))])
    error_message = "ci_role_policy_arns: set IAM policy ARNs (arn:aws:iam::aws:policy/<name> or arn:aws:iam::<account>:policy/<name>)."
  }
}

variable "tags" {
  description = "Extra tags for every resource (provider default_tags)."
  type        = map(string)
  default     = {}
}

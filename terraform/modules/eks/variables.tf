# Inputs of the EKS platform module. Names follow the inventory
# (inventories/<env>/group_vars/all/platform.yml) so the infrastructure play can
# pass platform_* values through a JSON var-file without reshaping them.

# ---------------------------------------------------------------- identity ----

variable "name" {
  description = "Platform (and EKS cluster) name, e.g. \"mlops-dev\". Prefixes every resource name; IAM role names are \"<name>-<service account key>\"."
  type        = string

  validation {
    # 32 characters keeps "<name>-<longest role suffix>" under IAM's 64-character role name limit.
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name: set 3-32 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit (e.g. \"mlops-dev\")."
  }
}

variable "environment" {
  description = "Environment of this platform: dev, test, staging or prod. prod turns on the protections (no force_destroy, final DB snapshot, deletion protection required)."
  type        = string

  validation {
    condition     = contains(["dev", "test", "staging", "prod"], var.environment)
    error_message = "environment: set one of dev, test, staging, prod."
  }
}

variable "tags" {
  description = "Extra tags for every resource this module creates (the provider's default_tags apply as well)."
  type        = map(string)
  default     = {}
}

# ----------------------------------------------------------------- network ----

variable "network" {
  description = <<-EOT
    The VPC, as the inventory's platform_network: cidr (IPv4, /16 to /20), availability_zones
    (2-6; one public and one private subnet in each) and nat_gateway_per_az (false: one NAT
    gateway for the VPC, cheap, for dev; true: one per AZ, no cross-AZ dependency, for prod).
    Private subnets take the first <availability_zones> eighths of the CIDR (pods get VPC IPs),
    public subnets share the last eighth.
  EOT
  type = object({
    cidr               = string
    availability_zones = optional(number, 3)
    nat_gateway_per_az = optional(bool, false)
  })

  validation {
    condition     = can(cidrnetmask(var.network.cidr)) && can(regex("^[0-9.]+/(1[6-9]|20)$", var.network.cidr))
    error_message = "network.cidr: set an IPv4 CIDR block with a prefix length from /16 to /20 (e.g. \"10.0.0.0/16\")."
  }

  validation {
    condition     = var.network.availability_zones >= 2 && var.network.availability_zones <= 6 && floor(var.network.availability_zones) == var.network.availability_zones
    error_message = "network.availability_zones: set a whole number from 2 to 6 (EKS needs subnets in at least two AZs)."
  }
}

# ----------------------------------------------------------------- cluster ----

variable "kubernetes_version" {
  description = "EKS Kubernetes version (\"<major>.<minor>\"), pinned; node groups follow it."
  type        = string

  validation {
    condition     = contains(["1.30", "1.31", "1.32", "1.33"], var.kubernetes_version)
    error_message = "kubernetes_version: set one of \"1.30\", \"1.31\", \"1.32\", \"1.33\" (a quoted string; the versions this module is tested with)."
  }
}

variable "cluster_endpoint_public_access" {
  description = "Whether the EKS API endpoint is reachable from the internet (limited to cluster_endpoint_public_access_cidrs). Default false (private only); the dev root turns it on."
  type        = bool
  default     = false
}

variable "cluster_endpoint_private_access" {
  description = "Whether the EKS API endpoint is reachable from inside the VPC (nodes use it)."
  type        = bool
  default     = true
}

variable "cluster_endpoint_public_access_cidrs" {
  description = "IPv4 CIDR blocks allowed to reach the public EKS API endpoint (used when cluster_endpoint_public_access is true)."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = length(var.cluster_endpoint_public_access_cidrs) > 0 && alltrue([for c in var.cluster_endpoint_public_access_cidrs : can(cidrnetmask(c))])
    error_message = "cluster_endpoint_public_access_cidrs: set a non-empty list of IPv4 CIDR blocks (e.g. [\"203.0.113.0/24\"])."
  }
}

variable "cluster_log_types" {
  description = "EKS control-plane log types sent to CloudWatch Logs."
  type        = list(string)
  default     = ["api", "audit", "authenticator", "controllerManager", "scheduler"]

  validation {
    condition     = alltrue([for t in var.cluster_log_types : contains(["api", "audit", "authenticator", "controllerManager", "scheduler"], t)])
    error_message = "cluster_log_types: set a subset of api, audit, authenticator, controllerManager, scheduler."
  }
}

variable "log_retention_days" {
  description = "Retention of the platform's logs, in days: the EKS control-plane log group, and the objects of the log bucket (S3 server access logs, VPC flow logs)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days: set a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}

variable "oidc_thumbprints" {
  description = <<-EOT
    SHA-1 thumbprints of the root CA of the EKS OIDC issuer (IRSA). The default is the
    well-known "Starfield Services Root Certificate Authority - G2" thumbprint that every
    oidc.eks.<region>.amazonaws.com chain ends in. IAM no longer checks it for EKS issuers
    (it trusts its own CA library), but the API requires one; a tls provider is not used
    because it is not available offline.
  EOT
  type        = list(string)
  default     = ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"]

  validation {
    condition     = length(var.oidc_thumbprints) > 0 && alltrue([for t in var.oidc_thumbprints : can(regex("^[0-9a-f]{40}$", t))])
    error_message = "oidc_thumbprints: set a non-empty list of 40-character lowercase hex SHA-1 thumbprints."
  }
}

variable "enable_eks_addons" {
  description = "Install the EKS managed add-ons (vpc-cni, coredns, kube-proxy, aws-ebs-csi-driver). Turn off only where the EKS add-on API does not exist (the moto emulator in tests)."
  type        = bool
  default     = true
}

variable "eks_addon_versions" {
  description = "Version per EKS add-on (vpc-cni, coredns, kube-proxy, aws-ebs-csi-driver); a missing or null entry takes the default version EKS publishes for kubernetes_version."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.eks_addon_versions) : contains(["vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver"], k)])
    error_message = "eks_addon_versions: keys must be vpc-cni, coredns, kube-proxy or aws-ebs-csi-driver."
  }
}

variable "enable_karpenter_access_entry" {
  description = "Create the EKS access entry (type EC2_LINUX) that lets nodes launched by Karpenter with the Karpenter node role join the cluster."
  type        = bool
  default     = true
}

variable "user_access_entries" {
  description = "The platform's users: IAM role ARN -> the Kubernetes groups its EKS access entry (type STANDARD, no access policy) puts it in; the RoleBindings of the Ansible layer (roles/rbac) bind those groups. Computed from the inventory's platform_user_groups. The cluster creator's role already has an entry (bootstrap_cluster_creator_admin_permissions): do not list it."
  type        = map(list(string))
  default     = {}

  validation {
    condition     = alltrue([for arn in keys(var.user_access_entries) : can(regex("^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/", arn))])
    error_message = "user_access_entries: keys must be IAM role ARNs (arn:aws:iam::<12-digit account id>:role/<name>)."
  }
  validation {
    condition     = alltrue(flatten([for groups in values(var.user_access_entries) : [for g in groups : length(g) > 0 && !startswith(g, "system:") && !startswith(g, "eks:")]]))
    error_message = "user_access_entries: Kubernetes group names must be non-empty and must not start with system: or eks: (EKS refuses them)."
  }
}

variable "enable_user_access_entries" {
  description = "Create the access entries of user_access_entries. Turn off only where the EKS access entry API does not exist (the moto emulator in tests)."
  type        = bool
  default     = true
}

# -------------------------------------------------------------- node pools ----

variable "node_pools" {
  description = <<-EOT
    EKS managed node groups, as the inventory's platform_node_pools: key = pool role (the node
    label platform.mlops/pool), value = {instance_types, capacity_type (on_demand | spot),
    min_size, max_size, desired_size, gpu (NVIDIA AMI; GPU instance families only), taints
    [{key, value, effect (NoSchedule | PreferNoSchedule | NoExecute)}], labels {}}.
    desired_size is only the initial size: autoscalers own it afterwards.
  EOT
  type = map(object({
    instance_types = list(string)
    capacity_type  = string
    min_size       = number
    max_size       = number
    desired_size   = number
    gpu            = optional(bool, false)
    taints = optional(list(object({
      key    = string
      value  = optional(string, "")
      effect = string
    })), [])
    labels = optional(map(string), {})
  }))

  validation {
    condition     = length(var.node_pools) > 0 && alltrue([for k in keys(var.node_pools) : can(regex("^[a-z][a-z0-9-]{0,19}$", k))])
    error_message = "node_pools: set at least one pool; keys must be 1-20 lowercase letters, digits and '-', starting with a letter (e.g. general, training, gpu)."
  }

  validation {
    condition     = alltrue([for p in values(var.node_pools) : length(p.instance_types) > 0 && alltrue([for t in p.instance_types : can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", t))])])
    error_message = "node_pools.<pool>.instance_types: set a non-empty list of EC2 instance types written <family>.<size> (e.g. [\"t3.large\"])."
  }

  validation {
    condition     = alltrue([for p in values(var.node_pools) : contains(["on_demand", "spot"], p.capacity_type)])
    error_message = "node_pools.<pool>.capacity_type: set on_demand or spot (pools: ${join(", ", [for k, p in var.node_pools : k if !contains(["on_demand", "spot"], p.capacity_type)])})."
  }

  validation {
    condition = alltrue([for p in values(var.node_pools) :
      p.min_size >= 0 && p.max_size >= 1 && p.min_size <= p.desired_size && p.desired_size <= p.max_size &&
    floor(p.min_size) == p.min_size && floor(p.max_size) == p.max_size && floor(p.desired_size) == p.desired_size])
    error_message = "node_pools.<pool>: set whole numbers with 0 <= min_size <= desired_size <= max_size and max_size >= 1 (pools: ${join(", ", [for k, p in var.node_pools : k if !(p.min_size >= 0 && p.max_size >= 1 && p.min_size <= p.desired_size && p.desired_size <= p.max_size)])})."
  }

  validation {
    # x86_64 NVIDIA families only: the GPU pools use the AL2023 NVIDIA x86_64 AMI.
    condition = alltrue([for p in values(var.node_pools) :
      alltrue([for t in p.instance_types :
        contains(["g4dn", "g5", "g6", "g6e", "p3", "p3dn", "p4d", "p4de", "p5", "p5e", "p5en"], split(".", t)[0]) == p.gpu
    ])])
    error_message = "node_pools.<pool>.instance_types: a pool with gpu = true must use only NVIDIA GPU families (g4dn, g5, g6, g6e, p3, p3dn, p4d, p4de, p5, p5e, p5en), and a pool with gpu = false none of them (set gpu = true for GPU instance types). Pools: ${join(", ", [for k, p in var.node_pools : k if !alltrue([for t in p.instance_types : contains(["g4dn", "g5", "g6", "g6e", "p3", "p3dn", "p4d", "p4de", "p5", "p5e", "p5en"], split(".", t)[0]) == p.gpu])])}."
  }

  validation {
    condition = alltrue(flatten([for p in values(var.node_pools) : [for t in p.taints :
      contains(["NoSchedule", "PreferNoSchedule", "NoExecute"], t.effect) && length(t.key) > 0
    ]]))
    error_message = "node_pools.<pool>.taints[*]: set a non-empty key and effect NoSchedule, PreferNoSchedule or NoExecute (Kubernetes spelling; pools: ${join(", ", [for k, p in var.node_pools : k if !alltrue([for t in p.taints : contains(["NoSchedule", "PreferNoSchedule", "NoExecute"], t.effect) && length(t.key) > 0])])})."
  }

  validation {
    # CoreDNS, the controllers and the add-ons tolerate no pool taint.
    condition     = anytrue([for p in values(var.node_pools) : length(p.taints) == 0 && p.min_size >= 1])
    error_message = "node_pools: at least one pool must have no taints and min_size >= 1, for CoreDNS and the platform controllers (e.g. general)."
  }

  validation {
    condition     = alltrue([for p in values(var.node_pools) : !contains(keys(p.labels), "platform.mlops/pool")])
    error_message = "node_pools.<pool>.labels: do not set platform.mlops/pool; the module sets it to the pool key."
  }
}

# -------------------------------------------------------- workload identity ----

variable "service_accounts" {
  description = <<-EOT
    Kubernetes service accounts that get an IAM role through IRSA: key -> {namespace, name}.
    The key selects the role's permissions and is the key of the `identities` output
    (platform_infra.identities). Known keys: mlflow, argo_workflows, kserve, external_secrets,
    karpenter, aws_load_balancer_controller, ebs_csi_driver (the EKS add-on aws-ebs-csi-driver's
    controller; required while enable_eks_addons is true). null: all of them with their default
    namespaces.
  EOT
  type = map(object({
    namespace = string
    name      = string
  }))
  nullable = false
  default = {
    mlflow                       = { namespace = "mlflow", name = "mlflow" }
    argo_workflows               = { namespace = "argo", name = "argo-workflow" }
    kserve                       = { namespace = "kserve", name = "kserve-predictor" }
    external_secrets             = { namespace = "external-secrets", name = "external-secrets" }
    karpenter                    = { namespace = "karpenter", name = "karpenter" }
    aws_load_balancer_controller = { namespace = "ingress", name = "aws-load-balancer-controller" }
    ebs_csi_driver               = { namespace = "kube-system", name = "ebs-csi-controller-sa" }
  }

  validation {
    condition     = alltrue([for k in keys(var.service_accounts) : contains(["mlflow", "argo_workflows", "kserve", "external_secrets", "karpenter", "aws_load_balancer_controller", "ebs_csi_driver"], k)])
    error_message = "service_accounts: keys must be among mlflow, argo_workflows, kserve, external_secrets, karpenter, aws_load_balancer_controller, ebs_csi_driver (each has its own least-privilege policy); remove the others."
  }

  validation {
    condition = alltrue([for sa in values(var.service_accounts) :
      can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", sa.namespace)) && can(regex("^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$", sa.name))
    ])
    error_message = "service_accounts.<key>: set namespace to a DNS-1123 label and name to a DNS-1123 subdomain (lowercase letters, digits, '-')."
  }
}

variable "mlflow_artifacts_prefix" {
  description = "Key prefix (without slashes) under the artifact bucket where MLflow keeps artifacts; the mlflow role may write only there. Same as the mlflow role's mlflow_artifacts_path."
  type        = string
  default     = "mlflow"

  validation {
    condition     = can(regex("^[a-zA-Z0-9!_.*'()-]+(/[a-zA-Z0-9!_.*'()-]+)*$", var.mlflow_artifacts_prefix))
    error_message = "mlflow_artifacts_prefix: set an S3 key prefix without leading or trailing '/' (e.g. \"mlflow\")."
  }
}

# ----------------------------------------------------------------- storage ----

variable "artifact_bucket_name" {
  description = "Name of the S3 artifact bucket. null: \"<name>-artifacts-<account id>\"."
  type        = string
  default     = null

  validation {
    condition = var.artifact_bucket_name == null || (
      can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", coalesce(var.artifact_bucket_name, "x"))) &&
      !can(regex("\\.\\.", coalesce(var.artifact_bucket_name, "x"))) &&
      !can(regex("^\\d+\\.\\d+\\.\\d+\\.\\d+$", coalesce(var.artifact_bucket_name, "x"))) &&
      !can(regex("^(xn--|sthree-|amzn-s3-demo-)", coalesce(var.artifact_bucket_name, "x"))) &&
      !can(regex("(-s3alias|--ol-s3|\\.mrap|--x-s3|--table-s3)$", coalesce(var.artifact_bucket_name, "x")))
    )
    error_message = "artifact_bucket_name: set a valid S3 bucket name (3-63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit, no '..', not an IP address, no xn--/sthree-/amzn-s3-demo- prefix, no -s3alias/--ol-s3/.mrap/--x-s3/--table-s3 suffix) or null."
  }
}

variable "force_destroy" {
  description = "Let terraform destroy delete the artifact bucket and ECR repositories with their content. Forbidden when environment = prod."
  type        = bool
  default     = false
}

variable "ecr_repositories" {
  description = "ECR repositories to create (immutable tags, scan on push, KMS-encrypted)."
  type        = list(string)
  default     = ["mlops/training", "mlops/serving"]

  validation {
    condition     = alltrue([for r in var.ecr_repositories : can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", r)) && length(r) <= 256])
    error_message = "ecr_repositories: set repository names of lowercase letters, digits and . _ - separators, '/'-separated (e.g. \"mlops/training\")."
  }
}

variable "kms_deletion_window_days" {
  description = "Waiting period before a scheduled KMS key deletion takes effect, in days."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days: set a number from 7 to 30."
  }
}

# ---------------------------------------------------------------- database ----

variable "db_engine_version" {
  description = "RDS PostgreSQL engine version, pinned (\"<major>.<minor>\"); minor upgrades are changes of this value, never automatic."
  type        = string
  default     = "16.8"

  validation {
    condition     = can(regex("^1[4-7]\\.[0-9]+$", var.db_engine_version))
    error_message = "db_engine_version: set a PostgreSQL version \"<major>.<minor>\" with major 14 to 17 (e.g. \"16.8\")."
  }
}

variable "db_instance_class" {
  description = "RDS instance class of the MLflow database."
  type        = string
  default     = "db.t4g.medium"

  validation {
    condition     = can(regex("^db\\.[a-z0-9-]+\\.[a-z0-9]+$", var.db_instance_class))
    error_message = "db_instance_class: set an RDS instance class db.<family>.<size> (e.g. \"db.t4g.medium\")."
  }
}

variable "db_allocated_storage" {
  description = "Initial storage of the database in GiB (gp3); it grows automatically up to db_max_allocated_storage."
  type        = number
  default     = 20

  validation {
    condition     = var.db_allocated_storage >= 20 && var.db_allocated_storage <= 65536
    error_message = "db_allocated_storage: set a number of GiB from 20 to 65536."
  }
}

variable "db_max_allocated_storage" {
  description = "Upper bound of storage autoscaling in GiB (>= db_allocated_storage)."
  type        = number
  default     = 100

  validation {
    condition     = var.db_max_allocated_storage >= var.db_allocated_storage && var.db_max_allocated_storage <= 65536
    error_message = "db_max_allocated_storage: set a number of GiB from db_allocated_storage to 65536."
  }
}

variable "db_name" {
  description = "Name of the MLflow database."
  type        = string
  default     = "mlflow"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,62}$", var.db_name)) && !contains(["postgres", "template0", "template1", "rdsadmin"], var.db_name)
    error_message = "db_name: set 1-63 letters, digits and '_', starting with a letter, not a reserved name (postgres, template0, template1, rdsadmin)."
  }
}

variable "db_username" {
  description = "Master user of the database; RDS generates and rotates its password in Secrets Manager."
  type        = string
  default     = "mlflow"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,62}$", var.db_username)) && !contains(["postgres", "admin", "rdsadmin", "rds_superuser"], lower(var.db_username))
    error_message = "db_username: set 1-63 letters, digits and '_', starting with a letter, not a reserved name (postgres, admin, rdsadmin, rds_superuser)."
  }
}

variable "db_multi_az" {
  description = "Run the database Multi-AZ (a standby in another AZ). The dev root turns it off (cost)."
  type        = bool
  default     = true
}

variable "db_backup_retention_days" {
  description = "Days RDS keeps automated backups (point-in-time recovery window)."
  type        = number
  default     = 7

  validation {
    condition     = var.db_backup_retention_days >= 1 && var.db_backup_retention_days <= 35
    error_message = "db_backup_retention_days: set a number of days from 1 to 35."
  }
}

variable "deletion_protection" {
  description = "RDS deletion protection. Required (true) when environment = prod; the dev root turns it off so that a throw-away environment can be destroyed."
  type        = bool
  default     = true
}

variable "db_monitoring_interval" {
  description = "RDS Enhanced Monitoring interval in seconds (OS metrics to CloudWatch Logs through the <name>-rds-monitoring role); 0 turns it off."
  type        = number
  default     = 60

  validation {
    condition     = contains([0, 1, 5, 10, 15, 30, 60], var.db_monitoring_interval)
    error_message = "db_monitoring_interval: set one of 0 (off), 1, 5, 10, 15, 30, 60 seconds."
  }
}

variable "db_performance_insights_enabled" {
  description = "RDS Performance Insights (query-level load, KMS-encrypted with the platform key, 7 days free retention). Turn off only where the API does not keep it (the moto emulator in tests)."
  type        = bool
  default     = true
}

variable "db_slow_query_ms" {
  description = "PostgreSQL log_min_duration_statement of the MLflow database: statements running at least this many milliseconds are logged (exported to CloudWatch Logs). -1 turns it off."
  type        = number
  default     = 1000

  validation {
    condition     = var.db_slow_query_ms >= -1 && floor(var.db_slow_query_ms) == var.db_slow_query_ms
    error_message = "db_slow_query_ms: set a whole number of milliseconds >= 0, or -1 (off)."
  }
}

# --------------------------------------------------------------------- logs ----

variable "artifact_noncurrent_version_days" {
  description = "Days an overwritten or deleted artifact version is kept (the bucket is versioned) before S3 expires it."
  type        = number
  default     = 90

  validation {
    condition     = var.artifact_noncurrent_version_days >= 1 && floor(var.artifact_noncurrent_version_days) == var.artifact_noncurrent_version_days
    error_message = "artifact_noncurrent_version_days: set a whole number of days >= 1."
  }
}

variable "vpc_flow_log_traffic_type" {
  description = "Traffic the VPC flow log records into the log bucket: ALL, ACCEPT or REJECT."
  type        = string
  default     = "ALL"

  validation {
    condition     = contains(["ALL", "ACCEPT", "REJECT"], var.vpc_flow_log_traffic_type)
    error_message = "vpc_flow_log_traffic_type: set ALL, ACCEPT or REJECT."
  }
}

# ------------------------------------------------------------ certificates ----

variable "certificate_domains" {
  description = <<-EOT
    DNS names of the platform's ingress hosts, for one ACM certificate the ALB serves
    (the first name is the certificate's domain name, the others its subject alternative
    names), e.g. ["*.dev.example.com", "dev.example.com"]. Lowercase names; a wildcard
    only as the whole first label (it covers one level: "*.dev.example.com" covers
    mlflow.dev.example.com, not dev.example.com itself). Requested only together with
    certificate_zone_id. ACM's default quota is 10 names per certificate.
  EOT
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    # The DomainName pattern of the ACM API, restricted to lowercase (Route53 and the
    # Ingress hosts compare lowercase names) and to at least two labels.
    # Ref: https://docs.aws.amazon.com/acm/latest/APIReference/API_RequestCertificate.html
    condition = alltrue([for d in var.certificate_domains :
      length(d) <= 253 && can(regex("^(\\*\\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", d))
    ])
    error_message = "certificate_domains: set lowercase DNS names (labels of letters, digits and '-', at least two labels, at most 253 characters), with a wildcard only as the whole first label (e.g. \"*.dev.example.com\"); not valid: ${join(", ", [for d in var.certificate_domains : jsonencode(d) if !(length(d) <= 253 && can(regex("^(\\*\\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", d)))])}."
  }

  validation {
    condition     = length(distinct(var.certificate_domains)) == length(var.certificate_domains)
    error_message = "certificate_domains: list each name once."
  }

  validation {
    # The first name is the certificate's subject CN: at most 64 characters (RequestCertificate).
    condition     = length(var.certificate_domains) == 0 || length(try(var.certificate_domains[0], "")) <= 64
    error_message = "certificate_domains: the first name becomes the certificate's domain name, which ACM limits to 64 characters; put a shorter name (e.g. the wildcard of the environment's zone) first."
  }

  validation {
    condition     = length(var.certificate_domains) <= 100
    error_message = "certificate_domains: at most 100 names per ACM certificate (the hard limit; the default quota is 10)."
  }
}

variable "certificate_zone_id" {
  description = "Id of the Route53 PUBLIC hosted zone that holds certificate_domains (e.g. \"Z0123456789ABCDEFGHIJ\"): the module writes the certificate's DNS validation records there. \"\": no certificate is requested."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.certificate_zone_id == "" || can(regex("^Z[A-Z0-9]{1,32}$", var.certificate_zone_id))
    error_message = "certificate_zone_id: set the id of a Route53 hosted zone (\"Z\" and up to 32 uppercase letters and digits, without the \"/hostedzone/\" prefix), or \"\" for no certificate."
  }
}

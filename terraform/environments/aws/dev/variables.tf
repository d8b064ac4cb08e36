# The inputs the infrastructure play passes (JSON var-file) from the inventory's
# group_vars; the defaults are inventories/aws-dev's values. Values are checked
# here where the module cannot (region, environment) and by the module's own
# validations otherwise (their messages name the variable).

variable "name" {
  description = "Platform / EKS cluster name (platform_cluster_name)."
  type        = string
  default     = "mlops-dev"
}

variable "environment" {
  description = "Environment (platform_environment). This root is not for prod: use environments/aws/prod."
  type        = string
  default     = "dev"

  validation {
    condition     = contains(["dev", "test", "staging"], var.environment)
    error_message = "environment: set dev, test or staging here; prod has its own root (terraform/environments/aws/prod) with the protections on."
  }
}

variable "region" {
  description = "AWS region (platform_region)."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$", var.region))
    error_message = "region: set an AWS region code such as \"eu-west-1\"."
  }
}

variable "kubernetes_version" {
  description = "EKS Kubernetes version, quoted (platform_kubernetes_version): \"1.30\" to \"1.33\"."
  type        = string
  default     = "1.32"
}

variable "network" {
  description = "VPC (platform_network): cidr, availability_zones (2-6), nat_gateway_per_az."
  type = object({
    cidr               = string
    availability_zones = optional(number, 3)
    nat_gateway_per_az = optional(bool, false)
  })
  default = {
    cidr               = "10.0.0.0/16"
    availability_zones = 3
    nat_gateway_per_az = false
  }
}

variable "node_pools" {
  description = "Managed node groups (platform_node_pools): pool -> {instance_types, capacity_type on_demand|spot, min_size, max_size, desired_size, gpu, taints [{key, value, effect}], labels}."
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
  default = {
    general = {
      instance_types = ["t3.large"]
      capacity_type  = "on_demand"
      min_size       = 2
      max_size       = 4
      desired_size   = 2
    }
    training = {
      instance_types = ["c5.2xlarge"]
      capacity_type  = "spot"
      min_size       = 0
      max_size       = 4
      desired_size   = 0
      taints         = [{ key = "workload", value = "training", effect = "NoSchedule" }]
    }
    gpu = {
      instance_types = ["g4dn.xlarge"]
      capacity_type  = "spot"
      gpu            = true
      min_size       = 0
      max_size       = 2
      desired_size   = 0
      taints         = [{ key = "nvidia.com/gpu", value = "true", effect = "NoSchedule" }]
    }
  }
}

variable "service_accounts" {
  description = "Service accounts with an IRSA role: key -> {namespace, name}. null: the module's defaults (mlflow, argo_workflows, kserve, external_secrets, karpenter, aws_load_balancer_controller, ebs_csi_driver)."
  type = map(object({
    namespace = string
    name      = string
  }))
  default = null
}

variable "certificate_domains" {
  description = "DNS names of the ingress hosts for the ALB's ACM certificate, e.g. [\"*.dev.example.com\", \"dev.example.com\"] (lowercase; a wildcard only as the first label). Requested together with certificate_zone_id; [] for none."
  type        = list(string)
  default     = []
}

variable "certificate_zone_id" {
  description = "Id of the Route53 public hosted zone of certificate_domains (its DNS validation records go there); \"\" for no certificate."
  type        = string
  default     = ""
}

variable "cluster_endpoint_public_access" {
  description = "EKS API endpoint reachable from the internet (from cluster_endpoint_public_access_cidrs)."
  type        = bool
  default     = true
}

variable "cluster_endpoint_private_access" {
  description = "EKS API endpoint reachable from inside the VPC."
  type        = bool
  default     = true
}

variable "cluster_endpoint_public_access_cidrs" {
  description = "IPv4 CIDR blocks allowed to reach the public EKS API endpoint."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "enable_eks_addons" {
  description = "Install the EKS managed add-ons (vpc-cni, coredns, kube-proxy, aws-ebs-csi-driver). false only where the add-on API does not exist (the moto emulator)."
  type        = bool
  default     = true
}

variable "enable_karpenter_access_entry" {
  description = "Create the EKS access entry that lets Karpenter-launched nodes join the cluster."
  type        = bool
  default     = true
}

variable "user_access_entries" {
  description = "IAM role ARN -> Kubernetes groups of its EKS access entry (the platform's users; from platform_user_groups, roles/rbac)."
  type        = map(list(string))
  default     = {}
}

variable "enable_user_access_entries" {
  description = "Create the access entries of user_access_entries. false only where the access entry API does not exist (the moto emulator)."
  type        = bool
  default     = true
}

variable "db_performance_insights_enabled" {
  description = "RDS Performance Insights on the MLflow database. false only where the API does not keep it (the moto emulator)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Extra tags for every resource (provider default_tags)."
  type        = map(string)
  default     = {}
}

# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Data tables the cloud profiles check the cloud layer's rules against, each with where it came from.

Tables copied from a Terraform module's validation are kept equal to it by
tests/unit/plugins/module_utils/_cloud/test_cloud_layer_rules.py, which parses the module's variables.tf
(python-hcl2) and applies both to the same table of values.
"""

from __future__ import annotations

import re

# ---------------------------------------------------------------------------------------------------- regions
# AWS regions, commercial (aws), AWS GovCloud (aws-us-gov) and China (aws-cn) partitions.
# Ref https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html
# (the unit test checks it holds every region of these partitions in botocore's endpoints.json).
AWS_REGIONS_SOURCE = "https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html"
AWS_REGIONS = frozenset(
    (
        "af-south-1",
        "ap-east-1",
        "ap-east-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-6",
        "ap-southeast-7",
        "ca-central-1",
        "ca-west-1",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "mx-central-1",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "us-gov-east-1",
        "us-gov-west-1",
        "cn-north-1",
        "cn-northwest-1",
    )
)

# Azure regions (the `name` of `az account list-locations`, physical regions only), public cloud plus
# Azure Government and Azure operated by 21Vianet (China).
# Ref https://learn.microsoft.com/azure/reliability/regions-list
AZURE_REGIONS_SOURCE = "https://learn.microsoft.com/azure/reliability/regions-list"
AZURE_REGIONS = frozenset(
    (
        "australiacentral",
        "australiacentral2",
        "australiaeast",
        "australiasoutheast",
        "austriaeast",
        "belgiumcentral",
        "brazilsouth",
        "brazilsoutheast",
        "canadacentral",
        "canadaeast",
        "centralindia",
        "centralus",
        "chilecentral",
        "eastasia",
        "eastus",
        "eastus2",
        "francecentral",
        "francesouth",
        "germanynorth",
        "germanywestcentral",
        "indonesiacentral",
        "israelcentral",
        "italynorth",
        "japaneast",
        "japanwest",
        "jioindiacentral",
        "jioindiawest",
        "koreacentral",
        "koreasouth",
        "malaysiawest",
        "mexicocentral",
        "newzealandnorth",
        "northcentralus",
        "northeurope",
        "norwayeast",
        "norwaywest",
        "polandcentral",
        "qatarcentral",
        "southafricanorth",
        "southafricawest",
        "southcentralus",
        "southeastasia",
        "southindia",
        "spaincentral",
        "swedencentral",
        "swedensouth",
        "switzerlandnorth",
        "switzerlandwest",
        "uaecentral",
        "uaenorth",
        "uksouth",
        "ukwest",
        "westcentralus",
        "westeurope",
        "westindia",
        "westus",
        "westus2",
        "westus3",
        "usgovarizona",
        "usgovtexas",
        "usgovvirginia",
        "chinaeast",
        "chinaeast2",
        "chinaeast3",
        "chinanorth",
        "chinanorth2",
        "chinanorth3",
    )
)

# ---------------------------------------------------------------------------------------------------- EKS module
# terraform/modules/eks/variables.tf, variable "name" (the EKS cluster name, prefix of every resource name).
EKS_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")
EKS_NAME_RULE = "3-32 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit"
# terraform/modules/eks/variables.tf, variable "network": cidr prefix length and availability_zones.
EKS_PREFIX_RANGE = (16, 20)
EKS_AZ_RANGE = (2, 6)
# terraform/modules/eks/variables.tf, variable "node_pools": the GPU families a managed node group takes
# (node_groups.tf launches GPU pools from the AL2023_x86_64_NVIDIA AMI type).
EKS_NODE_GROUP_GPU_FAMILIES = ("g4dn", "g5", "g6", "g6e", "p3", "p3dn", "p4d", "p4de", "p5", "p5e", "p5en")

# The names terraform/modules/eks derives from var.name, the service that refuses a bad one, and its rule.
# IAM role names: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html (<= 64, [\w+=,.@-]).
# RDS DB instance identifiers: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.Constraints
# S3 bucket names: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
# EKS cluster names: https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateCluster.html
# EventBridge rule names: https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html
IAM_ROLE_RE = re.compile(r"^[\w+=,.@-]{1,64}$")
IAM_ROLE_RULE = "at most 64 letters, digits and +=,.@_-"
RDS_IDENTIFIER_RE = re.compile(r"^[a-z](?!.*--)[a-z0-9-]{0,61}[a-z0-9]$")
RDS_IDENTIFIER_RULE = "1-63 letters, digits and '-', starting with a letter, no '--', not ending with '-'"
S3_BUCKET_RE = re.compile(r"^(?!xn--|sthree-|amzn-s3-demo-)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
S3_BUCKET_RULE = "3-63 lowercase letters, digits, '.' and '-', not starting with xn--, sthree- or amzn-s3-demo-"
EKS_CLUSTER_RE = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")
EKS_CLUSTER_RULE = "1-100 letters, digits, '-' and '_', starting with a letter or digit"
EVENTBRIDGE_RULE_RE = re.compile(r"^[\.\-_A-Za-z0-9]{1,64}$")
EVENTBRIDGE_RULE_RULE = "at most 64 letters, digits and .-_"
# A 12-digit account id stands in for local.account_id (its length is what matters).
AWS_ACCOUNT_PLACEHOLDER = "123456789012"
# terraform/modules/eks/karpenter.tf, local.karpenter_events: one EventBridge rule <name>-karpenter-<key> each.
EKS_KARPENTER_EVENTS = ("scheduled-change", "spot-interruption", "rebalance", "instance-state-change")
# terraform/modules/eks: IAM roles besides the IRSA roles <name>-<service account key with '-'>.
EKS_FIXED_ROLE_SUFFIXES = ("cluster", "node", "rds-monitoring", "karpenter-node")

# ---------------------------------------------------------------------------------------------------- AKS module
# terraform/modules/aks/variables.tf, variables "name", "unique_suffix" and "network" (cidr prefix).
AKS_NAME_RE = re.compile(r"^[a-z][a-z0-9]{1,8}$")
AKS_UNIQUE_SUFFIX_RE = re.compile(r"^[a-z0-9]{0,4}$")
AKS_PREFIX_RANGE = (8, 20)
# terraform/modules/aks/variables.tf, variable "network": defaults the Azure roots never override.
AKS_SERVICE_CIDR = "172.16.0.0/16"
AKS_POD_CIDR = "192.168.0.0/16"
# terraform/modules/aks/network.tf: the nodes subnet is cidrsubnet(cidr, 4, 0); node_pools.tf and cluster.tf
# upgrade with max_surge 33%. Azure reserves 5 addresses of every subnet.
# Ref https://learn.microsoft.com/azure/virtual-network/virtual-networks-faq#are-there-any-restrictions-on-using-ip-addresses-within-these-subnets
AKS_NODES_SUBNET_NEWBITS = 4
AKS_MAX_SURGE_PERCENT = 33
AZURE_SUBNET_RESERVED = 5

# The names terraform/modules/aks/main.tf derives (local.names), and Azure's rules for them.
# Ref https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules
STORAGE_ACCOUNT_RE = re.compile(r"^[a-z0-9]{3,24}$")
STORAGE_ACCOUNT_RULE = "3-24 lowercase letters and digits"
KEY_VAULT_RE = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$")
KEY_VAULT_RULE = "3-24 letters, digits and single '-', starting with a letter, ending with a letter or digit"
REGISTRY_RE = re.compile(r"^[a-zA-Z0-9]{5,50}$")
REGISTRY_RULE = "5-50 letters and digits"
POSTGRES_SERVER_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
POSTGRES_SERVER_RULE = "3-63 lowercase letters, digits and '-', not starting or ending with '-'"

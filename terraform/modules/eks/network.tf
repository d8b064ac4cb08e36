# VPC: one public and one private subnet per AZ, an internet gateway, and NAT
# (one gateway, or one per AZ with network.nat_gateway_per_az). Nodes, pods (VPC
# CNI), the database and internal load balancers live in the private subnets.

data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:the module uses only the first network.availability_zones names of this list (slice in local.azs), so a zone AWS adds later does not change the subnets; pinning zone names per region would break the module's region-independence
  state = "available"

  # Local Zones and Wavelength Zones have no EKS control plane or NAT gateway.
  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

locals {
  azs = slice(data.aws_availability_zones.available.names, 0, min(var.network.availability_zones, length(data.aws_availability_zones.available.names)))

  # Private subnets: eighths 0..n-1 of the VPC (a /16 gives /19s, room for pod IPs).
  # Public subnets: the last eighth cut in eight (a /16 gives /22s), load balancers and NAT only.
  private_subnet_cidrs = [for i in range(length(local.azs)) : cidrsubnet(var.network.cidr, 3, i)]
  public_subnet_cidrs  = [for i in range(length(local.azs)) : cidrsubnet(cidrsubnet(var.network.cidr, 3, 7), 3, i)]

  nat_gateway_count = var.network.nat_gateway_per_az ? length(local.azs) : 1
}

resource "aws_vpc" "this" {
  cidr_block           = var.network.cidr
  enable_dns_support   = true
  enable_dns_hostnames = true # EKS private endpoint and RDS names resolve through the VPC resolver

  tags = merge(local.tags, { Name = var.name })

  lifecycle {
    precondition {
      condition     = length(data.aws_availability_zones.available.names) >= var.network.availability_zones
      error_message = "network.availability_zones: the region offers only ${length(data.aws_availability_zones.available.names)} availability zones; set network.availability_zones to at most that."
    }
  }
}

# The VPC's default security group: no rules, so nothing that lands in it by
# default (an ENI created without a group) can talk to anything. Every workload
# uses a group of its own (EKS cluster group, database group, LBC groups).
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, { Name = "${var.name}-default-deny" })
}

# VPC flow logs into the log bucket (storage.tf); S3 delivery needs no IAM role.
resource "aws_flow_log" "vpc" {
  vpc_id               = aws_vpc.this.id
  traffic_type         = var.vpc_flow_log_traffic_type
  log_destination_type = "s3"
  log_destination      = aws_s3_bucket.logs.arn
  tags                 = merge(local.tags, { Name = "${var.name}-vpc" })

  depends_on = [aws_s3_bucket_policy.logs]
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, { Name = var.name })
}

resource "aws_subnet" "public" {
  count = length(local.azs)

  vpc_id            = aws_vpc.this.id
  availability_zone = local.azs[count.index]
  cidr_block        = local.public_subnet_cidrs[count.index]

  tags = merge(local.tags, {
    Name                                = "${var.name}-public-${local.azs[count.index]}"
    "kubernetes.io/role/elb"            = "1" # internet-facing ALBs/NLBs (AWS Load Balancer Controller)
    "kubernetes.io/cluster/${var.name}" = "shared"
  })
}

resource "aws_subnet" "private" {
  count = length(local.azs)

  vpc_id            = aws_vpc.this.id
  availability_zone = local.azs[count.index]
  cidr_block        = local.private_subnet_cidrs[count.index]

  tags = merge(local.tags, {
    Name                                = "${var.name}-private-${local.azs[count.index]}"
    "kubernetes.io/role/internal-elb"   = "1" # internal load balancers
    "kubernetes.io/cluster/${var.name}" = "shared"
    "karpenter.sh/discovery"            = var.name # EC2NodeClass subnetSelectorTerms
  })
}

resource "aws_eip" "nat" {
  count = local.nat_gateway_count

  domain = "vpc"
  tags   = merge(local.tags, { Name = "${var.name}-nat-${local.azs[count.index]}" })

  depends_on = [aws_internet_gateway.this]
}

resource "aws_nat_gateway" "this" {
  count = local.nat_gateway_count

  allocation_id = aws_eip.nat[count.index].id
  subnet_id     = aws_subnet.public[count.index].id
  tags          = merge(local.tags, { Name = "${var.name}-${local.azs[count.index]}" })

  depends_on = [aws_internet_gateway.this]
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, { Name = "${var.name}-public" })
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  count = length(local.azs)

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

# One private route table per AZ whatever the NAT layout: switching
# nat_gateway_per_az then changes routes, not subnets.
resource "aws_route_table" "private" {
  count = length(local.azs)

  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, { Name = "${var.name}-private-${local.azs[count.index]}" })
}

resource "aws_route" "private_nat" {
  count = length(local.azs)

  route_table_id         = aws_route_table.private[count.index].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[var.network.nat_gateway_per_az ? count.index : 0].id
}

resource "aws_route_table_association" "private" {
  count = length(local.azs)

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[count.index].id
}

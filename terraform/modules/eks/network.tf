# VPC: one public and one private subnet per AZ, an internet gateway, and NAT
# (one gateway, or one per AZ with network.nat_gateway_per_az). Nodes, pods (VPC
# CNI), the database and internal load balancers live in the private subnets.

data "aws_availability_zones" "available" {
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

# RDS PostgreSQL for the MLflow backend store, in the private subnets, reachable
# only from the EKS cluster security group (which managed node groups and
# Karpenter nodes carry), KMS-encrypted. RDS generates the master password and
# keeps it in a Secrets Manager secret of its own (JSON {"username","password"}),
# encrypted with the platform key: it never passes through Terraform, its state
# or its outputs. External Secrets reads that secret (identity.tf).

resource "aws_db_subnet_group" "mlflow" {
  name       = "${var.name}-mlflow"
  subnet_ids = aws_subnet.private[*].id
  tags       = local.tags
}

resource "aws_security_group" "db" {
  name        = "${var.name}-mlflow-db"
  description = "MLflow PostgreSQL: 5432 from the EKS cluster security group only"
  vpc_id      = aws_vpc.this.id
  tags        = merge(local.tags, { Name = "${var.name}-mlflow-db" })
}

resource "aws_vpc_security_group_ingress_rule" "db_from_cluster" {
  security_group_id            = aws_security_group.db.id
  description                  = "PostgreSQL from EKS nodes and pods (cluster security group)"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
  tags                         = local.tags
}

resource "aws_db_instance" "mlflow" {
  identifier     = "${var.name}-mlflow"
  engine         = "postgres"
  engine_version = var.db_engine_version
  instance_class = var.db_instance_class

  # Pinned: minor versions change through db_engine_version, never behind Terraform's back.
  auto_minor_version_upgrade  = false
  allow_major_version_upgrade = false

  allocated_storage     = var.db_allocated_storage
  max_allocated_storage = var.db_max_allocated_storage
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = aws_kms_key.platform.arn

  db_name                       = var.db_name
  username                      = var.db_username
  manage_master_user_password   = true
  master_user_secret_kms_key_id = aws_kms_key.platform.arn

  db_subnet_group_name   = aws_db_subnet_group.mlflow.name
  vpc_security_group_ids = [aws_security_group.db.id]
  publicly_accessible    = false
  multi_az               = var.db_multi_az

  backup_retention_period   = var.db_backup_retention_days
  copy_tags_to_snapshot     = true
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = !local.is_prod
  final_snapshot_identifier = local.is_prod ? "${var.name}-mlflow-final" : null

  enabled_cloudwatch_logs_exports = ["postgresql", "upgrade"]

  tags = local.tags

  lifecycle {
    precondition {
      condition     = !local.is_prod || var.deletion_protection
      error_message = "deletion_protection: set true when environment = prod."
    }
  }
}

# Where the MLflow database is, for people and for External Secrets templates
# (a second ClusterSecretStore on Parameter Store can read it): no password here,
# the login stays in the RDS-managed secret named by secret_arn.
resource "aws_ssm_parameter" "mlflow_db" {
  name   = "/${var.name}/mlflow/db"
  type   = "SecureString"
  key_id = aws_kms_key.platform.arn
  value = jsonencode({
    host       = aws_db_instance.mlflow.address
    port       = aws_db_instance.mlflow.port
    dbname     = var.db_name
    username   = var.db_username
    secret_arn = aws_db_instance.mlflow.master_user_secret[0].secret_arn
  })
  tags = local.tags
}

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

# TLS-only connections (rds.force_ssl), and query logging: DDL statements and
# statements slower than db_slow_query_ms go to the postgresql log, which is
# exported to CloudWatch Logs.
resource "aws_db_parameter_group" "mlflow" {
  name_prefix = "${var.name}-mlflow-"
  family      = "postgres${split(".", var.db_engine_version)[0]}"
  description = "${var.name}: MLflow PostgreSQL (TLS only, query logging)"
  tags        = local.tags

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  parameter {
    name  = "log_statement"
    value = "ddl"
  }

  parameter {
    name  = "log_min_duration_statement"
    value = tostring(var.db_slow_query_ms)
  }

  lifecycle {
    # A major version upgrade needs a group of the new family before the old one goes.
    create_before_destroy = true
  }
}

# Enhanced Monitoring: RDS publishes OS metrics through this role.
data "aws_iam_policy_document" "rds_monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "rds_monitoring" {
  name               = "${var.name}-rds-monitoring"
  assume_role_policy = data.aws_iam_policy_document.rds_monitoring_assume.json
  tags               = local.tags
}

resource "aws_iam_role_policy_attachment" "rds_monitoring" {
  role       = aws_iam_role.rds_monitoring.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

resource "aws_db_instance" "mlflow" {
  #checkov:skip=CKV_AWS_226:deliberate: minor versions are pinned (db_engine_version) and upgraded as reviewed changes; an automatic upgrade would make engine_version drift and the next plan would try a downgrade
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

  # IAM database authentication on as well, for people (short-lived tokens);
  # MLflow logs in with the RDS-managed password.
  iam_database_authentication_enabled = true

  db_subnet_group_name   = aws_db_subnet_group.mlflow.name
  parameter_group_name   = aws_db_parameter_group.mlflow.name
  vpc_security_group_ids = [aws_security_group.db.id]
  publicly_accessible    = false
  multi_az               = var.db_multi_az

  backup_retention_period   = var.db_backup_retention_days
  copy_tags_to_snapshot     = true
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = !local.is_prod
  final_snapshot_identifier = local.is_prod ? "${var.name}-mlflow-final" : null

  enabled_cloudwatch_logs_exports = ["postgresql", "upgrade"]

  monitoring_interval = var.db_monitoring_interval
  monitoring_role_arn = var.db_monitoring_interval > 0 ? aws_iam_role.rds_monitoring.arn : null

  performance_insights_enabled          = var.db_performance_insights_enabled
  performance_insights_kms_key_id       = var.db_performance_insights_enabled ? aws_kms_key.platform.arn : null
  performance_insights_retention_period = var.db_performance_insights_enabled ? 7 : null

  tags = local.tags

  lifecycle {
    precondition {
      condition     = !local.is_prod || var.deletion_protection
      error_message = "deletion_protection: set true when environment = prod."
    }
  }

  depends_on = [aws_iam_role_policy_attachment.rds_monitoring]
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

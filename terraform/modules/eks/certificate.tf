# TLS for the platform's ingress hosts: one ACM certificate for
# var.certificate_domains, validated by DNS in the Route53 public hosted zone
# var.certificate_zone_id. The ALB the AWS Load Balancer Controller creates
# serves it (its ARN is the certificate_arn output, for the Ingress annotation
# alb.ingress.kubernetes.io/certificate-arn; the controller may also discover it
# by host). ACM renews it for as long as the validation records stay in place.
# Ref: https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html

locals {
  certificate_requested = length(var.certificate_domains) > 0 && var.certificate_zone_id != ""

  # One validation record per name without its "*.": ACM validates a wildcard and its
  # apex ("*.dev.example.com", "dev.example.com") with the same CNAME, which Route53
  # can hold only once. The keys come from the variable, so they are known at plan
  # time (the record names are not until the certificate exists).
  certificate_validation_keys = local.certificate_requested ? toset([for d in var.certificate_domains : trimprefix(d, "*.")]) : toset([])

  # key -> the certificate's validation records of that name (the same record, once or twice).
  certificate_validation_records = {
    for o in try(aws_acm_certificate.this[0].domain_validation_options, []) : trimprefix(o.domain_name, "*.") => {
      name  = o.resource_record_name
      type  = o.resource_record_type
      value = o.resource_record_value
    }...
  }

  certificate_zone_name = try(trimsuffix(lower(data.aws_route53_zone.certificate[0].name), "."), "")
}

data "aws_route53_zone" "certificate" {
  count = local.certificate_requested ? 1 : 0

  zone_id = var.certificate_zone_id
}

resource "aws_acm_certificate" "this" {
  count = local.certificate_requested ? 1 : 0

  domain_name               = var.certificate_domains[0]
  subject_alternative_names = slice(var.certificate_domains, 1, length(var.certificate_domains))
  validation_method         = "DNS"

  options {
    certificate_transparency_logging_preference = "ENABLED"
  }

  tags = merge(local.tags, { Name = "${var.name}-ingress" })

  lifecycle {
    # A change of names replaces the certificate: the new one is issued before the
    # old one (still attached to the ALB's listener) is deleted.
    create_before_destroy = true

    # DNS validation can only succeed in a public zone that holds every name; anything
    # else would leave aws_acm_certificate_validation waiting until its timeout.
    precondition {
      condition     = !data.aws_route53_zone.certificate[0].private_zone
      error_message = "certificate_zone_id: ${var.certificate_zone_id} is a private hosted zone; ACM validates through public DNS, set the id of the public zone of certificate_domains."
    }

    precondition {
      condition     = alltrue([for d in var.certificate_domains : trimprefix(d, "*.") == local.certificate_zone_name || endswith(d, ".${local.certificate_zone_name}")])
      error_message = "certificate_domains: every name must lie in the hosted zone certificate_zone_id (${local.certificate_zone_name}), where the validation records are written; outside it: ${join(", ", [for d in var.certificate_domains : d if !(trimprefix(d, "*.") == local.certificate_zone_name || endswith(d, ".${local.certificate_zone_name}"))])}."
    }
  }
}

resource "aws_route53_record" "certificate_validation" {
  for_each = local.certificate_validation_keys

  zone_id = var.certificate_zone_id
  name    = local.certificate_validation_records[each.key][0].name
  type    = local.certificate_validation_records[each.key][0].type
  records = [local.certificate_validation_records[each.key][0].value]
  ttl     = 300
  # allow_overwrite stays false: a record that already exists belongs to another
  # certificate of this account (same name, same CNAME) and must not be taken over
  # (destroying this environment would delete it and stop that certificate's renewal).
}

# Waits until ACM has issued the certificate (ISSUED), so that certificate_arn only
# ever names a certificate an ALB listener accepts.
# Ref: https://registry.terraform.io/providers/hashicorp/aws/5.100.0/docs/resources/acm_certificate_validation
resource "aws_acm_certificate_validation" "this" {
  count = local.certificate_requested ? 1 : 0

  certificate_arn         = aws_acm_certificate.this[0].arn
  validation_record_fqdns = [for r in aws_route53_record.certificate_validation : r.fqdn]
}

check "certificate_inputs" {
  assert {
    condition     = (length(var.certificate_domains) > 0) == (var.certificate_zone_id != "")
    error_message = "certificate_domains and certificate_zone_id: set both to request the ingress certificate, or neither; with only one of them no certificate is requested (certificate_arn is null) and the ALB has no certificate for the HTTPS hosts."
  }
}

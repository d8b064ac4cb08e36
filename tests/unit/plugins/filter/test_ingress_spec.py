from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.filter.ingress_spec import FilterModule, ingress_spec

ALB = "alb.ingress.kubernetes.io/"
NGINX = "nginx.ingress.kubernetes.io/"
AZ_LB = "service.beta.kubernetes.io/azure-load-balancer-"


def test_registered():
    assert FilterModule().filters()["ingress_spec"] is ingress_spec


CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
# What the roles pass: platform__tls, both certificate sources (each cloud reads its own).
TLS = {"certificate_arn": CERTIFICATE, "issuer": "letsencrypt"}


@pytest.mark.parametrize(
    ("cloud", "kwargs", "expected"),
    [
        (
            "aws",
            {},
            {
                "controller": "aws_load_balancer_controller",
                "tls_source": "acm",
                "class_name": "alb",
                "annotations": {
                    ALB + "backend-protocol": "HTTP",
                    ALB + "listen-ports": '[{"HTTP": 80}]',
                    ALB + "scheme": "internet-facing",
                    ALB + "target-type": "ip",
                },
                "tls": [],
                "controller_service_annotations": {},
            },
        ),
        (
            "aws",
            {"scheme": "internal", "host": "mlflow.dev.example.com", "group": "mlops", "tls": TLS, "name": "mlflow"},
            {
                "controller": "aws_load_balancer_controller",
                "tls_source": "acm",
                "class_name": "alb",
                "annotations": {
                    ALB + "backend-protocol": "HTTP",
                    ALB + "certificate-arn": CERTIFICATE,
                    ALB + "group.name": "mlops-internal",
                    ALB + "listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
                    ALB + "scheme": "internal",
                    ALB + "ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
                    ALB + "ssl-redirect": "443",
                    ALB + "target-type": "ip",
                },
                # no secretName: the ALB serves the ACM certificate
                "tls": [{"hosts": ["mlflow.dev.example.com"]}],
                "controller_service_annotations": {},
            },
        ),
        (
            "azure",
            {},
            {
                "controller": "ingress_nginx",
                "tls_source": "cert-manager",
                "class_name": "nginx",
                "annotations": {NGINX + "backend-protocol": "HTTP"},
                "tls": [],
                "controller_service_annotations": {AZ_LB + "health-probe-request-path": "/healthz"},
            },
        ),
        (
            "azure",
            {
                "scheme": "internal",
                "host": "argocd.example.com",
                "backend_protocol": "HTTPS",
                "group": "mlops",
                "tls": TLS,
                "name": "argocd",
            },
            {
                "controller": "ingress_nginx",
                "tls_source": "cert-manager",
                "class_name": "nginx-internal",
                "annotations": {
                    "cert-manager.io/cluster-issuer": "letsencrypt",
                    NGINX + "backend-protocol": "HTTPS",
                    NGINX + "force-ssl-redirect": "true",
                    NGINX + "ssl-redirect": "true",
                },
                "tls": [{"hosts": ["argocd.example.com"], "secretName": "argocd-tls"}],
                "controller_service_annotations": {
                    AZ_LB + "health-probe-request-path": "/healthz",
                    AZ_LB + "internal": "true",
                },
            },
        ),
    ],
)
def test_both_clouds(cloud, kwargs, expected):
    result = ingress_spec(cloud, **kwargs)
    assert result == expected
    assert list(result) == [
        "controller",
        "tls_source",
        "class_name",
        "annotations",
        "tls",
        "controller_service_annotations",
    ]


@pytest.mark.parametrize(
    ("cloud", "kwargs", "message"),
    [
        ("gcp", {}, r"unknown cloud 'gcp'; allowed: aws, azure, local"),
        ("aws", {"scheme": "public"}, r"scheme 'public' is not allowed; allowed: internet-facing, internal"),
        ("azure", {"scheme": None}, r"scheme null is not allowed; allowed: internet-facing, internal"),
        ("azure", {"backend_protocol": "grpc"}, r"backend_protocol 'grpc' is not allowed; allowed: HTTP, HTTPS"),
        ("aws", {"tls": TLS}, r"tls: needs a host; the ALB serves the ACM certificate of the Ingress's TLS host"),
        ("aws", {"host": "bad host"}, r"host 'bad host' is not allowed; use a DNS name"),
        ("azure", {"host": "a.example.com", "tls": TLS}, r"name: missing; the certificate's Secret is <name>-tls"),
        ("azure", {"tls": "letsencrypt"}, r"tls: must be a mapping of the certificate source, got 'letsencrypt'"),
    ],
)
def test_errors_name_the_value_and_what_is_allowed(cloud, kwargs, message):
    with pytest.raises(AnsibleFilterError, match=r"^ingress_spec: .*" + message):
        ingress_spec(cloud, **kwargs)


def test_health_path_is_the_albs_probe_and_nothing_behind_nginx():
    alb = ingress_spec("aws", host="*.models.example.com", tls=TLS, health_path="/v2/health/ready")
    assert alb["annotations"][ALB + "healthcheck-path"] == "/v2/health/ready"
    assert ALB + "healthcheck-path" not in ingress_spec("aws", host="*.models.example.com", tls=TLS)["annotations"]
    nginx = ingress_spec("azure", host="*.models.example.com", tls=TLS, name="kserve", health_path="/health")
    assert nginx == ingress_spec("azure", host="*.models.example.com", tls=TLS, name="kserve")


def test_health_path_must_be_absolute():
    with pytest.raises(AnsibleFilterError, match=r"health_path 'health' is not allowed; use an absolute path"):
        ingress_spec("aws", health_path="health")

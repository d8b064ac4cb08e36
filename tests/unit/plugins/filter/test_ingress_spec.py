from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.filter.ingress_spec import FilterModule, ingress_spec

ALB = "alb.ingress.kubernetes.io/"
NGINX = "nginx.ingress.kubernetes.io/"
AZ_LB = "service.beta.kubernetes.io/azure-load-balancer-"


def test_registered():
    assert FilterModule().filters()["ingress_spec"] is ingress_spec


@pytest.mark.parametrize(
    ("cloud", "kwargs", "expected"),
    [
        (
            "aws",
            {},
            {
                "controller": "aws_load_balancer_controller",
                "class_name": "alb",
                "annotations": {
                    ALB + "backend-protocol": "HTTP",
                    ALB + "listen-ports": '[{"HTTP": 80}]',
                    ALB + "scheme": "internet-facing",
                    ALB + "target-type": "ip",
                },
                "controller_service_annotations": {},
            },
        ),
        (
            "aws",
            {"scheme": "internal", "host": "mlflow.dev.example.com", "tls_secret": "mlflow-tls", "group": "mlops"},
            {
                "controller": "aws_load_balancer_controller",
                "class_name": "alb",
                "annotations": {
                    ALB + "backend-protocol": "HTTP",
                    ALB + "group.name": "mlops",
                    ALB + "listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
                    ALB + "scheme": "internal",
                    ALB + "ssl-redirect": "443",
                    ALB + "target-type": "ip",
                },
                "controller_service_annotations": {},
            },
        ),
        (
            "azure",
            {},
            {
                "controller": "ingress_nginx",
                "class_name": "nginx",
                "annotations": {NGINX + "backend-protocol": "HTTP"},
                "controller_service_annotations": {AZ_LB + "health-probe-request-path": "/healthz"},
            },
        ),
        (
            "azure",
            {
                "scheme": "internal",
                "host": "argocd.example.com",
                "tls_secret": "argocd-tls",
                "backend_protocol": "HTTPS",
            },
            {
                "controller": "ingress_nginx",
                "class_name": "nginx",
                "annotations": {NGINX + "backend-protocol": "HTTPS", NGINX + "ssl-redirect": "true"},
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
    assert list(result) == ["controller", "class_name", "annotations", "controller_service_annotations"]


@pytest.mark.parametrize(
    ("cloud", "kwargs", "message"),
    [
        ("gcp", {}, r"ingress_spec: unknown cloud 'gcp'; allowed: aws, azure, local"),
        ("aws", {"scheme": "public"}, r"scheme 'public' is not allowed; allowed: internet-facing, internal"),
        ("azure", {"scheme": None}, r"scheme null is not allowed; allowed: internet-facing, internal"),
        ("azure", {"backend_protocol": "grpc"}, r"backend_protocol 'grpc' is not allowed; allowed: HTTP, HTTPS"),
        ("aws", {"tls_secret": "mlflow-tls"}, r"tls_secret 'mlflow-tls' needs a host"),
        ("aws", {"host": "bad host"}, r"host 'bad host' is not allowed; use a DNS name"),
    ],
)
def test_errors_name_the_value_and_what_is_allowed(cloud, kwargs, message):
    with pytest.raises(AnsibleFilterError, match=message):
        ingress_spec(cloud, **kwargs)

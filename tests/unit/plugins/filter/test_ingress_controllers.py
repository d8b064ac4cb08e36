from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.filter.ingress_controllers import FilterModule, ingress_controllers


def test_registered():
    assert FilterModule().filters()["ingress_controllers"] is ingress_controllers


def test_azure_one_per_scheme():
    controllers = ingress_controllers("azure", ["internal", "internet-facing"])
    assert [(c["scheme"], c["class_name"], c["controller_value"], c["suffix"]) for c in controllers] == [
        ("internet-facing", "nginx", "k8s.io/ingress-nginx", ""),
        ("internal", "nginx-internal", "k8s.io/ingress-nginx-internal", "-internal"),
    ]
    assert controllers[1]["service_annotations"]["service.beta.kubernetes.io/azure-load-balancer-internal"] == "true"
    assert "service.beta.kubernetes.io/azure-load-balancer-internal" not in controllers[0]["service_annotations"]


def test_aws_one_controller():
    (controller,) = ingress_controllers("aws", ["internal", "internet-facing"])
    assert controller["class_name"] == "alb"
    assert controller["suffix"] == ""


@pytest.mark.parametrize(
    ("cloud", "schemes", "message"),
    [
        ("gcp", [], r"^ingress_controllers: unknown cloud 'gcp'"),
        ("azure", ["private"], r"^ingress_controllers: invalid ingress for azure: scheme 'private' is not allowed"),
    ],
)
def test_errors(cloud, schemes, message):
    with pytest.raises(AnsibleFilterError, match=message):
        ingress_controllers(cloud, schemes)

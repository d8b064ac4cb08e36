from __future__ import annotations

import copy
import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.filter.canary_ingress import FilterModule, canary_ingress
from ansible_collections.mlops.platform.plugins.filter.ingress_spec import ingress_spec

ALB = "alb.ingress.kubernetes.io/"
NGINX = "nginx.ingress.kubernetes.io/"
CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
# What the roles pass: platform__tls, both certificate sources (each cloud reads its own).
TLS = {"certificate_arn": CERTIFICATE, "issuer": "letsencrypt"}
HOST = "iris.models.example.com"
SPLIT = {
    "name": "iris",
    "namespace": "kserve",
    "host": HOST,
    "stable_service": "iris-predictor",
    "canary_service": "iris-canary-predictor",
    "weight": 10,
    "group": "mlops-dev",
    "tls": TLS,
    "labels": {"platform.mlops/serving": "iris"},
}


def backend(ingress: dict) -> dict:
    (rule,) = ingress["spec"]["rules"]
    (path,) = rule["http"]["paths"]
    assert (rule["host"], path["path"], path["pathType"]) == (HOST, "/", "Prefix")
    return path["backend"]["service"]


def test_registered():
    assert FilterModule().filters()["canary_ingress"] is canary_ingress


def test_aws_one_ingress_whose_forward_action_weights_both_services():
    (ingress,) = canary_ingress("aws", **SPLIT)
    annotations = ingress["metadata"]["annotations"]
    assert backend(ingress) == {"name": "iris-split", "port": {"name": "use-annotation"}}
    action = json.loads(annotations[ALB + "actions.iris-split"])
    assert action == {
        "type": "forward",
        "forwardConfig": {
            "targetGroups": [
                {"serviceName": "iris-predictor", "servicePort": 80, "weight": 90},
                {"serviceName": "iris-canary-predictor", "servicePort": 80, "weight": 10},
            ]
        },
    }
    # the rest is exactly what every other platform Ingress gets on the ALB
    spec = ingress_spec("aws", scheme="internet-facing", host=HOST, group="mlops-dev", tls=TLS, name="iris")
    assert {k: v for k, v in annotations.items() if "actions." not in k} == spec["annotations"]
    assert ingress["spec"]["ingressClassName"] == "alb"
    assert ingress["spec"]["tls"] == [{"hosts": [HOST]}]
    assert ingress["metadata"] == {
        "name": "iris",
        "namespace": "kserve",
        "labels": {"platform.mlops/serving": "iris"},
        "annotations": annotations,
    }
    assert ingress["apiVersion"] == "networking.k8s.io/v1" and ingress["kind"] == "Ingress"


def test_aws_without_canary_the_stable_service_takes_all():
    (ingress,) = canary_ingress("aws", **{**SPLIT, "canary_service": None, "weight": 0, "scheme": "internal"})
    action = json.loads(ingress["metadata"]["annotations"][ALB + "actions.iris-split"])
    assert action["forwardConfig"]["targetGroups"] == [
        {"serviceName": "iris-predictor", "servicePort": 80, "weight": 100}
    ]
    assert ingress["metadata"]["annotations"][ALB + "scheme"] == "internal"
    assert ingress["metadata"]["annotations"][ALB + "group.name"] == "mlops-dev-internal"


def test_longest_name_keeps_the_action_annotation_legal():
    (ingress,) = canary_ingress("aws", **{**SPLIT, "name": "a" * 49})
    (key,) = [k for k in ingress["metadata"]["annotations"] if "/actions." in k]
    assert len(key.split("/", maxsplit=1)[1]) == 63


def test_aws_health_path():
    (ingress,) = canary_ingress("aws", **SPLIT, health_path="/v2/health/ready")
    assert ingress["metadata"]["annotations"][ALB + "healthcheck-path"] == "/v2/health/ready"
    (nginx, _canary) = canary_ingress("azure", **SPLIT, health_path="/v2/health/ready")
    assert not any("healthcheck" in key for key in nginx["metadata"]["annotations"])


@pytest.mark.parametrize(("cloud", "class_name"), [("azure", "nginx"), ("local", "nginx")])
def test_nginx_stable_ingress_and_canary_twin(cloud, class_name):
    stable, canary = canary_ingress(cloud, **SPLIT)
    spec = ingress_spec(cloud, scheme="internet-facing", host=HOST, tls=TLS, name="iris")
    assert stable["metadata"]["name"] == "iris"
    assert stable["metadata"]["annotations"] == spec["annotations"]
    assert stable["spec"]["tls"] == [{"hosts": [HOST], "secretName": "iris-tls"}]
    assert backend(stable) == {"name": "iris-predictor", "port": {"number": 80}}
    assert canary["metadata"]["name"] == "iris-canary"
    # only the canary annotations: the controller inherits the rest from the stable Ingress, and a second
    # cert-manager annotation would make a second Certificate for the same Secret
    assert canary["metadata"]["annotations"] == {NGINX + "canary": "true", NGINX + "canary-weight": "10"}
    assert "tls" not in canary["spec"]
    assert backend(canary) == {"name": "iris-canary-predictor", "port": {"number": 80}}
    assert stable["spec"]["ingressClassName"] == canary["spec"]["ingressClassName"] == class_name
    assert canary["metadata"]["labels"] == {"platform.mlops/serving": "iris"}


def test_azure_internal_class():
    stable, canary = canary_ingress("azure", **{**SPLIT, "scheme": "internal"})
    assert stable["spec"]["ingressClassName"] == canary["spec"]["ingressClassName"] == "nginx-internal"


@pytest.mark.parametrize("kwargs", [{"canary_service": None, "weight": 0}, {"weight": 0}])
def test_nginx_without_canary_or_at_zero_one_ingress(kwargs):
    (stable,) = canary_ingress("azure", **{**SPLIT, **kwargs})
    assert backend(stable)["name"] == "iris-predictor"


def test_does_not_mutate_its_input():
    split = copy.deepcopy(SPLIT)
    first = canary_ingress("azure", **split)
    first[0]["metadata"]["labels"]["x"] = "y"
    assert split == SPLIT
    assert canary_ingress("azure", **split)[0]["metadata"]["labels"] == SPLIT["labels"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weight": 100}, r"weight 100 .* integer 0\.\.99"),
        ({"weight": -1}, r"weight -1 "),
        ({"weight": "10"}, r"weight '10' "),
        ({"weight": True}, r"weight true "),
        ({"canary_service": None}, r"weight 10: needs canary_service"),
        ({"canary_service": "iris-predictor"}, r"is the stable Service"),
        ({"name": "Iris"}, r"name 'Iris' is not allowed"),
        ({"name": "a" * 50}, r"name 'a+' is not allowed; use a DNS label of <= 49"),
        ({"stable_service": "iris_predictor"}, r"stable_service 'iris_predictor' is not allowed"),
        ({"stable_service": None}, r"stable_service: missing"),
        ({"host": None}, r"host: missing"),
        ({"namespace": "Kserve"}, r"namespace 'Kserve'"),
        ({"port": 0}, r"port 0 \(int\) is not allowed"),
        ({"labels": {"a": 1}}, r"labels: must be a mapping of strings"),
        ({"health_path": "ready"}, r"health_path 'ready'"),
        ({"scheme": "public"}, r"scheme 'public' is not allowed"),
    ],
)
@pytest.mark.parametrize("cloud", ["aws", "azure", "local"])
def test_errors_name_the_value(cloud, kwargs, message):
    with pytest.raises(AnsibleFilterError, match=r"^canary_ingress: invalid .*" + message):
        canary_ingress(cloud, **{**SPLIT, **kwargs})


def test_unknown_cloud():
    with pytest.raises(AnsibleFilterError, match=r"^canary_ingress: "):
        canary_ingress("gcp", **SPLIT)

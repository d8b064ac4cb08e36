"""Ingress controllers per scheme, and the cert-manager ACME DNS-01 solver, on every cloud."""

from __future__ import annotations

import pytest

from ansible_collections.mlops.platform.plugins.module_utils._cloud import get_profile
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError

AWS, AZURE, LOCAL = get_profile("aws"), get_profile("azure"), get_profile("local")
PROBE = "service.beta.kubernetes.io/azure-load-balancer-health-probe-request-path"
INTERNAL = "service.beta.kubernetes.io/azure-load-balancer-internal"
CLIENT_ID = "66666666-6666-6666-6666-666666666666"
SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
ZONE = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/dns/providers/Microsoft.Network/dnszones/dev.example.com"

AZURE_PUBLIC = {
    "scheme": "internet-facing",
    "class_name": "nginx",
    "controller_value": "k8s.io/ingress-nginx",
    "suffix": "",
    "service_annotations": {PROBE: "/healthz"},
}
AZURE_INTERNAL = {
    "scheme": "internal",
    "class_name": "nginx-internal",
    "controller_value": "k8s.io/ingress-nginx-internal",
    "suffix": "-internal",
    "service_annotations": {PROBE: "/healthz", INTERNAL: "true"},
}


# ---------------------------------------------------------------- ingress controllers
@pytest.mark.parametrize(
    ("schemes", "expected"),
    [
        (["internal"], [AZURE_INTERNAL]),
        (["internet-facing"], [AZURE_PUBLIC]),
        # one controller per scheme in use, public first, each once
        (["internal", "internet-facing", "internal"], [AZURE_PUBLIC, AZURE_INTERNAL]),
        # none in use: one public controller
        ([], [AZURE_PUBLIC]),
        (None, [AZURE_PUBLIC]),
    ],
)
def test_azure_one_controller_per_scheme(schemes, expected):
    assert AZURE.ingress_controllers(schemes) == expected


@pytest.mark.parametrize("scheme", ["internet-facing", "internal"])
def test_azure_controller_class_is_the_ingress_class(scheme):
    (controller,) = AZURE.ingress_controllers([scheme])
    assert controller["class_name"] == AZURE.ingress(scheme=scheme)["class_name"]


@pytest.mark.parametrize("schemes", [["internal"], ["internet-facing", "internal"], []])
def test_aws_one_controller_whatever_the_schemes(schemes):
    # The scheme is per ALB (an Ingress annotation), so one AWS Load Balancer Controller serves both.
    assert AWS.ingress_controllers(schemes) == [
        {"scheme": None, "class_name": "alb", "controller_value": None, "suffix": "", "service_annotations": {}}
    ]


def test_local_one_nginx_controller():
    (controller,) = LOCAL.ingress_controllers(["internal", "internet-facing"])
    assert controller["class_name"] == "nginx"
    assert controller["suffix"] == ""
    assert controller["service_annotations"] == {}


@pytest.mark.parametrize("profile", [AWS, AZURE, LOCAL], ids=["aws", "azure", "local"])
def test_controllers_reject_unknown_schemes(profile):
    with pytest.raises(
        PlatformError,
        match=rf"^invalid ingress for {profile.name}: scheme 'public' is not allowed; allowed: internet-facing, "
        r"internal; scheme null is not allowed",
    ):
        profile.ingress_controllers(["internal", "public", None])


# ---------------------------------------------------------------- ACME DNS-01
def solver(subscription=SUBSCRIPTION, group="dns", zone="dev.example.com") -> dict:
    return {
        "dns01": {
            "azureDNS": {
                "subscriptionID": subscription,
                "resourceGroupName": group,
                "hostedZoneName": zone,
                "environment": "AzurePublicCloud",
                "managedIdentity": {"clientID": CLIENT_ID},
            }
        }
    }


@pytest.mark.parametrize(
    ("zone_id", "expected"),
    [
        (ZONE, solver()),
        # Azure spells the provider segment dnsZones in the ids it returns
        (ZONE.replace("dnszones", "dnsZones"), solver()),
        (
            "/subscriptions/abcdef01-2345-6789-abcd-ef0123456789/resourceGroups/rg.dns-(prod)_1"
            "/providers/Microsoft.Network/dnszones/models.example.com",
            solver("abcdef01-2345-6789-abcd-ef0123456789", "rg.dns-(prod)_1", "models.example.com"),
        ),
    ],
)
def test_azure_dns01_solver_from_the_zone_id(zone_id, expected):
    assert AZURE.acme_dns01_solver(zone_id, CLIENT_ID) == expected


ZONE_PROBLEM = "platform_tls.zone_id: {} is not an Azure DNS zone resource id"
IDENTITY_PROBLEM = "platform_infra.identities.cert_manager: {} is not a managed identity client ID"


@pytest.mark.parametrize(
    ("zone_id", "identity", "problems"),
    [
        ("", CLIENT_ID, [ZONE_PROBLEM.format("''")]),
        ("dev.example.com", CLIENT_ID, [ZONE_PROBLEM.format("'dev.example.com'")]),
        (None, CLIENT_ID, [ZONE_PROBLEM.format("null")]),
        # a private DNS zone is not where Let's Encrypt looks
        (ZONE.replace("dnszones", "privateDnsZones"), CLIENT_ID, ["platform_tls.zone_id: '/subscriptions/"]),
        (ZONE + "/A/www", CLIENT_ID, ["platform_tls.zone_id: '/subscriptions/"]),
        (ZONE, "arn:aws:iam::123456789012:role/x", [IDENTITY_PROBLEM.format("'arn:aws:iam::123456789012:role/x'")]),
        (ZONE, None, [IDENTITY_PROBLEM.format("null")]),
        ("", "", [ZONE_PROBLEM.format("''"), IDENTITY_PROBLEM.format("''")]),
    ],
)
def test_azure_dns01_solver_problems(zone_id, identity, problems):
    with pytest.raises(PlatformError) as err:
        AZURE.acme_dns01_solver(zone_id, identity)
    message = str(err.value)
    # every problem in one message, the zone's first
    assert message.startswith("invalid Azure ACME DNS-01 solver: " + problems[0])
    assert all(problem in message for problem in problems)
    for variable in ("platform_tls.zone_id:", "platform_infra.identities.cert_manager:"):
        assert message.count(variable) == sum(problem.startswith(variable) for problem in problems)


@pytest.mark.parametrize(("profile", "title"), [(AWS, "AWS"), (LOCAL, "local Kubernetes")], ids=["aws", "local"])
def test_no_dns01_solver_elsewhere(profile, title):
    with pytest.raises(
        PlatformError,
        match=rf"^invalid {title} ACME DNS-01 solver: {title} has no ACME DNS-01 solver here; "
        r"use platform_tls.challenge: http01$",
    ):
        profile.acme_dns01_solver(ZONE, CLIENT_ID)

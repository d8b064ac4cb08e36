from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.filter.acme_dns01_solver import FilterModule, acme_dns01_solver

# The Azure dev inventory's platform_tls.zone_id and cert-manager's identity.
ZONE = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/dns/providers/Microsoft.Network/dnszones/"
    "dev.example.com"
)
IDENTITY = "66666666-6666-6666-6666-666666666666"


def test_registered():
    assert FilterModule().filters()["acme_dns01_solver"] is acme_dns01_solver


def test_azure():
    assert acme_dns01_solver("azure", ZONE, IDENTITY) == {
        "dns01": {
            "azureDNS": {
                "subscriptionID": "00000000-0000-0000-0000-000000000000",
                "resourceGroupName": "dns",
                "hostedZoneName": "dev.example.com",
                "environment": "AzurePublicCloud",
                "managedIdentity": {"clientID": IDENTITY},
            }
        }
    }


@pytest.mark.parametrize(
    ("cloud", "zone_id", "identity", "message"),
    [
        ("aws", "Z0123456789ABCDEFGHIJ", IDENTITY, r"^acme_dns01_solver: invalid AWS ACME DNS-01 solver: AWS has no"),
        ("local", ZONE, IDENTITY, r"^acme_dns01_solver: invalid local Kubernetes ACME DNS-01 solver: .* http01$"),
        ("azure", "", IDENTITY, r"^acme_dns01_solver: invalid Azure ACME DNS-01 solver: platform_tls.zone_id: ''"),
        ("azure", ZONE, "", r"^acme_dns01_solver: .*platform_infra.identities.cert_manager: '' is not a managed"),
        ("gcp", ZONE, IDENTITY, r"^acme_dns01_solver: unknown cloud 'gcp'"),
    ],
)
def test_errors(cloud, zone_id, identity, message):
    with pytest.raises(AnsibleFilterError, match=message):
        acme_dns01_solver(cloud, zone_id, identity)

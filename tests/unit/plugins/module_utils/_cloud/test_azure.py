from __future__ import annotations

import pytest

from ansible_collections.mlops.platform.plugins.module_utils._cloud import get_profile
from ansible_collections.mlops.platform.plugins.module_utils._cloud.azure import AzureProfile
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError

AZURE = get_profile("azure")
CLIENT_ID = "22222222-2222-2222-2222-222222222222"


def test_get_profile():
    assert isinstance(AZURE, AzureProfile)


# ---------------------------------------------------------------- workload identity
@pytest.mark.parametrize("client_id", [CLIENT_ID, "0f1e2d3c-4b5a-6978-8a9b-ACBDEF012345"])
def test_workload_identity(client_id):
    assert AZURE.workload_identity(client_id) == {
        "service_account_annotations": {"azure.workload.identity/client-id": client_id},
        "service_account_labels": {},
        "pod_labels": {"azure.workload.identity/use": "true"},
    }


@pytest.mark.parametrize(
    ("identity", "message"),
    [
        ("arn:aws:iam::123456789012:role/x", "is an IAM role ARN; on azure use a managed identity client ID"),
        ("22222222-2222-2222-2222-22222222222", "is not a managed identity client ID"),
        ("{22222222-2222-2222-2222-222222222222}", "is not a managed identity client ID"),
        ("/subscriptions/x/resourceGroups/y/providers/Microsoft.ManagedIdentity/userAssignedIdentities/z", "is not"),
        (None, "null is not a managed identity client ID"),
        (True, "true is not a managed identity client ID"),
    ],
)
def test_workload_identity_rejects(identity, message):
    with pytest.raises(PlatformError, match=message):
        AZURE.workload_identity(identity)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (CLIENT_ID, []),
        (
            "arn:aws:iam::123456789012:role/x",
            [
                "platform_infra.identities.mlflow: 'arn:aws:iam::123456789012:role/x' is an IAM role ARN; on azure use "
                "a managed identity client ID (a GUID) such as 22222222-2222-2222-2222-222222222222"
            ],
        ),
    ],
)
def test_identity_problems(value, expected):
    assert AZURE.identity_problems("mlflow", value) == expected


# ---------------------------------------------------------------- object store
@pytest.mark.parametrize(
    ("bucket", "path", "account", "expected"),
    [
        (
            "mlflow-artifacts",
            "",
            "mlopsdevartifacts",
            "wasbs://mlflow-artifacts@mlopsdevartifacts.blob.core.windows.net",
        ),
        ("mlflow", "/runs//1/", "abc", "wasbs://mlflow@abc.blob.core.windows.net/runs/1"),
        ("m1x", "a/b", "a" * 24, "wasbs://m1x@" + "a" * 24 + ".blob.core.windows.net/a/b"),
    ],
)
def test_object_store_uri(bucket, path, account, expected):
    assert AZURE.object_store_uri(bucket, path, account) == expected


@pytest.mark.parametrize(
    ("bucket", "account", "message"),
    [
        ("mlflow", None, "account: missing; azure needs the storage account name"),
        ("mlflow", "", "account: missing"),
        ("mlflow", "ab", "account: 'ab' is not a valid storage account name"),
        ("mlflow", "a" * 25, "is not a valid storage account name"),
        ("mlflow", "mlops-dev", "account: 'mlops-dev' is not a valid storage account name"),
        ("mlflow", "MlopsDev", "is not a valid storage account name"),
        ("ml--flow", "acct", "bucket: 'ml--flow' is not a valid blob container name"),
        ("ml.flow", "acct", "is not a valid blob container name"),
        ("-mlflow", "acct", "is not a valid blob container name"),
        ("mlflow-", "acct", "is not a valid blob container name"),
        ("ml", "acct", "is not a valid blob container name"),
        ("a" * 64, "acct", "is not a valid blob container name"),
        ("MLflow", "acct", "is not a valid blob container name"),
        (None, "acct", "bucket: null is not a valid blob container name"),
    ],
)
def test_object_store_rejects(bucket, account, message):
    with pytest.raises(PlatformError, match=message):
        AZURE.object_store_uri(bucket, "", account)


# ---------------------------------------------------------------- ingress
NGINX = "nginx.ingress.kubernetes.io/"


HTTPS = {NGINX + "force-ssl-redirect": "true", NGINX + "ssl-redirect": "true"}


@pytest.mark.parametrize(
    ("kwargs", "class_name", "annotations", "tls"),
    [
        ({}, "nginx", {NGINX + "backend-protocol": "HTTP"}, []),
        (
            # internal: the class of the controller behind the internal load balancer; group selects nothing here
            {"scheme": "internal", "backend_protocol": "HTTPS", "group": "platform"},
            "nginx-internal",
            {NGINX + "backend-protocol": "HTTPS"},
            [],
        ),
        (
            {"host": "mlflow.example.com", "tls": {"issuer": "letsencrypt", "certificate_arn": ""}, "name": "mlflow"},
            "nginx",
            {"cert-manager.io/cluster-issuer": "letsencrypt", NGINX + "backend-protocol": "HTTP", **HTTPS},
            [{"hosts": ["mlflow.example.com"], "secretName": "mlflow-tls"}],
        ),
        (
            {"scheme": "internal", "host": "*.models.example.com", "tls": {"issuer": "platform-ca"}, "name": "kserve"},
            "nginx-internal",
            {"cert-manager.io/cluster-issuer": "platform-ca", NGINX + "backend-protocol": "HTTP", **HTTPS},
            [{"hosts": ["*.models.example.com"], "secretName": "kserve-tls"}],
        ),
    ],
)
def test_ingress(kwargs, class_name, annotations, tls):
    spec = AZURE.ingress(**kwargs)
    assert spec == {
        "controller": "ingress_nginx",
        "tls_source": "cert-manager",
        "class_name": class_name,
        "annotations": annotations,
        "tls": tls,
    }
    assert list(spec["annotations"]) == sorted(annotations)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scheme": "private"}, "scheme 'private' is not allowed; allowed: internet-facing, internal"),
        ({"backend_protocol": "http"}, "backend_protocol 'http' is not allowed; allowed: HTTP, HTTPS"),
        ({"host": "-bad-.example.com"}, "host '-bad-.example.com' is not allowed"),
        ({"group": "A" * 10}, "group 'AAAAAAAAAA' is not allowed"),
        ({"tls": {}}, r"tls.issuer: null is not a ClusterIssuer name; cert-manager issues the host's"),
        ({"tls": {"issuer": "Lets Encrypt"}}, r"tls.issuer: 'Lets Encrypt' is not a ClusterIssuer name"),
        (
            {"host": "mlflow.example.com", "tls": {"issuer": "letsencrypt"}},
            r"name: missing; the certificate's Secret is <name>-tls",
        ),
        ({"tls": ["letsencrypt"]}, r"tls: must be a mapping of the certificate source, got \['letsencrypt'\]"),
    ],
)
def test_ingress_rejects(kwargs, message):
    with pytest.raises(PlatformError, match=message):
        AZURE.ingress(**kwargs)


PROBE = "service.beta.kubernetes.io/azure-load-balancer-health-probe-request-path"
INTERNAL = "service.beta.kubernetes.io/azure-load-balancer-internal"


@pytest.mark.parametrize(
    ("scheme", "expected"),
    [
        ("internet-facing", {PROBE: "/healthz"}),
        ("internal", {PROBE: "/healthz", INTERNAL: "true"}),
    ],
)
def test_controller_service_annotations(scheme, expected):
    assert AZURE.ingress_controller_service_annotations(scheme) == expected


# ---------------------------------------------------------------- node pools
def pool(**overrides):
    base = {
        "name": "system",
        "instance_types": ["Standard_D4s_v3"],
        "capacity_type": "on_demand",
        "min_size": 1,
        "max_size": 2,
    }
    return {**base, **overrides}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("general", pool()),
        ("training", pool(name="training", capacity_type="spot", min_size=0)),
        (
            "gpu",
            pool(
                name="gpu",
                instance_types=["Standard_NC6s_v3", "Standard_ND96asr_v4", "Standard_NV36ads_A10_v5"],
                gpu=True,
            ),
        ),
        ("gpu", pool(name="gpu1", instance_types=["Standard_NC4as_T4_v3"], gpu=True, capacity_type="spot", min_size=0)),
    ],
)
def test_node_pool_ok(key, value):
    assert AZURE.node_pool_problems(key, value) == []


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        (
            "gpu",
            pool(name="gpu", instance_types=["g4dn.xlarge"], gpu=True),
            [
                "platform_node_pools.gpu.instance_types[0]: 'g4dn.xlarge' is an EC2 instance type; on azure use an "
                "Azure VM size such as Standard_NC6s_v3 (GPU families: NC*, ND*, NV* sizes)"
            ],
        ),
        (
            "general",
            pool(instance_types=["standard_d4s_v3"]),
            [
                "platform_node_pools.general.instance_types[0]: 'standard_d4s_v3' is not an Azure VM size; use "
                "Standard_<size> such as Standard_D4s_v3"
            ],
        ),
        (
            "gpu",
            pool(name="gpu", instance_types=["Standard_D8s_v3"], gpu=True),
            [
                "platform_node_pools.gpu.instance_types[0]: 'Standard_D8s_v3' has no NVIDIA GPU but the pool sets "
                "gpu: true; use a GPU family (NC*, ND*, NV* sizes) such as Standard_NC6s_v3"
            ],
        ),
        (
            "training",
            pool(name=None),
            [
                "platform_node_pools.training.name: missing; AKS needs a node pool name "
                "(1-12 lowercase letters and digits, starting with a letter)"
            ],
        ),
        (
            "training",
            pool(name="training-pool1"),
            [
                "platform_node_pools.training.name: 'training-pool1' is not a valid AKS node pool name (1-12 lowercase "
                "letters and digits, starting with a letter)"
            ],
        ),
        (
            "training",
            pool(name="1gpu"),
            [
                "platform_node_pools.training.name: '1gpu' is not a valid AKS node pool name "
                "(1-12 lowercase letters and digits, starting with a letter)"
            ],
        ),
        (
            "general",
            pool(capacity_type="spot", min_size=0),
            [
                "platform_node_pools.general.capacity_type: the general pool is the AKS system pool, "
                "which cannot be spot"
            ],
        ),
        # AKS allows a spot pool a minimum above zero (issue 10, class 6: no false rejection).
        ("training", pool(name="training", capacity_type="spot", min_size=2, max_size=4), []),
        (
            "training",
            pool(name="training", capacity_type="Spot"),
            ["platform_node_pools.training.capacity_type: 'Spot' is not allowed; allowed: on_demand, spot"],
        ),
    ],
)
def test_node_pool_problems(key, value, expected):
    assert AZURE.node_pool_problems(key, value) == expected


@pytest.mark.parametrize("value", [None, 3, ["x"]])
def test_node_pool_garbage_is_left_to_preflight(value):
    assert AZURE.node_pool_problems("gpu", value) == []


# ---------------------------------------------------------------- region
@pytest.mark.parametrize("region", ["westeurope", "eastus2", "germanywestcentral", "uksouth"])
def test_region_ok(region):
    assert AZURE.region_problems(region) == []


@pytest.mark.parametrize(
    ("region", "message"),
    [
        ("eu-west-1", "platform_region: 'eu-west-1' is an AWS region; on azure use an Azure region"),
        ("West Europe", "platform_region: 'West Europe' is not an Azure region; on azure use an Azure region"),
        ("west-europe", "is not an Azure region"),
        (42, "platform_region: 42 (int) is not an Azure region"),
    ],
)
def test_region_problems(region, message):
    (problem,) = AZURE.region_problems(region)
    assert message in problem
    assert problem.endswith("such as westeurope")


# ---------------------------------------------------------------- autoscaling (KEDA)
def test_autoscaler_is_keda():
    assert AZURE.autoscaler() == {"controller": "keda", "chart": "keda", "crd_chart": None, "identity": None}


KEDA_SETTINGS = {
    "karpenter_pools": "ignored on azure",
    "scalers": [{"name": "s", "query": "sum(up)", "threshold": "1", "min_replicas": 1, "max_replicas": 2}],
    "scaler_targets": {"s": {"name": "web", "namespace": "serving"}},
    "prometheus_url": "http://prometheus.monitoring.svc:9090",
}


def test_autoscaler_objects_keda():
    objects = AZURE.autoscaler_objects(KEDA_SETTINGS)
    assert objects["node_pools"] == []
    (scaled,) = objects["scalers"]
    # kind defaults to Deployment; the ScaledObject sits beside its target
    assert scaled["metadata"] == {"name": "s", "namespace": "serving"}
    assert scaled["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}
    assert scaled["spec"]["triggers"][0]["metadata"]["serverAddress"] == "http://prometheus.monitoring.svc:9090"


@pytest.mark.parametrize(
    ("target", "workload"),
    [
        ({"kind": "Deployment", "name": "web", "namespace": "serving"}, {"kind": "Deployment", "name": "web"}),
        ({"kind": "StatefulSet", "name": "workers", "namespace": "argo"}, {"kind": "StatefulSet", "name": "workers"}),
        (
            {"kind": "InferenceService", "name": "llm", "namespace": "kserve"},
            {"kind": "Deployment", "name": "llm-predictor"},
        ),
    ],
)
def test_autoscaler_objects_keda_targets(target, workload):
    settings = {**KEDA_SETTINGS, "scaler_targets": {"s": target}}
    settings["scalers"] = [{**KEDA_SETTINGS["scalers"][0], "query": 'sum(x{namespace="$namespace", name="$name"})'}]
    (scaled,) = AZURE.autoscaler_objects(settings)["scalers"]
    assert scaled["metadata"]["namespace"] == target["namespace"]
    assert scaled["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", **workload}
    assert scaled["spec"]["triggers"][0]["metadata"]["query"] == (
        f'sum(x{{namespace="{target["namespace"]}", name="{target["name"]}"}})'
    )


def test_autoscaler_objects_keda_reports_every_problem():
    with pytest.raises(PlatformError) as err:
        AZURE.autoscaler_objects({"scalers": [{"name": "s", "query": "sum($x)"}], "scaler_targets": {"s": {}}})
    assert str(err.value).startswith("invalid KEDA scalers: prometheus_url: null is not an http(s) URL")
    for part in (
        "scalers[0].query: unknown placeholder(s) $x; allowed: $namespace, $name",
        "scalers[0].threshold: null is not a non-negative number",
        "scalers[0].min_replicas: must be a non-negative integer, got null",
        "scaler_targets.s.name: missing",
        "scaler_targets.s.namespace: missing",
    ):
        assert part in str(err.value)
    assert "scaled_objects_namespace" not in str(err.value)


def test_default_storage_class_is_aks_own():
    # AKS ships the Azure Disk CSI driver and its default class managed-csi.
    assert AZURE.default_storage_class() is None


def test_ebs_csi_driver_identity_is_not_passed_to_the_aks_root():
    assert "ebs_csi_driver" not in AZURE.terraform_service_account_keys

"""The local profile: an existing kind cluster with in-cluster MinIO and Kubernetes Secrets as the cloud."""

from __future__ import annotations

import json

import pytest

from ansible_collections.mlops.platform.plugins.filter.object_store_credentials import object_store_credentials
from ansible_collections.mlops.platform.plugins.module_utils import preflight
from ansible_collections.mlops.platform.plugins.module_utils._cloud import get_profile
from ansible_collections.mlops.platform.plugins.module_utils._cloud.local import LocalProfile
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError

LOCAL = get_profile("local")
MINIO = "minio.local-services.svc.cluster.local:9000"
SA = {"namespace": "external-secrets", "name": "external-secrets"}
NO_IDENTITY = {"service_account_annotations": {}, "service_account_labels": {}, "pod_labels": {}}


def test_registered():
    assert isinstance(LOCAL, LocalProfile)
    assert LOCAL.terraform_root is False
    assert get_profile("aws").terraform_root is True and get_profile("azure").terraform_root is True


# ---------------------------------------------------------------- identity: none
@pytest.mark.parametrize("identity", [None, ""])
def test_no_workload_identity_means_no_annotations(identity):
    assert LOCAL.workload_identity(identity) == NO_IDENTITY
    assert LOCAL.identity_problems("mlflow", identity) == []


@pytest.mark.parametrize("identity", ["arn:aws:iam::123456789012:role/x", "22222222-2222-2222-2222-222222222222"])
def test_a_cloud_identity_is_refused(identity):
    assert LOCAL.identity_problems("mlflow", identity) == [
        f"platform_infra.identities.mlflow: {identity!r} is set, but a local cluster has no workload identity; "
        "remove it"
    ]
    with pytest.raises(PlatformError, match="no workload identity"):
        LOCAL.workload_identity(identity)


# ---------------------------------------------------------------- recognisers
@pytest.mark.parametrize("value", ["kind", "local", "kind-worker", "local-node-1"])
def test_node_names(value):
    assert LOCAL.node_pool_problems("general", {"instance_types": [value], "capacity_type": "on_demand"}) == []


def test_cloud_instance_types_and_regions_are_named():
    pool = {"instance_types": ["t3.large"], "capacity_type": "on_demand"}
    assert LOCAL.node_pool_problems("general", pool) == [
        "platform_node_pools.general.instance_types[0]: 't3.large' is an EC2 instance type; "
        "on local use a local node name such as kind"
    ]
    assert LOCAL.region_problems("local") == []
    assert "is an AWS region" in LOCAL.region_problems("eu-west-1")[0]


def test_no_gpu_pool():
    pool = {"instance_types": ["kind"], "capacity_type": "on_demand", "gpu": True}
    assert "has no NVIDIA GPU" in LOCAL.node_pool_problems("gpu", pool)[0]


def test_other_clouds_name_a_local_value():
    (problem,) = get_profile("aws").node_pool_problems("general", {"instance_types": ["kind"], "capacity_type": "spot"})
    assert "'kind' is a local node name; on aws use an EC2 instance type" in problem
    # No identity is never taken for a local one elsewhere: aws still asks for its role ARN.
    assert get_profile("aws").identity_problems("mlflow", None) == [
        "platform_infra.identities.mlflow: null is not an IAM role ARN; on aws use an IAM role ARN "
        "(arn:aws:iam::<12-digit account id>:role/<name>) such as arn:aws:iam::123456789012:role/mlops-dev-mlflow"
    ]


# ---------------------------------------------------------------- object store: MinIO
def test_object_store_uri_is_s3():
    assert LOCAL.object_store_uri("mlops-kind-artifacts", "/mlflow/") == "s3://mlops-kind-artifacts/mlflow"
    assert LOCAL.object_store_uri("mlops-kind-artifacts") == "s3://mlops-kind-artifacts"


@pytest.mark.parametrize(
    ("bucket", "account", "message"),
    [
        ("Bad_Bucket", None, "'Bad_Bucket' is not a valid S3 bucket name"),
        ("artifacts", "mlopsdev", "MinIO has no storage account; leave it null on local"),
    ],
)
def test_object_store_problems(bucket, account, message):
    with pytest.raises(PlatformError, match=message):
        LOCAL.object_store_uri(bucket, "mlflow", account)


def test_artifact_repository_is_minio_with_keys_from_a_secret():
    repo = LOCAL.artifact_repository("mlops-kind-artifacts", None, "argo", region="ignored")
    assert repo == {
        "s3": {
            "bucket": "mlops-kind-artifacts",
            "endpoint": MINIO,
            "insecure": True,
            "region": "us-east-1",
            "keyFormat": "argo/{{workflow.name}}/{{pod.name}}",
            "accessKeySecret": {"name": "object-store-credentials", "key": "AWS_ACCESS_KEY_ID"},
            "secretKeySecret": {"name": "object-store-credentials", "key": "AWS_SECRET_ACCESS_KEY"},
        }
    }


def test_model_store_annotations_point_at_minio():
    assert LOCAL.model_store_annotations() == {
        "serving.kserve.io/s3-endpoint": MINIO,
        "serving.kserve.io/s3-region": "us-east-1",
        "serving.kserve.io/s3-useanoncredential": "false",
        "serving.kserve.io/s3-usehttps": "0",
    }


def test_object_store_credentials_come_from_an_external_secret():
    creds = LOCAL.object_store_credentials("mlflow", "platform-secrets")
    assert creds["secret_name"] == "object-store-credentials"
    assert creds["keys"] == {"access_key": "AWS_ACCESS_KEY_ID", "secret_key": "AWS_SECRET_ACCESS_KEY"}
    assert creds["env"]["MLFLOW_S3_ENDPOINT_URL"] == f"http://{MINIO}"
    assert creds["env"]["AWS_ENDPOINT_URL_S3"] == f"http://{MINIO}"
    (secret,) = creds["objects"]
    assert secret["kind"] == "ExternalSecret" and secret["metadata"] == {
        "name": "object-store-credentials",
        "namespace": "mlflow",
    }
    assert secret["spec"]["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "platform-secrets"}
    assert secret["spec"]["target"]["name"] == "object-store-credentials"
    assert {d["secretKey"]: d["remoteRef"] for d in secret["spec"]["data"]} == {
        "AWS_ACCESS_KEY_ID": {"key": "object-store", "property": "access_key"},
        "AWS_SECRET_ACCESS_KEY": {"key": "object-store", "property": "secret_key"},
    }
    # Never a credential: only references.
    assert "password" not in json.dumps(creds).lower()


@pytest.mark.parametrize("cloud", ["aws", "azure"])
def test_clouds_with_identity_need_no_credentials(cloud):
    assert get_profile(cloud).object_store_credentials("mlflow", "platform-secrets") == {
        "secret_name": None,
        "keys": {},
        "env": {},
        "objects": [],
    }


@pytest.mark.parametrize(
    ("namespace", "store", "message"),
    [("Bad_NS", "platform-secrets", "namespace 'Bad_NS'"), ("mlflow", None, "secret_store: missing")],
)
def test_object_store_credentials_problems(namespace, store, message):
    with pytest.raises(PlatformError, match=message):
        LOCAL.object_store_credentials(namespace, store)


def test_object_store_credentials_filter():
    assert (
        object_store_credentials("local", "argo", "platform-secrets")["objects"][0]["metadata"]["namespace"] == "argo"
    )


# ---------------------------------------------------------------- secret store: kubernetes provider
def test_secret_store_is_the_kubernetes_provider():
    assert LOCAL.secret_store_provider("platform-secrets", SA) == {
        "kubernetes": {
            "remoteNamespace": "platform-secrets",
            "server": {
                "caProvider": {
                    "type": "ConfigMap",
                    "name": "kube-root-ca.crt",
                    "key": "ca.crt",
                    "namespace": "external-secrets",
                }
            },
            "auth": {"serviceAccount": SA},
        }
    }


@pytest.mark.parametrize(
    ("ref", "tenant", "message"),
    [
        ("eu-west-1.x", None, "is not a namespace name"),
        ("https://mlops-dev-kv.vault.azure.net/", None, "is not a namespace name"),
        ("platform-secrets", "22222222-2222-2222-2222-222222222222", "has no tenant"),
    ],
)
def test_secret_store_problems(ref, tenant, message):
    with pytest.raises(PlatformError, match=message):
        LOCAL.secret_store_provider(ref, SA, tenant)


# ---------------------------------------------------------------- the rest
def test_ingress_is_nginx():
    # As on Azure (cert-manager issues the Secret <name>-tls), but one class whatever the scheme.
    spec = LOCAL.ingress(scheme="internal", host="mlflow.localtest.me", tls={"issuer": "platform-ca"}, name="mlflow")
    assert spec == {
        "controller": "ingress_nginx",
        "tls_source": "cert-manager",
        "class_name": "nginx",
        "annotations": {
            "cert-manager.io/cluster-issuer": "platform-ca",
            "nginx.ingress.kubernetes.io/backend-protocol": "HTTP",
            "nginx.ingress.kubernetes.io/force-ssl-redirect": "true",
            "nginx.ingress.kubernetes.io/ssl-redirect": "true",
        },
        "tls": [{"hosts": ["mlflow.localtest.me"], "secretName": "mlflow-tls"}],
    }
    assert LOCAL.ingress_controller_service_annotations() == {}


def test_ingress_tls_needs_an_issuer_and_a_name():
    with pytest.raises(PlatformError, match=r"tls.issuer: null is not a ClusterIssuer name.*; name: missing"):
        LOCAL.ingress(host="mlflow.localtest.me", tls={})


def test_no_default_storage_class_and_no_autoscaler_objects():
    assert LOCAL.default_storage_class() is None
    assert LOCAL.autoscaler_objects({}) == {"node_pools": [], "scalers": []}


def test_no_kubeconfig_exec():
    with pytest.raises(NotImplementedError):
        LOCAL.kubeconfig_exec("mlops-kind", "local")


# ---------------------------------------------------------------- preflight: no Terraform on local
def _terraform_problems(value):
    config = {"platform_cloud": "local", "infrastructure_terraform": value}
    return [p for p in preflight.preflight_problems(config) if p.startswith("infrastructure_terraform")]


@pytest.mark.parametrize("value", [True, "true", None])
def test_preflight_requires_no_terraform_on_local(value):
    (problem,) = _terraform_problems(value)
    assert "local has no Terraform root" in problem and "set infrastructure_terraform: false" in problem


@pytest.mark.parametrize("value", [False, "false"])
def test_preflight_accepts_an_existing_cluster(value):
    assert _terraform_problems(value) == []

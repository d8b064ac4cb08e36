"""The teardown's decisions over realistic objects (kubectl get -A -o json items, terraform show -json)."""

from __future__ import annotations

import json
from dataclasses import replace

from ansible_collections.mlops.platform.plugins.module_utils.teardown import (
    CLUSTER_STEPS,
    KINDS,
    claim_holders,
    claim_volumes,
    database_blockers,
    database_notes,
    order_problems,
    parse_show,
    purge_plan,
    purge_summary,
    remaining,
    retained,
    select,
    state_inventory,
    step_report,
    timeout_message,
    unreachable_message,
    vpc_leftovers,
    vpc_leftovers_message,
)


def obj(kind, namespace, name, finalizers=(), **extra):
    return {"kind": kind, "metadata": {"namespace": namespace, "name": name, "finalizers": list(finalizers)}, **extra}


ISVC = obj("InferenceService", "kserve", "iris", ["inferenceservice.finalizers"])
APP = obj("Application", "argocd", "models", ["resources-finalizer.argocd.argoproj.io"])
LB_SERVICE = obj(
    "Service",
    "ingress-nginx",
    "ingress-nginx-controller",
    ["service.kubernetes.io/load-balancer-cleanup"],
    spec={"type": "LoadBalancer"},
    status={"loadBalancer": {"ingress": [{"hostname": "k8s-ingressn-abc.elb.eu-west-1.amazonaws.com"}]}},
)
CLUSTER_IP = obj("Service", "mlflow", "mlflow", spec={"type": "ClusterIP"})
PENDING_LB = obj("Service", "kserve", "iris-lb", spec={"type": "LoadBalancer"}, status={"loadBalancer": {}})
INGRESS = obj(
    "Ingress",
    "mlflow",
    "mlflow",
    ["ingress.k8s.aws/resources"],
    status={"loadBalancer": {"ingress": [{"hostname": "k8s-mlflow-0123.eu-west-1.elb.amazonaws.com"}]}},
)
PVC_DB = obj("PersistentVolumeClaim", "mlflow", "data-postgres-0", ["kubernetes.io/pvc-protection"])
PVC_PROM = obj("PersistentVolumeClaim", "monitoring", "prometheus-db", ["kubernetes.io/pvc-protection"])


def pv(name, namespace, claim, reclaim, source):
    return {
        "kind": "PersistentVolume",
        "metadata": {"name": name},
        "spec": {
            "claimRef": {"namespace": namespace, "name": claim},
            "persistentVolumeReclaimPolicy": reclaim,
            **source,
        },
    }


PVS = [
    pv(
        "pvc-1",
        "mlflow",
        "data-postgres-0",
        "Delete",
        {"csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "vol-0a1"}},
    ),
    pv(
        "pvc-2",
        "monitoring",
        "prometheus-db",
        "Retain",
        {"azureDisk": {"diskURI": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/d1"}},
    ),
    {"kind": "PersistentVolume", "metadata": {"name": "unbound"}, "spec": {"persistentVolumeReclaimPolicy": "Retain"}},
]


def test_steps_keep_the_order_that_absorbs_the_blockers():
    assert [step.name for step in CLUSTER_STEPS] == ["argocd", "workloads", "load-balancers", "volumes"]
    assert order_problems() == []
    assert all(res in KINDS for step in CLUSTER_STEPS for res in step.resources)
    # Only the load-balancer step refuses to force its objects away (a load balancer left in the VPC).
    assert {step.name: step.on_timeout for step in CLUSTER_STEPS}["load-balancers"] == "fail"
    assert {step.on_timeout for step in CLUSTER_STEPS if step.name != "load-balancers"} == {"strip"}


def test_a_reordered_teardown_is_caught():
    """Planted defects: load balancers before the workloads, CronWorkflows after Workflows."""
    swapped = (CLUSTER_STEPS[0], CLUSTER_STEPS[2], CLUSTER_STEPS[1], CLUSTER_STEPS[3])
    assert "inferenceservices.serving.kserve.io must be deleted before ingresses.networking.k8s.io" in order_problems(
        swapped
    )
    workloads = CLUSTER_STEPS[1]
    crons_last = replace(workloads, resources=tuple(reversed(workloads.resources)))
    assert order_problems((CLUSTER_STEPS[0], crons_last, *CLUSTER_STEPS[2:])) == [
        "cronworkflows.argoproj.io must be deleted before workflows.argoproj.io"
    ]
    assert "applications.argoproj.io or inferenceservices.serving.kserve.io is in no step" in order_problems(
        CLUSTER_STEPS[:1]
    )


def test_only_load_balancer_services_are_selected_with_their_load_balancer():
    chosen = select("services", [CLUSTER_IP, PENDING_LB, LB_SERVICE])
    assert [ref.describe() for ref in chosen] == [
        "Service ingress-nginx/ingress-nginx-controller (load balancer k8s-ingressn-abc.elb.eu-west-1.amazonaws.com)",
        "Service kserve/iris-lb",
    ]
    assert chosen[0].finalizers == ("service.kubernetes.io/load-balancer-cleanup",)
    (ingress,) = select("ingresses.networking.k8s.io", [INGRESS])
    assert ingress.describe() == "Ingress mlflow/mlflow (load balancer k8s-mlflow-0123.eu-west-1.elb.amazonaws.com)"


def test_custom_resources_are_selected_whatever_their_finalizers():
    (isvc,) = select("inferenceservices.serving.kserve.io", [ISVC])
    assert isvc.label == "InferenceService kserve/iris" and isvc.finalizers == ("inferenceservice.finalizers",)
    (app,) = select("applications.argoproj.io", [APP])
    assert app.label == "Application argocd/models"


def test_claims_carry_their_volume_and_retain_ones_are_reported():
    volumes = claim_volumes(PVS)
    assert set(volumes) == {("mlflow", "data-postgres-0"), ("monitoring", "prometheus-db")}
    details = {claim: vol.describe() for claim, vol in volumes.items()}
    chosen = select("persistentvolumeclaims", [PVC_PROM, PVC_DB], details)
    assert [ref.describe() for ref in chosen] == [
        "PersistentVolumeClaim mlflow/data-postgres-0 (PV pvc-1 (ebs.csi.aws.com vol-0a1, reclaimPolicy Delete))",
        "PersistentVolumeClaim monitoring/prometheus-db (PV pvc-2 (kubernetes.io/azure-disk "
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/d1, reclaimPolicy Retain))",
    ]
    assert [v.pv for v in retained(volumes)] == ["pvc-2"]


def test_workloads_that_mount_the_claims_are_scaled_down_first():
    def pod(namespace, name, claim, owner=None):
        meta = {"namespace": namespace, "name": name}
        if owner:
            meta["ownerReferences"] = [{"kind": owner[0], "name": owner[1], "controller": True}]
        volumes = [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}] if claim else []
        return {"metadata": meta, "spec": {"volumes": [*volumes, {"name": "tmp", "emptyDir": {}}]}}

    pods = [
        pod("mlflow", "postgres-0", "data-postgres-0", ("StatefulSet", "postgres")),
        pod("monitoring", "prometheus-5d9c-x1", "prometheus-db", ("ReplicaSet", "prometheus-5d9c")),
        pod("monitoring", "debug", "prometheus-db"),
        pod("monitoring", "grafana-77-a", None, ("ReplicaSet", "grafana-77")),
        pod("other", "postgres-0", "data-postgres-0", ("StatefulSet", "postgres")),  # same claim name, other ns
    ]
    replicasets = [
        {"metadata": {"namespace": "monitoring", "name": "prometheus-5d9c", "ownerReferences": [
            {"kind": "Deployment", "name": "prometheus"}]}},
    ]  # fmt: skip
    claims = {("mlflow", "data-postgres-0"), ("monitoring", "prometheus-db")}
    assert claim_holders(pods, replicasets, claims) == [
        ("deployments", "monitoring", "prometheus"),
        ("pods", "monitoring", "debug"),
        ("statefulsets", "mlflow", "postgres"),
    ]


def test_remaining_and_the_messages():
    chosen = select("services", [LB_SERVICE, PENDING_LB])
    left = remaining(chosen, [LB_SERVICE, CLUSTER_IP])
    assert [ref.name for ref in left] == ["ingress-nginx-controller"]
    message = timeout_message(CLUSTER_STEPS[2], left, 300)
    assert "teardown_wait_timeout=300s" in message and "k8s-ingressn-abc.elb" in message and "VPC" in message
    line = unreachable_message("mlops-dev", "https://127.0.0.1:6443", "connection refused")
    assert "https://127.0.0.1:6443" in line and "-e teardown_cluster_cleanup=false" in line and "\n" not in line
    assert step_report("volumes", [], [], False) == "volumes: nothing to delete"
    assert step_report("workloads", ["InferenceService kserve/iris"], [], True) == (
        "workloads: would delete 1: InferenceService kserve/iris"
    )


# `terraform show -json` of the AWS dev root, trimmed to what the teardown reads (and a value it must not).
SHOW = {
    "format_version": "1.0",
    "values": {
        "outputs": {"db_secret_ref": {"sensitive": False, "value": "arn:aws:secretsmanager:...:rds!db-1"}},
        "root_module": {
            "child_modules": [
                {
                    "address": "module.platform",
                    "resources": [
                        {
                            "mode": "managed",
                            "type": "aws_s3_bucket",
                            "values": {
                                "bucket": "mlops-dev-artifacts-123",
                                "force_destroy": False,
                                "region": "eu-west-1",
                            },
                        },
                        {
                            "mode": "managed",
                            "type": "aws_s3_bucket",
                            "values": {"bucket": "mlops-dev-logs-123", "force_destroy": True, "region": "eu-west-1"},
                        },
                        {
                            "mode": "managed",
                            "type": "aws_s3_bucket_versioning",
                            "values": {
                                "bucket": "mlops-dev-artifacts-123",
                                "versioning_configuration": [{"status": "Enabled", "mfa_delete": ""}],
                            },
                        },
                        {"mode": "data", "type": "aws_s3_bucket", "values": {"bucket": "someone-elses"}},
                        {"mode": "managed", "type": "aws_backup_vault", "values": {"name": "mlops-dev-vault"}},
                        {
                            "mode": "managed",
                            "type": "aws_db_instance",
                            "values": {
                                "identifier": "mlops-prod-mlflow",
                                "skip_final_snapshot": False,
                                "final_snapshot_identifier": "mlops-prod-mlflow-final",
                                "deletion_protection": True,
                                "password": None,
                            },
                        },
                    ],
                }
            ]
        },
    },
}


def test_state_inventory_names_what_the_state_owns():
    inv = state_inventory(parse_show(json.dumps(SHOW)))
    assert inv.buckets == ["mlops-dev-artifacts-123", "mlops-dev-logs-123"]
    assert inv.versioned == {"mlops-dev-artifacts-123"}
    assert inv.force_destroy == {"mlops-dev-artifacts-123": False, "mlops-dev-logs-123": True}
    assert inv.backup_vaults == ["mlops-dev-vault"] and inv.region == "eu-west-1"
    assert inv.databases == [
        {
            "identifier": "mlops-prod-mlflow",
            "skip_final_snapshot": False,
            "final_snapshot_identifier": "mlops-prod-mlflow-final",
            "deletion_protection": True,
        }
    ]
    empty = state_inventory(parse_show(""))
    assert empty.buckets == [] and empty.databases == []
    assert state_inventory(parse_show('{"format_version": "1.0"}')).buckets == []


def test_database_blockers():
    inv = state_inventory(SHOW)
    problems = database_blockers(inv.databases, {"mlops-prod-mlflow-final"})
    assert len(problems) == 2
    assert "deletion protection" in problems[0] and "DBSnapshotAlreadyExists" in problems[1]
    dev = [{**inv.databases[0], "skip_final_snapshot": True, "deletion_protection": False}]
    assert database_blockers(dev, {"mlops-prod-mlflow-final"}) == []
    assert database_notes(dev) == [
        "RDS instance mlops-prod-mlflow: deleted without a final snapshot (skip_final_snapshot, non-prod)"
    ]
    assert "final snapshot mlops-prod-mlflow-final kept" in database_notes(inv.databases)[0]


def test_purge_plan_takes_every_version_and_delete_marker_in_batches():
    pages = [
        {
            "Versions": [
                {"Key": "mlflow/1/model.pkl", "VersionId": "v3", "IsLatest": True},
                {"Key": "mlflow/1/model.pkl", "VersionId": "v2", "IsLatest": False},
                {"Key": "mlflow/1/MLmodel", "VersionId": "v1", "IsLatest": False},
            ],
            "DeleteMarkers": [{"Key": "mlflow/1/MLmodel", "VersionId": "m1", "IsLatest": True}],
            "IsTruncated": True,
        },
        {"Versions": [{"Key": "argo/out.tgz", "VersionId": "null"}], "DeleteMarkers": [], "IsTruncated": False},
        {},
    ]
    plan = purge_plan("b", pages, batch=2)
    assert (plan.versions, plan.delete_markers, plan.objects) == (4, 1, 3)
    assert [len(batch) for batch in plan.batches] == [2, 2, 1]
    flat = [entry for batch in plan.batches for entry in batch]
    assert {"Key": "mlflow/1/MLmodel", "VersionId": "m1"} in flat
    assert {"Key": "argo/out.tgz", "VersionId": "null"} in flat
    assert len(purge_plan("b", pages).batches) == 1  # 1000 keys a DeleteObjects request
    assert purge_plan("b", [{}]).batches == []
    assert purge_summary(plan, "deleted") == "s3://b: deleted 4 object versions and 1 delete markers of 3 keys"


def test_what_the_controllers_left_in_the_vpc_is_found():
    inv = state_inventory(SHOW)
    inv.vpcs, inv.security_groups = ["vpc-1"], {"sg-db"}
    balancers = [
        {"LoadBalancerName": "k8s-mlflow-0123", "DNSName": "k8s-mlflow-0123.elb.amazonaws.com", "VpcId": "vpc-1",
         "LoadBalancerArn": "arn:lb/1"},
        {"LoadBalancerName": "elsewhere", "VpcId": "vpc-2", "LoadBalancerArn": "arn:lb/2"},
    ]  # fmt: skip
    groups = [
        {"GroupId": "sg-default", "GroupName": "default", "VpcId": "vpc-1"},
        {"GroupId": "sg-db", "GroupName": "mlops-dev-db", "VpcId": "vpc-1"},
        {"GroupId": "sg-lb", "GroupName": "k8s-traffic-mlopsdev-abc", "VpcId": "vpc-1"},
        {"GroupId": "sg-other", "GroupName": "other", "VpcId": "vpc-2"},
    ]
    left = vpc_leftovers(inv, balancers, groups)
    assert left == [
        "load balancer k8s-mlflow-0123 (k8s-mlflow-0123.elb.amazonaws.com)",
        "security group sg-lb (k8s-traffic-mlopsdev-abc)",
    ]
    assert "DependencyViolation" in vpc_leftovers_message(left) and "teardown_cluster_cleanup=true" in (
        vpc_leftovers_message(left)
    )
    inv.load_balancers = {"arn:lb/1"}
    assert vpc_leftovers(inv, balancers, groups) == ["security group sg-lb (k8s-traffic-mlopsdev-abc)"]

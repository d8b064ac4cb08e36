# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The teardown's decisions, without I/O: what playbooks/destroy.yml deletes, in which order, and why.

The known blockers of a ``terraform destroy`` of a platform cluster (what made the original's teardown a
manual job), absorbed while the cluster and its controllers still run:

* Argo CD ApplicationSets/Applications first: with automated sync and self-heal they would re-create what the
  next steps delete; their ``resources-finalizer.argocd.argoproj.io`` deletes the managed resources, which the
  application controller does only while it runs.
* KServe InferenceServices and Argo Workflows (CronWorkflows before Workflows: a cron would start new ones),
  whose finalizers need their controllers.
* Services of type LoadBalancer and Ingresses: the AWS Load Balancer Controller (or the cloud's service
  controller) deletes the load balancer AND the security groups it made only when the object goes; left
  behind, those security groups keep ``terraform destroy`` from deleting the VPC (DependencyViolation).
* PersistentVolumeClaims, after the workloads that mount them are scaled to 0 (the ``pvc-protection``
  finalizer holds a claim while a pod uses it); PVs with reclaimPolicy Delete take their EBS / Azure Disk
  volume with them (the CSI driver deletes it), Retain ones are reported with their volume handles.
* Then the cloud: versioned bucket objects, every version and delete marker (S3 ``DeleteBucket`` needs an
  empty bucket, and with ``force_destroy = false``, as in prod, Terraform does not empty it), AWS Backup
  recovery points of the vaults the state owns, and the RDS final snapshot / deletion protection that would
  make ``terraform destroy`` fail half-way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Step:
    """One step of the in-cluster cleanup: the resources (kubectl names) deleted together and waited for."""

    name: str
    resources: tuple
    # What happens to objects still there when teardown_wait_timeout passes: "strip" removes their finalizers
    # (the objects only lived in the cluster, which goes next); "fail" stops the run (a cloud load balancer
    # whose object is forced away stays in the VPC and blocks terraform destroy).
    on_timeout: str
    why: str


# The order of the in-cluster cleanup (module docstring). ``resources`` are kubectl resource names; a resource
# the cluster does not serve (CRD not installed) is skipped.
CLUSTER_STEPS = (
    Step(
        "argocd",
        ("applicationsets.argoproj.io", "applications.argoproj.io"),
        "strip",
        "Argo CD would re-create (self-heal) what the next steps delete",
    ),
    Step(
        "workloads",
        (
            "inferenceservices.serving.kserve.io",
            "cronworkflows.argoproj.io",
            "workflows.argoproj.io",
            "workflowtemplates.argoproj.io",
        ),
        "strip",
        "their finalizers need the KServe and Argo Workflows controllers, which go with the cluster",
    ),
    Step(
        "load-balancers",
        ("ingresses.networking.k8s.io", "services"),
        "fail",
        "the controller deletes the cloud load balancer and its security groups only when the object goes",
    ),
    Step(
        "volumes",
        ("persistentvolumeclaims",),
        "strip",
        "PVs with reclaimPolicy Delete take their cloud volume with them; Retain ones are reported",
    ),
)

# Deleted before (left) what they would otherwise re-create or keep alive (right): the order CLUSTER_STEPS must keep.
MUST_PRECEDE = (
    ("applicationsets.argoproj.io", "applications.argoproj.io"),  # an ApplicationSet regenerates Applications
    ("applications.argoproj.io", "inferenceservices.serving.kserve.io"),  # self-heal re-creates what it manages
    ("applications.argoproj.io", "services"),
    ("cronworkflows.argoproj.io", "workflows.argoproj.io"),  # a CronWorkflow starts new Workflows
    ("inferenceservices.serving.kserve.io", "ingresses.networking.k8s.io"),  # KServe makes Ingresses
    ("inferenceservices.serving.kserve.io", "persistentvolumeclaims"),
    ("ingresses.networking.k8s.io", "persistentvolumeclaims"),
    ("services", "persistentvolumeclaims"),
)


def order_problems(steps: tuple = CLUSTER_STEPS) -> list:
    """Where ``steps`` break MUST_PRECEDE (a resource deleted at the same time or after what it must precede)."""
    position = {res: (i, j) for i, step in enumerate(steps) for j, res in enumerate(step.resources)}
    problems = []
    for first, then in MUST_PRECEDE:
        if first not in position or then not in position:
            problems.append(f"{first} or {then} is in no step")
        elif position[first] >= position[then]:
            problems.append(f"{first} must be deleted before {then}")
    return problems


# kubectl resource name -> the kind its objects have (for messages and selection).
KINDS = {
    "applicationsets.argoproj.io": "ApplicationSet",
    "applications.argoproj.io": "Application",
    "inferenceservices.serving.kserve.io": "InferenceService",
    "cronworkflows.argoproj.io": "CronWorkflow",
    "workflows.argoproj.io": "Workflow",
    "workflowtemplates.argoproj.io": "WorkflowTemplate",
    "ingresses.networking.k8s.io": "Ingress",
    "services": "Service",
    "persistentvolumeclaims": "PersistentVolumeClaim",
}


@dataclass(frozen=True)
class ObjectRef:
    resource: str
    namespace: str
    name: str
    finalizers: tuple = ()
    # What goes with it outside the cluster: a load balancer's hostname, a claim's volume.
    detail: str = ""

    @property
    def label(self) -> str:
        return f"{KINDS.get(self.resource, self.resource)} {self.namespace}/{self.name}"

    def describe(self) -> str:
        return self.label + (f" ({self.detail})" if self.detail else "")


def _load_balancer_address(obj: dict) -> str:
    ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return ", ".join(entry.get("hostname") or entry.get("ip") or "" for entry in ingress if entry)


def select(resource: str, items: list, volumes: dict | None = None) -> list:
    """The objects of ``resource`` (a ``kubectl get -A -o json`` items list) the teardown deletes, sorted.

    Services: only type LoadBalancer (a ClusterIP Service has nothing in the cloud). Objects already being
    deleted are kept (they are waited for). ``volumes``: claim (namespace, name) -> detail, for PVCs.
    """
    chosen = []
    for obj in items:
        meta = obj.get("metadata") or {}
        if resource == "services" and (obj.get("spec") or {}).get("type") != "LoadBalancer":
            continue
        key = (meta.get("namespace", ""), meta.get("name", ""))
        if resource in ("services", "ingresses.networking.k8s.io"):
            address = _load_balancer_address(obj)
            detail = f"load balancer {address}" if address else ""
        elif resource == "persistentvolumeclaims":
            detail = (volumes or {}).get(key, "")
        else:
            detail = ""
        chosen.append(ObjectRef(resource, key[0], key[1], tuple(meta.get("finalizers") or ()), detail))
    return sorted(chosen, key=lambda ref: (ref.namespace, ref.name))


@dataclass(frozen=True)
class Volume:
    claim: tuple  # (namespace, name)
    pv: str
    reclaim: str
    handle: str  # the cloud volume: EBS vol-..., Azure Disk resource ID
    driver: str

    def describe(self) -> str:
        return f"PV {self.pv} ({self.driver or 'in-tree'} {self.handle or 'no handle'}, reclaimPolicy {self.reclaim})"


def _volume_handle(spec: dict) -> tuple:
    """(driver, handle) of a PV: CSI, or the in-tree EBS / Azure Disk sources."""
    if spec.get("csi"):
        return spec["csi"].get("driver", ""), spec["csi"].get("volumeHandle", "")
    if spec.get("awsElasticBlockStore"):
        return "kubernetes.io/aws-ebs", spec["awsElasticBlockStore"].get("volumeID", "")
    if spec.get("azureDisk"):
        return "kubernetes.io/azure-disk", spec["azureDisk"].get("diskURI", "")
    return "", ""


def claim_volumes(pvs: list) -> dict:
    """claim (namespace, name) -> Volume, from the cluster's PersistentVolumes."""
    found = {}
    for pv in pvs:
        spec = pv.get("spec") or {}
        ref = spec.get("claimRef") or {}
        if not ref.get("name"):
            continue
        driver, handle = _volume_handle(spec)
        found[(ref.get("namespace", ""), ref["name"])] = Volume(
            (ref.get("namespace", ""), ref["name"]),
            pv["metadata"]["name"],
            spec.get("persistentVolumeReclaimPolicy", "Delete"),
            handle,
            driver,
        )
    return found


def retained(volumes: dict) -> list:
    """The volumes that outlive their claim (reclaimPolicy Retain): they stay in the cloud, billed."""
    return sorted((v for v in volumes.values() if v.reclaim == "Retain"), key=lambda v: v.claim)


def claim_holders(pods: list, replicasets: list, claims: set) -> list:
    """The workloads to scale to 0 before their claims can go: ``[(resource, namespace, name)]``, sorted.

    A pod mounting one of ``claims`` is owned by a StatefulSet, or by a ReplicaSet owned by a Deployment
    (the pod-protection finalizer holds the claim while the pod runs, and the owner would start a new pod).
    A pod without such an owner is deleted itself (``("pods", ns, name)``).
    """
    rs_owner = {}
    for rs in replicasets:
        meta = rs.get("metadata") or {}
        for owner in meta.get("ownerReferences") or []:
            if owner.get("kind") == "Deployment":
                rs_owner[(meta.get("namespace", ""), meta.get("name", ""))] = ("deployments", owner["name"])
    holders = set()
    for pod in pods:
        meta = pod.get("metadata") or {}
        namespace = meta.get("namespace", "")
        used = {
            (namespace, (vol.get("persistentVolumeClaim") or {}).get("claimName"))
            for vol in (pod.get("spec") or {}).get("volumes") or []
            if vol.get("persistentVolumeClaim")
        }
        if not used & claims:
            continue
        owners = meta.get("ownerReferences") or []
        holder = ("pods", namespace, meta.get("name", ""))
        for owner in owners:
            if owner.get("kind") == "StatefulSet":
                holder = ("statefulsets", namespace, owner["name"])
            elif owner.get("kind") == "ReplicaSet" and (namespace, owner.get("name")) in rs_owner:
                resource, name = rs_owner[(namespace, owner["name"])]
                holder = (resource, namespace, name)
            elif owner.get("kind") == "ReplicaSet":
                holder = ("replicasets", namespace, owner["name"])
        holders.add(holder)
    return sorted(holders)


def remaining(selected: list, items_now: list) -> list:
    """The selected objects still present (same namespace/name) in a later listing."""
    present = {
        ((i.get("metadata") or {}).get("namespace", ""), (i.get("metadata") or {}).get("name")) for i in items_now
    }
    return [ref for ref in selected if (ref.namespace, ref.name) in present]


def timeout_message(step: Step, left: list, timeout: int) -> str:
    """One message for objects still there after the timeout of a step whose leftovers stop the run."""
    names = "; ".join(ref.describe() for ref in left)
    return (
        f"Teardown step {step.name}: still there after teardown_wait_timeout={timeout}s: {names}. "
        f"Not forced away: {step.why}, and a load balancer left behind keeps terraform destroy from deleting "
        "the VPC. Check the controller's logs (aws-load-balancer-controller / the cloud's service controller), "
        "or delete the load balancers by hand and rerun; teardown_wait_timeout raises the wait."
    )


def unreachable_message(cluster: str, server: str, reason: str) -> str:
    return (
        f"Teardown of {cluster}: cannot reach the Kubernetes API at {server or '(no server in the kubeconfig)'} "
        f"({reason}). The in-cluster cleanup (finalizers, load balancers, volumes) runs before terraform destroy; "
        "if the cluster is already gone, rerun with -e teardown_cluster_cleanup=false."
    )


# ------------------------------------------------------------------------------------------------ cloud


@dataclass
class StateInventory:
    """What ``terraform show -json`` says the state owns that the teardown looks at (names only, no values)."""

    buckets: list = field(default_factory=list)  # S3 bucket names
    versioned: set = field(default_factory=set)  # buckets with versioning Enabled/Suspended
    force_destroy: dict = field(default_factory=dict)  # bucket -> force_destroy
    backup_vaults: list = field(default_factory=list)  # AWS Backup vault names
    databases: list = field(default_factory=list)  # dicts: identifier, skip_final_snapshot, ...
    containers: list = field(default_factory=list)  # Azure storage containers ("account/container")
    vpcs: list = field(default_factory=list)  # VPC IDs
    security_groups: set = field(default_factory=set)  # security group IDs the state manages
    load_balancers: set = field(default_factory=set)  # load balancer ARNs the state manages
    region: str = ""


def _resources(module: dict):
    yield from module.get("resources") or []
    for child in module.get("child_modules") or []:
        yield from _resources(child)


def state_inventory(show: dict) -> StateInventory:
    """The names from a ``terraform show -json`` document (empty state: ``{}`` or no ``values``)."""
    inv = StateInventory()
    root = (show.get("values") or {}).get("root_module") or {}
    for res in _resources(root):
        if res.get("mode") != "managed":
            continue
        kind, values = res.get("type"), res.get("values") or {}
        if kind == "aws_s3_bucket":
            inv.buckets.append(values.get("bucket") or values.get("id"))
            inv.force_destroy[values.get("bucket") or values.get("id")] = bool(values.get("force_destroy"))
            inv.region = inv.region or values.get("region") or ""
        elif kind == "aws_s3_bucket_versioning":
            status = ((values.get("versioning_configuration") or [{}])[0] or {}).get("status")
            if status in ("Enabled", "Suspended"):
                inv.versioned.add(values.get("bucket"))
        elif kind == "aws_backup_vault":
            inv.backup_vaults.append(values.get("name"))
        elif kind == "aws_db_instance":
            inv.databases.append(
                {
                    "identifier": values.get("identifier"),
                    "skip_final_snapshot": bool(values.get("skip_final_snapshot")),
                    "final_snapshot_identifier": values.get("final_snapshot_identifier") or "",
                    "deletion_protection": bool(values.get("deletion_protection")),
                }
            )
        elif kind == "aws_vpc":
            inv.vpcs.append(values.get("id"))
        elif kind in ("aws_security_group", "aws_default_security_group"):
            inv.security_groups.add(values.get("id"))
        elif kind in ("aws_lb", "aws_alb", "aws_elb"):
            inv.load_balancers.add(values.get("arn") or values.get("id"))
        elif kind == "azurerm_storage_container":
            inv.containers.append(values.get("name"))
    inv.buckets = sorted(b for b in inv.buckets if b)
    inv.backup_vaults = sorted(v for v in inv.backup_vaults if v)
    return inv


def parse_show(text: str) -> dict:
    text = (text or "").strip()
    return json.loads(text) if text else {}


def database_blockers(databases: list, existing_snapshots: set) -> list:
    """What would make terraform destroy fail on an RDS instance, as messages (empty: none).

    deletion_protection: DeleteDBInstance is refused. A final snapshot whose identifier already exists (a
    previous destroy's): DeleteDBInstance fails with DBSnapshotAlreadyExists. Both only after Terraform has
    deleted everything before it, so they are checked first.
    """
    problems = []
    for db in databases:
        if db["deletion_protection"]:
            problems.append(
                f"RDS instance {db['identifier']} has deletion protection: terraform destroy would stop on it. "
                "Set deletion_protection = false in the root and apply first (a deliberate step, prod keeps it on)."
            )
        if not db["skip_final_snapshot"] and db["final_snapshot_identifier"] in existing_snapshots:
            problems.append(
                f"RDS final snapshot {db['final_snapshot_identifier']} (of {db['identifier']}) already exists: "
                "terraform destroy would fail with DBSnapshotAlreadyExists. Copy it to another name and delete "
                "it, or keep it and change final_snapshot_identifier."
            )
    return problems


def database_notes(databases: list) -> list:
    return [
        f"RDS instance {db['identifier']}: "
        + (
            "deleted without a final snapshot (skip_final_snapshot, non-prod)"
            if db["skip_final_snapshot"]
            else f"final snapshot {db['final_snapshot_identifier']} kept after the destroy"
        )
        for db in databases
    ]


@dataclass
class Purge:
    """The delete requests that empty one bucket, and what they hold."""

    bucket: str
    batches: list = field(default_factory=list)  # [[{"Key": ..., "VersionId": ...}], ...] <= 1000 each
    objects: int = 0  # distinct keys
    versions: int = 0
    delete_markers: int = 0


# DeleteObjects takes at most 1000 keys per request:
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
MAX_DELETE = 1000


def purge_plan(bucket: str, pages: list, batch: int = MAX_DELETE) -> Purge:
    """The DeleteObjects batches for every version and delete marker in ``pages`` (ListObjectVersions
    responses; an unversioned bucket lists its objects with VersionId "null")."""
    plan = Purge(bucket)
    keys, entries = set(), []
    for page in pages:
        for version in page.get("Versions") or []:
            entries.append({"Key": version["Key"], "VersionId": version.get("VersionId") or "null"})
            keys.add(version["Key"])
            plan.versions += 1
        for marker in page.get("DeleteMarkers") or []:
            entries.append({"Key": marker["Key"], "VersionId": marker.get("VersionId") or "null"})
            keys.add(marker["Key"])
            plan.delete_markers += 1
    plan.objects = len(keys)
    plan.batches = [entries[i : i + batch] for i in range(0, len(entries), batch)]
    return plan


def purge_summary(plan: Purge, verb: str) -> str:
    """One line: ``verb`` is deleted, would delete, holds."""
    return (
        f"s3://{plan.bucket}: {verb} {plan.versions} object versions and {plan.delete_markers} delete markers "
        f"of {plan.objects} keys"
    )


def step_report(step: str, objects: list, scaled: list, check_mode: bool) -> str:
    if not objects:
        return f"{step}: nothing to delete"
    verb = "would delete" if check_mode else "deleted"
    line = f"{step}: {verb} {len(objects)}: " + "; ".join(objects)
    if scaled:
        line += f" (after scaling to 0: {'; '.join(scaled)})"
    return line


def vpc_leftovers(inv: StateInventory, load_balancers: list, security_groups: list) -> list:
    """What the cluster's controllers made in the state's VPCs that Terraform does not manage, as descriptions:
    load balancers (DescribeLoadBalancers items) and security groups (DescribeSecurityGroups items; the VPC's
    default group excepted). Any of them fails the VPC's deletion with DependencyViolation."""
    vpcs = set(inv.vpcs)
    left = [
        f"load balancer {lb.get('LoadBalancerName')} ({lb.get('DNSName', '')})"
        for lb in load_balancers
        if lb.get("VpcId") in vpcs and lb.get("LoadBalancerArn") not in inv.load_balancers
    ]
    left += [
        f"security group {sg['GroupId']} ({sg.get('GroupName', '')})"
        for sg in security_groups
        if sg.get("VpcId") in vpcs and sg["GroupId"] not in inv.security_groups and sg.get("GroupName") != "default"
    ]
    return left


def vpc_leftovers_message(left: list) -> str:
    return (
        "Refusing to run terraform destroy: the VPC holds what the cluster's controllers made and Terraform does "
        f"not manage, so deleting the VPC would fail (DependencyViolation): {'; '.join(left)}. Rerun with "
        "teardown_cluster_cleanup=true while the cluster runs (its controllers delete them with their Services and "
        "Ingresses), or delete them in the console / CLI."
    )

"""The facts the behaviour checks need about one rendered inventory, and the checks by name.

One source per fact: the node pools as the cloud profile says their nodes will be (the collection's own
``node_pools`` filter over the inventory's ``platform_node_pools``), the exposure each host is wished
(the inventory's ``*_ingress_scheme`` over the roles' defaults), the namespaces where GPU work is submitted at
run time (Argo's workflow namespaces from the RBAC in the render; KServe's from ``platform_service_accounts``).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from . import behaviour as B
from . import manifests
from . import serving as S

REPO = Path(__file__).resolve().parents[3]

# The inventories whose renders the harness checks for behaviour: the dev ones users run, and test ones
# that turn every optional feature on (scalers, GitOps, every host, TLS, receivers, InferenceServices).
INVENTORIES = {
    "aws-dev": REPO / "inventories" / "aws-dev",
    "azure-dev": REPO / "inventories" / "azure-dev",
    "aws-full": REPO / "tests" / "integration" / "inventories" / "aws-full",
    "azure-full": REPO / "tests" / "integration" / "inventories" / "azure-full",
}
FULL = ("aws-full", "azure-full")

# (enabled flag or "", host variable, scheme variable) of every Ingress the roles render.
INGRESS_HOSTS = (
    ("mlflow_ingress_enabled", "mlflow_ingress_host", "mlflow_ingress_scheme"),
    ("", "argo_workflows_ingress_host", "argo_workflows_ingress_scheme"),
    ("argocd_ingress_enabled", "argocd_host", "argocd_ingress_scheme"),
    ("monitoring_grafana_ingress_enabled", "monitoring_grafana_ingress_host", "monitoring_grafana_ingress_scheme"),
)
ROLES_WITH_INGRESS = ("mlflow", "argo_workflows", "argocd", "monitoring", "kserve")


def inventory_settings(inventory: Path) -> dict:
    """The platform defaults and the roles' Ingress defaults, overridden by the inventory's group_vars."""
    values: dict = yaml.safe_load((REPO / "roles/platform/defaults/main/platform.yml").read_text()) or {}
    for role in ROLES_WITH_INGRESS:
        values.update(yaml.safe_load((REPO / "roles" / role / "defaults" / "main.yml").read_text()) or {})
    for path in sorted((inventory / "group_vars" / "all").glob("*.yml")):
        values.update(yaml.safe_load(path.read_text()) or {})
    return values


def expected_exposure(values: dict) -> dict:
    """host -> internal | internet-facing, as the inventory wishes it."""
    wished = {}
    for enabled, host, scheme in INGRESS_HOSTS:
        if (not enabled or values.get(enabled)) and values.get(host):
            wished[values[host]] = values[scheme]
    # The public host of each served model (<name>.<kserve_ingress_domain>, the canary split's Ingress); the hosts
    # KServe makes per InferenceService at run time are no rendered object.
    domain = values.get("kserve_ingress_domain") if values.get("kserve_enabled", True) else ""
    for service in values.get("kserve_inference_services") or [] if domain else []:
        wished[f"{service['name']}.{domain}"] = values["kserve_ingress_scheme"]
    return wished


def identity_bindings(values: dict) -> dict:
    """(namespace, service account) -> the cloud profile's workload identity, for every account an enabled
    component needs a cloud identity for (the catalog says which)."""
    from ansible_collections.mlops.platform.plugins.module_utils._cloud import get_profile

    catalog = yaml.safe_load((REPO / "roles/platform/defaults/main/components.yml").read_text())
    cloud, accounts = values["platform_cloud"], values["platform_service_accounts"]
    keys = {
        key
        for component, entry in catalog["platform_component_catalog"].items()
        if values.get(f"{component}_enabled", True)
        for key in (entry.get("identities") or {}).get(cloud, [])
    }
    return {
        (accounts[key]["namespace"], accounts[key]["name"]): get_profile(cloud).workload_identity(
            values["platform_infra"]["identities"][key]
        )
        for key in sorted(keys)
    }


def pipeline_placement(inventory: Path) -> dict:
    """WorkflowTemplate template name -> the pool key it must run on, for the ML pipeline's steps of the training
    class (pipeline/src/mlops_pipeline/spec.py): the inventory's training pool, or its GPU pool when training uses
    a GPU (the ml_pipeline role's defaults, overridden by the inventory)."""
    import importlib
    import sys

    values: dict = yaml.safe_load((REPO / "roles/ml_pipeline/defaults/main.yml").read_text()) or {}
    for path in sorted((inventory / "group_vars" / "all").glob("*.yml")):
        values.update(yaml.safe_load(path.read_text()) or {})
    if not values.get("ml_pipeline_enabled", True):
        return {}
    pool = (
        values["ml_pipeline_gpu_pool"] if values.get("ml_pipeline_train_gpu") else values["ml_pipeline_training_pool"]
    )
    source = str(REPO / "pipeline" / "src")
    if source not in sys.path:
        sys.path.insert(0, source)
    spec = importlib.import_module("mlops_pipeline.spec")
    return {step.name: pool for step in spec.STEPS if step.pool == "training"}


def facts(inventory: Path, build_dir: Path) -> dict:
    """{objs, cloud, pools, expected, runtime, bindings} of the render of ``inventory`` in ``build_dir``."""
    from ansible_collections.mlops.platform.plugins.filter.node_pools import node_pools

    values = inventory_settings(inventory)
    objs = manifests.all_objects(manifests.load_tree(build_dir / values["platform_cluster_name"]))
    return {
        "objs": objs,
        "cloud": values["platform_cloud"],
        # the cloud profile's view of the pools (implicit labels and taints): the one source of the facts
        "pools": node_pools(values["platform_cloud"], values["platform_node_pools"]),
        "expected": expected_exposure(values),
        # GPU work submitted at run time: Argo's workflow pods, KServe's predictors (InferenceServices
        # come from the model registry later, in the predictor service account's namespace)
        "runtime": B.argo_workflow_namespaces(objs) | {values["platform_service_accounts"]["kserve"]["namespace"]},
        "bindings": identity_bindings(values),
        "inventory_pools": values["platform_node_pools"],
        "placed": pipeline_placement(inventory),
        "contract": yaml.safe_load((REPO / "roles/platform/defaults/main/versions.yml").read_text())[
            "platform_versions"
        ]["serving_runtime"],
        "workflow_account": (
            values["platform_service_accounts"]["argo_workflows"]["namespace"],
            values["platform_service_accounts"]["argo_workflows"]["name"],
        ),
        # KServe's own Ingresses as the inventory wishes them (serving.kserve_ingress_config): every platform host is
        # HTTPS, so wherever there is a domain
        "serving": {
            "cloud": values["platform_cloud"],
            "scheme": values["kserve_ingress_scheme"],
            "domain": values.get("kserve_ingress_domain") or "",
            "tls": bool(values.get("kserve_ingress_domain")),
        },
    }


CHECKS = {
    "daemonsets_reach_pools": lambda f: B.daemonsets_reach_pools(f["objs"], f["pools"]),
    "gpu_workloads_land_on_gpu_pools": lambda f: B.gpu_workloads_land_on_gpu_pools(f["objs"], f["pools"]),
    "gpu_quota_where_gpu_work_runs": lambda f: B.gpu_quota_where_gpu_work_runs(f["objs"], f["runtime"]),
    "exposure": lambda f: B.exposure(f["objs"], f["expected"], f["cloud"]),
    "tls": lambda f: B.tls(f["objs"], f["cloud"], expected=f["expected"]),
    "scalers_wired": lambda f: B.scalers_wired(f["objs"], B.EXPORTERS),
    "queries_scraped": lambda f: B.queries_scraped(f["objs"]),
    "identities_reach_pods": lambda f: B.identities_reach_pods(f["objs"], f["bindings"]),
    "workflow_artifact_repository": lambda f: B.workflow_artifact_repository(f["objs"]),
    "node_pools_match_inventory": lambda f: B.node_pools_match_inventory(f["objs"], f["pools"], f["inventory_pools"]),
    # the ML pipeline's workflows (WorkflowTemplate, CronWorkflow): what the Argo CRD schema cannot see
    "workflow_images_pinned": lambda f: B.workflow_images_pinned(f["objs"]),
    "workflow_references_resolve": lambda f: B.workflow_references_resolve(f["objs"]),
    "workflow_memo_keys_legal": lambda f: B.workflow_memo_keys_legal(f["objs"]),
    "workflow_retries_spare_refusals": lambda f: B.workflow_retries_spare_refusals(f["objs"]),
    "workflow_placement": lambda f: B.workflow_placement(f["objs"], f["pools"], f["placed"], "platform.mlops/pool"),
    "workflow_service_account": lambda f: B.workflow_service_account(f["objs"], f["workflow_account"], f["bindings"]),
    # what KServe serves MLflow models with is the runtime the pipeline's gate tested (the contract)
    "serving_runtime_contract": lambda f: B.serving_runtime_contract(f["objs"], f["contract"]),
    # what KServe will make of the InferenceServices at run time: Services, pods, its own Ingresses (serving.py)
    **S.CHECKS,
}
# What a cloud legitimately lacks: KEDA scalers are Azure's (Karpenter scales nodes on AWS), Karpenter
# NodePools AWS's (the AKS cluster autoscaler scales the pools on Azure).
NOT_ON = {"aws": {"scalers_wired"}, "azure": {"node_pools_match_inventory"}}


def failing_checks(render: dict, strict: bool) -> dict:
    """check -> problems, for every check that fails on ``render`` (``strict``: examined nothing fails too)."""
    failing = {}
    for name, check in CHECKS.items():
        if name in NOT_ON.get(render["cloud"], set()):
            continue
        result = check(render)
        problems = result.require_examined() if strict else result.problems
        if problems:
            failing[name] = problems
    return failing

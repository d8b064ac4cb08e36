"""The ML pipeline's WorkflowTemplate and CronWorkflow in the renders of the test inventories that turn every
pipeline option on (tests/integration/inventories/*-full: a schedule, training on the GPU pool), validated against
the upstream Argo Workflows 0.46.1 CRD schemas; and self-tests of the pipeline's behaviour checks
(platform_checks/behaviour.py section 11) on the generator's own output with one planted defect each.

The render tests of the dev inventories (test_site_render.py) validate every object of those renders, the
pipeline's included; the *-full renders are validated here.
"""

from __future__ import annotations

import copy
import importlib
import sys

import pytest

from .conftest import REPO
from .platform_checks import behaviour as B
from .platform_checks import manifests, schemas
from .platform_checks.render_facts import FULL

K8S = "1.32.0"
ACCOUNT = ("argo", "argo-workflow")
POOLS = {
    "general": {"labels": {"platform.mlops/pool": "general"}, "taints": [], "gpu": False},
    "gpu": {
        "labels": {"platform.mlops/pool": "gpu"},
        "taints": [
            {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"},
            {"key": "kubernetes.azure.com/scalesetpriority", "value": "spot", "effect": "NoSchedule"},
        ],
        "gpu": True,
    },
}


@pytest.fixture(scope="module")
def full_renders(full_builds) -> dict:
    """The session's renders of the *-full inventories (conftest's ``full_builds``), loaded."""
    return {name: manifests.load_tree(full_builds[name] / "mlops-dev") for name in FULL}


@pytest.mark.parametrize("name", FULL)
def test_full_render_holds_the_pipeline_and_it_validates(full_renders, upstream, name):
    tree = full_renders[name]
    assert "ml_pipeline" in tree, sorted(tree)
    objs = tree["ml_pipeline"].objects
    kinds = sorted(o["kind"] for o in objs if o["apiVersion"].startswith("argoproj.io/"))
    assert kinds == ["CronWorkflow", "WorkflowTemplate"]
    assert any(o["kind"] == "ExternalSecret" for o in objs)
    every = manifests.all_objects(tree)
    crds = [o for o in every if o.get("kind") == "CustomResourceDefinition"]
    core, custom = schemas.validate_core(objs, K8S, component="ml_pipeline")
    assert {o["kind"] for o in custom} >= {"WorkflowTemplate", "CronWorkflow", "ExternalSecret"}
    problems = core + schemas.validate_custom(custom, schemas.load_crd_schemas(upstream / "crds", crds), "ml_pipeline")
    assert problems == []


# --------------------------------------------------------------------------------------------
# self-tests of the checks on the generator's output


@pytest.fixture(scope="module")
def generated() -> list:
    pytest.importorskip("hera", reason="hera==6.0.0 (requirements/dev.txt) is not installed")
    source = str(REPO / "pipeline" / "src")
    if source not in sys.path:
        sys.path.insert(0, source)
    sys.path.insert(0, str(REPO / "tests" / "unit" / "plugins" / "filter"))
    config = importlib.import_module("test_pipeline_workflow").CONFIG
    return importlib.import_module("mlops_pipeline.workflow").build(config)


def sa_and_identity() -> tuple:
    annotation = {"azure.workload.identity/client-id": "00000000-0000-0000-0000-000000000000"}
    sa = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": ACCOUNT[1], "namespace": ACCOUNT[0]}}
    sa["metadata"]["annotations"] = annotation
    return sa, {ACCOUNT: {"service_account_annotations": annotation, "pod_labels": {}}}


def run_all(objs: list) -> dict:
    sa, bindings = sa_and_identity()
    objs = [*objs, sa]
    return {
        "images": B.workflow_images_pinned(objs),
        "references": B.workflow_references_resolve(objs),
        "memo": B.workflow_memo_keys_legal(objs),
        "retries": B.workflow_retries_spare_refusals(objs),
        "placement": B.workflow_placement(objs, POOLS, {"train": "gpu"}, "platform.mlops/pool"),
        "account": B.workflow_service_account(objs, ACCOUNT, bindings),
    }


def template(objs: list, name: str) -> dict:
    return next(t for t in objs[0]["spec"]["templates"] if t["name"] == name)


def test_every_check_passes_on_the_generated_workflows(generated):
    for check, result in run_all(copy.deepcopy(generated)).items():
        assert result.require_examined() == [], check


def test_every_check_examines_nothing_without_workflows():
    for check, result in run_all([]).items():
        assert result.examined == [] and result.problems == [], check


def _no_sidecar_tag(objs):
    template(objs, "serving-gate")["sidecars"][0]["image"] = "docker.io/seldonio/mlserver"


def _missing_template(objs):
    next(t for t in template(objs, "pipeline")["dag"]["tasks"] if t["name"] == "promote")["template"] = "promotion"


def _no_depends(objs):
    del next(t for t in template(objs, "pipeline")["dag"]["tasks"] if t["name"] == "evaluate")["depends"]


def _undeclared_input(objs):
    template(objs, "train")["container"]["args"].append("{{inputs.parameters.epochs}}")


def _illegal_memo_key(objs):
    memo = template(objs, "train")["memoize"]
    memo["key"] = memo["key"].replace("-lr", "/lr")


def _retries_refusals(objs):
    del template(objs, "validate")["retryStrategy"]["expression"]


def _no_backoff(objs):
    del template(objs, "ingest")["retryStrategy"]["backoff"]


def _spot_toleration_lost(objs):
    train = template(objs, "train")
    train["tolerations"] = [t for t in train["tolerations"] if "scalesetpriority" not in t["key"]]


def _wrong_pool(objs):
    template(objs, "train")["nodeSelector"] = {"platform.mlops/pool": "general"}


def _default_account(objs):
    objs[1]["spec"]["workflowSpec"]["serviceAccountName"] = "default"


def _cron_names_no_template(objs):
    objs[1]["spec"]["workflowSpec"]["workflowTemplateRef"]["name"] = "ml-pipeline-v2"


@pytest.mark.parametrize(
    ("defect", "check", "needle"),
    [
        (_no_sidecar_tag, "images", "serving-gate sidecar serving-runtime: image"),
        (_missing_template, "references", "template 'promotion' does not exist"),
        (_no_depends, "references", "names task 'train', which it does not depend on"),
        (_undeclared_input, "references", "{{inputs.parameters.epochs}} names an input the template does not"),
        (_illegal_memo_key, "memo", "not a ConfigMap key"),
        (_retries_refusals, "retries", "retries exit code 3"),
        (_no_backoff, "retries", "without backoff"),
        (_spot_toleration_lost, "placement", "missing [('kubernetes.azure.com/scalesetpriority'"),
        (_wrong_pool, "placement", "nodeSelector {'platform.mlops/pool': 'general'}"),
        (_default_account, "account", "runs as 'default'"),
        (_cron_names_no_template, "references", "names WorkflowTemplate 'ml-pipeline-v2'"),
    ],
)
def test_a_planted_defect_fails_its_check_only(generated, defect, check, needle):
    objs = copy.deepcopy(generated)
    defect(objs)
    results = run_all(objs)
    failing = {name for name, result in results.items() if result.problems}
    assert failing == {check}, {n: r.problems for n, r in results.items()}
    assert any(needle in problem for problem in results[check].problems), results[check].problems

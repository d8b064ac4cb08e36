"""Each behaviour check, shown failing: a realistic defect planted into a role template or role variable of a
temporary copy of the collection, the test inventory rendered from that copy, and every behaviour check run
over the render. The check the defect is for must fail, and no other.

The defects are the ones an independent review planted (dropped tolerations, a renamed artifact-repositories
ConfigMap, a GPU LimitRange default, an emptied workload-identity pod label) and the ones issue 9 fixed
(the AKS spot taint, internal ignored, no TLS, the quota beside no GPU work, unscraped or dead-end scaler
queries, Karpenter pools not from the inventory). The table is printed at the end of the run.
"""

from __future__ import annotations

import pytest

from .conftest import mutated_collection, run_site
from .platform_checks.render_facts import INVENTORIES, facts, failing_checks

# id -> (inventory, file, text, replacement, the check that must catch it)
MUTATIONS = {
    "device plugin tolerates only the inventory's taints (AKS spot taint lost)": (
        "azure-full",
        "roles/gpu/vars/main.yml",
        'gpu__tolerations: "{{ platform__node_pools | mlops.platform.pool_tolerations(gpu=true) }}"',
        "gpu__tolerations: \"{{ platform_node_pools.gpu.taints | map('combine', {'operator': 'Equal'}) | list }}\"",
        # The LLMs pinned to that spot pool then wait for GPUs that never appear: both checks say so.
        ("daemonsets_reach_pools", "gpu_workloads_land_on_gpu_pools"),
    ),
    "tetragon's tolerations dropped": (
        "aws-full",
        "roles/tetragon/templates/values.yaml.j2",
        "tolerations: {{ platform__node_pools | mlops.platform.pool_tolerations | to_json }}",
        "tolerations: []",
        "daemonsets_reach_pools",
    ),
    "GPU predictor without the GPU pools' tolerations": (
        "azure-full",
        "roles/kserve/templates/inference-services.yaml.j2",
        "tolerations: {{ platform__node_pools | mlops.platform.pool_tolerations(keys=[llm.pool]) | to_json }}",
        "tolerations: []",
        "gpu_workloads_land_on_gpu_pools",
    ),
    "GPU quota in a namespace where no GPU work runs": (
        "azure-full",
        "roles/kserve/vars/main.yml",
        "combine({'metadata': {'namespace': kserve_namespace}}, recursive=true)",
        "combine({'metadata': {'namespace': 'default'}}, recursive=true)",
        "gpu_quota_where_gpu_work_runs",
    ),
    "a LimitRange that hands every container a GPU": (
        "aws-full",
        "roles/kserve/vars/main.yml",
        "{{ [gpu__quota | combine({'metadata': {'namespace': kserve_namespace}}, recursive=true)]",
        "{{ [gpu__quota | combine({'metadata': {'namespace': kserve_namespace}}, recursive=true), {'apiVersion': 'v1',"
        " 'kind': 'LimitRange', 'metadata': {'name': 'gpu-default', 'namespace': kserve_namespace}, 'spec': {'limits':"
        " [{'type': 'Container', 'default': {'nvidia.com/gpu': '1'}}]}}]",
        "gpu_quota_where_gpu_work_runs",
    ),
    "internal controller's load balancer annotations dropped (internal ignored)": (
        "azure-full",
        "roles/ingress/templates/values-ingress_nginx.yaml.j2",
        "annotations: {{ ingress__controller.service_annotations | to_json }}",
        "annotations: {}",
        "exposure",
    ),
    "MLflow's Ingress on the public class whatever its scheme": (
        "azure-full",
        "roles/mlflow/templates/values.yaml.j2",
        "className: {{ mlflow__ingress.class_name | to_json }}",
        "className: nginx",
        "exposure",
    ),
    "MLflow's scheme ignored on the ALB": (
        "aws-full",
        "roles/mlflow/vars/main.yml",
        "ingress_spec(scheme=mlflow_ingress_scheme,",
        "ingress_spec(scheme='internet-facing',",
        "exposure",
    ),
    "Argo Workflows' Ingress without TLS": (
        "azure-full",
        "roles/argo_workflows/templates/values.yaml.j2",
        "tls: {{ argo_workflows__ingress.tls | to_json }}",
        "tls: []",
        "tls",
    ),
    "MLflow's Ingress without its certificate source (HTTP only on the ALB)": (
        "aws-full",
        "roles/mlflow/vars/main.yml",
        "group=platform_cluster_name, tls=platform__tls, name='mlflow'",
        "group=platform_cluster_name, name='mlflow'",
        "tls",
    ),
    "ingress-nginx's metrics not scraped": (
        "azure-full",
        "roles/ingress/templates/values-ingress_nginx.yaml.j2",
        "    serviceMonitor:\n      enabled: true",
        "    serviceMonitor:\n      enabled: false",
        "queries_scraped",
    ),
    "GPU scaler on the GPUs its own pods request (never leaves zero)": (
        "azure-full",
        "roles/autoscaling/defaults/main.yml",
        'query: sum(rate(nginx_ingress_controller_requests{exported_namespace="$namespace",'
        ' exported_service="$name-predictor"}[2m]))\n'
        '    threshold: "5"',
        'query: sum(kube_pod_container_resource_requests{resource="nvidia_com_gpu", namespace="$namespace",'
        ' pod=~"$name-predictor-.*"})\n'
        '    threshold: "5"',
        "scalers_wired",
    ),
    "KServe's own HPA left on beside KEDA": (
        "azure-full",
        "roles/kserve/templates/inference-services.yaml.j2",
        "{%   if llm.name in kserve__externally_scaled %}",
        "{%   if false %}",
        "scalers_wired",
    ),
    "Azure workload-identity pod label emptied on workflow pods": (
        "azure-full",
        "roles/argo_workflows/templates/values.yaml.j2",
        "labels: {{ argo_workflows__identity.pod_labels | to_json }}",
        "labels: {}",
        "identities_reach_pods",
    ),
    "artifact-repositories ConfigMap renamed": (
        "aws-full",
        "roles/argo_workflows/templates/manifests.yaml.j2",
        "  name: artifact-repositories",
        "  name: artifact-repository",
        "workflow_artifact_repository",
    ),
    "Karpenter NodePools dropped (pools left to nothing)": (
        "aws-full",
        "roles/autoscaling/vars/main.yml",
        'manifests: "{{ autoscaling__objects.node_pools }}"',
        "manifests: \"{{ autoscaling__objects.node_pools | rejectattr('kind', 'eq', 'NodePool') | list }}\"",
        "node_pools_match_inventory",
    ),
    # The ML pipeline's workflows (pipeline/src/mlops_pipeline/workflow.py, roles/ml_pipeline): what the CRD
    # schema accepts and Argo refuses only when a run reaches it.
    "the serving gate's model server sidecar without a tag (unpinned image)": (
        "aws-full",
        "pipeline/src/mlops_pipeline/workflow.py",
        'image=config["serving_runtime"]["image"],',
        'image=config["serving_runtime"]["image"].rsplit(":", 1)[0],',
        "workflow_images_pinned",
    ),
    "DAG tasks without their dependencies (outputs read before they exist)": (
        "azure-full",
        "pipeline/src/mlops_pipeline/workflow.py",
        'depends=" && ".join(step.after) or None,',
        "depends=None,",
        "workflow_references_resolve",
    ),
    "memoization key words joined with '/' (no ConfigMap key)": (
        "aws-full",
        "pipeline/src/mlops_pipeline/workflow.py",
        'key = "".join(_template_word(step, word) for word in step.memoize)',
        'key = "/".join(_template_word(step, word) for word in step.memoize)',
        "workflow_memo_keys_legal",
    ),
    "retries of a refusal (exit code 3) too": (
        "azure-full",
        "pipeline/src/mlops_pipeline/workflow.py",
        "expression=RETRY_EXPRESSION,",
        "expression=None,",
        "workflow_retries_spare_refusals",
    ),
    "train step tolerating every pool's taints, not exactly its pool's": (
        "aws-full",
        "roles/ml_pipeline/vars/main.yml",
        "mlops.platform.pool_tolerations(keys=[ml_pipeline__training_pool])",
        "mlops.platform.pool_tolerations()",
        "workflow_placement",
    ),
    "pipeline workflows run as the namespace's default service account": (
        "azure-full",
        "roles/ml_pipeline/vars/main.yml",
        'service_account: "{{ platform_service_accounts.argo_workflows.name }}"',
        "service_account: default",
        "workflow_service_account",
    ),
    "The platform's MLflow runtime left at another MLServer than the contract's": (
        "aws-full",
        "roles/kserve/templates/inference-services.yaml.j2",
        "image: {{ (mlserver.repository ~ ':' ~ mlserver.tag) | to_json }}",
        'image: "docker.io/seldonio/mlserver:1.3.5"',
        "serving_runtime_contract",
    ),
    "a predictor's PodDisruptionBudget selecting the InferenceService's name, not its pods": (
        "aws-full",
        "roles/kserve/templates/inference-services.yaml.j2",
        "    matchLabels: {{ {'app': 'isvc.' ~ isvc ~ '-predictor'} | to_json }}",
        "    matchLabels: {{ {'app': 'isvc.' ~ isvc} | to_json }}",
        "predictors_guarded",
    ),
    "vLLM left on its default port 8000 (the runtime and the monitor say 8080)": (
        "azure-full",
        "roles/kserve/templates/inference-services.yaml.j2",
        'args: ["--host=0.0.0.0", "--port=8080"]',
        'args: ["--host=0.0.0.0"]',
        ("isvc_runtime_match", "predictors_guarded"),
    ),
    "the public host's split sent to the InferenceService's name instead of its predictor Service": (
        "aws-full",
        "roles/kserve/templates/inference-services.yaml.j2",
        "stable_service=svc.name ~ '-predictor',",
        "stable_service=svc.name,",
        "canary_split",
    ),
    # The platform alerts (roles/monitoring/templates/platform-alerts.yaml.j2): a metric no pinned exporter emits
    # (the public original's mistake: a name KServe RawDeployment never exposes) is caught before any Prometheus runs.
    "an alert reading a metric no scraped exporter emits (kserve_requests_total)": (
        "azure-full",
        "roles/monitoring/templates/platform-alerts.yaml.j2",
        '(rate(rest_server_requests_total{path=~"/v2/models/.+/infer",status_code=~"5.."}[5m]))',
        '(rate(kserve_requests_total{path=~"/v2/models/.+/infer",status_code=~"5.."}[5m]))',
        "queries_scraped",
    ),
    "KServe's own Ingresses left on the chart's istio class": (
        "azure-full",
        "roles/kserve/templates/values.yaml.j2",
        "className: {{ kserve__ingress.class_name | to_json }}",
        "className: istio",
        "kserve_ingress_config",
    ),
}

CAUGHT: dict = {}


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_a_planted_defect_fails_its_check_and_only_it(upstream, tmp_path, mutation):
    name, path, old, new, check = MUTATIONS[mutation]
    root = mutated_collection(tmp_path / "collection", path, old, new)
    build = tmp_path / "build"
    run = run_site(INVENTORIES[name], build, root=root)
    assert run.rc == 0, f"the mutated render of {name} failed:\n{run.output[-3000:]}"
    failing = failing_checks(facts(INVENTORIES[name], build), strict=True)
    CAUGHT[mutation] = (name, sorted(failing))
    expected = [check] if isinstance(check, str) else sorted(check)
    assert sorted(failing) == expected, "\n".join(f"{c}: {p[:3]}" for c, p in failing.items())


def test_z_print_the_mutation_table():
    """The mutation -> check table of this run (pytest -s shows it)."""
    if not CAUGHT:
        pytest.skip("no mutation ran in this session (run the whole file)")
    print("\n| mutation (planted into a role template) | inventory | check(s) that failed |")
    print("|---|---|---|")
    for mutation, (name, checks) in CAUGHT.items():
        print(f"| {mutation} | {name} | {', '.join(checks) or 'NONE'} |")

"""site.yml rendered for both clouds against the real upstream charts, then checked by real validators.

(a) schemas, (b) values keys, (c) per-cloud facts, (d) idempotence and check mode,
(e) a broken inventory fails in preflight.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from .conftest import INVENTORIES, REPO, run_site
from .platform_checks import manifests, schemas, values_keys, wiring

# Free-form maps in chart values: any key beneath them is ours to choose (annotations, labels,
# resources). Everything else we set must exist in the chart's default values.yaml.
FREE_FORM = {
    "cert-manager": ("resources", "global.leaderElection", "podLabels"),
    "aws-load-balancer-controller": ("serviceAccount.annotations", "podLabels", "resources"),
    "ingress-nginx": ("controller.service.annotations", "controller.resources", "controller.extraArgs"),
    # extraArgs: "a map of arguments and values to pass to the `mlflow server` command" (its values.yaml)
    # podSecurityContext: the pod's securityContext, passed as it is (toYaml in templates/deployment.yaml)
    "mlflow": (
        "serviceAccount.annotations",
        "extraPodLabels",
        "resources",
        "ingress.annotations",
        "extraArgs",
        "podSecurityContext",
    ),
    "kube-prometheus-stack": (
        "prometheus.prometheusSpec.resources",
        "prometheus.prometheusSpec.storageSpec",
        "prometheus.prometheusSpec.externalLabels",
        "alertmanager.alertmanagerSpec.resources",
        "alertmanager.alertmanagerSpec.storage",
        "alertmanager.alertmanagerSpec.alertmanagerConfiguration",
        "prometheusOperator.resources",
        "grafana.resources",
        "kube-state-metrics.resources",
        "prometheus-node-exporter.resources",
        "prometheus-node-exporter.tolerations",
    ),
    "tetragon": ("tetragon.resources", "export.resources", "tolerations"),
    "karpenter": ("serviceAccount.annotations", "podLabels", "controller.resources"),
    "keda": ("prometheus.operator.serviceMonitor.additionalLabels",),
    "external-secrets": ("serviceAccount.annotations", "serviceAccount.extraLabels", "podLabels", "resources"),
    "argo-workflows": (
        "executor.resources",
        "workflow.serviceAccount.annotations",
        "workflow.serviceAccount.labels",
        "controller.workflowDefaults",
        "controller.resources",
        "server.resources",
        "server.ingress.annotations",
    ),
    "kserve": ("kserve.controller.resources",),
    "argo-cd": (
        "configs.cm",
        "server.ingress.annotations",
        "controller.resources",
        "server.resources",
        "repoServer.resources",
        "applicationSet.resources",
        "notifications.resources",
        "redis.resources",
    ),
}


def all_objects(build: Path, host: str) -> list:
    objects = []
    for component in manifests.load_tree(build / host).values():
        objects.extend(component.chart_objects + component.our_objects)
    return objects


def cluster_of(name: str) -> str:
    """The folder of inventory ``name``'s cluster under the build dir (its platform_cluster_name)."""
    settings = yaml.safe_load((REPO / "inventories" / name / "group_vars" / "all" / "platform.yml").read_text())
    return settings["platform_cluster_name"]


@pytest.fixture(scope="session")
def crd_schemas(upstream):
    return schemas.load_crd_schemas(upstream / "crds")


@pytest.mark.parametrize("name", INVENTORIES)
def test_renders_every_enabled_component(rendered, name):
    """Every component the catalog runs on this cloud and the inventory enables is rendered; nothing else."""
    catalog = yaml.safe_load((REPO / "roles/platform/defaults/main/components.yml").read_text())
    settings = {}
    for path in sorted((REPO / "inventories" / name / "group_vars" / "all").glob("*.yml")):
        settings.update(yaml.safe_load(path.read_text()) or {})
    expected = sorted(
        component
        for component, entry in catalog["platform_component_catalog"].items()
        if settings["platform_cloud"] in entry["clouds"] and settings.get(f"{component}_enabled", True)
    )
    assert len(expected) >= 3
    tree = manifests.load_tree(rendered[name].build_dir / cluster_of(name))
    # A component may render into <component>_<part>/ too (its CRDs; Azure's internal ingress controller).
    missing = [c for c in expected if not any(folder == c or folder.startswith(c + "_") for folder in tree)]
    assert not missing, f"not rendered: {missing}; folders: {sorted(tree)}"
    assert all(folder in expected or folder.rsplit("_", 1)[0] in expected for folder in tree), sorted(tree)
    for component, content in tree.items():
        assert content.chart_objects or content.our_objects, f"{component}: rendered no objects"


@pytest.mark.parametrize("name", INVENTORIES)
def test_a_every_object_validates(rendered, crd_schemas, name):
    objects = all_objects(rendered[name].build_dir, cluster_of(name))
    core, custom = schemas.validate_core(objects, k8s_version="1.32.0")
    crds = schemas.load_crd_schemas(
        None, extra_crd_objects=[o for o in objects if o["kind"] == "CustomResourceDefinition"]
    )
    problems = core + schemas.validate_custom(custom, {**crd_schemas, **crds})
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", INVENTORIES)
def test_b_every_values_key_exists_in_the_chart(rendered, upstream, name):
    versions = yaml.safe_load((REPO / "roles/platform/defaults/main/versions.yml").read_text())
    charts = {c["name"]: c for c in versions["platform_versions"]["charts"].values()}
    problems = []
    for _component, content in manifests.load_tree(rendered[name].build_dir / cluster_of(name)).items():
        if not content.chart_name:  # a release of our own manifests only
            assert not content.chart_objects, f"{_component}: chart objects without a chart"
            continue
        chart = charts[content.chart_name]
        tgz = upstream / "charts" / f"{chart['name']}-{chart['version']}.tgz"
        defaults = values_keys.chart_default_values(tgz)
        problems += values_keys.unknown_value_keys(
            content.values,
            defaults,
            FREE_FORM.get(chart["name"], ()),
            chart=chart["name"],
            version=chart["version"],
            documented=DOCUMENTED_ONLY.get(chart["name"], ()),
        )
    assert not problems, "\n".join(problems)


# Keys a chart's templates read although its values.yaml names them only in a comment (checked by reading
# the chart's templates: cert-manager's deployment and serviceaccount templates use them; grafana's
# clusterrole and clusterrolebinding templates read rbac.useExistingClusterRole).
DOCUMENTED_ONLY = {
    "cert-manager": ("serviceAccount.annotations", "serviceAccount.labels"),
    "kube-prometheus-stack": ("grafana.rbac.useExistingClusterRole",),
}


def find(objects, kind, name, namespace=None):
    for obj in objects:
        meta = obj.get("metadata", {})
        if obj["kind"] == kind and meta.get("name") == name and namespace in (None, manifests.effective_namespace(obj)):
            return obj
    raise AssertionError(f"{kind}/{name} not rendered")


def mlflow_container_args(objects):
    deployment = find(objects, "Deployment", "mlflow")
    (container,) = [c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "mlflow"]
    return deployment, container["args"]


def test_c_aws_facts(rendered):
    objects = all_objects(rendered["aws-dev"].build_dir, cluster_of("aws-dev"))
    sa = find(objects, "ServiceAccount", "mlflow", "mlflow")
    assert (
        sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == "arn:aws:iam::123456789012:role/mlops-dev-mlflow"
    )
    deployment, args = mlflow_container_args(objects)
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == "mlflow"
    assert "--artifacts-destination=s3://mlops-dev-artifacts-123456789012/mlflow" in args
    assert "azure.workload.identity/use" not in deployment["spec"]["template"]["metadata"].get("labels", {})
    lbc = find(objects, "ServiceAccount", "aws-load-balancer-controller", "ingress")
    assert lbc["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].endswith(
        ":role/mlops-dev-aws-load-balancer-controller"
    )
    assert find(objects, "IngressClass", "alb")
    ingress = find(objects, "Ingress", "mlflow", "mlflow")
    assert ingress["spec"]["ingressClassName"] == "alb"
    assert ingress["metadata"]["annotations"]["alb.ingress.kubernetes.io/scheme"] == "internal"


def test_c_azure_facts(rendered):
    objects = all_objects(rendered["azure-dev"].build_dir, cluster_of("azure-dev"))
    sa = find(objects, "ServiceAccount", "mlflow", "mlflow")
    assert sa["metadata"]["annotations"]["azure.workload.identity/client-id"] == "22222222-2222-2222-2222-222222222222"
    deployment, args = mlflow_container_args(objects)
    assert deployment["spec"]["template"]["metadata"]["labels"]["azure.workload.identity/use"] == "true"
    assert "--artifacts-destination=wasbs://mlflow-artifacts@mlopsdevartifacts.blob.core.windows.net/mlflow" in args
    assert not [
        o
        for o in objects
        if o["kind"] == "ServiceAccount" and "eks.amazonaws.com/role-arn" in (o["metadata"].get("annotations") or {})
    ]
    # Every host of azure-dev is internal: one ingress-nginx, behind an internal Azure load balancer, and no
    # public one at all.
    assert find(objects, "IngressClass", "nginx-internal")["spec"]["controller"] == "k8s.io/ingress-nginx-internal"
    assert find(objects, "Ingress", "mlflow", "mlflow")["spec"]["ingressClassName"] == "nginx-internal"
    balancers = [o for o in objects if o["kind"] == "Service" and o["spec"].get("type") == "LoadBalancer"]
    assert [o["metadata"]["name"] for o in balancers] == ["ingress-nginx-internal-controller"]
    assert balancers[0]["metadata"]["annotations"]["service.beta.kubernetes.io/azure-load-balancer-internal"] == "true"


@pytest.mark.parametrize("name", INVENTORIES)
def test_c_wiring_and_hygiene(rendered, name):
    objects = all_objects(rendered[name].build_dir, cluster_of(name))
    problems = (
        wiring.monitors_select_something(objects, also_present=wiring.CLUSTER_PROVIDED_SERVICES)
        + wiring.scaled_objects_target_exists(objects)
        + wiring.nodepools_reference_nodeclasses(objects)
        + wiring.service_accounts_exist(objects)
        + wiring.namespaces_exist(objects, also_known=("kube-system",))
        + wiring.images_pinned(objects)
    )
    assert not problems, "\n".join(problems)
    secrets_with_data = [
        o["metadata"]["name"] for o in objects if o["kind"] == "Secret" and (o.get("data") or o.get("stringData"))
    ]
    assert not secrets_with_data
    # The MLflow database login and Flask key come from External Secrets, not from the values.
    find(objects, "ExternalSecret", "mlflow-db-credentials", "mlflow")
    find(objects, "ExternalSecret", "mlflow-flask-server-secret-key", "mlflow")
    assert (
        find(objects, "Namespace", "mlflow")["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"
    )


@pytest.mark.parametrize("name", INVENTORIES)
def test_every_object_is_rendered_once(rendered, name):
    """Two releases owning one object (a namespace, say) would fight over it in GitOps and in apply mode."""
    seen, duplicates = {}, []
    for folder, content in manifests.load_tree(rendered[name].build_dir / cluster_of(name)).items():
        for obj in content.chart_objects + content.our_objects:
            key = (
                obj["apiVersion"].split("/")[0] if "/" in obj["apiVersion"] else "",
                obj["kind"],
                manifests.effective_namespace(obj),
                obj["metadata"]["name"],
            )
            if key in seen:
                duplicates.append(f"{key} in {seen[key]} and {folder}")
            seen.setdefault(key, folder)
    assert not duplicates, "\n".join(duplicates)


@pytest.mark.parametrize("name", INVENTORIES)
def test_c_every_cloud_identity_is_bound(rendered, name):
    """Each service account an enabled component needs a cloud identity for is rendered with it (and its pods)."""
    from ansible_collections.mlops.platform.plugins.module_utils._cloud import get_profile

    defaults = yaml.safe_load((REPO / "roles/platform/defaults/main/platform.yml").read_text())
    catalog = yaml.safe_load((REPO / "roles/platform/defaults/main/components.yml").read_text())
    settings = {}
    for path in sorted((REPO / "inventories" / name / "group_vars" / "all").glob("*.yml")):
        settings.update(yaml.safe_load(path.read_text()) or {})
    cloud, infra = settings["platform_cloud"], settings["platform_infra"]
    accounts = defaults["platform_service_accounts"]
    keys = sorted(
        {
            key
            for component, entry in catalog["platform_component_catalog"].items()
            if settings.get(f"{component}_enabled", True)
            for key in (entry.get("identities") or {}).get(cloud, [])
        }
    )
    assert keys, "no identity to check"
    bindings = {
        (accounts[key]["namespace"], accounts[key]["name"]): get_profile(cloud).workload_identity(
            infra["identities"][key]
        )
        for key in keys
    }
    problems = wiring.identities_bound(all_objects(rendered[name].build_dir, cluster_of(name)), bindings)
    assert not problems, "\n".join(problems)


def snapshot(build: Path) -> dict:
    return {
        str(p.relative_to(build)): (p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(build.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("name", INVENTORIES)
def test_d_second_run_changes_nothing(rendered, name):
    build = rendered[name].build_dir
    before = snapshot(build)
    rerun = run_site(REPO / "inventories" / name, build)
    assert rerun.rc == 0, rerun.output[-4000:]
    assert rerun.changed() == 0, rerun.output[-4000:]
    assert snapshot(build) == before
    print(f"{name}: first render {rendered[name].seconds:.1f}s, rerun {rerun.seconds:.1f}s")


def test_d_tags_handle_one_component(rendered):
    """`--tags mlflow` re-renders MLflow only; `--tags argocd` alone refuses to write partial GitOps Applications."""
    build = rendered["aws-dev"].build_dir
    before = snapshot(build)
    one = run_site(REPO / "inventories" / "aws-dev", build, "--tags", "mlflow")
    assert one.rc == 0 and one.changed() == 0, one.output[-3000:]
    assert (
        "mlflow" in one.output.split("releases ", 1)[-1] and "cert_manager" not in one.output.split("releases ", 1)[-1]
    )
    partial = run_site(REPO / "inventories" / "aws-dev", build, "--tags", "argocd")
    assert partial.rc != 0
    assert "argocd: its objects are made from the releases of every enabled component" in partial.output
    assert snapshot(build) == before


@pytest.mark.parametrize("name", INVENTORIES)
def test_d_check_mode_writes_nothing(tmp_path, upstream, name):
    build = tmp_path / "build"
    build.mkdir()
    run = run_site(REPO / "inventories" / name, build, "--check")
    assert run.rc == 0, run.output[-4000:]
    assert run.changed() > 0, "check mode must report what a render would write"
    assert list(build.rglob("*")) == []


@pytest.mark.parametrize(
    ("name", "group_vars_file", "edit", "expected"),
    [
        ("aws-dev", "platform.yml", lambda d: d.update(platform_cloud="gcp"), "platform_cloud"),
        (
            "aws-dev",
            "platform.yml",
            lambda d: d["platform_node_pools"]["gpu"].update(min_size=3, max_size=1),
            "platform_node_pools.gpu",
        ),
        (
            "aws-dev",
            "platform.yml",
            lambda d: d["platform_node_pools"]["gpu"].update(instance_types=["Standard_NC6s_v3"]),
            "platform_node_pools.gpu.instance_types",
        ),
        ("azure-dev", "components.yml", lambda d: d.update(mlfow_enabled=True), "mlfow_enabled"),
    ],
    ids=["unknown-cloud", "gpu-min-above-max", "azure-size-on-aws", "misspelled-toggle"],
)
def test_e_broken_inventory_fails_in_preflight(
    broken_inventory, tmp_path, upstream, name, group_vars_file, edit, expected
):
    inventory = broken_inventory(name)
    path = inventory / "group_vars" / "all" / group_vars_file
    data = yaml.safe_load(path.read_text())
    edit(data)
    path.write_text(yaml.safe_dump(data))
    build = tmp_path / "build"
    build.mkdir()
    run = run_site(inventory, build)
    assert run.rc != 0
    assert "Preflight found" in run.output and expected in run.output, run.output[-4000:]
    assert "Traceback" not in run.output
    assert "TASK [mlops.platform.release" not in run.output
    assert list(build.rglob("*")) == []


@pytest.mark.parametrize(
    "playbook", ["playbooks/infrastructure.yml", "playbooks/platform.yml", "playbooks/destroy.yml"]
)
def test_e_every_playbook_checks_first(broken_inventory, tmp_path, upstream, playbook):
    """Run alone (make terraform-apply-aws, say), each playbook fails in preflight before Terraform or helm."""
    inventory = broken_inventory("aws-dev")
    path = inventory / "group_vars" / "all" / "platform.yml"
    data = yaml.safe_load(path.read_text())
    data["platform_network"]["cidr"] = "10.0.0.0/33"
    path.write_text(yaml.safe_dump(data))
    run = run_site(
        inventory, tmp_path, "-e", "infrastructure_destroy_confirm=mlops-dev", mode="apply", playbook=playbook
    )
    assert run.rc != 0
    assert "Preflight found 1 problem(s)" in run.output and "platform_network.cidr" in run.output, run.output[-3000:]
    assert "TASK [mlops.platform.infrastructure" not in run.output
    assert "TASK [mlops.platform.release" not in run.output


def test_versions_are_pinned_and_mirrored(upstream):
    versions = yaml.safe_load((REPO / "roles/platform/defaults/main/versions.yml").read_text())
    mutable = {"", "latest", "main", "master", "stable", "edge", "nightly", "dev", "head"}
    for key, chart in versions["platform_versions"]["charts"].items():
        assert str(chart["version"]).lower() not in mutable, key
        assert (upstream / "charts" / f"{chart['name']}-{chart['version']}.tgz").is_file(), key
    for key, image in versions["platform_versions"]["images"].items():
        assert str(image["tag"]).lower() not in mutable, key

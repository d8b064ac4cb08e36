"""molecule/kind offline: its playbooks pass the syntax check, and site.yml renders its inventory.

The scenario itself (kind, apply mode) needs Docker and network and runs in CI
(.github/workflows/kind.yml). Here: every playbook of the scenario is syntax-checked with the
scenario's inventory and extra vars, and site.yml renders the scenario's inventory (platform_cloud:
local) against the pinned charts; the rendered platform is checked for what the apply run relies
on: no Secret with data, every image pinned, every Secret a pod reads made by an ExternalSecret in
its namespace, and MLflow, Argo Workflows and KServe pointed at the in-cluster MinIO and PostgreSQL
of local_services. Each check is shown to fail on a planted defect.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from .conftest import REPO, ansible_bin, run_site
from .platform_checks import manifests, wiring

SCENARIO = REPO / "molecule" / "kind"
INVENTORY = SCENARIO / "inventory"
PLAYBOOKS = ("create.yml", "prepare.yml", "converge.yml", "verify.yml", "destroy.yml")
HOST = "mlops-kind"
MINIO = "minio.local-services.svc.cluster.local:9000"
INFRA = yaml.safe_load((INVENTORY / "group_vars/all/infra.yml").read_text())["platform_infra"]
IDENTITY_ANNOTATIONS = ("eks.amazonaws.com/role-arn", "azure.workload.identity/client-id")


def syntax_check(playbook: Path, scenario: Path = SCENARIO) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    env.update(
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=str(REPO / ".venv" / "collections"),
        MOLECULE_EPHEMERAL_DIRECTORY=str(scenario),
        ANSIBLE_NOCOLOR="1",
    )
    argv = [
        ansible_bin("ansible-playbook"),
        "--syntax-check",
        f"--inventory={scenario / 'inventory'}",
        f"--extra-vars=@{scenario / 'vars' / 'kind.yml'}",
        str(playbook),
    ]
    return subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=300)


@pytest.mark.parametrize("name", PLAYBOOKS)
def test_kind_playbooks_pass_the_syntax_check(name):
    proc = syntax_check(SCENARIO / name)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_kind_syntax_check_fails_on_a_broken_playbook(tmp_path):
    scenario = tmp_path / "kind"
    shutil.copytree(SCENARIO, scenario)
    verify = scenario / "verify.yml"
    verify.write_text(
        verify.read_text().replace("  tasks:\n", "  tasks:\n    - name: Broken\n      no_such_module: {}\n", 1)
    )
    proc = syntax_check(verify, scenario)
    assert proc.returncode != 0
    assert "no_such_module" in proc.stdout + proc.stderr


def test_kind_scenario_sequence():
    config = yaml.safe_load((SCENARIO / "molecule.yml").read_text())
    sequence = config["scenario"]["test_sequence"]
    assert sequence == ["destroy", "syntax", "create", "prepare", "converge", "idempotence", "verify", "destroy"]
    platform = yaml.safe_load((INVENTORY / "group_vars/all/platform.yml").read_text())
    assert platform["platform_cloud"] == "local"
    kind_vars = yaml.safe_load((SCENARIO / "vars" / "kind.yml").read_text())
    assert kind_vars["platform_mode"] == "apply"
    assert "@sha256:" in kind_vars["kind_node_image"] and ":v1.32." in kind_vars["kind_node_image"]


# ---------------------------------------------------------------------------- the render
@pytest.fixture(scope="module")
def kind_render(upstream, tmp_path_factory) -> list:
    build = tmp_path_factory.mktemp("build-kind")
    run = run_site(INVENTORY, build)
    assert run.rc == 0, f"render of molecule/kind/inventory failed:\n{run.output[-6000:]}"
    components = manifests.load_tree(build / HOST)
    return components


def objects_of(components) -> list:
    return [obj for comp in components.values() for obj in comp.objects]


def find(objects: list, kind: str, name: str, namespace: str | None = None) -> dict:
    matches = [
        o
        for o in objects
        if o.get("kind") == kind
        and o["metadata"].get("name") == name
        and (namespace is None or manifests.effective_namespace(o) == namespace)
    ]
    assert len(matches) == 1, f"{kind} {namespace}/{name}: {len(matches)} found"
    return matches[0]


def secrets_with_data(objects: list) -> list:
    return [
        f"Secret {manifests.effective_namespace(o)}/{o['metadata']['name']}"
        for o in objects
        if o.get("kind") == "Secret" and (o.get("data") or o.get("stringData"))
    ]


def secret_refs(podspec: dict) -> set:
    """Names of the Secrets a pod spec reads through env, envFrom and volumes."""
    names = set()
    for container in wiring._containers(podspec):
        for env in container.get("env") or ():
            ref = (env.get("valueFrom") or {}).get("secretKeyRef")
            if ref and not ref.get("optional"):
                names.add(ref["name"])
        for source in container.get("envFrom") or ():
            if source.get("secretRef") and not source["secretRef"].get("optional"):
                names.add(source["secretRef"]["name"])
    for volume in podspec.get("volumes") or ():
        if volume.get("secret") and not volume["secret"].get("optional"):
            names.add(volume["secret"]["secretName"])
    return names


def secrets_without_source(objects: list, namespaces: tuple) -> list:
    """Secrets read by pods in ``namespaces`` that no ExternalSecret (or rendered Secret) makes there."""
    made = {
        (manifests.effective_namespace(o), ((o["spec"].get("target") or {}).get("name") or o["metadata"]["name"]))
        for o in objects
        if o.get("kind") == "ExternalSecret"
    }
    made |= {(manifests.effective_namespace(o), o["metadata"]["name"]) for o in objects if o.get("kind") == "Secret"}
    # cert-manager makes a Certificate's Secret.
    made |= {
        (manifests.effective_namespace(o), o["spec"]["secretName"]) for o in objects if o.get("kind") == "Certificate"
    }
    problems = []
    for obj, podspec, _meta in wiring.pod_templates(objects):
        namespace = manifests.effective_namespace(obj)
        if namespace not in namespaces:
            continue
        for name in sorted(secret_refs(podspec)):
            if (namespace, name) not in made:
                problems.append(f"{obj['kind']} {namespace}/{obj['metadata']['name']} reads Secret {name}: no source")
    return problems


def local_wiring_problems(objects: list) -> list:
    """MLflow, Argo Workflows and KServe use the rendered MinIO and PostgreSQL; no cloud identity anywhere."""
    problems = []
    services = {
        (manifests.effective_namespace(o), o["metadata"]["name"]): {p["port"] for p in o["spec"]["ports"]}
        for o in objects
        if o.get("kind") == "Service"
    }
    host, port = MINIO.split(":")
    name, namespace = host.split(".")[:2]
    if int(port) not in services.get((namespace, name), set()):
        problems.append(f"no Service {namespace}/{name} on port {port} for the object store endpoint {MINIO}")
    db_name, db_namespace = INFRA["db_host"].split(".")[:2]
    if INFRA["db_port"] not in services.get((db_namespace, db_name), set()):
        problems.append(f"no Service {db_namespace}/{db_name} on port {INFRA['db_port']} for db_host")
    mlflow = find(objects, "Deployment", "mlflow", "mlflow")
    container = next(c for c in mlflow["spec"]["template"]["spec"]["containers"] if c["name"] == "mlflow")
    env = {}
    for source in container.get("envFrom") or ():  # the chart puts PGHOST and friends in a ConfigMap
        if source.get("configMapRef"):
            env.update(find(objects, "ConfigMap", source["configMapRef"]["name"], "mlflow").get("data") or {})
    env.update({e["name"]: e.get("value") for e in container.get("env") or ()})
    args = container.get("args") or []
    if f"--artifacts-destination=s3://{INFRA['object_store_bucket']}/mlflow" not in args:
        problems.append(f"MLflow artifacts destination: {[a for a in args if 'artifacts' in a]}")
    if env.get("MLFLOW_S3_ENDPOINT_URL") != f"http://{MINIO}":
        problems.append(f"MLflow MLFLOW_S3_ENDPOINT_URL: {env.get('MLFLOW_S3_ENDPOINT_URL')!r}")
    if env.get("PGHOST") != INFRA["db_host"]:
        problems.append(f"MLflow PGHOST: {env.get('PGHOST')!r}")
    if "object-store-credentials" not in secret_refs(mlflow["spec"]["template"]["spec"]):
        problems.append("MLflow does not read the object store keys")
    repo = yaml.safe_load(find(objects, "ConfigMap", "artifact-repositories", "argo")["data"]["default"])
    s3 = repo.get("s3") or {}
    if s3.get("endpoint") != MINIO or s3.get("bucket") != INFRA["object_store_bucket"]:
        problems.append(f"Argo artifact repository: {s3}")
    if (s3.get("accessKeySecret") or {}).get("name") != "object-store-credentials":
        problems.append(f"Argo artifact repository keys: {s3.get('accessKeySecret')}")
    predictor = find(objects, "ServiceAccount", "kserve-predictor", "kserve")
    if predictor["metadata"].get("annotations", {}).get("serving.kserve.io/s3-endpoint") != MINIO:
        problems.append(f"KServe predictor annotations: {predictor['metadata'].get('annotations')}")
    if {"name": "object-store-credentials"} not in (predictor.get("secrets") or []):
        problems.append(f"KServe predictor secrets: {predictor.get('secrets')}")
    store = find(objects, "ClusterSecretStore", "platform-secrets")
    if (store["spec"]["provider"].get("kubernetes") or {}).get("remoteNamespace") != INFRA["secret_store_ref"]:
        problems.append(f"ClusterSecretStore provider: {store['spec']['provider']}")
    problems += [
        f"{o['kind']} {o['metadata'].get('name')}: cloud identity annotation {key}"
        for o in objects
        for key in IDENTITY_ANNOTATIONS
        if key in ((o.get("metadata") or {}).get("annotations") or {})
    ]
    return problems


# Where the platform's own logins and keys are read (controllers elsewhere make their own TLS Secrets).
PLATFORM_NAMESPACES = ("local-services", "mlflow", "argo", "kserve")


def kind_problems(objects: list) -> list:
    return (
        secrets_with_data(objects)
        + wiring.images_pinned(objects)
        + secrets_without_source(objects, PLATFORM_NAMESPACES)
        + local_wiring_problems(objects)
    )


def test_kind_inventory_renders_every_component_that_works_on_kind(kind_render):
    assert sorted(kind_render) == [
        "argo_workflows",
        "argocd",
        "cert_manager",
        "external_secrets",
        "kserve",
        "kserve_crd",
        "kserve_models",
        "kyverno",
        "kyverno_policies",
        "local_services",
        "ml_pipeline",
        "mlflow",
        "monitoring",
        "monitoring_crd",
        "rbac",
    ]


def test_kind_render_is_ready_for_the_kind_cluster(kind_render):
    assert kind_problems(objects_of(kind_render)) == []


def _minio(objects):
    return find(objects, "Deployment", "minio", "local-services")


MUTATIONS = {
    "a Secret with data": lambda objs: objs.append(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "leak", "namespace": "mlflow"},
            "data": {"k": "dg=="},
        }
    ),
    "an unpinned image": lambda objs: _minio(objs)["spec"]["template"]["spec"]["containers"][0].update(
        image="quay.io/minio/minio:latest"
    ),
    "a Secret nobody makes": lambda objs: _minio(objs)["spec"]["template"]["spec"]["containers"][0]["env"][0][
        "valueFrom"
    ]["secretKeyRef"].update(name="missing"),
    "MinIO renamed": lambda objs: find(objs, "Service", "minio", "local-services")["metadata"].update(name="s3"),
    "PostgreSQL on another port": lambda objs: find(objs, "Service", "postgresql", "local-services")["spec"]["ports"][
        0
    ].update(port=5433),
    "Argo at the cloud": lambda objs: find(objs, "ConfigMap", "artifact-repositories", "argo")["data"].update(
        default=json.dumps({"s3": {"bucket": INFRA["object_store_bucket"], "endpoint": "s3.amazonaws.com"}})
    ),
    "a cloud identity": lambda objs: find(objs, "ServiceAccount", "kserve-predictor", "kserve")["metadata"][
        "annotations"
    ].update({"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/x"}),
}


@pytest.mark.parametrize("defect", sorted(MUTATIONS))
def test_kind_checks_catch_a_planted_defect(kind_render, defect):
    objects = copy.deepcopy(objects_of(kind_render))
    for original, clone in zip(objects_of(kind_render), objects, strict=True):
        manifests.register_origin(clone, release_namespace=manifests.effective_namespace(original))
    MUTATIONS[defect](objects)
    assert kind_problems(objects) != [], defect


# ---------------------------------------------------------------------------- the canary proof of verify.yml
def render_canary_proof(scenario: Path, out: Path) -> dict:
    """What verify.yml's canary play applies: vars/canary.yml rendered by Ansible (the stand-ins' template and
    the mlops.platform.canary_ingress call), from a playbook beside verify.yml in ``scenario``."""
    playbook = scenario / "canary-render.yml"
    playbook.write_text(
        yaml.safe_dump(
            [
                {
                    "name": "Render the canary proof",
                    "hosts": "localhost",
                    "gather_facts": False,
                    "vars_files": [str(REPO / "roles/platform/defaults/main/versions.yml"), "vars/canary.yml"],
                    "tasks": [
                        {
                            "name": "Write what the proof applies",
                            "ansible.builtin.copy": {
                                "dest": str(out),
                                "mode": "0644",
                                "content": "{{ {'stand_ins': canary__stand_ins, 'ingresses': canary__ingresses,"
                                " 'values': canary__controller_values, 'weight': canary__weight,"
                                " 'requests': canary__requests} | to_json }}",
                            },
                        }
                    ],
                }
            ]
        )
    )
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    env.update(
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=str(REPO / ".venv" / "collections"),
        ANSIBLE_NOCOLOR="1",
    )
    argv = [ansible_bin("ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook)]
    proc = subprocess.run(argv, cwd=scenario, env=env, capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def canary_proof(tmp_path_factory) -> dict:
    scenario = tmp_path_factory.mktemp("canary") / "kind"
    shutil.copytree(SCENARIO, scenario)
    return render_canary_proof(scenario, scenario.parent / "proof.json")


def _kserve_shaped(proof: dict) -> list:
    """The stand-ins as the InferenceServices and runtime they stand for, with the proof's Ingresses."""
    from .platform_checks import serving

    namespace = proof["ingresses"][0]["metadata"]["namespace"]
    runtime = {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": "ServingRuntime",
        "metadata": {"name": "stand-in", "namespace": namespace},
        "spec": {
            "supportedModelFormats": [{"name": "stand-in", "version": "1"}],
            "containers": [
                next(
                    c
                    for d in proof["stand_ins"]
                    if d["kind"] == "Deployment"
                    for c in d["spec"]["template"]["spec"]["containers"]
                )
            ],
        },
    }
    isvcs = []
    for deployment in (d for d in proof["stand_ins"] if d["kind"] == "Deployment"):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        name = labels[serving.ISVC_LABEL]
        isvc_labels = {k: v for k, v in labels.items() if k not in (serving.ISVC_LABEL, "component", "app")}
        isvcs.append(
            {
                "apiVersion": "serving.kserve.io/v1beta1",
                "kind": "InferenceService",
                "metadata": {"name": name, "namespace": namespace, "labels": isvc_labels},
                "spec": {
                    "predictor": {"model": {"runtime": "stand-in", "modelFormat": {"name": "stand-in", "version": "1"}}}
                },
            }
        )
    return [runtime, *isvcs, *proof["ingresses"]]


def test_kind_canary_stand_ins_are_what_kserve_makes(canary_proof):
    """Each stand-in Service and pod template is exactly what KServe v0.16.0 makes for its InferenceService."""
    from .platform_checks import serving

    objs = _kserve_shaped(canary_proof)
    runtime, isvcs = objs[0], [o for o in objs if o["kind"] == "InferenceService"]
    assert [i["metadata"]["name"] for i in isvcs] == ["split", "split-canary"]
    by_name = {(d["kind"], d["metadata"]["name"]): d for d in canary_proof["stand_ins"]}
    for isvc in isvcs:
        made = serving.predictor_service(isvc, runtime)
        service = by_name[("Service", made["metadata"]["name"])]
        assert service["spec"]["selector"] == made["spec"]["selector"]
        assert [{k: p[k] for k in ("name", "port", "targetPort")} for p in service["spec"]["ports"]] == made["spec"][
            "ports"
        ]
        deployment = by_name[("Deployment", made["metadata"]["name"])]
        assert deployment["spec"]["template"]["metadata"]["labels"] == serving.predictor_pod_labels(isvc, runtime)
        assert deployment["spec"]["selector"]["matchLabels"] == made["spec"]["selector"]


def test_kind_canary_ingresses_split_as_the_render_check_wants(canary_proof):
    """The proof's Ingresses (the filter, cloud local) pass canary_split over the stand-ins, at the proof's weight."""
    from .platform_checks import serving

    assert canary_proof["weight"] == 20 and canary_proof["requests"] >= 400
    stable, canary = canary_proof["ingresses"]
    assert canary["metadata"]["annotations"] == {
        "nginx.ingress.kubernetes.io/canary": "true",
        "nginx.ingress.kubernetes.io/canary-weight": "20",
    }
    assert stable["spec"]["ingressClassName"] == canary_proof["values"]["controller"]["ingressClassResource"]["name"]
    assert canary_proof["values"]["controller"]["service"]["type"] == "ClusterIP"
    result = serving.canary_split(_kserve_shaped(canary_proof))
    assert result.require_examined() == [], result.problems
    assert "Ingress/canary-proof/split-public-canary -> Service/canary-proof/split-canary-predictor (20%)" in (
        result.examined
    )


def test_kind_canary_check_fails_on_a_planted_defect(canary_proof):
    """A stand-in Service whose selector misses its pods (a KServe label spelt wrong) fails the comparison."""
    proof = copy.deepcopy(canary_proof)
    service = next(d for d in proof["stand_ins"] if d["kind"] == "Service" and "canary" in d["metadata"]["name"])
    service["spec"]["selector"] = {"app": "split-canary-predictor"}
    with pytest.raises(AssertionError):
        test_kind_canary_stand_ins_are_what_kserve_makes(proof)

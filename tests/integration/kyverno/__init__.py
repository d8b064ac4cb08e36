"""Offline evaluation of the platform's Kyverno ClusterPolicies (roles/kyverno/templates/policies.yaml.j2).

The rules' CEL expressions are read from the rendered ClusterPolicies and evaluated by a real CEL implementation
(the `cel` module of the PyPI package common-expression-language). Kyverno's auto-generation of Pod rules for the pod
controllers is emulated as Kyverno 1.13 does it: a rule that matches only Pods (no names, no selector) gets a copy
`autogen-<rule>` for DaemonSet, Deployment, Job, StatefulSet, ReplicaSet and ReplicationController and a copy
`autogen-cronjob-<rule>` for CronJob, with the CEL text `object.spec` / `object.metadata` rewritten to the pod
template's. Ref kyverno/kyverno pkg/autogen/autogen.go (CanAutoGen, generateRules, convertRule -> updateCELFields)
and pkg/autogen/rule_test.go (TestUpdateCELFields).
"""

from __future__ import annotations

import copy
from pathlib import Path

import cel
import yaml

HERE = Path(__file__).resolve().parent
POD_CONTROLLERS = ["DaemonSet", "Deployment", "Job", "StatefulSet", "ReplicaSet", "ReplicationController"]
TEMPLATE_OF = {
    "Pod": "object.spec.template",
    "Cronjob": "object.spec.jobTemplate.spec.template",
}
# The Kyverno variable the generate rule's target namespace must carry literally (not a rendered Jinja value).
NAMESPACE_VARIABLE = "{{request.object.metadata.name}}"


def fixtures(name: str) -> list[dict]:
    """The admit (``admit``) or deny (``deny``) fixtures."""
    return yaml.safe_load((HERE / f"{name}.yaml").read_text())


def policies(build: Path) -> dict[str, dict]:
    """Policy name -> the rendered ClusterPolicy of a build dir."""
    files = sorted(Path(build).glob("*/kyverno_policies/manifests*.yaml"))
    assert files, f"no kyverno_policies release rendered under {build}"
    out = {}
    for path in files:
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") == "ClusterPolicy":
                out[doc["metadata"]["name"]] = doc
    return out


def _autogen_text(text: str, kind: str) -> str:
    prefix = TEMPLATE_OF[kind]
    text = text.replace("object.spec", f"{prefix}.spec")
    return text.replace("object.metadata", f"{prefix}.metadata")


def _only_pods(rule: dict) -> bool:
    blocks = [
        b.get("resources", {}) for b in rule.get("match", {}).get("any", []) + rule.get("match", {}).get("all", [])
    ]
    return bool(blocks) and all(
        b.get("kinds") == ["Pod"] and not b.get("names") and not b.get("name") and not b.get("selector") for b in blocks
    )


def expanded_rules(policy: dict) -> list[dict]:
    """The policy's rules with Kyverno's autogen rules added (each rule dict gets `policy`)."""
    rules = policy["spec"]["rules"]
    autogen = not any("generate" in r for r in rules)
    out = []
    for rule in rules:
        out.append({**rule, "policy": policy["metadata"]["name"]})
        if not (autogen and _only_pods(rule) and "cel" in rule.get("validate", {})):
            continue
        for kind, name, kinds in (("Pod", "autogen-", POD_CONTROLLERS), ("Cronjob", "autogen-cronjob-", ["CronJob"])):
            gen = copy.deepcopy(rule)
            gen["name"] = name + rule["name"]
            for block in gen["match"].get("any", []) + gen["match"].get("all", []):
                block["resources"]["kinds"] = list(kinds)
            for expr in gen["validate"]["cel"]["expressions"]:
                expr["expression"] = _autogen_text(expr["expression"], kind)
                expr["message"] = _autogen_text(expr["message"], kind)
            out.append({**gen, "policy": policy["metadata"]["name"]})
    return out


def all_rules(build: Path) -> list[dict]:
    return [rule for policy in policies(build).values() for rule in expanded_rules(policy)]


def matches(rule: dict, obj: dict, namespace: str | None) -> bool:
    """Whether the rule's match (any/all of kinds and namespaces) selects the object and its exclude does not."""

    def selects(block: dict) -> bool:
        res = block.get("resources", {})
        if res.get("kinds") and obj.get("kind") not in res["kinds"]:
            return False
        if res.get("namespaces") and namespace not in res["namespaces"]:
            return False
        return not (res.get("names") and obj.get("metadata", {}).get("name") not in res["names"])

    match, exclude = rule.get("match", {}), rule.get("exclude", {})
    selected = any(selects(b) for b in match.get("any", [])) or (
        bool(match.get("all")) and all(selects(b) for b in match["all"])
    )
    excluded = any(selects(b) for b in exclude.get("any", [])) or (
        bool(exclude.get("all")) and all(selects(b) for b in exclude["all"])
    )
    return selected and not excluded


def evaluate(rule: dict, obj: dict) -> tuple[bool, str]:
    """(admitted, why) for a validate.cel rule: every expression true; an evaluation error denies (Kyverno reports
    an error result, which fails admission in Enforce)."""
    for expr in rule["validate"]["cel"]["expressions"]:
        try:
            result = cel.evaluate(expr["expression"], {"object": obj})
        except Exception as err:  # any evaluation error fails the rule
            return False, f"error: {err}"
        if result is not True:
            return False, expr.get("message", "false")
    return True, "pass"


def generated_networkpolicy(build: Path, namespace: str) -> dict:
    """The NetworkPolicy add-default-networkpolicy generates in a new namespace ``namespace``."""
    policy = policies(build)["add-default-networkpolicy"]
    (rule,) = [r for r in policy["spec"]["rules"] if "generate" in r]
    gen = rule["generate"]
    data = copy.deepcopy(gen["data"])
    metadata = {**data.get("metadata", {}), "name": gen["name"], "namespace": namespace}
    return {"apiVersion": gen["apiVersion"], "kind": gen["kind"], "metadata": metadata, "spec": data["spec"]}


def _executor(objs: list[dict]) -> tuple[str, dict]:
    """The Argo executor's image (the controller's --executor-image) and resources (controller config, executor)."""
    image, resources = "", {}
    for obj in objs:
        if obj.get("kind") == "Deployment" and "workflow-controller" in obj["metadata"]["name"]:
            for container in obj["spec"]["template"]["spec"]["containers"]:
                args = container.get("args", [])
                if "--executor-image" in args:
                    image = args[args.index("--executor-image") + 1]
        if obj.get("kind") == "ConfigMap" and obj["metadata"]["name"].endswith("workflow-controller-configmap"):
            config = yaml.safe_load(obj.get("data", {}).get("config", "")) or {}
            resources = (config.get("executor") or {}).get("resources") or {}
    return image, resources


def _storage_initializer(objs: list[dict]) -> dict | None:
    for obj in objs:
        if obj.get("kind") == "ConfigMap" and obj["metadata"]["name"] == "inferenceservice-config":
            text = obj["data"]["storageInitializer"]
            conf = yaml.safe_load("\n".join(line for line in text.splitlines() if not line.strip().startswith("#")))
            return {
                "name": "storage-initializer",
                "image": conf["image"],
                "resources": {
                    "requests": {"cpu": conf["cpuRequest"], "memory": conf["memoryRequest"]},
                    "limits": {"cpu": conf["cpuLimit"], "memory": conf["memoryLimit"]},
                },
            }
    return None


def derived_pods(objs: list[dict], namespace_of) -> list[dict]:
    """The Pods the platform's own custom resources make at run time, as their controllers build them:

    - Argo: one Pod per container/script template of each WorkflowTemplate/Workflow: Argo's `init` and `wait`
      executor containers (image and resources from the controller's rendered configuration) and the template's
      container as `main` (Argo's pod construction, workflow/controller/workflowpod.go).
    - KServe: one predictor Pod per InferenceService model: the ServingRuntime's container with the model's
      resources, and the storage-initializer init container of the rendered inferenceservice-config when the model
      has a storageUri (KServe's storage initializer injector).
    """
    pods = []
    executor_image, executor_resources = _executor(objs)
    initializer = _storage_initializer(objs)
    runtimes = {
        (o["kind"], o["metadata"]["name"]): o
        for o in objs
        if o.get("kind") in ("ServingRuntime", "ClusterServingRuntime")
    }
    for obj in objs:
        kind, name, namespace = obj.get("kind"), obj["metadata"]["name"], namespace_of(obj)
        if kind in ("WorkflowTemplate", "Workflow"):
            for template in obj["spec"].get("templates", []):
                main = template.get("container") or template.get("script")
                if not main:
                    continue
                executor = {
                    "image": executor_image,
                    **({"resources": executor_resources} if executor_resources else {}),
                }
                pods.append(
                    {
                        "apiVersion": "v1",
                        "kind": "Pod",
                        "metadata": {
                            "name": f"{name}-{template['name']}",
                            "namespace": namespace,
                            "labels": {"workflows.argoproj.io/workflow": name},
                        },
                        "spec": {
                            "initContainers": [{"name": "init", **executor}, *template.get("initContainers", [])],
                            "containers": [
                                {"name": "wait", **executor},
                                {**main, "name": "main"},
                                *template.get("sidecars", []),
                            ],
                        },
                    }
                )
        if kind == "InferenceService":
            model = obj["spec"].get("predictor", {}).get("model")
            if not model:
                continue
            runtime = runtimes.get(("ServingRuntime", model.get("runtime"))) or runtimes.get(
                ("ClusterServingRuntime", model.get("runtime"))
            )
            assert runtime, f"InferenceService {name}: runtime {model.get('runtime')} not rendered"
            container = copy.deepcopy(runtime["spec"]["containers"][0])
            if model.get("resources"):
                container["resources"] = model["resources"]
            spec = {"containers": [container]}
            if model.get("storageUri") and initializer:
                spec["initContainers"] = [initializer]
            pods.append(
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": f"{name}-predictor", "namespace": namespace, "labels": {"app": name}},
                    "spec": spec,
                }
            )
    return pods

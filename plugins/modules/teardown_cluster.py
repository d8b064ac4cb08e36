#!/usr/bin/python
# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: teardown_cluster
short_description: Delete the in-cluster objects that block a terraform destroy, in order, and wait for them
version_added: 0.2.0
description:
  - "Runs before C(terraform destroy) of a platform cluster (C(playbooks/destroy.yml)), while the controllers still
    run, in this order: Argo CD ApplicationSets and Applications; KServe InferenceServices, Argo CronWorkflows,
    Workflows and WorkflowTemplates; Ingresses and Services of type LoadBalancer; PersistentVolumeClaims (after
    the Deployments and StatefulSets that mount them are scaled to 0)."
  - Each step deletes its objects and waits until they are gone. Objects of the first, second and last step still
    there after O(timeout) get their finalizers removed (reported in RV(forced)). Ingresses and LoadBalancer
    Services still there make the module fail instead, naming them and their load balancers, since a load
    balancer left in the VPC keeps C(terraform destroy) from deleting it.
  - PersistentVolumes bound to the deleted claims with reclaimPolicy C(Delete) are waited for (the CSI driver
    deletes the EBS / Azure Disk volume); C(Retain) ones are reported in RV(retained_volumes) with their volume
    handles (they stay in the cloud).
  - Kinds the cluster does not serve (CRD not installed) are skipped.
  - An unreachable API server fails with one line naming the endpoint and C(teardown_cluster_cleanup=false) as the
    way on when the cluster is already gone.
  - In check mode nothing is deleted; RV(steps) lists what would be.
author:
  - mlops.platform maintainers (@mlops)
options:
  cluster:
    description: The cluster's name, for messages.
    type: str
    required: true
  kubeconfig:
    description: The kubeconfig; empty for kubectl's default.
    type: path
  context:
    description: The kubeconfig context; empty for the current one.
    type: str
  kubectl:
    description: The kubectl binary.
    type: str
    default: kubectl
  timeout:
    description: Seconds each step waits for its objects to be gone.
    type: int
    default: 300
  poll:
    description: Seconds between two looks while waiting.
    type: int
    default: 5
notes:
  - Supports C(check_mode).
requirements:
  - kubectl
"""

EXAMPLES = r"""
- name: Delete what blocks terraform destroy
  mlops.platform.teardown_cluster:
    cluster: mlops-dev
    kubeconfig: build/mlops-dev/kubeconfig
    timeout: 300
"""

RETURN = r"""
server:
  description: The API server of the kubeconfig.
  returned: always
  type: str
  sample: https://ABCDEF.gr7.eu-west-1.eks.amazonaws.com
steps:
  description: One entry per step, in order.
  returned: when the API server answered
  type: list
  elements: dict
  contains:
    step:
      description: C(argocd), C(workloads), C(load-balancers) or C(volumes).
      type: str
    objects:
      description: The objects deleted (would be, in check mode), C(<Kind> <namespace>/<name>) with their load
        balancer or volume.
      type: list
      elements: str
    scaled:
      description: Workloads scaled to 0 (would be) because they mount a claim.
      type: list
      elements: str
forced:
  description: Objects whose finalizers were removed after the timeout.
  returned: when the API server answered
  type: list
  elements: str
retained_volumes:
  description: PVs with reclaimPolicy Retain whose cloud volume outlives the teardown.
  returned: when the API server answered
  type: list
  elements: str
report:
  description: What was done (would be, in check mode), one line per step, then what was forced or left.
  returned: when the API server answered
  type: list
  elements: str
volumes_not_released:
  description: PVs (reclaimPolicy Delete) of the deleted claims still there after the timeout.
  returned: when claims were deleted
  type: list
  elements: str
unreachable:
  description: Whether the API server could not be reached.
  returned: always
  type: bool
"""

import json
import re
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mlops.platform.plugins.module_utils.teardown import (
    CLUSTER_STEPS,
    claim_holders,
    claim_volumes,
    remaining,
    retained,
    select,
    step_report,
    timeout_message,
    unreachable_message,
)

# klog's prefix (E1204 00:55:03.020613 1857 memcache.go:265]): kubectl's own diagnostics, repeated per retry.
KLOG = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ \S+\] ")


def first_line(text: str) -> str:
    """kubectl's own message (not its klog lines), else the first klog line without its prefix."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    plain = [line for line in lines if not KLOG.match(line)]
    chosen = plain[-1] if plain else (KLOG.sub("", lines[0]) if lines else "no output")
    return chosen[:300]


class Kubectl:
    def __init__(self, module: AnsibleModule):
        self.module = module
        params = module.params
        self.base = [params["kubectl"], "--request-timeout=20s"]
        if params["kubeconfig"]:
            self.base += ["--kubeconfig", params["kubeconfig"]]
        if params["context"]:
            self.base += ["--context", params["context"]]

    def run(self, *args: str) -> tuple:
        return self.module.run_command(self.base + list(args))

    def must(self, *args: str) -> str:
        rc, out, err = self.run(*args)
        if rc != 0:
            self.module.fail_json(msg=f"kubectl {' '.join(args[:3])} failed: {first_line(err or out)}")
        return out

    def items(self, resource: str, namespaced: bool = True) -> list:
        out = self.must("get", resource, *(["--all-namespaces"] if namespaced else []), "-o", "json")
        return json.loads(out or "{}").get("items") or []

    def server(self) -> str:
        rc, out, _err = self.run("config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}")
        return out.strip() if rc == 0 else ""


def wait_gone(kubectl: Kubectl, selected: list, timeout: int, poll: int) -> list:
    deadline = time.monotonic() + timeout
    left = list(selected)
    while left:
        by_resource = {ref.resource for ref in left}
        # Per resource: an Ingress and a Service may share a namespace/name.
        left = [
            ref
            for res in sorted(by_resource)
            for ref in remaining([r for r in left if r.resource == res], kubectl.items(res))
        ]
        if not left or time.monotonic() >= deadline:
            break
        time.sleep(poll)
    return left


def main():
    module = AnsibleModule(
        argument_spec={
            "cluster": {"type": "str", "required": True},
            "kubeconfig": {"type": "path"},
            "context": {"type": "str"},
            "kubectl": {"type": "str", "default": "kubectl"},
            "timeout": {"type": "int", "default": 300},
            "poll": {"type": "int", "default": 5},
        },
        supports_check_mode=True,
    )
    params = module.params
    params["kubectl"] = module.get_bin_path(params["kubectl"], required=True)
    kubectl = Kubectl(module)
    server = kubectl.server()
    rc, out, err = kubectl.run("api-resources", "-o", "name")
    if rc != 0:
        module.fail_json(
            msg=unreachable_message(params["cluster"], server, first_line(err or out)), server=server, unreachable=True
        )
    served = set(out.split())
    check = module.check_mode
    result = {"changed": False, "server": server, "unreachable": False, "steps": [], "forced": []}
    result["retained_volumes"] = []
    for step in CLUSTER_STEPS:
        details, volumes = {}, {}
        if step.name == "volumes":
            volumes = claim_volumes(kubectl.items("persistentvolumes", namespaced=False))
            details = {claim: vol.describe() for claim, vol in volumes.items()}
        selected = [ref for res in step.resources if res in served for ref in select(res, kubectl.items(res), details)]
        entry = {"step": step.name, "objects": [ref.describe() for ref in selected], "scaled": []}
        result["steps"].append(entry)
        if not selected:
            continue
        claims = {(ref.namespace, ref.name) for ref in selected} if step.name == "volumes" else set()
        if claims:
            holders = claim_holders(kubectl.items("pods"), kubectl.items("replicasets.apps"), claims)
            entry["scaled"] = [f"{res} {ns}/{name}" for res, ns, name in holders]
            result["retained_volumes"] = [v.describe() for v in retained(volumes) if v.claim in claims]
        if check:
            continue
        result["changed"] = True
        for res, ns, name in holders if claims else []:
            if res == "pods":
                kubectl.must("delete", "pods", "-n", ns, name, "--wait=false", "--ignore-not-found")
            else:
                kubectl.must("scale", res, "-n", ns, name, "--replicas=0")
        for ref in selected:
            kubectl.must("delete", ref.resource, "-n", ref.namespace, ref.name, "--wait=false", "--ignore-not-found")
        left = wait_gone(kubectl, selected, params["timeout"], params["poll"])
        if left and step.on_timeout == "fail":
            module.fail_json(msg=timeout_message(step, left, params["timeout"]), **result)
        for ref in left:
            kubectl.run(
                "patch", ref.resource, "-n", ref.namespace, ref.name, "--type=merge", "-p",
                '{"metadata":{"finalizers":null}}',
            )  # fmt: skip
            result["forced"].append(ref.describe())
        if claims:
            # The claims' PVs with reclaimPolicy Delete: gone once the CSI driver has deleted the cloud volume.
            pvs = [v.pv for v in volumes.values() if v.claim in claims and v.reclaim == "Delete"]
            deadline = time.monotonic() + params["timeout"]
            while pvs and time.monotonic() < deadline:
                present = {p["metadata"]["name"] for p in kubectl.items("persistentvolumes", namespaced=False)}
                pvs = [pv for pv in pvs if pv in present]
                if pvs:
                    time.sleep(params["poll"])
            result["volumes_not_released"] = pvs
    result["report"] = [step_report(e["step"], e["objects"], e["scaled"], check) for e in result["steps"]]
    if result["forced"]:
        result["report"].append(f"finalizers removed after {params['timeout']}s: " + "; ".join(result["forced"]))
    if result["retained_volumes"]:
        result["report"].append("left in the cloud (reclaimPolicy Retain): " + "; ".join(result["retained_volumes"]))
    if result.get("volumes_not_released"):
        result["report"].append("PVs not released yet: " + "; ".join(result["volumes_not_released"]))
    module.exit_json(**result)


if __name__ == "__main__":
    main()

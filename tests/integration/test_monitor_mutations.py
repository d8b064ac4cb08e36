"""The observability objects of issue 13, shown failing: a realistic defect planted into a role template of a
temporary copy of the collection, the test inventory rendered from that copy, and the checks run over the
render (the behaviour checks of render_facts, plus the harness's "every monitor selects an object and port that
exist", wiring.monitors_select_something). The check the defect is for must fail naming the object the defect is
in, and no other check may fail because of that object.

(Style of test_behaviour_mutations.py; each case renders the site once, ~40 s.)
"""

from __future__ import annotations

import pytest

from .conftest import mutated_collection, run_site
from .platform_checks import wiring
from .platform_checks.render_facts import INVENTORIES, facts, failing_checks

# id -> (inventory, file, text, replacement, the check that must catch it, the object it must name)
MUTATIONS = {
    # The DCGM exporter runs on the GPU pools beside the device plugin; without the pools' tolerations (the AKS
    # spot taint among them) the scheduler keeps it off every GPU node and no GPU metric is ever scraped.
    "DCGM exporter's tolerations dropped": (
        "azure-full",
        "roles/gpu/templates/manifests.yaml.j2",
        "      tolerations: {{ gpu__tolerations | to_json }}\n"
        "      securityContext:\n"
        "        seccompProfile:\n"
        "          type: RuntimeDefault\n"
        "      containers:\n"
        "        - name: exporter\n",
        "      tolerations: []\n"
        "      securityContext:\n"
        "        seccompProfile:\n"
        "          type: RuntimeDefault\n"
        "      containers:\n"
        "        - name: exporter\n",
        "daemonsets_reach_pools",
        "DaemonSet/nvidia-device-plugin/dcgm-exporter",
    ),
    # The container's port name (mlflow) instead of the chart Service's (http): the operator finds no such port
    # on the Service and makes no target at all.
    "MLflow ServiceMonitor on the container's port name, not the Service's": (
        "aws-full",
        "roles/mlflow/templates/manifests.yaml.j2",
        "    - port: http\n      path: /metrics\n",
        "    - port: mlflow\n      path: /metrics\n",
        "monitors_select_something",
        "ServiceMonitor/mlflow/mlflow",
    ),
}


def _failing(render: dict) -> dict:
    failing = failing_checks(render, strict=True)
    problems = wiring.monitors_select_something(render["objs"], also_present=wiring.CLUSTER_PROVIDED_SERVICES)
    if problems:
        failing["monitors_select_something"] = problems
    return failing


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_a_planted_monitoring_defect_fails_its_check(upstream, tmp_path, mutation):
    name, path, old, new, check, named = MUTATIONS[mutation]
    root = mutated_collection(tmp_path / "collection", path, old, new)
    build = tmp_path / "build"
    run = run_site(INVENTORIES[name], build, root=root)
    assert run.rc == 0, f"the mutated render of {name} failed:\n{run.output[-3000:]}"
    failing = _failing(facts(INVENTORIES[name], build))
    assert check in failing, f"{check} passed; failing: " + "\n".join(f"{c}: {p[:3]}" for c, p in failing.items())
    assert any(named in problem for problem in failing[check]), failing[check]
    others = {c: [p for p in problems if named in p] for c, problems in failing.items() if c != check}
    assert not any(others.values()), others

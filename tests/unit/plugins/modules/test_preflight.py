"""Run the preflight module for real: a subprocess with module arguments on stdin, as Ansible does."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.mlops.platform.plugins.modules import preflight

# The real inventories, loaded as the preflight role assembles them (shared with the module_utils tests).
from ansible_collections.mlops.platform.tests.unit.plugins.module_utils.test_preflight import AWS, AZURE


def run_module(config) -> tuple[int, dict]:
    """Execute plugins/modules/preflight.py in a fresh Python; return (exit code, JSON result)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.run(
        [sys.executable, "-m", preflight.__name__],
        input=json.dumps({"ANSIBLE_MODULE_ARGS": {"config": config}}),
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


@pytest.mark.parametrize("config", [AWS, AZURE], ids=["aws-dev", "azure-dev"])
def test_real_inventories_pass(config):
    code, result = run_module(config)
    assert code == 0, result
    assert result["changed"] is False
    assert result["problems"] == []
    assert result["summary"]["cloud"] == config["platform_cloud"]
    assert "failed" not in result


def test_bad_config_fails_with_every_problem_in_one_message():
    config = json.loads(json.dumps(AWS))
    config["platform_cloud"] = "gcp"
    config["platform_node_pools"]["gpu"].update(min_size=3, max_size=1)
    code, result = run_module(config)
    assert code == 1
    assert result["failed"] is True
    assert result["msg"] == (
        "Preflight found 2 problem(s) in the platform configuration:\n"
        " - platform_cloud: 'gcp' is not supported; allowed: aws, azure, local (cloud-specific checks were skipped)\n"
        " - platform_node_pools.gpu: sizes must satisfy min_size <= desired_size <= max_size, "
        "got min_size 3, desired_size 0, max_size 1"
    )
    assert len(result["problems"]) == 2
    assert "exception" not in result


def test_azure_vm_size_on_aws():
    config = json.loads(json.dumps(AWS))
    config["platform_node_pools"]["gpu"]["instance_types"] = ["Standard_NC6s_v3"]
    code, result = run_module(config)
    assert code == 1
    assert "'Standard_NC6s_v3' is an Azure VM size; on aws use an EC2 instance type" in result["msg"]


@pytest.mark.parametrize("config", [{}, {"platform_cloud": ["aws"], "platform_node_pools": "x", "toggles": [1]}])
def test_garbage_gives_a_message_not_a_traceback(config):
    code, result = run_module(config)
    assert code == 1
    assert result["msg"].startswith("Preflight found ")
    assert "exception" not in result


def test_missing_config_is_ansible_argument_error():
    code, result = run_module(None)
    assert code == 1
    assert "config" in result["msg"]

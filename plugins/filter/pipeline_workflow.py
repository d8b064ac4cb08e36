# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: pipeline_workflow
short_description: The ML pipeline's Argo WorkflowTemplate (and CronWorkflow), generated with Hera
version_added: 0.1.0
description:
  - Builds the Argo Workflows objects of the ML pipeline from the pipeline's own description of its DAG
    (C(pipeline/src/mlops_pipeline/spec.py) in the collection) with the pipeline's Hera generator
    (C(mlops_pipeline.workflow.build)); one template per step, a DAG task per step with its dependencies and
    conditions, artifacts through the default artifact repository, memoization, retries with backoff, resources,
    node placement, the serving-runtime sidecar of the serving gate.
  - Returns a CronWorkflow running the WorkflowTemplate too when O(_input.schedule) is set.
  - Needs the Python package C(hera==6.0.0) (generated from the Argo Workflows 3.7 API) on the controller.
    Hera 7 targets Argo 4.0 and its memoization output fails the 3.7 CRD.
  - The output is deterministic, the same settings give the same objects.
options:
  _input:
    description:
      - The settings, as the C(ml_pipeline) role computes them (C(ml_pipeline__config)). Keys C(name), C(namespace),
        C(labels), C(image), C(serving_runtime), C(service_account), C(pod_labels), C(parameters),
        C(artifact_repository), C(mlflow), C(memoize), C(retry), C(resources), C(placement), C(env), C(schedule),
        C(timezone); the module docstring of C(mlops_pipeline.workflow) describes each.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Show the pipeline's WorkflowTemplate
  ansible.builtin.debug:
    msg: "{{ (ml_pipeline__config | mlops.platform.pipeline_workflow)[0] | to_nice_yaml }}"
"""

RETURN = r"""
_value:
  description:
    - The WorkflowTemplate (argoproj.io/v1alpha1), then the CronWorkflow when a schedule is set, as plain mappings.
  type: list
  elements: dict
"""

import importlib
import sys
from pathlib import Path

from ansible.errors import AnsibleFilterError

# <collection root>/pipeline/src: the pipeline package's source, which the collection ships for this filter.
PIPELINE_SRC = Path(__file__).resolve().parents[2] / "pipeline" / "src"
HERA = "hera==6.0.0"


def _generator():
    if str(PIPELINE_SRC) not in sys.path:
        sys.path.insert(0, str(PIPELINE_SRC))
    try:
        return importlib.import_module("mlops_pipeline.workflow")
    except ImportError as err:
        raise AnsibleFilterError(
            f"pipeline_workflow: cannot import mlops_pipeline.workflow from {PIPELINE_SRC}: {err}"
        ) from None


def pipeline_workflow(config):
    """The WorkflowTemplate (and CronWorkflow) of the ML pipeline for ``config``."""
    if not isinstance(config, dict):
        raise AnsibleFilterError(f"pipeline_workflow: the input must be a mapping, got {type(config).__name__}")
    workflow = _generator()
    try:
        return workflow.build(config)
    except ModuleNotFoundError as err:
        # The generator imports hera itself (only it does); say which release to install.
        if (err.name or "").split(".")[0] != "hera":
            raise
        raise AnsibleFilterError(
            f"pipeline_workflow: the Python package hera is not installed for {sys.executable}; "
            f"install {HERA} (the release generated for Argo Workflows 3.7): pip install '{HERA}'"
        ) from None
    except (ValueError, KeyError, TypeError) as err:  # ConfigError and hera's validation errors are ValueErrors
        raise AnsibleFilterError(f"pipeline_workflow: {type(err).__name__}: {err}") from None


class FilterModule:
    def filters(self):
        return {"pipeline_workflow": pipeline_workflow}

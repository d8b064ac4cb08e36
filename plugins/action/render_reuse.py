# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin: is the last render of this host current? (docs: the module of the same name).

The inputs of a render are controller-side files and the command line, so the check runs here.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import ClassVar

from ansible import context
from ansible.errors import AnsibleError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.release import __version__ as ansible_version

from ansible_collections.mlops.platform.plugins.action.release_render import find_helm
from ansible_collections.mlops.platform.plugins.module_utils import reuse
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError
from ansible_collections.mlops.platform.plugins.module_utils.terraform import credentials_in_env
from ansible_collections.mlops.platform.plugins.plugin_utils.action import COLLECTION_ROOT, PlatformAction


def _playbook_variables(playbook_dir: str) -> list:
    """The playbooks and the group/host variables next to them (the host_group_vars plugin reads these)."""
    root = Path(playbook_dir)
    files = sorted(str(p) for p in root.glob("*.y*ml")) if root.is_dir() else []
    return [*files, str(root / "group_vars"), str(root / "host_vars")]


class ActionModule(PlatformAction):
    ARGUMENT_SPEC: ClassVar[dict] = {
        "dest": {"type": "path", "required": True},
        "chart_mirror": {"type": "path"},
        "helm_binary": {"type": "path"},
    }

    def inputs(self, args: dict) -> dict:
        variables = self._task_vars
        sources = [s for s in variables.get("ansible_inventory_sources") or [] if isinstance(s, str)]
        try:
            helm = args["helm_binary"] or find_helm()
        except PlatformError:
            helm = "helm: not found"
        env = {k: v for k, v in os.environ.items() if k.startswith("ANSIBLE_")}
        return {
            "variables": sources
            + _playbook_variables(variables.get("playbook_dir", ""))
            + [variables.get("ansible_config_file") or "no ansible.cfg"],
            # pipeline/src: the ML pipeline's DAG and its WorkflowTemplate generator (the pipeline_workflow filter).
            "code": [str(COLLECTION_ROOT / part) for part in ("roles", "plugins", "playbooks", "meta", "pipeline/src")],
            "archives": [p for p in (args["chart_mirror"], helm) if p],
            "extra_vars": list(context.CLIARGS.get("extra_vars") or []),
            "facts": {
                "host": variables.get("inventory_hostname"),
                "dest": os.path.abspath(args["dest"]),
                "play": [variables.get("ansible_play_name"), sorted(variables.get("ansible_play_role_names") or [])],
                "tags": [
                    sorted(variables.get("ansible_run_tags") or []),
                    sorted(variables.get("ansible_skip_tags") or []),
                ],
                # It narrows the render as --tags does (AWX sets it in an extra-vars file whose name changes).
                "components_selected": str(variables.get("platform_components_selected") or []),
                "check": bool(self._task.check_mode),
                "diff": bool(self._task.diff),
                "ansible": ansible_version,
                "python": sys.version,
                "chart_mirror": args["chart_mirror"],
                "helm": helm,
                "environment": env,
            },
        }

    def terraform_reason(self) -> str:
        """Why the play's infrastructure role may read platform_infra from Terraform's state in this run
        ('' when it cannot), which is not a file this check could compare.

        A render plans only with infrastructure_terraform true and infrastructure_plan_in_render always,
        or auto with the cloud's credentials in the environment (roles/infrastructure/vars/main.yml). This
        checks that much, cheaply and on the safe side (auto with credentials never reuses, even when the
        state location is unknown and the role will skip the plan). A configuration that does not evaluate
        is preflight's to report (the next task): no reuse either.
        """
        if "infrastructure" not in self.play_roles():
            return ""
        names = ["infrastructure_terraform", "infrastructure_plan_in_render", "platform_cloud"]
        try:
            terraform, plan, cloud = self.evaluate_variables(names)
            credentials = credentials_in_env(cloud, dict(os.environ))
        except (AnsibleError, PlatformError, TypeError, ValueError):
            return "the configuration does not evaluate (preflight reports why)"
        if not boolean(terraform, strict=False) or plan == "never":
            return ""
        if plan == "always":
            return "infrastructure_plan_in_render is always: Terraform's state is read in this run"
        if credentials:
            return f"{', '.join(credentials)} set: Terraform's state may be read in this run"
        return ""

    def registry_reason(self) -> str:
        """Why the render reads the model registry in this run ('' when it does not): InferenceServices of
        registered models serve what an MLflow alias points at now, which no file of the inputs records."""
        # The component roles load after this check: the inventory's settings, with the kserve role's defaults.
        try:
            enabled, services = self.evaluate_variables(
                ["kserve_enabled | default(true)", "kserve_inference_services | default([])"]
            )
        except (AnsibleError, PlatformError, TypeError, ValueError):
            return "the configuration does not evaluate (preflight reports why)"
        if not boolean(enabled, strict=False) or not isinstance(services, list):
            return ""
        names = sorted({s["registered_model"] for s in services if isinstance(s, dict) and s.get("registered_model")})
        if not names:
            return ""
        return f"kserve_inference_services serve MLflow aliases of {', '.join(names)}: the registry is read in this run"

    def act(self, args):
        key, reasons = reuse.input_key(self.inputs(args))
        for reason in (self.registry_reason(), self.terraform_reason()):
            if reason:
                reasons.insert(0, reason)
        if reasons:
            return {"changed": False, "current": False, "reusable": False, "key": key, "reason": "; ".join(reasons)}
        current, why = reuse.is_current(args["dest"], key)
        result = {"changed": False, "current": current, "reusable": True, "key": key, "reason": why}
        if current:
            result["msg"] = (
                f"{self._task_vars.get('inventory_hostname')}: the render in {args['dest']} is current (same inputs, "
                "files untouched since the last render); nothing to do. platform_render_reuse=false renders anyway."
            )
            # Shown without -v, like debug: the run ends here for this host.
            result["_ansible_verbose_always"] = True
        return result

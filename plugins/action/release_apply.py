# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin: install one wave of rendered releases, side by side (docs: the module of the same name).

The rendered files, helm, kubectl and the kubeconfig are the controller's, so the action runs here and
calls them directly; each release runs in its own thread and records when it started and finished.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import tempfile
from typing import ClassVar

from ansible_collections.mlops.platform.plugins.action.release_render import find_helm, find_tool
from ansible_collections.mlops.platform.plugins.module_utils.apply import (
    ARGUMENT_SPEC,
    Target,
    apply_wave,
    failure_message,
)
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError
from ansible_collections.mlops.platform.plugins.plugin_utils.action import ROLES_DIR, PlatformAction

POSTRENDER = ROLES_DIR / "release" / "files" / "postrender.py"


def run_command(argv: list, stdin: str | None = None) -> tuple:
    try:
        proc = subprocess.run(argv, input=stdin, capture_output=True, text=True, check=False)
    except OSError as err:
        return 127, "", f"{argv[0]}: {err.strerror}"
    return proc.returncode, proc.stdout, proc.stderr


def cluster_server(target: Target) -> str:
    """The API server URL of the kubeconfig and context in use; a clear error when there is none."""
    where = target.kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"
    rc, out, err = run_command(
        target.kubectl_argv("config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}")
    )
    if rc != 0 or not out.strip():
        context = f" (context {target.context})" if target.context else ""
        reason = (err or "no cluster in it").strip().splitlines()[0] if (err or "").strip() else "no cluster in it"
        raise PlatformError(
            f"platform_kubeconfig: no usable cluster in {where}{context}: {reason}. Set platform_kubeconfig "
            "(and platform_kube_context) to the cluster's kubeconfig; Terraform writes one under the build folder"
        )
    return out.strip()


def target_of(args: dict, **more) -> Target:
    """The cluster of a release action's arguments (the options of the doc fragment release_cluster)."""
    return Target(
        kubeconfig=args["kubeconfig"] or None,
        context=args["context"] or None,
        kubectl=args["kubectl_binary"] or find_tool("kubectl"),
        helm=args["helm_binary"] or find_helm(),
        **more,
    )


class ActionModule(PlatformAction):
    ARGUMENT_SPEC: ClassVar[dict] = ARGUMENT_SPEC

    def act(self, args):
        target = target_of(args, timeout=args["timeout"], postrender=(sys.executable, str(POSTRENDER)))
        releases = args["releases"]
        if not releases:
            return {"changed": False, "releases": [], "wave": args["wave"]}
        with tempfile.TemporaryDirectory(prefix="mlops-platform-apply-") as workdir:
            target = dataclasses.replace(target, server=cluster_server(target), workdir=workdir)
            records, diffs = apply_wave(
                releases,
                target,
                run_command,
                check_mode=self._task.check_mode,
                want_diff=self._task.diff,
                workers=args["workers"],
            )
        origin = min(record.started for record in records)
        result = {
            "changed": any(record.changed for record in records),
            "wave": args["wave"],
            "cluster": target.server,
            "releases": [record.as_dict(origin) for record in records],
        }
        if diffs:
            result["diff"] = diffs
        if any(record.error for record in records):
            result.update(failed=True, msg=failure_message(records, args["wave"]))
        return result

# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin: render platform releases on the controller (docs: the module of the same name).

Rendering reads the chart mirror and writes the build folder of the controller, with the
controller's helm, so it runs here, in-process, instead of shipping a module to the host.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError
from ansible_collections.mlops.platform.plugins.module_utils.release import ARGUMENT_SPEC, render_releases
from ansible_collections.mlops.platform.plugins.plugin_utils.action import PlatformAction


def run_command(argv: list) -> tuple:
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def find_helm() -> str:
    search = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
    helm = shutil.which("helm", path=search)
    if not helm:
        raise PlatformError(f"helm not found next to {sys.executable} or on PATH; set platform_helm_binary")
    return helm


class ActionModule(PlatformAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def act(self, args):
        return render_releases(args, self._task.check_mode, self._task.diff, run_command, find_helm)

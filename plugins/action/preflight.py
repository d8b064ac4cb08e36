# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin: validate the platform configuration on the controller (docs: the module of the same name).

The configuration is controller-side data (inventory variables), so preflight runs in-process
instead of shipping a module to the host.
"""

from __future__ import annotations

from typing import ClassVar

from ansible_collections.mlops.platform.plugins.module_utils.preflight import run_preflight
from ansible_collections.mlops.platform.plugins.plugin_utils.action import PlatformAction


class ActionModule(PlatformAction):
    ARGUMENT_SPEC: ClassVar[dict] = {"config": {"type": "dict", "required": True}}

    def act(self, args):
        return run_preflight(args["config"])

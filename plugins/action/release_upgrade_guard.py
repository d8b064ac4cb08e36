# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin: refuse a chart downgrade or a skip across majors before any wave (docs: the module of the same name).

One ``helm list`` of the whole cluster, then the rules of ``module_utils/upgrade.py`` over every release of the run.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from ansible_collections.mlops.platform.plugins.action.release_apply import cluster_server, run_command, target_of
from ansible_collections.mlops.platform.plugins.module_utils.apply import GUARD_ARGUMENT_SPEC, helm_releases
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError
from ansible_collections.mlops.platform.plugins.module_utils.upgrade import (
    INSTALL,
    UNCHANGED,
    VersionError,
    check,
    refusal_message,
)
from ansible_collections.mlops.platform.plugins.plugin_utils.action import PlatformAction


class ActionModule(PlatformAction):
    ARGUMENT_SPEC: ClassVar[dict] = GUARD_ARGUMENT_SPEC

    def act(self, args):
        target = target_of(args)
        charts = [r for r in args["releases"] if r.get("chart_ref")]
        if not charts:
            return {"changed": False, "releases": [], "upgrades": []}
        # Read-only, so it runs in check mode too: a --check run shows the refusal a deploy would meet.
        target = dataclasses.replace(target, server=cluster_server(target))
        try:
            decisions = check(
                charts, helm_releases(target, run_command), args["allow_downgrade"], args["allow_major_skip"]
            )
        except VersionError as err:
            raise PlatformError(f"upgrade guard: {err}") from None
        rows = [dataclasses.asdict(d) for d in decisions]
        result = {
            "changed": False,
            "cluster": target.server,
            "releases": rows,
            # The version moves of this run, one line each (the role prints them before the first wave).
            "upgrades": [d.line() for d in decisions if d.action not in (INSTALL, UNCHANGED) and not d.refused],
        }
        message = refusal_message(decisions, target.server)
        if message:
            result.update(failed=True, msg=message)
        return result

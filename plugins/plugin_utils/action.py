# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of the collection's controller-side actions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

from ansible.plugins.action import ActionBase
from ansible.template import trust_as_template

from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError

COLLECTION_PREFIX = "mlops.platform."
COLLECTION_ROOT = Path(__file__).resolve().parents[2]
ROLES_DIR = COLLECTION_ROOT / "roles"


def plain(data):
    """Ansible's tagged and lazy values as plain dicts, lists and scalars (for YAML, JSON and comparisons)."""
    if isinstance(data, dict):
        return {str(k): plain(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [plain(v) for v in data]
    if isinstance(data, bool) or data is None:
        return data
    for kind in (int, float, str):
        if isinstance(data, kind):
            return kind(data)
    return data


class PlatformAction(ActionBase):
    """Validates the task's arguments against ARGUMENT_SPEC and runs ``act`` in-process on the controller.

    ``act(args)`` gets plain data (Ansible's tagged values converted to dicts, lists and strings) and
    returns the result dict; a PlatformError becomes a failed result carrying its message and details.
    ``self._task_vars`` holds the task's variables (for actions that read the play's variables).
    """

    TRANSFERS_FILES = False
    _requires_connection = False
    ARGUMENT_SPEC: ClassVar[dict] = {}

    def act(self, args: dict) -> dict:
        raise NotImplementedError

    def play_roles(self) -> list:
        """The collection's roles in the play (``ansible_play_role_names``), by their short names."""
        names = self._task_vars.get("ansible_play_role_names") or []
        return [name[len(COLLECTION_PREFIX) :] for name in names if name.startswith(COLLECTION_PREFIX)]

    def evaluate_variables(self, names: list) -> list:
        """The plain values of the variables ``names``, resolved in ONE expression: the variables they share
        (platform_infra, the cloud profile's filters...) are resolved once, not once per name."""
        if not names:
            return []
        return plain(self._templar.evaluate_expression(trust_as_template("[" + ", ".join(names) + "]")))

    def run(self, tmp=None, task_vars=None):
        self._task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC)
        try:
            result.update(self.act(json.loads(json.dumps(args))))
        except PlatformError as err:
            result.update(failed=True, msg=err.msg, **err.details)
        return result

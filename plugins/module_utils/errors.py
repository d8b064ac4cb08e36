# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one exception type the collection's module_utils raise.

Modules catch it and call ``fail_json``; filters turn it into ``AnsibleFilterError``.
"""

from __future__ import annotations


class PlatformError(Exception):
    """A problem in the platform configuration or environment, with a message for the user.

    ``details`` are extra keys for the module result (for example ``problems``); they must be
    JSON-serialisable plain data.
    """

    def __init__(self, msg: str, details: dict | None = None) -> None:
        super().__init__(msg)
        self.msg = msg
        self.details = dict(details or {})

    def fail_json(self, module) -> None:
        """Fail the Ansible module with this error's message and details (does not return)."""
        module.fail_json(msg=self.msg, **self.details)

# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A module_utils function as a filter: its PlatformError becomes an AnsibleFilterError (one message, no trace)."""

from __future__ import annotations

import functools

from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError


def platform_filter(function):
    """``function`` wrapped for a FilterModule: a PlatformError is reported as the filter's error."""

    @functools.wraps(function)
    def wrapped(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except PlatformError as err:
            raise AnsibleFilterError(str(err)) from err

    return wrapped

# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every cloud-profile filter does: ask the profile of the input cloud, report errors as filter errors."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.module_utils._cloud import get_profile
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError


def ask_profile(filter_name: str, cloud, method: str, *args, **kwargs):
    """``get_profile(cloud).<method>(*args, **kwargs)``; a PlatformError becomes an AnsibleFilterError."""
    try:
        return getattr(get_profile(cloud), method)(*args, **kwargs)
    except PlatformError as err:
        raise AnsibleFilterError(f"{filter_name}: {err}") from err

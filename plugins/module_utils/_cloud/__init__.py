# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE per-cloud profiles. Use ``get_profile(platform_cloud)``; never branch on the cloud elsewhere."""

from __future__ import annotations

from ansible_collections.mlops.platform.plugins.module_utils._cloud import aws, azure, local
from ansible_collections.mlops.platform.plugins.module_utils._cloud.base import CloudProfile, registered_profiles, show
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError

__all__ = ["CloudProfile", "PlatformError", "get_profile", "supported_clouds"]

# Importing the cloud modules registers their profiles.
_PROFILE_MODULES = (aws, azure, local)


def supported_clouds() -> list:
    """The values platform_cloud may take, sorted."""
    return list(registered_profiles())


def get_profile(cloud: str) -> CloudProfile:
    """The profile of ``cloud``; raises PlatformError naming the allowed clouds."""
    profiles = registered_profiles()
    if isinstance(cloud, str) and cloud in profiles:
        return profiles[cloud]
    raise PlatformError("unknown cloud {}; allowed: {}".format(show(cloud), ", ".join(profiles)))

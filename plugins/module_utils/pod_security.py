# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pod Security Admission labels of a namespace, from the platform's Pod Security table."""

from __future__ import annotations

from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError

MODES = ("audit", "enforce", "warn")
LEVELS = ("privileged", "baseline", "restricted")


def pod_security_labels(namespace, levels, default) -> dict:
    """The ``pod-security.kubernetes.io/<mode>`` labels of ``namespace`` (``default`` when unlisted)."""
    if not isinstance(namespace, str) or not namespace:
        raise PlatformError(f"pod_security_labels: expected a namespace name, got {namespace!r}")
    chosen = (levels or {}).get(namespace, default)
    if not isinstance(chosen, dict):
        raise PlatformError(f"pod_security_labels: levels of namespace {namespace!r} must be a dict, got {chosen!r}")
    unknown = sorted(set(chosen) - set(MODES))
    if unknown:
        raise PlatformError(
            f"platform_pod_security.{namespace}: unknown mode(s) {', '.join(unknown)}; allowed: {', '.join(MODES)}"
        )
    labels = {}
    for mode in MODES:
        level = chosen.get(mode)
        if level is None:
            continue
        if level not in LEVELS:
            raise PlatformError(
                f"platform_pod_security.{namespace}.{mode}: {level!r} is not one of {', '.join(LEVELS)}"
            )
        labels[f"pod-security.kubernetes.io/{mode}"] = level
    return labels

# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: pod_security_labels
short_description: Pod Security Admission labels of a namespace
version_added: 0.1.0
description:
  - Returns the C(pod-security.kubernetes.io/<mode>) labels for a namespace from the platform's
    Pod Security table (C(platform_pod_security)), falling back to a default for unlisted namespaces.
options:
  _input:
    description: The namespace name.
    type: str
    required: true
  levels:
    description: Map of namespace to C({enforce, warn, audit}) levels.
    type: dict
    required: true
  default:
    description: Levels of a namespace not in O(levels).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Labels of the mlflow namespace
  ansible.builtin.debug:
    msg: "{{ 'mlflow' | mlops.platform.pod_security_labels(platform_pod_security, platform_pod_security_default) }}"
"""

RETURN = r"""
_value:
  description: The labels, sorted by mode.
  type: dict
  sample: {pod-security.kubernetes.io/audit: restricted, pod-security.kubernetes.io/enforce: baseline}
"""

from ansible.errors import AnsibleFilterError

MODES = ("audit", "enforce", "warn")
LEVELS = ("privileged", "baseline", "restricted")


def pod_security_labels(namespace, levels, default):
    if not isinstance(namespace, str) or not namespace:
        raise AnsibleFilterError(f"pod_security_labels: expected a namespace name, got {namespace!r}")
    chosen = (levels or {}).get(namespace, default)
    if not isinstance(chosen, dict):
        raise AnsibleFilterError(
            f"pod_security_labels: levels of namespace {namespace!r} must be a dict, got {chosen!r}"
        )
    unknown = sorted(set(chosen) - set(MODES))
    if unknown:
        raise AnsibleFilterError(
            f"platform_pod_security.{namespace}: unknown mode(s) {', '.join(unknown)}; allowed: {', '.join(MODES)}"
        )
    labels = {}
    for mode in MODES:
        level = chosen.get(mode)
        if level is None:
            continue
        if level not in LEVELS:
            raise AnsibleFilterError(
                f"platform_pod_security.{namespace}.{mode}: {level!r} is not one of {', '.join(LEVELS)}"
            )
        labels[f"pod-security.kubernetes.io/{mode}"] = level
    return labels


class FilterModule:
    def filters(self):
        return {"pod_security_labels": pod_security_labels}

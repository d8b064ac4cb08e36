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

from ansible_collections.mlops.platform.plugins.module_utils.pod_security import pod_security_labels as _labels
from ansible_collections.mlops.platform.plugins.plugin_utils.filter_errors import platform_filter

pod_security_labels = platform_filter(_labels)


class FilterModule:
    def filters(self):
        return {"pod_security_labels": pod_security_labels}

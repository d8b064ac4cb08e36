# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: drift_report
short_description: The drift summary of one cluster (Terraform and releases)
version_added: 0.2.0
description:
  - Summarises what playbooks/drift.yml found, one line per finding, no values.
  - "Terraform: the exit code of C(terraform plan -detailed-exitcode) (0 no drift, 2 drift), the addresses changed
    outside Terraform and those the plan would change."
  - "Releases: per release, the steps M(mlops.platform.release_apply) in check mode reports as C(would change)
    (V(drift)), V(in sync), or why it could not be checked (V(unreachable), V(error), V(not checked))."
options:
  _input:
    description:
      - "C(cluster); C(infrastructure) (the C(infrastructure_drift) fact of the infrastructure role, or
        C({skipped: reason}), or null); C(releases) (the C(releases) records of release_apply, or
        C({skipped: reason}), or null)."
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Drift summary
  ansible.builtin.debug:
    msg: "{{ (drift__data | mlops.platform.drift_report).lines }}"
"""

RETURN = r"""
_value:
  description:
    - C(drift) (something differs), C(unknown) (something could not be checked), C(infrastructure),
      C(releases) (one row per release) and C(lines) (the summary).
  type: dict
"""

from ansible_collections.mlops.platform.plugins.module_utils.platform_status import drift_report as _report
from ansible_collections.mlops.platform.plugins.plugin_utils.filter_errors import platform_filter


class FilterModule:
    def filters(self):
        return {"drift_report": platform_filter(_report)}

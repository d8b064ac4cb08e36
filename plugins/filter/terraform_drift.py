# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: terraform_drift
short_description: The resource addresses a Terraform plan would change, without any value
version_added: 0.2.0
description:
  - Reads the JSON plan (C(terraform show -json <planfile>)) and keeps only the addresses and the actions of the
    resources it would change (C(resource_changes)) and of those changed outside Terraform (C(resource_drift)).
  - No attribute value is returned, so the result may be printed.
options:
  _input:
    description: The JSON plan, parsed.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: What the plan would change
  ansible.builtin.set_fact:
    infrastructure_drift: "{{ show.stdout | from_json | mlops.platform.terraform_drift }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: C(changes) and C(outside), lists of C({address, action}) (create, update, delete, replace).
  type: dict
"""

from ansible_collections.mlops.platform.plugins.module_utils.platform_status import terraform_changes
from ansible_collections.mlops.platform.plugins.plugin_utils.filter_errors import platform_filter


class FilterModule:
    def filters(self):
        return {"terraform_drift": platform_filter(terraform_changes)}

# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: terraform_backend_config
short_description: infrastructure_backend_config as terraform init -backend-config values
version_added: 0.2.0
description:
  - Turns C(infrastructure_backend_config) into the strings C(terraform init -backend-config=KEY=VALUE) takes.
  - Booleans become C(true)/C(false) (Terraform refuses C(True)); numbers and strings are kept as text.
options:
  _input:
    description: C(infrastructure_backend_config).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: The backend settings of terraform init
  ansible.builtin.debug:
    msg: "{{ {'bucket': 'state', 'encrypt': true} | mlops.platform.terraform_backend_config }}"
"""

RETURN = r"""
_value:
  description: Key -> value as text.
  type: dict
"""

from ansible_collections.mlops.platform.plugins.module_utils.terraform import backend_config_values
from ansible_collections.mlops.platform.plugins.plugin_utils.filter_errors import platform_filter


class FilterModule:
    def filters(self):
        return {"terraform_backend_config": platform_filter(backend_config_values)}

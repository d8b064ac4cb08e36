# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: terraform_outputs
short_description: Terraform outputs as platform_infra
version_added: 0.1.0
description:
  - Turns the C(outputs) a Terraform module returns (C(terraform output -json)) into a mapping of output name to
    value. The Terraform roots' outputs have the names of C(platform_infra), so the result is C(platform_infra).
  - With O(sensitive=false) outputs that Terraform marks sensitive are left out (for files and reports).
  - Error messages name the output, never its value.
options:
  _input:
    description: The C(outputs) of M(community.general.terraform) (or C(cloud.terraform.terraform)).
    type: dict
    required: true
  sensitive:
    description: Keep the outputs Terraform marks sensitive.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Use the Terraform outputs as the cloud-layer facts
  ansible.builtin.set_fact:
    platform_infra: "{{ infrastructure__tf.outputs | mlops.platform.terraform_outputs }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: Output name -> value, sorted by name.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError
from ansible_collections.mlops.platform.plugins.module_utils.terraform import outputs_to_infra


def terraform_outputs(outputs, sensitive=True):
    """``{name: {value, type, sensitive}}`` -> ``{name: value}``."""
    if not isinstance(sensitive, bool):
        raise AnsibleFilterError(f"terraform_outputs: sensitive must be true or false, got {sensitive!r}")
    try:
        return outputs_to_infra(outputs, sensitive=sensitive)
    except PlatformError as err:
        raise AnsibleFilterError(f"terraform_outputs: {err}") from err


class FilterModule:
    def filters(self):
        return {"terraform_outputs": terraform_outputs}

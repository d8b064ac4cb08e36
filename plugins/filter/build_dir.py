# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: build_dir
short_description: The default build folder, in the user's project, never inside an installed collection
version_added: 0.2.0
description:
  - The default of C(platform_build_dir), from C(playbook_dir).
  - For a playbook of an installed collection (C(ansible-playbook mlops.platform.site), whose playbook lies under
    C(ansible_collections/)), the folder C(build) in the directory C(ansible-playbook) runs in.
  - For the playbooks of a checkout (C(site.yml) imports C(playbooks/site.yml)), the checkout's C(build).
  - For a playbook of the user's own project, C(build) next to it.
options:
  _input:
    description: The playbook directory (C(playbook_dir)).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Where renders go by default
  ansible.builtin.debug:
    msg: "{{ playbook_dir | mlops.platform.build_dir }}"
"""

RETURN = r"""
_value:
  description: An absolute path.
  type: str
"""

import os

from ansible.errors import AnsibleFilterError


def build_dir(playbook_dir):
    if not isinstance(playbook_dir, str) or not playbook_dir:
        raise AnsibleFilterError(f"build_dir: expected the playbook directory, got {playbook_dir!r}")
    path = os.path.abspath(playbook_dir)
    parts = path.split(os.sep)
    if "ansible_collections" in parts:
        return os.path.join(os.getcwd(), "build")
    if os.path.basename(path) == "playbooks" and os.path.isfile(os.path.join(os.path.dirname(path), "galaxy.yml")):
        path = os.path.dirname(path)
    return os.path.join(path, "build")


class FilterModule:
    def filters(self):
        return {"build_dir": build_dir}

#!/usr/bin/python
# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: render_reuse
short_description: Tell whether the last render of a cluster is current (make's rule for a whole render)
version_added: 0.1.0
description:
  - Digests every input of a render of this host, that is the inventory sources, the playbooks and the
    C(group_vars)/C(host_vars) next to them, the Ansible configuration file, the collection's roles,
    plugins and playbooks (content), the chart mirror and the helm binary (name, size and modification
    time), the extra vars (a C(@file) by content), the tags, check and diff mode, the play and its roles,
    the Ansible and Python versions and the C(ANSIBLE_*) environment.
  - The render is current when that key is the one M(mlops.platform.release_render) recorded with the
    last successful render of O(dest) (option C(stamp)) and no file under O(dest) changed since.
  - A render is never reused when a variable file or an extra var looks something up at run time
    (C(lookup), C(query), C(now), C(pipe), C(ansible_env)), or when the play's C(mlops.platform.infrastructure)
    role may read C(platform_infra) from Terraform's state in this run (C(infrastructure_terraform) true and
    C(infrastructure_plan_in_render) C(always), or C(auto) with the cloud's credentials in the environment);
    RV(reason) says why.
  - The C(mlops.platform.platform) role runs it first in render mode and ends the play for a host whose
    render is current (C(platform_render_reuse)).
  - Reads files only; never changes anything.
author:
  - mlops.platform maintainers (@mlops)
options:
  dest:
    description: The host's build folder (C(platform_cluster_dir)).
    type: path
    required: true
  chart_mirror:
    description: The chart mirror directory, if any.
    type: path
  helm_binary:
    description: The helm executable. Default is C(helm) next to the Python running Ansible, then C(PATH).
    type: path
notes:
  - Runs on the controller (an action plugin of the same name); the module itself only reports that.
"""

EXAMPLES = r"""
- name: Is the last render of this cluster current?
  mlops.platform.render_reuse:
    dest: "{{ platform_build_dir }}/{{ inventory_hostname }}"
    chart_mirror: /srv/charts
  register: render

- name: Nothing to do, the render is current
  ansible.builtin.meta: end_host
  when: render.current
"""

RETURN = r"""
current:
  description: Whether O(dest) holds the untouched render of exactly these inputs.
  returned: always
  type: bool
reusable:
  description: Whether a render of these inputs may be reused at all (see RV(reason) when false).
  returned: always
  type: bool
key:
  description: The digest of the inputs; pass it to M(mlops.platform.release_render) as C(stamp).
  returned: always
  type: str
  sample: 3f5c0e0b6c6b1c3f7e2d0c5a9d1e4b7a2c8f6e0d1b3a5c7e9f0a2b4c6d8e0f1a
reason:
  description: Why the render is not current or not reusable; empty when current.
  returned: always
  type: str
  sample: inputs changed since the last render
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dest=dict(type="path", required=True),
            chart_mirror=dict(type="path"),
            helm_binary=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    module.fail_json(msg="render_reuse reads the controller's files and command line: it runs as the action plugin")


if __name__ == "__main__":
    main()

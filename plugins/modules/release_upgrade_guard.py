#!/usr/bin/python
# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: release_upgrade_guard
short_description: Refuse a chart downgrade or a skip across chart majors before any release is applied
version_added: 0.2.0
description:
  - Lists the cluster's helm releases once (C(helm list --all-namespaces --all --output json)) and compares, for
    every chart release given, the installed chart version with the pinned one.
  - "The same version: nothing to do. Newer in the same major: an upgrade. The next major: allowed, listed as a
    major upgrade (read the chart's upgrade notes: C(docs/upgrade.md)). Older: refused unless
    O(allow_downgrade). More than one major ahead: refused unless O(allow_major_skip)."
  - Versions are SemVer with an optional leading C(v); below 1.0.0 the minor counts as the major (0.44 -> 0.46
    crosses two, 0.46 -> 1.0 one).
  - Fails with one line per refused release (component, helm release, installed and pinned versions, the flag
    that allows it); an unreachable cluster is one line naming the endpoint. It changes nothing, in check mode
    too.
  - The C(mlops.platform.release) role runs it before the first wave (options C(release_allow_downgrade),
    C(release_allow_major_skip)); use that role.
author:
  - mlops.platform maintainers (@mlops)
extends_documentation_fragment:
  - mlops.platform.release_cluster
options:
  allow_downgrade:
    description: Allow a pinned chart version older than the installed one.
    type: bool
    default: false
  allow_major_skip:
    description: Allow a pinned chart version more than one major version ahead of the installed one.
    type: bool
    default: false
notes:
  - Supports C(check_mode) (it only reads).
  - Runs on the controller only (an action plugin of the same name).
"""

EXAMPLES = r"""
- name: Refuse downgrades and major skips before the first wave
  mlops.platform.release_upgrade_guard:
    releases: "{{ release__pending }}"
    kubeconfig: build/mlops-dev/kubeconfig
"""

RETURN = r"""
cluster:
  description: The API server whose releases were listed.
  returned: when a release has a chart
  type: str
  sample: https://ABCDEF.gr7.eu-west-1.eks.amazonaws.com
releases:
  description: One decision per chart release, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    component:
      description: The component.
      type: str
    release:
      description: C(<namespace>/<helm release name>).
      type: str
    chart:
      description: The chart's name.
      type: str
    installed:
      description: The installed chart version; null when the release is not installed.
      type: str
    pinned:
      description: The pinned chart version.
      type: str
    action:
      description: >-
        C(install), C(unchanged), C(upgrade), C(major upgrade), C(downgrade), C(major skip) or C(other chart) (the
        installed release holds another chart).
      type: str
    refused:
      description: The flag that would allow this release's version move when it is refused; null otherwise.
      type: str
upgrades:
  description: One line per release whose chart version changes and is allowed.
  returned: always
  type: list
  elements: str
  sample:
    - >-
      monitoring: helm release monitoring/kube-prometheus-stack, chart kube-prometheus-stack:
      71.2.0 -> 72.6.2 (major upgrade)
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mlops.platform.plugins.module_utils.apply import GUARD_ARGUMENT_SPEC


def main():
    module = AnsibleModule(argument_spec=GUARD_ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(
        msg="release_upgrade_guard runs on the controller only (its action plugin); run it with a local connection"
    )


if __name__ == "__main__":
    main()

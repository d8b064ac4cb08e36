#!/usr/bin/python
# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: release_apply
short_description: Install one wave of rendered platform releases into a cluster, side by side
version_added: 0.2.0
description:
  - Installs the releases of one wave from the files M(mlops.platform.release_render) wrote
    (C(<folder>/manifests.yaml), C(values.yaml), C(chart.yaml)), every release in its own thread, and
    returns when all of them have finished.
  - "Per release, in order: the Namespace with its Pod Security labels, our objects needed before the
    chart, the chart (C(helm upgrade --install --wait --atomic) with the rendered C(values.yaml)), our objects
    that need the chart. Our objects are applied with C(kubectl apply --server-side) (field manager
    C(mlops-platform)) only when C(kubectl diff) shows a difference; Deployments, StatefulSets and DaemonSets
    are waited for with C(kubectl rollout status), CRDs until Established, and cert-manager and External
    Secrets objects until Ready."
  - A chart release is left alone when it is deployed with the same chart version and values. Otherwise a
    helm post-renderer leaves out the objects of the release's C(drop) rules, as the render did, and fails
    when the chart renders other objects (kind, namespace, name) than the reviewed C(chart.yaml).
  - The API server is contacted only after every release's files have been read and checked.
  - A failed release is reported in one line naming the cluster endpoint when it is unreachable; values and
    objects are never echoed.
  - This is the apply backend of the C(mlops.platform.release) role; use that role.
author:
  - mlops.platform maintainers (@mlops)
extends_documentation_fragment:
  - mlops.platform.release_cluster
options:
  wave:
    description: The wave (reported back).
    type: raw
  timeout:
    description: Seconds each release may take to become ready.
    type: int
    default: 600
  workers:
    description: How many releases run at the same time; 0 is all of the wave.
    type: int
    default: 0
notes:
  - Supports C(check_mode) (nothing is applied; what would change is reported) and C(diff) (C(kubectl diff)
    of our objects, and the release's stored manifest against the render for charts, Secrets masked, as
    helm-diff shows it, without the plugin).
  - Runs on the controller only (an action plugin of the same name).
"""

EXAMPLES = r"""
- name: Install wave 10
  mlops.platform.release_apply:
    releases: "{{ release__pending | selectattr('wave', '==', 10) | list }}"
    wave: 10
    kubeconfig: build/mlops-dev/kubeconfig
"""

RETURN = r"""
cluster:
  description: The API server the releases were installed into.
  returned: always
  type: str
  sample: https://ABCDEF.gr7.eu-west-1.eks.amazonaws.com
releases:
  description: One record per release, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    component:
      description: The component.
      type: str
    steps:
      description: The steps run and their result (C(unchanged), C(changed), C(would change)).
      type: list
      elements: dict
    changed:
      description: Whether the release changed (would change in check mode).
      type: bool
    started:
      description: Seconds from the first release's start to this release's start.
      type: float
    finished:
      description: Seconds from the first release's start to this release's end.
      type: float
    error:
      description: Why the release failed, in one line; null when it did not.
      type: str
    unreachable:
      description: Whether it failed because the cluster could not be reached.
      type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mlops.platform.plugins.module_utils.apply import ARGUMENT_SPEC


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(
        msg="release_apply runs on the controller only (its action plugin); run it with a local connection"
    )


if __name__ == "__main__":
    main()

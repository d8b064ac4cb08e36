#!/usr/bin/python
# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: release_render
short_description: Render one platform release (a pinned Helm chart plus our manifests) to files
version_added: 0.1.0
description:
  - Runs C(helm template) for a pinned chart, from its repository or from a local chart mirror,
    with the given values, and writes the result together with our own manifests and the values
    used under O(dest).
  - Works offline with a chart mirror and needs no cluster and no credentials.
  - Writes only when the content changes, so a second run reports no change; in check mode it
    reports what would change and writes nothing.
  - Refuses to write any C(Secret) that carries data; secrets reach the cluster through External Secrets.
  - This is the render backend of the C(mlops.platform.release) role (C(platform_mode=render)); use that role.
author:
  - mlops.platform maintainers (@mlops)
options:
  component:
    description: Component name, used in messages.
    type: str
    required: true
  release_name:
    description: Helm release name.
    type: str
    required: true
  namespace:
    description: Namespace of the release.
    type: str
    required: true
  chart:
    description:
      - The chart as pinned in C(platform_versions.charts).
      - Omit it for a release of our own manifests only (no helm call; no C(chart.yaml) or C(values.yaml)).
    type: dict
    suboptions:
      repo:
        description: Chart repository URL or C(oci://) registry.
        type: str
        required: true
      name:
        description: Chart name.
        type: str
        required: true
      version:
        description: Exact chart version.
        type: str
        required: true
  chart_mirror:
    description:
      - Directory of packaged charts named C(<name>-<version>.tgz). When set, the chart is taken
        from there and the repository is never contacted.
    type: path
  values:
    description: Helm values.
    type: dict
    default: {}
  manifests_pre:
    description: Our objects that must exist before the chart (applied first in apply mode).
    type: list
    elements: dict
    default: []
  manifests:
    description: Our objects that need the chart (for example custom resources of its CRDs).
    type: list
    elements: dict
    default: []
  drop:
    description:
      - Chart objects to leave out, each C({kind, name, reason}). A rule that matches nothing fails,
        so a workaround cannot outlive the chart behaviour it works around.
    type: list
    elements: dict
    default: []
  create_namespace:
    description: Emit the release namespace as a Namespace object.
    type: bool
    default: true
  namespace_labels:
    description: Labels of the namespace (for example Pod Security Admission levels).
    type: dict
    default: {}
  kube_version:
    description: Kubernetes version helm renders for (C(--kube-version)).
    type: str
  dest:
    description: Directory the component is rendered into.
    type: path
    required: true
  helm_binary:
    description:
      - The helm executable. Default is C(helm) next to the Python running the module, then C(PATH).
    type: path
notes:
  - Supports C(check_mode) and C(diff) (the diff lists the files that change and their sizes).
"""

EXAMPLES = r"""
- name: Render cert-manager from a local chart mirror
  mlops.platform.release_render:
    component: cert_manager
    release_name: cert-manager
    namespace: cert-manager
    chart:
      repo: https://charts.jetstack.io
      name: cert-manager
      version: v1.19.1
    chart_mirror: /srv/charts
    values:
      crds:
        enabled: true
    dest: build/mlops-dev-aws/cert_manager
"""

RETURN = r"""
files:
  description: Files under O(dest) whose content changed (or would change in check mode).
  returned: always
  type: list
  elements: str
  sample: [chart.yaml, values.yaml]
objects:
  description: Number of Kubernetes objects rendered (chart and ours).
  returned: success
  type: int
  sample: 52
dropped:
  description: Chart objects left out, as C(Kind/name).
  returned: success
  type: list
  elements: str
  sample: [Secret/mlflow-flask-server-secret-key]
"""

import os
import sys

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError
from ansible_collections.mlops.platform.plugins.module_utils.release import (
    ReleaseSpec,
    render_release,
    resolve_chart,
    sync_files,
)

ARGUMENT_SPEC = dict(
    component=dict(type="str", required=True),
    release_name=dict(type="str", required=True),
    namespace=dict(type="str", required=True),
    chart=dict(
        type="dict",
        options=dict(
            repo=dict(type="str", required=True),
            name=dict(type="str", required=True),
            version=dict(type="str", required=True),
        ),
    ),
    chart_mirror=dict(type="path"),
    values=dict(type="dict", default={}),
    manifests_pre=dict(type="list", elements="dict", default=[]),
    manifests=dict(type="list", elements="dict", default=[]),
    drop=dict(type="list", elements="dict", default=[]),
    create_namespace=dict(type="bool", default=True),
    namespace_labels=dict(type="dict", default={}),
    kube_version=dict(type="str"),
    dest=dict(type="path", required=True),
    helm_binary=dict(type="path"),
)


def find_helm(module: AnsibleModule) -> str:
    if module.params["helm_binary"]:
        return module.params["helm_binary"]
    return module.get_bin_path("helm", required=True, opt_dirs=[os.path.dirname(sys.executable)])


def render(module: AnsibleModule) -> dict:
    params = module.params
    spec = ReleaseSpec(
        component=params["component"],
        release_name=params["release_name"],
        namespace=params["namespace"],
        chart=resolve_chart(params["chart"], params["chart_mirror"]) if params["chart"] else None,
        values=params["values"],
        manifests_pre=params["manifests_pre"],
        manifests=params["manifests"],
        drop=params["drop"],
        create_namespace=params["create_namespace"],
        namespace_labels=params["namespace_labels"],
        kube_version=params["kube_version"],
    )
    rendered = render_release(spec, find_helm(module) if spec.chart else None, run=module.run_command)
    changed, diff = sync_files(params["dest"], rendered.files, check_mode=module.check_mode)
    result = dict(changed=bool(changed), files=changed, objects=rendered.object_count, dropped=rendered.dropped)
    if module._diff and changed:
        result["diff"] = diff
    return result


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        module.exit_json(**render(module))
    except PlatformError as err:
        err.fail_json(module)


if __name__ == "__main__":
    main()

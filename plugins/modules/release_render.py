#!/usr/bin/python
# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: release_render
short_description: Render platform releases (pinned Helm charts plus our manifests) to files
version_added: 0.1.0
description:
  - For each release, runs C(helm template) for its pinned chart, from the chart's repository or from a
    local chart mirror, with the release's values, and writes the result together with our own manifests
    and the values used under O(dest)C(/<component>/) (C(chart.yaml), C(manifests.yaml), C(values.yaml)).
  - Works offline with a chart mirror and needs no cluster and no credentials.
  - Releases are rendered O(workers) at a time. A release whose inputs (description, chart archive or pin,
    helm binary) and files are unchanged since the last render is not rendered again.
  - Writes only when the content changes, so a second run reports no change; in check mode it reports what
    would change and writes nothing.
  - Refuses to write any C(Secret) that carries data; secrets reach the cluster through External Secrets.
  - Given O(components) instead of O(releases), it describes the releases itself (on the controller, in the
    action plugin), for every component role of the play (C(ansible_play_role_names)) whose
    C(<role>_enabled) is true and whose role name C(--tags)/C(--skip-tags) select, it evaluates the role's
    C(<role>__release) variable and renders the template files it names (C(values_template),
    C(manifests_pre_template), C(manifests_template)) from the role's C(templates/) folder; those of
    a release with C(requires_all_releases) see the other releases as C(release__described). Folders of
    disabled components, and of selected ones that release no more, are removed.
  - "Sets the fact C(release__pending), the releases in wave order (what apply mode installs): names,
    wave, object counts, chart source and rendered folder, never values."
  - Files are written only when every release rendered. Charts that cannot be downloaded are reported
    together, with the C(helm pull) command of each and how to point O(chart_mirror) at a mirror.
  - This is the release backend of the C(mlops.platform.release) role; use that role.
author:
  - mlops.platform maintainers (@mlops)
options:
  releases:
    description:
      - The releases, as the component roles describe them (with values and manifests as data).
      - Exactly one of O(releases) and O(components) is required.
    type: list
    elements: dict
    suboptions:
      component:
        description: Component name; the folder under O(dest) and the name used in messages.
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
          - Key of the chart in O(charts). Omit it for a release of our own manifests only (no helm call;
            no C(chart.yaml) or C(values.yaml)).
        type: str
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
          - Chart objects to leave out, each C({kind, name}). A rule that matches nothing fails, so a
            workaround cannot outlive the chart behaviour it works around.
        type: list
        elements: dict
        default: []
      create_namespace:
        description: Emit the release namespace as a Namespace object.
        type: bool
        default: true
      wave:
        description: Release wave (ordering is the role's business; accepted and ignored here).
        type: raw
      requires_all_releases:
        description:
          - The release's objects are made from every enabled component's release (Argo CD's Applications);
            a render that C(--tags) leaves incomplete is refused.
        type: bool
        default: false
      derive:
        description:
          - Objects made from the rendered objects of every other release, added to the release's manifests
            after those are rendered (render and apply alike); the release should set
            O(releases[].requires_all_releases).
          - C(with) names the deriver (C(network_policies), module_utils/network_policies.py), C(params) its
            parameters.
        type: dict
        default: {}
  components:
    description:
      - The component catalog (C(platform_component_catalog)); describe the releases from the play's
        component roles. Controller only (the action plugin).
    type: dict
  for_apply:
    description:
      - Apply mode. Every enabled release is described and rendered, also those C(--tags) leaves out (the
        build folder always holds the whole platform, and Argo CD's Applications are complete), and
        C(release__pending) lists the selected ones, with the folder apply installs them from.
      - In check mode the files of changed releases are rendered to a temporary plan folder (RV(plan_dir))
        instead; the build folder is untouched.
    type: bool
    default: false
  plan_dir:
    description: Where check mode writes the files of changed releases (set by the action with O(for_apply)).
    type: path
  stamp:
    description:
      - The input key from M(mlops.platform.render_reuse); recorded under O(dest) after a successful
        render (not in check mode) so that an unchanged rerun can end at once.
    type: str
  charts:
    description: The pinned charts by key, as in C(platform_versions.charts) (C({repo, name, version})).
    type: dict
    required: true
  chart_mirror:
    description:
      - Directory of packaged charts named C(<name>-<version>.tgz). When set, charts are taken from there
        and their repositories are never contacted.
    type: path
  pod_security:
    description: Pod Security Admission levels per namespace (C({enforce, warn, audit})).
    type: dict
    default: {}
  pod_security_default:
    description: Levels of a namespace not in O(pod_security).
    type: dict
    default: {}
  kube_version:
    description: Kubernetes version helm renders for (C(--kube-version)).
    type: str
  dest:
    description: Directory that receives one folder per component.
    type: path
    required: true
  helm_binary:
    description: The helm executable. Default is C(helm) next to the Python running the module, then C(PATH).
    type: path
  workers:
    description: How many releases are rendered at the same time. Default is the number of CPUs.
    type: int
notes:
  - Supports C(check_mode) and C(diff) (the unified diff of each rendered file that changes, at most 400
    lines per release).
  - Runs on the controller (an action plugin of the same name), where helm, the chart mirror and the
    build folder are; the module itself is what runs when called on another host.
"""

EXAMPLES = r"""
- name: Render cert-manager from a local chart mirror
  mlops.platform.release_render:
    releases:
      - component: cert_manager
        release_name: cert-manager
        namespace: cert-manager
        chart: cert_manager
        values:
          crds:
            enabled: true
    charts:
      cert_manager:
        repo: https://charts.jetstack.io
        name: cert-manager
        version: v1.19.1
    chart_mirror: /srv/charts
    dest: build/mlops-dev-aws
"""

RETURN = r"""
releases:
  description: One entry per release, in the order given.
  returned: success
  type: list
  elements: dict
  contains:
    component:
      description: The component.
      type: str
      sample: cert_manager
    files:
      description: Files of the component whose content changed (or would change in check mode).
      type: list
      elements: str
      sample: [chart.yaml, values.yaml]
    current:
      description: True when the inputs and files were unchanged, so nothing was rendered.
      type: bool
    objects:
      description: Number of Kubernetes objects rendered (chart and ours); null when not rendered.
      type: int
      sample: 52
    dropped:
      description: Chart objects left out, as C(Kind/name).
      type: list
      elements: str
      sample: [Secret/mlflow-flask-server-secret-key]
    folder:
      description:
        - The folder holding the release's rendered files.
        - Under O(for_apply) in check mode, the plan folder for a changed release.
      type: str
    manifests:
      description: Number of our manifests of the release (those O(releases[].derive) made included).
      type: int
      sample: 3
plan_dir:
  description: The temporary plan folder (O(for_apply) in check mode); the caller removes it.
  returned: with O(for_apply) in check mode
  type: str
removed:
  description: Folders removed because their component is disabled or releases no more (with O(components)).
  returned: success, with O(components)
  type: list
  elements: str
  sample: [autoscaling_scalers]
"""

import os
import sys

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError
from ansible_collections.mlops.platform.plugins.module_utils.release import ARGUMENT_SPEC, render_releases


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)

    def find_helm():
        return module.get_bin_path("helm", required=True, opt_dirs=[os.path.dirname(sys.executable)])

    if module.params["components"] is not None:
        module.fail_json(
            msg="components: describing releases templates role variables; only the action plugin does that"
        )
    try:
        module.exit_json(
            **render_releases(module.params, module.check_mode, module._diff, module.run_command, find_helm)
        )
    except PlatformError as err:
        err.fail_json(module)


if __name__ == "__main__":
    main()

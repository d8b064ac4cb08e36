# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The input of the release role's cluster actions (release_apply, release_upgrade_guard): the releases
    # release_render described (release__pending) and the cluster they go to.
    DOCUMENTATION = r"""
options:
  releases:
    description: The releases, as C(release__pending) lists them (release_apply - one wave; the guard - all).
    type: list
    elements: dict
    required: true
    suboptions:
      component:
        description: Component name (messages).
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
      wave:
        description: The release's wave.
        type: int
        default: 0
      create_namespace:
        description: Whether C(manifests.yaml) starts with the Namespace object.
        type: bool
        default: true
      manifests_pre:
        description: How many of our objects come before the chart.
        type: int
        default: 0
      manifests:
        description: How many of our objects need the chart.
        type: int
        default: 0
      drop:
        description: Chart objects to leave out, each C({kind, name}).
        type: list
        elements: dict
        default: []
      folder:
        description: The folder holding the release's rendered files.
        type: path
        required: true
      chart_ref:
        description:
          - Where helm takes the chart from (an archive, a chart name with O(releases[].chart_repo), an OCI reference).
          - None for a release of our objects only.
        type: str
      chart_name:
        description: The chart's name.
        type: str
      chart_version:
        description: The chart's pinned version.
        type: str
      chart_repo:
        description: The chart repository URL, for a chart name.
        type: str
  kubeconfig:
    description: The kubeconfig. Default is the client's (C(KUBECONFIG), then C(~/.kube/config)).
    type: path
  context:
    description: The kubeconfig context. Default is its current context.
    type: str
  helm_binary:
    description: The helm executable. Default is C(helm) next to the Python running Ansible, then C(PATH).
    type: path
  kubectl_binary:
    description: The kubectl executable. Default is C(kubectl) next to the Python running Ansible, then C(PATH).
    type: path
"""

# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: chart_source
short_description: Where helm takes a pinned chart from
version_added: 0.1.0
description:
  - Resolves a chart pinned in C(platform_versions.charts) to the reference helm installs, from a
    local chart mirror (C(<name>-<version>.tgz)), an C(oci://) registry or a chart repository.
  - The same resolution the render backend uses, so render and apply install the same chart.
options:
  _input:
    description: The chart, a dict with C(repo), C(name) and C(version).
    type: dict
    required: true
  mirror:
    description: Directory of packaged charts; empty to use the chart's repository.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Show where cert-manager comes from
  ansible.builtin.debug:
    msg: "{{ platform_versions.charts.cert_manager | mlops.platform.chart_source(platform_chart_mirror) }}"
"""

RETURN = r"""
_value:
  description:
    - C(ref) (chart archive path, OCI reference or chart name), C(version), and C(repo)
      (null unless a repository URL is needed).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError
from ansible_collections.mlops.platform.plugins.module_utils.release import resolve_chart


def chart_source(chart, mirror=""):
    if not isinstance(chart, dict):
        raise AnsibleFilterError(f"chart_source: expected a chart dict with repo, name and version, got {chart!r}")
    try:
        source = resolve_chart(chart, mirror or None)
    except PlatformError as err:
        raise AnsibleFilterError(f"chart_source: {err}") from err
    return {"ref": source.ref, "version": source.version, "repo": source.repo}


class FilterModule:
    def filters(self):
        return {"chart_source": chart_source}

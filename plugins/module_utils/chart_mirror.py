# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The chart mirror: a directory of packaged charts, ``<name>-<version>.tgz``, one per pinned chart.

Pure functions over ``platform_versions`` (roles/platform/defaults/main/versions.yml). scripts/mirror.py
(``make mirror``) builds a mirror with the commands returned here, and the renderer names the same
commands when a chart is missing, so the hint and the tool never disagree.

``helm pull`` spells a chart two ways:

* an HTTP(S) chart repository: ``helm pull <name> --repo <repo> --version <version>``;
* an OCI registry: ``helm pull oci://<registry path>/<name> --version <version>``.

Either way helm writes ``<name>-<version>.tgz`` (the name and version of the chart's Chart.yaml).
"""

from __future__ import annotations

import shlex

from ansible_collections.mlops.platform.plugins.module_utils._cloud.base import show
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError

OCI_SCHEME = "oci://"
CHART_FIELDS = ("repo", "name", "version")


def is_oci(repo: str) -> bool:
    """True when ``repo`` is an OCI registry reference (``oci://...``), not an HTTP(S) chart repository."""
    return isinstance(repo, str) and repo.startswith(OCI_SCHEME)


def archive_name(chart: dict) -> str:
    """The file name helm gives the packaged ``chart``: ``<name>-<version>.tgz``."""
    return f"{chart['name']}-{chart['version']}.tgz"


def _charts_of(versions) -> dict:
    """``platform_versions`` (with ``charts``) or its ``charts`` mapping -> the charts mapping."""
    if isinstance(versions, dict) and isinstance(versions.get("charts"), dict):
        return versions["charts"]
    if isinstance(versions, dict) and "charts" not in versions:
        return versions
    raise PlatformError(
        f"platform_versions: must be a mapping with charts: {{<key>: {{repo, name, version}}}}, got {show(versions)}"
    )


def chart_entries(versions, only=None) -> list:
    """Every chart of ``versions`` as ``{key, repo, name, version, archive}``, sorted by key.

    ``only``: chart keys or chart names to keep (None: all); an unknown one is an error.
    Raises PlatformError naming every entry that lacks repo, name or version.
    """
    charts = _charts_of(versions)
    problems, entries = [], []
    for key in sorted(charts, key=str):
        chart = charts[key]
        if not isinstance(chart, dict):
            problems.append(f"platform_versions.charts.{key}: must be {{repo, name, version}}, got {show(chart)}")
            continue
        missing = [field for field in CHART_FIELDS if chart.get(field) in (None, "")]
        if missing:
            problems.append(f"platform_versions.charts.{key}: lacks {', '.join(missing)}")
            continue
        entry = {field: str(chart[field]) for field in CHART_FIELDS}
        entries.append({"key": str(key), **entry, "archive": archive_name(entry)})
    if problems:
        raise PlatformError("; ".join(problems))
    if only:
        keys = {e["key"] for e in entries}
        # A key names one entry; otherwise the chart name selects every entry of that chart.
        chosen = {
            e["key"] for e in entries for item in only if e["key"] == item or (item not in keys and e["name"] == item)
        }
        unknown = sorted({item for item in only if item not in keys and item not in {e["name"] for e in entries}})
        if unknown:
            raise PlatformError(f"unknown chart(s) {', '.join(unknown)}; known: {', '.join(sorted(keys))}")
        entries = [e for e in entries if e["key"] in chosen]
    return entries


def pull_argv(chart: dict, destination=None, helm: str = "helm") -> list:
    """The ``helm pull`` arguments that download ``chart`` ({repo, name, version}) into ``destination``."""
    repo = chart["repo"]
    if is_oci(repo):
        argv = [helm, "pull", f"{repo.rstrip('/')}/{chart['name']}", "--version", str(chart["version"])]
    else:
        argv = [helm, "pull", chart["name"], "--repo", repo, "--version", str(chart["version"])]
    if destination:
        argv += ["-d", str(destination)]
    return argv


def pull_command(chart: dict, destination=None) -> str:
    """``pull_argv`` as one shell command line (``helm`` from PATH), e.g. to print as a hint."""
    return shlex.join(pull_argv(chart, destination))


def pull_commands(versions, destination=None, only=None) -> dict:
    """Chart key -> the ``helm pull`` command line that puts that chart into ``destination``."""
    return {entry["key"]: pull_command(entry, destination) for entry in chart_entries(versions, only)}


def missing_charts(versions, present, only=None) -> list:
    """The chart entries whose archive is not among ``present`` (the file names in the mirror)."""
    names = set(present)
    return [entry for entry in chart_entries(versions, only) if entry["archive"] not in names]

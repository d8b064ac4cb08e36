from __future__ import annotations

import os
import pathlib

import pytest
import yaml

from ansible_collections.mlops.platform.plugins.module_utils.chart_mirror import (
    archive_name,
    chart_entries,
    is_oci,
    missing_charts,
    pull_argv,
    pull_command,
    pull_commands,
)
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError

ROOT = pathlib.Path(__file__).resolve().parents[4]
VERSIONS = yaml.safe_load((ROOT / "roles/platform/defaults/main/versions.yml").read_text())["platform_versions"]

KSERVE = {"repo": "oci://ghcr.io/kserve/charts", "name": "kserve", "version": "v0.16.0"}
KEDA = {"repo": "https://kedacore.github.io/charts", "name": "keda", "version": "2.18.3"}


def test_oci_command():
    assert pull_command(KSERVE) == "helm pull oci://ghcr.io/kserve/charts/kserve --version v0.16.0"


def test_repository_command():
    assert pull_command(KEDA) == "helm pull keda --repo https://kedacore.github.io/charts --version 2.18.3"


def test_destination_and_helm_binary():
    assert pull_argv(KSERVE, "/srv/my charts", helm="/venv/bin/helm") == [
        "/venv/bin/helm",
        "pull",
        "oci://ghcr.io/kserve/charts/kserve",
        "--version",
        "v0.16.0",
        "-d",
        "/srv/my charts",
    ]
    # Quoted so the line can be pasted into a shell.
    assert pull_command(KEDA, "/srv/my charts").endswith("--version 2.18.3 -d '/srv/my charts'")


def test_trailing_slash_of_an_oci_repo():
    assert pull_argv({**KSERVE, "repo": "oci://ghcr.io/kserve/charts/"})[2] == "oci://ghcr.io/kserve/charts/kserve"


def test_is_oci():
    assert is_oci("oci://public.ecr.aws/karpenter")
    assert not is_oci("https://charts.jetstack.io")
    assert not is_oci(None)


def test_every_pinned_chart_has_its_command():
    """The real versions file: one command per chart, the OCI ones spelled as OCI references."""
    commands = pull_commands(VERSIONS)
    assert sorted(commands) == sorted(VERSIONS["charts"])
    for key, chart in VERSIONS["charts"].items():
        command = commands[key]
        if chart["repo"].startswith("oci://"):
            assert command == f"helm pull {chart['repo']}/{chart['name']} --version {chart['version']}"
        else:
            assert command == f"helm pull {chart['name']} --repo {chart['repo']} --version {chart['version']}"
    assert commands["kserve"] == "helm pull oci://ghcr.io/kserve/charts/kserve --version v0.16.0"
    assert commands["kserve_crd"] == "helm pull oci://ghcr.io/kserve/charts/kserve-crd --version v0.16.0"


def test_versions_or_charts_mapping():
    assert pull_commands(VERSIONS) == pull_commands(VERSIONS["charts"])


def test_entries_sorted_with_archive():
    entries = chart_entries({"charts": {"b": KEDA, "a": KSERVE}})
    assert [e["key"] for e in entries] == ["a", "b"]
    assert entries[0] == {"key": "a", **KSERVE, "archive": "kserve-v0.16.0.tgz"}
    assert archive_name(KEDA) == "keda-2.18.3.tgz"


def test_only_by_key_or_name():
    charts = {"kserve": KSERVE, "autoscaler": KEDA}
    assert [e["key"] for e in chart_entries(charts, only=["keda"])] == ["autoscaler"]
    assert [e["key"] for e in chart_entries(charts, only=["kserve", "autoscaler"])] == ["autoscaler", "kserve"]
    # a key selects its entry only, even when another entry's chart has that name
    assert [e["key"] for e in chart_entries({**charts, "keda": KSERVE}, only=["keda"])] == ["keda"]
    with pytest.raises(PlatformError, match=r"unknown chart\(s\) nope; known: autoscaler, kserve"):
        chart_entries(charts, only=["nope"])


def test_every_bad_entry_is_named():
    charts = {"a": {"repo": "https://x", "name": "a"}, "b": "keda", "c": {"repo": "", "name": "c", "version": 1}}
    with pytest.raises(PlatformError) as err:
        chart_entries(charts)
    assert "platform_versions.charts.a: lacks version" in err.value.msg
    assert "platform_versions.charts.b: must be {repo, name, version}, got 'keda'" in err.value.msg
    assert "platform_versions.charts.c: lacks repo" in err.value.msg


@pytest.mark.parametrize("versions", [None, [], {"charts": []}])
def test_not_a_versions_mapping(versions):
    with pytest.raises(PlatformError, match="platform_versions: must be a mapping with charts"):
        chart_entries(versions)


def test_missing_charts():
    charts = {"kserve": KSERVE, "keda": KEDA}
    assert [e["key"] for e in missing_charts(charts, ["keda-2.18.3.tgz", "index.yaml"])] == ["kserve"]
    assert missing_charts(charts, ["keda-2.18.3.tgz", "kserve-v0.16.0.tgz"]) == []


def test_the_test_mirror_is_complete():
    """Every pinned chart's archive name is what the offline mirror of the tests holds (when it is here)."""
    upstream = pathlib.Path(os.environ.get("PLATFORM_UPSTREAM", ROOT.parent / "shared/upstream"))
    if not (upstream / "charts").is_dir():
        pytest.skip(f"no chart mirror at {upstream}/charts (set PLATFORM_UPSTREAM)")
    assert missing_charts(VERSIONS, [p.name for p in (upstream / "charts").iterdir()]) == []

"""Build the chart mirror: every pinned chart as <name>-<version>.tgz in one directory (`make mirror`).

Run on a connected machine with the venv's python; the directory then serves an offline render or
deploy (make render CHART_MIRROR=DIR, or -e platform_chart_mirror=DIR). Charts already in the
directory are skipped, so a rerun downloads only what is missing. Every chart that fails is
reported with the exact command to retry, and the exit status is then 1.

    .venv/bin/python scripts/mirror.py build/charts
    .venv/bin/python scripts/mirror.py DIR --versions FILE --only kserve --only keda
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
VERSIONS = REPO / "roles" / "platform" / "defaults" / "main" / "versions.yml"

# The collection link `make setup` creates, for runs outside `make` (PYTHONPATH, when set, comes first).
sys.path.append(str(REPO / ".venv" / "collections"))
from ansible_collections.mlops.platform.plugins.module_utils import chart_mirror  # noqa: E402
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError  # noqa: E402


def default_helm() -> str:
    """The venv's helm (next to this python), else helm on PATH."""
    local = Path(sys.executable).parent / "helm"
    return str(local) if local.exists() else "helm"


def load_versions(path: Path) -> dict:
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict) or "platform_versions" not in data:
        raise PlatformError(f"{path}: has no platform_versions mapping")
    return data["platform_versions"]


def pull(entry: dict, destination: Path, helm: str, timeout: int) -> str | None:
    """Download one chart into ``destination``; None on success, else the reason (helm's last line)."""
    # A scratch directory next to the mirror: a failed or misnamed download never lands in it.
    with tempfile.TemporaryDirectory(dir=destination, prefix=".pull-") as scratch:
        argv = chart_mirror.pull_argv(entry, scratch, helm=helm)
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return f"timed out after {timeout} s"
        except OSError as err:
            return f"cannot run {helm}: {err}"
        if proc.returncode != 0:
            lines = [line for line in (proc.stderr + proc.stdout).splitlines() if line.strip()]
            return lines[-1].strip() if lines else f"helm exited {proc.returncode}"
        pulled = Path(scratch) / entry["archive"]
        if not pulled.is_file():
            got = ", ".join(sorted(p.name for p in Path(scratch).iterdir())) or "nothing"
            return f"helm wrote {got}, not {entry['archive']}"
        shutil.move(str(pulled), destination / entry["archive"])
    return None


def mirror(destination: Path, versions: dict, only=None, helm: str = "helm", timeout: int = 300) -> int:
    """Pull every missing chart; print one line per chart and the retry commands. Returns the exit status."""
    entries = chart_mirror.chart_entries(versions, only)
    destination.mkdir(parents=True, exist_ok=True)
    pulled, present, failed = 0, 0, []
    for entry in entries:
        label = f"{entry['key']} ({entry['name']} {entry['version']})"
        if (destination / entry["archive"]).is_file():
            present += 1
            print(f"present  {entry['archive']}")
            continue
        reason = pull(entry, destination, helm, timeout)
        if reason is None:
            pulled += 1
            print(f"pulled   {entry['archive']}")
        else:
            failed.append((label, entry, reason))
            print(f"FAILED   {label}: {reason}")
    print(f"mirror {destination}: {pulled} pulled, {present} already present, {len(failed)} failed")
    if not failed:
        return 0
    print(f"\n{len(failed)} chart(s) could not be pulled; retry each with:", file=sys.stderr)
    for label, entry, reason in failed:
        print(f"  {label}: {reason}\n    {chart_mirror.pull_command(entry, destination)}", file=sys.stderr)
    return 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("destination", nargs="?", default=str(REPO / "build" / "charts"), help="mirror directory")
    parser.add_argument("--versions", default=str(VERSIONS), help="versions file (platform_versions.charts)")
    parser.add_argument("--only", action="append", metavar="NAME", help="chart key or name (repeatable)")
    parser.add_argument("--helm", default=default_helm(), help="helm binary (default: the venv's)")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per chart")
    args = parser.parse_args(argv)
    try:
        versions = load_versions(Path(args.versions))
        return mirror(Path(args.destination).resolve(), versions, args.only, args.helm, args.timeout)
    except (OSError, yaml.YAMLError, PlatformError) as err:
        print(f"mirror: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""Render benchmark: site.yml (render mode) against its floor, bare `helm template` in a plain loop.

Prints, for aws-dev and azure-dev together (render, rerun and floor measured round-robin, so that a
ratio compares figures taken at the same time):
  * render time of the full platform, floor time (the same charts and values through `helm template`,
    one after the other, output discarded) and their ratio (target <= 1.5, goal 1.2);
  * the no-op rerun time and its ratio to the first run (target <= 0.3): the rerun ends after one
    task (platform_render_reuse); for comparison, the same rerun with the reuse switched off (every
    release described again, every render key checked);
  * the time per cluster for inventories of 1, 4 and 8 clusters (target: flat as clusters grow).

Not a test: it asserts nothing and only prints. Run it with `make bench` (offline, against the chart
mirror in $PLATFORM_UPSTREAM/charts, default ../shared/upstream/charts). Each figure is the best of
--repeat runs (default 5) to keep noise from other processes out.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
INVENTORIES = ("aws-dev", "azure-dev")
BIN = Path(sys.executable).parent
RELEASE_LINE = re.compile(
    r"^# release (?P<release>\S+), namespace (?P<namespace>\S+), chart (?P<chart>\S+) (?P<version>\S+)$"
)


def upstream() -> Path:
    return Path(os.environ.get("PLATFORM_UPSTREAM", REPO.parent / "shared" / "upstream")).resolve()


def environment() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AZURE_", "ARM_")) and k != "KUBECONFIG"}
    env.update(ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", PATH=f"{BIN}{os.pathsep}{env['PATH']}")
    return env


def render(inventory: Path, build: Path, *extra: str) -> float:
    argv = [
        str(BIN / "ansible-playbook"),
        "site.yml",
        "-i",
        str(inventory),
        "-e",
        "platform_mode=render",
        "-e",
        f"platform_chart_mirror={upstream() / 'charts'}",
        "-e",
        f"platform_build_dir={build}",
        *extra,
    ]
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=REPO, env=environment(), capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"render of {inventory} failed:\n{proc.stdout[-3000:]}{proc.stderr[-2000:]}")
    return elapsed


def floor_commands(build: Path) -> list:
    """The bare `helm template` call of every chart release that the render wrote under ``build``.

    Each rendered values.yaml names its release, namespace and chart on its second line.
    """
    commands = []
    for values in sorted(build.glob("*/*/values.yaml")):
        match = RELEASE_LINE.match(values.read_text().splitlines()[1])
        archive = upstream() / "charts" / f"{match['chart']}-{match['version']}.tgz"
        commands.append(
            [
                str(BIN / "helm"),
                "template",
                match["release"],
                str(archive),
                "--namespace",
                match["namespace"],
                "--values",
                str(values),
                "--include-crds",
                "--skip-tests",
            ]
        )
    return commands


def floor(commands: list) -> float:
    start = time.perf_counter()
    for argv in commands:
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def inventory_of(clusters: int, workdir: Path) -> Path:
    """An inventory with ``clusters`` hosts, alternating the aws-dev and azure-dev settings.

    The settings become host variables (two inventories' group_vars/all would apply to every host).
    """
    inventory = workdir / f"inventory-{clusters}"
    shutil.rmtree(inventory, ignore_errors=True)
    hosts = {}
    for index in range(clusters):
        source = INVENTORIES[index % 2]
        host_vars = {}
        for path in sorted((REPO / "inventories" / source / "group_vars" / "all").glob("*.yml")):
            host_vars.update(yaml.safe_load(path.read_text()) or {})
        host_vars.update(ansible_connection="local", ansible_python_interpreter="{{ ansible_playbook_python }}")
        hosts[f"bench-{index}-{source}"] = host_vars
    inventory.mkdir(parents=True)
    (inventory / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": {"platform_clusters": {"hosts": hosts}}}}))
    return inventory


def best(fn, repeat: int) -> float:
    return min(fn() for _run in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not (upstream() / "charts").is_dir():
        sys.exit(f"chart mirror not found at {upstream() / 'charts'} (set PLATFORM_UPSTREAM)")

    with tempfile.TemporaryDirectory(prefix="mlops-bench-") as tmp:
        work = Path(tmp)

        def first_render() -> float:
            total = 0.0
            for name in INVENTORIES:
                build = work / "first" / name
                shutil.rmtree(build, ignore_errors=True)
                total += render(REPO / "inventories" / name, build)
            return total

        def rerun() -> float:
            return sum(render(REPO / "inventories" / name, work / "first" / name) for name in INVENTORIES)

        def rerun_full() -> float:
            return sum(
                render(REPO / "inventories" / name, work / "first" / name, "-e", "platform_render_reuse=false")
                for name in INVENTORIES
            )

        # Round-robin, so that the figures a ratio compares are measured at the same time (a shared
        # machine drifts over minutes); each figure is the best of its rounds.
        first_render()
        commands = [argv for name in INVENTORIES for argv in floor_commands(work / "first" / name)]
        rounds = {"first": [], "noop": [], "noop_full": [], "floor": []}
        for _round in range(args.repeat):
            rounds["floor"].append(floor(commands))
            rounds["first"].append(first_render())
            rounds["noop"].append(rerun())
            rounds["noop_full"].append(rerun_full())
        first, noop, noop_full, floor_time = (min(rounds[k]) for k in ("first", "noop", "noop_full", "floor"))

        # The same two clusters as one inventory of two hosts: one ansible-playbook run, hosts in parallel.
        together_inventory = inventory_of(2, work)

        def together() -> float:
            shutil.rmtree(work / "together", ignore_errors=True)
            return render(together_inventory, work / "together")

        together_rounds = [(together(), render(together_inventory, work / "together")) for _round in range(args.repeat)]
        together_time = min(first for first, _noop in together_rounds)
        together_noop = min(noop for _first, noop in together_rounds)

        per_cluster = {}
        for clusters in (1, 4, 8):
            inventory = inventory_of(clusters, work)

            def scaled(inventory=inventory, clusters=clusters) -> float:
                build = work / f"scale-{clusters}"
                shutil.rmtree(build, ignore_errors=True)
                return render(inventory, build)

            per_cluster[clusters] = best(scaled, args.repeat) / clusters

    print(
        f"render benchmark (best of {args.repeat}; {len(commands)} chart releases over {len(INVENTORIES)} inventories)"
    )
    print(f"  render (site.yml, aws-dev + azure-dev)   {first:8.2f} s")
    print(f"  floor  (bare helm template loop)        {floor_time:8.2f} s")
    print(f"  render / floor                          {first / floor_time:8.2f}   (target <= 1.5, goal 1.2)")
    print(f"  no-op rerun                             {noop:8.2f} s")
    print(f"  rerun / first run                       {noop / first:8.2f}   (target <= 0.3)")
    print(f"  no-op rerun, platform_render_reuse=false {noop_full:7.2f} s")
    print(f"  that rerun / first run                  {noop_full / first:8.2f}")
    print("  both clusters as one inventory (one ansible-playbook run):")
    print(f"    render                                {together_time:8.2f} s")
    print(f"    render / floor                        {together_time / floor_time:8.2f}")
    print(f"    no-op rerun / first run               {together_noop / together_time:8.2f}")
    for clusters, seconds in per_cluster.items():
        print(f"  time per cluster, {clusters} cluster(s)          {seconds:8.2f} s")


if __name__ == "__main__":
    main()

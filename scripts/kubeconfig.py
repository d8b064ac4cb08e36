"""Print the kubeconfig path of an inventory's cluster: the one playbooks/status.yml uses.

    .venv/bin/python scripts/kubeconfig.py inventories/aws-dev [--host NAME]

platform_kubeconfig when the inventory sets it, else the kubeconfig the infrastructure role writes on
deploy, <platform_build_dir>/<platform_cluster_name>/kubeconfig (platform_build_dir defaults to build/
of this checkout). Fails with one sentence, exit status 1, when that file does not exist.
The make targets port-forward-* use it (make port-forward-mlflow INVENTORY=inventories/azure-dev).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GROUP = "platform_clusters"


class Problem(Exception):
    pass


def inventory_hosts(inventory: str) -> dict:
    """host -> its variables (group_vars merged), for the hosts of the platform_clusters group."""
    local = Path(sys.executable).parent / "ansible-inventory"
    argv = [str(local) if local.exists() else "ansible-inventory", "-i", inventory, "--list"]
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")}
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, env=env, check=False)
    if proc.returncode != 0:
        raise Problem(f"ansible-inventory could not read {inventory}: {proc.stderr.strip().splitlines()[-1:]}")
    data = json.loads(proc.stdout)
    hostvars = data.get("_meta", {}).get("hostvars", {})
    hosts = sorted(_group_hosts(data, GROUP))
    if not hosts:
        raise Problem(f"{inventory} has no host in the group {GROUP}: point INVENTORY at a platform inventory")
    return {host: hostvars.get(host, {}) for host in hosts}


def _group_hosts(data: dict, group: str) -> set:
    entry = data.get(group, {})
    hosts = set(entry.get("hosts", []))
    for child in entry.get("children", []):
        hosts |= _group_hosts(data, child)
    return hosts


def kubeconfig_path(variables: dict, host: str) -> Path:
    """The kubeconfig of ``host`` from its inventory ``variables``; raises Problem when it does not exist."""
    given = variables.get("platform_kubeconfig") or ""
    if "{{" in str(given):
        raise Problem(f"platform_kubeconfig of {host} is a template ({given}); pass KUBECONFIG_FILE=PATH to make")
    if given:
        path = REPO / os.path.expanduser(str(given))  # relative: to the checkout, where make runs
        if not path.is_file():
            raise Problem(f"platform_kubeconfig {path} of {host} does not exist: set it to the cluster's kubeconfig")
        return path.resolve()
    build = str(variables.get("platform_build_dir") or REPO / "build")
    cluster = variables.get("platform_cluster_name")
    if "{{" in build or not cluster:
        raise Problem(f"cannot tell where the kubeconfig of {host} is: set platform_kubeconfig in its inventory")
    path = Path(os.path.expanduser(build)) / str(cluster) / "kubeconfig"
    if not path.is_file():
        raise Problem(
            f"No kubeconfig for {host}: {path} (written by a deploy that ran Terraform) does not exist, so set "
            "platform_kubeconfig in the inventory to the path of this cluster's kubeconfig file"
        )
    return path.resolve()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("inventory")
    parser.add_argument("--host", help="the cluster's inventory host, when the inventory has several")
    args = parser.parse_args(argv)
    try:
        hosts = inventory_hosts(args.inventory)
        if args.host is None and len(hosts) > 1:
            raise Problem(f"{args.inventory} has {len(hosts)} clusters ({', '.join(hosts)}): choose one with --host")
        host = args.host or next(iter(hosts))
        if host not in hosts:
            raise Problem(f"{host} is not a cluster of {args.inventory}; its clusters: {', '.join(hosts)}")
        print(kubeconfig_path(hosts[host], host))
    except (Problem, ValueError) as err:
        print(f"kubeconfig: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

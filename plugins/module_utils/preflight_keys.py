# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Preflight: unknown keys at every depth of the platform variables, and near-misses of known variable names.

Pure functions over plain data; never raise on bad input (a value of the wrong type is another check's).
Every message names the full key path (``platform_node_pools.gpu.taints[0].efect``) and suggests the
closest allowed key (difflib).

``config`` may carry, besides the platform variables (preflight.CONFIG_KEYS):

* ``host_variables``: the names of the variables the inventory sets for the host;
* ``known_variables``: every variable name the collection reads (the roles' argument specs and defaults);
* ``collection_roles``: the names of the collection's roles (their variables carry the role name as prefix).

Both are given by the preflight action; without them the near-miss check is skipped.
"""

from __future__ import annotations

import difflib
import os
import re

from ansible_collections.mlops.platform.plugins.module_utils.terraform import CONTRACT_OUTPUTS

# The Terraform roots (terraform/environments/<cloud>/<environment>), in the collection next to plugins/
# (the infrastructure role's default infrastructure_terraform_dir is the same folder of the checkout).
TERRAFORM_ENVIRONMENTS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "terraform", "environments"
)
# The taint fields (preflight.TAINT_KEYS; the node_pools variable of the Terraform roots).
TAINT_KEYS = ("key", "value", "effect")
# platform_infra keys the roles read that Terraform does not output (set by hand where there is no Terraform
# output for them): grep roles/ for `platform_infra.`.
INFRA_FALLBACK_KEYS = ("karpenter_interruption_queue", "karpenter_node_role")
# The prefixes of the collection's variables besides <role>_ (config["collection_roles"]).
PLATFORM_PREFIXES = ("platform", "infrastructure")

_VARIABLE_RE = re.compile(r'^\s*variable\s+"([^"]+)"', re.M)
_NETWORK_RE = re.compile(r'variable\s+"network"\s*\{.*?type\s*=\s*object\(\{(.*?)\}\)', re.S)
_ATTRIBUTE_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=", re.M)


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        return ""


def _root_files(cloud, environment) -> list:
    """The variables.tf of the cloud's root for ``environment`` (every environment's when it has no root)."""
    if not isinstance(cloud, str) or not os.path.isdir(os.path.join(TERRAFORM_ENVIRONMENTS, cloud)):
        return []
    base = os.path.join(TERRAFORM_ENVIRONMENTS, cloud)
    if isinstance(environment, str) and os.path.isfile(os.path.join(base, environment, "variables.tf")):
        return [os.path.join(base, environment, "variables.tf")]
    return sorted(
        os.path.join(base, env, "variables.tf")
        for env in os.listdir(base)
        if os.path.isfile(os.path.join(base, env, "variables.tf"))
    )


def terraform_variables(cloud, environment) -> tuple:
    """The variables the cloud's Terraform root declares (empty when the collection has no root for it)."""
    names = set()
    for path in _root_files(cloud, environment):
        names.update(_VARIABLE_RE.findall(_read(path)))
    return tuple(sorted(names))


def network_keys(cloud, environment) -> tuple:
    """The attributes of the root's ``network`` object; every root's when ``cloud`` has none (local)."""
    files = _root_files(cloud, environment)
    if not files and os.path.isdir(TERRAFORM_ENVIRONMENTS):
        files = [
            path
            for other in sorted(os.listdir(TERRAFORM_ENVIRONMENTS))
            for path in _root_files(other, None)
            if other != cloud
        ]
    names = set()
    for path in files:
        match = _NETWORK_RE.search(_read(path))
        if match:
            names.update(_ATTRIBUTE_RE.findall(match.group(1)))
    return tuple(sorted(names))


def _unknown(path: str, mapping, allowed, what: str = "key") -> list:
    """One message per key of ``mapping`` not in ``allowed``: the full path, a suggestion, the allowed keys."""
    if not isinstance(mapping, dict) or not allowed:
        return []
    allowed = sorted(allowed)
    problems = []
    for key in sorted(mapping, key=str):
        if key in allowed:
            continue
        close = difflib.get_close_matches(str(key), allowed, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        problems.append(f"{path}.{key}: unknown {what}; {hint}allowed: {', '.join(allowed)}")
    return problems


def _node_pools(pools) -> list:
    # Imported here: preflight imports this module.
    from ansible_collections.mlops.platform.plugins.module_utils.preflight import POOL_KEYS

    if not isinstance(pools, dict):
        return []
    problems = []
    for name in sorted(pools, key=str):
        pool = pools[name]
        path = f"platform_node_pools.{name}"
        problems += _unknown(path, pool, POOL_KEYS, "setting")
        taints = pool.get("taints") if isinstance(pool, dict) else None
        if isinstance(taints, list):
            for index, taint in enumerate(taints):
                problems += _unknown(f"{path}.taints[{index}]", taint, TAINT_KEYS, "field")
    return problems


def _infra(infra, service_accounts) -> list:
    if not isinstance(infra, dict):
        return []
    problems = _unknown("platform_infra", infra, CONTRACT_OUTPUTS + INFRA_FALLBACK_KEYS)
    if isinstance(service_accounts, dict) and service_accounts:
        problems += _unknown(
            "platform_infra.identities", infra.get("identities"), [str(k) for k in service_accounts], "identity"
        )
    return problems


def _terraform_vars(config: dict) -> list:
    host_variables = config.get("host_variables")
    # A root of the user's own (infrastructure_terraform_dir) declares what it declares.
    if isinstance(host_variables, list) and "infrastructure_terraform_dir" in host_variables:
        return []
    declared = terraform_variables(config.get("platform_cloud"), config.get("platform_environment"))
    return _unknown("infrastructure_terraform_vars", config.get("infrastructure_terraform_vars"), declared, "variable")


def _near_misses(config: dict) -> list:
    """Variables the inventory sets that the collection does not know but that are close to one it does.

    Only names with a prefix of the collection (platform_, infrastructure_, <role>_) count: inventories
    carry variables of their own (connection settings, other collections' roles), which are not ours to judge.
    Unknown ``<x>_enabled`` names of no component are the toggle check's (preflight._toggles).
    """
    host_variables, known = config.get("host_variables"), config.get("known_variables")
    roles = config.get("collection_roles")
    if not isinstance(host_variables, list) or not isinstance(known, list):
        return []
    known = {str(n) for n in known}
    catalog = config.get("platform_component_catalog")
    components = sorted(str(c) for c in catalog) if isinstance(catalog, dict) else []
    known |= {f"{c}_enabled" for c in components}
    prefixes = tuple(f"{p}_" for p in PLATFORM_PREFIXES) + tuple(
        f"{r}_" for r in (roles if isinstance(roles, list) else []) if isinstance(r, str)
    )
    candidates = sorted(known)
    problems = []
    for name in sorted({n for n in host_variables if isinstance(n, str)}):
        if name in known or "__" in name or not name.startswith(prefixes):
            continue
        stem = name[: -len("_enabled")] if name.endswith("_enabled") else None
        if stem is not None and not any(stem == c or stem.startswith(c + "_") for c in components):
            continue  # an unknown component: the toggle check names it
        close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.85)
        if close:
            problems.append(f"{name}: unknown variable; did you mean {close[0]}?")
    return problems


def key_problems(config: dict) -> list:
    """Every unknown key (with a suggestion) in the platform variables of ``config``; empty when none."""
    if not isinstance(config, dict):
        return []
    problems = _node_pools(config.get("platform_node_pools"))
    network = config.get("platform_network")
    if isinstance(network, dict):
        allowed = network_keys(config.get("platform_cloud"), config.get("platform_environment"))
        problems += _unknown("platform_network", network, allowed, "setting")
    problems += _infra(config.get("platform_infra"), config.get("platform_service_accounts"))
    problems += _terraform_vars(config)
    problems += _near_misses(config)
    # platform_tls: preflight._tls reports its unknown keys.
    return problems

# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Preflight: check the whole platform configuration before anything else runs.

Pure functions over plain data. ``preflight_problems`` never raises on bad input: every wrong type,
missing variable or incompatible combination becomes one message that names the variable and says
what is allowed, so the user fixes everything in one round.
"""

from __future__ import annotations

import ipaddress
import os
import re

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.mlops.platform.plugins.module_utils._cloud import get_profile, supported_clouds
from ansible_collections.mlops.platform.plugins.module_utils._cloud.base import show
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError
from ansible_collections.mlops.platform.plugins.module_utils.preflight_keys import key_problems
from ansible_collections.mlops.platform.plugins.module_utils.preflight_pipeline import pipeline_problems
from ansible_collections.mlops.platform.plugins.module_utils.preflight_serving import serving_problems
from ansible_collections.mlops.platform.plugins.module_utils.preflight_values import value_problems
from ansible_collections.mlops.platform.plugins.module_utils.terraform import extra_variable_problems, root_variables

CONFIG_KEYS = (
    "platform_cloud",
    "platform_environment",
    "platform_region",
    "platform_cluster_name",
    "platform_kubernetes_version",
    "platform_network",
    "platform_node_pools",
    "platform_infra",
    "platform_mode",
    "platform_chart_mirror",
    "platform_component_catalog",
    "platform_service_accounts",
    "infrastructure_terraform",
    "infrastructure_plan_in_render",
    "infrastructure_terraform_vars",
    "infrastructure_backend_config",
    "platform_tls",
    "cert_manager_acme_email",
    "platform_user_groups",
    "toggles",
)
PLAN_IN_RENDER = ("auto", "always", "never")
ENVIRONMENTS = ("dev", "staging", "prod")
MODES = ("render", "apply")
KUBERNETES_VERSIONS = ("1.30", "1.31", "1.32", "1.33")
REQUIRED_POOLS = ("general",)
POOL_KEYS = (
    "name",
    "instance_types",
    "capacity_type",
    "gpu",
    "min_size",
    "max_size",
    "desired_size",
    "taints",
    "labels",
    "on_demand_fallback",
)
TAINT_KEYS = ("key", "value", "effect")
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
GPU_TAINT_KEY = "nvidia.com/gpu"
REQUIRED_INFRA_KEYS = (
    "cluster_name",
    "region",
    "object_store_bucket",
    "db_host",
    "db_port",
    "db_name",
    "db_secret_ref",
    "identities",
)
OPTIONAL_INFRA_STRINGS = ("network_id", "tenant_id", "object_store_account", "secret_store_ref", "registry")
PRIVATE_NETWORKS = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
# Any prefix a private network can have: each cloud's Terraform module narrows it (the profile's
# cloud_layer_problems: AWS /16-/20, Azure /8-/20), so preflight is never stricter than the cloud.
PREFIX_RANGE = (8, 24)

_DNS_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_DNS_NAME_RE = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*$"
)
_K8S_NAME_RE = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_LABEL_VALUE_RE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
_PG_IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_SNAKE_RE = re.compile(r"^[a-z0-9_]+$")
_TOGGLE_RE = re.compile(r"^([a-z0-9_]+)_enabled$")
_VERSION_RE = re.compile(r"^1\.\d+$")

DNS_LABEL_RULE = "at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit"


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _not_set(var: str, hint: str) -> str:
    return f"{var}: not set; {hint}"


def _choice(var: str, value, allowed) -> list:
    if value is None:
        return [_not_set(var, "allowed: " + ", ".join(allowed))]
    if isinstance(value, str) and value in allowed:
        return []
    return [f"{var}: {show(value)} is not allowed; allowed: " + ", ".join(allowed)]


def _nonempty_string(var: str, value, example: str) -> list:
    if value is None:
        return [_not_set(var, f"set a string such as {example}")]
    if not isinstance(value, str) or not value.strip():
        return [f"{var}: must be a non-empty string such as {example}, got {show(value)}"]
    return []


def _sorted_keys(mapping: dict) -> list:
    return sorted(mapping, key=str)


# ---------------------------------------------------------------------------- top-level scalars
def _cloud(value, problems: list):
    clouds = ", ".join(supported_clouds())
    if value is None:
        problems.append(_not_set("platform_cloud", f"allowed: {clouds}"))
        return None
    try:
        return get_profile(value)
    except PlatformError:
        problems.append(
            f"platform_cloud: {show(value)} is not supported; allowed: {clouds} (cloud-specific checks were skipped)"
        )
        return None


def _region(value, profile) -> list:
    problems = _nonempty_string("platform_region", value, "eu-west-1 or westeurope")
    if not problems and profile is not None:
        problems = profile.region_problems(value)
    return problems


def _cluster_name(value) -> list:
    var = "platform_cluster_name"
    problems = _nonempty_string(var, value, "mlops-dev")
    if not problems and not _DNS_LABEL_RE.match(value):
        problems.append(f"{var}: {show(value)} is not a DNS label (it names Kubernetes objects); use {DNS_LABEL_RULE}")
    return problems


def _kubernetes_version(value) -> list:
    var = "platform_kubernetes_version"
    allowed = ", ".join(KUBERNETES_VERSIONS)
    if value is None:
        return [_not_set(var, f"allowed: {allowed}")]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [f'{var}: {show(value)} is a number; quote it ("1.32"): YAML reads 1.30 as 1.3. Allowed: {allowed}']
    if not isinstance(value, str) or not _VERSION_RE.match(value):
        return [f'{var}: {show(value)} is not a "1.NN" version; allowed: {allowed}']
    if value not in KUBERNETES_VERSIONS:
        return [f"{var}: {show(value)} is not supported; allowed: {allowed}"]
    return []


def _chart_mirror(value, isdir) -> list:
    var = "platform_chart_mirror"
    if value is None or value == "":
        return []
    if not isinstance(value, str):
        return [f"{var}: must be a directory path or empty, got {show(value)}"]
    if not isdir(value):
        hint = "leave it empty to fetch charts from their repositories"
        return [f"{var}: {show(value)} is not an existing directory on the control node; {hint}"]
    return []


# ---------------------------------------------------------------------------- network
def _network(value) -> list:
    var = "platform_network"
    if value is None:
        return [_not_set(var, "set a mapping with cidr, e.g. {cidr: 10.0.0.0/16}")]
    if not isinstance(value, dict):
        return [f"{var}: must be a mapping with cidr, e.g. {{cidr: 10.0.0.0/16}}, got {show(value)}"]
    problems = _cidr(value.get("cidr"))
    zones = value.get("availability_zones")
    if zones is not None and (not _is_int(zones) or not 1 <= zones <= 6):
        problems.append(f"{var}.availability_zones: must be an integer from 1 to 6, got {show(zones)}")
    nat = value.get("nat_gateway_per_az")
    if nat is not None and not isinstance(nat, bool):
        problems.append(f"{var}.nat_gateway_per_az: must be true or false, got {show(nat)}")
    return problems


def _cidr(value) -> list:
    var = "platform_network.cidr"
    lo, hi = PREFIX_RANGE
    wanted = f"use a private IPv4 network (RFC 1918) with a /{lo} to /{hi} prefix, such as 10.0.0.0/16"
    if value is None:
        return [_not_set(var, wanted)]
    if not isinstance(value, str):
        return [f"{var}: must be a string in CIDR notation; {wanted}, got {show(value)}"]
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return [f"{var}: {show(value)} is not in CIDR notation; {wanted}"]
    problems = []
    try:
        ipaddress.ip_network(value)
    except ValueError:
        problems.append(f"{var}: {show(value)} has host bits set; did you mean {network}?")
    if network.version != 4 or not any(network.subnet_of(private) for private in PRIVATE_NETWORKS):
        problems.append(f"{var}: {show(value)} is not a private RFC 1918 range; {wanted}")
    elif not lo <= network.prefixlen <= hi:
        problems.append(f"{var}: prefix /{network.prefixlen} is outside /{lo} to /{hi}; {wanted}")
    return problems


# ---------------------------------------------------------------------------- node pools
def _node_pools(value, profile) -> list:
    var = "platform_node_pools"
    if value is None:
        return [_not_set(var, "define at least the general pool (see the inventories)")]
    if not isinstance(value, dict):
        return [f"{var}: must be a mapping of pool role -> pool settings, got {show(value)}"]
    problems = [
        f"{var}.{key}: missing; the {key} pool runs the platform's own controllers"
        for key in REQUIRED_POOLS
        if key not in value
    ]
    names: dict = {}
    for key in _sorted_keys(value):
        pool = value[key]
        if not isinstance(key, str) or not _DNS_LABEL_RE.match(key):
            problems.append(
                f"{var}: pool key {show(key)} is not a DNS label (it becomes a node label); use {DNS_LABEL_RULE}"
            )
            continue
        if not isinstance(pool, dict):
            problems.append(f"{var}.{key}: must be a mapping of pool settings, got {show(pool)}")
            continue
        problems += _pool(key, pool)
        name = pool.get("name")
        if isinstance(name, str):
            if name in names:
                problems.append(f"{var}.{key}.name: {show(name)} is also the name of pool {names[name]}")
            names.setdefault(name, key)
        if profile is not None:
            problems += profile.node_pool_problems(key, pool)
    return problems


def _pool(key: str, pool: dict) -> list:
    prefix = f"platform_node_pools.{key}"
    problems = []
    # Unknown settings are preflight_keys' (with a did-you-mean and the full path).
    types = pool.get("instance_types")
    if types is None:
        problems.append(_not_set(f"{prefix}.instance_types", "list at least one instance type / VM size"))
    elif not isinstance(types, list) or not types:
        problems.append(f"{prefix}.instance_types: must be a non-empty list of instance types, got {show(types)}")
    else:
        problems += [
            f"{prefix}.instance_types[{index}]: must be a string, got {show(item)}"
            for index, item in enumerate(types)
            if not isinstance(item, str)
        ]
    problems += _pool_sizes(key, pool)
    gpu = pool.get("gpu")
    if gpu is not None and not isinstance(gpu, bool):
        problems.append(f"{prefix}.gpu: must be true or false, got {show(gpu)}")
    if key == "gpu" and gpu is not True:
        problems.append(f"{prefix}.gpu: the gpu pool must set gpu: true")
    labels = pool.get("labels")
    if labels is not None and (
        not isinstance(labels, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items())
    ):
        problems.append(f"{prefix}.labels: must map label names to string values, got {show(labels)}")
    taints = pool.get("taints")
    problems += _taints(prefix, taints)
    if gpu is True and not (
        isinstance(taints, list) and any(isinstance(t, dict) and t.get("key") == GPU_TAINT_KEY for t in taints)
    ):
        problems.append(
            f"{prefix}.taints: a GPU pool must carry the taint "
            f'{{key: {GPU_TAINT_KEY}, value: "true", effect: NoSchedule}} so only GPU workloads land on it'
        )
    return problems


def _pool_sizes(key: str, pool: dict) -> list:
    prefix = f"platform_node_pools.{key}"
    problems = []
    sizes = {}
    for field in ("min_size", "desired_size", "max_size"):
        size = pool.get(field)
        if size is None:
            if field != "desired_size":
                problems.append(_not_set(f"{prefix}.{field}", "set a non-negative integer"))
        elif not _is_int(size) or size < 0:
            problems.append(f"{prefix}.{field}: must be a non-negative integer, got {show(size)}")
        else:
            sizes[field] = size
    if problems:
        return problems
    low, high = sizes["min_size"], sizes["max_size"]
    desired = sizes.get("desired_size", low)
    if not low <= desired <= high:
        got = ", ".join(
            f"{field} {sizes[field]}" for field in ("min_size", "desired_size", "max_size") if field in sizes
        )
        problems.append(f"{prefix}: sizes must satisfy min_size <= desired_size <= max_size, got {got}")
    if key in REQUIRED_POOLS and low < 1:
        problems.append(f"{prefix}.min_size: the {key} pool runs the platform's own controllers; set min_size >= 1")
    elif high < 1:
        problems.append(f"{prefix}.max_size: 0 means the pool can never run a node; set max_size >= 1")
    return problems


def _taints(prefix: str, taints) -> list:
    if taints is None:
        return []
    if not isinstance(taints, list):
        return [f"{prefix}.taints: must be a list of {{key, value, effect}}, got {show(taints)}"]
    problems = []
    for index, taint in enumerate(taints):
        path = f"{prefix}.taints[{index}]"
        if not isinstance(taint, dict):
            problems.append(f"{path}: must be a mapping {{key, value, effect}}, got {show(taint)}")
            continue
        key = taint.get("key")
        if not _is_label_key(key):
            problems.append(f"{path}.key: {show(key)} is not a Kubernetes label key such as workload or nvidia.com/gpu")
        value = taint.get("value")
        if isinstance(value, bool):
            problems.append(f'{path}.value: {show(value)} is a boolean; quote it ("{show(value)}")')
        elif value is not None and (not isinstance(value, str) or not _LABEL_VALUE_RE.match(value)):
            problems.append(f"{path}.value: {show(value)} is not a label value (<= 63 letters, digits, '-', '_', '.')")
        effect = taint.get("effect")
        if effect not in TAINT_EFFECTS or not isinstance(effect, str):
            problems.append(f"{path}.effect: {show(effect)} is not allowed; allowed: {', '.join(TAINT_EFFECTS)}")
    return problems


def _is_label_key(key) -> bool:
    if not isinstance(key, str) or not key:
        return False
    prefix, name = key.rpartition("/")[::2]
    if prefix and (len(prefix) > 253 or not _DNS_NAME_RE.match(prefix) or prefix != prefix.lower()):
        return False
    return bool(_K8S_NAME_RE.match(name))


# ---------------------------------------------------------------------------- infra
def _infra(config: dict, profile) -> list:
    var = "platform_infra"
    infra = config.get(var)
    if infra is None:
        return [_not_set(var, "set the cloud-layer facts (see inventories/*/group_vars/all/infra.yml)")]
    if not isinstance(infra, dict):
        return [f"{var}: must be a mapping of cloud-layer facts, got {show(infra)}"]
    problems = [f"{var}.{key}: missing" for key in REQUIRED_INFRA_KEYS if key not in infra]
    problems += _must_match(infra, "cluster_name", config.get("platform_cluster_name"))
    problems += _must_match(infra, "region", config.get("platform_region"))
    if "object_store_bucket" in infra:
        bucket, account = infra["object_store_bucket"], infra.get("object_store_account")
        if profile is not None:
            problems += profile.object_store_problems(
                bucket, account, f"{var}.object_store_bucket", f"{var}.object_store_account"
            )
        else:
            problems += _nonempty_string(f"{var}.object_store_bucket", bucket, "mlops-dev-artifacts")
    if "db_host" in infra:
        host = infra["db_host"]
        if not isinstance(host, str) or not _DNS_NAME_RE.match(host):
            problems.append(f"{var}.db_host: {show(host)} is not a DNS name or IPv4 address")
    if "db_port" in infra:
        port = infra["db_port"]
        if not _is_int(port) or not 1 <= port <= 65535:
            problems.append(f"{var}.db_port: must be an integer from 1 to 65535 (PostgreSQL: 5432), got {show(port)}")
    if "db_name" in infra:
        name = infra["db_name"]
        if not isinstance(name, str) or not _PG_IDENTIFIER_RE.match(name):
            problems.append(f"{var}.db_name: {show(name)} is not a PostgreSQL database name such as mlflow")
    if "db_secret_ref" in infra:
        problems += _nonempty_string(f"{var}.db_secret_ref", infra["db_secret_ref"], "/mlops-dev/mlflow/db")
    for key in OPTIONAL_INFRA_STRINGS:
        value = infra.get(key)
        if value is not None and not isinstance(value, str):
            problems.append(f"{var}.{key}: must be a string or null, got {show(value)}")
    if "identities" in infra:
        problems += _identities(infra["identities"], profile)
    if profile is not None:
        problems += profile.certificate_arn_problems(infra.get("certificate_arn"))
    return problems


def _must_match(infra: dict, key: str, wanted) -> list:
    if key not in infra or not isinstance(wanted, str):
        return []
    value = infra[key]
    if value == wanted:
        return []
    fix = f"set platform_{key}: {show(value)} (what the cloud layer reports) or platform_infra.{key}: {show(wanted)}"
    return [f"platform_infra.{key}: {show(value)} differs from platform_{key} {show(wanted)}; {fix}"]


def _identities(identities, profile) -> list:
    var = "platform_infra.identities"
    if identities is None:
        return []
    if not isinstance(identities, dict):
        return [f"{var}: must be a mapping of workload -> cloud identity, got {show(identities)}"]
    problems = []
    for name in _sorted_keys(identities):
        if not isinstance(name, str) or not _SNAKE_RE.match(name):
            problems.append(f"{var}: key {show(name)} is not a workload name (lowercase letters, digits, '_')")
        elif profile is not None:
            problems += profile.identity_problems(name, identities[name])
    return problems


# ---------------------------------------------------------------------------- infrastructure role
def _infrastructure(config: dict, profile) -> list:
    """The infrastructure role's settings; null (not set) means the role's default."""
    problems = []
    terraform = config.get("infrastructure_terraform")
    # -e infrastructure_terraform=false arrives as a string.
    if terraform is not None and not isinstance(terraform, bool) and terraform not in ("true", "false"):
        problems.append(f"infrastructure_terraform: must be true or false, got {show(terraform)}")
    plan = config.get("infrastructure_plan_in_render")
    if plan is not None:
        problems += _choice("infrastructure_plan_in_render", plan, PLAN_IN_RENDER)
    backend = config.get("infrastructure_backend_config")
    if backend is not None and not isinstance(backend, dict):
        problems.append(
            "infrastructure_backend_config: must be a mapping of terraform init -backend-config values "
            f"(bucket, key, region, ...), got {show(backend)}"
        )
    extra = config.get("infrastructure_terraform_vars")
    if profile is None:
        return problems
    if not profile.terraform_root:
        if terraform not in (False, "false"):
            problems.append(
                f"infrastructure_terraform: {'not set (default true)' if terraform is None else show(terraform)}; "
                f"{profile.name} has no Terraform root (the cluster "
                "exists and platform_infra states its facts): set infrastructure_terraform: false"
            )
        return problems
    extra_problems = extra_variable_problems(profile.name, extra)
    problems += extra_problems
    if terraform in (False, "false") or extra_problems:
        return problems
    # Root variables only the inventory can give (Azure: admin groups, API server ranges).
    problems += profile.terraform_extra_problems(config.get("platform_environment"), extra)
    # What the cloud's Terraform root cannot take (e.g. an AKS cluster name that is not <name>-<environment>).
    settings = {
        "cluster_name": config.get("platform_cluster_name"),
        "environment": config.get("platform_environment"),
        "network": config.get("platform_network"),
        "service_accounts": config.get("platform_service_accounts"),
    }
    if all(isinstance(settings[k], str) for k in ("cluster_name", "environment")) and isinstance(
        settings["service_accounts"], dict
    ):
        try:
            root_variables(profile.name, settings, extra)
        except PlatformError as err:
            problems.append(str(err))
    return problems


# ---------------------------------------------------------------------------- components
def _catalog(value) -> tuple:
    """(problems, catalog or None when it cannot be used to check toggles)."""
    var = "platform_component_catalog"
    if value is None:
        hint = "it comes from the platform role (roles/platform/defaults/main/components.yml)"
        return [_not_set(var, hint)], None
    if not isinstance(value, dict):
        return [f"{var}: must be a mapping of component -> {{clouds, wave, identities}}, got {show(value)}"], None
    problems = []
    clouds = supported_clouds()
    for name in _sorted_keys(value):
        entry = value[name]
        path = f"{var}.{name}"
        if not isinstance(name, str) or not _SNAKE_RE.match(name):
            problems.append(f"{var}: component {show(name)} is not a snake_case name")
            continue
        if not isinstance(entry, dict):
            problems.append(f"{path}: must be a mapping {{clouds, wave, identities}}, got {show(entry)}")
            continue
        allowed = entry.get("clouds")
        if not isinstance(allowed, list) or not allowed:
            problems.append(
                f"{path}.clouds: must be a non-empty list of clouds ({', '.join(clouds)}), got {show(allowed)}"
            )
        else:
            problems += [
                f"{path}.clouds: {show(cloud)} is not a cloud; allowed: {', '.join(clouds)}"
                for cloud in allowed
                if not isinstance(cloud, str) or cloud not in clouds
            ]
        wave = entry.get("wave")
        if not _is_int(wave) or wave < 0:
            problems.append(f"{path}.wave: must be a non-negative integer, got {show(wave)}")
        problems += _catalog_identities(path, entry.get("identities"), clouds)
    return problems, {k: v for k, v in value.items() if isinstance(k, str)}


def _catalog_identities(path: str, identities, clouds: list) -> list:
    path = f"{path}.identities"
    if identities is None:
        return []
    if not isinstance(identities, dict):
        return [f"{path}: must be a mapping of cloud -> list of identity names, got {show(identities)}"]
    problems = []
    for cloud in _sorted_keys(identities):
        names = identities[cloud]
        if not isinstance(cloud, str) or cloud not in clouds:
            problems.append(f"{path}: {show(cloud)} is not a cloud; allowed: {', '.join(clouds)}")
        elif not isinstance(names, list) or not all(isinstance(n, str) and _SNAKE_RE.match(n) for n in names):
            problems.append(f"{path}.{cloud}: must be a list of identity names (keys of platform_infra.identities)")
    return problems


def _component_of(name: str, catalog: dict):
    """(component, is_component_toggle) for a `<x>_enabled` name, or (None, False) when unknown.

    `<component>_enabled` toggles a component; `<component>_<feature>_enabled` is a feature toggle of that
    component's role (role variables carry the role prefix), e.g. mlflow_ingress_enabled.
    """
    stem = name[: -len("_enabled")]
    if stem in catalog:
        return stem, True
    owners = [component for component in catalog if stem.startswith(component + "_")]
    return (max(owners, key=len), False) if owners else (None, False)


def _toggles(toggles, catalog, cloud, infra) -> list:
    if toggles is None:
        return []
    if not isinstance(toggles, dict):
        return [f"toggles: must be a mapping of <component>_enabled -> true/false, got {show(toggles)}"]
    problems = []
    identities = infra.get("identities") if isinstance(infra, dict) else None
    for name in _sorted_keys(toggles):
        value = toggles[name]
        if not isinstance(name, str) or not _TOGGLE_RE.match(name):
            problems.append(f"toggles: {show(name)} is not a <component>_enabled variable")
            continue
        # `-e mlflow_enabled=false` on the command line arrives as the string 'false'.
        if isinstance(value, str) and value.lower() in ("true", "false"):
            value = value.lower() == "true"
        if not isinstance(value, bool):
            problems.append(f"{name}: must be true or false, got {show(value)}")
        if catalog is None:
            continue
        component, is_component = _component_of(name, catalog)
        if component is None:
            known = ", ".join(sorted(catalog))
            problems.append(
                f"{name}: unknown component {show(name[: -len('_enabled')])}; known components: {known} "
                "(platform_component_catalog)"
            )
        elif is_component and value is True and isinstance(cloud, str):
            problems += _enabled_component(name, component, catalog[component], cloud, identities)
    return problems


def _enabled_component(toggle: str, component: str, entry, cloud: str, identities) -> list:
    if not isinstance(entry, dict):
        return []
    clouds = entry.get("clouds")
    if isinstance(clouds, list) and cloud not in clouds:
        runs_on = ", ".join(str(c) for c in clouds)
        return [
            f"{toggle}: {component} does not run on {cloud} (platform_component_catalog.{component}.clouds: "
            f"{runs_on}); this combination is incompatible: set {toggle}: false"
        ]
    needed = entry.get("identities")
    needed = needed.get(cloud) if isinstance(needed, dict) else None
    if not isinstance(needed, list) or not isinstance(identities, dict):
        return []
    return [
        f"platform_infra.identities.{identity}: missing; {component} needs it on {cloud} "
        f"(platform_component_catalog.{component}.identities.{cloud}) because {toggle} is true"
        for identity in needed
        if isinstance(identity, str) and identity not in identities
    ]


# ---------------------------------------------------------------------------- argocd
# Names that are branches (or move like one) in practically every repository. Any other branch name
# cannot be told from a tag here: the argocd role's README asks for tags or commits only.
BRANCH_NAMES = ("head", "main", "master", "trunk", "develop", "development", "dev", "stable", "latest", "release")


def _truthy(value) -> bool:
    """A boolean variable as Ansible reads it (yes/no, on/off, 1/0, true/false; null is false)."""
    try:
        return boolean(value, strict=False)
    except TypeError:
        return False


# ---------------------------------------------------------------------------- TLS of the ingress hosts
TLS_KEYS = ("domains", "zone_id", "issuer", "challenge")
TLS_ISSUERS = ("letsencrypt", "platform-ca")
TLS_CHALLENGES = ("http01", "dns01")
_ROUTE53_ZONE_RE = re.compile(r"^Z[A-Z0-9]{1,32}$")
_TLS_DOMAIN_RE = re.compile(r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$")


def _covers(domain: str, host: str) -> bool:
    """Whether a certificate name ``domain`` (a wildcard covers one label) covers ``host``."""
    if domain.startswith("*."):
        if host.startswith("*."):
            return host == domain
        return "." in host and host.split(".", 1)[1] == domain[2:]
    return host == domain


def _tls(config: dict, profile) -> list:
    """platform_tls against the cloud and the hosts the platform exposes (platform__exposures)."""
    var = "platform_tls"
    tls = config.get(var)
    exposures = config.get("platform_exposures")
    if not isinstance(exposures, list):
        exposures = []
    if tls is None or profile is None:
        return []
    if not isinstance(tls, dict):
        return [f"{var}: must be a mapping with {', '.join(TLS_KEYS)}, got {show(tls)}"]
    problems = [
        f"{var}.{key}: unknown setting; allowed: {', '.join(TLS_KEYS)}"
        for key in sorted(map(str, tls))
        if key not in TLS_KEYS
    ]
    issuer, challenge = tls.get("issuer", "letsencrypt"), tls.get("challenge", "http01")
    problems += _choice(f"{var}.issuer", issuer, TLS_ISSUERS)
    problems += _choice(f"{var}.challenge", challenge, TLS_CHALLENGES)
    domains = tls.get("domains") or []
    if not isinstance(domains, list) or not all(isinstance(d, str) and _TLS_DOMAIN_RE.match(d) for d in domains):
        problems.append(
            f"{var}.domains: must be a list of lowercase DNS names (a wildcard only as the first label, "
            f"e.g. '*.dev.example.com'), got {show(domains)}"
        )
        domains = []
    zone = tls.get("zone_id") or ""
    # Hosts still unset are another check's (e.g. argocd_host); only named hosts need a certificate.
    hosts = [e for e in exposures if isinstance(e, dict) and isinstance(e.get("host"), str) and e["host"]]
    if profile.tls_source == "acm":
        if zone and not (isinstance(zone, str) and _ROUTE53_ZONE_RE.match(zone)):
            problems.append(f"{var}.zone_id: {show(zone)} is not a Route53 hosted zone id (e.g. Z0123456789ABCDEFGHIJ)")
        if zone and not domains:
            problems.append(f"{var}.domains: set the names of the ACM certificate Terraform requests in {zone}")
        if domains:
            problems += [
                f"{var}.domains: no name covers the {e.get('component')} host {e['host']} (a wildcard covers one "
                f"label); add {'*.' + e['host'].split('.', 1)[1] if '.' in e['host'] else e['host']}"
                for e in hosts
                if not any(_covers(d, e["host"]) for d in domains)
            ]
        return problems
    toggles = config.get("toggles") if isinstance(config.get("toggles"), dict) else {}
    if hosts and "cert_manager_enabled" in toggles and not _truthy(toggles["cert_manager_enabled"]):
        problems.append(
            "cert_manager_enabled: false, but on {} cert-manager issues the certificates of the hosts {}; "
            "enable it".format(profile.name, ", ".join(e["host"] for e in hosts))
        )
    if issuer != "letsencrypt" or not hosts:
        return problems
    if not config.get("cert_manager_acme_email"):
        problems.append(
            f"cert_manager_acme_email: {var}.issuer letsencrypt needs the ACME account's email "
            "(Let's Encrypt's expiry notices), or set platform_tls.issuer: platform-ca"
        )
    if challenge == "http01":
        for e in hosts:
            if e.get("scheme") == "internal":
                problems.append(
                    f"{var}.challenge: http01 cannot issue for the internal {e.get('component')} host {e['host']} "
                    "(Let's Encrypt must reach it from the internet); use challenge dns01 with zone_id, or issuer "
                    "platform-ca"
                )
            elif e["host"].startswith("*."):
                problems.append(
                    f"{var}.challenge: http01 cannot issue the wildcard {e['host']} of {e.get('component')} "
                    "(ACME issues wildcards over DNS-01 only); use challenge dns01 with zone_id, or issuer platform-ca"
                )
    elif challenge == "dns01":
        infra = config.get("platform_infra")
        identities = infra.get("identities") if isinstance(infra, dict) else None
        identity = identities.get("cert_manager") if isinstance(identities, dict) else None
        problems += [f"{problem} (for {var}.challenge dns01)" for problem in profile.dns01_problems(zone, identity)]
    return problems


def _argocd(config: dict) -> list:
    """Argo CD settings that would make a broken or drifting deployment (only when Argo CD is enabled)."""
    if not _truthy(config.get("argocd_enabled")):
        return []
    problems = []
    if _truthy(config.get("argocd_ingress_enabled")) and not config.get("argocd_host"):
        problems.append(
            "argocd_host: set the host name of the Argo CD ingress (argocd_ingress_enabled is true), "
            "e.g. argocd.dev.example.com"
        )
    repo = config.get("argocd_gitops_repo_url") or ""
    revision = str(config.get("argocd_gitops_revision") or "")
    if repo and (
        not revision or revision.lower() in BRANCH_NAMES or revision.startswith("refs/heads/") or "*" in revision
    ):
        problems.append(
            f"argocd_gitops_revision: {show(revision)} is not a pinned revision; set a tag (e.g. platform-2026.01.0) "
            f"or a full commit SHA of {repo}, not a branch ({', '.join(BRANCH_NAMES)}) or a range"
        )
    return problems


# ---------------------------------------------------------------------------- entry points
def preflight_problems(config, isdir=os.path.isdir) -> list:
    """Every problem in ``config`` (the platform variables plus ``toggles``), sorted, no duplicates.

    ``isdir`` checks the chart mirror path (injected so tests need no file system).
    """
    if not isinstance(config, dict):
        return [f"config: must be a mapping of the platform variables, got {show(config)}"]
    problems: list = []
    profile = _cloud(config.get("platform_cloud"), problems)
    problems += _choice("platform_environment", config.get("platform_environment"), ENVIRONMENTS)
    problems += _choice("platform_mode", config.get("platform_mode"), MODES)
    problems += _region(config.get("platform_region"), profile)
    problems += _cluster_name(config.get("platform_cluster_name"))
    problems += _kubernetes_version(config.get("platform_kubernetes_version"))
    problems += _network(config.get("platform_network"))
    problems += _node_pools(config.get("platform_node_pools"), profile)
    problems += _infra(config, profile)
    problems += _chart_mirror(config.get("platform_chart_mirror"), isdir)
    problems += _infrastructure(config, profile)
    catalog_problems, catalog = _catalog(config.get("platform_component_catalog"))
    problems += catalog_problems
    cloud = profile.name if profile is not None else None
    problems += _toggles(config.get("toggles"), catalog, cloud, config.get("platform_infra"))
    problems += _argocd(config)
    problems += _tls(config, profile)
    # What the cloud layer and the clouds enforce later (names, regions, architectures, networks).
    if profile is not None:
        problems += profile.cloud_layer_problems(config)
        # Who holds the platform's user roles (roles/rbac), in this cloud's form (ARN, GUID, group name).
        problems += profile.user_group_problems(config.get("platform_user_groups"))
    problems += key_problems(config)
    problems += value_problems(config)
    problems += pipeline_problems(config)
    problems += serving_problems(config)
    return sorted(set(problems))


def format_problems(problems: list) -> str:
    """The single failure message listing every problem."""
    lines = "".join(f"\n - {problem}" for problem in problems)
    return f"Preflight found {len(problems)} problem(s) in the platform configuration:{lines}"


def summarize(config: dict) -> dict:
    """A short description of a configuration that passed preflight."""
    toggles = config.get("toggles") or {}
    return {
        "cloud": config["platform_cloud"],
        "environment": config["platform_environment"],
        "region": config["platform_region"],
        "cluster_name": config["platform_cluster_name"],
        "kubernetes_version": config["platform_kubernetes_version"],
        "mode": config["platform_mode"],
        "node_pools": sorted(config["platform_node_pools"]),
        "toggles": {name: toggles[name] for name in sorted(toggles)},
    }


def run_preflight(config, isdir=os.path.isdir, more_problems=()) -> dict:
    """The module result for a valid ``config``; raises PlatformError listing every problem otherwise.

    ``more_problems``: problems found elsewhere (the roles' argument specs, checked by the action).
    """
    problems = sorted(set(preflight_problems(config, isdir)) | set(more_problems))
    if problems:
        raise PlatformError(format_problems(problems), {"problems": problems})
    return {"changed": False, "problems": [], "summary": summarize(config)}

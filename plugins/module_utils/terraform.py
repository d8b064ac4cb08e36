# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The contract between the inventory and the Terraform roots under terraform/environments.

Pure functions over plain data, used by the infrastructure role (through filters) and by preflight:

* ``root_variables``: the JSON var-file of a cloud's root, from the platform_* variables and
  ``infrastructure_terraform_vars``;
* ``outputs_to_infra``: ``terraform output -json`` (as the terraform modules return it) -> platform_infra;
* ``credentials_in_env``: which of a cloud's credential environment variables are set;
* ``backend_config_values``: ``infrastructure_backend_config`` as ``terraform init -backend-config`` values.
"""

from __future__ import annotations

from ansible_collections.mlops.platform.plugins.module_utils._cloud import get_profile
from ansible_collections.mlops.platform.plugins.module_utils._cloud.base import show
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError

# settings key -> the platform variable it comes from (messages name the variable users set).
PLATFORM_VARIABLES = {
    "cluster_name": "platform_cluster_name",
    "environment": "platform_environment",
    "region": "platform_region",
    "kubernetes_version": "platform_kubernetes_version",
    "network": "platform_network",
    "node_pools": "platform_node_pools",
    "service_accounts": "platform_service_accounts",
}
EXTRA_VAR = "infrastructure_terraform_vars"

# The outputs every cloud's root declares (terraform/modules/{eks,aks}/outputs.tf): platform_infra's
# contract. Terraform leaves null outputs out of its state, so a missing one reads as null.
CONTRACT_OUTPUTS = (
    "cluster_name",
    "cluster_endpoint",
    "cluster_ca_certificate",
    "oidc_issuer_url",
    "region",
    "network_id",
    "tenant_id",
    "object_store_bucket",
    "object_store_account",
    "object_store_uri",
    "db_host",
    "db_port",
    "db_name",
    "db_secret_ref",
    "secret_store_ref",
    "identities",
    "registry",
    "certificate_arn",
)


def derived_variables(cloud: str) -> dict:
    """Root variable name -> the platform variable the role derives it from, for ``cloud``."""
    profile = get_profile(cloud)
    names = {"name": "cluster_name", profile.terraform_region_variable: "region"}
    for key in ("environment", "kubernetes_version", "network", "node_pools", "service_accounts"):
        names[key] = key
    return {variable: PLATFORM_VARIABLES[names[variable]] for variable in sorted(names)}


def extra_variable_problems(cloud: str, extra) -> list:
    """Problems with ``infrastructure_terraform_vars`` (a mapping that must not set derived variables)."""
    if extra is None:
        return []
    if not isinstance(extra, dict):
        return [f"{EXTRA_VAR}: must be a mapping of Terraform variable -> value, got {show(extra)}"]
    derived = derived_variables(cloud)
    problems = []
    for key in sorted(extra, key=str):
        if not isinstance(key, str) or not key:
            problems.append(f"{EXTRA_VAR}: key {show(key)} is not a Terraform variable name")
        elif key in derived:
            problems.append(
                f"{EXTRA_VAR}.{key}: the role sets {key} from {derived[key]}; set {derived[key]} instead "
                "(platform_infra and the Terraform root must agree)"
            )
    return problems


def root_variables(cloud: str, settings: dict, extra=None) -> dict:
    """The Terraform root's variables: ``settings`` mapped for ``cloud``, then ``extra`` added.

    Raises PlatformError naming the variable to fix.
    """
    if not isinstance(settings, dict):
        raise PlatformError(f"settings: must be a mapping of the platform variables, got {show(settings)}")
    problems = extra_variable_problems(cloud, extra)
    if problems:
        raise PlatformError("; ".join(problems))
    variables = get_profile(cloud).terraform_variables(settings)
    variables.update(extra or {})
    return {key: variables[key] for key in sorted(variables)}


def outputs_to_infra(outputs, sensitive: bool = True) -> dict:
    """``{name: {value, type, sensitive}}`` -> ``{name: value}``; ``sensitive=False`` drops sensitive outputs.

    Every CONTRACT_OUTPUTS name is present: null when Terraform left it out (null outputs are not stored).
    """
    if not isinstance(outputs, dict):
        raise PlatformError(f"terraform outputs: must be a mapping of output name -> {{value}}, got {show(outputs)}")
    infra = dict.fromkeys(name for name in CONTRACT_OUTPUTS if name not in outputs)
    for name in sorted(outputs, key=str):
        output = outputs[name]
        if not isinstance(output, dict) or "value" not in output:
            # The value itself is never part of a message: outputs may be sensitive.
            raise PlatformError(f"terraform output {show(name)}: has no value (expected {{value, type, sensitive}})")
        if sensitive or not output.get("sensitive", False):
            infra[name] = output["value"]
    return {name: infra[name] for name in sorted(infra)}


def credentials_in_env(cloud: str, environ, set_only: bool = True) -> list:
    """The names of ``cloud``'s credential environment variables that are set (non-empty) in ``environ``.

    ``set_only=False``: every name the cloud uses (for messages). Values are never returned.
    """
    if not isinstance(environ, dict):
        raise PlatformError(f"environ: must be a mapping of environment variables, got {show(environ)}")
    return [name for name in get_profile(cloud).credential_env_vars if environ.get(name) or not set_only]


def backend_config_values(config) -> dict:
    """``infrastructure_backend_config`` as the strings ``terraform init -backend-config=KEY=VALUE`` takes.

    YAML booleans (``encrypt: true``, ``use_lockfile: true``: the bootstrap's ``backend_config`` output) become
    ``true``/``false``: Terraform refuses Python's ``True`` ("a bool is required"). Every caller of ``terraform init``
    (the Terraform module's ``backend_config``, drift's plan, the teardown's state read) passes these.
    """
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise PlatformError(
            f"infrastructure_backend_config: must be a mapping of -backend-config values, got {show(config)}"
        )
    values = {}
    for key, value in config.items():
        if isinstance(value, bool):
            values[str(key)] = "true" if value else "false"
        elif isinstance(value, (str, int, float)):
            values[str(key)] = str(value)
        else:
            raise PlatformError(
                f"infrastructure_backend_config.{key}: must be a string, number or boolean, got {show(value)}"
            )
    return values

# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Preflight: the models the kserve role serves (``kserve_inference_services``, ``kserve_llm_services``).

The argument spec types the two lists; these rules catch what renders but cannot run: names KServe and
Kubernetes refuse (or that collide), an entry with both or neither model source, a canary without a
registered model or with an alias MLflow refuses, a replica floor of 0 that nothing lifts, an LLM on a pool
without GPUs, and above all an LLM that does not fit the GPU memory of an instance type of its pool (the
fit check, llm_fit): every type of the pool is checked, since the scheduler may land the predictor on any.

Sources:

- MLflow alias names: ``mlflow/utils/validation.py`` ``_validate_model_alias_name`` (``^[\\w\\-]*$``, at most
  255 characters, not ``latest`` in any case, not a version alias ``v<digits>``).
- Names: the canary InferenceService is ``<name>-canary`` and KServe names its predictor Service
  ``<isvc>-predictor`` (a DNS label, at most 63 characters): a predictive name has at most 40 characters
  (the platform's rule, with room to spare), an LLM's at most 53 (63 - len("-predictor")), and the host
  KServe gives it, ``<isvc>-<namespace>.<domain>``, needs ``<isvc>-<namespace>`` within 63.
- Replicas: KServe's HPA (Standard mode) never goes below 1 replica; only a KEDA ScaledObject
  (autoscaling_scaler_targets, on clouds whose autoscaler is KEDA) scales an InferenceService from zero.
  On AWS the autoscaler is Karpenter, which adds nodes, not replicas.
"""

from __future__ import annotations

import difflib
import re

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.mlops.platform.plugins.module_utils import llm_fit, llm_models
from ansible_collections.mlops.platform.plugins.module_utils._cloud import get_profile
from ansible_collections.mlops.platform.plugins.module_utils._cloud.base import show
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError

PREDICTIVE_VAR = "kserve_inference_services"
LLM_VAR = "kserve_llm_services"
PREDICTIVE_KEYS = (
    "name",
    "model_format",
    "registered_model",
    "storage_uri",
    "alias",
    "canary",
    "min_replicas",
    "max_replicas",
    "resources",
    "gpu",
)
LLM_KEYS = (
    "name",
    "model",
    "quantization",
    "dtype",
    "pool",
    "max_model_len",
    "max_num_seqs",
    "gpu_memory_utilization",
    "tensor_parallel_size",
    "weights",
    "min_replicas",
    "max_replicas",
    "resources",
)
MODEL_FORMATS = ("mlflow", "sklearn")
CANARY_KEYS = ("alias", "weight")
WEIGHTS_KEYS = ("source", "token_secret_ref")
WEIGHTS_SOURCES = ("object_store", "hub")
DEFAULT_ALIAS = "champion"
DEFAULT_CANARY_ALIAS = "challenger"
DEFAULT_NAMESPACE = "kserve"
PREDICTIVE_NAME_MAX = 40
PREDICTOR_SUFFIX = "-predictor"
DNS_LABEL_MAX = 63
ALIAS_MAX = 255

_DNS_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_ALIAS_RE = re.compile(r"^[\w\-]+$")
_VERSION_ALIAS_RE = re.compile(r"^[vV]\d+$")
_URI_RE = re.compile(r"^[a-z][a-z0-9+.-]*://\S+$")


def _flag(value, strict: bool = False) -> bool | None:
    """A boolean variable as Ansible reads it (yes/no, on/off, 1/0, true/false); None when unset (or, with
    ``strict``, not one of those spellings)."""
    try:
        return None if value is None else boolean(value, strict=strict)
    except TypeError:
        return None


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _hint(value, allowed) -> str:
    near = difflib.get_close_matches(str(value), [str(a) for a in allowed], n=1)
    return f" (did you mean {near[0]}?)" if near else ""


def _unknown_keys(path: str, entry: dict, allowed: tuple) -> list:
    return [
        f"{path}.{key}: unknown setting{_hint(key, allowed)}; allowed: {', '.join(allowed)}"
        for key in sorted(map(str, entry))
        if key not in allowed
    ]


def _int_range(path: str, value, low: int, high: int | None = None, why: str = "") -> list:
    if value is None:
        return []
    if not _is_int(value) or value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"of {low} or more"
        return [f"{path}: must be an integer {bounds}{why}, got {show(value)}"]
    return []


def alias_problem(alias) -> str | None:
    """Why MLflow refuses ``alias`` as a registered model alias name; None when it accepts it."""
    if not isinstance(alias, str) or not alias:
        return f"{show(alias)} is not an alias name (a non-empty string)"
    if not _ALIAS_RE.match(alias) or len(alias) > ALIAS_MAX:
        return f"{show(alias)} is not an MLflow alias: letters, digits, '_' and '-' only, at most {ALIAS_MAX}"
    if alias.lower() == "latest":
        return f"{show(alias)} is reserved by MLflow (latest, in any case)"
    if _VERSION_ALIAS_RE.match(alias):
        return f"{show(alias)} is reserved by MLflow for version numbers (v<digits>)"
    return None


# ---------------------------------------------------------------------------- shared
def _name(path: str, name, max_len: int, why: str) -> list:
    if name is None:
        return [f"{path}.name: not set; a DNS label of at most {max_len} characters ({why})"]
    if not isinstance(name, str) or not _DNS_LABEL_RE.match(name) or len(name) > max_len:
        return [
            f"{path}.name: {show(name)} must be a DNS label (lowercase letters, digits and '-', starting and ending "
            f"with a letter or digit) of at most {max_len} characters ({why})"
        ]
    return []


def _scaled_from_zero(config: dict, profile, name: str) -> bool:
    """Whether a KEDA scaler of autoscaling_scaler_targets targets the InferenceService ``name``."""
    if profile is None or profile.autoscaler()["controller"] != "keda" or not _flag(config.get("autoscaling_enabled")):
        return False
    targets = config.get("autoscaling_scaler_targets")
    namespace = config.get("kserve_namespace") or DEFAULT_NAMESPACE
    return isinstance(targets, dict) and any(
        isinstance(target, dict)
        and target.get("kind") == "InferenceService"
        and target.get("name") == name
        and target.get("namespace") == namespace
        for target in targets.values()
    )


def _replicas(path: str, entry: dict, config: dict, profile) -> list:
    low, high = entry.get("min_replicas"), entry.get("max_replicas")
    problems = _int_range(f"{path}.min_replicas", low, 0) + _int_range(f"{path}.max_replicas", high, 1)
    if problems:
        return problems
    if _is_int(low) and _is_int(high) and low > high:
        problems.append(f"{path}: min_replicas {low} is more than max_replicas {high}")
    name = entry.get("name")
    if low == 0 and not _scaled_from_zero(config, profile, name):
        namespace = config.get("kserve_namespace") or DEFAULT_NAMESPACE
        if profile is not None and profile.autoscaler()["controller"] != "keda":
            where = (
                f"on {profile.name} the autoscaler is {profile.autoscaler()['controller'] or 'none'}, which scales "
                "nodes, not replicas: nothing scales an InferenceService from zero there"
            )
        else:
            where = (
                "no KEDA scaler targets it: add one to autoscaling_scaler_targets, e.g. "
                f"{{kind: InferenceService, name: {name}, namespace: {namespace}}} (with autoscaling_enabled: true)"
            )
        problems.append(
            f"{path}.min_replicas: 0, but KServe's HPA keeps at least 1 replica and {where}; set min_replicas: 1"
        )
    return problems


# ---------------------------------------------------------------------------- predictive models
def _canary(path: str, entry: dict) -> list:
    canary = entry.get("canary")
    if canary is None:
        return []
    path = f"{path}.canary"
    if entry.get("registered_model") is None:
        return [
            f"{path}: a canary needs registered_model (its alias picks the canary's version); a storage_uri entry "
            "has one fixed model: remove canary"
        ]
    if not isinstance(canary, dict):
        return [f"{path}: must be a mapping {{alias, weight}}, got {show(canary)}"]
    problems = _unknown_keys(path, canary, CANARY_KEYS)
    weight = canary.get("weight")
    if weight is None:
        problems.append(f"{path}.weight: not set; the percent of the public host's requests the canary gets, 1-99")
    else:
        problems += _int_range(f"{path}.weight", weight, 1, 99, " (percent of the public host's requests)")
    alias = canary.get("alias", DEFAULT_CANARY_ALIAS)
    problem = alias_problem(alias)
    if problem:
        problems.append(f"{path}.alias: {problem}")
    elif alias == entry.get("alias", DEFAULT_ALIAS):
        problems.append(
            f"{path}.alias: {show(alias)} is also the stable alias ({path[: -len('.canary')]}.alias): the canary "
            f"must follow another alias, e.g. {DEFAULT_CANARY_ALIAS}"
        )
    return problems


def _predictive(path: str, entry: dict, config: dict, profile) -> list:
    problems = _unknown_keys(path, entry, PREDICTIVE_KEYS)
    problems += _name(path, entry.get("name"), PREDICTIVE_NAME_MAX, "the canary InferenceService is <name>-canary")
    model_format = entry.get("model_format")
    if model_format is None:
        problems.append(f"{path}.model_format: not set; allowed: {', '.join(MODEL_FORMATS)}")
    elif model_format not in MODEL_FORMATS:
        problems.append(
            f"{path}.model_format: {show(model_format)} is not allowed{_hint(model_format, MODEL_FORMATS)}; allowed: "
            f"{', '.join(MODEL_FORMATS)} (the platform's mlops-mlserver runtime)"
        )
    registered, uri = entry.get("registered_model"), entry.get("storage_uri")
    if (registered is None) == (uri is None):
        state = "both are set" if registered is not None else "neither is set"
        problems.append(
            f"{path}: set exactly one of registered_model (an MLflow registered model, served by alias) and "
            f"storage_uri (a fixed location such as s3://bucket/path); {state}"
        )
    if registered is not None and (not isinstance(registered, str) or not registered.strip()):
        problems.append(
            f"{path}.registered_model: must be the name of an MLflow registered model, got {show(registered)}"
        )
    if uri is not None and (not isinstance(uri, str) or not _URI_RE.match(uri)):
        problems.append(f"{path}.storage_uri: {show(uri)} is not a URI such as s3://bucket/models/iris or wasbs://...")
    alias = entry.get("alias")
    if alias is not None:
        problem = alias_problem(alias)
        if problem:
            problems.append(f"{path}.alias: {problem}")
        elif registered is None:
            problems.append(f"{path}.alias: only with registered_model (the alias picks one of its versions)")
    problems += _canary(path, entry)
    gpu = entry.get("gpu")
    if gpu is not None and _flag(gpu, strict=True) is None:
        problems.append(f"{path}.gpu: must be true or false, got {show(gpu)}")
    if entry.get("resources") is not None and not isinstance(entry["resources"], dict):
        problems.append(f"{path}.resources: must be a mapping with requests and limits, got {show(entry['resources'])}")
    return problems + _replicas(path, entry, config, profile)


# ---------------------------------------------------------------------------- LLMs
def _gpu_pools(config: dict) -> list:
    pools = config.get("platform_node_pools")
    if not isinstance(pools, dict):
        return []
    return sorted(str(k) for k, v in pools.items() if isinstance(v, dict) and _flag(v.get("gpu")))


def _llm_fields(path: str, entry: dict) -> tuple:
    """(problems, model key or None when unusable) of the LLM's own settings."""
    problems = []
    key = entry.get("model")
    known = llm_models.model_keys()
    if key is None:
        problems.append(f"{path}.model: not set; allowed: {', '.join(known)} (plugins/module_utils/llm_models.py)")
    elif key not in known:
        problems.append(
            f"{path}.model: {show(key)} is not a model the platform knows{_hint(key, known)}; allowed: "
            f"{', '.join(known)} (plugins/module_utils/llm_models.py)"
        )
        key = None
    quantization = entry.get("quantization")
    if quantization is not None and key is not None:
        variants = sorted(llm_models.MODELS[key]["quantized"])
        if quantization not in variants:
            problems.append(
                f"{path}.quantization: {show(quantization)} is not a quantized variant of {key}; allowed: null, "
                f"{', '.join(variants)}"
            )
            key = None
    dtype = entry.get("dtype")
    if dtype is not None and dtype not in llm_models.DTYPES:
        problems.append(f"{path}.dtype: {show(dtype)} is not allowed; allowed: {', '.join(llm_models.DTYPES)}")
        key = None
    elif dtype == "bfloat16" and quantization is not None:
        problems.append(
            f"{path}.dtype: bfloat16, but the {show(quantization)} variant runs in float16 only (vLLM's kernels); "
            "set dtype: float16"
        )
    context = llm_models.MODELS[key]["max_position_embeddings"] if key is not None else None
    for field, low, high, why in (
        ("max_model_len", 1, context, f" (the context length of {key})" if context else ""),
        ("max_num_seqs", 1, None, ""),
        ("tensor_parallel_size", 1, None, " (GPUs per replica)"),
    ):
        found = _int_range(f"{path}.{field}", entry.get(field), low, high, why)
        problems += found
        key = None if found else key
    utilization = entry.get("gpu_memory_utilization")
    if utilization is not None and (
        isinstance(utilization, bool) or not isinstance(utilization, (int, float)) or not 0 < utilization < 1
    ):
        problems.append(
            f"{path}.gpu_memory_utilization: must be a number between 0 and 1 (exclusive), the share of each GPU's "
            f"memory vLLM may take, got {show(utilization)}"
        )
        key = None
    return problems, key


def _weights(path: str, weights) -> list:
    path = f"{path}.weights"
    if weights is None:
        return []
    if not isinstance(weights, dict):
        return [f"{path}: must be a mapping {{source: object_store}} or {{source: hub, token_secret_ref}}"]
    problems = _unknown_keys(path, weights, WEIGHTS_KEYS)
    source = weights.get("source")
    if source not in WEIGHTS_SOURCES:
        problems.append(f"{path}.source: {show(source)} is not allowed; allowed: {', '.join(WEIGHTS_SOURCES)}")
    token = weights.get("token_secret_ref")
    if source == "hub" and (not isinstance(token, str) or not token.strip()):
        problems.append(
            f"{path}.token_secret_ref: source hub needs the secret store key of the Hugging Face token (HF_TOKEN), "
            "e.g. /mlops-dev/hf-token; a token never goes into a variable"
        )
    return problems


def _pool_problems(path: str, entry: dict, config: dict) -> list:
    key = entry.get("pool")
    gpu_pools = _gpu_pools(config)
    listed = ", ".join(gpu_pools) if gpu_pools else "none (set gpu: true on a pool of platform_node_pools)"
    pools = config.get("platform_node_pools")
    if key is None:
        return [f"{path}.pool: not set; a platform_node_pools key with gpu: true: {listed}"]
    if not isinstance(pools, dict) or key not in pools:
        return [
            f"{path}.pool: {show(key)} is not a key of platform_node_pools{_hint(key, gpu_pools)}; GPU pools: {listed}"
        ]
    if key not in gpu_pools:
        return [f"{path}.pool: pool {show(key)} has no GPUs (gpu: true); GPU pools: {listed}"]
    return []


def _fit(path: str, entry: dict, key: str, pool_key: str, config: dict, profile) -> list:
    """The fit check on every instance type of the pool."""
    pool = config["platform_node_pools"][pool_key]
    types = pool.get("instance_types")
    if not isinstance(types, list):
        return []
    settings = {field: entry.get(field) for field in llm_fit.DEFAULTS}
    problems = []
    for instance_type in [t for t in types if isinstance(t, str)]:
        gpu = profile.gpu_memory(instance_type)
        where = f"platform_node_pools.{pool_key}.instance_types"
        if gpu is None:
            families = {}
            for name in profile.gpu_instance_types():
                known_gpu = profile.gpu_memory(name)
                families.setdefault(known_gpu["family"], f"{known_gpu['gpu_model']} {known_gpu['memory_gib']:g} GiB")
            known = ", ".join(f"{family} ({text})" for family, text in families.items()) or "none"
            problems.append(
                f"{path}: the GPU memory of {instance_type} ({where}) is unknown to the {profile.name} profile, so "
                f"{key} cannot be checked to fit; use a type of a known GPU family: {known}"
            )
            continue
        verdict = llm_fit.check(key, settings, instance_type, gpu)
        if verdict["fits"]:
            continue
        if verdict["reasons"]:
            problems.append(
                f"{path}: vLLM would refuse to start {key} on {instance_type} ({where}): "
                + "; ".join(verdict["reasons"])
            )
            continue
        advice = llm_fit.suggestion_text(llm_fit.suggestions(key, settings, instance_type, profile))
        advice = f"{advice}, or lower max_model_len / max_num_seqs" if advice else "lower max_model_len / max_num_seqs"
        problems.append(
            f"{path}: does not fit: {llm_fit.describe(verdict)}; the scheduler may place it on any instance type "
            f"of pool {pool_key} ({where}), so every one must fit: {advice}"
        )
    return problems


def _llm(path: str, entry: dict, config: dict, profile) -> list:
    problems = _unknown_keys(path, entry, LLM_KEYS)
    namespace = config.get("kserve_namespace") or DEFAULT_NAMESPACE
    max_len = min(DNS_LABEL_MAX - len(PREDICTOR_SUFFIX), DNS_LABEL_MAX - len(namespace) - 1)
    problems += _name(
        path, entry.get("name"), max_len, f"<name>{PREDICTOR_SUFFIX} and <name>-{namespace} are DNS labels"
    )
    fields, key = _llm_fields(path, entry)
    problems += fields + _weights(path, entry.get("weights"))
    problems += _pool_problems(path, entry, config)
    pool_key = entry.get("pool")
    if key is not None and pool_key in _gpu_pools(config) and profile is not None:
        problems += _fit(path, entry, key, pool_key, config, profile)
    if entry.get("resources") is not None and not isinstance(entry["resources"], dict):
        problems.append(f"{path}.resources: must be a mapping with requests and limits, got {show(entry['resources'])}")
    return problems + _replicas(path, entry, config, profile)


# ---------------------------------------------------------------------------- entry point
def _profile(config: dict):
    try:
        return get_profile(config.get("platform_cloud"))
    except PlatformError:
        return None  # preflight names an unknown platform_cloud


def _entries(config: dict, var: str) -> tuple:
    value = config.get(var)
    if value is None:
        return [], []
    if not isinstance(value, list):
        return [f"{var}: must be a list of mappings, got {show(value)}"], []
    problems = [
        f"{var}[{i}]: must be a mapping, got {show(item)}" for i, item in enumerate(value) if not isinstance(item, dict)
    ]
    return problems, [(f"{var}[{i}]", item) for i, item in enumerate(value) if isinstance(item, dict)]


def _device_plugin_problems(config: dict, predictive: list, llms: list) -> list:
    """GPU predictors need the NVIDIA device plugin (the gpu role): without it no node advertises nvidia.com/gpu."""
    toggles = config.get("toggles") if isinstance(config.get("toggles"), dict) else {}
    if "gpu_enabled" not in toggles or _flag(toggles["gpu_enabled"]) is not False:
        return []
    wanting = [f"{path} ({entry.get('name')})" for path, entry in llms]
    wanting += [f"{path} ({entry.get('name')})" for path, entry in predictive if _flag(entry.get("gpu")) is True]
    if not wanting:
        return []
    return [
        f"gpu_enabled: false, but {', '.join(wanting)} request(s) GPUs: without the NVIDIA device plugin no node "
        "advertises nvidia.com/gpu and those predictors stay Pending; set gpu_enabled: true or remove them"
    ]


def _registry_problems(config: dict, predictive: list) -> list:
    """The registry URI, when an entry serves a registered model: the render asks it which version an alias
    points at (after Terraform in an apply run, so an unusable URI must stop the run here, before any change)."""
    served = [f"{path} ({entry.get('name')})" for path, entry in predictive if entry.get("registered_model")]
    uri = config.get("kserve_model_registry_uri")
    if not served or "kserve_model_registry_uri" not in config:
        return []
    if isinstance(uri, str) and uri.startswith(("http://", "https://")) and len(uri) > len("https://"):
        return []
    return [
        f"kserve_model_registry_uri: {show(uri)} is not the http(s) URL of the MLflow tracking server, which "
        f"{', '.join(served)} needs to resolve its aliases at render time; set MLFLOW_TRACKING_URI (MLflow's ingress "
        "host, or a port-forward such as http://127.0.0.1:5000 from make port-forward-mlflow) or the variable"
    ]


def serving_problems(config: dict) -> list:
    """Every problem of the kserve role's served models; empty when none or when KServe is disabled."""
    if not isinstance(config, dict) or not _flag(config.get("kserve_enabled")):
        return []
    profile = _profile(config)
    problems, predictive = _entries(config, PREDICTIVE_VAR)
    more, llms = _entries(config, LLM_VAR)
    problems += more
    for path, entry in predictive:
        problems += _predictive(path, entry, config, profile)
    for path, entry in llms:
        problems += _llm(path, entry, config, profile)
    problems += _registry_problems(config, predictive)
    problems += _device_plugin_problems(config, predictive, llms)
    seen: dict = {
        f"{entry['name']}-canary": f"{path}.canary (its canary InferenceService)"
        for path, entry in predictive
        if isinstance(entry.get("name"), str) and entry.get("canary") is not None
    }
    for path, entry in predictive + llms:
        name = entry.get("name")
        if isinstance(name, str):
            if name in seen:
                problems.append(
                    f"{path}.name: {show(name)} is also the name of {seen[name]} (InferenceService names are unique "
                    "in the namespace, across kserve_inference_services and kserve_llm_services)"
                )
            seen.setdefault(name, f"{path}.name")
    return problems

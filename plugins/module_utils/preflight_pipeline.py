# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Preflight: the ML pipeline's settings (the ml_pipeline role), before anything renders.

The argument spec types each ``ml_pipeline_*`` variable; these rules catch what a type cannot: values Argo
or the step code would refuse only at run time (a schedule robfig/cron cannot parse, a name that is not a
Kubernetes name, a memoization key that is not a ConfigMap key), and settings that render but can never
run (a training pool that does not exist, so the step silently runs elsewhere; more GPUs or CPUs than any
node of the pool has; memoization without the controller's right to write its caches).

Sources:

- Argo CronWorkflow schedules: robfig/cron v3's standard parser (five fields, month and weekday names,
  ``@yearly`` ... ``@hourly``, ``@every <duration>``), as Argo Workflows 3.7 uses it; a CronWorkflow name
  is at most 52 characters (Argo appends a timestamp suffix to the Workflows it creates).
- Durations (memoization ``maxAge``, retry backoff): Go ``time.ParseDuration``.
- ConfigMap keys: ``[-._a-zA-Z0-9]+`` (Kubernetes ``IsConfigMapKey``); the experiment name and the
  hyperparameters are part of the training step's memoization key.
- Instance capacity: the AWS profile's EC2 table (vCPUs, GPUs per instance type).
"""

from __future__ import annotations

import difflib
import re
import sys
import zoneinfo
from pathlib import Path

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.mlops.platform.plugins.module_utils._cloud import aws as aws_profile
from ansible_collections.mlops.platform.plugins.module_utils._cloud.base import show
from ansible_collections.mlops.platform.plugins.module_utils.preflight_values import QUANTITY_RE, quantity_bytes

# The pipeline package's description of its DAG (pipeline/src/mlops_pipeline/spec.py): standard library only.
PIPELINE_SRC = Path(__file__).resolve().parents[2] / "pipeline" / "src"

DNS_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
CONFIGMAP_KEY_RE = re.compile(r"^[-._a-zA-Z0-9]+$")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
GO_DURATION_RE = re.compile(r"^(?:[0-9]+(?:\.[0-9]+)?(?:ns|us|µs|ms|s|m|h))+$")
CRON_DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# (name, lowest, highest, names) of the five cron fields.
CRON_FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, MONTHS),
    ("day of week", 0, 6, WEEKDAYS),
)
CRONWORKFLOW_NAME_MAX = 52
MILLICORES_RE = re.compile(r"^(?P<number>[0-9]*\.?[0-9]+)(?P<milli>m?)$")
# Resource keys besides the steps: the serving gate's model server sidecar, and the default.
RESOURCE_EXTRA_KEYS = ("serving-runtime", "default")


def _spec():
    """The pipeline package's spec module (its step names and datasets)."""
    if str(PIPELINE_SRC) not in sys.path:
        sys.path.insert(0, str(PIPELINE_SRC))
    from mlops_pipeline import spec  # pylint: disable=import-outside-toplevel

    return spec


def _cron_value(text: str, field: tuple) -> int | None:
    name, low, high, names = field
    lowered = text.lower()
    if lowered in names:
        return names.index(lowered) + (1 if name == "month" else 0)
    if not text.isdigit():
        return None
    number = int(text)
    # robfig/cron accepts 7 for Sunday only through ranges of names; 0-6 is the rule.
    return number if low <= number <= high else None


def _cron_field_problem(text: str, field: tuple) -> str | None:
    name, low, high, names = field
    for part in text.split(","):
        base, step = part.split("/", 1) if "/" in part else (part, None)
        if step is not None and (not step.isdigit() or int(step) == 0):
            return f"{name} step {step!r} is not a positive number"
        if base in ("*", "?"):
            continue
        bounds = base.split("-", 1)
        values = [_cron_value(bound, field) for bound in bounds]
        if any(value is None for value in values):
            allowed = f"{low}-{high}" + (f" or {names[0]}-{names[-1]}" if names else "")
            return f"{name} {base!r} is outside {allowed}"
        if len(values) == 2 and values[0] > values[1]:
            return f"{name} range {base!r} runs backwards"
    return None


def cron_problem(schedule: str) -> str | None:
    """Why robfig/cron's standard parser (Argo's) refuses ``schedule``; None when it parses."""
    text = schedule.strip()
    if text.startswith("@every "):
        duration = text[len("@every ") :].strip()
        return None if GO_DURATION_RE.match(duration) else f"@every needs a Go duration such as 6h, got {duration!r}"
    if text.startswith("@"):
        return None if text in CRON_DESCRIPTORS else f"{text!r} is not one of {', '.join(CRON_DESCRIPTORS)}"
    fields = text.split()
    if len(fields) != 5:
        return f"has {len(fields)} fields; a schedule has 5: minute hour day-of-month month day-of-week"
    for value, field in zip(fields, CRON_FIELDS, strict=True):
        problem = _cron_field_problem(value, field)
        if problem:
            return problem
    return None


def millicores(value) -> int | None:
    """A CPU quantity in millicores (``2`` -> 2000, ``250m`` -> 250); None when it is not one."""
    match = MILLICORES_RE.match(str(value).strip()) if value is not None else None
    if not match:
        return None
    number = float(match.group("number"))
    return round(number if match.group("milli") else number * 1000)


def _hint(value, allowed) -> str:
    near = difflib.get_close_matches(str(value), [str(a) for a in allowed], n=1)
    return f" (did you mean {near[0]}?)" if near else ""


def _flag(value) -> bool | None:
    """A boolean variable as Ansible reads it (yes/no, on/off, 1/0, true/false); None when unset or not one."""
    try:
        return None if value is None else boolean(value, strict=False)
    except TypeError:
        return None


def _on(config: dict) -> bool:
    return bool(_flag(config.get("ml_pipeline_enabled")))


def _names(config: dict) -> list:
    problems = []
    name = config.get("ml_pipeline_name")
    if isinstance(name, str) and (not DNS_SUBDOMAIN_RE.match(name) or len(name) > CRONWORKFLOW_NAME_MAX):
        problems.append(
            f"ml_pipeline_name: {show(name)} must be a lower-case DNS name (a-z, 0-9, '-', '.') of at most "
            f"{CRONWORKFLOW_NAME_MAX} characters: it names the WorkflowTemplate and the CronWorkflow"
        )
    for var, why in (
        ("ml_pipeline_model_name", "the registered model's name, passed to every step"),
        ("ml_pipeline_experiment", "part of the training step's memoization key, a ConfigMap key"),
    ):
        value = config.get(var)
        if isinstance(value, str) and (not NAME_RE.match(value) or len(value) > 63):
            problems.append(
                f"{var}: {show(value)} must start with a letter or digit and hold only letters, digits, "
                f"'.', '_' and '-' (at most 63): {why}"
            )
    return problems


def _dataset(config: dict) -> list:
    dataset = config.get("ml_pipeline_dataset")
    known = _spec().DATASETS
    if dataset is None or dataset in known:
        return []
    return [f"ml_pipeline_dataset: {show(dataset)} is not a dataset the ingest step knows; allowed: {', '.join(known)}"]


def _numbers(config: dict) -> list:
    problems = []
    percent = config.get("ml_pipeline_test_percent")
    if isinstance(percent, int) and not 5 <= percent <= 50:
        problems.append(
            f"ml_pipeline_test_percent: {percent} is outside 5-50 (the share of rows held out for evaluation)"
        )
    threshold = config.get("ml_pipeline_threshold")
    if isinstance(threshold, (int, float)) and not 0 < threshold <= 1:
        problems.append(
            f"ml_pipeline_threshold: {threshold} is outside (0, 1]; accuracy, f1 and roc_auc lie between 0 and 1"
        )
    hyper = config.get("ml_pipeline_hyperparameters")
    if isinstance(hyper, dict):
        for key, low, text in (("n_estimators", 1, "1 or more"), ("max_depth", 1, "1 or more")):
            value = hyper.get(key)
            if isinstance(value, int) and value < low:
                problems.append(f"ml_pipeline_hyperparameters.{key}: {value} must be {text}")
        rate = hyper.get("learning_rate")
        if isinstance(rate, (int, float)) and rate <= 0:
            problems.append(f"ml_pipeline_hyperparameters.learning_rate: {rate} must be greater than 0")
    seed = config.get("ml_pipeline_seed")
    if isinstance(seed, int) and seed < 0:
        problems.append(f"ml_pipeline_seed: {seed} must be 0 or more")
    return problems


def _schedule(config: dict) -> list:
    problems = []
    schedule = config.get("ml_pipeline_schedule")
    if isinstance(schedule, str) and schedule.strip():
        problem = cron_problem(schedule)
        if problem:
            problems.append(f"ml_pipeline_schedule: {show(schedule)} {problem}")
        timezone = config.get("ml_pipeline_timezone")
        zones = zoneinfo.available_timezones()
        if isinstance(timezone, str) and zones and timezone not in zones and timezone != "UTC":
            near = sorted(z for z in zones if z.lower() == timezone.lower() or z.split("/")[-1] == timezone)
            hint = f" (did you mean {near[0]}?)" if near else ""
            problems.append(f"ml_pipeline_timezone: {show(timezone)} is not an IANA time zone name{hint}")
    return problems


def _durations(config: dict) -> list:
    problems = []
    if _flag(config.get("ml_pipeline_memoize")) and _flag(config.get("argo_workflows_memoization")) is False:
        problems.append(
            "ml_pipeline_memoize: true needs argo_workflows_memoization: true (the controller's right to write "
            "its cache ConfigMaps); set both, or ml_pipeline_memoize: false"
        )
    age = config.get("ml_pipeline_memoize_max_age")
    if isinstance(age, str) and age and not GO_DURATION_RE.match(age):
        problems.append(f"ml_pipeline_memoize_max_age: {show(age)} is not a duration such as 720h or 30m")
    backoff = config.get("ml_pipeline_retry_backoff")
    if isinstance(backoff, dict):
        for key in ("duration", "max_duration"):
            value = backoff.get(key)
            if value is not None and not (str(value).isdigit() or GO_DURATION_RE.match(str(value))):
                problems.append(f"ml_pipeline_retry_backoff.{key}: {show(value)} is not a duration such as 30s or 10m")
        factor = backoff.get("factor")
        if isinstance(factor, int) and factor < 1:
            problems.append(f"ml_pipeline_retry_backoff.factor: {factor} must be 1 or more")
    return problems


def _resources(config: dict) -> list:
    resources = config.get("ml_pipeline_resources")
    if not isinstance(resources, dict):
        return []
    allowed = list(_spec().STEP_NAMES) + list(RESOURCE_EXTRA_KEYS)
    problems = []
    for key, spec in resources.items():
        var = f"ml_pipeline_resources.{key}"
        if key not in allowed:
            problems.append(f"{var}: no such step{_hint(key, allowed)}; allowed: {', '.join(allowed)}")
            continue
        if not isinstance(spec, dict):
            problems.append(f"{var}: must be a mapping with requests and limits, got {show(spec)}")
            continue
        for part in spec:
            if part not in ("requests", "limits"):
                problems.append(f"{var}.{part}: unknown; allowed: requests, limits")
        for part in ("requests", "limits"):
            for resource, quantity in (spec.get(part) or {}).items():
                if resource == "cpu" and millicores(quantity) is None:
                    problems.append(f"{var}.{part}.cpu: {show(quantity)} is not a CPU quantity such as 500m or 2")
                elif resource == "memory" and not QUANTITY_RE.match(str(quantity)):
                    problems.append(f"{var}.{part}.memory: {show(quantity)} is not a memory quantity such as 4Gi")
        requested, limit = (spec.get("requests") or {}).get("memory"), (spec.get("limits") or {}).get("memory")
        if requested and limit and (quantity_bytes(requested) or 0) > (quantity_bytes(limit) or 0) > 0:
            problems.append(f"{var}: memory request {requested} exceeds its limit {limit}")
    return problems


def _train_cpu(config: dict) -> int | None:
    resources = config.get("ml_pipeline_resources") or {}
    if not isinstance(resources, dict):
        return None
    for key in ("train", "default"):
        spec = resources.get(key)
        if isinstance(spec, dict) and (spec.get("requests") or {}).get("cpu") is not None:
            return millicores(spec["requests"]["cpu"])
    return None


def _pools(config: dict) -> list:
    cloud = config.get("platform_cloud")
    pools = config.get("platform_node_pools")
    if cloud not in ("aws", "azure") or not isinstance(pools, dict):
        return []  # local: no pools; the train step runs on any untainted node
    problems = []
    gpu = bool(_flag(config.get("ml_pipeline_train_gpu")))
    var = "ml_pipeline_gpu_pool" if gpu else "ml_pipeline_training_pool"
    key = config.get(var)
    if key is None:
        return []
    pool = pools.get(key)
    if not isinstance(pool, dict):
        return [
            f"{var}: {show(key)} is not a key of platform_node_pools{_hint(key, pools)} ({', '.join(sorted(pools))}); "
            "the train step "
            "would select nodes no pool has and never run"
        ]
    if gpu and not pool.get("gpu"):
        problems.append(f"{var}: pool {key!r} has no GPUs (gpu: true in platform_node_pools.{key}); pick a GPU pool")
    if cloud != "aws":
        return problems
    capacities = [aws_profile.instance_capacity(t) for t in pool.get("instance_types") or []]
    capacities = [c for c in capacities if c is not None]
    if not capacities:
        return problems
    cpu = _train_cpu(config)
    most_cpus = max(c[0] for c in capacities)
    if cpu is not None and cpu > most_cpus * 1000:
        problems.append(
            f"ml_pipeline_resources.train.requests.cpu: {cpu}m is more than the largest instance type of pool "
            f"{key!r} has ({most_cpus} vCPUs); the train step would never schedule"
        )
    gpus = config.get("ml_pipeline_train_gpus")
    most_gpus = max(c[1] for c in capacities)
    if gpu and isinstance(gpus, int) and (gpus < 1 or gpus > most_gpus):
        problems.append(
            f"ml_pipeline_train_gpus: {gpus} must be between 1 and {most_gpus}, the most GPUs one node of pool "
            f"{key!r} has"
        )
    return problems


def _tracking_uri(config: dict) -> list:
    uri = config.get("ml_pipeline_mlflow_tracking_uri")
    if isinstance(uri, str) and not re.match(r"^https?://[^/\s]+(/\S*)?$", uri):
        return [f"ml_pipeline_mlflow_tracking_uri: {show(uri)} must be an http:// or https:// URL"]
    return []


def pipeline_problems(config: dict) -> list:
    """Every ``ml_pipeline_*`` setting that is well-typed but cannot work; empty when none or when disabled."""
    if not isinstance(config, dict) or not _on(config):
        return []
    return [
        *_names(config),
        *_dataset(config),
        *_numbers(config),
        *_schedule(config),
        *_durations(config),
        *_resources(config),
        *_pools(config),
        *_tracking_uri(config),
    ]

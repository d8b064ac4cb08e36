"""The Argo WorkflowTemplate (and CronWorkflow) of the pipeline, generated from :mod:`mlops_pipeline.spec` with Hera.

Hera 6.0.0 is generated from the Argo Workflows 3.7 API (the platform pins Argo 3.7; Hera 7 targets
Argo 4.0, whose ``memoize.cache.configMap`` fails the 3.7 CRD). Hera is imported here only, so the
rest of the package (the steps) never needs it.

:func:`build` takes the platform's settings as one plain dict (the collection's ``ml_pipeline`` role
computes it from the inventory: images, pools, service account, artifact repository) and returns the
objects as plain dicts, deterministically: the same settings give the same YAML.

The config (every key required unless marked optional):

* ``name``, ``namespace``: of the WorkflowTemplate (the CronWorkflow has the same name);
  ``labels`` (optional): added to both objects' metadata;
* ``image``: the step image (``repository:tag``), ``serving_runtime``: the serving-runtime contract
  ``{"image": "repository:tag", "python": "3.10", "libraries": {...}}`` (the gate's sidecar runs its image);
* ``service_account``: the workflow service account (the one with the cloud identity);
  ``pod_labels`` (optional): labels of every workflow pod (Azure workload identity);
* ``parameters`` (optional): workflow parameter defaults overriding ``spec.PARAMETERS`` (same names only);
* ``artifact_repository``: the default artifact repository as in the ``artifact-repositories``
  ConfigMap, ``{"s3": {...}}`` or ``{"azure": {...}}``: which kind of keyed artifact to write;
* ``mlflow``: ``tracking_uri``, ``artifacts_destination``, ``credentials_secret`` (a Secret with
  ``username`` and ``password``, or empty for none);
* ``memoize`` (optional, None: no memoization): ``config_map`` (the cache's name), ``max_age`` (e.g. ``"720h"``);
* ``retry``: ``limit``, ``backoff`` ``{"duration", "factor", "max_duration"}``;
* ``resources``: step name (or ``"default"``) -> ``{"requests": {...}, "limits": {...}}``;
* ``placement``: pool class (``general``, ``training``, ``gpu``) -> ``{"node_selector": {...},
  "tolerations": [...]}``; a class without an entry gets no placement;
* ``env`` (optional): more environment variables of every step (name -> value);
* ``schedule`` (optional, empty: no CronWorkflow), ``timezone`` (optional, default UTC).
"""

from __future__ import annotations

import hashlib
import json
import re
import typing

from mlops_pipeline import spec

CONFIG_MAP_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
CONFIG_MAP_KEY_MAX = 253
# Examples of what fills a memoization key at run time, to prove the keys legal at build time.
EXAMPLE_OUTPUTS = {
    ("ingest", "dataset-digest"): "0" * 64,
    ("features", "feature-set-id"): "0" * 64 + "-v" + spec.FEATURE_VERSION + "-t20-s42",
}
SERVING_PORT = 8080
WORK_VOLUME = "work"
OUT_DIR = spec.WORK_DIR + "/out"
# Exit codes a retry can help with: every one but the refusal (a retry of refused input is refused again).
RETRY_EXPRESSION = f'lastRetry.exitCode != "{spec.EXIT_REFUSED}"'
CONTAINER_SECURITY = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}
POD_SECURITY = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}


class ConfigError(ValueError):
    """The settings given to :func:`build` cannot make a valid WorkflowTemplate."""


def output_file(name: str) -> str:
    """Where a step writes its output parameter ``name`` (``valueFrom.path``)."""
    return f"{OUT_DIR}/{name}"


def input_name(word: spec.Param | spec.StepOutput) -> str:
    """The template input parameter that carries a reference: the parameter's name, ``<step>-<output>``."""
    if isinstance(word, spec.Param):
        return word.name
    return f"{word.step}-{word.name}"


def dag_value(word: spec.Param | spec.StepOutput) -> str:
    """The DAG-level Argo expression of a reference."""
    if isinstance(word, spec.Param):
        return "{{workflow.parameters." + word.name + "}}"
    return "{{tasks." + word.step + ".outputs.parameters." + word.name + "}}"


def artifact_from(step: str, name: str) -> str:
    """The DAG-level Argo expression of an earlier step's output artifact."""
    return "{{tasks." + step + ".outputs.artifacts." + name + "}}"


def _references(step: spec.Step) -> list[spec.Param | spec.StepOutput]:
    """The parameter and step-output references a step's template needs, in first-use order."""
    words: list[spec.Word] = list(step.args) + list(step.memoize or ())
    for artifact in step.inputs + step.outputs:
        words += list(artifact.key or ())
    found: list[spec.Param | spec.StepOutput] = []
    for word in words:
        if isinstance(word, (spec.Param, spec.StepOutput)) and word not in found:
            found.append(word)
    names = [input_name(word) for word in found]
    if len(set(names)) != len(names):
        raise ConfigError(f"{step.name}: two references share an input name: {names}")
    return found


def _artifact_path(step: spec.Step, name: str) -> str:
    for artifact in step.inputs + step.outputs:
        if artifact.name == name:
            return artifact.path
    raise ConfigError(f"{step.name}: ArtifactPath({name!r}) names no artifact of the step")


def _template_word(step: spec.Step, word: spec.Word) -> str:
    """A word of a command line or key inside the step's own template."""
    if isinstance(word, str):
        return word
    if isinstance(word, (spec.Param, spec.StepOutput)):
        return "{{inputs.parameters." + input_name(word) + "}}"
    if isinstance(word, spec.ArtifactPath):
        return _artifact_path(step, word.name)
    if isinstance(word, spec.OutputFile):
        if word.name not in step.parameters:
            raise ConfigError(f"{step.name}: OutputFile({word.name!r}) is not an output parameter of the step")
        return output_file(word.name)
    raise ConfigError(f"{step.name}: unknown word {word!r}")


def _example_word(word: spec.Word, parameters: typing.Mapping[str, str]) -> str:
    """A word as a realistic run fills it (parameters at their defaults, step outputs from EXAMPLE_OUTPUTS)."""
    if isinstance(word, str):
        return word
    if isinstance(word, spec.Param):
        return str(parameters[word.name])
    if isinstance(word, spec.StepOutput):
        return EXAMPLE_OUTPUTS.get((word.step, word.name), "x")
    raise ConfigError(f"memoization key word {word!r} is neither literal nor reference")


def memo_key_problem(key: str) -> str | None:
    """Why ``key`` (placeholders filled) is not a legal ConfigMap key, or None."""
    if not CONFIG_MAP_KEY.match(key):
        return f"{key!r} has characters outside [-._a-zA-Z0-9]"
    if len(key) > CONFIG_MAP_KEY_MAX:
        return f"{key!r} is longer than {CONFIG_MAP_KEY_MAX} characters"
    return None


def _artifact_location(repository: typing.Mapping, key: str) -> dict:
    """A keyed artifact in the default artifact repository's bucket/container."""
    if "s3" in repository:
        # Key-only: Argo takes bucket, endpoint and credentials from the default artifact repository.
        return {"s3": {"key": key}}
    if "azure" in repository:
        # The 3.7 CRD requires endpoint and container beside the blob.
        azure = repository["azure"]
        location = {"endpoint": azure["endpoint"], "container": azure["container"], "blob": key}
        if azure.get("useSDKCreds"):
            location["useSDKCreds"] = True
        return {"azure": location}
    raise ConfigError(f"artifact_repository: neither s3 nor azure: {sorted(repository)}")


def _env(config: typing.Mapping) -> list[dict]:
    mlflow = config["mlflow"]
    runtime = config["serving_runtime"]
    contract = {"image": runtime["image"], "python": str(runtime["python"]), "libraries": runtime["libraries"]}
    env = [
        {"name": "MLFLOW_TRACKING_URI", "value": mlflow["tracking_uri"]},
        {"name": "MLOPS_ARTIFACTS_DESTINATION", "value": mlflow["artifacts_destination"]},
        {"name": "MLOPS_SERVING_CONTRACT", "value": json.dumps(contract, sort_keys=True, separators=(",", ":"))},
    ]
    if mlflow.get("credentials_secret"):
        for name, key in (("MLFLOW_TRACKING_USERNAME", "username"), ("MLFLOW_TRACKING_PASSWORD", "password")):
            env.append(
                {"name": name, "valueFrom": {"secretKeyRef": {"name": mlflow["credentials_secret"], "key": key}}}
            )
    for name in sorted(config.get("env") or {}):
        env.append({"name": name, "value": str(config["env"][name])})
    return env


def _resources(config: typing.Mapping, step: spec.Step) -> dict:
    table = config.get("resources") or {}
    chosen = table.get(step.name) or table.get("default") or {}
    return {part: {k: str(v) for k, v in sorted((chosen.get(part) or {}).items())} for part in ("requests", "limits")}


def _sidecar(config: typing.Mapping):
    from hera.workflows import models as m

    return m.UserContainer(
        name="serving-runtime",
        image=config["serving_runtime"]["image"],
        env=[
            m.EnvVar(name="MLSERVER_MODEL_IMPLEMENTATION", value="mlserver_mlflow.MLflowRuntime"),
            m.EnvVar(name="MLSERVER_MODEL_NAME", value="candidate"),
            m.EnvVar(name="MLSERVER_MODEL_URI", value=spec.MODEL_DIR),
            m.EnvVar(name="MLSERVER_HTTP_PORT", value=str(SERVING_PORT)),
        ],
        mirror_volume_mounts=True,
        ports=[m.ContainerPort(name="http", container_port=SERVING_PORT)],
        readiness_probe=m.Probe(
            http_get=m.HTTPGetAction(path="/v2/health/ready", port=SERVING_PORT),
            period_seconds=5,
        ),
        resources=m.ResourceRequirements(**_resources(config, spec.Step("serving-runtime", "", ()))),
        security_context=m.SecurityContext(**CONTAINER_SECURITY),
    )


def _template(config: typing.Mapping, step: spec.Step, parameters: typing.Mapping[str, str]):
    """The Hera Container template of one step."""
    from hera.workflows import Artifact, Container, Parameter
    from hera.workflows import models as m

    references = _references(step)
    inputs: list[typing.Any] = [Parameter(name=input_name(word)) for word in references]
    for artifact in step.inputs:
        if artifact.source is None and artifact.key is None:
            raise ConfigError(f"{step.name}: input artifact {artifact.name} has neither source nor key")
        if artifact.source is not None:
            inputs.append(Artifact(name=artifact.name, path=artifact.path))
        else:
            key = "".join(_template_word(step, word) for word in artifact.key or ())
            location = _artifact_location(config["artifact_repository"], key)
            inputs.append(m.Artifact(name=artifact.name, path=artifact.path, **location))
    outputs: list[typing.Any] = [
        Parameter(name=name, value_from=m.ValueFrom(path=output_file(name))) for name in step.parameters
    ]
    for artifact in step.outputs:
        if artifact.key is None:
            outputs.append(Artifact(name=artifact.name, path=artifact.path))
        else:
            key = "".join(_template_word(step, word) for word in artifact.key)
            location = _artifact_location(config["artifact_repository"], key)
            # No archive: the folder's files under the key, as the steps' --store-uri reads them.
            outputs.append(
                m.Artifact(
                    name=artifact.name, path=artifact.path, archive=m.ArchiveStrategy(none=m.NoneStrategy()), **location
                )
            )
    memoize = None
    if step.memoize and config.get("memoize"):
        # The step image is an input too: new code or new dependencies must not reuse an old result.
        image = "-i" + hashlib.sha256(str(config["image"]).encode()).hexdigest()[:12]
        key = "".join(_template_word(step, word) for word in step.memoize) + image
        example = "".join(_example_word(word, parameters) for word in step.memoize) + image
        problem = memo_key_problem(example)
        if problem:
            raise ConfigError(f"{step.name}: memoization key is not a legal ConfigMap key once filled: {problem}")
        memoize = m.Memoize(
            key=key,
            max_age=str(config["memoize"]["max_age"]),
            cache=m.Cache(config_map=m.ConfigMapKeySelector(name=config["memoize"]["config_map"], key=key)),
        )
    retry = config["retry"]
    backoff = retry["backoff"]
    placement = (config.get("placement") or {}).get(step.pool) or {}
    command_words = [_template_word(step, word) for word in step.args]
    return Container(
        name=step.name,
        image=config["image"],
        command=[step.command],
        args=command_words,
        env=[m.EnvVar(**_model_fields(item)) for item in _env(config)],
        inputs=inputs or None,
        outputs=outputs or None,
        memoize=memoize,
        retry_strategy=m.RetryStrategy(
            limit=int(retry["limit"]),
            retry_policy="Always",
            expression=RETRY_EXPRESSION,
            backoff=m.Backoff(
                duration=str(backoff["duration"]),
                factor=int(backoff["factor"]),
                max_duration=str(backoff["max_duration"]),
            ),
        ),
        resources=m.ResourceRequirements(**_resources(config, step)),
        node_selector=dict(sorted((placement.get("node_selector") or {}).items())) or None,
        tolerations=[m.Toleration(**t) for t in placement.get("tolerations") or ()] or None,
        security_context=m.SecurityContext(**CONTAINER_SECURITY),
        pod_security_context=m.PodSecurityContext(**POD_SECURITY),
        volume_mounts=[m.VolumeMount(name=WORK_VOLUME, mount_path=spec.WORK_DIR)],
        sidecars=[_sidecar(config)] if step.serving_sidecar else None,
    )


def _model_fields(env: typing.Mapping) -> dict:
    """An env entry as keyword arguments of hera's EnvVar model."""
    from hera.workflows import models as m

    fields = {"name": env["name"]}
    if "value" in env:
        fields["value"] = env["value"]
    else:
        ref = env["valueFrom"]["secretKeyRef"]
        fields["value_from"] = m.EnvVarSource(secret_key_ref=m.SecretKeySelector(name=ref["name"], key=ref["key"]))
    return fields


def _when(step: spec.Step) -> str | None:
    if not step.when:
        return None
    clauses = []
    for word, expected in step.when:
        if not isinstance(word, (spec.Param, spec.StepOutput)):
            raise ConfigError(f"{step.name}: condition on {word!r}, which is not a reference")
        clauses.append(f"'{dag_value(word)}' == '{expected}'")
    return " && ".join(clauses)


def _task(step: spec.Step):
    from hera.workflows import Task
    from hera.workflows import models as m

    references = _references(step)
    parameters = [m.Parameter(name=input_name(word), value=dag_value(word)) for word in references]
    artifacts = [
        m.Artifact(
            name=artifact.name, from_="{{tasks." + str(artifact.source) + ".outputs.artifacts." + artifact.name + "}}"
        )
        for artifact in step.inputs
        if artifact.source is not None
    ]
    arguments = None
    if parameters or artifacts:
        arguments = m.Arguments(parameters=parameters or None, artifacts=artifacts or None)
    return Task(
        name=step.name,
        template=step.name,
        depends=" && ".join(step.after) or None,
        when=_when(step),
        arguments=arguments,
    )


def _check_steps() -> None:
    names = {step.name for step in spec.STEPS}
    for step in spec.STEPS:
        for name in step.after:
            if name not in names:
                raise ConfigError(f"{step.name}: runs after unknown step {name}")
        for word in _references(step):
            if isinstance(word, spec.Param) and word.name not in spec.PARAMETERS:
                raise ConfigError(f"{step.name}: unknown workflow parameter {word.name}")
            if isinstance(word, spec.StepOutput) and word.name not in spec.step(word.step).parameters:
                raise ConfigError(f"{step.name}: step {word.step} has no output parameter {word.name}")


def _parameters(config: typing.Mapping) -> dict[str, str]:
    given = config.get("parameters") or {}
    unknown = sorted(set(given) - set(spec.PARAMETERS))
    if unknown:
        raise ConfigError(f"parameters: unknown {unknown}; known: {sorted(spec.PARAMETERS)}")
    return {name: str(given.get(name, default)) for name, default in spec.PARAMETERS.items()}


def _copy(value: typing.Any) -> typing.Any:
    """A plain copy of the settings: dicts, lists and str/int/float/bool/None (subclasses, e.g. a caller's
    tagged or lazily templated containers, become their base types; no ``copy.deepcopy`` of them)."""
    if isinstance(value, typing.Mapping):
        return {str(key): _copy(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_copy(item) for item in value]
    if value is None or isinstance(value, bool):
        return value
    for kind in (int, float, str):
        if isinstance(value, kind):
            return kind(value)
    raise ConfigError(f"unsupported value {value!r} ({type(value).__name__}) in the settings")


def _plain(value: typing.Any) -> typing.Any:
    """Deep copy with keys in a fixed order (the YAML is the same for the same settings)."""
    return json.loads(json.dumps(value, sort_keys=True))


def build(config: typing.Mapping) -> list[dict]:
    """The WorkflowTemplate (and, with a schedule, a CronWorkflow running it) as plain dicts."""
    from hera.workflows import DAG, CronWorkflow, WorkflowTemplate
    from hera.workflows import models as m

    config = _copy(config)
    _check_steps()
    parameters = _parameters(config)
    labels = dict(config.get("labels") or {})
    pod_labels = dict(config.get("pod_labels") or {})
    with WorkflowTemplate(
        name=config["name"],
        namespace=config["namespace"],
        labels=labels or None,
        entrypoint="pipeline",
        service_account_name=config["service_account"],
        arguments=[m.Parameter(name=name, value=value) for name, value in parameters.items()],
        pod_metadata=m.Metadata(labels=pod_labels) if pod_labels else None,
        security_context=m.PodSecurityContext(**POD_SECURITY),
        volumes=[m.Volume(name=WORK_VOLUME, empty_dir=m.EmptyDirVolumeSource())],
    ) as template:
        for step in spec.STEPS:
            _template(config, step, parameters)
        with DAG(name="pipeline"):
            for step in spec.STEPS:
                _task(step)
    objects = [_plain(template.to_dict())]
    if config.get("schedule"):
        cron = CronWorkflow(
            name=config["name"],
            namespace=config["namespace"],
            labels=labels or None,
            schedules=[str(config["schedule"])],
            timezone=str(config.get("timezone") or "UTC"),
            concurrency_policy="Forbid",
            starting_deadline_seconds=300,
            successful_jobs_history_limit=3,
            failed_jobs_history_limit=3,
            service_account_name=config["service_account"],
            pod_metadata=m.Metadata(labels=pod_labels) if pod_labels else None,
            workflow_template_ref=m.WorkflowTemplateRef(name=config["name"]),
        )
        objects.append(_plain(cron.to_dict()))
    return objects

"""Unit tests of preflight_serving: the kserve role's served models, and the LLM fit check in preflight."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.mlops.platform.plugins.module_utils.preflight import preflight_problems
from ansible_collections.mlops.platform.plugins.module_utils.preflight_serving import alias_problem, serving_problems

GPU_TAINT = [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}]
POOLS = {
    "general": {"instance_types": ["t3.large"], "min_size": 1, "max_size": 3},
    "gpu": {"instance_types": ["g5.xlarge"], "gpu": True, "min_size": 0, "max_size": 2, "taints": GPU_TAINT},
    "gpu16": {"instance_types": ["g4dn.xlarge"], "gpu": True, "min_size": 0, "max_size": 2, "taints": GPU_TAINT},
}
LLM = {
    "name": "mistral-7b",
    "model": "mistral-7b-instruct-v0.2",
    "quantization": None,
    "dtype": "float16",
    "pool": "gpu",
    "max_model_len": 4096,
    "max_num_seqs": 4,
    "gpu_memory_utilization": 0.9,
    "tensor_parallel_size": 1,
    "weights": {"source": "object_store"},
    "min_replicas": 1,
    "max_replicas": 1,
    "resources": {"requests": {"cpu": "4", "memory": "24Gi"}, "limits": {"memory": "24Gi"}},
}
CONFIG = {
    "platform_cloud": "aws",
    "platform_node_pools": POOLS,
    "kserve_enabled": True,
    "kserve_inference_services": [
        {
            "name": "iris",
            "model_format": "mlflow",
            "registered_model": "iris-classifier",
            "canary": {"alias": "challenger", "weight": 10},
            "min_replicas": 1,
            "max_replicas": 3,
            "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "1Gi"}},
            "gpu": False,
        },
        {"name": "wine", "model_format": "sklearn", "storage_uri": "s3://bucket/models/wine", "min_replicas": 1},
    ],
    "kserve_llm_services": [
        LLM,
        {**LLM, "name": "tinyllama", "model": "tinyllama-1.1b-chat-v1.0", "max_model_len": 2048, "pool": "gpu16"},
        {**LLM, "name": "mistral-awq", "quantization": "awq", "pool": "gpu16"},
        {**LLM, "name": "codellama", "model": "codellama-7b-instruct", "quantization": "awq", "max_num_seqs": 2},
    ],
}
MISTRAL_ON_T4 = (
    "kserve_llm_services[0]: does not fit: mistral-7b-instruct-v0.2 float16 needs 18.59 GiB per GPU (weights 13.49 "
    "+ KV cache 2.00 for 4 x 4096 tokens + runtime overhead 3.10) of the 14.40 GiB vLLM may use on one T4 of "
    "g4dn.xlarge (16 GiB x gpu_memory_utilization 0.9); the scheduler may place it on any instance type of pool "
    "gpu16 (platform_node_pools.gpu16.instance_types), so every one must fit: use g4dn.12xlarge with "
    "tensor_parallel_size: 4 (4 x T4 16 GiB; needs 8.77 of 14.40 GiB per GPU), or g5.xlarge (1 x A10G 24 GiB; "
    "needs 18.59 of 21.60 GiB per GPU), or quantization: awq (TheBloke/Mistral-7B-Instruct-v0.2-AWQ; needs 8.97 of "
    "14.40 GiB on g4dn.xlarge), or lower max_model_len / max_num_seqs"
)


def config(edit=None) -> dict:
    data = copy.deepcopy(CONFIG)
    if edit is not None:
        edit(data)
    return data


def llm(index: int, **values):
    return lambda d: d["kserve_llm_services"][index].update(values)


def predictive(index: int, **values):
    return lambda d: d["kserve_inference_services"][index].update(values)


def test_the_spec_s_entries_pass():
    assert serving_problems(config()) == []


@pytest.mark.parametrize("enabled", [False, None, "no", "false"])
def test_nothing_is_checked_when_kserve_is_off(enabled):
    assert serving_problems(config(lambda d: d.update(kserve_enabled=enabled, kserve_llm_services="x"))) == []


def test_kserve_enabled_is_read_as_ansible_reads_it():
    assert serving_problems(config(lambda d: d.update(kserve_enabled="yes", kserve_llm_services="x"))) == [
        "kserve_llm_services: must be a list of mappings, got 'x'"
    ]


def test_the_design_s_mistral_on_a_t4_is_refused_with_the_numbers():
    assert serving_problems(config(llm(0, pool="gpu16"))) == [MISTRAL_ON_T4]


def test_every_instance_type_of_the_pool_must_fit():
    def edit(data):
        data["platform_node_pools"]["gpu"]["instance_types"] = ["g5.2xlarge", "g4dn.xlarge"]

    problems = serving_problems(config(edit))
    assert len(problems) == 1
    assert "on one T4 of g4dn.xlarge" in problems[0] and "pool gpu (" in problems[0]


def test_a_type_the_profile_does_not_know_cannot_be_checked():
    def edit(data):
        data["platform_node_pools"]["gpu"]["instance_types"] = ["g6f.xlarge"]

    problem = serving_problems(config(edit))[0]
    assert problem.startswith("kserve_llm_services[0]: the GPU memory of g6f.xlarge (platform_node_pools.gpu")
    assert "use a type of a known GPU family: g4dn (T4 16 GiB), g5g (T4G 16 GiB), p3 (V100 16 GiB)" in problem


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        # --- predictive
        (predictive(0, name="Iris"), "kserve_inference_services[0].name: 'Iris' must be a DNS label"),
        (predictive(0, name="i" * 41), "of at most 40 characters (the canary InferenceService is <name>-canary)"),
        (predictive(0, name=None), "kserve_inference_services[0].name: not set"),
        (
            predictive(0, model_format="huggingface"),
            "model_format: 'huggingface' is not allowed; allowed: mlflow, sklearn",
        ),
        (
            predictive(0, model_format=None),
            "kserve_inference_services[0].model_format: not set; allowed: mlflow, sklearn",
        ),
        (predictive(0, storage_uri="s3://b/m"), "set exactly one of registered_model (an MLflow registered model"),
        (predictive(1, storage_uri=None), "storage_uri (a fixed location such as s3://bucket/path); neither is set"),
        (predictive(1, storage_uri="bucket/m"), "storage_uri: 'bucket/m' is not a URI"),
        (predictive(1, canary={"weight": 10}), "kserve_inference_services[1].canary: a canary needs registered_model"),
        (predictive(1, alias="champion"), "kserve_inference_services[1].alias: only with registered_model"),
        (predictive(0, canary={"weight": 150}), "canary.weight: must be an integer from 1 to 99"),
        (predictive(0, canary={"weight": 0}), "canary.weight: must be an integer from 1 to 99"),
        (predictive(0, canary={"weight": True}), "canary.weight: must be an integer from 1 to 99"),
        (predictive(0, canary={"alias": "challenger"}), "canary.weight: not set"),
        (predictive(0, canary={"alias": "champion", "weight": 5}), "canary.alias: 'champion' is also the stable alias"),
        (predictive(0, alias="blue", canary={"alias": "blue", "weight": 5}), "'blue' is also the stable alias"),
        (predictive(0, canary={"alias": "latest", "weight": 5}), "canary.alias: 'latest' is reserved by MLflow"),
        (predictive(0, alias="v3"), "alias: 'v3' is reserved by MLflow for version numbers"),
        (predictive(0, alias="my alias"), "alias: 'my alias' is not an MLflow alias"),
        (predictive(0, canary={"weight": 5, "percent": 5}), "canary.percent: unknown setting; allowed: alias, weight"),
        (predictive(0, min_replica=1), "kserve_inference_services[0].min_replica: unknown setting (did you mean"),
        (predictive(0, gpu="maybe"), "kserve_inference_services[0].gpu: must be true or false"),
        (predictive(0, min_replicas=4), "kserve_inference_services[0]: min_replicas 4 is more than max_replicas 3"),
        (predictive(0, max_replicas=0), "kserve_inference_services[0].max_replicas: must be an integer of 1 or more"),
        (predictive(0, min_replicas=0), "[0].min_replicas: 0, but KServe's HPA keeps at least 1 replica and on aws"),
        # --- LLMs
        (llm(0, model="mistral-7b"), "kserve_llm_services[0].model: 'mistral-7b' is not a model the platform knows"),
        (llm(0, model=None), "kserve_llm_services[0].model: not set; allowed: codellama-7b-instruct, mistral"),
        (llm(0, quantization="gguf"), "quantization: 'gguf' is not a quantized variant of mistral-7b-instruct-v0.2"),
        (llm(0, dtype="float32"), "kserve_llm_services[0].dtype: 'float32' is not allowed; allowed: float16, bfloat16"),
        (llm(2, dtype="bfloat16"), "kserve_llm_services[2].dtype: bfloat16, but the 'awq' variant runs in float16"),
        (llm(0, pool="general"), "kserve_llm_services[0].pool: pool 'general' has no GPUs (gpu: true); GPU pools: gpu"),
        (llm(0, pool="gpus"), "kserve_llm_services[0].pool: 'gpus' is not a key of platform_node_pools (did you mean"),
        (
            llm(0, pool=None),
            "kserve_llm_services[0].pool: not set; a platform_node_pools key with gpu: true: gpu, gpu16",
        ),
        (llm(1, max_model_len=4096), "max_model_len: must be an integer from 1 to 2048 (the context length of tiny"),
        (llm(0, max_num_seqs=0), "kserve_llm_services[0].max_num_seqs: must be an integer of 1 or more"),
        (llm(0, tensor_parallel_size=0), "tensor_parallel_size: must be an integer of 1 or more (GPUs per replica)"),
        (llm(0, gpu_memory_utilization=1.5), "gpu_memory_utilization: must be a number between 0 and 1"),
        (llm(0, gpu_memory_utilization=0), "gpu_memory_utilization: must be a number between 0 and 1"),
        (llm(0, weights={"source": "s3"}), "weights.source: 's3' is not allowed; allowed: object_store, hub"),
        (llm(0, weights={"source": "hub"}), "weights.token_secret_ref: source hub needs the secret store key"),
        (llm(0, weights={"source": "hub", "token": "hf_x"}), "weights.token: unknown setting"),
        (llm(0, name="m" * 54), "of at most 53 characters (<name>-predictor and <name>-kserve are DNS labels)"),
        (llm(0, min_replicas=0), "kserve_llm_services[0].min_replicas: 0, but KServe's HPA keeps at least 1"),
        (llm(0, tensor_parallel_size=2), "vLLM would refuse to start mistral-7b-instruct-v0.2 on g5.xlarge"),
        (llm(1, dtype="bfloat16"), "bfloat16 needs compute capability 8.0; the T4 has 7.5 (set dtype: float16)"),
        (llm(0, dtype="bfloat16", pool="gpu16"), "bfloat16 needs compute capability 8.0"),
        (llm(3, max_num_seqs=4, pool="gpu16"), "does not fit: codellama-7b-instruct awq (float16) needs 14.72 GiB"),
        # --- both lists
        (llm(1, name="iris"), "kserve_llm_services[1].name: 'iris' is also the name of kserve_inference_services[0]"),
        (lambda d: d["kserve_llm_services"].append("x"), "kserve_llm_services[4]: must be a mapping, got 'x'"),
    ],
)
def test_each_mistake_is_named(edit, expected):
    problems = serving_problems(config(edit))
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("alias", "ok"), [("champion", True), ("my-alias_2", True), ("Latest", False), ("V12", False), ("", False)]
)
def test_mlflow_alias_names(alias, ok):
    assert (alias_problem(alias) is None) is ok


# ---------------------------------------------------------------------------- replicas from zero
AZURE_POOLS = {
    "general": {"instance_types": ["Standard_D4s_v3"], "min_size": 1, "max_size": 3},
    "gpu": {"instance_types": ["Standard_NC6s_v3"], "gpu": True, "min_size": 0, "max_size": 2, "taints": GPU_TAINT},
}


def azure(**values) -> dict:
    tiny = {**LLM, "name": "tinyllama", "model": "tinyllama-1.1b-chat-v1.0", "max_model_len": 2048, "min_replicas": 0}
    return {
        "platform_cloud": "azure",
        "platform_node_pools": AZURE_POOLS,
        "kserve_enabled": True,
        "kserve_llm_services": [tiny],
        "autoscaling_enabled": True,
        "autoscaling_scaler_targets": {
            "gpu-workload-scaler": {"kind": "InferenceService", "name": "tinyllama", "namespace": "kserve"}
        },
        **values,
    }


def test_keda_lifts_an_inference_service_from_zero():
    assert serving_problems(azure()) == []


@pytest.mark.parametrize(
    "values",
    [
        {"autoscaling_enabled": False},
        {"autoscaling_scaler_targets": {}},
        {"kserve_namespace": "serving"},
        {"autoscaling_scaler_targets": {"s": {"kind": "Deployment", "name": "tinyllama", "namespace": "kserve"}}},
    ],
)
def test_without_a_keda_scaler_zero_is_refused(values):
    (problem,) = serving_problems(azure(**values))
    assert problem.startswith("kserve_llm_services[0].min_replicas: 0, but KServe's HPA keeps at least 1 replica")
    assert "autoscaling_scaler_targets" in problem


def test_awq_does_not_run_on_the_v100():
    tiny = {**LLM, "name": "mistral", "quantization": "awq", "min_replicas": 1}
    (problem,) = serving_problems(azure(kserve_llm_services=[tiny]))
    assert "vLLM's AWQ kernels need compute capability 7.5; the V100 has 7.0" in problem
    tiny["quantization"] = "gptq"
    assert serving_problems(azure(kserve_llm_services=[tiny])) == []


def test_preflight_reports_them_with_everything_else():
    problems = preflight_problems(config(llm(0, pool="gpu16")), isdir=lambda _: False)
    assert MISTRAL_ON_T4 in problems


@pytest.mark.parametrize(
    ("uri", "shown"),
    [("", "''"), (None, "null"), ("mlflow.example.com", "'mlflow.example.com'"), ("https://", "'https://'")],
)
def test_a_registered_model_needs_the_registry_uri_before_any_change(uri, shown):
    assert serving_problems(config(lambda d: d.update(kserve_model_registry_uri=uri))) == [
        f"kserve_model_registry_uri: {shown} is not the http(s) URL of the MLflow tracking server, which "
        "kserve_inference_services[0] (iris) needs to resolve its aliases at render time; set MLFLOW_TRACKING_URI "
        "(MLflow's ingress host, or a port-forward such as http://127.0.0.1:5000 from make port-forward-mlflow) or "
        "the variable"
    ]


def test_the_registry_uri_matters_only_for_registered_models():
    assert serving_problems(config(lambda d: d.update(kserve_model_registry_uri="https://mlflow.example.com"))) == []
    only_fixed = config(
        lambda d: d.update(kserve_model_registry_uri="", kserve_inference_services=[d["kserve_inference_services"][1]])
    )
    assert serving_problems(only_fixed) == []


def test_a_name_taken_by_a_canary_inference_service():
    taken = config(lambda d: d["kserve_llm_services"][1].update(name="iris-canary"))
    assert serving_problems(taken) == [
        "kserve_llm_services[1].name: 'iris-canary' is also the name of kserve_inference_services[0].canary (its "
        "canary InferenceService) (InferenceService names are unique in the namespace, across "
        "kserve_inference_services and kserve_llm_services)"
    ]


def test_gpu_predictors_need_the_device_plugin():
    off = config(lambda d: d.update(toggles={"gpu_enabled": "false", "kserve_enabled": True}))
    problems = serving_problems(off)
    assert problems == [
        "gpu_enabled: false, but kserve_llm_services[0] (mistral-7b), kserve_llm_services[1] (tinyllama), "
        "kserve_llm_services[2] (mistral-awq), kserve_llm_services[3] (codellama) request(s) GPUs: without the "
        "NVIDIA device plugin no node advertises nvidia.com/gpu and those predictors stay Pending; set gpu_enabled: "
        "true or remove them"
    ]
    assert serving_problems(config(lambda d: d.update(toggles={"gpu_enabled": True}))) == []

"""Unit tests of the LLM fit check (llm_fit), its model table (llm_models) and the profiles' GPU memory."""

from __future__ import annotations

import pytest

from ansible_collections.mlops.platform.plugins.module_utils import llm_fit, llm_models
from ansible_collections.mlops.platform.plugins.module_utils._cloud import get_profile

AWS = get_profile("aws")
AZURE = get_profile("azure")
LOCAL = get_profile("local")
GIB = 1024**3
# The design's Mistral-7B: fp16, 4096 tokens, 4 sequences at once, 90 % of the GPU.
DESIGN = {"dtype": "float16", "max_model_len": 4096, "max_num_seqs": 4, "gpu_memory_utilization": 0.9}


# ---------------------------------------------------------------------------- the model table
@pytest.mark.parametrize("key", sorted(llm_models.MODELS))
def test_the_parameter_count_follows_from_the_config_shape(key):
    model = llm_models.MODELS[key]
    assert llm_models.parameter_count(model) == model["parameters"]
    assert model["head_dim"] == model["hidden_size"] // model["num_attention_heads"]
    assert model["source"].startswith(f"https://huggingface.co/{model['repo']}/") and model["source"].endswith(
        "config.json"
    )
    for method, variant in model["quantized"].items():
        assert variant["method"] == method and variant["vllm_quantization"] == method
        assert variant["source"].startswith("https://huggingface.co/") and variant["dtype"] == "float16"


def test_the_published_sizes():
    mistral = llm_models.MODELS["mistral-7b-instruct-v0.2"]
    # Mistral-7B-Instruct-v0.2 has 7.24 B parameters; its AWQ files are 4.15 GB (TheBloke's model card).
    assert mistral["parameters"] == 7_241_732_096
    awq = llm_fit.weights_bytes(mistral, "float16", mistral["quantized"]["awq"])
    assert 4.14e9 < awq < 4.16e9
    assert llm_fit.weights_bytes(mistral, "float16") == 2 * 7_241_732_096


@pytest.mark.parametrize(
    ("key", "tp", "per_token"),
    [
        # layers x KV heads x head dim x 2 (K, V) x 2 bytes
        ("mistral-7b-instruct-v0.2", 1, 32 * 8 * 128 * 2 * 2),
        ("mistral-7b-instruct-v0.2", 4, 32 * 2 * 128 * 2 * 2),
        ("codellama-7b-instruct", 1, 32 * 32 * 128 * 2 * 2),
        ("tinyllama-1.1b-chat-v1.0", 1, 22 * 4 * 64 * 2 * 2),
        # fewer KV heads than ranks: each rank keeps one (replicated)
        ("tinyllama-1.1b-chat-v1.0", 8, 22 * 1 * 64 * 2 * 2),
    ],
)
def test_kv_cache_per_gpu(key, tp, per_token):
    model = llm_models.MODELS[key]
    assert llm_fit.kv_cache_bytes(model, "float16", 4096, 4, tp) == per_token * 4096 * 4


# ---------------------------------------------------------------------------- GPU memory of the profiles
@pytest.mark.parametrize(
    ("profile", "instance_type", "gpus", "model", "memory"),
    [
        (AWS, "g4dn.xlarge", 1, "T4", 16),
        (AWS, "g4dn.12xlarge", 4, "T4", 16),
        (AWS, "g5.xlarge", 1, "A10G", 24),
        (AWS, "g6.48xlarge", 8, "L4", 24),
        (AWS, "g6e.xlarge", 1, "L40S", 48),
        (AWS, "p3.2xlarge", 1, "V100", 16),
        (AWS, "p3dn.24xlarge", 8, "V100", 32),
        (AWS, "p4d.24xlarge", 8, "A100", 40),
        (AWS, "p4de.24xlarge", 8, "A100", 80),
        (AWS, "p5.48xlarge", 8, "H100", 80),
        (AWS, "p5en.48xlarge", 8, "H200", 141),
        (AZURE, "Standard_NC6s_v3", 1, "V100", 16),
        (AZURE, "standard_nc6s_v3", 1, "V100", 16),
        (AZURE, "Standard_NC4as_T4_v3", 1, "T4", 16),
        (AZURE, "Standard_NC24ads_A100_v4", 1, "A100", 80),
        (AZURE, "Standard_ND96asr_v4", 8, "A100", 40),
    ],
)
def test_gpu_memory(profile, instance_type, gpus, model, memory):
    gpu = profile.gpu_memory(instance_type)
    assert (gpu["gpus"], gpu["gpu_model"], gpu["memory_gib"]) == (gpus, model, memory)


def test_the_gpu_counts_are_the_capacity_table_s():
    from ansible_collections.mlops.platform.plugins.module_utils._cloud import aws

    for name in AWS.gpu_instance_types():
        assert AWS.gpu_memory(name)["gpus"] == aws.instance_capacity(name)[1]


@pytest.mark.parametrize(
    ("profile", "instance_type"), [(AWS, "t3.large"), (AWS, None), (AZURE, "Standard_D4s_v3"), (LOCAL, "kind")]
)
def test_no_gpu_memory(profile, instance_type):
    assert profile.gpu_memory(instance_type) is None


def test_gpu_types_smallest_first():
    names = AWS.gpu_instance_types()
    assert names.index("g5.xlarge") < names.index("g5.2xlarge") < names.index("g5.12xlarge")
    assert names.index("g4dn.xlarge") < names.index("g5.xlarge") < names.index("g6e.xlarge")
    assert LOCAL.gpu_instance_types() == []


# ---------------------------------------------------------------------------- the verdict
def test_the_design_s_mistral_does_not_fit_a_t4():
    verdict = llm_fit.check("mistral-7b-instruct-v0.2", DESIGN, "g4dn.xlarge", AWS.gpu_memory("g4dn.xlarge"))
    assert not verdict["fits"] and verdict["reasons"] == []
    assert verdict["weights_gib"] == 13.49
    assert verdict["kv_cache_gib"] == 2.0
    assert verdict["budget_gib"] == 14.4
    assert verdict["needed_gib"] == pytest.approx(13.49 + 2.0 + llm_fit.overhead_gib(1))
    assert llm_fit.describe(verdict) == (
        "mistral-7b-instruct-v0.2 float16 needs 18.59 GiB per GPU (weights 13.49 + KV cache 2.00 for 4 x 4096 "
        "tokens + runtime overhead 3.10) of the 14.40 GiB vLLM may use on one T4 of g4dn.xlarge (16 GiB x "
        "gpu_memory_utilization 0.9)"
    )


def test_suggestions_for_the_design_s_mistral():
    found = llm_fit.suggestions("mistral-7b-instruct-v0.2", DESIGN, "g4dn.xlarge", AWS)
    assert [(v["kind"], v["instance_type"], v["tensor_parallel_size"], v["quantization"]) for v in found] == [
        ("family", "g4dn.12xlarge", 4, None),
        ("type", "g5.xlarge", 1, None),
        ("quantization", "g4dn.xlarge", 1, "awq"),
    ]
    assert all(v["fits"] for v in found)
    text = llm_fit.suggestion_text(found)
    assert "g4dn.12xlarge with tensor_parallel_size: 4" in text
    assert "g5.xlarge (1 x A10G 24 GiB" in text
    assert "quantization: awq (TheBloke/Mistral-7B-Instruct-v0.2-AWQ" in text


def test_a_single_gpu_type_of_the_family_needs_no_other_type():
    # Two GPUs asked of a one-GPU g5.xlarge: g5.2xlarge (one A10G, used with tensor_parallel_size 1) fits.
    found = llm_fit.suggestions("mistral-7b-instruct-v0.2", {**DESIGN, "tensor_parallel_size": 2}, "g5.xlarge", AWS)
    assert [(v["kind"], v["instance_type"], v["tensor_parallel_size"]) for v in found] == [("family", "g5.2xlarge", 1)]


def test_another_family_when_the_family_has_no_fit():
    # CodeLlama fp16 (32 KV heads: 8 GiB of KV cache) does not fit one A10G; four (tensor_parallel_size 4) or one
    # L40S hold it.
    found = llm_fit.suggestions("codellama-7b-instruct", DESIGN, "g5.xlarge", AWS)
    assert [(v["kind"], v["instance_type"]) for v in found][:2] == [("family", "g5.12xlarge"), ("type", "g6e.xlarge")]


@pytest.mark.parametrize(
    ("key", "settings", "instance_type", "reason"),
    [
        ("mistral-7b-instruct-v0.2", {"dtype": "bfloat16"}, "g4dn.xlarge", "bfloat16 needs compute capability 8.0"),
        ("mistral-7b-instruct-v0.2", {"quantization": "awq"}, "p3.2xlarge", "AWQ kernels need compute capability 7.5"),
        ("mistral-7b-instruct-v0.2", {"tensor_parallel_size": 2}, "g5.xlarge", "needs 2 GPUs on one node; it has 1"),
        ("mistral-7b-instruct-v0.2", {"tensor_parallel_size": 3}, "g5.12xlarge", "does not divide the 32 attention"),
        ("tinyllama-1.1b-chat-v1.0", {"max_model_len": 4096}, "g5.xlarge", "exceeds the 2048 tokens"),
    ],
)
def test_what_vllm_refuses_whatever_the_memory(key, settings, instance_type, reason):
    verdict = llm_fit.check(key, settings, instance_type, AWS.gpu_memory(instance_type))
    assert not verdict["fits"]
    assert any(reason in text for text in verdict["reasons"]), verdict["reasons"]


def test_gptq_runs_on_a_v100():
    settings = {**DESIGN, "quantization": "gptq"}
    verdict = llm_fit.check(
        "mistral-7b-instruct-v0.2", settings, "Standard_NC6s_v3", AZURE.gpu_memory("Standard_NC6s_v3")
    )
    assert verdict["fits"], verdict


def test_the_fit_table():
    rows = llm_fit.fit_table(AWS, ["g4dn.xlarge", "g5.xlarge", "t3.large"], DESIGN)
    assert {row["instance_type"] for row in rows} == {"g4dn.xlarge", "g5.xlarge"}
    assert len(rows) == 3 * 3 * 2  # models x (fp16, awq, gptq) x known GPU types
    table = llm_fit.format_fit_table(rows)
    assert (
        "| mistral-7b-instruct-v0.2 float16 (4096 tokens) | needs 18.6 of 14.4 GiB | fits 18.6 of 21.6 GiB |" in table
    )
    # TinyLlama's context is 2048 tokens: the table caps max_model_len there.
    assert "tinyllama-1.1b-chat-v1.0 float16 (2048 tokens)" in table

# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Does an LLM fit the GPU it is scheduled on? The fit check of preflight (preflight_serving), before deploy.

Pure functions over plain data: a model of llm_models.MODELS, the vLLM settings of a ``kserve_llm_services``
entry and a GPU as the cloud profile describes it (``CloudProfile.gpu_memory``). Numbers in GiB, per GPU.

vLLM (v0.8) sizes its memory at start-up: it may use ``total GPU memory x gpu_memory_utilization``; from that
it takes the weights, the memory outside PyTorch (CUDA context, NCCL, cuBLAS workspaces) and the activation
peak of a profiling forward pass, and what is left becomes the KV cache. It refuses to start when the KV
cache cannot hold one ``max_model_len`` sequence; with less than ``max_num_seqs`` of them it serves fewer at
once. The check asks for all of them (the platform's setting says how many run at once):

    needed = weights / tp + KV cache + non-torch memory + activation peak      <= memory_gib x utilization
    weights  = parameters x bytes per parameter (dtype), or a quantized variant's size (llm_models)
    KV cache = layers x KV heads per GPU x head dim x 2 (K and V) x dtype bytes x max_model_len x max_num_seqs

KV heads per GPU = max(1, KV heads // tp): vLLM splits the KV heads across tensor-parallel ranks and
replicates them when there are fewer heads than ranks.

The runtime overhead is a measured constant, not a formula: vLLM's own memory profile of an 8B Llama
(``vllm serve meta-llama/Meta-Llama-3-8B``, Ref https://github.com/vllm-project/vllm/pull/10511) logged
non_torch_memory 1.79 GiB and PyTorch activation peak 1.26 GiB with one GPU, and non_torch_memory 3.58 GiB
per GPU with ``-tp 2`` (NCCL's buffers). The check uses 1.8 GiB (3.6 GiB when tensor_parallel_size > 1)
plus 1.3 GiB: the same order for the 7B models; for TinyLlama it errs on the safe side. CUDA graphs are
captured after the KV cache is sized, outside the budget: the remaining ``1 - gpu_memory_utilization`` holds
them. The GPU memory is the cloud's documented figure; the device reports slightly less (vLLM logged
79.22 GiB for an 80 GB H100 in the same pull request), another reason to keep gpu_memory_utilization <= 0.9.

Besides memory, vLLM refuses at start-up: bfloat16 below compute capability 8.0 (T4, V100: "Bfloat16 is only
supported on GPUs with compute capability of at least 8.0"), AWQ below 7.5 (V100), a tensor_parallel_size
that does not divide the attention heads, or more GPUs than the node has.
"""

from __future__ import annotations

from ansible_collections.mlops.platform.plugins.module_utils import llm_models

GIB = 1024**3
NON_TORCH_GIB = 1.8
NON_TORCH_TP_GIB = 3.6
ACTIVATION_PEAK_GIB = 1.3
BFLOAT16_MIN_COMPUTE_CAPABILITY = 8.0
# The settings of a kserve_llm_services entry the fit depends on, and the defaults of the kserve role.
DEFAULTS = {
    "quantization": None,
    "dtype": "float16",
    "max_model_len": 4096,
    "max_num_seqs": 4,
    "gpu_memory_utilization": 0.9,
    "tensor_parallel_size": 1,
}


def _gib(value: float) -> float:
    return round(value / GIB, 2)


def _settings(settings: dict) -> dict:
    return {**DEFAULTS, **{k: v for k, v in (settings or {}).items() if k in DEFAULTS and v is not None}}


def precision(model: dict, settings: dict) -> tuple:
    """(dtype, quantized variant or None) the model runs with: a quantized variant fixes its own dtype."""
    variant = model["quantized"].get(settings["quantization"]) if settings["quantization"] else None
    return (variant["dtype"] if variant else settings["dtype"]), variant


def weights_bytes(model: dict, dtype: str, variant=None) -> int:
    """Bytes of the weights: parameters x dtype bytes, or the quantized variant's linear layers + float16 rest."""
    if variant is None:
        return model["parameters"] * llm_models.DTYPE_BYTES[dtype]
    plain = llm_models.unquantized_parameters(model)
    bits = variant["bits"]
    per_weight = bits / 8 + (2 + bits / 8) / variant["group_size"]  # + a float16 scale and a zero per group
    return round((model["parameters"] - plain) * per_weight + plain * llm_models.DTYPE_BYTES[variant["dtype"]])


def kv_heads_per_gpu(model: dict, tensor_parallel_size: int) -> int:
    return max(1, model["num_key_value_heads"] // tensor_parallel_size)


def kv_cache_bytes(
    model: dict, dtype: str, max_model_len: int, max_num_seqs: int, tensor_parallel_size: int = 1
) -> int:
    """Bytes of KV cache per GPU for ``max_num_seqs`` sequences of ``max_model_len`` tokens."""
    per_token = (
        model["num_hidden_layers"]
        * kv_heads_per_gpu(model, tensor_parallel_size)
        * model["head_dim"]
        * 2
        * llm_models.DTYPE_BYTES[dtype]
    )
    return per_token * max_model_len * max_num_seqs


def overhead_gib(tensor_parallel_size: int) -> float:
    """The runtime memory outside weights and KV cache, per GPU (module docstring)."""
    return (NON_TORCH_TP_GIB if tensor_parallel_size > 1 else NON_TORCH_GIB) + ACTIVATION_PEAK_GIB


def estimate(model_key: str, settings: dict) -> dict:
    """The memory ``model_key`` needs per GPU with ``settings`` (a kserve_llm_services entry), in GiB."""
    model = llm_models.MODELS[model_key]
    settings = _settings(settings)
    dtype, variant = precision(model, settings)
    tp = settings["tensor_parallel_size"]
    weights = weights_bytes(model, dtype, variant) / tp
    kv = kv_cache_bytes(model, dtype, settings["max_model_len"], settings["max_num_seqs"], tp)
    overhead = overhead_gib(tp)
    return {
        "model": model_key,
        "dtype": dtype,
        "quantization": variant["method"] if variant else None,
        "tensor_parallel_size": tp,
        "max_model_len": settings["max_model_len"],
        "max_num_seqs": settings["max_num_seqs"],
        "weights_gib": _gib(weights),
        "kv_cache_gib": _gib(kv),
        "overhead_gib": round(overhead, 2),
        "needed_gib": round(_gib(weights) + _gib(kv) + overhead, 2),
    }


def refusals(model_key: str, settings: dict, gpu: dict) -> list:
    """Why vLLM would refuse to start ``model_key`` on ``gpu`` whatever the memory (empty when it starts)."""
    model = llm_models.MODELS[model_key]
    settings = _settings(settings)
    dtype, variant = precision(model, settings)
    tp = settings["tensor_parallel_size"]
    reasons = []
    context = model["max_position_embeddings"]
    if settings["max_model_len"] > context:
        reasons.append(f"max_model_len {settings['max_model_len']} exceeds the {context} tokens of {model_key}")
    if tp > gpu["gpus"]:
        reasons.append(f"tensor_parallel_size {tp} needs {tp} GPUs on one node; it has {gpu['gpus']}")
    if model["num_attention_heads"] % tp:
        reasons.append(
            f"tensor_parallel_size {tp} does not divide the {model['num_attention_heads']} attention heads "
            f"of {model_key}"
        )
    capability = gpu["compute_capability"]
    if dtype == "bfloat16" and capability < BFLOAT16_MIN_COMPUTE_CAPABILITY:
        reasons.append(
            f"bfloat16 needs compute capability {BFLOAT16_MIN_COMPUTE_CAPABILITY}; the {gpu['gpu_model']} has "
            f"{capability} (set dtype: float16)"
        )
    if variant is not None and capability < variant["min_compute_capability"]:
        reasons.append(
            f"vLLM's {variant['method'].upper()} kernels need compute capability {variant['min_compute_capability']};"
            f" the {gpu['gpu_model']} has {capability}"
        )
    return reasons


def check(model_key: str, settings: dict, instance_type: str, gpu: dict) -> dict:
    """The verdict for ``model_key`` with ``settings`` on one GPU of ``instance_type`` (``gpu``: gpu_memory)."""
    settings = _settings(settings)
    need = estimate(model_key, settings)
    budget = round(gpu["memory_gib"] * settings["gpu_memory_utilization"], 2)
    reasons = refusals(model_key, settings, gpu)
    return {
        **need,
        "instance_type": instance_type,
        "gpu_model": gpu["gpu_model"],
        "gpus": gpu["gpus"],
        "memory_gib": gpu["memory_gib"],
        "gpu_memory_utilization": settings["gpu_memory_utilization"],
        "budget_gib": budget,
        "reasons": reasons,
        "fits": not reasons and need["needed_gib"] <= budget,
    }


def _on_type(model_key: str, settings: dict, instance_type: str, gpu: dict) -> dict:
    """``check`` with tensor_parallel_size = the type's GPU count (how a multi-GPU type is used)."""
    return check(model_key, {**settings, "tensor_parallel_size": gpu["gpus"]}, instance_type, gpu)


def suggestions(model_key: str, settings: dict, instance_type: str, profile) -> list:
    """What would fit instead of ``instance_type``, as verdicts with a ``kind``, best first (possibly empty).

    ``family``: the smallest type of the same family that fits (a multi-GPU type with tensor_parallel_size
    equal to its GPU count); ``type``: the smallest single-GPU type of any family the profile knows that fits
    (when the family offers none, or only a multi-GPU one); ``quantization``: the first quantized variant of
    the model that fits on ``instance_type`` itself with the same settings.
    """
    settings = _settings(settings)
    gpu = profile.gpu_memory(instance_type)
    found = []
    known = [(name, profile.gpu_memory(name)) for name in profile.gpu_instance_types()]
    if gpu is not None:
        same = [(n, g) for n, g in known if g["family"] == gpu["family"] and n != instance_type]
        family = next((v for v in (_on_type(model_key, settings, n, g) for n, g in same) if v["fits"]), None)
        if family is not None:
            found.append({**family, "kind": "family"})
    if not found or found[0]["gpus"] > 1:
        single = [(n, g) for n, g in known if g["gpus"] == 1 and n != instance_type]
        other = next((v for v in (_on_type(model_key, settings, n, g) for n, g in single) if v["fits"]), None)
        if other is not None:
            found.append({**other, "kind": "type"})
    if gpu is not None and not settings["quantization"]:
        for method in sorted(llm_models.MODELS[model_key]["quantized"]):
            verdict = check(model_key, {**settings, "quantization": method}, instance_type, gpu)
            if verdict["fits"]:
                found.append({**verdict, "kind": "quantization"})
                break
    return found


def describe(verdict: dict) -> str:
    """One line: what the model needs per GPU against what vLLM may use there."""
    precision_text = f"{verdict['quantization']} (float16)" if verdict["quantization"] else verdict["dtype"]
    tp = verdict["tensor_parallel_size"]
    split = f", tensor_parallel_size {tp}" if tp > 1 else ""
    return (
        f"{verdict['model']} {precision_text}{split} needs {verdict['needed_gib']:.2f} GiB per GPU (weights "
        f"{verdict['weights_gib']:.2f} + KV cache {verdict['kv_cache_gib']:.2f} for {verdict['max_num_seqs']} x "
        f"{verdict['max_model_len']} tokens + runtime overhead "
        f"{verdict['overhead_gib']:.2f}) of the {verdict['budget_gib']:.2f} GiB vLLM may use on one "
        f"{verdict['gpu_model']} of {verdict['instance_type']} ({verdict['memory_gib']:g} GiB x "
        f"gpu_memory_utilization {verdict['gpu_memory_utilization']:g})"
    )


def suggestion_text(found: list) -> str:
    """The suggestions as one sentence ('' when there are none)."""
    parts = []
    for verdict in found:
        numbers = f"needs {verdict['needed_gib']:.2f} of {verdict['budget_gib']:.2f} GiB"
        if verdict["kind"] == "quantization":
            model = llm_models.MODELS[verdict["model"]]
            repo = model["quantized"][verdict["quantization"]]["repo"]
            parts.append(f"quantization: {verdict['quantization']} ({repo}; {numbers} on {verdict['instance_type']})")
            continue
        gpus = verdict["gpus"]
        with_tp = f" with tensor_parallel_size: {gpus}" if gpus > 1 else ""
        parts.append(
            f"{verdict['instance_type']}{with_tp} ({gpus} x {verdict['gpu_model']} {verdict['memory_gib']:g} GiB; "
            f"{numbers} per GPU)"
        )
    return "use " + ", or ".join(parts) if parts else ""


def fit_table(profile, instance_types, settings: dict, models=None) -> list:
    """Rows model x precision x instance type -> verdict, for the closing note of the fit check.

    Every model of ``models`` (default: all) unquantized and with each quantized variant, on one GPU of each
    of ``instance_types`` (types the profile does not know are left out). ``max_model_len`` is capped at each
    model's context length.
    """
    settings = _settings(settings)
    rows = []
    for key in models or llm_models.model_keys():
        model = llm_models.MODELS[key]
        length = min(settings["max_model_len"], model["max_position_embeddings"])
        for method in [None, *sorted(model["quantized"])]:
            for name in instance_types:
                gpu = profile.gpu_memory(name)
                if gpu is not None:
                    rows.append(check(key, {**settings, "quantization": method, "max_model_len": length}, name, gpu))
    return rows


def format_fit_table(rows: list) -> str:
    """The rows of ``fit_table`` as a Markdown table (fits / needs X GiB of Y)."""
    types = list(dict.fromkeys(row["instance_type"] for row in rows))
    labels = {
        row["instance_type"]: f"{row['instance_type']} ({row['gpu_model']} {row['memory_gib']:g})" for row in rows
    }
    lines = ["| model | " + " | ".join(labels[t] for t in types) + " |", "|---" * (len(types) + 1) + "|"]
    by_model: dict = {}
    for row in rows:
        label = f"{row['model']} {row['quantization'] or row['dtype']} ({row['max_model_len']} tokens)"
        by_model.setdefault(label, {})[row["instance_type"]] = row
    for label, cells in by_model.items():
        texts = []
        for name in types:
            row = cells.get(name)
            if row is None:
                texts.append("")
            elif row["reasons"]:
                texts.append("no: " + "; ".join(row["reasons"]))
            else:
                verdict = "fits" if row["fits"] else "needs"
                texts.append(f"{verdict} {row['needed_gib']:.1f} of {row['budget_gib']:.1f} GiB")
        lines.append(f"| {label} | " + " | ".join(texts) + " |")
    return "\n".join(lines)

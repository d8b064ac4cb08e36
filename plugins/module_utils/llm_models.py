# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The LLMs the platform serves with vLLM: their shapes, as the fit check (llm_fit) needs them.

One entry per model key (``kserve_llm_services[].model``). The shape figures are the model's
``config.json`` on the Hugging Face Hub (``source``); ``parameters`` is the exact count those figures give
for a Llama/Mistral decoder (``parameter_count``; the unit tests recompute it), which is the count the Hub
shows for the safetensors weights (TinyLlama 1,100,048,384; Mistral-7B 7,241,732,096; CodeLlama-7B
6,738,546,688). ``head_dim`` is hidden_size / num_attention_heads: none of the three configs sets its own.

``quantized``: published 4-bit variants vLLM loads with ``--quantization <vllm_quantization>``. AWQ and GPTQ
(TheBloke's repositories: 4 bits, group size 128) quantize the decoder's linear layers only; the token
embeddings, the LM head and the norms stay float16. Per quantized weight they store 4 bits plus, per group
of 128, one float16 scale and one packed 4-bit zero point: 0.5 + 2.5/128 bytes (GPTQ's per-row ``g_idx``,
4 bytes per input row, is below 0.1 % and not counted). That gives 4.15 GB for Mistral-7B-AWQ, the size its
model card lists. Both run in float16 only (vLLM's AWQ/GPTQ kernels); AWQ needs compute capability 7.5 or
newer (no Volta/V100), GPTQ runs from 7.0 (Ref https://docs.vllm.ai/en/v0.8.4/features/quantization/supported_hardware.html).
"""

from __future__ import annotations

from types import MappingProxyType

HUB = "https://huggingface.co"
DTYPES = ("float16", "bfloat16")
DTYPE_BYTES = MappingProxyType({"float16": 2, "bfloat16": 2, "float32": 4})
# The quantization methods of the variants: vLLM's --quantization value, bits, and the lowest compute
# capability vLLM's kernels run on (supported_hardware table above: AWQ from Turing 7.5, GPTQ from Volta 7.0).
QUANTIZATION_METHODS = MappingProxyType(
    {
        "awq": {"vllm_quantization": "awq", "bits": 4, "min_compute_capability": 7.5},
        "gptq": {"vllm_quantization": "gptq", "bits": 4, "min_compute_capability": 7.0},
    }
)


def _variant(method: str, repo: str) -> dict:
    return MappingProxyType(
        {
            "method": method,
            "repo": repo,
            **QUANTIZATION_METHODS[method],
            "group_size": 128,
            "dtype": "float16",
            "source": f"{HUB}/{repo}/blob/main/config.json",
        }
    )


MODELS = MappingProxyType(
    {
        # Ref https://huggingface.co/TinyLlama/TinyLlama-1.1B-Chat-v1.0/blob/main/config.json
        # (the model card: "Layers: 22, Heads: 32, Query Groups: 4, Embedding Size: 2048, Intermediate Size 5632").
        "tinyllama-1.1b-chat-v1.0": MappingProxyType(
            {
                "repo": "TinyLlama/TinyLlama-1.1B-Chat-v1.0",
                "source": f"{HUB}/TinyLlama/TinyLlama-1.1B-Chat-v1.0/blob/main/config.json",
                "parameters": 1_100_048_384,
                "hidden_size": 2048,
                "intermediate_size": 5632,
                "num_hidden_layers": 22,
                "num_attention_heads": 32,
                "num_key_value_heads": 4,
                "head_dim": 64,
                "vocab_size": 32000,
                "tie_word_embeddings": False,
                "max_position_embeddings": 2048,
                "dtype": "bfloat16",
                "quantized": MappingProxyType(
                    {
                        "awq": _variant("awq", "TheBloke/TinyLlama-1.1B-Chat-v1.0-AWQ"),
                        "gptq": _variant("gptq", "TheBloke/TinyLlama-1.1B-Chat-v1.0-GPTQ"),
                    }
                ),
            }
        ),
        # Ref https://huggingface.co/mistralai/Mistral-7B-Instruct-v0.2/blob/main/config.json
        # (v0.2: 32k context, rope_theta 1e6, no sliding window; grouped-query attention with 8 KV heads).
        "mistral-7b-instruct-v0.2": MappingProxyType(
            {
                "repo": "mistralai/Mistral-7B-Instruct-v0.2",
                "source": f"{HUB}/mistralai/Mistral-7B-Instruct-v0.2/blob/main/config.json",
                "parameters": 7_241_732_096,
                "hidden_size": 4096,
                "intermediate_size": 14336,
                "num_hidden_layers": 32,
                "num_attention_heads": 32,
                "num_key_value_heads": 8,
                "head_dim": 128,
                "vocab_size": 32000,
                "tie_word_embeddings": False,
                "max_position_embeddings": 32768,
                "dtype": "bfloat16",
                "quantized": MappingProxyType(
                    {
                        "awq": _variant("awq", "TheBloke/Mistral-7B-Instruct-v0.2-AWQ"),
                        "gptq": _variant("gptq", "TheBloke/Mistral-7B-Instruct-v0.2-GPTQ"),
                    }
                ),
            }
        ),
        # Ref https://huggingface.co/codellama/CodeLlama-7b-Instruct-hf/blob/main/config.json
        # (Llama 2 7B shape without grouped-query attention: 32 KV heads; 16k context; 16 extra infilling tokens).
        "codellama-7b-instruct": MappingProxyType(
            {
                "repo": "codellama/CodeLlama-7b-Instruct-hf",
                "source": f"{HUB}/codellama/CodeLlama-7b-Instruct-hf/blob/main/config.json",
                "parameters": 6_738_546_688,
                "hidden_size": 4096,
                "intermediate_size": 11008,
                "num_hidden_layers": 32,
                "num_attention_heads": 32,
                "num_key_value_heads": 32,
                "head_dim": 128,
                "vocab_size": 32016,
                "tie_word_embeddings": False,
                "max_position_embeddings": 16384,
                "dtype": "bfloat16",
                "quantized": MappingProxyType(
                    {
                        "awq": _variant("awq", "TheBloke/CodeLlama-7B-Instruct-AWQ"),
                        "gptq": _variant("gptq", "TheBloke/CodeLlama-7B-Instruct-GPTQ"),
                    }
                ),
            }
        ),
    }
)


def parameter_count(model: dict) -> int:
    """The parameters of a Llama/Mistral decoder with ``model``'s shape (embeddings, layers, norms, LM head)."""
    hidden, layers = model["hidden_size"], model["num_hidden_layers"]
    kv_width = model["num_key_value_heads"] * model["head_dim"]
    attention = 2 * hidden * model["num_attention_heads"] * model["head_dim"] + 2 * hidden * kv_width
    mlp = 3 * hidden * model["intermediate_size"]
    # The linear layers of every decoder layer, plus what AWQ/GPTQ leave alone (embeddings, LM head, norms).
    return layers * (attention + mlp) + unquantized_parameters(model)


def unquantized_parameters(model: dict) -> int:
    """Parameters AWQ/GPTQ leave in float16: token embeddings, LM head (unless tied) and every RMSNorm."""
    hidden = model["hidden_size"]
    embeddings = model["vocab_size"] * hidden * (1 if model["tie_word_embeddings"] else 2)
    return embeddings + (2 * model["num_hidden_layers"] + 1) * hidden


def model_keys() -> list:
    """The model keys, sorted."""
    return sorted(MODELS)

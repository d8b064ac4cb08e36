# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: llm_model
short_description: What vLLM is given for one of the platform's LLMs
version_added: 0.1.0
description:
  - Looks the input, a model key of C(kserve_llm_services[].model), up in the collection's model table
    (C(plugins/module_utils/llm_models.py), shapes and hub repositories, each with its source) and returns what the
    kserve role passes to vLLM.
  - With O(quantization), the published quantized variant's repository, the C(--quantization) method and its
    C(dtype) (the AWQ/GPTQ kernels run in float16).

  - An unknown model or variant fails with the known ones listed (preflight reports the same earlier).
options:
  _input:
    description: The model key, such as C(mistral-7b-instruct-v0.2).
    type: str
    required: true
  quantization:
    description: A quantized variant of the model (C(awq), C(gptq)); null for the original weights.
    type: str
"""

EXAMPLES = r"""
- name: The repository and vLLM arguments of Mistral-7B, 4-bit AWQ
  ansible.builtin.debug:
    msg: "{{ 'mistral-7b-instruct-v0.2' | mlops.platform.llm_model('awq') }}"
  # {key: mistral-7b-instruct-v0.2, repo: TheBloke/Mistral-7B-Instruct-v0.2-AWQ, quantization: awq, dtype: float16,
  #  source: https://huggingface.co/TheBloke/Mistral-7B-Instruct-v0.2-AWQ/blob/main/config.json}
"""

RETURN = r"""
_value:
  description: >-
    C(key), C(repo) (the hub repository of the weights served), C(quantization) (vLLM's method or null),
    C(dtype) (the variant's, or null for the service's own choice), C(source) (where the shape comes from).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.module_utils.llm_models import MODELS


def llm_model(key, quantization=None):
    """The repository, quantization method and dtype vLLM serves ``key`` (optionally a quantized variant) with."""
    model = MODELS.get(key) if isinstance(key, str) else None
    if model is None:
        raise AnsibleFilterError(f"llm_model: unknown model {key!r}; known: {', '.join(sorted(MODELS))}")
    if quantization in (None, ""):
        return {"key": key, "repo": model["repo"], "quantization": None, "dtype": None, "source": model["source"]}
    variant = model["quantized"].get(quantization) if isinstance(quantization, str) else None
    if variant is None:
        known = ", ".join(sorted(model["quantized"])) or "none"
        raise AnsibleFilterError(f"llm_model: {key} has no quantized variant {quantization!r}; known: {known}")
    return {
        "key": key,
        "repo": variant["repo"],
        "quantization": variant["vllm_quantization"],
        "dtype": variant["dtype"],
        "source": variant["source"],
    }


class FilterModule:
    def filters(self):
        return {"llm_model": llm_model}

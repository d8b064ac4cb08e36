"""Print the LLM fit table: each model of plugins/module_utils/llm_models.py (float16/bfloat16 and every 4-bit
variant) on one GPU of each instance type, with the figures preflight's fit check uses.

    .venv/bin/python scripts/fit_table.py [--max-model-len 4096] [--max-num-seqs 4] [--gpu-memory-utilization 0.9]
                                          [--dtype float16] [--types g4dn.xlarge,g5.xlarge,...]

Default types: the design's GPU pools (g4dn.xlarge, Standard_NC6s_v3) and the next sizes up on each cloud. A cell
says "fits X of Y GiB" or "needs X of Y GiB" (per GPU: weights + KV cache + runtime overhead against the GPU's
memory x gpu_memory_utilization), or why vLLM would refuse to start there (dtype or quantization kernels).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / ".venv" / "collections"))

# pylint: disable=wrong-import-position
from ansible_collections.mlops.platform.plugins.module_utils import llm_fit  # noqa: E402
from ansible_collections.mlops.platform.plugins.module_utils._cloud import get_profile  # noqa: E402

DEFAULT_TYPES = {
    "aws": ("g4dn.xlarge", "g5.xlarge", "g6.xlarge", "g6e.xlarge"),
    "azure": ("Standard_NC6s_v3", "Standard_NC4as_T4_v3", "Standard_NC24ads_A100_v4"),
}


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--max-model-len", type=int, default=llm_fit.DEFAULTS["max_model_len"])
    parser.add_argument("--max-num-seqs", type=int, default=llm_fit.DEFAULTS["max_num_seqs"])
    parser.add_argument("--gpu-memory-utilization", type=float, default=llm_fit.DEFAULTS["gpu_memory_utilization"])
    parser.add_argument("--dtype", default=llm_fit.DEFAULTS["dtype"])
    parser.add_argument("--types", default="", help="comma-separated instance types (one cloud's)")
    args = parser.parse_args(argv)
    settings = {
        "max_model_len": args.max_model_len,
        "max_num_seqs": args.max_num_seqs,
        "gpu_memory_utilization": args.gpu_memory_utilization,
        "dtype": args.dtype,
    }
    wanted = [t for t in args.types.split(",") if t]
    for cloud, types in DEFAULT_TYPES.items():
        profile = get_profile(cloud)
        chosen = [t for t in wanted if profile.gpu_memory(t) is not None] if wanted else list(types)
        if not chosen:
            continue
        print(f"\n{cloud}: " + ", ".join(f"{key}={value}" for key, value in settings.items()) + "\n")
        print(llm_fit.format_fit_table(llm_fit.fit_table(profile, chosen, settings)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

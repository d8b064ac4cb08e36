"""scripts/fit_table.py (make fit-table): the fit check's table, from the same functions preflight uses."""

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
SPEC = importlib.util.spec_from_file_location("fit_table_script", REPO / "scripts" / "fit_table.py")
fit_table = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(fit_table)


def test_default_table_refuses_the_designs_mistral_on_the_t4_and_fits_its_awq_variant(capsys):
    assert fit_table.main([]) == 0
    out = capsys.readouterr().out
    aws = out.split("azure:", maxsplit=1)[0]
    rows = {line.split(" | ")[0].lstrip("| "): line for line in aws.splitlines() if line.startswith("| ")}
    mistral = rows["mistral-7b-instruct-v0.2 float16 (4096 tokens)"].split(" | ")
    assert mistral[1] == "needs 18.6 of 14.4 GiB"  # g4dn.xlarge, T4 16 GiB x 0.9
    assert mistral[2] == "fits 18.6 of 21.6 GiB"  # g5.xlarge, A10G 24 GiB x 0.9
    assert rows["mistral-7b-instruct-v0.2 awq (4096 tokens)"].split(" | ")[1] == "fits 9.0 of 14.4 GiB"
    assert "no: vLLM's AWQ kernels need compute capability 7.5; the V100 has 7.0" in out


def test_types_and_settings_from_the_command_line(capsys):
    assert fit_table.main(["--types", "g5.xlarge", "--max-num-seqs", "16"]) == 0
    out = capsys.readouterr().out
    assert "max_num_seqs=16" in out
    assert "g5.xlarge (A10G 24)" in out
    assert "azure:" not in out

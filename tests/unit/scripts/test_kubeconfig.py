"""scripts/kubeconfig.py: the kubeconfig make status / port-forward-* use (no cluster needed)."""

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
_SPEC = importlib.util.spec_from_file_location("kubeconfig_script", REPO / "scripts" / "kubeconfig.py")
kubeconfig = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(kubeconfig)


def test_platform_kubeconfig_wins(tmp_path):
    given = tmp_path / "kubeconfig"
    given.write_text("{}")
    variables = {
        "platform_kubeconfig": str(given),
        "platform_build_dir": str(tmp_path / "b"),
        "platform_cluster_name": "c",
    }
    assert kubeconfig.kubeconfig_path(variables, "h") == given


def test_the_one_terraform_wrote(tmp_path):
    written = tmp_path / "mlops-dev" / "kubeconfig"
    written.parent.mkdir()
    written.write_text("{}")
    variables = {"platform_kubeconfig": "", "platform_build_dir": str(tmp_path), "platform_cluster_name": "mlops-dev"}
    assert kubeconfig.kubeconfig_path(variables, "h") == written


def test_neither_says_what_to_set(tmp_path):
    variables = {"platform_build_dir": str(tmp_path), "platform_cluster_name": "mlops-dev"}
    with pytest.raises(kubeconfig.Problem) as err:
        kubeconfig.kubeconfig_path(variables, "mlops-dev-aws")
    message = str(err.value)
    assert message.startswith(f"No kubeconfig for mlops-dev-aws: {tmp_path}/mlops-dev/kubeconfig")
    assert "set platform_kubeconfig in the inventory" in message
    assert message.count(".") <= 1  # one sentence


def test_missing_platform_kubeconfig(tmp_path):
    with pytest.raises(kubeconfig.Problem, match=r"platform_kubeconfig .*/nope of h does not exist"):
        kubeconfig.kubeconfig_path({"platform_kubeconfig": str(tmp_path / "nope")}, "h")


def test_template_is_not_guessed():
    with pytest.raises(kubeconfig.Problem, match="is a template"):
        kubeconfig.kubeconfig_path({"platform_kubeconfig": "{{ kind_kubeconfig }}"}, "h")


def test_real_inventory(capsys):
    """The aws-dev inventory through ansible-inventory: no kubeconfig in a fresh checkout -> exit 1, one line."""
    hosts = kubeconfig.inventory_hosts("inventories/aws-dev")
    assert list(hosts) == ["mlops-dev-aws"]
    assert hosts["mlops-dev-aws"]["platform_cluster_name"] == "mlops-dev"
    written = REPO / "build" / "mlops-dev" / "kubeconfig"
    if written.exists():
        pytest.skip(f"{written} exists (a deploy ran in this checkout)")
    assert kubeconfig.main(["inventories/aws-dev"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kubeconfig: No kubeconfig for mlops-dev-aws:") and err.count("\n") == 1

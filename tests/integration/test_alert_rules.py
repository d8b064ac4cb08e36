"""The platform's alerts (PrometheusRule ``mlops-platform-alerts``, roles/monitoring/templates/platform-alerts.yaml.j2)
as both full test inventories render them, run through the real ``promtool`` (Debian package ``prometheus``,
installed by scripts/setup.sh):

* ``promtool check rules`` on the rendered groups;
* ``promtool test rules`` with the files of tests/integration/alerts/: for every alert a series that fires (labels
  and annotations expected) and one that does not, evaluated before and after the rule's ``for``. The names the
  render decides (KServe's and MLflow's namespaces, MLflow's job, the runbook document) are read from the render
  and filled into those files (``${name}``);
* every alert has a severity (critical, warning, info), a summary, a description and a runbook_url whose anchor is
  a ``## <AlertName>`` section of docs/runbooks.md; the design's seven alerts have the table's severity and ``for``;
* a planted defect (a threshold changed, the absent() case of MLflowDown dropped) makes ``promtool test rules``
  fail: the tests do test the thresholds.
"""

from __future__ import annotations

import copy
import re
import shutil
import string
import subprocess
from pathlib import Path

import pytest
import yaml

from .conftest import REPO
from .platform_checks import manifests
from .platform_checks.render_facts import FULL, INVENTORIES, inventory_settings

ALERTS_DIR = Path(__file__).parent / "alerts"
RUNBOOKS = REPO / "docs" / "runbooks.md"
RULE_NAME = "mlops-platform-alerts"
PROMTOOL = "promtool"
SEVERITIES = {"critical", "warning", "info"}

# The design's alert table (docs: platform-architecture §Observability, Alerting Rules): severity, `for`.
DESIGN = {
    "HighInferenceLatency": ("warning", "5m"),
    "HighInferenceErrorRate": ("critical", "5m"),
    "InferenceServiceRestarts": ("warning", None),  # > 3 restarts in an hour: the window is in the expression
    "MLflowDown": ("critical", "2m"),
    "HighPipelineFailureRate": ("warning", "15m"),
    "LowGPUUtilization": ("info", "30m"),
    "KEDAScalerErrors": ("warning", "5m"),  # Azure's autoscaler
}
ONLY_ON = {"KEDAScalerErrors": "azure-full", "KEDAScaledObjectErrors": "azure-full"}
ONLY_ON["KarpenterCloudProviderErrors"] = "aws-full"


def _promtool() -> str:
    path = shutil.which(PROMTOOL)
    if path is None:
        pytest.fail(
            "promtool is missing: install the Debian package `prometheus` (apt-get install prometheus; "
            "scripts/setup.sh installs it)"
        )
    return path


def _seconds(duration: str | None) -> int:
    """Prometheus duration (1h30m, 5m, 90s) -> seconds; None/"" -> 0."""
    if not duration:
        return 0
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
    parts = re.findall(r"(\d+)(ms|[smhdwy])", str(duration))
    assert parts and "".join(n + u for n, u in parts) == str(duration), f"not a duration: {duration!r}"
    return int(sum(int(n) * units[u] for n, u in parts))


# --------------------------------------------------------------------------------------------
# the render


def _objects(name: str, build: Path) -> list[dict]:
    values = inventory_settings(INVENTORIES[name])
    return manifests.all_objects(manifests.load_tree(build / values["platform_cluster_name"]))


def _one(objs: list[dict], kind: str, what: str, test) -> dict:
    found = [o for o in objs if o.get("kind") == kind and test(o)]
    assert len(found) == 1, f"expected one {kind} {what} in the render, found {len(found)}"
    return found[0]


def rendered_alerts(name: str, build: Path) -> dict:
    """{groups, names}: the groups of mlops-platform-alerts and the names the test files need, from the render."""
    objs = _objects(name, build)
    rule = _one(objs, "PrometheusRule", RULE_NAME, lambda o: o["metadata"]["name"] == RULE_NAME)
    groups = rule["spec"]["groups"]
    urls = {r["annotations"]["runbook_url"].split("#")[0] for g in groups for r in g["rules"]}
    assert len(urls) == 1, f"every alert should point into one runbook document, got {sorted(urls)}"
    predictors = _one(
        objs, "PodMonitor", "mlserver-predictors", lambda o: o["metadata"]["name"] == "mlserver-predictors"
    )
    mlflow = _one(
        objs,
        "Service",
        "with app.kubernetes.io/name: mlflow",
        lambda o: (o["metadata"].get("labels") or {}).get("app.kubernetes.io/name") == "mlflow",
    )
    return {
        "rule": rule,
        "groups": groups,
        "names": {
            "kserve_namespace": manifests.effective_namespace(predictors),
            "mlflow_namespace": manifests.effective_namespace(mlflow),
            # no jobLabel on MLflow's ServiceMonitor: job = the Service's name
            "mlflow_job": mlflow["metadata"]["name"],
            "runbook": urls.pop(),
        },
    }


@pytest.fixture(scope="module")
def renders(full_builds) -> dict:
    return {name: rendered_alerts(name, full_builds[name]) for name in FULL}


def _alerts(groups: list[dict]) -> list[dict]:
    return [r for g in groups for r in g["rules"] if "alert" in r]


# --------------------------------------------------------------------------------------------
# the promtool test files


def test_files() -> dict[str, dict]:
    """file name -> its YAML (with the ${...} left in)."""
    files = {p.name: yaml.safe_load(p.read_text()) for p in sorted(ALERTS_DIR.glob("*.yml"))}
    assert files, f"no promtool test file in {ALERTS_DIR}"
    return files


test_files.__test__ = False  # a helper, not a test


def _alertnames(test_file: dict) -> set[str]:
    return {t["alertname"] for case in test_file["tests"] for t in case.get("alert_rule_test") or ()}


def _write(tmp: Path, groups: list[dict], names: dict, files: list[str]) -> list[Path]:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "rules.yml").write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    written = []
    for file in files:
        text = string.Template((ALERTS_DIR / file).read_text()).substitute(names)
        (tmp / file).write_text(text)
        written.append(tmp / file)
    return written


def run_promtool_tests(tmp: Path, groups: list[dict], names: dict, files: list[str]) -> subprocess.CompletedProcess:
    written = _write(tmp, groups, names, files)
    return subprocess.run(
        [_promtool(), "test", "rules", *map(str, written)],
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _files_for(groups: list[dict]) -> list[str]:
    """The test files whose alerts the groups have (a file covers a group: all of its alerts or none)."""
    present = {r["alert"] for r in _alerts(groups)}
    chosen = []
    for file, content in test_files().items():
        names = _alertnames(content)
        if names <= present:
            chosen.append(file)
        else:
            assert not names & present, f"{file}: the render has {sorted(names & present)} but not {names - present}"
    return chosen


# --------------------------------------------------------------------------------------------
# tests


@pytest.mark.parametrize("name", FULL)
def test_promtool_check_rules(renders, tmp_path, name):
    rules = tmp_path / "rules.yml"
    rules.write_text(yaml.safe_dump({"groups": renders[name]["groups"]}, sort_keys=False))
    run = subprocess.run(
        [_promtool(), "check", "rules", str(rules)], capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"SUCCESS: {len(_alerts(renders[name]['groups']))} rules found" in run.stdout


@pytest.mark.parametrize("name", FULL)
def test_promtool_test_rules(renders, tmp_path, name):
    """Every alert of the render fires on its test series (labels and annotations as expected) and stays silent
    on the others and before its `for` has passed."""
    render = renders[name]
    files = _files_for(render["groups"])
    covered = set().union(*(_alertnames(test_files()[f]) for f in files))
    missing = {r["alert"] for r in _alerts(render["groups"])} - covered
    assert not missing, f"alerts of the {name} render without a promtool test in {ALERTS_DIR}: {sorted(missing)}"
    run = run_promtool_tests(tmp_path, render["groups"], render["names"], files)
    assert run.returncode == 0, f"promtool test rules {files}:\n{run.stdout}{run.stderr}"
    assert run.stdout.count("SUCCESS") == len(files), run.stdout


def test_every_alert_has_a_firing_and_a_silent_case(renders):
    """Per alert: a case that fires at or after its `for`, one that expects nothing."""
    fors = {r["alert"]: _seconds(r.get("for")) for render in renders.values() for r in _alerts(render["groups"])}
    firing: dict[str, list] = {}
    silent: dict[str, list] = {}
    for file, content in test_files().items():
        for case in content["tests"]:
            for check in case.get("alert_rule_test") or ():
                name = check["alertname"]
                (firing if check.get("exp_alerts") else silent).setdefault(name, []).append(
                    (file, _seconds(check["eval_time"]))
                )
                for alert in check.get("exp_alerts") or ():
                    assert alert.get("exp_annotations"), f"{file} {name}: a firing case without annotations"
                    assert alert.get("exp_labels", {}).get("severity"), f"{file} {name}: no severity expected"
    for name, wait in fors.items():
        assert name in firing, f"{name}: no test series that fires"
        assert name in silent, f"{name}: no test series that stays silent"
        assert any(t >= wait for _f, t in firing[name]), f"{name}: fires before its for ({wait}s) has passed?"


def test_alerts_are_labelled_and_have_runbooks(renders):
    headings = set(re.findall(r"^## (\S+)\s*$", RUNBOOKS.read_text(), flags=re.M))
    for name, render in renders.items():
        rule = render["rule"]
        assert manifests.effective_namespace(rule) == inventory_settings(INVENTORIES[name]).get(
            "monitoring_namespace", "monitoring"
        )
        assert rule["metadata"]["labels"]["app.kubernetes.io/part-of"] == "mlops-platform"
        for alert in _alerts(render["groups"]):
            where = f"{name} {alert['alert']}"
            assert alert["labels"]["severity"] in SEVERITIES, where
            assert alert["labels"].get("component"), where
            annotations = alert["annotations"]
            assert annotations.get("summary") and annotations.get("description"), where
            base, _hash, anchor = annotations["runbook_url"].partition("#")
            assert base == render["names"]["runbook"] and anchor == alert["alert"].lower(), where
            assert alert["alert"] in headings, f"{where}: no '## {alert['alert']}' section in {RUNBOOKS}"


def test_the_design_alerts(renders):
    """The seven alerts of the design's table, with its severities and `for` durations (KEDA's on Azure)."""
    seen = {}
    for name, render in renders.items():
        for alert in _alerts(render["groups"]):
            seen.setdefault(alert["alert"], set()).add(name)
            if alert["alert"] in DESIGN:
                severity, duration = DESIGN[alert["alert"]]
                assert alert["labels"]["severity"] == severity, alert["alert"]
                assert alert.get("for") == duration, alert["alert"]
    for alert in DESIGN:
        expected = {ONLY_ON[alert]} if alert in ONLY_ON else set(FULL)
        assert seen.get(alert) == expected, f"{alert}: rendered for {sorted(seen.get(alert, ()))}"
    for alert, only in ONLY_ON.items():
        assert seen.get(alert) == {only}, f"{alert}: rendered for {sorted(seen.get(alert, ()))}, expected {only}"


# The thresholds of the design's table, as rendered with the role's defaults.
THRESHOLDS = {
    "HighInferenceLatency": "> 1.0",
    "HighInferenceErrorRate": "> 0.05",
    "InferenceServiceRestarts": "> 3",
    "HighPipelineFailureRate": "> 0.1",
    "LowGPUUtilization": "< 20.0",
}


def test_design_thresholds(renders):
    for render in renders.values():
        for alert in _alerts(render["groups"]):
            if alert["alert"] in THRESHOLDS:
                assert alert["expr"].rstrip().endswith(THRESHOLDS[alert["alert"]]), (alert["alert"], alert["expr"])


MUTANTS = {
    # a threshold ten times too high: the 10% error rate of the test no longer fires
    "HighInferenceErrorRate threshold 0.05 -> 0.5": ("HighInferenceErrorRate", r"> 0\.05$", "> 0.5", "inference.yml"),
    # MLflow gone entirely (no target) no longer alerts
    "MLflowDown without absent()": ("MLflowDown", r"^absent\(.*?\) or ", "", "mlflow.yml"),
    # the idle GPU's 5% is no longer below the threshold
    "LowGPUUtilization threshold 20 -> 2": ("LowGPUUtilization", r"< 20\.0$", "< 2.0", "gpu.yml"),
    # restarts of every container of the predictor pods, the storage-initializer's too
    "InferenceServiceRestarts for any container": (
        "InferenceServiceRestarts",
        r',container="kserve-container"',
        "",
        "inference.yml",
    ),
}


@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_a_wrong_rule_fails_promtool(renders, tmp_path, mutant):
    alert_name, old, new, file = MUTANTS[mutant]
    render = renders["aws-full"]
    groups = copy.deepcopy(render["groups"])
    changed = 0
    for alert in _alerts(groups):
        if alert["alert"] == alert_name and re.search(old, alert["expr"].strip()):
            alert["expr"] = re.sub(old, new, alert["expr"].strip(), count=1)
            changed += 1
    assert changed == 1, f"{mutant}: {old!r} not found once in {alert_name}"
    good = run_promtool_tests(tmp_path / "good", render["groups"], render["names"], [file])
    assert good.returncode == 0, good.stdout + good.stderr
    bad = run_promtool_tests(tmp_path / "bad", groups, render["names"], [file])
    assert bad.returncode != 0, f"{mutant}: promtool test rules still passes:\n{bad.stdout}"
    assert alert_name in bad.stdout + bad.stderr

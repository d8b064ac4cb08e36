"""scripts/dashboards.py (make dashboards): the committed dashboard JSON is what the grafana-foundation-sdk build
makes (drift check), its panels carry exactly the queries of ``QUERIES`` with units and the alerts' thresholds, and
the checker ``problems()`` notices a dashboard that lost a panel, a query or its datasource variable."""

import copy
import importlib.util
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SPEC = importlib.util.spec_from_file_location("dashboards_script", REPO / "scripts" / "dashboards.py")
dashboards = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(dashboards)

TITLES = [
    "Inference requests/sec",
    "P95 latency by model",
    "Active models",
    "Error rate %",
    "Request rate by model",
    "GPU utilisation",
    "Pipeline success rate %",
]


@pytest.fixture(scope="module")
def built() -> dict:
    return dashboards.build()


def panels_of(dashboard: dict) -> dict:
    return {panel["title"]: panel for panel in dashboard["panels"]}


def test_the_committed_json_is_what_the_script_builds(capsys):
    assert dashboards.main(["--check"]) == 0, capsys.readouterr().err
    assert dashboards.OUTPUT.read_text(encoding="utf-8") == dashboards.render()


def test_the_build_is_deterministic(built):
    assert dashboards.render(built) == dashboards.render(dashboards.build())
    text = dashboards.render(built)
    assert text.endswith("}\n") and json.loads(text) == built


def test_check_fails_on_drift_and_the_writer_repairs_it(tmp_path, capsys):
    target = tmp_path / "mlops-platform.json"
    committed = json.loads(dashboards.OUTPUT.read_text(encoding="utf-8"))
    committed["panels"][0]["targets"][0]["expr"] = "sum(rate(some_other_metric[5m]))"
    target.write_text(dashboards.render(committed), encoding="utf-8")
    assert dashboards.main(["--check", "--output", str(target)]) == 1
    err = capsys.readouterr().err
    assert "drift" in err and "make dashboards" in err and "some_other_metric" in err
    assert dashboards.main(["--output", str(target)]) == 0
    assert dashboards.main(["--check", "--output", str(target)]) == 0
    target.unlink()
    assert dashboards.main(["--check", "--output", str(target)]) == 1


def test_the_seven_panels_carry_exactly_the_queries(built):
    assert list(dashboards.QUERIES) == TITLES
    assert dashboards.problems(built) == []
    panels = panels_of(built)
    assert sorted(panels) == sorted(TITLES)
    for title, expr in dashboards.QUERIES.items():
        assert [t["expr"] for t in panels[title]["targets"]] == [expr]
    assert "$__rate_interval" in dashboards.QUERIES["Inference requests/sec"]
    assert 'status_code=~"5.."' in dashboards.QUERIES["Error rate %"]


def test_every_panel_and_query_uses_the_datasource_variable(built):
    variables = {v["name"]: v for v in built["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    assert variables["namespace"]["type"] == "query"
    assert variables["namespace"]["query"] == "label_values(rest_server_requests_total, namespace)"
    assert variables["namespace"]["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
    for panel in built["panels"]:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert all(t["datasource"] == panel["datasource"] for t in panel["targets"]), panel["title"]


def test_units_thresholds_and_dashboard_identity(built):
    panels = panels_of(built)
    units = {title: panel["fieldConfig"]["defaults"]["unit"] for title, panel in panels.items()}
    assert units["Inference requests/sec"] == units["Request rate by model"] == "reqps"
    assert units["P95 latency by model"] == "s"
    assert units["Error rate %"] == units["GPU utilisation"] == units["Pipeline success rate %"] == "percent"

    def steps(title):
        return [(s["value"], s["color"]) for s in panels[title]["fieldConfig"]["defaults"]["thresholds"]["steps"]]

    # The alerts' thresholds: HighInferenceLatency P95 > 1 s, HighInferenceErrorRate > 5 %.
    assert (1, "orange") in steps("P95 latency by model")
    assert panels["P95 latency by model"]["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]["mode"] != "off"
    assert (5, "red") in steps("Error rate %")
    assert built["uid"] == "mlops-platform" and built["title"] == "MLOps platform"
    assert built["tags"] and built["refresh"] == "30s"
    # Panels do not overlap on the 24-column grid.
    cells = set()
    for panel in built["panels"]:
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24, panel["title"]
        new = {(x, y) for x in range(pos["x"], pos["x"] + pos["w"]) for y in range(pos["y"], pos["y"] + pos["h"])}
        assert not cells & new, panel["title"]
        cells |= new
    assert len({panel["id"] for panel in built["panels"]}) == len(built["panels"])


@pytest.mark.parametrize(
    ("mutate", "reported"),
    [
        (lambda d: d["panels"].pop(2), "is missing"),
        (lambda d: d["panels"][0]["targets"][0].update(expr="up"), "queries ['up']"),
        (lambda d: d["panels"][1].update(datasource={"type": "prometheus", "uid": "prometheus"}), "datasource"),
        (lambda d: d["panels"][3]["targets"].append(dict(d["panels"][3]["targets"][0], refId="B")), "queries"),
        (lambda d: d["templating"]["list"].pop(0), "no datasource variable"),
        (lambda d: d["templating"]["list"].pop(1), "no query variable 'namespace'"),
        (lambda d: d["panels"].append(dict(d["panels"][0], title="Extra")), "'Extra' has no query"),
    ],
    ids=["dropped-panel", "changed-query", "fixed-datasource", "second-query", "no-ds-var", "no-ns-var", "extra"],
)
def test_the_checker_reports_a_planted_defect(built, mutate, reported):
    broken = copy.deepcopy(built)
    mutate(broken)
    found = dashboards.problems(broken)
    assert any(reported in problem for problem in found), found


@pytest.mark.parametrize("title", TITLES)
def test_the_checker_names_each_dropped_panel(built, title):
    broken = copy.deepcopy(built)
    broken["panels"] = [panel for panel in broken["panels"] if panel["title"] != title]
    assert dashboards.problems(broken) == [f"panel {title!r} is missing"]

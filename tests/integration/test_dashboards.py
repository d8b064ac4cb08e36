"""The platform dashboard as the cluster gets it: in the renders of the *-full test inventories (conftest's
``full_builds``), the monitoring release carries a ConfigMap per dashboard of roles/monitoring/files/dashboards/,
labelled as the rendered Grafana sidecar values select, whose JSON is exactly what scripts/dashboards.py builds:
the 7 panels with the queries of ``QUERIES``, every panel on the datasource template variable."""

from __future__ import annotations

import copy
import importlib.util
import json

import pytest
import yaml

from .conftest import REPO
from .platform_checks import manifests
from .platform_checks.render_facts import FULL

SPEC = importlib.util.spec_from_file_location("dashboards_script", REPO / "scripts" / "dashboards.py")
dashboards = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(dashboards)

DASHBOARD_FILES = sorted((REPO / "roles" / "monitoring" / "files" / "dashboards").glob("*.json"))
MIB = 1024 * 1024


def monitoring_release(build) -> tuple[list[dict], dict]:
    """Our objects of the monitoring release (manifests.yaml) and the chart's Grafana Deployment; the values."""
    folder = build / "mlops-dev" / "monitoring"
    objects = manifests.load_documents(str(folder / "manifests.yaml"), "monitoring")
    grafana = [
        obj
        for obj in manifests.load_documents(str(folder / "chart.yaml"), "monitoring")
        if obj.get("kind") == "Deployment"
        and obj["metadata"].get("labels", {}).get("app.kubernetes.io/name") == "grafana"
    ]
    values = yaml.safe_load((folder / "values.yaml").read_text(encoding="utf-8"))
    return objects + grafana, values


@pytest.mark.parametrize("name", FULL)
def test_each_dashboard_is_a_configmap_the_grafana_sidecar_loads(full_builds, name):
    objects, values = monitoring_release(full_builds[name])
    sidecar = values["grafana"]["sidecar"]["dashboards"]
    assert sidecar["enabled"] is True
    (grafana,) = [obj for obj in objects if obj.get("kind") == "Deployment"]
    configmaps = {
        obj["metadata"]["name"]: obj
        for obj in objects
        if obj.get("kind") == "ConfigMap" and obj["metadata"].get("labels", {}).get(sidecar["label"])
    }
    assert sorted(configmaps) == [f"dashboard-{path.stem}" for path in DASHBOARD_FILES]
    for path in DASHBOARD_FILES:
        cm = configmaps[f"dashboard-{path.stem}"]
        assert cm["metadata"]["labels"][sidecar["label"]] == sidecar["labelValue"]
        # The sidecar watches every namespace; the ConfigMap sits next to Grafana anyway.
        assert sidecar.get("searchNamespace") == "ALL"
        assert cm["metadata"]["namespace"] == grafana["metadata"]["namespace"]
        assert list(cm["data"]) == [path.name]
        text = cm["data"][path.name]
        # The API server's limit for an object is 1 MiB; the sidecar reads the key as it is.
        assert len(json.dumps(cm).encode()) < MIB
        assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", FULL)
def test_the_rendered_dashboard_is_the_built_one_with_the_spec_queries(full_builds, name):
    objects, _values = monitoring_release(full_builds[name])
    (cm,) = [o for o in objects if o.get("kind") == "ConfigMap" and o["metadata"]["name"] == "dashboard-mlops-platform"]
    rendered = json.loads(cm["data"]["mlops-platform.json"])
    assert rendered == dashboards.build()
    assert dashboards.problems(rendered) == []
    panels = {panel["title"]: panel for panel in rendered["panels"]}
    assert len(panels) == 7 and set(panels) == set(dashboards.QUERIES)
    for title, expr in dashboards.QUERIES.items():
        assert [target["expr"] for target in panels[title]["targets"]] == [expr], title
        assert panels[title]["datasource"]["uid"] == "${datasource}", title
    # The checker the assertions rely on notices a panel gone from the rendered dashboard.
    broken = copy.deepcopy(rendered)
    dropped = broken["panels"].pop()
    assert dashboards.problems(broken) == [f"panel {dropped['title']!r} is missing"]

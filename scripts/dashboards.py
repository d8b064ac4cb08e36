"""The platform's Grafana dashboard, built with grafana-foundation-sdk (`make dashboards`).

    python scripts/dashboards.py           write roles/monitoring/files/dashboards/mlops-platform.json
    python scripts/dashboards.py --check   exit 1 when the committed JSON differs from what this script builds

The monitoring role ships every files/dashboards/<name>.json as a ConfigMap `dashboard-<name>` labelled
`grafana_dashboard: "1"` (templates/dashboards.yaml.j2), which the Grafana sidecar of kube-prometheus-stack loads.

Importable without side effects (the live observability test runs every panel query against a real Prometheus):
``QUERIES`` (panel title -> PromQL), ``DATASOURCE`` (the panels' datasource reference), ``build()`` (the dashboard
as plain JSON data), ``render()`` (its file text), ``problems()`` (what a dashboard lacks against ``QUERIES``),
``OUTPUT`` (the committed file). The SDK is imported by ``build()`` only.
"""

import argparse
import difflib
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NAME = "mlops-platform"
OUTPUT = REPO / "roles" / "monitoring" / "files" / "dashboards" / f"{NAME}.json"

# Every panel's query, in panel order: the one place to change a signal. MLServer's REST metrics
# (rest_server_*), the `inferenceservice` target label the KServe PodMonitors' relabelings add, the PodMonitors'
# `up` series (job <namespace>/<podmonitor>), NVIDIA DCGM exporter's GPU utilisation and Argo Workflows'
# controller counter of finished workflows.
_INFER = 'namespace=~"$namespace",path=~"/v2/models/.+/infer"'
QUERIES = {
    "Inference requests/sec": f"sum(rate(rest_server_requests_total{{{_INFER}}}[$__rate_interval]))",
    "P95 latency by model": (
        "histogram_quantile(0.95, sum by (inferenceservice, le) "
        f"(rate(rest_server_request_duration_seconds_bucket{{{_INFER}}}[$__rate_interval])))"
    ),
    "Active models": (
        'count(count by (namespace, inferenceservice) (up{job=~".*/mlserver-predictors|.*/vllm-predictors"} == 1))'
    ),
    "Error rate %": (
        f'100 * sum(rate(rest_server_requests_total{{{_INFER},status_code=~"5.."}}[$__rate_interval])) '
        f"/ sum(rate(rest_server_requests_total{{{_INFER}}}[$__rate_interval]))"
    ),
    "Request rate by model": (
        f"sum by (inferenceservice) (rate(rest_server_requests_total{{{_INFER}}}[$__rate_interval]))"
    ),
    "GPU utilisation": "avg by (Hostname, gpu, modelName) (DCGM_FI_DEV_GPU_UTIL)",
    "Pipeline success rate %": (
        '100 * sum(increase(argo_workflows_total_count{phase="Succeeded"}[1h])) '
        '/ sum(increase(argo_workflows_total_count{phase=~"Succeeded|Failed|Error"}[1h]))'
    ),
}

# The Prometheus the panels query: the `datasource` template variable (type prometheus).
DATASOURCE_VARIABLE = "datasource"
DATASOURCE = {"type": "prometheus", "uid": f"${{{DATASOURCE_VARIABLE}}}"}
NAMESPACE_QUERY = "label_values(rest_server_requests_total, namespace)"
TAGS = ["mlops", "inference", "kserve", "platform"]
REFRESH = "30s"

# The alerts' thresholds (roles/monitoring/templates/platform-alerts.yaml.j2), drawn on the panels.
LATENCY_P95_SECONDS = 1  # HighInferenceLatency: P95 > 1 s for 5m
ERROR_RATE_PERCENT = 5  # HighInferenceErrorRate: > 5 % for 5m
PIPELINE_SUCCESS_PERCENT = 90  # HighPipelineFailureRate: > 10 % failures per hour
GPU_LOW_PERCENT = 20  # LowGPUUtilization: < 20 % for 30m

# Panel title -> (kind, unit, legend, thresholds as (value or None for the base, colour), grid (x, y, w, h)).
PANELS = {
    "Inference requests/sec": ("stat", "reqps", "", [(None, "green")], (0, 0, 6, 5)),
    "Active models": ("stat", "short", "", [(None, "green")], (6, 0, 6, 5)),
    "Error rate %": ("stat", "percent", "", [(None, "green"), (ERROR_RATE_PERCENT, "red")], (12, 0, 6, 5)),
    "Pipeline success rate %": (
        "stat",
        "percent",
        "",
        [(None, "red"), (PIPELINE_SUCCESS_PERCENT, "green")],
        (18, 0, 6, 5),
    ),
    "P95 latency by model": (
        "timeseries",
        "s",
        "{{inferenceservice}}",
        [(None, "green"), (LATENCY_P95_SECONDS, "orange")],
        (0, 5, 12, 8),
    ),
    "Request rate by model": ("timeseries", "reqps", "{{inferenceservice}}", [(None, "green")], (12, 5, 12, 8)),
    "GPU utilisation": (
        "timeseries",
        "percent",
        "{{Hostname}} GPU {{gpu}} ({{modelName}})",
        [(None, "blue"), (GPU_LOW_PERCENT, "green")],
        (0, 13, 24, 8),
    ),
}
if set(PANELS) != set(QUERIES):
    raise ValueError(f"scripts/dashboards.py: QUERIES and PANELS name different panels: {set(PANELS) ^ set(QUERIES)}")


def build() -> dict:
    """The dashboard as plain JSON data (what the file holds)."""
    from grafana_foundation_sdk.builders import common as common_b
    from grafana_foundation_sdk.builders import dashboard as dashboard_b
    from grafana_foundation_sdk.builders import prometheus, stat, timeseries
    from grafana_foundation_sdk.cog.encoder import JSONEncoder
    from grafana_foundation_sdk.models import common
    from grafana_foundation_sdk.models import dashboard as dashboard_m

    datasource = dashboard_m.DataSourceRef(type_val=DATASOURCE["type"], uid=DATASOURCE["uid"])
    builder = (
        dashboard_b.Dashboard("MLOps platform")
        .uid(NAME)
        .description("Model serving (KServe + MLServer), GPU and pipeline health. Generated by scripts/dashboards.py.")
        .tags(TAGS)
        .refresh(REFRESH)
        .time("now-6h", "now")
        .timezone("browser")
        .tooltip(dashboard_m.DashboardCursorSync.CROSSHAIR)
        .with_variable(dashboard_b.DatasourceVariable(DATASOURCE_VARIABLE).label("Prometheus").type("prometheus"))
        .with_variable(
            dashboard_b.QueryVariable("namespace")
            .label("Namespace")
            .datasource(datasource)
            .query(NAMESPACE_QUERY)
            .refresh(dashboard_m.VariableRefresh.ON_TIME_RANGE_CHANGED)
            .sort(dashboard_m.VariableSort.ALPHABETICAL_ASC)
            .multi(True)
            .include_all(True)
            .all_value(".*")
        )
    )
    for panel_id, (title, (kind, unit, legend, steps, (x, y, w, h))) in enumerate(
        sorted(PANELS.items(), key=lambda item: (item[1][4][1], item[1][4][0])), start=1
    ):
        query = prometheus.Dataquery().expr(QUERIES[title]).ref_id("A").datasource(datasource)
        if legend:
            query = query.legend_format(legend)
        thresholds = (
            dashboard_b.ThresholdsConfig()
            .mode(dashboard_m.ThresholdsMode.ABSOLUTE)
            .steps([dashboard_m.Threshold(value=value, color=color) for value, color in steps])
        )
        if kind == "stat":
            panel = (
                stat.Panel()
                .graph_mode(common.BigValueGraphMode.AREA)
                .color_mode(common.BigValueColorMode.VALUE)
                .reduce_options(common_b.ReduceDataOptions().calcs(["lastNotNull"]))
            )
        else:
            panel = (
                timeseries.Panel()
                .legend(
                    common_b.VizLegendOptions()
                    .display_mode(common.LegendDisplayMode.TABLE)
                    .placement(common.LegendPlacement.RIGHT)
                    .show_legend(True)
                    .calcs(["lastNotNull", "max"])
                )
                .fill_opacity(10)
                .thresholds_style(
                    common_b.GraphThresholdsStyleConfig().mode(
                        common.GraphThresholdsStyleMode.DASHED
                        if len(steps) > 1
                        else common.GraphThresholdsStyleMode.OFF
                    )
                )
            )
        panel = (
            panel.id(panel_id)
            .title(title)
            .datasource(datasource)
            .unit(unit)
            .thresholds(thresholds)
            .grid_pos(dashboard_m.GridPos(x=x, y=y, w=w, h=h))
            .with_target(query)
        )
        if unit == "percent":
            panel = panel.min(0)
        builder = builder.with_panel(panel)
    return json.loads(json.dumps(builder.build(), cls=JSONEncoder))


def render(dashboard: dict | None = None) -> str:
    """The file text: sorted keys, indent 2, a trailing newline."""
    return json.dumps(build() if dashboard is None else dashboard, indent=2, sort_keys=True) + "\n"


def problems(dashboard: dict) -> list[str]:
    """What ``dashboard`` (JSON data) lacks: a panel per ``QUERIES`` title whose single target has exactly that
    expr, the datasource template variable on every panel and target, the `datasource` and `namespace` variables."""
    found = []
    panels = {}
    for panel in dashboard.get("panels") or []:
        title = panel.get("title")
        if title in panels:
            found.append(f"panel {title!r} is there twice")
        panels[title] = panel
        if panel.get("datasource") != DATASOURCE:
            found.append(f"panel {title!r}: datasource {panel.get('datasource')!r}, want {DATASOURCE!r}")
        for target in panel.get("targets") or []:
            if target.get("datasource") != DATASOURCE:
                found.append(
                    f"panel {title!r}: a target's datasource {target.get('datasource')!r}, want {DATASOURCE!r}"
                )
    for title in panels.keys() - QUERIES.keys():
        found.append(f"panel {title!r} has no query in QUERIES")
    for title, expr in QUERIES.items():
        panel = panels.get(title)
        if panel is None:
            found.append(f"panel {title!r} is missing")
            continue
        exprs = [target.get("expr") for target in panel.get("targets") or []]
        if exprs != [expr]:
            found.append(f"panel {title!r}: queries {exprs!r}, want [{expr!r}]")
    variables = {v.get("name"): v for v in (dashboard.get("templating") or {}).get("list") or []}
    source = variables.get(DATASOURCE_VARIABLE) or {}
    if source.get("type") != "datasource" or source.get("query") != DATASOURCE["type"]:
        found.append(f"no datasource variable {DATASOURCE_VARIABLE!r} of type {DATASOURCE['type']!r}")
    namespace = variables.get("namespace") or {}
    if namespace.get("type") != "query" or namespace.get("query") != NAMESPACE_QUERY:
        found.append(f"no query variable 'namespace' ({NAMESPACE_QUERY})")
    if dashboard.get("uid") != NAME:
        found.append(f"uid {dashboard.get('uid')!r}, want {NAME!r}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the committed JSON is not what is built")
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"the JSON file (default: {OUTPUT})")
    args = parser.parse_args(argv)
    dashboard = build()
    wrong = problems(dashboard)
    if wrong:
        print("dashboards: the built dashboard is incomplete:\n  " + "\n  ".join(wrong), file=sys.stderr)
        return 1
    text = render(dashboard)
    try:
        shown = args.output.relative_to(REPO)
    except ValueError:
        shown = args.output
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.is_file() else ""
        if current == text:
            print(f"dashboards: {shown} is up to date")
            return 0
        diff = difflib.unified_diff(
            current.splitlines(), text.splitlines(), f"{shown} (committed)", f"{shown} (built)", lineterm="", n=1
        )
        lines = list(diff)
        print(
            f"dashboards: {shown} differs from what scripts/dashboards.py builds (drift); "
            "run `make dashboards` and commit the result:\n" + "\n".join(lines[:40]),
            file=sys.stderr,
        )
        if len(lines) > 40:
            print(f"... {len(lines) - 40} more diff lines", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if args.output.is_file() and args.output.read_text(encoding="utf-8") == text:
        print(f"dashboards: {shown} unchanged")
    else:
        args.output.write_text(text, encoding="utf-8")
        print(f"dashboards: wrote {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

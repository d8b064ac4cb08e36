"""The platform's monitors, alerts, dashboard and alert routing against live servers on 127.0.0.1.

From the render of tests/integration/inventories/aws-full:
  * the scrape configuration is generated from the rendered ServiceMonitors and PodMonitors the way the
    Prometheus Operator generates it (tests/integration/observability/scrape.py): their selectors, port names,
    paths, basic auth and relabelings are applied by a real Prometheus (Debian 2.42) to the targets a Kubernetes
    service discovery would find, bound to local servers;
  * MLflow 3.7.0 (.venv/mlflow-server, --expose-prometheus, --app-name basic-auth as the platform runs it) plays the
    mlflow Deployment; two MLServer 1.5.0 (.venv/ml-serving, the pinned serving runtime) play the predictors of the
    InferenceServices ``iris`` (good requests) and ``iris-canary`` (half of its requests malformed: MLServer answers
    500);
  * the rendered PrometheusRule mlops-platform-alerts is Prometheus's rule file; Alertmanager
    (Debian prometheus-alertmanager 0.25) runs the alertmanager.yml the operator would build from the rendered
    AlertmanagerConfig, its receivers' URLs pointing at a webhook server of this test.

Proven: every target the monitors select is up; every alert expression and every dashboard panel query is valid,
and those over these targets return series; the canary's error ratio takes HighInferenceErrorRate to pending;
an immediate copy of it (``for`` 0s) fires and reaches exactly the receivers the inventory routes critical alerts
to; stopping MLflow takes MLflowDown to pending. Queries over exporters that cannot run here (kube-state-metrics,
DCGM, Argo, KEDA, Karpenter, cert-manager, External Secrets, Argo CD, kubelet) are checked for validity only; the
harness's queries_scraped check proves on the rendered set that a monitor scrapes each of them.
"""

from __future__ import annotations

import contextlib
import copy
import http.server
import importlib.util
import json
import os
import re
import secrets
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from .conftest import REPO
from .ml_lifecycle import servers
from .observability import scrape
from .platform_checks import manifests
from .platform_checks.behaviour import parse_promql
from .test_alert_routing import Converter, alerting_objects, monitoring
from .test_promote import BAD_REQUEST, GOOD_REQUEST, MAKE_MODEL

pytestmark = [pytest.mark.slow, pytest.mark.integration]

INVENTORY = "aws-full"
MLFLOW_VENV = REPO / ".venv" / "mlflow-server"
SERVING_VENV = REPO / ".venv" / "ml-serving"
RULE = "mlops-platform-alerts"
# The predictors this test runs (InferenceServices of the aws-full inventory): good traffic, and half bad.
STABLE, CANARY = "iris", "iris-canary"
# Metric families the local targets emit (the alerts and panels over them must return series here).
LIVE_PREFIXES = ("rest_server_", "model_infer_", "mlflow_http_", "up")
_COMPARISON = re.compile(r"\s*(==|!=|>=|<=|>|<)\s*-?[0-9.e+]+\s*$")


def missing() -> str | None:
    needs = {
        MLFLOW_VENV / "bin" / "mlflow": "the MLflow server venv (make setup)",
        SERVING_VENV / "bin" / "mlserver": "the MLServer 1.5.0 venv (make setup)",
    }
    for path, what in needs.items():
        if not path.exists():
            return f"{what} is missing: {path}"
    for tool, package in (("prometheus", "prometheus"), ("prometheus-alertmanager", "prometheus-alertmanager")):
        if shutil.which(tool) is None:
            return f"{tool} is not on PATH (apt-get install {package}; scripts/setup.sh installs it)"
    return None


def clean_env() -> dict:
    drop = ("MLFLOW_", "AWS_", "MLSERVER_", "PYTHON", "VIRTUAL_ENV", "prometheus_multiproc_dir")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


def call(method: str, url: str, body: dict | None = None, auth: tuple[str, str] | None = None) -> int:
    headers = {"Content-Type": "application/json"}
    if auth:
        import base64

        headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def prom(url: str, query: str) -> list:
    """The result of an instant query; an invalid query fails the test with Prometheus's message."""
    address = f"{url}/api/v1/query?" + urllib.parse.urlencode({"query": query})
    try:
        with urllib.request.urlopen(address, timeout=10) as answer:
            return json.loads(answer.read())["data"]["result"]
    except urllib.error.HTTPError as error:
        raise AssertionError(f"Prometheus refuses {query!r}: {error.read().decode()}") from None


def _top_level_or(expr: str) -> list[str]:
    """``expr`` split at its ``or`` operators outside parentheses and braces."""
    sides, depth, start = [], 0, 0
    for i, ch in enumerate(expr):
        depth += {"(": 1, "{": 1, ")": -1, "}": -1}.get(ch, 0)
        if depth == 0 and expr.startswith(" or ", i):
            sides.append(expr[start:i])
            start = i + 4
    return [*sides, expr[start:]]


def signal(expr: str) -> str:
    """An alert expression without its final comparisons with a number: what the alert compares.

    ``a > 1 or b > 1`` -> ``a or b``: each side of a union loses its own comparison.
    """
    return " or ".join(_COMPARISON.sub("", side.strip()) for side in _top_level_or(" ".join(expr.split())))


class Webhook(http.server.ThreadingHTTPServer):
    """Receives Alertmanager's notifications: path -> [payload]."""

    def __init__(self) -> None:
        received: dict[str, list] = {}

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                payload = self.rfile.read(length)
                with contextlib.suppress(ValueError):
                    received.setdefault(self.path, []).append(json.loads(payload or b"{}"))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.received = received
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def dashboard_queries() -> dict:
    """title -> PromQL of every panel of the platform dashboard (scripts/dashboards.py)."""
    spec = importlib.util.spec_from_file_location("platform_dashboards", REPO / "scripts" / "dashboards.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.QUERIES)


class Stack:
    def __init__(self, build: Path, work: Path) -> None:
        self.cluster = build / "mlops-dev"
        self.objs = manifests.all_objects(manifests.load_tree(self.cluster))
        self.work = work
        self.logs = work / "logs"
        self.logs.mkdir()
        self.started: list = []
        self.password = secrets.token_urlsafe(18)
        self.webhook = None

    # ------------------------------------------------------------------ the rendered objects
    def one(self, kind: str, name: str) -> dict:
        found = [o for o in self.objs if o.get("kind") == kind and o["metadata"]["name"] == name]
        assert len(found) == 1, f"{kind} {name}: {len(found)} in the render"
        return found[0]

    def rules(self) -> list[dict]:
        return self.one("PrometheusRule", RULE)["spec"]["groups"]

    def alerts(self) -> list[dict]:
        return [rule for group in self.rules() for rule in group["rules"] if "alert" in rule]

    def monitor_secrets(self) -> dict:
        """(namespace, Secret, key) -> value for every basicAuth of a monitor: MLflow's admin login."""
        values = {}
        for monitor in self.objs:
            if monitor.get("kind") not in ("ServiceMonitor", "PodMonitor"):
                continue
            spec = monitor.get("spec") or {}
            for endpoint in [*(spec.get("endpoints") or ()), *(spec.get("podMetricsEndpoints") or ())]:
                auth = endpoint.get("basicAuth")
                if auth:
                    namespace = scrape._ns(monitor)
                    values[(namespace, auth["username"]["name"], auth["username"]["key"])] = "admin"
                    values[(namespace, auth["password"]["name"], auth["password"]["key"])] = self.password
        return values

    # ------------------------------------------------------------------ servers
    def start(self) -> None:
        model = self.work / "model"
        subprocess.run(
            [str(SERVING_VENV / "bin" / "python"), "-c", MAKE_MODEL, str(model)], env=clean_env(), check=True
        )
        import concurrent.futures

        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            futures = {"mlflow": pool.submit(self.start_mlflow)}
            for name in (STABLE, CANARY):
                (self.logs / name).mkdir()
                futures[name] = pool.submit(
                    servers.start_mlserver, SERVING_VENV, model, name, clean_env(), self.logs / name, 90
                )
            for future in futures.values():
                with contextlib.suppress(Exception):
                    self.started.append(future.result())
            self.servers = {name: future.result() for name, future in futures.items()}
        self.webhook = Webhook()
        self.alertmanager = self.start_alertmanager()
        self.started.append(self.alertmanager)
        self.prometheus = self.start_prometheus()
        self.started.append(self.prometheus)

    def start_mlflow(self) -> servers.Server:
        """MLflow as the chart runs it: basic-auth app, --expose-prometheus."""
        port = servers.free_port()
        folder = self.logs / "mlflow"
        folder.mkdir()
        (folder / "metrics").mkdir()
        ini = folder / "basic_auth.ini"
        ini.write_text(
            "[mlflow]\ndefault_permission = READ\n"
            f"database_uri = sqlite:///{folder / 'auth.db'}\n"
            f"admin_username = admin\nadmin_password = {self.password}\n"
            "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
        )
        argv = [
            str(MLFLOW_VENV / "bin" / "mlflow"),
            "server",
            "--backend-store-uri",
            f"sqlite:///{folder / 'mlflow.db'}",
            "--artifacts-destination",
            str(folder / "artifacts"),
            "--serve-artifacts",
            "--expose-prometheus",
            str(folder / "metrics"),
            "--app-name",
            "basic-auth",
            "--workers",
            "1",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
        env = dict(clean_env(), MLFLOW_AUTH_CONFIG_PATH=str(ini), MLFLOW_FLASK_SERVER_SECRET_KEY=secrets.token_hex(16))
        server = servers.Server("mlflow", argv, folder / "mlflow.log", env=env, cwd=folder)
        server.url = f"http://127.0.0.1:{port}"
        return server.ready_or_stop(lambda: servers.http_ok(server.url + "/health"), 90)

    def bindings(self) -> dict:
        """(namespace, workload, container port) -> local address, for the containers this test runs."""
        mlflow = self.one("Deployment", "mlflow")
        container = mlflow["spec"]["template"]["spec"]["containers"][0]
        port = next(p["containerPort"] for p in container["ports"])
        bind = {(scrape._ns(mlflow), "mlflow", port): urllib.parse.urlsplit(self.servers["mlflow"].url).netloc}
        for name in (STABLE, CANARY):
            isvc = self.one("InferenceService", name)
            server = self.servers[name]
            workload = f"{name}-predictor"
            namespace = scrape._ns(isvc)
            bind[(namespace, workload, 8080)] = urllib.parse.urlsplit(server.url).netloc
            bind[(namespace, workload, 8082)] = urllib.parse.urlsplit(server.metrics_url).netloc
        return bind

    def start_alertmanager(self) -> servers.Server:
        config, external = alerting_objects(monitoring(self.cluster))
        meta, spec = external["metadata"], external["spec"]
        urls = {
            (meta["namespace"], spec["target"]["name"], item["secretKey"]): f"{self.webhook.url}/{item['secretKey']}"
            for item in spec["data"]
        }
        alertmanager = Converter(config, urls).config()
        # Notify at once: the inventory's group_wait (30 s) would only slow the test; the routing tree is unchanged.
        alertmanager["route"]["group_wait"] = "0s"
        alertmanager["route"]["group_interval"] = "1s"
        path = self.logs / "alertmanager.yml"
        path.write_text(yaml.safe_dump(alertmanager, sort_keys=False))
        self.alertmanager_config = path
        port, cluster = servers.free_port(), servers.free_port()
        argv = [
            "prometheus-alertmanager",
            f"--config.file={path}",
            f"--web.listen-address=127.0.0.1:{port}",
            f"--cluster.listen-address=127.0.0.1:{cluster}",
            f"--storage.path={self.logs / 'alertmanager'}",
        ]
        server = servers.Server("alertmanager", argv, self.logs / "alertmanager.log", env=clean_env(), cwd=self.logs)
        server.url = f"http://127.0.0.1:{port}"
        return server.ready_or_stop(lambda: servers.http_ok(server.url + "/-/ready"), 30)

    def start_prometheus(self) -> servers.Server:
        jobs = scrape.scrape_configs(self.objs, self.bindings(), self.monitor_secrets())
        self.jobs = jobs
        groups = self.rules()
        # An immediate copy of HighInferenceErrorRate (for: 0s) fires at once for Alertmanager; the rendered rules
        # stay as they are (their `for` is what the pending checks read).
        immediate = [
            {**rule, "for": "0s", "labels": {**rule.get("labels", {}), "live_test": "immediate"}}
            for group in groups
            for rule in group["rules"]
            if rule.get("alert") == "HighInferenceErrorRate"
        ]
        rules = self.logs / "rules.yml"
        rules.write_text(yaml.safe_dump({"groups": [*groups, {"name": "live-test-immediate", "rules": immediate}]}))
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(rules)],
            "alerting": {
                "alertmanagers": [
                    {"static_configs": [{"targets": [urllib.parse.urlsplit(self.alertmanager.url).netloc]}]}
                ]
            },
            "scrape_configs": jobs,
        }
        return servers.start_prometheus(config, self.logs, clean_env())

    # ------------------------------------------------------------------ traffic
    def wait_for(self, query: str, what: str, count: int = 1, deadline: float = 40) -> list:
        end = time.monotonic() + deadline
        result: list = []
        while time.monotonic() < end:
            result = prom(self.prometheus.url, query)
            if len(result) >= count:
                return result
            time.sleep(0.5)
        raise AssertionError(f"Prometheus never saw {what} ({query}): {result}\n{self.describe()}")

    def traffic(self) -> None:
        """Requests in two batches a scrape apart, so that every counter increases inside the rate windows."""
        self.wait_for("up == 1", "every generated target up", count=len(self.jobs_with_targets()))
        auth = ("admin", self.password)
        for batch in range(2):
            for _request in range(4):
                assert call("POST", f"{self.servers[STABLE].url}/v2/models/{STABLE}/infer", GOOD_REQUEST) == 200
                assert call("POST", f"{self.servers[CANARY].url}/v2/models/{CANARY}/infer", GOOD_REQUEST) == 200
                assert call("POST", f"{self.servers[CANARY].url}/v2/models/{CANARY}/infer", BAD_REQUEST) == 500
                mlflow = self.servers["mlflow"].url
                assert call("GET", f"{mlflow}/api/2.0/mlflow/experiments/search?max_results=5", auth=auth) == 200
            if batch == 0:
                self.wait_for('rest_server_requests_total{path=~".*/infer"}', "the first requests", count=3)
        self.wait_for(
            'increase(rest_server_requests_total{path=~".*/infer"}[1m]) > 0', "the requests increase", count=3
        )

    def jobs_with_targets(self) -> list[str]:
        return [job["job_name"] for job in self.jobs]

    def describe(self) -> str:
        return "\n".join(server.describe() for server in self.started)

    def stop(self) -> None:
        for server in reversed(self.started):
            with contextlib.suppress(Exception):
                server.stop()
        if self.webhook:
            self.webhook.stop()


@pytest.fixture(scope="module")
def stack(full_builds, tmp_path_factory):
    why = missing()
    if why:
        pytest.fail(why)
    live = Stack(full_builds[INVENTORY], tmp_path_factory.mktemp("observability-live"))
    try:
        live.start()
        live.traffic()
        yield live
    finally:
        live.stop()


def test_monitors_select_the_running_servers(stack):
    """Each rendered monitor of MLflow and the MLServer predictors yields an up target with the platform's labels."""
    up = {
        (r["metric"]["job"], r["metric"].get("namespace"), r["metric"].get("inferenceservice", "")): r["value"][1]
        for r in prom(stack.prometheus.url, "up")
    }
    assert up.get(("mlflow", "mlflow", "")) == "1", f"MLflow's ServiceMonitor scrapes nothing up: {up}"
    for name in (STABLE, CANARY):
        assert up.get(("kserve/mlserver-predictors", "kserve", name)) == "1", f"{name}'s predictor: {up}"
    # Only those: the PodMonitor keeps the metrics port, not http1 (bound too), and the vLLM PodMonitor nothing.
    assert len(up) == 3, up


def metrics_in(expr: str) -> list[str]:
    """The metric names a PromQL expression selects."""
    return sorted(parse_promql(expr).metrics)


def test_every_alert_is_valid_and_the_live_ones_return_series(stack):
    report, live = [], []
    for rule in stack.alerts():
        expr = rule["expr"]
        prom(stack.prometheus.url, expr)  # valid (raises with Prometheus's message otherwise)
        if any(re.search(rf"\b{re.escape(p)}", expr) for p in LIVE_PREFIXES[:-1]) or rule["alert"] == "MLflowDown":
            series = prom(stack.prometheus.url, signal(expr))
            assert series, f"{rule['alert']}: {signal(expr)} returns nothing over the live targets"
            live.append(rule["alert"])
            seen = f"{len(series)} series live"
        else:
            seen = "valid; its exporter does not run here"
        report.append(f"  {rule['alert']:<28} {', '.join(metrics_in(expr)):<70} {seen}")
    assert {"HighInferenceLatency", "HighInferenceErrorRate", "MLflowDown"} <= set(live), live
    print("\nalert                        metrics" + " " * 64 + "seen\n" + "\n".join(report))


def test_canary_error_ratio_takes_the_alert_to_pending(stack):
    ratio = stack.wait_for(
        'ALERTS{alertname="HighInferenceErrorRate", alertstate="pending", live_test=""}',
        "HighInferenceErrorRate pending",
    )
    assert {r["metric"].get("inferenceservice") for r in ratio} == {CANARY}, ratio


def test_dashboard_queries_are_valid_and_return_series(stack):
    queries = dashboard_queries()
    assert len(queries) >= 7, queries
    empty, report = [], []
    for title, expr in queries.items():
        query = expr.replace("$__rate_interval", "1m").replace("$namespace", ".*")
        result = prom(stack.prometheus.url, query)
        offline = re.search(r"DCGM_|argo_workflows_", expr)
        if not result and not offline:
            empty.append(title)
        seen = f"{len(result)} series live" if result else "valid; its exporter does not run here"
        report.append(f"  {title:<26} {', '.join(metrics_in(expr)):<50} {seen}")
    assert not empty, f"panels without series over the live targets: {empty}"
    print("\npanel                      metrics" + " " * 44 + "seen\n" + "\n".join(report))


def test_a_firing_alert_reaches_the_inventory_receivers(stack):
    from .test_alert_routing import routes_of

    labels = {"alertname": "HighInferenceErrorRate", "severity": "critical", "namespace": "kserve"}
    expected = {name.rsplit("/", 1)[-1] for name in routes_of(stack.alertmanager_config, labels)}
    assert expected, "the inventory routes critical alerts nowhere"
    end = time.monotonic() + 30
    while time.monotonic() < end and not expected <= {p.strip("/") for p in stack.webhook.received}:
        time.sleep(0.5)
    got = {path.strip("/") for path in stack.webhook.received}
    assert expected <= got, f"receivers {sorted(expected)} expected, notified: {sorted(got)}\n{stack.describe()}"
    payloads = [p for path in expected for p in stack.webhook.received[f"/{path}"]]
    assert any("HighInferenceErrorRate" in json.dumps(p) for p in payloads), payloads


def _planted(objs: list[dict]) -> list[dict]:
    """The rendered set with three monitor defects: the MLServer PodMonitor's selector names a server label value no
    pod has, its relabelings are gone, and MLflow's ServiceMonitor scrapes without the login."""
    # Only the monitors are copied: the other objects keep their identity, by which the loader remembers the release
    # namespace of chart objects that name none.
    monitors = ("PodMonitor", "ServiceMonitor")
    planted = [copy.deepcopy(o) if o.get("kind") in monitors else o for o in objs]
    for obj in planted:
        name = (obj.get("metadata") or {}).get("name")
        if obj.get("kind") == "PodMonitor" and name == "mlserver-predictors":
            obj["spec"]["selector"]["matchLabels"]["platform.mlops/server"] = "mlserver-1.5"
        if obj.get("kind") == "PodMonitor" and name == "vllm-predictors":
            obj["spec"]["selector"]["matchLabels"]["platform.mlops/server"] = "mlserver"  # scrapes MLServer's http1
            for endpoint in obj["spec"]["podMetricsEndpoints"]:
                endpoint.pop("relabelings", None)
        if obj.get("kind") == "ServiceMonitor" and name == "mlflow":
            for endpoint in obj["spec"]["endpoints"]:
                endpoint.pop("basicAuth", None)
    return planted


def test_planted_monitor_defects_are_seen(stack):
    """The same servers scraped through defective monitors: the checks above would fail."""
    jobs = scrape.scrape_configs(_planted(stack.objs), stack.bindings(), stack.monitor_secrets())
    config = {"global": {"scrape_interval": "1s"}, "scrape_configs": jobs}
    planted = servers.start_prometheus(config, stack.logs, clean_env(), name="prometheus-planted")
    try:
        end = time.monotonic() + 20
        up: list = []
        while time.monotonic() < end:
            up = prom(planted.url, "up")
            if len(up) >= 3:
                break
            time.sleep(0.5)
        seen = {(r["metric"]["job"], r["metric"].get("inferenceservice", ""), r["value"][1]) for r in up}
        # MLflow answers 401 without the login: down. The MLServer PodMonitor selects no pod; the vLLM one (pointed at
        # MLServer's http1 port, which serves no /metrics) keeps targets without the inferenceservice label.
        assert ("mlflow", "", "0") in seen, seen
        assert not any(job == "kserve/mlserver-predictors" for job, _isvc, _value in seen), seen
        assert not any(isvc for job, isvc, _value in seen if job == "kserve/vllm-predictors"), seen
    finally:
        planted.stop()


def test_stopping_mlflow_takes_mlflowdown_to_pending(stack):
    stack.servers["mlflow"].stop()
    stack.wait_for('ALERTS{alertname="MLflowDown", alertstate="pending"}', "MLflowDown pending", deadline=30)

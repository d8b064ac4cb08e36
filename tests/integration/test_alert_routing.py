"""Alertmanager routing of the rendered platform, proven with the real amtool.

site.yml is rendered for both dev inventories; from the rendered AlertmanagerConfig (the one
``alertmanager.alertmanagerSpec.alertmanagerConfiguration`` names) and the receivers' ExternalSecret
this builds the alertmanager.yml the Prometheus Operator would build, dummy URLs standing in for the
Secret's values, and runs ``amtool check-config`` and ``amtool config routes test`` on it: critical
alerts reach the critical receiver, warnings the Slack receiver, Watchdog and InfoInhibitor the
``null`` receiver, and no other alert ends at ``null``. No receiver URL is in any rendered file, and
each kind of bad receiver setting stops the run in preflight with a message naming the variable.
Every check is also run once on a planted defect and must fail there.

What the conversion relies on (prometheus-operator v0.82.2, the operator of kube-prometheus-stack
72.6.2), read in its source:
  * the AlertmanagerConfig named by ``alertmanagerConfiguration`` becomes the whole configuration:
    its route is the root route and its inhibit rules are kept, without the ``namespace`` matcher
    the operator adds to the routes of other AlertmanagerConfigs
    (Ref https://github.com/prometheus-operator/prometheus-operator/blob/v0.82.2/Documentation/developer/alerting.md);
  * receiver names are nevertheless prefixed ``<namespace>/<name>/`` there too, in the routes and
    the receivers alike (``initializeFromAlertmanagerConfig`` converts with ``convertRoute`` and
    ``convertReceiver``, which call ``makeNamespacedString``; the golden file
    pkg/alertmanager/testdata/valid_global_config.golden shows ``mynamespace/global-config/null``)
    (Ref https://github.com/prometheus-operator/prometheus-operator/blob/v0.82.2/pkg/alertmanager/amcfg.go);
  * a matcher with a ``matchType`` becomes the string ``name<matchType>"<value>"`` with ``\\``, ``"``
    and newlines escaped (``Matcher.String``,
    Ref https://github.com/prometheus-operator/prometheus-operator/blob/v0.82.2/pkg/apis/monitoring/v1alpha1/alertmanager_config_types.go);
  * ``apiURL``, ``urlSecret`` and ``routingKey`` are read from the Secret in the AlertmanagerConfig's
    namespace and written into alertmanager.yml as ``api_url``, ``url`` and ``routing_key``.
Fields the platform does not render are refused by the conversion rather than guessed.

Environment: PLATFORM_UPSTREAM (the chart mirror, see conftest.py); PLATFORM_AMTOOL (amtool binary,
default ``amtool`` on PATH: Debian package prometheus-alertmanager). Without amtool the amtool tests
skip and say so.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from .conftest import INVENTORIES, REPO, run_site
from .platform_checks import manifests, schemas

AMTOOL = shutil.which(os.environ.get("PLATFORM_AMTOOL") or "amtool")
needs_amtool = pytest.mark.skipif(
    AMTOOL is None, reason="amtool not found (apt-get install prometheus-alertmanager, or set PLATFORM_AMTOOL)"
)

NULL = "null"
# The helper alerts that go nowhere; every other alert must reach a receiver.
SILENT_ALERTS = ("Watchdog", "InfoInhibitor")
# Where each severity goes with the inventories' receivers (inventories/*/group_vars/all/alerts.yml).
# None: an alert without a severity label.
ROUTING = {
    "aws-dev": {"critical": ["oncall", "slack"], "warning": ["slack"], "info": ["slack"], None: ["slack"]},
    "azure-dev": {"critical": ["oncall"], "warning": ["slack"], "info": ["slack"], None: ["slack"]},
}
# A sample of ordinary alerts: severities, names and namespaces of the platform's rules and others.
NORMAL_SEVERITIES = ("critical", "warning", "info", "none", "page", None)
NORMAL_ALERTS = ("KubePodCrashLooping", "TargetDown", "PrometheusRuleFailures", "watchdog", "WatchdogX")
NORMAL_NAMESPACES = ("monitoring", "mlflow", "kube-system")

# Hosts of notification services: none may appear in a rendered file (their URLs carry the credential).
NOTIFICATION_HOSTS = re.compile(
    r"hooks\.slack\.com|events\.pagerduty\.com|webhook\.office\.com|outlook\.office\.com/webhook"
    r"|api\.opsgenie\.com|discord(app)?\.com/api/webhooks|\.receiver\.invalid",
    re.IGNORECASE,
)
URL = re.compile(r"[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def cluster_of(name: str) -> str:
    settings = yaml.safe_load((REPO / "inventories" / name / "group_vars" / "all" / "platform.yml").read_text())
    return settings["platform_cluster_name"]


def monitoring(cluster: Path) -> manifests.Component:
    """The rendered monitoring component of ``cluster`` (build/<cluster>), without the chart's objects."""
    folder = cluster / "monitoring"
    return manifests.Component(
        name="monitoring",
        path=folder,
        our_objects=manifests.load_documents(folder / manifests.MANIFESTS_FILE, component="monitoring"),
        values=yaml.safe_load((folder / manifests.VALUES_FILE).read_text()),
    )


def find(objects: list, kind: str, name: str) -> dict:
    found = [o for o in objects if o.get("kind") == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind} {name}: found {len(found)}"
    return found[0]


def alerting_objects(component: manifests.Component) -> tuple[dict, dict]:
    """(the AlertmanagerConfig the values name, the ExternalSecret that makes the Secret it reads)."""
    spec = component.values["alertmanager"]["alertmanagerSpec"]
    config = find(component.our_objects, "AlertmanagerConfig", spec["alertmanagerConfiguration"]["name"])
    secrets = {
        ref["name"]
        for receiver in config["spec"]["receivers"]
        for kind in ("slackConfigs", "webhookConfigs", "pagerdutyConfigs")
        for item in receiver.get(kind) or []
        for ref in (item.get("apiURL"), item.get("urlSecret"), item.get("routingKey"))
        if ref
    }
    assert len(secrets) == 1, f"the receivers read {sorted(secrets)}; expected one Secret"
    external = [
        o
        for o in component.our_objects
        if o.get("kind") == "ExternalSecret" and o["spec"]["target"]["name"] == next(iter(secrets))
    ]
    assert len(external) == 1, f"no single ExternalSecret makes Secret {secrets}"
    return config, external[0]


# ---------------------------------------------------------------------------------------------------
# AlertmanagerConfig -> alertmanager.yml (the operator's conversion, for the fields the platform uses)
# ---------------------------------------------------------------------------------------------------
def dummy_secret_values(external_secret: dict) -> dict:
    """(namespace, Secret, key) -> a dummy URL, for every key the ExternalSecret puts in its Secret."""
    meta, spec = external_secret["metadata"], external_secret["spec"]
    return {
        (
            meta["namespace"],
            spec["target"]["name"],
            item["secretKey"],
        ): f"https://{item['secretKey']}.receiver.invalid/x"
        for item in spec["data"]
    }


def matcher_string(matcher: dict) -> str:
    if not matcher.get("matchType"):
        raise ValueError(f"matcher without matchType (the operator would use deprecated match/match_re): {matcher}")
    value = matcher.get("value", "").replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
    return f'{matcher["name"]}{matcher["matchType"]}"{value}"'


def _only(obj: dict, allowed: set, what: str) -> None:
    unknown = set(obj) - allowed
    if unknown:
        raise ValueError(f"{what}: the conversion does not handle {sorted(unknown)}")


class Converter:
    """Builds alertmanager.yml from the top-level AlertmanagerConfig ``config``."""

    def __init__(self, config: dict, secret_values: dict):
        self.namespace = config["metadata"]["namespace"]
        self.prefix = f"{self.namespace}/{config['metadata']['name']}/"
        self.spec = config["spec"]
        self.secrets = secret_values

    def name(self, receiver: str) -> str:
        return self.prefix + receiver

    def secret(self, selector: dict, where: str) -> str:
        key = (self.namespace, selector.get("name"), selector.get("key"))
        if key not in self.secrets:
            raise ValueError(f"{where}: Secret {key[1]} key {key[2]} in {key[0]} is made by no ExternalSecret")
        return self.secrets[key]

    def route(self, route: dict, where: str = "route") -> dict:
        _only(
            route,
            {"receiver", "groupBy", "groupWait", "groupInterval", "repeatInterval", "matchers", "continue", "routes"},
            where,
        )
        out = {"receiver": self.name(route["receiver"])} if route.get("receiver") else {}
        for ours, theirs in (
            ("groupBy", "group_by"),
            ("groupWait", "group_wait"),
            ("groupInterval", "group_interval"),
            ("repeatInterval", "repeat_interval"),
        ):
            if route.get(ours):
                out[theirs] = route[ours]
        if route.get("matchers"):
            out["matchers"] = [matcher_string(m) for m in route["matchers"]]
        if route.get("continue"):
            out["continue"] = True
        if route.get("routes"):
            out["routes"] = [self.route(child, f"{where}.routes[{i}]") for i, child in enumerate(route["routes"])]
        return out

    def receiver(self, receiver: dict) -> dict:
        where = f"receiver {receiver.get('name')}"
        _only(receiver, {"name", "slackConfigs", "webhookConfigs", "pagerdutyConfigs"}, where)
        out = {"name": self.name(receiver["name"])}
        for item in receiver.get("slackConfigs") or []:
            _only(item, {"apiURL", "channel", "sendResolved"}, f"{where} slackConfigs")
            slack = {"api_url": self.secret(item["apiURL"], where), "send_resolved": item.get("sendResolved", False)}
            if item.get("channel"):
                slack["channel"] = item["channel"]
            out.setdefault("slack_configs", []).append(slack)
        for item in receiver.get("webhookConfigs") or []:
            _only(item, {"url", "urlSecret", "sendResolved"}, f"{where} webhookConfigs")
            url = self.secret(item["urlSecret"], where) if item.get("urlSecret") else item.get("url")
            out.setdefault("webhook_configs", []).append({"url": url, "send_resolved": item.get("sendResolved", True)})
        for item in receiver.get("pagerdutyConfigs") or []:
            _only(item, {"routingKey", "sendResolved"}, f"{where} pagerdutyConfigs")
            out.setdefault("pagerduty_configs", []).append(
                {"routing_key": self.secret(item["routingKey"], where), "send_resolved": item.get("sendResolved", True)}
            )
        return out

    def inhibit_rule(self, rule: dict) -> dict:
        _only(rule, {"sourceMatch", "targetMatch", "equal"}, "inhibit rule")
        out = {
            "source_matchers": [matcher_string(m) for m in rule.get("sourceMatch") or []],
            "target_matchers": [matcher_string(m) for m in rule.get("targetMatch") or []],
        }
        if rule.get("equal"):
            out["equal"] = rule["equal"]
        return out

    def config(self) -> dict:
        _only(self.spec, {"route", "receivers", "inhibitRules"}, "spec")
        return {
            "route": self.route(self.spec["route"]),
            "receivers": [self.receiver(r) for r in self.spec.get("receivers") or []],
            "inhibit_rules": [self.inhibit_rule(r) for r in self.spec.get("inhibitRules") or []],
        }


def alertmanager_yml(config: dict, external_secret: dict) -> dict:
    return Converter(config, dummy_secret_values(external_secret)).config()


# ---------------------------------------------------------------------------------------------------
# amtool
# ---------------------------------------------------------------------------------------------------
def amtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([AMTOOL, *args], capture_output=True, text=True, timeout=60, check=False)


def write_config(alertmanager: dict, path: Path) -> Path:
    path.write_text(yaml.safe_dump(alertmanager, sort_keys=False))
    return path


def check_config(path: Path) -> list[str]:
    proc = amtool("check-config", str(path))
    return [] if proc.returncode == 0 else [f"amtool check-config {path.name}: {proc.stdout}{proc.stderr}".strip()]


def routes_of(path: Path, labels: dict) -> list[str]:
    """The receivers ``amtool config routes test`` resolves an alert with ``labels`` to, in order."""
    args = [f"{k}={v}" for k, v in labels.items()]
    proc = amtool("config", "routes", "test", f"--config.file={path}", *args)
    if proc.returncode != 0:
        raise AssertionError(f"amtool config routes test {' '.join(args)}: {proc.stdout}{proc.stderr}")
    return [name for name in proc.stdout.strip().split(",") if name]


def label_text(labels: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in labels.items())


def routing_problems(path: Path, prefix: str, expected: dict, log: list) -> list[str]:
    """Each severity's alert (and Watchdog, InfoInhibitor) reaches exactly the expected receivers."""
    cases = [
        ({"alertname": "KubePodCrashLooping", "namespace": "mlflow", **({"severity": s} if s else {})}, want)
        for s, want in expected.items()
    ]
    cases += [({"alertname": name, "namespace": "monitoring", "severity": "none"}, [NULL]) for name in SILENT_ALERTS]
    problems = []
    for labels, want in cases:
        got = routes_of(path, labels)
        log.append(f"{label_text(labels)} -> {','.join(got)}")
        if got != [prefix + name for name in want]:
            problems.append(f"{label_text(labels)}: routed to {got}, expected {[prefix + n for n in want]}")
    return problems


def null_problems(path: Path, prefix: str, log: list | None = None) -> list[str]:
    """No ordinary alert ends at the null receiver: the sample resolved by amtool, and the tree's shape
    (the root's receiver is a real one; a route to null matches Watchdog or InfoInhibitor only)."""
    null = prefix + NULL
    problems = []
    for severity in NORMAL_SEVERITIES:
        for alert in NORMAL_ALERTS:
            for namespace in NORMAL_NAMESPACES:
                labels = {"alertname": alert, "namespace": namespace, **({"severity": severity} if severity else {})}
                got = routes_of(path, labels)
                if log is not None:
                    log.append(f"{label_text(labels)} -> {','.join(got)}")
                if null in got or not got:
                    problems.append(f"{label_text(labels)}: routed to {got}")
    tree = yaml.safe_load(path.read_text())["route"]
    if tree.get("receiver") == null:
        problems.append("the root route's receiver is null: every alert no child route takes is dropped")

    def walk(route: dict, where: str) -> None:
        for i, child in enumerate(route.get("routes") or []):
            here = f"{where}.routes[{i}]"
            if child.get("receiver") == null and not _silent_only(child.get("matchers") or []):
                problems.append(f"{here} sends {child.get('matchers')} to null: not only {', '.join(SILENT_ALERTS)}")
            walk(child, here)

    walk(tree, "route")
    return problems


def _silent_only(matchers: list) -> bool:
    """Whether one of ``matchers`` restricts alertname to the silent alerts (Watchdog, InfoInhibitor)."""
    for matcher in matchers:
        match = re.fullmatch(r'alertname(=~|=)"(.*)"', matcher)
        if match and set(match[2].split("|") if match[1] == "=~" else [match[2]]) <= set(SILENT_ALERTS):
            return True
    return False


def url_leaks(build: Path) -> list[str]:
    """Notification-service URLs anywhere in a rendered tree, and any URL in the objects that configure
    the receivers (the AlertmanagerConfig, the receivers' ExternalSecret, the chart's alertmanager values)."""
    problems = [
        f"{path.relative_to(build)}: {match[0]}"
        for path in sorted(build.rglob("*"))
        if path.is_file()
        for match in [NOTIFICATION_HOSTS.search(path.read_text(errors="replace"))]
        if match
    ]
    for host in sorted(path.parent.parent for path in build.glob("*/monitoring/manifests.yaml")):
        comp = monitoring(host)
        config, external = alerting_objects(comp)
        for what, value in (
            ("AlertmanagerConfig", config),
            ("ExternalSecret", external),
            ("values alertmanager", comp.values.get("alertmanager")),
        ):
            problems += [f"{host.name}/monitoring {what}: {text}" for text in _strings(value) if URL.search(text)]
    return problems


def _strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(k) + _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


# ---------------------------------------------------------------------------------------------------
# The rendered platform
# ---------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def built(rendered, tmp_path_factory) -> dict:
    """inventory -> (AlertmanagerConfig, ExternalSecret, alertmanager.yml path, receiver name prefix)."""
    out = {}
    for name in INVENTORIES:
        config, external = alerting_objects(monitoring(rendered[name].build_dir / cluster_of(name)))
        path = write_config(alertmanager_yml(config, external), tmp_path_factory.mktemp(name) / "alertmanager.yml")
        out[name] = (config, external, path, f"{config['metadata']['namespace']}/{config['metadata']['name']}/")
    return out


def inventory_receivers(name: str) -> list:
    return yaml.safe_load((REPO / "inventories" / name / "group_vars/all/alerts.yml").read_text())[
        "monitoring_alert_receivers"
    ]


def wiring_problems(config: dict, external: dict, receivers: list, crd_schemas: dict) -> list[str]:
    """The AlertmanagerConfig and the receivers' ExternalSecret validate against their CRDs, and carry the
    inventory's receivers: the Secret is made in the AlertmanagerConfig's namespace from the platform
    store, one key a receiver (its name) from the receiver's secret_ref (and secret_property)."""
    problems = schemas.validate_custom([config, external], crd_schemas)
    if external["metadata"]["namespace"] != config["metadata"]["namespace"]:
        problems.append(
            f"ExternalSecret in {external['metadata']['namespace']}, not the AlertmanagerConfig's namespace"
        )
    store = yaml.safe_load((REPO / "roles/platform/defaults/main/platform.yml").read_text())["platform_secret_store"]
    if external["spec"].get("secretStoreRef") != {"kind": "ClusterSecretStore", "name": store}:
        problems.append(
            f"ExternalSecret store {external['spec'].get('secretStoreRef')}, not ClusterSecretStore {store}"
        )
    made = {d["secretKey"]: d["remoteRef"] for d in external["spec"].get("data") or []}
    wanted = {
        r["name"]: {"key": r["secret_ref"], **({"property": r["secret_property"]} if r.get("secret_property") else {})}
        for r in receivers
    }
    if made != wanted:
        problems.append(f"ExternalSecret keys {made}, expected {wanted}")
    # Child routes are free-form in the CRD (x-kubernetes-preserve-unknown-fields): the conversion's
    # refusal of fields it does not know is their check.
    names = [r["name"] for r in config["spec"].get("receivers") or []]
    if names != [NULL, *wanted]:
        problems.append(f"AlertmanagerConfig receivers {names}, expected {[NULL, *wanted]}")
    return problems


@pytest.fixture(scope="module")
def crd_schemas(upstream):
    return schemas.load_crd_schemas(upstream / "crds")


@pytest.mark.parametrize("name", INVENTORIES)
def test_alerting_objects_validate_and_are_wired(built, crd_schemas, name):
    config, external, _path, _prefix = built[name]
    problems = wiring_problems(config, external, inventory_receivers(name), crd_schemas)
    assert not problems, "\n".join(problems)


def test_wiring_check_fails_on_a_planted_defect(built, crd_schemas):
    config, external, _path, _prefix = built["azure-dev"]
    receivers = inventory_receivers("azure-dev")
    wrong_ref, wrong_namespace, wrong_field = copy.deepcopy(external), copy.deepcopy(external), copy.deepcopy(config)
    wrong_ref["spec"]["data"][0]["remoteRef"]["key"] = "someone-elses-secret"
    wrong_namespace["metadata"]["namespace"] = "default"
    wrong_field["spec"]["receivers"][1]["slackConfigs"][0]["webhookURL"] = "x"
    assert [p for p in wiring_problems(config, wrong_ref, receivers, crd_schemas) if "someone-elses-secret" in p]
    assert [p for p in wiring_problems(config, wrong_namespace, receivers, crd_schemas) if "not the Alert" in p]
    assert [p for p in wiring_problems(wrong_field, external, receivers, crd_schemas) if "webhookURL" in p]
    assert wiring_problems(config, external, receivers[::-1], crd_schemas)


@needs_amtool
@pytest.mark.parametrize("name", INVENTORIES)
def test_amtool_accepts_and_routes_the_rendered_configuration(built, name):
    _config, _external, path, prefix = built[name]
    assert not check_config(path)
    log: list = []
    problems = routing_problems(path, prefix, ROUTING[name], log)
    print(f"{name}:\n  " + "\n  ".join(log))
    assert not problems, "\n".join(problems)


@needs_amtool
@pytest.mark.parametrize("name", INVENTORIES)
def test_no_ordinary_alert_ends_at_null(built, name):
    _config, _external, path, prefix = built[name]
    problems = null_problems(path, prefix)
    assert not problems, "\n".join(problems)


def test_no_receiver_url_in_any_rendered_file(rendered):
    for name in INVENTORIES:
        assert not url_leaks(rendered[name].build_dir), url_leaks(rendered[name].build_dir)
    for name in INVENTORIES:
        text = (REPO / "inventories" / name / "group_vars/all/alerts.yml").read_text()
        assert not URL.search(text), f"inventories/{name} alerts.yml holds a URL"


# ---------------------------------------------------------------------------------------------------
# Every check fails on a planted defect
# ---------------------------------------------------------------------------------------------------
def _everything_to_null(config: dict) -> None:
    def walk(route):
        route["receiver"] = NULL
        for child in route.get("routes") or []:
            walk(child)

    walk(config["spec"]["route"])


def _default_to_null(config: dict) -> None:
    config["spec"]["route"]["receiver"] = NULL


def _severity_route_to_null(config: dict) -> None:
    config["spec"]["route"]["routes"][1]["receiver"] = NULL


def _null_route_takes_another_alert(config: dict) -> None:
    config["spec"]["route"]["routes"][0]["matchers"][0]["value"] = "Watchdog|InfoInhibitor|KubeNodeNotReady"


def _null_route_too_wide(config: dict) -> None:
    config["spec"]["route"]["routes"][0]["matchers"] = [{"name": "severity", "value": "none", "matchType": "="}]


@needs_amtool
@pytest.mark.parametrize(
    ("defect", "routing_fails", "null_fails"),
    [
        (_everything_to_null, True, True),
        (_default_to_null, True, True),
        (_severity_route_to_null, True, True),
        (_null_route_too_wide, False, True),
        (_null_route_takes_another_alert, False, True),
    ],
    ids=[
        "everything-to-null",
        "default-to-null",
        "critical-route-to-null",
        "null-route-takes-severity-none",
        "null-route-takes-an-alert-outside-the-sample",
    ],
)
def test_routing_checks_fail_on_a_planted_defect(built, tmp_path, defect, routing_fails, null_fails):
    config, external, _path, prefix = built["aws-dev"]
    broken = copy.deepcopy(config)
    defect(broken)
    path = write_config(alertmanager_yml(broken, external), tmp_path / "alertmanager.yml")
    assert not check_config(path), "the planted defect must still be a valid configuration"
    assert bool(routing_problems(path, prefix, ROUTING["aws-dev"], [])) is routing_fails
    assert bool(null_problems(path, prefix)) is null_fails


@needs_amtool
def test_amtool_check_config_fails_on_a_planted_defect(built, tmp_path):
    config, external, _path, _prefix = built["aws-dev"]
    broken = copy.deepcopy(config)
    broken["spec"]["route"]["routes"][1]["receiver"] = "nobody"
    problems = check_config(write_config(alertmanager_yml(broken, external), tmp_path / "alertmanager.yml"))
    assert problems and "nobody" in problems[0], problems


def test_conversion_fails_on_a_planted_defect(built):
    config, external, _path, _prefix = built["aws-dev"]
    wrong_key = copy.deepcopy(config)
    wrong_key["spec"]["receivers"][1]["webhookConfigs"][0]["urlSecret"]["key"] = "someone-else"
    with pytest.raises(ValueError, match="someone-else"):
        alertmanager_yml(wrong_key, external)
    unknown = copy.deepcopy(config)
    unknown["spec"]["route"]["routes"][1]["matcher"] = []
    with pytest.raises(ValueError, match="does not handle"):
        alertmanager_yml(unknown, external)


def test_url_check_fails_on_a_planted_defect(rendered, tmp_path):
    build = tmp_path / "build"
    shutil.copytree(rendered["aws-dev"].build_dir / cluster_of("aws-dev"), build / cluster_of("aws-dev"))
    assert not url_leaks(build)
    manifests_file = build / cluster_of("aws-dev") / "monitoring" / "manifests.yaml"
    text = manifests_file.read_text()
    # An inline webhook URL in the AlertmanagerConfig (a field the CRD allows).
    manifests_file.write_text(
        text.replace("urlSecret:", "url: http://oncall.example.invalid/hook\n      urlSecret:", 1)
    )
    assert url_leaks(build) == [
        f"{cluster_of('aws-dev')}/monitoring AlertmanagerConfig: http://oncall.example.invalid/hook"
    ]
    # A notification service's URL anywhere in the tree.
    manifests_file.write_text(text)
    with (build / cluster_of("aws-dev") / "mlflow" / "values.yaml").open("a") as values:
        values.write("# https://hooks.slack.com/x\n")
    assert url_leaks(build) == [f"{cluster_of('aws-dev')}/mlflow/values.yaml: hooks.slack.com"]


# ---------------------------------------------------------------------------------------------------
# Bad receiver settings stop the run in preflight
# ---------------------------------------------------------------------------------------------------
def _receivers(data: dict) -> list:
    return data["monitoring_alert_receivers"]


PLANTED_URL = "https://hooks.slack.com/services/T000/B000/planted"

BAD_SETTINGS = {
    "unknown-type": (
        "aws-dev",
        lambda d: _receivers(d)[0].update(type="email"),
        ["value of type must be one of: slack, webhook, pagerduty, got: email found in monitoring_alert_receivers"],
    ),
    "missing-secret-ref": (
        "aws-dev",
        lambda d: _receivers(d)[1].pop("secret_ref"),
        ["missing required arguments: secret_ref found in monitoring_alert_receivers"],
    ),
    "duplicate-names": (
        "azure-dev",
        lambda d: _receivers(d)[1].update(name="slack"),
        ['monitoring_alert_receivers[1] (slack).name: "slack" is also the name of monitoring_alert_receivers[0]'],
    ),
    "unknown-severity": (
        "aws-dev",
        lambda d: _receivers(d)[0].update(severities=["page"]),
        ["critical, warning, info. Got no match for: page found in monitoring_alert_receivers"],
    ),
    "empty-list": (
        "azure-dev",
        lambda d: d.update(monitoring_alert_receivers=[]),
        ["monitoring_alert_receivers: no receiver, so the platform would alert nobody", "group_vars/all/alerts.yml"],
    ),
    "url-as-secret-ref": (
        "aws-dev",
        lambda d: _receivers(d)[1].update(secret_ref=PLANTED_URL),
        ["monitoring_alert_receivers[1] (slack).secret_ref: looks like a URL"],
    ),
    "url-key": (
        "aws-dev",
        lambda d: _receivers(d)[1].update(url=PLANTED_URL),
        ["monitoring_alert_receivers.url. Supported parameters include"],
    ),
    "azure-secret-name": (
        "azure-dev",
        lambda d: _receivers(d)[0].update(secret_ref="/mlops-dev/alertmanager/slack"),
        ["monitoring_alert_receivers[0] (slack).secret_ref: not a Key Vault secret name"],
    ),
    "receiver-never-reached": (
        "azure-dev",
        lambda d: _receivers(d)[1].update(severities=["warning"]),
        ["monitoring_alert_receivers[1] (oncall).severities: warning alerts all go to monitoring_alert_receivers[0]"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_SETTINGS))
def test_bad_receiver_settings_fail_in_preflight(broken_inventory, tmp_path, upstream, case):
    name, edit, expected = BAD_SETTINGS[case]
    alerts = broken_inventory(name) / "group_vars" / "all" / "alerts.yml"
    settings = yaml.safe_load(alerts.read_text())
    edit(settings)
    alerts.write_text(yaml.safe_dump(settings))
    run = run_site(alerts.parents[2], tmp_path / "build")
    missing = [text for text in ["Preflight found", *expected] if text not in run.output]
    assert run.rc != 0 and not missing, f"missing {missing} in:\n{run.output[-4000:]}"
    for unwanted in ("Traceback", PLANTED_URL, "TASK [mlops.platform.release"):
        assert unwanted not in run.output, run.output[-4000:]
    assert not (tmp_path / "build").exists() or not any((tmp_path / "build").iterdir())


def test_monitoring_off_needs_no_receiver(broken_inventory, tmp_path, upstream):
    inventory = broken_inventory("azure-dev")
    (inventory / "group_vars" / "all" / "alerts.yml").write_text("monitoring_alert_receivers: []\n")
    run = run_site(inventory, tmp_path / "build", "-e", "monitoring_enabled=false")
    # Preflight asks for no receiver. (The render then refuses the other components' ServiceMonitors, whose
    # CRD only monitoring installs: that is the dependency check's, test_bad_inventories.py.)
    assert "Preflight found" not in run.output, run.output[-4000:]
    assert "monitoring_alert_receivers" not in run.output
    assert "ServiceMonitor (monitoring.coreos.com), whose CRD only monitoring" in " ".join(run.output.split())
    assert not (tmp_path / "build" / cluster_of("azure-dev") / "monitoring").exists()

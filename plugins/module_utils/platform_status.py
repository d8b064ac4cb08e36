# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Day-2 reports (playbooks/status.yml, playbooks/drift.yml): pure functions over what the cluster returned.

Inputs are plain data: ``helm list -A -o json`` rows, the ``resources`` of kubernetes.core.k8s_info
(Deployments, StatefulSets, DaemonSets, Ingresses, Services, cert-manager Certificates, TLS Secrets),
``terraform show -json`` of a plan, and the records of mlops.platform.release_apply in check mode.
Nothing here talks to a cluster, and no report carries a value of a Secret or of a Terraform attribute.
"""

from __future__ import annotations

import base64
import datetime
import re

from ansible_collections.mlops.platform.plugins.module_utils._cloud.base import show
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError

_NAMESPACE_VAR_RE = re.compile(r"^([a-z0-9_]+)_namespace$")
# A certificate that expires within this many days is reported as expiring (cert-manager renews 30 days
# before expiry by default for 90-day certificates: https://cert-manager.io/docs/usage/certificate/#renewal).
CERT_WARN_DAYS = 21


def _truthy(value) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "yes", "on", "1"))


def platform_namespaces(catalog, cloud, settings, releases=()) -> list:
    """The namespaces the platform runs in, sorted.

    ``settings``: the play's ``<component>[_<x>]_namespace`` and ``<component>_enabled`` variables; a namespace
    counts when its component (the longest catalog name it starts with) runs on ``cloud`` and is enabled.
    ``releases``: the Helm releases (each release's namespace counts).
    """
    if not isinstance(catalog, dict) or not isinstance(settings, dict):
        raise PlatformError(
            f"platform_namespaces: catalog and settings must be mappings, got {show(catalog)}, {show(settings)}"
        )
    found = {release.get("namespace") for release in releases if isinstance(release, dict)}
    for name, value in settings.items():
        match = _NAMESPACE_VAR_RE.match(str(name))
        owners = [c for c in catalog if match and (match.group(1) == c or match.group(1).startswith(c + "_"))]
        if not owners:
            continue
        component = max(owners, key=len)
        entry = catalog[component] if isinstance(catalog[component], dict) else {}
        if cloud in (entry.get("clouds") or []) and _truthy(settings.get(f"{component}_enabled")):
            found.add(value)
    return sorted(ns for ns in found if isinstance(ns, str) and ns)


def workload_rows(workloads, namespaces) -> list:
    """``{namespace, kind, name, ready, wanted, ok}`` for every workload in ``namespaces``, sorted."""
    rows = []
    for item in workloads:
        meta, spec, status = item.get("metadata", {}), item.get("spec") or {}, item.get("status") or {}
        if meta.get("namespace") not in namespaces:
            continue
        if item.get("kind") == "DaemonSet":
            wanted, ready = status.get("desiredNumberScheduled", 0), status.get("numberReady", 0)
        else:
            wanted, ready = spec.get("replicas", 1), status.get("readyReplicas", 0)
        rows.append(
            {
                "namespace": meta.get("namespace"),
                "kind": item.get("kind"),
                "name": meta.get("name"),
                "ready": ready or 0,
                "wanted": wanted or 0,
                "ok": (ready or 0) >= (wanted or 0),
            }
        )
    return sorted(rows, key=lambda r: (r["namespace"], r["kind"], r["name"]))


def _addresses(obj: dict) -> str:
    points = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return ", ".join(p.get("hostname") or p.get("ip") for p in points if p.get("hostname") or p.get("ip"))


def endpoints(ingresses, services, namespace: str) -> list:
    """Where a service in ``namespace`` is reached: its Ingress hosts and LoadBalancer addresses."""
    found = []
    for ingress in ingresses:
        meta, spec = ingress.get("metadata", {}), ingress.get("spec") or {}
        if meta.get("namespace") != namespace:
            continue
        scheme = "https" if spec.get("tls") else "http"
        address = _addresses(ingress) or "address pending"
        found += [
            f"{scheme}://{rule['host']} (Ingress {meta.get('name')}, {address})"
            for rule in spec.get("rules") or []
            if rule.get("host")
        ]
    for service in services:
        meta, spec = service.get("metadata", {}), service.get("spec") or {}
        if meta.get("namespace") == namespace and spec.get("type") == "LoadBalancer":
            found.append(f"LoadBalancer {meta.get('name')}: {_addresses(service) or 'address pending'}")
    return found


# ---------------------------------------------------------------------------------------------- charts
def _version(value) -> str:
    return str(value or "").strip().lstrip("v")


def chart_rows(pinned, charts, releases) -> list:
    """Each pinned chart release against the Helm release of the cluster (``helm list -A -o json`` rows).

    ``pinned``: ``[{component, chart, release, namespace}]`` (``chart``: a key of ``charts``, i.e.
    ``platform_versions.charts``; empty for a release of our manifests only, which Helm does not hold).
    Rows ``{component, release, namespace, chart, installed, pinned, helm_status, state}``; ``state`` is ``ok``,
    ``differs`` (another version installed), ``missing`` (no such Helm release), ``failed`` (Helm status other
    than deployed) or ``not pinned`` (a Helm release of the cluster that no enabled component describes).
    """
    if not isinstance(charts, dict):
        raise PlatformError(f"chart_rows: charts (platform_versions.charts) must be a mapping, got {show(charts)}")
    by_name = {(r.get("namespace"), r.get("name")): r for r in releases or [] if isinstance(r, dict)}
    rows, seen = [], set()
    for item in pinned or []:
        key = item.get("chart")
        if not key:
            continue
        entry = charts.get(key)
        if not isinstance(entry, dict):
            raise PlatformError(
                f"chart_rows: {item.get('component')} pins chart {show(key)}, which is not a key of "
                "platform_versions.charts"
            )
        where = (item.get("namespace"), item.get("release"))
        seen.add(where)
        found = by_name.get(where)
        row = {
            "component": item.get("component"),
            "release": item.get("release"),
            "namespace": item.get("namespace"),
            "chart": entry.get("name"),
            "pinned": str(entry.get("version")),
            "installed": None,
            "helm_status": None,
        }
        if found is None:
            rows.append({**row, "state": "missing"})
            continue
        # helm list's chart column is <chart name>-<version>; a version starts with a digit (or v and a digit).
        full = str(found.get("chart") or "")
        prefix = f"{entry.get('name')}-"
        same_chart = full.startswith(prefix) and re.match(r"v?[0-9]", full[len(prefix) :]) is not None
        installed = full[len(prefix) :] if same_chart else full
        status = found.get("status")
        if not same_chart or _version(installed) != _version(entry.get("version")):
            state = "differs"
        elif status != "deployed":
            state = "failed"
        else:
            state = "ok"
        rows.append({**row, "installed": installed, "helm_status": status, "state": state})
    for where, found in sorted(by_name.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))):
        if where not in seen:
            rows.append(
                {
                    "component": None,
                    "release": found.get("name"),
                    "namespace": found.get("namespace"),
                    "chart": found.get("chart"),
                    "pinned": None,
                    "installed": found.get("chart"),
                    "helm_status": found.get("status"),
                    "state": "not pinned",
                }
            )
    return rows


# ---------------------------------------------------------------------------------------------- certificates
def _parse_time(value):
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
    try:
        parsed = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def tls_certificates(secrets) -> list:
    """``{namespace, name, not_after, dns_names}`` of the certificate in each ``kubernetes.io/tls`` Secret.

    Reads ``data["tls.crt"]`` (base64 PEM, the first certificate: the leaf); the key and every other field are
    left alone and nothing of the data is returned. An unreadable certificate gives ``not_after: null``.
    """
    from cryptography import x509  # a dependency of ansible-core; imported here so that the rest needs nothing

    found = []
    for secret in secrets or []:
        meta = secret.get("metadata") or {}
        row = {"namespace": meta.get("namespace"), "name": meta.get("name"), "not_after": None, "dns_names": []}
        try:
            pem = base64.b64decode((secret.get("data") or {}).get("tls.crt") or "")
            cert = x509.load_pem_x509_certificate(pem)
            row["not_after"] = cert.not_valid_after_utc.isoformat().replace("+00:00", "Z")
            try:
                names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
                row["dns_names"] = names.get_values_for_type(x509.DNSName)
            except x509.ExtensionNotFound:
                pass
        except (ValueError, TypeError):
            pass
        found.append(row)
    return sorted(found, key=lambda r: (str(r["namespace"]), str(r["name"])))


def _ready(obj: dict):
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return condition.get("status") == "True"
    return None


def certificate_rows(certificates, tls, now, warn_days: int = CERT_WARN_DAYS) -> list:
    """Expiry of every cert-manager Certificate (``status.notAfter``) and of the TLS Secrets no Certificate owns.

    ``tls``: :func:`tls_certificates` rows. Rows ``{namespace, name, source, secret, not_after, days_left, ready,
    state}``; ``state``: ``ok``, ``expiring`` (within ``warn_days``), ``expired``, ``not issued`` (a Certificate
    without ``notAfter``) or ``unreadable`` (a Secret whose certificate could not be read).
    """
    now = _parse_time(now)
    if now is None:
        raise PlatformError("certificate_rows: now must be an ISO 8601 time")
    rows, owned = [], set()
    for cert in certificates or []:
        meta, spec, status = cert.get("metadata") or {}, cert.get("spec") or {}, cert.get("status") or {}
        owned.add((meta.get("namespace"), spec.get("secretName")))
        rows.append(
            {
                "namespace": meta.get("namespace"),
                "name": meta.get("name"),
                "source": "Certificate",
                "secret": spec.get("secretName"),
                "not_after": status.get("notAfter"),
                "ready": _ready(cert),
            }
        )
    for secret in tls or []:
        if (secret.get("namespace"), secret.get("name")) not in owned:
            rows.append(
                {
                    "namespace": secret.get("namespace"),
                    "name": secret.get("name"),
                    "source": "Secret",
                    "secret": secret.get("name"),
                    "not_after": secret.get("not_after"),
                    "ready": None,
                }
            )
    for row in rows:
        expires = _parse_time(row["not_after"]) if row["not_after"] else None
        row["days_left"] = None if expires is None else (expires - now).days
        if expires is None:
            row["state"] = "not issued" if row["source"] == "Certificate" else "unreadable"
        elif expires <= now:
            row["state"] = "expired"
        elif row["days_left"] < warn_days:
            row["state"] = "expiring"
        else:
            row["state"] = "ok"
    return sorted(rows, key=lambda r: (str(r["namespace"]), str(r["name"]), r["source"]))


# ---------------------------------------------------------------------------------------------- the report
def table(headers: list, rows: list, indent: str = "  ") -> list:
    """Aligned text columns: a header line and one line per row (``None`` shown as ``-``)."""
    cells = [[str(h) for h in headers]] + [["-" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(headers))]
    return [indent + "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in cells]


def status_document(data) -> dict:
    """The status of one cluster as plain data (status_format=json prints it; the table is made from it).

    ``data``: cluster, server, kubeconfig, releases (``helm list -A -o json``), workloads, ingresses, services,
    certificates (cert-manager Certificates), tls_secrets (``kubernetes.io/tls`` Secrets: only the certificate
    is read, see :func:`tls_certificates`) or tls (rows of it), targets
    (``[{title, namespace, port_forward}]``), pinned (see :func:`chart_rows`), charts
    (``platform_versions.charts``), catalog, cloud, settings (the ``*_namespace``/``*_enabled`` variables),
    now (ISO 8601), warn_days, notes (what could not be read, one line each).
    """
    if not isinstance(data, dict):
        raise PlatformError(f"status_report: expected a mapping, got {show(data)}")
    releases = sorted(data.get("releases") or [], key=lambda r: (r.get("namespace", ""), r.get("name", "")))
    namespaces = platform_namespaces(data.get("catalog"), data.get("cloud"), data.get("settings"), releases)
    charts = chart_rows(data.get("pinned") or [], data.get("charts") or {}, releases)
    workloads = workload_rows(data.get("workloads") or [], namespaces)
    where = []
    for target in data.get("targets") or []:
        found = endpoints(data.get("ingresses") or [], data.get("services") or [], target["namespace"])
        where.append(
            {
                "title": target["title"],
                "namespace": target["namespace"],
                "endpoints": found,
                "hint": None
                if found
                else f"no Ingress or LoadBalancer in {target['namespace']}; make {target['port_forward']}",
            }
        )
    tls = data.get("tls") or tls_certificates(data.get("tls_secrets") or [])
    warn_days = int(data.get("warn_days") or CERT_WARN_DAYS)
    certificates = certificate_rows(data.get("certificates") or [], tls, data.get("now"), warn_days)
    problems = [
        f"chart {r['namespace']}/{r['release']}: {r['state']}"
        + (f" (installed {r['installed']}, pinned {r['pinned']})" if r["state"] == "differs" else "")
        for r in charts
        if r["state"] in ("differs", "missing", "failed")
    ]
    problems += [
        f"workload {r['namespace']}/{r['kind']}/{r['name']}: {r['ready']}/{r['wanted']} ready"
        for r in workloads
        if not r["ok"]
    ]
    problems += [
        f"certificate {r['namespace']}/{r['name']}: {r['state']}"
        + (f" ({r['not_after']}, {r['days_left']} days)" if r["not_after"] else "")
        for r in certificates
        if r["state"] != "ok"
    ]
    return {
        "cluster": data.get("cluster"),
        "server": data.get("server"),
        "kubeconfig": data.get("kubeconfig"),
        "checked_at": data.get("now"),
        "ok": not problems,
        "problems": problems,
        "charts": charts,
        "workloads": workloads,
        "namespaces": namespaces,
        "endpoints": where,
        "certificates": certificates,
        "warn_days": warn_days,
        "notes": list(data.get("notes") or []),
    }


def status_table(doc: dict) -> list:
    """The readable report of :func:`status_document`, one string per line."""
    lines = [f"Cluster {doc['cluster']} ({doc.get('server') or 'server unknown'}; kubeconfig {doc['kubeconfig']})"]
    charts = doc["charts"]
    lines.append(f"Charts: {sum(r['state'] == 'ok' for r in charts)} of {len(charts)} as pinned")
    if charts:
        lines += table(
            ["STATE", "COMPONENT", "RELEASE", "INSTALLED", "PINNED", "HELM"],
            [
                [
                    r["state"],
                    r["component"],
                    f"{r['namespace']}/{r['release']}",
                    r["installed"],
                    r["pinned"],
                    r["helm_status"],
                ]
                for r in charts
            ],
        )
    rows = doc["workloads"]
    lines.append(
        f"Workloads: {sum(r['ok'] for r in rows)} of {len(rows)} ready in {', '.join(doc['namespaces']) or '-'}"
    )
    if rows:
        lines += table(
            ["STATE", "NAMESPACE", "KIND", "NAME", "READY"],
            [
                ["ok" if r["ok"] else "WAIT", r["namespace"], r["kind"], r["name"], f"{r['ready']}/{r['wanted']}"]
                for r in rows
            ],
        )
    lines.append("Endpoints:")
    lines += [f"  {e['title']}: {'; '.join(e['endpoints']) or e['hint']}" for e in doc["endpoints"]]
    certs = doc["certificates"]
    valid = sum(r["state"] == "ok" for r in certs)
    lines.append(f"Certificates: {valid} of {len(certs)} valid for more than {doc['warn_days']} days")
    if certs:
        lines += table(
            ["STATE", "NAMESPACE", "NAME", "SOURCE", "EXPIRES", "DAYS"],
            [[r["state"], r["namespace"], r["name"], r["source"], r["not_after"], r["days_left"]] for r in certs],
        )
    lines += [f"Note: {note}" for note in doc["notes"]]
    if doc["ok"]:
        lines.append("Status: OK")
    else:
        lines.append(f"Status: {len(doc['problems'])} problem(s)")
        lines += [f"  - {problem}" for problem in doc["problems"]]
    return lines


def status_report(data) -> dict:
    """:func:`status_document` with its readable form under ``table`` (a list of lines)."""
    doc = status_document(data)
    return {**doc, "table": status_table(doc)}


# ---------------------------------------------------------------------------------------------- drift
_ACTIONS = {
    ("create",): "create",
    ("delete",): "delete",
    ("update",): "update",
    ("delete", "create"): "replace",
    ("create", "delete"): "replace",
}


def _changes(entries) -> list:
    found = []
    for entry in entries or []:
        actions = tuple((entry.get("change") or {}).get("actions") or ())
        if actions in ((), ("no-op",), ("read",)):
            continue
        found.append({"address": entry.get("address"), "action": _ACTIONS.get(actions, "+".join(actions))})
    return sorted(found, key=lambda c: str(c["address"]))


def terraform_changes(plan) -> dict:
    """The addresses a plan (``terraform show -json <planfile>``) would change, and those changed outside Terraform.

    ``{changes: [{address, action}], outside: [{address, action}]}`` from ``resource_changes`` and
    ``resource_drift`` (https://developer.hashicorp.com/terraform/internals/json-format#plan-representation);
    no attribute value is kept.
    """
    if not isinstance(plan, dict):
        raise PlatformError(f"terraform_changes: expected the JSON plan (a mapping), got {show(plan)}")
    return {"changes": _changes(plan.get("resource_changes")), "outside": _changes(plan.get("resource_drift"))}


def release_drift_rows(records) -> list:
    """One row per release from release_apply records (check mode): ``{component, release, namespace, chart,
    state, steps}``; ``state``: ``in sync``, ``drift`` (``steps``: those that would change), ``unreachable``,
    ``error`` (with ``error``) or ``not checked`` (a later wave after an unreachable cluster)."""
    rows = []
    for record in records or []:
        row = {k: record.get(k) for k in ("component", "release", "namespace", "chart")}
        would = [s["step"] for s in record.get("steps") or [] if s.get("result") in ("would change", "changed")]
        if record.get("not_checked"):
            state = "not checked"
        elif record.get("unreachable"):
            state = "unreachable"
        elif record.get("error"):
            state = "error"
        else:
            state = "drift" if would else "in sync"
        rows.append({**row, "state": state, "steps": would, "error": record.get("error")})
    return rows


def drift_report(data) -> dict:
    """The drift summary of one cluster: ``{drift, unknown, infrastructure, releases, lines}``.

    ``data``: cluster, infrastructure (``infrastructure_drift`` of the infrastructure role: exit_code, changes,
    outside, summary, root; or ``{skipped: reason}``; or null when not in scope), releases (release_apply
    records, or ``{skipped: reason}``, or null). ``drift``: something differs; ``unknown``: something could not
    be checked (an unreachable cluster, a failed release check).
    """
    if not isinstance(data, dict):
        raise PlatformError(f"drift_report: expected a mapping, got {show(data)}")
    lines = [f"Drift of cluster {data.get('cluster')}:"]
    drift, unknown = False, False
    infra = data.get("infrastructure")
    if isinstance(infra, dict) and infra.get("skipped"):
        lines.append(f"  Terraform: not checked ({infra['skipped']})")
    elif isinstance(infra, dict):
        code = infra.get("exit_code")
        changes, outside = infra.get("changes") or [], infra.get("outside") or []
        if code == 2:
            drift = True
            lines.append(
                f"  Terraform: DRIFT in {infra.get('root')} (plan -detailed-exitcode 2): {infra.get('summary') or ''}"
            )
            lines += [f"    changed outside Terraform: {c['address']} ({c['action']})" for c in outside]
            lines += [f"    plan would {c['action']}: {c['address']}" for c in changes]
        elif code == 0:
            lines.append(f"  Terraform: no drift in {infra.get('root')} (plan -detailed-exitcode 0)")
        else:
            unknown = True
            lines.append(f"  Terraform: plan failed (exit {code}): not checked")
    rows = []
    releases = data.get("releases")
    if isinstance(releases, dict) and releases.get("skipped"):
        lines.append(f"  Releases: not checked ({releases['skipped']})")
    elif releases is not None:
        rows = release_drift_rows(releases)
        drifted = [r for r in rows if r["state"] == "drift"]
        failed = [r for r in rows if r["state"] in ("unreachable", "error", "not checked")]
        drift = drift or bool(drifted)
        unknown = unknown or bool(failed)
        lines.append(
            f"  Releases: {len(drifted)} of {len(rows)} drift"
            + (f", {len(failed)} not checked" if failed else "")
            + " (release_apply in check mode: kubectl diff --server-side, helm status vs the render)"
        )
        if rows:
            lines += table(
                ["STATE", "COMPONENT", "RELEASE", "CHART", "WHAT DIFFERS"],
                [
                    [
                        r["state"],
                        r["component"],
                        f"{r['namespace']}/{r['release']}",
                        r["chart"] or "manifests",
                        ", ".join(r["steps"]) or r["error"] or "",
                    ]
                    for r in rows
                ],
                indent="    ",
            )
    if drift:
        lines.append("Result: DRIFT (the live state differs from this repository)")
    elif unknown:
        lines.append("Result: UNKNOWN (part of the state could not be checked)")
    else:
        lines.append("Result: no drift")
    return {"drift": drift, "unknown": unknown, "infrastructure": infra, "releases": rows, "lines": lines}

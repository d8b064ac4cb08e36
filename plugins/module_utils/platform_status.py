# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The platform status report (playbooks/status.yml): pure functions over what the cluster returned.

Inputs are plain data: ``helm list -A -o json`` rows and the ``resources`` of kubernetes.core.k8s_info
(Deployments, StatefulSets, DaemonSets, Ingresses, Services). Nothing here talks to a cluster.
"""

from __future__ import annotations

import re

from ansible_collections.mlops.platform.plugins.module_utils._cloud.base import show
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError

_NAMESPACE_VAR_RE = re.compile(r"^([a-z0-9_]+)_namespace$")


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


def status_report(data) -> list:
    """The report's lines.

    ``data``: cluster, kubeconfig, releases, workloads, ingresses, services, targets
    (``[{title, namespace, port_forward}]``: the user-facing services to locate), and catalog, cloud and
    settings, from which :func:`platform_namespaces` finds the namespaces whose workloads are listed.
    """
    if not isinstance(data, dict):
        raise PlatformError(f"status_report: expected a mapping, got {show(data)}")
    releases = sorted(data.get("releases") or [], key=lambda r: (r.get("namespace", ""), r.get("name", "")))
    namespaces = platform_namespaces(data.get("catalog"), data.get("cloud"), data.get("settings"), releases)
    lines = [f"Cluster {data.get('cluster')} (kubeconfig {data.get('kubeconfig')})", f"Helm releases: {len(releases)}"]
    lines += [f"  {r.get('namespace')}/{r.get('name')}  {r.get('chart')}  {r.get('status')}" for r in releases]
    rows = workload_rows(data.get("workloads") or [], namespaces)
    lines.append(f"Workloads: {sum(r['ok'] for r in rows)} of {len(rows)} ready in {', '.join(namespaces) or '-'}")
    lines += [
        f"  {'ok  ' if r['ok'] else 'WAIT'} {r['namespace']}/{r['kind']}/{r['name']}  {r['ready']}/{r['wanted']}"
        for r in rows
    ]
    lines.append("Endpoints:")
    for target in data.get("targets") or []:
        found = endpoints(data.get("ingresses") or [], data.get("services") or [], target["namespace"])
        where = "; ".join(found) or (
            f"no Ingress or LoadBalancer in {target['namespace']}; make {target['port_forward']}"
        )
        lines.append(f"  {target['title']}: {where}")
    return lines

# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Preflight: values with a meaning (URLs, hosts, e-mails, sizes) and the inventory as a whole.

Each rule looks at its keys only when ``config`` holds them (a key the preflight role does not pass is
skipped, never reported), so the rules do not depend on which roles the play imports.

Sources of the rules:

- Git repository URL: the forms Argo CD's repository server accepts (``https://``, ``http://``,
  ``ssh://``, ``git://`` and the scp-like ``user@host:path``), argo-cd ``util/git`` ``IsSSHURL``/``IsHTTPSURL``.
- Ingress host: Kubernetes ``IngressRule.host`` is a DNS name (RFC 1123), no scheme, port or path.
- Prometheus ``retentionSize``: the Prometheus Operator's ByteSize pattern; Prometheus parses it as
  powers of two (``storage.tsdb.retention.size``: "1KB is 1024B"), so 40GB there is 40 GiB.
- Volume size: a Kubernetes resource quantity (``Gi`` = 2^30, ``G`` = 10^9).
- GPU quota: a ResourceQuota ``hard`` quantity cannot be negative; argument specs have no minimum.
"""

from __future__ import annotations

import re

# Component (as in platform__exposures) -> the variable that sets its Ingress host.
HOST_VARIABLES = {
    "mlflow": "mlflow_ingress_host",
    "argocd": "argocd_host",
    "argo_workflows": "argo_workflows_ingress_host",
    "monitoring": "monitoring_grafana_ingress_host",
    "kserve": "kserve_ingress_domain",
}
GIT_URL_RE = re.compile(r"^(?:(?:https?|ssh|git)://[^/\s]+(?:/\S*)?|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:\S+)$")
EMAIL_RE = re.compile(r"^[^@\s]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
# Prometheus Operator ByteSize: (^0|([0-9]*[.])?[0-9]+((K|M|G|T|E|P)i?)?B)$ -- powers of two either way.
PROMETHEUS_SIZE_RE = re.compile(r"^(?P<number>[0-9]*\.?[0-9]+)(?P<unit>(?:[KMGTPE]i?)?)B$")
QUANTITY_RE = re.compile(r"^(?P<number>[0-9]*\.?[0-9]+)(?P<unit>Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$")
POWERS = {"": 0, "K": 1, "k": 1, "M": 2, "G": 3, "T": 4, "P": 5, "E": 6}


def _git_url_problems(config: dict) -> list:
    url = config.get("argocd_gitops_repo_url")
    if not isinstance(url, str) or not url.strip():
        return []
    if GIT_URL_RE.match(url.strip()):
        return []
    return [
        f"argocd_gitops_repo_url: {url!r} is not a Git repository URL Argo CD can clone; write it with its scheme "
        "(https://git.example.com/org/repo.git, ssh://git@git.example.com/org/repo.git) or as git@host:org/repo.git"
    ]


def _host_problems(config: dict) -> list:
    exposures = config.get("platform_exposures")
    if not isinstance(exposures, list):
        return []
    problems = []
    for exposure in exposures:
        if not isinstance(exposure, dict) or not isinstance(exposure.get("host"), str):
            continue
        component = exposure.get("component")
        host = exposure["host"]
        if component == "kserve" and host.startswith("*."):
            host = host[2:]
        if not any(mark in host for mark in ("://", "/", ":", "?", "#", "@")):
            continue
        variable = HOST_VARIABLES.get(component, f"{component}: ingress host")
        problems.append(
            f"{variable}: {host!r} is written as a URL; an Ingress host is a bare DNS name such as "
            "mlflow.example.com (no scheme, port or path; the scheme comes from the TLS settings)"
        )
    return problems


def _email_problems(config: dict) -> list:
    email = config.get("cert_manager_acme_email")
    if not isinstance(email, str) or not email.strip() or EMAIL_RE.match(email.strip()):
        return []
    return [
        f"cert_manager_acme_email: {email!r} is not an e-mail address; Let's Encrypt registers the ACME "
        "account under it (name@example.com)"
    ]


def prometheus_size_bytes(value) -> int | None:
    """A Prometheus retention size (``40GB``, ``1.5GiB``: powers of two) in bytes; None when not one."""
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        return None
    if str(value).strip() == "0":
        return 0
    match = PROMETHEUS_SIZE_RE.match(str(value).strip())
    if not match:
        return None
    return int(float(match["number"]) * 1024 ** POWERS[match["unit"][:1]])


def quantity_bytes(value) -> int | None:
    """A Kubernetes storage quantity (``50Gi`` = 50 * 2^30, ``50G`` = 50 * 10^9) in bytes; None when not one."""
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        return None
    match = QUANTITY_RE.match(str(value).strip())
    if not match:
        return None
    unit = match["unit"] or ""
    base = 1024 if unit.endswith("i") else 1000
    return int(float(match["number"]) * base ** POWERS[unit[:1]])


def _disabled(config: dict, toggle: str) -> bool:
    toggles = config.get("toggles")
    value = toggles.get(toggle) if isinstance(toggles, dict) else None
    return value is False or (isinstance(value, str) and value.strip().lower() in ("false", "no", "off", "0"))


def _retention_problems(config: dict) -> list:
    if "monitoring_prometheus_retention_size" not in config or "monitoring_prometheus_storage_size" not in config:
        return []
    if _disabled(config, "monitoring_enabled"):
        return []
    retention = config["monitoring_prometheus_retention_size"]
    storage = config["monitoring_prometheus_storage_size"]
    if retention is None or storage is None:
        return []
    problems = []
    retention_bytes = prometheus_size_bytes(retention)
    storage_bytes = quantity_bytes(storage)
    if retention_bytes is None:
        problems.append(
            f"monitoring_prometheus_retention_size: {retention!r} is not a Prometheus size; "
            "write a number and B, KB, MB, GB, TB (powers of two: 40GB is 40 GiB)"
        )
    if storage_bytes is None:
        problems.append(
            f"monitoring_prometheus_storage_size: {storage!r} is not a Kubernetes storage quantity (such as 50Gi)"
        )
    if problems:
        return problems
    if retention_bytes > storage_bytes:
        problems.append(
            f"monitoring_prometheus_retention_size: {retention} ({retention_bytes / 1024**3:.1f} GiB: Prometheus "
            f"counts GB as GiB) is above monitoring_prometheus_storage_size {storage} "
            f"({storage_bytes / 1024**3:.1f} GiB); the volume fills before Prometheus deletes old blocks: "
            "keep the retention size below the volume (room for the WAL)"
        )
    return problems


def _quota_problems(config: dict) -> list:
    if "gpu_quota" not in config or config["gpu_quota"] is None:
        return []
    quota = config["gpu_quota"]
    try:
        number = int(str(quota).strip())
    except ValueError:
        return []  # the argument spec (type: int) names a non-number
    if number < 0:
        return [f"gpu_quota: {quota} is negative; it is the most GPUs requested at once: 0 or more"]
    return []


def value_problems(config: dict) -> list:
    """Every value of ``config`` that is well-typed but means something impossible; empty when none."""
    if not isinstance(config, dict):
        return []
    return [
        *_git_url_problems(config),
        *_host_problems(config),
        *_email_problems(config),
        *_retention_problems(config),
        *_quota_problems(config),
    ]

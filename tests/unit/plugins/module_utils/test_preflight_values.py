"""Preflight's values with a meaning (issue 10, class 4): each rule with a failing and a passing case."""

from __future__ import annotations

import pytest

from ansible_collections.mlops.platform.plugins.module_utils.preflight_values import (
    HOST_VARIABLES,
    prometheus_size_bytes,
    quantity_bytes,
    value_problems,
)


def test_empty_or_foreign_config_has_no_problem():
    assert value_problems({}) == []
    assert value_problems(None) == []
    assert value_problems({"argocd_gitops_repo_url": None, "platform_exposures": None, "gpu_quota": None}) == []


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/example/gitops.git",
        "http://gitea.local/org/repo",
        "ssh://git@github.com/example/gitops.git",
        "git@github.com:example/gitops.git",
        "git://git.example.com/repo.git",
        "",
    ],
)
def test_git_url_with_a_scheme_passes(url):
    assert value_problems({"argocd_gitops_repo_url": url}) == []


@pytest.mark.parametrize("url", ["github.com/example/gitops.git", "example/gitops", "https:/github.com/x"])
def test_git_url_without_a_scheme_is_named(url):
    problems = value_problems({"argocd_gitops_repo_url": url})
    assert len(problems) == 1
    assert problems[0].startswith("argocd_gitops_repo_url:")
    assert url in problems[0]


def _exposure(component, host):
    return {"component": component, "host": host, "scheme": "https"}


@pytest.mark.parametrize("component", sorted(HOST_VARIABLES))
@pytest.mark.parametrize("host", ["https://x.example.com", "x.example.com/mlflow", "x.example.com:8443"])
def test_ingress_host_written_as_url_names_the_components_variable(component, host):
    written = "*." + host if component == "kserve" else host
    problems = value_problems({"platform_exposures": [_exposure(component, written)]})
    assert len(problems) == 1
    assert problems[0].startswith(HOST_VARIABLES[component] + ":")
    assert repr(host) in problems[0]


def test_bare_ingress_hosts_pass():
    exposures = [_exposure(c, "x.example.com") for c in HOST_VARIABLES if c != "kserve"]
    exposures.append(_exposure("kserve", "*.models.example.com"))
    assert value_problems({"platform_exposures": exposures}) == []


@pytest.mark.parametrize("email", ["ops@example.com", "first.last+acme@mail.example.co.uk"])
def test_acme_email_passes(email):
    assert value_problems({"cert_manager_acme_email": email}) == []


@pytest.mark.parametrize("email", ["ops", "ops@example", "https://example.com", "ops @example.com", "@example.com"])
def test_acme_email_that_is_not_one_is_named(email):
    problems = value_problems({"cert_manager_acme_email": email})
    assert len(problems) == 1
    assert problems[0].startswith("cert_manager_acme_email:")


def test_size_units():
    assert prometheus_size_bytes("40GB") == 40 * 1024**3
    assert prometheus_size_bytes("40GiB") == 40 * 1024**3
    assert prometheus_size_bytes("512MB") == 512 * 1024**2
    assert prometheus_size_bytes("0") == 0
    assert prometheus_size_bytes("40G") is None
    assert quantity_bytes("50Gi") == 50 * 1024**3
    assert quantity_bytes("50G") == 50 * 1000**3
    assert quantity_bytes("1.5Ti") == int(1.5 * 1024**4)
    assert quantity_bytes("50GB") is None


def _sizes(retention, storage, **extra):
    return {"monitoring_prometheus_retention_size": retention, "monitoring_prometheus_storage_size": storage, **extra}


@pytest.mark.parametrize(("retention", "storage"), [("40GB", "50Gi"), ("20GB", "20Gi"), ("40GB", "43G")])
def test_retention_size_within_volume_passes(retention, storage):
    assert value_problems(_sizes(retention, storage)) == []


@pytest.mark.parametrize(("retention", "storage"), [("40GB", "20Gi"), ("40GB", "42G"), ("1TB", "500Gi")])
def test_retention_size_above_volume_is_named(retention, storage):
    problems = value_problems(_sizes(retention, storage))
    assert len(problems) == 1
    assert problems[0].startswith("monitoring_prometheus_retention_size:")
    assert "monitoring_prometheus_storage_size" in problems[0]


def test_retention_size_not_checked_when_monitoring_is_off_or_keys_absent():
    assert value_problems(_sizes("40GB", "20Gi", toggles={"monitoring_enabled": False})) == []
    assert value_problems({"monitoring_prometheus_retention_size": "40GB"}) == []


def test_unparsable_sizes_are_named():
    problems = value_problems(_sizes("40 gigs", "lots"))
    assert [p.split(":")[0] for p in problems] == [
        "monitoring_prometheus_retention_size",
        "monitoring_prometheus_storage_size",
    ]


@pytest.mark.parametrize("quota", [0, 4, "2"])
def test_gpu_quota_zero_or_more_passes(quota):
    assert value_problems({"gpu_quota": quota}) == []


@pytest.mark.parametrize("quota", [-1, "-4"])
def test_negative_gpu_quota_is_named(quota):
    problems = value_problems({"gpu_quota": quota})
    assert len(problems) == 1
    assert problems[0].startswith("gpu_quota:")


def test_every_problem_in_one_pass():
    config = {
        "argocd_gitops_repo_url": "github.com/x/y",
        "platform_exposures": [_exposure("mlflow", "https://mlflow.example.com")],
        "cert_manager_acme_email": "ops",
        "gpu_quota": -1,
        **_sizes("40GB", "20Gi"),
    }
    assert [p.split(":")[0] for p in value_problems(config)] == [
        "argocd_gitops_repo_url",
        "mlflow_ingress_host",
        "cert_manager_acme_email",
        "monitoring_prometheus_retention_size",
        "gpu_quota",
    ]

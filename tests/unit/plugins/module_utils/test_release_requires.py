"""A release that renders a kind no enabled component provides is refused before anything is written."""

from __future__ import annotations

import pytest

from ansible_collections.mlops.platform.plugins.module_utils.release import dependency_problems, kinds_rendered

CATALOG = {
    "external_secrets": {"provides": ["external-secrets.io", "generators.external-secrets.io"]},
    "monitoring": {"provides": ["monitoring.coreos.com"]},
    "argo_workflows": {"provides": ["argoproj.io/Workflow", "argoproj.io/WorkflowTemplate"]},
    "argocd": {"provides": ["argoproj.io/Application", "argoproj.io/AppProject"]},
    "mlflow": {},
}

RENDERED = """# Source: chart/templates/x.yaml
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: db}
---
apiVersion: v1
kind: ConfigMap
data:
  config: |
    apiVersion: not.a/top-level
    kind: Nested
---
apiVersion: "apps/v1"
kind: Deployment
"""


def test_kinds_rendered_reads_top_level_objects_only():
    assert kinds_rendered([RENDERED]) == {
        ("external-secrets.io", "ExternalSecret"),
        ("", "ConfigMap"),
        ("apps", "Deployment"),
    }


def test_provided_and_builtin_kinds_pass():
    used = {"mlflow": {("external-secrets.io", "ExternalSecret"), ("", "ConfigMap"), ("apps", "Deployment")}}
    assert dependency_problems(used, CATALOG, {"mlflow", "external_secrets"}) == []


def test_a_disabled_provider_is_named_with_its_toggle():
    used = {"mlflow": {("external-secrets.io", "ExternalSecret")}}
    (problem,) = dependency_problems(used, CATALOG, {"mlflow", "monitoring"})
    assert problem == (
        "mlflow renders ExternalSecret (external-secrets.io), whose CRD only external_secrets "
        "(external_secrets_enabled: true) installs, and it is disabled: enable it, or disable mlflow"
    )


@pytest.mark.parametrize(
    ("enabled", "problems"),
    [
        ({"argocd", "argo_workflows"}, 0),
        # argoproj.io is shared: Argo CD's kinds do not make Argo Workflows' available
        ({"argocd"}, 1),
    ],
)
def test_kinds_of_a_shared_group(enabled, problems):
    used = {"argocd": {("argoproj.io", "Application"), ("argoproj.io", "WorkflowTemplate")}}
    assert len(dependency_problems(used, CATALOG, enabled)) == problems


def test_a_kind_nobody_provides():
    (problem,) = dependency_problems({"mlflow": {("example.com", "Widget")}}, CATALOG, set(CATALOG))
    assert problem == "mlflow renders Widget (example.com), whose CRD no component of the catalog installs"

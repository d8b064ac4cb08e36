"""The upgrade guard's rules (module_utils/upgrade.py), and that an upgrade applies the chart's CRDs before helm
upgrades the chart (module_utils/apply.py, with the cluster's answers given as in test_apply.py)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.mlops.platform.plugins.module_utils import apply, upgrade
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError

from .test_apply import HELM_REFUSED, Cluster, target, write_release


def pending(component="monitoring", chart="kube-prometheus-stack", version="72.6.2", namespace="monitoring"):
    return {
        "component": component,
        "release_name": chart,
        "namespace": namespace,
        "chart_ref": f"/charts/{chart}-{version}.tgz",
        "chart_name": chart,
        "chart_version": version,
    }


def listed(chart="kube-prometheus-stack", version="72.6.2", namespace="monitoring", name=None, status="deployed"):
    """One entry of `helm list -A -a -o json` as helm 3.17 prints it."""
    return {
        "name": name or chart,
        "namespace": namespace,
        "revision": "3",
        "updated": "2026-11-30 10:00:00.000000 +0000 UTC",
        "status": status,
        "chart": f"{chart}-{version}",
        "app_version": "v0.0.0",
    }


@pytest.mark.parametrize(
    "text, parsed",
    [
        ("72.6.2", (72, 6, 2, ())),
        ("v1.19.1", (1, 19, 1, ())),
        ("v0.16.0", (0, 16, 0, ())),
        ("1.0.0-rc.1", (1, 0, 0, ("rc", "1"))),
        ("2.18.3+build.7", (2, 18, 3, ())),
        ("1.8", (1, 8, 0, ())),
    ],
)
def test_versions_parse_with_and_without_v(text, parsed):
    version = upgrade.parse_version(text)
    assert (version.major, version.minor, version.patch, version.pre) == parsed


@pytest.mark.parametrize("text", ["", "latest", "main", "1.2.3.4", "01.2.3", "v"])
def test_not_semver_is_refused(text):
    with pytest.raises(upgrade.VersionError, match="not a SemVer chart version"):
        upgrade.parse_version(text)


@pytest.mark.parametrize(
    "lower, higher",
    [
        ("1.0.0-alpha", "1.0.0-alpha.1"),
        ("1.0.0-alpha.1", "1.0.0-beta"),
        ("1.0.0-beta.2", "1.0.0-beta.11"),
        ("1.0.0-rc.1", "1.0.0"),
        ("1.9.0", "1.10.0"),
        ("v0.15.2", "0.16.0"),
    ],
)
def test_semver_precedence(lower, higher):
    assert upgrade.parse_version(lower).key() < upgrade.parse_version(higher).key()


def test_build_metadata_and_v_do_not_count():
    assert upgrade.parse_version("v1.19.1").key() == upgrade.parse_version("1.19.1+abc").key()


@pytest.mark.parametrize(
    "installed, pinned, crossed",
    [
        ("72.6.2", "72.9.0", 0),
        ("71.2.0", "72.6.2", 1),
        ("72.6.2", "75.0.0", 3),
        ("0.46.1", "0.46.4", 0),
        ("0.45.0", "0.46.1", 1),
        ("0.44.0", "0.46.1", 2),
        ("0.20.4", "1.1.1", 1),
        ("0.20.4", "2.0.0", 2),
    ],
)
def test_majors_crossed_with_0x_minor_as_major(installed, pinned, crossed):
    assert upgrade.majors_crossed(upgrade.parse_version(installed), upgrade.parse_version(pinned)) == crossed


@pytest.mark.parametrize(
    "chart, expected, split",
    [
        ("kube-prometheus-stack-72.6.2", "kube-prometheus-stack", ("kube-prometheus-stack", "72.6.2")),
        ("kserve-crd-v0.16.0", "kserve-crd", ("kserve-crd", "v0.16.0")),
        ("kserve-crd-v0.16.0", None, ("kserve-crd", "v0.16.0")),
        ("cert-manager-v1.19.1", None, ("cert-manager", "v1.19.1")),
        ("argo-cd-8.0.0-rc.1", None, ("argo-cd", "8.0.0-rc.1")),
        ("argo-cd-7.9.0", "argo-workflows", ("argo-cd", "7.9.0")),
    ],
)
def test_helm_list_chart_column(chart, expected, split):
    assert upgrade.split_chart_column(chart, expected) == split


# (installed, pinned, flags) -> (action, refused flag)
CASES = {
    "not installed": (None, "72.6.2", {}, upgrade.INSTALL, None),
    "same": ("72.6.2", "72.6.2", {}, upgrade.UNCHANGED, None),
    "same with v": ("v1.19.1", "1.19.1", {}, upgrade.UNCHANGED, None),
    "patch": ("72.6.0", "72.6.2", {}, upgrade.UPGRADE, None),
    "minor": ("72.1.0", "72.6.2", {}, upgrade.UPGRADE, None),
    "next major": ("71.2.0", "72.6.2", {}, upgrade.MAJOR, None),
    "0.x next minor": ("0.45.0", "0.46.1", {}, upgrade.MAJOR, None),
    "0.x to 1.0": ("0.20.4", "1.1.1", {}, upgrade.MAJOR, None),
    "downgrade": ("72.7.0", "72.6.2", {}, upgrade.DOWNGRADE, "release_allow_downgrade"),
    "downgrade across majors": ("75.0.0", "72.6.2", {}, upgrade.DOWNGRADE, "release_allow_downgrade"),
    "release to its rc": ("1.0.0", "1.0.0-rc.1", {}, upgrade.DOWNGRADE, "release_allow_downgrade"),
    "downgrade allowed": ("72.7.0", "72.6.2", {"allow_downgrade": True}, upgrade.DOWNGRADE, None),
    "skip": ("72.6.2", "75.0.0", {}, upgrade.SKIP, "release_allow_major_skip"),
    "0.x skip": ("0.44.0", "0.46.1", {}, upgrade.SKIP, "release_allow_major_skip"),
    "skip allowed": ("72.6.2", "75.0.0", {"allow_major_skip": True}, upgrade.SKIP, None),
    "skip, downgrade allowed only": (
        "72.6.2",
        "75.0.0",
        {"allow_downgrade": True},
        upgrade.SKIP,
        "release_allow_major_skip",
    ),
    "downgrade, skip allowed only": (
        "72.7.0",
        "72.6.2",
        {"allow_major_skip": True},
        upgrade.DOWNGRADE,
        "release_allow_downgrade",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_rules(case):
    installed, pinned, flags, action, refused = CASES[case]
    entry = listed(version=installed) if installed else None
    decision = upgrade.decide(
        pending(version=pinned),
        entry and upgrade.installed_releases([entry])[("monitoring", "kube-prometheus-stack")],
        **flags,
    )
    assert (decision.action, decision.refused) == (action, refused)
    assert decision.installed == installed and decision.pinned == pinned


def test_a_refusal_is_one_line_naming_release_versions_and_flag():
    decisions = upgrade.check(
        [
            pending(),
            pending("argocd", "argo-cd", "7.9.0", "argocd"),
            pending("cert_manager", "cert-manager", "v1.19.1", "cert-manager"),
        ],
        [
            listed(version="75.0.0"),
            listed("argo-cd", "5.51.6", "argocd"),
            listed("cert-manager", "v1.18.2", "cert-manager"),
        ],
    )
    message = upgrade.refusal_message(decisions, "https://127.0.0.1:6443")
    head, *lines = message.splitlines()
    assert head == (
        "upgrade guard: 2 of 3 chart releases refused on cluster https://127.0.0.1:6443; nothing was applied"
    )
    assert lines == [
        "monitoring: helm release monitoring/kube-prometheus-stack, chart kube-prometheus-stack: 75.0.0 is installed, "
        "the versions file pins the older 72.6.2 (a downgrade); set release_allow_downgrade=true to allow it",
        "argocd: helm release argocd/argo-cd, chart argo-cd: 5.51.6 -> 7.9.0 crosses 2 major versions (5.x -> 7.x); "
        "upgrade one major at a time (pin the next major, deploy, repeat: docs/upgrade.md); "
        "set release_allow_major_skip=true to allow it",
    ]
    assert [d.action for d in decisions] == [upgrade.DOWNGRADE, upgrade.SKIP, upgrade.UPGRADE]


def test_every_release_is_checked_and_matched_by_namespace_and_name():
    """A release of the same name in another namespace is another release; our-objects releases have no chart."""
    ours = {"component": "rbac", "release_name": "rbac", "namespace": "default", "chart_ref": None, "chart_name": None}
    decisions = upgrade.check([pending(), ours], [listed(version="75.0.0", namespace="elsewhere")])
    assert [(d.component, d.action) for d in decisions] == [("monitoring", upgrade.INSTALL)]
    assert upgrade.refusal_message(decisions, "x") is None


def test_another_chart_in_the_release_is_reported_not_compared():
    decision = upgrade.check(
        [pending()], [listed(chart="prometheus-operator", version="99.0.0", name="kube-prometheus-stack")]
    )[0]
    assert decision.action == upgrade.OTHER_CHART and decision.refused is None
    assert "holds chart prometheus-operator-99.0.0" in decision.line()


def test_a_pinned_version_that_is_not_semver_names_the_component():
    with pytest.raises(upgrade.VersionError, match=r"^monitoring: chart kube-prometheus-stack: 'latest' is not"):
        upgrade.check([pending(version="latest")], [listed()])


# ---------------------------------------------------------------------------- helm list, with the answers given
def test_helm_list_is_one_call_over_every_namespace_and_status(tmp_path):
    calls = []

    def run(argv, stdin=None):
        calls.append(argv)
        return 0, json.dumps([listed()]), ""

    assert apply.helm_releases(apply.Target(kubeconfig="/k", helm="helm", server="s"), run) == [listed()]
    assert calls == [["helm", "list", "--all-namespaces", "--all", "--output", "json", "--kubeconfig", "/k"]]


def test_helm_list_unreachable_is_one_line_naming_the_endpoint():
    with pytest.raises(PlatformError) as caught:
        apply.helm_releases(
            apply.Target(helm="helm", server="https://127.0.0.1:6443"), lambda a, s: (1, "", HELM_REFUSED)
        )
    assert caught.value.msg == (
        "upgrade guard: cluster https://127.0.0.1:6443 is unreachable (connection refused); the installed chart "
        "versions (helm list) cannot be compared with the pinned ones; nothing was applied"
    )


def test_helm_list_other_failure_says_so():
    with pytest.raises(PlatformError, match="helm list on cluster s failed: not authorised"):
        apply.helm_releases(apply.Target(helm="helm", server="s"), lambda a, s: (1, "", "Error: Unauthorized"))


# ---------------------------------------------------------------------------- CRDs first on an upgrade
def test_an_upgrade_applies_the_charts_crds_server_side_before_helm_upgrade(tmp_path):
    """helm never upgrades a chart's crds/ folder (https://helm.sh/docs/chart_best_practices/custom_resource_definitions/):
    on a new chart version apply applies them itself, server-side, then runs helm upgrade with --skip-crds."""
    release = write_release(tmp_path, values={})
    status = {"info": {"status": "deployed"}, "chart": {"metadata": {"name": "demo", "version": "0.9.0"}}, "config": {}}
    cluster, sent = Cluster(status=status), []

    def run(argv, stdin=None):
        sent.append((argv, stdin or ""))
        return cluster(argv, stdin)

    records, _diffs = apply.apply_wave([release], target(tmp_path), run)
    assert records[0].error is None
    steps = [s["step"] for s in records[0].steps]
    assert steps.index("chart CRDs") < steps.index("chart")
    crd_applied = next(
        i for i, (argv, stdin) in enumerate(sent) if argv[:2] == ["kubectl", "apply"] and "things.example.com" in stdin
    )
    upgraded = next(i for i, (argv, _stdin) in enumerate(sent) if argv[:2] == ["helm", "upgrade"])
    assert crd_applied < upgraded and "--server-side" in sent[crd_applied][0]
    upgrade_argv = sent[upgraded][0]
    assert "--skip-crds" in upgrade_argv and upgrade_argv[upgrade_argv.index("--version") + 1] == "1.0.0"

# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The upgrade guard's rules: the chart version a release has installed against the one the versions file pins.

* same version: nothing to do;
* newer within the same major: an upgrade;
* the next major: allowed, and listed as a major upgrade (docs/upgrade.md has the per-chart notes);
* older: a downgrade, refused unless ``release_allow_downgrade``;
* more than one major ahead (e.g. kube-prometheus-stack 72.x -> 75.x): refused unless
  ``release_allow_major_skip`` (upgrade notes are written from one major to the next).

Versions are SemVer 2 as Helm requires of chart versions (https://helm.sh/docs/topics/charts/#charts-and-versioning),
with an optional leading ``v`` (cert-manager, KServe). Below 1.0.0 the minor acts as the major: SemVer says
anything may change in 0.y.z (https://semver.org/#spec-item-4), so 0.44 -> 0.46 crosses two "majors" and
0.46 -> 1.0 one. Pure functions only: no cluster, no Ansible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ALLOW_DOWNGRADE = "release_allow_downgrade"
ALLOW_MAJOR_SKIP = "release_allow_major_skip"

# https://semver.org/#backusnaur-form-grammar-for-valid-semver-versions, with the leading "v" Helm accepts and
# the patch (or minor and patch) optional as Helm's version library (Masterminds/semver) accepts them.
_SEMVER = re.compile(
    r"^v?(?P<major>0|[1-9]\d*)(?:\.(?P<minor>0|[1-9]\d*))?(?:\.(?P<patch>0|[1-9]\d*))?"
    r"(?:-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)
# A helm list "chart" column is "<chart name>-<chart version>"; the version starts at the first "-<digit>"
# (or "-v<digit>") after the name.
_CHART_COLUMN = re.compile(r"^(?P<name>.+?)-(?P<version>v?\d+(?:\.\d+){0,2}(?:[-+].*)?)$")

# What the guard decides per release (the "action" of a row).
INSTALL, UNCHANGED, UPGRADE, MAJOR, DOWNGRADE, SKIP, OTHER_CHART = (
    "install",
    "unchanged",
    "upgrade",
    "major upgrade",
    "downgrade",
    "major skip",
    "other chart",
)


class VersionError(ValueError):
    """A chart version that is not SemVer."""


@dataclass(frozen=True)
class Version:
    text: str
    major: int
    minor: int
    patch: int
    pre: tuple  # the pre-release identifiers, () for a release

    def key(self) -> tuple:
        """SemVer precedence (https://semver.org/#spec-item-11); build metadata does not count."""
        # A release ranks above its pre-releases; numeric identifiers rank below alphanumeric ones.
        pre = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.pre)
        return (self.major, self.minor, self.patch, 0 if self.pre else 1, pre)

    def series(self) -> tuple:
        """The version's compatibility series: the major, or (0, minor) below 1.0.0."""
        return (self.major,) if self.major else (0, self.minor)

    def series_text(self) -> str:
        return f"{self.major}.x" if self.major else f"0.{self.minor}.x"


def parse_version(text) -> Version:
    text = str(text or "").strip()
    found = _SEMVER.match(text)
    if not found:
        raise VersionError(f"{text!r} is not a SemVer chart version")
    pre = tuple(found["pre"].split(".")) if found["pre"] else ()
    return Version(text, int(found["major"]), int(found["minor"] or 0), int(found["patch"] or 0), pre)


def majors_crossed(installed: Version, pinned: Version) -> int:
    """How many major versions an upgrade from ``installed`` to ``pinned`` crosses (0: the same series).

    Below 1.0.0 each minor counts as a major; 0.y -> 1.z is one step, 0.y -> 2.z two."""
    if installed.major == 0 and pinned.major == 0:
        return pinned.minor - installed.minor
    return pinned.major - installed.major


def split_chart_column(chart: str, expected_name: str | None = None) -> tuple:
    """``(chart name, chart version)`` of a helm list "chart" value such as ``kube-prometheus-stack-72.6.2``."""
    chart = str(chart or "")
    if expected_name and chart.startswith(expected_name + "-"):
        return expected_name, chart[len(expected_name) + 1 :]
    found = _CHART_COLUMN.match(chart)
    return (found["name"], found["version"]) if found else (chart, "")


def installed_releases(helm_list: list) -> dict:
    """``{(namespace, release name): {"chart": ..., "status": ...}}`` of ``helm list -A -a -o json``."""
    return {
        (entry.get("namespace") or "", entry.get("name") or ""): {
            "chart": entry.get("chart") or "",
            "status": entry.get("status") or "",
        }
        for entry in helm_list or []
        if isinstance(entry, dict)
    }


@dataclass(frozen=True)
class Decision:
    component: str
    release: str  # "<namespace>/<release name>"
    chart: str
    installed: str | None
    pinned: str
    action: str
    refused: str | None = None  # the flag that would allow it, when refused

    def line(self) -> str:
        """One line for the operator (refusals name the flag)."""
        head = f"{self.component}: helm release {self.release}, chart {self.chart}"
        if self.action == DOWNGRADE:
            text = (
                f"{head}: {self.installed} is installed, the versions file pins the older {self.pinned} (a downgrade)"
            )
        elif self.action == SKIP:
            crossed = majors_crossed(parse_version(self.installed), parse_version(self.pinned))
            text = (
                f"{head}: {self.installed} -> {self.pinned} crosses {crossed} major versions "
                f"({parse_version(self.installed).series_text()} -> {parse_version(self.pinned).series_text()}); "
                "upgrade one major at a time (pin the next major, deploy, repeat: docs/upgrade.md)"
            )
        elif self.action == OTHER_CHART:
            text = f"{head}: the installed release holds chart {self.installed}; it is replaced"
        else:
            text = f"{head}: {self.installed or 'not installed'} -> {self.pinned} ({self.action})"
        if self.refused:
            text += f"; set {self.refused}=true to allow it"
        return text


def decide(
    release: dict, installed: dict | None, allow_downgrade: bool = False, allow_major_skip: bool = False
) -> Decision:
    """The guard's decision for one pending release (``release__pending`` entry) and its helm list entry."""
    name, pinned_text = release["chart_name"], str(release["chart_version"])
    common = {
        "component": release["component"],
        "release": f"{release['namespace']}/{release['release_name']}",
        "chart": name,
        "pinned": pinned_text,
    }
    if installed is None:
        return Decision(installed=None, action=INSTALL, **common)
    installed_name, installed_text = split_chart_column(installed["chart"], name)
    if installed_name != name:
        return Decision(installed=installed["chart"], action=OTHER_CHART, **common)
    try:
        have, want = parse_version(installed_text), parse_version(pinned_text)
    except VersionError as err:
        raise VersionError(f"{release['component']}: chart {name}: {err}") from None
    if want.key() == have.key():
        action, flag = UNCHANGED, None
    elif want.key() < have.key():
        action, flag = DOWNGRADE, None if allow_downgrade else ALLOW_DOWNGRADE
    else:
        crossed = majors_crossed(have, want)
        if crossed == 0:
            action, flag = UPGRADE, None
        elif crossed == 1:
            action, flag = MAJOR, None
        else:
            action, flag = SKIP, None if allow_major_skip else ALLOW_MAJOR_SKIP
    return Decision(installed=installed_text, action=action, refused=flag, **common)


def check(releases: list, helm_list: list, allow_downgrade: bool = False, allow_major_skip: bool = False) -> list:
    """The decisions for every chart release of ``releases`` (releases of our objects only have no chart)."""
    installed = installed_releases(helm_list)
    return [
        decide(r, installed.get((r["namespace"], r["release_name"])), allow_downgrade, allow_major_skip)
        for r in releases
        if r.get("chart_ref") and r.get("chart_name")
    ]


def refusal_message(decisions: list, server: str) -> str | None:
    """One message for every refused release (None when nothing is refused)."""
    refused = [d for d in decisions if d.refused]
    if not refused:
        return None
    return (
        f"upgrade guard: {len(refused)} of {len(decisions)} chart releases refused on cluster {server}; "
        "nothing was applied\n" + "\n".join(d.line() for d in refused)
    )

"""Every Helm values key we set must exist in the pinned chart version's default ``values.yaml``.

Helm silently ignores a values key the chart's templates never read (a typo, a key renamed in a
newer chart version, a setting at the wrong level). The only offline authority for which keys a
chart reads is its own default ``values.yaml`` (and its vendored subcharts'), read here straight
from the chart archive.
"""

from __future__ import annotations

import difflib
import io
import os
import tarfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import yaml

from .manifests import PlatformLoader


@dataclass
class ChartDefaults:
    """A chart's default values plus those of its vendored subcharts (keyed by alias or name)."""

    name: str
    version: str
    values: dict
    subcharts: dict[str, ChartDefaults] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.name}-{self.version}"


def _load_yaml(data: bytes, what: str) -> object:
    try:
        return yaml.load(data.decode("utf-8"), Loader=PlatformLoader)
    except yaml.YAMLError as exc:
        raise ValueError(f"{what}: {exc}") from exc


def _chart_from_files(files: Mapping[str, bytes], root: str, what: str) -> ChartDefaults:
    """Build the ChartDefaults of the chart whose files are ``files[root + "/..."]``."""
    meta = _load_yaml(files[f"{root}/Chart.yaml"], f"{what}:{root}/Chart.yaml") or {}
    raw_values = files.get(f"{root}/values.yaml")
    values = (_load_yaml(raw_values, f"{what}:{root}/values.yaml") if raw_values is not None else None) or {}
    if not isinstance(values, dict):
        raise ValueError(f"{what}:{root}/values.yaml is not a mapping")
    chart = ChartDefaults(name=str(meta.get("name")), version=str(meta.get("version")), values=values)

    # vendored subcharts: charts/<dir>/Chart.yaml or charts/<name>-<version>.tgz
    found: dict[str, ChartDefaults] = {}
    prefix = f"{root}/charts/"
    for path in sorted(files):
        if not path.startswith(prefix):
            continue
        rest = path[len(prefix) :]
        if rest.count("/") == 1 and rest.endswith("/Chart.yaml"):
            sub = _chart_from_files(files, prefix + rest.split("/")[0], what)
        elif "/" not in rest and rest.endswith(".tgz"):
            sub = _chart_from_archive(io.BytesIO(files[path]), f"{what}:{path}")
        else:
            continue
        found[sub.name] = sub
    # the values key of a dependency is its alias if it has one
    for dep in meta.get("dependencies") or ():
        sub = found.get(dep.get("name"))
        if sub is not None:
            chart.subcharts[dep.get("alias") or dep["name"]] = sub
    for name, sub in found.items():
        if not any(s is sub for s in chart.subcharts.values()):
            chart.subcharts[name] = sub
    return chart


def _chart_from_archive(fileobj, what: str) -> ChartDefaults:
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=fileobj, mode="r:*") as tar:
        for member in tar.getmembers():
            if member.isfile() and (member.name.endswith(("/Chart.yaml", "/values.yaml", ".tgz"))):
                extracted = tar.extractfile(member)
                if extracted is not None:
                    files[member.name] = extracted.read()
    roots = sorted({name.split("/")[0] for name in files if name.count("/") == 1 and name.endswith("/Chart.yaml")})
    if len(roots) != 1:
        raise ValueError(f"{what}: expected one chart directory in the archive, found {roots}")
    return _chart_from_files(files, roots[0], what)


def chart_default_values(chart_tgz: str | os.PathLike) -> ChartDefaults:
    """The default values of a packaged chart (``<chart>/values.yaml`` inside the .tgz, read in
    memory) and of every subchart vendored in it (``<chart>/charts/<dep>/`` or a nested .tgz)."""
    with open(chart_tgz, "rb") as fh:
        return _chart_from_archive(io.BytesIO(fh.read()), os.fspath(chart_tgz))


# --------------------------------------------------------------------------------------------


def _deep_merge(base: object, over: object) -> object:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = _deep_merge(base.get(key), value) if key in base else value
        return out
    return over if over is not None else base


def _pattern_matches(pattern: list[str], path: list[str]) -> bool:
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_pattern_matches(rest, path[i:]) for i in range(len(path) + 1))
    if not path:
        return False
    return (head == "*" or head == path[0]) and _pattern_matches(rest, path[1:])


def _display(path: list) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


class _Walker:
    def __init__(self, top: ChartDefaults, allow_free_form: Iterable[str], documented: Iterable[str] = ()):
        self.top = top
        self.patterns = [p.split(".") for p in allow_free_form]
        self.documented = {tuple(p.split(".")) for p in documented}
        self.problems: list[str] = []

    def free(self, path: list) -> bool:
        keys = [p for p in path if isinstance(p, str)]
        return any(_pattern_matches(pat, keys) for pat in self.patterns)

    def report(self, chart: ChartDefaults, path: list, candidates: Iterable[str], hint: str = "") -> None:
        where = chart.label if chart is self.top else f"{chart.label} (subchart of {self.top.label})"
        msg = f"{self.top.name}: values key '{_display(path)}' does not exist in {where} values.yaml"
        close = difflib.get_close_matches(str(path[-1]), [str(c) for c in candidates], n=1, cutoff=0.6)
        if close:
            msg += f" (did you mean '{_display([*path[:-1], close[0]])}'?)"
        self.problems.append(msg + hint)

    def chart(self, ours: Mapping, chart: ChartDefaults, parent_defaults: object, path: list) -> None:
        defaults = _deep_merge(chart.values, parent_defaults if isinstance(parent_defaults, dict) else {})
        for key, value in ours.items():
            sub_path = [*path, key]
            if key == "global":
                continue
            if key in chart.subcharts and isinstance(value, dict):
                if not self.free(sub_path):
                    self.chart(value, chart.subcharts[key], defaults.get(key), sub_path)
                continue
            self.key(key, value, defaults, chart, sub_path)

    def mapping(self, ours: Mapping, defaults: Mapping, chart: ChartDefaults, path: list) -> None:
        for key, value in ours.items():
            self.key(key, value, defaults, chart, [*path, key])

    def key(self, key: str, value: object, defaults: Mapping, chart: ChartDefaults, path: list) -> None:
        if key not in defaults and tuple(p for p in path if isinstance(p, str)) not in self.documented:
            hint = ""
            if not defaults and len(path) > 1:
                hint = (
                    f"; '{_display(path[:-1])}' has no keys in the defaults ({{}} or null): list it in allow_free_form "
                    "if it is a free-form map"
                )
            self.report(chart, path, defaults.keys(), hint)
            return
        if self.free(path):
            return
        self.node(value, defaults[key], chart, path)

    def node(self, value: object, default: object, chart: ChartDefaults, path: list) -> None:
        if isinstance(value, dict):
            if isinstance(default, dict):
                self.mapping(value, default, chart, path)
            elif default is None:
                self.mapping(value, {}, chart, path)
            elif value:
                self.problems.append(
                    f"{self.top.name}: values key '{_display(path)}' is a map, but {chart.label} values.yaml "
                    f"has a {type(default).__name__} there"
                )
        elif isinstance(value, list):
            if isinstance(default, list) and default and all(isinstance(item, dict) for item in default):
                union: dict = {}
                for item in default:
                    union = _deep_merge(union, item)  # type: ignore[assignment]
                for index, item in enumerate(value):
                    if isinstance(item, dict):
                        self.mapping(item, union, chart, [*path, index])
            elif isinstance(default, dict) and default and value:
                self.problems.append(
                    f"{self.top.name}: values key '{_display(path)}' is a list, but {chart.label} values.yaml "
                    "has a map there"
                )


def unknown_value_keys(
    values: Mapping,
    defaults: ChartDefaults | Mapping,
    allow_free_form: Iterable[str] = (),
    chart: str | None = None,
    version: str | None = None,
    documented: Iterable[str] = (),
) -> list[str]:
    """Every key path in ``values`` (the values we pass to helm) that the chart does not have.

    * dicts are descended; a key below a default of ``{}`` or ``null`` is an error unless its
      path is in ``allow_free_form`` (dotted paths; ``*`` matches one key, ``**`` any number;
      list items do not add a segment). The allow-listed key itself must still exist.
    * lists: if the default is a non-empty list of maps, our items' keys are checked against the
      union of the default items' keys; otherwise lists are not descended.
    * keys under a dependency's name (or alias) are checked against the subchart's values.yaml
      merged with what the parent's values.yaml sets under that name; ``global`` is always allowed.

    ``documented``: dotted paths the chart's templates read although its values.yaml only names them in a
    comment (they may be absent from the defaults; what is below them is free-form).

    ``chart``/``version`` name the chart in messages when ``defaults`` is a plain mapping; given
    with a :class:`ChartDefaults`, they must match the archive (a pin drift is reported).
    """
    problems: list[str] = []
    if not isinstance(defaults, ChartDefaults):
        defaults = ChartDefaults(name=chart or "chart", version=version or "?", values=dict(defaults))
    else:
        for what, wanted, actual in (("name", chart, defaults.name), ("version", version, defaults.version)):
            if wanted is not None and str(wanted).lstrip("v") != str(actual).lstrip("v"):
                problems.append(
                    f"{chart or defaults.name}: values checked against {defaults.label}, whose {what} is "
                    f"'{actual}', not '{wanted}'"
                )
    walker = _Walker(defaults, [*allow_free_form, *documented], documented)
    walker.chart(values, defaults, {}, [])
    return problems + walker.problems

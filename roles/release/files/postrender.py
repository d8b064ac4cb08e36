# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helm post-renderer of apply mode: the chart's objects at install are the ones the render wrote.

helm pipes the chart's rendered objects to stdin and installs what this prints. It leaves out the
objects the release's drop rules name (as the render did) and fails when the remaining objects are
not, by kind, namespace and name, the ones in the reviewed ``chart.yaml`` (hooks and the chart's
crds/ folder, which helm handles itself, excepted).

    python postrender.py SPEC.json < manifests > manifests

SPEC: ``{"component": str, "drop": [{"kind", "name"}], "expect": [[kind, namespace, name], ...]}``.
Standalone on purpose (helm runs it as a separate process): it imports nothing of the collection.
"""

from __future__ import annotations

import json
import sys

import yaml

HOOK = "helm.sh/hook"


def _identity(obj: dict) -> list:
    meta = obj.get("metadata") or {}
    return [obj.get("kind"), meta.get("namespace") or "", meta.get("name")]


def _dropped(obj: dict, rules: list) -> bool:
    meta = obj.get("metadata") or {}
    return any(rule.get("kind") == obj.get("kind") and rule.get("name") == meta.get("name") for rule in rules)


def post_render(text: str, spec: dict) -> str:
    docs = [doc for doc in yaml.safe_load_all(text) if doc]
    kept = [doc for doc in docs if not _dropped(doc, spec.get("drop") or [])]
    installed = sorted(
        _identity(doc) for doc in kept if HOOK not in ((doc.get("metadata") or {}).get("annotations") or {})
    )
    expected = sorted(spec.get("expect") or [])
    if installed != expected:
        extra = [" ".join(map(str, i)) for i in installed if i not in expected]
        missing = [" ".join(map(str, i)) for i in expected if i not in installed]
        raise SystemExit(
            f"{spec.get('component')}: the chart renders other objects against this cluster than the reviewed "
            f"render (new: {', '.join(extra) or 'none'}; gone: {', '.join(missing) or 'none'}); render again"
        )
    return "".join("---\n" + yaml.safe_dump(doc, default_flow_style=False, sort_keys=False) for doc in kept)


def main(argv: list) -> int:
    with open(argv[1], encoding="utf-8") as handle:
        spec = json.load(handle)
    sys.stdout.write(post_render(sys.stdin.read(), spec))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

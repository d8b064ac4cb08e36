# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reuse of a render whose inputs and output are unchanged: make's rule, for a whole render.

A render depends on files (the inventory, the collection's roles and plugins, the playbook's folder
variables, the chart mirror), on the command line (extra vars, tags, check mode), on tools (ansible,
helm) and on nothing else, as long as no variable looks anything up at run time. :func:`input_key`
digests all of it; after a successful render the release action records that key together with the
digest of every file it wrote (:func:`write_stamp`). The next run computes the key first: when it is
the recorded one and the files are untouched (:func:`is_current`), nothing can have changed, and the
run ends for that host before any other task.

Pure functions over paths and plain data; the action plugin gathers the inputs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re

STAMP_FILE = ".platform-render.json"
# Bump when the key's composition changes, so older stamps stop matching.
STAMP_FORMAT = 1

# Variables that look something up at run time (an environment variable, a file elsewhere, a
# command's output, the clock) make a render depend on more than its files.
_RUNTIME_LOOKUP = re.compile(r"\b(?:lookup|query|q|now)\s*\(|\bpipe\b|ansible_env\b")
# Folders that never hold inputs of a render (the output, tool caches, version control).
_SKIPPED_DIRS = frozenset({".git", "__pycache__", ".venv", ".pytest_cache", ".ruff_cache", "build"})


def _walk(root: str, skipped_dirs=_SKIPPED_DIRS, skipped_suffixes=(".pyc", ".retry")):
    """Every file under ``root`` (or ``root`` itself), sorted; by default skipping caches and version control."""
    if os.path.isfile(root):
        yield root
        return
    for base, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in skipped_dirs)
        for name in sorted(files):
            if not name.endswith(skipped_suffixes):
                yield os.path.join(base, name)


def tree_digest(paths, scan: bool = True) -> tuple:
    """(digest of the names and content of every file under ``paths``, the files that look things up).

    A missing path counts as absent (its absence is part of the digest). ``scan`` False: code whose
    lookups are known (the collection's own) is not searched for them.
    """
    digest = hashlib.sha256()
    lookups = []
    for root in paths:
        digest.update(f"\0root {root}\0".encode())
        if not os.path.exists(root):
            digest.update(b"absent")
            continue
        for path in _walk(root):
            with open(path, "rb") as handle:
                data = handle.read()
            digest.update(f"\0{os.path.relpath(path, root)}\0".encode())
            digest.update(hashlib.sha256(data).digest())
            if scan and _RUNTIME_LOOKUP.search(data.decode("utf-8", "replace")):
                lookups.append(path)
    return digest.hexdigest(), lookups


def stat_digest(paths) -> str:
    """Digest of the name, size and modification time of every file under ``paths`` (big archives)."""
    entries = []
    for root in paths:
        if not os.path.exists(root):
            entries.append((root, "absent"))
            continue
        for path in _walk(root):
            stat = os.stat(path)
            entries.append((path, stat.st_size, stat.st_mtime_ns))
    return hashlib.sha256(json.dumps(entries).encode()).hexdigest()


def input_key(inputs: dict) -> tuple:
    """``(key, reasons)`` for a render's inputs; ``reasons`` non-empty means the render cannot be reused.

    ``inputs``: ``variables`` (folders and files of variables: the inventory sources, the playbook
    folder's playbooks and variables; searched for run-time lookups), ``code`` (the collection's roles,
    plugins and playbooks), ``archives`` (the chart mirror and the helm binary, compared by size and
    time), ``extra_vars`` (the ``-e`` arguments as given) and ``facts`` (plain data: host, tags, modes,
    versions, destination).
    """
    files_digest, lookups = tree_digest(inputs.get("variables", []))
    code_digest, _none = tree_digest(inputs.get("code", []), scan=False)
    extra = []
    for arg in inputs.get("extra_vars", []):
        if isinstance(arg, str) and arg.startswith("@"):
            content_digest, arg_lookups = tree_digest([arg[1:]])
            extra.append(["file", arg[1:], content_digest])
            lookups += arg_lookups
        else:
            extra.append(["value", str(arg)])
            if _RUNTIME_LOOKUP.search(str(arg)):
                lookups.append("-e " + str(arg))
    reasons = [f"{where} looks something up at run time (lookup, query, now, pipe, ansible_env)" for where in lookups]
    document = {
        "format": STAMP_FORMAT,
        "variables": files_digest,
        "code": code_digest,
        "archives": stat_digest(inputs.get("archives", [])),
        "extra_vars": extra,
        "facts": inputs.get("facts", {}),
    }
    key = hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest()
    return key, reasons


def output_digest(dest: str) -> str:
    """Digest of every file a render left under ``dest`` (the stamp itself excepted)."""
    digest = hashlib.sha256()
    stamp = os.path.join(dest, STAMP_FILE)
    # Every file: the folder names the input walk skips may be rendered output here.
    for path in _walk(dest, skipped_dirs=frozenset(), skipped_suffixes=()):
        if path in (stamp, stamp + ".tmp"):
            continue
        with open(path, "rb") as handle:
            digest.update(f"\0{os.path.relpath(path, dest)}\0".encode())
            digest.update(hashlib.sha256(handle.read()).digest())
    return digest.hexdigest()


def write_stamp(dest: str, key: str) -> bool:
    """Record that ``dest`` holds the render of ``key`` (after the render succeeded); whether it wrote.

    A render that changes files later (even one that fails half-way) breaks the record's output digest,
    so a stamp never needs removing.
    """
    os.makedirs(dest, exist_ok=True)
    text = json.dumps({"key": key, "output": output_digest(dest)}, indent=2, sort_keys=True) + "\n"
    path = os.path.join(dest, STAMP_FILE)
    try:
        with open(path, encoding="utf-8") as handle:
            if handle.read() == text:
                return False
    except OSError:
        pass
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)
    return True


def is_current(dest: str, key: str) -> tuple:
    """``(current, why not)``: whether ``dest`` holds the untouched render of ``key``."""
    try:
        with open(os.path.join(dest, STAMP_FILE), encoding="utf-8") as handle:
            recorded = json.load(handle)
    except (OSError, ValueError):
        return False, "no earlier render recorded"
    if not isinstance(recorded, dict) or recorded.get("key") != key:
        return False, "inputs changed since the last render"
    if recorded.get("output") != output_digest(dest):
        return False, "rendered files changed since the last render"
    return True, ""

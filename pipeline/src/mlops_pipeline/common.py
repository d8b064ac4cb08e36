"""Small helpers every step shares: the refusal exception, output files, digests."""

from __future__ import annotations

import hashlib
import json
import pathlib
import typing

from mlops_pipeline import spec


class Refused(Exception):
    """The step refuses its input; a retry cannot help (exit ``spec.EXIT_REFUSED``).

    The message is one line naming the problem; the command line prints it without a traceback.
    """

    exit_code = spec.EXIT_REFUSED


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of ``data`` as 64 lowercase hex digits."""
    return hashlib.sha256(data).hexdigest()


def write_output(path: str, value: str) -> None:
    """Write one output parameter's value to ``path``: the value only, no trailing newline."""
    target = pathlib.Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(value, encoding="utf-8")


def to_json(document: typing.Mapping[str, typing.Any]) -> bytes:
    """Deterministic JSON (sorted keys, two-space indent, final newline) as UTF-8."""
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8")


def say(message: str) -> None:
    """Tell the log what the step does (stdout; Argo keeps it with the step)."""
    print(message, flush=True)

#!/usr/bin/env bash
# Regenerate requirements.lock, requirements-test.lock and requirements-build.lock (fully pinned, with hashes) for the
# step image's Python (3.10), from PyPI only, in a throw-away virtual environment.
# Usage: pipeline/lock.sh [PYTHON3.10]   (default: pyenv's 3.10 if present, else python3.10)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${1:-}"
if [[ -z "$python" ]]; then
  if command -v pyenv >/dev/null 2>&1 && [[ -x "$(pyenv root)/versions/3.10.13/bin/python" ]]; then
    python="$(pyenv root)/versions/3.10.13/bin/python"
  else
    python="python3.10"
  fi
fi
"$python" -c 'import sys; assert sys.version_info[:2] == (3, 10), sys.version' \
  || { echo "lock.sh: needs Python 3.10 (the serving-runtime contract's minor), got $python" >&2; exit 2; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# PyPI only: ignore this machine's pip configuration (local wheel folders, extra indexes).
export PIP_CONFIG_FILE=/dev/null
unset PIP_FIND_LINKS PIP_EXTRA_INDEX_URL PIP_INDEX_URL PIP_CONSTRAINT
"$python" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet --index-url https://pypi.org/simple 'pip-tools==7.7.0'
compile() {
  (cd "$here" && "$tmp/venv/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --strip-extras \
    --no-emit-index-url --no-emit-find-links --index-url https://pypi.org/simple \
    --output-file "$2" "$1")
}
compile requirements.in requirements.lock
compile requirements-test.in requirements-test.lock
compile requirements-build.in requirements-build.lock
echo "lock.sh: wrote requirements.lock, requirements-test.lock and requirements-build.lock in $here"

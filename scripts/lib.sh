# Shared helpers for the scripts in this folder (sourced, not executed).
# shellcheck shell=bash

log() { printf '==> %s\n' "$*" >&2; }

die() {
    printf 'ERROR: %s\n' "$*" >&2
    exit 1
}

# require_python PYTHON: the toolchain (ansible 12 / ansible-core 2.19) is
# locked for Python 3.11, see /work/shared/TESTING.md.
require_python() {
    local py=$1 ver
    command -v "$py" >/dev/null 2>&1 || die "'$py' not found; install Python 3.11 or set PYTHON=/path/to/python3.11"
    ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])') || die "'$py' does not run"
    [ "$ver" = "3.11" ] || die "'$py' is Python $ver; this project needs Python 3.11 (set PYTHON=/path/to/python3.11)"
}

# pip_quiet CMD...: run pip, dropping the noise about the machine's optional
# find-links/extra-index folders (/opt/pypi*, /opt/wheels) when they are absent.
pip_quiet() {
    local rc=0
    "$@" 2>&1 | { grep -v -E "^WARNING: (Location|Url) '[^']*' is ignored" || true; } || rc=$?
    return "$rc"
}

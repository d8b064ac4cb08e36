#!/usr/bin/env bash
# Every module, filter and lookup in plugins/{modules,filter,lookup} must render
# with ansible-doc: a plugin whose docs do not load fails here, and so does one
# for which ansible-doc prints nothing (e.g. a filter file whose name is not the
# filter's name). Run from the Makefile (`make docs`), with .venv/bin on PATH.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
mkdir -p build

# plugin names of TYPE found in DIR: NAME.py (and, for filters, NAME.yml doc sidecars)
names() {
    local dir=$1 f
    [ -d "$dir" ] || return 0
    for f in "$dir"/*.py "$dir"/*.yml "$dir"/*.yaml; do
        [ -f "$f" ] || continue
        f=${f##*/}
        f=${f%.*}
        case $f in __init__ | _*) continue ;; esac
        echo "$f"
    done | sort -u
}

checked=0
failed=0
for spec in module:plugins/modules filter:plugins/filter lookup:plugins/lookup; do
    type=${spec%%:*}
    dir=${spec#*:}
    for name in $(names "$dir"); do
        fqcn=mlops.platform.$name
        checked=$((checked + 1))
        if ! out=$(ansible-doc -t "$type" "$fqcn" 2>"$ROOT/build/.ansible-doc.err"); then
            echo "FAIL ansible-doc -t $type $fqcn:" >&2
            cat "$ROOT/build/.ansible-doc.err" >&2
            failed=$((failed + 1))
        elif [ -z "$(printf '%s' "$out" | tr -d '[:space:]')" ]; then
            echo "FAIL ansible-doc -t $type $fqcn printed nothing:" >&2
            cat "$ROOT/build/.ansible-doc.err" >&2
            failed=$((failed + 1))
        else
            echo "ok   ansible-doc -t $type $fqcn"
        fi
    done
done
rm -f "$ROOT/build/.ansible-doc.err"

echo "docs: $checked plugin(s) checked, $failed failed"
[ "$failed" -eq 0 ]

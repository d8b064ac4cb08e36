#!/usr/bin/env bash
# Run the given make targets in order (all of them, even after a failure, so CI
# shows every broken layer at once), keep each one's log under build/test-logs/,
# and print a summary with durations and pytest's pass/skip counts.
# Usage: scripts/test-all.sh lint sanity unit integration docs build
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
LOGS=$ROOT/build/test-logs
MAKE=${MAKE:-make}
rm -rf "$LOGS" && mkdir -p "$LOGS"

declare -a rows=()
failed=0
total_start=$SECONDS

for target in "$@"; do
    printf '\n==> make %s\n' "$target"
    start=$SECONDS
    "$MAKE" -C "$ROOT" --no-print-directory "$target" </dev/null 2>&1 | tee "$LOGS/$target.log"
    rc=${PIPESTATUS[0]}
    elapsed=$((SECONDS - start))
    if [ "$rc" -eq 0 ]; then status=PASS; else status="FAIL(rc=$rc)" failed=1; fi
    # pytest's closing line, e.g. "===== 12 passed, 2 skipped in 3.40s ====="
    detail=$(grep -E '^=+ .*(passed|failed|skipped|error|no tests ran).* in [0-9.]+s.* =+$' "$LOGS/$target.log" |
        tail -n 1 | sed -E 's/^=+ //; s/ =+$//')
    [ -n "$detail" ] || detail=$(grep -E '^(pytest|docs): ' "$LOGS/$target.log" | tail -n 1)
    if [ "$target" = sanity ]; then
        # ansible-test skips a test whose tool is missing with only a warning: surface it.
        ran=$(grep -c '^Running sanity test' "$LOGS/$target.log")
        missing=$(grep -oE '^WARNING: Required program "[^"]+" not found' "$LOGS/$target.log" |
            sed -E 's/.*"(.*)".*/\1/' | paste -sd, -)
        failed_tests=$(grep -oE '^FATAL: The [0-9]+ sanity test\(s\)' "$LOGS/$target.log" | grep -oE '[0-9]+' || true)
        detail="$ran tests run${failed_tests:+, $failed_tests failed}${missing:+; skipped for a missing program: $missing}"
    fi
    if [ "$target" = lint ]; then
        detail=$(grep -oE '^lint: [a-z-]+ FAILED' "$LOGS/$target.log" | sed 's/^lint: //; s/ FAILED//' | paste -sd, -)
        [ -z "$detail" ] || detail="failed: $detail"
    fi
    rows+=("$(printf '%-12s %-12s %5ss  %s' "$target" "$status" "$elapsed" "$detail")")
done

printf '\n===== summary (logs: %s) =====\n' "${LOGS#"$ROOT"/}"
printf '%s\n' "${rows[@]}"
printf 'total %ss: %s\n' "$((SECONDS - total_start))" "$([ "$failed" -eq 0 ] && echo PASSED || echo FAILED)"
# One closing line over every pytest run, in the plain "N passed, N failed" form.
count() { cat "$LOGS"/*.log | grep -E '^=+ .* in [0-9.]+s.* =+$' | grep -oE "[0-9]+ $1" | awk '{s += $1} END {print s + 0}'; }
printf 'tests: %s passed, %s failed, %s skipped\n' "$(count passed)" "$(( $(count failed) + $(count error) ))" "$(count skipped)"
exit "$failed"

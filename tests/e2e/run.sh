#!/bin/sh
# End-to-end tests: run every case script tests/e2e/*.sh (except this
# driver) with the build directory, collect its "ok ..." / "FAIL ..." /
# "skip ..." lines, and finish with "N passed, M failed, K skipped".
# A case that exits non-zero without printing FAIL counts as one failure.
# Environment given to cases: BUILD, SPURUN, CORPUS (../shared/corpus),
# TOOLS (../shared/tools), E2E (this directory), TMPD (a scratch dir,
# removed afterwards), PY (/usr/bin/python3), SAN (1 in the ASan build).
# Usage: tests/e2e/run.sh BUILD [CASE...]
set -u
BUILD=${1:?usage: run.sh BUILD [CASE...]}
shift
E2E=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$E2E/../.." && pwd)
SPURUN="$ROOT/$BUILD/spurun"
[ -x "$SPURUN" ] || SPURUN="$BUILD/spurun"
CORPUS=$(cd "$ROOT/../shared/corpus" 2>/dev/null && pwd)
TOOLS=$(cd "$ROOT/../shared/tools" 2>/dev/null && pwd)
PY=/usr/bin/python3
SAN=${SAN:-0}
TMPD=$(mktemp -d)
# Sanitizer reports must not pass for spurun's own exit status 1 (a damaged
# capture): give them exit codes of their own.
ASAN_OPTIONS=${ASAN_OPTIONS:-exitcode=86:detect_leaks=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-exitcode=87:print_stacktrace=1}
export ASAN_OPTIONS UBSAN_OPTIONS
export BUILD SPURUN CORPUS TOOLS E2E ROOT PY SAN TMPD
trap 'rm -rf "$TMPD"' EXIT INT TERM
cases="$*"
[ -n "$cases" ] || cases=$(ls "$E2E"/*.sh | grep -v '/run\.sh$')
pass=0; fail=0; skip=0
for c in $cases; do
    name=$(basename "$c" .sh)
    out="$TMPD/$name.out"
    mkdir -p "$TMPD/$name"
    start=$(date +%s)
    TMPC="$TMPD/$name" sh "$c" > "$out" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    grep -E '^(ok|FAIL|skip)( |$)' "$out"
    p=$(grep -c '^ok' "$out"); f=$(grep -c '^FAIL' "$out"); s=$(grep -c '^skip' "$out")
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
        tail -n 20 "$out"
        echo "FAIL $name: exited $rc"
        f=1
    fi
    [ "$f" -gt 0 ] && grep -vE '^(ok|FAIL|skip)( |$)' "$out" | tail -n 20
    echo "     ($name: ${secs}s)"
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
done
echo "e2e: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]

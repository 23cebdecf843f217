#!/bin/sh
# Run every Criterion unit-test binary; print a one-line result per binary
# and the failures in full. Exit 1 if any failed.
build="$1"; shift
fail=0; failed=""
for t in "$@"; do
    out=$("$t" --jobs=2 --short-filename 2>&1)
    rc=$?
    name=$(basename "$t")
    summary=$(printf '%s\n' "$out" | grep -E '^\[====\] Synthesis' | tail -n 1)
    if [ $rc -ne 0 ]; then
        printf '%s\n' "$out" | grep -vE '^\[----\] .*: Running|^\[RUN \]|^\[PASS\]' | tail -n 60
        echo "FAIL $name ($summary)"
        fail=1; failed="$failed $name"
    else
        echo "ok   $name ${summary#\[====\] }"
    fi
done
[ $fail -eq 0 ] || { echo "unit tests failed:$failed"; exit 1; }

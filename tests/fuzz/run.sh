#!/bin/sh
# Run each libFuzzer target for SECONDS, seeded from tests/fuzz/seeds/<target>/
# and by tests/fuzz/seed-<target>.sh BUILD DIR when it exists (shipped
# grammars, rules and their bundles). Crashes are kept in BUILD/fuzz/crash-<target>/.
# FUZZ_TIMES="name=SECS ..." gives named targets their own time (make test-fuzz).
build="$1"; secs="$2"; shift 2
fail=0
for f in "$@"; do
    name=$(basename "$f")
    corpus="$build/fuzz/corpus-$name"
    crash="$build/fuzz/crash-$name"
    mkdir -p "$corpus" "$crash"
    [ -d "tests/fuzz/seeds/$name" ] && cp -n tests/fuzz/seeds/"$name"/* "$corpus"/ 2>/dev/null
    [ -x "tests/fuzz/seed-$name.sh" ] && "tests/fuzz/seed-$name.sh" "$build" "$corpus"
    t=$secs
    for o in $FUZZ_TIMES; do [ "${o%%=*}" = "$name" ] && t=${o#*=}; done
    echo "fuzz $name for ${t}s"
    if ! "$f" -max_total_time="$t" -print_final_stats=0 -artifact_prefix="$crash/" \
            -rss_limit_mb=4096 "$corpus" > "$build/fuzz/$name.log" 2>&1; then
        tail -n 40 "$build/fuzz/$name.log"
        echo "FAIL fuzz $name (artifacts in $crash)"
        fail=1
    else
        echo "ok   fuzz $name: $(grep -E 'Done [0-9]+ runs' "$build/fuzz/$name.log" | tail -n 1)"
    fi
done
exit $fail

#!/bin/sh
# Seeds for fuzz-codegen: the same inputs as fuzz-frontend (golden cases,
# shipped grammars and rules, grammar+rules pairs), plus a few generated
# rules on the compile benchmark's grammar.
# usage: tests/fuzz/seed-fuzz-codegen.sh BUILD DIR
[ -n "$2" ] || { echo "usage: $0 BUILD DIR" >&2; exit 2; }
sh tests/fuzz/seed-fuzz-frontend.sh "$@" || exit 1
gen="$1/bench/gen-rules"
if [ -x "$gen" ]; then
    { cat tests/bench/web.spg; printf '%%%%\n'; "$gen" -n 20 -s 7; } \
        > "$2/seed-pair-bench-web-rules"
fi
exit 0

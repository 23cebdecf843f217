#!/bin/sh
# The suricata-verify corpus, flow/stats/anomaly checks: run spurun on every
# test's capture with the test's options mapped (corpus-args.py), evaluate
# with eve-check --types flow,stats,anomaly, and fail when the number of
# passing checks drops below tests/e2e/expected-flow-pass-count. Every
# record written must also validate against Suricata's schema once `spu`
# is removed (tests/tools/eve-validate). Failures by cause:
# docs/corpus-flow.md.
. "$E2E/lib.inc"
SV="$CORPUS/suricata-verify"
OUT="$TMPC/results"
mkdir -p "$OUT"
"$PY" "$E2E/corpus-args.py" --all "$SV" > "$TMPC/tests.tsv"
total=$(wc -l < "$TMPC/tests.tsv")
# two at a time: the machine has two cores
tr '\t' '\n' < "$TMPC/tests.tsv" | xargs -d '\n' -n 2 -P 2 sh -c '
    rel=$1; opts=$2
    mkdir -p "$0/$rel"
    eval "set -- $opts"
    "$SPURUN" -r "'"$SV"'/$rel/input.pcap" -l "$0/$rel" -w 2 --no-progress "$@" \
        > "$0/$rel/stdout" 2> "$0/$rel/stderr"
    echo $? > "$0/$rel/rc"' "$OUT"
ran=$(find "$OUT" -name rc | wc -l)
crashed=$(cat $(find "$OUT" -name rc) | grep -cvE '^(0|1)$')
if [ "$ran" -eq "$total" ] && [ "$crashed" -eq 0 ]; then
    echo "ok corpus run: $total captures, no crash (exit 0, or 1 for damaged captures)"
else
    echo "FAIL corpus run: $ran of $total ran, $crashed exited with neither 0 nor 1"
    grep -lvE '^(0|1)$' $(find "$OUT" -name rc) | head -5
fi
"$PY" "$TOOLS/eve-check" --types flow,stats,anomaly -q --summary "$SV" "$OUT" > "$TMPC/summary.txt"
line=$(tail -n 1 "$TMPC/summary.txt")
passed=$(echo "$line" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
expected=$(cat "$E2E/expected-flow-pass-count")
if [ -n "$passed" ] && [ "$passed" -ge "$expected" ]; then
    echo "ok corpus checks: $line (expected at least $expected passed)"
    [ "$passed" -gt "$expected" ] && echo "    more than recorded: update tests/e2e/expected-flow-pass-count to $passed"
else
    echo "FAIL corpus checks: $line (expected at least $expected passed)"
    grep '^FAIL' "$TMPC/summary.txt" | head -20
fi
find "$OUT" -name eve.json | sort > "$TMPC/eves"
"$PY" "$ROOT/tests/tools/eve-validate" $(cat "$TMPC/eves") > "$TMPC/schema.txt"
if [ $? -eq 0 ]; then
    echo "ok corpus schema: $(tail -n 1 "$TMPC/schema.txt" | sed 's/passed/records valid/; s/failed/invalid/')"
else
    echo "FAIL corpus schema: $(tail -n 1 "$TMPC/schema.txt")"
    head -n 10 "$TMPC/schema.txt"
fi

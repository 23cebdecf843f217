#!/bin/sh
# The alert checks of the suricata-verify corpus with its own rules: every
# test that has a test.rules is imported (spuc compiles the .rules file
# with grammars/*.spg), run by spurun with the test's options
# (corpus-args.py), and its alert checks evaluated by eve-check --types
# alert. The pass count must not drop below
# tests/e2e/expected-import-verify-count. Needs the HTTP grammar in the
# tree (skipped before); failing tests are grouped by cause.
SPUC="$(dirname "$SPURUN")/spuc"
SV="$CORPUS/suricata-verify"
[ -f "$ROOT/grammars/http.spg" ] || { echo "skip import-verify: grammars/http.spg is not in this tree yet"; exit 0; }
[ -d "$SV" ] || { echo "skip import-verify: no $SV"; exit 0; }
OUT="$TMPC/results"
mkdir -p "$OUT"
"$PY" "$E2E/corpus-args.py" --all "$SV" > "$TMPC/all.tsv"
# only the tests with rules
while IFS="$(printf '\t')" read -r rel opts; do
    [ -f "$SV/$rel/test.rules" ] && printf '%s\t%s\n' "$rel" "$opts"
done < "$TMPC/all.tsv" > "$TMPC/tests.tsv"
total=$(wc -l < "$TMPC/tests.tsv")
tr '\t' '\n' < "$TMPC/tests.tsv" | xargs -d '\n' -n 2 -P 2 sh -c '
    rel=$1; opts=$2
    d="$0/$rel"
    mkdir -p "$d"
    cp "'"$SV"'/$rel/test.rules" "$d/test.rules"
    if "'"$SPUC"'" -I "'"$ROOT"'/grammars" "'"$ROOT"'"/grammars/*.spg "$d/test.rules" \
            -o "$d/b.spb" > "$d/spuc.out" 2>&1; then
        eval "set -- $opts"
        "'"$SPURUN"'" -b "$d/b.spb" -r "'"$SV"'/$rel/input.pcap" -l "$d" -w 1 --no-progress "$@" \
            > "$d/stdout" 2> "$d/stderr"
        echo $? > "$d/rc"
    else
        echo compile > "$d/rc"
    fi' "$OUT"
compiled=$(cat $(find "$OUT" -name rc) | grep -cv compile)
echo "ok import-verify: $compiled of $total tests with rules compiled and ran"
"$PY" "$TOOLS/eve-check" --types alert -q --summary "$SV" "$OUT" > "$TMPC/summary.txt"
line=$(tail -n 1 "$TMPC/summary.txt")
passed=$(echo "$line" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
expected=$(cat "$E2E/expected-import-verify-count")
if [ -n "$passed" ] && [ "$passed" -ge "$expected" ]; then
    echo "ok import-verify alert checks: $line (expected at least $expected passed)"
else
    echo "FAIL import-verify alert checks: $line (expected at least $expected passed)"
fi
# failing tests by cause: a rule skipped by the importer, no alert at all,
# or alerts that differ from the expected ones
"$PY" - "$TMPC/summary.txt" "$OUT" <<'PY'
import json, os, sys
causes = {}
for line in open(sys.argv[1]):
    if not line.startswith("FAIL "):
        continue
    rel = line.split()[1].rstrip(":")
    d = os.path.join(sys.argv[2], rel)
    if not os.path.exists(os.path.join(d, "rc")):
        cause = "no rules (checks of a test without test.rules)"
    elif open(os.path.join(d, "rc")).read().strip() == "compile":
        cause = "the imported rules do not compile"
    elif "(skipped)" in open(os.path.join(d, "spuc.out")).read():
        cause = "a rule of the test is skipped by the importer"
    else:
        eve = os.path.join(d, "eve.json")
        n = sum(1 for l in open(eve) if '"event_type":"alert"' in l) if os.path.exists(eve) else 0
        cause = "alerts differ from the expected ones" if n else "no alert at all"
    causes.setdefault(cause, []).append(rel)
for cause, tests in sorted(causes.items(), key=lambda kv: -len(kv[1])):
    print("    %4d tests: %s (e.g. %s)" % (len(tests), cause, ", ".join(tests[:4])))
PY

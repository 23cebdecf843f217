#!/bin/sh
# make verify: the application layer on the suricata-verify corpus.
#
# Compiles grammars/*.spg into one bundle, runs spurun with it over every
# test of ../shared/corpus/suricata-verify (each test's command line and
# suricata.yaml settings mapped to spurun options by
# tests/e2e/corpus-args.py: -k none, midstream, BPF) into RESULTS_DIR,
# then
#   1. ../shared/tools/eve-check --types http --summary (Suricata's own
#      expectations of the http records), against
#      tests/verify/expected-app-pass-count; and --types smtp,fileinfo
#      against tests/verify/expected-smtp-pass-count;
#   2. every record validates against Suricata's schema once `spu` is
#      removed (tests/tools/eve-validate);
#   3. tests/verify/tshark-compare.py: every HTTP transaction Wireshark
#      reports (tshark-http.json beside each capture) must be one of ours
#      with the same method, uri, host, user agent and status; against
#      tests/verify/expected-tshark-agree-count; tshark-smtp-compare.py
#      the same for SMTP (tshark-smtp.json: HELO/EHLO, MAIL, RCPT, DATA
#      and each mail's subject, From and To) against
#      tests/verify/expected-tshark-smtp-agree-count.
# Prints "ok ..." / "FAIL ..." lines (the e2e runner's format) and the
# failing checks; exits 1 when a count dropped below its record.
# Usage: tests/verify/run.sh BUILD [RESULTS_DIR]
set -u
BUILD=${1:?usage: run.sh BUILD [RESULTS_DIR]}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT" || exit 1
SPURUN="$ROOT/$BUILD/spurun"
[ -x "$SPURUN" ] || SPURUN="$BUILD/spurun"
SPUC="$ROOT/$BUILD/spuc"
[ -x "$SPUC" ] || SPUC="$BUILD/spuc"
CORPUS=${CORPUS:-$(cd "$ROOT/../shared/corpus" && pwd)}
TOOLS=${TOOLS:-$(cd "$ROOT/../shared/tools" && pwd)}
PY=${PY:-/usr/bin/python3}
SV="$CORPUS/suricata-verify"
OUT=${2:-${RESULTS_DIR:-$ROOT/$BUILD/verify}}
rm -rf "$OUT"
mkdir -p "$OUT/.run"
status=0

if ! "$SPUC" -n grammars -I grammars -o "$OUT/.run/grammars.spb" grammars/*.spg > "$OUT/.run/spuc.txt" 2>&1; then
    echo "FAIL verify: grammars/*.spg do not compile"
    cat "$OUT/.run/spuc.txt"
    exit 1
fi
"$PY" tests/e2e/corpus-args.py --all "$SV" > "$OUT/.run/tests.tsv"
total=$(wc -l < "$OUT/.run/tests.tsv")
# two at a time: the machine has two cores
tr '\t' '\n' < "$OUT/.run/tests.tsv" | xargs -d '\n' -n 2 -P 2 sh -c '
    rel=$1; opts=$2
    mkdir -p "$0/$rel"
    eval "set -- $opts"
    "'"$SPURUN"'" -r "'"$SV"'/$rel/input.pcap" -b "grammars='"$OUT"'/.run/grammars.spb" \
        -l "$0/$rel" -w 2 --no-progress "$@" > "$0/$rel/stdout" 2> "$0/$rel/stderr"
    echo $? > "$0/$rel/rc"' "$OUT"
crashed=$(cat $(find "$OUT" -name rc) | grep -cvE '^(0|1)$')
if [ "$crashed" -eq 0 ]; then
    echo "ok verify run: $total captures with grammars/*.spg, no crash"
else
    echo "FAIL verify run: $crashed of $total exited with neither 0 nor 1"
    grep -lvE '^(0|1)$' $(find "$OUT" -name rc) | head -5
    status=1
fi

"$PY" "$TOOLS/eve-check" --types http -q --summary "$SV" "$OUT" > "$OUT/.run/eve-check.txt"
line=$(tail -n 1 "$OUT/.run/eve-check.txt")
passed=$(echo "$line" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
expected=$(cat "$HERE/expected-app-pass-count")
if [ -n "$passed" ] && [ "$passed" -ge "$expected" ]; then
    echo "ok verify http checks: $line (expected at least $expected passed)"
    [ "$passed" -gt "$expected" ] &&
        echo "    more than recorded: update tests/verify/expected-app-pass-count to $passed"
else
    echo "FAIL verify http checks: $line (expected at least $expected passed)"
    grep '^FAIL' "$OUT/.run/eve-check.txt" | head -20
    status=1
fi

"$PY" "$TOOLS/eve-check" --types smtp,fileinfo -q --summary "$SV" "$OUT" > "$OUT/.run/eve-check-smtp.txt"
line=$(tail -n 1 "$OUT/.run/eve-check-smtp.txt")
passed=$(echo "$line" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
expected=$(cat "$HERE/expected-smtp-pass-count")
if [ -n "$passed" ] && [ "$passed" -ge "$expected" ]; then
    echo "ok verify smtp+fileinfo checks: $line (expected at least $expected passed)"
    [ "$passed" -gt "$expected" ] &&
        echo "    more than recorded: update tests/verify/expected-smtp-pass-count to $passed"
else
    echo "FAIL verify smtp+fileinfo checks: $line (expected at least $expected passed)"
    grep '^FAIL' "$OUT/.run/eve-check-smtp.txt" | head -20
    status=1
fi

"$PY" "$HERE/tshark-compare.py" "$SV" "$OUT" > "$OUT/.run/tshark.txt"
line=$(tail -n 1 "$OUT/.run/tshark.txt")
agree=$(echo "$line" | sed -n 's/^\([0-9]*\) agree.*/\1/p')
expected=$(cat "$HERE/expected-tshark-agree-count")
if [ -n "$agree" ] && [ "$agree" -ge "$expected" ]; then
    echo "ok verify tshark: $line (expected at least $expected agreeing)"
    [ "$agree" -gt "$expected" ] &&
        echo "    more than recorded: update tests/verify/expected-tshark-agree-count to $agree"
else
    echo "FAIL verify tshark: $line (expected at least $expected agreeing)"
    grep -v '^ok' "$OUT/.run/tshark.txt" | head -20
    status=1
fi
"$PY" "$HERE/tshark-smtp-compare.py" "$SV" "$OUT" > "$OUT/.run/tshark-smtp.txt"
line=$(tail -n 1 "$OUT/.run/tshark-smtp.txt")
agree=$(echo "$line" | sed -n 's/^\([0-9]*\) agree.*/\1/p')
expected=$(cat "$HERE/expected-tshark-smtp-agree-count")
if [ -n "$agree" ] && [ "$agree" -ge "$expected" ]; then
    echo "ok verify tshark smtp: $line (expected at least $expected agreeing)"
    [ "$agree" -gt "$expected" ] &&
        echo "    more than recorded: update tests/verify/expected-tshark-smtp-agree-count to $agree"
else
    echo "FAIL verify tshark smtp: $line (expected at least $expected agreeing)"
    grep -v '^ok' "$OUT/.run/tshark-smtp.txt" | head -20
    status=1
fi
find "$OUT" -name eve.json | sort > "$OUT/.run/eves"
if "$PY" tests/tools/eve-validate $(cat "$OUT/.run/eves") > "$OUT/.run/schema.txt"; then
    echo "ok verify schema: $(tail -n 1 "$OUT/.run/schema.txt" | sed 's/passed/records valid/; s/failed/invalid/')"
else
    echo "FAIL verify schema: $(tail -n 1 "$OUT/.run/schema.txt")"
    head -n 10 "$OUT/.run/schema.txt"
    status=1
fi
exit $status

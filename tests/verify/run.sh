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

# guard LABEL FILE WORD RECORD WHAT: the count before WORD on FILE's last line must
# be at least the one in tests/verify/RECORD; a failure lists FILE's failing lines
guard() {
    line=$(tail -n 1 "$2")
    n=$(echo "$line" | sed -n "s/^\([0-9]*\) $3.*/\1/p")
    expected=$(cat "$HERE/$4")
    if [ -n "$n" ] && [ "$n" -ge "$expected" ]; then
        echo "ok verify $1: $line (expected at least $expected $5)"
        if [ "$n" -gt "$expected" ]; then
            echo "    more than recorded: update tests/verify/$4 to $n"
        fi
    else
        echo "FAIL verify $1: $line (expected at least $expected $5)"
        grep -E '^(FAIL|MISSING|DIFF)' "$2" | head -20
        status=1
    fi
}

"$PY" "$TOOLS/eve-check" --types http -q --summary "$SV" "$OUT" > "$OUT/.run/eve-check.txt"
guard "http checks" "$OUT/.run/eve-check.txt" passed expected-app-pass-count passed
"$PY" "$TOOLS/eve-check" --types smtp,fileinfo -q --summary "$SV" "$OUT" > "$OUT/.run/eve-check-smtp.txt"
guard "smtp+fileinfo checks" "$OUT/.run/eve-check-smtp.txt" passed expected-smtp-pass-count passed
"$PY" "$HERE/tshark-compare.py" "$SV" "$OUT" > "$OUT/.run/tshark.txt"
guard tshark "$OUT/.run/tshark.txt" agree expected-tshark-agree-count agreeing
"$PY" "$HERE/tshark-smtp-compare.py" "$SV" "$OUT" > "$OUT/.run/tshark-smtp.txt"
guard "tshark smtp" "$OUT/.run/tshark-smtp.txt" agree expected-tshark-smtp-agree-count agreeing
find "$OUT" -name eve.json | sort > "$OUT/.run/eves"
if "$PY" tests/tools/eve-validate $(cat "$OUT/.run/eves") > "$OUT/.run/schema.txt"; then
    echo "ok verify schema: $(tail -n 1 "$OUT/.run/schema.txt" | sed 's/passed/records valid/; s/failed/invalid/')"
else
    echo "FAIL verify schema: $(tail -n 1 "$OUT/.run/schema.txt")"
    head -n 10 "$OUT/.run/schema.txt"
    status=1
fi
exit $status

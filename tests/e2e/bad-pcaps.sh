#!/bin/sh
# Truncated, corrupt and random-byte captures: exit status 1, the fault's
# byte offset on stderr, every packet before it processed and its events
# written as complete JSON lines.
. "$E2E/lib.inc"
src="$CORPUS/suricata-verify/http-range-multiflows/input.pcap"
size=$(wc -c < "$src")
cut=$((size - 100))
head -c $cut "$src" > "$TMPC/trunc.pcap"
"$SPURUN" -r "$TMPC/trunc.pcap" -o "$TMPC/trunc.json" -w 2 --no-progress 2> "$TMPC/trunc.err"
rc=$?
flows_n=$(flows "$TMPC/trunc.json" | grep -c .)
pkts=$(stat "$TMPC/trunc.json" stats.decoder.pkts)
full=$("$SPURUN" -r "$src" -o "$TMPC/full.json" -w 2 --no-progress 2>&1 | sed -n 's/.*packets=\([0-9]*\).*/\1/p')
if [ $rc -eq 1 ] && grep -q "offset [0-9]" "$TMPC/trunc.err" && [ "$flows_n" -gt 0 ] &&
   [ "$pkts" -gt 0 ] && [ "$pkts" -lt "$full" ]; then
    echo "ok bad-pcaps truncated: exit 1, $(grep -o 'offset [0-9]*' "$TMPC/trunc.err"), $pkts of $full packets processed, $flows_n flow events"
else
    echo "FAIL bad-pcaps truncated: rc=$rc flows=$flows_n pkts=$pkts/$full"; cat "$TMPC/trunc.err"
fi
# --split-read: each worker meets the fault; one report, the same events
"$SPURUN" -r "$TMPC/trunc.pcap" -o "$TMPC/strunc.json" -w 2 --split-read --no-progress \
    2> "$TMPC/strunc.err"
rc=$?
flows "$TMPC/trunc.json" > "$TMPC/trunc.flows"
flows "$TMPC/strunc.json" > "$TMPC/strunc.flows"
spkts=$(stat "$TMPC/strunc.json" stats.decoder.pkts)
if [ $rc -eq 1 ] && [ "$(grep -c 'offset [0-9]' "$TMPC/strunc.err")" = 1 ] &&
   [ "$spkts" = "$pkts" ] && cmp -s "$TMPC/trunc.flows" "$TMPC/strunc.flows"; then
    echo "ok bad-pcaps truncated split-read: exit 1, the fault reported once, the same $spkts packets and flow events"
else
    echo "FAIL bad-pcaps truncated split-read: rc=$rc pkts=$spkts/$pkts"; cat "$TMPC/strunc.err"
fi
"$SPURUN" -r - --split-read -o "$TMPC/stdin.json" < "$src" 2> "$TMPC/stdin.err"
[ $? -eq 2 ] && grep -q "split-read" "$TMPC/stdin.err" &&
    echo "ok bad-pcaps split-read from stdin: refused as a usage error" ||
    { echo "FAIL bad-pcaps split-read from stdin"; cat "$TMPC/stdin.err"; }
head -c 100000 /dev/urandom > "$TMPC/random.pcap"
"$SPURUN" -r "$TMPC/random.pcap" -o "$TMPC/random.json" --no-progress 2> "$TMPC/random.err"
rc=$?
if [ $rc -eq 1 ] && grep -q "random.pcap" "$TMPC/random.err"; then
    echo "ok bad-pcaps random bytes: refused with exit 1"
else
    echo "FAIL bad-pcaps random bytes: rc=$rc"; cat "$TMPC/random.err"
fi
# a valid header followed by random records
head -c 24 "$src" > "$TMPC/junk.pcap"
head -c 100000 /dev/urandom >> "$TMPC/junk.pcap"
"$SPURUN" -r "$TMPC/junk.pcap" -o "$TMPC/junk.json" --no-progress 2> "$TMPC/junk.err"
rc=$?
if [ $rc -eq 1 ] && grep -q "offset" "$TMPC/junk.err" && "$PY" -c '
import json, sys
[json.loads(l) for l in open(sys.argv[1])]' "$TMPC/junk.json"; then
    echo "ok bad-pcaps random records: exit 1 at $(grep -o 'offset [0-9]*' "$TMPC/junk.err"), output is whole JSON lines"
else
    echo "FAIL bad-pcaps random records: rc=$rc"; cat "$TMPC/junk.err"
fi
"$SPURUN" -r /nonexistent.pcap -o "$TMPC/none.json" --no-progress 2>/dev/null
[ $? -eq 1 ] && echo "ok bad-pcaps missing file: exit 1" || echo "FAIL bad-pcaps missing file"
"$SPURUN" -r "$src" -w 0 2>/dev/null
[ $? -eq 2 ] && echo "ok bad-pcaps usage error: exit 2" || echo "FAIL bad-pcaps usage error"

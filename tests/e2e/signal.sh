#!/bin/sh
# SIGINT/SIGTERM stop a run cleanly: queues drained, flows ended, the last
# stats event written, only complete JSON lines, exit status 0.
. "$E2E/lib.inc"
pcap="$CORPUS/suricata-verify/http-range-multiflows/input.pcap"
for sig in INT TERM; do
    "$SPURUN" -r "$pcap" --realtime -w 2 -o "$TMPC/$sig.json" --no-progress 2>/dev/null &
    pid=$!
    sleep 1
    kill -$sig $pid
    wait $pid
    rc=$?
    if [ $rc -eq 0 ] && "$PY" -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert recs and recs[-1]["event_type"] == "stats"
pk = recs[-1]["stats"]["decoder"]["pkts"]
assert pk > 0
flows = [r for r in recs if r["event_type"] == "flow"]
assert flows and all(f["flow"]["reason"] in ("shutdown", "timeout") for f in flows)
' "$TMPC/$sig.json"; then
        echo "ok signal $sig: clean stop, whole lines, flows ended, last stats written"
    else
        echo "FAIL signal $sig: rc=$rc"
        tail -c 300 "$TMPC/$sig.json"
    fi
done
# --realtime paces a capture with a 58 s silence; --stats-interval 1 still
# writes a stats event every second, and SIGINT ends the wait at once.
"$SPURUN" -r "$CORPUS/suricata-verify/tcp-rst-unacked-stream-11/input.pcap" --realtime \
    --stats-interval 1 -o "$TMPC/interval.json" --no-progress 2>/dev/null &
pid=$!
sleep 3.5
kill -INT $pid
wait $pid
rc=$?
n=$(grep -c '"event_type":"stats"' "$TMPC/interval.json")
if [ $rc -eq 0 ] && [ "$n" -ge 3 ]; then
    echo "ok signal stats-interval: $n stats events in 3.5 s of a paced replay"
else
    echo "FAIL signal stats-interval: rc=$rc, $n stats events"
fi

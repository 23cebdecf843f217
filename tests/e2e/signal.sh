#!/bin/sh
# SIGINT/SIGTERM stop a run cleanly: queues drained, flows ended, the last
# stats event written, only complete JSON lines, exit status 0. The signal
# comes while the run is under way (a paced replay whose first packets are
# read, its flow tracked, in a 58 s silence), not after its end.
. "$E2E/lib.inc"
pcap="$CORPUS/suricata-verify/tcp-rst-unacked-stream-11/input.pcap"
for sig in INT TERM; do
    "$SPURUN" -r "$pcap" --realtime -w 2 -o "$TMPC/$sig.json" --no-progress \
        --control "$TMPC/$sig.sock" 2>/dev/null &
    pid=$!
    wait_sock "$TMPC/$sig.sock"
    wait_ctl "$TMPC/$sig.sock" flows 'm["active"] == 1'
    t0=$(date +%s)
    kill -$sig $pid
    wait $pid
    rc=$?
    secs=$(( $(date +%s) - t0 ))
    if [ $rc -eq 0 ] && [ $secs -lt 30 ] && "$PY" -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert recs and recs[-1]["event_type"] == "stats"
pk = recs[-1]["stats"]["decoder"]["pkts"]
assert pk > 0
flows = [r for r in recs if r["event_type"] == "flow"]
assert flows and all(f["flow"]["reason"] == "shutdown" for f in flows)
' "$TMPC/$sig.json"; then
        echo "ok signal $sig: clean stop in ${secs} s, whole lines, flows ended by shutdown, last stats written"
    else
        echo "FAIL signal $sig: rc=$rc after ${secs} s"
        tail -c 300 "$TMPC/$sig.json"
    fi
done
# --realtime paces a capture with a 58 s silence; --stats-interval 1 still
# writes a stats event every second (three come, at least two seconds
# apart, well before the silence ends), and SIGINT ends the wait at once.
t0=$("$PY" -c 'import time; print(time.monotonic())')
"$SPURUN" -r "$pcap" --realtime \
    --stats-interval 1 -o "$TMPC/interval.json" --no-progress 2>/dev/null &
pid=$!
wait_records "$TMPC/interval.json" stats 3
el=$("$PY" -c "import time; print('%.1f' % (time.monotonic() - $t0))")
t1=$(date +%s)
kill -INT $pid
wait $pid
rc=$?
secs=$(( $(date +%s) - t1 ))
n=$(grep -c '"event_type":"stats"' "$TMPC/interval.json")
if [ $rc -eq 0 ] && [ "$n" -ge 4 ] && [ $secs -lt 30 ] &&
   "$PY" -c "import sys; sys.exit(0 if 2 <= $el < 50 else 1)"; then
    echo "ok signal stats-interval: 3 stats events in ${el} s of a paced replay's silence, a last one on SIGINT ${secs} s later"
else
    echo "FAIL signal stats-interval: rc=$rc, $n stats events, the third after ${el} s, stop after ${secs} s"
fi

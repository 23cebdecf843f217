#!/bin/sh
# The control socket through the real binaries: spuctl stats/flows on a
# running spurun, shutdown (a clean stop like SIGTERM), capture files
# queued to a spurun started without a source (their events equal those of
# -r runs of the same files), a live subscription, bad requests, and a
# second spurun refused on a live socket.
. "$E2E/lib.inc"
SPUCTL="$(dirname "$SPURUN")/spuctl"
SV="$CORPUS/suricata-verify"
# paced: a 58 s silence keeps spurun running until it is told to stop
paced="$SV/tcp-rst-unacked-stream-11/input.pcap"
sock="$TMPC/run.sock"
"$SPURUN" -r "$paced" --realtime -w 2 -o "$TMPC/run.json" --no-progress \
    --control "$sock" 2>"$TMPC/run.err" &
pid=$!
wait_sock "$sock"
mode=$(/usr/bin/stat -c %a "$sock")
# the snapshots below are of a capture under way: its first packets read
# and the flow they open tracked (the socket opens before the reading starts)
wait_ctl "$sock" flows 'm["active"] == 1'
"$SPUCTL" --control "$sock" stats > "$TMPC/stats.json"; rc1=$?
"$SPUCTL" --control "$sock" flows > "$TMPC/flows.json"; rc2=$?
"$SPUCTL" --control "$sock" --json shutdown > "$TMPC/shutdown.json"; rc3=$?
wait $pid
rc=$?
if [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && [ $rc3 -eq 0 ] && [ $rc -eq 0 ] && [ "$mode" = 600 ] &&
   [ ! -e "$sock" ] && "$PY" -c '
import json, sys
d = sys.argv[1]
st = json.load(open(d + "/stats.json"))
assert st["return"] == "OK", st
m = st["message"]
assert m["event_type"] == "stats" and m["state"] == "running"
assert m["stats"]["decoder"]["pkts"] > 0 and m["spu"]["workers"] == 2
assert m["control"]["connections"] >= 1
fl = json.load(open(d + "/flows.json"))["message"]
assert len(fl["workers"]) == 2 and fl["active"] == sum(w["active"] for w in fl["workers"]) == 1
assert json.load(open(d + "/shutdown.json"))["return"] == "OK"
recs = [json.loads(l) for l in open(d + "/run.json")]
assert recs[-1]["event_type"] == "stats"
flows = [r for r in recs if r["event_type"] == "flow"]
assert flows and all(f["flow"]["reason"] == "shutdown" for f in flows)
' "$TMPC"; then
    echo "ok control stats/flows/shutdown: socket mode 600, counters of the running capture, clean stop, socket removed"
else
    echo "FAIL control stats/flows/shutdown: rc=$rc1/$rc2/$rc3/$rc mode=$mode"
    cat "$TMPC/run.err" "$TMPC/stats.json" "$TMPC/flows.json" | head -c 2000
    kill $pid 2>/dev/null
fi
# --split-read: worker 1 reads the file on its own thread; shutdown stops it too
sock="$TMPC/split.sock"
"$SPURUN" -r "$paced" --realtime -w 2 --split-read -o "$TMPC/split.json" --no-progress \
    --control "$sock" 2>"$TMPC/split.err" &
pid=$!
wait_sock "$sock"
# stopped while it reads: its flow opened, then the 58 s silence
wait_ctl "$sock" flows 'm["active"] == 1'
t0=$(date +%s)
"$SPUCTL" --control "$sock" --json shutdown > "$TMPC/split-shutdown.json"; rc3=$?
wait $pid
rc=$?
secs=$(( $(date +%s) - t0 ))
if [ $rc3 -eq 0 ] && [ $rc -eq 0 ] && [ $secs -lt 20 ] && "$PY" -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
flows = [r for r in recs if r["event_type"] == "flow"]
assert recs[-1]["event_type"] == "stats" and flows
assert all(f["flow"]["reason"] == "shutdown" for f in flows)
' "$TMPC/split.json"; then
    echo "ok control shutdown split-read: both reading threads stopped in ${secs} s (the capture's silence is 58 s), flows ended by shutdown"
else
    echo "FAIL control shutdown split-read: rc=$rc3/$rc after ${secs} s"
    head -c 2000 "$TMPC/split.err"
    kill $pid 2>/dev/null
fi

# ---- capture files queued to a spurun without a source ----
a="$SV/http-range-multiflows/input.pcap"
b="$SV/bug-78-http-uri/input.pcap"
q="$TMPC/q.sock"
"$SPURUN" -w 2 -o "$TMPC/q.json" --control "$q" 2>"$TMPC/q.err" &
qpid=$!
wait_sock "$q"
"$SPUCTL" --control "$q" subscribe flow > "$TMPC/sub.json" 2>/dev/null &
spid=$!
wait_ctl "$q" stats 'm["control"]["subscribers"] == 1'
"$SPUCTL" --control "$q" pcap "$a" "$b" --wait > "$TMPC/wait.out"; wrc=$?
"$SPUCTL" --control "$q" pcap "$TMPC/missing.pcap" > /dev/null 2>"$TMPC/missing.err"; mrc=$?
head -c 24 "$a" > "$TMPC/junk.pcap"; head -c 5000 /dev/zero | tr '\0' '\377' >> "$TMPC/junk.pcap"
"$SPUCTL" --control "$q" pcap "$TMPC/junk.pcap" --wait > "$TMPC/junk.out"; jrc=$?
"$SPUCTL" --control "$q" pcap status > "$TMPC/status.json"
"$SPUCTL" --control "$q" shutdown > /dev/null
wait $qpid; qrc=$?
wait $spid
"$SPURUN" -r "$a" -w 2 -o "$TMPC/ra.json" --no-progress 2>/dev/null
"$SPURUN" -r "$b" -w 2 -o "$TMPC/rb.json" --no-progress 2>/dev/null
flows "$TMPC/q.json" > "$TMPC/q.flows"
cat "$TMPC/ra.json" "$TMPC/rb.json" > "$TMPC/r.json"
flows "$TMPC/r.json" > "$TMPC/r.flows"
nq=$(grep -c . "$TMPC/q.flows")
if [ $wrc -eq 0 ] && [ $qrc -eq 0 ] && [ "$nq" -gt 0 ] && cmp -s "$TMPC/q.flows" "$TMPC/r.flows" &&
   "$PY" -c '
import json, sys
d = sys.argv[1]
st = json.load(open(d + "/status.json"))["message"]
assert st["done"] == 2 and st["failed"] == 1 and st["queued"] == 0, st
w = [json.loads(l) for l in open(d + "/wait.out")]
assert [x["state"] for x in w if "state" in x] == ["done", "done"], w
' "$TMPC"; then
    echo "ok control pcap queue: 2 files processed in order, $nq flow events equal to -r runs, spuctl --wait exit 0"
else
    echo "FAIL control pcap queue: wait=$wrc spurun=$qrc flows=$nq"
    diff "$TMPC/q.flows" "$TMPC/r.flows" | head -5; cat "$TMPC/q.err" | tail -5
fi
if [ $mrc -eq 1 ] && grep -q "missing.pcap: No such file" "$TMPC/missing.err" && [ $jrc -eq 1 ] &&
   grep -q '"state":"failed"' "$TMPC/junk.out"; then
    echo "ok control pcap errors: a missing file refused at once, a corrupt one reported failed ($(grep -o '"error":"[^"]*' "$TMPC/junk.out" | head -c 100))"
else
    echo "FAIL control pcap errors: missing=$mrc junk=$jrc"; cat "$TMPC/missing.err" "$TMPC/junk.out"
fi
nsub=$(grep -c '"event_type":"flow"' "$TMPC/sub.json")
nother=$(grep -vc '"event_type":"flow"' "$TMPC/sub.json")
neve=$(grep -c '"event_type":"flow"' "$TMPC/q.json")
if [ "$nsub" -gt 0 ] && [ "$nsub" = "$neve" ] && [ "$nother" = 0 ]; then
    echo "ok control subscribe: $nsub flow records streamed live, as many as in the EVE file, no other type"
else
    echo "FAIL control subscribe: streamed $nsub flow + $nother other, EVE has $neve flow"
fi

# ---- bad requests, unavailable commands, a live socket ----
"$SPURUN" -r "$paced" --realtime -o "$TMPC/b.json" --no-progress --control "$sock" 2>/dev/null &
pid=$!
wait_sock "$sock"
"$PY" - "$sock" > "$TMPC/bad.out" <<'PYEOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
for line in ['hello', '[1]', '{"command":"nope"}', '{"command":"pcap"}',
             '{"command":"stats","arguments":{"x":1}}', '{"command":"list","arguments":{"name":"web","op":"show"}}',
             '{"command":"stats","id":"abc"}']:
    f.write(line + "\n"); f.flush()
    r = json.loads(f.readline())
    print(r["return"], r.get("error", "-"), r.get("id", "-"))
PYEOF
# three replies (head ends the watch; 60 s at most), at least two periods
# apart: a watch that answered once, or did not wait, fails
t0=$("$PY" -c 'import time; print(time.monotonic())')
timeout 60 "$SPUCTL" --control "$sock" stats --watch 0.4 | head -n 3 > "$TMPC/watch.json"
el=$("$PY" -c "import time; print('%.1f' % (time.monotonic() - $t0))")
nwatch=$(grep -c '^{"return":"OK","message":{"timestamp"' "$TMPC/watch.json")
if [ "$nwatch" = 3 ] && "$PY" -c "import sys; sys.exit(0 if $el >= 0.8 else 1)"; then
    echo "ok control stats --watch: 3 stats replies at 0.4 s in ${el} s"
else
    echo "FAIL control stats --watch: $nwatch replies in ${el} s"; head -c 300 "$TMPC/watch.json"
fi
"$SPUCTL" --control "$sock" list web show > /dev/null 2>"$TMPC/reload.err"; rrc=$?
"$SPUCTL" --control "$sock" frobnicate > /dev/null 2>&1; urc=$?
"$SPURUN" -r "$paced" -o "$TMPC/c.json" --no-progress --control "$sock" 2>"$TMPC/second.err"; src=$?
"$SPUCTL" --control "$sock" shutdown > /dev/null
wait $pid
expect="NOK parse -
NOK bad-request -
NOK unknown-command -
NOK bad-arguments -
NOK bad-arguments -
NOK failed -
OK - abc"
if [ "$(cat "$TMPC/bad.out")" = "$expect" ] && [ $rrc -eq 1 ] &&
   grep -q "no application web" "$TMPC/reload.err" && [ $urc -eq 2 ] && [ $src -eq 1 ] &&
   grep -q "another spurun is listening" "$TMPC/second.err"; then
    echo "ok control bad requests: each kind answered with its error, the connection kept; list of an unknown application refused; a second spurun refused on a live socket"
else
    echo "FAIL control bad requests: reload=$rrc unknown=$urc second=$src"
    cat "$TMPC/bad.out" "$TMPC/reload.err" "$TMPC/second.err"
fi

# ---- a subscriber that stops reading is dropped and counted; the EVE
# output does not wait for it ----
gen="$ROOT/$BUILD/bench/gen"
[ -x "$gen" ] || gen="$BUILD/bench/gen"
"$gen" -o "$TMPC/big.pcap" -f 30000 -r 1 --sizes 200:1 --smtp 0 -q
d="$TMPC/drop.sock"
"$SPURUN" -w 2 -o "$TMPC/drop.json" --control "$d" 2>"$TMPC/drop.err" &
dpid=$!
wait_sock "$d"
# spuctl blocks on a pipe nobody reads, so the socket and then the
# subscriber's outbox fill up
mkfifo "$TMPC/stuck"
sleep 60 < "$TMPC/stuck" &
slpid=$!
"$SPUCTL" --control "$d" subscribe flow > "$TMPC/stuck" 2>/dev/null &
stpid=$!
wait_ctl "$d" stats 'm["control"]["subscribers"] == 1'
"$SPUCTL" --control "$d" pcap "$TMPC/big.pcap" --wait > "$TMPC/drop.wait"; dw=$?
"$SPUCTL" --control "$d" stats > "$TMPC/drop.stats"
"$SPUCTL" --control "$d" shutdown > /dev/null
wait $dpid; drc=$?
kill $slpid
wait $stpid $slpid 2>/dev/null
nflow=$(grep -c '"event_type":"flow"' "$TMPC/drop.json")
ctr=$("$PY" -c '
import json, sys
c = json.load(open(sys.argv[1]))["message"]["control"]
print(c["subscribers_dropped"], c["subscribers"], c["records_streamed"])' "$TMPC/drop.stats")
set -- $ctr
if [ $dw -eq 0 ] && [ $drc -eq 0 ] && [ "$nflow" = 30000 ] && [ "$1" = 1 ] && [ "$2" = 0 ] &&
   [ "$3" -gt 0 ] && [ "$3" -lt 30000 ]; then
    echo "ok control slow subscriber: dropped after $3 of 30000 records and counted; all 30000 flow records in the EVE file"
else
    echo "FAIL control slow subscriber: wait=$dw spurun=$drc flows=$nflow dropped/subscribers/streamed=$ctr"
fi
rm -f "$TMPC/big.pcap"

# ---- the same under valgrind: no memory error, no leak in the control path ----
if [ "$SAN" != 1 ] && command -v valgrind > /dev/null; then
    v="$TMPC/vg.sock"
    valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite,indirect \
        "$SPURUN" -w 2 -o "$TMPC/vg.json" --control "$v" > "$TMPC/vg.out" 2>&1 &
    vpid=$!
    wait_sock "$v"
    "$SPUCTL" --control "$v" subscribe > "$TMPC/vsub.json" 2>/dev/null &
    spid=$!
    wait_ctl "$v" stats 'm["control"]["subscribers"] == 1'
    "$SPUCTL" --control "$v" pcap "$a" --wait > /dev/null; vw=$?
    "$SPUCTL" --control "$v" stats > /dev/null && "$SPUCTL" --control "$v" flows > /dev/null; vs=$?
    "$SPUCTL" --control "$v" shutdown > /dev/null
    wait $vpid; vrc=$?
    wait $spid
    if [ $vrc -eq 0 ] && [ $vw -eq 0 ] && [ $vs -eq 0 ]; then
        echo "ok control valgrind: queue, subscribe, stats, flows, shutdown: no memory error, no leak"
    else
        echo "FAIL control valgrind: spurun=$vrc wait=$vw stats=$vs"; grep '==' "$TMPC/vg.out" | head -20
    fi
fi

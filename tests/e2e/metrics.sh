#!/bin/sh
# --metrics: the Prometheus endpoint answers while traffic flows (a scan
# replayed at its own pace over 3.8 s), and once the input is processed
# (spu_input_done 1, held up by --metrics-linger) every scraped sample equals
# the final EVE stats record's value: counters, per-worker figures, records
# by event type, the top rules by cost with their alerts, and the reloads
# by outcome and application (one reload that works and one that fails,
# sent through the control socket while the replay runs).
. "$E2E/lib.inc"
SPUC="$(dirname "$SPURUN")/spuc"
SPUCTL="$(dirname "$SPURUN")/spuctl"
"$SPUC" -n runtime -o "$TMPC/rt.spb" "$ROOT/rules/runtime.spr" || echo "FAIL metrics: spuc"
"$PY" "$E2E/ops-gen.py" slow "$TMPC/slow.pcap"
port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port/metrics"
"$SPURUN" -b "$TMPC/rt.spb" -r "$TMPC/slow.pcap" --realtime -w 2 --metrics-top-rules 3 \
    --metrics "127.0.0.1:$port" --metrics-linger 60 -o "$TMPC/eve.json" --no-progress \
    --control "$TMPC/ctl.sock" 2>"$TMPC/err" &
pid=$!
# scrape: fetch URL into FILE (python's urllib: the client is not under test)
scrape() {
    "$PY" -c '
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
    assert r.status == 200, r.status
    assert r.headers["Content-Type"].startswith("text/plain"), r.headers["Content-Type"]
    open(sys.argv[2], "wb").write(r.read())
' "$1" "$2"
}
sample() { sed -n "s/^$2 //p" "$1"; }
# the first scrape that shows traffic (the replay lasts 3.8 s)
mid=""
for i in $(seq 1 30); do
    sleep 0.2
    scrape "$url" "$TMPC/mid.txt" 2>/dev/null || continue
    mid=$(sample "$TMPC/mid.txt" spu_stats_decoder_pkts)
    [ -n "$mid" ] && [ "$mid" -gt 0 ] && break
done
middone=$(sample "$TMPC/mid.txt" spu_input_done)
# reloads while traffic flows: one from the bundle's file, one of a file
# that does not exist (refused: the running bundle stays)
"$SPUCTL" --control "$TMPC/ctl.sock" --json reload rt > "$TMPC/rl1.json"; rl1=$?
"$SPUCTL" --control "$TMPC/ctl.sock" --json reload rt "$TMPC/none.spb" > "$TMPC/rl2.json" 2>&1; rl2=$?
[ $rl1 = 0 ] && [ $rl2 = 1 ] && echo "ok metrics: a reload while traffic flows, a bad one refused" \
    || echo "FAIL metrics: reloads rc $rl1 $rl2: $(cat "$TMPC/rl1.json" "$TMPC/rl2.json")"

total=39
if [ -n "$mid" ] && [ "$mid" -gt 0 ] && [ "$mid" -lt "$total" ] && [ "$middone" = 0 ]; then
    echo "ok metrics: answers while traffic flows ($mid of $total packets, input_done 0)"
else
    echo "FAIL metrics: mid-run scrape pkts='$mid' input_done='$middone'"
fi
done=0
for i in $(seq 1 100); do
    scrape "$url" "$TMPC/final.txt" 2>/dev/null && [ "$(sample "$TMPC/final.txt" spu_input_done)" = 1 ] \
        && { done=1; break; }
    sleep 0.2
done
[ $done = 1 ] || echo "FAIL metrics: spu_input_done never became 1"
"$PY" - "$TMPC/eve.json" "$TMPC/final.txt" <<'PYEOF' && echo "ok metrics: final scrape equals the last EVE stats record" || echo "FAIL metrics: final scrape differs from the EVE stats record"
import json, re, sys
last = None
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event_type"] == "stats":
        last = e
scraped = {}
types = {}
for line in open(sys.argv[2]):
    line = line.rstrip("\n")
    if line.startswith("# TYPE "):
        _, _, name, kind = line.split(" ")
        assert name not in types, "two TYPE lines for " + name
        types[name] = kind
        continue
    m = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)', line)
    assert m, "bad line: " + line
    assert m.group(1) in types, "sample before its TYPE: " + line
    scraped[(m.group(1), m.group(2) or "")] = float(m.group(3))
def flat(prefix, v, out):
    if isinstance(v, bool):
        out[prefix] = 1.0 if v else 0.0
    elif isinstance(v, (int, float)):
        out[prefix] = float(v)
    elif isinstance(v, dict):
        for k, x in v.items():
            flat(prefix + "_" + re.sub(r"[^A-Za-z0-9]", "_", k), x, out)
want = {}
flat("spu_stats", last["stats"], want)
spu = dict(last["spu"])
for k in ("worker", "thread", "per_worker", "bundles", "worker_queue_drops"):
    spu.pop(k, None)
spu["detect"] = {k: v for k, v in spu["detect"].items() if k not in ("rules", "top_rules")}
flat("spu", spu, want)
n = 0
for name, v in want.items():
    assert scraped.get((name, "")) == v, (name, v, scraped.get((name, "")))
    n += 1
for w in last["spu"]["per_worker"]:
    for k in ("pkts", "bytes", "flows", "queue_drops"):
        assert scraped[("spu_per_worker_" + k, '{worker="%d"}' % w["worker"])] == w[k]
        n += 1
top = last["spu"]["detect"]["top_rules"]
assert len(top) == 3
for r in top:
    lab = '{bundle="%s",gid="%d",signature_id="%d"}' % (r["bundle"], r["gid"], r["signature_id"])
    for k in ("evaluations", "matches", "ns", "faults"):
        assert scraped[("spu_detect_top_rules_" + k, lab)] == r[k], (k, lab)
        n += 1
assert scraped[("spu_detect_alerts", "")] > 0
# events by type: the records of each type written before the final stats
recs = [json.loads(l) for l in open(sys.argv[1])]
for t in ("alert", "flow"):
    assert scraped[("spu_eve_file_records_" + t, "")] == sum(r["event_type"] == t for r in recs), t
assert scraped[("spu_stats_decoder_pkts", "")] == 39
# reloads by outcome, in total and by application
rl = last["spu"]["reloads"]
assert (rl["ok"], rl["failed"]) == (1, 1), rl
assert scraped[("spu_reloads_ok", "")] == 1 and scraped[("spu_reloads_failed", "")] == 1
assert rl["apps"] == [{"app": "rt", "ok": 1, "failed": 1}], rl
for k in ("ok", "failed"):
    assert scraped[("spu_reloads_apps_" + k, '{app="rt"}')] == 1, k
    n += 1
# only the top rules are exported one by one
assert not [k for k in scraped if k[0] in ("spu_detect_rules_evaluations", "spu_detect_rules_ns")]
print("compared", n, "samples")
PYEOF
kill -TERM $pid
wait $pid
rc=$?
[ $rc -eq 0 ] && echo "ok metrics: SIGTERM ends the linger, exit 0" || echo "FAIL metrics: exit $rc"
# a bad address and a port in use are refused before anything runs
"$SPURUN" -r "$TMPC/slow.pcap" --metrics "nohost:x" -o "$TMPC/bad.json" 2>"$TMPC/bad.err"
rc=$?
"$PY" -c '
import socket, subprocess, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
r = subprocess.run([sys.argv[1], "-r", sys.argv[2], "--metrics", "127.0.0.1:%d" % s.getsockname()[1],
                    "-o", sys.argv[3], "--no-progress"], capture_output=True, text=True)
assert r.returncode != 0 and "cannot listen" in r.stderr, (r.returncode, r.stderr)
' "$SPURUN" "$TMPC/slow.pcap" "$TMPC/inuse.json" && [ $rc -ne 0 ] && grep -q "metrics" "$TMPC/bad.err" \
    && echo "ok metrics: a bad address and a port in use are refused" \
    || echo "FAIL metrics: bad address rc=$rc: $(cat "$TMPC/bad.err")"

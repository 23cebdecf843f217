#!/bin/sh
# spam.sh BUILD - figures of the spam-source monitor (docs/spam.md; make bench-spam, part
# of make bench). Starts its own redis-server on 127.0.0.1 and measures, in one run:
#  1. SYN events per second one sensor sustains (-r, -w 1, 300,000 SYNs from 3,000
#     sources) with the in-memory store and with Redis: rules/spam.spr as deployed
#     (mirror lookup + Report per SYN), and tests/bench/spam-bucket.spr (a token bucket
#     in the store per SYN: one Lua round trip each with Redis);
#  2. the delays of one decision: three sensors (--realtime, paced from a pilot packet
#     sent at launch, so packet time tracks the wall clock to within their start-up)
#     and one monitor on the same host; a source at 60/s over the three; from the
#     packet that crossed the global rate (10/s, burst 20, replayed offline over the
#     three captures) to the monitor's decision (its alert's monitor.received_ms), and
#     from the decision to the first alerted connection on each sensor (resolution:
#     the 50 ms between that source's connections on one sensor). A sensor's packet
#     times are turned into wall-clock times by its lag: the smallest difference
#     between the id of one of its stream records (Redis's clock when it was added)
#     and the record's ts (the last connection counted, seen just before the flush).
# Writes tests/bench/results/spam-latest.{md,json} (not committed).
set -eu
BUILD=${1:?usage: spam.sh BUILD}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
SPURUN=$BUILD/spurun
SPUC=$BUILD/spuc
GEN=tests/e2e/spam-gen.py
OUT=${BENCH_RESULTS:-tests/bench/results}
W=$(mktemp -d)
PORT=$((20000 + $$ % 20000))
URL=redis://127.0.0.1:$PORT
RPID=""
cleanup() { [ -z "$RPID" ] || kill "$RPID" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT INT TERM
command -v redis-server >/dev/null || { echo "bench-spam: redis-server missing (mk/deps.sh)" >&2; exit 1; }
redis-server --bind 127.0.0.1 --port $PORT --save "" --appendonly no > "$W/redis.log" 2>&1 &
RPID=$!
for _ in $(seq 50); do redis-cli -p $PORT ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done

mkdir -p "$W/rules"
cp rules/spam.spr "$W/rules/"
echo "198.51.100.7" > "$W/rules/spam-whitelist.txt"
"$SPUC" -n spam -o "$W/spam.spb" "$W/rules/spam.spr"
"$SPUC" -n bucket -o "$W/bucket.spb" tests/bench/spam-bucket.spr

# ---- 1. throughput ----
srcs=$(python3 -c 'print(" ".join("10.%d.%d.%d:1" % (1 + i // 65536, i // 256 % 256, i % 256) for i in range(3000)))')
# shellcheck disable=SC2086
python3 "$GEN" "$W/big.pcap" 0 1 1765000000 100 10.9.0.25 $srcs
pps() { sed -n 's/.* pps=\([0-9]*\) .*/\1/p' "$1"; }
run() { # NAME ARGS...
    name=$1; shift
    best=0
    for r in 1 2 3; do
        redis-cli -p $PORT flushall > /dev/null
        "$SPURUN" -r "$W/big.pcap" -w 1 --local-net 10.9.0.0/24 --no-progress -o "$W/$name.json" \
            "$@" 2> "$W/$name.err"
        p=$(pps "$W/$name.err")
        [ "$p" -gt "$best" ] && best=$p
    done
    echo "$name $best" >> "$W/tput"
    echo "bench-spam: $name: $best SYN events/s (best of 3)"
}
: > "$W/tput"
run spam-memory -b "$W/spam.spb"
run spam-redis -b "$W/spam.spb" --state "$URL" --report "$URL/bench"
run bucket-memory -b "$W/bucket.spb"
run bucket-redis -b "$W/bucket.spb" --state "$URL"

# ---- 2. delays ----
redis-cli -p $PORT flushall > /dev/null
NOW=$(python3 -c 'import time; print(round(time.time() + 0.3, 3))')
START=$(python3 -c "print($NOW + 1)")
for s in 0 1 2; do
    SPAM_GEN_PILOT=$NOW python3 "$GEN" "$W/d$s.pcap" $s 3 "$START" 6 10.9.0.25 \
        203.0.113.66:60 192.0.2.10:3
done
"$SPURUN" --monitor "$URL/spu:syn" --state "$URL" -b "$W/spam.spb" -o "$W/mon.json" 2> "$W/mon.err" &
MON=$!
python3 -c "import time; time.sleep(max(0, $NOW - time.time()))"
SENS=""
for s in 0 1 2; do
    "$SPURUN" -r "$W/d$s.pcap" --realtime -w 1 --local-net 10.9.0.0/24 --sensor-name mx$s \
        --state "$URL" --report "$URL/spu:syn" -b "$W/spam.spb" -o "$W/sen$s.json" --no-progress \
        2> "$W/sen$s.err" &
    SENS="$SENS $!"
done
for p in $SENS; do wait "$p"; done
sleep 1
kill "$MON"; wait "$MON" || true
redis-cli -p $PORT --raw xrange spu:syn - + > "$W/stream.txt"

mkdir -p "$OUT"
python3 - "$W" "$OUT" <<'PYEOF'
import json, os, struct, subprocess, sys
from datetime import datetime, timezone
w, out = sys.argv[1], sys.argv[2]

def ts(e):
    return datetime.fromisoformat(e["timestamp"][:26] + "+00:00").timestamp()

def syns(pcap, src):
    data, off, out_ = open(pcap, "rb").read(), 24, []
    while off + 16 <= len(data):
        sec, usec, cap, _ = struct.unpack("<IIII", data[off:off + 16])
        if ".".join(str(b) for b in data[off + 16 + 26:off + 16 + 30]) == src:
            out_.append(sec + usec / 1e6)
        off += 16 + cap
    return out_

tput = dict(l.split() for l in open(w + "/tput"))
spammer = "203.0.113.66"
# each sensor's lag (wall clock - packet time) from its stream records
lines = open(w + "/stream.txt").read().split("\n")
lag = {}
for k in range(0, len(lines) - 10, 11):
    rec = dict(zip(lines[k + 1:k + 11:2], lines[k + 2:k + 11:2]))
    d = int(lines[k].split("-")[0]) - int(rec["ts"])
    lag[rec["sensor"]] = min(lag.get(rec["sensor"], d), d)
times = sorted((t, s) for s in range(3) for t in syns("%s/d%d.pcap" % (w, s), spammer))
tok, last, cross = 20.0, times[0][0], None
for t, s in times:  # rules/spam.spr: 10/s, burst 20, over all sensors
    tok = min(20.0, tok + (t - last) * 10)
    last = t
    if tok < 1:
        cross = t + lag.get("mx%d" % s, 0) / 1000.0
        break
    tok -= 1
mon = [json.loads(l) for l in open(w + "/mon.json")]
dec = [e for e in mon if e.get("alert", {}).get("signature_id") == 7000003]
res = {"commit": subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], capture_output=True,
                                 text=True).stdout.strip(),
       "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
       "cores": os.cpu_count(), "load": open("/proc/loadavg").read().split()[:3],
       "syn_events_per_s": {k: int(v) for k, v in tput.items()}}
if dec and cross:
    d = dec[0]["monitor"]["received_ms"] / 1000.0
    res["crossing_to_decision_ms"] = round((d - cross) * 1000)
    enf = {}
    for s in range(3):
        sen = [json.loads(l) for l in open("%s/sen%d.json" % (w, s))]
        first = [ts(e) for e in sen if e.get("alert", {}).get("signature_id") == 7000001]
        enf["mx%d" % s] = round((min(first) + lag["mx%d" % s] / 1000.0 - d) * 1000) \
            if first and "mx%d" % s in lag else None
    res["decision_to_enforcement_ms"] = enf
    res["sensor_lag_ms"] = lag
json.dump(res, open(out + "/spam-latest.json", "w"), indent=1)
t = res["syn_events_per_s"]
md = ["# Spam-source monitor figures (tests/bench/spam.sh)", "",
      "commit %s, %s, %s cores, load before %s" % (res["commit"], res["date"], res["cores"],
                                                  " ".join(res["load"])), "",
      "| rules | in-memory store | Redis store | Redis / memory |", "|---|---|---|---|"]
for k in ("spam", "bucket"):
    m, r = t[k + "-memory"], t[k + "-redis"]
    md.append("| %s | %d SYN/s | %d SYN/s | %.2f |" % (
        "rules/spam.spr (mirror + Report)" if k == "spam" else "a token bucket per SYN",
        m, r, r / m if m else 0))
md.append("")
if "crossing_to_decision_ms" in res:
    md.append("Packet crossing the global rate -> monitor decision: %d ms" %
              res["crossing_to_decision_ms"])
    md.append("")
    md.append("Decision -> first enforcement: " + ", ".join(
        "%s %s ms" % (k, v) for k, v in res["decision_to_enforcement_ms"].items()))
else:
    md.append("No decision was taken: delays not measured")
open(out + "/spam-latest.md", "w").write("\n".join(md) + "\n")
print("\n".join(md))
PYEOF

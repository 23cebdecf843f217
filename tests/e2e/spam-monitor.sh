#!/bin/sh
# The acceptance test of issue 7 (docs/spam.md): three sensors and one
# monitor, each spurun in its own network namespace, and a redis-server the
# test starts on the address of a bridge in a hub namespace that all of them
# reach through veth pairs. The sensors replay (-r --realtime) captures made
# here: one source opens connections at 2.5 times the allowed rate spread
# evenly over the three sensors (each alone sees it under the rate), one
# whitelisted source does the same, four normal sources stay below. Redis is
# killed and restarted in the middle. Checked: only the first source is
# blacklisted (monitor alert, Redis, and an alert on every later connection
# on all three sensors, the first within 5 s of the decision), the sensors
# and the monitor noticed the outage and kept running, and the final
# blacklist in Redis is the same.
. "$E2E/lib.inc"
SPUC="$(dirname "$SPURUN")/spuc"
T=spam-monitor
if ! command -v redis-server >/dev/null 2>&1; then
    apt-get install -y -q --no-install-recommends redis-server >/dev/null 2>&1 ||
        { echo "FAIL $T: redis-server is missing and could not be installed"; exit 0; }
fi
ID=$$
HUB=spuhub$ID
NS="spus0$ID spus1$ID spus2$ID spum$ID"
if ! ip netns add $HUB 2>"$TMPC/netns.err"; then
    echo "skip $T: 'ip netns add' failed: $(cat "$TMPC/netns.err")"
    exit 0
fi
PIDS=""
cleanup() {
    for p in $PIDS $(cat "$TMPC/redis.pid" 2>/dev/null); do kill "$p" 2>/dev/null; done
    sleep 0.2
    for n in $NS $HUB; do ip netns del "$n" 2>/dev/null; done
}
trap cleanup EXIT INT TERM
H="ip netns exec $HUB"
$H ip link add br0 type bridge
$H ip addr add 10.251.0.1/24 dev br0
$H ip link set br0 up
$H ip link set lo up
i=10
for n in $NS; do
    ip netns add "$n"
    ip link add "v$i-$ID" type veth peer name "h$i-$ID"
    ip link set "v$i-$ID" netns "$n"
    ip link set "h$i-$ID" netns $HUB
    $H ip link set "h$i-$ID" master br0 up
    ip netns exec "$n" ip addr add "10.251.0.$i/24" dev "v$i-$ID"
    ip netns exec "$n" ip link set "v$i-$ID" up
    i=$((i + 1))
done
PORT=6379
URL=redis://10.251.0.1:$PORT
start_redis() {
    $H redis-server --bind 10.251.0.1 --port $PORT --save "" --appendonly no \
        --protected-mode no --dir "$TMPC" > "$TMPC/redis.log" 2>&1 &
    echo $! > "$TMPC/redis.pid"
    for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
        $H redis-cli -h 10.251.0.1 -p $PORT ping 2>/dev/null | grep -q PONG && return 0
        sleep 0.1
    done
    return 1
}
start_redis || { echo "FAIL $T: redis-server did not start"; exit 0; }
for n in $NS; do
    ip netns exec "$n" redis-cli -h 10.251.0.1 -p $PORT ping 2>/dev/null | grep -q PONG ||
        echo "FAIL $T: Redis unreachable from namespace $n"
done

# the rules, with this test's whitelist
mkdir -p "$TMPC/rules"
cp "$ROOT/rules/spam.spr" "$TMPC/rules/"
echo "198.51.100.7" > "$TMPC/rules/spam-whitelist.txt"
"$SPUC" -n spam -o "$TMPC/spam.spb" "$TMPC/rules/spam.spr" || echo "FAIL $T: spuc"

# captures: 12 s from 2 s from now; RATE in spam.spr is 10/s
SPAMMER=203.0.113.66
START=$("$PY" -c 'import time; print(round(time.time() + 2, 3))')
for s in 0 1 2; do
    "$PY" "$E2E/spam-gen.py" "$TMPC/s$s.pcap" $s 3 "$START" 12 10.9.0.25 \
        $SPAMMER:25 198.51.100.7:25 192.0.2.10:3 192.0.2.11:4 192.0.2.12:2 192.0.2.13:5
done

ip netns exec spum$ID "$SPURUN" --monitor "$URL/spu:syn" --state "$URL" -b "$TMPC/spam.spb" \
    -o "$TMPC/mon.json" --stats-interval 1 2> "$TMPC/mon.err" &
MON=$!
PIDS="$MON"
# the monitor reads the stream from its end when it connects: the sensors
# start once it waits in XREAD (at most 30 s)
i=0
until $H redis-cli -h 10.251.0.1 -p $PORT client list 2>/dev/null | grep -q 'cmd=xread'; do
    i=$((i + 1)); [ $i -gt 300 ] && break
    sleep 0.1
done
SENS=""
for s in 0 1 2; do
    ip netns exec spus$s$ID "$SPURUN" -r "$TMPC/s$s.pcap" --realtime -w 1 \
        --local-net 10.9.0.0/24 --sensor-name mx$s --state "$URL" --report "$URL/spu:syn" \
        -b "$TMPC/spam.spb" -o "$TMPC/sen$s.json" --stats-interval 1 --no-progress \
        2> "$TMPC/sen$s.err" &
    SENS="$SENS $!"
done
PIDS="$PIDS $SENS"
# Redis goes away 6 s into the capture (after the decision) for 2 s
"$PY" -c "import time; time.sleep(max(0, $START + 6 - time.time()))"
kill -9 "$(cat "$TMPC/redis.pid")"
sleep 2
start_redis || echo "FAIL $T: redis-server did not restart"
alive=0
for p in $SENS $MON; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
[ $alive -eq 4 ] && echo "ok $T: the three sensors and the monitor kept running while Redis was down" \
    || echo "FAIL $T: only $alive of 4 processes survived the Redis outage"
rc=0
for p in $SENS; do wait "$p" || rc=$?; done
[ $rc -eq 0 ] || echo "FAIL $T: a sensor exited $rc"
sleep 1.5 # the monitor reads the last records
kill "$MON"
wait "$MON" || echo "FAIL $T: the monitor exited $?"
PIDS=""
BL=$($H redis-cli -h 10.251.0.1 -p $PORT zrange spu:l:blacklist 0 -1 | tr '\n' ' ')
[ "$BL" = "$SPAMMER " ] && echo "ok $T: final blacklist in Redis after its restart: $BL" \
    || echo "FAIL $T: final blacklist in Redis '$BL', want '$SPAMMER '"

"$PY" - "$TMPC" "$SPAMMER" <<'PYEOF' || echo "FAIL spam-monitor: check script"
import json, struct, sys
from datetime import datetime
tmp, spammer = sys.argv[1], sys.argv[2]
T = "spam-monitor"

def ts(e):
    return datetime.strptime(e["timestamp"][:26], "%Y-%m-%dT%H:%M:%S.%f").timestamp()

def records(path):
    return [json.loads(l) for l in open(path)]

def syn_times(pcap, src):
    """Times of the SYNs from src in a classic pcap made by spam-gen.py."""
    data = open(pcap, "rb").read()
    off, out = 24, []
    while off + 16 <= len(data):
        sec, usec, cap, _ = struct.unpack("<IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + cap]
        if ".".join(str(b) for b in pkt[26:30]) == src:
            out.append(sec + usec / 1e6)
        off += 16 + cap
    return out

mon = records(tmp + "/mon.json")
dec = [e for e in mon if e.get("alert", {}).get("signature_id") == 7000003]
srcs = sorted({e["src_ip"] for e in dec})
print(("ok" if srcs == [spammer] else "FAIL") + " %s: the monitor blacklisted %s (want only %s; "
      "the whitelisted and the normal sources not)" % (T, srcs, spammer))
mstats = [e for e in mon if e["event_type"] == "stats"][-1]["spu"]
rec = mstats["monitor"]["reconnects"] + mstats["state"]["reconnects"]
print(("ok" if rec >= 1 else "FAIL") + " %s: the monitor reconnected to Redis (%d reconnections, "
      "%d records read)" % (T, rec, mstats["monitor"]["records"]))
first_dec = min(ts(e) for e in dec) if dec else None
for s in range(3):
    sen = records("%s/sen%d.json" % (tmp, s))
    enf = [e for e in sen if e.get("alert", {}).get("signature_id") == 7000001]
    esrc = sorted({e["src_ip"] for e in enf})
    print(("ok" if esrc == [spammer] else "FAIL") + " %s: sensor mx%d enforces the blacklist on %s"
          % (T, s, esrc))
    if not enf or first_dec is None:
        print("FAIL %s: sensor mx%d: no enforcement or no decision" % (T, s))
        continue
    first = min(ts(e) for e in enf)
    delay = first - first_dec
    print(("ok" if delay <= 5 else "FAIL") + " %s: sensor mx%d enforced %.2f s after the "
          "monitor's decision (allowed 5 s)" % (T, s, delay))
    # every connection of the source from the first enforced one on is alerted
    later = [t for t in syn_times("%s/s%d.pcap" % (tmp, s), spammer) if t >= first - 0.0005]
    print(("ok" if len(later) == len(enf) else "FAIL") + " %s: sensor mx%d: an alert on each of the "
          "%d connections of the blacklisted source after the first (%d alerts)"
          % (T, s, len(later), len(enf)))
    st = [e for e in sen if e["event_type"] == "stats"][-1]["spu"]
    seen = st["state"]["errors"] + st["state"]["reconnects"] + st["report"]["errors"] + \
        st["report"]["reconnects"]
    lost = st["report"]["dropped"]
    print(("ok" if seen >= 1 and lost == 0 else "FAIL") + " %s: sensor mx%d counted the outage in "
          "its stats (state errors %d, reconnects %d; report errors %d, reconnects %d; "
          "dropped %d)" % (T, s, st["state"]["errors"], st["state"]["reconnects"],
                           st["report"]["errors"], st["report"]["reconnects"], lost))
PYEOF

#!/bin/sh
# EVE records to a Redis stream without loss (--eve-redis, docs/spam.md):
# a replay (-r --realtime) while Redis is killed and restarted (with its
# append-only file, so what it acknowledged survives) puts every line of
# eve.json on the stream in order; with a 4 KiB spool, reading a file waits
# for Redis instead of dropping; a spool left by a run that ended while
# Redis was down is replayed, first, by the next run.
. "$E2E/lib.inc"
SPUC="$(dirname "$SPURUN")/spuc"
T=spam-eve-redis
if ! command -v redis-server >/dev/null 2>&1; then
    apt-get install -y -q --no-install-recommends redis-server >/dev/null 2>&1 ||
        { echo "FAIL $T: redis-server is missing and could not be installed"; exit 0; }
fi
PORT=$((20000 + $$ % 20000))
URL=redis://127.0.0.1:$PORT
RPID=""
trap '[ -z "$RPID" ] || kill $RPID 2>/dev/null' EXIT INT TERM
start_redis() {
    redis-server --bind 127.0.0.1 --port $PORT --save "" --appendonly yes --appendfsync always \
        --dir "$TMPC" > "$TMPC/redis.log" 2>&1 &
    RPID=$!
    for _ in $(seq 50); do redis-cli -p $PORT ping 2>/dev/null | grep -q PONG && return 0; sleep 0.1; done
    return 1
}
stop_redis() { kill -9 $RPID; wait $RPID 2>/dev/null; RPID=""; }
cat > "$TMPC/all.spr" <<'SPR'
rule sid 7200001 "every connection" on tcp.syn { Alert(); }
SPR
"$SPUC" -n all -o "$TMPC/all.spb" "$TMPC/all.spr" || echo "FAIL $T: spuc"
START=$("$PY" -c 'import time; print(round(time.time(), 3))')
"$PY" "$E2E/spam-gen.py" "$TMPC/a.pcap" 0 1 "$START" 5 10.9.0.25 192.0.2.1:40 192.0.2.2:40
"$PY" "$E2E/spam-gen.py" "$TMPC/b.pcap" 0 1 "$START" 1 10.9.0.25 192.0.2.3:50
"$PY" "$E2E/spam-gen.py" "$TMPC/c.pcap" 0 1 "$START" 1 10.9.0.25 192.0.2.4:50

# check NAME EVE STREAM: the stream holds exactly the lines of EVE, in order
# (a line of a pipeline cut by the outage may come twice: delivery is at
# least once)
check() {
    redis-cli -p $PORT --raw xrange "$3" - + > "$TMPC/$1.stream"
    "$PY" - "$TMPC/$1.stream" "$2" "$T: $1" <<'PYEOF'
import sys
raw = open(sys.argv[1]).read().split("\n")
got, seen, dup = [], set(), 0
for k in range(0, len(raw) - 2, 3):    # id, "eve", line
    if raw[k + 2] in seen:
        dup += 1
        continue
    seen.add(raw[k + 2])
    got.append(raw[k + 2])
want = [l.rstrip("\n") for l in open(sys.argv[2])]
ok = got == want
print(("ok" if ok else "FAIL") + " %s: %d EVE lines, the stream holds them all in order "
      "(%d lines on it, %d repeated)" % (sys.argv[3], len(want), len(got), dup))
PYEOF
}

# 1. kill and restart during a realtime replay
start_redis || echo "FAIL $T: redis-server did not start"
"$SPURUN" -r "$TMPC/a.pcap" --realtime -w 1 -b "$TMPC/all.spb" -o "$TMPC/a.json" \
    --stats-interval 1 --eve-redis "$URL/eve-a" --no-progress 2> "$TMPC/a.err" &
SP=$!
sleep 1.5
stop_redis
sleep 1.5
start_redis || echo "FAIL $T: redis-server did not restart"
wait $SP || echo "FAIL $T: spurun exited $?"
check outage "$TMPC/a.json" eve-a
sp=$(stat "$TMPC/a.json" spu.eve_redis.spooled)
[ "$sp" != None ] && [ "$sp" -gt 0 ] && echo "ok $T: $sp lines spooled while Redis was down" \
    || echo "FAIL $T: nothing spooled ($sp)"

# 2. a 4 KiB spool: reading a file waits instead of dropping
stop_redis
( sleep 2; start_redis ) &
"$SPURUN" -r "$TMPC/b.pcap" -w 1 -b "$TMPC/all.spb" -o "$TMPC/b.json" --eve-redis "$URL/eve-b" \
    --eve-spool-cap 4096 --no-progress 2> "$TMPC/b.err" || echo "FAIL $T: spurun exited $?"
wait
RPID=$(pgrep -f "redis-server 127.0.0.1:$PORT" | head -n 1)
check backpressure "$TMPC/b.json" eve-b

# 3. a run ending while Redis is down leaves its spool; the next run sends it first
stop_redis
"$SPURUN" -r "$TMPC/c.pcap" -w 1 -b "$TMPC/all.spb" -o "$TMPC/c.json" --eve-redis "$URL/eve-c" \
    --eve-spool "$TMPC/c.spool" --no-progress 2> "$TMPC/c1.err" || echo "FAIL $T: spurun exited $?"
[ -s "$TMPC/c.spool" ] && echo "ok $T: the spool is kept when Redis stays away" \
    || echo "FAIL $T: no spool left"
start_redis || echo "FAIL $T: redis-server did not restart"
"$SPURUN" -r "$TMPC/b.pcap" -w 1 -b "$TMPC/all.spb" -o "$TMPC/c.json" --eve-redis "$URL/eve-c" \
    --eve-spool "$TMPC/c.spool" --no-progress 2> "$TMPC/c2.err" || echo "FAIL $T: spurun exited $?"
check leftover "$TMPC/c.json" eve-c
[ -s "$TMPC/c.spool" ] && echo "FAIL $T: the spool was not emptied" \
    || echo "ok $T: the spool is empty after the replay"

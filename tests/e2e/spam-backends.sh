#!/bin/sh
# Per-declaration state backends (issue 7, point 3; docs/spam.md): `state
# list NAME in BACKEND;` and `state bucket|window|score in BACKEND;` in a
# rule file put that table in memory or in a Redis server, whatever spurun
# --state says. The test starts its own redis-server and looks at its keys.
. "$E2E/lib.inc"
SPUC="$(dirname "$SPURUN")/spuc"
T=spam-backends
redis_local $T
trap 'kill $RPID 2>/dev/null' EXIT INT TERM
R="redis-cli -p $PORT"
START=$("$PY" -c 'import time; print(round(time.time(), 3))')
# 192.0.2.1 opens 20 connections a second for 2 s, 192.0.2.2 one a second
"$PY" "$E2E/spam-gen.py" "$TMPC/s.pcap" 0 1 "$START" 2 10.9.0.25 192.0.2.1:20 192.0.2.2:1
# run 1 under memcheck (not in the ASan build): the declared store's
# connections and subscriber thread are freed with the engine
VG=""
if [ "$SAN" != 1 ] && command -v valgrind >/dev/null; then
    VG="valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite,indirect"
fi
# 1. --state memory (the default); the blacklist declared in Redis
cat > "$TMPC/a.spr" <<SPR
state list blacklist in "$URL";
rule sid 7300001 "listed" on tcp.syn { ListAdd("blacklist", src_ip); }
rule sid 7300002 "over 1/s, burst 2" on tcp.syn { if (TokenBucket(src_ip, 1, 2)) Alert(); }
rule sid 7300003 "seen" on tcp.syn { ListAdd("seen", src_ip); }
SPR
"$SPUC" -n a -o "$TMPC/a.spb" "$TMPC/a.spr" || echo "FAIL $T: spuc a"
$VG "$SPURUN" -b "$TMPC/a.spb" -r "$TMPC/s.pcap" -o "$TMPC/a.json" --no-progress 2>"$TMPC/a.err" &&
    echo "ok $T: spurun with a declared Redis store${VG:+, under memcheck: no error, no leak}" ||
    { echo "FAIL $T: spurun a"; head -20 "$TMPC/a.err"; }
bl=$($R zrange spu:l:blacklist 0 -1 | sort | tr '\n' ' ')
[ "$bl" = "192.0.2.1 192.0.2.2 " ] && echo "ok $T: the declared list is in Redis without --state ($bl)" \
    || echo "FAIL $T: spu:l:blacklist holds '$bl'"
n=$($R --scan --pattern 'spu:[bcs]:*' | wc -l)
s=$($R exists spu:l:seen)
[ "$n" = 0 ] && [ "$s" = 0 ] && echo "ok $T: the undeclared list and the buckets stayed in memory" \
    || echo "FAIL $T: $n bucket keys and spu:l:seen=$s in Redis"
"$PY" - "$TMPC/a.json" "$URL" <<'PYEOF' && echo "ok $T: buckets in memory alert; the stats show the declared store" \
    || echo "FAIL $T: alerts or stats of run a"
import json, sys
alerts, st = 0, None
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("event_type") == "alert" and e["alert"]["signature_id"] == 7300002:
        alerts += 1
    if e.get("event_type") == "stats":
        st = e["spu"]
# 40 connections at 20/s through a bucket of 1/s, burst 2: most are over
assert alerts >= 30, alerts
assert st["state"]["backend"] == "memory", st["state"]
s = st["detect"]["state_stores"]
assert len(s) == 1 and s[0]["url"] == sys.argv[2] and s[0]["backend"] == "redis", s
assert s[0]["ops"] == 42 and s[0]["errors"] == 0, s
PYEOF
$R flushall >/dev/null
# 2. --state redis; the buckets declared in memory
cat > "$TMPC/b.spr" <<SPR
state bucket in memory;
rule sid 7300004 "listed" on tcp.syn { ListAdd("listed", src_ip); }
rule sid 7300005 "over 1/s, burst 2" on tcp.syn { if (TokenBucket(src_ip, 1, 2)) Alert(); }
rule sid 7300006 "score" on tcp.syn { ScoreAdd(src_ip, 1); }
SPR
"$SPUC" -n b -o "$TMPC/b.spb" "$TMPC/b.spr" || echo "FAIL $T: spuc b"
"$SPURUN" -b "$TMPC/b.spb" -r "$TMPC/s.pcap" -o "$TMPC/b.json" --state "$URL" --no-progress \
    2>"$TMPC/b.err" || echo "FAIL $T: spurun b"
bl=$($R zrange spu:l:listed 0 -1 | sort | tr '\n' ' ')
sc=$($R --scan --pattern 'spu:s:*' | wc -l)
nb=$($R --scan --pattern 'spu:b:*' | wc -l)
na=$(grep '"event_type":"alert"' "$TMPC/b.json" | grep -c '"signature_id":7300005')
[ "$bl" = "192.0.2.1 192.0.2.2 " ] && [ "$sc" = 2 ] && [ "$nb" = 0 ] && [ "$na" -ge 30 ] &&
    echo "ok $T: with --state redis, lists and scores in Redis, the declared buckets in memory ($na alerts)" \
    || echo "FAIL $T: --state redis: list '$bl', $sc score keys, $nb bucket keys, $na alerts"
# 3. a backend spuc refuses
printf 'state list x in "redis://nohost";\n' > "$TMPC/c.spr"
if "$SPUC" -o "$TMPC/c.spb" "$TMPC/c.spr" 2>"$TMPC/c.err"; then
    echo "FAIL $T: spuc accepted redis://nohost"
else
    grep -q 'a state backend is memory or "redis://HOST:PORT"' "$TMPC/c.err" &&
        echo "ok $T: spuc refuses a backend without a port" || echo "FAIL $T: $(cat "$TMPC/c.err")"
fi

#!/bin/sh
# The spam-source monitor's paths under valgrind (memcheck): a sensor with
# the Redis store, the count publisher and the EVE export, and the monitor
# reading its records and exporting its EVE lines: no error, no leak. The ASan build is checked by the
# sanitizer in the other spam-* cases instead.
. "$E2E/lib.inc"
T=spam-valgrind
if [ "$SAN" = 1 ]; then
    echo "skip $T: the ASan build is checked by the sanitizer instead"
    exit 0
fi
command -v valgrind >/dev/null || { echo "FAIL $T: valgrind not installed (mk/deps.sh)"; exit 0; }
SPUC="$(dirname "$SPURUN")/spuc"
redis_local $T
MON=""
trap 'kill $RPID $MON 2>/dev/null' EXIT INT TERM
mkdir -p "$TMPC/rules"
cp "$ROOT/rules/spam.spr" "$ROOT/rules/spam-whitelist.txt" "$TMPC/rules/"
"$SPUC" -n spam -o "$TMPC/spam.spb" "$TMPC/rules/spam.spr" || echo "FAIL $T: spuc"
START=$("$PY" -c 'import time; print(round(time.time(), 3))')
"$PY" "$E2E/spam-gen.py" "$TMPC/s.pcap" 0 1 "$START" 3 10.9.0.25 203.0.113.66:40 192.0.2.10:3
VG="valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite,indirect"
$VG "$SPURUN" --monitor "$URL/spu:syn" --state "$URL" -b "$TMPC/spam.spb" -o "$TMPC/mon.json" \
    --eve-redis "$URL/spu:eve" > "$TMPC/mon.vg" 2>&1 &
MON=$!
# the monitor reads the stream from its end when it connects: the sensor
# starts once the monitor waits in XREAD (valgrind starts it slowly)
i=0
until redis-cli -p $PORT client list 2>/dev/null | grep -q 'cmd=xread'; do
    i=$((i + 1)); [ $i -gt 600 ] && break
    sleep 0.1
done
$VG "$SPURUN" -r "$TMPC/s.pcap" --realtime -w 2 --local-net 10.9.0.0/24 --state "$URL" \
    --report "$URL/spu:syn" --eve-redis "$URL/eve" -b "$TMPC/spam.spb" -o "$TMPC/sen.json" \
    --no-progress > "$TMPC/sen.vg" 2>&1
rc=$?
[ $rc -eq 0 ] && echo "ok $T: sensor (Redis store, publisher, EVE export): no memory error, no leak" \
    || { echo "FAIL $T: sensor exit $rc"; grep -E '==[0-9]+==' "$TMPC/sen.vg" | head -20; }
# the monitor's decision on the sensor's records (at most 60 s)
i=0
until grep '"event_type":"alert"' "$TMPC/mon.json" 2>/dev/null | grep -q '"signature_id":7000003'; do
    i=$((i + 1)); [ $i -gt 600 ] && break
    sleep 0.1
done
kill -INT $MON
wait $MON
rc=$?
MON=""
n=$(grep '"event_type":"alert"' "$TMPC/mon.json" | grep -c '"signature_id":7000003')
x=$(redis-cli -p $PORT xlen spu:eve)
w=$(wc -l < "$TMPC/mon.json")
[ $rc -eq 0 ] && [ "$n" -ge 1 ] && [ "$x" = "$w" ] &&
    echo "ok $T: monitor ($n decisions, its $w EVE lines also on the stream): no memory error, no leak" \
    || { echo "FAIL $T: monitor exit $rc, $n decisions, $x of $w lines on the stream"; grep -E '==[0-9]+==' "$TMPC/mon.vg" | head -20; }

#!/bin/sh
# The blacklist enforced inline (issue 7, point 4; docs/spam.md): a sensor
# running rules/spam.spr with --inline nfq drops the connections of a
# source on the blacklist (rule 7000001: Alert and Drop on tcp.syn, so the
# SYN never reaches the mail server) and lets the others through. Three
# namespaces made here: client (two addresses) -- spu (router, redis,
# spurun) -- server (nginx listening on port 25); the blacklist entry is put
# on Redis as the monitor's ListAdd would (a sorted set and the list name).
# Skipped only when `ip netns add` fails.
. "$E2E/lib.inc"
. "$E2E/inline-net.inc"
K=spam-inline
T=$$
cleanup() {
    inline_cleanup
    [ -n "${rpid:-}" ] && kill "$rpid" 2>/dev/null
    rpid=
}
trap cleanup EXIT
inline_netns_check $K
fail() { echo "FAIL $K: $*"; exit 1; }
inline_tools
command -v redis-server >/dev/null || fail "redis-server is not installed (mk/deps.sh)"
SPUC="$(dirname "$SPURUN")/spuc"
# the client has two addresses: BAD (inline_topology's) and GOOD
inline_topology $K nfq spus 79
BAD=10.79.1.2 GOOD=10.79.1.3 # SA=10.79.2.2
ip netns exec $C ip addr add $GOOD/24 dev $CI
mkdir -p "$TMPC/www"
echo 'mail server' > "$TMPC/www/index.html"
inline_nginx_conf > "$TMPC/nginx.conf" <<CONF
    access_log $TMPC/nginx-access.log;
    server { listen $SA:25; root $TMPC/www; }
CONF
ip netns exec $S "$NGINX" -c "$TMPC/nginx.conf" 2>"$TMPC/nginx.err" ||
    fail "nginx did not start: $(cat "$TMPC/nginx.err")"
conn() { # SRC: curl's exit code for a connection from SRC to the server's port 25
    ip netns exec $C curl -s -o /dev/null --interface "$1" --max-time 3 "http://$SA:25/"
    echo $?
}
[ "$(conn $BAD)" = 0 ] && [ "$(conn $GOOD)" = 0 ] || fail "no route from client to server"
# Redis in the sensor's namespace, the blacklist entry as the monitor leaves it
ip netns exec $M redis-server --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    > "$TMPC/redis.log" 2>&1 &
rpid=$!
R="ip netns exec $M redis-cli -p 6379"
for _ in $(seq 50); do $R ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
EXP=$(($(date +%s) * 1000 + 600000))
$R zadd spu:l:blacklist $EXP $BAD >/dev/null && $R sadd spu:lists blacklist >/dev/null ||
    fail "redis-cli"
mkdir -p "$TMPC/rules"
cp "$ROOT/rules/spam.spr" "$ROOT/rules/spam-whitelist.txt" "$TMPC/rules/"
"$SPUC" -n spam -o "$TMPC/spam.spb" "$TMPC/rules/spam.spr" || fail "spuc"
inline_spec nfq
ip netns exec $M "$SPURUN" --inline $spec -b "$TMPC/spam.spb" --state redis://127.0.0.1:6379 \
    --local-net $SA/32 --sensor-name mx1 -o "$TMPC/eve.json" 2>"$TMPC/spurun.err" &
spid=$!
i=0
until [ "$(conn $GOOD)" = 0 ]; do
    i=$((i + 1))
    [ $i -lt 10 ] || fail "no traffic through spurun: $(cat "$TMPC/spurun.err")"
    kill -0 $spid 2>/dev/null || fail "spurun exited: $(cat "$TMPC/spurun.err")"
done
echo "ok $K: a source not on the blacklist reaches the mail server through spurun --inline"
rc=$(conn $BAD)
[ "$rc" != 0 ] && echo "ok $K: the blacklisted source's connection is dropped (curl exit $rc)" ||
    echo "FAIL $K: the blacklisted source reached the mail server"
rc=$(conn $GOOD)
[ "$rc" = 0 ] && echo "ok $K: the other source still passes" || echo "FAIL $K: $GOOD after the drop (curl exit $rc)"
kill -INT $spid
wait $spid
src=$?
spid=
[ $src = 0 ] || echo "FAIL $K: spurun exit $src: $(cat "$TMPC/spurun.err")"
"$PY" - "$TMPC/eve.json" "$BAD" <<'PYEOF' && echo "ok $K: alerts 7000001 with a drop verdict for the blacklisted source only" \
    || echo "FAIL $K: alerts (above)"
import json, sys
srcs = set()
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("event_type") == "alert" and e["alert"]["signature_id"] == 7000001:
        assert e["spu"]["verdict"] == "drop", e
        srcs.add(e["src_ip"])
assert srcs == {sys.argv[2]}, srcs
PYEOF
n=$(grep -c "^$BAD " "$TMPC/nginx-access.log")
[ "$n" = 1 ] && echo "ok $K: the server saw the blacklisted source only before spurun ran" ||
    echo "FAIL $K: the server saw $BAD $n times"

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
T=spam-inline
P=$$
cleanup() {
    [ -n "${spid:-}" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
    [ -n "${rpid:-}" ] && kill "$rpid" 2>/dev/null
    [ -f "$TMPC/nginx.pid" ] && kill "$(cat "$TMPC/nginx.pid")" 2>/dev/null
    for n in ${C:-} ${M:-} ${S:-}; do ip netns del "$n" 2>/dev/null; done
    spid=; rpid=; C=; M=; S=
}
trap cleanup EXIT
if ! ip netns add spuschk$P 2>"$TMPC/netns.err"; then
    echo "skip $T: ip netns add failed: $(cat "$TMPC/netns.err")"
    exit 0
fi
ip netns del spuschk$P
fail() { echo "FAIL $T: $*"; exit 1; }
for t in nginx curl ethtool redis-server; do
    command -v $t >/dev/null || [ -x /usr/sbin/$t ] || fail "$t is not installed (mk/deps.sh)"
done
IPT=iptables-legacy
command -v $IPT >/dev/null || IPT=iptables
command -v $IPT >/dev/null || fail "iptables is not installed (mk/deps.sh)"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
SPUC="$(dirname "$SPURUN")/spuc"
up() { # NS IF ADDR...
    ns=$1 ifc=$2
    shift 2
    ip netns exec $ns sysctl -qw "net.ipv6.conf.$ifc.disable_ipv6=1"
    for a in "$@"; do ip netns exec $ns ip addr add "$a" dev $ifc; done
    ip netns exec $ns ip link set $ifc up
    ip netns exec $ns ethtool -K $ifc tx off rx off tso off gso off gro off >/dev/null 2>&1
}
C=spusc$P; M=spusm$P; S=spuss$P
for n in $C $M $S; do ip netns add $n || fail "namespace $n"; done
ip link add ci$P type veth peer name cm$P || fail "veth pair"
ip link add si$P type veth peer name sm$P || fail "veth pair"
ip link set ci$P netns $C; ip link set cm$P netns $M
ip link set si$P netns $S; ip link set sm$P netns $M
for n in $C $M $S; do ip netns exec $n ip link set lo up; done
BAD=10.79.1.2 GOOD=10.79.1.3 SA=10.79.2.2
up $C ci$P $BAD/24 $GOOD/24; up $M cm$P 10.79.1.1/24
up $S si$P $SA/24; up $M sm$P 10.79.2.1/24
ip netns exec $C ip route add default via 10.79.1.1
ip netns exec $S ip route add default via 10.79.2.1
ip netns exec $M sysctl -qw net.ipv4.ip_forward=1
mkdir -p "$TMPC/www"
echo 'mail server' > "$TMPC/www/index.html"
cat > "$TMPC/nginx.conf" <<CONF
user root;
worker_processes 1;
pid $TMPC/nginx.pid;
error_log $TMPC/nginx-error.log;
events { worker_connections 64; }
http {
    access_log $TMPC/nginx-access.log;
    client_body_temp_path $TMPC/body;
    proxy_temp_path $TMPC/proxy;
    fastcgi_temp_path $TMPC/fastcgi;
    uwsgi_temp_path $TMPC/uwsgi;
    scgi_temp_path $TMPC/scgi;
    server { listen $SA:25; root $TMPC/www; }
}
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
ip netns exec $M $IPT -A FORWARD -j NFQUEUE --queue-num 0 || fail "$IPT NFQUEUE rule"
ip netns exec $M "$SPURUN" --inline nfq:0 -b "$TMPC/spam.spb" --state redis://127.0.0.1:6379 \
    --local-net $SA/32 --sensor-name mx1 -o "$TMPC/eve.json" 2>"$TMPC/spurun.err" &
spid=$!
i=0
until [ "$(conn $GOOD)" = 0 ]; do
    i=$((i + 1))
    [ $i -lt 10 ] || fail "no traffic through spurun: $(cat "$TMPC/spurun.err")"
    kill -0 $spid 2>/dev/null || fail "spurun exited: $(cat "$TMPC/spurun.err")"
done
echo "ok $T: a source not on the blacklist reaches the mail server through spurun --inline"
rc=$(conn $BAD)
[ "$rc" != 0 ] && echo "ok $T: the blacklisted source's connection is dropped (curl exit $rc)" ||
    echo "FAIL $T: the blacklisted source reached the mail server"
rc=$(conn $GOOD)
[ "$rc" = 0 ] && echo "ok $T: the other source still passes" || echo "FAIL $T: $GOOD after the drop (curl exit $rc)"
kill -INT $spid
wait $spid
src=$?
spid=
[ $src = 0 ] || echo "FAIL $T: spurun exit $src: $(cat "$TMPC/spurun.err")"
"$PY" - "$TMPC/eve.json" "$BAD" <<'PYEOF' && echo "ok $T: alerts 7000001 with a drop verdict for the blacklisted source only" \
    || echo "FAIL $T: alerts (above)"
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
[ "$n" = 1 ] && echo "ok $T: the server saw the blacklisted source only before spurun ran" ||
    echo "FAIL $T: the server saw $BAD $n times"

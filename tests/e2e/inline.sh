#!/bin/sh
# Inline prevention (docs/inline.md) in three network namespaces made here:
# client (curl) -- spu (routes, iptables NFQUEUE, spurun --inline nfq:0) --
# server (nginx serving files). Veth offloads are off so spu sees real
# frames. Checks: everything passes without a verdict; a Drop rule makes
# curl fail for that URL only; Reject resets the connection (curl fails at
# once, not by timeout); Shun blocks the client's next connections until it
# expires. Skipped only when `ip netns add` fails.
. "$E2E/lib.inc"
T=$$
C=spuic$T; M=spuim$T; S=spuis$T
cleanup() {
    [ -n "${spid:-}" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
    [ -f "$TMPC/nginx.pid" ] && kill "$(cat "$TMPC/nginx.pid")" 2>/dev/null
    ip netns del "$C" 2>/dev/null
    ip netns del "$M" 2>/dev/null
    ip netns del "$S" 2>/dev/null
}
trap cleanup EXIT
if ! ip netns add "$C" 2>"$TMPC/netns.err"; then
    echo "skip inline: ip netns add failed: $(cat "$TMPC/netns.err")"
    exit 0
fi
fail() { echo "FAIL inline: $*"; exit 1; }
ip netns add "$M" || fail "second namespace"
ip netns add "$S" || fail "third namespace"
for t in nginx curl ethtool; do
    command -v $t >/dev/null || [ -x /usr/sbin/$t ] || fail "$t is not installed (mk/deps.sh)"
done
# this kernel queues only through the legacy (xtables) NFQUEUE target
IPT=iptables-legacy
command -v $IPT >/dev/null || IPT=iptables
command -v $IPT >/dev/null || fail "iptables is not installed (mk/deps.sh)"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

ip link add ci$T type veth peer name cm$T || fail "veth pair"
ip link add si$T type veth peer name sm$T || fail "veth pair"
ip link set ci$T netns "$C"; ip link set cm$T netns "$M"
ip link set si$T netns "$S"; ip link set sm$T netns "$M"
up() { # NS IF ADDR
    ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
    ip netns exec "$1" ip addr add "$3" dev "$2"
    ip netns exec "$1" ip link set "$2" up
    ip netns exec "$1" ethtool -K "$2" tx off rx off tso off gso off gro off >/dev/null 2>&1
}
up "$C" ci$T 10.77.1.2/24; up "$M" cm$T 10.77.1.1/24
up "$S" si$T 10.77.2.2/24; up "$M" sm$T 10.77.2.1/24
for n in "$C" "$M" "$S"; do ip netns exec "$n" ip link set lo up; done
ip netns exec "$C" ip route add default via 10.77.1.1
ip netns exec "$S" ip route add default via 10.77.2.1
ip netns exec "$M" sysctl -qw net.ipv4.ip_forward=1

# nginx in the server namespace
mkdir -p "$TMPC/www"
for f in index secret other reset shun; do
    printf 'file %s\n' "$f" > "$TMPC/www/$f.txt"
done
cat > "$TMPC/nginx.conf" <<EOF
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
    server { listen 10.77.2.2:80; root $TMPC/www; }
}
EOF
ip netns exec "$S" "$NGINX" -c "$TMPC/nginx.conf" 2>"$TMPC/nginx.err" ||
    fail "nginx did not start: $(cat "$TMPC/nginx.err")"

get() { # PATH [MAXTIME]: curl's exit code, body in $TMPC/body.out
    ip netns exec "$C" curl -s -o "$TMPC/body.out" --max-time "${2:-3}" \
        "http://10.77.2.2/$1"
    echo $?
}
[ "$(get index.txt)" = 0 ] || fail "no path from client to server before spu is inline"

SPUC="$(dirname "$SPURUN")/spuc"
cat > "$TMPC/inline.spr" <<'EOF'
import http;
rule sid 9100001 "inline drop" on http.request {
    if (uri == "/secret.txt") { Drop(); Alert(); }
}
rule sid 9100002 "inline reject" on http.request {
    if (uri == "/reset.txt") { Reject(); Alert(); }
}
rule sid 9100003 "inline shun" on http.request {
    if (uri == "/shun.txt") { Shun(duration: 4000); Alert(); }
}
EOF
"$SPUC" -I "$ROOT/grammars" -n inline -o "$TMPC/inline.spb" "$TMPC/inline.spr" ||
    fail "spuc inline.spr"
ip netns exec "$M" $IPT -A FORWARD -j NFQUEUE --queue-num 0 ||
    fail "$IPT NFQUEUE rule"
ip netns exec "$M" "$SPURUN" --inline nfq:0 -b "$TMPC/inline.spb" -w 2 \
    -o "$TMPC/eve.json" 2>"$TMPC/spurun.err" &
spid=$!
# spurun is up when traffic flows again (the queue drops while nobody reads)
i=0
until [ "$(get index.txt 1)" = 0 ]; do
    i=$((i + 1))
    [ $i -lt 20 ] || fail "no traffic through spurun: $(cat "$TMPC/spurun.err")"
    kill -0 $spid 2>/dev/null || fail "spurun exited: $(cat "$TMPC/spurun.err")"
done
grep -qx 'file index' "$TMPC/body.out" && echo "ok inline: nfq passes traffic without a verdict" ||
    fail "index body: $(cat "$TMPC/body.out")"

rc=$(get secret.txt 3)
[ "$rc" != 0 ] && echo "ok inline: Drop makes curl fail for the dropped URL (curl exit $rc)" ||
    echo "FAIL inline: /secret.txt was served through a Drop rule"
rc=$(get other.txt 3)
[ "$rc" = 0 ] && grep -qx 'file other' "$TMPC/body.out" &&
    echo "ok inline: another URL still passes after the drop" ||
    echo "FAIL inline: /other.txt after the drop (curl exit $rc)"

t0=$(date +%s%N)
rc=$(get reset.txt 5)
ms=$((($(date +%s%N) - t0) / 1000000))
# curl: 56 = connection reset while receiving, 52 = empty reply
[ "$rc" = 56 ] || [ "$rc" = 52 ] || [ "$rc" = 7 ] &&
    [ $ms -lt 3000 ] && echo "ok inline: Reject resets the connection (curl exit $rc after ${ms} ms)" ||
    echo "FAIL inline: Reject: curl exit $rc after ${ms} ms (want a reset, not a timeout)"

get shun.txt 2 >/dev/null
t0=$(date +%s%N)
rc=$(get index.txt 1)
[ "$rc" != 0 ] && echo "ok inline: Shun blocks the client's next connection (curl exit $rc)" ||
    echo "FAIL inline: a connection right after Shun went through"
# the shun lasts 4 s of packet time (wall time inline): wait it out
sleep 4
rc=$(get index.txt 3)
[ "$rc" = 0 ] && echo "ok inline: connections pass again once the shun expires" ||
    echo "FAIL inline: still blocked after the shun expired (curl exit $rc)"

kill -INT $spid
wait $spid
src=$?
spid=
[ $src = 0 ] || echo "FAIL inline: spurun exit $src: $(cat "$TMPC/spurun.err")"
line=$(grep 'inline received' "$TMPC/spurun.err")
dropped=$(echo "$line" | sed -n 's/.* dropped=\([0-9]*\).*/\1/p')
rejected=$(echo "$line" | sed -n 's/.* rejected=\([0-9]*\).*/\1/p')
resets=$(echo "$line" | sed -n 's/.* resets_sent=\([0-9]*\).*/\1/p')
[ "${dropped:-0}" -gt 0 ] && [ "${rejected:-0}" -gt 0 ] && [ "${resets:-0}" -ge 2 ] &&
    echo "ok inline: verdicts counted ($line)" ||
    echo "FAIL inline: counters: '$line'"
n=$(grep -c '"signature_id":910000[123]' "$TMPC/eve.json")
[ "$n" -ge 3 ] && echo "ok inline: the three rules alerted ($n alerts)" ||
    echo "FAIL inline: $n alerts from the inline rules, want 3 or more"

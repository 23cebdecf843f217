#!/bin/sh
# Inline figures (docs/inline.md), as root; `make bench` runs it as the
# `inline` area (tests/bench/run.sh, results/inline.md), or by hand:
#   sh tests/bench/inline-latency.sh [BUILD]
# Three namespaces (client, spu, server) as in tests/e2e/inline.sh. For nfq
# (routed) and bridge, against the kernel doing the same job without spu
# (plain routing; a Linux bridge): ping round trips at a moderate rate
# (1000 echoes, 2 ms apart: each crosses spu twice) as median and p99, and
# one curl download of a 200 MB file from nginx, in MB/s. spurun runs one
# worker with a bundle of rules on http.request. Throughput per worker is
# taken as megabytes of the download per CPU second of spurun (all its
# threads, /proc/PID/stat, over the download only): inline, and
# detection-only (`-i` on spu's client-side interface while the kernel
# forwards the same download), and their ratio. The last line of each mode
# holds the figures as key=value (`fig mode=...`).
set -eu
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SPURUN="$ROOT/$BUILD/spurun"
SPUC="$ROOT/$BUILD/spuc"
T=$$
TMP=$(mktemp -d)
C=spubc$T; M=spubm$T; S=spubs$T
spid=
cleanup() {
    [ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null || true
    [ -f "$TMP/nginx.pid" ] && kill "$(cat "$TMP/nginx.pid")" 2>/dev/null || true
    for n in $C $M $S; do ip netns del $n 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT
IPT=iptables-legacy
command -v $IPT >/dev/null || IPT=iptables
up() {
    ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
    [ -z "$3" ] || ip netns exec "$1" ip addr add "$3" dev "$2"
    ip netns exec "$1" ip link set "$2" up
    ip netns exec "$1" ethtool -K "$2" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
}
topology() { # nfq | bridge
    for n in $C $M $S; do ip netns del $n 2>/dev/null || true; ip netns add $n; done
    ip link add ci$T type veth peer name cm$T
    ip link add si$T type veth peer name sm$T
    ip link set ci$T netns $C; ip link set cm$T netns $M
    ip link set si$T netns $S; ip link set sm$T netns $M
    if [ $1 = nfq ]; then
        SA=10.79.2.2
        up $C ci$T 10.79.1.2/24; up $M cm$T 10.79.1.1/24
        up $S si$T $SA/24; up $M sm$T 10.79.2.1/24
        ip netns exec $C ip route add default via 10.79.1.1
        ip netns exec $S ip route add default via 10.79.2.1
        ip netns exec $M sysctl -qw net.ipv4.ip_forward=1
    else
        SA=10.79.0.3
        up $C ci$T 10.79.0.2/24; up $M cm$T ""; up $S si$T $SA/24; up $M sm$T ""
    fi
    mkdir -p "$TMP/www"
    [ -f "$TMP/www/big" ] || head -c 200000000 /dev/zero > "$TMP/www/big"
    cat > "$TMP/nginx.conf" <<EOF
user root; worker_processes 1; pid $TMP/nginx.pid; error_log $TMP/ne.log;
events { worker_connections 64; }
http { access_log off; client_body_temp_path $TMP/b; proxy_temp_path $TMP/p;
       fastcgi_temp_path $TMP/f; uwsgi_temp_path $TMP/u; scgi_temp_path $TMP/s;
       server { listen $SA:80; root $TMP/www; } }
EOF
    ip netns exec $S nginx -c "$TMP/nginx.conf"
}
# CPU ticks (user + system) of process $spid so far
ticks() { awk '{print $14 + $15}' "/proc/$spid/stat"; }
# the download; MB/s in $mbs, and spurun's MB per CPU second in $mbcpu
download() {
    t0=$([ -n "$spid" ] && ticks || echo 0)
    mbs=$(ip netns exec $C curl -s -o /dev/null -w '%{speed_download}' "http://$SA/big" |
        awk '{printf "%.1f", $1 / 1e6}')
    t1=$([ -n "$spid" ] && ticks || echo 0)
    mbcpu=$(awk -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { if (b > a) printf "%.1f", 200 / ((b - a) / hz); else print "-" }')
}
measure() { # LABEL
    ip netns exec $C ping -c 1000 -i 0.002 -q -W 1 $SA > /dev/null # warm
    ip netns exec $C ping -c 1000 -i 0.002 $SA | sed -n 's/.*time=\([0-9.]*\) ms/\1/p' |
        sort -n > "$TMP/rtt"
    n=$(wc -l < "$TMP/rtt")
    med=$(sed -n "$(((n + 1) / 2))p" "$TMP/rtt")
    p99=$(sed -n "$((n * 99 / 100))p" "$TMP/rtt")
    download
    printf '%-16s rtt median %s ms  p99 %s ms  (%s echoes)  download %s MB/s' \
        "$1" "$med" "$p99" "$n" "$mbs"
    [ -z "$spid" ] && echo || echo "  spurun $mbcpu MB per CPU second"
}
# detection only: spurun -i on the client-side interface, the kernel forwarding
detect_only() { # IFACE
    ip netns exec $M "$SPURUN" -i "$1" -b "$TMP/b.spb" -w 1 -o /dev/null 2>"$TMP/det.err" &
    spid=$!
    sleep 2
    download
    printf '%-16s download %s MB/s  spurun %s MB per CPU second\n' "detection only" "$mbs" "$mbcpu"
    kill -INT $spid; wait $spid || true; spid=
}
# fig MODE: the figures of the kernel run (k*) against spu's (med, p99...)
fig() {
    awk -v m="$1" -v km="$kmed" -v kp="$kp99" -v sm="$med" -v sp="$p99" -v kb="$kmbs" \
        -v sb="$mbs" -v di="$dmbcpu" -v il="$mbcpu" 'BEGIN {
        r = (di > 0 && il > 0) ? sprintf("%.2f", il / di) : "-"
        printf "fig mode=%s rtt_med_kernel_ms=%s rtt_p99_kernel_ms=%s rtt_med_ms=%s rtt_p99_ms=%s " \
               "added_med_ms=%.3f added_p99_ms=%.3f mbs_kernel=%s mbs=%s " \
               "mb_per_cpu_s_detect=%s mb_per_cpu_s_inline=%s ratio=%s\n",
               m, km, kp, sm, sp, (sm - km) / 2, (sp - kp) / 2, kb, sb, di, il, r }'
}
printf 'import http;\nrule sid 1 "x" on http.request { if (uri == "/never") Drop(); }\n' > "$TMP/b.spr"
"$SPUC" -I "$ROOT/grammars" -o "$TMP/b.spb" "$TMP/b.spr"
start_spurun() {
    ip netns exec $M "$SPURUN" --inline "$1" -b "$TMP/b.spb" -w 1 -o /dev/null 2>"$TMP/spurun.err" &
    spid=$!
    until ip netns exec $C ping -c 1 -W 1 -q $SA >/dev/null 2>&1; do sleep 0.2; done
}
stop_spurun() {
    kill -INT $spid; wait $spid || true; spid=
    grep 'inline received' "$TMP/spurun.err" | sed 's/^spurun: /                 /'
}

topology nfq
measure "kernel routing"
kmed=$med; kp99=$p99; kmbs=$mbs
detect_only cm$T
dmbcpu=$mbcpu
ip netns exec $M $IPT -A FORWARD -j NFQUEUE --queue-num 0
start_spurun nfq:0
measure "nfq"
stop_spurun
fig nfq
kill "$(cat "$TMP/nginx.pid")"; rm -f "$TMP/nginx.pid"

topology bridge
ip netns exec $M ip link add br$T type bridge
ip netns exec $M ip link set cm$T master br$T
ip netns exec $M ip link set sm$T master br$T
ip netns exec $M ip link set br$T up
sleep 1
measure "kernel bridge"
kmed=$med; kp99=$p99; kmbs=$mbs
detect_only cm$T
dmbcpu=$mbcpu
ip netns exec $M ip link del br$T
start_spurun bridge:cm$T,sm$T
measure "bridge"
stop_spurun
fig bridge

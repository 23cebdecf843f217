#!/bin/sh
# Inline prevention (docs/inline.md) in three network namespaces made here:
# client (curl) -- spu -- server (nginx serving files), veth offloads off so
# spu sees real frames, once per mode:
#   nfq     spu routes between two subnets; iptables queues FORWARD to
#           spurun --inline nfq:0,1 (--queue-balance)
#   bridge  client and server share a subnet; spurun --inline bridge:A,B
#           forwards frames between spu's two address-less interfaces
# Checks: traffic passes without a verdict; a Drop rule makes curl fail for
# that URL only; Reject resets the connection (curl fails at once, not by
# timeout); Redirect answers 302 in place of the server (which never sees
# the request); Shun blocks the client's next connections until it expires;
# the verdicts are counted; spuctl lists, adds and removes shuns, and a
# download stalled by a shun resumes once the shun is removed. Skipped
# only when `ip netns add` fails.
. "$E2E/lib.inc"
. "$E2E/inline-net.inc"
T=$$
cleanup() { inline_cleanup; }
trap cleanup EXIT
# refused arguments (no namespace needed)
bad=0
for args in "--inline nfq:0 -r x.pcap|--inline is the packet source" \
            "--fail-open -r x.pcap|--fail-open applies to --inline" \
            "--inline tap:1|expected nfq:N" \
            "--inline nfq:1x|queue numbers 0-65535" \
            "--inline nfq:70000|queue numbers 0-65535" \
            "--inline bridge:eth0|two interfaces" \
            "--inline bridge:eth0,eth0|must differ"; do
    a=${args%%|*}; want=${args#*|}
    # shellcheck disable=SC2086
    "$SPURUN" $a -o /dev/null > "$TMPC/arg.out" 2>&1 && { bad=1; echo "accepted: $a"; }
    grep -q -- "$want" "$TMPC/arg.out" || { bad=1; echo "$a: $(cat "$TMPC/arg.out")"; }
done
[ $bad = 0 ] && echo "ok inline: bad --inline / --fail-open arguments refused with their reason" ||
    echo "FAIL inline: argument checks (above)"
inline_netns_check inline
fail() { echo "FAIL inline: $*"; exit 1; }
inline_tools

topology() { # MODE: routed, SA=10.77.2.2; bridged, SA=10.78.0.3
    inline_topology inline $1 spui 77
    if [ "$1" = bridge ]; then
        # IPv6 too, for Reject's IPv6 answers
        ip netns exec $C sysctl -qw "net.ipv6.conf.$CI.disable_ipv6=0"
        ip netns exec $S sysctl -qw "net.ipv6.conf.$SI.disable_ipv6=0"
        ip netns exec $C ip addr add fd00:78::2/64 dev $CI nodad
        ip netns exec $S ip addr add fd00:78::3/64 dev $SI nodad
    fi
}

mkdir -p "$TMPC/www"
for f in index secret other reset shun old shunlong; do
    printf 'file %s\n' "$f" > "$TMPC/www/$f.txt"
done
head -c 1000000 /dev/urandom > "$TMPC/www/big.bin"
SPUCTL="$(dirname "$SPURUN")/spuctl"
nginx_conf() { # LISTEN [LISTEN6]
    inline_nginx_conf <<EOF
    access_log $TMPC/nginx-access.log;
    server {
        listen $1:80; ${2:+listen [$2]:80;}
        root $TMPC/www;
        location = /big.bin { limit_rate 150k; }
    }
EOF
}
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
rule sid 9100005 "inline long shun" on http.request {
    if (uri == "/shunlong.txt") { Shun(duration: 600000); }
}
rule sid 9100004 "inline redirect" on http.request {
    if (uri == "/old.txt") { Redirect("/other.txt"); Alert(); }
}
EOF
"$SPUC" -I "$ROOT/grammars" -n inline -o "$TMPC/inline.spb" "$TMPC/inline.spr" ||
    fail "spuc inline.spr"

get() { # PATH [MAXTIME]: curl's exit code, body in $TMPC/body.out
    rm -f "$TMPC/body.out"
    ip netns exec $C curl -s -o "$TMPC/body.out" --max-time "${2:-3}" "http://$SA/$1"
    echo $?
}

ctl() { "$SPUCTL" --control "$TMPC/ctl-$m.sock" --json "$@"; }
# the client's address in the shun list (count, then addresses)
shuns() { ctl shun list | "$PY" -c 'import json,sys
m = json.load(sys.stdin)["message"]
print(m["count"], " ".join(sorted(x["addr"] for x in m["shuns"])))'; }

shun_control() { # MODE: spuctl shun list/add/remove, and a flow that resumes
    CA=$(ip netns exec $C ip -4 -o addr show $CI | sed 's|.* inet \([0-9.]*\)/.*|\1|')
    [ "$(shuns)" = "0 " ] || echo "FAIL inline $m: shuns listed before any: '$(shuns)'"
    ctl shun add "$CA" 60 > "$TMPC/add.json" || echo "FAIL inline $m: shun add: $(cat "$TMPC/add.json")"
    rc=$(get index.txt 1)
    l=$(shuns)
    ctl shun remove "$CA" > "$TMPC/rm.json"
    rc2=$(get index.txt 3)
    if [ "$rc" != 0 ] && [ "$l" = "1 $CA" ] && [ "$rc2" = 0 ] && [ "$(shuns)" = "0 " ]; then
        echo "ok inline $m: spuctl shun add blocks $CA, shun list shows it, shun remove lets it through"
    else
        echo "FAIL inline $m: shun add/list/remove: curl $rc then $rc2, list '$l' then '$(shuns)'"
    fi
    ctl shun remove "$CA" > /dev/null 2>"$TMPC/rm2.err" && echo "FAIL inline $m: removed twice"
    grep -q "not shunned" "$TMPC/rm2.err" || echo "FAIL inline $m: second remove: $(cat "$TMPC/rm2.err")"
    # a slow download (nginx sends 150 kB/s: the flow carries data on the
    # wire all along) in progress when a 10-minute shun hits stalls (its
    # flow is dropped) and completes once the shun is removed (before,
    # a flow marked dropped by a shun stayed dropped)
    ip netns exec $C curl -s -o "$TMPC/big.out" -w '%{size_download} %{time_total}' \
        --max-time 30 "http://$SA/big.bin" > "$TMPC/big.w" &
    cpid=$!
    sleep 1
    get shunlong.txt 1 > /dev/null
    sleep 2
    l=$(shuns)
    kill -0 $cpid 2>/dev/null && running=yes || running=no
    ctl shun remove "$CA" > /dev/null
    wait $cpid
    crc=$?
    if [ "$l" = "1 $CA" ] && [ $running = yes ] && [ $crc = 0 ] && cmp -s "$TMPC/big.out" "$TMPC/www/big.bin"; then
        echo "ok inline $m: a download stalled by a shun completes once the shun is removed (bytes, seconds: $(cat "$TMPC/big.w"))"
    else
        echo "FAIL inline $m: shunned download: list '$l', running at removal: $running, curl exit $crc, $(cat "$TMPC/big.w")"
    fi
}

run_mode() { # nfq | bridge
    m=$1
    topology $m
    [ $m = bridge ] && nginx_conf $SA fd00:78::3 > "$TMPC/nginx.conf" ||
        nginx_conf $SA > "$TMPC/nginx.conf"
    ip netns exec $S "$NGINX" -c "$TMPC/nginx.conf" 2>"$TMPC/nginx.err" ||
        fail "$m: nginx did not start: $(cat "$TMPC/nginx.err")"
    if [ $m = nfq ]; then
        [ "$(get index.txt)" = 0 ] || fail "nfq: no route from client to server"
        # two queues, flows spread over them by the kernel's hash
        ip netns exec $M $IPT -A FORWARD -j NFQUEUE --queue-balance 0:1 ||
            fail "$IPT NFQUEUE rule"
        spec=nfq:0,1
    else
        # nothing else joins the two sides: without spurun curl cannot connect
        [ "$(get index.txt 1)" != 0 ] || fail "bridge: client reaches server without spu"
        spec=bridge:$MC,$MS
    fi
    ip netns exec $M "$SPURUN" --inline $spec -b "$TMPC/inline.spb" -w 2 \
        --control "$TMPC/ctl-$m.sock" -o "$TMPC/eve-$m.json" 2>"$TMPC/spurun-$m.err" &
    spid=$!
    i=0
    until [ "$(get index.txt 1)" = 0 ]; do
        i=$((i + 1))
        [ $i -lt 20 ] || fail "$m: no traffic through spurun: $(cat "$TMPC/spurun-$m.err")"
        kill -0 $spid 2>/dev/null || fail "$m: spurun exited: $(cat "$TMPC/spurun-$m.err")"
    done
    grep -qx 'file index' "$TMPC/body.out" &&
        echo "ok inline $m: traffic without a verdict passes through spurun" ||
        echo "FAIL inline $m: index body: $(cat "$TMPC/body.out")"

    rc=$(get secret.txt 3)
    [ "$rc" != 0 ] && echo "ok inline $m: Drop makes curl fail for the dropped URL (curl exit $rc)" ||
        echo "FAIL inline $m: /secret.txt was served through a Drop rule"
    rc=$(get other.txt 3)
    [ "$rc" = 0 ] && grep -qx 'file other' "$TMPC/body.out" &&
        echo "ok inline $m: another URL still passes after the drop" ||
        echo "FAIL inline $m: /other.txt after the drop (curl exit $rc)"

    t0=$(date +%s%N)
    rc=$(get reset.txt 5)
    ms=$((($(date +%s%N) - t0) / 1000000))
    # curl: 56 = connection reset while receiving, 52 = empty reply
    if { [ "$rc" = 56 ] || [ "$rc" = 52 ]; } && [ $ms -lt 3000 ]; then
        echo "ok inline $m: Reject resets the connection (curl exit $rc after $ms ms)"
    else
        echo "FAIL inline $m: Reject: curl exit $rc after $ms ms (want a reset, not a timeout)"
    fi

    if [ $m = bridge ]; then
        t0=$(date +%s%N)
        ip netns exec $C curl -s -g -o /dev/null --max-time 5 "http://[fd00:78::3]/reset.txt"
        rc=$?
        ms=$((($(date +%s%N) - t0) / 1000000))
        rc6=$(ip netns exec $C curl -s -g -o /dev/null -w '%{http_code}' --max-time 3 \
            "http://[fd00:78::3]/index.txt")
        if { [ "$rc" = 56 ] || [ "$rc" = 52 ]; } && [ $ms -lt 3000 ] && [ "$rc6" = 200 ]; then
            echo "ok inline $m: Reject resets an IPv6 connection (curl exit $rc after $ms ms; other IPv6 URLs pass)"
        else
            echo "FAIL inline $m: IPv6 Reject: curl exit $rc after $ms ms, index over IPv6: $rc6"
        fi
    fi

    code=$(ip netns exec $C curl -s -o /dev/null -w '%{http_code} %{redirect_url}' \
        --max-time 3 "http://$SA/old.txt")
    [ "$code" = "302 http://$SA/other.txt" ] &&
        echo "ok inline $m: Redirect makes curl see the 302 ($code)" ||
        echo "FAIL inline $m: Redirect: curl saw '$code'"
    body=$(ip netns exec $C curl -s -L --max-time 3 "http://$SA/old.txt")
    [ "$body" = "file other" ] && echo "ok inline $m: curl -L follows the redirect" ||
        echo "FAIL inline $m: curl -L old.txt gave '$body'"
    grep -q 'GET /other.txt' "$TMPC/nginx-access.log" &&
        ! grep -q 'GET /old.txt' "$TMPC/nginx-access.log" &&
        echo "ok inline $m: the redirected request never reached the server" ||
        echo "FAIL inline $m: nginx served /old.txt"

    get shun.txt 2 >/dev/null
    rc=$(get index.txt 1)
    [ "$rc" != 0 ] && echo "ok inline $m: Shun blocks the client's next connection (curl exit $rc)" ||
        echo "FAIL inline $m: a connection right after Shun went through"
    # the shun lasts 4 s of packet time (wall time inline): wait it out
    sleep 4
    rc=$(get index.txt 3)
    [ "$rc" = 0 ] && echo "ok inline $m: connections pass again once the shun expires" ||
        echo "FAIL inline $m: still blocked after the shun expired (curl exit $rc)"

    shun_control $m

    kill -INT $spid
    wait $spid
    src=$?
    spid=
    [ $src = 0 ] || echo "FAIL inline $m: spurun exit $src: $(cat "$TMPC/spurun-$m.err")"
    line=$(grep 'inline received' "$TMPC/spurun-$m.err")
    val() { echo "$line" | sed -n "s/.* $1=\([0-9]*\).*/\1/p"; }
    if [ "$(val dropped)" -gt 0 ] && [ "$(val rejected)" -gt 0 ] && [ "$(val resets_sent)" -ge 2 ] \
        && [ "$(val accepted)" -gt 0 ] && [ "$(val redirected)" -ge 2 ]; then
        echo "ok inline $m: verdicts counted (${line#spurun: })"
    else
        echo "FAIL inline $m: counters: '$line'"
    fi
    n=$(grep -c '"signature_id":910000[1234]' "$TMPC/eve-$m.json")
    [ "$n" -ge 4 ] && echo "ok inline $m: the four rules alerted ($n alerts)" ||
        echo "FAIL inline $m: $n alerts from the inline rules, want 4 or more"
    cleanup
    rm -f "$TMPC/nginx.pid" "$TMPC/nginx-access.log"
}

run_mode nfq
[ -n "${DEBUG_ONE:-}" ] || run_mode bridge

#!/bin/sh
# Length-changing rewrites inline (docs/inline.md, "Rewrites") in three
# network namespaces made here, as tests/e2e/inline.sh makes them:
# client (curl) -- spu -- server (nginx), once routed through nfq and once
# bridged. Checks, per mode: InsertString makes a response longer and
# DeleteString shorter, curl receiving exactly the edited bodies over one
# keep-alive connection of several requests (Content-Length fixed, every
# later segment's sequence numbers and the client's acks moved), and
# InsertCookie gives one request of them a Cookie nginx logs (edits in the
# client's direction); ReplaceHeader changes one response's Server header
# and not the next one's on the connection; an edit
# that would make the packet exceed the link MTU is refused and the body
# arrives unmodified; with 20% loss after spu (an iptables statistic rule
# in the client) the server's retransmissions of edited segments get the same
# edit and curl still gets the exact bodies; nfq: with 20% loss ahead of
# spu and a 1-byte hold cap, the server direction has gaps: a 60 KB body
# passes intact and later edits on the connection are refused (the bytes
# pass unmodified); the counters say so.
# Skipped only when `ip netns add` fails.
. "$E2E/lib.inc"
. "$E2E/inline-net.inc"
T=$$
cleanup() { inline_cleanup; }
trap cleanup EXIT
inline_netns_check inline-rewrite
fail() { echo "FAIL inline-rewrite: $*"; exit 1; }
inline_tools

mkdir -p "$TMPC/www"
printf 'hello world\n' > "$TMPC/www/long.txt"
printf 'keep secret data\n' > "$TMPC/www/short.txt"
printf 'plain file\n' > "$TMPC/www/plain.txt"
# 60 KB: segments lost before spu arrive out of order, over the 1-byte hold cap: a gap
{ printf 'hello '; head -c 60000 /dev/zero | tr '\0' 'g'; } > "$TMPC/www/big.txt"
# 1100 bytes: with its header the response fits one segment; 200 more do not fit 1500
{ printf 'LIMIT'; head -c 1095 /dev/zero | tr '\0' 'z'; } > "$TMPC/www/limit.txt"
nginx_conf() { # LISTEN
    inline_nginx_conf <<EOF
    log_format conn '\$connection \$request_uri \$status \$body_bytes_sent [\$http_cookie]';
    access_log $TMPC/nginx-access.log conn;
    keepalive_requests 1000;
    server { listen $1:80; root $TMPC/www; }
EOF
}
SPUC="$(dirname "$SPURUN")/spuc"
Z200=$(head -c 200 /dev/zero | tr '\0' 'y')
cat > "$TMPC/rw.spr" <<EOF
import http;
rule sid 9200001 "longer" on http.response {
    InsertString("hello", " big");
}
rule sid 9200002 "shorter" on http.response {
    DeleteString("secret ");
}
rule sid 9200003 "over the MTU" on http.response {
    InsertString("LIMIT", "$Z200");
}
rule sid 9200004 "a cookie for the server" on http.request {
    if (uri == "/plain.txt") { InsertCookie("spu", "inline-" + method); }
}
rule sid 9200005 "a header for the client" on http.response {
    if (request.uri == "/plain.txt") { ReplaceHeader("Server", "spu-rewritten"); }
}
EOF
"$SPUC" -I "$ROOT/grammars" -n rw -o "$TMPC/rw.spb" "$TMPC/rw.spr" || fail "spuc rw.spr"

# URLS... : one curl, one connection; bodies in $TMPC/b1 b2 ...; echoes curl's exit code
fetch() {
    args=; i=0
    for u in "$@"; do
        i=$((i + 1)); rm -f "$TMPC/b$i"
        args="$args -o $TMPC/b$i http://$SA/$u"
    done
    # shellcheck disable=SC2086
    ip netns exec $C curl -s --max-time 10 $args
    echo $?
}

check_bodies() { # LABEL
    lbl=$1; bad=
    [ "$(cat "$TMPC/b1")" = "hello big world" ] || bad="$bad long:'$(cat "$TMPC/b1")'"
    [ "$(cat "$TMPC/b2")" = "keep data" ] || bad="$bad short:'$(cat "$TMPC/b2")'"
    [ "$(cat "$TMPC/b3")" = "plain file" ] || bad="$bad plain"
    [ "$(cat "$TMPC/b4")" = "hello big world" ] || bad="$bad long2:'$(cat "$TMPC/b4")'"
    [ "$(cat "$TMPC/b5")" = "keep data" ] || bad="$bad short2"
    cmp -s "$TMPC/b6" "$TMPC/www/limit.txt" || bad="$bad limit($(wc -c < "$TMPC/b6"))"
    [ "$(cat "$TMPC/b7")" = "hello big world" ] || bad="$bad long3"
    [ -z "$bad" ]
}
URLS="long.txt short.txt plain.txt long.txt short.txt limit.txt long.txt"

run_mode() { # nfq | bridge
    m=$1
    inline_topology inline-rewrite $m rw 79
    nginx_conf $SA > "$TMPC/nginx.conf"
    ip netns exec $S "$NGINX" -c "$TMPC/nginx.conf" 2>"$TMPC/nginx.err" ||
        fail "$m: nginx did not start: $(cat "$TMPC/nginx.err")"
    inline_spec $m
    ip netns exec $M "$SPURUN" --inline $spec -b "$TMPC/rw.spb" -w 2 --stream-flow-cap 1 \
        -o "$TMPC/eve-$m.json" 2>"$TMPC/spurun-$m.err" &
    spid=$!
    i=0
    until [ "$(fetch plain.txt)" = 0 ]; do
        i=$((i + 1))
        [ $i -lt 20 ] || fail "$m: no traffic through spurun: $(cat "$TMPC/spurun-$m.err")"
        kill -0 $spid 2>/dev/null || fail "$m: spurun exited: $(cat "$TMPC/spurun-$m.err")"
        sleep 0.3
    done
    : > "$TMPC/nginx-access.log"
    # shellcheck disable=SC2086
    rc=$(fetch $URLS)
    conns=$(awk '{print $1}' "$TMPC/nginx-access.log" | sort -u | wc -l)
    reqs=$(wc -l < "$TMPC/nginx-access.log")
    cookies=$(grep -c '/plain.txt 200 .* \[spu=inline-GET\]$' "$TMPC/nginx-access.log")
    others=$(grep -c '\[-\]$' "$TMPC/nginx-access.log")
    if [ "$rc" = 0 ] && check_bodies && [ "$conns" = 1 ] && [ "$reqs" = 7 ] &&
        [ "$cookies" = 1 ] && [ "$others" = 6 ]; then
        echo "ok inline-rewrite $m: InsertString/DeleteString bodies exact over one keep-alive connection of $reqs requests; the over-MTU edit left limit.txt unmodified; InsertCookie reached nginx on its request only"
    else
        echo "FAIL inline-rewrite $m: curl exit $rc, $conns connections, $reqs requests, bodies:$bad, log: $(cat "$TMPC/nginx-access.log")"
    fi
    code=$(ip netns exec $C curl -s -D "$TMPC/h.out" -w '%{http_code}' --max-time 5 \
        -o "$TMPC/b1" "http://$SA/plain.txt" -o "$TMPC/b2" "http://$SA/long.txt")
    if [ "$code" = 200200 ] && grep -qi '^server: spu-rewritten' "$TMPC/h.out" &&
        [ "$(grep -ci '^server: nginx' "$TMPC/h.out")" = 1 ]; then
        echo "ok inline-rewrite $m: ReplaceHeader changed one response's Server header, not the next one's"
    else
        echo "FAIL inline-rewrite $m: ReplaceHeader: $code $(tr '\r\n' '  ' < "$TMPC/h.out")"
    fi
    # loss after spu toward the client: the server retransmits edited segments
    ip netns exec $C $IPT -A INPUT -p tcp --sport 80 -m statistic --mode random \
        --probability 0.2 -j DROP || fail "$IPT statistic rule"
    okn=0; n=0
    for k in 1 2 3 4 5; do
        n=$((n + 1))
        # shellcheck disable=SC2086
        rc=$(fetch $URLS)
        [ "$rc" = 0 ] && check_bodies && okn=$((okn + 1))
    done
    lost=$(ip netns exec $C $IPT -L INPUT -v -n -x | awk '/statistic/ {print $1}')
    ip netns exec $C $IPT -D INPUT -p tcp --sport 80 -m statistic --mode random \
        --probability 0.2 -j DROP
    [ $okn = $n ] && [ "$lost" -gt 0 ] &&
        echo "ok inline-rewrite $m: with 20% loss after spu ($lost segments lost), $n keep-alive runs got the exact edited bodies" ||
        echo "FAIL inline-rewrite $m: with loss only $okn of $n runs got the exact bodies (last:$bad rc $rc)"
    # nfq: loss before spu (raw PREROUTING in spu's namespace, ahead of the
    # queue): later segments reach it first and, over its 1-byte hold cap,
    # are skipped: a gap in the server's direction; edits after it are
    # refused and the bytes pass as they are, never corrupted. (bridge:
    # AF_PACKET reads frames before any filter could drop them)
    if [ $m = nfq ]; then
        ip netns exec $M $IPT -t raw -A PREROUTING -i $MS -p tcp --sport 80 -m statistic \
            --mode random --probability 0.2 -j DROP || fail "$IPT statistic rule"
        okn=0; n=0; unedited=0
        for k in 1 2 3; do
            n=$((n + 1))
            rc=$(fetch big.txt long.txt big.txt long.txt)
            good=1
            cmp -s "$TMPC/b1" "$TMPC/www/big.txt" && cmp -s "$TMPC/b3" "$TMPC/www/big.txt" || good=0
            for b in b2 b4; do
                case "$(cat "$TMPC/$b")" in
                    "hello big world") ;;
                    "hello world") unedited=$((unedited + 1)) ;;
                    *) good=0 ;;
                esac
            done
            [ "$rc" = 0 ] && [ $good = 1 ] && okn=$((okn + 1))
        done
        ip netns exec $M $IPT -t raw -D PREROUTING -i $MS -p tcp --sport 80 -m statistic \
            --mode random --probability 0.2 -j DROP
    fi
    sleep 1.2
    kill -INT $spid
    wait $spid
    src=$?
    spid=
    [ $src = 0 ] || echo "FAIL inline-rewrite $m: spurun exit $src: $(cat "$TMPC/spurun-$m.err")"
    last=$(grep '"event_type":"stats"' "$TMPC/eve-$m.json" | tail -n 1)
    cnt() { echo "$last" | $PY -c "import json,sys; r=json.load(sys.stdin)['spu']['rewrite']; print(r['$1'])"; }
    applied=$(cnt applied); refused=$(cnt refused); edited=$(cnt edited)
    gaps=$(echo "$last" | $PY -c "import json,sys; print(json.load(sys.stdin)['spu']['app']['gaps'])")
    [ $m = bridge ] ||
    { [ $okn = $n ] && [ "$gaps" -gt 0 ] && [ $unedited -gt 0 ] &&
        echo "ok inline-rewrite $m: $n runs with gaps before spu ($gaps gaps): 60 KB bodies intact, long.txt after a gap passed unmodified $unedited times" ||
        echo "FAIL inline-rewrite $m: gap runs $okn of $n intact, gaps=$gaps, unedited=$unedited"; }
    line=$(grep 'inline received' "$TMPC/spurun-$m.err")
    if [ "$applied" -ge 24 ] && [ "$refused" -ge 6 ] && [ "$edited" -ge 24 ]; then
        echo "ok inline-rewrite $m: counted applied=$applied refused=$refused edited=$edited retransmissions-dropped=$(cnt dropped) (${line#spurun: })"
    else
        echo "FAIL inline-rewrite $m: counters applied=$applied refused=$refused edited=$edited; $line"
    fi
    cleanup
    rm -f "$TMPC/nginx.pid" "$TMPC/nginx-access.log"
}

run_mode nfq
run_mode bridge

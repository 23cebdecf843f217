#!/bin/sh
# Cookie hiding (rules/cookie-hiding.spr, docs/inline.md) through spurun
# inline, in three namespaces made here as tests/e2e/inline.sh makes them
# (client with curl, spu, server with nginx), routed with nfq and bridged.
# nginx sets a session cookie on /login (302 to /page) and on /home (an
# HTML page linking to /page), and serves /page and /page2 only when the
# cookie comes back ($cookie_sid). curl keeps no cookies: it follows the
# Location and the links spu rewrote, reaches both pages, and never sees a
# Set-Cookie; nginx never sees the id parameter. With the session's ttl
# cut to 2 s, an id used after it expired gets nothing back (403).
# Skipped only when `ip netns add` fails.
. "$E2E/lib.inc"
. "$E2E/inline-net.inc"
T=$$
cleanup() { inline_cleanup; }
trap cleanup EXIT
inline_netns_check inline-cookie
fail() { echo "FAIL inline-cookie: $*"; exit 1; }
inline_tools

nginx_conf() { # LISTEN
    inline_nginx_conf <<EOF
    log_format ck '\$request_uri \$status cookie=[\$http_cookie]';
    access_log $TMPC/nginx-access.log ck;
    default_type text/html;
    server {
        listen $1:80;
        location = /login {
            add_header Set-Cookie "sid=s3cr3t; Path=/; HttpOnly";
            return 302 /page;
        }
        location = /home {
            add_header Set-Cookie "sid=s3cr3t; Path=/";
            return 200 '<html><a href="/page">in</a> <a href="http://example.com/x">out</a></html>\n';
        }
        location = /page {
            if (\$cookie_sid != "s3cr3t") { return 403; }
            return 200 '<html>welcome <a href="/page2?x=1">next</a></html>\n';
        }
        location = /page2 {
            if (\$cookie_sid != "s3cr3t") { return 403; }
            return 200 'second page\n';
        }
    }
EOF
}
SPUC="$(dirname "$SPURUN")/spuc"
"$SPUC" -I "$ROOT/grammars" -n cookie-hiding -o "$TMPC/ck.spb" "$ROOT/rules/cookie-hiding.spr" ||
    fail "spuc rules/cookie-hiding.spr"
sed 's/ttl 30m/ttl 2s/' "$ROOT/rules/cookie-hiding.spr" > "$TMPC/ck-short.spr"
"$SPUC" -I "$ROOT/grammars" -n cookie-short -o "$TMPC/ck-short.spb" "$TMPC/ck-short.spr" ||
    fail "spuc ck-short.spr"

# curl URL [ARGS]: headers in $TMPC/h.out, body in $TMPC/b.out; prints the status
get() {
    u=$1; shift
    ip netns exec $C curl -s -D "$TMPC/h.out" -o "$TMPC/b.out" -w '%{http_code}' --max-time 5 \
        "$@" "$u"
}

run_mode() { # nfq | bridge
    m=$1
    inline_topology inline-cookie $m ck 81
    nginx_conf $SA > "$TMPC/nginx.conf"
    ip netns exec $S "$NGINX" -c "$TMPC/nginx.conf" 2>"$TMPC/nginx.err" ||
        fail "$m: nginx did not start: $(cat "$TMPC/nginx.err")"
    inline_spec $m
    bundle=$TMPC/ck.spb
    [ $m = bridge ] && bundle=$TMPC/ck-short.spb
    ip netns exec $M "$SPURUN" --inline $spec -b "$bundle" -w 2 \
        -o "$TMPC/eve-$m.json" 2>"$TMPC/spurun-$m.err" &
    spid=$!
    i=0
    until [ "$(get "http://$SA/page2")" = 403 ]; do
        i=$((i + 1))
        [ $i -lt 20 ] || fail "$m: no traffic through spurun: $(cat "$TMPC/spurun-$m.err")"
        kill -0 $spid 2>/dev/null || fail "$m: spurun exited: $(cat "$TMPC/spurun-$m.err")"
        sleep 0.3
    done
    echo "ok inline-cookie $m: without the cookie nginx refuses /page2 (403)"
    : > "$TMPC/all-headers"
    # 1. login: the 302 carries the id, curl -L follows it to the page
    code=$(get "http://$SA/login" -L)
    cat "$TMPC/h.out" >> "$TMPC/all-headers"
    if [ "$code" = 200 ] && grep -q welcome "$TMPC/b.out" &&
        grep -qi '^location: .*/page?spuid=[0-9a-f]\{64\}' "$TMPC/h.out"; then
        echo "ok inline-cookie $m: login's 302 carries the id and curl -L reaches the cookie-only page"
    else
        echo "FAIL inline-cookie $m: login -L gave $code: $(tr '\r\n' '  ' < "$TMPC/h.out") $(cat "$TMPC/b.out")"
    fi
    # 2. an HTML page setting the cookie: its relative link carries the id
    code=$(get "http://$SA/home")
    cat "$TMPC/h.out" >> "$TMPC/all-headers"
    link=$(sed -n 's/.*href="\(\/page?spuid=[0-9a-f]*\)".*/\1/p' "$TMPC/b.out")
    if [ "$code" = 200 ] && [ -n "$link" ] && grep -q 'href="http://example.com/x"' "$TMPC/b.out"; then
        echo "ok inline-cookie $m: the page's relative link carries the id, the external one does not ($link)"
    else
        echo "FAIL inline-cookie $m: /home gave $code: $(cat "$TMPC/b.out")"
    fi
    code=$(get "http://$SA$link")
    cat "$TMPC/h.out" >> "$TMPC/all-headers"
    link2=$(sed -n 's/.*href="\(\/page2?x=1&spuid=[0-9a-f]*\)".*/\1/p' "$TMPC/b.out")
    code2=000
    [ -n "$link2" ] && code2=$(get "http://$SA$link2")
    cat "$TMPC/h.out" >> "$TMPC/all-headers"
    if [ "$code" = 200 ] && [ "$code2" = 200 ] && grep -qx 'second page' "$TMPC/b.out"; then
        echo "ok inline-cookie $m: following the rewritten links reaches /page then /page2 ($link2)"
    else
        echo "FAIL inline-cookie $m: link gave $code, second link '$link2' gave $code2"
    fi
    if grep -qi '^set-cookie' "$TMPC/all-headers"; then
        echo "FAIL inline-cookie $m: curl received a Set-Cookie"
    else
        echo "ok inline-cookie $m: curl never received a Set-Cookie ($(grep -c . "$TMPC/all-headers") header lines)"
    fi
    if ! grep -q spuid "$TMPC/nginx-access.log" &&
        [ "$(grep -c '^/page.* 200 cookie=\[sid=s3cr3t\]' "$TMPC/nginx-access.log")" -ge 3 ]; then
        echo "ok inline-cookie $m: nginx got the cookie back and never the id"
    else
        echo "FAIL inline-cookie $m: nginx log: $(cat "$TMPC/nginx-access.log")"
    fi
    if [ $m = bridge ]; then
        # this run's sessions last 2 s without use
        sleep 3
        code=$(get "http://$SA$link")
        [ "$code" = 403 ] && echo "ok inline-cookie $m: an expired id restores nothing (403)" ||
            echo "FAIL inline-cookie $m: expired id gave $code"
    fi
    kill -INT $spid
    wait $spid
    src=$?
    spid=
    [ $src = 0 ] || echo "FAIL inline-cookie $m: spurun exit $src: $(cat "$TMPC/spurun-$m.err")"
    cleanup
    rm -f "$TMPC/nginx.pid" "$TMPC/nginx-access.log"
}

run_mode nfq
run_mode bridge

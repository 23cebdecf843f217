#!/bin/sh
# Cookie hiding, step by step (root; docs/inline.md, "Cookie hiding"):
# three network namespaces (client, spu, server) routed through spurun
# --inline nfq:0 running rules/cookie-hiding.spr; nginx sets a session
# cookie on /login and serves /account only when it comes back. curl keeps
# no cookies, yet gets in.  Usage: examples/cookie-hiding.sh [BUILD_DIR]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
TMPC=$(mktemp -d)
T=$$
fail() { echo "cookie-hiding example: $*"; exit 1; }
. "$ROOT/tests/e2e/inline-net.inc"
trap 'inline_cleanup; rm -rf "$TMPC"' EXIT
inline_tools
ip netns add spuexchk$T 2>/dev/null || fail "cannot create network namespaces (root needed)"
ip netns del spuexchk$T
inline_topology example nfq ex 83

cat > "$TMPC/nginx.conf" <<EOF
user root;
worker_processes 1;
pid $TMPC/nginx.pid;
error_log $TMPC/error.log;
events { worker_connections 16; }
http {
    access_log $TMPC/access.log;
    client_body_temp_path $TMPC/body;
    proxy_temp_path $TMPC/proxy;
    fastcgi_temp_path $TMPC/fastcgi;
    uwsgi_temp_path $TMPC/uwsgi;
    scgi_temp_path $TMPC/scgi;
    default_type text/html;
    server {
        listen $SA:80;
        location = /login {
            add_header Set-Cookie "session=42; Path=/; HttpOnly";
            return 200 '<html>hello <a href="/account">your account</a></html>\n';
        }
        location = /account {
            if (\$cookie_session != "42") { return 403 'no session\n'; }
            return 200 'your account\n';
        }
    }
}
EOF
ip netns exec $S "$NGINX" -c "$TMPC/nginx.conf" || fail "nginx"
"$BUILD/spuc" -o "$TMPC/cookies.spb" "$ROOT/rules/cookie-hiding.spr" || fail "spuc"
ip netns exec $M $IPT -A FORWARD -j NFQUEUE --queue-num 0 || fail "iptables"
ip netns exec $M "$BUILD/spurun" --inline nfq:0 -b "$TMPC/cookies.spb" -o "$TMPC/eve.json" \
    2>"$TMPC/spurun.err" &
spid=$!
sleep 1

echo "== curl http://$SA/login (what the client receives)"
ip netns exec $C curl -s -i "http://$SA/login" | tee "$TMPC/login.out"
link=$(sed -n 's/.*href="\([^"]*\)".*/\1/p' "$TMPC/login.out")
echo "== curl http://$SA$link (the rewritten link, no cookie jar)"
ip netns exec $C curl -s "http://$SA$link"
echo "== curl http://$SA/account (without the id)"
ip netns exec $C curl -s "http://$SA/account"
echo "== what nginx saw"
cat "$TMPC/access.log"
kill -INT $spid; wait $spid; spid=
tail -n 1 "$TMPC/spurun.err"

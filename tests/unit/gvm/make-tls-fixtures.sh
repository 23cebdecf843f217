#!/bin/sh
# make-tls-fixtures.sh DIR: record a real TLS 1.2 handshake between
# openssl s_client and s_server (both directions, through a small
# recording proxy) into DIR/tls12-client.bin, DIR/tls12-server.bin, with
# the server's self-signed certificate in DIR/tls12-cert.pem. This made
# the fixtures of test-gvm-tls.c; the test's expected fields come from
# `openssl x509 -noout -fingerprint -sha1 -serial -dates -subject` on it.
set -e
dir=${1:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$dir/tls12-cert.pem" \
    -days 365 -subj "/C=US/ST=CA/O=Spu Test/CN=www.spu.test" \
    -addext "subjectAltName=DNS:www.spu.test,DNS:spu.test" 2>/dev/null
cat > "$tmp/proxy.py" <<'PY'
import socket, sys, threading
lport, rport, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", lport)); ls.listen(1); ls.settimeout(10)
c, _ = ls.accept(); c.settimeout(5)
s = socket.create_connection(("127.0.0.1", rport)); s.settimeout(5)
bufs = {0: bytearray(), 1: bytearray()}
def pump(a, b, d):
    while True:
        try:
            x = a.recv(65536)
        except OSError:
            x = b""
        if not x:
            try: b.shutdown(socket.SHUT_WR)
            except OSError: pass
            return
        bufs[d] += x
        b.sendall(x)
t = [threading.Thread(target=pump, args=(c, s, 0)), threading.Thread(target=pump, args=(s, c, 1))]
[x.start() for x in t]; [x.join() for x in t]
open(out + "-client.bin", "wb").write(bufs[0]); open(out + "-server.bin", "wb").write(bufs[1])
PY
openssl s_server -accept 24433 -cert "$dir/tls12-cert.pem" -key "$tmp/key.pem" -naccept 1 \
    </dev/null >/dev/null 2>&1 &
srv=$!
sleep 0.5
python3 "$tmp/proxy.py" 24434 24433 "$dir/tls12" &
px=$!
sleep 0.3
(sleep 1; echo Q) | timeout 5 openssl s_client -connect 127.0.0.1:24434 -servername www.spu.test \
    -tls1_2 -alpn h2,http/1.1 >/dev/null 2>&1 || true
kill $srv 2>/dev/null || true
wait $px

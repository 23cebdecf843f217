#!/bin/sh
# dns-tls-capture.sh - the seed of the bench's DNS/TLS input, made by real
# programs as tests/e2e/dns-tls.sh makes its capture: two network
# namespaces joined by a veth pair; dig asks dnsmasq QUERIES questions over
# UDP (A, AAAA, CNAME, MX, TXT, SRV in turn; one batch per dig run) and
# openssl s_time makes full TLS handshakes with s_server for SECONDS
# seconds in each of TLS 1.2 (with the certificate in clear) and TLS 1.3;
# dumpcap records it.
#   tests/bench/dns-tls-capture.sh OUT.pcap [QUERIES] [SECONDS]
# Writes OUT.pcap and OUT.pcap.counts (dns_messages=, tls_handshakes=, as
# tshark counts them in the capture). Needs root (ip netns), dnsmasq, dig,
# openssl, dumpcap, tshark.
set -eu
OUT=$1; QUERIES=${2:-2000}; SECS=${3:-3}
for t in ip dnsmasq dig openssl dumpcap tshark; do
    command -v "$t" >/dev/null 2>&1 || { echo "dns-tls-capture: $t is not installed" >&2; exit 1; }
done
S=spub-s-$$
C=spub-c-$$
T=$(mktemp -d)
ip netns add "$S"
ip netns add "$C"
cleanup() {
    for p in ${CAP_PID:-} ${DNS_PID:-} ${TLS_PID:-}; do kill "$p" 2>/dev/null || true; done
    ip netns del "$S" 2>/dev/null || true
    ip netns del "$C" 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT INT TERM
ip link add "vbs$$" netns "$S" type veth peer name "vbc$$" netns "$C"
ip -n "$S" addr add 10.78.0.1/24 dev "vbs$$"
ip -n "$C" addr add 10.78.0.2/24 dev "vbc$$"
ip -n "$S" link set "vbs$$" up
ip -n "$C" link set "vbc$$" up
ip netns exec "$C" ethtool -K "vbc$$" tx off rx off >/dev/null 2>&1 || true
ip netns exec "$S" ethtool -K "vbs$$" tx off rx off >/dev/null 2>&1 || true

ip netns exec "$C" dumpcap -q -P -i "vbc$$" -w "$T/cap.pcap" >"$T/dumpcap.log" 2>&1 &
CAP_PID=$!
i=0; while [ ! -s "$T/cap.pcap" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
ip netns exec "$S" dnsmasq --no-daemon --no-resolv --no-hosts --port=53 --listen-address=10.78.0.1 \
    --bind-interfaces --pid-file="$T/dnsmasq.pid" --cache-size=0 \
    --host-record=www.spu.test,10.1.2.3,2001:db8::7 --cname=alias.spu.test,www.spu.test \
    --mx-host=spu.test,mail.spu.test,10 --txt-record=spu.test,"hello world" \
    --srv-host=_sip._tcp.spu.test,sip.spu.test,5060,1,2 >"$T/dnsmasq.log" 2>&1 &
DNS_PID=$!
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 30 \
    -subj "/C=FR/O=Spu Bench/CN=tls.spu.test" -addext "subjectAltName=DNS:tls.spu.test" 2>/dev/null
ip netns exec "$S" openssl s_server -accept 10.78.0.1:443 -cert "$T/cert.pem" -key "$T/key.pem" \
    -quiet </dev/null >"$T/s_server.log" 2>&1 &
TLS_PID=$!
sleep 1
# dig -f: one question per line, all in one run
n=0
: >"$T/q.txt"
while [ $n -lt "$QUERIES" ]; do
    case $((n % 6)) in
    0) echo "www.spu.test A" ;; 1) echo "www.spu.test AAAA" ;; 2) echo "alias.spu.test A" ;;
    3) echo "spu.test MX" ;; 4) echo "spu.test TXT" ;; 5) echo "_sip._tcp.spu.test SRV" ;;
    esac >>"$T/q.txt"
    n=$((n + 1))
done
ip netns exec "$C" dig +tries=1 +time=2 @10.78.0.1 -f "$T/q.txt" >"$T/dig.log" 2>&1 || true
for v in -tls1_2 -tls1_3; do
    ip netns exec "$C" openssl s_time -connect 10.78.0.1:443 -new -time "$SECS" $v \
        >"$T/s_time$v.log" 2>&1 || true
done
sleep 1
kill "$CAP_PID"; wait "$CAP_PID" 2>/dev/null || true; CAP_PID=
dns=$(tshark -r "$T/cap.pcap" -Y dns 2>/dev/null | wc -l)
tls=$(tshark -r "$T/cap.pcap" -Y 'tls.handshake.type == 1' 2>/dev/null | wc -l)
mv "$T/cap.pcap" "$OUT"
printf 'dns_messages=%s\ntls_handshakes=%s\n' "$dns" "$tls" >"$OUT.counts"
echo "dns-tls-capture: $OUT: $dns DNS messages, $tls TLS handshakes"

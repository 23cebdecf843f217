#!/bin/sh
# DNS and TLS end to end, on captures made here from real programs: two
# network namespaces joined by a veth pair; dnsmasq answers dig (UDP, and
# one query over TCP) with A, AAAA, CNAME, MX, TXT and SRV records;
# openssl s_client does a TLS 1.2 handshake with s_server (a self-signed
# certificate made here). dumpcap records it; spurun with grammars/dns.spg,
# dnstcp.spg and tls.spg writes EVE; every DNS and TLS field is compared
# with what tshark reads from the same capture (and the certificate's with
# openssl x509). Skipped only when a namespace cannot be made.
. "$E2E/lib.inc"
set -u
need() { command -v "$1" >/dev/null 2>&1 || { echo "skip dns-tls: $1 is not installed"; exit 0; }; }
need dig
need dnsmasq
need openssl
need dumpcap
need tshark
S=spu-s-$$
C=spu-c-$$
if ! ip netns add "$S" 2>/dev/null; then
    echo "skip dns-tls: ip netns add failed (no permission to make network namespaces)"
    exit 0
fi
ip netns add "$C"
cleanup() {
    [ -n "${CAP_PID:-}" ] && kill "$CAP_PID" 2>/dev/null
    [ -n "${DNS_PID:-}" ] && kill "$DNS_PID" 2>/dev/null
    [ -n "${TLS_PID:-}" ] && kill "$TLS_PID" 2>/dev/null
    ip netns del "$S" 2>/dev/null
    ip netns del "$C" 2>/dev/null
}
trap cleanup EXIT INT TERM
ip link add "vs$$" netns "$S" type veth peer name "vc$$" netns "$C"
ip -n "$S" addr add 10.77.0.1/24 dev "vs$$"
ip -n "$C" addr add 10.77.0.2/24 dev "vc$$"
ip -n "$S" link set "vs$$" up
ip -n "$C" link set "vc$$" up
ip -n "$S" link set lo up
ip -n "$C" link set lo up
# no offloads: the capture carries real checksums
ip netns exec "$C" ethtool -K "vc$$" tx off rx off >/dev/null 2>&1 || true
ip netns exec "$S" ethtool -K "vs$$" tx off rx off >/dev/null 2>&1 || true

T=$TMPC
ip netns exec "$C" dumpcap -q -P -i "vc$$" -w "$T/cap.pcap" >"$T/dumpcap.log" 2>&1 &
CAP_PID=$!
# dumpcap is ready when its file exists
i=0; while [ ! -s "$T/cap.pcap" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done

ip netns exec "$S" dnsmasq --no-daemon --no-resolv --no-hosts --port=53 --listen-address=10.77.0.1 \
    --bind-interfaces --pid-file="$T/dnsmasq.pid" \
    --host-record=www.spu.test,10.1.2.3,2001:db8::7 \
    --cname=alias.spu.test,www.spu.test \
    --mx-host=spu.test,mail.spu.test,10 \
    --txt-record=spu.test,"hello world" \
    --srv-host=_sip._tcp.spu.test,sip.spu.test,5060,1,2 >"$T/dnsmasq.log" 2>&1 &
DNS_PID=$!
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 30 \
    -subj "/C=FR/O=Spu E2E/CN=tls.spu.test" -addext "subjectAltName=DNS:tls.spu.test" 2>/dev/null
ip netns exec "$S" openssl s_server -accept 10.77.0.1:443 -cert "$T/cert.pem" -key "$T/key.pem" \
    -naccept 1 -quiet </dev/null >"$T/s_server.log" 2>&1 &
TLS_PID=$!
sleep 1
q() { ip netns exec "$C" dig +tries=1 +time=2 @10.77.0.1 "$@" >>"$T/dig.log" 2>&1; }
q www.spu.test A
q www.spu.test AAAA
q alias.spu.test A
q spu.test MX
q spu.test TXT
q _sip._tcp.spu.test SRV
q +tcp www.spu.test A
(sleep 1; echo Q) | ip netns exec "$C" timeout 5 openssl s_client -connect 10.77.0.1:443 \
    -servername tls.spu.test -tls1_2 >"$T/s_client.log" 2>&1
sleep 1
kill "$CAP_PID"; wait "$CAP_PID" 2>/dev/null; CAP_PID=
[ -s "$T/cap.pcap" ] || { echo "FAIL dns-tls: no capture"; cat "$T/dumpcap.log"; exit 1; }

"$BUILD/spuc" -o "$T/b.spb" "$ROOT/grammars/dns.spg" "$ROOT/grammars/dnstcp.spg" \
    "$ROOT/grammars/tls.spg" || { echo "FAIL dns-tls: grammars do not compile"; exit 1; }
"$SPURUN" -r "$T/cap.pcap" -b "$T/b.spb" -o "$T/eve.json" -w 1 >"$T/spurun.log" 2>&1 ||
    { echo "FAIL dns-tls: spurun exited $?"; cat "$T/spurun.log"; exit 1; }

# tshark's reading: one line per DNS message, and the TLS hellos
tshark -r "$T/cap.pcap" -Y dns -T fields -E separator='|' -e dns.id -e dns.flags.response \
    -e dns.qry.name -e dns.qry.type -e dns.a -e dns.aaaa -e dns.cname -e dns.mx.mail_exchange \
    -e dns.txt -e dns.srv.target -e dns.srv.port >"$T/tshark-dns.txt" 2>/dev/null
tshark -r "$T/cap.pcap" -Y 'tls.handshake.type == 1 || tls.handshake.type == 2' -T fields \
    -E separator='|' -e tls.handshake.type -e tls.handshake.extensions_server_name \
    -e tls.handshake.ja3_full -e tls.handshake.ja3 -e tls.handshake.ja3s_full \
    -e tls.handshake.ja3s >"$T/tshark-tls.txt" 2>/dev/null
openssl x509 -in "$T/cert.pem" -noout -serial -fingerprint -sha1 >"$T/x509.txt"

"$PY" - "$T" <<'EOF'
import json, sys
T = sys.argv[1]
eve = [json.loads(l) for l in open(T + "/eve.json")]
dns = [e for e in eve if e.get("event_type") == "dns"]
tls = [e for e in eve if e.get("event_type") == "tls"]
fails = []
def check(what, got, want):
    if got != want:
        fails.append("%s: spu %r, tshark %r" % (what, got, want))
QT = {"1": "A", "28": "AAAA", "5": "CNAME", "15": "MX", "16": "TXT", "33": "SRV"}
n = 0
queries = {}
answers = {}
for e in dns:
    d = e["dns"]
    key = (d["id"], d["rrname"])
    (answers if d["type"] == "answer" else queries)[key] = d
for line in open(T + "/tshark-dns.txt"):
    f = line.rstrip("\n").split("|")
    did, resp, name, qtype = int(f[0], 0), f[1], f[2], QT.get(f[3], f[3])
    side = answers if resp in ("1", "True") else queries
    d = side.get((did, name))
    if d is None:
        fails.append("no dns %s for id %d %s" % ("answer" if side is answers else "query", did, name))
        continue
    n += 1
    check("rrtype of %s" % name, d["rrtype"], qtype)
    if side is answers:
        got = {}
        for a in d.get("answers", []):
            got.setdefault(a["rrtype"], []).append(a.get("rdata") or a.get("srv", {}).get("name"))
        def split(s):
            return [x for x in s.split(",") if x]
        for t, col in (("A", 4), ("CNAME", 6), ("MX", 7), ("SRV", 9)):
            check("%s answers of %s" % (t, name), got.get(t, []), split(f[col]))
        # AAAA: tshark compresses, Suricata (and spu) print every group
        import ipaddress
        check("AAAA answers of %s" % name, [str(ipaddress.ip_address(x)) for x in got.get("AAAA", [])],
              split(f[5]))
        check("TXT answers of %s" % name, got.get("TXT", []), split(f[8]))
        if f[10]:
            check("SRV port", d["answers"][0].get("srv", {}).get("port"), int(f[10]))
if n < 14:
    fails.append("only %d DNS messages matched (14 expected: 7 queries, 7 answers)" % n)
x = dict(l.strip().split("=", 1) for l in open(T + "/x509.txt"))
hello = [l.rstrip("\n").split("|") for l in open(T + "/tshark-tls.txt")]
if len(tls) != 1:
    fails.append("%d tls records (1 expected)" % len(tls))
else:
    t = tls[0]["tls"]
    for h in hello:
        if h[0] == "1":
            check("sni", t.get("sni"), h[1])
            check("ja3 string", t.get("ja3", {}).get("string"), h[2])
            check("ja3 hash", t.get("ja3", {}).get("hash"), h[3])
        elif h[0] == "2":
            check("ja3s string", t.get("ja3s", {}).get("string"), h[4])
            check("ja3s hash", t.get("ja3s", {}).get("hash"), h[5])
    check("serial", (t.get("serial") or "").replace(":", ""), x["serial"])
    check("fingerprint", (t.get("fingerprint") or "").upper(), x["sha1 Fingerprint"])
    check("subject", t.get("subject"), "C=FR, O=Spu E2E, CN=tls.spu.test")
    check("version", t.get("version"), "TLS 1.2")
for f in fails:
    print("FAIL dns-tls:", f)
if not fails:
    print("ok dns-tls: %d DNS messages and the TLS handshake agree with tshark and openssl" % n)
EOF

# The shipped rules (rules/dns-tls.spr) with lists naming what was seen:
# the SNI, a queried name and the client's JA3 (from tshark); the
# self-signed certificate alerts by itself.
mkdir -p "$T/rules/lists"
cp "$ROOT/rules/dns-tls.spr" "$T/rules/"
echo "tls.spu.test" >"$T/rules/lists/sni-block.txt"
echo "alias.spu.test" >"$T/rules/lists/dns-block.txt"
awk -F'|' '$1 == "1" { print $4 }' "$T/tshark-tls.txt" >"$T/rules/lists/ja3-block.txt"
"$BUILD/spuc" -o "$T/r.spb" "$ROOT/grammars/dns.spg" "$ROOT/grammars/dnstcp.spg" \
    "$ROOT/grammars/tls.spg" "$T/rules/dns-tls.spr" || { echo "FAIL dns-tls rules: do not compile"; exit 1; }
"$SPURUN" -r "$T/cap.pcap" -b "$T/r.spb" -o "$T/eve-rules.json" -w 1 >"$T/spurun-rules.log" 2>&1 ||
    { echo "FAIL dns-tls rules: spurun exited $?"; cat "$T/spurun-rules.log"; exit 1; }
"$PY" - "$T/eve-rules.json" <<'EOF2'
import json, sys, collections
sids = collections.Counter(e["alert"]["signature_id"] for e in map(json.loads, open(sys.argv[1]))
                           if e.get("event_type") == "alert")
want = {2200001: 1, 2200002: 1, 2200003: 1, 2200004: 1}
if dict(sids) == want:
    print("ok dns-tls rules: SNI, DNS name and JA3 lists and the self-signed certificate alert once each")
else:
    print("FAIL dns-tls rules: alerts %s, expected %s" % (dict(sids), want))
EOF2

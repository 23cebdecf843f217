#!/bin/sh
# DNS and TLS end to end, on captures made here from real programs: two
# network namespaces joined by a veth pair; dnsmasq answers dig (UDP, and
# one query over TCP) with A, AAAA, CNAME, MX, TXT and SRV records;
# openssl s_client does a TLS 1.2 and a TLS 1.3 handshake (with ALPN) with
# s_server (a self-signed certificate made here), and a TLS 1.2 one with a
# second s_server whose certificate, signed by a CA made here, expired
# (openssl ca with dates in the past). dumpcap records it; spurun with grammars/dns.spg,
# dnstcp.spg and tls.spg writes EVE; every DNS and TLS field is compared
# with what tshark reads from the same capture (and the certificate's with
# openssl x509; JA4 with FoxIO's definition computed here in python from
# tshark's fields). Skipped only when a namespace cannot be made.
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
    [ -n "${OLD_PID:-}" ] && kill "$OLD_PID" 2>/dev/null
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
    -naccept 2 -alpn h2,http/1.1 -quiet </dev/null >"$T/s_server.log" 2>&1 &
TLS_PID=$!
# a CA, and a certificate it signed that expired in 2021
mkdir -p "$T/ca"
: >"$T/ca/index.txt"
echo 1000 >"$T/ca/serial"
printf '[ ca ]\ndefault_ca = c\n[ c ]\ndatabase = %s\nnew_certs_dir = %s\nserial = %s\n%s\n' \
    "$T/ca/index.txt" "$T/ca" "$T/ca/serial" 'default_md = sha256
policy = p
[ p ]
commonName = supplied' >"$T/ca/ca.cnf"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca/ca.key" -out "$T/ca/ca.pem" -days 30 \
    -subj "/CN=Spu E2E CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$T/old.key" -out "$T/old.csr" \
    -subj "/CN=old.spu.test" 2>/dev/null
openssl ca -batch -config "$T/ca/ca.cnf" -cert "$T/ca/ca.pem" -keyfile "$T/ca/ca.key" \
    -in "$T/old.csr" -out "$T/old.pem" -startdate 20200101000000Z -enddate 20210101000000Z \
    -notext >"$T/ca.log" 2>&1 || { echo "FAIL dns-tls: openssl ca"; cat "$T/ca.log"; exit 1; }
ip netns exec "$S" openssl s_server -accept 10.77.0.1:8443 -cert "$T/old.pem" -key "$T/old.key" \
    -naccept 1 -quiet </dev/null >"$T/s_server-old.log" 2>&1 &
OLD_PID=$!
# the servers answer once they listen (at most 30 s): dnsmasq on udp 53,
# the two s_servers on tcp 443 and 8443
i=0
until ip netns exec "$S" ss -lnu | grep -q '10.77.0.1:53 ' &&
      [ "$(ip netns exec "$S" ss -lnt | grep -cE '10.77.0.1:(443|8443) ')" = 2 ]; do
    i=$((i + 1)); [ $i -gt 300 ] && break
    sleep 0.1
done
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
(sleep 1; echo Q) | ip netns exec "$C" timeout 5 openssl s_client -connect 10.77.0.1:443 \
    -servername tls13.spu.test -alpn h2,http/1.1 >"$T/s_client13.log" 2>&1
(sleep 1; echo Q) | ip netns exec "$C" timeout 5 openssl s_client -connect 10.77.0.1:8443 \
    -servername old.spu.test -tls1_2 >"$T/s_client-old.log" 2>&1
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
    -e tls.handshake.ja3s -e tcp.stream >"$T/tshark-tls.txt" 2>/dev/null
# the ClientHellos' fields JA4 is made of (every occurrence, ',' between)
tshark -r "$T/cap.pcap" -Y 'tls.handshake.type == 1' -T fields -E separator='|' \
    -E occurrence=a -E aggregator=, -e tls.handshake.extensions_server_name \
    -e tls.handshake.version -e tls.handshake.extensions.supported_version \
    -e tls.handshake.ciphersuite -e tls.handshake.extension.type \
    -e tls.handshake.extensions_alpn_str -e tls.handshake.sig_hash_alg >"$T/tshark-ja4.txt" 2>/dev/null
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

# JA4 (FoxIO's definition) from tshark's ClientHello fields
import hashlib
def grease(v):
    return (v & 0x0f0f) == 0x0a0a and (v >> 8) == (v & 0xff)
def ints(s):
    return [int(x, 0) for x in s.split(",") if x]
def ja4(f):
    sni, ver, sv, ciphers, exts, alpn, sig = f
    vs = [v for v in ints(sv) if not grease(v)]
    v = max(vs) if vs else int(ver, 0)
    vc = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3"}.get(v, "00")
    cs = sorted(c for c in ints(ciphers) if not grease(c))
    es = [e for e in ints(exts) if not grease(e)]
    first = alpn.split(",")[0] if alpn else ""
    if not first:
        al = "00"
    elif first[0].isalnum() and first[-1].isalnum() and first.isascii():
        al = first[0] + first[-1]
    else:
        h = first.encode().hex()
        al = h[0] + h[-1]
    a = "t%s%s%02d%02d%s" % (vc, "d" if 0 in es else "i", min(len(cs), 99), min(len(es), 99), al)
    b = ",".join("%04x" % c for c in cs)
    c = ",".join("%04x" % e for e in sorted(e for e in es if e not in (0, 0x10)))
    sg = ints(sig)
    if sg:
        c += "_" + ",".join("%04x" % s for s in sg)
    h = lambda s: hashlib.sha256(s.encode()).hexdigest()[:12] if s else "000000000000"
    return "%s_%s_%s" % (a, h(b), h(c))
want_ja4 = {}
for l in open(T + "/tshark-ja4.txt"):
    f = l.rstrip("\n").split("|")
    want_ja4[f[0]] = ja4(f)

by_sni = {e["tls"].get("sni"): e["tls"] for e in tls}
if sorted(by_sni) != ["old.spu.test", "tls.spu.test", "tls13.spu.test"]:
    fails.append("tls records for %s (old, tls and tls13.spu.test expected)" % sorted(by_sni))
stream_sni = {}
for h in hello:
    h[0] = h[0].split(",")[0]  # a ServerHello with the Certificate... after it: "2,11,12,14"
    if h[0] == "1":
        stream_sni[h[6]] = h[1]
for h in hello:
    t = by_sni.get(stream_sni.get(h[6]))
    if t is None:
        continue
    if h[0] == "1":
        check("sni", t.get("sni"), h[1])
        check("ja3 string", t.get("ja3", {}).get("string"), h[2])
        check("ja3 hash", t.get("ja3", {}).get("hash"), h[3])
    elif h[0] == "2":
        check("ja3s string", t.get("ja3s", {}).get("string"), h[4])
        check("ja3s hash", t.get("ja3s", {}).get("hash"), h[5])
for sni, want in want_ja4.items():
    check("ja4 of %s" % sni, by_sni.get(sni, {}).get("ja4"), want)
if len(want_ja4) != 3:
    fails.append("%d ClientHellos in tshark's reading (3 expected)" % len(want_ja4))
t = by_sni.get("tls.spu.test", {})
check("serial", (t.get("serial") or "").replace(":", ""), x["serial"])
check("fingerprint", (t.get("fingerprint") or "").upper(), x["sha1 Fingerprint"])
check("subject", t.get("subject"), "C=FR, O=Spu E2E, CN=tls.spu.test")
check("version", t.get("version"), "TLS 1.2")
check("tls13 version", by_sni.get("tls13.spu.test", {}).get("version"), "TLS 1.3")
check("ja4 of tls13 (TLS 1.3, SNI, ALPN h2)",
      (by_sni.get("tls13.spu.test", {}).get("ja4") or "")[:4] + (by_sni.get("tls13.spu.test", {}).get("ja4") or "")[8:10],
      "t13dh2")
o = by_sni.get("old.spu.test", {})
check("expired notafter", o.get("notafter"), "2021-01-01T00:00:00")
check("expired issuer", o.get("issuerdn"), "CN=Spu E2E CA")
for f in fails:
    print("FAIL dns-tls:", f)
if not fails:
    print("ok dns-tls: %d DNS messages and 3 TLS handshakes (JA3, JA3S, JA4, certificates) agree "
          "with tshark and openssl" % n)
EOF

# The shipped rules (rules/dns-tls.spr) with lists naming what was seen:
# the SNI, a queried name, the first client's JA3 (from tshark; the other
# TLS 1.2 client has the same) and the TLS 1.3 client's JA4 (computed
# above); the self-signed and the expired certificates alert by themselves.
mkdir -p "$T/rules/lists"
cp "$ROOT/rules/dns-tls.spr" "$T/rules/"
echo "tls.spu.test" >"$T/rules/lists/sni-block.txt"
echo "alias.spu.test" >"$T/rules/lists/dns-block.txt"
awk -F'|' '$1 == "1" { print $4; exit }' "$T/tshark-tls.txt" >"$T/rules/lists/ja3-block.txt"
ja3_n=$(awk -F'|' '$1 == "1" { n[$4]++; if (!f) f = $4 } END { print n[f] }' "$T/tshark-tls.txt")
"$PY" - "$T" >"$T/rules/lists/ja4-block.txt" <<'EOF3'
import json, sys
for l in open(sys.argv[1] + "/eve.json"):
    e = json.loads(l)
    if e.get("event_type") == "tls" and e["tls"].get("sni") == "tls13.spu.test":
        print(e["tls"]["ja4"])
EOF3
"$BUILD/spuc" -o "$T/r.spb" "$ROOT/grammars/dns.spg" "$ROOT/grammars/dnstcp.spg" \
    "$ROOT/grammars/tls.spg" "$T/rules/dns-tls.spr" || { echo "FAIL dns-tls rules: do not compile"; exit 1; }
"$SPURUN" -r "$T/cap.pcap" -b "$T/r.spb" -o "$T/eve-rules.json" -w 1 >"$T/spurun-rules.log" 2>&1 ||
    { echo "FAIL dns-tls rules: spurun exited $?"; cat "$T/spurun-rules.log"; exit 1; }
"$PY" - "$T/eve-rules.json" "$ja3_n" <<'EOF2'
import json, sys, collections
alerts = [e for e in map(json.loads, open(sys.argv[1])) if e.get("event_type") == "alert"]
sids = collections.Counter(e["alert"]["signature_id"] for e in alerts)
want = {2200001: 1, 2200002: 1, 2200003: 1, 2200004: int(sys.argv[2]), 2200005: 1, 2200006: 1}
# each alert carries the dns or tls object of its transaction
bad = []
for e in alerts:
    sid = e["alert"]["signature_id"]
    if sid == 2200002:
        if (e.get("dns") or {}).get("rrname") != "alias.spu.test":
            bad.append("%d: dns object %r" % (sid, e.get("dns")))
    else:
        t = e.get("tls") or {}
        if not t.get("sni") or (sid != 2200006 and not t.get("ja3", {}).get("hash")) or not t.get("ja4"):
            bad.append("%d: tls object %r" % (sid, t))
        if sid == 2200005 and (t.get("notafter"), t.get("sni")) != ("2021-01-01T00:00:00", "old.spu.test"):
            bad.append("%d: tls object %r" % (sid, t))
        if sid == 2200003 and t.get("subject") != "C=FR, O=Spu E2E, CN=tls.spu.test":
            bad.append("%d: tls object %r" % (sid, t))
for b in bad:
    print("FAIL dns-tls rules: alert without its object:", b)
if not bad:
    print("ok dns-tls rules: every alert carries the dns or tls object of its transaction")
if dict(sids) == want:
    print("ok dns-tls rules: SNI, DNS name, JA3 and JA4 lists, the self-signed and the expired "
          "certificates alert as expected")
else:
    print("FAIL dns-tls rules: alerts %s, expected %s" % (dict(sids), want))
EOF2

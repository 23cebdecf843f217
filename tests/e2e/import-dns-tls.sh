#!/bin/sh
# Imported Suricata DNS and TLS rules on real captures of the corpus
# (suricata-verify inputs, read from there): dns.query (each query name;
# dotprefix; Suricata 4's dns_query), tls.sni, ja3.hash, the leaf
# certificate's subject, issuer, serial and fingerprint, tls.certs (each
# DER certificate of the chain). Each capture must give exactly the
# alerts listed, so rules that must stay silent are checked too.
. "$E2E/lib.inc"
SPUC="$(dirname "$SPURUN")/spuc"
V="$CORPUS/suricata-verify"
T="$TMPC"
mkdir -p "$T"
[ -f "$ROOT/grammars/dns.spg" ] && [ -f "$ROOT/grammars/tls.spg" ] ||
    { echo "skip import-dns-tls: no grammars/dns.spg or tls.spg"; exit 0; }
cat > "$T/t.rules" <<'RULES'
alert dns any any -> any any (msg:"dns endswith"; dns.query; content:"googlesyndication.com"; endswith; nocase; sid:1;)
alert dns any any -> any any (msg:"dns dotprefix"; dns.query; dotprefix; content:".googlesyndication.com"; endswith; sid:2;)
alert dns any any -> any any (msg:"dns other"; dns.query; content:"nomatch.example"; sid:3;)
alert udp any any -> any 53 (msg:"dns_query v4"; dns_query; content:"pagead2"; startswith; sid:4;)
alert tls $HOME_NET any -> $EXTERNAL_NET any (msg:"sni"; flow:established,to_server; tls.sni; content:"evebox.org"; endswith; sid:5;)
alert tls any any -> any any (msg:"sni dotprefix bsize"; tls.sni; dotprefix; content:".evebox.org"; endswith; bsize:11; sid:6;)
alert tls any any -> any any (msg:"sni neg"; tls.sni; content:!"evebox"; sid:7;)
alert tls any any -> any any (msg:"subject"; flow:to_client; tls.cert_subject; content:"CN=SELKS"; endswith; tls.cert_issuer; content:"O=Stamus"; sid:8;)
alert tls any any -> any any (msg:"certs"; tls.certs; content:"|06 03 55 04 03|"; content:"SELKS"; distance:0; sid:9;)
alert tls any any -> any any (msg:"ja3"; ja3.hash; content:"e690df036922288311144cc96acf6515"; sid:10;)
alert tls any any -> any any (msg:"serial"; tls.cert_serial; content:"00:97:E6:47:09:8E:EA:C9:B4"; tls.cert_fingerprint; content:"3a:0b:3b:23"; startswith; sid:11;)
alert tls any any -> any any (msg:"ja3 other"; ja3_hash; content:"00000000000000000000000000000000"; sid:12;)
alert tls any any -> any any (msg:"sni bsize other"; tls.sni; content:"evebox.org"; bsize:9; sid:13;)
RULES
if ! "$SPUC" -I "$ROOT/grammars" -o "$T/t.spb" "$T/t.rules" 2>"$T/err"; then
    echo "FAIL import-dns-tls: the DNS/TLS rules do not import and compile"; cat "$T/err"; exit 0
fi
grep -q '^rules: 13, translated: 13,' "$T/err" &&
    echo "ok import-dns-tls: the 13 DNS/TLS rules translate and compile" ||
    { echo "FAIL import-dns-tls: not every rule translates"; cat "$T/err"; }
# check CAPTURE WANT WHAT: the sorted signature ids of the alerts
check() {
    check_alerts "import-dns-tls $1" "$T/t.spb" "$V/$1/input.pcap" "$2" "$3"
}
check http-protocol-inspect-v2 "1 2 4" "dns.query endswith, dotprefix, dns_query; a name not queried stays silent"
check ips-state-1 "5 6 10" "tls.sni with flow and variables, dotprefix and bsize, ja3.hash; a negated sni, another ja3 and a wrong bsize stay silent"
check lua/lua-tlslib-01 "8 8 8 8 9 9 9 9 11 11 11 11" "four handshakes: the leaf's subject and issuer, tls.certs, serial and fingerprint; no SNI: the sni rules stay silent"
check firewall/app-layer-protocol-negated-list "7" "a ClientHello whose SNI is not evebox.org: only the negated sni rule"

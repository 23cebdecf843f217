#!/bin/sh
# Seeds for fuzz-gvm: conversations of the test grammars (tests/unit/gvm, in
# name order: demo is target 0, mail 1, web 2) in the target's input format (see
# tests/fuzz/fuzz-gvm.c): byte 0 the target, then each direction's bytes in
# pieces of at most 32, each after its control byte (direction | (n-1)<<3),
# gaps and ends. The HTTP and mail samples are also written for targets
# 3..10, the shipped grammars (grammars/*.spg, in name order) when there are.
# With a third argument NAME (seed-fuzz-gvm-NAME.sh), the seeds of the
# target of that one grammar instead (byte 0 is then 0 or 128): http, smtp,
# email, html conversations; dns datagrams and dnstcp, tls streams built
# from the same messages.
# Usage: seed-fuzz-gvm.sh BUILD DIR [NAME]
set -e
dir="$2"
one="${3:-}"
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

byte() { printf "\\$(printf %o "$1")"; }

# data DIR FILE: FILE's bytes fed to direction DIR (0 client, 1 server)
data() {
    size=$(wc -c < "$2"); off=0
    while [ "$off" -lt "$size" ]; do
        n=$((size - off)); [ "$n" -gt 32 ] && n=32
        byte $(($1 + (n - 1) * 8))
        dd if="$2" bs=1 skip="$off" count="$n" 2>/dev/null
        off=$((off + n))
    done
}
gap() { byte $(($1 + 4 + ($2 - 1) * 8)); }   # gap DIR LEN (1..32)
eof() { byte $(($1 + 6 + 8)); }              # eof DIR

c() { printf '%b' "$1" > "$tmp/d"; data 0 "$tmp/d"; }
s() { printf '%b' "$1" > "$tmp/d"; data 1 "$tmp/d"; }

# sample NAME TARGET...: the script on stdin-less functions named NAME
sample() {
    name=$1; shift
    for t in "$@"; do { byte "$t"; "$name"; } > "$dir/gvm-$name-$t"; done
}

demo_talk() {
    c 'HELLO bob\r\n'; s '+OK hi bob\r\n'; c 'NOOP\r\n'; s '-ERR what\r\n'
    c 'BYE\r\n'; s '+OK bye\r\n'
}
demo_resync() { c 'HELLO a\r\n?\r\nNOOP\r\nHELLO'; gap 0 3; c ' x\r\n'; eof 0; s '+OK\r\n'; }

web_pipeline() {
    c 'GET /a/b.html?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n'
    c 'POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello'
    c 'HEAD /h HTTP/1.0\r\n\r\n'
    s 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4;ext\r\ndefg\r\n0\r\n\r\n'
    s 'HTTP/1.1 204 No Content\r\n\r\n'
    s 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n'
    eof 0; eof 1
}
web_lines() {
    c 'POST /l HTTP/1.1\r\nContent-Type: text/lines\r\nContent-Length: 12\r\n\r\none\ntwo\nsix\n'
    s 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'
}
web_gzip() {
    printf 'the quick brown fox jumps over the lazy dog, twice: the quick brown fox' |
        gzip -9 -n -c > "$tmp/z"
    printf 'POST /z HTTP/1.1\r\nContent-Encoding: gzip\r\nContent-Length: %s\r\n\r\n' \
        "$(wc -c < "$tmp/z")" > "$tmp/h"
    cat "$tmp/h" "$tmp/z" > "$tmp/r"
    data 0 "$tmp/r"
    s 'HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: '
    s "$(wc -c < "$tmp/z")"
    s '\r\n\r\n'
    data 1 "$tmp/z"
}
web_gap() {
    c 'GET / HTTP/1.1\r\nHost: a\r\n'; gap 0 7; c '\r\n\r\nGET /b HTTP/1.1\r\n\r\n'
    s 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc'; eof 1
}
smtp_talk() {
    s '220 mx ESMTP\r\n'; c 'EHLO a\r\n'; s '250-mx\r\n250 PIPELINING\r\n'
    c 'MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n'; s '250 ok\r\n250 ok\r\n354 go\r\n'
    c 'Subject: hi\r\n there\r\n\r\nbody\r\n..x\r\n.\r\nQUIT\r\n'; s '250 ok\r\n221 bye\r\n'
}
smtp_limits() {
    i=0; : > "$tmp/m"
    while [ $i -lt 60 ]; do printf '250-l%d\r\n' $i >> "$tmp/m"; i=$((i + 1)); done
    printf '250 end\r\n' >> "$tmp/m"; data 1 "$tmp/m"
    c 'STARTTLS\r\n'; s '220 go ahead\r\n'; c '\026\003\001'
}

# dgram DIR FILE: FILE as one datagram (op 1 with a 2-byte length)
dgram() {
    size=$(wc -c < "$2")
    byte $(($1 + 2)); byte $((size / 256)); byte $((size % 256))
    cat "$2"
}

# DNS messages (RFC 1035 layouts) written by python3 into $tmp/dns-*.
dns_messages() {
    python3 - "$tmp" <<'PYEOF'
import struct, sys
t = sys.argv[1]
def name(n):
    return b"".join(bytes([len(l)]) + l.encode() for l in n.split(".") if l) + b"\0"
def hdr(i, flags, qd, an, ns=0, ar=0):
    return struct.pack(">HHHHHH", i, flags, qd, an, ns, ar)
def rr(n, ty, data, ttl=60):
    return n + struct.pack(">HHIH", ty, 1, ttl, len(data)) + data
q = hdr(0x1234, 0x0100, 1, 0, 0, 1) + name("www.example.com") + struct.pack(">HH", 1, 1) + \
    b"\0" + struct.pack(">HHIH", 41, 4096, 0x8000, 0)
a = hdr(0x1234, 0x8180, 1, 3) + name("www.example.com") + struct.pack(">HH", 1, 1) + \
    rr(b"\xc0\x0c", 5, b"\x03web\xc0\x10") + rr(b"\xc0\x2d", 1, bytes([93, 184, 216, 34])) + \
    rr(b"\xc0\x0c", 28, bytes(15) + b"\x01")
q2 = hdr(7, 0x0100, 1, 0) + name("example.com") + struct.pack(">HH", 255, 1)
a2 = hdr(7, 0x8580, 1, 4, 1) + name("example.com") + struct.pack(">HH", 255, 1) + \
    rr(b"\xc0\x0c", 15, b"\x00\x0a\x04mail\xc0\x0c") + \
    rr(b"\xc0\x0c", 16, b"\x05hello\x05world") + \
    rr(b"\xc0\x0c", 33, b"\x00\x01\x00\x02\x13\xc4\x03sip\xc0\x0c") + \
    rr(b"\xc0\x0c", 65, b"\x00\x01\x00" + struct.pack(">HH", 1, 3) + b"\x02h2") + \
    rr(b"\xc0\x0c", 6, b"\x02ns\xc0\x0c\x0ahostmaster\xc0\x0c" + struct.pack(">IIIII", 1, 7200, 3600, 604800, 300))
loop = hdr(9, 0x0100, 1, 0) + b"\xc0\x0c" + struct.pack(">HH", 1, 1)
for k, v in {"q": q, "a": a, "q2": q2, "a2": a2, "loop": loop}.items():
    open("%s/dns-%s" % (t, k), "wb").write(v)
    open("%s/dnstcp-%s" % (t, k), "wb").write(struct.pack(">H", len(v)) + v)
PYEOF
}
dns_talk() { dgram 0 "$tmp/dns-q"; dgram 0 "$tmp/dns-q2"; dgram 1 "$tmp/dns-a2"; dgram 1 "$tmp/dns-a"; }
dns_bad() { dgram 0 "$tmp/dns-loop"; dgram 1 "$tmp/dns-q"; c '\022\064\001'; dgram 0 "$tmp/dns-q"; }
dnstcp_talk() {
    cat "$tmp/dnstcp-q" "$tmp/dnstcp-q2" > "$tmp/d"; data 0 "$tmp/d"
    cat "$tmp/dnstcp-a" "$tmp/dnstcp-a2" > "$tmp/d"; data 1 "$tmp/d"; eof 0; eof 1
}
tls_talk() {
    data 0 tests/unit/gvm/tls12-client.bin; data 1 tests/unit/gvm/tls12-server.bin; eof 0; eof 1
}
email_mime() {
    c 'From: a@b.example\r\nTo: c@d.example\r\nSubject: =?utf-8?B?aMOpbGxv?=\r\n'
    c 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="XX"\r\n\r\n'
    c 'preamble\r\n--XX\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
    c 'see http://example.com/a?b=1 and mailto:x@y.example =3D\r\n--XX\r\n'
    c 'Content-Type: application/octet-stream; name="a.exe"\r\nContent-Transfer-Encoding: base64\r\n'
    c 'Content-Disposition: attachment; filename="a.exe"\r\n\r\nTVqQAAMAAAAEAAAA//8AALgAAAA=\r\n--XX--\r\n'
    eof 0
}
html_page() {
    s '<html><head><title>t</title></head><body><a href="/x?y=1">x</a>'
    s '<form action="/login" method="post"><input type="password" name="pw"></form>'
    s '<A HREF=http://example.com/z>z</A><img src=a.png></body></html>'; eof 1
}

if [ -n "$one" ]; then
    case "$one" in
    http) set -- web_pipeline web_lines web_gzip web_gap ;;
    smtp) set -- smtp_talk smtp_limits ;;
    email) set -- email_mime ;;
    html) set -- html_page ;;
    dns) dns_messages; set -- dns_talk dns_bad ;;
    dnstcp) dns_messages; set -- dnstcp_talk ;;
    tls) set -- tls_talk ;;
    *) echo "seed-fuzz-gvm.sh: no seeds for $one" >&2; exit 1 ;;
    esac
    for f in "$@"; do sample "$f" 0 128; done
    exit 0
fi

sample demo_talk 0
sample demo_resync 0
sample smtp_talk 1 3 4 5 6 7 8 9 10
sample smtp_limits 1
sample web_pipeline 2 3 4 5 6 7 8 9 10
sample web_lines 2
sample web_gzip 2 3 4 5 6 7 8 9 10
sample web_gap 2

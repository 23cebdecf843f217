#!/bin/sh
# Seeds for fuzz-gvm: conversations of the test grammars (tests/unit/gvm, in
# name order: demo is target 0, mail 1, web 2) in the target's input format (see
# tests/fuzz/fuzz-gvm.c): byte 0 the target, then each direction's bytes in
# pieces of at most 32, each after its control byte (direction | (n-1)<<3),
# gaps and ends. The HTTP and mail samples are also written for targets
# 3..10, the shipped grammars (grammars/*.spg, in name order) when there are.
# Usage: seed-fuzz-gvm.sh BUILD DIR
set -e
dir="$2"
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

sample demo_talk 0
sample demo_resync 0
sample smtp_talk 1 3 4 5 6 7 8 9 10
sample smtp_limits 1
sample web_pipeline 2 3 4 5 6 7 8 9 10
sample web_lines 2
sample web_gzip 2 3 4 5 6 7 8 9 10
sample web_gap 2

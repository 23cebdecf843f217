#!/bin/sh
# The grammars area's DNS/TLS command: spurun with grammars/dns.spg,
# dnstcp.spg and tls.spg (EVE dns and tls records written), one worker.
#   tests/bench/dns-tls-run.sh BUILD INPUT OUT
# The bundle is built into BUILD/bench/data/dns-tls.spb once, and again when
# a grammar or spuc is newer, so the measured runs only load it.
set -eu
BUILD=$1; INPUT=$2; OUT=$3
DATA=$BUILD/bench/data
spb=$DATA/dns-tls.spb
mkdir -p "$DATA"
stale=0
[ -s "$spb" ] || stale=1
for f in grammars/dns.spg grammars/dnstcp.spg grammars/tls.spg "$BUILD/spuc"; do
    [ "$f" -nt "$spb" ] && stale=1
done
if [ $stale = 1 ]; then
    "$BUILD/spuc" -n dns-tls -o "$spb.tmp" grammars/dns.spg grammars/dnstcp.spg grammars/tls.spg
    mv "$spb.tmp" "$spb"
fi
exec "$BUILD/spurun" -b "$spb" -r "$INPUT" -w 1 -o "$OUT/eve.json" --no-progress -v

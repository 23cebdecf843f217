#!/bin/sh
# The rules area's command: spurun with the shipped grammars (grammars/*.spg)
# and N rules from gen-rules on http.request, one worker.
#   tests/bench/rules-run.sh BUILD N INPUT OUT
# N=0 is the grammars alone (the rules' reference). The bundle is built into
# BUILD/bench/data/rules-N.spb once, and again when a grammar or gen-rules
# is newer, so the measured runs only load it.
set -eu
BUILD=$1; N=$2; INPUT=$3; OUT=$4
DATA=$BUILD/bench/data
spb=$DATA/rules-$N.spb
mkdir -p "$DATA"
stale=0
[ -s "$spb" ] || stale=1
for f in grammars/*.spg "$BUILD/bench/gen-rules" "$BUILD/spuc"; do
    [ "$f" -nt "$spb" ] && stale=1
done
if [ $stale = 1 ]; then
    spr=$DATA/rules-$N.spr
    if [ "$N" -gt 0 ]; then
        "$BUILD/bench/gen-rules" -n "$N" -p http -e http.request -H hostname -d url.directory \
            -x url.ext -u uri -a user_agent > "$spr"
        "$BUILD/spuc" -n "rules-$N" -o "$spb.tmp" grammars/*.spg "$spr"
    else
        "$BUILD/spuc" -n grammars -o "$spb.tmp" grammars/*.spg
    fi
    mv "$spb.tmp" "$spb"
fi
exec "$BUILD/spurun" -b "$spb" -r "$INPUT" -w 1 -o "$OUT/eve.json" --no-progress -v

#!/bin/sh
# The grammars area's command: spurun with the shipped grammars (grammars/*.spg)
# and no rules, one worker, EVE records written.
#   tests/bench/grammars-run.sh BUILD INPUT OUT [--keep-bodies] [SPURUN-OPTION...]
# The bundle is built into BUILD/bench/data/grammars.spb once, and again when a
# grammar or spuc is newer, so the measured runs only load it. --keep-bodies
# adds tests/bench/keep-bodies.spr (a rule reading every response body, so
# bodies are stored; grammars-kb.spb). Extra options go to spurun
# (--force-magic: files are typed by libmagic).
set -eu
BUILD=$1; INPUT=$2; OUT=$3
shift 3
DATA=$BUILD/bench/data
spb=$DATA/grammars.spb
rules=
if [ "${1:-}" = --keep-bodies ]; then
    shift
    spb=$DATA/grammars-kb.spb
    rules=tests/bench/keep-bodies.spr
fi
mkdir -p "$DATA"
stale=0
[ -s "$spb" ] || stale=1
for f in grammars/*.spg $rules "$BUILD/spuc"; do
    [ "$f" -nt "$spb" ] && stale=1
done
if [ $stale = 1 ]; then
    "$BUILD/spuc" -n grammars -o "$spb.tmp.$$" grammars/*.spg $rules
    mv "$spb.tmp.$$" "$spb"
fi
exec "$BUILD/spurun" -b "$spb" -r "$INPUT" -w 1 -o "$OUT/eve.json" --no-progress -v "$@"

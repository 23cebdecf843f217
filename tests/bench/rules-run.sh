#!/bin/sh
# The rules area's command: spurun with the shipped grammars (grammars/*.spg)
# and N rules, one worker.
#   tests/bench/rules-run.sh BUILD N INPUT OUT [SET]
# SET (default "specific"):
#   specific  gen-rules -S on http.request: every rule carries a literal of
#             its own, as real signatures do, so few rules match
#   loose     gen-rules without -S: many rules are a lone generic test
#             (`url.ext in script_ext`, `StringInString(uri, "id=")`), so most
#             selected rules match and about six alerts are written per
#             request: the case where rules fire
#   et        the first N active http* rules of ET Open Suricata 5.0 that
#             `spuc --import suricata` translates (et-select.sh), imported
#             and compiled
# N=0 is the grammars alone (the rules' reference). The bundle is built into
# DATA/rules-SET-N.spb once (DATA = BENCH_DATA, default BUILD/bench/data),
# and again when a grammar, spuc or gen-rules is newer, so the measured runs
# only load it.
set -eu
BUILD=$1; N=$2; INPUT=$3; OUT=$4; SET=${5:-specific}
DATA=${BENCH_DATA:-$BUILD/bench/data}
case $SET in specific|loose|et) ;; *) echo "rules-run.sh: unknown set '$SET'" >&2; exit 2 ;; esac
[ "$N" -gt 0 ] || SET=none
spb=$DATA/rules-$SET-$N.spb
mkdir -p "$DATA"
stale=0
[ -s "$spb" ] || stale=1
for f in grammars/*.spg "$BUILD/bench/gen-rules" "$BUILD/spuc"; do
    [ "$f" -nt "$spb" ] && stale=1
done
if [ $stale = 1 ]; then
    spr=$DATA/rules-$SET-$N.spr
    genargs="-n $N -p http -e http.request -H hostname -d url.directory -x url.ext -u uri -a user_agent"
    case $SET in
    specific) "$BUILD/bench/gen-rules" -S $genargs > "$spr" ;;
    loose) "$BUILD/bench/gen-rules" $genargs > "$spr" ;;
    et)
        sh tests/bench/et-select.sh "$BUILD" "$DATA/rules-et-$N.rules" "$N" > /dev/null
        "$BUILD/spuc" --import suricata "$DATA/rules-et-$N.rules" -o "$spr" 2> /dev/null ;;
    esac
    if [ "$SET" = none ]; then
        "$BUILD/spuc" -n grammars -o "$spb.tmp" grammars/*.spg
    else
        "$BUILD/spuc" -n "rules-$SET-$N" -o "$spb.tmp" grammars/*.spg "$spr"
    fi
    mv "$spb.tmp" "$spb"
fi
exec "$BUILD/spurun" -b "$spb" -r "$INPUT" -w 1 -o "$OUT/eve.json" --no-progress -v

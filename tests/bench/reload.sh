#!/bin/sh
# reload.sh BUILD INPUT [OUTDIR] - the reload benchmark's figures (make
# bench-reload; run.sh calls it with the mix input of its size):
# - for 10 and 10,000 generated rules (tests/bench/gen-rules.c on
#   tests/bench/web.spg, two seeds = two versions): reload latency, request
#   to publication (read + verify + build + publish + grace), median and max
#   of REPS reloads, and the extra memory a reload takes (peak RSS during it
#   minus RSS before) as a fraction of the bundle's size
#   (tests/bench/reload-bench.c), one line per size:
#     rules=N bytes=N reload_ms_median=X reload_ms_max=X extra_kb_median=N extra_of_bundle=X
# - throughput while reloading: spurun -r INPUT -w 2 with 1,000 rules, once
#   without reloads and once with `spuctl reload` every EVERY seconds
#   (default 1) alternating the two versions (the input must last several
#   seconds: run.sh gives the mix, about 4 s with these rules); one line:
#     throughput rules=1000 pps_plain=X pps_reloading=X ratio=X reloads=N
# SIZES, REPS and EVERY override the defaults. Files go to OUTDIR (default
# BUILD/bench/reload).
set -eu
[ $# -ge 2 ] || { echo "usage: $0 BUILD INPUT [OUTDIR]" >&2; exit 2; }
build=$1
input=$2
out=${3:-$build/bench/reload}
sizes=${SIZES:-10 10000}
reps=${REPS:-10}
every=${EVERY:-1}
cd "$(dirname "$0")/../.."
for t in "$build/spuc" "$build/spurun" "$build/spuctl" "$build/bench/gen-rules" \
         "$build/bench/reload-bench"; do
    [ -x "$t" ] || { echo "reload.sh: $t is not built (make $t)" >&2; exit 1; }
done
mkdir -p "$out"
versions() { # N: rules-N-1.spb and rules-N-2.spb
    for s in 1 2; do
        "$build/bench/gen-rules" -n "$1" -s "$s" > "$out/rules-$1-$s.spr"
        "$build/spuc" -I tests/bench -o "$out/rules-$1-$s.spb" "$out/rules-$1-$s.spr"
    done
}
for n in $sizes; do
    versions "$n"
    r=$("$build/bench/reload-bench" -r "$reps" "$out/rules-$n-1.spb" "$out/rules-$n-2.spb")
    echo "rules=$n $r"
done

versions 1000
pps() { sed -n 's/.* pps=\([0-9]*\) .*/\1/p' "$1" | tail -1; }
"$build/spurun" -r "$input" -w 2 -b app="$out/rules-1000-1.spb" -o /dev/null --no-progress \
    2> "$out/plain.err"
sock="$out/ctl.sock"
rm -f "$sock"
"$build/spurun" -r "$input" -w 2 -b app="$out/rules-1000-1.spb" -o /dev/null --no-progress \
    --control "$sock" 2> "$out/reloading.err" &
pid=$!
n=0
while kill -0 "$pid" 2>/dev/null; do
    sleep "$every"
    v=$((n % 2 + 1))
    "$build/spuctl" --control "$sock" --json reload app "$out/rules-1000-$v.spb" > /dev/null 2>&1 &&
        n=$((n + 1))
done
wait "$pid"
a=$(pps "$out/plain.err"); b=$(pps "$out/reloading.err")
echo "throughput rules=1000 pps_plain=$a pps_reloading=$b ratio=$(echo "$a $b" | awk '{printf "%.3f", $2 / $1}') reloads=$n every=$every"

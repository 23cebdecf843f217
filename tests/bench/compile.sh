#!/bin/sh
# compile.sh BUILD [OUTDIR] - the compile benchmark's figures: for 100, 1,000
# and 10,000 generated rules (tests/bench/gen-rules.c on tests/bench/web.spg):
# compile time (best of REPS runs of spuc -o), bundle size, and the load+verify
# time of the unsigned bundle and of the same rules signed (the signed bundle
# carries the Hyperscan database cache, taken because its key is trusted).
# One line per size on stdout:
#   rules=N compile_s=X bytes=N load_ms=X (median) signed_bytes=N signed_load_ms=X
# Aims (docs: the codegen brief): 10,000 rules compile in under 2 s; a signed
# bundle loads in under 50 ms. SIZES and REPS override the defaults.
# Inputs and bundles go to OUTDIR (default BUILD/bench/compile).
set -eu
[ $# -ge 1 ] || { echo "usage: $0 BUILD [OUTDIR]" >&2; exit 2; }
build=$1
out=${2:-$build/bench/compile}
sizes=${SIZES:-100 1000 10000}
reps=${REPS:-3}
cd "$(dirname "$0")/../.."
for t in "$build/spuc" "$build/bench/gen-rules" "$build/bench/load-bundle"; do
    [ -x "$t" ] || { echo "compile.sh: $t is not built (make $t)" >&2; exit 1; }
done
mkdir -p "$out"
[ -f "$out/key.key" ] || "$build/spuc" --gen-key "$out/key" > /dev/null
now() { date +%s.%N; }
for n in $sizes; do
    rules="$out/rules-$n.spr"
    "$build/bench/gen-rules" -n "$n" > "$rules"
    best=""
    i=0
    while [ $i -lt "$reps" ]; do
        t0=$(now)
        "$build/spuc" -I tests/bench -o "$out/rules-$n.spb" "$rules"
        t1=$(now)
        best=$(echo "$t0 $t1 $best" | awk '{d = $2 - $1; if ($3 == "" || d < $3) print d; else print $3}')
        i=$((i + 1))
    done
    "$build/spuc" -I tests/bench --sign "$out/key.key" -o "$out/rules-$n-signed.spb" "$rules"
    u=$("$build/bench/load-bundle" -r 5 "$out/rules-$n.spb")
    s=$("$build/bench/load-bundle" -r 5 -k "$out/key.pub" "$out/rules-$n-signed.spb")
    field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
    printf 'rules=%s compile_s=%.3f bytes=%s load_ms=%s signed_bytes=%s signed_load_ms=%s\n' \
        "$n" "$best" "$(field "$u" bytes)" "$(field "$u" load_ms_median)" \
        "$(field "$s" bytes)" "$(field "$s" load_ms_median)"
done

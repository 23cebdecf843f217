#!/bin/sh
# import.sh BUILD [OUTDIR] - the rule import benchmark (issue 9): the first
# N (default 10,000) active http* rules of the ET Open Suricata 5.0 set in
# ../shared/corpus/rules that the importer translates (et-select.sh; read
# from there, not copied), the file the import throughput row runs: spuc --import
# time (best of REPS), then, when grammars/http.spg is in the tree, compile
# time of the translation, bundle size and load+verify time. One line:
#   rules=N translated=N import_s=X compile_s=X bytes=N load_ms=X
# (compile_s, bytes and load_ms are "-" without the grammar).
set -eu
[ $# -ge 1 ] || { echo "usage: $0 BUILD [OUTDIR]" >&2; exit 2; }
build=$1
out=${2:-$build/bench/import}
n=${RULES:-10000}
reps=${REPS:-3}
cd "$(dirname "$0")/../.."
set_dir=../shared/corpus/rules/et-open-suricata-5.0-2024-04-19
[ -d "$set_dir" ] || { echo "import.sh: no $set_dir" >&2; exit 1; }
mkdir -p "$out"
sh tests/bench/et-select.sh "$build" "$out/et.rules" "$n" > /dev/null
now() { date +%s.%N; }
best() { echo "$1 $2 $3" | awk '{d = $2 - $1; if ($3 == "" || d < $3) print d; else print $3}'; }
imp=""; cmp=""
i=0
while [ $i -lt "$reps" ]; do
    t0=$(now)
    "$build/spuc" --import suricata "$out/et.rules" -o "$out/et.spr" 2>"$out/import.err"
    t1=$(now)
    imp=$(best "$t0" "$t1" "$imp")
    i=$((i + 1))
done
translated=$(sed -n 's/.*translated: \([0-9]*\),.*/\1/p' "$out/import.err")
bytes=-; load=-; cmp=-
if [ -f grammars/http.spg ]; then
    cmp=""
    i=0
    while [ $i -lt "$reps" ]; do
        t0=$(now)
        "$build/spuc" -I grammars -o "$out/et.spb" grammars/http.spg "$out/et.spr"
        t1=$(now)
        cmp=$(best "$t0" "$t1" "$cmp")
        i=$((i + 1))
    done
    bytes=$(wc -c < "$out/et.spb")
    load=$("$build/bench/load-bundle" -r 5 "$out/et.spb" | tr ' ' '\n' | sed -n "s/^load_ms_median=//p")
fi
echo "rules=$(grep -c . "$out/et.rules") translated=$translated import_s=$imp compile_s=$cmp bytes=$bytes load_ms=${load:--}"

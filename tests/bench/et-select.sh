#!/bin/sh
# et-select.sh BUILD OUT [N] - the real-world rule file of the import figures
# (issue 9): the first N (default 10,000) active http* rules of the ET Open
# Suricata 5.0 set in ../shared/corpus/rules (read there, never copied into
# the repo) that `spuc --import suricata` translates, in file order, into
# OUT (a .rules file). Rules the importer skips (their line numbers are in
# its diagnostics) are left out before counting, so the file holds N rules
# that all run. Prints "selected=N skipped_before=K".
set -eu
[ $# -ge 2 ] || { echo "usage: $0 BUILD OUT [N]" >&2; exit 2; }
build=$1; out=$2; n=${3:-10000}
cd "$(dirname "$0")/../.."
set_dir=../shared/corpus/rules/et-open-suricata-5.0-2024-04-19
[ -d "$set_dir" ] || { echo "et-select.sh: no $set_dir" >&2; exit 1; }
all=$out.all
grep -hE '^(alert|drop|reject|pass) http[^ ]* ' "$set_dir"/*.rules > "$all"
"$build/spuc" --import suricata "$all" -o "$all.spr" 2> "$all.err" || true
sed -n 's/^[^:]*:\([0-9]*\): sid [0-9]*: .*(skipped)$/\1/p' "$all.err" | sort -n > "$all.skip"
awk 'NR == FNR { skip[$1] = 1; next } !(FNR in skip)' "$all.skip" "$all" | head -n "$n" > "$out"
last=$(awk 'NR == FNR { skip[$1] = 1; next } !(FNR in skip) { if (++k == '"$n"') { print FNR; exit } }' \
    "$all.skip" "$all")
before=$(awk -v l="${last:-0}" '$1 < l' "$all.skip" | wc -l)
rm -f "$all" "$all.spr" "$all.err" "$all.skip"
echo "selected=$(grep -c . "$out") skipped_before=$before"

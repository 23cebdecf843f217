#!/bin/sh
# Seeds for fuzz-frontend: every golden case of the compiler tests, the
# shipped grammars and rules when they exist, and grammar+rules pairs
# joined by a "%%" line (the target compiles them together).
# usage: tests/fuzz/seed-fuzz-frontend.sh BUILD DIR
dir="$2"
[ -n "$dir" ] || { echo "usage: $0 BUILD DIR" >&2; exit 2; }
mkdir -p "$dir"
for f in tests/compiler/cases/*.spg tests/compiler/cases/*.spr grammars/*.spg rules/*.spr; do
    [ -f "$f" ] && cp "$f" "$dir/seed-$(echo "$f" | tr '/' '_')"
done
cases=tests/compiler/cases
for pair in "sym-demo.spg sym-demo-rule.spr" "sym-demo.spg ast-rules.spr" \
            "sym-demo.spg err-rules.spr" "lang-http.spg lang-rules.spr" \
            "lang-smtp.spg err-types.spr" "dump-web.spg dump-rules.spr"; do
    set -- $pair
    [ -f "$cases/$1" ] && [ -f "$cases/$2" ] || continue
    { cat "$cases/$1"; printf '%%%%\n'; cat "$cases/$2"; } > "$dir/seed-pair-${1%.*}-${2%.*}"
done
exit 0

#!/bin/sh
# spuc --import on the real public rule files of ../shared/corpus/rules
# (read from there, never copied): for each set, how many active rules are
# translated and how many skipped, per reason; the counts must not drop
# below tests/e2e/expected-import-counts, and the http*/smtp rules of the
# ET Open Suricata 5.0 set must translate at 90% or more. When the HTTP
# grammar is in the tree (grammars/http.spg) every translation is also
# compiled into a bundle; packet-only sets are compiled in any case.
SPUC="$(dirname "$SPURUN")/spuc"
R="$CORPUS/rules"
EXP="$E2E/expected-import-counts"
TMPI="$TMPC"
mkdir -p "$TMPI"
[ -d "$R" ] || { echo "skip import: no $R"; exit 0; }
ET5="$R/et-open-suricata-5.0-2024-04-19"
# active rules whose protocol is http* or smtp (issue 9: 14,632 rules)
grep -hE '^(alert|drop|reject|pass) (http[^ ]*|smtp) ' "$ET5"/*.rules > "$TMPI/et5-http-smtp.rules"

# run NAME DIALECT FILES...: import, check the count, compile when possible
run() {
    name=$1; dialect=$2; shift 2
    out="$TMPI/$name"
    mkdir -p "$out"
    if ! "$SPUC" --import "$dialect" "$@" -o "$out/rules.spr" 2>"$out/err"; then
        echo "FAIL import $name: spuc --import exited with an error"; sed -n '$p' "$out/err"; return
    fi
    line=$(grep '^rules:' "$out/err")
    seen=$(echo "$line" | sed -n 's/^rules: \([0-9]*\),.*/\1/p')
    done_=$(echo "$line" | sed -n 's/.*translated: \([0-9]*\),.*/\1/p')
    want=$(sed -n "s/^$name //p" "$EXP")
    pct=$(( seen ? done_ * 1000 / seen : 0 ))
    pct="$((pct / 10)).$((pct % 10))%"
    if [ -n "$want" ] && [ "$done_" -ge "$want" ]; then
        echo "ok import $name ($dialect): $done_ of $seen rules translated ($pct), expected at least $want"
        [ "$done_" -gt "$want" ] && echo "    more than recorded: update $name in tests/e2e/expected-import-counts to $done_"
    else
        echo "FAIL import $name ($dialect): $done_ of $seen rules translated, expected at least ${want:-?}"
    fi
    # skipped per reason (the summary's indented lines), the first ten
    sed -n 's/^ \{2,\}\([0-9]\)/      \1/p' "$out/err" | head -10
    if grep -q '^import http;' "$out/rules.spr" && [ ! -f "$ROOT/grammars/http.spg" ]; then
        echo "skip import $name: compile (grammars/http.spg is not in this tree yet)"
        return
    fi
    if "$SPUC" -I "$ROOT/grammars" -o "$out/rules.spb" "$out/rules.spr" 2>"$out/cerr"; then
        echo "ok import $name: the translation compiles ($(wc -c < "$out/rules.spb") bytes)"
    else
        echo "FAIL import $name: the translation does not compile"; head -5 "$out/cerr"
    fi
}

run et5-http-smtp suricata "$TMPI/et5-http-smtp.rules"
seen=$(grep -c . "$TMPI/et5-http-smtp.rules")
done_=$(sed -n 's/.*translated: \([0-9]*\),.*/\1/p' "$TMPI/et5-http-smtp/err")
[ $((done_ * 10)) -ge $((seen * 9)) ] \
    && echo "ok import et5-http-smtp: at least 90% of the $seen http*/smtp rules translate" \
    || echo "FAIL import et5-http-smtp: $done_ of $seen is under 90%"
run et5-all suricata "$ET5"/*.rules
run et-snort2 snort2 "$R"/et-open-snort-2.9.0-2021-03-04/*.rules
run snort2-community snort2 "$R"/snort2-community/*.rules
run et7-partial suricata "$R"/et-open-suricata-7.0.3-2025-12-11-partial/*.rules

# a rule skipped is reported with its file, line, sid, keyword and reason
printf '%s\n' 'alert tcp any any -> any any (msg:"x"; content:"a"; byte_test:1,>,2,0; sid:7;)' \
    > "$TMPI/one.rules"
"$SPUC" --import suricata "$TMPI/one.rules" -o "$TMPI/one.spr" 2>"$TMPI/one.err"
grep -q 'one.rules:1: sid 7: byte_test: keyword not supported (skipped)' "$TMPI/one.err" \
    && echo "ok import: a skipped rule is reported by file, line, sid, keyword and reason" \
    || { echo "FAIL import: skip diagnostic"; cat "$TMPI/one.err"; }

#!/bin/sh
# seed-fuzz-import.sh BUILD DIR - seeds for fuzz-import: single rules and
# small groups of rules from the public rule files of ../shared/corpus/rules
# (read from there when the fuzzer starts; nothing is copied into the repo).
build=$1; dir=$2
R=../shared/corpus/rules
[ -d "$R" ] || exit 0
n=0
for f in "$R"/et-open-suricata-5.0-2024-04-19/emerging-web_client.rules \
         "$R"/et-open-suricata-5.0-2024-04-19/emerging-scan.rules \
         "$R"/et-open-snort-2.9.0-2021-03-04/emerging-exploit.rules \
         "$R"/snort3-community/snort3-community.rules; do
    [ -f "$f" ] || continue
    grep -E '^(alert|drop) ' "$f" | head -n 60 | while IFS= read -r line; do
        n=$((n + 1))
        printf '%s\n' "$line" > "$dir/seed-$(basename "$f" .rules)-$n"
    done
done

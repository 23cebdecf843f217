#!/bin/sh
# Every alert the shipped rules (rules/*.spr with grammars/*.spg) raise on
# the whole corpus, one line per alert: test, sid, signature, src -> dest,
# and the request line / mail that raised it. Usage:
#   tests/tools/rules-corpus.sh BUILD [CORPUS]   (CORPUS: ../shared/corpus/suricata-verify)
set -eu
BUILD=${1:?usage: rules-corpus.sh BUILD [CORPUS]}
CORPUS=${2:-../shared/corpus/suricata-verify}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT INT TERM
"$BUILD/spuc" -n shipped -o "$OUT/shipped.spb" grammars/*.spg rules/*.spr
find "$CORPUS" -name '*.pcap' -o -name '*.pcapng' | sort | while read -r p; do
    t=$(basename "$(dirname "$p")")
    "$BUILD/spurun" -b "$OUT/shipped.spb" -r "$p" --classification rules/classification.config \
        -o "$OUT/eve.json" --no-progress 2>/dev/null || true
    [ -s "$OUT/eve.json" ] || continue
    /usr/bin/python3 - "$t" "$OUT/eve.json" <<'PY'
import json, sys
t = sys.argv[1]
for l in open(sys.argv[2]):
    try:
        e = json.loads(l)
    except ValueError:
        continue
    if e.get("event_type") != "alert":
        continue
    a = e["alert"]
    h = e.get("http") or {}
    s = e.get("smtp") or {}
    what = ""
    if h:
        what = "%s %s%s ua=%r" % (h.get("http_method"), h.get("hostname", ""), h.get("url"),
                                  h.get("http_user_agent"))
    elif s:
        what = "mail_from=%s rcpt=%d from=%s" % (s.get("mail_from"), len(s.get("rcpt_to", [])),
                                                 (e.get("email") or {}).get("from"))
    print("%s\t%d\t%s\t%s:%s -> %s:%s\ttx %s\t%s" % (
        t, a["signature_id"], a["signature"], e.get("src_ip"), e.get("src_port"),
        e.get("dest_ip"), e.get("dest_port"), e.get("tx_id"), what))
PY
    rm -f "$OUT/eve.json"
done

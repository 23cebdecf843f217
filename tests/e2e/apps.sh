#!/bin/sh
# Several applications on one parse: two bundles built with the same
# grammar (grammars/http.spg), each with its own rule on http.request, run
# side by side: every request parsed once alerts once in each application,
# with spu.bundle naming it, as many as the http records.
. "$E2E/lib.inc"
SPUC="$(dirname "$SPURUN")/spuc"
for n in 1 2; do
    printf 'import http;\nrule sid 930%s rev 1 "web%s: a request" on http.request { Alert(); }\n' \
        "$n" "$n" > "$TMPC/h$n.spr"
    "$SPUC" -o "$TMPC/h$n.spb" "$ROOT/grammars/http.spg" "$TMPC/h$n.spr" ||
        { echo "FAIL apps: spuc h$n.spr"; exit 1; }
done
pcap="$CORPUS/suricata-verify/http-protocol-nodup/input.pcap" # 40 requests
"$SPURUN" -r "$pcap" -b web1="$TMPC/h1.spb" -b web2="$TMPC/h2.spb" -o "$TMPC/eve.json" \
    --no-progress 2> "$TMPC/err" || { echo "FAIL apps: spurun"; cat "$TMPC/err"; exit 1; }
res=$("$PY" - "$TMPC/eve.json" <<'P'
import collections, json, sys
c = collections.Counter()
for line in open(sys.argv[1]):
    e = json.loads(line)
    t = e.get("event_type")
    if t == "http":
        c["http"] += 1
    elif t == "alert":
        c["%s:%d" % (e["spu"]["bundle"]["name"], e["alert"]["signature_id"])] += 1
print(c["http"], c["web1:9301"], c["web2:9302"], sum(c.values()) - c["http"] - c["web1:9301"] - c["web2:9302"])
P
)
set -- $res
if [ "$1" -gt 0 ] && [ "$2" = "$1" ] && [ "$3" = "$1" ] && [ "$4" = 0 ]; then
    echo "ok apps: one parse, two applications: $1 requests, each alerted once by web1 and once by web2"
else
    echo "FAIL apps: http records $1, web1 alerts $2, web2 alerts $3, others $4"
fi

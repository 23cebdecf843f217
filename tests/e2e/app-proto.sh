#!/bin/sh
# Rules read the application protocol of their flow: `flow.app_proto` in a
# rule on a grammar event and `app_proto` of a flow.end record are "http"
# for every HTTP flow of the demo capture (one alert per request and one
# per HTTP flow, as many as the http records and the flow records with
# app_proto http of the same run), and null on flows no grammar took.
. "$E2E/lib.inc"
SPUC="$(dirname "$SPURUN")/spuc"
cat > "$TMPC/ap.spr" <<'RULES'
import http;
rule sid 9000001 rev 1 "request on an http flow" on http.request {
    if (flow.app_proto == "http") { Alert(); }
}
rule sid 9000002 rev 1 "an http flow ended" on flow.end {
    if (app_proto == "http") { Alert(); }
}
RULES
if ! "$SPUC" -n ap -o "$TMPC/ap.spb" "$ROOT/grammars/http.spg" "$ROOT/grammars/html.spg" \
        "$TMPC/ap.spr" > "$TMPC/spuc.err" 2>&1; then
    echo "FAIL app-proto: spuc"; cat "$TMPC/spuc.err"; exit 0
fi
"$SPURUN" -b "$TMPC/ap.spb" -r "$ROOT/examples/demo.pcap" -o "$TMPC/eve.json" --no-progress \
    2>"$TMPC/run.err" || { echo "FAIL app-proto: spurun"; cat "$TMPC/run.err"; exit 0; }
res=$("$PY" -c '
import json, sys
req = fl = a1 = a2 = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    t = e["event_type"]
    if t == "http":
        req += 1
    elif t == "flow" and e.get("app_proto") == "http":
        fl += 1
    elif t == "alert":
        sid = e["alert"]["signature_id"]
        a1 += sid == 9000001
        a2 += sid == 9000002
print(req, a1, fl, a2)
' "$TMPC/eve.json")
set -- $res
if [ "$1" -gt 0 ] && [ "$1" = "$2" ] && [ "$3" -gt 0 ] && [ "$3" = "$4" ]; then
    echo "ok app-proto: $2 alerts on $1 http requests, $4 on $3 http flows ending"
else
    echo "FAIL app-proto: http records $1, request alerts $2, http flows $3, flow.end alerts $4"
fi

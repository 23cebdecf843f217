#!/bin/sh
# DNS over TCP pairs answers with queries by id (grammars/dnstcp.spg parses
# each message with dns.msg, whose `transaction by id` keys the dnstcp
# message around it): three queries in flight on one connection answered
# out of order (dnstcp-gen.py). A rule alerting on every dns.query and
# dns.answer shows each answer in the transaction of the query of its id,
# and an answer no query waited for in one of its own.
. "$E2E/lib.inc"
SPUC="$(dirname "$SPURUN")/spuc"
"$PY" "$E2E/dnstcp-gen.py" "$TMPC/dnstcp.pcap"
cat >"$TMPC/pair.spr" <<'EOR'
import dns;
rule sid 1 rev 1 "dns query" on dns.query { Alert(); }
rule sid 2 rev 1 "dns answer" on dns.answer { Alert(); }
EOR
"$SPUC" -o "$TMPC/b.spb" "$ROOT/grammars/dns.spg" "$ROOT/grammars/dnstcp.spg" \
    "$TMPC/pair.spr" || { echo "FAIL dnstcp-pairing: spuc"; exit 0; }
"$SPURUN" -r "$TMPC/dnstcp.pcap" -b "$TMPC/b.spb" -o "$TMPC/eve.json" -w 1 --no-progress \
    >"$TMPC/spurun.log" 2>&1 || { echo "FAIL dnstcp-pairing: spurun"; cat "$TMPC/spurun.log"; }
"$PY" - "$TMPC/eve.json" <<'EOP'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
al = [e for e in ev if e.get("event_type") == "alert"]
q = {e["dns"]["id"]: e["tx_id"] for e in al if e["alert"]["signature_id"] == 1}
a = [(e["dns"]["id"], e["tx_id"], e["dns"].get("rrname")) for e in al
     if e["alert"]["signature_id"] == 2]
fails = []
if sorted(q) != [0x1001, 0x1002, 0x1003] or len(set(q.values())) != 3:
    fails.append("queries %r" % q)
if [x[0] for x in a] != [0x1003, 0x1001, 0x1002, 0x7777]:
    fails.append("answers %r" % a)
for i, tx, rr in a:
    if i in q and tx != q[i]:
        fails.append("answer id %#x (%s) in tx %d, its query in tx %d" % (i, rr, tx, q[i]))
    if i == 0x7777 and tx in q.values():
        fails.append("the unsolicited answer in a query's tx %d" % tx)
apps = {e.get("app_proto") for e in ev if e.get("event_type") == "flow"}
if "dnstcp" not in apps:
    fails.append("flow app_proto %r" % apps)
for f in fails:
    print("FAIL dnstcp-pairing:", f)
if not fails:
    print("ok dnstcp-pairing: 3 queries in flight answered out of order, each answer in its "
          "query's transaction (tx %s), the unsolicited one alone" % sorted(q.values()))
EOP

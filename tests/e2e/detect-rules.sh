#!/bin/sh
# The rule engine on packet-layer events: every rule of rules/runtime.spr
# fires on its positive capture (made by detect-gen.py) and stays silent on
# normal traffic; alerts are the same with 1, 2 and 3 workers (sorted, `spu`
# removed; the cross-flow SYN-count rule is checked by its count instead);
# division by zero and the step budget stop rules with counted faults.
. "$E2E/lib.inc"
SPUC="$(dirname "$SPURUN")/spuc"
CLS="$ROOT/rules/classification.config"
"$SPUC" -n runtime -o "$TMPC/rt.spb" "$ROOT/rules/runtime.spr" || echo "FAIL detect-rules: spuc"
"$PY" "$E2E/detect-gen.py" scan "$TMPC/scan.pcap"
"$PY" "$E2E/detect-gen.py" normal "$TMPC/normal.pcap"
# alerts FILE [SID]: canonical alert lines without spu (of one sid), sorted
alerts() {
    "$PY" -c '
import json, sys
sid = int(sys.argv[2]) if len(sys.argv) > 2 else None
out = []
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event_type") != "alert":
        continue
    e.pop("spu", None)
    if sid is None or e["alert"]["signature_id"] == sid:
        out.append(json.dumps(e, sort_keys=True))
print("\n".join(sorted(out)))
' "$@"
}
count() { alerts "$1" "$2" | grep -c .; }
for w in 1 2 3; do
    "$SPURUN" -b "$TMPC/rt.spb" -r "$TMPC/scan.pcap" -w $w --classification "$CLS" \
        -o "$TMPC/scan-$w.json" --no-progress 2>/dev/null || echo "FAIL detect-rules: spurun -w $w"
done
for spec in 2100001:1 2100002:1 2100003:1 2100004:31; do
    sid=${spec%:*}; want=${spec#*:}
    got=$(for w in 1 2 3; do count "$TMPC/scan-$w.json" $sid; done | tr '\n' ' ')
    [ "$got" = "$want $want $want " ] \
        && echo "ok detect-rules: sid $sid fires $want time(s) on its capture with 1, 2 and 3 workers" \
        || echo "FAIL detect-rules: sid $sid fired $got times with -w 1 2 3, want $want"
done
cat=$("$PY" -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("alert", {}).get("signature_id") == 2100003:
        print(e["alert"]["category"], e["alert"]["severity"], e["dest_port"])
' "$TMPC/scan-1.json")
[ "$cat" = "Breach of the site policy 1 23" ] && echo "ok detect-rules: category and severity from classification.config" \
    || echo "FAIL detect-rules: category/severity/port '$cat'"
# flow-local alerts are identical whatever the worker count
for w in 1 2 3; do
    alerts "$TMPC/scan-$w.json" | grep -v '"signature_id": 2100001' > "$TMPC/scan-$w.alerts"
done
n=$(wc -l < "$TMPC/scan-1.alerts")
if [ "$n" -gt 30 ] && cmp -s "$TMPC/scan-1.alerts" "$TMPC/scan-2.alerts" &&
   cmp -s "$TMPC/scan-1.alerts" "$TMPC/scan-3.alerts"; then
    echo "ok detect-rules: $n flow-local alerts identical with 1, 2 and 3 workers"
else
    echo "FAIL detect-rules: alerts differ between worker counts ($n with 1)"
fi
# the spu object names the bundle, its hash and the worker
"$PY" -c '
import json, sys
ws = set()
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("event_type") == "alert":
        s = e["spu"]
        assert s["bundle"]["name"] == "rt" and len(s["bundle"]["sha256"]) == 64, s
        ws.add(s["worker"])
assert ws == {0, 1, 2}, ws
' "$TMPC/scan-3.json" && echo "ok detect-rules: spu.bundle and spu.worker on every alert (3 workers seen)" \
    || echo "FAIL detect-rules: spu object of alerts"
# negative: normal connections raise nothing
"$SPURUN" -b "$TMPC/rt.spb" -r "$TMPC/normal.pcap" -o "$TMPC/normal.json" --no-progress 2>/dev/null
n=$(count "$TMPC/normal.json")
fl=$(grep -c '"event_type":"flow"' "$TMPC/normal.json")
[ "$n" = 0 ] && [ "$fl" = 8 ] && echo "ok detect-rules: no alert on 8 normal connections" \
    || echo "FAIL detect-rules: $n alerts, $fl flows on normal traffic"
# faults: division by zero and the step budget stop the rule, counted
cat > "$TMPC/bad.spr" <<'R'
rule sid 1 "divides by zero" on packet { int z = len - len; if (len / z > 0) Alert(); }
rule sid 2 "spends its budget" on packet {
    int n = 0;
    for (p in split("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p", ",")) { n += 1; }
    if (n > 100) Alert();
}
rule sid 3 "still runs" on packet { if (proto == 6) Alert(); }
R
"$SPUC" -o "$TMPC/bad.spb" "$TMPC/bad.spr" || echo "FAIL detect-rules: spuc bad.spr"
"$SPURUN" -b "$TMPC/bad.spb" -r "$TMPC/normal.pcap" -w 2 --rule-budget 20 --top-rules 3 \
    -o "$TMPC/bad.json" --no-progress 2> "$TMPC/bad.err"
rc=$?
dz=$(stat "$TMPC/bad.json" spu.detect.fault_kinds.div_zero)
bu=$(stat "$TMPC/bad.json" spu.detect.fault_kinds.budget)
ok=$(count "$TMPC/bad.json" 3)
if [ $rc = 0 ] && [ "$dz" = 64 ] && [ "$bu" = 64 ] && [ "$ok" = 64 ]; then
    echo "ok detect-rules: 64 divisions by zero and 64 budget overruns counted, the next rule ran 64 times"
else
    echo "FAIL detect-rules: rc=$rc div_zero=$dz budget=$bu alerts of sid 3=$ok"
fi
grep -q '^rule bad 1:3:1 evaluations=64 ' "$TMPC/bad.err" && grep -c '^rule bad' "$TMPC/bad.err" | grep -qx 3 \
    && echo "ok detect-rules: --top-rules prints the 3 rules with their counters" \
    || { echo "FAIL detect-rules: --top-rules summary"; cat "$TMPC/bad.err"; }
# the SYN-count session accumulates across workers: with -w 2 the scan's
# connections are split between both workers and the rule fired once
"$PY" -c '
import json, sys
ws = set()
syn = 0
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("event_type") == "flow" and e["src_ip"] == "192.0.2.66":
        ws.add(e["spu"]["worker"])
    if e.get("event_type") == "stats":
        s = e["spu"]["detect"]["sessions"]["syn_source"]
        syn = (s["created"], s["entries"])
assert ws == {0, 1}, ws
assert syn == (3, 3), syn
' "$TMPC/scan-2.json" && echo "ok detect-rules: SYN counts of one source shared by 2 workers (one session entry per source)" \
    || echo "FAIL detect-rules: session across workers"
# alert records (and everything else written) validate against Suricata's
# EVE schema once `spu` is removed
if "$ROOT/tests/tools/eve-validate" "$TMPC/scan-1.json" "$TMPC/bad.json" > "$TMPC/validate.out"; then
    echo "ok detect-rules: EVE records valid against the schema ($(tail -n 1 "$TMPC/validate.out"))"
else
    echo "FAIL detect-rules: EVE records invalid"; head -5 "$TMPC/validate.out"
fi

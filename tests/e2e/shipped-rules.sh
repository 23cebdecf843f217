#!/bin/sh
# The shipped rules on HTTP and mail (rules/web.spr, rules/mail.spr): every
# rule fires on its positive captures and nothing else does; the benign
# captures raise no alert. Captures are written by rules-gen.py.
. "$E2E/lib.inc"
SPUC="$(dirname "$SPURUN")/spuc"
CLS="$ROOT/rules/classification.config"
"$SPUC" -n shipped -o "$TMPC/shipped.spb" "$ROOT"/grammars/*.spg "$ROOT/rules/web.spr" \
    "$ROOT/rules/mail.spr" || echo "FAIL shipped-rules: spuc"
"$PY" "$E2E/rules-gen.py" "$TMPC/cap" || echo "FAIL shipped-rules: rules-gen.py"
while read -r name want; do
    "$SPURUN" -b "$TMPC/shipped.spb" -r "$TMPC/cap/$name.pcap" --classification "$CLS" \
        -o "$TMPC/$name.json" --no-progress 2>/dev/null || echo "FAIL shipped-rules: spurun $name"
    got=$("$PY" -c '
import json, sys
s = set()
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("event_type") == "alert":
        s.add(e["alert"]["signature_id"])
print(",".join(str(x) for x in sorted(s)) or "-")
' "$TMPC/$name.json")
    if [ "$got" = "$want" ]; then
        [ "$want" = - ] && echo "ok shipped-rules: $name raises no alert" \
            || echo "ok shipped-rules: $name raises sid $want only"
    else
        echo "FAIL shipped-rules: $name raised '$got', want '$want'"
    fi
done < "$TMPC/cap/expect.txt"
# every rule of the two files has at least one positive capture
sids=$(grep -ho 'rule sid [0-9]*' "$ROOT/rules/web.spr" "$ROOT/rules/mail.spr" | awk '{print $3}' | sort -u)
for s in $sids; do
    grep -q "[ ,]$s\(,\|\$\)" "$TMPC/cap/expect.txt" || echo "FAIL shipped-rules: sid $s has no positive capture"
done
echo "ok shipped-rules: $(echo "$sids" | wc -w) rules checked"
# alerts carry the protocol objects of their transaction and its tx_id
"$PY" -c '
import json, sys
d = sys.argv[1]
def alert(name):
    for l in open("%s/%s.json" % (d, name)):
        e = json.loads(l)
        if e.get("event_type") == "alert":
            return e
a = alert("sqli-form")
assert a["tx_id"] == 0 and a["app_proto"] == "http", a
assert a["http"]["http_method"] == "POST" and a["http"]["url"] == "/login", a
a = alert("from-mismatch")
assert a["smtp"]["mail_from"] == "<bounce@spammer.example>", a
assert a["email"]["from"] == "PayPal <service@paypal.com>", a
# spu.tx (the tx_id of the smtp records, as Suricata numbers it) is not the
# tx_id of the alert (the grammar VM one, which counts every command and reply)
assert "tx_id" in a and "spu" not in a["smtp"] and a["spu"]["tx"] == 0, a
assert a["tx_id"] != a["spu"]["tx"], a
a = alert("attach-exe")
assert a["fileinfo"]["filename"] == "invoice.pdf.exe" and a["app_proto"] == "smtp", a
assert a["smtp"]["rcpt_to"] == ["<alice@corp.example>"], a
a = alert("many-rcpt-rset")
assert len(a["smtp"]["rcpt_to"]) == 25 and "email" not in a, a
' "$TMPC" && echo "ok shipped-rules: alerts carry http / smtp / email / fileinfo objects and tx_id" \
    || echo "FAIL shipped-rules: protocol objects of alerts"
# flow-local alerts (all but the session rule 2101008) are the same with 1, 2
# and 3 workers, sorted by (flow, tx_id, gid, sid), spu removed; the demo
# capture plus the corpus's Nmap and Nikto captures
"$SPUC" -n all -o "$TMPC/all.spb" "$ROOT"/grammars/*.spg "$ROOT"/rules/*.spr
for w in 1 2 3; do
    i=0
    : > "$TMPC/w$w.json"
    for p in "$ROOT/examples/demo.pcap" "$CORPUS/suricata-verify/http-protocol-nodup/input.pcap" \
             "$CORPUS/suricata-verify/bug-814/input.pcap"; do
        i=$((i + 1))
        rm -f "$TMPC/w$w-$i.json"
        "$SPURUN" -b "$TMPC/all.spb" -r "$p" -w $w -o "$TMPC/w$w-$i.json" --no-progress 2>/dev/null
        cat "$TMPC/w$w-$i.json" >> "$TMPC/w$w.json"
    done
    "$PY" -c '
import json, sys
out = []
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("event_type") == "alert" and e["alert"]["signature_id"] != 2101008:
        e.pop("spu", None)
        out.append(((e["flow_id"], e.get("tx_id", -1), e["alert"]["gid"], e["alert"]["signature_id"]),
                    json.dumps(e, sort_keys=True)))
for _, line in sorted(out):
    print(line)
' "$TMPC/w$w.json" > "$TMPC/w$w.alerts"
done
n=$(wc -l < "$TMPC/w1.alerts")
if [ "$n" -ge 45 ] && cmp -s "$TMPC/w1.alerts" "$TMPC/w2.alerts" && cmp -s "$TMPC/w1.alerts" "$TMPC/w3.alerts"; then
    echo "ok shipped-rules: $n flow-local alerts identical with 1, 2 and 3 workers"
else
    echo "FAIL shipped-rules: alerts differ between worker counts ($n with 1)"
fi
# the alerts' transaction objects under valgrind (mail.spr: no regexes, whose
# PCRE2 JIT code valgrind cannot follow)
if [ "$SAN" = 1 ] || ! command -v valgrind >/dev/null; then
    echo "skip shipped-rules valgrind: sanitizer build or no valgrind"
    exit 0
fi
"$SPUC" -o "$TMPC/mail.spb" "$ROOT"/grammars/*.spg "$ROOT/rules/mail.spr"
for name in attach-exe from-mismatch many-rcpt-rset; do
    valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite,indirect \
        "$SPURUN" -b "$TMPC/mail.spb" -r "$TMPC/cap/$name.pcap" -w 2 -o "$TMPC/vg-$name.json" \
        --no-progress > "$TMPC/vg.out" 2>&1
    rc=$?
    n=$(grep -c '"event_type":"alert"' "$TMPC/vg-$name.json")
    [ $rc -eq 0 ] && [ "$n" = 1 ] && echo "ok shipped-rules valgrind: $name, its alert and objects, no error or leak" \
        || { echo "FAIL shipped-rules valgrind: $name exit $rc, $n alerts"; grep -E '==[0-9]+==' "$TMPC/vg.out" | head -10; }
done

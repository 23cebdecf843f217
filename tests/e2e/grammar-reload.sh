#!/bin/sh
# Grammars reloaded while a capture plays (issue 6): application `web` runs
# a bundle built from grammars/http.spg whose http record is marked
# spu.grammar "v1"; in the 5 s of silence in the middle of a paced replay
# (one keep-alive connection with 40 transactions 100 ms apart, and a new
# connection every 100 ms, 20 of each before the silence) it is reloaded with the same grammar marked "v2". New connections parse
# with v2 from then on; the keep-alive connection moves to v2 at a message
# boundary (its transactions: v1 then v2, none lost or repeated, tx ids
# going on), every request alerts exactly once, and spu.app.flows_moved
# counts the move. The same run under valgrind (plain build; the ASan
# build runs it under the sanitizer): no memory error and no leak, the
# first grammar set freed with the last flow that used it.
. "$E2E/lib.inc"
SPUC="$(dirname "$SPURUN")/spuc"
SPUCTL="$(dirname "$SPURUN")/spuctl"
"$PY" "$E2E/ops-gen.py" keepalive "$TMPC/ka.pcap" 40 2
printf 'import http;\nrule sid 9401 rev 1 "a request" on http.request { Alert(); }\n' > "$TMPC/r.spr"
for v in v1 v2; do
    sed "s|\"/spu.http_host\" = request.host;|&\n        \"/spu.grammar\" = \"$v\";|" \
        "$ROOT/grammars/http.spg" > "$TMPC/http-$v.spg"
    grep -q "\"$v\"" "$TMPC/http-$v.spg" || { echo "FAIL grammar-reload: marking $v"; exit 1; }
    "$SPUC" -I "$ROOT/grammars" -o "$TMPC/$v.spb" "$TMPC/http-$v.spg" "$TMPC/r.spr" ||
        { echo "FAIL grammar-reload: spuc $v"; exit 1; }
done
# run PREFIX...: the replay with a reload to v2 in its silence, once the 40
# transactions before it are logged; EVE in $TMPC/$tag.json
run() {
    tag=$1; shift
    rm -f "$TMPC/$tag.sock"
    "$@" "$SPURUN" -r "$TMPC/ka.pcap" --realtime -b web="$TMPC/v1.spb" -o "$TMPC/$tag.json" \
        --control "$TMPC/$tag.sock" --no-progress > "$TMPC/$tag.err" 2>&1 &
    pid=$!
    i=0; while [ ! -S "$TMPC/$tag.sock" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
    wait_records "$TMPC/$tag.json" http 40
    "$SPUCTL" --control "$TMPC/$tag.sock" --json reload web "$TMPC/v2.spb" > "$TMPC/$tag.reload"
    rrc=$?
    wait $pid
    prc=$?
}
check() {
    "$PY" - "$TMPC/$1.json" <<'PYEOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
http = [r for r in recs if r["event_type"] == "http"]
ka = [(r["tx_id"], r.get("spu", {}).get("grammar")) for r in http if r["src_port"] == 45000]
assert sorted(t for t, _ in ka) == list(range(40)), ka
ka.sort()
marks = [g for _, g in ka]
k = marks.index("v2")
assert k == 20 and marks == ["v1"] * k + ["v2"] * (40 - k), marks
new = [(int(r["http"]["url"].split("/")[2]), r.get("spu", {}).get("grammar"))
       for r in http if r["src_port"] != 45000]
assert sorted(i for i, _ in new) == list(range(40)), new
new.sort()
nm = [g for _, g in new]
j = nm.index("v2")
assert j == 20 and nm == ["v1"] * j + ["v2"] * (40 - j), nm
alerts = [r for r in recs if r["event_type"] == "alert"]
assert len(alerts) == 80, len(alerts)
last = [r for r in recs if r["event_type"] == "stats"][-1]
app = last["spu"]["app"]
assert app["flows_moved"] == 1 and app["tx"] == 80, app
assert last["spu"]["reloads"]["ok"] == 1, last["spu"]["reloads"]
print("keep-alive moved to v2 at transaction %d of 40; new connections on v2 from the %dth; 80 alerts" % (k, j))
PYEOF
}
run plain
r=$(check plain 2>&1) && [ $rrc = 0 ] && [ $prc = 0 ] \
    && echo "ok grammar-reload: $r" \
    || { echo "FAIL grammar-reload: reload rc=$rrc spurun rc=$prc: $(echo "$r" | tail -1)"; cat "$TMPC/plain.reload" "$TMPC/plain.err" | head; }
if [ "$SAN" = 1 ]; then
    echo "skip grammar-reload: valgrind (the ASan build checked the run above)"
elif ! command -v valgrind >/dev/null; then
    echo "FAIL grammar-reload: valgrind not installed (mk/deps.sh)"
else
    run vg valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite,indirect
    r=$(check vg 2>&1) && [ $rrc = 0 ] && [ $prc = 0 ] \
        && echo "ok grammar-reload: under valgrind, no memory error, no leak: $r" \
        || { echo "FAIL grammar-reload: valgrind reload rc=$rrc exit $prc: $(echo "$r" | tail -1)"; grep -E '==[0-9]+==' "$TMPC/vg.err" | head -20; }
fi

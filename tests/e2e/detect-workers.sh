#!/bin/sh
# Rules whose state stays within a flow (flow variables, packet, flow.start
# and flow.end events) give the same alerts and logs on corpus captures with
# 1, 2 and 3 workers (sorted, `spu` removed); the same run under valgrind
# has no memory error and no leak.
. "$E2E/lib.inc"
SPUC="$(dirname "$SPURUN")/spuc"
cat > "$TMPC/flow.spr" <<'R'
flow { int toserver; int payload; string first_payload_port; }
rule sid 3000001 "third packet to the server" classtype misc-activity on packet {
    if (flow.src_ip == src_ip) {
        flow.toserver += 1;
        if (flow.toserver == 3) Alert();
    }
    if (payload_len != null && payload_len > 0) {
        flow.payload += payload_len;
        if (flow.first_payload_port == null) flow.first_payload_port = "p" + str(dst_port);
    }
}
rule sid 3000002 "flow with more than 1000 payload bytes ended" on flow.end {
    if (flow.payload > 1000) { Log(flow.payload, flow.first_payload_port, reason, state); Alert(); }
}
rule sid 3000003 "new flow to a high port" on flow.start {
    if (dst_port >= 1024 && proto == 6) Alert(severity: 3);
}
R
"$SPUC" -n flow -o "$TMPC/flow.spb" "$TMPC/flow.spr" || echo "FAIL detect-workers: spuc"
records() {
    "$PY" -c '
import json, sys
out = []
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event_type") in ("alert", "log"):
        e.pop("spu", None)
        out.append(json.dumps(e, sort_keys=True))
print("\n".join(sorted(out)))
' "$1"
}
for t in http-range-multiflows bug-4376 tcp-rst-unacked-stream-11 http-ipv6; do
    pcap="$CORPUS/suricata-verify/$t/input.pcap"
    [ -f "$pcap" ] || { echo "FAIL detect-workers $t: missing $pcap"; continue; }
    for w in 1 2 3; do
        "$SPURUN" -b "$TMPC/flow.spb" -r "$pcap" -w $w -o "$TMPC/$t-$w.json" --no-progress 2>/dev/null
        records "$TMPC/$t-$w.json" > "$TMPC/$t-$w.rec"
    done
    "$SPURUN" -b "$TMPC/flow.spb" -r "$pcap" -w 2 --split-read -o "$TMPC/$t-s2.json" \
        --no-progress 2>/dev/null
    records "$TMPC/$t-s2.json" > "$TMPC/$t-s2.rec"
    n=$(grep -c . "$TMPC/$t-1.rec")
    if [ "$n" -gt 0 ] && cmp -s "$TMPC/$t-1.rec" "$TMPC/$t-2.rec" &&
       cmp -s "$TMPC/$t-1.rec" "$TMPC/$t-3.rec" && cmp -s "$TMPC/$t-1.rec" "$TMPC/$t-s2.rec"; then
        echo "ok detect-workers $t: $n alert/log records identical with 1, 2 and 3 workers and with 2 reading the file (--split-read)"
    else
        echo "FAIL detect-workers $t: records differ between worker counts ($n with 1)"
        diff "$TMPC/$t-1.rec" "$TMPC/$t-2.rec" | head -5
    fi
done
if [ "$SAN" = 1 ] || ! command -v valgrind >/dev/null; then
    echo "skip detect-workers valgrind: sanitizer build or no valgrind"
    exit 0
fi
valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite,indirect \
    "$SPURUN" -b "$TMPC/flow.spb" -r "$CORPUS/suricata-verify/http-range-multiflows/input.pcap" \
    -w 2 --explain --top-rules 3 -o "$TMPC/vg.json" --no-progress > "$TMPC/vg.out" 2>&1
rc=$?
[ $rc -eq 0 ] && echo "ok detect-workers valgrind: rules, --explain and --top-rules without memory error or leak" \
    || { echo "FAIL detect-workers valgrind: exit $rc"; grep -E '==[0-9]+==' "$TMPC/vg.out" | head -20; }

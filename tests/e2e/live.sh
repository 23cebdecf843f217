#!/bin/sh
# Live capture: two network namespaces joined by a veth pair (offloads off),
# a corpus capture replayed with tcpreplay on one end, spurun -i on the
# other; every flow of the capture must be seen, with no drop. Skipped only
# when `ip netns add` itself fails (no privilege for namespaces).
. "$E2E/lib.inc"
A=spua$$; B=spub$$; VA=spuva$$; VB=spuvb$$
cleanup() {
    [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null
    ip netns del "$A" 2>/dev/null
    ip netns del "$B" 2>/dev/null
}
trap cleanup EXIT
[ -n "${KEEP:-}" ] && TMPC=$KEEP
command -v tcpreplay >/dev/null || { echo "FAIL live: tcpreplay is not installed (mk/deps.sh)"; exit 1; }
veth_netns live "$A" "$VA" "$B" "$VB"
# an Ethernet capture (tcpreplay sends frames as they are): 13 TCP and UDP flows
pcap="$CORPUS/suricata-verify/lua/lua-tlslib-01/input.pcap"
tuples() {
    "$PY" -c '
import json, sys
seen = set()
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event_type") == "flow":
        seen.add((e.get("src_ip"), e.get("src_port"), e.get("dest_ip"), e.get("dest_port"),
                  e.get("proto"), str(e.get("vlan")), e["flow"]["pkts_toserver"],
                  e["flow"]["pkts_toclient"]))
for t in sorted(seen, key=str):
    print(*t)
' "$1"
}
# third pass: a capture with 802.1Q-tagged frames (VLAN 3136 one way), whose
# tags the receiving kernel strips and reports beside the frame
vlanpcap="$CORPUS/suricata-verify/bug-4376/input.pcap"
for mode in ring fanout vlan; do
    opt=""
    [ $mode = fanout ] && opt="--fanout hash"
    [ $mode = vlan ] && pcap="$vlanpcap"
    rm -f "$TMPC/file.json"
    "$SPURUN" -r "$pcap" -w 2 -o "$TMPC/file.json" --no-progress 2>/dev/null
    tuples "$TMPC/file.json" > "$TMPC/file.flows"
    want=$(wc -l < "$TMPC/file.flows")
    rm -f "$TMPC/live.json"
    ip netns exec "$B" "$SPURUN" -i "$VB" -w 2 $opt -o "$TMPC/live.json" --no-progress \
        2> "$TMPC/live.err" &
    pid=$!
    sleep 2
    ip netns exec "$A" tcpreplay -q -i "$VA" --mbps 20 "$pcap" > "$TMPC/replay.out" 2>&1 ||
        { echo "FAIL live $mode: tcpreplay failed"; cat "$TMPC/replay.out"; }
    sleep 2
    kill -INT "$pid"
    wait "$pid"
    rc=$?
    pid=
    tuples "$TMPC/live.json" > "$TMPC/live.flows"
    missing=$(comm -23 "$TMPC/file.flows" "$TMPC/live.flows" | wc -l)
    drops=$(stat "$TMPC/live.json" stats.capture.kernel_drops)
    kpk=$(stat "$TMPC/live.json" stats.capture.kernel_packets)
    if [ $rc -eq 0 ] && [ "$want" -gt 0 ] && [ "$missing" -eq 0 ] && [ "$drops" = 0 ]; then
        echo "ok live $mode: all $want flows seen on $VB with the same packet counts (kernel packets $kpk, drops 0)"
    else
        echo "FAIL live $mode: rc=$rc, $missing of $want flows missing or different, kernel drops $drops"
        comm -23 "$TMPC/file.flows" "$TMPC/live.flows" | head -5
        cat "$TMPC/live.err"
    fi
done

#!/bin/sh
# --pcap-log alerts: every alert on a flow names DIR/<flow_id>.pcap, which
# tshark opens and which holds the alerting packet; N packets before and M
# after an alert, a later alert on the same flow appended without repeats;
# the memcap is kept and counted; off, no pcap and no pcap_log stats.
. "$E2E/lib.inc"
SPUC="$(dirname "$SPURUN")/spuc"
"$SPUC" -n runtime -o "$TMPC/rt.spb" "$ROOT/rules/runtime.spr" || echo "FAIL pcaplog: spuc"
cat > "$TMPC/t.spr" <<'SPR'
rule sid 9100001 rev 1 "TEST first SYN of the port-80 connection" on tcp.syn
{
    if (src_port == 50000)
        Alert();
}
rule sid 9100002 rev 1 "TEST end of the port-80 connection" on flow.end
{
    if (src_port == 50000)
        Alert();
}
SPR
"$SPUC" -n t -o "$TMPC/t.spb" "$TMPC/t.spr" || echo "FAIL pcaplog: spuc t.spr"
"$PY" "$E2E/ops-gen.py" slow "$TMPC/slow.pcap"
FIELDS="-e frame.time_epoch -e ip.src -e tcp.srcport -e tcp.dstport -e tcp.flags -e tcp.seq_raw"
mkdir -p "$TMPC/a"
"$SPURUN" -b "$TMPC/rt.spb" -r "$TMPC/slow.pcap" -w 2 -o "$TMPC/a/eve.json" --pcap-log alerts \
    --no-progress 2>/dev/null || echo "FAIL pcaplog: run"
# every alert: its pcap opens with tshark and holds the alerting packet (by
# pcap_cnt in the input) or, for flow.end alerts, all of the flow's packets
"$PY" - "$TMPC/a/eve.json" "$TMPC/slow.pcap" "$FIELDS" <<'PYEOF' && echo "ok pcaplog: every alert's pcap opens with tshark and holds the alerting packet" || echo "FAIL pcaplog: alert pcaps"
import json, subprocess, sys
eve, orig, fields = sys.argv[1], sys.argv[2], sys.argv[3].split()
def frames(path, filt=None):
    cmd = ["tshark", "-r", path, "-T", "fields"] + fields
    if filt:
        cmd += ["-Y", filt]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, (path, r.stderr)
    return [l for l in r.stdout.splitlines() if l]
recs = [json.loads(l) for l in open(eve)]
flows = {r["flow_id"]: r for r in recs if r["event_type"] == "flow"}
alerts = [r for r in recs if r["event_type"] == "alert"]
assert len(alerts) == 34, len(alerts)
allorig = frames(orig)
n = 0
for a in alerts:
    f = a["spu"]["pcap_file"]
    assert f.endswith("/%d.pcap" % a["flow_id"]), f
    got = frames(f)
    if "pcap_cnt" in a:
        want = allorig[a["pcap_cnt"] - 1]
        assert want in got, (a["pcap_cnt"], want, got)
    else:
        fl = flows[a["flow_id"]]["flow"]
        assert len(got) == fl["pkts_toserver"] + fl["pkts_toclient"], (f, got)
    n += 1
st = [r for r in recs if r["event_type"] == "stats"][-1]["spu"]["pcap_log"]
assert st["files"] == len({a["flow_id"] for a in alerts}), st
assert st["memuse"] == 0 and st["memcap_drops"] == 0 and st["files_refused"] == 0, st
PYEOF
mkdir -p "$TMPC/b"
"$SPURUN" -b "$TMPC/t.spb" -r "$TMPC/slow.pcap" -o "$TMPC/b/eve.json" --pcap-log alerts \
    --pcap-log-dir "$TMPC/b" --pcap-log-packets 4 --pcap-log-after 3 --no-progress 2>/dev/null \
    || echo "FAIL pcaplog: run b"
"$PY" - "$TMPC/b/eve.json" "$TMPC/slow.pcap" "$FIELDS" <<'PYEOF' && echo "ok pcaplog: SYN alert writes it and the next 3 packets, the flow.end alert appends the last 4: the 8 packets once each, in order" || echo "FAIL pcaplog: N before / M after"
import json, subprocess, sys
eve, orig, fields = sys.argv[1], sys.argv[2], sys.argv[3].split()
def frames(path, filt=None):
    cmd = ["tshark", "-r", path, "-T", "fields"] + fields
    if filt:
        cmd += ["-Y", filt]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return [l for l in r.stdout.splitlines() if l]
alerts = [r for r in map(json.loads, open(eve)) if r["event_type"] == "alert"]
assert all("pcap_file" in a["spu"] for a in alerts), [a["spu"] for a in alerts]
files = {a["spu"]["pcap_file"] for a in alerts}
assert len(alerts) == 2 and len(files) == 1, alerts
got = frames(files.pop())
want = frames(orig, "tcp.port == 50000")
assert got == want and len(got) == 8, (got, want)
PYEOF
mkdir -p "$TMPC/c"
"$SPURUN" -b "$TMPC/rt.spb" -r "$TMPC/slow.pcap" -o "$TMPC/c/eve.json" --pcap-log alerts \
    --pcap-log-memcap 2k --no-progress 2>/dev/null || echo "FAIL pcaplog: run c"
drops=$(stat "$TMPC/c/eve.json" spu.pcap_log.memcap_drops)
mu=$(stat "$TMPC/c/eve.json" spu.pcap_log.memuse)
[ "$drops" != None ] && [ "$drops" -gt 0 ] && [ "$mu" = 0 ] \
    && echo "ok pcaplog: a 2 KiB memcap keeps what fits and counts the rest ($drops packets)" \
    || echo "FAIL pcaplog: memcap drops=$drops memuse=$mu"
mkdir -p "$TMPC/d"
"$SPURUN" -b "$TMPC/rt.spb" -r "$TMPC/slow.pcap" -o "$TMPC/d/eve.json" --no-progress 2>/dev/null
n=$(ls "$TMPC/d" | grep -c pcap)
pl=$(stat "$TMPC/d/eve.json" spu.pcap_log)
[ "$n" = 0 ] && [ "$pl" = None ] && ! grep -q pcap_file "$TMPC/d/eve.json" \
    && echo "ok pcaplog: off by default (no pcap, no pcap_file, no stats)" \
    || echo "FAIL pcaplog: off: $n pcaps, stats $pl"
# application-layer alerts: a rule on http.request; each pcap holds the GET
cat > "$TMPC/web.spr" <<'SPR'
import http;
rule sid 9200001 rev 1 "TEST GET request" on http.request {
    if (method == "GET")
        Alert();
}
SPR
mkdir -p "$TMPC/h"
"$SPUC" -I "$ROOT/grammars" -o "$TMPC/web.spb" "$TMPC/web.spr" || echo "FAIL pcaplog: spuc web.spr"
"$SPURUN" -b "$TMPC/web.spb" -r "$CORPUS/suricata-verify/http-range-multiflows/input.pcap" -k none \
    -o "$TMPC/h/eve.json" --pcap-log alerts --no-progress 2>/dev/null || echo "FAIL pcaplog: run h"
na=$(grep -c '"event_type":"alert"' "$TMPC/h/eve.json")
nf=$(grep '"event_type":"alert"' "$TMPC/h/eve.json" | grep -c '"pcap_file"')
good=0
for f in $(ls "$TMPC/h"/*.pcap | head -n 5); do
    [ "$(tshark -r "$f" -Y 'http.request.method == "GET"' 2>/dev/null | grep -c .)" -ge 1 ] && good=$((good + 1))
done
[ "$na" = 41 ] && [ "$nf" = 41 ] && [ $good = 5 ] \
    && echo "ok pcaplog: 41 http.request alerts name their pcap; tshark finds the GET in each pcap checked ($good)" \
    || echo "FAIL pcaplog: http alerts $na, with pcap $nf, GET found in $good of 5"

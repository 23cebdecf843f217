#!/bin/sh
# spuctl list NAME add|remove (issue 6): a list of a running application
# changed live while a capture plays. Application `web` alerts on a
# request whose url.directory is in list `watched` (read from a file that
# holds "/none/"). A paced replay in three phases separated by 5 s of
# silence (each phase 20 requests on one keep-alive connection under
# /ka/, 100 ms apart, and 20 on new connections under /new/): in the first
# silence "/new/" is added; in the second "/new/" is removed and "/ka/"
# added. So: no alert in the first phase, the /new/ requests of the second
# phase alert, the /ka/ requests of the third. A remove of an absent
# value and of a bad name are refused with the list unchanged; `list
# reload` keeps the live edits; `list show` reports the size.
. "$E2E/lib.inc"
SPUC="$(dirname "$SPURUN")/spuc"
SPUCTL="$(dirname "$SPURUN")/spuctl"
"$PY" "$E2E/ops-gen.py" keepalive "$TMPC/ka.pcap" 60 3
echo "/none/" > "$TMPC/watched.txt"
cat > "$TMPC/w.spr" <<'R'
import http;
list watched from "watched.txt";
rule sid 9501 rev 1 "a watched directory" on http.request { if (url.directory in watched) Alert(); }
R
"$SPUC" -I "$ROOT/grammars" -o "$TMPC/w.spb" "$TMPC/w.spr" || { echo "FAIL list-edit: spuc"; exit 1; }
sock="$TMPC/s.sock"
ctl() { "$SPUCTL" --control "$sock" --json "$@"; }
"$SPURUN" -r "$TMPC/ka.pcap" --realtime -b web="$TMPC/w.spb" -o "$TMPC/eve.json" \
    --control "$sock" --no-progress 2> "$TMPC/err" &
pid=$!
i=0; while [ ! -S "$sock" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
bad=""
wait_records "$TMPC/eve.json" http 40 || bad="$bad no-traffic"
ctl list web add watched /new/ > "$TMPC/add.json" || bad="$bad add"
wait_records "$TMPC/eve.json" http 80 || bad="$bad no-traffic"
ctl list web remove watched /new/ > "$TMPC/rm.json" || bad="$bad remove"
ctl list web add watched /ka/ > "$TMPC/add2.json" || bad="$bad add2"
ctl list web remove watched /absent/ > "$TMPC/rm-absent.json" 2>&1 && bad="$bad remove-absent-accepted"
ctl list web remove nosuch /ka/ > /dev/null 2>&1 && bad="$bad nosuch-accepted"
ctl list web reload watched > "$TMPC/reload.json" || bad="$bad reload"
ctl list web show watched > "$TMPC/show.json" || bad="$bad show"
wait $pid || bad="$bad spurun"
r=$("$PY" - "$TMPC" <<'PYEOF'
import json, sys
tmp = sys.argv[1]
size = json.load(open(tmp + "/show.json"))["message"]["lists"][0]["size"]
assert size == 2, size          # /none/ from the file, /ka/ live
assert "not in the list" in open(tmp + "/rm-absent.json").read()
recs = [json.loads(l) for l in open(tmp + "/eve.json")]
http = [r for r in recs if r["event_type"] == "http"]
alerts = [r for r in recs if r["event_type"] == "alert"]
assert len(http) == 120, len(http)
ka_alerts = sorted(int(a["http"]["url"].split("/")[2]) for a in alerts if a["http"]["url"].startswith("/ka/"))
new_alerts = sorted(int(a["http"]["url"].split("/")[2]) for a in alerts if a["http"]["url"].startswith("/new/"))
assert new_alerts and ka_alerts, (new_alerts, ka_alerts)
# /new/ alerts: one contiguous run of requests (between add and removal);
# /ka/ alerts: every request from some point to the end
assert new_alerts == list(range(20, 40)), new_alerts
assert ka_alerts == list(range(40, 60)), ka_alerts
print("/new/ requests 20..39 alerted (added after the first 20, removed after the next 20), /ka/ requests 40..59 alerted (added then); list size 2 after reload")
PYEOF
) && [ -z "$bad" ] && echo "ok list-edit: $r" || { echo "FAIL list-edit:$bad: $r"; tail -5 "$TMPC/err"; }

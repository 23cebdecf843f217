#!/bin/sh
# spuctl list NAME add|remove (issue 6): a list of a running application
# changed live while a capture plays. Application `web` alerts on a
# request whose url.directory is in list `watched` (read from a file that
# holds "/none/"). 1 s into a 4 s paced replay (a request every 50 ms:
# 40 on one keep-alive connection under /ka/, 40 on new connections under
# /new/) "/new/" is added; 1 s later "/new/" is removed again and "/ka/"
# added. So: no alert before the add; alerts on /new/ only between the add
# and the removal; alerts on /ka/ only after it. A remove of an absent
# value and of a bad name are refused with the list unchanged; `list
# reload` keeps the live edits; `list show` reports the size.
. "$E2E/lib.inc"
SPUC="$(dirname "$SPURUN")/spuc"
SPUCTL="$(dirname "$SPURUN")/spuctl"
"$PY" "$E2E/ops-gen.py" keepalive "$TMPC/ka.pcap" 40
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
i=0; while [ ! -S "$sock" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
bad=""
sleep 1
ctl list web add watched /new/ > "$TMPC/add.json" || bad="$bad add"
sleep 1
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
assert len(http) == 80, len(http)
ka_alerts = sorted(int(a["http"]["url"].split("/")[2]) for a in alerts if a["http"]["url"].startswith("/ka/"))
new_alerts = sorted(int(a["http"]["url"].split("/")[2]) for a in alerts if a["http"]["url"].startswith("/new/"))
assert new_alerts and ka_alerts, (new_alerts, ka_alerts)
# /new/ alerts: one contiguous run of requests (between add and removal);
# /ka/ alerts: every request from some point to the end
assert new_alerts == list(range(new_alerts[0], new_alerts[-1] + 1)), new_alerts
assert ka_alerts == list(range(ka_alerts[0], 40)), ka_alerts
assert new_alerts[0] > 0 and new_alerts[-1] < 39, new_alerts
assert new_alerts[-1] <= ka_alerts[0] + 1, (new_alerts, ka_alerts)
print("/new/ requests %d..%d alerted (added, then removed), /ka/ requests %d..39 alerted (added); list size 2 after reload"
      % (new_alerts[0], new_alerts[-1], ka_alerts[0]))
PYEOF
) && [ -z "$bad" ] && echo "ok list-edit: $r" || { echo "FAIL list-edit:$bad: $r"; tail -5 "$TMPC/err"; }

#!/bin/sh
# Meta sessions across connections and workers: rules/web.spr's login rule
# (sid 2101008) counts failed logins (POST /login answered 401/403 or
# redirected back to /login) per SID cookie in a session keyed on
# http.response by the paired request's cookie, shared by all workers.
# Five connections with one cookie, run with -w 2 and a hash seed under
# which they split across the two workers (the http records' spu.worker
# shows both), raise the alert once: the count accumulated across
# connections and workers. Four failures raise nothing; five successful
# logins (302 to /account) raise nothing and make no session entry.
. "$E2E/lib.inc"
SPUC="$(dirname "$SPURUN")/spuc"
"$SPUC" -n shipped -o "$TMPC/shipped.spb" "$ROOT"/grammars/*.spg "$ROOT"/rules/*.spr \
    || echo "FAIL meta-session: spuc"
"$PY" "$E2E/rules-gen.py" --logins 5 "$TMPC/l5.pcap"
"$PY" "$E2E/rules-gen.py" --logins 4 "$TMPC/l4.pcap"
"$PY" "$E2E/rules-gen.py" --logins 5 --answer redirect "$TMPC/l5r.pcap"
"$PY" "$E2E/rules-gen.py" --logins 5 --answer ok "$TMPC/l5ok.pcap"
SEED=1
check() {
    "$PY" -c '
import json, sys
workers, alerts, sess = set(), [], None
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["event_type"] == "http" and e["http"].get("http_method") == "POST":
        workers.add(e["spu"]["worker"])
    elif e["event_type"] == "alert" and e["alert"]["signature_id"] == 2101008:
        alerts.append(e)
    elif e["event_type"] == "stats":
        sess = e["spu"]["detect"]["sessions"]["login_fail"]
print(len(workers), len(alerts), sess["entries"], sess["created"],
      alerts[0]["http"]["url"] if alerts else "-")
' "$1"
}
for w in 1 2; do
    "$SPURUN" -b "$TMPC/shipped.spb" -r "$TMPC/l5.pcap" -w $w --hash-seed $SEED \
        -o "$TMPC/l5-$w.json" --no-progress 2>/dev/null || echo "FAIL meta-session: spurun -w $w"
done
got=$(check "$TMPC/l5-2.json")
[ "$got" = "2 1 1 1 /login" ] \
    && echo "ok meta-session: 5 connections on 2 workers, one session entry, one alert on the 5th login" \
    || echo "FAIL meta-session: -w 2: workers, alerts, entries, created, url = $got"
got=$(check "$TMPC/l5-1.json")
[ "$got" = "1 1 1 1 /login" ] && echo "ok meta-session: the same alert with one worker" \
    || echo "FAIL meta-session: -w 1: $got"
"$SPURUN" -b "$TMPC/shipped.spb" -r "$TMPC/l4.pcap" -w 2 --hash-seed $SEED \
    -o "$TMPC/l4.json" --no-progress 2>/dev/null
got=$(check "$TMPC/l4.json")
[ "$got" = "2 0 1 1 -" ] && echo "ok meta-session: 4 logins on 2 workers raise nothing" \
    || echo "FAIL meta-session: 4 logins: $got"
"$SPURUN" -b "$TMPC/shipped.spb" -r "$TMPC/l5r.pcap" -w 2 --hash-seed $SEED \
    -o "$TMPC/l5r.json" --no-progress 2>/dev/null
got=$(check "$TMPC/l5r.json")
[ "$got" = "2 1 1 1 /login" ] \
    && echo "ok meta-session: 5 logins redirected back to /login on 2 workers, one alert" \
    || echo "FAIL meta-session: 5 redirects to /login: $got"
"$SPURUN" -b "$TMPC/shipped.spb" -r "$TMPC/l5ok.pcap" -w 2 --hash-seed $SEED \
    -o "$TMPC/l5ok.json" --no-progress 2>/dev/null
got=$(check "$TMPC/l5ok.json")
[ "$got" = "2 0 0 0 -" ] && echo "ok meta-session: 5 successful logins raise nothing, no entry" \
    || echo "FAIL meta-session: 5 successful logins: $got"

#!/bin/sh
# Spam score per message (issue 7, point 2; docs/spam.md): rules/mail.spr's
# rules add their `score` to the SMTP transaction they alert on; the source
# adds the score the spam-source monitor gave it (ScoreAdd on its Redis
# store); a total above --spam-threshold raises spam.message, alerted once
# per message by rule 2102005 with the total and the rules (spu.spam).
# Captures are rules-gen.py's; every mail comes from 10.2.0.25.
. "$E2E/lib.inc"
SPUC="$(dirname "$SPURUN")/spuc"
T=spam-score
redis_local $T
MON=""
trap 'kill $RPID $MON 2>/dev/null' EXIT INT TERM
"$SPUC" -n mail -o "$TMPC/mail.spb" "$ROOT"/grammars/*.spg "$ROOT/rules/mail.spr" ||
    echo "FAIL $T: spuc mail"
mkdir -p "$TMPC/rules"
cp "$ROOT/rules/spam.spr" "$ROOT/rules/spam-whitelist.txt" "$TMPC/rules/"
"$SPUC" -n spam -o "$TMPC/spam.spb" "$TMPC/rules/spam.spr" || echo "FAIL $T: spuc spam"
"$PY" "$E2E/rules-gen.py" "$TMPC/cap" || echo "FAIL $T: rules-gen.py"

# run NAME PCAP ARGS...: the sensor on one capture, EVE in $TMPC/NAME.json
run() {
    name=$1 pcap=$2
    shift 2
    "$SPURUN" -b "$TMPC/mail.spb" -r "$TMPC/cap/$pcap.pcap" -o "$TMPC/$name.json" \
        --no-progress "$@" 2>"$TMPC/$name.err" || echo "FAIL $T: spurun $name"
}
# verdict NAME: "total threshold source_score sid:score,... messages_scored spam_messages"
# of the run's spam alert (or "-") and its last stats record
verdict() {
    "$PY" - "$TMPC/$1.json" <<'PYEOF'
import json, sys
spam, st = [], None
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("event_type") == "alert" and e["alert"]["signature_id"] == 2102005:
        s = e["spu"]["spam"]
        spam.append("%d %d %d %s" % (s["total"], s["threshold"], s["source_score"],
                    ",".join("%d:%d" % (r["sid"], r["score"]) for r in s["rules"]) or "-"))
    if e.get("event_type") == "stats":
        st = e["spu"]["detect"]
print("%s | %s %s" % (";".join(spam) or "-", st["messages_scored"], st["spam_messages"]))
PYEOF
}
check() { # NAME WANT WHAT
    got=$(verdict "$1")
    [ "$got" = "$2" ] && echo "ok $T: $3 ($got)" || echo "FAIL $T: $3: got '$got', want '$2'"
}

# 1. the rules alone (a store of its own: the source has no score)
run alone spam-total
check alone "13 10 0 2102001:6,2102002:4,2102003:3 | 1 1" \
    "three rules of one mail add 6 + 4 + 3 = 13 > 10: spam, once"
run one from-mismatch
check one "- | 1 0" "one rule (4) is not spam"
run thr spam-total --spam-threshold 13
check thr "- | 1 0" "--spam-threshold 13: a total of 13 is not above it"
printf '{"spam-threshold": 12}\n' > "$TMPC/spu.json"
run cfg spam-total --config "$TMPC/spu.json"
check cfg "13 12 0 2102001:6,2102002:4,2102003:3 | 1 1" "the configuration key spam-threshold"
run env many-rcpt-rset
check env "- | 1 0" "a transaction without a mail is a message too (smtp.envelope)"

# 2. the monitor gives 10.2.0.25 a score: blacklisted over its rate, ScoreAdd 10
"$SPURUN" --monitor "$URL/spu:syn" --state "$URL" -b "$TMPC/spam.spb" -o "$TMPC/mon.json" \
    --no-progress 2>"$TMPC/mon.err" &
MON=$!
NOW=$("$PY" -c 'import time; print(int(time.time() * 1000))')
for _ in $(seq 50); do
    redis-cli -p $PORT xadd spu:syn '*' sensor mx1 src 10.2.0.25 count 40 window 1000 ts "$NOW" \
        >/dev/null
    grep -q '"signature_id":7000003' "$TMPC/mon.json" 2>/dev/null && break
    sleep 0.2
done
kill -INT $MON
wait $MON
MON=""
grep -q '"signature_id":7000003' "$TMPC/mon.json" && echo "ok $T: the monitor raised 10.2.0.25's score" \
    || echo "FAIL $T: the monitor did not blacklist 10.2.0.25"
run src from-mismatch --state "$URL"
check src "14 10 10 2102002:4 | 1 1" "one rule (4) plus the source's 10 from the monitor: spam"
run srcb benign-mail --state "$URL"
check srcb "- | 1 0" "no rule, the source's 10 alone is not above 10"
run srct spam-total --state "$URL" --spam-threshold 30
check srct "- | 1 0" "13 + 10 under --spam-threshold 30"

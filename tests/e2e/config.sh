#!/bin/sh
# --config FILE (JSON), --set KEY=VALUE, -T on good and bad bundles and
# configurations, the pid file and log lines.
. "$E2E/lib.inc"
tool="$ROOT/$BUILD/tools/bundle-samples"
[ -x "$tool" ] || tool="$BUILD/tools/bundle-samples"
if ! "$tool" "$TMPC" > "$TMPC/samples.out" 2>&1; then
    echo "FAIL config: bundle-samples failed"; cat "$TMPC/samples.out"; exit 0
fi
pcap="$CORPUS/suricata-verify/bug-78-http-uri/input.pcap"
good="$TMPC/sample-rules.spb"
cp "$good" "$TMPC/bad.spb"
size=$(wc -c < "$TMPC/bad.spb")
printf '\377' | dd of="$TMPC/bad.spb" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null

# -T: good bundles pass, a damaged one and a missing one fail with the loader's error
"$SPURUN" -T -b "$good" -b tree="$TMPC/sample-tree.spb" 2> "$TMPC/t1.err"; t1=$?
"$SPURUN" -T -b "$good" -b "$TMPC/bad.spb" 2> "$TMPC/t2.err"; t2=$?
"$SPURUN" -T -b "$TMPC/none.spb" 2> "$TMPC/t3.err"; t3=$?
if [ $t1 -eq 0 ] && grep -q "2 bundles verified" "$TMPC/t1.err" && [ $t2 -eq 1 ] &&
   grep -q "bundle bad (.*bad.spb)" "$TMPC/t2.err" && ! grep -q "sample-rules" "$TMPC/t2.err" &&
   [ $t3 -eq 1 ] && grep -q "none.spb" "$TMPC/t3.err"; then
    echo "ok config -T: good bundles verified, damaged refused ($(head -c 120 "$TMPC/t2.err")), missing refused"
else
    echo "FAIL config -T: good=$t1 bad=$t2 missing=$t3"; cat "$TMPC/t1.err" "$TMPC/t2.err" "$TMPC/t3.err"
fi

# --config: every option by its long name; the command line and --set win
cat > "$TMPC/spu.json" <<JSON
{
  "read": "$pcap",
  "workers": 3,
  "eve": "$TMPC/from-file.json",
  "bundle": ["$good", "tree=$TMPC/sample-tree.spb"],
  "checksum": "no",
  "midstream": true,
  "no-progress": true,
  "pidfile": "$TMPC/spurun.pid",
  "log-file": "$TMPC/spurun.log",
  "log-level": "info"
}
JSON
"$SPURUN" --config "$TMPC/spu.json" --set workers=2 2> "$TMPC/c1.err"; c1=$?
"$SPURUN" --config "$TMPC/spu.json" -T 2> "$TMPC/c1t.err"; c1t=$?
w=$(stat "$TMPC/from-file.json" spu.workers)
cs=$(stat "$TMPC/from-file.json" spu.checksum_validation)
nb=$("$PY" -c '
import json, sys
last = [json.loads(l) for l in open(sys.argv[1]) if "\"stats\"" in l][-1]
print(len(last["spu"]["bundles"]))' "$TMPC/from-file.json")
if [ $c1 -eq 0 ] && [ "$w" = 2 ] && [ "$cs" = False ] && [ "$nb" = 2 ] && [ $c1t -eq 0 ] &&
   [ ! -e "$TMPC/spurun.pid" ] && grep -q "\[notice\] started: .*bug-78" "$TMPC/spurun.log" &&
   grep -q "\[notice\] stopped: packets=13 " "$TMPC/spurun.log"; then
    echo "ok config file: read, 2 bundles, checksum off from the file; --set workers=2 won over 3; -T on it passes; pid file removed; log lines in the log file"
else
    echo "FAIL config file: rc=$c1 workers=$w checksum=$cs bundles=$nb -T=$c1t"; cat "$TMPC/c1.err"
fi

# bad configurations: each a usage error naming the problem
printf '{"workers": 2,\n "bogus": 1}\n' > "$TMPC/k.json"
printf '{"workers": 2\n "eve": "x"}\n' > "$TMPC/s.json"
printf '{"midstream": "yes"}\n' > "$TMPC/f.json"
printf '{"workers": 0, "read": "%s"}\n' "$pcap" > "$TMPC/v.json"
ok=1
for case in "k.json:unknown option \"bogus\"" "s.json:s.json:2:" "f.json:\"midstream\" is a flag" \
            "v.json:-w: expected 1..1024"; do
    f=${case%%:*}; msg=${case#*:}
    "$SPURUN" --config "$TMPC/$f" -r "$pcap" 2> "$TMPC/e.err"; rc=$?
    if [ $rc -ne 2 ] || ! grep -qF -- "$msg" "$TMPC/e.err"; then
        ok=0; echo "  $f: rc=$rc: $(cat "$TMPC/e.err")"
    fi
    "$SPURUN" -T --config "$TMPC/$f" 2> /dev/null; [ $? -eq 2 ] || { ok=0; echo "  -T $f not refused"; }
done
"$SPURUN" -r "$pcap" --set nothing=1 2> "$TMPC/e.err"; rc=$?
{ [ $rc -eq 2 ] && grep -q "no option 'nothing'" "$TMPC/e.err"; } || { ok=0; echo "  --set nothing: rc=$rc"; }
"$SPURUN" -r "$pcap" --set workers 2> "$TMPC/e.err"; rc=$?
{ [ $rc -eq 2 ] && grep -q "expected KEY=VALUE" "$TMPC/e.err"; } || { ok=0; echo "  --set workers: rc=$rc"; }
[ $ok = 1 ] && echo "ok config bad: unknown key, JSON syntax (file:line:col), flag given a string, bad value, bad --set: usage errors, -T too" ||
    echo "FAIL config bad"

# a pid file naming a live process is refused
echo $$ > "$TMPC/live.pid"
"$SPURUN" -r "$pcap" -o "$TMPC/x.json" --pidfile "$TMPC/live.pid" 2> "$TMPC/p.err"; rc=$?
if [ $rc -eq 1 ] && grep -q "which is running" "$TMPC/p.err" && [ "$(cat "$TMPC/live.pid")" = $$ ]; then
    echo "ok config pidfile: a live process's pid file is refused and left alone"
else
    echo "FAIL config pidfile: rc=$rc"; cat "$TMPC/p.err"
fi

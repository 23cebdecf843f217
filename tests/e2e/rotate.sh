#!/bin/sh
# EVE rotation never tears or loses a record: by size (--eve-rotate 100K:
# every file within the limit), by age with SIGUSR1 reopens after the file
# is moved away (logrotate's way) during a paced replay, with the log file;
# in both, every line of every file parses and the flow records are exactly
# those of a run without rotation.
. "$E2E/lib.inc"
"$PY" "$E2E/ops-gen.py" bulk "$TMPC/bulk.pcap" 4000
"$SPURUN" -r "$TMPC/bulk.pcap" -w 2 -o "$TMPC/base.json" --no-progress 2>/dev/null \
    || echo "FAIL rotate: baseline run"
# check DIR PATTERN LIMIT: lines of all files parse, each file <= LIMIT
# bytes (0: any), flow records equal the baseline; prints files and lines
check() {
    "$PY" - "$TMPC/base.json" "$@" <<'PYEOF'
import glob, json, os, sys
base, pattern, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
def flows(lines):
    out = []
    for l in lines:
        e = json.loads(l)
        if e["event_type"] == "flow":
            e.pop("spu", None)
            out.append(json.dumps(e, sort_keys=True))
    return sorted(out)
files = sorted(glob.glob(pattern))
lines = []
for f in files:
    data = open(f, "rb").read()
    assert not data or data.endswith(b"\n"), f + ": last line torn"
    assert limit == 0 or len(data) <= limit, "%s: %d bytes" % (f, len(data))
    for l in data.decode().splitlines():
        json.loads(l)  # every line parses on its own
        lines.append(l)
want = flows(open(base))
got = flows(lines)
assert got == want, "flows differ: %d vs %d" % (len(got), len(want))
print(len(files), len(lines), len(want))
PYEOF
}
mkdir -p "$TMPC/size"
"$SPURUN" -r "$TMPC/bulk.pcap" -w 2 -o "$TMPC/size/eve.json" --eve-rotate 100K --no-progress \
    2>"$TMPC/size.err" || echo "FAIL rotate: size run: $(cat "$TMPC/size.err")"
if r=$(check "$TMPC/size/eve.json*" 102400) && [ "${r%% *}" -ge 5 ]; then
    set -- $r
    echo "ok rotate: by size, $1 files of <= 100 KiB, $2 whole lines, the $3 flows of a run without rotation"
else
    echo "FAIL rotate: by size: $r"
fi
rot=$(stat "$TMPC/size/eve.json" spu.eve_file.rotations)
n=$(ls "$TMPC/size" | grep -c .)
# the last stats record is formed when every other line is written: it
# counts every rotation but the one its own line may cause
[ "$rot" != None ] && [ "$rot" -ge $((n - 2)) ] && [ "$rot" -le $((n - 1)) ] \
    && echo "ok rotate: spu.eve_file.rotations counts them ($rot of $((n - 1)) before the last record)" \
    || echo "FAIL rotate: rotations=$rot with $n files"
# by age and by SIGUSR1 while a paced replay (4 s) writes
mkdir -p "$TMPC/age"
"$SPURUN" -r "$TMPC/bulk.pcap" --realtime -w 2 -o "$TMPC/age/eve.json" --eve-rotate 1s \
    --stats-interval 1 --no-progress --log-file "$TMPC/spurun.log" --log-level notice 2>/dev/null &
pid=$!
# the moves count from the run's start: the EVE and log files open (a slow
# start would otherwise find nothing to move at the first)
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 600 ] &&
      ! { [ -f "$TMPC/age/eve.json" ] && grep -q started "$TMPC/spurun.log" 2>/dev/null; }; do
    sleep 0.1; i=$((i + 1))
done
# two logrotate-style moves: the first 0.9 s in, the second once the age
# limit has rotated the reopened file (a third eve.json* file), not at a
# fixed time that a slow run may not have reached or may have passed
k=0
moved=0
while kill -0 $pid 2>/dev/null && [ $k -lt 600 ]; do
    sleep 0.1
    k=$((k + 1))
    if [ $moved = 0 ] && [ $k -ge 9 ]; then
        mv "$TMPC/spurun.log" "$TMPC/spurun.log.1"
        mv "$TMPC/age/eve.json" "$TMPC/age/eve.json.moved1" && kill -USR1 $pid 2>/dev/null
        moved=1
    elif [ $moved = 1 ] && [ -f "$TMPC/age/eve.json" ] &&
         [ "$(ls "$TMPC/age" | grep -c '^eve\.json')" -ge 3 ]; then
        mv "$TMPC/age/eve.json" "$TMPC/age/eve.json.moved2" && kill -USR1 $pid 2>/dev/null
        moved=2
    fi
done
wait $pid || echo "FAIL rotate: paced run exited $?"
if r=$(check "$TMPC/age/eve.json*" 0) && [ "${r%% *}" -ge 4 ]; then
    set -- $r
    echo "ok rotate: by age and SIGUSR1 under a paced replay, $1 files, $2 whole lines, the $3 flows of a run without rotation"
else
    echo "FAIL rotate: by age/SIGUSR1: $r"
fi
last=$(ls -t "$TMPC/age"/eve.json* | head -n 1)
reo=$(stat "$last" spu.eve_file.reopens)
rot=$(stat "$last" spu.eve_file.rotations)
[ "$reo" = 2 ] && [ "$rot" != None ] && [ "$rot" -ge 1 ] \
    && echo "ok rotate: spu.eve_file counts the 2 SIGUSR1 reopens and $rot rotations by age" \
    || echo "FAIL rotate: reopens=$reo rotations=$rot"
grep -q "started" "$TMPC/spurun.log.1" && grep -q "EVE and log files reopened" "$TMPC/spurun.log" \
    && grep -q "stopped" "$TMPC/spurun.log" \
    && echo "ok rotate: SIGUSR1 reopens the --log-file too (the moved file has the start, the new one the rest)" \
    || echo "FAIL rotate: log reopen: $(cat "$TMPC/spurun.log" 2>&1 | head -3)"
"$SPURUN" -r "$TMPC/bulk.pcap" --eve-rotate 100 -o "$TMPC/x.json" 2>/dev/null \
    && echo "FAIL rotate: a bare number was accepted" \
    || echo "ok rotate: --eve-rotate without a unit is refused"

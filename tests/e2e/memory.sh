#!/bin/sh
# Memory accounting under a generated flood (60,000 connections in 3 s,
# each holding an out-of-order segment after the start of an HTTP upload
# that the grammar holds, each from a new source that a rule keeps a meta
# session for) with small caps: every snapshot of
# spu.memory taken by `spuctl memory` while the flood runs, and every stats
# record, has each subsystem's bytes in use at or below its cap; the caps
# were hit (and counted); in the plain build the process's peak RSS stays
# below its idle peak plus the sum of the caps. spuctl reopen reopens the
# EVE file as SIGUSR1 does.
. "$E2E/lib.inc"
SPUCTL="$(dirname "$SPURUN")/spuctl"
"$PY" "$E2E/ops-gen.py" flood "$TMPC/flood.pcap" 60000
"$PY" "$E2E/ops-gen.py" slow "$TMPC/idle.pcap"
SPUC="$(dirname "$SPURUN")/spuc"
cat > "$TMPC/m.spr" <<'R'
import http;
session src keyed by flow.src_ip ttl 60s { int syns; }
rule sid 9601 rev 1 "a new source" on tcp.syn { src.syns += 1; }
R
"$SPUC" -I "$ROOT/grammars" -o "$TMPC/m.spb" "$TMPC/m.spr" || echo "FAIL memory: spuc"
CAPS="--flow-memcap 2M --stream-memcap 4M --stream-flow-cap 64k --defrag-memcap 1M --app-memcap 1M --session-memcap 1M -b $TMPC/m.spb"
sock="$TMPC/run.sock"
r=$("$PY" - "$SPURUN" "$TMPC" "$SPUCTL" "$SAN" $CAPS <<'PYEOF'
import json, subprocess, sys, time
spurun, tmp, spuctl, san = sys.argv[1:5]
caps = sys.argv[5:]
sock = tmp + "/run.sock"
p = subprocess.Popen([spurun, "-r", tmp + "/flood.pcap", "--realtime", "-w", "2", "-o", tmp + "/flood.json",
         "--no-progress", "--stats-interval", "1", "--control", sock] + caps,
                     stderr=subprocess.DEVNULL)
snaps = []
while p.poll() is None:
    r = subprocess.run([spuctl, "--control", sock, "--json", "memory"], capture_output=True,
                       text=True)
    if r.returncode == 0:
        snaps.append(json.loads(r.stdout)["message"])
    time.sleep(0.1)
assert p.returncode == 0, p.returncode
recs = [json.loads(l) for l in open(tmp + "/flood.json")]
stats = [r["spu"]["memory"] for r in recs if r["event_type"] == "stats"]
assert len(snaps) >= 10 and len(stats) >= 2, (len(snaps), len(stats))
for m in snaps + stats:
    for name, v in m.items():
        if isinstance(v, dict):
            assert 0 <= v["in_use"] <= v["cap"], (name, v)
top = {k: max(m[k]["in_use"] for m in snaps) for k in ("flows", "reassembly", "app_buffers")}
top["sessions_reserved"] = max(m["sessions"]["reserved"] for m in snaps)
for m in snaps + stats:
    assert m["sessions"]["in_use"] <= m["sessions"]["reserved"] <= m["sessions"]["cap"], m["sessions"]
last = stats[-1]
for k in ("flows", "reassembly", "app_buffers", "sessions"):
    assert last[k]["hits"] > 0, (k, last[k])
# the caps were reached: in use came within 1% of each (grammar buffers
# within 10%: a flow's parse grows by whole arena chunks)
assert top["flows"] > 0.99 * last["flows"]["cap"], top
assert top["reassembly"] > 0.99 * last["reassembly"]["cap"], top
assert top["app_buffers"] > 0.90 * last["app_buffers"]["cap"], top
assert top["sessions_reserved"] > 0.99 * last["sessions"]["cap"], top
print("%d snapshots, peak in use %s, hits %s" % (len(snaps), top,
      {k: last[k]["hits"] for k in ("flows", "reassembly", "app_buffers", "sessions")}))
PYEOF
) && echo "ok memory: flood under caps, every snapshot within each cap: $r" \
  || echo "FAIL memory: flood: $r"
# RSS: runs without the control polling; the peak of the process's own
# (anonymous) resident memory, sampled every 20 ms from /proc: the capture
# file is memory-mapped and its pages are the page cache's, not spurun's.
# Plain build only: ASan's shadow memory is not the program's. One malloc
# arena (MALLOC_ARENA_MAX=1) for both runs: glibc opens another arena when
# a thread finds its own locked, which a preempted thread causes on a busy
# machine, and each holds freed memory of its own (measured here: the
# flood's peak 17.5 MiB with one arena, 17.6-19.4 MiB with the default,
# for a bound of 18.2).
if [ "$SAN" = 1 ]; then
    echo "skip memory: RSS bound (ASan build)"
else
r=$("$PY" - "$SPURUN" "$TMPC" $CAPS <<'PYEOF'
import json, os, subprocess, sys, time
spurun, tmp = sys.argv[1:3]
caps = sys.argv[3:]
env = dict(os.environ, MALLOC_ARENA_MAX="1")
def peak(args):
    p = subprocess.Popen([spurun] + args, stderr=subprocess.DEVNULL, env=env)
    top = 0
    while p.poll() is None:
        try:
            for line in open("/proc/%d/status" % p.pid):
                if line.startswith("RssAnon:"):
                    top = max(top, int(line.split()[1]) * 1024)
        except OSError:
            pass
        time.sleep(0.02)
    assert p.returncode == 0
    return top
idle = peak(["-r", tmp + "/idle.pcap", "--realtime", "-w", "2", "-o", tmp + "/idle2.json",
             "--no-progress"] + caps)
flood = peak(["-r", tmp + "/flood.pcap", "--realtime", "-w", "2", "-o", tmp + "/flood2.json",
              "--no-progress"] + caps)
last = [json.loads(l) for l in open(tmp + "/flood2.json")][-1]["spu"]["memory"]
capsum = sum(v["cap"] for v in last.values() if isinstance(v, dict))
print("flood %.1f MiB <= idle %.1f MiB + caps %.1f MiB" % (flood / 2**20, idle / 2**20, capsum / 2**20))
assert idle > 0 and flood <= idle + capsum, (flood, idle, capsum)
PYEOF
) && echo "ok memory: peak anonymous RSS within the idle peak plus the sum of the caps: $r" \
  || echo "FAIL memory: RSS: $r"
fi
# spuctl reopen: the EVE file moved away is reopened, nothing lost
"$SPURUN" -r "$TMPC/idle.pcap" --realtime -w 2 -o "$TMPC/ro.json" --no-progress \
    --control "$TMPC/ro.sock" 2>/dev/null &
pid=$!
i=0; while [ ! -S "$TMPC/ro.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
sleep 1
mv "$TMPC/ro.json" "$TMPC/ro.json.1"
"$SPUCTL" --control "$TMPC/ro.sock" --json reopen > "$TMPC/reopen.json"; rc=$?
wait $pid
n1=$(cat "$TMPC/ro.json.1" "$TMPC/ro.json" 2>/dev/null | grep -c '"event_type":"flow"')
reo=$(stat "$TMPC/ro.json" spu.eve_file.reopens)
[ $rc = 0 ] && [ "$n1" = 32 ] && [ "$reo" = 1 ] && grep -q '"reopened"' "$TMPC/reopen.json" \
    && echo "ok memory: spuctl reopen reopens the EVE file, the 32 flows across the two files" \
    || echo "FAIL memory: spuctl reopen rc=$rc flows=$n1 reopens=$reo"

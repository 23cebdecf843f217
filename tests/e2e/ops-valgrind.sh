#!/bin/sh
# The operations features under valgrind (memcheck): a run with rules,
# --metrics (scraped once the input is done, then SIGTERM), --pcap-log
# alerts and --eve-rotate by size: no memory error, no leak. Not in the
# sanitizer build, where ASan watches the other e2e cases of these features.
. "$E2E/lib.inc"
if [ "$SAN" = 1 ]; then
    echo "skip ops-valgrind: the ASan build is checked by the sanitizer instead"
    exit 0
fi
SPUC="$(dirname "$SPURUN")/spuc"
"$SPUC" -n runtime -o "$TMPC/rt.spb" "$ROOT/rules/runtime.spr" || echo "FAIL ops-valgrind: spuc"
"$PY" "$E2E/ops-gen.py" slow "$TMPC/slow.pcap"
port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$TMPC/out"
valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite,indirect \
    "$SPURUN" -b "$TMPC/rt.spb" -r "$TMPC/slow.pcap" -w 2 -o "$TMPC/out/eve.json" --no-progress \
    --metrics "127.0.0.1:$port" --metrics-linger 120 --pcap-log alerts --eve-rotate 4K \
    --top-rules 3 > "$TMPC/vg.out" 2>&1 &
pid=$!
got=0
for i in $(seq 1 300); do
    if "$PY" -c '
import sys, urllib.request
t = urllib.request.urlopen(sys.argv[1], timeout=2).read().decode()
assert "\nspu_input_done 1\n" in t and "spu_detect_top_rules_ns{" in t
' "http://127.0.0.1:$port/metrics" 2>/dev/null; then got=1; break; fi
    sleep 0.2
done
kill -TERM $pid
wait $pid
rc=$?
files=$(ls "$TMPC/out" | grep -c 'eve.json')
pcaps=$(ls "$TMPC/out" | grep -c '\.pcap$')
if [ $rc -eq 0 ] && [ $got = 1 ] && [ "$files" -gt 1 ] && [ "$pcaps" -gt 0 ]; then
    echo "ok ops-valgrind: metrics scraped, $files EVE files, $pcaps alert pcaps: no memory error, no leak"
else
    echo "FAIL ops-valgrind: exit $rc, scraped $got, $files EVE files, $pcaps pcaps"
    grep -E '==[0-9]+==' "$TMPC/vg.out" | head -30
fi

#!/bin/sh
# A short run under valgrind (memcheck): no error, no leak. Not in the
# sanitizer build, where ASan already watches every run.
. "$E2E/lib.inc"
if [ "$SAN" = 1 ]; then
    echo "skip valgrind: the ASan build is checked by the sanitizer instead"
    exit 0
fi
command -v valgrind >/dev/null || { echo "FAIL valgrind: not installed (mk/deps.sh)"; exit 1; }
for t in bug-78-http-uri tcp-rst-unacked-stream-11; do
    valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite,indirect \
        "$SPURUN" -r "$CORPUS/suricata-verify/$t/input.pcap" -w 2 -o "$TMPC/$t.json" \
        --no-progress > "$TMPC/$t.vg" 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then
        echo "ok valgrind $t: no memory error, no leak"
    else
        echo "FAIL valgrind $t: exit $rc"
        grep -E '==[0-9]+==' "$TMPC/$t.vg" | head -20
    fi
done

#!/bin/sh
# -b [NAME=]BUNDLE: bundles are loaded and verified before any packet is
# read, named (NAME, or the file's base name) and listed in the stats
# events; a damaged bundle stops the run with the loader's error, and a
# name given twice is a usage error. Sample bundles come from the VM's
# bundle-samples tool (spuc does not write bundles yet).
. "$E2E/lib.inc"
tool="$ROOT/$BUILD/tools/bundle-samples"
[ -x "$tool" ] || tool="$BUILD/tools/bundle-samples"
if ! "$tool" "$TMPC" > "$TMPC/samples.out" 2>&1; then
    echo "FAIL bundles: bundle-samples failed"; cat "$TMPC/samples.out"; exit 0
fi
pcap="$CORPUS/suricata-verify/bug-78-http-uri/input.pcap"
"$SPURUN" -b "$TMPC/sample-rules.spb" -b tree="$TMPC/sample-tree.spb" -r "$pcap" \
    -o "$TMPC/ok.json" --no-progress 2>"$TMPC/ok.err"
rc=$?
names=$("$PY" -c '
import json, sys
last = [json.loads(l) for l in open(sys.argv[1]) if "\"stats\"" in l][-1]
print(" ".join("%s:%d" % (b["name"], len(b["sha256"])) for b in last["spu"]["bundles"]))
' "$TMPC/ok.json")
if [ $rc -eq 0 ] && [ "$names" = "sample-rules:64 tree:64" ]; then
    echo "ok bundles load: two bundles verified and listed ($names)"
else
    echo "FAIL bundles load: rc=$rc names='$names'"; cat "$TMPC/ok.err"
fi
# flip one byte in the middle of a bundle: the checksum no longer matches
cp "$TMPC/sample-rules.spb" "$TMPC/bad.spb"
size=$(wc -c < "$TMPC/bad.spb")
printf '\377' | dd of="$TMPC/bad.spb" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
"$SPURUN" -b "$TMPC/bad.spb" -r "$pcap" -o "$TMPC/bad.json" --no-progress 2>"$TMPC/bad.err"
rc=$?
if [ $rc -eq 1 ] && grep -q "bad.spb" "$TMPC/bad.err" && [ ! -s "$TMPC/bad.json" ]; then
    echo "ok bundles damaged: refused before reading packets: $(head -c 150 "$TMPC/bad.err")"
else
    echo "FAIL bundles damaged: rc=$rc"; cat "$TMPC/bad.err"
fi
"$SPURUN" -b a="$TMPC/sample-rules.spb" -b a="$TMPC/sample-tree.spb" -r "$pcap" 2>/dev/null
[ $? -eq 2 ] && echo "ok bundles duplicate name: usage error" || echo "FAIL bundles duplicate name"

#!/bin/sh
# --filestore DIR: the attachment of a mail (bug-6207-1: a 286-byte zip)
# is stored as DIR/SHA256 with exactly the bytes its fileinfo record
# hashes, and the record says stored; with --filestore-cap below its size
# nothing is stored and the record says so; without --filestore, stored
# is false and the record has no sha256 (nothing asks for it).
. "$E2E/lib.inc"
SV="$CORPUS/suricata-verify"
SPUC="$ROOT/$BUILD/spuc"
[ -x "$SPUC" ] || SPUC="$BUILD/spuc"
"$SPUC" -n grammars -I "$ROOT/grammars" -o "$TMPC/g.spb" "$ROOT"/grammars/*.spg \
    > "$TMPC/spuc.txt" 2>&1 || { echo "FAIL filestore: grammars do not compile"; exit 0; }
run() { # NAME OPTIONS...
    n=$1; shift
    mkdir -p "$TMPC/$n/files"
    "$SPURUN" -r "$SV/bug-6207-1/input.pcap" -b "grammars=$TMPC/g.spb" -k none -w 2 \
        --no-progress -o "$TMPC/$n/eve.json" "$@" 2> "$TMPC/$n/stderr"
}
fileinfo() { # EVE: "sha256 stored" of its one fileinfo record
    "$PY" -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
f = [e["fileinfo"] for e in r if e.get("event_type") == "fileinfo"]
print(" ".join("%s %s" % (x.get("sha256"), str(x.get("stored")).lower()) for x in f))
' "$1"
}
run on --filestore "$TMPC/on/files"
run cap --filestore "$TMPC/cap/files" --filestore-cap 100
run off
set -- $(fileinfo "$TMPC/on/eve.json")
sha=$1 stored=$2
stored_files=$(ls "$TMPC/on/files")
content=$(sha256sum "$TMPC/on/files/$sha" 2>/dev/null | cut -d' ' -f1)
cap=$(fileinfo "$TMPC/cap/eve.json")
cap_files=$(ls -A "$TMPC/cap/files" | wc -l)
off=$(fileinfo "$TMPC/off/eve.json")
if [ -n "$sha" ] && [ "$stored" = true ] && [ "$stored_files" = "$sha" ] &&
   [ "$content" = "$sha" ] && [ "$cap" = "$sha false" ] && [ "$cap_files" = 0 ] &&
   [ "$off" = "None false" ]; then
    echo "ok filestore: the attachment stored as its sha256 ($sha), not over --filestore-cap, not without --filestore (nor its sha256)"
else
    echo "FAIL filestore: on: record '$sha $stored', files '$stored_files', content $content;" \
         "cap: record '$cap', $cap_files files; off: record '$off'"
fi

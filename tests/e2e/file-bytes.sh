#!/bin/sh
# File bytes kept on demand (docs/app-layer.md): on http-mime-truncated
# (9 response files, one over the 1 MB body limit, one cut short), a rule
# reading the response body's bytes sees them kept (StringLength is the
# size, or the limit: an alert for each of the 8 complete files), while
# the fileinfo records are the same with and without the rule (bodies
# then kept or not: same sizes, hashes and states); --force-magic types
# every file from its bytes.
. "$E2E/lib.inc"
SV="$CORPUS/suricata-verify"
SPUC="$ROOT/$BUILD/spuc"
[ -x "$SPUC" ] || SPUC="$BUILD/spuc"
"$SPUC" -n grammars -I "$ROOT/grammars" -o "$TMPC/g.spb" "$ROOT"/grammars/*.spg \
    > "$TMPC/spuc.txt" 2>&1 || { echo "FAIL file-bytes: grammars do not compile"; exit 0; }
cat > "$TMPC/r.spr" <<'SPR'
import http;
rule sid 9000002 rev 1 "the response body's bytes are kept" on http.file
{
    if (StringLength(body) > 0 &&
        (StringLength(body) == file_size(body) || StringLength(body) == 1048576))
        Alert();
}
SPR
"$SPUC" -n grammars -I "$ROOT/grammars" -o "$TMPC/gr.spb" "$ROOT"/grammars/*.spg "$TMPC/r.spr" \
    > "$TMPC/spuc-r.txt" 2>&1 || { echo "FAIL file-bytes: the rule does not compile"; exit 0; }
run() { # NAME BUNDLE OPTIONS...
    n=$1; b=$2; shift 2
    mkdir -p "$TMPC/$n"
    "$SPURUN" -r "$SV/http-mime-truncated/input.pcap" -b "grammars=$b" -k none \
        --no-progress -o "$TMPC/$n/eve.json" "$@" 2> "$TMPC/$n/stderr"
}
files() { # EVE: its fileinfo objects, one a line, sorted
    "$PY" -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
print("\n".join(sorted(json.dumps(e["fileinfo"], sort_keys=True)
                       for e in r if e.get("event_type") == "fileinfo")))
' "$1"
}
run plain "$TMPC/g.spb"
run rule "$TMPC/gr.spb"
run magic "$TMPC/g.spb" --force-magic
files "$TMPC/plain/eve.json" > "$TMPC/plain.files"
files "$TMPC/rule/eve.json" > "$TMPC/rule.files"
files "$TMPC/magic/eve.json" > "$TMPC/magic.files"
n=$(wc -l < "$TMPC/plain.files")
alerts=$(grep '"event_type":"alert"' "$TMPC/rule/eve.json" | grep -c '"signature_id":9000002')
typed=$(grep -c '"magic":' "$TMPC/magic.files")
if [ "$n" -eq 9 ] && [ "$alerts" -eq 8 ] && cmp -s "$TMPC/plain.files" "$TMPC/rule.files" &&
   [ "$typed" -eq "$n" ]; then
    echo "ok file-bytes: $n files; a rule reading the body sees its bytes ($alerts alerts), the same fileinfo records with and without it; --force-magic types all $typed"
else
    echo "FAIL file-bytes: $n files, $alerts alerts, $typed typed;" \
         "fileinfo with and without the rule: $(cmp "$TMPC/plain.files" "$TMPC/rule.files" 2>&1)"
fi

#!/bin/sh
# File hashes only when asked (as Suricata's force-hash): the attachment
# of bug-6207-1 gets no md5/sha1/sha256 by default, only md5 with
# --force-hash md5, all three with --force-hash md5,sha1,sha256 (the
# values of the bytes the filestore run stores), sha256 alone with
# --filestore, and the options given as a JSON config list too; a loaded
# rule that reads the attachment's sha256 gets it (and fires) without any
# option, and the fileinfo record then carries sha256 alone.
. "$E2E/lib.inc"
SV="$CORPUS/suricata-verify"
SPUC="$ROOT/$BUILD/spuc"
[ -x "$SPUC" ] || SPUC="$BUILD/spuc"
"$SPUC" -n grammars -I "$ROOT/grammars" -o "$TMPC/g.spb" "$ROOT"/grammars/*.spg \
    > "$TMPC/spuc.txt" 2>&1 || { echo "FAIL file-hashes: grammars do not compile"; exit 0; }
cat > "$TMPC/r.spr" <<'SPR'
import email;
rule sid 9000001 rev 1 "attachment with a sha256" on email.attachment
{
    if (sha256 != null)
        Alert();
}
SPR
"$SPUC" -n grammars -I "$ROOT/grammars" -o "$TMPC/gr.spb" "$ROOT"/grammars/*.spg "$TMPC/r.spr" \
    > "$TMPC/spuc-r.txt" 2>&1 || { echo "FAIL file-hashes: the rule does not compile"; exit 0; }
run() { # NAME OPTIONS...
    n=$1; shift
    mkdir -p "$TMPC/$n/files"
    "$SPURUN" -r "$SV/bug-6207-1/input.pcap" -b "grammars=$B" -k none \
        --no-progress -o "$TMPC/$n/eve.json" "$@" 2> "$TMPC/$n/stderr"
}
hashes() { # EVE: "md5 sha1 sha256" of its one fileinfo record (None: absent)
    "$PY" -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
f = [e["fileinfo"] for e in r if e.get("event_type") == "fileinfo"]
print(" ".join("%s %s %s" % (x.get("md5"), x.get("sha1"), x.get("sha256")) for x in f))
' "$1"
}
B=$TMPC/g.spb
printf '{"force-hash": ["sha1", "md5"]}\n' > "$TMPC/conf.json"
run none
run md5 --force-hash md5
run all --force-hash md5,sha1,sha256
run store --filestore "$TMPC/store/files"
run conf --config "$TMPC/conf.json"
B=$TMPC/gr.spb; run rule
none=$(hashes "$TMPC/none/eve.json")
md5=$(hashes "$TMPC/md5/eve.json")
all=$(hashes "$TMPC/all/eve.json")
store=$(hashes "$TMPC/store/eve.json")
conf=$(hashes "$TMPC/conf/eve.json")
rule=$(hashes "$TMPC/rule/eve.json")
alerts=$(grep '"event_type":"alert"' "$TMPC/rule/eve.json" | grep -c '"signature_id":9000001')
f=$(ls "$TMPC/store/files")
set -- $all
m=$(md5sum < "$TMPC/store/files/$f" 2>/dev/null | cut -d' ' -f1)
s1=$(sha1sum < "$TMPC/store/files/$f" 2>/dev/null | cut -d' ' -f1)
bad=$("$SPURUN" -r "$SV/bug-6207-1/input.pcap" --force-hash crc32 -o /dev/null 2>&1 >/dev/null | head -1)
if [ "$none" = "None None None" ] && [ "$md5" = "$1 None None" ] && [ "$1" = "$m" ] &&
   [ "$2" = "$s1" ] && [ "$3" = "$f" ] && [ "$store" = "None None $f" ] &&
   [ "$conf" = "$1 $2 None" ] && [ "$rule" = "None None $f" ] && [ "$alerts" = 1 ] &&
   [ -n "$bad" ]; then
    echo "ok file-hashes: none by default, md5 alone, all three ($1 = md5sum), sha256 for --filestore, the config list, sha256 for a rule reading it (1 alert); crc32 refused"
else
    echo "FAIL file-hashes: none '$none' md5 '$md5' all '$all' (md5sum $m sha1sum $s1 file $f)" \
         "store '$store' conf '$conf' rule '$rule' ($alerts alerts) bad '$bad'"
fi

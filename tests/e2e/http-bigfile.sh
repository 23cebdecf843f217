#!/bin/sh
# Files larger than the 1MB body limit (bigfile-gen.py): downloads of 3
# MiB with Content-Length, 2.5 MiB chunked, 1.5 MiB of gzip-encoded text;
# uploads of 1.25 MiB in a multipart/form-data POST and 1.1 MiB by a
# chunked PUT. Each fileinfo record's size and sha256 are those of the
# whole file as sha256sum reads it (the `digest` capture streams past the
# limit), its md5 and sha1 agree with md5sum and sha1sum, its state is
# CLOSED; downloads come from the server, uploads from the client (with
# the request's method); the http record's length is the whole body's;
# the form field and the plain POST of bytes are no files.
. "$E2E/lib.inc"
SPUC="$ROOT/$BUILD/spuc"
[ -x "$SPUC" ] || SPUC="$BUILD/spuc"
"$SPUC" -n grammars -I "$ROOT/grammars" -o "$TMPC/g.spb" "$ROOT"/grammars/*.spg \
    > "$TMPC/spuc.txt" 2>&1 || { echo "FAIL http-bigfile: grammars do not compile"; exit 0; }
mkdir -p "$TMPC/files"
"$PY" "$E2E/bigfile-gen.py" "$TMPC/big.pcap" "$TMPC/files" ||
    { echo "FAIL http-bigfile: the generator failed"; exit 0; }
"$SPURUN" -r "$TMPC/big.pcap" -b "grammars=$TMPC/g.spb" -k none --force-hash md5,sha1,sha256 --no-progress \
    -o "$TMPC/eve.json" 2> "$TMPC/stderr"
# what the records say: "name size md5 sha1 sha256 state" per file
"$PY" -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    f = e.get("fileinfo")
    if e.get("event_type") == "fileinfo" and f["size"] > 3:
        print(f["filename"].rsplit("/", 1)[-1], f["size"], f["md5"], f["sha1"], f["sha256"],
              f["state"], "client" if e["src_ip"] == "10.1.0.1" else "server",
              e["http"]["http_method"])
    if e.get("event_type") == "http" and e["http"].get("length", 0) > 1048576:
        print("length", e["http"]["url"], e["http"]["length"])
' "$TMPC/eve.json" > "$TMPC/got.txt" 2>&1
# what the files are
: > "$TMPC/want.txt"
for f in big.bin:server:GET chunk.bin:server:GET page.txt:server:GET up.bin:client:POST \
         put.bin:client:PUT; do
    p="$TMPC/files/${f%%:*}"
    how=$(echo "${f#*:}" | tr : ' ')
    echo "${f%%:*} $(wc -c < "$p") $(md5sum < "$p" | cut -d' ' -f1)" \
         "$(sha1sum < "$p" | cut -d' ' -f1) $(sha256sum < "$p" | cut -d' ' -f1) CLOSED $how" \
         >> "$TMPC/want.txt"
done
echo "length /big.bin $(wc -c < "$TMPC/files/big.bin")" >> "$TMPC/want.txt"
echo "length /chunk.bin $(wc -c < "$TMPC/files/chunk.bin")" >> "$TMPC/want.txt"
sort "$TMPC/got.txt" > "$TMPC/got.s"
sort "$TMPC/want.txt" > "$TMPC/want.s"
if cmp -s "$TMPC/got.s" "$TMPC/want.s"; then
    echo "ok http-bigfile: size and md5/sha1/sha256 of 3 downloads and 2 uploads over the" \
         "body limit ($(wc -c < "$TMPC/files/big.bin") bytes the largest) as the sum tools read them"
else
    echo "FAIL http-bigfile: records and files differ:"
    diff "$TMPC/want.s" "$TMPC/got.s" | head -20
fi

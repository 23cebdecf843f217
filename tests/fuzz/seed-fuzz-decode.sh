#!/bin/sh
# Seeds for fuzz-decode: the first frames of a few corpus captures, each
# prefixed with the byte that selects its link type (see fuzz-decode.c).
build="$1"; dir="$2"
corpus="$(dirname "$0")/../../../shared/corpus/suricata-verify"
/usr/bin/python3 - "$corpus" "$dir" <<'PY'
import os, struct, sys
corpus, out = sys.argv[1], sys.argv[2]
# link type -> selector byte (index in fuzz-decode.c's links[])
sel = {1: 0, 101: 1, 0: 2, 108: 3, 113: 4, 276: 5, 104: 6, 9: 7}
n = 0
for t in ("bug-78-http-uri", "http-ipv6", "bug-4810", "decode-sll2-02", "decode-chdlc-01",
          "http-range-multiflows", "tcp-rst-unacked-stream-11", "bug-4376"):
    p = os.path.join(corpus, t, "input.pcap")
    if not os.path.exists(p):
        continue
    b = open(p, "rb").read()
    lt = struct.unpack("<I", b[20:24])[0]
    if lt not in sel:
        continue
    off = 24
    for i in range(40):
        if off + 16 > len(b):
            break
        incl = struct.unpack("<I", b[off + 8:off + 12])[0]
        frame = b[off + 16:off + 16 + incl]
        off += 16 + incl
        with open(os.path.join(out, "seed-%s-%d" % (t, i)), "wb") as f:
            f.write(bytes([sel[lt]]) + frame)
        n += 1
PY

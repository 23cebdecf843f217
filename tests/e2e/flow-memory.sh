#!/bin/sh
# Memory per idle TCP flow: two captures of SYN-only connections (1,000 and
# 101,000 flows, all alive at the end), peak RSS of each run; the
# difference per extra flow must stay under 512 bytes. Skipped in the
# sanitizer build (ASan's shadow memory and redzones change every size).
. "$E2E/lib.inc"
if [ "$SAN" = 1 ]; then
    echo "skip flow-memory: absolute memory is not meaningful under ASan"
    exit 0
fi
gen() { # FLOWS FILE
    "$PY" - "$1" "$2" <<'PY'
import struct, sys
n, path = int(sys.argv[1]), sys.argv[2]
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
with open(path, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(n):
        src = bytes([10, (i >> 16) & 255, (i >> 8) & 255, i & 255])
        dst = bytes([192, 168, 0, 1])
        ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, i & 0xffff, 0x4000, 64, 6, 0,
                                   src, dst))
        ip[10:12] = struct.pack("!H", csum(bytes(ip)))
        tcp = struct.pack("!HHIIBBHHH", 1024 + i % 60000, 80, i, 0, 0x50, 0x02, 65535, 0, 0)
        frame = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + bytes(ip) + tcp
        f.write(struct.pack("<IIII", 1000, i % 1000000, len(frame), len(frame)))
        f.write(frame)
PY
}
gen 1000 "$TMPC/small.pcap"
gen 101000 "$TMPC/big.pcap"
rss() { # PCAP -> peak RSS in KiB
    /usr/bin/time -f "%M" "$SPURUN" -r "$1" -w 1 -k none -o "$TMPC/m.json" --no-progress \
        2>&1 >/dev/null | tail -n 1
    rm -f "$TMPC/m.json"
}
small=$(rss "$TMPC/small.pcap")
big=$(rss "$TMPC/big.pcap")
per=$(( (big - small) * 1024 / 100000 ))
if [ "$per" -lt 512 ]; then
    echo "ok flow-memory: $per bytes of peak RSS per idle TCP flow (${small} KiB -> ${big} KiB for 100,000 more flows)"
else
    echo "FAIL flow-memory: $per bytes per idle TCP flow (${small} KiB -> ${big} KiB)"
fi

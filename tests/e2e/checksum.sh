#!/bin/sh
# --checksum: a capture of 1,500 TCP packets whose checksums were left to
# offloading (all wrong). auto validates the first 1,000 (counted in
# tcp.invalid_checksum, those packets skip TCP tracking), then turns
# validation off as Suricata does; yes keeps validating; no never does.
. "$E2E/lib.inc"
"$PY" - "$TMPC/offload.pcap" <<'PY'
import struct, sys
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(1500):
        ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, i, 0x4000, 64, 6, 0,
                                   bytes([10, 0, (i >> 8) & 255, i & 255]), bytes([10, 9, 9, 9])))
        ip[10:12] = struct.pack("!H", csum(bytes(ip)))
        tcp = struct.pack("!HHIIBBHHH", 2000, 80, 1, 0, 0x50, 0x02, 1024, 0xbad, 0)
        fr = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + bytes(ip) + tcp
        f.write(struct.pack("<IIII", 1000, i, len(fr), len(fr)))
        f.write(fr)
PY
for mode in auto yes no; do
    "$SPURUN" -r "$TMPC/offload.pcap" --checksum $mode -w 2 -o "$TMPC/$mode.json" --no-progress 2>/dev/null
    eval "bad_$mode=\$(stat \"\$TMPC/$mode.json\" stats.tcp.invalid_checksum)"
    eval "on_$mode=\$(stat \"\$TMPC/$mode.json\" spu.checksum_validation)"
    eval "ses_$mode=\$(stat \"\$TMPC/$mode.json\" stats.tcp.sessions)"
done
if [ "$bad_auto" = 1000 ] && [ "$on_auto" = False ] && [ "$ses_auto" = 500 ] &&
   [ "$bad_yes" = 1500 ] && [ "$on_yes" = True ] && [ "$ses_yes" = 0 ] &&
   [ "$bad_no" = 0 ] && [ "$ses_no" = 1500 ]; then
    echo "ok checksum: auto validated 1000 packets then stopped; yes and no as asked"
else
    echo "FAIL checksum: auto bad=$bad_auto on=$on_auto sessions=$ses_auto;" \
         "yes bad=$bad_yes sessions=$ses_yes; no bad=$bad_no sessions=$ses_no"
fi

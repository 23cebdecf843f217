#!/bin/sh
# IP fragments through the dispatcher: a TCP connection whose request is
# sent as IPv4 fragments (out of order) and a UDP datagram sent as IPv6
# fragments. With 1, 2 and 3 workers the reassembled datagrams must reach
# the worker owning their flow: one flow event per connection, the same
# events for every worker count, reassembly counted, request bytes delivered.
. "$E2E/lib.inc"
"$PY" - "$TMPC/frag.pcap" <<'PY'
import struct, sys
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
C, S = bytes([10, 1, 1, 1]), bytes([10, 2, 2, 2])
def ip4(src, dst, proto, payload, ident, mf, off):
    h = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident,
                              (0x2000 if mf else 0) | (off // 8), 64, proto, 0, src, dst))
    h[10:12] = struct.pack("!H", csum(bytes(h)))
    return bytes(h) + payload
def tcp(src, dst, sp, dp, seq, ack, flags, data=b""):
    h = struct.pack("!HHIIBBHHH", sp, dp, seq, ack, 0x50, flags, 65535, 0, 0)
    ph = src + dst + struct.pack("!BBH", 0, 6, len(h) + len(data))
    c = csum(ph + h + data)
    return h[:16] + struct.pack("!H", c) + h[18:] + data
eth4 = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00"
eth6 = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x86\xdd"
frames = []
frames.append(eth4 + ip4(C, S, 6, tcp(C, S, 40000, 80, 100, 0, 0x02), 1, 0, 0))
frames.append(eth4 + ip4(S, C, 6, tcp(S, C, 80, 40000, 900, 101, 0x12), 2, 0, 0))
frames.append(eth4 + ip4(C, S, 6, tcp(C, S, 40000, 80, 101, 901, 0x10), 3, 0, 0))
req = b"GET /fragmented HTTP/1.1\r\nHost: example\r\n" + b"X-Pad: " + b"p" * 200 + b"\r\n\r\n"
seg = tcp(C, S, 40000, 80, 101, 901, 0x18, req)
cut = 64
frames.append(eth4 + ip4(C, S, 6, seg[cut:], 4, 0, cut))   # the tail first
frames.append(eth4 + ip4(C, S, 6, seg[:cut], 4, 1, 0))
frames.append(eth4 + ip4(S, C, 6, tcp(S, C, 80, 40000, 901, 101 + len(req), 0x11), 5, 0, 0))
frames.append(eth4 + ip4(C, S, 6, tcp(C, S, 40000, 80, 101 + len(req), 902, 0x11), 6, 0, 0))
frames.append(eth4 + ip4(S, C, 6, tcp(S, C, 80, 40000, 902, 102 + len(req), 0x10), 7, 0, 0))
# IPv6 UDP 2001:db8::1:5353 -> 2001:db8::2:53, 300 bytes in two fragments
A6 = bytes.fromhex("20010db8000000000000000000000001")
B6 = bytes.fromhex("20010db8000000000000000000000002")
data = bytes(range(256)) + bytes(44)
udp = struct.pack("!HHHH", 5353, 53, 8 + len(data), 0)
uc = csum(A6 + B6 + struct.pack("!IxxxB", 8 + len(udp) - 8 + len(data), 17) + udp + data)
udp = udp[:6] + struct.pack("!H", uc) + data
for off, more in ((0, 1), (160, 0)):
    part = udp[off:off + 160] if more else udp[off:]
    fh = struct.pack("!BBHI", 17, 0, (off // 8) << 3 | more, 0xabcd)
    ip6 = struct.pack("!IHBB16s16s", 6 << 28, len(fh) + len(part), 44, 64, A6, B6)
    frames.append(eth6 + ip6 + fh + part)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, fr in enumerate(frames):
        f.write(struct.pack("<IIII", 1000, i * 1000, len(fr), len(fr)))
        f.write(fr)
PY
for w in 1 2 3; do
    "$SPURUN" -r "$TMPC/frag.pcap" -w $w -o "$TMPC/w$w.json" --no-progress 2>/dev/null
    flows "$TMPC/w$w.json" > "$TMPC/w$w.flows"
done
# --split-read: every worker reassembles every datagram and keeps its own;
# the counters are those of one reader, not one per worker
"$SPURUN" -r "$TMPC/frag.pcap" -w 3 --split-read -o "$TMPC/s3.json" --no-progress 2>/dev/null
flows "$TMPC/s3.json" > "$TMPC/s3.flows"
s4=$(stat "$TMPC/s3.json" stats.defrag.ipv4.reassembled)
s6=$(stat "$TMPC/s3.json" stats.defrag.ipv6.reassembled)
if [ -s "$TMPC/s3.flows" ] && cmp -s "$TMPC/w1.flows" "$TMPC/s3.flows" && [ "$s4" = 1 ] &&
   [ "$s6" = 1 ]; then
    echo "ok fragments split-read: the same flows with 3 workers each reading the file, each datagram counted once"
else
    echo "FAIL fragments split-read: v4=$s4 v6=$s6"
    diff "$TMPC/w1.flows" "$TMPC/s3.flows" | head -4
fi
n=$(wc -l < "$TMPC/w1.flows")
v4=$(stat "$TMPC/w3.json" stats.defrag.ipv4.reassembled)
v6=$(stat "$TMPC/w3.json" stats.defrag.ipv6.reassembled)
inplace=$(stat "$TMPC/w3.json" spu.stream.bytes_in_place)
state=$("$PY" -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("event_type") == "flow" and e["proto"] == "TCP":
        print(e["tcp"]["state"], e["flow"]["pkts_toserver"])
' "$TMPC/w3.json")
if [ "$n" -eq 2 ] && cmp -s "$TMPC/w1.flows" "$TMPC/w2.flows" &&
   cmp -s "$TMPC/w1.flows" "$TMPC/w3.flows" && [ "$v4" = 1 ] && [ "$v6" = 1 ] &&
   [ "$inplace" -gt 240 ] && [ "$state" = "closed 4" ]; then
    echo "ok fragments: both datagrams reassembled and tracked on their flow's worker (1-3 workers); TCP $state, $inplace stream bytes delivered"
else
    echo "FAIL fragments: flows=$n v4=$v4 v6=$v6 in_place=$inplace tcp='$state'"
    diff "$TMPC/w1.flows" "$TMPC/w3.flows" | head -4
fi

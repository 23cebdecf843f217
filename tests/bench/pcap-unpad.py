#!/usr/bin/env python3
"""pcap-unpad.py IN OUT - copy a classic Ethernet pcap without the padding of
short frames: each IPv4/IPv6 frame (VLAN tags allowed) is cut to its IP
packet's length, so the minimum-frame padding (a bare ACK is 54 bytes, sent
as 60) is dropped. replicate.sh runs it before tcprewrite: tcprewrite 4.4.3,
rewriting addresses, sets the IP total length to the frame's length, which
made the 6 padding bytes of every short frame 6 bytes of TCP payload (a
stream of junk in every HTTP and SMTP connection: "220 10", "HELO 1").
Another format (pcapng, another link type) is copied unchanged."""
import shutil
import struct
import sys


def ip_end(frame):
    """Offset where the IP packet of an Ethernet frame ends, or None."""
    off, etype = 12, None
    while off + 2 <= len(frame):
        etype = struct.unpack(">H", frame[off:off + 2])[0]
        if etype in (0x8100, 0x88A8):
            off += 4
            continue
        break
    ip = off + 2
    if etype == 0x0800 and len(frame) >= ip + 20 and frame[ip] >> 4 == 4:
        return ip + struct.unpack(">H", frame[ip + 2:ip + 4])[0]
    if etype == 0x86DD and len(frame) >= ip + 40 and frame[ip] >> 4 == 6:
        plen = struct.unpack(">H", frame[ip + 4:ip + 6])[0]
        return ip + 40 + plen if plen else None  # 0: a jumbogram, left alone
    return None


def main():
    src, dst = sys.argv[1], sys.argv[2]
    data = open(src, "rb").read()
    magic = data[:4]
    endian = {b"\xd4\xc3\xb2\xa1": "<", b"\x4d\x3c\xb2\xa1": "<",
              b"\xa1\xb2\xc3\xd4": ">", b"\xa1\xb2\x3c\x4d": ">"}.get(magic)
    if endian is None or len(data) < 24 or struct.unpack(endian + "I", data[20:24])[0] != 1:
        shutil.copyfile(src, dst)
        return
    out = [data[:24]]
    off = 24
    while off + 16 <= len(data):
        ts, frac, caplen, wirelen = struct.unpack(endian + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        end = ip_end(frame)
        if end is not None and end < len(frame) and caplen == wirelen:
            frame = frame[:end]
            caplen = wirelen = end
        out.append(struct.pack(endian + "IIII", ts, frac, caplen, wirelen))
        out.append(frame)
    with open(dst, "wb") as f:
        f.write(b"".join(out))


main()

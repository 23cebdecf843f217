"""Packets and classic pcap files for the e2e generators (detect-gen.py,
ops-gen.py, spam-gen.py): Ethernet, IPv4 and TCP with valid checksums,
microsecond timestamps."""
import struct

SYN, FIN, RST, PSH, ACK = 0x02, 0x01, 0x04, 0x08, 0x10
# destination MAC, source MAC, EtherType IPv4
ETH = b"\x00\x11\x22\x33\x44\x55" + b"\x66\x77\x88\x99\xaa\xbb" + b"\x08\x00"
BASE = 1796000000  # 2026-11-29, seconds: the time the generated captures start at


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def tcp_packet(src, dst, sport, dport, flags, seq=1000, ack=0, payload=b"", eth=ETH):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, ip4(src), ip4(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return eth + hdr + tcp


def connection(c, s, sport, t, req, rsp, step=1, eth=ETH):
    """Handshake, one request to port 80, one reply, FIN both ways: eight
    (time, packet) pairs from t, step apart."""
    sc, ss = 1000, 5000
    seg = [
        (c, s, SYN, sc, 0, b""),
        (s, c, SYN | ACK, ss, sc + 1, b""),
        (c, s, ACK, sc + 1, ss + 1, b""),
        (c, s, PSH | ACK, sc + 1, ss + 1, req),
        (s, c, PSH | ACK, ss + 1, sc + 1 + len(req), rsp),
        (c, s, FIN | ACK, sc + 1 + len(req), ss + 1 + len(rsp), b""),
        (s, c, FIN | ACK, ss + 1 + len(rsp), sc + 2 + len(req), b""),
        (c, s, ACK, sc + 2 + len(req), ss + 2 + len(rsp), b""),
    ]
    out = []
    for i, (a, b, flags, seq, ack, data) in enumerate(seg):
        sp, dp = (sport, 80) if a == c else (80, sport)
        out.append((t + i * step, tcp_packet(a, b, sp, dp, flags, seq, ack, data, eth)))
    return out


def write_records(path, recs):
    """A classic pcap (Ethernet, snaplen 65535) of (seconds, microseconds, packet)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for sec, usec, data in recs:
            f.write(struct.pack("<IIII", sec, usec, len(data), len(data)) + data)


def write(path, pkts, base=BASE):
    """A classic pcap of (microseconds after base, packet) pairs."""
    write_records(path, ((base + us // 1000000, us % 1000000, data) for us, data in pkts))

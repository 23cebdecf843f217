#!/usr/bin/env python3
"""Write small classic pcaps for the rule engine's e2e tests (Ethernet,
IPv4, TCP, valid checksums). Usage: detect-gen.py KIND OUT.pcap
  scan     one source sends SYNs to 30 ports of one server (20..49, telnet
           among them), nobody answers; plus one SYN+FIN probe; plus a
           complete, answered connection from another client to port 80
  normal   only complete, answered connections from 8 clients to port 80
"""
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def tcp_packet(src, dst, sport, dport, flags, seq=1000, ack=0, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    c = csum(pseudo + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, ip4(src), ip4(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    eth = b"\x00\x11\x22\x33\x44\x55" + b"\x66\x77\x88\x99\xaa\xbb" + b"\x08\x00"
    return eth + hdr + tcp


SYN, FIN, ACK, PSH = 0x02, 0x01, 0x10, 0x08


def connection(c, s, sport, t):
    """A complete exchange: handshake, one request, one reply, FIN both ways."""
    req = b"GET / HTTP/1.1\r\nHost: example\r\n\r\n"
    rsp = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
    seq_c, seq_s = 1000, 5000
    out = [
        (t, tcp_packet(c, s, sport, 80, SYN, seq_c)),
        (t + 1, tcp_packet(s, c, 80, sport, SYN | ACK, seq_s, seq_c + 1)),
        (t + 2, tcp_packet(c, s, sport, 80, ACK, seq_c + 1, seq_s + 1)),
        (t + 3, tcp_packet(c, s, sport, 80, PSH | ACK, seq_c + 1, seq_s + 1, req)),
        (t + 4, tcp_packet(s, c, 80, sport, PSH | ACK, seq_s + 1, seq_c + 1 + len(req), rsp)),
        (t + 5, tcp_packet(c, s, sport, 80, FIN | ACK, seq_c + 1 + len(req), seq_s + 1 + len(rsp))),
        (t + 6, tcp_packet(s, c, 80, sport, FIN | ACK, seq_s + 1 + len(rsp), seq_c + 2 + len(req))),
        (t + 7, tcp_packet(c, s, sport, 80, ACK, seq_c + 2 + len(req), seq_s + 2 + len(rsp))),
    ]
    return out


def main():
    kind, path = sys.argv[1], sys.argv[2]
    pkts = []
    t = 0
    if kind == "scan":
        for port in range(20, 50):
            pkts.append((t, tcp_packet("192.0.2.66", "198.51.100.10", 40000 + port, port, SYN)))
            t += 1
        pkts.append((t, tcp_packet("192.0.2.67", "198.51.100.10", 41000, 80, SYN | FIN)))
        t += 1
        pkts += connection("192.0.2.10", "198.51.100.10", 50000, t)
    elif kind == "normal":
        for i in range(8):
            pkts += connection("192.0.2.%d" % (100 + i), "198.51.100.10", 50000 + i, t)
            t += 10
    else:
        sys.exit("unknown kind " + kind)
    base = 1796000000  # 2026-11-29, seconds
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for ms, data in pkts:
            f.write(struct.pack("<IIII", base + ms // 1000, (ms % 1000) * 1000, len(data), len(data)))
            f.write(data)


main()

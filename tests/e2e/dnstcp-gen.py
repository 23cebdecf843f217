"""A capture of DNS over TCP with several queries in flight on one
connection, answered out of order (RFC 7766 6.2.1.1 allows it): the client
sends three queries (ids 0x1001, 0x1002, 0x1003, names a/b/c.spu.test) in
one segment, the server answers c, a, b, each in its own segment, then an
answer with an id no query used (0x7777, name z.spu.test).
    dnstcp-gen.py OUT.pcap"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapw as P  # noqa: E402


def name(n):
    return b"".join(bytes([len(p)]) + p.encode() for p in n.split(".")) + b"\0"


def query(i, n):
    return struct.pack("!HHHHHH", i, 0x0100, 1, 0, 0, 0) + name(n) + struct.pack("!HH", 1, 1)


def answer(i, n, addr):
    a = struct.pack("!HHHHHH", i, 0x8180, 1, 1, 0, 0) + name(n) + struct.pack("!HH", 1, 1)
    rd = bytes(int(x) for x in addr.split("."))
    return a + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, len(rd)) + rd


def framed(m):
    return struct.pack("!H", len(m)) + m


C, S, SP = "10.78.0.2", "10.78.0.1", 40053
qs = [(0x1001, "a.spu.test", "192.0.2.1"), (0x1002, "b.spu.test", "192.0.2.2"),
      (0x1003, "c.spu.test", "192.0.2.3")]
req = b"".join(framed(query(i, n)) for i, n, _ in qs)
rsps = [framed(answer(i, n, a)) for i, n, a in (qs[2], qs[0], qs[1])]
rsps.append(framed(answer(0x7777, "z.spu.test", "192.0.2.9")))
sc, ss = 1000, 5000
pk = [P.tcp_packet(C, S, SP, 53, P.SYN, sc, 0),
      P.tcp_packet(S, C, 53, SP, P.SYN | P.ACK, ss, sc + 1),
      P.tcp_packet(C, S, SP, 53, P.ACK, sc + 1, ss + 1),
      P.tcp_packet(C, S, SP, 53, P.ACK | P.PSH, sc + 1, ss + 1, req)]
sc += 1 + len(req)
ss += 1
for r in rsps:
    pk.append(P.tcp_packet(S, C, 53, SP, P.ACK | P.PSH, ss, sc, r))
    ss += len(r)
pk += [P.tcp_packet(C, S, SP, 53, P.ACK | P.FIN, sc, ss),
       P.tcp_packet(S, C, 53, SP, P.ACK | P.FIN, ss, sc + 1),
       P.tcp_packet(C, S, SP, 53, P.ACK, sc + 1, ss + 1)]
P.write(sys.argv[1], [(k * 1000, p) for k, p in enumerate(pk)])

#!/usr/bin/env python3
"""Write classic pcaps for the operations e2e tests (Ethernet, IPv4, TCP,
valid checksums). Usage: ops-gen.py KIND OUT.pcap [N]
  slow   a port scan paced over about 4 s: one source sends SYNs to ports
         20..49 of one server 100 ms apart (rules/runtime.spr alerts on it),
         then a SYN+FIN probe and a complete connection to port 80
  bulk   N complete connections (default 2000), each with a request and a
         reply of 1000 bytes, 1 ms apart: enough EVE records to rotate
  flood  N connections (default 200000) from distinct sources and ports,
         50 us apart, each left open with one out-of-order data segment held:
         flow and reassembly memory grow until their caps
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcapw import ACK, FIN, PSH, SYN, connection, tcp_packet, write  # noqa: E402

# the MACs these captures have always had
ETH = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"


def tcp(src, dst, sport, dport, flags, seq=1000, ack=0, payload=b""):
    return tcp_packet(src, dst, sport, dport, flags, seq, ack, payload, ETH)


def main():
    kind, path = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else None
    req = b"GET / HTTP/1.1\r\nHost: example\r\n\r\n"
    pkts = []
    t = 0
    if kind == "slow":
        for port in range(20, 50):
            pkts.append((t, tcp("192.0.2.66", "198.51.100.10", 40000 + port, port, SYN)))
            t += 100000
        pkts.append((t, tcp("192.0.2.67", "198.51.100.10", 41000, 80, SYN | FIN)))
        t += 100000
        pkts += connection("192.0.2.10", "198.51.100.10", 50000, t, req,
                           b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 100000, ETH)
    elif kind == "bulk":
        body = b"x" * 1000
        rsp = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + body
        for i in range(n or 2000):
            c = "10.%d.%d.%d" % (1 + i // 65536, (i // 256) % 256, i % 256)
            pkts += connection(c, "198.51.100.10", 1024 + i % 60000, t, req, rsp, 1, ETH)
            t += 1000
    elif kind == "flood":
        data = b"y" * 1200
        for i in range(n or 200000):
            c = "10.%d.%d.%d" % (1 + i // 65536, (i // 256) % 256, i % 256)
            sport = 1024 + i % 60000
            pkts.append((t, tcp(c, "198.51.100.10", sport, 80, SYN, 1000)))
            pkts.append((t + 1, tcp("198.51.100.10", c, 80, sport, SYN | ACK, 5000, 1001)))
            pkts.append((t + 2, tcp(c, "198.51.100.10", sport, 80, ACK, 1001, 5001)))
            # a hole at 1001: this segment is held out of order
            pkts.append((t + 3, tcp(c, "198.51.100.10", sport, 80, PSH | ACK, 3001, 5001, data)))
            t += 50
    else:
        sys.exit("unknown kind " + kind)
    write(path, pkts)


main()

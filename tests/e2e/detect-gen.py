#!/usr/bin/env python3
"""Write small classic pcaps for the rule engine's e2e tests (Ethernet,
IPv4, TCP, valid checksums). Usage: detect-gen.py KIND OUT.pcap
  scan     one source sends SYNs to 30 ports of one server (20..49, telnet
           among them), nobody answers; plus one SYN+FIN probe; plus a
           complete, answered connection from another client to port 80
  normal   only complete, answered connections from 8 clients to port 80
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcapw import FIN, SYN, connection, tcp_packet, write  # noqa: E402

REQ = b"GET / HTTP/1.1\r\nHost: example\r\n\r\n"
RSP = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
MS = 1000  # the captures' clock runs in milliseconds


def main():
    kind, path = sys.argv[1], sys.argv[2]
    pkts = []
    t = 0
    if kind == "scan":
        for port in range(20, 50):
            pkts.append((t * MS, tcp_packet("192.0.2.66", "198.51.100.10", 40000 + port, port, SYN)))
            t += 1
        pkts.append((t * MS, tcp_packet("192.0.2.67", "198.51.100.10", 41000, 80, SYN | FIN)))
        t += 1
        pkts += connection("192.0.2.10", "198.51.100.10", 50000, t * MS, REQ, RSP, MS)
    elif kind == "normal":
        for i in range(8):
            pkts += connection("192.0.2.%d" % (100 + i), "198.51.100.10", 50000 + i, t * MS,
                               REQ, RSP, MS)
            t += 10
    else:
        sys.exit("unknown kind " + kind)
    write(path, pkts)


main()

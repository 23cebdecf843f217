#!/usr/bin/env python3
"""Write classic pcaps for the operations e2e tests (Ethernet, IPv4, TCP,
valid checksums). Usage: ops-gen.py KIND OUT.pcap [N]
  slow   a port scan paced over about 4 s: one source sends SYNs to ports
         20..49 of one server 100 ms apart (rules/runtime.spr alerts on it),
         then a SYN+FIN probe and a complete connection to port 80
  bulk   N complete connections (default 2000), each with a request and a
         reply of 1000 bytes, 1 ms apart: enough EVE records to rotate
  flood  N connections (default 200000) from distinct sources and ports,
         50 us apart, each left open with one out-of-order data segment held
         and, in order before it, the start of an HTTP upload (headers and
         1000 bytes of a 100000-byte body) that the grammar holds: flow,
         reassembly, grammar-buffer and (with a session keyed by the source)
         meta-session memory grow until their caps
  keepalive  one keep-alive HTTP connection carrying N request/response
         pairs (default 40) 100 ms apart, and beside it a new one-request
         connection every 100 ms (N of them); with a 4th argument P, in P
         phases of N/P pairs each with 5 s of silence between two phases (a
         test acts on the running spurun in the silence)
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
    phases = int(sys.argv[4]) if len(sys.argv) > 4 else 1
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
        upload = (b"POST /upload HTTP/1.1\r\nHost: flood\r\nContent-Length: 100000\r\n\r\n"
                  + b"z" * 1000)
        for i in range(n or 200000):
            c = "10.%d.%d.%d" % (1 + i // 65536, (i // 256) % 256, i % 256)
            sport = 1024 + i % 60000
            pkts.append((t, tcp(c, "198.51.100.10", sport, 80, SYN, 1000)))
            pkts.append((t + 1, tcp("198.51.100.10", c, 80, sport, SYN | ACK, 5000, 1001)))
            pkts.append((t + 2, tcp(c, "198.51.100.10", sport, 80, ACK, 1001, 5001)))
            pkts.append((t + 3, tcp(c, "198.51.100.10", sport, 80, PSH | ACK, 1001, 5001, upload)))
            # a hole after the upload's start: this segment is held out of order
            pkts.append((t + 4, tcp(c, "198.51.100.10", sport, 80, PSH | ACK, 3001, 5001, data)))
            t += 50
    elif kind == "keepalive":
        c, srv, sport = "192.0.2.20", "198.51.100.10", 45000
        sc, ss = 1000, 5000
        pkts += [(0, tcp(c, srv, sport, 80, SYN, sc)),
                 (1, tcp(srv, c, 80, sport, SYN | ACK, ss, sc + 1)),
                 (2, tcp(c, srv, sport, 80, ACK, sc + 1, ss + 1))]
        sc += 1
        ss += 1
        t = 100000
        for i in range(n or 40):
            q = b"GET /ka/%d HTTP/1.1\r\nHost: example\r\n\r\n" % i
            r = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
            pkts.append((t, tcp(c, srv, sport, 80, PSH | ACK, sc, ss, q)))
            sc += len(q)
            pkts.append((t + 10000, tcp(srv, c, 80, sport, PSH | ACK, ss, sc, r)))
            ss += len(r)
            q2 = b"GET /new/%d HTTP/1.1\r\nHost: example\r\n\r\n" % i
            pkts += connection("192.0.2.%d" % (100 + i % 100), srv, 30000 + i, t + 50000, q2, r,
                               100, ETH)
            t += 100000
            if (i + 1) % ((n or 40) // phases) == 0 and i + 1 < (n or 40):
                t += 5000000
        pkts += [(t, tcp(c, srv, sport, 80, FIN | ACK, sc, ss)),
                 (t + 1, tcp(srv, c, 80, sport, FIN | ACK, ss, sc + 1)),
                 (t + 2, tcp(c, srv, sport, 80, ACK, sc + 1, ss + 1))]
        pkts.sort(key=lambda p: p[0])
    else:
        sys.exit("unknown kind " + kind)
    write(path, pkts)


main()

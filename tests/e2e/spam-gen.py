#!/usr/bin/env python3
"""Write the SYN captures of the spam-source e2e test (classic pcap,
Ethernet, IPv4, TCP SYNs with valid checksums, nobody answers).

Usage: spam-gen.py OUT.pcap SENSOR NSENSORS START DURATION SERVER SRC:RATE...
  Every source SRC opens RATE connections per second (all sensors together)
  to SERVER on port 25 (one in 10 on 587, one in 10 on 465) for DURATION
  seconds from START (epoch seconds, may be fractional); its i-th
  connection is seen by sensor i % NSENSORS, so each sensor sees RATE /
  NSENSORS per second. This file holds sensor SENSOR's share.
  With SPAM_GEN_PILOT=T in the environment the file starts with one SYN
  from 192.0.2.254 to port 80 (never counted) at time T, so that a replay
  with --realtime started at T keeps packet time close to the wall clock.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcapw import SYN, tcp_packet, write_records  # noqa: E402


def syn(src, dst, sport, dport):
    return tcp_packet(src, dst, sport, dport, SYN)


def main():
    out, sensor, nsensors = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    start, duration, server = float(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
    pkts = []
    for n, spec in enumerate(sys.argv[7:]):
        src, rate = spec.split(":")
        rate = float(rate)
        total = int(rate * duration)
        for i in range(total):
            if i % nsensors != sensor:
                continue
            port = 587 if i % 10 == 3 else 465 if i % 10 == 7 else 25
            sport = 1024 + (i * 7 + n * 1000) % 60000
            pkts.append((start + i / rate, syn(src, server, sport, port)))
    if os.environ.get("SPAM_GEN_PILOT"):
        pkts.append((float(os.environ["SPAM_GEN_PILOT"]), syn("192.0.2.254", server, 1023, 80)))
    pkts.sort(key=lambda p: p[0])
    recs = []
    for t, data in pkts:
        sec = int(t)
        usec = int(round((t - sec) * 1e6))
        if usec >= 1000000:
            sec, usec = sec + 1, usec - 1000000
        recs.append((sec, usec, data))
    write_records(out, recs)


main()

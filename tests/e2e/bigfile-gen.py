#!/usr/bin/env python3
"""Write the capture of the big-file e2e test and the files it carries.

Usage: bigfile-gen.py OUT.pcap DIR
  One TCP connection to port 80 with three transactions, each a GET
  answered with a file larger than the 1 MB body limit, sent in
  1448-byte segments: DIR/big.bin (3 MiB, Content-Length), DIR/chunk.bin
  (2.5 MiB, chunked in 64 KiB chunks) and DIR/page.txt (1.5 MiB of text,
  gzip-encoded: its fileinfo is of the decoded text). Then uploads, each
  answered 200 with a small body: a multipart/form-data POST with a form
  field and the file DIR/up.bin (1.25 MiB), a PUT of DIR/put.bin (1.1
  MiB, chunked) to /put/put.bin, and a plain POST of bytes (no file, as
  Suricata has it). The bytes are a deterministic pseudo-random stream, so the
  files and the capture are the same on every run.
"""
import gzip
import hashlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcapw import ACK, FIN, PSH, SYN, tcp_packet, write  # noqa: E402

C, S, SPORT = "10.1.0.1", "10.1.0.2", 40123
MSS = 1448
BOUNDARY = b"----spu-upload-7d1f"
OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n"


def stream(seed, n):
    out = bytearray()
    h = seed.encode()
    while len(out) < n:
        h = hashlib.sha256(h).digest()
        out += h
    return bytes(out[:n])


def chunked(body, size):
    out = bytearray()
    for i in range(0, len(body), size):
        part = body[i:i + size]
        out += b"%x\r\n" % len(part) + part + b"\r\n"
    return bytes(out + b"0\r\n\r\n")


def main():
    out, d = sys.argv[1], sys.argv[2]
    big = stream("big", 3 << 20)
    chk = stream("chunk", (5 << 20) // 2)
    text = b"".join(b"line %07d of a text file served gzip-encoded\n" % i for i in range(33000))
    up = stream("up", (5 << 20) // 4)
    put = stream("put", (11 << 20) // 10)
    for name, data in (("big.bin", big), ("chunk.bin", chk), ("page.txt", text), ("up.bin", up),
                       ("put.bin", put)):
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    gz = gzip.compress(text, mtime=0)
    form = (b"--" + BOUNDARY + b"\r\n"
            b'Content-Disposition: form-data; name="comment"\r\n\r\n'
            b"a file follows\r\n"
            b"--" + BOUNDARY + b"\r\n"
            b'Content-Disposition: form-data; name="file"; filename="up.bin"\r\n'
            b"Content-Type: application/octet-stream\r\n\r\n" + up + b"\r\n"
            b"--" + BOUNDARY + b"--\r\n")
    host = b"Host: files.example\r\n"
    ex = [
        (b"GET /big.bin HTTP/1.1\r\n" + host + b"\r\n",
         b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n"
         % len(big) + big),
        (b"GET /chunk.bin HTTP/1.1\r\n" + host + b"\r\n",
         b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n" + chunked(chk, 65536)),
        (b"GET /page.txt HTTP/1.1\r\n" + host + b"\r\n",
         b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Encoding: gzip\r\n"
         b"Content-Length: %d\r\n\r\n" % len(gz) + gz),
        (b"POST /form HTTP/1.1\r\n" + host +
         b"Content-Type: multipart/form-data; boundary=%s\r\nContent-Length: %d\r\n\r\n"
         % (BOUNDARY, len(form)) + form, OK),
        (b"PUT /put/put.bin HTTP/1.1\r\n" + host + b"Transfer-Encoding: chunked\r\n\r\n" +
         chunked(put, 100000), OK),
        (b"POST /raw HTTP/1.1\r\n" + host +
         b"Content-Type: application/octet-stream\r\nContent-Length: 5000\r\n\r\n" + up[:5000],
         OK),
    ]
    pkts, t = [], 0
    cs, ss = 1000, 5000

    def send(a, b, flags, seq, ack, data=b""):
        nonlocal t
        sp, dp = (SPORT, 80) if a == C else (80, SPORT)
        pkts.append((t, tcp_packet(a, b, sp, dp, flags, seq, ack, data)))
        t += 100

    send(C, S, SYN, cs, 0)
    send(S, C, SYN | ACK, ss, cs + 1)
    cs += 1
    ss += 1
    send(C, S, ACK, cs, ss)
    for req, rsp in ex:
        for i in range(0, len(req), MSS):
            send(C, S, PSH | ACK, cs, ss, req[i:i + MSS])
            cs += len(req[i:i + MSS])
        send(S, C, ACK, ss, cs)
        for i in range(0, len(rsp), MSS):
            send(S, C, PSH | ACK, ss, cs, rsp[i:i + MSS])
            ss += len(rsp[i:i + MSS])
        send(C, S, ACK, cs, ss)
    send(C, S, FIN | ACK, cs, ss)
    send(S, C, FIN | ACK, ss, cs + 1)
    send(C, S, ACK, cs + 1, ss + 1)
    write(out, pkts)


if __name__ == "__main__":
    main()

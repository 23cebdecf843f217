#!/usr/bin/python3
"""Compare the HTTP transactions Wireshark reads from each capture
(tshark-http.json beside input.pcap) with spu's EVE http records.

Usage: tshark-compare.py CORPUS_DIR RESULTS_DIR

For every test with a tshark-http.json, tshark's requests are taken per
TCP connection (src, dst) in frame order and matched, in order, to spu's
http records of the same connection (tx_id order): a tshark request
matches the next unmatched record with the same method and uri, or, when
none has them, the next unmatched record. A matched transaction agrees
when method, uri, host, user agent and status are equal. Values are
compared raw; the host is the Host header as sent, which spu writes
under spu.http_host (EVE's `hostname` is the normalised host of
Suricata's schema: from the URI when it is absolute, lowercased, without
the port). One normalisation: addresses are compared as addresses (EVE
writes IPv6 uncompressed as Suricata does, tshark compressed).
tshark's status is null when it linked no response; then any status agrees. A field tshark reports
more than once (a list) agrees when spu's value is one of them.

Tests whose command line carries a BPF filter are left out: tshark read
the whole capture, spurun only what the filter passes (as the test
wants).

Prints one line per disagreement or missing transaction, then
"N agree, M differ, K missing of T tshark transactions (F tests)".
"""
import sys

from tsharkcmp import conn_key, tests


def as_list(v):
    return v if isinstance(v, list) else [v]


def field_agrees(theirs, ours):
    return ours in as_list(theirs)


def main():
    corpus, results = sys.argv[1], sys.argv[2]
    agree = differ = missing = total = ntests = 0
    for rel, reqs, ours in tests(corpus, results, "tshark-http.json", "http"):
        ntests += 1
        used = {k: [False] * len(v) for k, v in ours.items()}
        for r in reqs:
            total += 1
            key = conn_key(r)
            recs = ours.get(key, [])
            pick = None
            for i, e in enumerate(recs):
                h = e.get("http", {})
                if not used[key][i] and field_agrees(r.get("method"), h.get("http_method")) \
                        and field_agrees(r.get("uri"), h.get("url")):
                    pick = i
                    break
            if pick is None:
                pick = next((i for i in range(len(recs)) if not used[key][i]), None)
            if pick is None:
                missing += 1
                print("MISSING %s frame %s: %s %s" % (rel, r.get("frame"), r.get("method"), r.get("uri")))
                continue
            used[key][pick] = True
            h = recs[pick].get("http", {})
            bad = []
            if not field_agrees(r.get("method"), h.get("http_method")):
                bad.append(("method", r.get("method"), h.get("http_method")))
            if not field_agrees(r.get("uri"), h.get("url")):
                bad.append(("uri", r.get("uri"), h.get("url")))
            raw_host = recs[pick].get("spu", {}).get("http_host")
            if not field_agrees(r.get("host"), raw_host):
                bad.append(("host", r.get("host"), raw_host))
            if not field_agrees(r.get("user_agent"), h.get("http_user_agent")):
                bad.append(("user_agent", r.get("user_agent"), h.get("http_user_agent")))
            st = r.get("status")
            if st is not None and not field_agrees([int(x) for x in as_list(st)], h.get("status")):
                bad.append(("status", st, h.get("status")))
            if bad:
                differ += 1
                print("DIFF %s frame %s: %s" % (rel, r.get("frame"), "; ".join(
                    "%s tshark=%r spu=%r" % b for b in bad)))
            else:
                agree += 1
    print("%d agree, %d differ, %d missing of %d tshark transactions (%d tests)"
          % (agree, differ, missing, total, ntests))


main()

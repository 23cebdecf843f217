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
import ipaddress
import json
import os
import sys


def addr(text):
    # one text per address: EVE writes IPv6 uncompressed (as Suricata
    # does), tshark compressed
    try:
        return ipaddress.ip_address(text).compressed
    except ValueError:
        return text


def split_ep(ep):
    ip, _, port = ep.rpartition(":")
    return addr(ip), int(port)


def as_list(v):
    return v if isinstance(v, list) else [v]


def field_agrees(theirs, ours):
    return ours in as_list(theirs)


def has_bpf(test_dir):
    # the rule of tests/e2e/corpus-args.py: words of the test's args that
    # are neither options nor their values make the BPF expression
    t = json.load(open(os.path.join(test_dir, "test.json")))
    args = t.get("args") or []
    words = []
    for a in (args if isinstance(args, list) else [args]):
        words += str(a).split()
    i = 0
    while i < len(words):
        w = words[i]
        if w in ("-k", "--set", "--runmode", "--data-dir"):
            i += 2
        elif w.startswith("-"):
            i += 1
        else:
            return True
    return False


def load_ours(path):
    flows = {}
    if not os.path.exists(path):
        return flows
    for line in open(path, errors="replace"):
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if e.get("event_type") != "http":
            continue
        key = (addr(e.get("src_ip", "")), e.get("src_port"), addr(e.get("dest_ip", "")),
               e.get("dest_port"))
        flows.setdefault(key, []).append(e)
    for v in flows.values():
        v.sort(key=lambda e: e.get("tx_id", 0))
    return flows


def main():
    corpus, results = sys.argv[1], sys.argv[2]
    agree = differ = missing = total = ntests = 0
    for dirpath, dirs, files in sorted(os.walk(corpus)):
        dirs.sort()
        if "tshark-http.json" not in files or "test.json" not in files:
            continue
        rel = os.path.relpath(dirpath, corpus)
        if has_bpf(dirpath):
            continue
        ntests += 1
        reqs = json.load(open(os.path.join(dirpath, "tshark-http.json")))
        ours = load_ours(os.path.join(results, rel, "eve.json"))
        used = {k: [False] * len(v) for k, v in ours.items()}
        for r in reqs:
            total += 1
            sip, sport = split_ep(r["src"])
            dip, dport = split_ep(r["dst"])
            key = (sip, sport, dip, dport)
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

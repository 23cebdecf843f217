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
compared raw, with one normalisation: EVE's `hostname` is the normalised
host of Suricata's schema (the Host header lowercased, without its port;
spu declares it so in grammars/http.spg), so tshark's raw Host value is
normalised the same way before the comparison. tshark's status is null
when it linked no response; then any status agrees. A field tshark reports
more than once (a list) agrees when spu's value is one of them.

Prints one line per disagreement or missing transaction, then
"N agree, M differ, K missing of T tshark transactions (F tests)".
"""
import json
import os
import sys


def split_ep(ep):
    ip, _, port = ep.rpartition(":")
    return ip, int(port)


def norm_host(h):
    if h is None:
        return None
    h = h.strip().lower()
    if h.startswith("["):
        return h[1:h.index("]")] if "]" in h else h
    if h.count(":") == 1:
        h = h.split(":")[0]
    return h


def as_list(v):
    return v if isinstance(v, list) else [v]


def field_agrees(theirs, ours, norm=None):
    vals = as_list(theirs)
    if norm:
        vals = [norm(v) for v in vals]
    return ours in vals


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
        key = (e.get("src_ip"), e.get("src_port"), e.get("dest_ip"), e.get("dest_port"))
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
            if not field_agrees(r.get("host"), h.get("hostname"), norm_host):
                bad.append(("host", r.get("host"), h.get("hostname")))
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

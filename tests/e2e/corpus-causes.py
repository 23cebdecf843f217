#!/usr/bin/python3
"""Group the failing flow/stats/anomaly checks of a corpus run by cause.

Usage: corpus-causes.py CORPUS_DIR RESULTS_DIR SUMMARY.txt

SUMMARY.txt is `eve-check --types flow,stats,anomaly --summary` output
(not -q). Each failing check is classified by the keys it needs; for a
check that needs something outside the packet path (an app_proto, an alert,
a verdict), the check is matched again without those keys to tell whether
every packet-path field (ips, ports, packets, bytes, times, TCP flags and
states, reason) was right. Prints a Markdown table and the per-test list.
"""
import collections
import json
import os
import re
import sys

OUT_OF_SCOPE = ("app_proto", "flow.alerted", "flow.action", "flow.tx_cnt",
                "flow.exception_policy", "app_proto_tc", "app_proto_orig")


def cause(check):
    m = check.get("filter", {}).get("match", {}) if "filter" in check else {}
    keys = list(m) + list(check.get("stats", {}))
    text = " ".join(keys)
    ev = m.get("event_type")
    if ev == "anomaly" and (m.get("anomaly.event", "").isupper() or "anomaly.app_proto" in m):
        return "app-layer anomaly (raised by protocol parsers: grammar VM)"
    if any(k.startswith(("stats.app_layer", "app_layer", "stats.http", "stats.file_store",
                         "file_store")) for k in keys):
        return "app-layer counters (grammar VM, file extraction)"
    if any(k.startswith(("stats.detect", "stats.ips", "stats.firewall", "firewall", "ips",
                         "stats.exception_policy", "exception_policy", "detect"))
           for k in keys) or "flow.action" in m or "flow.exception_policy[0].target" in m:
        return "detection and verdicts (rule engine, IPS/firewall modes)"
    if "flow.alerted" in m and m.get("flow.alerted") is True:
        return "alerts (rule engine)"
    if "app_proto" in m or "app_proto_tc" in m or "app_proto_orig" in m:
        return "app-layer protocol of the flow (grammar VM characterization)"
    if any(k.startswith(("metadata", "traffic", "ether", "suricata_version")) for k in keys) or \
            m.get("has-key") == "suricata_version":
        return "EVE output options spu does not emulate (metadata, ethernet, version)"
    if "stats.tcp.reassembly_gap" in m:
        return "gap accounting: spu reports the hole left at RST/close as a gap (issue 3)"
    if "vlan[0]" in m:
        return "vlan.use-for-tracking=false (flows keyed without VLAN) not supported"
    return "other: " + text


def get(e, path):
    v = e
    for part in path.split("."):
        mm = re.match(r"^(.*)\[(\d+)\]$", part)
        if mm:
            v = v.get(mm.group(1)) if isinstance(v, dict) else None
            v = v[int(mm.group(2))] if isinstance(v, list) and len(v) > int(mm.group(2)) else None
        else:
            v = v.get(part) if isinstance(v, dict) else None
    return v


def packet_path_ok(check, eve_path):
    """Does the check pass once keys outside the packet path are dropped?"""
    f = check.get("filter")
    if not f or not os.path.exists(eve_path):
        return None
    m = {k: v for k, v in f["match"].items()
         if not k.startswith(OUT_OF_SCOPE) and k not in ("has-key", "not-has-key")}
    if m.get("event_type") != "flow":
        return None
    n = 0
    for line in open(eve_path):
        e = json.loads(line)
        if all(get(e, k) == v for k, v in m.items()):
            n += 1
    return n == f.get("count")


def main(corpus, results, summary):
    groups = collections.OrderedDict()
    test = None
    for line in open(summary):
        mt = re.match(r"^(PASS|FAIL|SKIP) (\S+): ", line)
        if mt:
            test = mt.group(2)
            continue
        mc = re.match(r"^\s+FAIL #(\d+) (\w+):", line)
        if not mc or not test:
            continue
        checks = json.load(open(os.path.join(corpus, test, "test.json")))["checks"]
        check = checks[int(mc.group(1)) - 1]
        c = cause(check)
        ok = packet_path_ok(check, os.path.join(results, test, "eve.json"))
        groups.setdefault(c, []).append((test, int(mc.group(1)), ok))
    print("| cause | failing checks | of which the packet-path fields all match |")
    print("|---|---|---|")
    for c, items in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        rel = [i for i in items if i[2] is not None]
        good = sum(1 for i in rel if i[2])
        print("| %s | %d | %s |" % (c, len(items), "%d of %d flow checks" % (good, len(rel))
                                     if rel else "-"))
    print()
    for c, items in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        print("- **%s**: %s" % (c, ", ".join("%s #%d%s" % (t, n, "" if ok is None else
                                                             (" (packet path ok)" if ok else
                                                              " (packet path differs)"))
                                             for t, n, ok in items)))


if __name__ == "__main__":
    main(*sys.argv[1:4])

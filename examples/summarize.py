#!/usr/bin/env python3
"""Print a short human summary of an EVE JSON file (used by `make demo`)."""
import collections
import json
import sys


def main(path):
    counts = collections.Counter()
    lines = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                ev = json.loads(line)
            except ValueError as e:
                sys.exit("%s:%d: not JSON: %s" % (path, n, e))
            t = ev.get("event_type", "?")
            counts[t] += 1
            conn = "%s:%s -> %s:%s" % (ev.get("src_ip"), ev.get("src_port", ""),
                                       ev.get("dest_ip"), ev.get("dest_port", ""))
            if t == "alert":
                a = ev["alert"]
                lines.append("ALERT  [%s:%s] %s  (%s)" % (a.get("gid", 1), a.get("signature_id"),
                                                         a.get("signature"), conn))
            elif t == "http":
                h = ev["http"]
                lines.append("http   %s %s%s -> %s  ua=%r" % (
                    h.get("http_method"), h.get("hostname", ""), h.get("url", ""),
                    h.get("status", "-"), h.get("http_user_agent")))
            elif t == "smtp":
                s, e = ev.get("smtp", {}), ev.get("email", {})
                lines.append("smtp   helo=%s from=%s to=%s subject=%r attachments=%s" % (
                    s.get("helo"), s.get("mail_from"), ",".join(s.get("rcpt_to", [])),
                    e.get("subject"), ",".join(e.get("attachment", [])) or "-"))
            elif t == "fileinfo":
                fi = ev["fileinfo"]
                lines.append("file   %s %d bytes %s sha256=%s" % (
                    fi.get("filename"), fi.get("size", 0), fi.get("magic", ""),
                    (fi.get("sha256") or "")[:16]))
            elif t == "anomaly":
                a = ev["anomaly"]
                lines.append("anomaly %s %s (%s)" % (a.get("type"), a.get("event"), conn))
            elif t == "flow":
                fl = ev["flow"]
                lines.append("flow   %-4s %-45s app=%-5s pkts %d/%d bytes %d/%d" % (
                    ev.get("proto"), conn, ev.get("app_proto", "-"),
                    fl.get("pkts_toserver", 0), fl.get("pkts_toclient", 0),
                    fl.get("bytes_toserver", 0), fl.get("bytes_toclient", 0)))
    order = {"ALERT": 0, "http ": 1, "smtp ": 2, "file ": 3, "anoma": 4, "flow ": 5}
    for line in sorted(lines, key=lambda s: order.get(s[:5], 9)):
        print("  " + line)
    print("  events: " + ", ".join("%s %d" % kv for kv in sorted(counts.items())))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: summarize.py EVE.json")
    main(sys.argv[1])

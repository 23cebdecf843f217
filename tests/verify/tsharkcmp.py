"""What tshark-compare.py (HTTP) and tshark-smtp-compare.py (SMTP) share:
finding the tests that have Wireshark's reading beside their capture,
loading spu's records per TCP connection, and comparing addresses."""
import ipaddress
import json
import os


def addr(text):
    # one text per address: EVE writes IPv6 uncompressed (as Suricata
    # does), tshark compressed
    try:
        return ipaddress.ip_address(text).compressed
    except ValueError:
        return text


def conn_key(entry):
    """(src ip, src port, dst ip, dst port) of a tshark entry ("ip:port")."""
    key = ()
    for ep in (entry["src"], entry["dst"]):
        ip, _, port = ep.rpartition(":")
        key += (addr(ip), int(port))
    return key


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


def load_ours(path, event_type):
    """spu's records of one event type in an eve.json, per connection key,
    each list in tx_id order."""
    flows = {}
    if not os.path.exists(path):
        return flows
    for line in open(path, errors="replace"):
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if e.get("event_type") != event_type:
            continue
        key = (addr(e.get("src_ip", "")), e.get("src_port"), addr(e.get("dest_ip", "")),
               e.get("dest_port"))
        flows.setdefault(key, []).append(e)
    for v in flows.values():
        v.sort(key=lambda e: e.get("tx_id", 0))
    return flows


def tests(corpus, results, tshark_file, event_type):
    """(test path relative to the corpus, tshark's entries, our records) for
    every test with tshark_file and a test.json, in name order; tests whose
    command line carries a BPF filter are left out (tshark read the whole
    capture, spurun only what the filter passes)."""
    for dirpath, dirs, files in sorted(os.walk(corpus)):
        dirs.sort()
        if tshark_file not in files or "test.json" not in files or has_bpf(dirpath):
            continue
        rel = os.path.relpath(dirpath, corpus)
        entries = json.load(open(os.path.join(dirpath, tshark_file)))
        yield rel, entries, load_ours(os.path.join(results, rel, "eve.json"), event_type)

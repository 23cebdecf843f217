#!/usr/bin/python3
"""Print the spurun options that stand for a suricata-verify test's
command line and config: -k none -> --checksum no; stream.midstream=true
(--set or the test's suricata.yaml) -> --midstream; trailing words that are
not options -> --bpf EXPR; the file hashes Suricata computes there
(outputs' force-hash lists, sha256 for an enabled file-store v2, the
hashes the test's rules match: filemd5/filesha1/filesha256) ->
--force-hash LIST.
Usage: corpus-args.py TEST_DIR          prints the options (shell-quoted)
       corpus-args.py --all CORPUS_DIR  prints "RELDIR<TAB>options" for every
                                        test below CORPUS_DIR (sorted)"""
import json
import os
import re
import shlex
import sys



HASHES = ("md5", "sha1", "sha256")


def file_hashes(d):
    """The hashes Suricata computes for files in test d, in HASHES order."""
    want = set()
    yaml = os.path.join(d, "suricata.yaml")
    if os.path.exists(yaml):
        text = open(yaml, errors="replace").read()
        for m in re.finditer(r"^\s*force-hash:\s*\[([^\]]*)\]", text, re.M):
            want |= {h.strip() for h in m.group(1).split(",")}
        m = re.search(r"^\s*- file-store:\s*\n((?:\s{4,}.*\n)*)", text, re.M)
        if m and re.search(r"^\s*enabled:\s*(yes|true)\b", m.group(1), re.M):
            want.add("sha256")
    for name in os.listdir(d):
        if name.endswith(".rules"):
            rules = open(os.path.join(d, name), errors="replace").read()
            for line in rules.splitlines():
                if line.lstrip().startswith("#"):
                    continue
                for h in HASHES:
                    if re.search(r"\bfile%s\s*:" % h, line):
                        want.add(h)
    return [h for h in HASHES if h in want]


def options(d):
    t = json.load(open(os.path.join(d, "test.json")))
    args = t.get("args") or []
    if isinstance(args, str):
        args = [args]
    words = []
    for a in args:
        words += str(a).split()
    out = []
    bpf = []
    i = 0
    while i < len(words):
        w = words[i]
        if w == "-k" and i + 1 < len(words):
            v = words[i + 1]
            out += ["--checksum", "no" if v == "none" else "yes" if v == "all" else "auto"]
            i += 2
            continue
        if w == "--set" and i + 1 < len(words):
            kv = words[i + 1]
            if re.match(r"stream\.midstream=(true|yes|1)$", kv):
                out.append("--midstream")
            i += 2
            continue
        if w.startswith("-"):
            # options of Suricata with no spu counterpart (and their value)
            if w in ("--runmode", "--data-dir") and i + 1 < len(words) and "=" not in w:
                i += 2
            else:
                i += 1
            continue
        bpf.append(w)
        i += 1
    yaml = os.path.join(d, "suricata.yaml")
    if os.path.exists(yaml):
        text = open(yaml, errors="replace").read()
        if re.search(r"^\s*midstream:\s*(true|yes)\b", text, re.M) and "--midstream" not in out:
            out.append("--midstream")
        if re.search(r"^\s*checksum-validation:\s*no\b", text, re.M) and "--checksum" not in out:
            out += ["--checksum", "no"]
    hashes = file_hashes(d)
    if hashes:
        out += ["--force-hash", ",".join(hashes)]
    if bpf:
        out += ["--bpf", " ".join(bpf)]
    return shlex.join(out)


if sys.argv[1] == "--all":
    root = sys.argv[2]
    rows = []
    for dirpath, dirs, files in os.walk(root):
        if "test.json" in files and os.path.exists(os.path.join(dirpath, "input.pcap")):
            rows.append((os.path.relpath(dirpath, root), options(dirpath)))
    for rel, opts in sorted(rows):
        print("%s\t%s" % (rel, opts))
else:
    print(options(sys.argv[1]))

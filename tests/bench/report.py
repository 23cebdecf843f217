#!/usr/bin/env python3
"""report.py RUN_DIR RESULTS_DIR - turn one harness run into the results table.

Reads what tests/bench/run.sh left in RUN_DIR (scenarios.tsv, runs.tsv, inputs.tsv,
machine) and writes RESULTS_DIR/latest.md, latest.json and, when the rows exist,
latest-workers.png (throughput against workers) and latest-rules.png (against rule
count), drawn by gnuplot. The same files are copied into RUN_DIR.

Per scenario, over its runs: the median wall time (and the spread, max-min over the
median), the median peak RSS. Derived: packets/s, Gbit/s (captured bytes), ns/packet,
the ratio of its packets/s to the baseline's on the same input in the same run, and
memory per flow when the scenario names an idle reference.
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys


def read_tsv(path):
    with open(path) as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def read_kv(path):
    out = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                out[k] = v
    return out


def params_of(text):
    out = {}
    if text != "-":
        for item in text.split(","):
            k, _, v = item.partition("=")
            out[k] = v
    return out


def fmt_si(x, unit=""):
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return "%.2f %s%s" % (x / div, suffix, unit)
    return "%.0f %s" % (x, unit) if unit else "%.0f" % x


def tool_figures(run_dir, name, rep):
    """The figures the measured program printed itself: the key=value pairs of its summary
    lines, 'bare: k=v ...' and 'spurun: k=v ...' (spurun --help documents them), and its
    dispatcher's busy time, CPU time and loop time ('dispatcher busy=S s cpu=S s loop=S s',
    spurun -v; with --split-read the CPU time less own=S s, the CPU time that
    thread spent running its own worker). Numbers only."""
    figs = {}
    for stream in ("out", "err"):
        path = os.path.join(run_dir, name, "%s.%s" % (stream, rep))
        if not os.path.exists(path):
            continue
        with open(path, errors="replace") as f:
            for line in f:
                m = re.match(r"^(bare|spurun): ([a-z_]+=.*)$", line.strip())
                if m:
                    for k, v in re.findall(r"([a-z_]+)=([0-9.]+)s?(?=\s|$)", m.group(2)):
                        figs[k] = float(v)
                m = re.search(r"dispatcher busy=([0-9.]+)s", line)
                if m:
                    figs["dispatch_busy_s"] = float(m.group(1))
                m = re.search(r"dispatcher busy=\S+ cpu=([0-9.]+)s loop=([0-9.]+)s", line)
                if m:
                    figs["dispatch_cpu_s"] = float(m.group(1))
                    figs["dispatch_loop_s"] = float(m.group(2))
                    # --split-read: the loop also ran its own worker (own=S s of it),
                    # which is not the reading's cost
                    w0 = re.search(r" own=([0-9.]+)s", line)
                    if w0:
                        figs["dispatch_cpu_s"] = max(0.0, figs["dispatch_cpu_s"] -
                                                     float(w0.group(1)))
    return figs


def build(run_dir):
    machine = read_kv(os.path.join(run_dir, "machine"))
    inputs = {}
    for name, path, packets, nbytes, flows in read_tsv(os.path.join(run_dir, "inputs.tsv")):
        inputs[name] = {"name": name, "path": path, "packets": int(packets or 0),
                        "bytes": int(nbytes or 0), "flows": int(flows or 0)}
        # application units of the input, when its recipe counted them (dnstls)
        info = read_kv(path + ".info") if os.path.exists(path + ".info") else {}
        for k in ("dns_messages", "tls_handshakes"):
            if info.get(k, "").isdigit():
                inputs[name][k] = int(info[k])
    runs = {}
    for name, rep, m in read_tsv(os.path.join(run_dir, "runs.tsv")):
        kv = dict(item.split("=", 1) for item in m.split())
        kv["tool"] = tool_figures(run_dir, name, rep)
        runs.setdefault(name, []).append(kv)

    rows = []
    for name, area, inp, reps, params, cmd in read_tsv(os.path.join(run_dir, "scenarios.tsv")):
        rs = runs.get(name, [])
        ok = [r for r in rs if r.get("status") == "0"]
        row = {"name": name, "area": area, "input": inp, "params": params_of(params),
               "command": cmd, "runs": len(rs), "ok_runs": len(ok),
               "status": "ok" if rs and len(ok) == len(rs) else "failed"}
        if ok:
            walls = [int(r["wall_ns"]) for r in ok]
            wall = statistics.median(walls)
            row.update({
                "wall_ns_median": wall,
                "wall_ns_all": walls,
                "spread": (max(walls) - min(walls)) / wall if wall else 0.0,
                "user_ns_median": statistics.median(int(r["user_ns"]) for r in ok),
                "sys_ns_median": statistics.median(int(r["sys_ns"]) for r in ok),
                "peak_rss_kb": statistics.median(int(r["maxrss_kb"]) for r in ok),
            })
            tool = {}
            for k in sorted(set().union(*(r["tool"] for r in ok))):
                vals = [r["tool"][k] for r in ok if k in r["tool"]]
                tool[k] = statistics.median(vals)
            row["reported"] = tool
            i = inputs[inp]
            if "packets" in tool and int(tool["packets"]) != i["packets"]:
                row["warning"] = "read %d packets of %d" % (tool["packets"], i["packets"])
            if "dispatch_busy_s" in tool and i["packets"]:
                row["dispatch_ns_per_packet"] = tool["dispatch_busy_s"] * 1e9 / i["packets"]
                row["dispatch_share"] = tool["dispatch_busy_s"] * 1e9 / wall if wall else 0.0
            for k in ("dns_messages", "tls_handshakes"):
                if wall and i.get(k):
                    row[k + "_per_s"] = i[k] / (wall / 1e9)
            # The dispatcher's own cost: its thread's CPU time (waits for a full worker
            # queue and time not scheduled left out), per packet and as a share of its loop.
            if "dispatch_cpu_s" in tool and i["packets"]:
                row["dispatch_cpu_ns_per_packet"] = tool["dispatch_cpu_s"] * 1e9 / i["packets"]
                if tool.get("dispatch_loop_s"):
                    row["dispatch_cpu_share"] = tool["dispatch_cpu_s"] / tool["dispatch_loop_s"]
            if i["packets"]:
                # CPU of the whole process (every thread, user + system): steadier than
                # wall time on a machine shared with other work
                row["cpu_ns_per_packet"] = (row["user_ns_median"] + row["sys_ns_median"]) / \
                    i["packets"]
            if wall and i["packets"]:
                row["packets_per_s"] = i["packets"] / (wall / 1e9)
                row["gbit_per_s"] = i["bytes"] * 8 / wall
                row["ns_per_packet"] = wall / i["packets"]
        rows.append(row)

    by_name = {r["name"]: r for r in rows}
    baseline = {}
    for r in rows:
        if r["area"] == "baseline" and "packets_per_s" in r and r["input"] not in baseline:
            baseline[r["input"]] = r
    for r in rows:
        b = baseline.get(r["input"])
        if b and "packets_per_s" in r:
            r["baseline"] = b["name"]
            r["ratio"] = r["packets_per_s"] / b["packets_per_s"]
            if r.get("cpu_ns_per_packet") and b.get("cpu_ns_per_packet"):
                r["cpu_ratio"] = b["cpu_ns_per_packet"] / r["cpu_ns_per_packet"]
        idle = by_name.get(r["params"].get("idle", ""))
        if idle and "peak_rss_kb" in r and "peak_rss_kb" in idle:
            # The flows the program says it tracked, else the flows of the input.
            flows = int(r.get("reported", {}).get("flows", 0)) or inputs[r["input"]]["flows"]
            extra_kb = r["peak_rss_kb"] - idle["peak_rss_kb"]
            # Peak RSS counts the pages of the memory-mapped capture: the bare reads of the
            # two inputs map and touch the same pages with no flow state, so their difference
            # is taken out.
            b, bi = baseline.get(r["input"]), baseline.get(idle["input"])
            if b and bi and "peak_rss_kb" in b and "peak_rss_kb" in bi:
                extra_kb -= b["peak_rss_kb"] - bi["peak_rss_kb"]
                r["mapping_reference"] = [b["name"], bi["name"]]
            r["flows"] = flows
            if flows:
                r["bytes_per_flow"] = extra_kb * 1024 / flows
                r["idle_reference"] = idle["name"]
    return {"machine": machine, "inputs": list(inputs.values()), "scenarios": rows}


def dispatcher_cell(r):
    """The dispatcher's CPU per packet and its busy share (CPU time over its loop's wall
    time); older spurun versions only gave the busy wall time."""
    if "dispatch_cpu_ns_per_packet" in r:
        share = r.get("dispatch_cpu_share")
        return "%.1f (%.0f%%)" % (r["dispatch_cpu_ns_per_packet"], 100 * share) if share \
            else "%.1f" % r["dispatch_cpu_ns_per_packet"]
    if "dispatch_ns_per_packet" in r:
        return "%.1f wall" % r["dispatch_ns_per_packet"]
    return ""


def markdown(rep):
    m = rep["machine"]
    out = ["# spu benchmark: %s" % m.get("target", "?"), "",
           "Commit `%s`, %s. Machine: %s, %s cores, %.1f GiB RAM, %s; %s." % (
               m.get("commit", "?"), m.get("date", "?"), m.get("cpu", "?"), m.get("cores", "?"),
               int(m.get("ram_kb", "0") or 0) / 1048576, m.get("kernel", "?"),
               m.get("compiler", "?")), "",
           "Load average (1, 5, 15 min) before the runs: %s; after: %s." % (
               m.get("load_before", "?"), m.get("load_after", "?")), "",
           "Inputs:", ""]
    for i in rep["inputs"]:
        out.append("- `%s`: %s packets, %.1f MB, %s flows (`%s`)" % (
            i["name"], fmt_si(i["packets"]), i["bytes"] / 1e6, fmt_si(i["flows"]), i["path"]))
    out += ["", "| scenario | area | input | packets/s | Gbit/s | ns/packet | ratio | CPU ns/packet (ratio) | "
            "dispatcher CPU ns/packet (busy) | peak RSS | per flow | wall | runs (spread) | command |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for r in rep["scenarios"]:
        if r["status"] != "ok":
            out.append("| %s | %s | %s | failed (%d of %d runs ok) | | | | | | | | | | `%s` |" % (
                r["name"], r["area"], r["input"], r["ok_runs"], r["runs"], r["command"]))
            continue
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %.1f MB | %s | %.2f s | %d (%.1f%%) | `%s` |"
                   % (r["name"], r["area"], r["input"],
                      fmt_si(r["packets_per_s"]) if "packets_per_s" in r else "",
                      "%.2f" % r["gbit_per_s"] if "gbit_per_s" in r else "",
                      "%.1f" % r["ns_per_packet"] if "ns_per_packet" in r else "",
                      "%.3f" % r["ratio"] if "ratio" in r else "",
                      ("%.0f (%.3f)" % (r["cpu_ns_per_packet"], r["cpu_ratio"]) if "cpu_ratio" in r
                       else "%.0f" % r["cpu_ns_per_packet"]) if "cpu_ns_per_packet" in r else "",
                      dispatcher_cell(r),
                      r["peak_rss_kb"] / 1024,
                      "%.0f B" % r["bytes_per_flow"] if "bytes_per_flow" in r else "",
                      r["wall_ns_median"] / 1e9, r["runs"], 100 * r["spread"], r["command"]))
    out += ["", "ratio: the scenario's packets/s over the baseline's (`%s`) on the same input, "
            "same run. Medians of the runs (wall: the whole process, start to exit); spread = (max - min) / median of the wall times." %
            ", ".join(sorted({r.get("baseline", "") for r in rep["scenarios"]} - {""})),
            "CPU ns/packet: user + system time of the whole process (all its threads) per "
            "packet, and in brackets the baseline's over it (a ratio that the machine's other "
            "load disturbs less than wall time). "
            "dispatcher CPU ns/packet: CPU time of spurun's dispatcher thread (reading, "
            "decoding headers, hashing, queueing; not its waits for a full worker queue) per "
            "packet; in brackets its busy share, that CPU time over the wall time of its loop."]
    units = [r for r in rep["scenarios"] if r["area"] != "baseline" and "ratio" in r and
             ("tls_handshakes_per_s" in r or "dns_messages_per_s" in r)]
    if units:
        out += ["", "| scenario | input | TLS handshakes/s | DNS messages/s | ratio to the bare read |",
                "|---|---|---:|---:|---:|"]
        for r in units:
            out.append("| %s | %s | %s | %s | %.3f |" % (
                r["name"], r["input"], fmt_si(r.get("tls_handshakes_per_s", 0)),
                fmt_si(r.get("dns_messages_per_s", 0)), r["ratio"]))
        out.append("")
    for r in rep["scenarios"]:
        if "bytes_per_flow" in r:
            mapping = ""
            if "mapping_reference" in r:
                mapping = " - (peak RSS of %s - peak RSS of %s)" % tuple(r["mapping_reference"])
            out.append("%s: per flow = (peak RSS %.1f MB - peak RSS of %s%s) / %d flows." % (
                r["name"], r["peak_rss_kb"] / 1024, r["idle_reference"], mapping, r["flows"]))
        if "warning" in r:
            out.append("**%s: %s.**" % (r["name"], r["warning"]))
    return "\n".join(out) + "\n"


def plot(rep, key, area, results_dir, name, xlabel, logx, also=None):
    """also: (KEY, TITLE) of a second series on the same input (the workers plot's
    --split-read rows, params sworkers=N)."""
    # the rows of the area the plot is about when it has some: other areas give
    # a worker count or a rule count to scenarios of their own (dnstls runs one
    # worker) on other inputs
    rows = [r for r in rep["scenarios"] if key in r["params"] and "packets_per_s" in r]
    if any(r["area"] == area for r in rows):
        rows = [r for r in rows if r["area"] == area]
    pts = sorted((int(r["params"][key]), r["packets_per_s"] / 1e6, r["input"]) for r in rows)
    if not pts or not shutil.which("gnuplot"):
        return None
    # the input with the most points (the area's main input)
    counts = {}
    for _, _, i in pts:
        counts[i] = counts.get(i, 0) + 1
    inp = max(sorted(counts), key=lambda i: counts[i])
    pts = [p for p in pts if p[2] == inp]
    base = next((r for r in rep["scenarios"] if r["area"] == "baseline" and r["input"] == inp
                 and "packets_per_s" in r), None)
    zero = [(x, y) for x, y, _ in pts if logx and x <= 0]
    pts = [p for p in pts if not (logx and p[0] <= 0)]
    if not pts:
        return None
    dat = os.path.join(results_dir, name + ".dat")
    with open(dat, "w") as f:
        f.write("".join("%d %.6f\n" % (x, y) for x, y, _ in pts))
    dat2, pts2 = os.path.join(results_dir, name + "-2.dat"), []
    if also:
        pts2 = sorted((int(r["params"][also[0]]), r["packets_per_s"] / 1e6)
                      for r in rep["scenarios"]
                      if also[0] in r["params"] and "packets_per_s" in r and r["input"] == inp)
        with open(dat2, "w") as f:
            f.write("".join("%d %.6f\n" % p for p in pts2))
    png = os.path.join(results_dir, name + ".png")
    m = rep["machine"]
    script = [
        "set terminal png size 800,500",
        "set output '%s'" % png,
        "set title 'spu %s, input %s (commit %s, %s x %s, load %s)'" % (
            name.split("-")[-1], inp, m.get("commit", "?"), m.get("cores", "?"),
            m.get("cpu", "?").replace("'", ""), m.get("load_before", "?").split(" ")[0]),
        "set xlabel '%s'" % xlabel,
        "set ylabel 'Mpackets/s'",
        "set grid",
        "set key bottom right" if not logx else "set key top right",
    ]
    if logx:
        # rules cost orders of magnitude: both axes logarithmic, or every spurun point
        # sits on the floor under the bare read's level
        script += ["set logscale x", "set logscale y"]
    else:
        script += ["set yrange [0:*]", "set xtics 1"]
    line = "'%s' using 1:2 with linespoints lw 2 pt 7 title 'spurun'" % dat
    if pts2:
        line += ", '%s' using 1:2 with linespoints lw 2 pt 5 title 'spurun %s'" % (dat2, also[1])
    if base:
        line += ", %.6f with lines dt 2 title 'bare read (%s)'" % (
            base["packets_per_s"] / 1e6, base["name"])
    for x, y in zero:  # x = 0 has no place on a log axis: a level line instead
        line += ", %.6f with lines dt 3 lw 2 title '%s = 0: %.3f M'" % (y, key, y)
    script.append("plot " + line)
    subprocess.run(["gnuplot"], input="\n".join(script) + "\n", text=True, check=True)
    os.remove(dat)
    if os.path.exists(dat2):
        os.remove(dat2)
    return png


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: report.py RUN_DIR RESULTS_DIR")
    run_dir, results_dir = sys.argv[1], sys.argv[2]
    rep = build(run_dir)
    os.makedirs(results_dir, exist_ok=True)
    for stale in ("latest-workers.png", "latest-rules.png"):
        if os.path.exists(os.path.join(results_dir, stale)):
            os.remove(os.path.join(results_dir, stale))
    plots = [p for p in (plot(rep, "workers", "pipeline", results_dir, "latest-workers", "workers",
                              False, ("sworkers", "--split-read")),
                         plot(rep, "rules", "rules", results_dir, "latest-rules", "rules", True))
             if p]
    rep["plots"] = [os.path.basename(p) for p in plots]
    md = markdown(rep)
    if plots:
        md += "\n" + "".join("![%s](%s)\n" % (os.path.basename(p), os.path.basename(p))
                             for p in plots)
    with open(os.path.join(results_dir, "latest.md"), "w") as f:
        f.write(md)
    with open(os.path.join(results_dir, "latest.json"), "w") as f:
        json.dump(rep, f, indent=1, sort_keys=True)
        f.write("\n")
    for fname in ["latest.md", "latest.json"] + rep["plots"]:
        shutil.copy(os.path.join(results_dir, fname), run_dir)
    sys.stdout.write(md)


if __name__ == "__main__":
    main()

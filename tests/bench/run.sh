#!/bin/sh
# run.sh BUILD TARGET - the benchmark harness (make bench, bench-quick, bench-pipeline,
# bench-grammars, bench-rules, bench-compile, profile). See tests/bench/README.md.
#
# Every scenario is one line of the table below; the harness builds the inputs it
# names (cached in BUILD/bench/data), warms the page cache, runs each scenario
# REPS times under BUILD/bench/measure (wall time, CPU, peak RSS) and writes
# tests/bench/results/latest.{md,json} and the plots through report.py. Each
# throughput is divided by the baseline measured on the same input in the same run.
set -eu

# ---- the scenario table ----------------------------------------------------------------
# name     area: baseline (runs whenever a scenario uses its input), pipeline, grammars,
#          rules, import, compile, reload, monitor
# input    mix: corpus HTTP/SMTP copies + gen traffic; mixm: the same, smaller (4 copies,
#          40,000 gen flows); flows: gen, every flow open at
#          once; idle: a few flows (the idle reference for memory per flow); http, smtp:
#          the corpus's HTTP (SMTP) captures alone, copied; txopen, txbig: gen, one HTTP
#          transaction per flow, every response body in progress at once (bodies of
#          50-100 KB; 1.2-2.4 MB, over http.spg's 1 MB body limit)
#          dnstls:
#          copies of a capture of dig/dnsmasq and openssl s_time/s_server
#          (tests/bench/dns-tls-capture.sh, made once in network namespaces)
# reps     runs; the median is reported (the baselines take 5). The runs go in rounds
#          (see "run" below): round r runs every scenario with at least r runs. The
#          rules rows run the grammars (tens of microseconds a packet, file magic
#          included) over mixm, a sixth of the mix, with fewer reps: over the whole mix,
#          3 runs each took over an hour, and `make bench` must fit in 30 minutes.
#          bench-quick runs every non-baseline row once (its inputs are small; the
#          figures are a check that everything runs, not the ones to report)
# params   comma-separated key=value, or -: workers=N (x of the workers plot; sworkers=N:
#          N workers each reading the file, --split-read),
#          rules=N (x of the rules plot), idle=NAME (memory per flow against the idle
#          run NAME, in the same area: see README.md)
# command  {spurun} {spuc} {build} {input} {out} (a directory of the scenario's own) {ncpu} are
#          replaced (in params too), and {eve} by "-o {out}/eve.json --no-progress -v" (EVE
#          to that directory; -v: spurun's summary adds its dispatcher's busy time); words
#          are split on blanks, there is no quoting
# A scenario whose command comes out identical to an earlier one (w2 and w{ncpu} on two
# cores) is run once.
SCENARIOS='
bare        baseline  mix    5  -               {spurun} --bare -r {input}
bare-flows  baseline  flows  5  -               {spurun} --bare -r {input}
bare-mixm   baseline  mixm   5  -               {spurun} --bare -r {input}
bare-idle   baseline  idle   5  -               {spurun} --bare -r {input}
bare-dnstls baseline  dnstls 5  -               {spurun} --bare -r {input}
w1          pipeline  mix    5  workers=1       {spurun} -r {input} -w 1 {eve}
w2          pipeline  mix    5  workers=2       {spurun} -r {input} -w 2 {eve}
wall        pipeline  mix    3  workers={ncpu}  {spurun} -r {input} -w {ncpu} {eve}
w1s         pipeline  mix    5  sworkers=1      {spurun} -r {input} -w 1 --split-read {eve}
w2s         pipeline  mix    5  sworkers=2      {spurun} -r {input} -w 2 --split-read {eve}
idle        pipeline  idle   3  -               {spurun} -r {input} -w 1 {eve} --flow-memcap 4g
flowmem     pipeline  flows  3  idle=idle       {spurun} -r {input} -w 1 {eve} --flow-memcap 4g
bare-http   baseline  http   5  -               {spurun} --bare -r {input}
bare-smtp   baseline  smtp   5  -               {spurun} --bare -r {input}
bare-txopen baseline  txopen 5  -               {spurun} --bare -r {input}
bare-txbig  baseline  txbig  5  -               {spurun} --bare -r {input}
http        grammars  http   3  -               sh tests/bench/grammars-run.sh {build} {input} {out}
http-magic  grammars  http   3  -               sh tests/bench/grammars-run.sh {build} {input} {out} --force-magic
smtp        grammars  smtp   3  -               sh tests/bench/grammars-run.sh {build} {input} {out}
smtp-magic  grammars  smtp   3  -               sh tests/bench/grammars-run.sh {build} {input} {out} --force-magic
mix-grammars grammars mixm   2  -               sh tests/bench/grammars-run.sh {build} {input} {out}
mixg-w2     grammars  mixm   2  -               sh tests/bench/grammars-run.sh {build} {input} {out} -w 2
mixg-w2s    grammars  mixm   2  -               sh tests/bench/grammars-run.sh {build} {input} {out} -w 2 --split-read
mix-magic   grammars  mixm   1  -               sh tests/bench/grammars-run.sh {build} {input} {out} --force-magic
gidle       grammars  idle   3  -               sh tests/bench/grammars-run.sh {build} {input} {out} --keep-bodies
txopen      grammars  txopen 3  idle=gidle      sh tests/bench/grammars-run.sh {build} {input} {out} --keep-bodies --app-memcap 4g
txbig       grammars  txbig  3  idle=gidle      sh tests/bench/grammars-run.sh {build} {input} {out} --keep-bodies --app-memcap 4g
dnstls      grammars  dnstls 2  workers=1       sh tests/bench/dns-tls-run.sh {build} {input} {out}
rules0      rules     mixm   2  rules=0         sh tests/bench/rules-run.sh {build} 0 {input} {out}
rules10     rules     mixm   2  rules=10        sh tests/bench/rules-run.sh {build} 10 {input} {out}
rules1k     rules     mixm   2  rules=1000      sh tests/bench/rules-run.sh {build} 1000 {input} {out}
rules10k    rules     mixm   1  rules=10000     sh tests/bench/rules-run.sh {build} 10000 {input} {out}
rules10k-loose rules  mixm   1  -               sh tests/bench/rules-run.sh {build} 10000 {input} {out} loose
import-et10k   import mixm   1  -               sh tests/bench/rules-run.sh {build} 10000 {input} {out} et
'

# BENCH_SCENARIOS=FILE replaces the table (same columns; the harness's own test uses it),
# BENCH_RESULTS=DIR writes the results elsewhere, BENCH_TIMEOUT=SECONDS bounds each run.
[ -z "${BENCH_SCENARIOS:-}" ] || SCENARIOS=$(cat "$BENCH_SCENARIOS")

usage() { echo "usage: tests/bench/run.sh BUILD bench|bench-quick|bench-AREA|profile" >&2; exit 2; }
[ $# -eq 2 ] || usage
BUILD=$1; TARGET=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
DATA=$BUILD/bench/data
RUNS=$BUILD/bench/runs
RESULTS=${BENCH_RESULTS:-tests/bench/results}
NCPU=$(nproc)
TIMEOUT=${BENCH_TIMEOUT:-900}

case $TARGET in
bench)          size=full;  areas="pipeline grammars rules import compile reload monitor inline" ;;
bench-quick)    size=quick; areas="pipeline grammars rules import compile reload monitor" ;;
bench-pipeline) size=full;  areas=pipeline ;;
bench-grammars) size=full;  areas=grammars ;;
bench-rules)    size=full;  areas=rules ;;
bench-import)   size=full;  areas=import ;;
bench-compile)  size=full;  areas=compile ;;
bench-reload)   size=full;  areas=reload ;;
bench-monitor)  size=full;  areas=monitor ;;
bench-inline)   size=full;  areas=inline ;;
profile)        size=quick; areas=profile ;;
*) usage ;;
esac
[ "$TARGET" = bench ] || [ "$TARGET" = profile ] || [ "$TARGET" = bench-quick ] ||
    echo "bench: area $areas only, full inputs"

for t in "$BUILD/bench/gen" "$BUILD/bench/measure"; do
    [ -x "$t" ] || { echo "bench: $t is not built (make $t)" >&2; exit 1; }
done

# ---- inputs (cached; rebuilt when their recipe or gen.c changes) ----
# The mix: corpus copies plus gen flows with a lighter size mix than gen's default, so
# that the capture holds several hundred thousand flows in about 2 GB (full).
MIX_GEN="-r 1:3 -m 1 --sizes 0:10,300:40,1500:30,6000:15,30000:5"
# Flows for memory per flow: one small HTTP exchange each, every flow open at once, the
# whole capture within a second or two of capture time so that no flow times out.
FLOWS_GEN="-r 1 --smtp 0 --sizes 0:1,300:1 --pps 5000000"
# Open transactions: one HTTP request per flow, every flow sending at once (interleaved
# packet by packet), so that every response body is in progress at the peak.
TX_GEN="-r 1 --smtp 0 --gzip 0 --chunked 0 --pps 5000000"

gen_input() { # NAME GEN-ARGS...: BUILD/bench/data/NAME.pcap from gen, with NAME.pcap.info
    name=$1; shift
    f="$DATA/$name.pcap"
    key=$( { echo "$*"; sha256sum < tests/bench/gen.c; } | sha256sum | cut -c1-16)
    if [ ! -f "$f" ] || [ "$(cat "$f.key" 2>/dev/null)" != "$key" ]; then
        mkdir -p "$DATA"
        echo "bench: generating $f"
        line=$("$BUILD/bench/gen" -o "$f.tmp" "$@")
        mv "$f.tmp" "$f"
        printf '%s\n' "$line" | tr ' ' '\n' > "$f.info"
        echo "$key" > "$f.key"
    fi
}

corpus_of() { # PROTO -> "-i CAPTURE" for each corpus test of that protocol (replicate.sh)
    python3 -c 'import json, os, sys
d = sys.argv[1]
for t in json.load(open(os.path.join(d, "index.json"))):
    p = os.path.join(d, t["test"], "input.pcap")
    if t["protocol"] == sys.argv[2] and os.path.isfile(p):
        print("-i", p)' \
        "${SPU_CORPUS:-../shared/corpus}/suricata-verify" "$1"
}

input_path() { # NAME -> path of the input for this size, built if needed
    case $1.$size in
    mix.quick|mixm.quick)
        # gen alone: replicating the corpus (about 500 captures through tcprewrite and
        # editcap) takes longer on a fresh machine than bench-quick's two minutes
        input_path small ;;
    mixm.full)
        tests/bench/replicate.sh -b "$BUILD" -k 4 -g 40000 -G "$MIX_GEN" "$DATA/mixm-full.pcap" >&2
        echo "$DATA/mixm-full.pcap" ;;
    mix.full)
        tests/bench/replicate.sh -b "$BUILD" -k 24 -g 300000 -G "$MIX_GEN" "$DATA/mix-full.pcap" >&2
        echo "$DATA/mix-full.pcap" ;;
    flows.quick)
        gen_input flows-quick $FLOWS_GEN -f 50000 -c 50000 >&2
        echo "$DATA/flows-quick.pcap" ;;
    flows.full)
        gen_input flows-full $FLOWS_GEN -f 1000000 -c 1000000 >&2
        echo "$DATA/flows-full.pcap" ;;
    idle.*)
        gen_input idle $FLOWS_GEN -f 10 -c 10 >&2
        echo "$DATA/idle.pcap" ;;
    http.quick | smtp.quick)
        input_path small ;; # replicating the corpus is too slow for bench-quick (above)
    http.full | smtp.full)
        k=20; [ "$1" = smtp ] && k=60
        # shellcheck disable=SC2046
        tests/bench/replicate.sh -b "$BUILD" -k $k $(corpus_of "$1") "$DATA/$1-$size.pcap" >&2
        echo "$DATA/$1-$size.pcap" ;;
    txopen.quick)
        gen_input txopen-quick $TX_GEN --sizes 100000:1 -f 200 -c 200 -a 200 >&2
        echo "$DATA/txopen-quick.pcap" ;;
    txopen.full)
        gen_input txopen-full $TX_GEN --sizes 100000:1 -f 2000 -c 2000 -a 2000 >&2
        echo "$DATA/txopen-full.pcap" ;;
    txbig.quick)
        gen_input txbig-quick $TX_GEN --sizes 2400000:1 -f 30 -c 30 -a 30 >&2
        echo "$DATA/txbig-quick.pcap" ;;
    txbig.full)
        gen_input txbig-full $TX_GEN --sizes 2400000:1 -f 300 -c 300 -a 300 >&2
        echo "$DATA/txbig-full.pcap" ;;
    small.*)
        gen_input small -f 10000 -c 2000 $MIX_GEN >&2
        echo "$DATA/small.pcap" ;;
    dnstls.*)
        # the seed (2,000 queries, 3 s of handshakes per TLS version) is made once; its
        # copies get addresses of their own; the counts of DNS messages and TLS
        # handshakes (tshark's, in the seed, times the copies) go to the .info
        seed=$DATA/dnstls-seed.pcap
        if [ ! -s "$seed" ] || [ ! -s "$seed.counts" ]; then
            sh tests/bench/dns-tls-capture.sh "$seed" 2000 3 >&2
        fi
        k=200; [ "$size" = quick ] && k=10
        out=$DATA/dnstls-$size.pcap
        tests/bench/replicate.sh -b "$BUILD" -k $k -i "$seed" "$out" >&2
        if ! grep -q '^tls_handshakes=' "$out.info"; then
            awk -F= -v k=$k '{ print $1 "=" $2 * k }' "$seed.counts" >> "$out.info"
        fi
        echo "$out" ;;
    *) echo "bench: unknown input '$1'" >&2; exit 1 ;;
    esac
}

expand() { # COMMAND INPUT OUT -> the command with its {names} replaced
    printf '%s\n' "$1" | sed -e "s|{eve}|-o {out}/eve.json --no-progress -v|g" \
        -e "s|{spurun}|$BUILD/spurun|g" -e "s|{spuc}|$BUILD/spuc|g" -e "s|{build}|$BUILD|g" \
        -e "s|{input}|$2|g" -e "s|{out}|$3|g" -e "s|{ncpu}|$NCPU|g"
}

# ---- profile: one scenario under perf, or callgrind where perf has no counters ----
if [ "$TARGET" = profile ]; then
    pname=${PROFILE_SCENARIO:-w1}
    line=$(printf '%s\n' "$SCENARIOS" | awk -v n="$pname" '$1 == n')
    [ -n "$line" ] || { echo "bench: no scenario '$pname' (PROFILE_SCENARIO)" >&2; exit 1; }
    set -- $line
    pin=$3; shift 5; pcmd=$*
    pdir=$BUILD/bench/profile
    rm -rf "$pdir"; mkdir -p "$pdir"
    if perf stat -e instructions true 2>&1 | grep -q 'not supported' ||
       ! perf stat -e instructions true > /dev/null 2>&1; then
        input=$(input_path small)
        cmd=$(expand "$pcmd" "$input" "$pdir")
        echo "bench: perf has no instruction counter here; callgrind on $input: $cmd"
        set -f
        # shellcheck disable=SC2086
        valgrind --tool=callgrind --callgrind-out-file="$pdir/callgrind.out" $cmd \
            > "$pdir/run.log" 2>&1 || { tail -n 20 "$pdir/run.log"; exit 1; }
        set +f
        callgrind_annotate --inclusive=no "$pdir/callgrind.out" 2>/dev/null |
            awk '/file:function/ { go = 1; next }
                 go && /^ *[0-9,]+ +\(/ { print; if (++k == 20) exit }'
    else
        input=$(input_path "$pin")
        cmd=$(expand "$pcmd" "$input" "$pdir")
        echo "bench: perf record on $input: $cmd"
        set -f
        # shellcheck disable=SC2086
        perf record -g -o "$pdir/perf.data" $cmd > "$pdir/run.log" 2>&1 ||
            { tail -n 20 "$pdir/run.log"; exit 1; }
        set +f
        perf report -i "$pdir/perf.data" --stdio --no-children --sort comm,symbol 2>/dev/null |
            grep -E '^ +[0-9.]+%' | head -n 20
    fi
    echo "bench: profile data in $pdir"
    exit 0
fi

# ---- compile: no packets; tests/bench/compile.sh times spuc and the bundle loader ----
# Its figures go to RESULTS/compile.md (quick: 100 and 1,000 rules; full: up to 10,000).
compile_done=0
case " $areas " in *" compile "*)
    for t in "$BUILD/spuc" "$BUILD/bench/gen-rules" "$BUILD/bench/load-bundle"; do
        [ -x "$t" ] || { echo "bench: $t is not built (make $t)" >&2; exit 1; }
    done
    csizes="100 1000 10000"
    [ "$size" = quick ] && csizes="100 1000"
    mkdir -p "$RESULTS" "$BUILD/bench"
    echo "bench: compile: sh tests/bench/compile.sh $BUILD (SIZES=\"$csizes\")"
    SIZES=$csizes sh tests/bench/compile.sh "$BUILD" > "$BUILD/bench/compile.txt"
    {
        echo "# spuc compile and bundle load ($(date -u +%Y-%m-%dT%H:%M:%SZ)," \
             "commit $(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)," \
             "load $(cut -d' ' -f1-3 /proc/loadavg))"
        echo
        echo "Command: \`SIZES=\"$csizes\" sh tests/bench/compile.sh $BUILD\`" \
             "(rules from tests/bench/gen-rules on tests/bench/web.spg)."
        echo
        echo "| rules | compile (best of 3) | bundle | load+verify | signed bundle | signed load+verify |"
        echo "|---:|---:|---:|---:|---:|---:|"
        tr ' ' '\n' < "$BUILD/bench/compile.txt" | awk -F= '
            $1 == "rules" { n = $2 } $1 == "compile_s" { c = $2 } $1 == "bytes" { b = $2 }
            $1 == "load_ms" { l = $2 } $1 == "signed_bytes" { sb = $2 }
            $1 == "signed_load_ms" {
                printf "| %d | %.3f s | %.0f KB | %s ms | %.0f KB | %s ms |\n",
                       n, c, b / 1024, l, sb / 1024, $2 }'
        # imported rules (docs/import.md): 10,000 real ET Open http*/smtp rules
        if sh tests/bench/import.sh "$BUILD" > "$BUILD/bench/import.txt" 2>/dev/null; then
            echo
            echo "Imported rules: \`sh tests/bench/import.sh $BUILD\` (the first 10,000 translatable" \
                 "http* rules of ET Open Suricata 5.0; compile with grammars/http.spg)."
            echo
            echo "| rules | translated | import (best of 3) | compile (best of 3) | bundle | load+verify |"
            echo "|---:|---:|---:|---:|---:|---:|"
            tr ' ' '\n' < "$BUILD/bench/import.txt" | awk -F= '
                $1 == "rules" { n = $2 } $1 == "translated" { t = $2 } $1 == "import_s" { i = $2 }
                $1 == "compile_s" { c = $2 } $1 == "bytes" { b = $2 }
                $1 == "load_ms" { printf "| %d | %d | %.3f s | %s s | %s B | %s ms |\n", n, t, i, c, b, $2 }'
        fi
    } > "$RESULTS/compile.md"
    cat "$RESULTS/compile.md"
    compile_done=1 ;;
esac

# ---- reload: tests/bench/reload.sh (reload latency and memory for 10 and 10,000 rules,
# throughput while reloading every second on the mix input: mixm lasted under a
# second with these rules, and no reload happened during it); figures to RESULTS/reload.md
case " $areas " in *" reload "*)
    for t in "$BUILD/spuc" "$BUILD/spuctl" "$BUILD/bench/gen-rules" "$BUILD/bench/reload-bench"; do
        [ -x "$t" ] || { echo "bench: $t is not built (make $t)" >&2; exit 1; }
    done
    rin=$(input_path mix)
    mkdir -p "$RESULTS" "$BUILD/bench"
    echo "bench: reload: sh tests/bench/reload.sh $BUILD $rin"
    sh tests/bench/reload.sh "$BUILD" "$rin" > "$BUILD/bench/reload.txt"
    {
        echo "# hot reload ($(date -u +%Y-%m-%dT%H:%M:%SZ)," \
             "commit $(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)," \
             "load $(cut -d' ' -f1-3 /proc/loadavg))"
        echo
        echo "Command: \`sh tests/bench/reload.sh $BUILD $rin\` (rules from tests/bench/gen-rules" \
             "on tests/bench/web.spg, two seeds = two versions)."
        echo
        echo "| rules | bundle | reload, request to publication (median / max) | extra memory during a reload (median) | of the bundle |"
        echo "|---:|---:|---:|---:|---:|"
        grep '^rules=' "$BUILD/bench/reload.txt" | tr ' ' '\n' | awk -F= '
            $1 == "rules" { n = $2 } $1 == "bytes" { b = $2 } $1 == "reload_ms_median" { m = $2 }
            $1 == "reload_ms_max" { x = $2 } $1 == "extra_kb_median" { k = $2 }
            $1 == "extra_of_bundle" {
                printf "| %d | %.0f KB | %s / %s ms | %s KB | %s |\n", n, b / 1024, m, x, k, $2 }'
        echo
        grep '^throughput' "$BUILD/bench/reload.txt" | tr ' ' '\n' | awk -F= '
            $1 == "pps_plain" { a = $2 } $1 == "pps_reloading" { b = $2 } $1 == "ratio" { r = $2 }
            $1 == "reloads" { n = $2 }
            $1 == "every" {
                printf "Throughput with 1,000 rules, 2 workers: %s packets/s without reloads, " \
                       "%s packets/s with a reload every %s s (%s reloads): ratio %s.\n", a, b, $2, n, r }'
    } > "$RESULTS/reload.md"
    cat "$RESULTS/reload.md"
    compile_done=1 ;; # (a figure was measured: no "nothing to run" below)
esac

# ---- inline: tests/bench/inline-latency.sh (added latency per packet in nfq and bridge
# modes, median and p99, and throughput per worker against the detection-only run on the
# same traffic); figures to RESULTS/inline.md. Needs root and network namespaces.
case " $areas " in *" inline "*)
    if [ "$(id -u)" != 0 ] || ! ip netns add spubench$$ 2>/dev/null; then
        echo "bench: inline: skipped (needs root and ip netns)"
    else
        ip netns del spubench$$
        mkdir -p "$RESULTS" "$BUILD/bench"
        echo "bench: inline: sh tests/bench/inline-latency.sh $BUILD"
        sh tests/bench/inline-latency.sh "$BUILD" > "$BUILD/bench/inline.txt"
        {
            echo "# inline prevention ($(date -u +%Y-%m-%dT%H:%M:%SZ)," \
                 "commit $(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)," \
                 "load $(cut -d' ' -f1-3 /proc/loadavg))"
            echo
            echo "Command: \`sh tests/bench/inline-latency.sh $BUILD\` (three namespaces, one" \
                 "worker, a bundle with an http.request rule; 1000 pings 2 ms apart, each" \
                 "crossing spu twice; a 200 MB curl download)."
            echo
            echo "| mode | added latency per packet, median | p99 | download through spu (kernel alone) | MB per CPU second of spurun: inline / detection only | ratio |"
            echo "|---|---:|---:|---:|---:|---:|"
            grep '^fig ' "$BUILD/bench/inline.txt" | tr ' ' '\n' | awk -F= '
                $1 == "mode" { m = $2 } $1 == "added_med_ms" { a = $2 } $1 == "added_p99_ms" { p = $2 }
                $1 == "mbs_kernel" { k = $2 } $1 == "mbs" { b = $2 }
                $1 == "mb_per_cpu_s_detect" { d = $2 } $1 == "mb_per_cpu_s_inline" { i = $2 }
                $1 == "ratio" {
                    printf "| %s | %s ms | %s ms | %s MB/s (%s) | %s / %s | %s |\n", m, a, p, b, k, i, d, $2 }'
            echo
            echo "Added latency: (RTT through spu - RTT through the kernel alone) / 2. Raw output:"
            echo
            echo '```'
            grep -v '^fig ' "$BUILD/bench/inline.txt"
            echo '```'
        } > "$RESULTS/inline.md"
        cat "$RESULTS/inline.md"
    fi
    compile_done=1 ;; # (no scenario of the table)
esac

# ---- select the scenarios of the areas asked for, and the baselines of their inputs ----
run_dir=$RUNS/$(date -u +%Y%m%dT%H%M%SZ)-$TARGET
mkdir -p "$run_dir" "$RESULTS"
sel="$run_dir/scenarios.tsv"
: > "$sel"
printf '%s\n' "$SCENARIOS" | awk 'NF && $1 !~ /^#/' > "$run_dir/table"
inputs_used=""
while read -r name area input reps params rest; do
    case " $areas " in *" $area "*) ;; *) continue ;; esac
    case " $inputs_used " in *" $input "*) ;; *) inputs_used="$inputs_used $input" ;; esac
    case $params in *idle=*)
        idle=$(printf '%s' "$params" | tr ',' '\n' | sed -n 's/^idle=//p')
        iin=$(awk -v n="$idle" '$1 == n { print $3 }' "$run_dir/table")
        case " $inputs_used " in *" $iin "*) ;; *) inputs_used="$inputs_used $iin" ;; esac ;;
    esac
done < "$run_dir/table"
[ -n "$inputs_used" ] || {
    [ "$compile_done" = 1 ] || echo "bench: no scenario measures area '$areas' yet: nothing to run"
    exit 0
}
for t in $(printf '%s\n' "$SCENARIOS" | awk 'NF && $1 !~ /^#/ { print $6 }' | sort -u); do
    case $t in
    {spurun}) [ -x "$BUILD/spurun" ] || { echo "bench: $BUILD/spurun is not built" >&2; exit 1; } ;;
    {spuc}) [ -x "$BUILD/spuc" ] || { echo "bench: $BUILD/spuc is not built" >&2; exit 1; } ;;
    esac
done

: > "$run_dir/inputs.tsv"
for i in $inputs_used; do
    p=$(input_path "$i")
    printf '%s\t%s\t%s\t%s\t%s\n' "$i" "$p" "$(sed -n 's/^packets=//p' "$p.info")" \
        "$(sed -n 's/^bytes=//p' "$p.info")" "$(sed -n 's/^flows=//p' "$p.info")" \
        >> "$run_dir/inputs.tsv"
done

seen_cmds="$run_dir/cmds"
: > "$seen_cmds"
while read -r name area input reps params rest; do
    case " $inputs_used " in *" $input "*) ;; *) continue ;; esac
    case " baseline $areas " in *" $area "*) ;; *) continue ;; esac
    ipath=$(awk -F'\t' -v n="$input" '$1 == n { print $2 }' "$run_dir/inputs.tsv")
    cmd=$(expand "$rest" "$ipath" "$run_dir/$name/out")
    params=$(expand "$params" "$ipath" "$run_dir/$name/out")
    same=$(expand "$rest" "$ipath" "{out}")
    if grep -qxF "$same" "$seen_cmds"; then
        echo "bench: $name is the same command as an earlier scenario; run once"
        continue
    fi
    echo "$same" >> "$seen_cmds"
    [ "$size" = quick ] && [ "$area" != baseline ] && reps=1
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$area" "$input" "$reps" "$params" "$cmd" >> "$sel"
done < "$run_dir/table"

# ---- run: page cache warm, REPS runs each under measure, in rounds ----
# Round r runs, in table order, every scenario that has at least r runs: a slow spell
# of this shared VM (its CPU time for the same work varies by a fifth from one minute to
# the next) then falls on every scenario of the round, not on all the runs of one, so
# the medians that a ratio divides were measured under the same conditions.
# The commit measured is the one checked out when the runs start (edits made while they
# run do not change what was built).
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain 2>/dev/null)" ] || commit="$commit+uncommitted"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)   # other work on the machine shows here
runs="$run_dir/runs.tsv"
: > "$runs"
fail=0
rounds=$(awk -F'\t' 'BEGIN { m = 0 } $4 > m { m = $4 } END { print m }' "$sel")
r=1
while [ $r -le "$rounds" ]; do
    while IFS="$(printf '\t')" read -r name area input reps params cmd; do
        [ $r -le "$reps" ] || continue
        ipath=$(awk -F'\t' -v n="$input" '$1 == n { print $2 }' "$run_dir/inputs.tsv")
        rm -rf "$run_dir/$name/out"    # what the last run wrote (EVE files can be large)
        mkdir -p "$run_dir/$name/out"
        # page cache warm before every run, so that every run reads from memory:
        # this machine's kernel reclaims cold page cache on its own (DAMON,
        # kdamond: a capture unused for half an hour was 7% resident), so an
        # input warmed once, at its first scenario, may be cold again by a later one
        cat "$ipath" > /dev/null
        printf 'bench: %-12s run %d/%d ' "$name" $r "$reps"
        set -f
        # shellcheck disable=SC2086
        "$BUILD/bench/measure" -t "$TIMEOUT" -o "$run_dir/$name/measure.$r" -- $cmd \
            > "$run_dir/$name/out.$r" 2> "$run_dir/$name/err.$r" < /dev/null || true
        set +f
        m=$(cat "$run_dir/$name/measure.$r" 2>/dev/null || echo "status=not-run")
        printf '%s\t%s\t%s\n' "$name" "$r" "$m" >> "$runs"
        echo "$m"
        case $m in *status=0) ;; *)
            fail=1
            echo "bench: $name failed: $cmd"; tail -n 5 "$run_dir/$name/err.$r" ;;
        esac
        [ $r -lt "$reps" ] || rm -rf "$run_dir/$name/out"
    done < "$sel"
    r=$((r + 1))
done

# ---- report ----
{
    echo "target=$TARGET"
    echo "size=$size"
    echo "commit=$commit"
    echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)"
    echo "cores=$NCPU"
    echo "ram_kb=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)"
    echo "kernel=$(uname -sr)"
    echo "compiler=$(gcc --version | head -n 1)"
    echo "load_before=$load_before"
    echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)"
} > "$run_dir/machine"
python3 tests/bench/report.py "$run_dir" "$RESULTS"
[ $fail -eq 0 ] || { echo "bench: some runs failed (logs in $run_dir)"; exit 1; }

#!/bin/sh
# bench-smoke.sh [BUILD] - quick self-check of the benchmark harness (tests/bench):
# gen writes a capture that tshark reads with the expected TCP conversations, HTTP
# requests and SMTP mails, valid checksums and no TCP analysis warnings;
# replicate.sh on small corpus captures yields the sum of the copies' flows with their
# TCP sequences intact; run.sh turns a scenario table into the results files.
# Prints "ok bench-smoke" and exits 0, or "FAIL bench-smoke: ..." and exits 1.
set -u
build=${1:-${BUILD:-build}}   # the e2e runner (tests/e2e/run.sh) exports BUILD
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 1
corpus=${CORPUS:-${SPU_CORPUS:-$root/../shared/corpus}}/suricata-verify
gen=$build/bench/gen
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

check() { # WHAT EXPECTED ACTUAL
    [ "$2" = "$3" ] || {
        echo "FAIL bench-smoke: $1: expected $2, got $3"; failures=$((failures + 1)); }
}
# tshark starts slowly (about a second on a busy machine): each capture is read once, by
# tally, and the checks look its counts up.
tally() { # PCAP OUT FILTER...: one tshark pass (checksums verified); OUT gets "conv\tN" (TCP
          # conversations) and "FILTER\tN" (packets matching each display filter, no commas)
    pcap=$1; out=$2; shift 2
    filters=$(printf '%s,' "$@"); filters=${filters%,}
    tshark -n -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -q -r "$pcap" \
        -z conv,tcp -z "io,stat,0,$filters" > "$out.raw" 2>/dev/null
    printf 'conv\t%s\n' "$(grep -c '<->' "$out.raw")" > "$out"
    printf '%s\n' "$@" > "$out.names"
    # the one interval row of io,stat: | start <> end | frames | bytes | frames | bytes | ... |
    awk -F'|' '/^\| *[0-9.]+ <> / { for (i = 3; i < NF; i += 2) print $i }' "$out.raw" |
        tr -d ' ' | paste "$out.names" - >> "$out"
}
n() { # OUT FILTER: the count tally found
    awk -F'\t' -v f="$2" '$1 == f { print $2; found = 1 } END { if (!found) print "none" }' "$1"
}
ftype() { capinfos -t -E -M "$1" | sed -n 's/^File \(type\|encapsulation\): *//p' | paste -sd' '; }

make -s "$gen" "$build/bench/measure" > "$tmp/make.log" 2>&1 ||
    { cat "$tmp/make.log"; echo "FAIL bench-smoke: cannot build the bench tools"; exit 1; }

# ---- gen: 60 flows, 15 of them SMTP (25%), 3 requests per HTTP flow, 1 mail per session ----
g="$tmp/g.pcap"
"$gen" -o "$g" -s 7 -f 60 -c 20 --smtp 25 -r 3 -m 1 > "$tmp/g.sum"
check "gen summary" "flows=60 http_flows=45 smtp_flows=15 http_requests=135 smtp_mails=15" \
    "$(cut -d' ' -f1-5 "$tmp/g.sum")"
tally "$g" "$tmp/g.n" http.request http.response 'smtp.req.command == "MAIL"' \
    'smtp.req.command == "QUIT"' imf \
    'imf && mime_multipart.header.content-disposition contains "attachment"' \
    'ip.checksum.status == 0 || tcp.checksum.status == 0' tcp.analysis.flags _ws.malformed \
    '_ws.expert.severity >= "warning"' 'http.content_encoding == "gzip"' \
    'http.transfer_encoding == "chunked"' 'tcp.len == 1460' 'tcp.len > 1460'
g_n() { n "$tmp/g.n" "$1"; }
check "gen: capture type" "pcap ether" "$(ftype "$g")"
check "gen: TCP conversations" 60 "$(g_n conv)"
check "gen: HTTP requests" 135 "$(g_n http.request)"
check "gen: HTTP responses" 135 "$(g_n http.response)"
check "gen: SMTP MAIL commands" 15 "$(g_n 'smtp.req.command == "MAIL"')"
check "gen: SMTP QUIT commands" 15 "$(g_n 'smtp.req.command == "QUIT"')"
check "gen: mails (IMF)" 15 "$(g_n imf)"
check "gen: mails with a MIME attachment" 15 \
    "$(g_n 'imf && mime_multipart.header.content-disposition contains "attachment"')"
check "gen: bad checksums" 0 "$(g_n 'ip.checksum.status == 0 || tcp.checksum.status == 0')"
check "gen: TCP analysis flags" 0 "$(g_n tcp.analysis.flags)"
check "gen: malformed packets" 0 "$(g_n _ws.malformed)"
check "gen: expert warnings" 0 "$(g_n '_ws.expert.severity >= "warning"')"
positive() { awk '{ print ($1 > 0) }'; }
check "gen: some gzip bodies" 1 "$(g_n 'http.content_encoding == "gzip"' | positive)"
check "gen: some chunked bodies" 1 "$(g_n 'http.transfer_encoding == "chunked"' | positive)"
check "gen: some segments of the MSS" 1 "$(g_n 'tcp.len == 1460' | positive)"
check "gen: no segment above the MSS" 0 "$(g_n 'tcp.len > 1460')"

# same seed, same bytes; another seed, other bytes
"$gen" -q -o "$tmp/g2.pcap" -s 7 -f 60 -c 20 --smtp 25 -r 3 -m 1
"$gen" -q -o "$tmp/g3.pcap" -s 8 -f 60 -c 20 --smtp 25 -r 3 -m 1
check "gen: deterministic" same "$(cmp -s "$g" "$tmp/g2.pcap" && echo same || echo different)"
check "gen: seed matters" different "$(cmp -s "$g" "$tmp/g3.pcap" && echo same || echo different)"

# concurrency: with -c 40, all 40 flows are open (SYN seen) before the first FIN
c="$tmp/c.pcap"
"$gen" -q -o "$c" -f 40 -c 40 -a 8 -r 2 --smtp 0
# flags as 1/0 (tshark 4.0) or True/False (later versions)
open_first=$(tshark -n -r "$c" -T fields -e frame.number -e tcp.flags.syn -e tcp.flags.ack \
    -e tcp.flags.fin 2>/dev/null | awk -F'\t' '
    function set(v) { return v == "1" || v == "True" }
    set($2) && !set($3) { last_syn = $1 }
    set($4) && !first_fin { first_fin = $1 }
    END { print (last_syn > 0 && first_fin > 0 && last_syn < first_fin) }')
check "gen: 40 flows open at once" 1 "$open_first"
check "gen: 1 flow at a time" 0 "$("$gen" -q -o "$tmp/s.pcap" -f 5 -c 1 -r 1 --smtp 0 &&
    tshark -n -r "$tmp/s.pcap" -T fields -e tcp.stream 2>/dev/null | uniq | sort | uniq -d | wc -l)"

# bad options are refused with status 2
for bad in "-f 0" "-f x" "--smtp 101" "--sizes 12" "--sizes 1:0" "-r 3:1" "--mss 10" "--nope 1"; do
    # shellcheck disable=SC2086
    "$gen" -o "$tmp/bad.pcap" $bad > /dev/null 2>&1
    check "gen $bad refused" 2 $?
done
"$gen" > /dev/null 2>&1
check "gen without -o refused" 2 $?

# ---- replicate.sh: 3 copies of two corpus captures (HTTP, SMTP), then with gen flows ----
a=$corpus/http-request-invalid/input.pcap
b=$corpus/bug-6207-1/input.pcap
r="$tmp/rep.pcap"
tests/bench/replicate.sh -b "$build" -k 3 -i "$a" -i "$b" "$r" > "$tmp/rep.log" 2>&1 ||
    { cat "$tmp/rep.log"; echo "FAIL bench-smoke: replicate.sh failed"; exit 1; }
tally "$a" "$tmp/a.n" http.request tcp.analysis.lost_segment
tally "$b" "$tmp/b.n" smtp.req tcp.analysis.lost_segment
tally "$r" "$tmp/r.n" http.request smtp.req \
    'tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment' tcp.analysis.retransmission
want=$((3 * ($(n "$tmp/a.n" conv) + $(n "$tmp/b.n" conv))))
check "replicate: TCP conversations = 3 x the sources'" "$want" "$(n "$tmp/r.n" conv)"
check "replicate: flows in .info" "$want" "$(sed -n 's/^flows=//p' "$r.info")"
check "replicate: HTTP requests = 3 x the source's" \
    "$((3 * $(n "$tmp/a.n" http.request)))" "$(n "$tmp/r.n" http.request)"
check "replicate: SMTP commands = 3 x the source's" \
    "$((3 * $(n "$tmp/b.n" smtp.req)))" "$(n "$tmp/r.n" smtp.req)"
check "replicate: sources without lost segments" 0 \
    "$(($(n "$tmp/a.n" tcp.analysis.lost_segment) + $(n "$tmp/b.n" tcp.analysis.lost_segment)))"
check "replicate: no lost segment" 0 \
    "$(n "$tmp/r.n" 'tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment')"
check "replicate: no retransmission" 0 "$(n "$tmp/r.n" tcp.analysis.retransmission)"
check "replicate: classic pcap, Ethernet" "pcap ether" "$(ftype "$r")"
check "replicate: time order" True "$(capinfos -o -M "$r" | sed -n 's/^Strict time order: *//p')"
tests/bench/replicate.sh -b "$build" -k 3 -i "$a" -i "$b" "$r" > "$tmp/rep2.log" 2>&1
check "replicate: cached" "up to date" "$(grep -o 'up to date' "$tmp/rep2.log")"
r2="$tmp/rep2.pcap"
tests/bench/replicate.sh -b "$build" -k 2 -g 25 -i "$a" -i "$b" "$r2" > "$tmp/rep3.log" 2>&1 ||
    { cat "$tmp/rep3.log"; echo "FAIL bench-smoke: replicate.sh -g failed"; exit 1; }
check "replicate: copies + gen flows" \
    "$((2 * ($(n "$tmp/a.n" conv) + $(n "$tmp/b.n" conv)) + 25))" \
    "$(tshark -n -r "$r2" -q -z conv,tcp 2>/dev/null | grep -c '<->')"

# ---- run.sh: a scenario table measured and reported (commands that exist everywhere) ----
cat > "$tmp/table" <<'EOF'
t-base   baseline  idle  5  -          cat {input}
t-w1     pipeline  idle  3  workers=1  gzip -c -1 {input}
t-w2     pipeline  idle  3  workers=2  gzip -c -9 {input}
t-mem    pipeline  idle  3  idle=t-base  sort {input}
t-r0     pipeline  idle  1  rules=0    gzip -c -3 {input}
t-r10    pipeline  idle  1  rules=10   gzip -c -6 {input}
EOF
BENCH_SCENARIOS="$tmp/table" BENCH_RESULTS="$tmp/res" \
    sh tests/bench/run.sh "$build" bench-pipeline > "$tmp/run.log" 2>&1
check "run.sh status" 0 $?
# the runs go in rounds: every scenario's first run before any second run, and the
# scenarios with fewer runs drop out of the later rounds
check "run.sh: runs in rounds" \
    "t-base1 t-w11 t-w21 t-mem1 t-r01 t-r101 t-base2 t-w12 t-w22 t-mem2 t-base3" \
    "$(sed -n 's/^bench: \(t-[a-z0-9]*\) *run \([0-9]\)\/.*/\1\2/p' "$tmp/run.log" | head -n 11 |
       tr '\n' ' ' | sed 's/ $//')"
# the facts checked, read from latest.json by one python3 (as "name\tvalue" lines, for n)
python3 - "$tmp/res/latest.json" > "$tmp/rows" 2>&1 <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["scenarios"]
print("names\t" + " ".join(x["name"] for x in r))
print("base ratio\t%s" % round(r[0]["ratio"], 6))
print("w1 ratio in range\t%d" % (0 < r[1]["ratio"] < 100))
print("w1 runs\t%d" % len(r[1]["wall_ns_all"]))
print("w1 median\t%d" % (sorted(r[1]["wall_ns_all"])[1] == r[1]["wall_ns_median"]))
print("mem per flow\t%d" % ("bytes_per_flow" in r[3]))
EOF
check "run.sh rows" "t-base t-w1 t-w2 t-mem t-r0 t-r10" "$(n "$tmp/rows" names)"
check "run.sh: baseline ratio" 1.0 "$(n "$tmp/rows" 'base ratio')"
check "run.sh: ratio of t-w1" 1 "$(n "$tmp/rows" 'w1 ratio in range')"
check "run.sh: runs of t-w1" 3 "$(n "$tmp/rows" 'w1 runs')"
check "run.sh: median of t-w1" 1 "$(n "$tmp/rows" 'w1 median')"
check "run.sh: memory per flow" 1 "$(n "$tmp/rows" 'mem per flow')"
check "run.sh: table rows" 6 "$(grep -c '^| t-' "$tmp/res/latest.md")"
check "run.sh: workers plot" PNG "$(head -c 4 "$tmp/res/latest-workers.png" | tail -c 3)"
# the rules plot (rules=0, off the log axis, is drawn as a level line)
check "run.sh: rules plot" PNG "$(head -c 4 "$tmp/res/latest-rules.png" 2>/dev/null | tail -c 3)"

[ $failures -eq 0 ] || { echo "FAIL bench-smoke ($failures checks)"; exit 1; }
echo "ok bench-smoke"

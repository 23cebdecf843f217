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
count() { # PCAP FILTER: packets matching a tshark display filter (checksums verified)
    tshark -n -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -r "$1" -Y "$2" 2>/dev/null |
        wc -l | tr -d ' '
}
ftype() { capinfos -t -E -M "$1" | sed -n 's/^File \(type\|encapsulation\): *//p' | paste -sd' '; }
convs() { tshark -n -r "$1" -q -z conv,tcp 2>/dev/null | grep -c '<->'; }

make -s "$gen" "$build/bench/measure" > "$tmp/make.log" 2>&1 ||
    { cat "$tmp/make.log"; echo "FAIL bench-smoke: cannot build the bench tools"; exit 1; }

# ---- gen: 60 flows, 15 of them SMTP (25%), 3 requests per HTTP flow, 1 mail per session ----
g="$tmp/g.pcap"
"$gen" -o "$g" -s 7 -f 60 -c 20 --smtp 25 -r 3 -m 1 > "$tmp/g.sum"
check "gen summary" "flows=60 http_flows=45 smtp_flows=15 http_requests=135 smtp_mails=15" \
    "$(cut -d' ' -f1-5 "$tmp/g.sum")"
check "gen: capture type" "pcap ether" "$(ftype "$g")"
check "gen: TCP conversations" 60 "$(convs "$g")"
check "gen: HTTP requests" 135 "$(count "$g" http.request)"
check "gen: HTTP responses" 135 "$(count "$g" http.response)"
check "gen: SMTP MAIL commands" 15 "$(count "$g" 'smtp.req.command == "MAIL"')"
check "gen: SMTP QUIT commands" 15 "$(count "$g" 'smtp.req.command == "QUIT"')"
check "gen: mails (IMF)" 15 "$(count "$g" imf)"
check "gen: mails with a MIME attachment" 15 \
    "$(count "$g" 'imf && mime_multipart.header.content-disposition contains "attachment"')"
check "gen: bad checksums" 0 "$(count "$g" 'ip.checksum.status == 0 || tcp.checksum.status == 0')"
check "gen: TCP analysis flags" 0 "$(count "$g" tcp.analysis.flags)"
check "gen: malformed packets" 0 "$(count "$g" _ws.malformed)"
check "gen: expert warnings" 0 "$(count "$g" '_ws.expert.severity >= "warning"')"
positive() { awk '{ print ($1 > 0) }'; }
check "gen: some gzip bodies" 1 "$(count "$g" 'http.content_encoding == "gzip"' | positive)"
check "gen: some chunked bodies" 1 "$(count "$g" 'http.transfer_encoding == "chunked"' | positive)"
check "gen: largest segment is the MSS" 1460 \
    "$(tshark -n -r "$g" -T fields -e tcp.len 2>/dev/null | sort -n | tail -n 1)"

# same seed, same bytes; another seed, other bytes
"$gen" -q -o "$tmp/g2.pcap" -s 7 -f 60 -c 20 --smtp 25 -r 3 -m 1
"$gen" -q -o "$tmp/g3.pcap" -s 8 -f 60 -c 20 --smtp 25 -r 3 -m 1
check "gen: deterministic" same "$(cmp -s "$g" "$tmp/g2.pcap" && echo same || echo different)"
check "gen: seed matters" different "$(cmp -s "$g" "$tmp/g3.pcap" && echo same || echo different)"

# concurrency: with -c 40, all 40 flows are open (SYN seen) before the first FIN
c="$tmp/c.pcap"
"$gen" -q -o "$c" -f 40 -c 40 -a 8 -r 2 --smtp 0
last_syn=$(tshark -n -r "$c" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' -T fields \
    -e frame.number 2>/dev/null | tail -n 1)
first_fin=$(tshark -n -r "$c" -Y 'tcp.flags.fin == 1' -T fields -e frame.number 2>/dev/null |
    head -n 1)
check "gen: 40 flows open at once" 1 "$([ "$last_syn" -lt "$first_fin" ] && echo 1 || echo 0)"
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
want=$((3 * ($(convs "$a") + $(convs "$b"))))
check "replicate: TCP conversations = 3 x the sources'" "$want" "$(convs "$r")"
check "replicate: flows in .info" "$want" "$(sed -n 's/^flows=//p' "$r.info")"
check "replicate: HTTP requests = 3 x the source's" \
    "$((3 * $(count "$a" http.request)))" "$(count "$r" http.request)"
check "replicate: SMTP commands = 3 x the source's" \
    "$((3 * $(count "$b" smtp.req)))" "$(count "$r" smtp.req)"
check "replicate: sources without lost segments" 0 \
    "$(($(count "$a" tcp.analysis.lost_segment) + $(count "$b" tcp.analysis.lost_segment)))"
check "replicate: no lost segment" 0 \
    "$(count "$r" 'tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment')"
check "replicate: no retransmission" 0 "$(count "$r" 'tcp.analysis.retransmission')"
check "replicate: classic pcap, Ethernet" "pcap ether" "$(ftype "$r")"
check "replicate: time order" True "$(capinfos -o -M "$r" | sed -n 's/^Strict time order: *//p')"
tests/bench/replicate.sh -b "$build" -k 3 -i "$a" -i "$b" "$r" > "$tmp/rep2.log" 2>&1
check "replicate: cached" "up to date" "$(grep -o 'up to date' "$tmp/rep2.log")"
r2="$tmp/rep2.pcap"
tests/bench/replicate.sh -b "$build" -k 2 -g 25 -i "$a" -i "$b" "$r2" > "$tmp/rep3.log" 2>&1 ||
    { cat "$tmp/rep3.log"; echo "FAIL bench-smoke: replicate.sh -g failed"; exit 1; }
check "replicate: copies + gen flows" \
    "$((2 * ($(convs "$a") + $(convs "$b")) + 25))" "$(convs "$r2")"

# ---- run.sh: a scenario table measured and reported (commands that exist everywhere) ----
cat > "$tmp/table" <<'EOF'
t-base   baseline  idle  5  -          cat {input}
t-w1     pipeline  idle  3  workers=1  gzip -c -1 {input}
t-w2     pipeline  idle  3  workers=2  gzip -c -9 {input}
t-mem    pipeline  idle  3  idle=t-base  sort {input}
EOF
BENCH_SCENARIOS="$tmp/table" BENCH_RESULTS="$tmp/res" \
    sh tests/bench/run.sh "$build" bench-pipeline > "$tmp/run.log" 2>&1
check "run.sh status" 0 $?
rows() { # PYTHON-EXPRESSION over r, the list of result rows of latest.json
    python3 -c "import json, sys; r = json.load(open(sys.argv[1]))['scenarios']; print($1)" \
        "$tmp/res/latest.json"
}
check "run.sh rows" "t-base t-w1 t-w2 t-mem" "$(rows '" ".join(x["name"] for x in r)')"
check "run.sh: baseline ratio" 1.0 "$(rows 'round(r[0]["ratio"], 6)')"
check "run.sh: ratio of t-w1" 1 "$(rows 'int(0 < r[1]["ratio"] < 100)')"
check "run.sh: runs of t-w1" 3 "$(rows 'len(r[1]["wall_ns_all"])')"
check "run.sh: median of t-w1" 1 \
    "$(rows 'int(sorted(r[1]["wall_ns_all"])[1] == r[1]["wall_ns_median"])')"
check "run.sh: memory per flow" 1 "$(rows 'int("bytes_per_flow" in r[3])')"
check "run.sh: table rows" 4 "$(grep -c '^| t-' "$tmp/res/latest.md")"
check "run.sh: workers plot" PNG "$(head -c 4 "$tmp/res/latest-workers.png" | tail -c 3)"

[ $failures -eq 0 ] || { echo "FAIL bench-smoke ($failures checks)"; exit 1; }
echo "ok bench-smoke"

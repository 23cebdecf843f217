#!/bin/sh
# pcapng (through libpcap), standard input and a directory of captures give
# the same flow events as the memory-mapped classic pcap.
. "$E2E/lib.inc"
src="$CORPUS/suricata-verify/http-range-multiflows/input.pcap"
"$SPURUN" -r "$src" -o "$TMPC/classic.json" --no-progress 2>/dev/null
flows "$TMPC/classic.json" > "$TMPC/classic.flows"
if command -v editcap >/dev/null 2>&1; then
    editcap -F pcapng "$src" "$TMPC/ng.pcapng"
    "$SPURUN" -r "$TMPC/ng.pcapng" -o "$TMPC/ng.json" --no-progress 2>/dev/null
    flows "$TMPC/ng.json" > "$TMPC/ng.flows"
    cmp -s "$TMPC/classic.flows" "$TMPC/ng.flows" && echo "ok formats pcapng: same flows" ||
        echo "FAIL formats pcapng: flows differ"
else
    echo "skip formats pcapng: editcap (wireshark-common) not installed"
fi
"$SPURUN" -r - -o "$TMPC/stdin.json" --no-progress < "$src" 2>/dev/null
flows "$TMPC/stdin.json" > "$TMPC/stdin.flows"
cmp -s "$TMPC/classic.flows" "$TMPC/stdin.flows" && echo "ok formats stdin: same flows" ||
    echo "FAIL formats stdin: flows differ"
mkdir -p "$TMPC/dir"
cp "$src" "$TMPC/dir/a.pcap"
cp "$CORPUS/suricata-verify/bug-78-http-uri/input.pcap" "$TMPC/dir/b.pcap"
"$SPURUN" -r "$TMPC/dir" -o "$TMPC/dir.json" --no-progress 2>/dev/null
n=$(stat "$TMPC/dir.json" stats.decoder.pkts)
a=$(stat "$TMPC/classic.json" stats.decoder.pkts)
[ "$n" -gt "$a" ] && echo "ok formats directory: both files read ($n packets)" ||
    echo "FAIL formats directory: $n packets"
# a directory with --split-read: each of 3 workers reads both files (one
# mapping each, shared); the same flows and packets as one reader
"$SPURUN" -r "$TMPC/dir" -w 3 --split-read -o "$TMPC/sdir.json" --no-progress 2>/dev/null
flows "$TMPC/dir.json" > "$TMPC/dir.flows"
flows "$TMPC/sdir.json" > "$TMPC/sdir.flows"
sn=$(stat "$TMPC/sdir.json" stats.decoder.pkts)
[ -s "$TMPC/dir.flows" ] && cmp -s "$TMPC/dir.flows" "$TMPC/sdir.flows" && [ "$sn" = "$n" ] &&
    echo "ok formats directory split-read: the same $sn packets and flows with 3 workers reading" ||
    echo "FAIL formats directory split-read: $sn packets of $n, or other flows"
"$SPURUN" -r "$src" -o "$TMPC/bpf.json" --bpf "tcp port 1" --no-progress 2>/dev/null
n=$(stat "$TMPC/bpf.json" stats.decoder.pkts)
[ "$n" = 0 ] && echo "ok formats bpf: a filter matching nothing passes nothing" ||
    echo "FAIL formats bpf: $n packets passed"

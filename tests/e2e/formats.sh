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
"$SPURUN" -r "$src" -o "$TMPC/bpf.json" --bpf "tcp port 1" --no-progress 2>/dev/null
n=$(stat "$TMPC/bpf.json" stats.decoder.pkts)
[ "$n" = 0 ] && echo "ok formats bpf: a filter matching nothing passes nothing" ||
    echo "FAIL formats bpf: $n packets passed"

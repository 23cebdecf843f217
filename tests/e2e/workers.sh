#!/bin/sh
# The same capture with 1, 2 and 3 workers yields the same flow events
# (compared with the spu object removed, sorted).
. "$E2E/lib.inc"
for t in http-range-multiflows eve-suricata-version bug-4376 tcp-rst-unacked-stream-11 \
         http-ipv6 decode-sll2-02; do
    pcap="$CORPUS/suricata-verify/$t/input.pcap"
    [ -f "$pcap" ] || { echo "FAIL workers $t: missing $pcap"; continue; }
    for w in 1 2 3; do
        "$SPURUN" -r "$pcap" -w $w -o "$TMPC/$t-$w.json" --no-progress 2>/dev/null
        flows "$TMPC/$t-$w.json" > "$TMPC/$t-$w.flows"
        # each worker reading the file itself (--split-read): the same flows
        "$SPURUN" -r "$pcap" -w $w --split-read -o "$TMPC/$t-r$w.json" --no-progress \
            2>/dev/null
        flows "$TMPC/$t-r$w.json" > "$TMPC/$t-r$w.flows"
    done
    n=$(wc -l < "$TMPC/$t-1.flows")
    if [ "$n" -gt 0 ] && cmp -s "$TMPC/$t-1.flows" "$TMPC/$t-2.flows" &&
       cmp -s "$TMPC/$t-1.flows" "$TMPC/$t-3.flows"; then
        echo "ok workers $t: $n flow events identical with 1, 2 and 3 workers"
    else
        echo "FAIL workers $t: flow events differ between worker counts ($n with 1)"
        diff "$TMPC/$t-1.flows" "$TMPC/$t-2.flows" | head -5
    fi
    same=1
    for w in 1 2 3; do
        cmp -s "$TMPC/$t-1.flows" "$TMPC/$t-r$w.flows" || same=0
    done
    if [ "$n" -gt 0 ] && [ $same = 1 ]; then
        echo "ok workers $t: the same $n flow events with each worker reading the file" \
             "(--split-read, 1, 2 and 3 workers)"
    else
        echo "FAIL workers $t: --split-read changes the flow events"
        for w in 1 2 3; do diff "$TMPC/$t-1.flows" "$TMPC/$t-r$w.flows" | head -5; done
    fi
done

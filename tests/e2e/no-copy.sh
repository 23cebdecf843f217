#!/bin/sh
# On a capture without out-of-order segments no stream byte is copied
# (spu.stream.bytes_copied == 0 while bytes are delivered in place); on one
# with out-of-order segments the copy is counted.
. "$E2E/lib.inc"
check() { # test expect(zero|nonzero)
    pcap="$CORPUS/suricata-verify/$1/input.pcap"
    "$SPURUN" -r "$pcap" -w 2 -o "$TMPC/$1.json" --no-progress -k none 2>/dev/null
    copied=$(stat "$TMPC/$1.json" spu.stream.bytes_copied)
    inplace=$(stat "$TMPC/$1.json" spu.stream.bytes_in_place)
    case "$2:$copied" in
    zero:0)
        if [ "$inplace" -gt 0 ]; then echo "ok no-copy $1: $inplace bytes delivered in place, 0 copied"
        else echo "FAIL no-copy $1: nothing delivered"; fi ;;
    nonzero:0) echo "FAIL no-copy $1: out-of-order data but bytes_copied is 0" ;;
    nonzero:*) echo "ok no-copy $1: out-of-order capture copied $copied bytes" ;;
    *) echo "FAIL no-copy $1: bytes_copied=$copied on an in-order capture" ;;
    esac
}
check http-range-multiflows zero
check bug-78-http-uri zero
check tcp-rst-unacked-stream-11 nonzero

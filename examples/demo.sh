#!/bin/sh
# make demo: compile the shipped grammars and rules into one bundle, run spurun
# on examples/demo.pcap and print what it found.  Usage: demo.sh BUILD_DIR
set -e
BUILD=${1:-build}
OUT=$BUILD/demo
rm -rf "$OUT"
mkdir -p "$OUT"

set -- grammars/*.spg rules/*.spr
inputs=""
for f in "$@"; do
    [ -e "$f" ] && inputs="$inputs $f"
done

bundle_args=""
if [ -n "$inputs" ]; then
    echo "== spuc: compiling$inputs"
    # shellcheck disable=SC2086
    "$BUILD/spuc" -n demo -o "$OUT/demo.spb" $inputs
    bundle_args="-b $OUT/demo.spb --classification rules/classification.config"
    ls -l "$OUT/demo.spb" | awk '{ print "   bundle " $NF ", " $5 " bytes" }'
    # the lookup trees of the rules (README: "From a capture to alerts")
    "$BUILD/spuc" --dot "$OUT/demo.spb" > "$OUT/index.dot"
    if command -v dot > /dev/null; then
        dot -Tsvg -o "$OUT/index.svg" "$OUT/index.dot" && echo "   lookup trees $OUT/index.svg"
    else
        echo "   lookup trees $OUT/index.dot (Graphviz's dot draws it)"
    fi
else
    echo "== no grammars or rules shipped yet: spurun decodes, tracks flows and logs them"
fi

echo "== spurun -r examples/demo.pcap $bundle_args --force-magic -l $OUT"
# shellcheck disable=SC2086
"$BUILD/spurun" -r examples/demo.pcap $bundle_args --force-magic -l "$OUT"
echo "== what spurun found ($OUT/eve.json)"
python3 examples/summarize.py "$OUT/eve.json"

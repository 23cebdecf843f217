#!/bin/sh
# Seeds for fuzz-bundle: sample bundles written by the bundle writer
# (tests/tools/bundle-samples.c). Usage: seed-fuzz-bundle.sh BUILD DIR
# The tool is built by `make` (all, tools); build it here when missing.
set -e
build="$1"; dir="$2"
tool="$build/tools/bundle-samples"
if [ ! -x "$tool" ]; then
    san=0
    case "$build" in *san*) san=1 ;; esac
    make -s SAN=$san "$tool"
fi
mkdir -p "$dir"
"$tool" "$dir"
# Bundles spuc compiles: every golden case of the compiler tests that it
# accepts (with the case's .args), and the shipped grammars and rules when
# they exist. A compile that fails here is left out (make test-compiler
# reports it).
spuc="$(cd "$build" && pwd)/spuc"
[ -x "$spuc" ] || exit 0
out=$(cd "$dir" && pwd)
for exp in tests/compiler/cases/*.expected; do
    [ "$(tail -n 1 "$exp")" = "--- exit 0" ] || continue
    name=$(basename "${exp%.expected}")
    for src in "$name.spg" "$name.spr"; do
        [ -f "tests/compiler/cases/$src" ] || continue
        args=""
        [ -f "tests/compiler/cases/$name.args" ] && args=$(cat "tests/compiler/cases/$name.args")
        # shellcheck disable=SC2086 # args are words by design
        (cd tests/compiler/cases && "$spuc" -o "$out/seed-spuc-$name.spb" "$src" $args) \
            > /dev/null 2>&1 || rm -f "$out/seed-spuc-$name.spb"
    done
done
set -- grammars/*.spg
if [ -f "$1" ]; then
    "$spuc" -o "$out/seed-spuc-grammars.spb" "$@" > /dev/null 2>&1 ||
        rm -f "$out/seed-spuc-grammars.spb"
    set -- rules/*.spr
    if [ -f "$1" ]; then
        "$spuc" -o "$out/seed-spuc-rules.spb" -I grammars "$@" > /dev/null 2>&1 ||
            rm -f "$out/seed-spuc-rules.spb"
    fi
fi
exit 0

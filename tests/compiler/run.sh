#!/bin/sh
# Golden tests of spuc's front end (make test-compiler).
#
#   tests/compiler/run.sh BUILD          run every case
#   UPDATE=1 tests/compiler/run.sh BUILD rewrite the expectations
#   VALGRIND=1 tests/compiler/run.sh BUILD  run spuc under valgrind (errors
#                                        and leaks fail the case)
#
# A case is a source file tests/compiler/cases/NAME.spg or NAME.spr, with
# NAME.expected and optionally NAME.args (more arguments: options and other
# files of the same compilation, after the case's file). The mode comes from
# the name: ast-* runs `spuc --dump-ast`, sym-* and lang-* run
# `spuc --dump-symbols`, dump-* runs `spuc --dump --stable` (the bundle
# spuc writes, loaded back and disassembled), ir-* runs `spuc --dump-ir`,
# anything else runs `spuc --check`. A case whose expectation is
# "--- exit 0" must also pass `spuc --check` (code generation and
# verification of everything the front end accepts). The expectation
# holds stdout, then "--- stderr" and stderr when there is any, then
# "--- exit N". Cases run inside tests/compiler/cases so paths stay short.
build="$1"
[ -n "$build" ] || { echo "usage: $0 BUILD" >&2; exit 2; }
spuc="$(cd "$build" && pwd)/spuc"
[ -x "$spuc" ] || { echo "no $spuc: build it first" >&2; exit 2; }
run=""
[ -n "$VALGRIND" ] && run="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99"
cd "$(dirname "$0")/cases" || exit 2
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0; failed=""
for src in *.spg *.spr; do
    [ -f "$src" ] || continue
    name="${src%.*}"
    case "$name" in
        ast-*) mode=--dump-ast ;;
        sym-*|lang-*) mode=--dump-symbols ;;
        dump-*) mode="--dump --stable" ;;
        ir-*) mode=--dump-ir ;;
        *) mode=--check ;;
    esac
    args=""
    [ -f "$name.args" ] && args=$(cat "$name.args")
    # shellcheck disable=SC2086 # args are words by design
    $run "$spuc" $mode "$src" $args > "$tmp/out" 2> "$tmp/err"
    rc=$?
    {
        cat "$tmp/out"
        if [ -s "$tmp/err" ]; then echo "--- stderr"; cat "$tmp/err"; fi
        echo "--- exit $rc"
    } > "$tmp/actual"
    if [ -n "$UPDATE" ]; then
        cp "$tmp/actual" "$name.expected"
        pass=$((pass + 1))
        continue
    fi
    if [ ! -f "$name.expected" ]; then
        echo "FAIL $src: no $name.expected (run with UPDATE=1 and review it)"
        fail=$((fail + 1)); failed="$failed $src"
    elif ! diff -u "$name.expected" "$tmp/actual" > "$tmp/diff"; then
        echo "FAIL $src ($mode)"
        head -n 60 "$tmp/diff"
        fail=$((fail + 1)); failed="$failed $src"
    elif [ $rc -gt 1 ]; then
        echo "FAIL $src: spuc exited with $rc"
        fail=$((fail + 1)); failed="$failed $src"
    elif [ $rc -eq 0 ] && [ "$mode" != --check ] &&
         ! $run "$spuc" --check "$src" $args > "$tmp/out" 2> "$tmp/err"; then
        echo "FAIL $src: accepted by $mode but not by spuc --check (code generation)"
        head -n 20 "$tmp/err"
        fail=$((fail + 1)); failed="$failed $src"
    else
        pass=$((pass + 1))
    fi
done
if [ $fail -ne 0 ]; then
    echo "compiler golden tests: $fail failed:$failed ($pass passed)"
    exit 1
fi
echo "ok   compiler golden tests: $pass cases"

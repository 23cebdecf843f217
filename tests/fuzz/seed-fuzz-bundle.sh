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

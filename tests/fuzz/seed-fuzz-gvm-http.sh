#!/bin/sh
# Seeds for fuzz-gvm-http (see seed-fuzz-gvm.sh).
exec sh "$(dirname "$0")/seed-fuzz-gvm.sh" "$1" "$2" http

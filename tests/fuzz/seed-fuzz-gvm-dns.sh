#!/bin/sh
# Seeds for fuzz-gvm-dns (see seed-fuzz-gvm.sh).
exec sh "$(dirname "$0")/seed-fuzz-gvm.sh" "$1" "$2" dns

/*
 * fuzz-gvm-tls.c - libFuzzer target: grammars/tls.spg: records, handshake
 * messages, X.509 DER
 * (see gvm-target.inc; seeds: tests/fuzz/seed-fuzz-gvm-tls.sh).
 */
#define GVM_FUZZ_NAME "fuzz-gvm-tls"
#define GVM_FUZZ_PROTO "tls"
#define GVM_FUZZ_SOURCE "import tls;\n"
#include "gvm-target.inc"

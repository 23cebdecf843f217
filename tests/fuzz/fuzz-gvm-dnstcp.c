/*
 * fuzz-gvm-dnstcp.c - libFuzzer target: grammars/dnstcp.spg, DNS over TCP
 * (length-prefixed messages parsed by dns.msg)
 * (see gvm-target.inc; seeds: tests/fuzz/seed-fuzz-gvm-dnstcp.sh).
 */
#define GVM_FUZZ_NAME "fuzz-gvm-dnstcp"
#define GVM_FUZZ_PROTO "dnstcp"
#define GVM_FUZZ_SOURCE "import dnstcp;\n"
#include "gvm-target.inc"

/*
 * fuzz-gvm-dns.c - libFuzzer target: grammars/dns.spg, DNS over UDP,
 * one datagram per feed
 * (see gvm-target.inc; seeds: tests/fuzz/seed-fuzz-gvm-dns.sh).
 */
#define GVM_FUZZ_NAME "fuzz-gvm-dns"
#define GVM_FUZZ_PROTO "dns"
#define GVM_FUZZ_SOURCE "import dns;\n"
#include "gvm-target.inc"

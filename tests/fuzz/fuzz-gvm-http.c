/*
 * fuzz-gvm-http.c - libFuzzer target: grammars/http.spg (and the html
 * sub-grammar of its bodies)
 * (see gvm-target.inc; seeds: tests/fuzz/seed-fuzz-gvm-http.sh).
 */
#define GVM_FUZZ_NAME "fuzz-gvm-http"
#define GVM_FUZZ_PROTO "http"
#define GVM_FUZZ_SOURCE "import http;\n"
#include "gvm-target.inc"

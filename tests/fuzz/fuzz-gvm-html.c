/*
 * fuzz-gvm-html.c - libFuzzer target: grammars/html.spg on raw input: a
 * server stream given whole to html.document, as an HTTP body is
 * (see gvm-target.inc; seeds: tests/fuzz/seed-fuzz-gvm-html.sh).
 */
#define GVM_FUZZ_NAME "fuzz-gvm-html"
#define GVM_FUZZ_PROTO "fuzzhtml"
#define GVM_FUZZ_SOURCE                                                \
    "import html;\n"                                                \
    "protocol fuzzhtml over tcp {\n"                                \
    "    message page from server { d: rest parse html.document; }\n" \
    "}\n"
#include "gvm-target.inc"

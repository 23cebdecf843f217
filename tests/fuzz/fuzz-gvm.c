/*
 * fuzz-gvm.c - libFuzzer target: the streaming grammar VM on every grammar
 * of tests/unit/gvm/ and grammars/ at once (see gvm-target.inc; the
 * shipped grammars also have a target each, fuzz-gvm-NAME).
 */
#define GVM_FUZZ_NAME "fuzz-gvm"
#define GVM_FUZZ_DIRS "tests/unit/gvm:grammars"
#include "gvm-target.inc"

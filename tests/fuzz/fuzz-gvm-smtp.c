/*
 * fuzz-gvm-smtp.c - libFuzzer target: grammars/smtp.spg (and the email
 * sub-grammar of DATA and BDAT)
 * (see gvm-target.inc; seeds: tests/fuzz/seed-fuzz-gvm-smtp.sh).
 */
#define GVM_FUZZ_NAME "fuzz-gvm-smtp"
#define GVM_FUZZ_PROTO "smtp"
#define GVM_FUZZ_SOURCE "import smtp;\n"
#include "gvm-target.inc"

/*
 * fuzz-gvm-email.c - libFuzzer target: grammars/email.spg (RFC 5322 and
 * MIME) on raw input: a client stream given whole to email.message, as
 * SMTP DATA gives it after dot-unstuffing
 * (see gvm-target.inc; seeds: tests/fuzz/seed-fuzz-gvm-email.sh).
 */
#define GVM_FUZZ_NAME "fuzz-gvm-email"
#define GVM_FUZZ_PROTO "fuzzemail"
#define GVM_FUZZ_SOURCE                                                      \
    "import email;\n"                                                     \
    "protocol fuzzemail over tcp {\n"                                     \
    "    message mail from client { m: rest parse email.message record; }\n" \
    "}\n"
#include "gvm-target.inc"

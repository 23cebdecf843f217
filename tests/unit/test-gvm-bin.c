/* test-gvm-bin.c - the binary constructs of the grammar language on
 * tests/unit/gvm/binary.spg compiled by spuc: integers of every width and
 * byte order, bit fields, within() windows (lists by byte length, nested
 * length-prefixed units, bytes left over), lists by count, and names with
 * references back into a message buffer; every input split in every way.
 * Malformed input (a length that overruns, a pointer loop, a pointer
 * forward) gives anomalies, never a hang. */
#include "test-gvm.h"

#include "helper-compile.h"
#include "helper-file.h"

static struct spu_bundle *bin_bundle(void)
{
    char *text = hf_read("tests/unit/gvm/binary.spg", NULL);
    struct spu_bundle *b = hc_bundle(text, NULL);
    free(text);
    cr_assert_not_null(b, "binary.spg does not compile");
    return b;
}

/* magic 0xa123, le16 0x1234, le32 0x12345678, be24 0x010203, big and le64
 * 2^32 + 2, 13 bytes of items (a u32; a nested tlv whose window leaves a
 * byte), two counted pairs, tail 0xff (names follow) */
#define MSG                                                                                        \
    "\xa1\x23" "\x34\x12" "\x78\x56\x34\x12" "\x01\x02\x03"                                        \
    "\x00\x00\x00\x01\x00\x00\x00\x02" "\x02\x00\x00\x00\x01\x00\x00\x00"                          \
    "\x00\x0d" "\x01\x04\x00\x00\x01\x00" "\x02\x05\x03\x02hiz"                                    \
    "\x02\x07\x08" "\xff"
/* three names: www.example.com, mail + pointer to offset 5 (example.com),
 * a pointer to offset 18 (the second name: two pointers deep) */
#define NAMES                                                                                      \
    "\x03" "\x03www\x07" "example\x03" "com\x00" "\x04mail\xc0\x05" "\xc0\x12"

#define MSG_REC                                                                                    \
    "msg{first=161 both=13347 magic=41251 kind=10 low=291 le16=4660 le32=305419896 be24=66051 big=4294967298 "          \
    "le64=4294967298 len=13 item=[tlv{tag=1 l=4 num=256}, tlv{tag=2 l=5 sub=tlv{tag=3 l=2 "        \
    "data=\"hi\"}}] n=2 pair=[7, 8] tail=255}"

#define NAMES_REC                                                                                  \
    "names{count=3 name=[dname{label=[\"www\", \"example\", \"com\"] text=\"www.example.com\"}, "      \
    "dname{label=[\"mail\"] text=\"mail.example.com\" ptr=dname{label=[\"example\", \"com\"] "          \
    "text=\"example.com\"}}, dname{text=\"mail.example.com\" ptr=dname{label=[\"mail\"] "               \
    "text=\"mail.example.com\" ptr=dname{label=[\"example\", \"com\"] text=\"example.com\"}}}]}"

Test(gvm_bin, integers_windows_and_names)
{
    struct spu_bundle *b = bin_bundle();
    struct ga_step steps[] = {GA_C(MSG NAMES), {GA_EOF, SPU_DIR_CLIENT, NULL, 0}};
    char *log = split_invariant(b, 0, steps, 2);
    cr_assert_str_eq(log, "E bin.msg tx=0 dir=0 " MSG_REC "\n"
                          "T 0 " MSG_REC " null\n"
                          "E bin.names tx=1 dir=0 " NAMES_REC "\n"
                          "T 1 " NAMES_REC " null\n");
    free(log);
    spu_bundle_unref(b);
}

/* The log of the client stream `data` (then its end), split invariant. */
static char *bin_run(const char *data, size_t len)
{
    struct spu_bundle *b = bin_bundle();
    struct ga_step steps[] = {{GA_FEED, SPU_DIR_CLIENT, data, len},
                              {GA_EOF, SPU_DIR_CLIENT, NULL, 0}};
    char *log = split_invariant(b, 0, steps, 2);
    spu_bundle_unref(b);
    return log;
}
#define BIN_RUN(lit) bin_run((lit), sizeof(lit) - 1)

/* An item whose length overruns the list's within(): a parse error, the
 * message still delivered flagged incomplete. */
Test(gvm_bin, length_overrun)
{
    char *log = BIN_RUN("\xa1\x23" "\x34\x12" "\x78\x56\x34\x12" "\x01\x02\x03"
                        "\x00\x00\x00\x01\x00\x00\x00\x02" "\x02\x00\x00\x00\x01\x00\x00\x00"
                        "\x00\x04" "\x09\x09\x00\x00\x00\x00\x00\x00");
    cr_assert(strstr(log, "A bin.parse_error\n"), "%s", log);
    cr_assert(strstr(log, "item=[]") || strstr(log, "}!I"), "%s", log);
    free(log);
}

/* The stream ends inside an integer: incomplete, not a parse error. */
Test(gvm_bin, truncated_integer)
{
    char *log = BIN_RUN("\xa1\x23" "\x34\x12" "\x78\x56");
    cr_assert(strstr(log, "A bin.incomplete\n"), "%s", log);
    cr_assert(strstr(log, "le16=4660"), "%s", log);
    free(log);
}

#define TO_NAMES                                                                                   \
    "\xa1\x23" "\x34\x12" "\x78\x56\x34\x12" "\x01\x02\x03"                                        \
    "\x00\x00\x00\x01\x00\x00\x00\x02" "\x02\x00\x00\x00\x01\x00\x00\x00" "\x00\x00" "\x00" "\xff"

/* A name pointing at itself: the reference nests until limits.depth and
 * the message ends with depth_limit; nothing hangs. */
Test(gvm_bin, pointer_loop)
{
    char *log = BIN_RUN(TO_NAMES "\x01" "\xc0\x01");
    cr_assert(strstr(log, "A bin.depth_limit\n"), "%s", log);
    free(log);
}

/* A pointer forward (to bytes not seen yet) is refused. */
Test(gvm_bin, pointer_forward)
{
    char *log = BIN_RUN(TO_NAMES "\x02" "\xc0\x03" "\x01a\x00");
    cr_assert(strstr(log, "A bin.parse_error\n"), "%s", log);
    cr_assert(!strstr(log, "text="), "%s", log);
    free(log);
}

/* A pointer to two labels back, then a pointer into its own middle:
 * labels and pointers mix at every depth. */
Test(gvm_bin, pointer_into_a_label_run)
{
    char *log = BIN_RUN(TO_NAMES "\x02" "\x01" "a\x01" "b\x00" "\x01" "c\xc0\x03");
    cr_assert(strstr(log, "text=\"a.b\""), "%s", log);
    cr_assert(strstr(log, "text=\"c.b\""), "%s", log);
    free(log);
}

/* A peek holds its bytes across chunks, at most limits.token: 20 bytes of
 * lookahead fed a byte at a time pass a limit of 64 and fail one of 8
 * (token_limit); in one chunk nothing is held and both pass. */
static const char peek_grammar[] = "protocol pk over tcp {\n"
                                   "    ports 1;\n"
                                   "    limits { token %d; }\n"
                                   "    message m from client {\n"
                                   "        peek { a: bytes(20); }\n"
                                   "        b: u8;\n"
                                   "        rest;\n"
                                   "        event pk.m;\n"
                                   "    }\n"
                                   "}\n";

static char *peek_run(int token, int mode)
{
    char g[512];
    snprintf(g, sizeof(g), peek_grammar, token);
    struct spu_bundle *b = hc_bundle(g, NULL);
    cr_assert_not_null(b);
    static const char data[] = "abcdefghijklmnopqrstuvwxyz0123";
    struct ga_result r;
    struct ga_step steps[] = {{GA_FEED, SPU_DIR_CLIENT, data, sizeof(data) - 1},
                              {GA_EOF, SPU_DIR_CLIENT, NULL, 0}};
    struct ga_split s = {mode, 0, 7, NULL};
    ga_run(b, 0, steps, 2, s, &r);
    spu_bundle_unref(b);
    char *log = r.log;
    r.log = NULL;
    ga_result_free(&r);
    return log;
}

Test(gvm_bin, peek_bounded_by_token_limit)
{
    char *log = peek_run(64, GA_BYTES);
    cr_assert(strstr(log, "E pk.m tx=0 dir=0 m{a=\"abcdefghijklmnopqrst\" b=97}"), "%s", log);
    free(log);
    log = peek_run(8, GA_WHOLE);
    cr_assert(strstr(log, "b=97}"), "%s", log);
    free(log);
    log = peek_run(8, GA_BYTES);
    cr_assert(strstr(log, "A pk.token_limit\n"), "%s", log);
    cr_assert(!strstr(log, "b=97"), "%s", log);
    free(log);
}

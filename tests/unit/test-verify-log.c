/*
 * test-verify-log.c - the verifier on the LOG and LOGENT sections
 * (runtime/vm/verify-log.c): a bundle spuc made from a grammar with log
 * declarations loads; each damage (checksum recomputed, so only the
 * verifier can notice) is refused with the section, the byte offset of
 * the bad field and the reason.
 */
#include "bundle.h"
#include "helper-bundle.h"
#include "helper-compile.h"

#include <criterion/criterion.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define OFF(type, f) offsetof(struct type, f)

/* Entries, in LOGENT order: log demo: 0 verb, 1 args.words, 2 state,
 * 3 protocol, 4 /email.status, 5 (sub of 1) word; log cmd: 6 verb,
 * 7 status, 8 params, 9 (sub of 8) name, 10 value. */
static const char grammar[] =
    "protocol demo over tcp {\n"
    "    ports 7777;\n"
    "    transaction command -> reply;\n"
    "    token crlf = /\\r?\\n/;\n"
    "    unit word { w: /[a-z]+/; \" \"?; }\n"
    "    message command from client {\n"
    "        verb: /[A-Z]+/; \" \"; words: word*; crlf;\n"
    "        url = split_url(\"/x?a=1\");\n"
    "        event demo.command;\n"
    "    }\n"
    "    message reply from server {\n"
    "        code: /[0-9]+/; \" \"; text: /[^\\r\\n]*/; crlf; n = int(code);\n"
    "        event demo.reply;\n"
    "    }\n"
    "    log demo on transaction demo {\n"
    "        verb = command.verb;\n"
    "        args.words = command.words { word = w; };\n"
    "        \"state\" = reply.n;\n"
    "        protocol = reply.text;\n"
    "        \"/email.status\" = reply.text;\n"
    "    }\n"
    "    log cmd on demo.command {\n"
    "        verb = verb;\n"
    "        status = reply.n;\n"
    "        params = url.params { name = name; value = value; };\n"
    "    }\n"
    "}\n";

static uint8_t *p;
static size_t len;

static void setup(void)
{
    p = hc_compile(grammar, NULL, NULL, &len, NULL);
    cr_assert_not_null(p);
}

static void teardown(void)
{
    free(p);
}

static uint64_t ent(unsigned sec, uint32_t i, size_t field)
{
    return hb_sec_off(p, len, sec) + (uint64_t)i * spu_section_entsize(sec) + field;
}

static struct spu_blog *log_at(uint32_t i)
{
    return (struct spu_blog *)(p + ent(SPU_SEC_LOG, i, 0));
}

static struct spu_blogent *logent_at(uint32_t i)
{
    return (struct spu_blogent *)(p + ent(SPU_SEC_LOGENT, i, 0));
}

static void refused(const char *where, uint64_t off, const char *substr)
{
    hb_rechecksum(p, len);
    struct spu_error err;
    struct spu_bundle *b = spu_bundle_load_mem(p, len, NULL, &err);
    cr_assert_null(b, "accepted (expected %s)", substr);
    cr_assert_str_eq(err.where, where, "where '%s' (%s)", err.where, err.msg);
    cr_assert_eq(err.offset, off, "offset %llu, expected %llu (%s)", (unsigned long long)err.offset,
                 (unsigned long long)off, err.msg);
    cr_assert_not_null(strstr(err.msg, substr), "message '%s' lacks '%s'", err.msg, substr);
}

TestSuite(verify_log, .init = setup, .fini = teardown);

Test(verify_log, spuc_output_loads)
{
    struct spu_error err;
    struct spu_bundle *b = spu_bundle_load_mem(p, len, NULL, &err);
    cr_assert_not_null(b, "%s: %s", err.where, err.msg);
    uint32_t nl, ne;
    spu_bundle_logs(b, &nl);
    spu_bundle_logents(b, &ne);
    cr_assert_eq(nl, 2);
    cr_assert_eq(ne, 11);
    spu_bundle_unref(b);
}

Test(verify_log, unknown_kind)
{
    log_at(0)->kind = 7;
    refused("log", ent(SPU_SEC_LOG, 0, OFF(spu_blog, kind)), "unknown kind 7");
}

Test(verify_log, event_trigger_and_layout)
{
    log_at(1)->trigger = 1000;
    refused("log", ent(SPU_SEC_LOG, 1, OFF(spu_blog, trigger)), "is not a grammar event");
}

Test(verify_log, event_layout)
{
    log_at(1)->layout = log_at(0)->layout;
    refused("log", ent(SPU_SEC_LOG, 1, OFF(spu_blog, layout)), "not its event's record layout");
}

Test(verify_log, transaction_layout_of_messages)
{
    log_at(0)->layout = log_at(1)->layout; /* the command record: its fields are not records */
    refused("log", ent(SPU_SEC_LOG, 0, OFF(spu_blog, layout)), "is not a message record");
}

Test(verify_log, entries_in_range)
{
    log_at(0)->nentries = 100;
    refused("log", ent(SPU_SEC_LOG, 0, OFF(spu_blog, first_entry)), "outside the logent section");
}

Test(verify_log, entry_owned_twice)
{
    log_at(1)->first_entry = 0;
    refused("logent", ent(SPU_SEC_LOGENT, 0, 0), "owned twice");
}

Test(verify_log, entry_owned_by_none)
{
    log_at(0)->nentries = 3;
    refused("logent", ent(SPU_SEC_LOGENT, 3, 0), "owned by no log or entry");
}

Test(verify_log, program_of_another_record)
{
    logent_at(0)->prog = logent_at(6)->prog; /* an event program in a transaction log */
    refused("logent", ent(SPU_SEC_LOGENT, 0, OFF(spu_blogent, prog)), "runs on another record");
}

Test(verify_log, sub_program_of_another_record)
{
    logent_at(5)->prog = logent_at(9)->prog; /* runs on `param`, not on `word` */
    refused("logent", ent(SPU_SEC_LOGENT, 5, OFF(spu_blogent, prog)), "runs on another record");
}

Test(verify_log, subs_after_their_parent)
{
    logent_at(1)->first_sub = 1;
    refused("logent", ent(SPU_SEC_LOGENT, 1, OFF(spu_blogent, first_sub)), "not after it");
}

Test(verify_log, sub_layout_known)
{
    logent_at(8)->sub_layout = 0x80000000u | 999;
    refused("logent", ent(SPU_SEC_LOGENT, 8, OFF(spu_blogent, sub_layout)), "unknown");
}

Test(verify_log, no_sub_fields_without_subs)
{
    logent_at(1)->nsubs = 0;
    refused("logent", ent(SPU_SEC_LOGENT, 1, OFF(spu_blogent, first_sub)),
            "sub fields without entries");
}

Test(verify_log, empty_path)
{
    logent_at(2)->path.len = 0;
    refused("logent", ent(SPU_SEC_LOGENT, 2, OFF(spu_blogent, path)), "path string bad");
}

Test(verify_log, path_with_an_empty_name)
{
    /* "args.words" -> "args." (the dot last) */
    logent_at(1)->path.len = 5;
    refused("logent", ent(SPU_SEC_LOGENT, 1, OFF(spu_blogent, path)), "empty name");
}

Test(verify_log, sub_path_from_the_root)
{
    /* sub entry 9 (name) gets the path "/email.status" of entry 4 */
    logent_at(9)->path = logent_at(4)->path;
    refused("logent", ent(SPU_SEC_LOGENT, 9, OFF(spu_blogent, path)), "starts at the root");
}

Test(verify_log, not_a_key_program)
{
    logent_at(0)->prog = 0; /* a grammar unit */
    refused("logent", ent(SPU_SEC_LOGENT, 0, OFF(spu_blogent, prog)), "not a KEY program");
}

/*
 * test-gvm.h - fixtures shared by the grammar VM's test files (header
 * only, static functions): the demo protocol of docs/grammar-language.md
 * assembled by hand, and a split-invariance check.
 */
#ifndef SPU_TEST_GVM_H
#define SPU_TEST_GVM_H

#include "helper-gasm.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

/* The demo protocol: "HELLO name\r\n" ... "BYE\r\n" answered by "+OK ..."
 * or "-ERR ...". command -> reply transactions, resync client after \n. */
static inline void demo_grammar(struct ga *a)
{
    ga_layout(a, "command", "verb arg");
    ga_layout(a, "reply", "ok text");
    ga_event(a, "t.command", "command");
    ga_event(a, "t.reply", "reply");
    ga_resync(a, SPU_DIR_CLIENT, "/\\n/", SPU_RESYNC_AFTER);
    ga_sink(a, "span", "", NULL, SPU_NONE, SPU_SINKF_SPAN);
    ga_prog(a, "message", "command", "command", 0,
            "G_TOKEN /[A-Z]+/ CAP\n"
            "STORE_FIELD .verb\n"
            "G_PREDICT SURE [\" \"]\n"
            "PUSH_INT 0\n"
            "EQ\n"
            "JZ Ls\n"
            "G_LIT \" \"\n"
            "G_TOKEN /[^\\r\\n]*/ CAP\n"
            "STORE_FIELD .arg\n"
            "Ls: G_TOKEN /\\r?\\n/\n"
            "G_EVENT %t.command\n"
            "RET\n");
    ga_prog(a, "message", "reply", "reply", 0,
            "G_SINK_OPEN $span\n"
            "G_PREDICT [\"+OK\" | \"-ERR\"]\n"
            "STORE_LOCAL 0\n"
            "LOAD_LOCAL 0; PUSH_INT 0; EQ; JNZ La\n"
            "LOAD_LOCAL 0; PUSH_INT 1; EQ; JNZ Lb\n"
            "G_ERROR \"expected +OK or -ERR\"\n"
            "La: G_LIT \"+OK\"\n"
            "JMP Le\n"
            "Lb: G_LIT \"-ERR\"\n"
            "Le: G_SINK_CLOSE CAP\n"
            "STORE_FIELD .ok\n"
            "G_TOKEN /[^\\r\\n]*/ CAP\n"
            "STORE_FIELD .text\n"
            "G_TOKEN /\\r?\\n/\n"
            "LOAD_PAIR .verb@command\n"
            "PUSH_K \"BYE\"\n"
            "EQ\n"
            "JZ Lx\n"
            "G_STOP\n"
            "Lx: G_EVENT %t.reply\n"
            "RET\n");
    ga_tx(a, "command", "reply");
    ga_driver(a, SPU_DIR_CLIENT, "command", NULL);
    ga_driver(a, SPU_DIR_SERVER, "reply", NULL);
}

static inline struct spu_bundle *demo_bundle(void)
{
    struct ga *a = ga_new();
    demo_grammar(a);
    struct spu_bundle *b = ga_build(a);
    ga_free(a);
    return b;
}

static inline char *run_log(struct spu_bundle *b, uint32_t proto, const struct ga_step *steps,
                            size_t n, struct ga_split split)
{
    struct ga_result r;
    ga_run(b, proto, steps, n, split, &r);
    return r.log;
}

/* Longest feed of the steps. */
static inline size_t longest_feed(const struct ga_step *steps, size_t n)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (steps[i].kind == GA_FEED && steps[i].len > m)
            m = steps[i].len;
    return m;
}

/* The log of the steps fed whole; asserts that 1-byte chunks, every split
 * point (feeds under 4 KiB) or 64 random splittings (larger ones) give
 * the same log. Returns the log (free it). */
static inline char *split_invariant(struct spu_bundle *b, uint32_t proto,
                                    const struct ga_step *steps, size_t n)
{
    struct ga_split whole = {GA_WHOLE, 0, 0, NULL};
    char *ref = run_log(b, proto, steps, n, whole);
    struct ga_split bytes = {GA_BYTES, 0, 0, NULL};
    char *l = run_log(b, proto, steps, n, bytes);
    cr_assert_str_eq(l, ref, "1-byte chunks differ");
    free(l);
    size_t m = longest_feed(steps, n);
    size_t tries = m < 4096 ? m : 64;
    for (size_t at = 1; at < tries; at++) {
        struct ga_split s = {m < 4096 ? GA_AT : GA_RANDOM, at, (uint32_t)at * 2654435761u, NULL};
        l = run_log(b, proto, steps, n, s);
        cr_assert_str_eq(l, ref, "split at %zu differs", at);
        free(l);
    }
    return ref;
}

#endif

/* Unit tests for compiler/lower-grammar.c and predict.c: the DFAs spuc
 * builds for tokens, predictions, detect and resync patterns, run on
 * inputs with the runtime's own DFA code (dfa-run.h); the sink each kind
 * of capture gets; refused constructs. The instruction sequences are
 * golden files (tests/compiler/cases/dump-grammar.*). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "dfa-run.h"
#include "helper-compile.h"

static struct spu_bundle *B;

static void fini(void)
{
    spu_bundle_unref(B);
    B = NULL;
}

static uint32_t prog_named(const char *name)
{
    uint32_t n;
    const struct spu_bprog *p = spu_bundle_progs(B, &n);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t len;
        const char *s = spu_bundle_str(B, p[i].name, &len);
        if (len == strlen(name) && memcmp(s, name, len) == 0)
            return i;
    }
    cr_assert_fail("no program %s", name);
    return 0;
}

/* The k-th instruction with opcode op in program `name`. */
static const struct spu_insn *find_op(const char *name, unsigned op, unsigned k)
{
    uint32_t n, nc;
    const struct spu_bprog *p = &spu_bundle_progs(B, &n)[prog_named(name)];
    const struct spu_insn *code = spu_bundle_code(B, &nc) + p->code_off;
    for (uint32_t i = 0; i < p->code_len; i++)
        if (code[i].op == op && k-- == 0)
            return &code[i];
    cr_assert_fail("no %s #%u in %s", spu_opinfo[op].name, k, name);
    return NULL;
}

static struct spu_dfa dfa(uint32_t idx)
{
    uint32_t n, nw;
    const struct spu_bdfa *h = &spu_bundle_dfas(B, &n)[idx];
    const uint32_t *w = spu_bundle_dfadata(B, &nw);
    struct spu_dfa d;
    cr_assert_eq(spu_dfa_from_bundle(&d, h, w, nw), SPU_OK);
    return d;
}

/* The label of the longest match of s, or -1. */
static int label_of(const struct spu_dfa *d, const char *s)
{
    size_t len;
    uint32_t l = spu_dfa_match(d, (const uint8_t *)s, strlen(s), &len);
    return l == SPU_NONE ? -1 : (int)l;
}

static const char *choices =
    "protocol p over tcp {\n"
    "    token num = /[0-9]+/;\n"
    "    unit word { w: /[a-z]+/; }\n"
    "    unit either { ( \"GET\"i | num ) \" \"; }\n"
    "    unit lead { x: either; }\n"
    "    unit u {\n"
    "        ( lead | \"+\" | word );\n"
    "        h: /[A-Z]+/* until \";\";\n"
    "        o: \"-\"?;\n"
    "    }\n"
    "    message m from client { u; event p.m; }\n"
    "}\n";

Test(lower_grammar, prediction_labels, .fini = fini)
{
    B = hc_bundle(choices, NULL);
    cr_assert_not_null(B);
    /* (lead | "+" | word): label 0 begins with "GET"i or a number */
    struct spu_dfa d = dfa(find_op("p.u", SPU_OP_G_PREDICT, 0)->c);
    cr_expect_eq(d.nlabels, 3);
    cr_expect_eq(label_of(&d, "GET"), 0);
    cr_expect_eq(label_of(&d, "gEt"), 0);
    cr_expect_eq(label_of(&d, "123"), 0);
    cr_expect_eq(label_of(&d, "+"), 1);
    cr_expect_eq(label_of(&d, "get"), 0, "the earlier alternative wins a tie");
    cr_expect_eq(label_of(&d, "gets"), 2, "the longest match wins");
    cr_expect_eq(label_of(&d, "x"), 2);
    cr_expect_eq(label_of(&d, "?"), -1);
    /* [A-Z]+ repeated until ";": the terminator is label 0 */
    struct spu_dfa u = dfa(find_op("p.u", SPU_OP_G_PREDICT, 1)->c);
    cr_expect_eq(u.nlabels, 2);
    cr_expect_eq(label_of(&u, ";"), 0);
    cr_expect_eq(label_of(&u, "AB"), 1);
    /* "-"?: one label, predicted with SURE */
    const struct spu_insn *opt = find_op("p.u", SPU_OP_G_PREDICT, 2);
    cr_expect_eq(opt->a, SPU_GF_SURE);
    struct spu_dfa o = dfa(opt->c);
    cr_expect_eq(o.nlabels, 1);
    cr_expect_eq(label_of(&o, "-"), 0);
}

Test(lower_grammar, detect_and_resync, .fini = fini)
{
    B = hc_bundle("protocol q over tcp {\n"
                  "    detect client /(HELO|EHLO) /i;\n"
                  "    detect client \"QUIT\";\n"
                  "    resync client at /\\r\\n[A-Z]{4}/;\n"
                  "    resync server after \"\\n\";\n"
                  "    message a from client { /[^\\n]*/; \"\\n\"; event q.a; }\n"
                  "    message b from server { /[^\\n]*/; \"\\n\"; event q.b; }\n"
                  "}\n",
                  NULL);
    cr_assert_not_null(B);
    uint32_t n;
    const struct spu_bproto *p = spu_bundle_protos(B, &n);
    cr_assert_eq(n, 1);
    struct spu_dfa det = dfa(p->detect[SPU_DIR_CLIENT]);
    cr_expect_eq(det.nlabels, 2);
    cr_expect_eq(label_of(&det, "ehlo "), 0);
    cr_expect_eq(label_of(&det, "QUIT"), 1);
    cr_expect_eq(p->detect[SPU_DIR_SERVER], SPU_NONE);
    cr_expect_eq(p->resync_mode[SPU_DIR_CLIENT], SPU_RESYNC_AT);
    cr_expect_eq(p->resync_mode[SPU_DIR_SERVER], SPU_RESYNC_AFTER);
    struct spu_dfa rs = dfa(p->resync[SPU_DIR_CLIENT]);
    cr_expect_eq(rs.flags, SPU_DFA_SEARCH);
    struct spu_dfa_scan s;
    spu_dfa_scan_init(&s, &rs);
    const char *in = "garbage\r\nMAIL x";
    spu_dfa_search(&rs, &s, (const uint8_t *)in, strlen(in));
    cr_expect_eq(s.done, 1);
    cr_expect_eq(s.consumed, 13, "the match ends after MAIL");
    struct spu_dfa rev = dfa(p->resync_rev[SPU_DIR_CLIENT]);
    cr_expect_eq(rev.flags, SPU_DFA_ANCHORED);
    struct spu_dfa_scan r;
    spu_dfa_scan_init(&r, &rev);
    spu_dfa_longest_rev(&rev, &r, (const uint8_t *)in, 13);
    spu_dfa_finish(&rev, &r);
    cr_expect_eq(r.len, 6, "the match starts 6 bytes before its end");
    cr_expect_eq(p->resync_rev[SPU_DIR_SERVER], SPU_NONE);
    cr_expect_neq(p->driver[SPU_DIR_CLIENT], SPU_NONE);
    cr_expect_neq(p->driver[SPU_DIR_SERVER], SPU_NONE);
}

Test(lower_grammar, sink_modes, .fini = fini)
{
    B = hc_bundle("protocol s over tcp {\n"
                  "    unit rec { r: /[a-z]+/; }\n"
                  "    unit str { yield bytes(2); }\n"
                  "    message m from client {\n"
                  "        a: upto \"\\n\" filter base64 limit 10;\n" /* produced: Y */
                  "        b: ( \"x\" | \"y\" );\n"                     /* group: span */
                  "        c: switch { true => rec; } filter qp;\n"    /* record: span */
                  "        d: str;\n"                                 /* stream unit: Y */
                  "        event s.m;\n"
                  "    }\n"
                  "}\n",
                  NULL);
    cr_assert_not_null(B);
    uint32_t n;
    const struct spu_bsink *sk = spu_bundle_sinks(B, &n);
    cr_assert_eq(n, 4);
    cr_expect_eq(sk[0].flags, 0);
    cr_expect_eq(sk[0].nfilters, 1);
    cr_expect_eq(sk[0].limit, 10);
    cr_expect_eq(sk[1].flags, SPU_SINKF_SPAN);
    cr_expect_eq(sk[1].limit, SPU_NONE);
    cr_expect_eq(sk[2].flags, SPU_SINKF_SPAN);
    cr_expect_eq(sk[3].flags, 0);
    cr_expect_eq(find_op("s.m", SPU_OP_G_UPTO, 0)->a, SPU_GF_YIELD);
    cr_expect_eq(find_op("s.m", SPU_OP_G_LIT, 0)->a, 0, "a span sink sees plain consumption");
    cr_expect_eq(find_op("s.str", SPU_OP_G_BYTES, 0)->a, SPU_GF_YIELD);
    uint32_t np;
    const struct spu_bprog *p = spu_bundle_progs(B, &np);
    cr_expect_eq(p[prog_named("s.str")].flags, SPU_PF_STREAM);
}

/* The current iteration's capture: null when the iteration captured
 * nothing, read from a hidden local (docs/grammar-vm.md). */
Test(lower_grammar, current_iteration_local, .fini = fini)
{
    B = hc_bundle("protocol r over tcp {\n"
                  "    message m from client {\n"
                  "        repeat { c: /[0-9]+/; more: \"-\"?; \"\\n\"; } while (more != null);\n"
                  "        event r.m;\n"
                  "    }\n"
                  "}\n",
                  NULL);
    cr_assert_not_null(B);
    const struct spu_insn *dup = find_op("r.m", SPU_OP_DUP, 0);
    cr_expect_eq(dup[1].op, SPU_OP_STORE_LOCAL);
    cr_expect_eq(dup[2].op, SPU_OP_APPEND_FIELD);
    uint32_t local = dup[1].b;
    /* reset at the loop head (after G_LOOP_INIT), read by the condition */
    const struct spu_insn *init = find_op("r.m", SPU_OP_G_LOOP_INIT, 0);
    cr_expect_eq(init[1].op, SPU_OP_PUSH_NULL);
    cr_expect_eq(init[2].op, SPU_OP_STORE_LOCAL);
    cr_expect_eq(init[2].b, local);
    cr_expect_eq(find_op("r.m", SPU_OP_LOAD_LOCAL, 0)->b, local);
}

/* Bad input: what the back end refuses is a located error. */
Test(lower_grammar, record_unit_cannot_be_yielded)
{
    char *diag = NULL;
    size_t len;
    uint8_t *p = hc_compile("protocol y over tcp {\n"
                            "    unit rec { r: /[a-z]+/; }\n"
                            "    unit s { yield switch { true => rec; else => rest; }; }\n"
                            "    message m from client { x: s; event y.m; }\n"
                            "}\n",
                            NULL, NULL, &len, &diag);
    cr_expect_null(p);
    cr_expect_not_null(strstr(diag, "g0.spg:3:"), "%s", diag);
    cr_expect_not_null(strstr(diag, "produces a record"), "%s", diag);
    free(diag);
}

Test(lower_grammar, mixed_content_in_one_arm)
{
    char *diag = NULL;
    size_t len;
    uint8_t *p = hc_compile("protocol z over tcp {\n"
                            "    unit rec { r: /[a-z]+/; }\n"
                            "    message m from client {\n"
                            "        x: switch { true => rec upto \";\"; } filter base64;\n"
                            "        event z.m;\n"
                            "    }\n"
                            "}\n",
                            NULL, NULL, &len, &diag);
    cr_expect_null(p);
    cr_expect_not_null(strstr(diag, "g0.spg:4:"), "%s", diag);
    cr_expect_not_null(strstr(diag, "mixes bytes"), "%s", diag);
    free(diag);
}

/*
 * bundle-samples - write sample bundles built with the bundle writer (and
 * the tests' skeleton, tests/unit/helper-bundle.c) into a directory: seeds
 * for fuzz-bundle until spuc compiles the shipped rules.
 *
 *   bundle-samples DIR
 *
 * Writes DIR/sample-rules.spb (rule programs using most R opcodes, flow
 * and session state, built-in calls), DIR/sample-tree.spb (a lookup tree
 * and prefilter literals), DIR/sample-grammar.spb (grammar programs, a
 * DFA, a sink, lists and regexes). Each is verified by loading it back.
 */
#include "../unit/helper-bundle.c"

#include "bundle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int save(struct hb *h, const char *dir, const char *name)
{
    size_t len;
    uint8_t *p = hb_finish(h, NULL, &len);
    hb_free(h);
    struct spu_error err;
    struct spu_bundle *b = spu_bundle_load_mem(p, len, NULL, &err);
    if (!b) {
        char buf[512];
        fprintf(stderr, "bundle-samples: %s does not verify: %s\n", name,
                spu_error_str(&err, buf, sizeof(buf)));
        free(p);
        return 1;
    }
    spu_bundle_unref(b);
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    int bad = !f || fwrite(p, 1, len, f) != len;
    if (f)
        bad |= fclose(f) != 0;
    free(p);
    if (bad)
        fprintf(stderr, "bundle-samples: cannot write %s\n", path);
    return bad;
}

static struct hb *sample_rules(void)
{
    struct hb *h = hb_new();
    struct spu_bw *bw = h->bw;
    spu_bw_const_str(bw, "GET", 3, 0);             /* k0 */
    spu_bw_const_str(bw, "content-length", 14, 0); /* k1 */
    spu_bw_const_int(bw, INT64_MIN);               /* k2 */
    uint8_t ip[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1};
    spu_bw_const_ip(bw, ip, 4, 24, 0); /* k3 */
    struct spu_bregex re = {spu_bw_cstr(bw, "^/admin(/|$)"), SPU_RE_I};
    spu_bw_regex(bw, &re);
    hb_rule(h, 1,
            "LOAD_FIELD 0; PUSH_K 0; EQ; JZ 11; LOAD_FIELD 1; MATCH_RE 0; JZ 11; "
            "PUSH_INT 1; PUSH_NULL; CALL Alert 2; POP; RET",
            2, 0);
    hb_rule(h, 2,
            "LOAD_FIELD 3; PUSH_K 1; INDEX; CALL int 1; STORE_LOCAL 0; LOAD_LOCAL 0; "
            "PUSH_INT 1000; GT; JZ 12; CALL Drop 0; POP; RET; RET",
            2, 1);
    hb_rule(h, 3,
            "LOAD_FLOWVAR 0; PUSH_INT 1; ADD; STORE_FLOWVAR 0; LOAD_FIELD 0; LOAD_FIELD 1; "
            "CONCAT; STORE_FLOWVAR 1; LOAD_SESS 0 0; PUSH_INT 1; ADD; STORE_SESS 0 0; RET",
            2, 0);
    hb_rule(h, 4,
            "PUSH_INT 0; STORE_LOCAL 0; LOAD_LOCAL 0; LOAD_FIELD 3; LEN; LT; JZ 17; "
            "LOAD_FIELD 3; LOAD_LOCAL 0; INDEX; MEMBER 0 0; POP; LOAD_LOCAL 0; PUSH_INT 1; "
            "ADD; STORE_LOCAL 0; LOOP 2; RET",
            2, 1);
    hb_rule(h, 5,
            "PUSH_K 2; PUSH_INT -1; DIV; PUSH_INT 7; MOD; NEG; PUSH_INT 3; MUL; PUSH_INT 2; "
            "SUB; POP; LOAD_FLOWKEY 0; PUSH_K 3; EQ; NOT; TRUTH; POP; LOAD_FIELD 4; "
            "MEMBER 6 0x80000001; LOAD_FIELD 1; CONTAINS_I; POP; RET",
            3, 0);
    hb_rule_on(h, HB_EV_RESPONSE, 6,
               "LOAD_FIELD 0; PUSH_INT 500; GE; LOAD_PAIR 0 1; PUSH_NULL; NE; "
               "LOAD_ANC 1 6; POP; POP; POP; RET",
               3, 0);
    return h;
}

static struct hb *sample_tree(void)
{
    struct hb *h = hb_new();
    struct spu_bw *bw = h->bw;
    uint32_t r[4];
    for (uint32_t i = 0; i < 4; i++)
        r[i] = hb_rule(h, 10 + i, "RET", 0, 0);
    ((struct spu_brule *)spu_bw_at(bw, SPU_SEC_RULE, r[0]))->flags = SPU_RF_INDEXED;
    ((struct spu_brule *)spu_bw_at(bw, SPU_SEC_RULE, r[1]))->flags = SPU_RF_INDEXED;
    ((struct spu_brule *)spu_bw_at(bw, SPU_SEC_RULE, r[2]))->flags = SPU_RF_PREFILTERED;
    uint32_t km = hb_prog(h, SPU_PROG_KEY, HB_EV_REQUEST, 0, "method", "LOAD_FIELD 0; RET", 1, 0);
    uint32_t ku = hb_prog(h, SPU_PROG_KEY, HB_EV_REQUEST, 0, "uri", "LOAD_FIELD 1; RET", 1, 0);
    uint32_t lv[2] = {km, ku};
    struct spu_bevent *e = spu_bw_at(bw, SPU_SEC_EVENT, HB_EV_REQUEST);
    e->levels = spu_bw_u32(bw, lv, 2);
    e->nlevels = 2;
    e->index_root = 0;
    struct spu_biedge ed[3] = {
        {SPU_IE_EXACT, 0, spu_bw_cstr(bw, "GET"), 1, 0},
        {SPU_IE_EXACT, SPU_IEF_NOCASE, spu_bw_cstr(bw, "post"), 2, 0},
        {SPU_IE_PREFIX, 0, spu_bw_cstr(bw, "/cgi-bin/"), 3, 0},
    };
    for (int i = 0; i < 3; i++)
        spu_bw_iedge(bw, &ed[i]);
    struct spu_binode n[4] = {
        {0, 0, 2, 2, SPU_NONE, 0, 0},
        {1, 2, 1, 0, SPU_NONE, spu_bw_u32(bw, &r[0], 1), 1},
        {1, 0, 0, 0, SPU_NONE, 0, 0},
        {1, 0, 0, 0, SPU_NONE, spu_bw_u32(bw, &r[1], 1), 1},
    };
    for (int i = 0; i < 4; i++)
        spu_bw_inode(bw, &n[i]);
    struct spu_bpattern p1 = {HB_EV_REQUEST, ku, spu_bw_cstr(bw, "passwd"), 0, r[2]};
    struct spu_bpattern p2 = {HB_EV_REQUEST, ku, spu_bw_cstr(bw, "SHADOW"), SPU_IEF_NOCASE, r[2]};
    spu_bw_pattern(bw, &p1);
    spu_bw_pattern(bw, &p2);
    return h;
}

static struct hb *sample_grammar(void)
{
    struct hb *h = hb_new();
    struct spu_bw *bw = h->bw;
    char text[512];
    uint32_t kget = spu_bw_const_str(bw, "GET", 3, 0);
    uint32_t kerr = spu_bw_const_str(bw, "bad request", 11, 0);
    uint8_t cm[256] = {0};
    for (int c = 'a'; c <= 'z'; c++)
        cm[c] = 1;
    uint32_t trans[6] = {0, 0, 0, 2, 0, 2}, acc[3] = {SPU_NONE, SPU_NONE, 0},
             dec[3] = {SPU_NONE, 0, 0};
    struct spu_bw_dfa d = {3, 2, 1, 1, SPU_DFA_ANCHORED, cm, trans, acc, dec, "[a-z]+", 6};
    uint32_t dfa = spu_bw_dfa(bw, &d);
    uint32_t unit = hb_prog(h, SPU_PROG_UNIT, 0, HB_L_HEADER, "header",
                            "G_TOKEN 0 1; STORE_FIELD 0; G_REST 1; STORE_FIELD 1; RET", 1, 0);
    uint32_t flt = SPU_FLT_gunzip;
    struct spu_bsink sk = {spu_bw_u32(bw, &flt, 1), 1, SPU_NONE, 0, 4096, 0};
    spu_bw_sink(bw, &sk);
    snprintf(text, sizeof(text),
             "G_LIT %u a=5; STORE_FIELD 0; G_TOKEN %u 1; STORE_FIELD 1; G_LOOP_INIT 0; "
             "G_PREDICT %u 8; PUSH_INT 0; EQ; JZ 13; G_CALL %u 0 1; APPEND_FIELD 3; "
             "G_LOOP 0 5; RET; LOAD_STATE 0; PUSH_INT 1; ADD; STORE_STATE 0; PUSH_BOOL 1; "
             "G_SINK_OPEN 0 1 0; G_REST a=2; G_SINK_CLOSE a=1; STORE_FIELD 1; G_EVENT 0; RET",
             kget, dfa, dfa, unit);
    uint32_t msg = hb_prog(h, SPU_PROG_MESSAGE, 0, HB_L_REQUEST, "request", text, 2, 0);
    struct spu_bprog *mp = spu_bw_at(bw, SPU_SEC_PROG, msg);
    mp->nloops = 1;
    mp->event = HB_EV_REQUEST;
    snprintf(text, sizeof(text),
             "G_LOOP_INIT 0; G_AWAIT; JZ 6; G_MESSAGE %u; G_LOOP 0 1; G_ERROR %u; RET", msg, kerr);
    uint32_t drv = hb_prog(h, SPU_PROG_DRIVER, 0, SPU_NONE, "client", text, 1, 0);
    ((struct spu_bprog *)spu_bw_at(bw, SPU_SEC_PROG, drv))->nloops = 1;
    struct spu_bproto *p = spu_bw_at(bw, SPU_SEC_PROTO, HB_PROTO);
    p->driver[SPU_DIR_CLIENT] = drv;
    p->detect[SPU_DIR_CLIENT] = dfa;
    struct spu_bregex re = {spu_bw_cstr(bw, "sqlmap|nikto"), SPU_RE_I};
    uint32_t ri = spu_bw_regex(bw, &re);
    struct spu_blist rl = {
        spu_bw_cstr(bw, "scanners"), SPU_LIST_REGEX, 0, {0, 0}, {0, 0}, spu_bw_u32(bw, &ri, 1), 1};
    spu_bw_list(bw, &rl);
    return h;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bundle-samples DIR\n");
        return 2;
    }
    int bad = save(sample_rules(), argv[1], "sample-rules.spb");
    bad |= save(sample_tree(), argv[1], "sample-tree.spb");
    bad |= save(sample_grammar(), argv[1], "sample-grammar.spb");
    return bad ? 1 : 0;
}

/* Unit tests for runtime/vm/index.c: tree walks and prefilter selection on
 * hand-built trees. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "builtin-api.h"
#include "bundle.h"
#include "helper-bundle.h"
#include "index.h"
#include "vm.h"

/* split(s, sep, max) on one-byte separators: the only built-in these
 * key programs call (the VM's calling convention, not stdlib's code). */
static int fake_split(struct spu_call *c, const struct spu_value *a, unsigned n,
                      struct spu_value *ret)
{
    struct spu_value arr = spu_v_null();
    uint32_t start = 0;
    for (uint32_t i = 0; i <= a[0].len; i++)
        if (i == a[0].len || a[0].u.s[i] == a[1].u.s[0]) {
            spu_array_push(c->scratch, &arr, spu_v_str(a[0].u.s + start, i - start));
            start = i + 1;
        }
    *ret = arr;
    return SPU_OK;
}
static const spu_builtin_fn fns[SPU_BI__COUNT] = {[SPU_BI_split] = fake_split};

enum {
    R_GET,
    R_POST,
    R_ANY,
    R_CGI,
    R_PHP,
    R_INDEX,
    R_ALL,
    R_PF,
    R_PF2,
    R_TREE_PF,
    R_A,
    R_B,
    R_RESP,
    R_PKT,
    NRULES
};

struct fx {
    struct spu_bundle *b;
    struct spu_vm *vm;
    struct spu_index *ix;
    struct spu_arena *a;
    struct spu_record *req, *resp;
};
static struct fx F;

static void set_flags(struct hb *h, uint32_t r, uint32_t flags)
{
    ((struct spu_brule *)spu_bw_at(h->bw, SPU_SEC_RULE, r))->flags = flags;
}

static uint32_t rules1(struct hb *h, uint32_t r)
{
    return spu_bw_u32(h->bw, &r, 1);
}

static void edge(struct hb *h, uint32_t kind, uint32_t flags, const char *val, uint32_t child)
{
    struct spu_biedge e = {kind, flags, spu_bw_cstr(h->bw, val), child, 0};
    spu_bw_iedge(h->bw, &e);
}

static void node(struct hb *h, uint32_t level, uint32_t edges, uint32_t nedges, uint32_t nexact,
                 uint32_t any, uint32_t rule)
{
    struct spu_binode n = {level, edges, nedges, nexact, any, 0, 0};
    if (rule != SPU_NONE) {
        n.rules = rules1(h, rule);
        n.nrules = 1;
    }
    spu_bw_inode(h->bw, &n);
}

static void pattern(struct hb *h, uint32_t ev, uint32_t key, const char *lit, uint32_t flags,
                    uint32_t rule)
{
    struct spu_bpattern p = {ev, key, spu_bw_cstr(h->bw, lit), flags, rule};
    spu_bw_pattern(h->bw, &p);
}

/* request tree, by method then uri:
 *   N0 method: exact "GET" -> N1, exact "post" nocase -> N2, any -> N3
 *   N1 uri [R_GET R_TREE_PF]: exact "/index.html" -> N6, prefix "/cgi-bin/" -> N4,
 *      suffix ".php" nocase -> N5
 *   N2 [R_POST]  N3 [R_ANY]  N4 [R_CGI]  N5 [R_PHP]  N6 [R_INDEX]
 * response tree: N7 split(text, ",") exact "a" -> N8 [R_A], "b" -> N9 [R_B]
 * unindexed: R_ALL, R_PF ("passwd" | "SHADOW" nocase in uri), R_PF2 ("etc"
 * in uri and "PO" in method), R_RESP; R_TREE_PF also needs "admin" in uri.
 * packet has no tree: R_PKT. */
static void setup(void)
{
    struct hb *h = hb_new();
    uint32_t r[NRULES];
    for (uint32_t i = 0; i < NRULES; i++) {
        uint32_t ev = i == R_A || i == R_B || i == R_RESP ? HB_EV_RESPONSE
                      : i == R_PKT                        ? HB_EV_PACKET
                                                          : HB_EV_REQUEST;
        r[i] = hb_rule_on(h, ev, 100 + i, "RET", 0, 0);
        cr_assert_eq(r[i], i);
    }
    for (uint32_t i = R_GET; i <= R_INDEX; i++)
        set_flags(h, i, SPU_RF_INDEXED);
    set_flags(h, R_PF, SPU_RF_PREFILTERED);
    set_flags(h, R_PF2, SPU_RF_PREFILTERED);
    set_flags(h, R_TREE_PF, SPU_RF_INDEXED | SPU_RF_PREFILTERED);
    set_flags(h, R_A, SPU_RF_INDEXED);
    set_flags(h, R_B, SPU_RF_INDEXED);

    uint32_t kmethod =
        hb_prog(h, SPU_PROG_KEY, HB_EV_REQUEST, 0, "method", "LOAD_FIELD 0; RET", 1, 0);
    uint32_t kuri = hb_prog(h, SPU_PROG_KEY, HB_EV_REQUEST, 0, "uri", "LOAD_FIELD 1; RET", 1, 0);
    char text[128];
    uint32_t kcomma = spu_bw_const_str(h->bw, ",", 1, 0);
    snprintf(text, sizeof(text), "LOAD_FIELD 1; PUSH_K %u; PUSH_INT 64; CALL split 3; RET", kcomma);
    uint32_t ksplit = hb_prog(h, SPU_PROG_KEY, HB_EV_RESPONSE, 0, "parts", text, 3, 0);

    uint32_t lv[2] = {kmethod, kuri};
    struct spu_bevent *e = spu_bw_at(h->bw, SPU_SEC_EVENT, HB_EV_REQUEST);
    e->levels = spu_bw_u32(h->bw, lv, 2);
    e->nlevels = 2;
    e->index_root = 0;
    e = spu_bw_at(h->bw, SPU_SEC_EVENT, HB_EV_RESPONSE);
    e->levels = spu_bw_u32(h->bw, &ksplit, 1);
    e->nlevels = 1;
    e->index_root = 7;

    /* edges: N0 [0,2), N1 [2,5), N7 [5,7) */
    edge(h, SPU_IE_EXACT, 0, "GET", 1);
    edge(h, SPU_IE_EXACT, SPU_IEF_NOCASE, "post", 2);
    edge(h, SPU_IE_EXACT, 0, "/index.html", 6);
    edge(h, SPU_IE_PREFIX, 0, "/cgi-bin/", 4);
    edge(h, SPU_IE_SUFFIX, SPU_IEF_NOCASE, ".php", 5);
    edge(h, SPU_IE_EXACT, 0, "a", 8);
    edge(h, SPU_IE_EXACT, 0, "b", 9);
    node(h, 0, 0, 2, 2, 3, SPU_NONE); /* N0 */
    uint32_t n1rules[2] = {R_GET, R_TREE_PF};
    struct spu_binode n1 = {1, 2, 3, 1, SPU_NONE, spu_bw_u32(h->bw, n1rules, 2), 2};
    spu_bw_inode(h->bw, &n1);                /* N1 */
    node(h, 0, 0, 0, 0, SPU_NONE, R_POST);   /* N2 */
    node(h, 0, 0, 0, 0, SPU_NONE, R_ANY);    /* N3 */
    node(h, 0, 0, 0, 0, SPU_NONE, R_CGI);    /* N4 */
    node(h, 0, 0, 0, 0, SPU_NONE, R_PHP);    /* N5 */
    node(h, 0, 0, 0, 0, SPU_NONE, R_INDEX);  /* N6 */
    node(h, 0, 5, 2, 2, SPU_NONE, SPU_NONE); /* N7 */
    node(h, 0, 0, 0, 0, SPU_NONE, R_A);      /* N8 */
    node(h, 0, 0, 0, 0, SPU_NONE, R_B);      /* N9 */

    pattern(h, HB_EV_REQUEST, kuri, "passwd", 0, R_PF);
    pattern(h, HB_EV_REQUEST, kuri, "SHADOW", SPU_IEF_NOCASE, R_PF);
    pattern(h, HB_EV_REQUEST, kuri, "etc", 0, R_PF2);
    pattern(h, HB_EV_REQUEST, kmethod, "PO", 0, R_PF2);
    pattern(h, HB_EV_REQUEST, kuri, "admin", 0, R_TREE_PF);

    size_t len;
    uint8_t *p = hb_finish(h, NULL, &len);
    hb_free(h);
    struct spu_error err;
    F.b = spu_bundle_load_mem(p, len, NULL, &err);
    free(p);
    cr_assert_not_null(F.b, "load: %s: %llu: %s", err.where, (unsigned long long)err.offset,
                       err.msg);
    struct spu_vm_config cfg = {.builtins = fns};
    F.vm = spu_vm_new(&cfg, &err);
    F.ix = spu_index_new(&err);
    F.a = spu_arena_new(0, 0);
    cr_assert(F.vm && F.ix && F.a);
    F.req = spu_record_new(F.a, spu_bundle_layout(F.b, HB_L_REQUEST));
    F.resp = spu_record_new(F.a, spu_bundle_layout(F.b, HB_L_RESPONSE));
}

static void teardown(void)
{
    spu_index_free(F.ix);
    spu_vm_free(F.vm);
    spu_bundle_unref(F.b);
    spu_arena_free(F.a);
}

static void request(const char *method, const char *uri)
{
    F.req->slot[HB_F_METHOD] = method ? spu_v_str(method, (uint32_t)strlen(method)) : spu_v_null();
    F.req->slot[HB_F_URI] = uri ? spu_v_str(uri, (uint32_t)strlen(uri)) : spu_v_null();
}

/* Select and compare with the expected rules (ascending) and flags. */
static void expect(uint32_t ev, const struct spu_record *rec, const uint32_t *want,
                   const uint8_t *how, uint32_t n)
{
    struct spu_cands c;
    cr_assert_eq(spu_index_select(F.ix, F.vm, F.b, ev, rec, NULL, NULL, &c), SPU_OK);
    spu_vm_reset(F.vm);
    char got[256] = "";
    for (uint32_t i = 0; i < c.n; i++)
        snprintf(got + strlen(got), sizeof(got) - strlen(got), " %u/%u", c.rules[i], c.how[i]);
    cr_assert_eq(c.n, n, "got%s", got);
    for (uint32_t i = 0; i < n; i++) {
        cr_assert_eq(c.rules[i], want[i], "got%s", got);
        cr_assert_eq(c.how[i], how[i], "got%s", got);
    }
}

#define T SPU_SEL_TREE
#define U SPU_SEL_UNINDEXED
#define P SPU_SEL_PREFILTER

Test(index, exact_prefix_suffix_and_any, .init = setup, .fini = teardown)
{
    request("GET", "/cgi-bin/test.PHP");
    uint32_t w[] = {R_GET, R_ANY, R_CGI, R_PHP, R_ALL};
    uint8_t h[] = {T, T, T, T, U};
    expect(HB_EV_REQUEST, F.req, w, h, 5);
}

Test(index, exact_edge_and_nocase_exact_edge, .init = setup, .fini = teardown)
{
    request("GET", "/index.html");
    uint32_t w1[] = {R_GET, R_ANY, R_INDEX, R_ALL};
    uint8_t h1[] = {T, T, T, U};
    expect(HB_EV_REQUEST, F.req, w1, h1, 4);
    request("PoSt", "/index.html"); /* "post" nocase; no uri level under N2 */
    uint32_t w2[] = {R_POST, R_ANY, R_ALL};
    uint8_t h2[] = {T, T, U};
    expect(HB_EV_REQUEST, F.req, w2, h2, 3);
    request("get", "/index.html"); /* "GET" is case-sensitive */
    uint32_t w3[] = {R_ANY, R_ALL};
    uint8_t h3[] = {T, U};
    expect(HB_EV_REQUEST, F.req, w3, h3, 2);
}

Test(index, prefilter_needs_a_literal_of_every_group, .init = setup, .fini = teardown)
{
    request("POST", "/etc/passwd");
    uint32_t w1[] = {R_POST, R_ANY, R_ALL, R_PF, R_PF2};
    uint8_t h1[] = {T, T, U, U | P, U | P};
    expect(HB_EV_REQUEST, F.req, w1, h1, 5);
    request("GET", "/etc/x"); /* "etc" but no "PO": R_PF2 dropped */
    uint32_t w2[] = {R_GET, R_ANY, R_ALL};
    uint8_t h2[] = {T, T, U};
    expect(HB_EV_REQUEST, F.req, w2, h2, 3);
    request("HEAD", "/x/ShAdOw"); /* nocase literal */
    uint32_t w3[] = {R_ANY, R_ALL, R_PF};
    uint8_t h3[] = {T, U, U | P};
    expect(HB_EV_REQUEST, F.req, w3, h3, 3);
    request("GET", "/admin/index.html"); /* tree and prefilter together */
    uint32_t w4[] = {R_GET, R_ANY, R_ALL, R_TREE_PF};
    uint8_t h4[] = {T, T, U, T | P};
    expect(HB_EV_REQUEST, F.req, w4, h4, 4);
    struct spu_index_rule_stats rs = spu_index_rule_stats(F.ix, R_PF2);
    cr_assert_eq(rs.prefilter_pass, 1);
    cr_assert_eq(rs.prefilter_drop, 3);
    cr_assert_eq(rs.unindexed, 1);
    rs = spu_index_rule_stats(F.ix, R_ANY);
    cr_assert_eq(rs.tree, 4);
    rs = spu_index_rule_stats(F.ix, 999);
    cr_assert_eq(rs.tree, 0);
    const struct spu_index_stats *st = spu_index_stats(F.ix);
    cr_assert_eq(st->events, 4);
    cr_assert_eq(st->prefilter_dropped, 0 + 3 + 1 + 2);
    cr_assert_eq(st->scan_errors, 0);
    cr_assert_gt(st->literal_hits, 0);
}

Test(index, null_record_and_null_keys, .init = setup, .fini = teardown)
{
    uint32_t w[] = {R_ANY, R_ALL};
    uint8_t h[] = {T, U};
    expect(HB_EV_REQUEST, NULL, w, h, 2);
    request(NULL, NULL);
    expect(HB_EV_REQUEST, F.req, w, h, 2);
    cr_assert_eq(spu_index_stats(F.ix)->key_faults, 0);
}

Test(index, array_keys_follow_every_element, .init = setup, .fini = teardown)
{
    F.resp->slot[1] = spu_v_str("b,x,a", 5);
    uint32_t w[] = {R_A, R_B, R_RESP};
    uint8_t h[] = {T, T, U};
    expect(HB_EV_RESPONSE, F.resp, w, h, 3);
    F.resp->slot[1] = spu_v_str("c", 1);
    uint32_t w2[] = {R_RESP};
    uint8_t h2[] = {U};
    expect(HB_EV_RESPONSE, F.resp, w2, h2, 1);
}

Test(index, event_without_tree_selects_all_its_rules, .init = setup, .fini = teardown)
{
    uint32_t w[] = {R_PKT};
    uint8_t h[] = {U};
    expect(HB_EV_PACKET, NULL, w, h, 1);
    struct spu_cands c;
    cr_assert_eq(spu_index_select(F.ix, F.vm, F.b, 7, NULL, NULL, NULL, &c), SPU_EINVAL);
    cr_assert_eq(c.n, 0);
}

Test(index, a_faulting_key_counts_and_selects_nothing_below)
{
    struct hb *h = hb_new();
    uint32_t r = hb_rule(h, 1, "RET", 0, 0);
    set_flags(h, r, SPU_RF_INDEXED);
    uint32_t k =
        hb_prog(h, SPU_PROG_KEY, HB_EV_REQUEST, 0, "bad", "PUSH_INT 1; PUSH_INT 0; DIV; RET", 2, 0);
    struct spu_bevent *e = spu_bw_at(h->bw, SPU_SEC_EVENT, HB_EV_REQUEST);
    e->levels = spu_bw_u32(h->bw, &k, 1);
    e->nlevels = 1;
    e->index_root = 0;
    edge(h, SPU_IE_PREFIX, 0, "", 1); /* matches any string key */
    node(h, 0, 0, 1, 0, SPU_NONE, SPU_NONE);
    node(h, 0, 0, 0, 0, SPU_NONE, r);
    size_t len;
    uint8_t *p = hb_finish(h, NULL, &len);
    hb_free(h);
    struct spu_error err;
    struct spu_bundle *b = spu_bundle_load_mem(p, len, NULL, &err);
    free(p);
    cr_assert_not_null(b, "%s", err.msg);
    struct spu_vm_config cfg = {.builtins = fns};
    struct spu_vm *vm = spu_vm_new(&cfg, &err);
    struct spu_index *ix = spu_index_new(&err);
    struct spu_cands c;
    cr_assert_eq(spu_index_select(ix, vm, b, HB_EV_REQUEST, NULL, NULL, NULL, &c), SPU_OK);
    cr_assert_eq(c.n, 0);
    cr_assert_eq(spu_index_stats(ix)->key_faults, 1);
    cr_assert_eq(spu_index_stats(ix)->nodes, 1);
    spu_index_free(ix);
    spu_index_free(NULL);
    spu_vm_free(vm);
    spu_bundle_unref(b);
}

Test(index, a_new_bundle_resets_the_rule_counters, .init = setup, .fini = teardown)
{
    request("GET", "/");
    uint32_t w[] = {R_GET, R_ANY, R_ALL};
    uint8_t h[] = {T, T, U};
    expect(HB_EV_REQUEST, F.req, w, h, 3);
    cr_assert_eq(spu_index_rule_stats(F.ix, R_GET).tree, 1);
    /* another bundle through the same index: one rule, no tree */
    struct hb *hb = hb_new();
    hb_rule(hb, 1, "RET", 0, 0);
    size_t len;
    uint8_t *p = hb_finish(hb, NULL, &len);
    hb_free(hb);
    struct spu_error err;
    struct spu_bundle *other = spu_bundle_load_mem(p, len, NULL, &err);
    free(p);
    cr_assert_not_null(other);
    struct spu_cands c;
    cr_assert_eq(spu_index_select(F.ix, F.vm, other, HB_EV_REQUEST, NULL, NULL, NULL, &c), SPU_OK);
    cr_assert_eq(c.n, 1);
    cr_assert_eq(spu_index_rule_stats(F.ix, 0).unindexed, 1);
    cr_assert_eq(spu_index_rule_stats(F.ix, 0).tree, 0);
    spu_bundle_unref(other);
    expect(HB_EV_REQUEST, F.req, w, h, 3);
    cr_assert_eq(spu_index_rule_stats(F.ix, R_GET).tree, 1); /* counted afresh */
    cr_assert_eq(spu_index_stats(F.ix)->events, 3);
}

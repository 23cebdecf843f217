/* Unit tests for runtime/vm/vm.c and vm-ops: each opcode's semantics as a
 * table (KEY programs leave their result on the stack), short-circuit
 * code as spuc emits it, the budget, faults, flow and session state
 * through a fake host, actions through built-ins. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "builtin-api.h"
#include "bundle.h"
#include "helper-bundle.h"
#include "vm.h"

/* ---- a fake built-in table: the VM's calling convention, not stdlib ---- */

static int fake_strlen(struct spu_call *c, const struct spu_value *a, unsigned n,
                       struct spu_value *ret)
{
    *ret = a[0].type == SPU_T_STR ? spu_v_int(a[0].len) : spu_v_null();
    return SPU_OK;
}

/* StringCompare(a, b, nocase): records argument order as a - b lengths */
static int fake_compare(struct spu_call *c, const struct spu_value *a, unsigned n,
                        struct spu_value *ret)
{
    *ret = spu_v_int((int64_t)a[0].len * 100 + a[1].len * 10 + (int64_t)a[2].u.i);
    return SPU_OK;
}

static int fake_fail(struct spu_call *c, const struct spu_value *a, unsigned n,
                     struct spu_value *ret)
{
    c->fault = "fake failure";
    return SPU_EFAULT;
}

/* upper(s): uses the scratch arena like real built-ins */
static int fake_upper(struct spu_call *c, const struct spu_value *a, unsigned n,
                      struct spu_value *ret)
{
    uint8_t *p = spu_arena_alloc(c->scratch, a[0].len + 1);
    for (uint32_t i = 0; i < a[0].len; i++)
        p[i] = (uint8_t)(a[0].u.s[i] >= 'a' && a[0].u.s[i] <= 'z' ? a[0].u.s[i] - 32 : a[0].u.s[i]);
    *ret = spu_v_str(p, a[0].len);
    return SPU_OK;
}

static int fake_action(struct spu_call *c, const struct spu_value *a, unsigned n,
                       struct spu_value *ret)
{
    int rc = c->host->action(c->host_ctx, c->builtin, a, n, c->rule);
    *ret = spu_v_bool(rc == SPU_OK);
    return SPU_OK;
}

static const spu_builtin_fn fake_fns[SPU_BI__COUNT] = {
    [SPU_BI_StringLength] = fake_strlen, [SPU_BI_StringCompare] = fake_compare,
    [SPU_BI_lower] = fake_fail,          [SPU_BI_upper] = fake_upper,
    [SPU_BI_Alert] = fake_action,        [SPU_BI_Drop] = fake_action,
    [SPU_BI_Log] = fake_action,
};

/* ---- a fake host ---- */

struct fake_host {
    struct spu_arena *arena; /* flow and session state */
    struct spu_value flow[4];
    int have_flow;
    struct spu_value sess_key; /* one session entry */
    struct spu_value sess[2];
    int sess_exists;
    int refuse_sessions;
    unsigned end_rules;
    unsigned actions;
    uint32_t last_action, last_rule, last_argc;
    struct spu_value last_args[4];
};

static int h_action(void *ctx, uint32_t builtin, const struct spu_value *args, unsigned argc,
                    uint32_t rule)
{
    struct fake_host *h = ctx;
    h->actions++;
    h->last_action = builtin;
    h->last_rule = rule;
    h->last_argc = argc;
    memcpy(h->last_args, args, (argc < 4 ? argc : 4) * sizeof(*args));
    return SPU_OK;
}

static int h_flowkey(void *ctx, uint32_t key, struct spu_value *out)
{
    if (key != 2) /* only src_port */
        return SPU_ENOTFOUND;
    *out = spu_v_int(1234);
    return SPU_OK;
}

static struct spu_value *h_flowvars(void *ctx, uint32_t *n, struct spu_arena **arena)
{
    struct fake_host *h = ctx;
    *n = 4;
    *arena = h->arena;
    return h->have_flow ? h->flow : NULL;
}

static struct spu_value *h_session(void *ctx, uint32_t sess, const struct spu_value *key,
                                   int create, uint32_t *n, struct spu_arena **arena)
{
    struct fake_host *h = ctx;
    *n = 2;
    *arena = h->arena;
    if (h->refuse_sessions)
        return NULL;
    if (h->sess_exists && spu_value_eq(&h->sess_key, key))
        return h->sess;
    if (!create)
        return NULL;
    spu_value_copy(h->arena, key, &h->sess_key);
    memset(h->sess, 0, sizeof(h->sess));
    h->sess_exists = 1;
    return h->sess;
}

static void h_end_rule(void *ctx, uint32_t rule)
{
    ((struct fake_host *)ctx)->end_rules++;
}

static const struct spu_host host_ops = {
    .action = h_action,
    .flowkey = h_flowkey,
    .flowvars = h_flowvars,
    .session = h_session,
    .end_rule = h_end_rule,
};

/* ---- fixture: bundle, VM, records ---- */

struct ctx {
    struct hb *h;
    struct spu_bundle *b;
    struct spu_vm *vm;
    struct spu_arena *a;
    struct spu_record *req, *resp, *parent, *url;
    struct fake_host host;
};
static struct ctx X;

enum { K_HELLO, K_HELLO_WORLD, K_MAX, K_MIN, K_IP, K_EMPTY, K_LOW, K_CL, K_AAA };
/* after the list items (k9 "exe", k10 "SH", k11 10.0.0.0/8, k12 192.0.2.1): */
enum { K_EXE = 13, K_ZIP, K_UA, K_LIST0 };

static void build_start(void)
{
    memset(&X, 0, sizeof(X));
    X.h = hb_new();
    struct spu_bw *bw = X.h->bw;
    uint8_t ip[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3};
    cr_assert_eq(spu_bw_const_str(bw, "Hello", 5, 0), K_HELLO);
    cr_assert_eq(spu_bw_const_str(bw, "hello world", 11, 0), K_HELLO_WORLD);
    cr_assert_eq(spu_bw_const_int(bw, INT64_MAX), K_MAX);
    cr_assert_eq(spu_bw_const_int(bw, INT64_MIN), K_MIN);
    cr_assert_eq(spu_bw_const_ip(bw, ip, 4, 32, 0), K_IP);
    cr_assert_eq(spu_bw_const_str(bw, "", 0, 0), K_EMPTY);
    cr_assert_eq(spu_bw_const_str(bw, "lo W", 4, 0), K_LOW);
    cr_assert_eq(spu_bw_const_str(bw, "content-length", 14, 0), K_CL);
    const char *aaa = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!";
    cr_assert_eq(spu_bw_const_str(bw, aaa, strlen(aaa), 0), K_AAA);
    struct spu_bregex r0 = {spu_bw_cstr(bw, "^hel+o"), SPU_RE_I};
    struct spu_bregex r1 = {spu_bw_cstr(bw, "^(a|aa)+$"), 0};
    struct spu_bregex r2 = {spu_bw_cstr(bw, "sqlmap"), SPU_RE_I};
    spu_bw_regex(bw, &r0);
    spu_bw_regex(bw, &r1);
    spu_bw_regex(bw, &r2);
    /* lists: 0 exts = {"exe", "SH"} nocase; 1 nets = {10.0.0.0/8, 192.0.2.1};
     * 2 scanners = {/sqlmap/i} */
    uint32_t ext[2] = {spu_bw_const_str(bw, "exe", 3, 0), spu_bw_const_str(bw, "SH", 2, 0)};
    uint8_t n8[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 0};
    uint8_t h1[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1};
    uint32_t nets[2] = {spu_bw_const_ip(bw, n8, 4, 8, 0), spu_bw_const_ip(bw, h1, 4, 32, 0)};
    uint32_t rx = 2;
    struct spu_blist l0 = {spu_bw_cstr(bw, "exts"),
                           SPU_LIST_STR,
                           SPU_LISTF_NOCASE,
                           {0, 0},
                           {0, 0},
                           spu_bw_u32(bw, ext, 2),
                           2};
    struct spu_blist l1 = {
        spu_bw_cstr(bw, "nets"), SPU_LIST_IP, 0, {0, 0}, {0, 0}, spu_bw_u32(bw, nets, 2), 2};
    struct spu_blist l2 = {
        spu_bw_cstr(bw, "scanners"), SPU_LIST_REGEX, 0, {0, 0}, {0, 0}, spu_bw_u32(bw, &rx, 1), 1};
    spu_bw_list(bw, &l0);
    spu_bw_list(bw, &l1);
    spu_bw_list(bw, &l2);
    cr_assert_eq(spu_bw_const_str(bw, "EXE", 3, 0), K_EXE);
    cr_assert_eq(spu_bw_const_str(bw, "zip", 3, 0), K_ZIP);
    cr_assert_eq(spu_bw_const_str(bw, "Mozilla SQLMap/1.0", 18, 0), K_UA);
    cr_assert_eq(spu_bw_const_list(bw, 0), K_LIST0);
    cr_assert_eq(spu_bw_const_str(bw, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA!", 40, 0), 17);
    cr_assert_eq(spu_bw_const_str(bw, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA?", 40, 0), 18);
}

static void build_finish_with(uint64_t budget, const spu_builtin_fn *fns)
{
    size_t len;
    uint8_t *p = hb_finish(X.h, NULL, &len);
    struct spu_error err;
    X.b = spu_bundle_load_mem(p, len, NULL, &err);
    free(p);
    cr_assert_not_null(X.b, "load: %s: %llu: %s", err.where, (unsigned long long)err.offset,
                       err.msg);
    struct spu_vm_config cfg = {.builtins = fns, .budget = budget};
    X.vm = spu_vm_new(&cfg, &err);
    cr_assert_not_null(X.vm);
    X.a = spu_arena_new(0, 0);
    X.host.arena = spu_arena_new(0, 0);
    X.host.have_flow = 1;

    const struct spu_layout *lreq = spu_bundle_layout(X.b, HB_L_REQUEST);
    X.req = spu_record_new(X.a, lreq);
    X.resp = spu_record_new(X.a, spu_bundle_layout(X.b, HB_L_RESPONSE));
    X.parent = spu_record_new(X.a, spu_bundle_layout(X.b, HB_L_PACKET));
    X.url = spu_record_new(X.a, spu_bundle_layout(X.b, SPU_LAYOUT_STD | SPU_REC_url));
    X.req->slot[HB_F_METHOD] = spu_v_str("GET", 3);
    X.req->slot[HB_F_URI] = spu_v_str("/index.php?x=1", 14);
    X.req->slot[HB_F_STATUS] = spu_v_int(200);
    X.req->slot[HB_F_FLAG] = spu_v_bool(true);
    const struct spu_layout *lh = spu_bundle_layout(X.b, HB_L_HEADER);
    const char *hn[2] = {"Host", "Content-Length"}, *hv[2] = {"example.com", "42"};
    for (int i = 0; i < 2; i++) {
        struct spu_record *hr = spu_record_new(X.a, lh);
        hr->slot[0] = spu_v_str(hn[i], (uint32_t)strlen(hn[i]));
        hr->slot[1] = spu_v_str(hv[i], (uint32_t)strlen(hv[i]));
        spu_array_push(X.a, &X.req->slot[HB_F_HEADERS], spu_v_rec(hr));
    }
    X.url->slot[6] = spu_v_str("php", 3); /* url.ext */
    X.req->slot[HB_F_URL] = spu_v_rec(X.url);
    X.resp->slot[0] = spu_v_int(404);
    X.resp->slot[1] = spu_v_str("Not Found", 9);
    X.parent->slot[1] = spu_v_int(1500);
    X.req->pair = X.resp;
    X.req->parent = X.parent;
}

static void build_finish(uint64_t budget)
{
    build_finish_with(budget, fake_fns);
}

static void teardown(void)
{
    spu_vm_free(X.vm);
    spu_bundle_unref(X.b);
    spu_arena_free(X.a);
    spu_arena_free(X.host.arena);
    hb_free(X.h);
}

/* Build a bundle with one KEY program and run it on the request. */
static int run_expr(const char *text, uint16_t ms, uint16_t nl, struct spu_value *out,
                    struct spu_vm_result *res)
{
    build_start();
    uint32_t pi = hb_prog(X.h, SPU_PROG_KEY, HB_EV_REQUEST, 0, "expr", text, ms, nl);
    build_finish(1000);
    return spu_vm_run_key(X.vm, X.b, pi, X.req, &host_ops, &X.host, out, res);
}

/* ---- opcode tables ---- */

struct icase {
    char text[200];
    uint16_t ms, nl;
    uint8_t type; /* SPU_T_INT or SPU_T_BOOL */
    int64_t val;
};

#define I(text, ms, v)                                                                             \
    {                                                                                              \
        text, ms, 2, SPU_T_INT, v                                                                  \
    }
#define B(text, ms, v)                                                                             \
    {                                                                                              \
        text, ms, 2, SPU_T_BOOL, v                                                                 \
    }

ParameterizedTestParameters(vm, int_and_bool_results)
{
    static struct icase c[] = {
        B("PUSH_BOOL 1; RET", 1, 1),
        B("PUSH_BOOL 0; RET", 1, 0),
        I("PUSH_INT -5; RET", 1, -5),
        I("PUSH_INT 2147483647; RET", 1, 2147483647),
        I("PUSH_K 2; RET", 1, INT64_MAX),
        I("PUSH_INT 1; PUSH_INT 2; POP; RET", 2, 1),
        I("PUSH_INT 3; DUP; ADD; RET", 2, 6),
        I("PUSH_INT 4; STORE_LOCAL 1; LOAD_LOCAL 1; RET", 1, 4),
        I("LOAD_FIELD 2; RET", 1, 200),
        B("LOAD_FIELD 5; RET", 1, 1),
        I("LOAD_ANC 1 6; RET", 1, 1500),
        I("LOAD_PAIR 0 4; RET", 1, 404),
        I("PUSH_K 0; PUSH_INT 1; INDEX; RET", 2, 'e'),
        I("PUSH_K 1; LEN; RET", 1, 11),
        I("LOAD_FIELD 3; LEN; RET", 1, 2),
        I("PUSH_NULL; LEN; RET", 1, 0),
        B("PUSH_NULL; NOT; RET", 1, 1),
        B("PUSH_K 5; NOT; RET", 1, 0), /* a present empty string is true */
        B("PUSH_INT 0; NOT; RET", 1, 1),
        I("PUSH_INT 5; NEG; RET", 1, -5),
        I("PUSH_K 3; NEG; RET", 1, INT64_MIN),
        I("PUSH_K 2; PUSH_INT 1; ADD; RET", 2, INT64_MIN),
        I("PUSH_K 3; PUSH_INT 1; SUB; RET", 2, INT64_MAX),
        I("PUSH_K 2; PUSH_INT 2; MUL; RET", 2, -2),
        I("PUSH_INT 6; PUSH_INT -7; MUL; RET", 2, -42),
        I("PUSH_INT 7; PUSH_INT 2; DIV; RET", 2, 3),
        I("PUSH_INT -7; PUSH_INT 2; DIV; RET", 2, -3),
        I("PUSH_K 3; PUSH_INT -1; DIV; RET", 2, INT64_MIN),
        I("PUSH_INT 7; PUSH_INT 3; MOD; RET", 2, 1),
        I("PUSH_INT -7; PUSH_INT 3; MOD; RET", 2, -1),
        I("PUSH_K 3; PUSH_INT -1; MOD; RET", 2, 0),
        B("PUSH_K 0; PUSH_K 0; EQ; RET", 2, 1),
        B("PUSH_K 0; PUSH_K 1; EQ; RET", 2, 0),
        B("PUSH_NULL; PUSH_NULL; EQ; RET", 2, 1),
        B("PUSH_NULL; PUSH_INT 0; EQ; RET", 2, 0),
        B("PUSH_BOOL 1; PUSH_INT 1; EQ; RET", 2, 1),
        B("PUSH_K 4; PUSH_K 4; EQ; RET", 2, 1),
        B("PUSH_K 0; PUSH_K 1; NE; RET", 2, 1),
        B("PUSH_NULL; PUSH_NULL; NE; RET", 2, 0),
        B("PUSH_INT 1; PUSH_INT 2; LT; RET", 2, 1),
        B("PUSH_INT 2; PUSH_INT 2; LT; RET", 2, 0),
        B("PUSH_NULL; PUSH_INT 2; LT; RET", 2, 0),
        B("PUSH_INT 2; PUSH_NULL; GE; RET", 2, 0),
        B("PUSH_INT 2; PUSH_INT 2; LE; RET", 2, 1),
        B("PUSH_INT 3; PUSH_INT 2; GT; RET", 2, 1),
        B("PUSH_INT -3; PUSH_INT 2; GE; RET", 2, 0),
        B("PUSH_INT 5; TRUTH; RET", 1, 1),
        B("PUSH_K 5; TRUTH; RET", 1, 1),
        B("PUSH_NULL; TRUTH; RET", 1, 0),
        B("LOAD_FIELD 3; TRUTH; RET", 1, 1),
        B("PUSH_K 1; MATCH_RE 0; RET", 1, 1),
        B("PUSH_K 0; MATCH_RE 0; RET", 1, 1),
        B("PUSH_K 6; MATCH_RE 0; RET", 1, 0),
        B("PUSH_K 5; MATCH_RE 0; RET", 1, 0),
        B("PUSH_NULL; MATCH_RE 0; RET", 1, 0),
        B("PUSH_K 1; PUSH_K 6; CONTAINS_I; RET", 2, 1),
        B("PUSH_K 6; PUSH_K 1; CONTAINS_I; RET", 2, 0),
        B("PUSH_K 1; PUSH_K 5; CONTAINS_I; RET", 2, 1),
        B("PUSH_K 5; PUSH_K 6; CONTAINS_I; RET", 2, 0),
        B("PUSH_NULL; PUSH_K 6; CONTAINS_I; RET", 2, 0),
        B("PUSH_K 8; PUSH_K 17; CONTAINS_I; RET", 2, 1), /* a 40-byte needle */
        B("PUSH_K 8; PUSH_K 18; CONTAINS_I; RET", 2, 0),
        B("PUSH_K 17; PUSH_K 8; CONTAINS_I; RET", 2, 0), /* longer than the haystack */
        I("PUSH_INT 1; JMP 3; PUSH_INT 2; RET", 1, 1),
        I("PUSH_INT 0; JZ 4; PUSH_INT 10; RET; PUSH_INT 20; RET", 1, 20),
        I("PUSH_INT 3; JZ 4; PUSH_INT 10; RET; PUSH_INT 20; RET", 1, 10),
        I("PUSH_K 5; JNZ 4; PUSH_INT 10; RET; PUSH_INT 20; RET", 1, 20),
        I("PUSH_NULL; JNZ 4; PUSH_INT 10; RET; PUSH_INT 20; RET", 1, 10),
        /* for (i = 0; i < 10; i++) {} ; i */
        I("PUSH_INT 0; STORE_LOCAL 0; LOAD_LOCAL 0; PUSH_INT 10; LT; JZ 11; LOAD_LOCAL 0; "
          "PUSH_INT 1; ADD; STORE_LOCAL 0; LOOP 2; LOAD_LOCAL 0; RET",
          2, 10),
        I("PUSH_K 1; CALL StringLength 1; RET", 1, 11),
        I("PUSH_K 0; PUSH_K 1; PUSH_BOOL 1; CALL StringCompare 3; RET", 3, 5 * 100 + 11 * 10 + 1),
        B("PUSH_K 13; IN_LIST 0; RET", 1, 1), /* "EXE" in a nocase list */
        B("PUSH_K 14; IN_LIST 0; RET", 1, 0),
        B("PUSH_K 4; IN_LIST 1; RET", 1, 1), /* 10.1.2.3 in 10.0.0.0/8 */
        B("PUSH_K 12; IN_LIST 1; RET", 1, 1),
        B("PUSH_K 15; IN_LIST 2; RET", 1, 1), /* a regex list */
        B("PUSH_K 0; IN_LIST 2; RET", 1, 0),
        B("PUSH_NULL; IN_LIST 0; RET", 1, 0),
        I("LOAD_FLOWKEY 2; RET", 1, 1234),
        I("LOAD_FLOWVAR 0; RET", 1, 0), /* never written: the int zero */
        B("LOAD_FLOWVAR 2; RET", 1, 0),
    };
    return cr_make_param_array(struct icase, c, sizeof(c) / sizeof(c[0]));
}

ParameterizedTest(struct icase *c, vm, int_and_bool_results)
{
    struct spu_value out;
    struct spu_vm_result res;
    int rc = run_expr(c->text, c->ms, c->nl, &out, &res);
    cr_assert_eq(rc, SPU_OK, "%s: fault %s at pc %u", c->text, spu_vm_fault_name(res.fault),
                 res.pc);
    cr_assert_eq(out.type, c->type, "%s: type %u", c->text, out.type);
    cr_assert_eq(out.u.i, c->val, "%s: %lld", c->text, (long long)out.u.i);
    cr_assert_eq(res.fault, SPU_VMF_NONE);
    teardown();
}

struct scase {
    char text[120];
    uint16_t ms;
    char want[24];
};

ParameterizedTestParameters(vm, string_results)
{
    static struct scase c[] = {
        {"PUSH_K 0; RET", 1, "Hello"},
        {"LOAD_FIELD 0; RET", 1, "GET"},
        {"LOAD_FIELD 4; MEMBER 6 0x80000001; RET", 1, "php"},
        {"LOAD_FIELD 3; PUSH_K 7; INDEX; RET", 2, "42"},
        {"LOAD_FIELD 3; PUSH_INT 1; INDEX; MEMBER 0 0; RET", 2, "Content-Length"},
        {"LOAD_PAIR 1 4; RET", 1, "Not Found"},
        {"PUSH_K 0; PUSH_K 6; CONCAT; RET", 2, "Hellolo W"},
        {"PUSH_NULL; PUSH_K 0; CONCAT; RET", 2, "Hello"},
        {"PUSH_K 5; PUSH_NULL; CONCAT; RET", 2, ""},
        {"PUSH_K 1; CALL upper 1; RET", 1, "HELLO WORLD"},
        {"LOAD_FIELD 1; RET", 1, "/index.php?x=1"},
    };
    return cr_make_param_array(struct scase, c, sizeof(c) / sizeof(c[0]));
}

ParameterizedTest(struct scase *c, vm, string_results)
{
    struct spu_value out;
    struct spu_vm_result res;
    int rc = run_expr(c->text, c->ms, 0, &out, &res);
    cr_assert_eq(rc, SPU_OK, "%s: fault %s", c->text, spu_vm_fault_name(res.fault));
    cr_assert_eq(out.type, SPU_T_STR);
    cr_assert_eq(out.len, strlen(c->want), "%s: length %u", c->text, out.len);
    cr_assert_eq(memcmp(out.u.s, c->want, out.len), 0);
    teardown();
}

ParameterizedTestParameters(vm, null_results)
{
    static struct scase c[] = {
        {"PUSH_NULL; RET", 1, ""},
        {"LOAD_LOCAL 0; RET", 1, ""},
        {"LOAD_ANC 0 5; RET", 1, ""},  /* no "state" ancestor */
        {"LOAD_PAIR 0 1; RET", 1, ""}, /* the pair is not a request */
        {"PUSH_NULL; MEMBER 0 1; RET", 1, ""},
        {"LOAD_FIELD 3; PUSH_INT 5; INDEX; RET", 2, ""},
        {"LOAD_FIELD 3; PUSH_INT -1; INDEX; RET", 2, ""},
        {"LOAD_FIELD 3; PUSH_K 0; INDEX; RET", 2, ""}, /* no "Hello" header */
        {"PUSH_K 0; PUSH_INT 5; INDEX; RET", 2, ""},
        {"PUSH_NULL; PUSH_INT 0; INDEX; RET", 2, ""},
        {"LOAD_FIELD 3; PUSH_NULL; INDEX; RET", 2, ""},
        {"LOAD_FLOWKEY 0; RET", 1, ""}, /* the host has no such key */
        {"LOAD_FLOWVAR 1; RET", 1, ""}, /* an unset string */
    };
    return cr_make_param_array(struct scase, c, sizeof(c) / sizeof(c[0]));
}

ParameterizedTest(struct scase *c, vm, null_results)
{
    struct spu_value out;
    struct spu_vm_result res;
    int rc = run_expr(c->text, c->ms, 1, &out, &res);
    cr_assert_eq(rc, SPU_OK, "%s: fault %s", c->text, spu_vm_fault_name(res.fault));
    cr_assert_eq(out.type, SPU_T_NULL, "%s: type %u", c->text, out.type);
    teardown();
}

struct fcase {
    char text[120];
    uint16_t ms;
    int fault;
    uint32_t pc;
};

ParameterizedTestParameters(vm, faults)
{
    static struct fcase c[] = {
        {"PUSH_INT 1; MEMBER 0 1; RET", 1, SPU_VMF_TYPE, 1},
        {"LOAD_FIELD 4; MEMBER 0 1; RET", 1, SPU_VMF_TYPE, 1}, /* a url, not a request */
        {"PUSH_INT 1; PUSH_INT 1; INDEX; RET", 2, SPU_VMF_TYPE, 2},
        {"LOAD_FIELD 3; PUSH_BOOL 1; INDEX; RET", 2, SPU_VMF_TYPE, 2},
        {"PUSH_INT 3; LEN; RET", 1, SPU_VMF_TYPE, 1},
        {"PUSH_NULL; NEG; RET", 1, SPU_VMF_TYPE, 1},
        {"PUSH_K 0; PUSH_INT 1; ADD; RET", 2, SPU_VMF_TYPE, 2},
        {"PUSH_NULL; PUSH_INT 1; ADD; RET", 2, SPU_VMF_TYPE, 2},
        {"PUSH_BOOL 1; PUSH_INT 1; SUB; RET", 2, SPU_VMF_TYPE, 2},
        {"PUSH_INT 1; PUSH_K 4; MUL; RET", 2, SPU_VMF_TYPE, 2},
        {"PUSH_INT 7; PUSH_INT 0; DIV; RET", 2, SPU_VMF_DIV_ZERO, 2},
        {"PUSH_INT 7; PUSH_INT 0; MOD; RET", 2, SPU_VMF_DIV_ZERO, 2},
        {"PUSH_INT 7; PUSH_NULL; DIV; RET", 2, SPU_VMF_TYPE, 2},
        {"PUSH_INT 7; PUSH_K 0; CONCAT; RET", 2, SPU_VMF_TYPE, 2},
        {"PUSH_K 0; PUSH_INT 1; LT; RET", 2, SPU_VMF_TYPE, 2},
        {"PUSH_K 0; PUSH_NULL; GT; RET", 2, SPU_VMF_TYPE, 2},
        {"PUSH_INT 1; MATCH_RE 0; RET", 1, SPU_VMF_TYPE, 1},
        {"PUSH_K 8; MATCH_RE 1; RET", 1, SPU_VMF_REGEX, 1}, /* catastrophic backtracking */
        {"PUSH_INT 1; PUSH_K 0; CONTAINS_I; RET", 2, SPU_VMF_TYPE, 2},
        {"PUSH_K 0; CALL lower 1; RET", 1, SPU_VMF_BUILTIN, 1},
        {"NOP; LOOP 0", 0, SPU_VMF_BUDGET, 1},
        {"PUSH_K 2; PUSH_NULL; STORE_LOCAL 0; DUP; POP; LOAD_LOCAL 0; ADD; RET", 2, SPU_VMF_TYPE,
         6},
    };
    return cr_make_param_array(struct fcase, c, sizeof(c) / sizeof(c[0]));
}

ParameterizedTest(struct fcase *c, vm, faults)
{
    struct spu_value out = spu_v_int(99);
    struct spu_vm_result res;
    int rc = run_expr(c->text, c->ms, 1, &out, &res);
    cr_assert_eq(rc, SPU_EFAULT, "%s: rc %d", c->text, rc);
    cr_assert_eq(res.fault, c->fault, "%s: fault %s", c->text, spu_vm_fault_name(res.fault));
    cr_assert_eq(res.pc, c->pc, "%s: pc %u", c->text, res.pc);
    cr_assert_eq(res.rule, SPU_NONE);
    cr_assert_eq(out.type, SPU_T_NULL);
    cr_assert_not_null(res.detail);
    teardown();
}

/* ---- rules ---- */

Test(vm, budget_is_charged_by_loops_and_calls)
{
    build_start();
    /* 3 calls, then a loop of 5 iterations: a LOOP charges the body it closes */
    uint32_t pi = hb_prog(X.h, SPU_PROG_KEY, HB_EV_REQUEST, 0, "k",
                          "PUSH_K 0; CALL StringLength 1; POP; PUSH_K 0; CALL StringLength 1; "
                          "POP; PUSH_K 0; CALL StringLength 1; POP; "
                          "PUSH_INT 0; STORE_LOCAL 0; LOAD_LOCAL 0; PUSH_INT 5; LT; JZ 20; "
                          "LOAD_LOCAL 0; PUSH_INT 1; ADD; STORE_LOCAL 0; LOOP 11; "
                          "LOAD_LOCAL 0; RET",
                          2, 1);
    build_finish(48); /* 3 calls + 5 loops of 9 instructions (11..19) */
    struct spu_value out;
    struct spu_vm_result res;
    cr_assert_eq(spu_vm_run_key(X.vm, X.b, pi, X.req, NULL, NULL, &out, &res), SPU_OK);
    cr_assert_eq(res.steps, 48);
    cr_assert_eq(out.u.i, 5);
    teardown();
    build_start();
    pi = hb_prog(X.h, SPU_PROG_KEY, HB_EV_REQUEST, 0, "k",
                 "PUSH_K 0; CALL StringLength 1; POP; PUSH_K 0; CALL StringLength 1; "
                 "POP; PUSH_K 0; CALL StringLength 1; POP; "
                 "PUSH_INT 0; STORE_LOCAL 0; LOAD_LOCAL 0; PUSH_INT 5; LT; JZ 20; "
                 "LOAD_LOCAL 0; PUSH_INT 1; ADD; STORE_LOCAL 0; LOOP 11; "
                 "LOAD_LOCAL 0; RET",
                 2, 1);
    build_finish(47);
    cr_assert_eq(spu_vm_run_key(X.vm, X.b, pi, X.req, NULL, NULL, &out, &res), SPU_EFAULT);
    cr_assert_eq(res.fault, SPU_VMF_BUDGET);
    cr_assert_eq(res.pc, 19);
    teardown();
}

/* a && b, as spuc emits it in conditions: <a>; JZ F; <b>; JZ F; ...; the
 * value form keeps the operand: <a>; DUP; JZ E; POP; <b>; E: */
Test(vm, short_circuit_and_or)
{
    build_start();
    /* if (method == "GET" && 1 / 0 ...) never evaluates the division when
     * the first term is false: status == 0 is false */
    uint32_t r_and = hb_rule(X.h, 1,
                             "LOAD_FIELD 2; PUSH_INT 0; EQ; JZ 10; PUSH_INT 1; PUSH_INT 0; DIV; "
                             "JZ 10; CALL Drop 0; POP; RET",
                             2, 0);
    /* status == 200 || 1 / 0: the second term is skipped */
    uint32_t r_or = hb_rule(X.h, 2,
                            "LOAD_FIELD 2; PUSH_INT 200; EQ; JNZ 8; PUSH_INT 1; PUSH_INT 0; DIV; "
                            "JZ 12; PUSH_INT 2; PUSH_NULL; CALL Alert 2; POP; RET",
                            2, 0);
    /* value form: (flag && method) leaves method, (null && x) leaves null */
    uint32_t k_val = hb_prog(X.h, SPU_PROG_KEY, HB_EV_REQUEST, 0, "v",
                             "LOAD_FIELD 5; DUP; JZ 5; POP; LOAD_FIELD 0; RET", 2, 0);
    uint32_t k_null = hb_prog(X.h, SPU_PROG_KEY, HB_EV_REQUEST, 0, "n",
                              "PUSH_NULL; DUP; JZ 5; POP; LOAD_FIELD 0; RET", 2, 0);
    build_finish(100);
    struct spu_vm_result res;
    cr_assert_eq(spu_vm_run_rule(X.vm, X.b, r_and, X.req, &host_ops, &X.host, &res), SPU_OK);
    cr_assert_eq(X.host.actions, 0);
    cr_assert_eq(spu_vm_run_rule(X.vm, X.b, r_or, X.req, &host_ops, &X.host, &res), SPU_OK);
    cr_assert_eq(X.host.actions, 1);
    cr_assert_eq(X.host.last_action, SPU_BI_Alert);
    cr_assert_eq(X.host.last_rule, r_or);
    cr_assert_eq(X.host.last_argc, 2);
    cr_assert_eq(X.host.last_args[0].u.i, 2);
    cr_assert_eq(X.host.last_args[1].type, SPU_T_NULL);
    struct spu_value out;
    cr_assert_eq(spu_vm_run_key(X.vm, X.b, k_val, X.req, NULL, NULL, &out, &res), SPU_OK);
    cr_assert_eq(out.type, SPU_T_STR);
    cr_assert_eq(out.len, 3);
    cr_assert_eq(spu_vm_run_key(X.vm, X.b, k_null, X.req, NULL, NULL, &out, &res), SPU_OK);
    cr_assert_eq(out.type, SPU_T_NULL);
    /* with status 0 the && rule reaches the division and faults */
    X.req->slot[HB_F_STATUS] = spu_v_int(0);
    cr_assert_eq(spu_vm_run_rule(X.vm, X.b, r_and, X.req, &host_ops, &X.host, &res), SPU_EFAULT);
    cr_assert_eq(res.fault, SPU_VMF_DIV_ZERO);
    cr_assert_eq(res.rule, r_and);
    cr_assert_eq(res.pc, 6);
    teardown();
}

Test(vm, faults_do_not_stop_the_worker)
{
    build_start();
    uint32_t bad = hb_rule(X.h, 1, "PUSH_INT 1; PUSH_INT 0; DIV; POP; RET", 2, 0);
    uint32_t good = hb_rule(X.h, 2, "CALL Drop 0; POP; RET", 1, 0);
    build_finish(100);
    struct spu_vm_result res;
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(spu_vm_run_rule(X.vm, X.b, bad, X.req, &host_ops, &X.host, &res), SPU_EFAULT);
        cr_assert_eq(spu_vm_run_rule(X.vm, X.b, good, X.req, &host_ops, &X.host, &res), SPU_OK);
        cr_assert_eq(res.fault, SPU_VMF_NONE);
    }
    cr_assert_eq(X.host.actions, 3);
    cr_assert_eq(X.host.last_action, SPU_BI_Drop);
    cr_assert_eq(spu_vm_run_rule(X.vm, X.b, 99, X.req, &host_ops, &X.host, &res), SPU_EINVAL);
    struct spu_value out;
    cr_assert_eq(spu_vm_run_key(X.vm, X.b, 1, X.req, NULL, NULL, &out, &res), SPU_EINVAL);
    /* the wrong record */
    cr_assert_eq(spu_vm_run_rule(X.vm, X.b, good, X.resp, &host_ops, &X.host, &res), SPU_EFAULT);
    cr_assert_eq(res.fault, SPU_VMF_RECORD);
    /* no record at all: every field is null */
    cr_assert_eq(spu_vm_run_rule(X.vm, X.b, good, NULL, &host_ops, &X.host, &res), SPU_OK);
    teardown();
}

Test(vm, flow_variables_through_the_host)
{
    build_start();
    /* flow.count += 1; flow.name = method + uri; */
    uint32_t r = hb_rule(X.h, 1,
                         "LOAD_FLOWVAR 0; PUSH_INT 1; ADD; STORE_FLOWVAR 0; "
                         "LOAD_FIELD 0; LOAD_FIELD 1; CONCAT; STORE_FLOWVAR 1; RET",
                         2, 0);
    uint32_t bad = hb_rule(X.h, 2, "LOAD_FIELD 3; STORE_FLOWVAR 1; RET", 1, 0);
    build_finish(100);
    struct spu_vm_result res;
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(spu_vm_run_rule(X.vm, X.b, r, X.req, &host_ops, &X.host, &res), SPU_OK);
        spu_vm_reset(X.vm); /* the event ends: the scratch CONCAT result goes */
    }
    cr_assert_eq(X.host.flow[0].type, SPU_T_INT);
    cr_assert_eq(X.host.flow[0].u.i, 3);
    cr_assert_eq(X.host.flow[1].type, SPU_T_STR);
    cr_assert_eq(X.host.flow[1].len, 17);
    cr_assert_eq(memcmp(X.host.flow[1].u.s, "GET/index.php?x=1", 17), 0);
    /* an array of records cannot be kept in flow state */
    cr_assert_eq(spu_vm_run_rule(X.vm, X.b, bad, X.req, &host_ops, &X.host, &res), SPU_EFAULT);
    cr_assert_eq(res.fault, SPU_VMF_TYPE);
    /* a host without flow variables: reads give the typed zero, stores fault */
    X.host.have_flow = 0;
    cr_assert_eq(spu_vm_run_rule(X.vm, X.b, r, X.req, &host_ops, &X.host, &res), SPU_EFAULT);
    cr_assert_eq(res.fault, SPU_VMF_HOST);
    cr_assert_eq(res.pc, 3);
    teardown();
}

Test(vm, session_variables_through_the_host)
{
    build_start();
    /* visitor.denied += 1; visitor.last = method; */
    uint32_t r = hb_rule(X.h, 1,
                         "LOAD_SESS 0 0; PUSH_INT 1; ADD; STORE_SESS 0 0; "
                         "LOAD_FIELD 0; STORE_SESS 0 1; RET",
                         2, 0);
    uint32_t rd = hb_rule(X.h, 2, "LOAD_SESS 0 1; POP; RET", 1, 0);
    build_finish(100);
    struct spu_vm_result res;
    cr_assert_eq(spu_vm_run_rule(X.vm, X.b, r, X.req, &host_ops, &X.host, &res), SPU_OK);
    cr_assert_eq(spu_vm_run_rule(X.vm, X.b, r, X.req, &host_ops, &X.host, &res), SPU_OK);
    cr_assert_eq(X.host.end_rules, 2);
    cr_assert_eq(X.host.sess[0].u.i, 2);
    cr_assert_eq(X.host.sess[1].len, 3);
    cr_assert_neq(X.host.sess[1].u.s, X.req->slot[HB_F_METHOD].u.s); /* deep copy */
    cr_assert_eq(X.host.sess_key.len, 14);                           /* keyed by uri */
    /* another key: a fresh entry */
    X.req->slot[HB_F_URI] = spu_v_str("/other", 6);
    cr_assert_eq(spu_vm_run_rule(X.vm, X.b, r, X.req, &host_ops, &X.host, &res), SPU_OK);
    cr_assert_eq(X.host.sess[0].u.i, 1);
    /* a null key: LOAD_SESS pushes null, so += faults; reads alone are fine */
    X.req->slot[HB_F_URI] = spu_v_null();
    cr_assert_eq(spu_vm_run_rule(X.vm, X.b, rd, X.req, &host_ops, &X.host, &res), SPU_OK);
    cr_assert_eq(spu_vm_run_rule(X.vm, X.b, r, X.req, &host_ops, &X.host, &res), SPU_EFAULT);
    cr_assert_eq(res.fault, SPU_VMF_TYPE);
    /* the store refuses new entries */
    X.req->slot[HB_F_URI] = spu_v_str("/new", 4);
    X.host.refuse_sessions = 1;
    cr_assert_eq(spu_vm_run_rule(X.vm, X.b, r, X.req, &host_ops, &X.host, &res), SPU_EFAULT);
    cr_assert_eq(res.fault, SPU_VMF_STORE);
    cr_assert_eq(res.pc, 3);
    teardown();
}

Test(vm, session_key_program_fault_is_reported_in_it)
{
    build_start();
    /* replace the session's key program by one that divides by zero */
    uint32_t kp = hb_prog(X.h, SPU_PROG_KEY, HB_EV_REQUEST, 0, "badkey",
                          "PUSH_INT 1; PUSH_INT 0; DIV; RET", 2, 0);
    ((struct spu_bsession *)spu_bw_at(X.h->bw, SPU_SEC_SESSION, HB_SESS))->key_prog = kp;
    uint32_t r = hb_rule(X.h, 1, "PUSH_INT 1; STORE_SESS 0 0; RET", 1, 0);
    build_finish(100);
    struct spu_vm_result res;
    cr_assert_eq(spu_vm_run_rule(X.vm, X.b, r, X.req, &host_ops, &X.host, &res), SPU_EFAULT);
    cr_assert_eq(res.fault, SPU_VMF_DIV_ZERO);
    cr_assert_eq(res.prog, kp);
    cr_assert_eq(res.pc, 2);
    cr_assert_eq(res.rule, r);
    teardown();
}

Test(vm, variadic_call_and_scratch_reset)
{
    build_start();
    uint32_t r = hb_rule(X.h, 1, "PUSH_K 0; PUSH_K 1; PUSH_INT 3; CALL Log 3; POP; RET", 3, 0);
    build_finish(100);
    struct spu_vm_result res;
    cr_assert_eq(spu_vm_run_rule(X.vm, X.b, r, X.req, &host_ops, &X.host, &res), SPU_OK);
    cr_assert_eq(X.host.last_action, SPU_BI_Log);
    cr_assert_eq(X.host.last_argc, 3);
    cr_assert_eq(X.host.last_args[0].len, 5); /* first pushed first */
    cr_assert_eq(X.host.last_args[2].u.i, 3);
    cr_assert_str_eq(spu_vm_fault_name(SPU_VMF_DIV_ZERO), "division by zero");
    cr_assert_str_eq(spu_vm_fault_name(999), "unknown fault");
    spu_arena_alloc(spu_vm_scratch(X.vm), 100);
    cr_assert_gt(spu_arena_used(spu_vm_scratch(X.vm)), 0);
    spu_vm_reset(X.vm);
    cr_assert_eq(spu_arena_used(spu_vm_scratch(X.vm)), 0);
    teardown();
}

/* With no table in the config the VM calls stdlib's spu_builtin_fns. */
Test(vm, stdlib_builtins_by_default)
{
    build_start();
    char text[160];
    snprintf(text, sizeof(text),
             "PUSH_K %d; PUSH_K %d; CALL FindInList 2; JZ 11; PUSH_K 1; CALL StringLength 1; "
             "POP; PUSH_INT 2; PUSH_NULL; CALL Alert 2; POP; RET",
             K_EXE, K_LIST0);
    uint32_t r = hb_rule(X.h, 1, text, 2, 0);
    uint32_t k = hb_prog(X.h, SPU_PROG_KEY, HB_EV_REQUEST, 0, "k",
                         "PUSH_K 13; PUSH_K 16; CALL FindInList 2; RET", 2, 0);
    build_finish_with(100, NULL);
    spu_vm_free(X.vm);
    struct spu_error err;
    X.vm = spu_vm_new(NULL, &err); /* all defaults */
    cr_assert_not_null(X.vm);
    struct spu_value out;
    struct spu_vm_result res;
    cr_assert_eq(spu_vm_run_key(X.vm, X.b, k, X.req, NULL, NULL, &out, &res), SPU_OK, "%s",
                 res.detail);
    cr_assert_eq(out.type, SPU_T_BOOL);
    cr_assert_eq(out.u.i, 1);
    /* a rule: the action reaches the host through stdlib's Alert */
    cr_assert_eq(spu_vm_run_rule(X.vm, X.b, r, X.req, &host_ops, &X.host, &res), SPU_OK, "%s",
                 res.detail);
    cr_assert_eq(X.host.actions, 1);
    cr_assert_eq(X.host.last_action, SPU_BI_Alert);
    cr_assert_eq(X.host.last_args[0].u.i, 2);
    /* a wrong argument type faults the rule with stdlib's reason */
    teardown();
    build_start();
    uint32_t rb = hb_rule(X.h, 2, "PUSH_INT 5; CALL StringLength 1; POP; RET", 1, 0);
    build_finish_with(100, NULL);
    cr_assert_eq(spu_vm_run_rule(X.vm, X.b, rb, X.req, &host_ops, &X.host, &res), SPU_EFAULT);
    cr_assert_eq(res.fault, SPU_VMF_BUILTIN);
    cr_assert_eq(res.pc, 1);
    cr_assert_not_null(res.detail);
    teardown();
}

/* helper-bundle.c - hand-built test bundles (see helper-bundle.h). */
#include "helper-bundle.h"

#include "builtin-api.h"
#include "bundle-crypt.h"
#include "bundle-view.h"
#include "value.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A broken test fixture is a bug in the test: stop with a message (the
 * test runner reports the crash with it). No Criterion here, so the seed
 * tool (tests/tools/bundle-samples.c) can build the same bundles. */
__attribute__((format(printf, 2, 3))) static void hb_check(int ok, const char *fmt, ...)
{
    if (ok)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "helper-bundle: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

struct fdef {
    const char *name;
    uint8_t type;
    uint8_t flags;
    uint32_t sub;
};

static uint32_t add_layout(struct spu_bw *bw, const char *name, const struct fdef *f, uint32_t n,
                           uint32_t flags, uint32_t key, uint32_t value, uint32_t proto)
{
    uint32_t first = spu_bw_count(bw, SPU_SEC_FIELD);
    for (uint32_t i = 0; i < n; i++) {
        struct spu_bfield bf = {spu_bw_cstr(bw, f[i].name), f[i].type, f[i].flags, 0, f[i].sub};
        spu_bw_field(bw, &bf);
    }
    struct spu_blayout l = {spu_bw_cstr(bw, name), first, n, flags, key, value, proto};
    return spu_bw_layout(bw, &l);
}

struct hb *hb_new(void)
{
    struct hb *h = calloc(1, sizeof(*h));
    hb_check(h != NULL, "unexpected NULL: h");
    struct spu_error err;
    h->bw = spu_bw_new(&err);
    hb_check(h->bw != NULL, "unexpected NULL: h->bw");
    struct spu_bw *bw = h->bw;
    const uint32_t N = SPU_NONE;

    static const struct fdef header[] = {{"name", SPU_T_STR, 0, N}, {"value", SPU_T_STR, 0, N}};
    static const struct fdef request[] = {{"method", SPU_T_STR, 0, N},
                                          {"uri", SPU_T_STR, 0, N},
                                          {"status", SPU_T_INT, 0, N},
                                          {"headers", SPU_T_REC, SPU_FF_ARRAY, HB_L_HEADER},
                                          {"url", SPU_T_REC, 0, SPU_LAYOUT_STD | SPU_REC_url},
                                          {"flag", SPU_T_BOOL, 0, N}};
    static const struct fdef flow[] = {{"count", SPU_T_INT, 0, N},
                                       {"name", SPU_T_STR, 0, N},
                                       {"seen", SPU_T_BOOL, 0, N},
                                       {"addr", SPU_T_IP, 0, N}};
    static const struct fdef visitor[] = {{"denied", SPU_T_INT, 0, N}, {"last", SPU_T_STR, 0, N}};
    static const struct fdef response[] = {{"code", SPU_T_INT, 0, N}, {"text", SPU_T_STR, 0, N}};
    static const struct fdef state[] = {{"mode", SPU_T_INT, 0, N}};
    static const struct fdef packet[] = {{"src_ip", SPU_T_IP, 0, N}, {"len", SPU_T_INT, 0, N}};

    hb_check(add_layout(bw, "header", header, 2, SPU_LF_MAP, 0, 1, HB_PROTO) == HB_L_HEADER,
             "skeleton: HB_L_HEADER");
    hb_check(add_layout(bw, "request", request, 6, 0, N, N, HB_PROTO) == HB_L_REQUEST,
             "skeleton: HB_L_REQUEST");
    hb_check(add_layout(bw, "flow", flow, 4, 0, N, N, N) == HB_L_FLOW, "skeleton: HB_L_FLOW");
    hb_check(add_layout(bw, "visitor", visitor, 2, 0, N, N, N) == HB_L_VISITOR,
             "skeleton: HB_L_VISITOR");
    hb_check(add_layout(bw, "response", response, 2, 0, N, N, HB_PROTO) == HB_L_RESPONSE,
             "skeleton: HB_L_RESPONSE");
    hb_check(add_layout(bw, "state", state, 1, 0, N, N, HB_PROTO) == HB_L_STATE,
             "skeleton: HB_L_STATE");
    hb_check(add_layout(bw, "packet", packet, 2, 0, N, N, N) == HB_L_PACKET,
             "skeleton: HB_L_PACKET");

    uint32_t port = 7777;
    struct spu_bproto p;
    memset(&p, 0, sizeof(p));
    p.name = spu_bw_cstr(bw, "demo");
    p.transport = SPU_TRANSPORT_TCP;
    p.ports = spu_bw_u32(bw, &port, 1);
    p.nports = 1;
    p.detect[0] = p.detect[1] = p.resync[0] = p.resync[1] = N;
    p.resync_rev[0] = p.resync_rev[1] = N;
    p.driver[0] = p.driver[1] = N;
    p.state_layout = HB_L_STATE;
    p.lim_token = 4096;
    p.lim_field = 65536;
    p.lim_message = 1 << 20;
    p.lim_pipeline = 32;
    p.lim_depth = 8;
    p.lim_iterations = 100000;
    hb_check(spu_bw_proto(bw, &p) == HB_PROTO, "skeleton: HB_PROTO");

    struct spu_bevent e;
    memset(&e, 0, sizeof(e));
    e.kind = SPU_EV_GRAMMAR;
    e.proto = HB_PROTO;
    e.runtime_id = N;
    e.index_root = N;
    e.name = spu_bw_cstr(bw, "demo.request");
    e.layout = HB_L_REQUEST;
    hb_check(spu_bw_event(bw, &e) == HB_EV_REQUEST, "skeleton: HB_EV_REQUEST");
    e.name = spu_bw_cstr(bw, "demo.response");
    e.layout = HB_L_RESPONSE;
    hb_check(spu_bw_event(bw, &e) == HB_EV_RESPONSE, "skeleton: HB_EV_RESPONSE");
    e.name = spu_bw_cstr(bw, "packet");
    e.kind = SPU_EV_RUNTIME;
    e.proto = N;
    e.runtime_id = 0;
    e.layout = HB_L_PACKET;
    hb_check(spu_bw_event(bw, &e) == HB_EV_PACKET, "skeleton: HB_EV_PACKET");

    struct spu_bglobals *g = spu_bw_globals(bw);
    g->name = spu_bw_cstr(bw, "test");
    g->flow_layout = HB_L_FLOW;
    g->nprotos_entry = 1;

    /* session visitor keyed by demo.request.uri */
    h->sess_key_prog =
        hb_prog(h, SPU_PROG_KEY, HB_EV_REQUEST, 0, "visitor.key", "LOAD_FIELD 1; RET", 1, 0);
    struct spu_bsession s = {spu_bw_cstr(bw, "visitor"), HB_L_VISITOR, HB_EV_REQUEST,
                             h->sess_key_prog,           100,          1800000};
    hb_check(spu_bw_session(bw, &s) == HB_SESS, "skeleton: HB_SESS");
    return h;
}

void hb_free(struct hb *h)
{
    if (!h)
        return;
    spu_bw_free(h->bw);
    free(h);
}

static int parse_num(const char *tok, long long *out)
{
    char *end;
    *out = strtoll(tok, &end, 0);
    return *end == '\0' && end != tok;
}

static int find_op(const char *name)
{
    for (int i = 0; i < SPU_OP__COUNT; i++)
        if (strcmp(spu_opinfo[i].name, name) == 0)
            return i;
    return -1;
}

static int find_builtin(const char *name)
{
    for (int i = 0; i < SPU_BI__COUNT; i++)
        if (strcmp(spu_builtins[i].name, name) == 0)
            return i;
    return -1;
}

/* See helper-bundle.h. */
const char *hb_positions(unsigned fmt)
{
    switch (fmt) {
    case SPU_FMT_BOOL:
    case SPU_FMT_GFLAGS:
        return "a";
    case SPU_FMT_IMM:
    case SPU_FMT_CONST:
    case SPU_FMT_REGEX:
    case SPU_FMT_LIST:
    case SPU_FMT_JUMP:
    case SPU_FMT_DFA:
    case SPU_FMT_MSG:
    case SPU_FMT_EVENT:
        return "c";
    case SPU_FMT_LOCAL:
    case SPU_FMT_FIELD:
    case SPU_FMT_STATE:
    case SPU_FMT_FLOWVAR:
    case SPU_FMT_FLOWKEY:
    case SPU_FMT_LOOPSLOT:
        return "b";
    case SPU_FMT_LFIELD:
    case SPU_FMT_LOOPJUMP:
        return "bc";
    case SPU_FMT_BUILTIN:
    case SPU_FMT_GCONST:
    case SPU_FMT_GDFA:
        return "ca";
    case SPU_FMT_SESS:
        return "ab";
    case SPU_FMT_UNIT:
    case SPU_FMT_SINK:
        return "cab";
    default:
        return "";
    }
}

static void set_operand(struct spu_insn *in, char which, long long v)
{
    if (which == 'a')
        in->a = (uint8_t)v;
    else if (which == 'b')
        in->b = (uint16_t)v;
    else
        in->c = (uint32_t)v;
}

size_t hb_asm(const char *text, struct spu_insn *out, size_t max)
{
    size_t n = 0;
    char *copy = strdup(text);
    hb_check(copy != NULL, "unexpected NULL: copy");
    char *save1 = NULL;
    for (char *line = strtok_r(copy, ";\n", &save1); line; line = strtok_r(NULL, ";\n", &save1)) {
        char *save2 = NULL;
        char *tok = strtok_r(line, " \t,", &save2);
        if (!tok)
            continue;
        int op = find_op(tok);
        hb_check(op >= 0, "hb_asm: unknown opcode '%s'", tok);
        hb_check(n < max, "hb_asm: too many instructions");
        struct spu_insn in = {(uint8_t)op, 0, 0, 0};
        const char *pos = hb_positions(spu_opinfo[op].fmt);
        size_t k = 0;
        while ((tok = strtok_r(NULL, " \t,", &save2))) {
            long long v;
            if (tok[0] && tok[1] == '=' && strchr("abc", tok[0])) {
                hb_check(parse_num(tok + 2, &v), "hb_asm: bad number '%s'", tok);
                set_operand(&in, tok[0], v);
                continue;
            }
            hb_check(k < strlen(pos), "hb_asm: too many operands for %s", spu_opinfo[op].name);
            if (!parse_num(tok, &v)) {
                int bi = find_builtin(tok);
                hb_check(bi >= 0, "hb_asm: bad operand '%s'", tok);
                v = bi;
            }
            set_operand(&in, pos[k++], v);
        }
        out[n++] = in;
    }
    free(copy);
    return n;
}

uint32_t hb_prog(struct hb *h, uint32_t kind, uint32_t ev, uint32_t layout, const char *name,
                 const char *text, uint16_t max_stack, uint16_t nlocals)
{
    struct spu_insn code[512];
    size_t n = hb_asm(text, code, 512);
    struct spu_bprog p;
    memset(&p, 0, sizeof(p));
    p.name = spu_bw_cstr(h->bw, name);
    p.kind = kind;
    p.code_off = spu_bw_code(h->bw, code, n);
    p.code_len = (uint32_t)n;
    p.nlocals = nlocals;
    p.max_stack = max_stack;
    if (kind == SPU_PROG_RULE || kind == SPU_PROG_KEY) {
        p.event = ev;
        p.proto = SPU_NONE;
        p.layout = ev == SPU_NONE
                       ? SPU_NONE
                       : ((const struct spu_bevent *)spu_bw_at(h->bw, SPU_SEC_EVENT, ev))->layout;
    } else {
        p.event = SPU_NONE;
        p.proto = HB_PROTO;
        p.layout = layout;
    }
    return spu_bw_prog(h->bw, &p);
}

uint32_t hb_rule_on(struct hb *h, uint32_t ev, uint32_t sid, const char *text, uint16_t max_stack,
                    uint16_t nlocals)
{
    char name[32];
    snprintf(name, sizeof(name), "rule %u", sid);
    struct spu_brule r;
    memset(&r, 0, sizeof(r));
    r.gid = 1;
    r.sid = sid;
    r.rev = 1;
    r.msg = spu_bw_cstr(h->bw, name);
    r.classtype = spu_bw_cstr(h->bw, "misc-activity");
    r.event = ev;
    r.prog = hb_prog(h, SPU_PROG_RULE, ev, 0, name, text, max_stack, nlocals);
    r.src_file = spu_bw_cstr(h->bw, "test.spr");
    r.src_line = sid;
    uint32_t ri = spu_bw_rule(h->bw, &r);
    hb_check(h->n_ev_rules[ev] < 256, "too many rules on event %u", ev);
    h->ev_rules[ev][h->n_ev_rules[ev]++] = ri;
    return ri;
}

uint32_t hb_rule(struct hb *h, uint32_t sid, const char *text, uint16_t max_stack, uint16_t nlocals)
{
    return hb_rule_on(h, HB_EV_REQUEST, sid, text, max_stack, nlocals);
}

uint8_t *hb_finish(struct hb *h, const struct spu_bw_opts *opts, size_t *len)
{
    for (uint32_t e = 0; e < 3; e++) {
        uint32_t off = spu_bw_u32(h->bw, h->ev_rules[e], h->n_ev_rules[e]);
        struct spu_bevent *ev = spu_bw_at(h->bw, SPU_SEC_EVENT, e);
        ev->rules = off;
        ev->nrules = h->n_ev_rules[e];
    }
    uint8_t *out = NULL;
    struct spu_error err;
    int rc = spu_bw_write(h->bw, opts, &out, len, &err);
    hb_check(rc == SPU_OK, "spu_bw_write: %s", err.msg);
    return out;
}

uint64_t hb_sec_off(const uint8_t *p, size_t len, unsigned id)
{
    const struct spu_bhdr *hd = (const void *)p;
    const struct spu_bsect *t = (const void *)(p + SPU_BHDR_SIZE);
    hb_check(len >= SPU_BHDR_SIZE, "not a bundle");
    for (uint32_t i = 0; i < hd->nsections; i++)
        if (t[i].id == id)
            return t[i].offset;
    return 0;
}

uint32_t hb_sec_index(const uint8_t *p, size_t len, unsigned id)
{
    const struct spu_bhdr *hd = (const void *)p;
    const struct spu_bsect *t = (const void *)(p + SPU_BHDR_SIZE);
    hb_check(len >= SPU_BHDR_SIZE, "not a bundle");
    for (uint32_t i = 0; i < hd->nsections; i++)
        if (t[i].id == id)
            return i;
    hb_check(0, "section %u absent", id);
    return 0;
}

void hb_rechecksum(uint8_t *p, size_t len)
{
    struct spu_bhdr *hd = (struct spu_bhdr *)p;
    hb_check(spu_bundle_digest(p, len, 0, 0, hd->checksum) == SPU_OK, "digest");
}

/* helper-compile.c - compile sources from memory for the tests (see helper-compile.h). */
#include "helper-compile.h"

#include "arena.h"
#include "err.h"
#include "front.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add_grammars(struct front *f, const char *g)
{
    int i = 0;
    while (g && *g) {
        const char *end = strstr(g, "\n%%\n");
        size_t n = end ? (size_t)(end - g) + 1 : strlen(g);
        char name[32];
        snprintf(name, sizeof(name), "g%d.spg", i++);
        if (front_add_source(f, name, g, n, SRC_LANG_GRAMMAR) != SPU_OK)
            return -1;
        g = end ? end + 4 : NULL;
    }
    return 0;
}

uint8_t *hc_compile(const char *grammar, const char *rules, const struct compile_opts *opts,
                    size_t *len, char **diag)
{
    char *text = NULL;
    size_t tlen = 0;
    FILE *d = open_memstream(&text, &tlen);
    struct spu_error err;
    spu_error_clear(&err);
    struct front *f = d ? front_new(d, &err) : NULL;
    uint8_t *out = NULL;
    *len = 0;
    if (!f)
        goto done;
    front_set_default_include(f, false);
    if (add_grammars(f, grammar) != 0)
        goto done;
    if (rules && front_add_source(f, "r.spr", rules, strlen(rules), SRC_LANG_RULES) != SPU_OK)
        goto done;
    if (front_check(f) == SPU_OK && compile_bundle(f, opts, &out, len, NULL) != SPU_OK)
        out = NULL;
done:
    front_free(f);
    if (d)
        fclose(d);
    if (!out && !diag && text && text[0])
        fprintf(stderr, "%s", text);
    if (diag)
        *diag = text;
    else
        free(text);
    return out;
}

struct spu_bundle *hc_bundle(const char *grammar, const char *rules)
{
    size_t len;
    uint8_t *p = hc_compile(grammar, rules, NULL, &len, NULL);
    if (!p)
        return NULL;
    struct spu_error err;
    spu_error_clear(&err);
    struct spu_bundle *b = spu_bundle_load_mem(p, len, NULL, &err);
    if (!b)
        fprintf(stderr, "load: %s: %s\n", err.where, err.msg);
    free(p);
    return b;
}

uint32_t hc_rule(const struct spu_bundle *b, uint32_t sid)
{
    uint32_t n;
    const struct spu_brule *r = spu_bundle_rules(b, &n);
    for (uint32_t i = 0; i < n; i++)
        if (r[i].sid == sid && r[i].gid == 1)
            return i;
    return UINT32_MAX;
}

uint32_t hc_event(const struct spu_bundle *b, const char *name)
{
    uint32_t n;
    const struct spu_bevent *e = spu_bundle_events(b, &n);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t len;
        const char *s = spu_bundle_str(b, e[i].name, &len);
        if (len == strlen(name) && memcmp(s, name, len) == 0)
            return i;
    }
    return UINT32_MAX;
}

struct spu_record *hc_record(struct spu_arena *a, const struct spu_bundle *b, uint32_t ev)
{
    uint32_t n;
    const struct spu_bevent *e = spu_bundle_events(b, &n);
    if (ev >= n)
        abort();
    return spu_record_new(a, spu_bundle_layout(b, e[ev].layout));
}

void hc_set(const struct spu_bundle *b, uint32_t ev, struct spu_record *rec, const char *name,
            struct spu_value v)
{
    uint32_t n, nl, nf;
    const struct spu_bevent *e = spu_bundle_events(b, &n);
    const struct spu_blayout *l = spu_bundle_layouts_raw(b, &nl);
    const struct spu_bfield *f = spu_bundle_fields(b, &nf);
    const struct spu_blayout *lay = &l[e[ev].layout];
    for (uint32_t i = 0; i < lay->nfields; i++) {
        uint32_t len;
        const char *s = spu_bundle_str(b, f[lay->first_field + i].name, &len);
        if (len == strlen(name) && memcmp(s, name, len) == 0) {
            rec->slot[i] = v;
            return;
        }
    }
    fprintf(stderr, "hc_set: no field %s\n", name);
    abort();
}

struct spu_value hc_ip(struct spu_arena *a, const char *text)
{
    uint8_t *ip = spu_arena_alloc(a, 16);
    uint16_t fam = 0;
    uint32_t prefix = 0;
    if (!ip || spu_ip_parse(text, strlen(text), ip, &fam, &prefix) != SPU_OK)
        abort();
    struct spu_value v = {.type = SPU_T_IP, .aux = fam, .len = prefix};
    v.u.s = ip;
    return v;
}

/* ---- the host ---- */

static int h_action(void *ctx, uint32_t builtin, const struct spu_value *args, unsigned argc,
                    uint32_t rule)
{
    struct hc_host *h = ctx;
    if (h->nact == HC_MAX_ACTIONS)
        return SPU_ELIMIT;
    struct hc_action *a = &h->act[h->nact++];
    a->builtin = builtin;
    a->rule = rule;
    a->argc = argc;
    for (unsigned i = 0; i < argc && i < 4; i++)
        if (spu_value_copy(h->arena, &args[i], &a->args[i]) != SPU_OK)
            return SPU_ENOMEM;
    return SPU_OK;
}

static int h_flowkey(void *ctx, uint32_t key, struct spu_value *out)
{
    (void)ctx;
    /* src_port 1234, proto 6; the rest null */
    *out = key == 2 ? spu_v_int(1234) : key == 4 ? spu_v_int(6) : spu_v_null();
    return SPU_OK;
}

static struct spu_value *h_flowvars(void *ctx, uint32_t *n, struct spu_arena **arena)
{
    struct hc_host *h = ctx;
    *n = 16;
    *arena = h->arena;
    return h->flow;
}

static struct spu_value *h_session(void *ctx, uint32_t sess, const struct spu_value *key,
                                   int create, uint32_t *n, struct spu_arena **arena)
{
    struct hc_host *h = ctx;
    (void)sess;
    *n = 8;
    *arena = h->arena;
    for (uint32_t i = 0; i < h->nsess; i++)
        if (spu_value_eq(&h->sess_key[i], key))
            return h->sess[i];
    if (!create || h->nsess == 4)
        return NULL;
    if (spu_value_copy(h->arena, key, &h->sess_key[h->nsess]) != SPU_OK)
        return NULL;
    return h->sess[h->nsess++];
}

static void h_end_rule(void *ctx, uint32_t rule)
{
    (void)ctx;
    (void)rule;
}

const struct spu_host hc_host_ops = {
    .action = h_action,
    .flowkey = h_flowkey,
    .flowvars = h_flowvars,
    .session = h_session,
    .end_rule = h_end_rule,
};

void hc_host_init(struct hc_host *h)
{
    memset(h, 0, sizeof(*h));
    h->arena = spu_arena_new(0, 0);
    if (!h->arena)
        abort();
}

void hc_host_fini(struct hc_host *h)
{
    spu_arena_free(h->arena);
    memset(h, 0, sizeof(*h));
}

const char *hc_fmt(const struct spu_value *v, char *buf, size_t n)
{
    char ip[64];
    switch (v->type) {
    case SPU_T_NULL:
        snprintf(buf, n, "null");
        break;
    case SPU_T_BOOL:
        snprintf(buf, n, "%s", v->u.i ? "true" : "false");
        break;
    case SPU_T_INT:
        snprintf(buf, n, "%lld", (long long)v->u.i);
        break;
    case SPU_T_STR:
        snprintf(buf, n, "\"%.*s\"", (int)v->len, (const char *)v->u.s);
        break;
    case SPU_T_IP:
        if (spu_ip_format(v->u.s, v->aux, ip, sizeof(ip)) != SPU_OK)
            snprintf(ip, sizeof(ip), "?");
        snprintf(buf, n, "ip:%s/%u", ip, v->len);
        break;
    case SPU_T_ARR:
        snprintf(buf, n, "array[%u]", v->u.arr->n);
        break;
    default:
        snprintf(buf, n, "%s", spu_type_name(v->type));
        break;
    }
    return buf;
}

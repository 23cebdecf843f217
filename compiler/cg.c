/* cg.c - the code generator's context (see cg-int.h). */
#include "cg-int.h"

#include "arena.h"
#include "builtin-api.h"
#include "diag.h"
#include "grow.h"
#include "err.h"
#include "textbuf.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define GROW(cg, arr, n, cap)                                                                      \
    grow_vec((cg), (void **)&(arr), (n), &(cap), sizeof(*(arr)))

static int grow_vec(struct cg *cg, void **arr, uint32_t n, uint32_t *cap, size_t el)
{
    if (n < *cap)
        return SPU_OK;
    uint32_t ncap = (uint32_t)spu_grow_cap(*cap, (size_t)n + 1, 16, UINT32_MAX);
    void *p = ncap ? realloc(*arr, (size_t)ncap * el) : NULL;
    if (!p) {
        cg->status = SPU_ENOMEM;
        return SPU_ENOMEM;
    }
    *arr = p;
    *cap = ncap;
    return SPU_OK;
}

int cg_init(struct cg *cg, const struct sema_program *prog, struct diag *diag, struct spu_bw *bw)
{
    memset(cg, 0, sizeof(*cg));
    cg->prog = prog;
    cg->diag = diag;
    cg->bw = bw;
    cg->arena = spu_arena_new(0, 0);
    uint32_t np = prog->nprotos ? prog->nprotos : 1, nr = prog->nrules ? prog->nrules : 1;
    uint32_t ne = prog->nevents ? prog->nevents : 1;
    cg->proto_idx = calloc(np, sizeof(uint32_t));
    cg->proto_first = calloc(np, sizeof(uint32_t));
    cg->drivers = calloc(np, sizeof(*cg->drivers));
    cg->rule_func = calloc(nr, sizeof(uint32_t));
    cg->rule_flags = calloc(nr, sizeof(uint32_t));
    cg->session_key = calloc(prog->nsessions ? prog->nsessions : 1, sizeof(uint32_t));
    cg->list_use = calloc(prog->nlists ? prog->nlists : 1, 1);
    cg->trees = calloc(ne, sizeof(*cg->trees));
    cg->levels = calloc(ne, sizeof(uint32_t));
    cg->nlevels = calloc(ne, sizeof(uint32_t));
    if (!cg->arena || !cg->proto_idx || !cg->proto_first || !cg->drivers || !cg->rule_func || !cg->rule_flags ||
        !cg->session_key || !cg->list_use || !cg->trees || !cg->levels || !cg->nlevels) {
        cg->status = SPU_ENOMEM;
        return SPU_ENOMEM;
    }
    for (uint32_t i = 0; i < np; i++)
        cg->drivers[i][0] = cg->drivers[i][1] = SPU_NONE;
    /* protocols characterized on connections (tcp, udp) come first in the
     * bundle (GLOBALS.nprotos_entry counts them), each group in source order */
    uint32_t k = 0;
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t i = 0; i < prog->nprotos; i++)
            if ((prog->protos[i]->transport != AST_TRANSPORT_STREAM) == (pass == 0))
                cg->proto_idx[i] = k++;
    return SPU_OK;
}

void cg_fini(struct cg *cg)
{
    for (uint32_t i = 0; i < cg->nfuncs; i++)
        ir_func_free(cg->funcs[i]);
    free(cg->funcs);
    free(cg->proto_idx);
    free(cg->proto_first);
    free(cg->drivers);
    free(cg->rule_func);
    free(cg->rule_flags);
    free(cg->session_key);
    free(cg->list_use);
    free(cg->trees); /* the trees themselves live in the arena */
    free(cg->levels);
    free(cg->nlevels);
    free(cg->regexes);
    free(cg->dfas);
    free(cg->cidrs);
    free(cg->keys);
    free(cg->pats);
    spu_arena_free(cg->arena);
    memset(cg, 0, sizeof(*cg));
}

void cg_error(struct cg *cg, struct src_loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vreport(cg->diag, DIAG_ERROR, loc, fmt, ap);
    va_end(ap);
    cg->errors++;
}

void cg_bug(struct cg *cg, const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    struct src_loc none = {0};
    diag_report(cg->diag, DIAG_ERROR, none, "code generation failed: %s (a bug in spuc)", msg);
    cg->errors++;
    if (cg->status == SPU_OK)
        cg->status = SPU_EINVAL;
}

void *cg_alloc(struct cg *cg, size_t n)
{
    void *p = spu_arena_zalloc(cg->arena, n ? n : 1);
    if (!p)
        cg->status = SPU_ENOMEM;
    return p;
}

const char *cg_sprintf(struct cg *cg, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    char *p = spu_arena_strndup(cg->arena, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
    if (!p)
        cg->status = SPU_ENOMEM;
    return p ? p : "";
}

uint32_t cg_add_func(struct cg *cg, struct ir_func *f)
{
    if (!f) {
        cg->status = SPU_ENOMEM;
        return SPU_NONE;
    }
    if (GROW(cg, cg->funcs, cg->nfuncs, cg->capfuncs) != SPU_OK) {
        ir_func_free(f);
        return SPU_NONE;
    }
    cg->funcs[cg->nfuncs] = f;
    return cg->nfuncs++;
}

uint32_t cg_unit_func(const struct cg *cg, const struct sema_unit *u)
{
    return cg->proto_first[u->proto->id] + u->id;
}

/* ---- constants ---- */

const struct ir_k *cg_k_int(struct cg *cg, int64_t v)
{
    struct ir_k *k = cg_alloc(cg, sizeof(*k));
    if (k) {
        k->kind = SPU_K_INT;
        k->i = v;
    }
    return k;
}

const struct ir_k *cg_k_str(struct cg *cg, const void *p, uint32_t len)
{
    struct ir_k *k = cg_alloc(cg, sizeof(*k));
    if (k) {
        k->kind = SPU_K_STR;
        k->len = len;
        k->s = len ? p : (const uint8_t *)"";
    }
    return k;
}

const struct ir_k *cg_k_const(struct cg *cg, const struct sema_const *c)
{
    if (c->type == SPU_T_STR)
        return cg_k_str(cg, c->s, c->len);
    if (c->type == SPU_T_INT)
        return cg_k_int(cg, c->i);
    struct ir_k *k = cg_alloc(cg, sizeof(*k));
    if (k) {
        k->kind = SPU_K_IP;
        k->family = c->family;
        k->len = c->len;
        k->s = c->s;
    }
    return k;
}

const struct ir_k *cg_k_list(struct cg *cg, uint32_t list)
{
    struct ir_k *k = cg_alloc(cg, sizeof(*k));
    if (k) {
        k->kind = SPU_K_LIST;
        k->idx = list;
    }
    return k;
}

uint32_t cg_regex(struct cg *cg, const uint8_t *pat, uint32_t len, const char *flags)
{
    uint32_t f = 0;
    for (const char *p = flags ? flags : ""; *p; p++)
        f |= *p == 'i' ? SPU_RE_I : *p == 's' ? SPU_RE_S : *p == 'm' ? SPU_RE_M
             : *p == 'x' ? SPU_RE_X : 0;
    for (uint32_t i = 0; i < cg->nregexes; i++) {
        const struct cg_regex *r = &cg->regexes[i];
        if (r->flags == f && r->len == len && (len == 0 || memcmp(r->pat, pat, len) == 0))
            return i;
    }
    if (GROW(cg, cg->regexes, cg->nregexes, cg->capregexes) != SPU_OK)
        return SPU_NONE;
    cg->regexes[cg->nregexes] = (struct cg_regex){pat, len, f};
    return cg->nregexes++;
}

uint32_t cg_cidr_list(struct cg *cg, const struct sema_const *c)
{
    for (uint32_t i = 0; i < cg->ncidrs; i++) {
        const struct sema_const *d = cg->cidrs[i];
        if (d->family == c->family && d->len == c->len && memcmp(d->s, c->s, 16) == 0)
            return cg->prog->nlists + i;
    }
    if (GROW(cg, cg->cidrs, cg->ncidrs, cg->capcidrs) != SPU_OK)
        return SPU_NONE;
    cg->cidrs[cg->ncidrs] = c;
    return cg->prog->nlists + cg->ncidrs++;
}

/* ---- expression texts ---- */

static void sb_quoted(struct textbuf *b, const uint8_t *s, uint32_t n)
{
    tb_str(b, "\"");
    for (uint32_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c == '"' || c == '\\')
            tb_fmt(b, "\\%c", c);
        else if (c >= 0x20 && c < 0x7f)
            tb_put(b, &c, 1);
        else
            tb_fmt(b, "\\x%02x", c);
    }
    tb_str(b, "\"");
}

static const char *sb_done(struct cg *cg, struct textbuf *b)
{
    const char *r = NULL;
    if (!b->bad) {
        r = spu_arena_strdup(cg->arena, b->p ? b->p : "");
        if (!r)
            cg->status = SPU_ENOMEM;
    }
    free(b->p);
    return r;
}

static void const_canon(struct textbuf *b, const struct sema_const *c)
{
    switch (c->type) {
    case SPU_T_NULL:
        tb_str(b, "null");
        break;
    case SPU_T_BOOL:
        tb_str(b, c->i ? "true" : "false");
        break;
    case SPU_T_INT:
        tb_fmt(b, "%lld", (long long)c->i);
        break;
    case SPU_T_STR:
        sb_quoted(b, c->s, c->len);
        break;
    case SPU_T_IP:
        tb_str(b, "ip:");
        for (int i = 0; i < 16; i++)
            tb_fmt(b, "%02x", c->s[i]);
        tb_fmt(b, "/%u", c->len);
        break;
    default:
        tb_str(b, "?");
        break;
    }
}

static bool canon(struct textbuf *b, const struct ast_node *n)
{
    if (n->sema.cval) {
        const_canon(b, n->sema.cval);
        return true;
    }
    switch (n->kind) {
    case AST_NAME:
    case AST_MEMBER:
        switch (n->sema.ref) {
        case SEMA_REF_FIELD:
            tb_fmt(b, "F%u.%u%s", n->sema.layout->id, n->sema.index,
                   (n->sema.flags & SEMA_F_CURRENT) ? "c" : "");
            return true;
        case SEMA_REF_ANC_FIELD:
            tb_fmt(b, "A%u.%u", n->sema.layout->id, n->sema.index);
            return true;
        case SEMA_REF_PAIR_FIELD:
            tb_fmt(b, "P%u.%u", n->sema.layout->id, n->sema.index);
            return true;
        case SEMA_REF_FLOWKEY:
            tb_fmt(b, "K%u", n->sema.index);
            return true;
        case SEMA_REF_MEMBER:
            tb_str(b, "(");
            if (!canon(b, n->a))
                return false;
            tb_fmt(b, ")M%u.%u", n->sema.layout->id, n->sema.index);
            return true;
        default:
            return false;
        }
    case AST_SUBSCRIPT:
        if (!canon(b, n->a))
            return false;
        tb_str(b, "[");
        if (!canon(b, n->b))
            return false;
        tb_str(b, "]");
        return true;
    case AST_CALL:
        if (n->sema.ref != SEMA_REF_BUILTIN || !(spu_builtins[n->sema.index].flags & SPU_BIF_PURE))
            return false;
        tb_fmt(b, "C%u(", n->sema.index);
        for (uint32_t i = 0; i < n->sema.nargs; i++) {
            if (i)
                tb_str(b, ",");
            if (!canon(b, n->sema.args[i]))
                return false;
        }
        tb_str(b, ")");
        return true;
    default:
        return false;
    }
}

const char *cg_canon(struct cg *cg, const struct ast_node *n)
{
    struct textbuf b = {0};
    if (!canon(&b, n)) {
        free(b.p);
        return NULL;
    }
    return sb_done(cg, &b);
}

static void text(struct textbuf *b, const struct ast_node *n)
{
    switch (n->kind) {
    case AST_NAME:
        tb_str(b, n->name);
        break;
    case AST_FLOWREF:
        tb_str(b, "flow");
        break;
    case AST_STATEREF:
        tb_str(b, "state");
        break;
    case AST_MEMBER:
        text(b, n->a);
        tb_str(b, ".");
        tb_str(b, n->name);
        break;
    case AST_SUBSCRIPT:
        text(b, n->a);
        tb_str(b, "[");
        text(b, n->b);
        tb_str(b, "]");
        break;
    case AST_CALL:
        tb_str(b, n->name);
        tb_str(b, "(");
        for (const struct ast_node *a = n->a; a; a = a->next) {
            if (a->name) {
                tb_str(b, a->name);
                tb_str(b, ": ");
            }
            text(b, a->a);
            if (a->next)
                tb_str(b, ", ");
        }
        tb_str(b, ")");
        break;
    case AST_STR:
        sb_quoted(b, n->bytes, n->len);
        break;
    case AST_INT:
        tb_fmt(b, "%lld", (long long)n->ival);
        break;
    case AST_BOOL:
        tb_str(b, n->ival ? "true" : "false");
        break;
    case AST_NULL:
        tb_str(b, "null");
        break;
    case AST_UNARY:
        tb_str(b, ast_op_text(n->op));
        text(b, n->a);
        break;
    case AST_BINARY:
        tb_str(b, "(");
        text(b, n->a);
        tb_fmt(b, " %s ", ast_op_text(n->op));
        text(b, n->b);
        tb_str(b, ")");
        break;
    default:
        if (n->sema.cval)
            const_canon(b, n->sema.cval);
        else
            tb_str(b, ast_kind_name(n->kind));
        break;
    }
}

const char *cg_expr_text(struct cg *cg, const struct ast_node *n)
{
    struct textbuf b = {0};
    text(&b, n);
    const char *r = sb_done(cg, &b);
    return r ? r : "";
}

uint32_t cg_key(struct cg *cg, const struct sema_event *ev, const struct ast_node *n,
                const char *name)
{
    const char *c = cg_canon(cg, n);
    uint32_t evi = ev ? ev->id : SPU_NONE;
    if (c) {
        for (uint32_t i = 0; i < cg->nkeys; i++)
            if (cg->keys[i].event == evi && strcmp(cg->keys[i].canon, c) == 0)
                return cg->keys[i].func;
    }
    struct ir_func *f = lower_key(cg, ev, n, name);
    uint32_t id = cg_add_func(cg, f);
    if (id == SPU_NONE || !c)
        return id;
    if (GROW(cg, cg->keys, cg->nkeys, cg->capkeys) != SPU_OK)
        return SPU_NONE;
    cg->keys[cg->nkeys++] = (struct cg_key){evi, c, id};
    return id;
}

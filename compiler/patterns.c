/*
 * patterns.c - prefilter literals (see cg-int.h; the scan is
 * runtime/vm/prefilter.h and index.h).
 *
 * A rule is prefiltered only when it cannot match without one of its
 * literals. Only eligible rules count (index_terms: one `if` without
 * `else`, no action in the condition), and only terms of the top-level
 * conjunction, each of which must hold for the rule to do anything:
 *
 *   x ~ "lit"                          "lit" in x, case-insensitively
 *   contains(x, "lit"[, nocase: b])    "lit" in x
 *   StringInString(x, "lit"[, nocase: b])
 *   starts_with(x, "lit"[, ...]), ends_with(x, "lit"[, ...]),
 *   x == "lit"  (x not an index level of the event: there they are tree
 *               tests)
 *   T1 || T2 || ...                    each Ti one of the above on the same
 *                                      x: any of their literals
 *
 * where x is a side-effect-free expression over the event's record
 * (cg_canon), computed by a KEY program shared by every rule that scans
 * the same x. A term under `!`, or an `||` mixing fields or other tests,
 * gates nothing and is ignored. Per field the term whose shortest literal
 * is longest is kept (it lets the fewest events through); several fields
 * make several groups, all of which must see a literal. Empty literals
 * gate nothing.
 */
#include "cg-int.h"

#include "builtin-api.h"
#include "err.h"
#include "grow.h"

#include <stdlib.h>
#include <string.h>

struct lit {
    const uint8_t *s;
    uint32_t len;
    uint32_t flags;
};

struct group {
    const struct ast_node *key; /* the scanned expression */
    const char *canon;
    struct lit *lits;
    uint32_t n;
    uint32_t minlen;
};

static const struct sema_const *str_const(const struct ast_node *n)
{
    const struct sema_const *c = n ? n->sema.cval : NULL;
    return c && c->type == SPU_T_STR ? c : NULL;
}

static bool is_level(struct cg *cg, const struct sema_event *ev, const char *canon)
{
    if (!ev->index)
        return false;
    for (uint32_t l = 0; l < ev->index->npaths; l++) {
        const char *c = cg_canon(cg, ev->index->paths[l]);
        if (c && strcmp(c, canon) == 0)
            return true;
    }
    return false;
}

/* One literal test: the key expression and the literal, or false. */
static bool single(struct cg *cg, const struct sema_event *ev, const struct ast_node *t,
                   const struct ast_node **key, struct lit *out)
{
    const struct sema_const *lit = NULL;
    const struct ast_node *x = NULL;
    uint32_t flags = 0;
    if (t->sema.cval)
        return false;
    if (t->kind == AST_BINARY && t->op == AST_OP_MATCH && str_const(t->b)) {
        x = t->a;
        lit = str_const(t->b);
        flags = SPU_IEF_NOCASE;
    } else if (t->kind == AST_BINARY && t->op == AST_OP_EQ) {
        x = str_const(t->b) ? t->a : t->b;
        lit = str_const(t->b) ? str_const(t->b) : str_const(t->a);
        if (!lit || str_const(x))
            return false;
        const char *c = cg_canon(cg, x);
        if (!c || is_level(cg, ev, c))
            return false;
    } else if (t->kind == AST_CALL && t->sema.ref == SEMA_REF_BUILTIN && t->sema.nargs >= 2 &&
               (t->sema.index == SPU_BI_contains || t->sema.index == SPU_BI_StringInString ||
                t->sema.index == SPU_BI_starts_with || t->sema.index == SPU_BI_ends_with)) {
        x = t->sema.args[0];
        lit = str_const(t->sema.args[1]);
        if (t->sema.nargs >= 3) {
            const struct sema_const *nc = t->sema.args[2]->sema.cval;
            if (!nc || nc->type != SPU_T_BOOL)
                return false;
            flags = nc->i ? SPU_IEF_NOCASE : 0;
        }
    } else {
        return false;
    }
    if (!lit || lit->len == 0 || !x || x->sema.cval || !x->sema.type ||
        x->sema.type->base != SPU_T_STR)
        return false;
    if (t->kind == AST_CALL &&
        (t->sema.index == SPU_BI_starts_with || t->sema.index == SPU_BI_ends_with)) {
        const char *c = cg_canon(cg, x);
        if (!c || is_level(cg, ev, c))
            return false; /* a tree test there */
    }
    *key = x;
    out->s = lit->s;
    out->len = lit->len;
    out->flags = flags;
    return true;
}

static uint32_t count_or(const struct ast_node *t)
{
    if (t->kind == AST_BINARY && t->op == AST_OP_OR && !t->sema.cval)
        return count_or(t->a) + count_or(t->b);
    return 1;
}

/* The literals of term t (a single test or an `||` of tests on one key). */
static bool term(struct cg *cg, const struct sema_event *ev, const struct ast_node *t,
                 struct group *g, uint32_t cap)
{
    if (t->kind == AST_BINARY && t->op == AST_OP_OR && !t->sema.cval)
        return term(cg, ev, t->a, g, cap) && term(cg, ev, t->b, g, cap);
    const struct ast_node *key;
    struct lit l;
    if (!single(cg, ev, t, &key, &l) || g->n >= cap)
        return false;
    const char *c = cg_canon(cg, key);
    if (!c || (g->canon && strcmp(g->canon, c) != 0))
        return false;
    if (!g->canon) {
        g->canon = c;
        g->key = key;
        g->minlen = l.len;
    }
    if (l.len < g->minlen)
        g->minlen = l.len;
    g->lits[g->n++] = l;
    return true;
}

static int add_pattern(struct cg *cg, const struct cg_pattern *p)
{
    if (cg->npats == cg->cappats) {
        uint32_t ncap = (uint32_t)spu_grow_cap(cg->cappats, (size_t)cg->npats + 1, 64, UINT32_MAX);
        struct cg_pattern *np = ncap ? realloc(cg->pats, (size_t)ncap * sizeof(*np)) : NULL;
        if (!np)
            return cg->status = SPU_ENOMEM;
        cg->pats = np;
        cg->cappats = ncap;
    }
    cg->pats[cg->npats++] = *p;
    return SPU_OK;
}

static void rule_patterns(struct cg *cg, uint32_t ri)
{
    const struct sema_rule *r = cg->prog->rules[ri];
    uint32_t nt = 0;
    const struct ast_node **terms = index_terms(cg, r, &nt);
    if (!terms || nt == 0)
        return;
    struct group *groups = cg_alloc(cg, nt * sizeof(*groups));
    uint32_t ng = 0;
    if (!groups)
        return;
    for (uint32_t k = 0; k < nt; k++) {
        uint32_t cap = count_or(terms[k]);
        struct group g = {0};
        g.lits = cg_alloc(cg, cap * sizeof(*g.lits));
        if (!g.lits)
            return;
        if (!term(cg, r->event, terms[k], &g, cap) || g.n == 0)
            continue;
        uint32_t i;
        for (i = 0; i < ng && strcmp(groups[i].canon, g.canon) != 0; i++)
            ;
        if (i == ng)
            groups[ng++] = g;
        else if (g.minlen > groups[i].minlen)
            groups[i] = g;
    }
    for (uint32_t i = 0; i < ng && cg->status == SPU_OK; i++) {
        const struct group *g = &groups[i];
        uint32_t key = cg_key(cg, r->event, g->key,
                              cg_sprintf(cg, "%s %s", r->event->name, cg_expr_text(cg, g->key)));
        if (key == SPU_NONE)
            return;
        for (uint32_t k = 0; k < g->n; k++) {
            struct cg_pattern p = {r->event->id, key, ri, g->lits[k].s, g->lits[k].len,
                                   g->lits[k].flags};
            if (add_pattern(cg, &p) != SPU_OK)
                return;
        }
        cg->rule_flags[ri] |= SPU_RF_PREFILTERED;
    }
}

int patterns_build(struct cg *cg)
{
    for (uint32_t i = 0; i < cg->prog->nrules && cg->status == SPU_OK; i++)
        rule_patterns(cg, i);
    return cg->status;
}

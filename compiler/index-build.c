/*
 * index-build.c - per-event lookup trees from rule conditions (see
 * cg-int.h; the walk is runtime/vm/index.h).
 *
 * Eligible rules. A rule can be skipped for an event only when it could
 * not have done anything on it. So a rule is considered only when its body
 * is one `if (C1 && C2 && ...)` with no `else` (statements sema found
 * unreachable aside), and its condition calls no action: then the rule has
 * no effect unless every Ci holds. Anything else runs for every event.
 *
 * Tests. A term Ci tests an index level of the event (`index E by p1, p2,
 * ...` in the grammar; level k is path pk) when it is one of:
 *   P == "lit"  ("lit" == P)                     exact "lit"
 *   StringCompare(P, "lit"[, nocase: b]) == 0     exact "lit"
 *   starts_with(P, "lit"[, nocase: b])           prefix "lit"
 *   ends_with(P, "lit"[, nocase: b])             suffix "lit"
 *   P in LIST, FindInList(P, LIST)               exact, one edge per item
 *                                                (inline lists and declared
 *                                                literal string lists)
 * where P is the level's path (compared structurally, cg_canon), or
 * lower(P) / upper(P) (a case-insensitive test: the literal must be all
 * lowercase / all uppercase, else the term can never hold and is left to
 * the rule). Case-insensitive values are stored lowercase.
 *
 * Trees. A node tests one level; its edges lead to the nodes of the rules
 * whose test at that level the edge satisfies, its `any` child to the
 * rules without a test there. A rule is attached to the node its last
 * test leads to (several nodes for a list), and flagged SPU_RF_INDEXED;
 * each node tests the first level at which one of its rules still has a
 * test, so untested levels cost nothing. One node holds one exact edge
 * per value: when a value is tested both case-sensitively and
 * case-insensitively, the case-sensitive edges move to a second node
 * testing the same level (the first node's any-child), so the selection
 * stays exact.
 * Everything is sorted, so the same rules give the same tree.
 */
#include "cg-int.h"

#include "arena.h"
#include "builtin-api.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>

/* One test of one rule at one level. */
struct itest {
    uint32_t kind;  /* SPU_IE_* */
    uint32_t flags; /* SPU_IEF_NOCASE */
    const struct sema_const **vals;
    uint32_t nvals;
    bool lowered;   /* vals need lowercasing (nocase) */
};

struct irule {
    uint32_t rule;
    struct itest *tests; /* by level; kind 0: none */
};

struct tedge {
    uint32_t kind, flags;
    const uint8_t *v;
    uint32_t len;
    struct tnode *child;
};

struct tnode {
    uint32_t level;
    struct tedge *edges;
    uint32_t nedges, nexact;
    struct tnode *any;
    uint32_t *rules;
    uint32_t nrules;
    uint32_t idx;
};

struct cg_tree {
    struct tnode *root;
    uint32_t nlevels;
};

/* ---- eligibility and terms ---- */

static bool has_action(const struct ast_node *n)
{
    if (!n)
        return false;
    if (n->kind == AST_CALL && n->sema.ref == SEMA_REF_BUILTIN &&
        (spu_builtins[n->sema.index].flags & SPU_BIF_ACTION))
        return true;
    if (n->kind == AST_CALL)
        for (const struct ast_node *a = n->a; a; a = a->next)
            if (has_action(a))
                return true;
    return has_action(n->a) || has_action(n->b) || (n->kind != AST_CALL && has_action(n->c));
}

static void flatten(const struct ast_node *c, const struct ast_node **out, uint32_t *n,
                    uint32_t cap)
{
    if (c->kind == AST_BINARY && c->op == AST_OP_AND && !c->sema.cval) {
        flatten(c->a, out, n, cap);
        flatten(c->b, out, n, cap);
        return;
    }
    if (*n < cap)
        out[*n] = c;
    (*n)++;
}

static uint32_t count_and(const struct ast_node *c)
{
    if (c->kind == AST_BINARY && c->op == AST_OP_AND && !c->sema.cval)
        return count_and(c->a) + count_and(c->b);
    return 1;
}

const struct ast_node **index_terms(struct cg *cg, const struct sema_rule *r, uint32_t *n)
{
    *n = 0;
    const struct ast_node *body = r->decl->c, *the_if = NULL;
    if (!body || body->kind != AST_BLOCK)
        return NULL;
    for (const struct ast_node *st = body->a; st; st = st->next) {
        if (st->sema.flags & SEMA_F_UNREACHABLE)
            continue;
        if (the_if || st->kind != AST_IF || st->c)
            return NULL;
        the_if = st;
    }
    if (!the_if || has_action(the_if->a))
        return NULL;
    uint32_t k = count_and(the_if->a);
    const struct ast_node **terms = cg_alloc(cg, k * sizeof(*terms));
    if (!terms)
        return NULL;
    flatten(the_if->a, terms, n, k);
    return terms;
}

/* ---- tests ---- */

static bool has_upper(const uint8_t *s, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (s[i] >= 'A' && s[i] <= 'Z')
            return true;
    return false;
}

static bool has_lower(const uint8_t *s, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (s[i] >= 'a' && s[i] <= 'z')
            return true;
    return false;
}

static const struct sema_const *str_const(const struct ast_node *n)
{
    const struct sema_const *c = n ? n->sema.cval : NULL;
    return c && c->type == SPU_T_STR ? c : NULL;
}

/* Level of the operand (its path, or lower()/upper() of it); fold: 0, or
 * 'l' / 'u' for a lowered / uppercased path. -1 when none. */
static int operand_level(struct cg *cg, const char *const *canons, uint32_t nlev,
                         const struct ast_node *n, int *fold)
{
    *fold = 0;
    if (n->kind == AST_CALL && n->sema.ref == SEMA_REF_BUILTIN && n->sema.nargs == 1 &&
        (n->sema.index == SPU_BI_lower || n->sema.index == SPU_BI_upper)) {
        *fold = n->sema.index == SPU_BI_lower ? 'l' : 'u';
        n = n->sema.args[0];
    }
    if (n->sema.cval)
        return -1;
    const char *c = cg_canon(cg, n);
    if (!c)
        return -1;
    for (uint32_t i = 0; i < nlev; i++)
        if (canons[i] && strcmp(canons[i], c) == 0)
            return (int)i;
    return -1;
}

/* A literal under fold: usable as it is (nocase when folded)? */
static bool fold_ok(int fold, const struct sema_const *lit)
{
    if (fold == 'l')
        return !has_upper(lit->s, lit->len);
    if (fold == 'u')
        return !has_lower(lit->s, lit->len);
    return true;
}

static int nocase_arg(const struct ast_node *call, uint32_t i)
{
    if (call->sema.nargs <= i)
        return 0;
    const struct sema_const *c = call->sema.args[i]->sema.cval;
    if (!c || c->type != SPU_T_BOOL)
        return -1;
    return c->i != 0;
}

static const struct sema_list *literal_list(const struct ast_node *n)
{
    const struct sema_list *l = NULL;
    if (n->kind == AST_INLIST || n->sema.ref == SEMA_REF_LIST)
        l = n->sema.sym.list;
    if (!l || l->from_file || l->kind != SEMA_LIST_STR)
        return NULL;
    return l;
}

/* Classify term t: fills *out and returns its level, or -1. */
static int classify(struct cg *cg, const char *const *canons, uint32_t nlev,
                    const struct ast_node *t, struct itest *out)
{
    int fold = 0, lv = -1;
    memset(out, 0, sizeof(*out));
    const struct sema_const *lit = NULL;
    if (t->kind == AST_BINARY && t->op == AST_OP_EQ) {
        const struct ast_node *a = t->a, *b = t->b;
        if (str_const(a) && !str_const(b)) {
            a = t->b;
            b = t->a;
        }
        lit = str_const(b);
        if (lit) {
            lv = operand_level(cg, canons, nlev, a, &fold);
            out->kind = SPU_IE_EXACT;
        } else if (a->kind == AST_CALL && a->sema.ref == SEMA_REF_BUILTIN &&
                   a->sema.index == SPU_BI_StringCompare && b->sema.cval &&
                   b->sema.cval->type == SPU_T_INT && b->sema.cval->i == 0 &&
                   a->sema.nargs >= 2 && str_const(a->sema.args[1])) {
            int nc = nocase_arg(a, 2);
            if (nc < 0)
                return -1;
            lit = str_const(a->sema.args[1]);
            lv = operand_level(cg, canons, nlev, a->sema.args[0], &fold);
            out->kind = SPU_IE_EXACT;
            if (nc)
                fold = fold ? fold : 'n';
        }
    } else if (t->kind == AST_CALL && t->sema.ref == SEMA_REF_BUILTIN &&
               (t->sema.index == SPU_BI_starts_with || t->sema.index == SPU_BI_ends_with) &&
               t->sema.nargs >= 2 && str_const(t->sema.args[1])) {
        int nc = nocase_arg(t, 2);
        if (nc < 0)
            return -1;
        lit = str_const(t->sema.args[1]);
        lv = operand_level(cg, canons, nlev, t->sema.args[0], &fold);
        out->kind = t->sema.index == SPU_BI_starts_with ? SPU_IE_PREFIX : SPU_IE_SUFFIX;
        if (nc)
            fold = fold ? fold : 'n';
    } else if ((t->kind == AST_BINARY && t->op == AST_OP_IN) ||
               (t->kind == AST_CALL && t->sema.ref == SEMA_REF_BUILTIN &&
                t->sema.index == SPU_BI_FindInList && t->sema.nargs == 2)) {
        const struct ast_node *v = t->kind == AST_BINARY ? t->a : t->sema.args[0];
        const struct ast_node *ln = t->kind == AST_BINARY ? t->b : t->sema.args[1];
        const struct sema_list *l = literal_list(ln);
        if (!l || l->nitems == 0)
            return -1;
        lv = operand_level(cg, canons, nlev, v, &fold);
        if (lv < 0)
            return -1;
        if (l->nocase)
            fold = fold ? fold : 'n';
        out->kind = SPU_IE_EXACT;
        out->vals = cg_alloc(cg, l->nitems * sizeof(*out->vals));
        if (!out->vals)
            return -1;
        for (uint32_t i = 0; i < l->nitems; i++) {
            if (l->items[i]->type != SPU_T_STR)
                return -1;
            if (fold_ok(fold, l->items[i]))
                out->vals[out->nvals++] = l->items[i];
        }
        if (out->nvals == 0)
            return -1; /* nothing can match: leave the rule to its condition */
        out->flags = fold ? SPU_IEF_NOCASE : 0;
        out->lowered = fold != 0;
        return lv;
    } else {
        return -1;
    }
    if (lv < 0 || !lit || !fold_ok(fold, lit))
        return -1;
    out->vals = cg_alloc(cg, sizeof(*out->vals));
    if (!out->vals)
        return -1;
    out->vals[0] = lit;
    out->nvals = 1;
    out->flags = fold ? SPU_IEF_NOCASE : 0;
    out->lowered = fold != 0;
    return lv;
}

/* Is test a better than test b (fewer candidates)? */
static bool better(const struct itest *a, const struct itest *b)
{
    if (!b->kind)
        return true;
    if ((a->kind == SPU_IE_EXACT) != (b->kind == SPU_IE_EXACT))
        return a->kind == SPU_IE_EXACT;
    return a->nvals < b->nvals;
}

/* ---- trees ---- */

struct entry {
    uint32_t kind, flags;
    const uint8_t *v;
    uint32_t len;
    uint32_t rule; /* index into the irule array */
};

static int bytes_cmp(const uint8_t *a, uint32_t na, const uint8_t *b, uint32_t nb)
{
    uint32_t n = na < nb ? na : nb;
    int c = n ? memcmp(a, b, n) : 0;
    if (c)
        return c;
    return na < nb ? -1 : na > nb;
}

static int entry_cmp(const void *x, const void *y)
{
    const struct entry *a = x, *b = y;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    int c = bytes_cmp(a->v, a->len, b->v, b->len);
    if (c)
        return c;
    if (a->flags != b->flags)
        return a->flags < b->flags ? -1 : 1;
    return a->rule < b->rule ? -1 : a->rule > b->rule;
}

/* Same value of the same kind (flags aside). */
static bool same_edge(const struct entry *a, const struct entry *b)
{
    return a->kind == b->kind && bytes_cmp(a->v, a->len, b->v, b->len) == 0;
}

/* Same edge: value, kind and flags. */
static bool same_edge_flags(const struct entry *a, const struct entry *b)
{
    return same_edge(a, b) && a->flags == b->flags;
}

struct tb {
    struct cg *cg;
    struct irule *rules;
    uint32_t nlevels;
};

static int first_level(const struct irule *r, uint32_t from, uint32_t nlevels)
{
    for (uint32_t l = from; l < nlevels; l++)
        if (r->tests[l].kind)
            return (int)l;
    return -1;
}

static const uint8_t *lowered(struct cg *cg, const struct sema_const *c)
{
    uint8_t *p = cg_alloc(cg, c->len + 1);
    if (!p)
        return NULL;
    for (uint32_t i = 0; i < c->len; i++)
        p[i] = c->s[i] >= 'A' && c->s[i] <= 'Z' ? (uint8_t)(c->s[i] + 32) : c->s[i];
    return p;
}

static struct tnode *build(struct tb *b, const uint32_t *set, uint32_t n, uint32_t from);

/* Is ent[i] a case-sensitive exact value that a case-insensitive exact
 * value of the same bytes also uses? (One node cannot hold both: exact
 * edges are one per value.) */
static bool collides(const struct entry *ent, uint32_t n, uint32_t i)
{
    if (ent[i].kind != SPU_IE_EXACT || (ent[i].flags & SPU_IEF_NOCASE))
        return false;
    for (uint32_t k = i; k-- > 0 && same_edge(&ent[k], &ent[i]);)
        if (ent[k].flags & SPU_IEF_NOCASE)
            return true;
    for (uint32_t k = i + 1; k < n && same_edge(&ent[k], &ent[i]); k++)
        if (ent[k].flags & SPU_IEF_NOCASE)
            return true;
    return false;
}

/* The edges of `node` (testing level lv) from the sorted entries; the
 * rules without a test at lv go to its any-child. Colliding
 * case-sensitive values go to a second node testing the same level, which
 * becomes the any-child (and takes the rules without a test). */
static int add_edges(struct tb *b, struct tnode *node, struct entry *ent, uint32_t nent,
                     const uint32_t *anyset, uint32_t nany, uint32_t lv)
{
    struct cg *cg = b->cg;
    struct entry *later = calloc(nent ? nent : 1, sizeof(*later));
    if (!later)
        return cg->status = SPU_ENOMEM;
    uint32_t nlater = 0, keep = 0;
    for (uint32_t i = 0; i < nent; i++) {
        if (collides(ent, nent, i))
            later[nlater++] = ent[i];
        else
            ent[keep++] = ent[i];
    }
    nent = keep;
    uint32_t nedges = 0;
    for (uint32_t i = 0; i < nent; i++)
        if (i == 0 || !same_edge_flags(&ent[i - 1], &ent[i]))
            nedges++;
    node->edges = cg_alloc(cg, (nedges ? nedges : 1) * sizeof(*node->edges));
    uint32_t *sub = cg_alloc(cg, (nent ? nent : 1) * sizeof(uint32_t));
    int rc = node->edges && sub ? SPU_OK : SPU_ENOMEM;
    for (uint32_t i = 0; i < nent && rc == SPU_OK;) {
        uint32_t j = i, ns = 0;
        while (j < nent && same_edge_flags(&ent[i], &ent[j])) {
            if (ns == 0 || sub[ns - 1] != ent[j].rule)
                sub[ns++] = ent[j].rule;
            j++;
        }
        struct tedge *e = &node->edges[node->nedges++];
        e->kind = ent[i].kind;
        e->flags = ent[i].flags;
        e->v = ent[i].v;
        e->len = ent[i].len;
        if (e->kind == SPU_IE_EXACT)
            node->nexact++;
        e->child = build(b, sub, ns, lv + 1);
        if (!e->child)
            rc = SPU_ENOMEM;
        i = j;
    }
    if (rc == SPU_OK && nlater) {
        struct tnode *second = cg_alloc(cg, sizeof(*second));
        if (!second) {
            rc = SPU_ENOMEM;
        } else {
            second->level = lv;
            rc = add_edges(b, second, later, nlater, anyset, nany, lv);
            node->any = second;
        }
    } else if (rc == SPU_OK && nany) {
        node->any = build(b, anyset, nany, lv + 1);
        if (!node->any)
            rc = SPU_ENOMEM;
    }
    free(later);
    if (rc != SPU_OK && cg->status == SPU_OK)
        cg->status = rc;
    return rc;
}

static struct tnode *build(struct tb *b, const uint32_t *set, uint32_t n, uint32_t from)
{
    struct cg *cg = b->cg;
    struct tnode *node = cg_alloc(cg, sizeof(*node));
    if (!node)
        return NULL;
    uint32_t *here = cg_alloc(cg, (n ? n : 1) * sizeof(uint32_t));
    uint32_t *anyset = cg_alloc(cg, (n ? n : 1) * sizeof(uint32_t));
    if (!here || !anyset)
        return NULL;
    int lv = -1;
    for (uint32_t i = 0; i < n; i++) {
        int l = first_level(&b->rules[set[i]], from, b->nlevels);
        if (l < 0)
            here[node->nrules++] = b->rules[set[i]].rule;
        else if (lv < 0 || l < lv)
            lv = l;
    }
    if (lv < 0) {
        node->level = from < b->nlevels ? from : b->nlevels - 1;
        node->rules = here;
        return node;
    }
    node->level = (uint32_t)lv;
    node->rules = here;
    uint32_t nany = 0, nent = 0;
    for (uint32_t i = 0; i < n; i++) {
        const struct irule *r = &b->rules[set[i]];
        if (first_level(r, from, b->nlevels) < 0)
            continue;
        if (r->tests[lv].kind)
            nent += r->tests[lv].nvals;
        else
            anyset[nany++] = set[i];
    }
    struct entry *ent = calloc(nent ? nent : 1, sizeof(*ent));
    if (!ent) {
        cg->status = SPU_ENOMEM;
        return NULL;
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        const struct irule *r = &b->rules[set[i]];
        const struct itest *t = &r->tests[lv];
        if (first_level(r, from, b->nlevels) < 0 || !t->kind)
            continue;
        for (uint32_t j = 0; j < t->nvals; j++) {
            const uint8_t *v = t->lowered ? lowered(cg, t->vals[j]) : t->vals[j]->s;
            ent[k++] = (struct entry){t->kind, t->flags, v ? v : (const uint8_t *)"",
                                      t->vals[j]->len, set[i]};
        }
    }
    qsort(ent, nent, sizeof(*ent), entry_cmp);
    int rc = add_edges(b, node, ent, nent, anyset, nany, (uint32_t)lv);
    free(ent);
    if (rc != SPU_OK)
        return NULL;
    return node;
}

int index_build(struct cg *cg)
{
    const struct sema_program *prog = cg->prog;
    for (uint32_t ei = 0; ei < prog->nevents && cg->status == SPU_OK; ei++) {
        const struct sema_event *ev = prog->events[ei];
        if (!ev->index || ev->index->npaths == 0)
            continue;
        uint32_t nlev = ev->index->npaths;
        const char **canons = cg_alloc(cg, nlev * sizeof(*canons));
        struct irule *rules = calloc(prog->nrules ? prog->nrules : 1, sizeof(*rules));
        uint32_t *set = calloc(prog->nrules ? prog->nrules : 1, sizeof(uint32_t));
        uint32_t nr = 0;
        if (!canons || !rules || !set) {
            free(rules);
            free(set);
            return cg->status = SPU_ENOMEM;
        }
        for (uint32_t l = 0; l < nlev; l++)
            canons[l] = cg_canon(cg, ev->index->paths[l]);
        for (uint32_t ri = 0; ri < prog->nrules; ri++) {
            const struct sema_rule *r = prog->rules[ri];
            if (r->event != ev)
                continue;
            uint32_t nt = 0;
            const struct ast_node **terms = index_terms(cg, r, &nt);
            if (!terms || nt == 0)
                continue;
            struct itest *tests = cg_alloc(cg, nlev * sizeof(*tests));
            if (!tests)
                break;
            bool any = false;
            for (uint32_t k = 0; k < nt; k++) {
                struct itest t;
                int lv = classify(cg, canons, nlev, terms[k], &t);
                if (lv >= 0 && better(&t, &tests[lv])) {
                    tests[lv] = t;
                    any = true;
                }
            }
            if (!any)
                continue;
            rules[nr] = (struct irule){ri, tests};
            set[nr] = nr;
            nr++;
        }
        if (nr && cg->status == SPU_OK) {
            struct tb b = {cg, rules, nlev};
            struct cg_tree *tr = cg_alloc(cg, sizeof(*tr));
            if (tr) {
                tr->nlevels = nlev;
                tr->root = build(&b, set, nr, 0);
                if (tr->root) {
                    cg->trees[ei] = tr;
                    for (uint32_t i = 0; i < nr; i++)
                        cg->rule_flags[rules[i].rule] |= SPU_RF_INDEXED;
                    uint32_t ids[nlev];
                    for (uint32_t l = 0; l < nlev; l++) {
                        const struct ast_node *p = ev->index->paths[l];
                        ids[l] = cg_key(cg, ev, p,
                                        cg_sprintf(cg, "%s %s", ev->name, cg_expr_text(cg, p)));
                    }
                    cg->levels[ei] = spu_bw_u32(cg->bw, ids, nlev);
                    cg->nlevels[ei] = nlev;
                }
            }
        }
        free(rules);
        free(set);
    }
    return cg->status;
}

/* ---- writing ---- */

static void number(struct tnode *n, uint32_t *next)
{
    n->idx = (*next)++;
    for (uint32_t i = 0; i < n->nedges; i++)
        number(n->edges[i].child, next);
    if (n->any)
        number(n->any, next);
}

static void write_node(struct cg *cg, const struct tnode *n)
{
    uint32_t first = spu_bw_count(cg->bw, SPU_SEC_IEDGE);
    for (uint32_t i = 0; i < n->nedges; i++) {
        const struct tedge *e = &n->edges[i];
        struct spu_biedge be = {
            .kind = e->kind,
            .flags = e->flags,
            .value = spu_bw_str(cg->bw, e->v, e->len),
            .child = e->child->idx,
        };
        spu_bw_iedge(cg->bw, &be);
    }
    struct spu_binode bn = {
        .level = n->level,
        .edges = first,
        .nedges = n->nedges,
        .nexact = n->nexact,
        .any = n->any ? n->any->idx : SPU_NONE,
        .rules = n->nrules ? spu_bw_u32(cg->bw, n->rules, n->nrules) : 0,
        .nrules = n->nrules,
    };
    if (spu_bw_inode(cg->bw, &bn) != n->idx && spu_bw_status(cg->bw) == SPU_OK)
        cg_bug(cg, "lookup-tree node %u written out of order", n->idx);
    for (uint32_t i = 0; i < n->nedges; i++)
        write_node(cg, n->edges[i].child);
    if (n->any)
        write_node(cg, n->any);
}

int index_write(struct cg *cg, uint32_t ev, uint32_t *root)
{
    *root = SPU_NONE;
    const struct cg_tree *tr = cg->trees[ev];
    if (!tr || !tr->root)
        return cg->status;
    uint32_t next = spu_bw_count(cg->bw, SPU_SEC_INODE);
    number(tr->root, &next);
    write_node(cg, tr->root);
    *root = tr->root->idx;
    return cg->status;
}

/* index.c - lookup-tree walk and literal prefilter (see index.h). */
#include "index.h"

#include "bundle-int.h"
#include "prefilter.h"
#include "vm.h"

#include <stdlib.h>
#include <string.h>

struct spu_index {
    uint8_t sum[32]; /* checksum of the bundle the arrays fit */
    int have_bundle;
    uint32_t nrules, nnodes, nprogs;
    uint32_t epoch;       /* stamps equal to it were written during this event */
    uint32_t *rule_stamp; /* selected this event */
    uint8_t *rule_how;
    uint32_t *pf_stamp; /* pf_found valid this event */
    uint32_t *pf_found; /* groups with a literal found */
    uint32_t *pf_group; /* serial of the last group that counted */
    uint32_t *node_stamp;
    uint8_t *node_nocase; /* node has a NOCASE exact edge */
    uint32_t *key_stamp;  /* by program: key computed this event */
    struct spu_value *key_val;
    uint32_t *stack; /* nodes to visit */
    uint32_t *sel;   /* selected rules, then the candidates */
    uint8_t *sel_how;
    uint32_t nsel;
    uint8_t *lower; /* lowercase copy of a key */
    size_t lower_cap;
    hs_scratch_t *scratch;
    uint32_t group_serial;
    struct spu_index_stats st;
    struct spu_index_rule_stats *rs;
    /* The unindexed rules of each event, split: those without literals
     * (always candidates: plain[plain_off[ev]..plain_off[ev + 1]]) and the
     * prefiltered ones (unpf[r] = 1; n_unpf[ev] of them), which become
     * candidates from the prefilter's hits alone, so an event does not
     * walk every unindexed rule of a large imported set. Their drops are
     * counted per event (ev_seen) instead of per rule. */
    uint32_t nevents;
    uint32_t *plain, *plain_off;
    uint8_t *unpf;
    uint32_t *n_unpf;
    uint64_t *ev_seen;
    uint64_t *unpf_pass;
    uint32_t *rule_event; /* the event of each rule */
    uint32_t *hit; /* rules with a literal found this event */
    uint32_t nhit;
};

struct spu_index *spu_index_new(struct spu_error *err)
{
    struct spu_index *ix = calloc(1, sizeof(*ix));
    if (!ix)
        spu_error_set(err, SPU_ENOMEM, "out of memory creating an index context");
    return ix;
}

static void free_arrays(struct spu_index *ix)
{
    free(ix->rule_stamp);
    free(ix->rule_how);
    free(ix->pf_stamp);
    free(ix->pf_found);
    free(ix->pf_group);
    free(ix->node_stamp);
    free(ix->node_nocase);
    free(ix->key_stamp);
    free(ix->key_val);
    free(ix->stack);
    free(ix->sel);
    free(ix->sel_how);
    free(ix->rs);
    free(ix->plain);
    free(ix->plain_off);
    free(ix->unpf);
    free(ix->n_unpf);
    free(ix->ev_seen);
    free(ix->unpf_pass);
    free(ix->hit);
    free(ix->rule_event);
    ix->plain = ix->plain_off = ix->n_unpf = ix->hit = ix->rule_event = NULL;
    ix->ev_seen = NULL;
    ix->unpf = NULL;
    ix->unpf_pass = NULL;
    ix->rule_stamp = ix->pf_stamp = ix->pf_found = ix->pf_group = NULL;
    ix->node_stamp = ix->key_stamp = ix->stack = ix->sel = NULL;
    ix->rule_how = ix->node_nocase = ix->sel_how = NULL;
    ix->key_val = NULL;
    ix->rs = NULL;
}

void spu_index_free(struct spu_index *ix)
{
    if (!ix)
        return;
    free_arrays(ix);
    free(ix->lower);
    hs_free_scratch(ix->scratch);
    free(ix);
}

const struct spu_index_stats *spu_index_stats(const struct spu_index *ix)
{
    return &ix->st;
}

struct spu_index_rule_stats spu_index_rule_stats(const struct spu_index *ix, uint32_t rule)
{
    struct spu_index_rule_stats z = {0, 0, 0, 0};
    if (!ix->rs || rule >= ix->nrules)
        return z;
    struct spu_index_rule_stats r = ix->rs[rule];
    if (ix->unpf[rule]) /* every event of its kind but those it passed */
        r.prefilter_drop += ix->ev_seen[ix->rule_event[rule]] - ix->unpf_pass[rule];
    return r;
}

/* The rules of event ev that no tree node lists: all of the event's
 * rules when it has no tree. */
static const uint32_t *unindexed_of(const struct spu_bundle *b, uint32_t ev, uint32_t *n)
{
    const struct spu_bview *v = &b->v;
    const struct spu_bevent *e = &v->events[ev];
    if (e->index_root == SPU_NONE) {
        *n = e->nrules;
        return e->nrules ? &v->u32[e->rules] : NULL;
    }
    return spu_bundle_unindexed(b, ev, n);
}

static int split_unindexed(struct spu_index *ix, const struct spu_bundle *b)
{
    const struct spu_bview *v = &b->v;
    size_t nr = v->nrules ? v->nrules : 1, ne = (size_t)v->nevents + 1;
    ix->plain = calloc(nr, sizeof(uint32_t));
    ix->plain_off = calloc(ne, sizeof(uint32_t));
    ix->unpf = calloc(nr, 1);
    ix->n_unpf = calloc(ne, sizeof(uint32_t));
    ix->ev_seen = calloc(ne, sizeof(uint64_t));
    ix->unpf_pass = calloc(nr, sizeof(uint64_t));
    ix->hit = calloc(nr, sizeof(uint32_t));
    ix->rule_event = calloc(nr, sizeof(uint32_t));
    if (!ix->plain || !ix->plain_off || !ix->unpf || !ix->n_unpf || !ix->ev_seen ||
        !ix->unpf_pass || !ix->hit || !ix->rule_event)
        return SPU_ENOMEM;
    for (uint32_t r = 0; r < v->nrules; r++)
        ix->rule_event[r] = v->rules[r].event;
    uint32_t k = 0;
    for (uint32_t ev = 0; ev < v->nevents; ev++) {
        ix->plain_off[ev] = k;
        uint32_t n;
        const uint32_t *un = unindexed_of(b, ev, &n);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t r = un[i];
            if (r >= v->nrules)
                continue;
            if ((v->rules[r].flags & SPU_RF_PREFILTERED) && !ix->unpf[r] &&
                v->rules[r].event == ev) {
                ix->unpf[r] = 1;
                ix->n_unpf[ev]++;
            } else if (!ix->unpf[r] && k < nr) {
                ix->plain[k++] = r;
            }
        }
    }
    ix->plain_off[v->nevents] = k;
    ix->nevents = v->nevents;
    return SPU_OK;
}

/* Size everything for bundle b (a bundle seen for the first time). */
static int adopt(struct spu_index *ix, const struct spu_bundle *b)
{
    const struct spu_bview *v = &b->v;
    free_arrays(ix);
    ix->have_bundle = 0;
    size_t nr = v->nrules ? v->nrules : 1, nn = v->ninodes ? v->ninodes : 1;
    size_t np = v->nprogs ? v->nprogs : 1;
    ix->rule_stamp = calloc(nr, sizeof(uint32_t));
    ix->rule_how = calloc(nr, 1);
    ix->pf_stamp = calloc(nr, sizeof(uint32_t));
    ix->pf_found = calloc(nr, sizeof(uint32_t));
    ix->pf_group = calloc(nr, sizeof(uint32_t));
    ix->sel = calloc(nr, sizeof(uint32_t));
    ix->sel_how = calloc(nr, 1);
    ix->rs = calloc(nr, sizeof(*ix->rs));
    ix->node_stamp = calloc(nn, sizeof(uint32_t));
    ix->node_nocase = calloc(nn, 1);
    ix->stack = calloc(nn, sizeof(uint32_t));
    ix->key_stamp = calloc(np, sizeof(uint32_t));
    ix->key_val = calloc(np, sizeof(struct spu_value));
    if (!ix->rule_stamp || !ix->rule_how || !ix->pf_stamp || !ix->pf_found || !ix->pf_group ||
        !ix->sel || !ix->sel_how || !ix->rs || !ix->node_stamp || !ix->node_nocase || !ix->stack ||
        !ix->key_stamp || !ix->key_val)
        return SPU_ENOMEM;
    if (spu_prefilter_scratch(b->pf, &ix->scratch) != SPU_OK)
        return SPU_ENOMEM;
    if (split_unindexed(ix, b) != SPU_OK)
        return SPU_ENOMEM;
    for (uint32_t i = 0; i < v->ninodes; i++) {
        const struct spu_binode *n = &v->inodes[i];
        for (uint32_t k = 0; k < n->nexact; k++)
            if (v->iedges[n->edges + k].flags & SPU_IEF_NOCASE)
                ix->node_nocase[i] = 1;
    }
    ix->nrules = v->nrules;
    ix->nnodes = v->ninodes;
    ix->nprogs = v->nprogs;
    ix->epoch = 0;
    ix->group_serial = 0;
    memcpy(ix->sum, v->hdr->checksum, 32);
    ix->have_bundle = 1;
    return SPU_OK;
}

static void new_epoch(struct spu_index *ix)
{
    if (++ix->epoch != 0)
        return;
    /* the stamps wrapped: forget them all */
    memset(ix->rule_stamp, 0, (ix->nrules ? ix->nrules : 1) * sizeof(uint32_t));
    memset(ix->pf_stamp, 0, (ix->nrules ? ix->nrules : 1) * sizeof(uint32_t));
    memset(ix->node_stamp, 0, (ix->nnodes ? ix->nnodes : 1) * sizeof(uint32_t));
    memset(ix->key_stamp, 0, (ix->nprogs ? ix->nprogs : 1) * sizeof(uint32_t));
    ix->epoch = 1;
}

static void select_rule(struct spu_index *ix, uint32_t r, uint8_t how)
{
    if (ix->rule_stamp[r] != ix->epoch) {
        ix->rule_stamp[r] = ix->epoch;
        ix->rule_how[r] = 0;
        ix->sel[ix->nsel++] = r;
    }
    ix->rule_how[r] |= how;
}

struct sel_ctx {
    struct spu_index *ix;
    struct spu_vm *vm;
    const struct spu_bundle *b;
    const struct spu_record *rec;
    const struct spu_host *host;
    void *hctx;
};

static const struct spu_value *key_of(struct sel_ctx *c, uint32_t prog)
{
    struct spu_index *ix = c->ix;
    if (ix->key_stamp[prog] != ix->epoch) {
        ix->st.key_runs++;
        if (spu_vm_run_key(c->vm, c->b, prog, c->rec, c->host, c->hctx, &ix->key_val[prog], NULL) !=
            SPU_OK) {
            ix->st.key_faults++;
            ix->key_val[prog] = spu_v_null();
        }
        ix->key_stamp[prog] = ix->epoch;
    }
    return &ix->key_val[prog];
}

static int bytes_cmp(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    size_t n = na < nb ? na : nb;
    int c = n ? memcmp(a, b, n) : 0;
    if (c)
        return c;
    return na < nb ? -1 : na > nb;
}

static uint8_t lc(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

static int eq_nocase(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lc(a[i]) != lc(b[i]))
            return 0;
    return 1;
}

/* The exact edge of n whose bytes equal k, or SPU_NONE. */
static uint32_t find_exact(const struct spu_bview *v, const struct spu_binode *n, const uint8_t *k,
                           size_t len)
{
    uint32_t lo = 0, hi = n->nexact;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const struct spu_biedge *e = &v->iedges[n->edges + mid];
        int c = bytes_cmp((const uint8_t *)v->strtab + e->value.off, e->value.len, k, len);
        if (c == 0)
            return n->edges + mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return SPU_NONE;
}

static void push_node(struct spu_index *ix, uint32_t *sp, uint32_t node)
{
    if (ix->node_stamp[node] == ix->epoch)
        return;
    ix->node_stamp[node] = ix->epoch;
    ix->stack[(*sp)++] = node;
}

static void follow_edges(struct sel_ctx *c, const struct spu_binode *n, uint32_t ni,
                         const uint8_t *k, size_t len, uint32_t *sp)
{
    struct spu_index *ix = c->ix;
    const struct spu_bview *v = &c->b->v;
    uint32_t e = find_exact(v, n, k, len);
    if (e != SPU_NONE)
        push_node(ix, sp, v->iedges[e].child);
    if (ix->node_nocase[ni] && len) {
        if (len > ix->lower_cap) {
            uint8_t *p = realloc(ix->lower, len);
            if (p) {
                ix->lower = p;
                ix->lower_cap = len;
            }
        }
        if (len <= ix->lower_cap) {
            for (size_t i = 0; i < len; i++)
                ix->lower[i] = lc(k[i]);
            e = find_exact(v, n, ix->lower, len);
            if (e != SPU_NONE && (v->iedges[e].flags & SPU_IEF_NOCASE))
                push_node(ix, sp, v->iedges[e].child);
        }
    }
    for (uint32_t i = n->nexact; i < n->nedges; i++) {
        const struct spu_biedge *ed = &v->iedges[n->edges + i];
        uint32_t el = ed->value.len;
        if (el > len)
            continue;
        const uint8_t *ev = (const uint8_t *)v->strtab + ed->value.off;
        const uint8_t *at = ed->kind == SPU_IE_PREFIX ? k : k + (len - el);
        int m = (ed->flags & SPU_IEF_NOCASE) ? eq_nocase(at, ev, el)
                                             : (el == 0 || memcmp(at, ev, el) == 0);
        if (m)
            push_node(ix, sp, ed->child);
    }
}

static void walk(struct sel_ctx *c, const struct spu_bevent *e)
{
    struct spu_index *ix = c->ix;
    const struct spu_bview *v = &c->b->v;
    uint32_t sp = 0;
    push_node(ix, &sp, e->index_root);
    while (sp) {
        uint32_t ni = ix->stack[--sp];
        const struct spu_binode *n = &v->inodes[ni];
        ix->st.nodes++;
        for (uint32_t k = 0; k < n->nrules; k++)
            select_rule(ix, v->u32[n->rules + k], SPU_SEL_TREE);
        if (n->nedges) {
            const struct spu_value *key = key_of(c, v->u32[e->levels + n->level]);
            if (key->type == SPU_T_STR) {
                follow_edges(c, n, ni, key->u.s, key->len, &sp);
            } else if (key->type == SPU_T_ARR) {
                for (uint32_t i = 0; i < key->u.arr->n; i++) {
                    const struct spu_value *el = &key->u.arr->v[i];
                    if (el->type == SPU_T_STR)
                        follow_edges(c, n, ni, el->u.s, el->len, &sp);
                }
            }
        }
        if (n->any != SPU_NONE)
            push_node(ix, &sp, n->any);
    }
}

struct scan_ctx {
    struct spu_index *ix;
    const struct spu_bview *v;
    uint32_t serial;
};

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
                    unsigned int flags, void *arg)
{
    struct scan_ctx *s = arg;
    struct spu_index *ix = s->ix;
    if (id >= s->v->npatterns) /* a cached database from a trusted signer, still checked */
        return 0;
    uint32_t r = s->v->patterns[id].rule;
    ix->st.literal_hits++;
    if (ix->pf_stamp[r] != ix->epoch) {
        ix->pf_stamp[r] = ix->epoch;
        ix->pf_found[r] = 0;
        ix->pf_group[r] = 0;
        ix->hit[ix->nhit++] = r;
    }
    if (ix->pf_group[r] != s->serial) {
        ix->pf_group[r] = s->serial;
        ix->pf_found[r]++;
    }
    return 0;
}

static void scan_one(struct spu_index *ix, const struct spu_pf_group *g, const uint8_t *p,
                     uint32_t len, struct scan_ctx *s)
{
    ix->st.scans++;
    if (hs_scan(g->db, len ? (const char *)p : "", len, 0, ix->scratch, on_match, s) != HS_SUCCESS)
        ix->st.scan_errors++;
}

static void prefilter(struct sel_ctx *c, uint32_t ev)
{
    struct spu_index *ix = c->ix;
    const struct spu_bview *v = &c->b->v;
    const struct spu_prefilter *pf = c->b->pf;
    ix->nhit = 0;
    uint32_t ng;
    const struct spu_pf_group *g = spu_prefilter_groups(pf, ev, &ng);
    for (uint32_t i = 0; i < ng; i++) {
        struct scan_ctx s = {ix, v, ++ix->group_serial};
        if (s.serial == 0) { /* wrapped: no rule may think it saw this group */
            memset(ix->pf_group, 0, (ix->nrules ? ix->nrules : 1) * sizeof(uint32_t));
            s.serial = ix->group_serial = 1;
        }
        const struct spu_value *key = key_of(c, g[i].key_prog);
        if (key->type == SPU_T_STR) {
            scan_one(ix, &g[i], key->u.s, key->len, &s);
        } else if (key->type == SPU_T_ARR) {
            for (uint32_t k = 0; k < key->u.arr->n; k++)
                if (key->u.arr->v[k].type == SPU_T_STR)
                    scan_one(ix, &g[i], key->u.arr->v[k].u.s, key->u.arr->v[k].len, &s);
        }
    }
    uint32_t kept = 0;
    for (uint32_t i = 0; i < ix->nsel; i++) {
        uint32_t r = ix->sel[i];
        if (v->rules[r].flags & SPU_RF_PREFILTERED) {
            int pass =
                ix->pf_stamp[r] == ix->epoch && ix->pf_found[r] == spu_prefilter_rule_groups(pf, r);
            if (!pass) {
                ix->st.prefilter_dropped++;
                ix->rs[r].prefilter_drop++;
                continue;
            }
            ix->rule_how[r] |= SPU_SEL_PREFILTER;
            ix->rs[r].prefilter_pass++;
        }
        ix->sel[kept++] = r;
    }
    ix->nsel = kept;
    /* the prefiltered unindexed rules: those with a literal of every group */
    uint32_t passed = 0;
    for (uint32_t i = 0; i < ix->nhit; i++) {
        uint32_t r = ix->hit[i];
        if (!ix->unpf[r] || ix->rule_event[r] != ev ||
            ix->pf_found[r] != spu_prefilter_rule_groups(pf, r))
            continue;
        select_rule(ix, r, SPU_SEL_UNINDEXED | SPU_SEL_PREFILTER);
        ix->rs[r].prefilter_pass++;
        ix->unpf_pass[r]++;
        passed++;
    }
    ix->st.prefilter_dropped += ix->n_unpf[ev] - passed;
}

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int spu_index_select(struct spu_index *ix, struct spu_vm *vm, const struct spu_bundle *b,
                     uint32_t ev, const struct spu_record *rec, const struct spu_host *host,
                     void *host_ctx, struct spu_cands *out)
{
    const struct spu_bview *v = &b->v;
    out->rules = NULL;
    out->how = NULL;
    out->n = 0;
    if (ev >= v->nevents)
        return SPU_EINVAL;
    if (!ix->have_bundle || memcmp(ix->sum, v->hdr->checksum, 32) != 0) {
        if (adopt(ix, b) != SPU_OK) {
            ix->have_bundle = 0;
            return SPU_ENOMEM;
        }
    }
    new_epoch(ix);
    ix->nsel = 0;
    ix->st.events++;
    struct sel_ctx c = {ix, vm, b, rec, host, host_ctx};
    const struct spu_bevent *e = &v->events[ev];
    ix->ev_seen[ev]++;
    for (uint32_t k = ix->plain_off[ev]; k < ix->plain_off[ev + 1]; k++)
        select_rule(ix, ix->plain[k], SPU_SEL_UNINDEXED);
    if (e->index_root != SPU_NONE)
        walk(&c, e);
    int any_pf = ix->n_unpf[ev] > 0;
    for (uint32_t i = 0; i < ix->nsel && !any_pf; i++)
        any_pf = !!(v->rules[ix->sel[i]].flags & SPU_RF_PREFILTERED);
    if (any_pf)
        prefilter(&c, ev);
    if (ix->nsel > 1)
        qsort(ix->sel, ix->nsel, sizeof(uint32_t), u32_cmp);
    for (uint32_t i = 0; i < ix->nsel; i++) {
        uint32_t r = ix->sel[i];
        ix->sel_how[i] = ix->rule_how[r];
        if (ix->rule_how[r] & SPU_SEL_TREE)
            ix->rs[r].tree++;
        if (ix->rule_how[r] & SPU_SEL_UNINDEXED)
            ix->rs[r].unindexed++;
    }
    ix->st.candidates += ix->nsel;
    out->rules = ix->sel;
    out->how = ix->sel_how;
    out->n = ix->nsel;
    return SPU_OK;
}

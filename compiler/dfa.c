/* dfa.c - subset construction, decide labels, Hopcroft minimization, class
 * compression and canonical numbering (see dfa.h).
 *
 * Stages, each over the "pre-classes" (the coarsest partition of the bytes
 * that every NFA byte set respects, so one representative byte stands for
 * its whole class):
 *   1. subset construction: DFA states are sorted lists of the NFA's
 *      "important" states (SET and ACCEPT) closed under epsilon moves;
 *      state 0 is the empty list, the dead state;
 *   2. decide labels by a fixed point over reversed transitions;
 *   3. Hopcroft refinement from the partition by (accept, decide);
 *   4. classes merged where the minimal DFA's columns are equal, then
 *      states renumbered breadth-first. */
#include "dfa.h"

#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "nfa.h"

/* ---------------------------------------------------------------- classes */

struct preclasses {
    uint8_t cmap[256];
    uint8_t rep[256]; /* lowest byte of each class */
    uint32_t n;
};

static void make_preclasses(const struct spu_nfa *nfa, struct preclasses *pc)
{
    uint8_t cmap[256] = {0};
    uint32_t n = 1;
    for (uint32_t i = 0; i < nfa->nsets; i++) {
        const struct spu_byteset *s = &nfa->sets[i];
        uint16_t in[256] = {0}, total[256] = {0};
        int16_t split[256];
        for (unsigned b = 0; b < 256; b++) {
            total[cmap[b]]++;
            in[cmap[b]] += spu_byteset_has(s, b);
            split[b] = -1;
        }
        for (unsigned b = 0; b < 256; b++) {
            unsigned k = cmap[b];
            if (!spu_byteset_has(s, b) || in[k] == total[k])
                continue;
            if (split[k] < 0)
                split[k] = (int16_t)n++;
            cmap[b] = (uint8_t)split[k];
        }
    }
    /* Renumber by lowest byte. */
    int16_t renum[256];
    for (unsigned k = 0; k < 256; k++)
        renum[k] = -1;
    pc->n = 0;
    for (unsigned b = 0; b < 256; b++) {
        if (renum[cmap[b]] < 0) {
            renum[cmap[b]] = (int16_t)pc->n;
            pc->rep[pc->n++] = (uint8_t)b;
        }
        pc->cmap[b] = (uint8_t)renum[cmap[b]];
    }
}

/* ------------------------------------------------------ subset construction */

struct raw_dfa {
    uint32_t n;       /* states */
    uint32_t ncls;    /* pre-classes */
    uint32_t start;
    uint32_t *trans;  /* n * ncls */
    uint32_t *accept; /* n */
};

struct subset {
    const struct spu_nfa *nfa;
    const struct preclasses *pc;
    uint32_t max_states;
    uint64_t max_work;
    struct raw_dfa *out;
    uint32_t cap;      /* capacity of the per-state arrays */
    uint64_t *key;     /* per state: pool offset << 32 | length */
    uint32_t *pool;    /* sorted NFA-state lists, back to back */
    size_t pool_len, pool_cap;
    uint32_t *ht;      /* open addressing: state + 1, 0 = empty */
    uint32_t ht_size;
    uint32_t *stamp;   /* per NFA state: generation of the last visit */
    uint32_t gen;
    uint32_t *stack;   /* closure work list, at most one entry per NFA state */
    uint32_t *buf;     /* the closure being built */
    uint32_t nbuf;
};

static uint32_t hash_list(const uint32_t *l, uint32_t n)
{
    uint64_t h = 0xcbf29ce484222325u ^ n;
    for (uint32_t i = 0; i < n; i++) {
        h ^= l[i];
        h *= 0x100000001b3u;
        h ^= h >> 29;
    }
    return (uint32_t)(h ^ (h >> 32));
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Push NFA state q onto the closure stack unless seen in this generation. */
static inline void visit(struct subset *ss, uint32_t *sp, uint32_t q)
{
    if (ss->stamp[q] != ss->gen) {
        ss->stamp[q] = ss->gen;
        ss->stack[(*sp)++] = q;
    }
}

static void next_gen(struct subset *ss)
{
    if (++ss->gen == 0) {
        memset(ss->stamp, 0, ss->nfa->nstates * sizeof(*ss->stamp));
        ss->gen = 1;
    }
}

/* Close the stack's `sp` entries under epsilon moves into ss->buf, sorted. */
static void close_stack(struct subset *ss, uint32_t sp)
{
    const struct spu_nfa_state *st = ss->nfa->states;
    ss->nbuf = 0;
    while (sp) {
        uint32_t q = ss->stack[--sp];
        if (st[q].kind == SPU_NFA_SPLIT) {
            visit(ss, &sp, st[q].out);
            if (st[q].out2 != SPU_NONE)
                visit(ss, &sp, st[q].out2);
        } else {
            ss->buf[ss->nbuf++] = q;
        }
    }
    qsort(ss->buf, ss->nbuf, sizeof(*ss->buf), cmp_u32);
}

static int ht_grow(struct subset *ss)
{
    uint32_t nsize = ss->ht_size ? ss->ht_size * 2 : 1024;
    uint32_t *nh = calloc(nsize, sizeof(*nh));
    if (!nh)
        return SPU_ENOMEM;
    for (uint32_t s = 0; s < ss->out->n; s++) {
        uint32_t h = hash_list(ss->pool + (ss->key[s] >> 32), (uint32_t)ss->key[s]) & (nsize - 1);
        while (nh[h])
            h = (h + 1) & (nsize - 1);
        nh[h] = s + 1;
    }
    free(ss->ht);
    ss->ht = nh;
    ss->ht_size = nsize;
    return SPU_OK;
}

static int grow_states(struct subset *ss)
{
    struct raw_dfa *r = ss->out;
    uint32_t ncap = (uint32_t)spu_grow_cap(ss->cap, (size_t)ss->cap + 1, 256, UINT32_MAX);
    if (!ncap)
        return SPU_ENOMEM;
    uint64_t *k = realloc(ss->key, (size_t)ncap * sizeof(*k));
    if (k)
        ss->key = k;
    uint32_t *a = realloc(r->accept, (size_t)ncap * sizeof(*a));
    if (a)
        r->accept = a;
    uint32_t *t = realloc(r->trans, (size_t)ncap * r->ncls * sizeof(*t));
    if (t)
        r->trans = t;
    if (!k || !a || !t)
        return SPU_ENOMEM;
    ss->cap = ncap;
    return SPU_OK;
}

/* The DFA state for ss->buf: found, or added (returns its number), or
 * SPU_NONE with *rc set (limit or memory). */
static uint32_t intern_state(struct subset *ss, int *rc)
{
    struct raw_dfa *r = ss->out;
    uint32_t h = hash_list(ss->buf, ss->nbuf);
    uint32_t mask = ss->ht_size - 1;
    uint32_t i = h & mask;
    while (ss->ht[i]) {
        uint32_t s = ss->ht[i] - 1;
        if ((uint32_t)ss->key[s] == ss->nbuf &&
            memcmp(ss->pool + (ss->key[s] >> 32), ss->buf, ss->nbuf * sizeof(*ss->buf)) == 0)
            return s;
        i = (i + 1) & mask;
    }
    if (r->n >= ss->max_states) {
        *rc = SPU_ELIMIT;
        return SPU_NONE;
    }
    if (ss->pool_len + ss->nbuf + (uint64_t)(r->n + 1) * r->ncls > ss->max_work) {
        *rc = SPU_ERANGE; /* reported as the work cap */
        return SPU_NONE;
    }
    if (r->n == ss->cap && (*rc = grow_states(ss)) != SPU_OK)
        return SPU_NONE;
    if (ss->pool_len + ss->nbuf > ss->pool_cap) {
        size_t ncap = spu_grow_cap(ss->pool_cap, ss->pool_len + ss->nbuf, 4096,
                                   SIZE_MAX / sizeof(*ss->pool));
        uint32_t *np = realloc(ss->pool, ncap * sizeof(*np));
        if (!np) {
            *rc = SPU_ENOMEM;
            return SPU_NONE;
        }
        ss->pool = np;
        ss->pool_cap = ncap;
    }
    uint32_t s = r->n++;
    memcpy(ss->pool + ss->pool_len, ss->buf, ss->nbuf * sizeof(*ss->buf));
    ss->key[s] = (uint64_t)ss->pool_len << 32 | ss->nbuf;
    ss->pool_len += ss->nbuf;
    uint32_t acc = SPU_NONE;
    for (uint32_t j = 0; j < ss->nbuf; j++) {
        const struct spu_nfa_state *q = &ss->nfa->states[ss->buf[j]];
        if (q->kind == SPU_NFA_ACCEPT && q->arg < acc)
            acc = q->arg;
    }
    r->accept[s] = acc;
    ss->ht[i] = s + 1;
    if ((uint64_t)r->n * 2 > ss->ht_size && (*rc = ht_grow(ss)) != SPU_OK)
        return SPU_NONE;
    return s;
}

static int subset_run(struct subset *ss)
{
    const struct spu_nfa *nfa = ss->nfa;
    struct raw_dfa *r = ss->out;
    int rc = SPU_OK;
    if ((rc = ht_grow(ss)) != SPU_OK)
        return rc;
    /* State 0: the empty list, dead. */
    ss->nbuf = 0;
    if (intern_state(ss, &rc) == SPU_NONE)
        return rc;
    next_gen(ss);
    uint32_t sp = 0;
    visit(ss, &sp, nfa->start);
    close_stack(ss, sp);
    r->start = intern_state(ss, &rc);
    if (r->start == SPU_NONE)
        return rc;
    for (uint32_t s = 0; s < r->n; s++) {
        for (uint32_t c = 0; c < r->ncls; c++) {
            unsigned byte = ss->pc->rep[c];
            next_gen(ss);
            sp = 0;
            /* The key may move when the pool grows: index it afresh. */
            uint32_t off = (uint32_t)(ss->key[s] >> 32), len = (uint32_t)ss->key[s];
            for (uint32_t j = 0; j < len; j++) {
                const struct spu_nfa_state *q = &nfa->states[ss->pool[off + j]];
                if (q->kind == SPU_NFA_SET && spu_byteset_has(&nfa->sets[q->arg], byte))
                    visit(ss, &sp, q->out);
            }
            close_stack(ss, sp);
            uint32_t t = intern_state(ss, &rc);
            if (t == SPU_NONE)
                return rc;
            r->trans[(size_t)s * r->ncls + c] = t;
        }
    }
    return SPU_OK;
}

static int subset_build(const struct spu_nfa *nfa, const struct preclasses *pc,
                        uint32_t max_states, uint64_t max_work, struct raw_dfa *out)
{
    struct subset ss = {
        .nfa = nfa, .pc = pc, .max_states = max_states, .max_work = max_work, .out = out};
    out->ncls = pc->n;
    ss.stamp = calloc(nfa->nstates, sizeof(*ss.stamp));
    ss.stack = malloc(nfa->nstates * sizeof(*ss.stack));
    ss.buf = malloc(nfa->nstates * sizeof(*ss.buf));
    ss.pool_cap = 4096;
    ss.pool = malloc(ss.pool_cap * sizeof(*ss.pool));
    int rc = SPU_ENOMEM;
    if (ss.stamp && ss.stack && ss.buf && ss.pool)
        rc = subset_run(&ss);
    free(ss.stamp);
    free(ss.stack);
    free(ss.buf);
    free(ss.key);
    free(ss.pool);
    free(ss.ht);
    return rc;
}

/* ------------------------------------------------------------ predecessors */

/* Reversed transitions: the states that go to t on pre-class c are
 * src[off[c * n + t] .. off[c * n + t + 1]). */
struct preds {
    uint32_t *off; /* cells + 1 entries; cells < 2^32 by the work cap */
    uint32_t *src;
};

static int preds_build(const struct raw_dfa *r, struct preds *p)
{
    size_t cells = (size_t)r->n * r->ncls;
    p->off = calloc(cells + 1, sizeof(*p->off));
    p->src = malloc((cells ? cells : 1) * sizeof(*p->src));
    if (!p->off || !p->src)
        return SPU_ENOMEM;
    for (uint32_t s = 0; s < r->n; s++) {
        for (uint32_t c = 0; c < r->ncls; c++)
            p->off[(size_t)c * r->n + r->trans[(size_t)s * r->ncls + c] + 1]++;
    }
    for (size_t i = 0; i < cells; i++)
        p->off[i + 1] += p->off[i];
    uint32_t *fill = malloc((cells ? cells : 1) * sizeof(*fill));
    if (!fill)
        return SPU_ENOMEM;
    memcpy(fill, p->off, cells * sizeof(*fill));
    for (uint32_t s = 0; s < r->n; s++) {
        for (uint32_t c = 0; c < r->ncls; c++) {
            size_t k = (size_t)c * r->n + r->trans[(size_t)s * r->ncls + c];
            p->src[fill[k]++] = s;
        }
    }
    free(fill);
    return SPU_OK;
}

static void preds_free(struct preds *p)
{
    free(p->off);
    free(p->src);
}

/* ------------------------------------------------------------------ decide */

#define LBL_MANY (SPU_NONE - 1) /* several labels reachable */

static uint32_t lbl_join(uint32_t a, uint32_t b)
{
    if (b == SPU_NONE || a == b)
        return a;
    if (a == SPU_NONE)
        return b;
    return LBL_MANY;
}

/* decide[s]: the one label reachable from s. Each state's value climbs the
 * lattice none < one label < many at most twice, so the work list sees
 * every state at most three times. */
static int compute_decide(const struct raw_dfa *r, const struct preds *p, uint32_t *decide)
{
    uint32_t *work = malloc(((size_t)r->n * 3 + 1) * sizeof(*work));
    if (!work)
        return SPU_ENOMEM;
    size_t nw = 0;
    for (uint32_t s = 0; s < r->n; s++) {
        decide[s] = r->accept[s];
        if (decide[s] != SPU_NONE)
            work[nw++] = s;
    }
    while (nw) {
        uint32_t t = work[--nw];
        for (uint32_t c = 0; c < r->ncls; c++) {
            size_t k = (size_t)c * r->n + t;
            for (uint32_t i = p->off[k]; i < p->off[k + 1]; i++) {
                uint32_t s = p->src[i];
                uint32_t v = lbl_join(decide[s], decide[t]);
                if (v != decide[s]) {
                    decide[s] = v;
                    work[nw++] = s;
                }
            }
        }
    }
    for (uint32_t s = 0; s < r->n; s++) {
        if (decide[s] == LBL_MANY)
            decide[s] = SPU_NONE;
    }
    free(work);
    return SPU_OK;
}

/* ---------------------------------------------------------------- Hopcroft */

struct partition {
    uint32_t *elems;  /* states grouped by block */
    uint32_t *loc;    /* position of each state in elems */
    uint32_t *blk;    /* block of each state */
    uint32_t *first;  /* block: [first, end) in elems */
    uint32_t *end;
    uint32_t *mid;    /* block: marked states are [first, mid) */
    uint8_t *in_w;    /* block is waiting as a splitter */
    uint32_t nblocks;
};

struct init_key {
    uint32_t accept, decide, state;
};

static int cmp_init_key(const void *a, const void *b)
{
    const struct init_key *x = a, *y = b;
    if (x->accept != y->accept)
        return x->accept < y->accept ? -1 : 1;
    if (x->decide != y->decide)
        return x->decide < y->decide ? -1 : 1;
    return (x->state > y->state) - (x->state < y->state);
}

static void mark(struct partition *P, uint32_t s, uint32_t *touched, uint32_t *ntouched)
{
    uint32_t b = P->blk[s], i = P->loc[s], j = P->mid[b];
    if (i < j)
        return; /* already marked */
    if (j == P->first[b])
        touched[(*ntouched)++] = b;
    uint32_t other = P->elems[j];
    P->elems[j] = s;
    P->loc[s] = j;
    P->elems[i] = other;
    P->loc[other] = i;
    P->mid[b] = j + 1;
}

/* Split each touched block into its marked and unmarked parts; the
 * marked part becomes the new block. */
static void split_touched(struct partition *P, uint32_t *touched, uint32_t ntouched,
                          uint32_t *wstack, uint32_t *nw)
{
    for (uint32_t k = 0; k < ntouched; k++) {
        uint32_t b = touched[k];
        if (P->mid[b] == P->end[b]) {
            P->mid[b] = P->first[b]; /* all marked: no split */
            continue;
        }
        uint32_t nb = P->nblocks++;
        P->first[nb] = P->first[b];
        P->end[nb] = P->mid[b];
        P->mid[nb] = P->first[nb];
        P->first[b] = P->mid[b];
        P->mid[b] = P->first[b];
        for (uint32_t i = P->first[nb]; i < P->end[nb]; i++)
            P->blk[P->elems[i]] = nb;
        uint32_t add = nb;
        if (!P->in_w[b] && P->end[b] - P->first[b] < P->end[nb] - P->first[nb])
            add = b;
        P->in_w[add] = 1;
        wstack[(*nw)++] = add;
    }
}

static int hopcroft(const struct raw_dfa *r, const struct preds *p, const uint32_t *decide,
                    struct partition *P)
{
    uint32_t n = r->n;
    struct init_key *keys = malloc(n * sizeof(*keys));
    uint32_t *wstack = malloc(n * sizeof(*wstack));
    uint32_t *touched = malloc(n * sizeof(*touched));
    uint32_t *splitter = malloc(n * sizeof(*splitter));
    P->elems = malloc(n * sizeof(*P->elems));
    P->loc = malloc(n * sizeof(*P->loc));
    P->blk = malloc(n * sizeof(*P->blk));
    P->first = malloc(n * sizeof(*P->first));
    P->end = malloc(n * sizeof(*P->end));
    P->mid = malloc(n * sizeof(*P->mid));
    P->in_w = calloc(n, 1);
    int rc = SPU_ENOMEM;
    if (!keys || !wstack || !touched || !splitter || !P->elems || !P->loc || !P->blk ||
        !P->first || !P->end || !P->mid || !P->in_w)
        goto out;
    for (uint32_t s = 0; s < n; s++)
        keys[s] = (struct init_key){r->accept[s], decide[s], s};
    qsort(keys, n, sizeof(*keys), cmp_init_key);
    uint32_t nw = 0;
    P->nblocks = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (i == 0 || keys[i].accept != keys[i - 1].accept ||
            keys[i].decide != keys[i - 1].decide) {
            uint32_t b = P->nblocks++;
            P->first[b] = P->mid[b] = i;
            P->in_w[b] = 1;
            wstack[nw++] = b;
        }
        P->end[P->nblocks - 1] = i + 1;
        P->elems[i] = keys[i].state;
        P->loc[keys[i].state] = i;
        P->blk[keys[i].state] = P->nblocks - 1;
    }
    while (nw) {
        uint32_t a = wstack[--nw];
        P->in_w[a] = 0;
        /* Splitting may reshape block a while its classes are processed;
         * its states at the time it was taken stay a valid splitter. */
        uint32_t m = P->end[a] - P->first[a];
        memcpy(splitter, P->elems + P->first[a], m * sizeof(*splitter));
        for (uint32_t c = 0; c < r->ncls; c++) {
            uint32_t ntouched = 0;
            for (uint32_t i = 0; i < m; i++) {
                size_t k = (size_t)c * n + splitter[i];
                for (uint32_t j = p->off[k]; j < p->off[k + 1]; j++)
                    mark(P, p->src[j], touched, &ntouched);
            }
            split_touched(P, touched, ntouched, wstack, &nw);
        }
    }
    rc = SPU_OK;
out:
    free(keys);
    free(wstack);
    free(touched);
    free(splitter);
    return rc;
}

static void partition_free(struct partition *P)
{
    free(P->elems);
    free(P->loc);
    free(P->blk);
    free(P->first);
    free(P->end);
    free(P->mid);
    free(P->in_w);
}

/* ------------------------------------------------------------------ output */

/* From the partition: merge byte classes whose columns agree in the
 * minimal DFA, number states breadth-first, fill the image. */
static int emit_image(const struct raw_dfa *r, const uint32_t *decide,
                      const struct preclasses *pc, const struct partition *P,
                      struct spu_dfa_image *img)
{
    uint32_t m = P->nblocks, ncls = r->ncls;
    int rc = SPU_ENOMEM;
    uint32_t *mt = malloc((size_t)m * ncls * sizeof(*mt)); /* block x pre-class -> block */
    uint32_t *newid = malloc(m * sizeof(*newid));
    uint32_t *order = malloc(m * sizeof(*order));
    if (!mt || !newid || !order)
        goto out;
    for (uint32_t b = 0; b < m; b++) {
        uint32_t rep = P->elems[P->first[b]];
        for (uint32_t c = 0; c < ncls; c++)
            mt[(size_t)b * ncls + c] = P->blk[r->trans[(size_t)rep * ncls + c]];
    }
    /* Final classes: pre-classes with equal columns. */
    uint32_t group[256], grep[256], ngroups = 0;
    uint64_t colhash[256];
    for (uint32_t c = 0; c < ncls; c++) {
        uint64_t h = 0xcbf29ce484222325u;
        for (uint32_t b = 0; b < m; b++)
            h = (h ^ mt[(size_t)b * ncls + c]) * 0x100000001b3u;
        colhash[c] = h;
        group[c] = SPU_NONE;
        for (uint32_t g = 0; g < ngroups && group[c] == SPU_NONE; g++) {
            uint32_t o = grep[g];
            if (colhash[o] != h)
                continue;
            uint32_t b = 0;
            while (b < m && mt[(size_t)b * ncls + c] == mt[(size_t)b * ncls + o])
                b++;
            if (b == m)
                group[c] = g;
        }
        if (group[c] == SPU_NONE) {
            grep[ngroups] = c;
            group[c] = ngroups++;
        }
    }
    /* Pre-classes are numbered by lowest byte and so are groups (a group's
     * first pre-class holds its lowest byte). */
    img->nclasses = ngroups;
    for (unsigned b = 0; b < 256; b++)
        img->classmap[b] = (uint8_t)group[pc->cmap[b]];
    /* Breadth-first numbering; the dead block is 0. */
    for (uint32_t b = 0; b < m; b++)
        newid[b] = SPU_NONE;
    uint32_t dead = P->blk[0], start = P->blk[r->start], count = 0, head;
    newid[dead] = count;
    order[count++] = dead;
    if (newid[start] == SPU_NONE) {
        newid[start] = count;
        order[count++] = start;
    }
    head = 1;
    while (head < count) {
        uint32_t b = order[head++];
        for (uint32_t g = 0; g < ngroups; g++) {
            uint32_t t = mt[(size_t)b * ncls + grep[g]];
            if (newid[t] == SPU_NONE) {
                newid[t] = count;
                order[count++] = t;
            }
        }
    }
    img->nstates = count;
    img->start = newid[start];
    img->trans = malloc((size_t)count * ngroups * sizeof(*img->trans));
    img->accept = malloc(count * sizeof(*img->accept));
    img->decide = malloc(count * sizeof(*img->decide));
    if (!img->trans || !img->accept || !img->decide)
        goto out;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t b = order[i], rep = P->elems[P->first[b]];
        img->accept[i] = r->accept[rep];
        img->decide[i] = decide[rep];
        for (uint32_t g = 0; g < ngroups; g++)
            img->trans[(size_t)i * ngroups + g] = newid[mt[(size_t)b * ncls + grep[g]]];
    }
    rc = SPU_OK;
out:
    free(mt);
    free(newid);
    free(order);
    return rc;
}

/* ------------------------------------------------------------------ public */

static int build_from_nfa(const struct spu_nfa *nfa, const struct spu_dfa_limits *lim,
                          struct spu_dfa_image *img, struct spu_error *err)
{
    struct preclasses pc;
    make_preclasses(nfa, &pc);
    struct raw_dfa raw = {0};
    struct preds preds = {0};
    struct partition part = {0};
    uint32_t *decide = NULL;
    int rc = subset_build(nfa, &pc, lim->max_dfa_states, lim->max_work, &raw);
    if (rc == SPU_ELIMIT) {
        spu_error_set(err, SPU_ELIMIT, "pattern too complex: its DFA needs more than %u states",
                      lim->max_dfa_states);
        goto out;
    }
    if (rc == SPU_ERANGE) {
        rc = spu_error_set(err, SPU_ELIMIT, "pattern too complex: its DFA tables need more "
                           "than %llu words", (unsigned long long)lim->max_work);
        goto out;
    }
    if (rc == SPU_OK)
        rc = preds_build(&raw, &preds);
    if (rc == SPU_OK) {
        decide = malloc(raw.n * sizeof(*decide));
        rc = decide ? compute_decide(&raw, &preds, decide) : SPU_ENOMEM;
    }
    if (rc == SPU_OK)
        rc = hopcroft(&raw, &preds, decide, &part);
    if (rc == SPU_OK)
        rc = emit_image(&raw, decide, &pc, &part, img);
    if (rc != SPU_OK)
        spu_error_set(err, rc, "%s building a DFA", spu_strerror(rc));
out:
    free(raw.trans);
    free(raw.accept);
    free(decide);
    preds_free(&preds);
    partition_free(&part);
    return rc;
}

struct spu_dfa_image *spu_dfa_build(const struct spu_regex *const *pats, uint32_t npats,
                                    uint32_t flags, const struct spu_dfa_limits *lim,
                                    struct spu_error *err)
{
    uint32_t mode = flags & ~(uint32_t)SPU_DFA_BUILD_REVERSE;
    bool reverse = (flags & SPU_DFA_BUILD_REVERSE) != 0;
    if (mode == 0)
        mode = SPU_DFA_ANCHORED;
    if ((mode != SPU_DFA_ANCHORED && mode != SPU_DFA_SEARCH) ||
        (reverse && mode != SPU_DFA_ANCHORED) || !pats || npats == 0 || npats >= LBL_MANY) {
        spu_error_set(err, SPU_EINVAL, "spu_dfa_build: bad arguments (flags 0x%x, %u patterns)",
                      flags, npats);
        return NULL;
    }
    struct spu_dfa_limits L = {0};
    if (lim)
        L = *lim;
    if (!L.max_nfa_states)
        L.max_nfa_states = SPU_NFA_MAX_STATES;
    if (!L.max_dfa_states)
        L.max_dfa_states = SPU_DFA_MAX_STATES;
    if (!L.max_work || L.max_work > SPU_DFA_MAX_WORK_LIMIT)
        L.max_work = L.max_work ? SPU_DFA_MAX_WORK_LIMIT : SPU_DFA_MAX_WORK;
    unsigned nflags = (mode == SPU_DFA_SEARCH ? SPU_NFA_BUILD_SEARCH : 0) |
                      (reverse ? SPU_NFA_BUILD_REVERSE : 0);
    struct spu_nfa *nfa = spu_nfa_build(pats, npats, nflags, L.max_nfa_states, err);
    if (!nfa)
        return NULL;
    struct spu_dfa_image *img = calloc(1, sizeof(*img));
    if (!img) {
        spu_error_set(err, SPU_ENOMEM, "out of memory building a DFA");
        spu_nfa_free(nfa);
        return NULL;
    }
    img->flags = mode;
    img->nlabels = npats;
    int rc = build_from_nfa(nfa, &L, img, err);
    spu_nfa_free(nfa);
    if (rc != SPU_OK) {
        spu_dfa_image_free(img);
        return NULL;
    }
    spu_error_clear(err);
    return img;
}

void spu_dfa_image_free(struct spu_dfa_image *img)
{
    if (!img)
        return;
    free(img->trans);
    free(img->accept);
    free(img->decide);
    free(img);
}

void spu_dfa_image_view(const struct spu_dfa_image *img, struct spu_dfa *d)
{
    d->nstates = img->nstates;
    d->nclasses = img->nclasses;
    d->start = img->start;
    d->nlabels = img->nlabels;
    d->flags = img->flags;
    d->classmap = img->classmap;
    d->trans = img->trans;
    d->accept = img->accept;
    d->decide = img->decide;
    d->runs = NULL;
}

size_t spu_dfa_image_words(const struct spu_dfa_image *img)
{
    return 64 + (size_t)img->nstates * img->nclasses + 2 * (size_t)img->nstates;
}

int spu_dfa_image_pack(const struct spu_dfa_image *img, uint32_t base, struct spu_bdfa *h,
                       uint32_t *words, size_t cap)
{
    size_t total = spu_dfa_image_words(img);
    size_t cells = (size_t)img->nstates * img->nclasses;
    if (total > cap || (uint64_t)base + total > UINT32_MAX)
        return SPU_ERANGE;
    for (unsigned j = 0; j < 64; j++) {
        const uint8_t *c = img->classmap + 4 * j;
        words[j] = (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 |
                   (uint32_t)c[3] << 24;
    }
    memcpy(words + 64, img->trans, cells * sizeof(*words));
    memcpy(words + 64 + cells, img->accept, img->nstates * sizeof(*words));
    memcpy(words + 64 + cells + img->nstates, img->decide, img->nstates * sizeof(*words));
    *h = (struct spu_bdfa){
        .nstates = img->nstates,
        .nclasses = img->nclasses,
        .start = img->start,
        .nlabels = img->nlabels,
        .classmap = base,
        .trans = base + 64,
        .accept = (uint32_t)(base + 64 + cells),
        .decide = (uint32_t)(base + 64 + cells + img->nstates),
        .flags = img->flags,
    };
    return SPU_OK;
}

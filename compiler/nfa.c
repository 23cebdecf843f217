/* nfa.c - Thompson construction over byte sets (see nfa.h).
 *
 * The construction passes the continuation down instead of patching
 * dangling arrows: build(node, next) returns the entry of an automaton for
 * `node` whose exits lead to `next`. Loops allocate their split state first
 * and fill its arrow once the body exists. States are referred to by index
 * because the array grows while it is built. */
#include "nfa.h"

#include <stdlib.h>
#include <string.h>

#include "bundle-format.h"
#include "grow.h"

struct nfa_builder {
    struct spu_nfa *nfa;
    uint32_t cap_states;
    uint32_t max_states;
    uint32_t cap_sets;
    uint32_t *set_hash; /* open addressing: set index + 1, 0 = empty */
    uint32_t set_hash_size;
    unsigned reverse;
    int error; /* first error (SPU_ELIMIT, SPU_ENOMEM), 0 while none */
};

static uint32_t add_state(struct nfa_builder *b, uint32_t kind, uint32_t out, uint32_t out2,
                          uint32_t arg)
{
    struct spu_nfa *nfa = b->nfa;
    if (b->error)
        return SPU_NONE;
    if (nfa->nstates >= b->max_states) {
        b->error = SPU_ELIMIT;
        return SPU_NONE;
    }
    if (nfa->nstates == b->cap_states) {
        uint32_t ncap =
            (uint32_t)spu_grow_cap(b->cap_states, (size_t)nfa->nstates + 1, 64, UINT32_MAX - 1);
        struct spu_nfa_state *ns = ncap ? realloc(nfa->states, (size_t)ncap * sizeof(*ns)) : NULL;
        if (!ns) {
            b->error = SPU_ENOMEM;
            return SPU_NONE;
        }
        nfa->states = ns;
        b->cap_states = ncap;
    }
    nfa->states[nfa->nstates] = (struct spu_nfa_state){kind, out, out2, arg};
    return nfa->nstates++;
}

static uint32_t set_hash_of(const struct spu_byteset *s)
{
    uint64_t h = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < 4; i++) {
        h ^= s->w[i];
        h *= 0xff51afd7ed558ccdu;
        h ^= h >> 33;
    }
    return (uint32_t)h;
}

static int set_table_grow(struct nfa_builder *b)
{
    uint32_t nsize = b->set_hash_size ? b->set_hash_size * 2 : 64;
    uint32_t *nh = calloc(nsize, sizeof(*nh));
    if (!nh)
        return SPU_ENOMEM;
    for (uint32_t i = 0; i < b->nfa->nsets; i++) {
        uint32_t h = set_hash_of(&b->nfa->sets[i]) & (nsize - 1);
        while (nh[h])
            h = (h + 1) & (nsize - 1);
        nh[h] = i + 1;
    }
    free(b->set_hash);
    b->set_hash = nh;
    b->set_hash_size = nsize;
    return SPU_OK;
}

/* Index of `s` in the NFA's distinct sets, adding it when new. */
static uint32_t intern_set(struct nfa_builder *b, const struct spu_byteset *s)
{
    struct spu_nfa *nfa = b->nfa;
    if (b->error)
        return SPU_NONE;
    if ((nfa->nsets + 1) * 2 > b->set_hash_size && set_table_grow(b) != SPU_OK) {
        b->error = SPU_ENOMEM;
        return SPU_NONE;
    }
    uint32_t mask = b->set_hash_size - 1;
    uint32_t h = set_hash_of(s) & mask;
    while (b->set_hash[h]) {
        if (spu_byteset_eq(&nfa->sets[b->set_hash[h] - 1], s))
            return b->set_hash[h] - 1;
        h = (h + 1) & mask;
    }
    if (nfa->nsets == b->cap_sets) {
        uint32_t ncap =
            (uint32_t)spu_grow_cap(b->cap_sets, (size_t)nfa->nsets + 1, 16, UINT32_MAX - 1);
        struct spu_byteset *ns = ncap ? realloc(nfa->sets, (size_t)ncap * sizeof(*ns)) : NULL;
        if (!ns) {
            b->error = SPU_ENOMEM;
            return SPU_NONE;
        }
        nfa->sets = ns;
        b->cap_sets = ncap;
    }
    nfa->sets[nfa->nsets] = *s;
    b->set_hash[h] = nfa->nsets + 1;
    return nfa->nsets++;
}

static uint32_t build(struct nfa_builder *b, const struct spu_rx_node *n, uint32_t next);

static uint32_t build_cat(struct nfa_builder *b, const struct spu_rx_node *n, uint32_t next)
{
    size_t count = 0;
    for (const struct spu_rx_node *k = n->kids; k; k = k->next)
        count++;
    const struct spu_rx_node **kids = malloc(count * sizeof(*kids));
    if (!kids) {
        b->error = SPU_ENOMEM;
        return SPU_NONE;
    }
    size_t i = 0;
    for (const struct spu_rx_node *k = n->kids; k; k = k->next)
        kids[i++] = k;
    /* Forward: the last element leads to `next`, so build back to front.
     * Reversed: the first element is matched last. */
    for (i = 0; i < count && !b->error; i++)
        next = build(b, kids[b->reverse ? i : count - 1 - i], next);
    free(kids);
    return next;
}

static uint32_t build_alt(struct nfa_builder *b, const struct spu_rx_node *n, uint32_t next)
{
    uint32_t first = SPU_NONE, prev = SPU_NONE;
    for (const struct spu_rx_node *k = n->kids; k && !b->error; k = k->next) {
        uint32_t entry = build(b, k, next);
        if (b->error)
            break;
        if (!k->next) {
            if (prev == SPU_NONE)
                first = entry;
            else
                b->nfa->states[prev].out2 = entry;
            break;
        }
        uint32_t sp = add_state(b, SPU_NFA_SPLIT, entry, SPU_NONE, 0);
        if (sp == SPU_NONE)
            break;
        if (prev == SPU_NONE)
            first = sp;
        else
            b->nfa->states[prev].out2 = sp;
        prev = sp;
    }
    return b->error ? SPU_NONE : first;
}

static uint32_t build_repeat(struct nfa_builder *b, const struct spu_rx_node *n, uint32_t next)
{
    const struct spu_rx_node *kid = n->kids;
    uint32_t cur = next, copies = n->min;
    if (n->max == SPU_RX_INF) {
        /* The last mandatory copy (or, for min 0, the split) loops back. */
        uint32_t loop = add_state(b, SPU_NFA_SPLIT, SPU_NONE, next, 0);
        uint32_t body = build(b, kid, loop);
        if (b->error)
            return SPU_NONE;
        b->nfa->states[loop].out = body;
        cur = n->min ? body : loop;
        if (n->min)
            copies--;
    } else {
        for (uint32_t i = n->min; i < n->max && !b->error; i++) {
            uint32_t body = build(b, kid, cur);
            cur = add_state(b, SPU_NFA_SPLIT, body, next, 0);
        }
    }
    for (uint32_t i = 0; i < copies && !b->error; i++)
        cur = build(b, kid, cur);
    return b->error ? SPU_NONE : cur;
}

static uint32_t build(struct nfa_builder *b, const struct spu_rx_node *n, uint32_t next)
{
    if (b->error)
        return SPU_NONE;
    switch (n->kind) {
    case SPU_RX_EMPTY:
        return next;
    case SPU_RX_SET: {
        uint32_t set = intern_set(b, &n->set);
        return add_state(b, SPU_NFA_SET, next, SPU_NONE, set);
    }
    case SPU_RX_CAT:
        return build_cat(b, n, next);
    case SPU_RX_ALT:
        return build_alt(b, n, next);
    case SPU_RX_REPEAT:
        return build_repeat(b, n, next);
    default:
        b->error = SPU_EINVAL;
        return SPU_NONE;
    }
}

struct spu_nfa *spu_nfa_build(const struct spu_regex *const *pats, uint32_t npats,
                              unsigned flags, uint32_t max_states, struct spu_error *err)
{
    if (!pats || npats == 0 || npats >= SPU_NONE ||
        (flags & ~(unsigned)(SPU_NFA_BUILD_SEARCH | SPU_NFA_BUILD_REVERSE))) {
        spu_error_set(err, SPU_EINVAL, "spu_nfa_build: bad arguments");
        return NULL;
    }
    struct spu_nfa *nfa = calloc(1, sizeof(*nfa));
    if (!nfa) {
        spu_error_set(err, SPU_ENOMEM, "out of memory building an NFA");
        return NULL;
    }
    struct nfa_builder b = {
        .nfa = nfa,
        .max_states = max_states ? max_states : SPU_NFA_MAX_STATES,
        .reverse = (flags & SPU_NFA_BUILD_REVERSE) != 0,
    };
    nfa->nlabels = npats;
    /* Starts chained by splits, pattern 0 first (the order is irrelevant to
     * the language; it keeps the construction deterministic). */
    uint32_t start = SPU_NONE, prev = SPU_NONE;
    for (uint32_t i = 0; i < npats && !b.error; i++) {
        uint32_t acc = add_state(&b, SPU_NFA_ACCEPT, SPU_NONE, SPU_NONE, i);
        uint32_t entry = build(&b, spu_regex_root(pats[i]), acc);
        if (b.error)
            break;
        if (i + 1 == npats) {
            if (prev == SPU_NONE)
                start = entry;
            else
                nfa->states[prev].out2 = entry;
            break;
        }
        uint32_t sp = add_state(&b, SPU_NFA_SPLIT, entry, SPU_NONE, 0);
        if (prev == SPU_NONE)
            start = sp;
        else if (sp != SPU_NONE)
            nfa->states[prev].out2 = sp;
        prev = sp;
    }
    if (!b.error && (flags & SPU_NFA_BUILD_SEARCH)) {
        struct spu_byteset all;
        memset(&all, 0xff, sizeof(all));
        uint32_t set = intern_set(&b, &all);
        uint32_t loop = add_state(&b, SPU_NFA_SPLIT, start, SPU_NONE, 0);
        uint32_t any = add_state(&b, SPU_NFA_SET, loop, SPU_NONE, set);
        if (!b.error)
            nfa->states[loop].out2 = any;
        start = loop;
    }
    free(b.set_hash);
    if (b.error) {
        if (b.error == SPU_ELIMIT)
            spu_error_set(err, SPU_ELIMIT,
                          "pattern too complex: its automaton needs more than %u NFA states "
                          "(counted repetitions multiply their contents)",
                          b.max_states);
        else
            spu_error_set(err, b.error, "%s building an NFA", spu_strerror(b.error));
        spu_nfa_free(nfa);
        return NULL;
    }
    nfa->start = start;
    spu_error_clear(err);
    return nfa;
}

void spu_nfa_free(struct spu_nfa *nfa)
{
    if (!nfa)
        return;
    free(nfa->states);
    free(nfa->sets);
    free(nfa);
}

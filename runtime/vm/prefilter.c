/* prefilter.c - Hyperscan databases of prefilter literals (see prefilter.h). */
#include "prefilter.h"

#include "grow.h"

#include <stdlib.h>
#include <string.h>

struct spu_prefilter {
    struct spu_pf_group *groups;
    uint32_t ngroups;
    uint32_t *order; /* PATTERN indexes, grouped */
    uint32_t norder;
    uint32_t *ev_first; /* by event: first group */
    uint32_t *ev_n;
    uint32_t nevents;
    uint32_t *rule_groups;
    uint32_t nrules;
    int from_cache;
};

/* qsort has no context argument: sort (key, index) pairs instead. */
struct pkey {
    uint32_t event, key_prog, rule, index;
};

static int pkey_cmp(const void *a, const void *b)
{
    const struct pkey *x = a, *y = b;
    if (x->event != y->event)
        return x->event < y->event ? -1 : 1;
    if (x->key_prog != y->key_prog)
        return x->key_prog < y->key_prog ? -1 : 1;
    if (x->rule != y->rule)
        return x->rule < y->rule ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

void spu_prefilter_free(struct spu_prefilter *pf)
{
    if (!pf)
        return;
    for (uint32_t i = 0; i < pf->ngroups; i++)
        hs_free_database(pf->groups[i].db);
    free(pf->groups);
    free(pf->order);
    free(pf->ev_first);
    free(pf->ev_n);
    free(pf->rule_groups);
    free(pf);
}

static int compile_group(const struct spu_bview *v, const struct spu_prefilter *pf,
                         struct spu_pf_group *g, struct spu_error *err)
{
    int rc = SPU_ENOMEM;
    const char **expr = calloc(g->n, sizeof(*expr));
    unsigned *flags = calloc(g->n, sizeof(*flags));
    unsigned *ids = calloc(g->n, sizeof(*ids));
    size_t *lens = calloc(g->n, sizeof(*lens));
    uint64_t off = spu_bview_off(v, SPU_SEC_PATTERN, pf->order[g->first], 0);
    if (!expr || !flags || !ids || !lens) {
        spu_error_at(err, rc, "pattern", off, "out of memory compiling literals");
        goto out;
    }
    for (uint32_t i = 0; i < g->n; i++) {
        uint32_t pi = pf->order[g->first + i];
        const struct spu_bpattern *p = &v->patterns[pi];
        expr[i] = spu_bview_str(v, p->literal);
        lens[i] = p->literal.len;
        ids[i] = pi;
        flags[i] = HS_FLAG_SINGLEMATCH | ((p->flags & SPU_IEF_NOCASE) ? HS_FLAG_CASELESS : 0);
    }
    hs_compile_error_t *cerr = NULL;
    if (hs_compile_lit_multi(expr, flags, ids, lens, g->n, HS_MODE_BLOCK, NULL, &g->db, &cerr) !=
        HS_SUCCESS) {
        rc = SPU_EFORMAT;
        int ex = cerr ? cerr->expression : -1;
        uint64_t at = ex >= 0 && (uint32_t)ex < g->n
                          ? spu_bview_off(v, SPU_SEC_PATTERN, pf->order[g->first + ex], 0)
                          : off;
        spu_error_at(err, rc, "pattern", at, "literal prefilter: %s",
                     cerr && cerr->message ? cerr->message : "compile failed");
        hs_free_compile_error(cerr);
        g->db = NULL;
        goto out;
    }
    rc = SPU_OK;
out:
    free(expr);
    free(flags);
    free(ids);
    free(lens);
    return rc;
}

/* Take the databases from an HSDB blob; 0 when it does not fit exactly. */
static int take_cache(struct spu_prefilter *pf, const uint8_t *c, size_t len)
{
    size_t pos = 0;
    uint32_t i;
    for (i = 0; i < pf->ngroups; i++) {
        struct spu_bhsdb e;
        if (len - pos < sizeof(e))
            break;
        memcpy(&e, c + pos, sizeof(e));
        pos += sizeof(e);
        if (e.event != pf->groups[i].event || e.key_prog != pf->groups[i].key_prog || e.pad != 0 ||
            e.size > len - pos)
            break;
        if (hs_deserialize_database((const char *)c + pos, e.size, &pf->groups[i].db) !=
            HS_SUCCESS) {
            pf->groups[i].db = NULL;
            break;
        }
        pos += ((size_t)e.size + 7) & ~(size_t)7;
        if (pos > len)
            break;
    }
    if (i == pf->ngroups && pos == len)
        return 1;
    for (uint32_t k = 0; k <= i && k < pf->ngroups; k++) {
        hs_free_database(pf->groups[k].db);
        pf->groups[k].db = NULL;
    }
    return 0;
}

static int group_patterns(const struct spu_bview *v, struct spu_prefilter *pf,
                          struct spu_error *err)
{
    struct pkey *keys = calloc(v->npatterns ? v->npatterns : 1, sizeof(*keys));
    if (!keys)
        return spu_error_set(err, SPU_ENOMEM, "out of memory building the prefilter");
    for (uint32_t i = 0; i < v->npatterns; i++) {
        const struct spu_bpattern *p = &v->patterns[i];
        uint64_t off = spu_bview_off(v, SPU_SEC_PATTERN, i, 0);
        if (p->event >= v->nevents || p->rule >= v->nrules || p->literal.len == 0 ||
            !spu_bview_str(v, p->literal)) {
            free(keys);
            return spu_error_at(err, SPU_EFORMAT, "pattern", off,
                                "pattern %u: bad event, rule or literal", i);
        }
        keys[i] = (struct pkey){p->event, p->key_prog, p->rule, i};
    }
    qsort(keys, v->npatterns, sizeof(*keys), pkey_cmp);
    for (uint32_t i = 0; i < v->npatterns; i++) {
        pf->order[i] = keys[i].index;
        int new_group = i == 0 || keys[i].event != keys[i - 1].event ||
                        keys[i].key_prog != keys[i - 1].key_prog;
        if (new_group) {
            struct spu_pf_group *g = &pf->groups[pf->ngroups++];
            g->event = keys[i].event;
            g->key_prog = keys[i].key_prog;
            g->first = i;
            if (pf->ev_n[g->event]++ == 0)
                pf->ev_first[g->event] = pf->ngroups - 1;
        }
        pf->groups[pf->ngroups - 1].n++;
        if (new_group || keys[i].rule != keys[i - 1].rule)
            pf->rule_groups[keys[i].rule]++;
    }
    free(keys);
    return SPU_OK;
}

int spu_prefilter_build(const struct spu_bview *v, const uint8_t *cache, size_t cache_len,
                        struct spu_prefilter **out, struct spu_error *err)
{
    *out = NULL;
    struct spu_prefilter *pf = calloc(1, sizeof(*pf));
    uint32_t np = v->npatterns ? v->npatterns : 1;
    if (pf) {
        pf->nevents = v->nevents;
        pf->nrules = v->nrules;
        pf->norder = v->npatterns;
        pf->groups = calloc(np, sizeof(*pf->groups));
        pf->order = calloc(np, sizeof(*pf->order));
        pf->ev_first = calloc(v->nevents ? v->nevents : 1, sizeof(uint32_t));
        pf->ev_n = calloc(v->nevents ? v->nevents : 1, sizeof(uint32_t));
        pf->rule_groups = calloc(v->nrules ? v->nrules : 1, sizeof(uint32_t));
    }
    if (!pf || !pf->groups || !pf->order || !pf->ev_first || !pf->ev_n || !pf->rule_groups) {
        spu_prefilter_free(pf);
        return spu_error_set(err, SPU_ENOMEM, "out of memory building the prefilter");
    }
    int rc = group_patterns(v, pf, err);
    if (rc == SPU_OK && pf->ngroups && cache && take_cache(pf, cache, cache_len))
        pf->from_cache = 1;
    for (uint32_t i = 0; rc == SPU_OK && !pf->from_cache && i < pf->ngroups; i++)
        rc = compile_group(v, pf, &pf->groups[i], err);
    if (rc != SPU_OK) {
        spu_prefilter_free(pf);
        return rc;
    }
    *out = pf;
    return SPU_OK;
}

int spu_prefilter_serialize(const struct spu_prefilter *pf, uint8_t **out, size_t *len,
                            struct spu_error *err)
{
    size_t total = 0, cap = 0;
    uint8_t *buf = NULL;
    *out = NULL;
    *len = 0;
    for (uint32_t i = 0; i < pf->ngroups; i++) {
        char *bytes = NULL;
        size_t n = 0;
        if (hs_serialize_database(pf->groups[i].db, &bytes, &n) != HS_SUCCESS || n > UINT32_MAX) {
            free(bytes);
            free(buf);
            return spu_error_set(err, SPU_ENOMEM, "cannot serialize a prefilter database");
        }
        size_t need = total + sizeof(struct spu_bhsdb) + ((n + 7) & ~(size_t)7);
        if (need > cap) {
            size_t ncap = spu_grow_cap(cap, need, 4096, SIZE_MAX);
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                free(bytes);
                free(buf);
                return spu_error_set(err, SPU_ENOMEM, "out of memory serializing databases");
            }
            buf = nb;
            cap = ncap;
        }
        struct spu_bhsdb e = {pf->groups[i].event, pf->groups[i].key_prog, (uint32_t)n, 0};
        memcpy(buf + total, &e, sizeof(e));
        memcpy(buf + total + sizeof(e), bytes, n);
        memset(buf + total + sizeof(e) + n, 0, need - (total + sizeof(e) + n));
        total = need;
        free(bytes);
    }
    *out = buf;
    *len = total;
    return SPU_OK;
}

int spu_prefilter_from_cache(const struct spu_prefilter *pf)
{
    return pf->from_cache;
}

const struct spu_pf_group *spu_prefilter_groups(const struct spu_prefilter *pf, uint32_t ev,
                                                uint32_t *n)
{
    if (ev >= pf->nevents || pf->ev_n[ev] == 0) {
        *n = 0;
        return NULL;
    }
    *n = pf->ev_n[ev];
    return &pf->groups[pf->ev_first[ev]];
}

const uint32_t *spu_prefilter_order(const struct spu_prefilter *pf)
{
    return pf->order;
}

uint32_t spu_prefilter_rule_groups(const struct spu_prefilter *pf, uint32_t r)
{
    return r < pf->nrules ? pf->rule_groups[r] : 0;
}

int spu_prefilter_scratch(const struct spu_prefilter *pf, hs_scratch_t **scratch)
{
    for (uint32_t i = 0; i < pf->ngroups; i++)
        if (hs_alloc_scratch(pf->groups[i].db, scratch) != HS_SUCCESS)
            return SPU_ENOMEM;
    return SPU_OK;
}

/* list-str.c - string sets: a byte pool, entries, and an open-addressing
 * hash table (FNV-1a over the bytes, ASCII-folded for NOCASE sets; load
 * factor at most 1/2, linear probing). */
#include "grow.h"
#include "lists-int.h"
#include "stdlib-int.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash_bytes(const uint8_t *p, size_t n, int fold)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= fold ? spu_lc(p[i]) : p[i];
        h *= 0x100000001b3ull;
    }
    return h ^ (h >> 29);
}

static int rehash(struct spu_listset *s, size_t nslots)
{
    uint32_t *t = calloc(nslots, sizeof(*t));
    if (!t)
        return SPU_ENOMEM;
    for (size_t e = 0; e < s->nents; e++) {
        size_t k = (size_t)s->ents[e].hash & (nslots - 1);
        while (t[k])
            k = (k + 1) & (nslots - 1);
        t[k] = (uint32_t)(e + 1);
    }
    free(s->slots);
    s->slots = t;
    s->nslots = nslots;
    return SPU_OK;
}

/* Entry index + 1 of p[0..n), or 0. */
static uint32_t lookup(const struct spu_listset *s, const uint8_t *p, size_t n, uint64_t h)
{
    int fold = (s->flags & SPU_LISTF_NOCASE) != 0;
    if (!s->nslots)
        return 0;
    for (size_t k = (size_t)h & (s->nslots - 1);; k = (k + 1) & (s->nslots - 1)) {
        uint32_t e = s->slots[k];
        if (!e)
            return 0;
        const struct strent *x = &s->ents[e - 1];
        if (x->hash == h && x->len == n &&
            (fold ? spu_memcaseeq(s->pool + x->off, p, n) : memcmp(s->pool + x->off, p, n) == 0))
            return e;
    }
}

int spu_lstr_add(struct spu_listset *s, const uint8_t *p, size_t n)
{
    int fold = (s->flags & SPU_LISTF_NOCASE) != 0;
    uint64_t h = hash_bytes(p, n, fold);
    if (lookup(s, p, n, h))
        return SPU_OK;
    if (n > UINT32_MAX - s->pool_len || s->nents >= UINT32_MAX - 1)
        return SPU_ELIMIT;
    if ((s->nents + 1) * 2 > s->nslots && rehash(s, s->nslots ? s->nslots * 2 : 16))
        return SPU_ENOMEM;
    if (s->pool_len + n > s->pool_cap) {
        size_t cap = spu_grow_cap(s->pool_cap, s->pool_len + n, 256, UINT32_MAX);
        uint8_t *np = realloc(s->pool, cap);
        if (!np)
            return SPU_ENOMEM;
        s->pool = np;
        s->pool_cap = cap;
    }
    if (s->nents == s->ents_cap) {
        size_t cap =
            spu_grow_cap(s->ents_cap, (size_t)s->nents + 1, 16, SIZE_MAX / sizeof(*s->ents));
        struct strent *ne = realloc(s->ents, cap * sizeof(*ne));
        if (!ne)
            return SPU_ENOMEM;
        s->ents = ne;
        s->ents_cap = cap;
    }
    struct strent *x = &s->ents[s->nents];
    x->hash = h;
    x->off = (uint32_t)s->pool_len;
    x->len = (uint32_t)n;
    for (size_t i = 0; i < n; i++)
        s->pool[s->pool_len + i] = fold ? spu_lc(p[i]) : p[i];
    s->pool_len += n;
    s->nents++;
    size_t k = (size_t)h & (s->nslots - 1);
    while (s->slots[k])
        k = (k + 1) & (s->nslots - 1);
    s->slots[k] = (uint32_t)s->nents;
    return SPU_OK;
}

int spu_lstr_has(const struct spu_listset *s, const uint8_t *p, size_t n)
{
    return lookup(s, p, n, hash_bytes(p, n, (s->flags & SPU_LISTF_NOCASE) != 0)) != 0;
}

int spu_lstr_remove(struct spu_listset *s, const uint8_t *p, size_t n)
{
    int fold = (s->flags & SPU_LISTF_NOCASE) != 0;
    uint32_t e = lookup(s, p, n, hash_bytes(p, n, fold));
    if (!e)
        return SPU_ENOTFOUND;
    /* the last entry takes its place (its bytes stay in the pool until the
     * set is freed); the table is built again */
    s->ents[e - 1] = s->ents[s->nents - 1];
    s->nents--;
    return rehash(s, s->nslots);
}

void spu_lstr_free(struct spu_listset *s)
{
    free(s->pool);
    free(s->ents);
    free(s->slots);
}

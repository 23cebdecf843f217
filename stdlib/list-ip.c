/* list-ip.c - IP sets: every address or block is a range of the 128-bit
 * space; seal() sorts the ranges and merges those that overlap or touch,
 * so a lookup is one bisection. */
#include "grow.h"
#include "lists-int.h"

#include <stdlib.h>
#include <string.h>

static struct u128 load(const uint8_t ip[16])
{
    struct u128 v = {0, 0};
    for (int i = 0; i < 8; i++) {
        v.hi = (v.hi << 8) | ip[i];
        v.lo = (v.lo << 8) | ip[8 + i];
    }
    return v;
}

static int cmp(struct u128 a, struct u128 b)
{
    if (a.hi != b.hi)
        return a.hi < b.hi ? -1 : 1;
    return (a.lo > b.lo) - (a.lo < b.lo);
}

/* First and last address of the block of `bits` leading bits around ip. */
static void block(const uint8_t ip[16], uint32_t bits, struct u128 *lo, struct u128 *hi)
{
    struct u128 v = load(ip);
    uint64_t mhi = bits >= 64 ? ~0ull : bits == 0 ? 0 : ~0ull << (64 - bits);
    uint64_t mlo = bits <= 64 ? 0 : bits >= 128 ? ~0ull : ~0ull << (128 - bits);
    lo->hi = v.hi & mhi;
    lo->lo = v.lo & mlo;
    hi->hi = v.hi | ~mhi;
    hi->lo = v.lo | ~mlo;
}

int spu_lip_add(struct spu_listset *s, const uint8_t ip[16], uint32_t bits)
{
    if (bits > 128)
        return SPU_EINVAL;
    if (s->nranges == s->ranges_cap) {
        size_t cap = spu_grow_cap(s->ranges_cap, s->nranges + 1, 16, SIZE_MAX / sizeof(*s->ranges));
        struct iprange *nr = cap ? realloc(s->ranges, cap * sizeof(*nr)) : NULL;
        if (!nr)
            return SPU_ENOMEM;
        s->ranges = nr;
        s->ranges_cap = cap;
    }
    struct iprange *r = &s->ranges[s->nranges++];
    block(ip, bits, &r->lo, &r->hi);
    s->nblocks++;
    return SPU_OK;
}

int spu_lip_remove(struct spu_listset *s, const uint8_t ip[16], uint32_t bits)
{
    if (bits > 128)
        return SPU_EINVAL;
    struct iprange b;
    block(ip, bits, &b.lo, &b.hi);
    size_t k = 0, before = s->nranges;
    for (size_t i = 0; i < s->nranges; i++)
        if (cmp(s->ranges[i].lo, b.lo) || cmp(s->ranges[i].hi, b.hi))
            s->ranges[k++] = s->ranges[i];
    s->nranges = k;
    s->nblocks -= before - k;
    return k == before ? SPU_ENOTFOUND : SPU_OK;
}

static int cmp_range(const void *a, const void *b)
{
    const struct iprange *x = a, *y = b;
    int d = cmp(x->lo, y->lo);
    return d ? d : cmp(x->hi, y->hi);
}

/* a + 1 == b, or a >= b: b starts inside or right after a */
static int touches(struct u128 a_hi, struct u128 b_lo)
{
    if (cmp(b_lo, a_hi) <= 0)
        return 1;
    struct u128 next = a_hi;
    next.lo++;
    if (next.lo == 0)
        next.hi++;
    return cmp(next, b_lo) == 0;
}

int spu_lip_seal(struct spu_listset *s)
{
    if (s->nranges < 2)
        return SPU_OK;
    qsort(s->ranges, s->nranges, sizeof(s->ranges[0]), cmp_range);
    size_t w = 0;
    for (size_t i = 1; i < s->nranges; i++) {
        struct iprange *cur = &s->ranges[w];
        if (touches(cur->hi, s->ranges[i].lo)) {
            if (cmp(s->ranges[i].hi, cur->hi) > 0)
                cur->hi = s->ranges[i].hi;
        } else {
            s->ranges[++w] = s->ranges[i];
        }
    }
    s->nranges = w + 1;
    return SPU_OK;
}

int spu_lip_has(const struct spu_listset *s, const uint8_t ip[16], uint32_t bits)
{
    struct u128 lo, hi;
    block(ip, bits > 128 ? 128 : bits, &lo, &hi);
    /* the last range starting at or before lo */
    size_t a = 0, b = s->nranges;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (cmp(s->ranges[m].lo, lo) <= 0)
            a = m + 1;
        else
            b = m;
    }
    return a > 0 && cmp(hi, s->ranges[a - 1].hi) <= 0;
}

void spu_lip_free(struct spu_listset *s)
{
    free(s->ranges);
}

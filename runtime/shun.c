/* shun.c - the shared table of shunned addresses (see shun.h). */
#include "shun.h"

#include "err.h"
#include "grow.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct shun_slot {
    uint8_t ip[16];
    int64_t until_ms; /* 0: empty */
};

struct shun_table {
    pthread_rwlock_t lock;
    size_t cap; /* power of two */
    struct shun_slot *slot;
    _Atomic uint64_t live; /* slots filled (expired ones included) */
    _Atomic uint64_t added, refused, removed, hits;
};

struct shun_table *shun_new(size_t cap)
{
    if (!cap)
        cap = 65536;
    size_t n = spu_grow_cap(0, cap, 16, SIZE_MAX / 2 / sizeof(struct shun_slot));
    if (!n)
        return NULL;
    struct shun_table *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->slot = calloc(n, sizeof(*t->slot));
    if (!t->slot) {
        free(t);
        return NULL;
    }
    t->cap = n;
    pthread_rwlock_init(&t->lock, NULL);
    return t;
}

void shun_free(struct shun_table *t)
{
    if (!t)
        return;
    pthread_rwlock_destroy(&t->lock);
    free(t->slot);
    free(t);
}

static size_t ip_hash(const uint8_t ip[16])
{
    uint64_t a, b;
    memcpy(&a, ip, 8);
    memcpy(&b, ip + 8, 8);
    uint64_t h = (a ^ (b * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL;
    return (size_t)(h ^ (h >> 31));
}

int shun_add(struct shun_table *t, const uint8_t ip[16], int64_t now_ms, int64_t until_ms)
{
    size_t mask = t->cap - 1, i = ip_hash(ip) & mask;
    int rc = SPU_ELIMIT;
    pthread_rwlock_wrlock(&t->lock);
    struct shun_slot *reuse = NULL;
    for (size_t k = 0; k < t->cap; k++, i = (i + 1) & mask) {
        struct shun_slot *s = &t->slot[i];
        if (s->until_ms && memcmp(s->ip, ip, 16) == 0) {
            if (until_ms > s->until_ms)
                s->until_ms = until_ms;
            rc = SPU_OK;
            break;
        }
        if (!s->until_ms) {
            if (!reuse) {
                reuse = s;
                atomic_fetch_add_explicit(&t->live, 1, memory_order_relaxed);
            }
            break;
        }
        /* an expired slot stays non-empty (emptying it would cut probe
         * chains) and is reused for another address */
        if (!reuse && s->until_ms <= now_ms)
            reuse = s;
    }
    if (rc != SPU_OK && reuse) {
        memcpy(reuse->ip, ip, 16);
        reuse->until_ms = until_ms;
        rc = SPU_OK;
    }
    pthread_rwlock_unlock(&t->lock);
    atomic_fetch_add_explicit(rc == SPU_OK ? &t->added : &t->refused, 1, memory_order_relaxed);
    return rc;
}

bool shun_check(struct shun_table *t, const uint8_t ip[16], int64_t now_ms)
{
    if (!atomic_load_explicit(&t->live, memory_order_relaxed))
        return false;
    size_t mask = t->cap - 1, i = ip_hash(ip) & mask;
    bool hit = false;
    pthread_rwlock_rdlock(&t->lock);
    for (size_t k = 0; k < t->cap; k++, i = (i + 1) & mask) {
        const struct shun_slot *s = &t->slot[i];
        if (!s->until_ms)
            break;
        if (memcmp(s->ip, ip, 16) == 0) {
            hit = now_ms < s->until_ms;
            break;
        }
    }
    pthread_rwlock_unlock(&t->lock);
    if (hit)
        atomic_fetch_add_explicit(&t->hits, 1, memory_order_relaxed);
    return hit;
}

int shun_remove(struct shun_table *t, const uint8_t ip[16], int64_t now_ms)
{
    size_t mask = t->cap - 1, i = ip_hash(ip) & mask;
    int rc = SPU_ENOTFOUND;
    pthread_rwlock_wrlock(&t->lock);
    for (size_t k = 0; k < t->cap; k++, i = (i + 1) & mask) {
        struct shun_slot *s = &t->slot[i];
        if (!s->until_ms)
            break;
        if (memcmp(s->ip, ip, 16) == 0) {
            if (now_ms < s->until_ms) {
                s->until_ms = 1; /* expired, still non-empty */
                rc = SPU_OK;
            }
            break;
        }
    }
    pthread_rwlock_unlock(&t->lock);
    if (rc == SPU_OK)
        atomic_fetch_add_explicit(&t->removed, 1, memory_order_relaxed);
    return rc;
}

size_t shun_foreach(struct shun_table *t, int64_t now_ms,
                    void (*fn)(void *ctx, const uint8_t ip[16], int64_t until_ms), void *ctx)
{
    size_t n = 0;
    if (!atomic_load_explicit(&t->live, memory_order_relaxed))
        return 0;
    pthread_rwlock_rdlock(&t->lock);
    for (size_t i = 0; i < t->cap; i++)
        if (now_ms < t->slot[i].until_ms) {
            fn(ctx, t->slot[i].ip, t->slot[i].until_ms);
            n++;
        }
    pthread_rwlock_unlock(&t->lock);
    return n;
}

void shun_counts(struct shun_table *t, struct shun_counts *out)
{
    out->added = atomic_load_explicit(&t->added, memory_order_relaxed);
    out->refused = atomic_load_explicit(&t->refused, memory_order_relaxed);
    out->removed = atomic_load_explicit(&t->removed, memory_order_relaxed);
    out->hits = atomic_load_explicit(&t->hits, memory_order_relaxed);
    out->live = atomic_load_explicit(&t->live, memory_order_relaxed);
}

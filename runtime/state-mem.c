/* state-mem.c - the in-memory state backend (state.h): 16 shards, each a
 * mutex, hash chains and an LRU list. A shard keeps at most max_entries/16
 * entries; inserting into a full shard first drops expired entries from
 * the LRU tail, then evicts the least recently used entry (counted). An
 * expired entry is treated as absent when met and freed. */
#include "state.h"

#include "err.h"
#include "grow.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define NSHARDS 16u
#define DAY_MS ((int64_t)86400000)

struct ent {
    struct ent *hnext;
    struct ent *prev, *next; /* LRU: head = most recent */
    uint64_t h;
    int64_t expire;
    int64_t t;        /* bucket: last refill; counter: start of the current window */
    double tokens;    /* bucket */
    int64_t cur, prv; /* counter: this and the previous window; score: cur */
    uint16_t klen;
    char key[STATE_KEY_MAX + 2];
};

struct shard {
    pthread_mutex_t mu;
    struct ent **tab;
    size_t nb, n, cap;
    struct ent *head, *tail;
};

struct mem {
    struct shard sh[NSHARDS];
    _Atomic uint64_t evicted, expired, ops;
};

static uint64_t hash(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a, then a final mix */
    for (size_t i = 0; i < n; i++) {
        h ^= (uint8_t)p[i];
        h *= 1099511628211ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static void lru_unlink(struct shard *s, struct ent *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        s->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        s->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_front(struct shard *s, struct ent *e)
{
    e->next = s->head;
    e->prev = NULL;
    if (s->head)
        s->head->prev = e;
    s->head = e;
    if (!s->tail)
        s->tail = e;
}

static void drop(struct shard *s, struct ent *e)
{
    struct ent **pp = &s->tab[e->h % s->nb];
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    lru_unlink(s, e);
    s->n--;
    free(e);
}

static struct ent *find(struct shard *s, uint64_t h, const char *k, size_t kl)
{
    for (struct ent *e = s->tab[h % s->nb]; e; e = e->hnext)
        if (e->h == h && e->klen == kl && memcmp(e->key, k, kl) == 0)
            return e;
    return NULL;
}

/* The entry for k, or NULL when absent (or expired: freed). */
static struct ent *lookup(struct mem *m, struct shard *s, uint64_t h, const char *k, size_t kl,
                          int64_t now)
{
    struct ent *e = find(s, h, k, kl);
    if (e && e->expire <= now) {
        drop(s, e);
        atomic_fetch_add_explicit(&m->expired, 1, memory_order_relaxed);
        return NULL;
    }
    if (e) {
        lru_unlink(s, e);
        lru_front(s, e);
    }
    return e;
}

static struct ent *insert(struct mem *m, struct shard *s, uint64_t h, const char *k, size_t kl,
                          int64_t now)
{
    for (int i = 0; i < 4 && s->tail && s->tail->expire <= now; i++) {
        drop(s, s->tail);
        atomic_fetch_add_explicit(&m->expired, 1, memory_order_relaxed);
    }
    if (s->n >= s->cap && s->tail) {
        drop(s, s->tail);
        atomic_fetch_add_explicit(&m->evicted, 1, memory_order_relaxed);
    }
    struct ent *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->h = h;
    e->klen = (uint16_t)kl;
    memcpy(e->key, k, kl);
    e->hnext = s->tab[h % s->nb];
    s->tab[h % s->nb] = e;
    lru_front(s, e);
    s->n++;
    return e;
}

/* kind byte, name, 0x1f, key */
static size_t make_key(char *out, enum state_kind kind, const char *name, size_t nlen,
                       const char *key, size_t klen)
{
    if (nlen + klen > STATE_KEY_MAX)
        return 0;
    /* lists share their entries whatever the operation */
    char kb = (char)('a' + (kind == STATE_LIST_HAS || kind == STATE_LIST_DEL ? STATE_LIST_ADD
                            : kind == STATE_SCORE_GET                        ? STATE_SCORE_ADD
                                                                             : kind));
    out[0] = kb;
    if (nlen)
        memcpy(out + 1, name, nlen);
    out[1 + nlen] = 0x1f;
    if (klen)
        memcpy(out + 2 + nlen, key, klen);
    return nlen + klen + 2;
}

static int64_t ttl_or_day(int64_t t)
{
    return t > 0 ? t : DAY_MS;
}

static int do_op(struct mem *m, struct shard *s, const struct state_req *r, const char *k,
                 size_t kl, uint64_t h, int64_t *v)
{
    int64_t now = r->now_ms;
    struct ent *e = lookup(m, s, h, k, kl, now);
    switch (r->kind) {
    case STATE_BUCKET: {
        if (r->a <= 0 || r->b <= 0 || r->c <= 0 || r->n < 0)
            return SPU_EINVAL;
        double rate = (double)r->a / (double)r->c; /* tokens per ms */
        if (!e) {
            if (!(e = insert(m, s, h, k, kl, now)))
                return SPU_ENOMEM;
            e->tokens = (double)r->b;
            e->t = now;
        }
        if (now > e->t) {
            e->tokens += (double)(now - e->t) * rate;
            if (e->tokens > (double)r->b)
                e->tokens = (double)r->b;
            e->t = now;
        }
        *v = e->tokens < (double)r->n;
        if (!*v)
            e->tokens -= (double)r->n;
        /* once full again it is the same as a new bucket */
        e->expire = e->t + (int64_t)(((double)r->b - e->tokens) / rate) + 1;
        return SPU_OK;
    }
    case STATE_COUNT: {
        int64_t w = r->a;
        if (w <= 0 || r->n < 0)
            return SPU_EINVAL;
        int64_t start = now - now % w;
        if (!e) {
            if (!(e = insert(m, s, h, k, kl, now)))
                return SPU_ENOMEM;
            e->t = start;
        }
        if (start >= e->t + 2 * w) {
            e->prv = e->cur = 0;
            e->t = start;
        } else if (start >= e->t + w) {
            e->prv = e->cur;
            e->cur = 0;
            e->t = start;
        }
        e->cur += r->n;
        int64_t into = now > e->t ? now - e->t : 0;
        /* the previous window weighted by the part of it still inside the
         * sliding window */
        *v = e->cur + (e->prv * (w - (into < w ? into : w))) / w;
        e->expire = e->t + 2 * w;
        return SPU_OK;
    }
    case STATE_LIST_ADD:
        *v = e == NULL;
        if (!e && !(e = insert(m, s, h, k, kl, now)))
            return SPU_ENOMEM;
        e->expire = now + ttl_or_day(r->a);
        return SPU_OK;
    case STATE_LIST_HAS:
        *v = e != NULL;
        return SPU_OK;
    case STATE_LIST_DEL:
        *v = e != NULL;
        if (e)
            drop(s, e);
        return SPU_OK;
    case STATE_SCORE_ADD:
        if (!e && !(e = insert(m, s, h, k, kl, now)))
            return SPU_ENOMEM;
        e->cur += r->n;
        e->expire = now + ttl_or_day(r->a);
        *v = e->cur;
        return SPU_OK;
    case STATE_SCORE_GET:
        *v = e ? e->cur : 0;
        return SPU_OK;
    case STATE__KINDS:
        break;
    }
    return SPU_EINVAL;
}

static int mem_op(void *priv, const struct state_req *r, int64_t *v)
{
    struct mem *m = priv;
    char k[STATE_KEY_MAX + 2];
    size_t kl = make_key(k, r->kind, r->name, r->nlen, r->key, r->klen);
    if (!kl)
        return SPU_ELIMIT;
    uint64_t h = hash(k, kl);
    struct shard *s = &m->sh[(h >> 56) % NSHARDS];
    atomic_fetch_add_explicit(&m->ops, 1, memory_order_relaxed);
    pthread_mutex_lock(&s->mu);
    int rc = do_op(m, s, r, k, kl, h, v);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int state_mem_list_set(void *priv, const char *name, size_t nlen, const char *key, size_t klen,
                       int64_t expire_ms)
{
    struct mem *m = priv;
    char k[STATE_KEY_MAX + 2];
    size_t kl = make_key(k, STATE_LIST_ADD, name, nlen, key, klen);
    if (!kl)
        return SPU_ELIMIT;
    uint64_t h = hash(k, kl);
    struct shard *s = &m->sh[(h >> 56) % NSHARDS];
    int rc = SPU_OK;
    pthread_mutex_lock(&s->mu);
    struct ent *e = find(s, h, k, kl);
    if (!e)
        e = insert(m, s, h, k, kl, INT64_MIN);
    if (e)
        e->expire = expire_ms;
    else
        rc = SPU_ENOMEM;
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int state_mem_lists(void *priv, state_list_fn fn, void *ctx)
{
    struct mem *m = priv;
    char kind = (char)('a' + STATE_LIST_ADD);
    for (unsigned i = 0; i < NSHARDS; i++) {
        struct shard *s = &m->sh[i];
        /* copy under the lock, call fn without it (it may talk to Redis) */
        pthread_mutex_lock(&s->mu);
        size_t n = 0;
        for (struct ent *e = s->head; e; e = e->next)
            n += e->key[0] == kind;
        struct ent *copy = n ? malloc(n * sizeof(*copy)) : NULL;
        size_t k = 0;
        for (struct ent *e = s->head; copy && e; e = e->next)
            if (e->key[0] == kind)
                copy[k++] = *e;
        pthread_mutex_unlock(&s->mu);
        if (n && !copy)
            return SPU_ENOMEM;
        for (size_t j = 0; j < k; j++) {
            const char *sep = memchr(copy[j].key + 1, 0x1f, copy[j].klen - 1u);
            if (!sep)
                continue;
            size_t nl = (size_t)(sep - copy[j].key - 1);
            fn(ctx, copy[j].key + 1, nl, sep + 1, copy[j].klen - nl - 2u, copy[j].expire);
        }
        free(copy);
    }
    return SPU_OK;
}

static void mem_stats(void *priv, struct state_stats *o)
{
    struct mem *m = priv;
    for (unsigned i = 0; i < NSHARDS; i++) {
        pthread_mutex_lock(&m->sh[i].mu);
        o->entries += m->sh[i].n;
        pthread_mutex_unlock(&m->sh[i].mu);
    }
    o->evicted += atomic_load(&m->evicted);
    o->expired += atomic_load(&m->expired);
    o->ops += atomic_load(&m->ops);
}

static void mem_free(void *priv)
{
    struct mem *m = priv;
    if (!m)
        return;
    for (unsigned i = 0; i < NSHARDS; i++) {
        struct shard *s = &m->sh[i];
        while (s->head) {
            struct ent *e = s->head;
            s->head = e->next;
            free(e);
        }
        free(s->tab);
        pthread_mutex_destroy(&s->mu);
    }
    free(m);
}

void *state_mem_new(size_t max_entries)
{
    if (!max_entries)
        max_entries = 262144;
    struct mem *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    size_t per = max_entries / NSHARDS ? max_entries / NSHARDS : 1;
    size_t nb = spu_grow_cap(0, per, 64, SIZE_MAX / 2 / sizeof(struct ent *));
    for (unsigned i = 0; i < NSHARDS; i++) {
        struct shard *s = &m->sh[i];
        pthread_mutex_init(&s->mu, NULL);
        s->cap = per;
        s->nb = nb;
        s->tab = calloc(nb, sizeof(*s->tab));
        if (!s->tab) {
            mem_free(m);
            return NULL;
        }
    }
    return m;
}

const struct state_ops state_mem_ops = {
    .name = "memory",
    .op = mem_op,
    .stats = mem_stats,
    .free = mem_free,
};

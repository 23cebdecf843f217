/* session.c - the sharded meta-session store (see session.h). */
#include "session.h"

#include "arena.h"
#include "err.h"
#include "grow.h"
#include "stats.h"

#include <pthread.h>
#include <errno.h>
#include <time.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 1024u /* longer keys are hashed on their first KEY_MAX bytes */

struct session_entry {
    struct session_entry *hnext;
    struct session_entry *lprev, *lnext; /* LRU: head most recent, tail least */
    uint64_t hash;
    int64_t last_ms;
    int held;
    int absent; /* SESSION_HOLD_ABSENT: holds a key with no entry, not counted */
    struct spu_arena *arena;
    uint32_t keylen;
    uint8_t *key;            /* type byte + canonical bytes (malloc'd) */
    struct spu_value slot[]; /* nslots */
};

struct shard {
    pthread_mutex_t mu;
    pthread_cond_t given_back; /* an entry of this shard was released */
    struct session_entry **buckets;
    uint32_t nbuckets;
    uint32_t count;
    struct session_entry *head, *tail;
};

struct session_space {
    char *name;
    size_t namelen;
    uint32_t nslots;
    uint64_t ttl_ms;
    uint32_t shard_max;
    size_t entry_cap;
    _Atomic int64_t *resv;  /* bytes reserved by the entries of every space (NULL: no memcap) */
    int64_t resv_cap;
    struct session_stats st;
    struct shard shards[SESSION_SHARDS];
};

static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h ^ (h >> 29);
}

/* Canonical bytes of a key: a type byte, then the string, the int's 8
 * bytes, or the address's 16 bytes, family and prefix. */
static int key_bytes(const struct spu_value *k, uint8_t *buf, size_t cap, size_t *len)
{
    buf[0] = k->type;
    switch (k->type) {
    case SPU_T_STR: {
        size_t n = k->len < cap - 1 ? k->len : cap - 1;
        if (n)
            memcpy(buf + 1, k->u.s, n);
        *len = 1 + n;
        return k->len < cap - 1 ? SPU_OK : SPU_ELIMIT;
    }
    case SPU_T_INT:
    case SPU_T_BOOL:
        memcpy(buf + 1, &k->u.i, 8);
        *len = 9;
        return SPU_OK;
    case SPU_T_IP:
        memcpy(buf + 1, k->u.s, 16);
        buf[17] = (uint8_t)k->aux;
        buf[18] = (uint8_t)k->len;
        *len = 19;
        return SPU_OK;
    default:
        return SPU_EINVAL;
    }
}

struct session_space *session_space_new(const char *name, size_t namelen, uint32_t nslots,
                                        uint64_t ttl_ms, uint32_t max, size_t entry_cap)
{
    struct session_space *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->name = malloc(namelen + 1);
    if (!s->name) {
        free(s);
        return NULL;
    }
    memcpy(s->name, name, namelen);
    s->name[namelen] = 0;
    s->namelen = namelen;
    s->nslots = nslots;
    s->ttl_ms = ttl_ms;
    if (!max)
        max = SESSION_DEFAULT_MAX;
    s->shard_max = (max + SESSION_SHARDS - 1) / SESSION_SHARDS;
    s->entry_cap = entry_cap ? entry_cap : SESSION_DEFAULT_ENTRY_CAP;
    /* buckets: a power of two for the entries a shard may hold, at most 1M */
    size_t want = s->shard_max < (1u << 20) ? s->shard_max : 1u << 20;
    uint32_t nb = (uint32_t)spu_grow_cap(0, want, 16, 1u << 20);
    for (unsigned i = 0; i < SESSION_SHARDS; i++) {
        struct shard *sh = &s->shards[i];
        pthread_mutex_init(&sh->mu, NULL);
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&sh->given_back, &ca);
        pthread_condattr_destroy(&ca);
        sh->nbuckets = nb;
        sh->buckets = calloc(nb, sizeof(*sh->buckets));
        if (!sh->buckets) {
            session_space_free(s);
            return NULL;
        }
    }
    return s;
}

static size_t entry_bytes(const struct session_space *s, const struct session_entry *e)
{
    return sizeof(*e) + s->nslots * sizeof(struct spu_value) + e->keylen +
           (e->arena ? spu_arena_held(e->arena) : 0);
}

/* What an entry may come to hold: its struct, variables and key, and its
 * arena up to the entry cap (reserved against the memcap when it is made). */
static int64_t entry_resv(const struct session_space *s, size_t keylen)
{
    return (int64_t)(sizeof(struct session_entry) + s->nslots * sizeof(struct spu_value) + keylen +
                     s->entry_cap);
}

/* Reserve r bytes against the memcap: false when they do not fit. */
static bool resv_take(struct session_space *s, int64_t r)
{
    if (!s->resv)
        return true;
    return stats_gauge_take(s->resv, r, (uint64_t)s->resv_cap);
}

static void entry_free(struct session_space *s, struct session_entry *e)
{
    if (!e->absent) {
        if (s->resv)
            atomic_fetch_sub_explicit(s->resv, entry_resv(s, e->keylen), memory_order_relaxed);
        atomic_fetch_sub_explicit(&s->st.memuse, (int64_t)entry_bytes(s, e),
                                  memory_order_relaxed);
        atomic_fetch_sub_explicit(&s->st.entries, 1, memory_order_relaxed);
    }
    spu_arena_free(e->arena);
    free(e->key);
    free(e);
}

void session_space_free(struct session_space *s)
{
    if (!s)
        return;
    for (unsigned i = 0; i < SESSION_SHARDS; i++) {
        struct shard *sh = &s->shards[i];
        if (!sh->buckets)
            continue;
        for (struct session_entry *e = sh->head, *n; e; e = n) {
            n = e->lnext;
            entry_free(s, e);
        }
        free(sh->buckets);
        pthread_cond_destroy(&sh->given_back);
        pthread_mutex_destroy(&sh->mu);
    }
    free(s->name);
    free(s);
}

const char *session_space_name(const struct session_space *s, size_t *len)
{
    *len = s->namelen;
    return s->name;
}

uint32_t session_space_nslots(const struct session_space *s)
{
    return s->nslots;
}

const struct session_stats *session_space_stats(const struct session_space *s)
{
    return &s->st;
}

static void lru_unlink(struct shard *sh, struct session_entry *e)
{
    if (e->lprev)
        e->lprev->lnext = e->lnext;
    else
        sh->head = e->lnext;
    if (e->lnext)
        e->lnext->lprev = e->lprev;
    else
        sh->tail = e->lprev;
    e->lprev = e->lnext = NULL;
}

static void lru_push_head(struct shard *sh, struct session_entry *e)
{
    e->lprev = NULL;
    e->lnext = sh->head;
    if (sh->head)
        sh->head->lprev = e;
    sh->head = e;
    if (!sh->tail)
        sh->tail = e;
}

static void remove_entry(struct session_space *s, struct shard *sh, struct session_entry *e)
{
    struct session_entry **pp = &sh->buckets[e->hash & (sh->nbuckets - 1)];
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    lru_unlink(sh, e);
    if (!e->absent)
        sh->count--;
    entry_free(s, e);
}

static int expired(const struct session_space *s, const struct session_entry *e, int64_t now)
{
    return s->ttl_ms && now - e->last_ms > (int64_t)s->ttl_ms;
}

/* Drop expired entries from the LRU tail (oldest use first). */
static unsigned expire_tail(struct session_space *s, struct shard *sh, int64_t now)
{
    unsigned n = 0;
    struct session_entry *e = sh->tail;
    while (e && expired(s, e, now)) {
        struct session_entry *prev = e->lprev;
        if (!e->held) {
            remove_entry(s, sh, e);
            atomic_fetch_add_explicit(&s->st.expired, 1, memory_order_relaxed);
            n++;
        }
        e = prev;
    }
    return n;
}

/* Evict the least recently used unheld entry of shard sh (locked):
 * false when it has none. */
static bool evict_one(struct session_space *s, struct shard *sh)
{
    struct session_entry *e = sh->tail;
    while (e && e->held)
        e = e->lprev;
    if (!e)
        return false;
    remove_entry(s, sh, e);
    atomic_fetch_add_explicit(&s->st.evicted, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->st.memcap, 1, memory_order_relaxed);
    return true;
}

/* Reserve room for a new entry against the memcap (sh locked): while it
 * does not fit, the least recently used unheld entry of the shard is
 * evicted, or when the shard has none, one of another shard of the space
 * that is free to lock now (never waited for: sh is held); SPU_ELIMIT
 * when none can go (the cap is held by other spaces or held entries). */
static int reserve(struct session_space *s, struct shard *sh, size_t klen)
{
    int64_t r = entry_resv(s, klen);
    while (!resv_take(s, r)) {
        bool gone = evict_one(s, sh);
        for (unsigned i = 0; i < SESSION_SHARDS && !gone; i++) {
            struct shard *o = &s->shards[i];
            if (o == sh || pthread_mutex_trylock(&o->mu) != 0)
                continue;
            gone = evict_one(s, o);
            pthread_mutex_unlock(&o->mu);
        }
        if (!gone) {
            atomic_fetch_add_explicit(&s->st.memcap, 1, memory_order_relaxed);
            return SPU_ELIMIT;
        }
    }
    return SPU_OK;
}

void session_space_set_memcap(struct session_space *s, _Atomic int64_t *reserved, uint64_t cap)
{
    s->resv = reserved;
    s->resv_cap = (int64_t)cap;
}

/* Make room for one entry: evict the least recently used unheld one. */
static int make_room(struct session_space *s, struct shard *sh)
{
    for (struct session_entry *e = sh->tail; e && sh->count >= s->shard_max; e = e->lprev) {
        if (e->held)
            continue;
        remove_entry(s, sh, e);
        atomic_fetch_add_explicit(&s->st.evicted, 1, memory_order_relaxed);
        return SPU_OK;
    }
    return sh->count < s->shard_max ? SPU_OK : SPU_ELIMIT;
}

/* Count a new real entry (its room already taken). */
static void entry_counted(struct session_space *s, struct shard *sh, struct session_entry *e)
{
    sh->count++;
    atomic_fetch_add_explicit(&s->st.memuse, (int64_t)entry_bytes(s, e), memory_order_relaxed);
    atomic_fetch_add_explicit(&s->st.entries, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->st.created, 1, memory_order_relaxed);
}

/* Take room for a real entry of key length klen in sh (locked): the
 * shard's entry count, then the memcap. */
static int take_room(struct session_space *s, struct shard *sh, size_t klen)
{
    int rc = make_room(s, sh);
    if (rc == SPU_OK)
        rc = reserve(s, sh, klen);
    if (rc != SPU_OK)
        atomic_fetch_add_explicit(&s->st.refused, 1, memory_order_relaxed);
    return rc;
}

static void give_room(struct session_space *s, size_t klen)
{
    if (s->resv)
        atomic_fetch_sub_explicit(s->resv, entry_resv(s, klen), memory_order_relaxed);
}

/* A new entry, not yet in the shard's table nor counted. */
static struct session_entry *new_entry(struct session_space *s, const uint8_t *kb, size_t klen,
                                       uint64_t h, int64_t now)
{
    struct session_entry *e = calloc(1, sizeof(*e) + s->nslots * sizeof(struct spu_value));
    if (!e)
        return NULL;
    e->key = malloc(klen);
    e->arena = spu_arena_new(512, s->entry_cap);
    if (!e->key || !e->arena) {
        spu_arena_free(e->arena);
        free(e->key);
        free(e);
        return NULL;
    }
    memcpy(e->key, kb, klen);
    e->keylen = (uint32_t)klen;
    e->hash = h;
    e->last_ms = now;
    return e;
}

int session_space_get(struct session_space *s, const struct spu_value *key, int64_t now_ms,
                      enum session_get_mode mode, struct session_entry **out)
{
    uint8_t kb[KEY_MAX + 20];
    size_t klen;
    *out = NULL;
    int rc = key_bytes(key, kb, KEY_MAX, &klen);
    if (rc == SPU_EINVAL)
        return rc;
    uint64_t h = hash_bytes(kb, klen);
    struct shard *sh = &s->shards[(h >> 56) % SESSION_SHARDS];
    struct timespec deadline = {0, 0};
    pthread_mutex_lock(&sh->mu);
    for (;;) {
        struct session_entry *e = sh->buckets[h & (sh->nbuckets - 1)];
        while (e && !(e->hash == h && e->keylen == klen && memcmp(e->key, kb, klen) == 0))
            e = e->hnext;
        if (e && e->held) {
            if (deadline.tv_sec == 0 && deadline.tv_nsec == 0) {
                clock_gettime(CLOCK_MONOTONIC, &deadline);
                deadline.tv_sec += SESSION_WAIT_MS / 1000;
                deadline.tv_nsec += (long)(SESSION_WAIT_MS % 1000) * 1000000L;
                if (deadline.tv_nsec >= 1000000000L) {
                    deadline.tv_sec++;
                    deadline.tv_nsec -= 1000000000L;
                }
            }
            /* the entry may be freed while we wait: look it up again */
            if (pthread_cond_timedwait(&sh->given_back, &sh->mu, &deadline) == ETIMEDOUT) {
                pthread_mutex_unlock(&sh->mu);
                atomic_fetch_add_explicit(&s->st.busy, 1, memory_order_relaxed);
                return SPU_ESTATE;
            }
            continue;
        }
        if (e && expired(s, e, now_ms)) {
            remove_entry(s, sh, e);
            atomic_fetch_add_explicit(&s->st.expired, 1, memory_order_relaxed);
            e = NULL;
        }
        if (!e) {
            expire_tail(s, sh, now_ms);
            if (mode == SESSION_LOOKUP) {
                pthread_mutex_unlock(&sh->mu);
                return SPU_OK;
            }
            rc = mode == SESSION_CREATE ? take_room(s, sh, klen) : SPU_OK;
            if (rc == SPU_OK) {
                e = new_entry(s, kb, klen, h, now_ms);
                if (!e) {
                    rc = SPU_ENOMEM;
                    if (mode == SESSION_CREATE) {
                        give_room(s, klen);
                        atomic_fetch_add_explicit(&s->st.refused, 1, memory_order_relaxed);
                    }
                }
            }
            if (rc != SPU_OK) {
                pthread_mutex_unlock(&sh->mu);
                return rc;
            }
            uint32_t b = (uint32_t)(h & (sh->nbuckets - 1));
            e->hnext = sh->buckets[b];
            sh->buckets[b] = e;
            if (mode == SESSION_CREATE)
                entry_counted(s, sh, e);
            else
                e->absent = 1;
        } else {
            lru_unlink(sh, e);
        }
        lru_push_head(sh, e);
        e->held = 1;
        pthread_mutex_unlock(&sh->mu);
        *out = e;
        return SPU_OK;
    }
}

struct spu_value *session_entry_slots(const struct session_space *s, struct session_entry *e,
                                      uint32_t *n, struct spu_arena **arena)
{
    *n = s->nslots;
    *arena = e->arena;
    return e->slot;
}

int session_compact(struct spu_value *slots, uint32_t n, struct spu_arena **arena, size_t cap)
{
    if (spu_arena_used(*arena) <= cap / 2)
        return SPU_OK;
    struct spu_arena *na = spu_arena_new(512, cap);
    if (!na)
        return SPU_ENOMEM;
    struct spu_value *copy = malloc(n * sizeof(*copy) + 1);
    if (!copy) {
        spu_arena_free(na);
        return SPU_ENOMEM;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (spu_value_copy(na, &slots[i], &copy[i]) != SPU_OK) {
            free(copy);
            spu_arena_free(na);
            return SPU_ENOMEM;
        }
    }
    memcpy(slots, copy, n * sizeof(*copy));
    free(copy);
    spu_arena_free(*arena);
    *arena = na;
    return SPU_OK;
}

int session_entry_is_absent(const struct session_entry *e)
{
    return e->absent;
}

int session_entry_confirm(struct session_space *s, struct session_entry *e)
{
    struct shard *sh = &s->shards[(e->hash >> 56) % SESSION_SHARDS];
    pthread_mutex_lock(&sh->mu);
    int rc = SPU_OK;
    if (e->absent) {
        rc = take_room(s, sh, e->keylen);
        if (rc == SPU_OK) {
            e->absent = 0;
            entry_counted(s, sh, e);
        }
    }
    pthread_mutex_unlock(&sh->mu);
    return rc;
}

void session_entry_release(struct session_space *s, struct session_entry *e, int64_t now_ms)
{
    uint64_t h = e->hash;
    struct shard *sh = &s->shards[(h >> 56) % SESSION_SHARDS];
    if (e->absent) {
        pthread_mutex_lock(&sh->mu);
        remove_entry(s, sh, e);
        pthread_cond_broadcast(&sh->given_back);
        pthread_mutex_unlock(&sh->mu);
        return;
    }
    size_t before = entry_bytes(s, e);
    session_compact(e->slot, s->nslots, &e->arena, s->entry_cap);
    size_t after = entry_bytes(s, e);
    atomic_fetch_add_explicit(&s->st.memuse, (int64_t)after - (int64_t)before,
                              memory_order_relaxed);
    pthread_mutex_lock(&sh->mu);
    if (now_ms > e->last_ms)
        e->last_ms = now_ms;
    e->held = 0;
    pthread_cond_broadcast(&sh->given_back);
    pthread_mutex_unlock(&sh->mu);
}

unsigned session_space_expire(struct session_space *s, int64_t now_ms)
{
    unsigned n = 0;
    for (unsigned i = 0; i < SESSION_SHARDS; i++) {
        struct shard *sh = &s->shards[i];
        pthread_mutex_lock(&sh->mu);
        n += expire_tail(s, sh, now_ms);
        pthread_mutex_unlock(&sh->mu);
    }
    return n;
}

uint64_t session_space_count(const struct session_space *s)
{
    return atomic_load_explicit(&s->st.entries, memory_order_relaxed);
}

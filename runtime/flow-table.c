/* flow-table.c - per-worker flow table, timeouts, eviction (see flow.h). */
#include "flow.h"

#include "stats.h"
#include "stream.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

enum { TC_TCP_NEW, TC_TCP_EST, TC_TCP_CLOSED, TC_UDP_NEW, TC_UDP_EST, TC_OTHER_NEW,
       TC_OTHER_EST, TC__COUNT };
_Static_assert(TC__COUNT <= 128, "struct flow's tclass is a 7-bit field");

struct tclist {
    struct flow *head, *tail;
};

struct flow_table {
    struct flow **bucket;
    uint32_t mask;
    size_t count;
    struct tclist list[TC__COUNT];
    int64_t timeout_ns[TC__COUNT];
    _Atomic int64_t *memuse;
    uint64_t memcap;
    int64_t grown; /* bytes of buckets added by grow(), counted in *memuse */
    flow_end_fn on_end;
    void *end_ctx;
    struct stats_block *st;
    struct flow *spare; /* freed flows kept for reuse (singly linked by hnext) */
    _Atomic unsigned nspare; /* written by the worker, read by the stats reporter */
};

#define MAX_SPARE 4096
#define MAX_BITS 24

static const char *const tcp_state_names[] = {
#define TCP_STATE_NAME(id, name) name,
    TCP_STATE_LIST(TCP_STATE_NAME)
#undef TCP_STATE_NAME
};

const char *flow_tcp_state_name(unsigned s)
{
    return s < sizeof(tcp_state_names) / sizeof(tcp_state_names[0]) ? tcp_state_names[s] : "?";
}

const char *flow_state_name(unsigned s)
{
    static const char *const n[] = {"new", "established", "closed"};
    return s < 3 ? n[s] : "?";
}

const char *flow_reason_name(unsigned r)
{
    static const char *const n[] = {"timeout", "forced", "shutdown"};
    return r < 3 ? n[r] : "?";
}

void flow_timeouts_default(struct flow_timeouts *t)
{
    t->tcp_new = 60;
    t->tcp_est = 600;
    t->tcp_closed = 60;
    t->udp_new = 30;
    t->udp_est = 300;
    t->other_new = 30;
    t->other_est = 300;
}

size_t flow_table_spare_bytes(const struct flow_table *t)
{
    return atomic_load_explicit(&((struct flow_table *)t)->nspare, memory_order_relaxed) *
           sizeof(struct flow);
}

size_t flow_table_spare_cap(void)
{
    return MAX_SPARE * sizeof(struct flow);
}

size_t flow_bytes_per_flow(void)
{
    return sizeof(struct flow);
}

struct flow_table *flow_table_new(unsigned bits, const struct flow_timeouts *to,
                                  _Atomic int64_t *memuse, uint64_t memcap,
                                  flow_end_fn on_end, void *end_ctx, struct stats_block *st)
{
    if (bits < 8 || bits > MAX_BITS || !memuse)
        return NULL;
    struct flow_table *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->bucket = calloc((size_t)1 << bits, sizeof(*t->bucket));
    if (!t->bucket) {
        free(t);
        return NULL;
    }
    t->mask = (1u << bits) - 1;
    struct flow_timeouts d;
    if (!to) {
        flow_timeouts_default(&d);
        to = &d;
    }
    const int64_t s = 1000000000;
    t->timeout_ns[TC_TCP_NEW] = to->tcp_new * s;
    t->timeout_ns[TC_TCP_EST] = to->tcp_est * s;
    t->timeout_ns[TC_TCP_CLOSED] = to->tcp_closed * s;
    t->timeout_ns[TC_UDP_NEW] = to->udp_new * s;
    t->timeout_ns[TC_UDP_EST] = to->udp_est * s;
    t->timeout_ns[TC_OTHER_NEW] = to->other_new * s;
    t->timeout_ns[TC_OTHER_EST] = to->other_est * s;
    t->memuse = memuse;
    t->memcap = memcap;
    t->on_end = on_end;
    t->end_ctx = end_ctx;
    t->st = st;
    return t;
}

static unsigned bucket_of(const struct flow_table *t, uint32_t h)
{
    return (unsigned)(flowkey_mix64(h) & t->mask);
}

static unsigned class_of(const struct flow *f)
{
    if (f->key.proto == 6) {
        if (f->state == FLOW_STATE_CLOSED)
            return TC_TCP_CLOSED;
        return f->state == FLOW_STATE_ESTABLISHED ? TC_TCP_EST : TC_TCP_NEW;
    }
    bool est = f->state != FLOW_STATE_NEW;
    if (f->key.proto == 17)
        return est ? TC_UDP_EST : TC_UDP_NEW;
    return est ? TC_OTHER_EST : TC_OTHER_NEW;
}

static void list_remove(struct flow_table *t, struct flow *f)
{
    struct tclist *l = &t->list[f->tclass];
    if (f->lprev)
        f->lprev->lnext = f->lnext;
    else
        l->head = f->lnext;
    if (f->lnext)
        f->lnext->lprev = f->lprev;
    else
        l->tail = f->lprev;
    f->lprev = f->lnext = NULL;
}

static void list_append(struct flow_table *t, struct flow *f)
{
    struct tclist *l = &t->list[f->tclass];
    f->lnext = NULL;
    f->lprev = l->tail;
    if (l->tail)
        l->tail->lnext = f;
    else
        l->head = f;
    l->tail = f;
}

void flow_table_touch(struct flow_table *t, struct flow *f, int64_t now_ns)
{
    if (now_ns > f->last_ns)
        f->last_ns = now_ns;
    unsigned c = class_of(f);
    if (c == f->tclass && t->list[c].tail == f)
        return;
    list_remove(t, f);
    f->tclass = (uint8_t)c;
    list_append(t, f);
}

void flow_table_prefetch(const struct flow_table *t, uint32_t h, bool chain)
{
    struct flow *const *b = &t->bucket[bucket_of(t, h)];
    if (!chain)
        __builtin_prefetch(b);
    else if (*b)
        __builtin_prefetch(*b);
}

/* More flows than buckets: double the buckets (up to 2^MAX_BITS) so that a
 * lookup walks one flow on average instead of a chain of cache misses. The
 * added buckets count against the flow memcap like flows do; past the cap,
 * or out of memory, the table stays as it is (longer chains, still
 * correct). */
static void grow(struct flow_table *t)
{
    size_t n = (size_t)t->mask + 1;
    if (n >= ((size_t)1 << MAX_BITS))
        return;
    int64_t extra = (int64_t)(n * sizeof(struct flow *));
    if (!stats_gauge_take(t->memuse, extra, t->memcap))
        return;
    struct flow **nb = calloc(n * 2, sizeof(*nb));
    if (!nb) {
        atomic_fetch_sub_explicit(t->memuse, extra, memory_order_relaxed);
        return;
    }
    t->grown += extra;
    struct flow **old = t->bucket;
    t->bucket = nb;
    t->mask = (uint32_t)(n * 2 - 1);
    for (size_t b = 0; b < n; b++) {
        struct flow *f = old[b];
        while (f) {
            struct flow *next = f->hnext;
            unsigned nbk = bucket_of(t, f->hash);
            f->hnext = nb[nbk];
            nb[nbk] = f;
            f = next;
        }
    }
    free(old);
}

static void unlink_hash(struct flow_table *t, struct flow *f)
{
    struct flow **pp = &t->bucket[bucket_of(t, f->hash)];
    while (*pp && *pp != f)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = f->hnext;
}

void flow_table_end(struct flow_table *t, struct flow *f, enum flow_reason reason)
{
    f->flags |= FLOW_F_ENDED;
    if (t->on_end)
        t->on_end(t->end_ctx, f, reason);
    if (t->st) {
        stats_inc(t->st, f->state == FLOW_STATE_NEW           ? CNT_FLOW_END_NEW
                         : f->state == FLOW_STATE_ESTABLISHED ? CNT_FLOW_END_ESTABLISHED
                                                              : CNT_FLOW_END_CLOSED);
        if (reason == FLOW_REASON_TIMEOUT)
            stats_inc(t->st, CNT_FLOW_TIMEOUT);
        else if (reason == FLOW_REASON_FORCED)
            stats_inc(t->st, CNT_FLOW_EVICTED);
    }
    unlink_hash(t, f);
    list_remove(t, f);
    t->count--;
    atomic_fetch_sub_explicit(t->memuse, (int64_t)sizeof(struct flow), memory_order_relaxed);
    unsigned ns = atomic_load_explicit(&t->nspare, memory_order_relaxed);
    if (ns < MAX_SPARE) {
        f->hnext = t->spare;
        t->spare = f;
        atomic_store_explicit(&t->nspare, ns + 1, memory_order_relaxed);
    } else {
        free(f);
    }
}

unsigned flow_table_expire(struct flow_table *t, int64_t now_ns, unsigned max)
{
    unsigned n = 0;
    for (unsigned c = 0; c < TC__COUNT; c++) {
        struct tclist *l = &t->list[c];
        while (l->head && l->head->last_ns + t->timeout_ns[c] < now_ns) {
            flow_table_end(t, l->head, FLOW_REASON_TIMEOUT);
            if (++n == max && max)
                return n;
        }
    }
    return n;
}

/* The most idle flow of this table: the oldest head of the class lists. */
static struct flow *most_idle(struct flow_table *t)
{
    struct flow *best = NULL;
    for (unsigned c = 0; c < TC__COUNT; c++) {
        struct flow *h = t->list[c].head;
        if (h && (!best || h->last_ns < best->last_ns))
            best = h;
    }
    return best;
}

struct flow *flow_table_get(struct flow_table *t, const struct flow_key *k, uint32_t h,
                            int client, int64_t now_ns, bool create, bool *created)
{
    *created = false;
    unsigned b = bucket_of(t, h);
    for (struct flow *f = t->bucket[b]; f; f = f->hnext) {
        if (f->hash == h && flowkey_equal(&f->key, k))
            return f;
    }
    if (!create)
        return NULL;
    int64_t sz = (int64_t)sizeof(struct flow);
    unsigned evicted = 0;
    while ((uint64_t)(atomic_load_explicit(t->memuse, memory_order_relaxed) + sz) > t->memcap) {
        struct flow *victim = most_idle(t);
        if (!victim || evicted == 64)
            break;
        flow_table_end(t, victim, FLOW_REASON_FORCED);
        evicted++;
    }
    /* reserve before creating: another worker may be reserving at the same
     * time, and the two must not pass the cap together */
    if (!stats_gauge_take(t->memuse, sz, t->memcap)) {
        if (t->st)
            stats_inc(t->st, CNT_FLOW_MEMCAP);
        return NULL;
    }
    struct flow *f = t->spare;
    if (f) {
        t->spare = f->hnext;
        atomic_store_explicit(&t->nspare,
                              atomic_load_explicit(&t->nspare, memory_order_relaxed) - 1,
                              memory_order_relaxed);
        memset(f, 0, sizeof(*f));
    } else if (!(f = calloc(1, sizeof(*f)))) {
        atomic_fetch_sub_explicit(t->memuse, sz, memory_order_relaxed);
        return NULL;
    }
    f->key = *k;
    f->hash = h;
    f->client = (uint8_t)client;
    f->start_ns = f->last_ns = now_ns;
    f->hnext = t->bucket[b];
    t->bucket[b] = f;
    f->tclass = (uint8_t)class_of(f);
    list_append(t, f);
    if (++t->count > (size_t)t->mask + 1)
        grow(t);
    *created = true;
    if (t->st) {
        stats_inc(t->st, CNT_FLOW_TOTAL);
        if (k->proto == 6)
            stats_inc(t->st, CNT_FLOW_TCP);
        else if (k->proto == 17)
            stats_inc(t->st, CNT_FLOW_UDP);
        else if (k->proto == 1)
            stats_inc(t->st, CNT_FLOW_ICMPV4);
        else if (k->proto == 58)
            stats_inc(t->st, CNT_FLOW_ICMPV6);
    }
    return f;
}

void flow_table_end_all(struct flow_table *t)
{
    for (unsigned c = 0; c < TC__COUNT; c++)
        while (t->list[c].head)
            flow_table_end(t, t->list[c].head, FLOW_REASON_SHUTDOWN);
}

size_t flow_table_count(const struct flow_table *t)
{
    return t->count;
}

void flow_table_free(struct flow_table *t)
{
    if (!t)
        return;
    flow_table_end_all(t);
    while (t->spare) {
        struct flow *f = t->spare;
        t->spare = f->hnext;
        free(f);
    }
    free(t->bucket);
    atomic_fetch_sub_explicit(t->memuse, t->grown, memory_order_relaxed);
    free(t);
}

void **stream_slot(struct flow *f)
{
    return &f->app;
}

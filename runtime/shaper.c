/* shaper.c - token buckets and held-packet FIFOs per queuing class (see shaper.h). */
#include "shaper.h"

#include "bundle.h"
#include "pkt.h"

#include <stdlib.h>
#include <string.h>

struct fifo {
    struct pkt *head, *tail; /* linked through pkt.next */
    uint64_t bytes;
    uint32_t n;
};

struct sclass {
    char *name;
    uint64_t rate_bps;
    uint32_t burst, priority;
    double tokens;    /* bytes */
    int64_t last_ns;  /* last refill, 0: not yet */
    uint64_t fifo_cap; /* bytes per FIFO */
    struct fifo q[2];  /* by direction */
    uint8_t turn;      /* the direction served next */
    uint64_t packets, bytes, dropped;
    uint32_t max_held;
};

struct shaper {
    unsigned n;
    struct sclass c[SHAPER_MAX_CLASSES];
    unsigned order[SHAPER_MAX_CLASSES]; /* class indexes by priority, then declaration */
    unsigned held;
};

static int add_class(struct shaper *s, const struct spu_bundle *b, const struct spu_bqueue *q)
{
    uint32_t len;
    const char *name = spu_bundle_str(b, q->name, &len);
    if (!name)
        return 0;
    if (shaper_find(s, name, len))
        return 0;
    if (s->n == SHAPER_MAX_CLASSES)
        return 0;
    struct sclass *c = &s->c[s->n];
    if (!(c->name = strndup(name, len)))
        return -1;
    c->rate_bps = q->rate_bps;
    c->burst = q->burst;
    c->priority = q->priority;
    c->tokens = q->burst;
    /* room for TCP: four bursts, half a second at the rate, or 64 KiB */
    uint64_t cap = (uint64_t)q->burst * 4, half = q->rate_bps / 16;
    c->fifo_cap = cap > half ? cap : half;
    if (c->fifo_cap < 65536)
        c->fifo_cap = 65536;
    s->n++;
    return 0;
}

struct shaper *shaper_new(struct spu_bundle *const *b, unsigned n, bool *nomem)
{
    *nomem = false;
    unsigned total = 0;
    for (unsigned i = 0; i < n; i++) {
        uint32_t nq = 0;
        if (b[i])
            spu_bundle_queues(b[i], &nq);
        total += nq;
    }
    if (!total)
        return NULL;
    struct shaper *s = calloc(1, sizeof(*s));
    if (!s) {
        *nomem = true;
        return NULL;
    }
    for (unsigned i = 0; i < n; i++) {
        uint32_t nq = 0;
        const struct spu_bqueue *q = b[i] ? spu_bundle_queues(b[i], &nq) : NULL;
        for (uint32_t k = 0; k < nq; k++)
            if (add_class(s, b[i], &q[k]) < 0) {
                shaper_free(s);
                *nomem = true;
                return NULL;
            }
    }
    /* a stable insertion sort by priority */
    for (unsigned i = 0; i < s->n; i++) {
        unsigned j = i;
        while (j > 0 && s->c[s->order[j - 1]].priority > s->c[i].priority) {
            s->order[j] = s->order[j - 1];
            j--;
        }
        s->order[j] = i;
    }
    return s;
}

void shaper_free(struct shaper *s)
{
    if (!s)
        return;
    for (unsigned i = 0; i < s->n; i++)
        free(s->c[i].name);
    free(s);
}

unsigned shaper_find(const struct shaper *s, const char *name, size_t len)
{
    for (unsigned i = 0; s && i < s->n; i++)
        if (strlen(s->c[i].name) == len && memcmp(s->c[i].name, name, len) == 0)
            return i + 1;
    return 0;
}

/* Tokens for the time since the last refill. While packets wait, time
 * the dispatcher lost (descheduled on a loaded machine) is made up, up to
 * a quarter of a second at the rate beyond the burst: the class keeps its
 * average rate instead of losing what its bucket could not hold. */
static void refill(struct sclass *c, int64_t now_ns)
{
    if (c->last_ns && now_ns > c->last_ns) {
        double cap = c->burst;
        if (c->q[0].head || c->q[1].head)
            cap += (double)c->rate_bps / 32.0;
        c->tokens += (double)c->rate_bps / 8.0 * (double)(now_ns - c->last_ns) / 1e9;
        if (c->tokens > cap)
            c->tokens = cap;
    }
    if (now_ns > c->last_ns)
        c->last_ns = now_ns;
}

static struct pkt *pop(struct shaper *s, struct sclass *c, struct fifo *f);

bool shaper_hold(struct shaper *s, struct pkt *p, uint32_t len, int64_t now_ns,
                 void (*drop)(void *ctx, struct pkt *p), void *ctx)
{
    if (!p->qclass || p->qclass > s->n)
        return false;
    struct sclass *c = &s->c[p->qclass - 1];
    struct fifo *f = &c->q[p->qdir ? 1 : 0];
    /* full: drop from the head, so the sender hears of the loss from the
     * packets behind it a queue's delay sooner than with a tail drop */
    while (f->head && (f->n >= SHAPER_FIFO_PKTS || f->bytes + len > c->fifo_cap ||
                       s->held >= SHAPER_HELD_MAX)) {
        struct pkt *h = pop(s, c, f);
        c->packets--;
        c->bytes -= h->qlen;
        c->dropped++;
        drop(ctx, h);
    }
    if (f->bytes + len > c->fifo_cap || s->held >= SHAPER_HELD_MAX) {
        c->dropped++;
        return false;
    }
    refill(c, now_ns);
    p->next = NULL;
    p->qlen = len;
    if (f->tail)
        f->tail->next = p;
    else
        f->head = p;
    f->tail = p;
    f->n++;
    f->bytes += len;
    s->held++;
    uint32_t h = c->q[0].n + c->q[1].n;
    if (h > c->max_held)
        c->max_held = h;
    return true;
}

static struct pkt *pop(struct shaper *s, struct sclass *c, struct fifo *f)
{
    struct pkt *p = f->head;
    f->head = p->next;
    if (!f->head)
        f->tail = NULL;
    p->next = NULL;
    f->n--;
    f->bytes -= p->qlen;
    s->held--;
    c->packets++;
    c->bytes += p->qlen;
    return p;
}

/* The directions take turns (so a download's ACKs never wait behind its
 * data); NULL when nothing is held. */
static struct fifo *next_fifo(struct sclass *c)
{
    unsigned k = c->turn;
    if (!c->q[k].head)
        k ^= 1;
    if (!c->q[k].head)
        return NULL;
    c->turn = (uint8_t)(k ^ 1);
    return &c->q[k];
}

unsigned shaper_release(struct shaper *s, int64_t now_ns, void (*fn)(void *ctx, struct pkt *p),
                        void *ctx)
{
    unsigned n = 0;
    if (!s)
        return 0;
    for (unsigned k = 0; k < s->n; k++) {
        struct sclass *c = &s->c[s->order[k]];
        refill(c, now_ns);
        struct fifo *f;
        while (c->tokens > 0 && (f = next_fifo(c))) {
            struct pkt *p = pop(s, c, f);
            c->tokens -= p->qlen;
            fn(ctx, p);
            n++;
        }
    }
    return n;
}

void shaper_flush(struct shaper *s, void (*fn)(void *ctx, struct pkt *p), void *ctx)
{
    for (unsigned k = 0; s && k < s->n; k++) {
        struct sclass *c = &s->c[s->order[k]];
        struct fifo *f;
        while ((f = next_fifo(c)))
            fn(ctx, pop(s, c, f));
    }
}

unsigned shaper_held(const struct shaper *s)
{
    return s ? s->held : 0;
}

unsigned shaper_nclasses(const struct shaper *s)
{
    return s ? s->n : 0;
}

bool shaper_class_counts(const struct shaper *s, unsigned id, struct shaper_class_counts *out)
{
    if (!s || !id || id > s->n)
        return false;
    const struct sclass *c = &s->c[id - 1];
    *out = (struct shaper_class_counts){c->name,    c->rate_bps, c->burst,   c->priority,
                                        c->packets, c->bytes,    c->dropped, c->max_held};
    return true;
}

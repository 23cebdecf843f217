/* split-index.c - the shared walk of --split-read (see split-index.h). */
#include "split-index.h"

#include "dispatch-hash.h"
#include "flowkey.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define READ_BATCH 64
/* A reader that enters a chunk with no more than this many built beyond
 * it builds the next one first (unless another reader is building): the
 * walk of the capture then runs ahead of both readers instead of making
 * the one that reaches the end wait for it. */
#define BUILD_AHEAD 2

enum chunk_end { END_MORE, END_EOF, END_FAULT };

struct chunk {
    struct split_rec *recs;
    uint32_t *own;  /* per cursor: chunk_recs record numbers */
    unsigned *nown; /* per cursor */
    uint64_t bytes;
    unsigned count;
    int end;              /* enum chunk_end */
    struct spu_error err; /* END_FAULT */
    bool held;            /* its records are still out of the capture */
};

struct split_cursor {
    alignas(64) _Atomic uint64_t chunk; /* the chunk being read; UINT64_MAX: done */
    unsigned pos;
    unsigned seen; /* the index's progress count when it last found nothing */
    struct split_index *x;
};

struct split_index {
    struct capture *cap;
    uint32_t seed;
    unsigned chunk_recs, nchunks, ncursors;
    struct chunk *chunks;
    struct split_cursor *cursors;
    alignas(64) _Atomic uint64_t built; /* chunks published */
    atomic_flag building;
    bool ended;  /* the last chunk is built (under building) */
    int64_t clock; /* the packet clock so far (under building) */
    pthread_mutex_t snap_mu;
    struct capture_stats snap;
    /* progress: counted at each chunk built and each chunk a reader leaves;
     * a reader that found nothing sleeps on wake_cv until it moves */
    alignas(64) _Atomic unsigned progress;
    _Atomic unsigned sleepers;
    pthread_mutex_t wake_mu;
    pthread_cond_t wake_cv;
};

struct split_index *split_index_new(struct capture *cap, unsigned ncursors, uint32_t seed,
                                    unsigned chunk_recs, unsigned nchunks)
{
    struct split_index *x = calloc(1, sizeof(*x));
    if (!x)
        return NULL;
    x->cap = cap;
    x->seed = seed;
    x->chunk_recs = chunk_recs ? chunk_recs : 2048;
    x->nchunks = nchunks > 1 ? nchunks : 8;
    x->ncursors = ncursors;
    atomic_init(&x->built, 0);
    atomic_flag_clear(&x->building);
    atomic_init(&x->progress, 0);
    atomic_init(&x->sleepers, 0);
    pthread_mutex_init(&x->snap_mu, NULL);
    pthread_mutex_init(&x->wake_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&x->wake_cv, &ca);
    pthread_condattr_destroy(&ca);
    x->chunks = calloc(x->nchunks, sizeof(*x->chunks));
    x->cursors = aligned_alloc(64, ((ncursors * sizeof(*x->cursors) + 63) / 64) * 64 + 64);
    if (!x->chunks || !x->cursors) {
        split_index_free(x);
        return NULL;
    }
    for (unsigned i = 0; i < ncursors; i++) {
        atomic_init(&x->cursors[i].chunk, 0);
        x->cursors[i].pos = 0;
        x->cursors[i].seen = 0;
        x->cursors[i].x = x;
    }
    for (unsigned i = 0; i < x->nchunks; i++)
        if (!(x->chunks[i].recs = calloc(x->chunk_recs, sizeof(struct split_rec))) ||
            !(x->chunks[i].own = calloc((size_t)x->chunk_recs * (ncursors ? ncursors : 1),
                                        sizeof(uint32_t))) ||
            !(x->chunks[i].nown = calloc(ncursors ? ncursors : 1, sizeof(unsigned)))) {
            split_index_free(x);
            return NULL;
        }
    return x;
}

static void chunk_release(struct split_index *x, struct chunk *ch)
{
    if (!ch->held)
        return;
    for (unsigned i = 0; i < ch->count; i++)
        capture_release(x->cap, ch->recs[i].cp.source, ch->recs[i].cp.cookie);
    ch->held = false;
    ch->count = 0;
}

void split_index_free(struct split_index *x)
{
    if (!x)
        return;
    if (x->chunks) {
        for (unsigned i = 0; i < x->nchunks; i++) {
            if (x->chunks[i].recs)
                chunk_release(x, &x->chunks[i]);
            free(x->chunks[i].recs);
            free(x->chunks[i].own);
            free(x->chunks[i].nown);
        }
        free(x->chunks);
    }
    free(x->cursors);
    pthread_mutex_destroy(&x->snap_mu);
    pthread_mutex_destroy(&x->wake_mu);
    pthread_cond_destroy(&x->wake_cv);
    free(x);
}

struct split_cursor *split_index_cursor(struct split_index *x, unsigned i)
{
    return i < x->ncursors ? &x->cursors[i] : NULL;
}

/* Counts a step of progress (a chunk built, a chunk left) and wakes the
 * readers that wait for one. */
static void moved(struct split_index *x)
{
    atomic_fetch_add(&x->progress, 1);
    if (atomic_load(&x->sleepers)) {
        pthread_mutex_lock(&x->wake_mu);
        pthread_cond_broadcast(&x->wake_cv);
        pthread_mutex_unlock(&x->wake_mu);
    }
}

/* Whether every cursor has passed chunk k. */
static bool passed(struct split_index *x, uint64_t k)
{
    for (unsigned i = 0; i < x->ncursors; i++)
        if (atomic_load_explicit(&x->cursors[i].chunk, memory_order_acquire) <= k)
            return false;
    return true;
}

/* Fills chunk k from the capture; the caller holds `building`. */
static void fill(struct split_index *x, struct chunk *ch)
{
    struct capture_pkt buf[READ_BATCH];
    ch->count = 0;
    ch->bytes = 0;
    ch->end = END_MORE;
    ch->held = true;
    for (unsigned i = 0; i < x->ncursors; i++)
        ch->nown[i] = 0;
    while (ch->count < x->chunk_recs) {
        unsigned want = x->chunk_recs - ch->count;
        bool eof = false;
        int n = capture_next(x->cap, buf, want < READ_BATCH ? want : READ_BATCH, &eof,
                             &ch->err);
        if (n < 0) {
            ch->end = END_FAULT;
            if (ch->err.code >= 0)
                ch->err.code = n;
            return;
        }
        for (int i = 0; i < n; i++) {
            unsigned k = ch->count++;
            struct split_rec *r = &ch->recs[k];
            r->cp = buf[i];
            r->hash = 0;
            r->fast = !buf[i].vlan && dispatch_fast_hash(buf[i].linktype, buf[i].data,
                                                         buf[i].caplen, x->seed, &r->hash);
            if (buf[i].ts_ns > x->clock)
                x->clock = buf[i].ts_ns;
            r->clock = x->clock;
            ch->bytes += buf[i].caplen;
            if (r->fast) {
                unsigned w = flowkey_worker(r->hash, x->ncursors);
                ch->own[(size_t)w * x->chunk_recs + ch->nown[w]++] = k;
            } else {
                for (unsigned w = 0; w < x->ncursors; w++)
                    ch->own[(size_t)w * x->chunk_recs + ch->nown[w]++] = k;
            }
        }
        if (eof) {
            ch->end = END_EOF;
            return;
        }
    }
}

/* Builds the next chunk if no one else is and its slot is free. */
static void try_build(struct split_index *x)
{
    if (atomic_flag_test_and_set_explicit(&x->building, memory_order_acquire))
        return;
    uint64_t k = atomic_load_explicit(&x->built, memory_order_relaxed);
    if (!x->ended && (k < x->nchunks || passed(x, k - x->nchunks))) {
        struct chunk *ch = &x->chunks[k % x->nchunks];
        chunk_release(x, ch);
        fill(x, ch);
        x->ended = ch->end != END_MORE;
        struct capture_stats s;
        capture_stats(x->cap, &s);
        pthread_mutex_lock(&x->snap_mu);
        x->snap = s;
        pthread_mutex_unlock(&x->snap_mu);
        atomic_store_explicit(&x->built, k + 1, memory_order_release);
        atomic_flag_clear_explicit(&x->building, memory_order_release);
        moved(x);
        return;
    }
    atomic_flag_clear_explicit(&x->building, memory_order_release);
}

/* The chunk holding c's next record: 1 with *out set, 0 when it is not
 * built yet (another reader builds it, or one lags: later) or at the end
 * (*eof), or the capture's fault. */
static int current(struct split_cursor *c, const struct chunk **out, bool *eof,
                   struct spu_error *err)
{
    struct split_index *x = c->x;
    *eof = false;
    for (;;) {
        uint64_t k = atomic_load_explicit(&c->chunk, memory_order_relaxed);
        uint64_t built = atomic_load_explicit(&x->built, memory_order_acquire);
        if (k >= built) {
            /* read before the test: a chunk built after it moves the count */
            c->seen = atomic_load(&x->progress);
            try_build(x);
            if (k >= atomic_load(&x->built))
                return 0;
        } else if (c->pos == 0 && built - k <= BUILD_AHEAD) {
            try_build(x);
        }
        const struct chunk *ch = &x->chunks[k % x->nchunks];
        if (c->pos < ch->count) {
            *out = ch;
            return 1;
        }
        if (ch->end == END_EOF) {
            *eof = true;
            return 0;
        }
        if (ch->end == END_FAULT) {
            *err = ch->err;
            return ch->err.code;
        }
        c->pos = 0;
        atomic_store_explicit(&c->chunk, k + 1, memory_order_release);
        moved(x);
    }
}

void split_cursor_wait(struct split_cursor *c, long max_ns)
{
    struct split_index *x = c->x;
    if (atomic_load(&x->progress) != c->seen)
        return;
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += max_ns % 1000000000L;
    until.tv_sec += max_ns / 1000000000L + until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&x->wake_mu);
    atomic_fetch_add(&x->sleepers, 1);
    while (atomic_load(&x->progress) == c->seen)
        if (pthread_cond_timedwait(&x->wake_cv, &x->wake_mu, &until) != 0)
            break;
    atomic_fetch_sub(&x->sleepers, 1);
    pthread_mutex_unlock(&x->wake_mu);
}

int split_cursor_next(struct split_cursor *c, const struct split_rec **out, unsigned max,
                      bool *eof, struct spu_error *err)
{
    const struct chunk *ch;
    int rc = current(c, &ch, eof, err);
    if (rc <= 0)
        return rc;
    unsigned n = ch->count - c->pos;
    if (n > max)
        n = max;
    for (unsigned i = 0; i < n; i++)
        out[i] = &ch->recs[c->pos + i];
    c->pos += n;
    return (int)n;
}

int split_cursor_span(struct split_cursor *c, struct split_span *sp, bool *eof,
                      struct spu_error *err)
{
    struct split_index *x = c->x;
    const struct chunk *ch;
    int rc = current(c, &ch, eof, err);
    if (rc <= 0)
        return rc;
    unsigned me = (unsigned)(c - x->cursors);
    const uint32_t *own = ch->own + (size_t)me * x->chunk_recs;
    unsigned nown = ch->nown[me], skip = 0;
    uint64_t bytes = ch->bytes;
    if (c->pos) { /* partly read one record at a time */
        while (skip < nown && own[skip] < c->pos)
            skip++;
        for (unsigned i = 0; i < c->pos; i++)
            bytes -= ch->recs[i].cp.caplen;
    }
    *sp = (struct split_span){ch->recs,   c->pos, ch->count, own + skip, nown - skip,
                              bytes,      ch->recs[ch->count - 1].clock};
    unsigned n = ch->count - c->pos;
    c->pos = ch->count;
    return (int)n;
}

void split_cursor_done(struct split_cursor *c)
{
    atomic_store_explicit(&c->chunk, UINT64_MAX, memory_order_release);
    moved(c->x);
}

void split_index_capture_stats(struct split_index *x, struct capture_stats *s)
{
    pthread_mutex_lock(&x->snap_mu);
    *s = x->snap;
    pthread_mutex_unlock(&x->snap_mu);
}

uint64_t split_index_chunks(const struct split_index *x)
{
    return atomic_load_explicit(&x->built, memory_order_acquire);
}

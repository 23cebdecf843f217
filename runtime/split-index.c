/* split-index.c - the shared walk of --split-read (see split-index.h). */
#include "split-index.h"

#include "dispatch-hash.h"
#include "flowkey.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define READ_BATCH 64

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
    pthread_mutex_init(&x->snap_mu, NULL);
    x->chunks = calloc(x->nchunks, sizeof(*x->chunks));
    x->cursors = aligned_alloc(64, ((ncursors * sizeof(*x->cursors) + 63) / 64) * 64 + 64);
    if (!x->chunks || !x->cursors) {
        split_index_free(x);
        return NULL;
    }
    for (unsigned i = 0; i < ncursors; i++) {
        atomic_init(&x->cursors[i].chunk, 0);
        x->cursors[i].pos = 0;
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
    free(x);
}

struct split_cursor *split_index_cursor(struct split_index *x, unsigned i)
{
    return i < x->ncursors ? &x->cursors[i] : NULL;
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
        if (k >= atomic_load_explicit(&x->built, memory_order_acquire)) {
            try_build(x);
            if (k >= atomic_load_explicit(&x->built, memory_order_acquire))
                return 0;
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
    }
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

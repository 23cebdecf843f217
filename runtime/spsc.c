/* spsc.c - bounded SPSC pointer ring (see spsc.h). */
#include "spsc.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#define CACHE_LINE 64

struct spsc {
    /* Producer line: tail it owns, and its cached copy of head. */
    _Alignas(CACHE_LINE) _Atomic size_t tail;
    size_t head_cache;
    /* Consumer line: head it owns, and its cached copy of tail. */
    _Alignas(CACHE_LINE) _Atomic size_t head;
    size_t tail_cache;
    /* Read-only after creation. */
    _Alignas(CACHE_LINE) size_t mask;
    void **slot;
};

struct spsc *spsc_new(size_t capacity)
{
    if (capacity == 0 || capacity > ((size_t)1 << 30))
        return NULL;
    size_t cap = 2;
    while (cap < capacity)
        cap <<= 1;
    struct spsc *q = aligned_alloc(CACHE_LINE, sizeof(*q));
    if (!q)
        return NULL;
    q->slot = calloc(cap, sizeof(void *));
    if (!q->slot) {
        free(q);
        return NULL;
    }
    atomic_init(&q->tail, 0);
    atomic_init(&q->head, 0);
    q->head_cache = 0;
    q->tail_cache = 0;
    q->mask = cap - 1;
    return q;
}

void spsc_free(struct spsc *q)
{
    if (!q)
        return;
    free(q->slot);
    free(q);
}

size_t spsc_push(struct spsc *q, void *const *items, size_t n)
{
    size_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
    size_t cap = q->mask + 1;
    size_t space = cap - (tail - q->head_cache);
    if (space < n) {
        q->head_cache = atomic_load_explicit(&q->head, memory_order_acquire);
        space = cap - (tail - q->head_cache);
    }
    if (n > space)
        n = space;
    for (size_t i = 0; i < n; i++)
        q->slot[(tail + i) & q->mask] = items[i];
    if (n)
        atomic_store_explicit(&q->tail, tail + n, memory_order_release);
    return n;
}

size_t spsc_pop(struct spsc *q, void **out, size_t n)
{
    size_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
    size_t avail = q->tail_cache - head;
    if (avail < n) {
        q->tail_cache = atomic_load_explicit(&q->tail, memory_order_acquire);
        avail = q->tail_cache - head;
    }
    if (n > avail)
        n = avail;
    for (size_t i = 0; i < n; i++)
        out[i] = q->slot[(head + i) & q->mask];
    if (n)
        atomic_store_explicit(&q->head, head + n, memory_order_release);
    return n;
}

size_t spsc_count(const struct spsc *q)
{
    size_t t = atomic_load_explicit(&((struct spsc *)q)->tail, memory_order_acquire);
    size_t h = atomic_load_explicit(&((struct spsc *)q)->head, memory_order_acquire);
    return t - h;
}

size_t spsc_capacity(const struct spsc *q)
{
    return q->mask + 1;
}

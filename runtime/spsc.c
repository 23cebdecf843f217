/* spsc.c - bounded SPSC pointer ring (see spsc.h). */
#include "spsc.h"

#include "grow.h"

#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define CACHE_LINE 64

struct spsc {
    /* Producer line: tail it owns, and its cached copy of head. */
    _Alignas(CACHE_LINE) _Atomic size_t tail;
    size_t head_cache;
    /* Consumer line: head it owns, and its cached copy of tail. */
    _Alignas(CACHE_LINE) _Atomic size_t head;
    size_t tail_cache;
    /* Sleepers: a side that waits sets its flag (the futex word) and the
     * other side, which reads the flag after each batch it publishes, wakes
     * it once the wait's condition holds. Written only around sleeps, so the
     * line stays shared-clean while both sides run. */
    _Alignas(CACHE_LINE) _Atomic uint32_t cons_sleep;
    _Atomic uint32_t prod_sleep;
    _Atomic size_t cons_want; /* items the sleeping consumer waits for */
    _Atomic size_t prod_want; /* free slots the sleeping producer waits for */
    /* Read-only after creation. */
    _Alignas(CACHE_LINE) size_t mask;
    void **slot;
};

struct spsc *spsc_new(size_t capacity)
{
    if (capacity == 0 || capacity > ((size_t)1 << 30))
        return NULL;
    size_t cap = spu_grow_cap(0, capacity, 2, (size_t)1 << 30);
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
    atomic_init(&q->cons_sleep, 0);
    atomic_init(&q->prod_sleep, 0);
    atomic_init(&q->cons_want, 1);
    atomic_init(&q->prod_want, 1);
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

static void futex_wake(_Atomic uint32_t *word)
{
    atomic_store_explicit(word, 0, memory_order_relaxed);
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Sleep while *word is still 1, at most timeout_ns (a wake can be missed
 * only if the waker ran before the flag was set, which the caller's check
 * after setting it covers; the timeout bounds any other surprise). */
static void futex_wait(_Atomic uint32_t *word, long timeout_ns)
{
    struct timespec ts = {timeout_ns / 1000000000, timeout_ns % 1000000000};
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, 1, &ts, NULL, 0);
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
    if (n) {
        atomic_store_explicit(&q->tail, tail + n, memory_order_release);
        /* pairs with the fence in spsc_wait_items: the consumer sees the new
         * tail or this side sees its flag */
        atomic_thread_fence(memory_order_seq_cst);
        if (atomic_load_explicit(&q->cons_sleep, memory_order_relaxed) &&
            tail + n - atomic_load_explicit(&q->head, memory_order_acquire) >=
                atomic_load_explicit(&q->cons_want, memory_order_relaxed))
            futex_wake(&q->cons_sleep);
    }
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
    if (n) {
        atomic_store_explicit(&q->head, head + n, memory_order_release);
        atomic_thread_fence(memory_order_seq_cst); /* pairs with spsc_wait_space's */
        if (atomic_load_explicit(&q->prod_sleep, memory_order_relaxed) &&
            q->mask + 1 - (atomic_load_explicit(&q->tail, memory_order_acquire) - head - n) >=
                atomic_load_explicit(&q->prod_want, memory_order_relaxed))
            futex_wake(&q->prod_sleep);
    }
    return n;
}

void spsc_wait_items(struct spsc *q, size_t want, long timeout_ns)
{
    if (want == 0)
        want = 1;
    if (want > q->mask + 1)
        want = q->mask + 1;
    atomic_store_explicit(&q->cons_want, want, memory_order_relaxed);
    atomic_store_explicit(&q->cons_sleep, 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
    size_t have = atomic_load_explicit(&q->tail, memory_order_acquire) -
                  atomic_load_explicit(&q->head, memory_order_relaxed);
    if (have < want)
        futex_wait(&q->cons_sleep, timeout_ns);
    atomic_store_explicit(&q->cons_sleep, 0, memory_order_relaxed);
}

void spsc_wait_space(struct spsc *q, size_t want, long timeout_ns)
{
    if (want == 0)
        want = 1;
    if (want > q->mask + 1)
        want = q->mask + 1;
    atomic_store_explicit(&q->prod_want, want, memory_order_relaxed);
    atomic_store_explicit(&q->prod_sleep, 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
    size_t used = atomic_load_explicit(&q->tail, memory_order_relaxed) -
                  atomic_load_explicit(&q->head, memory_order_acquire);
    if (q->mask + 1 - used < want)
        futex_wait(&q->prod_sleep, timeout_ns);
    atomic_store_explicit(&q->prod_sleep, 0, memory_order_relaxed);
}

void spsc_wake_consumer(struct spsc *q)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&q->cons_sleep, memory_order_relaxed))
        futex_wake(&q->cons_sleep);
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

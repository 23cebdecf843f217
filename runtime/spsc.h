/*
 * spsc.h - bounded single-producer/single-consumer ring of pointers.
 *
 * The work queues (dispatcher -> worker: packet descriptors) and the return
 * queues (worker -> dispatcher: the same descriptors, done) are SPSC rings,
 * as are the EVE buffer handoffs (worker -> writer thread). One thread pushes,
 * one other thread pops; no locks. C11 acquire/release atomics on a head and a
 * tail kept on separate cache lines, each side caching the other's index so
 * that a batch costs one shared-line read at most. Capacity is a power of two.
 * The ring stores pointers it does not own: spsc_free() frees the ring only.
 */
#ifndef SPU_SPSC_H
#define SPU_SPSC_H

#include <stddef.h>

struct spsc;

/* Returns a new ring holding up to `capacity` pointers (rounded up to a power
 * of two, at least 2), or NULL when out of memory or capacity is 0. */
struct spsc *spsc_new(size_t capacity);

/* Frees the ring (not the pointers left in it). NULL is a no-op. */
void spsc_free(struct spsc *q);

/* Producer: push up to n pointers from items; returns how many were pushed
 * (0 when full). Items must not be NULL. */
size_t spsc_push(struct spsc *q, void *const *items, size_t n);

/* Consumer: pop up to n pointers into out; returns how many were popped
 * (0 when empty). */
size_t spsc_pop(struct spsc *q, void **out, size_t n);

/* Blocking instead of spinning (a futex per side): on 2 cores a thread
 * that polls an empty or full queue takes the core the other side needs.
 * Consumer: sleep until at least `want` entries are queued (capped at the
 * capacity) or timeout_ns passed. Producer: sleep until at least `want`
 * slots are free, or timeout_ns. The other side wakes the sleeper from
 * spsc_push / spsc_pop when the condition holds (one fence and one load
 * per batch while nobody sleeps). Either may return early (spuriously or
 * by timeout): callers re-check. Only the queue's own consumer (producer)
 * may call spsc_wait_items (spsc_wait_space). */
void spsc_wait_items(struct spsc *q, size_t want, long timeout_ns);
void spsc_wait_space(struct spsc *q, size_t want, long timeout_ns);
/* Producer: wake a sleeping consumer now, whatever it waits for (the
 * producer has nothing more for a while: end of a batch of reading). */
void spsc_wake_consumer(struct spsc *q);

/* Number of entries (exact when called by either side with the other idle;
 * otherwise a snapshot). */
size_t spsc_count(const struct spsc *q);
size_t spsc_capacity(const struct spsc *q);

#endif

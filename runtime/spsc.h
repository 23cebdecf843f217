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

/* Number of entries (exact when called by either side with the other idle;
 * otherwise a snapshot). */
size_t spsc_count(const struct spsc *q);
size_t spsc_capacity(const struct spsc *q);

#endif

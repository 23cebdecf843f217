/*
 * shaper.h - the queuing engine of inline modes (docs/inline.md
 * "Queuing"): the classes the loaded bundles declare (`queue NAME rate
 * RATE [burst B] [priority P];`, bundle section QUEUE) and, for each, a
 * token bucket and two FIFOs of held packets (one per direction, so that
 * a flow's ACKs do not wait behind its data).
 *
 * A flow given a class by Queue(NAME) (flow.qclass, set by the rule
 * engine) has its accepted packets held by the dispatcher (shaper_hold)
 * instead of being let through at once; each dispatcher step releases
 * (shaper_release) the head packets of every class whose bucket holds
 * tokens, classes of lower priority value first. A bucket fills at the
 * class's rate up to its burst; a released packet takes its length in
 * bytes (the bucket may go below zero by one packet, so the average rate
 * is exact). Memory is bounded: each FIFO holds at most the largest of 4
 * bursts, half a second at the rate and 64 KiB, and 512 packets, and the
 * shaper at most 2048 packets in all (half of an inline backend's slots);
 * over a bound the oldest packets of the FIFO are dropped (head drop: the
 * sender learns of the loss a queue's delay sooner) and counted.
 *
 * Class ids are 1-based positions in the shaper (0: none), fixed when the
 * run starts from the bundles loaded then; a class name declared by two
 * bundles is one class (the first declaration's parameters). shaper_find
 * may be called from any thread; hold, release and flush only from the
 * dispatcher's.
 */
#ifndef SPU_SHAPER_H
#define SPU_SHAPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct shaper;
struct spu_bundle;
struct pkt;

enum { SHAPER_MAX_CLASSES = 64, SHAPER_FIFO_PKTS = 512, SHAPER_HELD_MAX = 2048 };

/* The classes of bundles b[0..n) (NULL entries skipped). Returns new, or
 * NULL when they declare none or when out of memory (*nomem set). */
struct shaper *shaper_new(struct spu_bundle *const *b, unsigned n, bool *nomem);
void shaper_free(struct shaper *s);

/* The 1-based id of class `name` (len bytes), or 0. */
unsigned shaper_find(const struct shaper *s, const char *name, size_t len);

/* Hold p (p->qclass: class id, p->qdir: 0 to server, 1 to client; len: its
 * bytes) until its class may send it. When its FIFO is full, the oldest
 * packets held there are dropped first (drop(ctx, q) for each, counted).
 * false: p cannot be held (no such class, or larger than a whole FIFO)
 * and is to be dropped (counted). */
bool shaper_hold(struct shaper *s, struct pkt *p, uint32_t len, int64_t now_ns,
                 void (*drop)(void *ctx, struct pkt *p), void *ctx);

/* Release every held packet whose class has tokens at now_ns, calling
 * fn(ctx, p) for each in release order. Returns how many. */
unsigned shaper_release(struct shaper *s, int64_t now_ns, void (*fn)(void *ctx, struct pkt *p),
                        void *ctx);

/* Release everything held, in order (the run stops). */
void shaper_flush(struct shaper *s, void (*fn)(void *ctx, struct pkt *p), void *ctx);

/* Packets held now. */
unsigned shaper_held(const struct shaper *s);

struct shaper_class_counts {
    const char *name;
    uint64_t rate_bps;
    uint32_t burst, priority;
    uint64_t packets, bytes; /* released */
    uint64_t dropped;        /* over a bound */
    uint32_t max_held;       /* most packets held at once */
};

/* Counters of class `id` (1-based); false when there is no such class. */
bool shaper_class_counts(const struct shaper *s, unsigned id, struct shaper_class_counts *out);
unsigned shaper_nclasses(const struct shaper *s);

#endif

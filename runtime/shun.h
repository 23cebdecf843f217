/*
 * shun.h - addresses shunned by the Shun action: for a duration of packet
 * time, the rule engine ignores every event whose source is one of them
 * (detection mode; an inline mode would drop them), on every worker.
 *
 * A fixed-size open-addressing table (bounded memory: `cap` addresses; a
 * full table first reuses expired slots, then refuses, counted) behind a
 * reader-writer lock; an atomic count of live entries lets the per-event
 * check skip the lock entirely while nothing is shunned.
 *
 * Thread-safe except _new/_free (main thread).
 */
#ifndef SPU_SHUN_H
#define SPU_SHUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct shun_table;

/* Returns new (cap addresses, 0: 65536), or NULL. */
struct shun_table *shun_new(size_t cap);
void shun_free(struct shun_table *t);

/* Shun `ip` (16 bytes, IPv4 as ::ffff:a.b.c.d) until until_ms (packet
 * time; now_ms is the current packet time, slots expired by then are
 * reused); an existing entry is extended, never shortened. SPU_OK or
 * SPU_ELIMIT (table full of live entries). */
int shun_add(struct shun_table *t, const uint8_t ip[16], int64_t now_ms, int64_t until_ms);

/* True while `ip` is shunned at now_ms. */
bool shun_check(struct shun_table *t, const uint8_t ip[16], int64_t now_ms);

/* Ends the shun of `ip` (the control interface): its slot stays in its
 * probe chain, expired. SPU_OK, or SPU_ENOTFOUND when ip is not shunned
 * at now_ms. */
int shun_remove(struct shun_table *t, const uint8_t ip[16], int64_t now_ms);

/* Calls fn for each address shunned at now_ms, in table order, under the
 * read lock (fn must not call into t). Returns how many. */
size_t shun_foreach(struct shun_table *t, int64_t now_ms,
                    void (*fn)(void *ctx, const uint8_t ip[16], int64_t until_ms), void *ctx);

/* Counters: entries ever added, refused adds, removed, checks that hit. */
struct shun_counts {
    uint64_t added, refused, removed, hits, live; /* live: slots in use, expired included */
};
void shun_counts(struct shun_table *t, struct shun_counts *out);

#endif

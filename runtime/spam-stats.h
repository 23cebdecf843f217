/*
 * spam-stats.h - the `spu.state` and `spu.report` objects of the stats
 * record (docs/spam.md): the state store's and the count publisher's
 * counters. Called by the thread that writes stats.
 */
#ifndef SPU_SPAM_STATS_H
#define SPU_SPAM_STATS_H

#include <jansson.h>

struct state_store;
struct report;

/* The store's counters: {backend, entries, ...} (new). */
json_t *spam_stats_state(struct state_store *s);
/* Add "state" (when s) and "report" (when r) to the object spu. */
void spam_stats_add(json_t *spu, struct state_store *s, struct report *r);
/* Add "eve_redis" (--eve-redis) when e. */
struct eve_redis;
void spam_stats_eve_redis(json_t *spu, struct eve_redis *e);

#endif

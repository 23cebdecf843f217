/* spam-stats.c - state store, publisher and EVE exporter counters as JSON
 * (spam-stats.h). Each object is one table of (name, offset) over its
 * stats struct, so a counter is added in one place: its struct and a row. */
#include "spam-stats.h"

#include "eve-redis.h"
#include "report.h"
#include "state.h"

#include <stddef.h>
#include <stdint.h>

struct counter {
    const char *name;
    size_t off; /* of a uint64_t in the stats struct */
};

/* clang-format off */
#define ROW(type, field) {#field, offsetof(struct type, field)}
/* clang-format on */

static const struct counter state_rows[] = {
    ROW(state_stats, entries),      ROW(state_stats, evicted),   ROW(state_stats, expired),
    ROW(state_stats, ops),          ROW(state_stats, errors),    ROW(state_stats, reconnects),
    ROW(state_stats, list_updates), ROW(state_stats, fallbacks), ROW(state_stats, resyncs),
    ROW(state_stats, restored),
};

static const struct counter report_rows[] = {
    ROW(report_stats, counted), ROW(report_stats, records),    ROW(report_stats, dropped),
    ROW(report_stats, errors),  ROW(report_stats, reconnects), ROW(report_stats, flushes),
};

static const struct counter eve_redis_rows[] = {
    ROW(eve_redis_stats, sent),        ROW(eve_redis_stats, spooled),
    ROW(eve_redis_stats, replayed),    ROW(eve_redis_stats, dropped),
    ROW(eve_redis_stats, errors),      ROW(eve_redis_stats, reconnects),
    ROW(eve_redis_stats, spool_bytes),
};

#define NROWS(t) (sizeof(t) / sizeof((t)[0]))

/* every counter of each struct has its row */
_Static_assert(sizeof(struct state_stats) == NROWS(state_rows) * sizeof(uint64_t),
               "a state_stats counter without a row");
_Static_assert(sizeof(struct report_stats) == NROWS(report_rows) * sizeof(uint64_t),
               "a report_stats counter without a row");
_Static_assert(sizeof(struct eve_redis_stats) == NROWS(eve_redis_rows) * sizeof(uint64_t),
               "an eve_redis_stats counter without a row");

/* Add the table's counters of the struct at st to o, in the table's order. */
static void put_rows(json_t *o, const void *st, const struct counter *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const uint64_t *v = (const uint64_t *)((const char *)st + rows[i].off);
        json_object_set_new(o, rows[i].name, json_integer((json_int_t)*v));
    }
}

json_t *spam_stats_state(struct state_store *s)
{
    struct state_stats st;
    state_store_stats(s, &st);
    json_t *o = json_object();
    json_object_set_new(o, "backend", json_string(state_store_backend(s)));
    put_rows(o, &st, state_rows, NROWS(state_rows));
    return o;
}

void spam_stats_add(json_t *spu, struct state_store *s, struct report *r)
{
    if (s)
        json_object_set_new(spu, "state", spam_stats_state(s));
    if (r) {
        struct report_stats rs;
        report_stats(r, &rs);
        json_t *o = json_object();
        put_rows(o, &rs, report_rows, NROWS(report_rows));
        json_object_set_new(spu, "report", o);
    }
}

void spam_stats_eve_redis(json_t *spu, struct eve_redis *e)
{
    if (!e)
        return;
    struct eve_redis_stats st;
    eve_redis_stats(e, &st);
    json_t *o = json_object();
    put_rows(o, &st, eve_redis_rows, NROWS(eve_redis_rows));
    json_object_set_new(spu, "eve_redis", o);
}

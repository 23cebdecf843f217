/* spam-stats.c - state store and publisher counters as JSON (spam-stats.h). */
#include "spam-stats.h"

#include "eve-redis.h"
#include "report.h"
#include "state.h"

static void put(json_t *o, const char *k, uint64_t v)
{
    json_object_set_new(o, k, json_integer((json_int_t)v));
}

void spam_stats_add(json_t *spu, struct state_store *s, struct report *r)
{
    if (s) {
        struct state_stats st;
        state_store_stats(s, &st);
        json_t *o = json_object();
        json_object_set_new(o, "backend", json_string(state_store_backend(s)));
        put(o, "entries", st.entries);
        put(o, "evicted", st.evicted);
        put(o, "expired", st.expired);
        put(o, "ops", st.ops);
        put(o, "errors", st.errors);
        put(o, "reconnects", st.reconnects);
        put(o, "list_updates", st.list_updates);
        put(o, "fallbacks", st.fallbacks);
        put(o, "resyncs", st.resyncs);
        put(o, "restored", st.restored);
        json_object_set_new(spu, "state", o);
    }
    if (r) {
        struct report_stats rs;
        report_stats(r, &rs);
        json_t *o = json_object();
        put(o, "counted", rs.counted);
        put(o, "records", rs.records);
        put(o, "dropped", rs.dropped);
        put(o, "errors", rs.errors);
        put(o, "reconnects", rs.reconnects);
        put(o, "flushes", rs.flushes);
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
    put(o, "sent", st.sent);
    put(o, "spooled", st.spooled);
    put(o, "replayed", st.replayed);
    put(o, "dropped", st.dropped);
    put(o, "errors", st.errors);
    put(o, "reconnects", st.reconnects);
    put(o, "spool_bytes", st.spool_bytes);
    json_object_set_new(spu, "eve_redis", o);
}

/* monitor.c - spurun's monitor mode (monitor.h). */
#include "monitor.h"

#include "bundle.h"
#include "config.h"
#include "detect.h"
#include "err.h"
#include "eve-redis.h"
#include "eve.h"
#include "output.h"
#include "rconn.h"
#include "spam-stats.h"
#include "state.h"
#include "stats.h"
#include "value.h"

#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct mon {
    const struct config *cfg;
    struct spu_bundle *bundles[CONFIG_MAX_BUNDLES];
    struct output *out;
    struct state_store *state;
    struct detect_engine *eng;
    struct detect_worker *w;
    struct eve_writer eve;
    struct eve_redis *eve_redis; /* --eve-redis: the output's tap */
    struct rconn conn;
    uint64_t ms, seq; /* last id read: ms-seq */
    bool have_id;
    int64_t t_start;
    struct monitor_report *rep;
};

static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int parse_id(const char *s, uint64_t *ms, uint64_t *seq)
{
    char *end;
    *ms = strtoull(s, &end, 10);
    if (*end != '-')
        return SPU_EFORMAT;
    *seq = strtoull(end + 1, &end, 10);
    return *end ? SPU_EFORMAT : SPU_OK;
}

/* The newest id of the stream (0-0 when empty or absent); SPU_EIO. */
static int top_id(struct mon *m, redisContext *c, uint64_t *ms, uint64_t *seq)
{
    redisReply *r = redisCommand(c, "XREVRANGE %s + - COUNT 1", m->conn.url.stream);
    if (!r)
        return SPU_EIO;
    *ms = *seq = 0;
    int rc = SPU_OK;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
        r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements >= 1)
        rc = parse_id(r->element[0]->element[0]->str, ms, seq);
    else if (r->type == REDIS_REPLY_ERROR)
        rc = SPU_EIO;
    freeReplyObject(r);
    return rc;
}

static void on_entry(struct mon *m, redisReply *e)
{
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
        e->element[0]->type != REDIS_REPLY_STRING || e->element[1]->type != REDIS_REPLY_ARRAY)
        return;
    uint64_t ms, seq;
    if (parse_id(e->element[0]->str, &ms, &seq) == SPU_OK) {
        m->ms = ms;
        m->seq = seq;
        m->have_id = true;
    }
    m->rep->records++;
    struct detect_monitor_rec rec = {0};
    bool src = false, cnt = false;
    redisReply *f = e->element[1];
    for (size_t i = 0; i + 1 < f->elements; i += 2) {
        const char *k = f->element[i]->str, *v = f->element[i + 1]->str;
        if (!k || !v)
            continue;
        if (strcmp(k, "sensor") == 0) {
            rec.sensor = v;
        } else if (strcmp(k, "src") == 0) {
            uint32_t prefix;
            src = spu_ip_parse(v, strlen(v), rec.src, &rec.family, &prefix) == SPU_OK;
        } else if (strcmp(k, "count") == 0) {
            rec.count = strtoll(v, NULL, 10);
            cnt = rec.count > 0;
        } else if (strcmp(k, "window") == 0) {
            rec.window_ms = strtoll(v, NULL, 10);
        } else if (strcmp(k, "ts") == 0) {
            rec.ts_ms = strtoll(v, NULL, 10);
        }
    }
    if (!src || !cnt || rec.ts_ms <= 0) {
        m->rep->bad_records++;
        return;
    }
    rec.recv_ms = wall_ns() / 1000000;
    detect_worker_monitor(m->w, &rec);
    m->rep->events++;
}

/* One XREAD (blocking up to 200 ms). */
static void step(struct mon *m)
{
    bool fresh = false;
    bool was_up = m->conn.was_up;
    redisContext *c = rconn_get(&m->conn, &fresh);
    if (!c) {
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
        return;
    }
    if (fresh) {
        if (was_up)
            m->rep->reconnects++;
        uint64_t ms, seq;
        if (top_id(m, c, &ms, &seq) != SPU_OK) {
            rconn_fail(&m->conn);
            m->rep->errors++;
            return;
        }
        /* first connection: from the end; later: go on, or from the start
         * when the stream is older than what was read (a new server) */
        if (!m->have_id || ms < m->ms || (ms == m->ms && seq < m->seq)) {
            m->ms = m->have_id ? 0 : ms;
            m->seq = m->have_id ? 0 : seq;
            m->have_id = true;
        }
    }
    char id[64];
    snprintf(id, sizeof(id), "%llu-%llu", (unsigned long long)m->ms, (unsigned long long)m->seq);
    const char *argv[] = {"XREAD", "COUNT", "1000", "BLOCK", "200", "STREAMS", m->conn.url.stream,
                          id};
    redisReply *r = redisCommandArgv(c, 8, argv, NULL);
    if (!r) {
        rconn_fail(&m->conn);
        m->rep->errors++;
        return;
    }
    if (r->type == REDIS_REPLY_ARRAY)
        for (size_t s = 0; s < r->elements; s++) {
            redisReply *st = r->element[s];
            if (st->type == REDIS_REPLY_ARRAY && st->elements == 2 &&
                st->element[1]->type == REDIS_REPLY_ARRAY)
                for (size_t k = 0; k < st->element[1]->elements; k++)
                    on_entry(m, st->element[1]->element[k]);
        }
    else if (r->type == REDIS_REPLY_ERROR)
        m->rep->errors++;
    freeReplyObject(r);
    output_producer_flush(output_producer(m->out, 0));
}

static void emit_stats(struct mon *m)
{
    struct stats_block sb;
    stats_block_init(&sb);
    json_t *spu = json_object();
    json_t *mo = json_object();
    json_object_set_new(mo, "records", json_integer((json_int_t)m->rep->records));
    json_object_set_new(mo, "bad_records", json_integer((json_int_t)m->rep->bad_records));
    json_object_set_new(mo, "events", json_integer((json_int_t)m->rep->events));
    json_object_set_new(mo, "reconnects", json_integer((json_int_t)m->rep->reconnects));
    json_object_set_new(mo, "errors", json_integer((json_int_t)m->rep->errors));
    json_object_set_new(spu, "monitor", mo);
    json_object_set_new(spu, "detect", detect_engine_stats(m->eng, 0));
    spam_stats_add(spu, m->state, NULL);
    spam_stats_eve_redis(spu, m->eve_redis);
    int64_t now = wall_ns();
    eve_stats(&m->eve, now, (now - m->t_start) / 1000000000, &sb, json_object(), spu);
    output_producer_flush(m->eve.out);
}

static void mon_free(struct mon *m)
{
    detect_worker_free(m->w);
    detect_engine_free(m->eng);
    state_store_free(m->state);
    rconn_fini(&m->conn);
    eve_writer_fini(&m->eve);
    if (m->out)
        output_close(m->out, NULL);
    eve_redis_free(m->eve_redis, 2000); /* after the writer stopped */
    for (unsigned i = 0; i < CONFIG_MAX_BUNDLES; i++)
        spu_bundle_unref(m->bundles[i]);
}

int monitor_run(const struct config *c, volatile sig_atomic_t *stop, struct monitor_report *rep,
                struct spu_error *err)
{
    struct mon mm;
    struct mon *m = &mm;
    memset(m, 0, sizeof(*m));
    memset(rep, 0, sizeof(*rep));
    m->cfg = c;
    m->rep = rep;
    m->t_start = wall_ns();
    struct rconn_url u;
    if (rconn_url_parse(c->monitor_url, &u, "--monitor", err) != SPU_OK)
        return SPU_EINVAL;
    if (!u.stream[0])
        return spu_error_set(err, SPU_EINVAL, "--monitor: expected redis://HOST:PORT/STREAM");
    if (!c->nbundles)
        return spu_error_set(err, SPU_EINVAL, "--monitor needs a bundle (-b, rules/spam.spr)");
    rconn_init(&m->conn, &u);
    const char *names[CONFIG_MAX_BUNDLES];
    for (unsigned i = 0; i < c->nbundles; i++) {
        names[i] = c->bundles[i].name;
        if (!(m->bundles[i] = spu_bundle_load_file(c->bundles[i].path, NULL, err)))
            goto fail;
    }
    struct state_cfg scfg = {c->state_url, c->state_max};
    if (!(m->state = state_store_new(&scfg, err)))
        goto fail;
    if (!(m->out = output_open(c->eve_path, 2, err)))
        goto fail;
    if (c->eve_redis) {
        /* the monitor is live: a full spool drops (counted) */
        m->eve_redis =
            eve_redis_new(c->eve_redis, c->eve_spool, c->eve_spool_cap, false, stop, err);
        if (!m->eve_redis)
            goto fail;
        output_set_sink(m->out, eve_redis_tap, m->eve_redis);
    }
    m->eve.out = output_producer(m->out, 1);
    m->eve.worker = -1;
    m->eve.thread = "main";
    struct detect_cfg dcfg = {.rule_budget = c->rule_budget,
                              .classification = c->classification,
                              .explain = c->explain,
                              .state = m->state,
                              .state_url = c->state_url,
                              .state_max = c->state_max,
                              .sensor_name = c->sensor_name};
    if (!(m->eng = detect_engine_new(&dcfg, m->bundles, names, c->nbundles, 1, err)))
        goto fail;
    if (!(m->w = detect_worker_new(m->eng, 0, output_producer(m->out, 0), NULL, err)))
        goto fail;
    int64_t next_stats =
        c->stats_interval ? wall_ns() + (int64_t)c->stats_interval * 1000000000 : INT64_MAX;
    while (!*stop) {
        step(m);
        if (wall_ns() >= next_stats) {
            emit_stats(m);
            next_stats = wall_ns() + (int64_t)c->stats_interval * 1000000000;
        }
    }
    emit_stats(m);
    mon_free(m);
    return SPU_OK;
fail:;
    int code = err->code ? err->code : SPU_ENOMEM;
    mon_free(m);
    return code;
}

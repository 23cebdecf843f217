/* report.c - the sensor's count publisher (report.h). */
#include "report.h"

#include "err.h"
#include "rconn.h"
#include "value.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPORT_CAP 65536u /* sources per table (a power of two) */
#define STREAM_MAXLEN "100000"

struct rent {
    uint8_t ip[16];
    uint16_t family;
    bool used;
    int64_t count, first_ts, last_ts;
};

struct table {
    struct rent *e;
    unsigned n;
};

struct report {
    struct rconn conn; /* the thread's */
    char sensor[128];
    unsigned interval_ms;
    pthread_mutex_t mu;
    struct table cur, out; /* cur: filled by workers; out: being sent */
    pthread_t thr;
    bool started;
    atomic_bool stop;
    _Atomic uint64_t counted, records, dropped, errors, reconnects, flushes;
};

static uint32_t ip_hash(const uint8_t ip[16])
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < 16; i++)
        h = (h ^ ip[i]) * 16777619u;
    return h;
}

/* Add `count` connections between first and last to t; false when full. */
static bool table_add(struct table *t, const uint8_t ip[16], uint16_t fam, int64_t count,
                      int64_t first, int64_t last)
{
    uint32_t i = ip_hash(ip) & (REPORT_CAP - 1);
    for (unsigned probe = 0; probe < REPORT_CAP; probe++, i = (i + 1) & (REPORT_CAP - 1)) {
        struct rent *e = &t->e[i];
        if (e->used && memcmp(e->ip, ip, 16) == 0) {
            e->count += count;
            if (first < e->first_ts)
                e->first_ts = first;
            if (last > e->last_ts)
                e->last_ts = last;
            return true;
        }
        if (!e->used) {
            if (t->n >= REPORT_CAP * 3 / 4)
                return false;
            memcpy(e->ip, ip, 16);
            e->family = fam;
            e->used = true;
            e->count = count;
            e->first_ts = first;
            e->last_ts = last;
            t->n++;
            return true;
        }
    }
    return false;
}

int report_add(void *ctx, const uint8_t ip[16], uint16_t family, int64_t ts_ms)
{
    struct report *r = ctx;
    pthread_mutex_lock(&r->mu);
    bool ok = table_add(&r->cur, ip, family, 1, ts_ms, ts_ms);
    pthread_mutex_unlock(&r->mu);
    atomic_fetch_add_explicit(ok ? &r->counted : &r->dropped, 1, memory_order_relaxed);
    return ok ? SPU_OK : SPU_ELIMIT;
}

/* Send r->out as one pipeline; SPU_OK or SPU_EIO (nothing known sent). */
static int send_out(struct report *r)
{
    bool fresh = false;
    bool was_up = r->conn.was_up;
    redisContext *c = rconn_get(&r->conn, &fresh);
    if (fresh && was_up)
        atomic_fetch_add(&r->reconnects, 1);
    if (!c)
        return SPU_EIO;
    unsigned sent = 0;
    for (unsigned i = 0; i < REPORT_CAP; i++) {
        const struct rent *e = &r->out.e[i];
        if (!e->used)
            continue;
        char ip[64], cnt[32], win[32], ts[32];
        if (spu_ip_format(e->ip, e->family, ip, sizeof(ip)) != SPU_OK)
            continue;
        snprintf(cnt, sizeof(cnt), "%" PRId64, e->count);
        snprintf(win, sizeof(win), "%" PRId64,
                 e->last_ts > e->first_ts ? e->last_ts - e->first_ts : 1);
        snprintf(ts, sizeof(ts), "%" PRId64, e->last_ts);
        const char *argv[] = {"XADD",        r->conn.url.stream,
                              "MAXLEN",      "~",
                              STREAM_MAXLEN, "*",
                              "sensor",      r->sensor,
                              "src",         ip,
                              "count",       cnt,
                              "window",      win,
                              "ts",          ts};
        if (redisAppendCommandArgv(c, 16, argv, NULL) != REDIS_OK)
            goto fail;
        sent++;
    }
    for (unsigned k = 0; k < sent; k++) {
        void *rep = NULL;
        if (redisGetReply(c, &rep) != REDIS_OK || !rep)
            goto fail;
        int bad = ((redisReply *)rep)->type == REDIS_REPLY_ERROR;
        bool away = rconn_not_ready(rep); /* the counts go with the next interval */
        freeReplyObject(rep);
        if (away)
            goto fail;
        if (bad)
            atomic_fetch_add(&r->errors, 1);
    }
    atomic_fetch_add(&r->records, sent);
    return SPU_OK;
fail:
    /* some may have been added before the connection broke: the monitor's
     * token buckets then see them twice, which errs on the side of caution */
    rconn_fail(&r->conn);
    atomic_fetch_add(&r->errors, 1);
    return SPU_EIO;
}

static void flush(struct report *r)
{
    pthread_mutex_lock(&r->mu);
    struct table t = r->cur;
    r->cur = r->out;
    r->out = t;
    pthread_mutex_unlock(&r->mu);
    if (r->out.n == 0)
        return;
    atomic_fetch_add(&r->flushes, 1);
    if (send_out(r) != SPU_OK) {
        /* keep the counts: they go out with the next interval */
        pthread_mutex_lock(&r->mu);
        for (unsigned i = 0; i < REPORT_CAP; i++) {
            const struct rent *e = &r->out.e[i];
            if (e->used && !table_add(&r->cur, e->ip, e->family, e->count, e->first_ts, e->last_ts))
                atomic_fetch_add(&r->dropped, (uint64_t)e->count);
        }
        pthread_mutex_unlock(&r->mu);
    }
    memset(r->out.e, 0, REPORT_CAP * sizeof(*r->out.e));
    r->out.n = 0;
}

static void *publisher(void *arg)
{
    struct report *r = arg;
    while (!atomic_load(&r->stop)) {
        struct timespec ts = {0, 20 * 1000000};
        for (unsigned waited = 0; waited < r->interval_ms && !atomic_load(&r->stop); waited += 20)
            nanosleep(&ts, NULL);
        flush(r);
    }
    return NULL;
}

struct report *report_new(const char *url, const char *sensor, unsigned interval_ms,
                          struct spu_error *err)
{
    struct rconn_url u;
    if (rconn_url_parse(url, &u, "--report", err) != SPU_OK)
        return NULL;
    if (!u.stream[0]) {
        spu_error_set(err, SPU_EINVAL, "--report: expected redis://HOST:PORT/STREAM");
        return NULL;
    }
    struct report *r = calloc(1, sizeof(*r));
    if (!r)
        goto nomem;
    rconn_init(&r->conn, &u);
    snprintf(r->sensor, sizeof(r->sensor), "%s", sensor ? sensor : "sensor");
    r->interval_ms = interval_ms ? interval_ms : 500;
    pthread_mutex_init(&r->mu, NULL);
    r->cur.e = calloc(REPORT_CAP, sizeof(struct rent));
    r->out.e = calloc(REPORT_CAP, sizeof(struct rent));
    if (!r->cur.e || !r->out.e)
        goto nomem;
    if (pthread_create(&r->thr, NULL, publisher, r) != 0)
        goto nomem;
    r->started = true;
    return r;
nomem:
    report_free(r);
    spu_error_set(err, SPU_ENOMEM, "--report: out of memory");
    return NULL;
}

void report_free(struct report *r)
{
    if (!r)
        return;
    if (r->started) {
        atomic_store(&r->stop, true);
        pthread_join(r->thr, NULL);
        flush(r); /* the last interval */
    }
    rconn_fini(&r->conn);
    free(r->cur.e);
    free(r->out.e);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

void report_stats(struct report *r, struct report_stats *o)
{
    o->counted = atomic_load(&r->counted);
    o->records = atomic_load(&r->records);
    o->dropped = atomic_load(&r->dropped);
    o->errors = atomic_load(&r->errors);
    o->reconnects = atomic_load(&r->reconnects);
    o->flushes = atomic_load(&r->flushes);
}

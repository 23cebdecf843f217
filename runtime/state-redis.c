/* state-redis.c - the Redis state backend (state.h, docs/spam.md).
 *
 * Buckets, sliding windows and scores are updated atomically on the server
 * by Lua scripts (EVAL), so every spurun that names the same server shares
 * them. Lists are sorted sets `spu:l:NAME` (member: the key, score: its
 * expiry in event ms); each change is published on the channel `spu:lists`
 * ("NAME\tKEY\tEXPIRY", 0 = removed). A subscriber thread keeps a local
 * mirror of every list (the memory backend): ListHas() reads the mirror
 * only, so enforcement costs no round trip and goes on while Redis is
 * away. After each (re)connection the mirror is resynchronised from the
 * sorted sets listed in the set `spu:lists`.
 *
 * While the server is unreachable every request is answered from the
 * local store (counted `fallbacks`), and connections are retried with
 * backoff (rconn.h). Keys on the server: spu:b:KEY, spu:c:WINDOW:KEY,
 * spu:s:KEY expire (PEXPIRE) once they would be equal to a new entry;
 * lists keep at most max_entries members (the earliest to expire go). */
#include "state.h"

#include "err.h"
#include "rconn.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY_MS ((int64_t)86400000)
#define CHANNEL "spu:lists"

static const char lua_bucket[] =
    "local rate = tonumber(ARGV[1]) / tonumber(ARGV[3])\n"
    "local burst = tonumber(ARGV[2])\n"
    "local n = tonumber(ARGV[4])\n"
    "local now = tonumber(ARGV[5])\n"
    "local s = redis.call('HMGET', KEYS[1], 'tok', 'ts')\n"
    "local tok = tonumber(s[1])\n"
    "local ts = tonumber(s[2])\n"
    "if not tok then tok = burst; ts = now end\n"
    "if now > ts then tok = math.min(burst, tok + (now - ts) * rate); ts = now end\n"
    "local over = 0\n"
    "if tok < n then over = 1 else tok = tok - n end\n"
    "redis.call('HMSET', KEYS[1], 'tok', tostring(tok), 'ts', tostring(ts))\n"
    "redis.call('PEXPIRE', KEYS[1], math.floor((burst - tok) / rate) + 60000)\n"
    "return over\n";

static const char lua_count[] =
    "local w = tonumber(ARGV[1])\n"
    "local n = tonumber(ARGV[2])\n"
    "local now = tonumber(ARGV[3])\n"
    "local start = now - (now % w)\n"
    "local s = redis.call('HMGET', KEYS[1], 'cur', 'prv', 't')\n"
    "local cur = tonumber(s[1]) or 0\n"
    "local prv = tonumber(s[2]) or 0\n"
    "local t = tonumber(s[3]) or start\n"
    "if start >= t + 2 * w then prv = 0; cur = 0; t = start\n"
    "elseif start >= t + w then prv = cur; cur = 0; t = start end\n"
    "cur = cur + n\n"
    "local into = now - t\n"
    "if into < 0 then into = 0 end\n"
    "if into > w then into = w end\n"
    "redis.call('HMSET', KEYS[1], 'cur', cur, 'prv', prv, 't', tostring(t))\n"
    "redis.call('PEXPIRE', KEYS[1], 2 * w + 60000)\n"
    "return cur + math.floor(prv * (w - into) / w)\n";

/* KEYS[1] zset; ARGV: member, expiry, list name, now, max members */
static const char lua_list_add[] =
    "local old = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]))\n"
    "redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])\n"
    "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[4])\n"
    "local extra = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[5])\n"
    "if extra > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, extra - 1) end\n"
    "redis.call('SADD', '" CHANNEL "', ARGV[3])\n"
    "redis.call('PUBLISH', '" CHANNEL "', ARGV[3] .. '\\t' .. ARGV[1] .. '\\t' .. ARGV[2])\n"
    "if old and old > tonumber(ARGV[4]) then return 0 end\n"
    "return 1\n";

static const char lua_list_del[] =
    "local r = redis.call('ZREM', KEYS[1], ARGV[1])\n"
    "redis.call('PUBLISH', '" CHANNEL "', ARGV[2] .. '\\t' .. ARGV[1] .. '\\t0')\n"
    "return r\n";

/* resync: a mirror entry the server lost (a restart without persistence)
 * goes back; KEYS[1] zset; ARGV: member, expiry, list name */
static const char lua_list_restore[] =
    "local c = redis.call('ZADD', KEYS[1], 'GT', 'CH', ARGV[2], ARGV[1])\n"
    "redis.call('SADD', '" CHANNEL "', ARGV[3])\n"
    "if c > 0 then\n"
    "  redis.call('PUBLISH', '" CHANNEL "', ARGV[3] .. '\\t' .. ARGV[1] .. '\\t' .. ARGV[2])\n"
    "end\n"
    "return c\n";

static const char lua_score_add[] = "local v = redis.call('INCRBY', KEYS[1], ARGV[1])\n"
                                    "redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
                                    "return v\n";

struct rstate {
    pthread_mutex_t mu; /* cmd */
    struct rconn cmd;
    void *mirror; /* lists (always), everything while Redis is away */
    size_t max_entries;
    pthread_t sub_thr;
    bool sub_started;
    atomic_bool stop;
    struct rconn sub; /* the subscriber thread's */
    _Atomic uint64_t ops, errors, fallbacks, list_updates, resyncs, reconnects, restored;
    _Atomic int64_t latest_ms; /* the latest event time of a request */
};

/* Run one command on the command connection: SPU_OK with *out (an integer
 * reply), SPU_EIO when the server is unreachable or answered an error. */
static int command(struct rstate *rs, int argc, const char **argv, const size_t *lens,
                   long long *out)
{
    pthread_mutex_lock(&rs->mu);
    bool fresh = false;
    bool was_up = rs->cmd.was_up;
    redisContext *c = rconn_get(&rs->cmd, &fresh);
    if (fresh && was_up)
        atomic_fetch_add(&rs->reconnects, 1);
    int rc = SPU_EIO;
    if (c) {
        redisReply *r = redisCommandArgv(c, argc, argv, lens);
        if (!r) {
            rconn_fail(&rs->cmd);
        } else {
            if (r->type == REDIS_REPLY_INTEGER) {
                *out = r->integer;
                rc = SPU_OK;
            } else if (r->type == REDIS_REPLY_NIL) {
                *out = 0;
                rc = SPU_OK;
            } else if (r->type == REDIS_REPLY_STRING) {
                *out = strtoll(r->str, NULL, 10);
                rc = SPU_OK;
            }
            freeReplyObject(r);
        }
    }
    pthread_mutex_unlock(&rs->mu);
    if (rc != SPU_OK)
        atomic_fetch_add(&rs->errors, 1);
    return rc;
}

static int eval(struct rstate *rs, const char *script, const char *key, size_t klen,
                const char *const *args, unsigned nargs, long long *out)
{
    const char *argv[12];
    size_t lens[12];
    argv[0] = "EVAL";
    argv[1] = script;
    argv[2] = "1";
    argv[3] = key;
    lens[0] = 4;
    lens[1] = strlen(script);
    lens[2] = 1;
    lens[3] = klen;
    for (unsigned i = 0; i < nargs && i < 8; i++) {
        argv[4 + i] = args[i];
        lens[4 + i] = strlen(args[i]);
    }
    return command(rs, 4 + (int)nargs, argv, lens, out);
}

static int rkey(char *out, size_t cap, const char *prefix, const char *a, size_t alen)
{
    int n = snprintf(out, cap, "%s%.*s", prefix, (int)alen, a);
    return n < 0 || (size_t)n >= cap ? SPU_ELIMIT : n;
}

static int redis_op(void *priv, const struct state_req *r, int64_t *v)
{
    struct rstate *rs = priv;
    atomic_fetch_add_explicit(&rs->ops, 1, memory_order_relaxed);
    int64_t seen = atomic_load_explicit(&rs->latest_ms, memory_order_relaxed);
    if (r->now_ms > seen)
        atomic_compare_exchange_strong(&rs->latest_ms, &seen, r->now_ms);
    if (r->kind == STATE_LIST_HAS)
        return state_mem_ops.op(rs->mirror, r, v);
    if (r->nlen + r->klen > STATE_KEY_MAX)
        return SPU_ELIMIT;
    char key[STATE_KEY_MAX + 64], a[8][48], member[STATE_KEY_MAX + 1];
    const char *args[8] = {a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]};
    long long res = 0;
    int kl, rc = SPU_EIO;
    switch (r->kind) {
    case STATE_BUCKET:
        if (r->a <= 0 || r->b <= 0 || r->c <= 0 || r->n < 0)
            return SPU_EINVAL;
        kl = rkey(key, sizeof(key), "spu:b:", r->key, r->klen);
        snprintf(a[0], 48, "%" PRId64, r->a);
        snprintf(a[1], 48, "%" PRId64, r->b);
        snprintf(a[2], 48, "%" PRId64, r->c);
        snprintf(a[3], 48, "%" PRId64, r->n);
        snprintf(a[4], 48, "%" PRId64, r->now_ms);
        rc = eval(rs, lua_bucket, key, (size_t)kl, args, 5, &res);
        break;
    case STATE_COUNT: {
        if (r->a <= 0 || r->n < 0)
            return SPU_EINVAL;
        char pre[40];
        snprintf(pre, sizeof(pre), "spu:c:%" PRId64 ":", r->a);
        kl = rkey(key, sizeof(key), pre, r->key, r->klen);
        snprintf(a[0], 48, "%" PRId64, r->a);
        snprintf(a[1], 48, "%" PRId64, r->n);
        snprintf(a[2], 48, "%" PRId64, r->now_ms);
        rc = eval(rs, lua_count, key, (size_t)kl, args, 3, &res);
        break;
    }
    case STATE_LIST_ADD:
    case STATE_LIST_DEL: {
        kl = rkey(key, sizeof(key), "spu:l:", r->name, r->nlen);
        memcpy(member, r->key, r->klen);
        member[r->klen] = 0;
        char name[STATE_KEY_MAX + 1];
        memcpy(name, r->name, r->nlen);
        name[r->nlen] = 0;
        if (memchr(member, 0, r->klen) || memchr(name, 0, r->nlen))
            return SPU_EINVAL;
        args[0] = member;
        if (r->kind == STATE_LIST_ADD) {
            int64_t exp = r->now_ms + (r->a > 0 ? r->a : DAY_MS);
            snprintf(a[1], 48, "%" PRId64, exp);
            args[2] = name;
            snprintf(a[3], 48, "%" PRId64, r->now_ms);
            snprintf(a[4], 48, "%zu", rs->max_entries);
            rc = eval(rs, lua_list_add, key, (size_t)kl, args, 5, &res);
        } else {
            args[1] = name;
            rc = eval(rs, lua_list_del, key, (size_t)kl, args, 2, &res);
        }
        /* the mirror follows at once (the subscription will repeat it) */
        int64_t mv;
        int mrc = state_mem_ops.op(rs->mirror, r, &mv);
        if (rc != SPU_OK) {
            atomic_fetch_add(&rs->fallbacks, 1);
            *v = mv;
            return mrc;
        }
        *v = res;
        return SPU_OK;
    }
    case STATE_SCORE_ADD:
        kl = rkey(key, sizeof(key), "spu:s:", r->key, r->klen);
        snprintf(a[0], 48, "%" PRId64, r->n);
        snprintf(a[1], 48, "%" PRId64, r->a > 0 ? r->a : DAY_MS);
        rc = eval(rs, lua_score_add, key, (size_t)kl, args, 2, &res);
        break;
    case STATE_SCORE_GET: {
        kl = rkey(key, sizeof(key), "spu:s:", r->key, r->klen);
        const char *argv[2] = {"GET", key};
        size_t lens[2] = {3, (size_t)kl};
        rc = command(rs, 2, argv, lens, &res);
        break;
    }
    default:
        return SPU_EINVAL;
    }
    if (rc != SPU_OK) {
        atomic_fetch_add(&rs->fallbacks, 1);
        return state_mem_ops.op(rs->mirror, r, v);
    }
    *v = res;
    return SPU_OK;
}

/* "NAME\tKEY\tEXPIRY" from the channel, or a ZRANGE pair: into the mirror. */
static void mirror_set(struct rstate *rs, const char *name, size_t nlen, const char *key,
                       size_t klen, int64_t exp)
{
    if (state_mem_list_set(rs->mirror, name, nlen, key, klen, exp) == SPU_OK)
        atomic_fetch_add(&rs->list_updates, 1);
}

static void on_message(struct rstate *rs, const char *p, size_t n)
{
    const char *t1 = memchr(p, '\t', n);
    const char *t2 = NULL;
    for (size_t i = n; i > 0; i--)
        if (p[i - 1] == '\t') {
            t2 = p + i - 1;
            break;
        }
    if (!t1 || !t2 || t2 <= t1)
        return;
    mirror_set(rs, p, (size_t)(t1 - p), t1 + 1, (size_t)(t2 - t1 - 1), strtoll(t2 + 1, NULL, 10));
}

struct restore_ctx {
    struct rstate *rs;
    redisContext *c;
    int64_t now;
    bool failed;
};

static void restore_one(void *ctx, const char *name, size_t nlen, const char *key, size_t klen,
                        int64_t exp)
{
    struct restore_ctx *x = ctx;
    if (x->failed || exp <= x->now)
        return;
    char zk[STATE_KEY_MAX + 16], e[32];
    int zl = rkey(zk, sizeof(zk), "spu:l:", name, nlen);
    if (zl < 0)
        return;
    snprintf(e, sizeof(e), "%" PRId64, exp);
    const char *argv[] = {"EVAL", lua_list_restore, "1", zk, key, e, name};
    size_t lens[] = {4, strlen(lua_list_restore), 1, (size_t)zl, klen, strlen(e), nlen};
    redisReply *r = redisCommandArgv(x->c, 7, argv, lens);
    if (!r) {
        x->failed = true;
        return;
    }
    if (r->type == REDIS_REPLY_INTEGER && r->integer > 0)
        atomic_fetch_add(&x->rs->restored, 1);
    freeReplyObject(r);
}

/* Load every list from the server into the mirror (command connection),
 * then give the server back the unexpired entries it lacks. */
static int resync(struct rstate *rs)
{
    int rc = SPU_EIO;
    pthread_mutex_lock(&rs->mu);
    redisContext *c = rconn_get(&rs->cmd, NULL);
    redisReply *names = c ? redisCommand(c, "SMEMBERS %s", CHANNEL) : NULL;
    if (c && !names)
        rconn_fail(&rs->cmd);
    if (names && names->type == REDIS_REPLY_ARRAY) {
        rc = SPU_OK;
        for (size_t i = 0; i < names->elements && rc == SPU_OK; i++) {
            redisReply *nm = names->element[i];
            if (nm->type != REDIS_REPLY_STRING)
                continue;
            char zk[STATE_KEY_MAX + 16];
            int zl = rkey(zk, sizeof(zk), "spu:l:", nm->str, (size_t)nm->len);
            if (zl < 0)
                continue;
            const char *argv[5] = {"ZRANGE", zk, "0", "-1", "WITHSCORES"};
            size_t lens[5] = {6, (size_t)zl, 1, 2, 10};
            redisReply *z = redisCommandArgv(c, 5, argv, lens);
            if (!z) {
                rconn_fail(&rs->cmd);
                rc = SPU_EIO;
                break;
            }
            if (z->type == REDIS_REPLY_ARRAY)
                for (size_t k = 0; k + 1 < z->elements; k += 2)
                    mirror_set(rs, nm->str, (size_t)nm->len, z->element[k]->str,
                               (size_t)z->element[k]->len,
                               strtoll(z->element[k + 1]->str, NULL, 10));
            freeReplyObject(z);
        }
    }
    if (names)
        freeReplyObject(names);
    if (rc == SPU_OK) {
        struct restore_ctx x = {rs, c, atomic_load(&rs->latest_ms), false};
        state_mem_lists(rs->mirror, restore_one, &x);
        if (x.failed) {
            rconn_fail(&rs->cmd);
            rc = SPU_EIO;
        }
    }
    pthread_mutex_unlock(&rs->mu);
    if (rc == SPU_OK)
        atomic_fetch_add(&rs->resyncs, 1);
    return rc;
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static void *subscriber(void *arg)
{
    struct rstate *rs = arg;
    bool need_resync = false;
    while (!atomic_load(&rs->stop)) {
        bool fresh = false;
        bool was_up = rs->sub.was_up;
        redisContext *c = rconn_get(&rs->sub, &fresh);
        if (!c) {
            nap_ms(50);
            continue;
        }
        if (fresh) {
            if (was_up)
                atomic_fetch_add(&rs->reconnects, 1);
            redisReply *r = redisCommand(c, "SUBSCRIBE %s", CHANNEL);
            if (!r) {
                rconn_fail(&rs->sub);
                continue;
            }
            freeReplyObject(r);
            need_resync = true;
        }
        if (need_resync)
            need_resync = resync(rs) != SPU_OK;
        void *rep = NULL;
        if (redisGetReplyFromReader(c, &rep) != REDIS_OK) {
            rconn_fail(&rs->sub);
            continue;
        }
        if (!rep) {
            struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
            int pr = poll(&pfd, 1, 100);
            if (pr > 0 && redisBufferRead(c) != REDIS_OK)
                rconn_fail(&rs->sub);
            continue;
        }
        redisReply *m = rep;
        if (m->type == REDIS_REPLY_ARRAY && m->elements == 3 &&
            m->element[0]->type == REDIS_REPLY_STRING &&
            strcmp(m->element[0]->str, "message") == 0 && m->element[2]->type == REDIS_REPLY_STRING)
            on_message(rs, m->element[2]->str, (size_t)m->element[2]->len);
        freeReplyObject(m);
    }
    return NULL;
}

static void redis_stats(void *priv, struct state_stats *o)
{
    struct rstate *rs = priv;
    state_mem_ops.stats(rs->mirror, o);
    o->ops = atomic_load(&rs->ops);
    o->errors = atomic_load(&rs->errors);
    o->reconnects = atomic_load(&rs->reconnects);
    o->list_updates = atomic_load(&rs->list_updates);
    o->fallbacks = atomic_load(&rs->fallbacks);
    o->resyncs = atomic_load(&rs->resyncs);
    o->restored = atomic_load(&rs->restored);
}

static void redis_free(void *priv)
{
    struct rstate *rs = priv;
    if (!rs)
        return;
    atomic_store(&rs->stop, true);
    if (rs->sub_started)
        pthread_join(rs->sub_thr, NULL);
    rconn_fini(&rs->sub);
    rconn_fini(&rs->cmd);
    state_mem_ops.free(rs->mirror);
    pthread_mutex_destroy(&rs->mu);
    free(rs);
}

const struct state_ops state_redis_ops = {
    .name = "redis",
    .op = redis_op,
    .stats = redis_stats,
    .free = redis_free,
};

void *state_redis_new(const char *url, size_t max_entries, struct spu_error *err)
{
    struct rconn_url u;
    if (rconn_url_parse(url, &u, "--state", err) != SPU_OK)
        return NULL;
    struct rstate *rs = calloc(1, sizeof(*rs));
    if (!rs) {
        spu_error_set(err, SPU_ENOMEM, "state store");
        return NULL;
    }
    pthread_mutex_init(&rs->mu, NULL);
    rconn_init(&rs->cmd, &u);
    rconn_init(&rs->sub, &u);
    rs->max_entries = max_entries ? max_entries : 262144;
    rs->mirror = state_mem_new(max_entries);
    if (!rs->mirror || pthread_create(&rs->sub_thr, NULL, subscriber, rs) != 0) {
        redis_free(rs);
        spu_error_set(err, SPU_ENOMEM, "state store: cannot start the subscriber");
        return NULL;
    }
    rs->sub_started = true;
    return rs;
}

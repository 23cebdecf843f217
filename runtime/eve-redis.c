/* eve-redis.c - EVE lines to a Redis stream with an on-disk spool
 * (eve-redis.h). */
#include "eve-redis.h"

#include "err.h"
#include "rconn.h"

#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAXLEN "1000000"
#define BATCH_LINES 1000u
#define READ_CHUNK (1024u * 1024u)

struct eve_redis {
    struct rconn conn;
    int fd;          /* the spool, O_RDWR */
    char *path;      /* the spool's, removed at the end when empty */
    uint64_t rd, wr; /* spool: replayed up to rd, written up to wr */
    uint64_t cap;
    bool block;
    volatile sig_atomic_t *stop;
    char *chunk;        /* spool read buffer */
    pthread_mutex_t mu; /* stats */
    struct eve_redis_stats st;
};

static void add(struct eve_redis *e, uint64_t *c, uint64_t n)
{
    pthread_mutex_lock(&e->mu);
    *c += n;
    pthread_mutex_unlock(&e->mu);
}

/* XADD each line of p[0..n) (whole lines); SPU_OK when all were added. A
 * Redis not ready yet (rconn_not_ready) counts as away: the lines are sent
 * again (the caller spools them), never dropped; delivery is at least
 * once, so lines of the batch taken before the refusal may come twice. */
static int send_lines(struct eve_redis *e, const char *p, size_t n, uint64_t *counter)
{
    bool fresh = false;
    bool was_up = e->conn.was_up;
    redisContext *c = rconn_get(&e->conn, &fresh);
    if (fresh && was_up)
        add(e, &e->st.reconnects, 1);
    if (!c)
        return SPU_EIO;
    size_t off = 0;
    while (off < n) {
        unsigned k = 0;
        while (off < n && k < BATCH_LINES) {
            const char *nl = memchr(p + off, '\n', n - off);
            size_t ll = nl ? (size_t)(nl - (p + off)) : n - off;
            const char *argv[] = {"XADD", e->conn.url.stream, "MAXLEN", "~", MAXLEN, "*", "eve",
                                  p + off};
            size_t lens[] = {4, strlen(e->conn.url.stream), 6, 1, strlen(MAXLEN), 1, 3, ll};
            if (redisAppendCommandArgv(c, 8, argv, lens) != REDIS_OK)
                goto fail;
            off += ll + 1;
            k++;
        }
        for (unsigned i = 0; i < k; i++) {
            void *rep = NULL;
            if (redisGetReply(c, &rep) != REDIS_OK || !rep)
                goto fail;
            bool bad = ((redisReply *)rep)->type == REDIS_REPLY_ERROR;
            bool away = rconn_not_ready(rep);
            freeReplyObject(rep);
            if (away)
                goto fail;
            if (bad)
                add(e, &e->st.errors, 1);
        }
        add(e, counter, k);
    }
    return SPU_OK;
fail:
    rconn_fail(&e->conn);
    add(e, &e->st.errors, 1);
    return SPU_EIO;
}

static bool spool_write(struct eve_redis *e, const char *p, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t w = pwrite(e->fd, p + done, n - done, (off_t)(e->wr + done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        done += (size_t)w;
    }
    e->wr += n;
    return true;
}

/* Replay the spool from rd; SPU_OK when it is empty (then truncated). */
static int replay(struct eve_redis *e)
{
    while (e->rd < e->wr) {
        size_t want = e->wr - e->rd < READ_CHUNK ? (size_t)(e->wr - e->rd) : READ_CHUNK;
        ssize_t got = pread(e->fd, e->chunk, want, (off_t)e->rd);
        if (got <= 0)
            return SPU_EIO;
        /* whole lines only */
        size_t n = (size_t)got;
        while (n > 0 && e->chunk[n - 1] != '\n')
            n--;
        if (n == 0)
            return SPU_EIO; /* a line longer than the chunk: cannot be */
        if (send_lines(e, e->chunk, n, &e->st.replayed) != SPU_OK)
            return SPU_EIO;
        e->rd += n;
    }
    if (e->wr > 0 && ftruncate(e->fd, 0) == 0)
        e->rd = e->wr = 0;
    pthread_mutex_lock(&e->mu);
    e->st.spool_bytes = e->wr - e->rd;
    pthread_mutex_unlock(&e->mu);
    return SPU_OK;
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static uint64_t count_lines(const char *p, size_t n)
{
    uint64_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += p[i] == '\n';
    return k;
}

int eve_redis_tap(void *ctx, const char *data, size_t len)
{
    struct eve_redis *e = ctx;
    if (len == 0)
        return SPU_OK;
    for (;;) {
        if (e->rd == e->wr) {
            if (send_lines(e, data, len, &e->st.sent) == SPU_OK)
                return SPU_OK;
        } else if (replay(e) == SPU_OK) {
            continue; /* the older lines went first: now this buffer */
        }
        /* Redis is away: to the spool, after what waits there */
        if (e->wr - e->rd + len <= e->cap) {
            if (!spool_write(e, data, len))
                break;
            pthread_mutex_lock(&e->mu);
            e->st.spooled += count_lines(data, len);
            e->st.spool_bytes = e->wr - e->rd;
            pthread_mutex_unlock(&e->mu);
            return SPU_OK;
        }
        if (!e->block || (e->stop && *e->stop))
            break;
        nap_ms(50); /* back-pressure: the writer, then the workers, wait */
    }
    add(e, &e->st.dropped, count_lines(data, len));
    return SPU_OK;
}

struct eve_redis *eve_redis_new(const char *url, const char *spool, uint64_t cap, bool block,
                                volatile sig_atomic_t *stop, struct spu_error *err)
{
    struct rconn_url u;
    if (rconn_url_parse(url, &u, "--eve-redis", err) != SPU_OK)
        return NULL;
    if (!u.stream[0]) {
        spu_error_set(err, SPU_EINVAL, "--eve-redis: expected redis://HOST:PORT/STREAM");
        return NULL;
    }
    struct eve_redis *e = calloc(1, sizeof(*e));
    if (!e) {
        spu_error_set(err, SPU_ENOMEM, "--eve-redis: out of memory");
        return NULL;
    }
    rconn_init(&e->conn, &u);
    pthread_mutex_init(&e->mu, NULL);
    e->cap = cap ? cap : 64ull << 20;
    e->block = block;
    e->stop = stop;
    e->chunk = malloc(READ_CHUNK);
    e->path = strdup(spool);
    e->fd = open(spool, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    struct stat sb;
    if (!e->chunk || e->fd < 0 || fstat(e->fd, &sb) != 0) {
        spu_error_at(err, SPU_EIO, spool, UINT64_MAX, "--eve-spool: cannot open: %s",
                     strerror(errno));
        eve_redis_free(e, 0);
        return NULL;
    }
    e->wr = (uint64_t)sb.st_size; /* a spool left by an earlier run goes first */
    e->st.spool_bytes = e->wr;
    return e;
}

void eve_redis_free(struct eve_redis *e, unsigned wait_ms)
{
    if (!e)
        return;
    for (unsigned waited = 0; e->fd >= 0 && e->rd < e->wr; waited += 100) {
        if (replay(e) == SPU_OK || waited >= wait_ms)
            break;
        nap_ms(100);
    }
    if (e->fd >= 0 && e->rd > 0 && e->rd < e->wr) {
        /* keep only what was not delivered, for the next run */
        uint64_t left = e->wr - e->rd;
        char *tmp = malloc((size_t)left);
        if (tmp && pread(e->fd, tmp, (size_t)left, (off_t)e->rd) == (ssize_t)left &&
            ftruncate(e->fd, 0) == 0) {
            e->rd = e->wr = 0;
            spool_write(e, tmp, (size_t)left);
        }
        free(tmp);
    }
    if (e->fd >= 0) {
        close(e->fd);
        if (e->rd == e->wr && e->path)
            unlink(e->path); /* nothing waits: no file left behind */
    }
    free(e->path);
    rconn_fini(&e->conn);
    free(e->chunk);
    pthread_mutex_destroy(&e->mu);
    free(e);
}

void eve_redis_stats(struct eve_redis *e, struct eve_redis_stats *out)
{
    pthread_mutex_lock(&e->mu);
    *out = e->st;
    pthread_mutex_unlock(&e->mu);
}

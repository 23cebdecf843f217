/* rconn.c - Redis connections with backoff (rconn.h). */
#include "rconn.h"

#include "err.h"

#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000

int rconn_url_parse(const char *url, struct rconn_url *out, const char *what, struct spu_error *err)
{
    memset(out, 0, sizeof(*out));
    const char *p = url;
    if (strncmp(p, "redis://", 8) != 0)
        return spu_error_set(err, SPU_EINVAL, "%s: expected redis://HOST:PORT, got '%s'", what,
                             url);
    p += 8;
    const char *slash = strchr(p, '/');
    const char *colon = NULL;
    for (const char *q = p; *q && q != slash; q++)
        if (*q == ':')
            colon = q;
    if (!colon || colon == p || (size_t)(colon - p) >= sizeof(out->host))
        return spu_error_set(err, SPU_EINVAL, "%s: expected redis://HOST:PORT, got '%s'", what,
                             url);
    memcpy(out->host, p, (size_t)(colon - p));
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || port <= 0 || port > 65535 || (*end && *end != '/'))
        return spu_error_set(err, SPU_EINVAL, "%s: bad port in '%s'", what, url);
    out->port = (int)port;
    if (*end == '/') {
        if (strlen(end + 1) >= sizeof(out->stream))
            return spu_error_set(err, SPU_EINVAL, "%s: stream name too long", what);
        strcpy(out->stream, end + 1);
    }
    return SPU_OK;
}

int64_t rconn_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rconn_init(struct rconn *r, const struct rconn_url *url)
{
    memset(r, 0, sizeof(*r));
    r->url = *url;
    r->backoff_ms = BACKOFF_MIN_MS;
}

void rconn_fini(struct rconn *r)
{
    if (r->c)
        redisFree(r->c);
    r->c = NULL;
}

void rconn_fail(struct rconn *r)
{
    if (r->c)
        redisFree(r->c);
    r->c = NULL;
    r->failures++;
    r->next_try_ms = rconn_now_ms() + r->backoff_ms;
    r->backoff_ms = r->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : r->backoff_ms * 2;
}

redisContext *rconn_get(struct rconn *r, bool *fresh)
{
    if (fresh)
        *fresh = false;
    if (r->c)
        return r->c;
    if (rconn_now_ms() < r->next_try_ms)
        return NULL;
    struct timeval tv = {0, 300000};
    r->c = redisConnectWithTimeout(r->url.host, r->url.port, tv);
    if (!r->c || r->c->err) {
        rconn_fail(r);
        return NULL;
    }
    struct timeval ctv = {1, 0}; /* a command that takes longer counts as a failure */
    redisSetTimeout(r->c, ctv);
    r->connects++;
    r->backoff_ms = BACKOFF_MIN_MS;
    r->was_up = true;
    if (fresh)
        *fresh = true;
    return r->c;
}

bool rconn_not_ready(const struct redisReply *reply)
{
    static const char *const kinds[] = {"LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN",
                                        "CLUSTERDOWN"};
    if (reply->type != REDIS_REPLY_ERROR || !reply->str)
        return false;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        size_t k = strlen(kinds[i]);
        if (reply->len >= k && strncmp(reply->str, kinds[i], k) == 0)
            return true;
    }
    return false;
}

/*
 * rconn.h - one connection to a Redis server through hiredis, with
 * reconnection after an exponential backoff (100 ms doubling to 2 s), and
 * the parsing of redis://HOST:PORT[/STREAM] URLs. Used by the Redis state
 * backend (state-redis.c), the count publisher (report.c) and the monitor
 * (monitor.c). A struct rconn belongs to one thread at a time (callers
 * lock); nothing here prints.
 */
#ifndef SPU_RCONN_H
#define SPU_RCONN_H

#include <stdbool.h>
#include <stdint.h>

struct spu_error;
struct redisContext;

struct rconn_url {
    char host[256];
    int port;
    char stream[256]; /* "" when the URL has no path */
};

/* SPU_OK, or SPU_EINVAL with err naming `what` (the option). */
int rconn_url_parse(const char *url, struct rconn_url *out, const char *what,
                    struct spu_error *err);

struct rconn {
    struct rconn_url url;
    struct redisContext *c;
    int64_t next_try_ms; /* monotonic ms before which no connection is tried */
    int64_t backoff_ms;
    uint64_t connects, failures; /* successful connections, failed attempts or commands */
    bool was_up;                 /* connected before: the next connect is a reconnect */
};

void rconn_init(struct rconn *r, const struct rconn_url *url);
void rconn_fini(struct rconn *r);

/* The connected context, connecting first when needed and the backoff has
 * passed; NULL while the server is unreachable. *fresh is set when this
 * call (re)connected (callers resynchronise then); may be NULL. */
struct redisContext *rconn_get(struct rconn *r, bool *fresh);

/* The last command failed on the transport: drop the connection, back off. */
void rconn_fail(struct rconn *r);

/* An error reply that says the server cannot take commands yet, not that
 * the command is wrong: loading its data after a restart (-LOADING), a
 * script running (-BUSY), a cluster or replica not ready (-TRYAGAIN,
 * -MASTERDOWN, -CLUSTERDOWN). Callers treat it as the server being away
 * (rconn_fail, keep what was to be sent) rather than as a refused command. */
struct redisReply;
bool rconn_not_ready(const struct redisReply *reply);

/* Monotonic milliseconds. */
int64_t rconn_now_ms(void);

#endif

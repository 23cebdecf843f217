/*
 * state.h - shared state of the spam-source built-ins (docs/spam.md):
 * token buckets, sliding-window counters, lists with per-entry expiry
 * (whitelists, blacklists) and per-source scores.
 *
 * One store per spurun process, shared by every worker (and by the
 * monitor's loop). Backends sit behind a small ops table: memory (default;
 * state-mem.c: 16 shards, a mutex, hash chains and an LRU list each, at
 * most `max_entries` entries, the least recently used one evicted) and
 * Redis (`--state redis://HOST:PORT`, state-redis.c). Times are event
 * times in ms since the epoch (packet time on sensors, the record's time
 * on the monitor), never the wall clock, so replays are deterministic.
 * Every function is thread-safe.
 */
#ifndef SPU_STATE_H
#define SPU_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct spu_error;

enum state_kind {
    STATE_BUCKET,    /* a=rate b=burst c=per_ms n=cost -> v=1 when over the rate */
    STATE_COUNT,     /* a=window_ms n=added -> v=events in the sliding window */
    STATE_LIST_ADD,  /* name=list a=ttl_ms (0: 1 day) -> v=1 when new */
    STATE_LIST_HAS,  /* name=list -> v=1 when present and not expired */
    STATE_LIST_DEL,  /* name=list -> v=1 when it was present */
    STATE_SCORE_ADD, /* n=delta a=ttl_ms (0: 1 day) -> v=new total */
    STATE_SCORE_GET, /* -> v=total (0 when absent) */
    STATE__KINDS
};

#define STATE_KEY_MAX 160 /* bytes of name + key */

/* One request. name/key are borrowed bytes (key: the built-in's key as
 * text: addresses in their usual notation). */
struct state_req {
    enum state_kind kind;
    const char *name;
    size_t nlen;
    const char *key;
    size_t klen;
    int64_t a, b, c, n;
    int64_t now_ms;
};

/* Counters (read by stats). */
struct state_stats {
    uint64_t entries, evicted, expired, ops;
    /* Redis: failed commands, reconnections, mirror updates, requests
     * answered locally while the server was away, resynchronisations, list
     * entries given back to a server that had lost them */
    uint64_t errors, reconnects, list_updates, fallbacks, resyncs, restored;
};

struct state_ops {
    const char *name;
    int (*op)(void *priv, const struct state_req *r, int64_t *v);
    void (*stats)(void *priv, struct state_stats *out);
    void (*free)(void *priv);
};

struct state_cfg {
    const char *url;    /* NULL or "memory": in process; "redis://HOST:PORT" */
    size_t max_entries; /* memory backend and the Redis backend's local mirror; 0: 262144 */
};

struct state_store;

/* Returns new, or NULL with err (bad URL, no memory; an unreachable Redis
 * is not an error: the store keeps trying). */
struct state_store *state_store_new(const struct state_cfg *cfg, struct spu_error *err);
void state_store_free(struct state_store *s);

/* Run one request: SPU_OK with *v, or a negative SPU_E* (SPU_ELIMIT: key
 * too long; SPU_EIO: backend unreachable, counted). */
int state_store_op(struct state_store *s, const struct state_req *r, int64_t *v);

void state_store_stats(struct state_store *s, struct state_stats *out);
const char *state_store_backend(const struct state_store *s);

/* The memory backend, also the Redis backend's local mirror. */
void *state_mem_new(size_t max_entries);
extern const struct state_ops state_mem_ops;
/* The Redis backend: URL redis://HOST:PORT; NULL with err. */
void *state_redis_new(const char *url, size_t max_entries, struct spu_error *err);
extern const struct state_ops state_redis_ops;
/* Call fn for every list entry of the memory store (name, key, absolute
 * expiry), outside its locks. SPU_OK or SPU_ENOMEM. */
typedef void (*state_list_fn)(void *ctx, const char *name, size_t nlen, const char *key,
                              size_t klen, int64_t expire_ms);
int state_mem_lists(void *priv, state_list_fn fn, void *ctx);
/* Set a list entry's absolute expiry (mirror updates); SPU_OK or SPU_ENOMEM. */
int state_mem_list_set(void *priv, const char *name, size_t nlen, const char *key, size_t klen,
                       int64_t expire_ms);

#endif

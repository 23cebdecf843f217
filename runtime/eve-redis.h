/*
 * eve-redis.h - EVE records also to a Redis stream (docs/spam.md), without
 * loss while Redis is away: `--eve-redis redis://HOST:PORT/STREAM`.
 *
 * A sink on the EVE writer (output_set_sink): the writer thread hands each
 * buffer of whole lines to eve_redis_tap() after writing it to the file.
 * Each line becomes one entry `XADD STREAM MAXLEN ~ MAXLEN * eve LINE`,
 * pipelined. While Redis is unreachable (or while older lines wait) lines
 * are appended to an on-disk spool (a file, at most `spool_cap` bytes),
 * which is replayed in order, before any newer line, once Redis answers;
 * then it is truncated. A spool left by an earlier run is replayed first.
 * When the spool is full: with `block` (reading files) the tap waits for
 * Redis, so the writer and then the workers wait (back-pressure, nothing
 * dropped); without (live capture) the lines are dropped and counted.
 * Delivery is at least once: lines of a pipeline cut by a failure may be
 * added twice.
 */
#ifndef SPU_EVE_REDIS_H
#define SPU_EVE_REDIS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct spu_error;
struct eve_redis;

struct eve_redis_stats {
    uint64_t sent, spooled, replayed, dropped, errors, reconnects, spool_bytes;
};

/* url: redis://HOST:PORT/STREAM; spool: the spool file's path; cap: its
 * bytes (0: 64 MiB); block: wait instead of dropping when it is full;
 * *stop (may be NULL) ends a wait. Returns new, or NULL with err (bad URL,
 * spool not writable). */
struct eve_redis *eve_redis_new(const char *url, const char *spool, uint64_t cap, bool block,
                                volatile sig_atomic_t *stop, struct spu_error *err);

/* The sink (output_set_sink): `len` bytes of whole '\n'-terminated lines.
 * Writer thread only. Returns 0. */
int eve_redis_tap(void *ctx, const char *data, size_t len);

/* Try for up to `wait_ms` to deliver the spool, then free (what is left
 * stays in the spool file for the next run). NULL: no-op. */
void eve_redis_free(struct eve_redis *e, unsigned wait_ms);

void eve_redis_stats(struct eve_redis *e, struct eve_redis_stats *out);

#endif

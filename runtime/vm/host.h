/*
 * host.h - what the VM asks of the program that runs it (libpcap's *_op
 * pattern). spurun fills it on each worker; spuc fills none (it only folds
 * pure built-ins). The VM and stdlib reach the runtime only through this.
 * Called on the worker thread running the program.
 */
#ifndef SPU_HOST_H
#define SPU_HOST_H

#include "value.h"

#include <stdbool.h>
#include <stdint.h>

struct spu_host {
    /* An action built-in ran (Alert, Drop, Log, ...): `builtin` is its id,
     * args its arguments after defaults, `rule` the rule index. SPU_OK or an
     * error (counted, the rule goes on). */
    int (*action)(void *ctx, uint32_t builtin, const struct spu_value *args, unsigned argc,
                  uint32_t rule);
    /* Packet time of the current event, milliseconds since the epoch. */
    int64_t (*now_ms)(void *ctx);
    /* The connection's own field (events.def FLOWKEY id). */
    int (*flowkey)(void *ctx, uint32_t key, struct spu_value *out);
    /* The flow variables of the running bundle for this connection: an array
     * of `n` slots, written in place; NULL when the bundle has none. Values
     * stored here must be copied into `arena` (the flow's), which this
     * returns too. */
    struct spu_value *(*flowvars)(void *ctx, uint32_t *n, struct spu_arena **arena);
    /* The variables of session `sess` for this event's key (computed by the
     * VM from the session's key program): created on demand when `create`,
     * else NULL if absent. The entry stays held until end_rule. */
    struct spu_value *(*session)(void *ctx, uint32_t sess, const struct spu_value *key,
                                 int create, uint32_t *n, struct spu_arena **arena);
    /* A rule finished (releases held session entries). */
    void (*end_rule)(void *ctx, uint32_t rule);
    /* A grammar raised an anomaly (name is "proto.what"). */
    void (*anomaly)(void *ctx, const char *name, size_t len);
    /* A state built-in ran (TokenBucket, WindowCount, ListAdd, ListHas,
     * ListDel, ScoreAdd, Score, IsLocal, Report: stdlib/state-fns.c), its
     * arguments checked against builtins.def: the host answers from its
     * shared state store into *ret. SPU_OK, or an error that faults the
     * rule. NULL: no state (the built-ins fault). */
    int (*state)(void *ctx, uint32_t builtin, const struct spu_value *args, unsigned argc,
                 struct spu_value *ret);
    /* magic(): the file type of p[0..n) as libmagic describes it, a
     * NUL-terminated text valid until the next call; NULL when unknown or
     * when the host has no file typing (the member may be NULL too). */
    const char *(*magic)(void *ctx, const uint8_t *p, size_t n);
    /* filestore(): store p[0..n) as a file of the connection; true when it
     * is stored (now or before). NULL: nothing is stored. */
    bool (*store)(void *ctx, const uint8_t *p, size_t n);
};

#endif

/*
 * app.h - the application layer: the stream consumer (stream.h) that
 * characterizes each new flow and runs the grammar VM over its streams.
 *
 * Characterization: the protocols of the loaded bundles (PROTO sections)
 * are tried on the first bytes of each direction, whichever speaks first.
 * A protocol's `detect` pattern (an anchored DFA per direction) that
 * matches the start of its direction's stream assigns the flow at once,
 * on any port (HTTP on port 4444 is HTTP). When every pattern of a
 * direction has failed, or the flow's server port is one of a protocol's
 * `ports` and that protocol has no pattern for the direction, the port
 * decides. The bytes seen while undecided are held (at most
 * APP_DETECT_HOLD per flow) and fed to the grammar once it is chosen.
 * A flow no protocol claims is left alone: its later bytes cost one test.
 *
 * A characterized flow gets a struct spu_gvm_conn (held in the flow's
 * stream slot); data/gap/close become spu_gvm_feed/gap/eof. Grammar
 * events go to the configured struct app_sink (app-event.h) and, when a
 * transaction completes, to the tx hook; anomalies become EVE `anomaly`
 * records of type "applayer" (a bounded number per flow and anomaly,
 * see anomaly_repeat); the flow's `app_proto` is set for its flow record.
 *
 * One struct app per worker (it owns that worker's struct spu_gvm). Made
 * and freed on the main thread, used on the worker thread only; it must
 * outlive the worker's flows (free it after worker_free). Counters are
 * kept in its own stats block, read by the stats reporter like a
 * worker's.
 */
#ifndef SPU_APP_H
#define SPU_APP_H

#include "app-event.h"
#include "err.h"
#include "stats.h"
#include "stream.h"

#include <stdbool.h>
#include <stdint.h>

struct spu_bundle;
struct spu_record;
struct output_producer;
struct app_pub;

/* Bytes held per flow while its protocol is undecided. */
#define APP_DETECT_HOLD 1024

/* A transaction is complete: its client and server messages (either may
 * be NULL), borrowed for the call. For EVE transaction records. */
struct app_tx {
    struct flow *flow;
    const struct spu_bundle *bundle;
    unsigned bundle_idx;
    uint32_t proto;                  /* index in the bundle's PROTO section */
    const char *proto_name;          /* NUL-terminated */
    uint64_t tx_id;
    const struct spu_record *client, *server;
    int64_t ts_ns;
};

struct app_tx_sink {
    void *ctx;
    void (*tx)(void *ctx, const struct app_tx *tx);
};

struct app_cfg {
    struct spu_bundle *const *bundles; /* borrowed; each must outlive the app */
    unsigned nbundles;
    const struct app_sink *sink;       /* copied; NULL: events only counted */
    const struct app_tx_sink *tx_sink; /* copied; NULL: none */
    struct output_producer *out;       /* anomaly records; NULL: none */
    int worker;                        /* worker id for the records */
    const char *in_iface;              /* borrowed; NULL for files */
    const char *filestore;             /* borrowed; NULL: magic()'s sibling
                                        * filestore() stores nothing */
    uint64_t filestore_cap;            /* bytes all apps may store together */
    _Atomic uint64_t *filestore_used;  /* shared by the apps of a run */
    /* Grammar buffers of all the apps of a run against one cap: the bytes
     * of every flow's parse (partial tokens, messages, bodies: the
     * gvm's held and arena bytes) and of its undecided bytes are added to
     * *memuse (shared, borrowed; NULL: not accounted) only while the sum
     * stays at or below memcap. A flow whose parse would pass it stops
     * being inspected (its parse is stopped, waiting transactions
     * complete alone, its memory freed: counted spu.app.memcap_stops); an
     * undecided flow whose bytes do not fit is decided by its port. */
    uint64_t memcap;
    _Atomic int64_t *memuse;
    struct app_pub *pub;               /* borrowed, outlives the app; when not NULL
                                        * the grammar sets published there are
                                        * used and bundles/nbundles ignored */
    bool no_magic;                     /* magic() is null: libmagic never runs */
    /* Records of one anomaly (one name) in one flow: at most this many
     * are written, the later ones are counted (spu.app.anomalies_folded)
     * and, at the flow's end, one more record of that anomaly says how
     * many were folded (spu.folded). 0: every one is written. A flow
     * tells APP_ANOMALY_KINDS names apart; later names share the last. */
    unsigned anomaly_repeat;
};

/* The distinct anomalies a flow bounds. */
#define APP_ANOMALY_KINDS 16u

struct app;

/* Returns a new app, or NULL with err set (out of memory). An app whose
 * bundles have no tcp/udp protocol claims no flow. */
struct app *app_new(const struct app_cfg *cfg, struct spu_error *err);

/* Frees the app (its flows must have ended). NULL is a no-op. */
void app_free(struct app *a);

/* The consumer to give the worker (borrowed from the app). */
const struct stream_consumer *app_consumer(struct app *a);

/* Whether any protocol can be characterized (else the worker needs no
 * consumer). */
int app_active(const struct app *a);

/* The app's counters (written by the worker thread, relaxed). */
const struct stats_block *app_stats(const struct app *a);

#endif

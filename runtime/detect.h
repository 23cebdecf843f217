/*
 * detect.h - the rule engine of spurun: events in, rules run, actions out.
 *
 * For each event (a runtime event of the packet path: packet, tcp.syn,
 * flow.start, flow.end; or a grammar event from app.c through struct
 * app_sink) and each loaded bundle that has rules on it, a worker builds the
 * event's record, selects the candidate rules with the bundle's lookup tree
 * and literal prefilter (vm/index.h), runs each candidate in the rule VM
 * (vm/vm.h) under a step budget, and carries out the actions the rules take
 * (docs/detect.md): EVE alert and log records, verdicts (pass, drop,
 * reject, redirect, in that precedence), shuns, messages to declared
 * outputs, scores. State: flow variables live in the flow (struct
 * flow.detect, bounded per flow), meta sessions in a store shared by every
 * worker (session.h), shunned addresses in a shared table (shun.h).
 *
 * struct detect_engine: built once on the main thread from the loaded
 * bundles, shared by the workers (only its stores change, under their own
 * locks). struct detect_worker: one per worker thread, used only by it
 * (its counters are atomics that the main thread reads for stats).
 */
#ifndef SPU_DETECT_H
#define SPU_DETECT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct spu_bundle;
struct spu_error;
struct output_producer;
struct rt_hooks;
struct app_sink;
struct flow;
struct state_store;
struct localnet;
struct shaper;

struct detect_cfg {
    uint64_t rule_budget;       /* VM steps per rule run; 0: the VM's default */
    const char *classification; /* classification.config path, or NULL (no categories) */
    int explain;                /* write an `explain` record for each event with rules */
    size_t flow_state_cap;      /* bytes of flow variables per flow per bundle; 0: 4096 */
    size_t session_entry_cap;   /* bytes of values per session entry; 0: session.h default */
    uint64_t session_memcap;    /* bytes all meta-session entries may reserve together
                                 * (session_space_set_memcap); 0: DETECT_SESSION_MEMCAP */
    size_t shun_cap;            /* shunned addresses; 0: shun.h default */
    bool enforce;               /* inline: every packet from a shunned source marks
                                 * its flow dropped (flow.verdict) */
    unsigned max_apps;          /* application slots for later publications; 0: n */
    const struct shaper *shaper; /* inline queuing classes (Queue(CLASS) sets
                                  * flow.qclass), or NULL */
    /* spam-source monitoring (docs/spam.md), all borrowed and optional */
    struct state_store *state;    /* TokenBucket, lists, scores...; NULL: they fault */
    const char *state_url;        /* the backend it was made for (NULL: memory) */
    size_t state_max;             /* entries of the stores `state` declarations make; 0: default */
    const struct localnet *local; /* IsLocal(); NULL: nothing is local */
    const char *sensor_name;      /* tcp.syn `sensor`; NULL: the interface name */
    int64_t spam_threshold;       /* a message scoring more raises spam.message */
    /* Report(addr): count one connection of addr at ts_ms for the
     * publisher; NULL: Report() returns false */
    int (*report)(void *ctx, const uint8_t ip[16], uint16_t family, int64_t ts_ms);
    void *report_ctx;
};

struct detect_engine;
struct shun_table;
struct detect_worker;

/* Build the engine for `n` loaded bundles (borrowed; they outlive the
 * engine) named names[i] (borrowed likewise). Opens the outputs the
 * bundles declare (SendMessage) and reads the classification file.
 * Returns new, or NULL with err. */
struct detect_engine *detect_engine_new(const struct detect_cfg *cfg, struct spu_bundle *const *b,
                                        const char *const *names, unsigned n, unsigned nworkers,
                                        struct spu_error *err);

/* An application as the engine runs it: a name and a loaded bundle (NULL:
 * the slot is empty or the application stopped). */
struct detect_app {
    const char *name;
    struct spu_bundle *b;
};

/* The capacity in applications: detect_engine_new makes max(n, cfg
 * max_apps) slots; publications fill at most that many. */
unsigned detect_engine_slots(const struct detect_engine *e);

/* Hot reload (any thread but a worker; publications are serialized):
 * build the next generation from apps[0..n) (slot i = application i;
 * bundles referenced, names copied), then publish it atomically. Each
 * worker picks it up at its next event: runtime events and each grammar
 * event (the next transaction) run the new rules; flow variables whose
 * declaration is unchanged are kept, others start fresh; meta-session
 * state carries over when a session of the same name declares the same
 * variables, and starts fresh otherwise (a string for each in `notes`,
 * an array, when not NULL). Returns once no worker is inside an event of
 * the previous generation, which is then freed. On failure (an output
 * that cannot be opened, out of memory) the running generation is
 * untouched and err says why. */
int detect_engine_publish(struct detect_engine *e, const struct detect_app *apps, unsigned n,
                          json_t *notes, struct spu_error *err);

/* A grace period (any thread but a worker): returns once every worker
 * that was inside an event has finished it, so that what was swapped out
 * before the call (a list, spu_lists_swap) is no longer read. */
void detect_engine_sync(struct detect_engine *e);

/* Frees the engine (after every worker context is freed). NULL: no-op. */
void detect_engine_free(struct detect_engine *e);

/* A worker's context: `id` (0..nworkers-1), EVE records go to `out`
 * (borrowed: the worker's own producer), in_iface names the capture
 * interface (NULL for files). Returns new, or NULL with err. */
struct detect_worker *detect_worker_new(struct detect_engine *e, unsigned id,
                                        struct output_producer *out, const char *in_iface,
                                        struct spu_error *err);

/* Called on the worker thread for every alert on a flow; returns a file
 * name to put in the alert record as spu.pcap_file (borrowed for the
 * call), or NULL. --pcap-log's hook (pcaplog_alert). */
typedef const char *(*detect_alert_fn)(void *ctx, struct flow *f);
void detect_worker_set_alert_hook(struct detect_worker *w, detect_alert_fn fn, void *ctx);
/* One record of the monitor's stream (docs/spam.md): a sensor's count of
 * connections from one source over `window_ms`, at ts_ms. */
struct detect_monitor_rec {
    const char *sensor;
    uint8_t src[16]; /* IPv4 as ::ffff:a.b.c.d */
    uint16_t family; /* 4 or 6 */
    int64_t count, window_ms, ts_ms;
    int64_t recv_ms; /* wall clock when the monitor read it (alerts: monitor.received_ms) */
};

/* Raise the runtime event monitor.counts for `m` (borrowed) on the calling
 * thread, which must be the only user of w (spurun --monitor runs one
 * worker context on its main loop). */
void detect_worker_monitor(struct detect_worker *w, const struct detect_monitor_rec *m);

/* Frees it, after the worker thread has ended every flow. NULL: no-op. */
void detect_worker_free(struct detect_worker *w);

/* The hooks to give the packet path (worker_cfg.hooks) and the sink to
 * give the application layer (app.c) of the same worker. Borrowed from w. */
const struct rt_hooks *detect_worker_hooks(struct detect_worker *w);
const struct app_sink *detect_worker_sink(struct detect_worker *w);

/* The `detect` object of the stats record (main thread, any time):
 * totals, fault kinds, sessions, shuns, per-rule counters of every rule
 * of the running generation evaluated at least once (with per-worker
 * evaluations), the `top` rules by time spent, and `reload`:
 * publications, generation, grace periods and the longest worker stall
 * (the first event a worker ran under a new generation). Returns new. */
json_t *detect_engine_stats(struct detect_engine *e, unsigned top);

/* The engine's table of shunned addresses (shun.h; thread-safe), for the
 * control interface. */
struct shun_table *detect_engine_shuns(struct detect_engine *e);

/* The meta sessions of running application `app`: an object by session
 * name of their counters (entries, created, evicted, expired, refused,
 * busy, memuse) and number of variables (new), or NULL when no
 * application of that name runs. Any thread. */
json_t *detect_engine_app_sessions(struct detect_engine *e, const char *app);

/* Meta-session memory (any thread): bytes the entries of every space
 * hold now, bytes they reserve against the cap (at or below it), the cap,
 * and the entries evicted or refused for it (spaces freed since
 * included). */
struct detect_session_mem {
    int64_t in_use, reserved;
    uint64_t cap, hits;
};
void detect_engine_session_memory(struct detect_engine *e, struct detect_session_mem *out);

#define DETECT_SESSION_MEMCAP (256ULL << 20)

/* A text summary of the `top` most expensive rules (one line each) into
 * buf (always NUL-terminated). Returns buf. */
char *detect_engine_top_text(struct detect_engine *e, unsigned top, char *buf, size_t len);

#endif

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

struct detect_cfg {
    uint64_t rule_budget;       /* VM steps per rule run; 0: the VM's default */
    const char *classification; /* classification.config path, or NULL (no categories) */
    int explain;                /* write an `explain` record for each event with rules */
    size_t flow_state_cap;      /* bytes of flow variables per flow per bundle; 0: 4096 */
    size_t session_entry_cap;   /* bytes of values per session entry; 0: session.h default */
    size_t shun_cap;            /* shunned addresses; 0: shun.h default */
    bool enforce;               /* inline: every packet from a shunned source marks
                                 * its flow dropped (flow.verdict) */
};

struct detect_engine;
struct detect_worker;

/* Build the engine for `n` loaded bundles (borrowed; they outlive the
 * engine) named names[i] (borrowed likewise). Opens the outputs the
 * bundles declare (SendMessage) and reads the classification file.
 * Returns new, or NULL with err. */
struct detect_engine *detect_engine_new(const struct detect_cfg *cfg, struct spu_bundle *const *b,
                                        const char *const *names, unsigned n, unsigned nworkers,
                                        struct spu_error *err);

/* Frees the engine (after every worker context is freed). NULL: no-op. */
void detect_engine_free(struct detect_engine *e);

/* A worker's context: `id` (0..nworkers-1), EVE records go to `out`
 * (borrowed: the worker's own producer), in_iface names the capture
 * interface (NULL for files). Returns new, or NULL with err. */
struct detect_worker *detect_worker_new(struct detect_engine *e, unsigned id,
                                        struct output_producer *out, const char *in_iface,
                                        struct spu_error *err);

/* Frees it, after the worker thread has ended every flow. NULL: no-op. */
void detect_worker_free(struct detect_worker *w);

/* The hooks to give the packet path (worker_cfg.hooks) and the sink to
 * give the application layer (app.c) of the same worker. Borrowed from w. */
const struct rt_hooks *detect_worker_hooks(struct detect_worker *w);
const struct app_sink *detect_worker_sink(struct detect_worker *w);

/* The `detect` object of the stats record (main thread, any time):
 * totals, fault kinds, sessions, shuns, per-rule counters of every rule
 * evaluated at least once (with per-worker evaluations), and the `top`
 * rules by time spent. Returns new. */
json_t *detect_engine_stats(struct detect_engine *e, unsigned top);

/* A text summary of the `top` most expensive rules (one line each) into
 * buf (always NUL-terminated). Returns buf. */
char *detect_engine_top_text(struct detect_engine *e, unsigned top, char *buf, size_t len);

#endif

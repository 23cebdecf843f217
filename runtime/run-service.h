/*
 * run-service.h - the run's side of the control socket: what the control
 * thread asks of spurun's main thread, and the queue of capture files.
 *
 * The run's internals (dispatcher, workers, capture) belong to the main
 * thread, so the control thread never reads them: it posts a query (stats,
 * flows) and waits; the main thread answers it between two dispatch steps
 * (run_service_serve, one relaxed atomic load when nothing is asked) or,
 * while it waits for the next queued capture, with the last answer of the
 * run that ended (state "idle"). A shutdown request is a flag the main
 * loop polls, the same path as SIGTERM.
 *
 * The pcap queue: files queued through the socket (run_service_pcap_add)
 * are taken in order by the main thread (run_service_next_pcap), each
 * processed as one run, and marked done or failed with its figures.
 *
 * Thread use is given per function. Owned by main().
 */
#ifndef SPU_RUN_SERVICE_H
#define SPU_RUN_SERVICE_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct spu_error;
struct run_service;

/* RUN_QUERY_MEMORY: spu.memory of the stats record. RUN_QUERY_REOPEN asks
 * the main thread to reopen the EVE file (as SIGUSR1) and answers where. */
enum run_query {
    RUN_QUERY_STATS,
    RUN_QUERY_FLOWS,
    RUN_QUERY_MEMORY,
    RUN_QUERY_REOPEN,
    RUN_QUERY__COUNT
};

/* Main thread's answer to a query: a new JSON object (NULL = out of memory). */
typedef json_t *(*run_answer_fn)(void *ctx, enum run_query q);

/* `queue_mode`: spurun runs without a source and takes queued files.
 * Returns new, or NULL when out of memory. */
struct run_service *run_service_new(bool queue_mode);
/* NULL is a no-op. */
void run_service_free(struct run_service *s);

/* ---- control thread ---- */

/* Ask the main thread; wait up to `timeout_ms`. On success *out is a new
 * object with "state": "running" or "idle" added. Returns 0, or
 * SPU_ESTATE when nothing answered in time (err says so). */
int run_service_query(struct run_service *s, enum run_query q, unsigned timeout_ms, json_t **out,
                      struct spu_error *err);

/* Ask for a clean stop (as SIGTERM). */
void run_service_shutdown(struct run_service *s);

/* Queue a capture file. Refused (SPU_ESTATE) when not in queue mode or
 * shutting down, SPU_ENOTFOUND when the file cannot be read. On success
 * *result is a new object {"id": N, "file": PATH, "position": N}. */
int run_service_pcap_add(struct run_service *s, const char *path, json_t **result,
                         struct spu_error *err);

/* The queue: {"files": [{id, file, state, ...}], "queued", "running",
 * "done", "failed"} (new). */
json_t *run_service_pcap_status(struct run_service *s);

/* ---- main thread ---- */

/* Answer a pending query with fn(ctx, q) (NULL fn: the kept answer, state
 * "idle"). Returns true when a shutdown was asked for. */
bool run_service_serve(struct run_service *s, run_answer_fn fn, void *ctx);

/* Keep `answer` (taken over) as the idle answer to q, once the run ended. */
void run_service_keep(struct run_service *s, enum run_query q, json_t *answer);

/* Whether a shutdown was asked for (any thread). */
bool run_service_stopping(struct run_service *s);

/* Wait for the next queued file, serving queries meanwhile. Returns 0 with
 * *path (borrowed until run_service_pcap_done) and *id set, or SPU_DONE
 * when a shutdown was asked for or *stop became non-zero. */
int run_service_next_pcap(struct run_service *s, volatile sig_atomic_t *stop, const char **path,
                          unsigned *id);

/* The file `id` is finished: rc 0 (done) or a negative SPU_E* (failed,
 * `msg` says why), with its figures. */
void run_service_pcap_done(struct run_service *s, unsigned id, int rc, const char *msg,
                           uint64_t packets, uint64_t events, double seconds);

#endif

/*
 * worker.h - a worker thread: pops packet descriptors from its work queue,
 * decodes them, tracks their flows in its own flow table, runs TCP tracking
 * and reassembly into the stream consumer, raises runtime events, writes
 * flow and anomaly records, and pushes each descriptor back on its return
 * queue (after which it never touches the packet's bytes again).
 *
 * Flows time out on the shared packet clock published by the dispatcher: a
 * flow is ended before a packet whose clock says it has expired is looked
 * up, and idle sweeps use the published clock, so which flows end, when,
 * and with what content does not depend on the number of workers. At the
 * end of a run, flows whose timeout has passed by the final packet clock end
 * with reason "timeout" (as they would have on any worker), every other flow
 * with reason "shutdown".
 *
 * worker_new/worker_start/worker_stop/worker_join/worker_free: main thread.
 * Everything else runs on the worker thread.
 */
#ifndef SPU_WORKER_H
#define SPU_WORKER_H

#include "flow.h"
#include "stats.h"
#include "stream-tcp.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct spsc;
struct output_producer;
struct rt_hooks;
struct pkt;
struct pcaplog;

struct worker_cfg {
    unsigned id;
    uint32_t seed;                      /* flow hash seed (same as dispatch) */
    const struct stream_cfg *stream;    /* borrowed, shared */
    const struct flow_timeouts *timeouts;
    uint64_t flow_memcap;
    unsigned flow_bits;                 /* 2^bits buckets */
    struct stats_gauges *gauges;        /* shared */
    const _Atomic int64_t *clock;       /* shared packet clock (ns) */
    struct output_producer *out;        /* this worker's EVE buffer slot */
    const char *in_iface;               /* NULL for files */
    const struct rt_hooks *hooks;       /* NULL: none */
    const struct stream_consumer *consumer; /* NULL: none */
    struct pcaplog *pcaplog;            /* --pcap-log: this worker's, or NULL */
};

struct worker;

/* Returns new (queues of `qsize` descriptors; the return queue holds
 * `retsize` so a worker never waits to give storage back), or NULL. */
struct worker *worker_new(const struct worker_cfg *cfg, unsigned qsize, unsigned retsize);

/* Start the thread. Returns 0 or SPU_EIO. */
int worker_start(struct worker *w);

/* No more packets will come: the worker drains its queue, ends every flow
 * (reason shutdown) and exits. worker_join waits for that. */
void worker_stop(struct worker *w);
void worker_join(struct worker *w);

/* Frees a joined (or never started) worker. NULL is a no-op. */
void worker_free(struct worker *w);

/* The queues (dispatcher side) and counters (read by anyone, relaxed). */
struct spsc *worker_work_queue(struct worker *w);
struct spsc *worker_return_queue(struct worker *w);
struct stats_block *worker_stats(struct worker *w);

/* Process one packet on the calling thread (the worker thread, or a test
 * driving a worker that was never started). */
void worker_process(struct worker *w, struct pkt *p);

/* A worker that is never started runs on a thread that reads the capture
 * itself (spurun --split-read): that thread hands it each batch of its
 * packets in capture order (worker_run_batch: processed; the caller gives
 * the descriptors back), then calls worker_idle with the last packet's
 * clock (the sweep the thread makes after a batch), and again with the
 * reading thread's clock when its queue would be empty (`flush` pushes out
 * buffered EVE records), and worker_finish at the end of the run (what a
 * started worker does when stopped: flows past their timeout by the final
 * clock end as timed out, the others with reason shutdown, EVE flushed).
 * The same calls in the same order as the thread's loop, so flows do not
 * depend on which thread runs the worker. worker_sweep_due says whether
 * worker_idle(clock) would sweep (once per second of packet time). */
void worker_run_batch(struct worker *w, void *const *batch, size_t n); /* struct pkt * */
void worker_idle(struct worker *w, int64_t clock, bool flush);
bool worker_sweep_due(const struct worker *w, int64_t clock);
void worker_finish(struct worker *w);

/* Names thread t after the worker it runs ("spu-workerN"), for per-thread
 * profiles (perf report --sort comm). */
void worker_name_thread(const struct worker *w, pthread_t t);

/* End every flow with reason shutdown (the thread does it on stop). */
void worker_shutdown_flows(struct worker *w);

/* Bytes of ended flows the worker's table keeps for reuse (any thread). */
size_t worker_flow_spare_bytes(const struct worker *w);

/* Flows currently tracked (worker thread or after join). */
size_t worker_flow_count(const struct worker *w);

#endif

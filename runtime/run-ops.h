/*
 * run-ops.h - the operations objects of the stats record (spu.per_worker,
 * spu.pcap_log, spu.memory, spu.eve_file), built from the run's parts
 * without reaching into them: each function reads counters that are
 * atomics or snapshots, and returns a new jansson object.
 *
 * Called by run.c on the main thread (stats records, metrics, spuctl).
 */
#ifndef SPU_RUN_OPS_H
#define SPU_RUN_OPS_H

#include <jansson.h>
#include <stdint.h>

struct worker;
struct dispatcher;
struct pcaplog;
struct output;
struct stats_block;
struct detect_session_mem;

/* [{worker, pkts, bytes, flows, queue_drops}] for each worker. */
json_t *run_ops_per_worker(struct worker *const *w, unsigned n, struct dispatcher *d);

/* {kept, memcap_drops, files, written, files_refused, write_errors, memuse,
 * memcap}: the pcap logs of n workers summed. */
json_t *run_ops_pcap_log(struct pcaplog *const *pl, unsigned n, int64_t memuse, uint64_t memcap);

/* {rotations, reopens, records: {TYPE: N}} of the EVE output. */
json_t *run_ops_eve_file(struct output *o);

/* Bytes in use and caps of every capped subsystem. */
struct run_ops_mem {
    int64_t flow_memuse, reasm_memuse, defrag_memuse, pcaplog_memuse;
    uint64_t flow_memcap, stream_memcap, defrag_memcap, pcaplog_memcap;
    struct pcaplog *const *pcaplogs; /* NULL: --pcap-log is off */
    struct worker *const *workers;   /* their flow tables' spare flows */
    unsigned nworkers;
    struct output *out;
    int64_t app_memuse;               /* grammar buffers (--app-memcap) */
    uint64_t app_memcap;
    const struct detect_session_mem *sessions; /* NULL: no rule engine */
};

/* spu.memory: {SUBSYSTEM: {in_use, cap, policy, hits}}; hits from `sum`
 * (the counters of all threads). */
json_t *run_ops_memory(const struct run_ops_mem *m, const struct stats_block *sum);

#endif

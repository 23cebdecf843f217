/*
 * dispatch.h - the dispatcher: capture -> flow hash -> worker queues, and
 * storage coming back.
 *
 * For every captured packet the dispatcher takes a descriptor from its
 * pool, reads the flow key's fields (the common Ethernet/IPv4/TCP|UDP frame
 * by dispatch_fast_hash(), any other by decode_packet in PEEK mode: no
 * checksums, no counters), computes the symmetric seeded hash and pushes
 * the descriptor on worker (h * n) >> 32's work queue. It also publishes
 * the packet clock (the newest capture time seen, stamped on each
 * descriptor) that all workers expire flows by. Descriptors come back on
 * the return queues; their storage is released to the capture backend (a
 * mapping needs nothing, a ring block goes back to the kernel when its
 * last packet returns). When a work queue is full, a live capture counts a
 * drop for that worker (spu.queue_drops) and releases the packet; offline
 * reading waits, so a file is processed losslessly.
 *
 * Fragments. Non-first fragments carry no ports, so they cannot be hashed
 * by the 5-tuple. The dispatcher reassembles instead (defrag.h): each
 * fragment is copied into the reassembly table, then sent as itself to the
 * worker chosen by flowkey_frag_hash() (addresses, protocol, IP id) only
 * to be counted and checked (workers never flow-track fragments); when a
 * datagram completes, the rebuilt datagram becomes a pseudo packet
 * (PKT_PSEUDO, PKT_OWNED) hashed by its full 5-tuple and dispatched to the
 * worker that owns that flow. Doing it here rather than on a worker keeps
 * every queue single-producer (a worker never has to forward a datagram to
 * another worker) and costs the dispatcher only on fragmented traffic,
 * which is rare.
 *
 * Checksums. --checksum auto validates until 1000 packets have been seen;
 * if more than 1 in 10 of them had a bad IP/TCP/UDP checksum (offloading),
 * validation is turned off for the rest (as Suricata's pcap modes do). The
 * decision is made here, in capture order, so it is the same for any
 * number of workers; each descriptor carries PKT_NOCSUM when not to check.
 *
 * Worker 0 on the reading thread (cfg.reader_worker, spurun
 * --reader-worker): with N workers on N cores, N+1 threads (this one and
 * N workers) share the cores; instead worker 0 is never started and this
 * thread processes worker 0's share itself: each batch the hash gives to
 * worker 0 is handed to worker_run_batch() where it would have been
 * pushed on worker 0's queue, and its descriptors come straight back.
 * Flows are still chosen by (h * n) >> 32, in capture order, on the same
 * packet clock; the other workers run on their own threads as before.
 * The caller ends worker 0 with worker_finish() after the last step.
 *
 * Everything here runs on one thread (the main thread of spurun).
 */
#ifndef SPU_DISPATCH_H
#define SPU_DISPATCH_H

#include "stats.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct capture;
struct worker;
struct spu_error;

enum checksum_mode { CHECKSUM_AUTO, CHECKSUM_YES, CHECKSUM_NO };

struct dispatch_cfg {
    unsigned nworkers;
    uint32_t seed;
    bool live;              /* full queue: drop (live) or wait (files) */
    int checksum;           /* enum checksum_mode */
    unsigned pool;          /* descriptors (0 = 16384) */
    size_t defrag_memcap;   /* 0 = 16 MiB */
    struct shaper *shaper;  /* inline queuing classes (borrowed), or NULL */
    bool reader_worker;     /* worker 0 runs here, on the reading thread */
};

struct dispatcher;

/* Returns new. Borrows the capture and the workers (which must outlive
 * it). NULL when out of memory. */
struct dispatcher *dispatch_new(const struct dispatch_cfg *cfg, struct capture *cap,
                                struct worker **workers, _Atomic int64_t *clock);

/* Frees the pool and the reassembly table. Every descriptor must be back
 * (dispatch_finish). NULL is a no-op. */
void dispatch_free(struct dispatcher *d);

/* Read and dispatch one batch. Returns 1 when packets were handled, 0 when
 * nothing was available now, SPU_DONE at the end of the capture, or a
 * negative SPU_E* with err filled (capture fault: everything read before it
 * has been dispatched). */
int dispatch_step(struct dispatcher *d, struct spu_error *err);

/* Take back descriptors returned by workers; returns how many. */
unsigned dispatch_reclaim(struct dispatcher *d);

/* After the workers were stopped and joined: take every descriptor back. */
void dispatch_finish(struct dispatcher *d);

struct stats_block *dispatch_stats(struct dispatcher *d);
/* Packets read and bytes, for progress. */
uint64_t dispatch_packets(const struct dispatcher *d);
uint64_t dispatch_bytes(const struct dispatcher *d);
size_t dispatch_defrag_memuse(const struct dispatcher *d);
/* Queue drops per worker so far. */
uint64_t dispatch_queue_drops(const struct dispatcher *d, unsigned worker);
/* reader_worker: CPU time this thread spent processing worker 0's packets
 * so far, estimated from one batch in 16 (spu.dispatch_ns, a wall time,
 * leaves out the wall time of all of them). */
uint64_t dispatch_worker0_cpu_ns(const struct dispatcher *d);
/* Whether checksum validation is currently on. */
bool dispatch_checksums_on(const struct dispatcher *d);

#endif

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
 * Split reading (cfg.split, spurun --split-read): each worker's thread
 * reads the whole capture (with several workers, through a cursor of the
 * index they share, split-index.h, which walks the file once for all:
 * dispatch_use_index) through a dispatcher of its own and keeps the
 * packets the hash gives to its worker (cfg.own), as the kernel's fanout
 * gives each ring its share: no thread between the capture and the
 * workers, no queues, N workers on N threads. A packet of another worker
 * is only counted (the common frame: without a descriptor) and released.
 * Every such dispatcher sees every packet, in capture order, so each
 * decides the checksum mode, numbers packets (pcap_cnt) and keeps the
 * packet clock exactly as a single one would; fragments are reassembled
 * by each and a datagram kept by the one that owns its flow. Its own
 * worker's batches are handed to worker_run_batch() where they would have
 * been pushed on a queue, and their descriptors come straight back; the
 * caller ends the worker with worker_finish() after the last step. The
 * counters of one of these dispatchers stand for all (the others count
 * the same packets).
 *
 * Everything here runs on one thread (the main thread of spurun, or one
 * per worker when split).
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

/* Packets read per step and pushed to a worker at once. A step starts only
 * with 2 * DISPATCH_BATCH descriptors free (a smaller pool never steps). */
#define DISPATCH_BATCH 64

struct dispatch_cfg {
    unsigned nworkers;
    uint32_t seed;
    bool live;              /* full queue: drop (live) or wait (files) */
    int checksum;           /* enum checksum_mode */
    unsigned pool;          /* descriptors (0 = 16384; at least 2 * DISPATCH_BATCH) */
    size_t defrag_memcap;   /* 0 = 16 MiB */
    struct shaper *shaper;  /* inline queuing classes (borrowed), or NULL */
    bool split;             /* split reading: only worker `own`'s packets, run here */
    unsigned own;
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
/* split: CPU time this thread spent processing its own worker's packets
 * so far, estimated from one batch in 16 (spu.dispatch_ns, a wall time,
 * leaves out the wall time of all of them). */
uint64_t dispatch_own_cpu_ns(const struct dispatcher *d);
/* split: read the records through cursor c of a shared index
 * (split-index.h) instead of from the capture, which is then only used
 * for its inline hooks (none for files) and never read or released here.
 * Before the first step. */
struct split_cursor;
void dispatch_use_index(struct dispatcher *d, struct split_cursor *c);
/* After a step that returned 0: with the index, waits until it moves
 * (split_cursor_wait; at most max_ns) and returns true; without it,
 * returns false at once (the caller naps as it sees fit). */
bool dispatch_wait(struct dispatcher *d, long max_ns);
/* Whether checksum validation is currently on. */
bool dispatch_checksums_on(const struct dispatcher *d);

#endif

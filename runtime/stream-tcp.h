/*
 * stream-tcp.h - TCP session tracking and per-direction reassembly.
 *
 * stream_tcp_packet() runs Suricata's TCP state machine for one packet of a
 * flow (handshake, established, FIN each way, RST, closed; sessions are
 * picked up midstream only when the config allows it, as Suricata's
 * stream.midstream) and feeds the segment to reassembly:
 *
 *  - in-order bytes are handed to the consumer where they lie in the packet
 *    (no copy, counted in spu.stream.bytes_in_place);
 *  - out-of-order bytes are copied into a per-direction sorted list, within
 *    a per-flow cap and a global cap (spu.stream.bytes_copied counts every
 *    byte copied); when a cap is reached, the stream skips forward: a gap up
 *    to the first held byte (or to the new segment) is reported and
 *    delivery resumes from there, so memory stays bounded;
 *  - overlaps between a new segment and held bytes follow the policy:
 *    FIRST (default) keeps the bytes that arrived first, LAST lets the new
 *    segment's bytes win; bytes already delivered cannot be changed (a
 *    retransmission of them is counted in tcp.overlap and dropped) under
 *    either policy; different data in an overlap raises
 *    stream.reassembly_overlap_different_data;
 *  - a gap is reported (tcp.reassembly_gap) when the peer acknowledges
 *    bytes never seen, or at close (FIN reached out of order, RST,
 *    flow end) when held bytes sit behind a hole.
 * Sequence arithmetic is modulo 2^32 throughout.
 *
 * One struct stream_ctx per worker; everything runs on that worker.
 */
#ifndef SPU_STREAM_TCP_H
#define SPU_STREAM_TCP_H

#include "flow.h"
#include "stream.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct decoded;
struct stats_block;

enum stream_policy { STREAM_POLICY_FIRST = 0, STREAM_POLICY_LAST = 1 };

struct stream_cfg {
    size_t flow_cap;   /* out-of-order bytes held per flow (both directions) */
    size_t global_cap; /* out-of-order bytes held by all workers together */
    int policy;        /* enum stream_policy */
    bool midstream;    /* pick up sessions without a handshake */
};

/* 1 MiB per flow, 256 MiB in all, first-wins, no midstream pickup. */
void stream_cfg_default(struct stream_cfg *cfg);

struct stream_ctx {
    const struct stream_cfg *cfg;
    const struct stream_consumer *cons; /* may be NULL: nobody consumes */
    struct stats_block *st;             /* may be NULL */
    _Atomic int64_t *memuse;            /* global held-bytes gauge (shared) */
    /* anomalies raised by the last call, for the caller to report */
    uint8_t nanom;
    uint8_t anom[4];
};

/* One TCP packet of flow f in flow direction `fd` (0 = to server). The
 * worker has already counted it in the flow. */
void stream_tcp_packet(struct stream_ctx *c, struct flow *f, int fd, const struct decoded *d,
                       int64_t ts_ns);

/* One UDP datagram: handed to the consumer as one chunk. */
void stream_udp_packet(struct stream_ctx *c, struct flow *f, int fd, const uint8_t *p,
                       uint32_t n, int64_t ts_ns);

/* The flow ends: deliver what is held (with gaps), close open directions,
 * free held memory, call the consumer's destroy. */
void stream_flow_end(struct stream_ctx *c, struct flow *f, int64_t ts_ns);

/* ---- reassembly of one direction (stream-reasm.c), used by the above and
 * by tests ---- */

/* Start delivering direction `dir` at sequence `next_seq`. */
void reasm_start(struct flow *f, int dir, uint32_t next_seq);
/* Segment bytes p[0..n) at `seq`. */
void reasm_data(struct stream_ctx *c, struct flow *f, int dir, uint32_t seq, const uint8_t *p,
                uint32_t n, int64_t ts_ns);
/* The peer acknowledged direction `dir` up to `ack`. Bytes acknowledged
 * but not seen are a gap (reported to the consumer, held bytes after them
 * delivered) when the next ACK still finds them missing with nothing
 * delivered in between: one ACK may be captured before its data. */
void reasm_ack(struct stream_ctx *c, struct flow *f, int dir, uint32_t ack, int64_t ts_ns);
/* A FIN of direction `dir` sits at fin_seq (after its data). */
void reasm_fin(struct stream_ctx *c, struct flow *f, int dir, uint32_t fin_seq, int64_t ts_ns);
/* Close direction `dir`: release held bytes with gaps, then close(). */
void reasm_close(struct stream_ctx *c, struct flow *f, int dir, int reason, int64_t ts_ns);
/* Free held segments of both directions (no delivery). */
void reasm_release(struct stream_ctx *c, struct flow *f);

#endif

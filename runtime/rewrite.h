/*
 * rewrite.h - length-changing edits of a TCP flow in inline mode
 * (docs/inline.md, "Rewrites").
 *
 * An edit is a splice of one direction's byte stream, in the sender's
 * original sequence space: at sequence `pos`, `del` original bytes are
 * replaced by `ins` bytes. A flow keeps the edits of each direction that
 * the receiver has not acknowledged yet (so that a retransmission of an
 * edited segment gets the same edit) and the sum of the length changes of
 * the acknowledged ones. Every later packet is adjusted: its sequence
 * number is mapped from the original to the edited space of its direction,
 * its acknowledgement number and SACK blocks from the edited to the
 * original space of the other direction, its payload gets the edits that
 * fall inside it, and its IP length and checksums are recomputed.
 *
 * Convention: an edit belongs to the segment [s, e) when s <= pos and
 * pos + del <= e, except a pure insertion at pos == s, which belongs to
 * the segment that ends there ("insert after"). A segment that cuts an
 * edit is dropped (the sender retransmits); a segment starting before the
 * acknowledged edits (already delivered data) is dropped too.
 *
 * One struct rw_flow per flow that has had an edit, owned by the worker
 * that owns the flow (no locks).
 */
#ifndef SPU_REWRITE_H
#define SPU_REWRITE_H

#include <stdbool.h>
#include <stdint.h>

enum {
    RW_MAX_EDITS = 32,      /* unacknowledged edits per direction */
    RW_MAX_INSERT = 4096,   /* bytes inserted by one edit */
    RW_MAX_PENDING = 16,    /* splices queued on one packet */
    RW_MAX_IP_LEN = 1500,   /* an edited packet's IP length (the link's MTU) */
};

/* One splice: original sequence `pos`, `del` bytes removed, `ins` added. */
struct rw_edit {
    uint32_t pos, del, nins;
    uint8_t *ins; /* heap, nins bytes (NULL when 0) */
};

/* Edits of one direction. */
struct rw_dir {
    int64_t base;          /* sum of (nins - del) of the acknowledged edits */
    uint32_t acked;        /* the receiver acknowledged everything before this
                            * (original space); valid when has_acked */
    bool has_acked;
    unsigned n;
    struct rw_edit e[RW_MAX_EDITS]; /* sorted by pos, not overlapping */
};

/* Counters of the rewriting (the worker adds them to its stats). */
struct rw_counts {
    uint64_t edited;      /* packets whose payload was edited */
    uint64_t adjusted;    /* packets whose seq/ack/SACK was adjusted */
    uint64_t applied;     /* new edits applied */
    uint64_t refused;     /* new edits not applied: flow passed unmodified */
    uint64_t dropped;     /* segments that cut an edit or repeat acknowledged data */
};

struct rw_flow;

struct rw_flow *rw_flow_new(void);
void rw_flow_free(struct rw_flow *rf);

/* Queue a splice on the packet being processed in direction `dir`
 * (0 to server, 1 to client): at payload offset `off`, `del` bytes replaced
 * by ins[0..nins) (copied). The splices of one packet must not overlap.
 * Returns SPU_OK, SPU_ELIMIT (too many, too long) or SPU_ENOMEM; then the
 * packet's splices are all dropped and counted refused at rw_packet(). */
int rw_flow_splice(struct rw_flow *rf, int dir, uint32_t off, uint32_t del, const uint8_t *ins,
                   uint32_t nins);

/* Mark the packet's pending edits as impossible (the bytes are not in this
 * packet, the stream has a gap...): they are counted refused. */
void rw_flow_refuse(struct rw_flow *rf, int dir);

/* True when a splice at payload offset `off` removing `del` bytes would
 * not collide with one already queued on the packet. */
bool rw_flow_splice_free(const struct rw_flow *rf, uint32_t off, uint32_t del);

/* The packet the pending splices were meant for is not sent as it is
 * (dropped, not editable): they are counted refused and forgotten. */
void rw_flow_drop_pending(struct rw_flow *rf, struct rw_counts *n);

/* True when the packet being processed has pending splices or refusals. */
bool rw_flow_pending(const struct rw_flow *rf);

enum rw_result { RW_PASS = 0, RW_EDITED = 1, RW_DROP = 2 };

/* Adjust one IPv4/IPv6 TCP packet of the flow, sent in direction `dir`:
 * `pkt` holds `len` bytes, the IP header at `l3` (the bytes before it,
 * a link header, are kept). Applies the pending splices of `dir` first
 * (when they fit the limits; refused otherwise), then every kept edit.
 * RW_EDITED: *out (heap, the caller frees) holds *outlen bytes to send in
 * place of the packet; RW_PASS: send it as it is; RW_DROP: drop it. */
enum rw_result rw_packet(struct rw_flow *rf, int dir, const uint8_t *pkt, uint32_t len,
                         uint32_t l3, uint8_t **out, uint32_t *outlen, struct rw_counts *n);

/* Offset arithmetic, exposed for the tests. Sequence `seq` of the
 * original stream in the edited stream, and edited sequence `ack` back in
 * the original stream (bytes inside an insertion acknowledge up to the
 * insertion point). */
uint32_t rw_map_seq(const struct rw_dir *d, uint32_t seq);
uint32_t rw_unmap_seq(const struct rw_dir *d, uint32_t ack);

/* The receiver of `d` acknowledged original sequence `ack`: edits wholly
 * before it are folded into d->base and freed. */
void rw_dir_acked(struct rw_dir *d, uint32_t ack);

/* Direction `dir` of a flow (for the tests). */
struct rw_dir *rw_flow_dir(struct rw_flow *rf, int dir);

/* Recompute the IPv4 header checksum (when IPv4) and the TCP checksum of
 * the packet whose IP header is at ip (its lengths already set). */
void rw_checksums(uint8_t *ip, uint32_t iplen);

#endif

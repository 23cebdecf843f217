/*
 * stream.h - the stream consumer interface: where reassembled bytes go.
 *
 * For every TCP flow and each direction, in order: data(chunk) for bytes in
 * sequence, gap(size) where bytes are missing for good (lost in capture, or
 * skipped because the out-of-order memory cap was reached), then close()
 * once (FIN reached, RST, timeout, eviction or shutdown). A chunk points
 * into packet storage when the bytes arrived in order (no copy), or into
 * reassembly memory for out-of-order bytes released later; either way the
 * pointer is valid only during the callback. UDP datagrams use the same
 * interface: one data() per datagram, close() when the flow ends.
 *
 * The consumer keeps its per-flow state in the flow's opaque slot
 * (stream_slot()); destroy() is called once when the flow dies, after the
 * last close(). Callbacks run on the worker thread that owns the flow; the
 * grammar VM (app.c) is the consumer spurun plugs in. With no consumer
 * (no bundle loaded) the stream is still tracked and reassembled, and the
 * bytes are simply not handed to anyone.
 */
#ifndef SPU_STREAM_H
#define SPU_STREAM_H

#include <stddef.h>
#include <stdint.h>

struct flow;

/* Direction of a chunk relative to the flow's client. */
enum stream_dir_id { STREAM_TOSERVER = 0, STREAM_TOCLIENT = 1 };

/* Why a direction closed. */
enum stream_close_reason {
    STREAM_CLOSE_FIN = 0,     /* every byte up to the FIN was delivered */
    STREAM_CLOSE_RST = 1,
    STREAM_CLOSE_FLOW_END = 2 /* timeout, eviction or shutdown */
};

struct stream_consumer {
    void *ctx; /* the consumer's own per-worker context */
    /* In-order bytes: p[0..n) of direction `dir` (borrowed for the call). */
    void (*data)(void *ctx, struct flow *f, int dir, const uint8_t *p, size_t n,
                 int64_t ts_ns);
    /* `size` bytes of direction `dir` will never be delivered. */
    void (*gap)(void *ctx, struct flow *f, int dir, uint64_t size, int64_t ts_ns);
    /* No more data in direction `dir`. */
    void (*close)(void *ctx, struct flow *f, int dir, int reason, int64_t ts_ns);
    /* The flow dies: free what the slot holds (`app` is *stream_slot(f)). */
    void (*destroy)(void *ctx, struct flow *f, void *app);
    /* Optional (NULL: none): the packet whose bytes the calls that follow
     * deliver, by its position in the capture (EVE's pcap_cnt); 0 when
     * they come from no packet (a flow ending on timeout or at exit). */
    void (*packet)(void *ctx, uint64_t pcap_cnt);
};

/* The consumer's per-flow slot (NULL until it stores something). */
void **stream_slot(struct flow *f);

#endif

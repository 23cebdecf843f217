/*
 * flow.h - one tracked connection, and the per-worker flow table.
 *
 * A flow is keyed by its canonical 5-tuple plus VLANs (flowkey.h). It
 * records which endpoint is the client (the sender of the first packet, or
 * of the SYN), packets and bytes each way, first and last packet times, the
 * TCP state (Suricata's state names), per-direction reassembly state and the
 * stream consumer's opaque slot. struct flow is public inside runtime/ so
 * that stream-tcp.c, stream-reasm.c and eve.c can read it; other modules go
 * through the stream consumer interface (stream.h).
 *
 * Each worker owns one struct flow_table and is the only thread touching it
 * (no locks). Timeouts run on the shared packet clock; flows sit on one list
 * per timeout class, oldest activity first, so expiry and eviction of the
 * most idle flows cost O(flows ended). Memory of all tables together is
 * capped (an atomic gauge shared by the workers): a worker over the cap
 * evicts its own most idle flows (reason "forced") before creating one.
 */
#ifndef SPU_FLOW_H
#define SPU_FLOW_H

#include "flowkey.h"

#include <stdbool.h>
#include <stdint.h>

struct stream_seg;
struct rw_flow;

enum flow_state { FLOW_STATE_NEW, FLOW_STATE_ESTABLISHED, FLOW_STATE_CLOSED };

enum flow_reason { FLOW_REASON_TIMEOUT, FLOW_REASON_FORCED, FLOW_REASON_SHUTDOWN };

/* Suricata's TCP session states, in its order. */
#define TCP_STATE_LIST(X)                                                      \
    X(NONE, "none") X(SYN_SENT, "syn_sent") X(SYN_RECV, "syn_recv")            \
    X(ESTABLISHED, "established") X(FIN_WAIT1, "fin_wait1")                    \
    X(FIN_WAIT2, "fin_wait2") X(TIME_WAIT, "time_wait") X(LAST_ACK, "last_ack")\
    X(CLOSE_WAIT, "close_wait") X(CLOSING, "closing") X(CLOSED, "closed")

enum tcp_state {
#define TCP_STATE_ENUM(id, name) TCP_##id,
    TCP_STATE_LIST(TCP_STATE_ENUM)
#undef TCP_STATE_ENUM
};

/* stream_dir.flags */
enum {
    SD_SEQ_SET = 1u << 0,  /* next_seq is known: bytes are being delivered */
    SD_FIN = 1u << 1,      /* a FIN was seen at fin_seq */
    SD_CLOSED = 1u << 2,   /* close() was delivered */
    SD_GAP = 1u << 3,      /* at least one gap was reported */
    SD_ACK_HOLE = 1u << 4, /* an ACK covered bytes not seen yet: a gap if the
                            * next ACK still does (reasm_ack) */
};

/* Reassembly state of one direction. Held out-of-order bytes are copies. */
struct stream_dir {
    uint32_t next_seq;        /* next byte to deliver */
    uint32_t fin_seq;         /* sequence number of the FIN */
    uint32_t held;            /* bytes held out of order */
    uint8_t flags;            /* SD_* */
    uint8_t max_regions;      /* most disjoint regions ever held + 1 */
    uint16_t nsegs;
    struct stream_seg *ooo;   /* held segments sorted by sequence */
};

/* flow.flags */
enum {
    FLOW_F_TCP_SESSION = 1u << 0, /* TCP session tracked (SYN seen or midstream) */
    FLOW_F_MIDSTREAM = 1u << 1,   /* picked up without a handshake */
    FLOW_F_ENDED = 1u << 2,
    FLOW_F_SHUN_DROP = 1u << 3,   /* inline: dropped only because an endpoint is
                                   * shunned (detect.c); passes again once no
                                   * endpoint is */
};

/* flow.verdict; the values of capture.h's CAPTURE_VERDICT_* */
enum { FLOW_VERDICT_NONE = 0, FLOW_VERDICT_DROP = 1, FLOW_VERDICT_REJECT = 2,
       FLOW_VERDICT_REDIRECT = 3 /* this packet: flow.redirect; then drop */ };

struct flow {
    struct flow *hnext;          /* bucket chain */
    struct flow *lprev, *lnext;  /* timeout-class list, oldest activity first */
    struct flow_key key;
    uint32_t hash;               /* fills the 4 bytes after the 44-byte key */
    int64_t start_ns, last_ns;
    uint64_t bytes[2];           /* [0] to server, [1] to client */
    uint32_t pkts[2];
    /* Bit-fields: client/tclass and state/verdict/tcp_state share a byte
     * each, which keeps the struct at 216 bytes (a 224-byte malloc chunk
     * rather than 240: 16 bytes per flow; test-flow checks the size, the
     * asserts below the ranges). */
    uint8_t client : 1;          /* key endpoint (0/1) that is the client */
    uint8_t tclass : 7;          /* timeout class (list) */
    uint8_t state : 2;           /* enum flow_state */
    uint8_t verdict : 2;         /* FLOW_VERDICT_*: what inline modes do with the
                                  * flow's packets (set by the rule engine) */
    uint8_t tcp_state : 4;       /* enum tcp_state */
    uint8_t tcp_flags[2];        /* flags seen to server / to client */
    uint8_t flags;               /* FLOW_F_* */
    uint8_t icmp_type, icmp_code;
    uint8_t qclass;              /* inline: queuing class id (shaper.h) from Queue(), or 0 */
    struct stream_dir sd[2];     /* [0] to server, [1] to client */
    void *app;                   /* stream consumer's slot */
    const char *app_proto;       /* protocol name (NUL-terminated, owned by the
                                  * application layer, which outlives its flows),
                                  * or NULL: not characterized */
    void *detect;                /* rule engine's slot (detect.c: flow variables, verdict) */
    char *redirect;              /* inline: Redirect location (heap) until the worker
                                  * moves it to the packet; freed at flow end */
    void *trace;                 /* --pcap-log's slot (pcaplog.c: packet ring, alert pcap) */
    struct rw_flow *rewrite;     /* inline: the flow's edits (rewrite.h), or NULL;
                                  * freed at flow end */
};
_Static_assert(FLOW_STATE_CLOSED < 4, "struct flow's state is a 2-bit field");
_Static_assert(FLOW_VERDICT_REDIRECT < 4, "struct flow's verdict is a 2-bit field");
_Static_assert(TCP_CLOSED < 16, "struct flow's tcp_state is a 4-bit field");

struct flow_table;
struct stats_block;
struct stats_gauges;

/* Timeouts in seconds of packet time, per class. */
struct flow_timeouts {
    uint32_t tcp_new, tcp_est, tcp_closed;
    uint32_t udp_new, udp_est;
    uint32_t other_new, other_est;
};

/* Suricata's default suricata.yaml values: tcp 60/600/60, udp 30/300,
 * others (ICMP, ...) 30/300. */
void flow_timeouts_default(struct flow_timeouts *t);

/* Called for every flow that ends (timeout, eviction, shutdown) before it
 * is freed: write its event, close its streams. */
typedef void (*flow_end_fn)(void *ctx, struct flow *f, enum flow_reason reason);

/* Returns a new table with 2^bits buckets (bits 8..24; doubled, up to
 * 2^24, whenever it holds more flows than buckets), or NULL. `memuse`
 * is the gauge shared by all tables, `memcap` its limit in bytes. */
struct flow_table *flow_table_new(unsigned bits, const struct flow_timeouts *to,
                                  _Atomic int64_t *memuse, uint64_t memcap,
                                  flow_end_fn on_end, void *end_ctx, struct stats_block *st);

/* Ends every flow with reason `shutdown` (calling on_end), then frees the
 * table. NULL is a no-op. */
void flow_table_free(struct flow_table *t);

/* Look up the flow of key `k` (hash `h`); when absent and `create`, make a
 * new one (client = endpoint `client`), evicting idle flows if over the
 * memcap. *created tells which. Returns NULL when absent and not created
 * (memcap reached with nothing to evict, or out of memory). */
struct flow *flow_table_get(struct flow_table *t, const struct flow_key *k, uint32_t h,
                            int client, int64_t now_ns, bool create, bool *created);

/* Hint that hash h will be looked up soon: its bucket (chain false), or,
 * once the bucket is cached, the first flow on it (chain true). A worker
 * issues both a few packets ahead so that the two cache misses of a lookup
 * in a large table overlap with other work. Changes nothing. */
void flow_table_prefetch(const struct flow_table *t, uint32_t h, bool chain);

/* The flow saw a packet at now_ns, or changed state: move it to the tail
 * of its (possibly new) timeout class. */
void flow_table_touch(struct flow_table *t, struct flow *f, int64_t now_ns);

/* End flows whose timeout passed at packet time now_ns (reason timeout).
 * At most `max` flows (0 = no limit). Returns how many ended. */
unsigned flow_table_expire(struct flow_table *t, int64_t now_ns, unsigned max);

/* End one flow now (e.g. port reuse) with `reason`, and free it. */
void flow_table_end(struct flow_table *t, struct flow *f, enum flow_reason reason);

/* End every flow (reason shutdown). */
void flow_table_end_all(struct flow_table *t);

size_t flow_table_count(const struct flow_table *t);

/* Bytes of ended flows kept for reuse (outside the flow memcap; any
 * thread, a snapshot), and their bound per table. */
size_t flow_table_spare_bytes(const struct flow_table *t);
size_t flow_table_spare_cap(void);

/* Bytes accounted per flow (the struct, without held stream data). */
size_t flow_bytes_per_flow(void);

const char *flow_tcp_state_name(unsigned s);
const char *flow_state_name(unsigned s);
const char *flow_reason_name(unsigned r);

#endif

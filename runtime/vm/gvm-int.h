/*
 * gvm-int.h - the inside of the grammar VM, shared by its files:
 *   gvm.c         the gvm and connection objects, the public entry points,
 *                 direction contexts, the feed loop, end-of-feed pinning
 *   gvm-run.c     the interpreter loop (frames, calls, records, events)
 *   gvm-input.c   input and hold buffer, the consuming ops, capture buffers
 *   gvm-sink.c    sinks, filter chains, sub-stream child contexts
 *   gvm-msg.c     messages, transactions, stored values, state, anomalies
 *   gvm-resync.c  errors, unwinding, resynchronisation, stop
 * Everything here runs on the thread that owns the gvm.
 */
#ifndef SPU_GVM_INT_H
#define SPU_GVM_INT_H

#include "gvm.h"

#include "arena.h"
#include "bundle-int.h"
#include "bytecode.h"
#include "dfa-run.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GVM_MAX_LEVEL 16u          /* sub-stream nesting levels, hard bound */
#define GVM_MAX_DEPTH 64u          /* limits.depth is clamped to this */
#define GVM_MAX_TOKEN (16u << 20)  /* limits.token is clamped to this */
#define GVM_POOL 16u               /* idle message arenas kept per gvm */
#define GVM_ACACHE_HEAP 0u         /* idle heap chunks of message arenas kept per gvm:
                                    * none (1 MiB of them kept the heap from coalescing:
                                    * txbig's peak memory grew by 35 MB, for no CPU won) */
#define GVM_ACACHE_MAPS (8u << 20) /* idle mappings of large stored bodies kept */
#define GVM_ARENA_CHUNK 2048u      /* first chunk of a message arena: a waiting
                                    * DNS query (a flow's whole state) fits */
#define GVM_ARENA_CHUNK_MAX 16384u /* its later chunks double up to this */
#define GVM_ERRLEN 160u

#define GVM_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Results of the consuming ops and of the interpreter. */
enum {
    GOP_DONE = 0,  /* the op finished (and pushed its value, if any) */
    GOP_MORE = 1,  /* the op needs bytes that have not arrived: suspend */
    GOP_FAIL = 2,  /* the context failed (already unwound, status set) */
    GOP_STOP = 3,  /* the connection is stopping: return to the entry point */
    GOP_ENDED = 4  /* run(): the context's program finished */
};

/* Context status. */
/* GS_DGRAM: a datagram's parse failed; the rest of it is skipped and the
 * next datagram restarts the driver (spu_gvm_datagram). */
enum { GS_IDLE, GS_RUN, GS_RESYNC, GS_STOPPED, GS_DONE, GS_DGRAM };

/* Bytes produced by an op or stored by a sink: a view into the context's
 * current chunk while they lie there contiguously, else a copy in an
 * arena (cap > 0), bounded by `limit`. */
struct gbuf {
    const uint8_t *p;
    uint32_t len;
    uint32_t cap;   /* 0: a view (or empty) */
    uint32_t limit; /* bytes kept at most */
    uint8_t truncated;
    uint8_t incomplete;
    uint8_t count_only; /* a sink whose bytes nothing reads: counted against
                         * the limit (its anomaly too), none kept */
    uint32_t counted;   /* ... the bytes counted */
};

/* A message being parsed or waiting for its pair (also the entry record of
 * a sub-stream). Lives in its own arena. */
struct gmsg {
    struct spu_arena *arena;
    struct spu_record *rec;
    struct gmsg *pair;   /* server message: its client message; a client message
                          * in progress: the server message that paired with it
                          * early (see gvm_msg_start) */
    struct gmsg *next;   /* transaction queue link */
    struct gmsg *outer;  /* the message this one is nested in, if any */
    uint64_t tx_id;
    uint64_t start;      /* stream position where it started */
    uint32_t prog;
    uint8_t dir;
    uint8_t role;        /* GR_* */
    uint8_t raised;      /* its completion event was raised */
    uint8_t limit_hit;   /* message_limit anomaly raised */
    uint8_t trunc_hit;   /* field_truncated anomaly raised */
    uint8_t entry;       /* a sub-stream's entry: no transaction */
    uint8_t ended;       /* its program returned or was aborted */
    uint8_t has_key;     /* `transaction by` gave it a key */
    int64_t key;
    uint8_t early;       /* server message paired with a client message still
                          * in progress (owned by the client context until
                          * it ends) */
};
enum { GR_NONE, GR_CLIENT, GR_SERVER };

struct gframe {
    uint32_t prog;
    uint32_t pc;        /* where this frame resumes */
    uint32_t lbase;     /* first local in ctx->loc */
    uint32_t mbase;     /* first loop mark in ctx->mk */
    uint32_t sinks;     /* ctx->nsk when the frame was entered */
    struct spu_record *rec;
    struct gmsg *msg;   /* the message this frame belongs to (NULL: driver) */
    uint32_t wins;      /* ctx->nwin when the frame was entered */
    uint8_t capture;    /* push rec on return */
    uint8_t is_msg;     /* the frame of a message or sub-stream entry */
};

struct gmark {
    uint64_t pos;
    uint32_t count;
};

/* The consuming op in progress (only the top frame's). */
struct gop {
    uint8_t active;
    uint64_t start;           /* stream position where it started */
    struct spu_dfa_scan scan; /* G_TOKEN, G_PREDICT */
    uint64_t left;            /* G_BYTES */
    uint32_t k;               /* G_LIT offset; G_UPTO delimiter bytes matched */
    uint32_t dlen;            /* G_UPTO delimiter length (in ctx->dbuf) */
    uint32_t dskip;           /* G_UPTO index of the delimiter byte searched for */
    uint64_t val;             /* G_UINT: the value so far */
    struct gbuf cap;          /* captured bytes */
};

/* A window: `within (n)` (back == GVM_NOWHERE), `at (offset)` (back:
 * where the parse resumes when it closes) or `peek` (back: where it began,
 * the position it returns to). */
#define GVM_NOWHERE UINT64_MAX
struct gwin {
    uint64_t end;  /* the enclosing window's end, restored at close */
    uint64_t back;
    uint8_t peek;  /* `peek { }`: back is where the lookahead began */
};

struct gsink;
struct gfilt {
    const struct spu_filter_ops *ops;
    void *state;
    struct gsink *sink;
    uint8_t id;
    uint8_t idx;
    uint8_t failed;
    uint8_t produced;   /* it has sent output on */
    /* Input taken while it has produced nothing (at most GVM_REPLAY
     * bytes; nreplay > GVM_REPLAY: too much to keep): if it then fails,
     * all of it goes on undecoded, however the content was cut. */
    uint16_t nreplay;
    uint8_t *replay;
};
#define GVM_REPLAY 512

struct gsink {
    uint32_t idx;       /* bundle sink */
    uint32_t flags;     /* SPU_SINKF_* */
    uint32_t nflt;
    struct gfilt *flt;
    struct gbuf store;
    struct spu_arena *arena; /* where `store` grows: the opener's message arena */
    struct gctx *child;
    struct gctx *owner;
    struct spu_value result; /* SPU_SINKF_RECORD: the child's record, copied */
    struct gdigest *digest;  /* SPU_SINKF_DIGEST: size and hashes as they stream */
};

/* gvm-digest.c: the streaming digest of a `digest` capture. */
struct gdigest;
/* hashes: the SPU_HASH_* bits computed (the size always is). */
struct gdigest *gvm_digest_new(struct spu_gvm *g, unsigned hashes);
/* md5, sha1 and sha256 fetched once for g's digests (OpenSSL 3 looks the
 * implementation up again at every init when given EVP_md5() and the
 * like: about 8,000 instructions a body); one left NULL (fetch refused)
 * falls back to that. */
void gvm_digest_algs_fetch(struct spu_gvm *g);
void gvm_digest_algs_free(struct spu_gvm *g);
void gvm_digest_free(struct gdigest *d);
int gvm_digest_add(struct gdigest *d, const uint8_t *p, size_t n);
int gvm_digest_end(struct gdigest *d, struct spu_digest *out);
/* v (the stored string) copied into a with d's result after its bytes. */
struct spu_value gvm_digest_value(struct gctx *c, struct spu_arena *a, struct gdigest *d,
                                  struct spu_value v);
/* The value of a capture buffer b with d's result after its bytes: in
 * b's own block when it has the room or can grow to it in a (no copy of
 * the bytes), else as gvm_digest_value. */
struct spu_value gvm_digest_store(struct gctx *c, struct spu_arena *a, struct gdigest *d,
                                  struct gbuf *b);

struct gctx {
    struct spu_gvm_conn *conn;
    struct gctx *parent;
    const struct spu_bproto *P;
    uint32_t proto;
    uint8_t dir;
    uint8_t level;      /* 0: a direction; n: sub-stream nesting */
    uint8_t status;     /* GS_* */
    uint8_t eof;
    uint8_t has_driver; /* fr[0] is the driver */
    uint8_t abort_pending; /* an op ended the stream early: abort at the next op */
    uint8_t viewed;     /* a capture took a view of this feed's chunk: gvm_pin has work */
    uint8_t stop_here;  /* this context ran G_STOP */
    uint8_t rs_skip;    /* resync: drop one byte before scanning */
    uint8_t oom;        /* memory ran out: the context stopped */
    uint8_t dgram;      /* fed by datagrams: a failure waits for the next one */
    uint32_t entry;     /* driver or sub-stream entry program */
    uint32_t depth_base;
    uint64_t tx_inherit;/* sub-stream: tx id of the opener's message */
    struct spu_value *keep; /* sub-stream of a RECORD sink: where its entry record goes */
    struct spu_arena *keep_arena; /* ... copied into this arena */
    /* limits, clamped */
    uint32_t lim_token, lim_field, lim_message, lim_depth, lim_iter;

    /* input: positions count bytes of this stream (gaps included) */
    uint64_t pos;       /* next unconsumed byte */
    uint64_t end;       /* after the last byte available */
    uint8_t *hold;      /* unconsumed bytes kept from earlier chunks */
    uint32_t hold_len, hold_cap;
    uint64_t hold_base;
    const uint8_t *chunk; /* the chunk being fed (borrowed) */
    size_t chunk_len;
    uint64_t chunk_base;
    uint64_t restart;   /* position of the last resync restart */
    /* windows: consuming ops see the stream end at wend (GVM_NOWHERE: none) */
    uint64_t wend;
    struct gwin *win;
    uint32_t nwin, win_cap;
    /* the message buffer (`buffer N;`): bytes from bstart are kept, at most
     * blim of them, for `at (offset)` */
    uint64_t bstart;
    uint32_t blim;
    uint32_t bframe;    /* nfr of the frame that declared it */
    uint8_t bon;

    /* frames */
    struct gframe *fr;
    uint32_t nfr, fr_cap;
    struct spu_value *loc;
    uint32_t nloc, loc_cap;
    struct gmark *mk;
    uint32_t nmk, mk_cap;
    struct gop op;
    uint8_t *dbuf;      /* G_UPTO delimiter */
    uint32_t *fbuf;     /* its failure function */
    uint32_t dcap;
    struct gsink **sk;
    uint32_t nsk, sk_cap;
    struct gmsg *msg;   /* innermost message in progress */
    struct spu_record *drv; /* the driver's record: its pair is the waiting client */
    struct spu_arena *arena; /* driver locals */

    /* resync */
    struct spu_dfa_scan rs;
    uint8_t rs_active;
    uint64_t rs_start;  /* where the search scan began */
    uint64_t rs_min;    /* the earliest restart allowed (progress after a failure) */

    /* the last value pushed that lives in an arena: stores keep it as is */
    const void *own;
    struct spu_arena *own_arena;

    char err[GVM_ERRLEN];
};

/* Per-bundle tables a gvm keeps for its connections. */
struct gcache {
    struct gcache *next;
    struct spu_bundle *b; /* one reference */
    uint32_t users;
    struct spu_dfa *dfa;  /* views with their run tables (owned) */
    uint32_t ndfa;        /* entries of dfa made so far */
};

/* A record that received views of a context's chunk during this feed. */
struct gpin {
    struct spu_record *rec;
    struct spu_arena *arena;
};

struct gstate {
    struct spu_record *rec;
    struct spu_arena **arena; /* one per slot */
};

struct spu_gvm_conn {
    struct spu_gvm *g;
    struct spu_bundle *b;
    const struct spu_bview *v;
    struct gcache *cache;
    uint32_t proto;
    struct spu_gvm_hooks hooks;
    void *hctx;
    struct gctx *dir[2];
    struct gmsg *txq, *txq_tail; /* client messages waiting for their pair */
    uint32_t ntxq;
    uint64_t next_tx;
    struct gstate *state;        /* per protocol index, lazily */
    uint8_t stopped;
    uint8_t stop_req;
    uint8_t server_done;
    uint8_t in_call;             /* inside an entry point (hooks may run) */
    struct spu_gvm_stats st;
    uint64_t acct_held, acct_arena;
};

/* The sinks of a bundle whose captures keep no bytes (spu_gvm_set_store_skips). */
struct gskip {
    struct gskip *next;
    const struct spu_bundle *b;
    uint32_t n;
    uint8_t skip[];
};

struct spu_gvm {
    struct spu_gvm_config cfg;
    struct gskip *skips;
    struct spu_arena *scratch[GVM_MAX_LEVEL];
    struct spu_value *stack[GVM_MAX_LEVEL];
    pcre2_match_data *md;
    pcre2_match_context *mc;
    struct gpin *pins;
    uint32_t npins, pins_cap;
    struct spu_arena *pool[GVM_POOL];
    uint32_t npool;
    struct spu_arena_cache *acache; /* idle chunks of the message arenas */
    struct gcache *caches;
    struct evp_md_st *dalg[3]; /* gvm_digest_algs_fetch */
    struct spu_gvm_stats st;
    char name[256];
};

/* ---- gvm.c ---- */
/* A new context (direction when parent is NULL, else a sub-stream). */
struct gctx *gvm_ctx_new(struct spu_gvm_conn *conn, struct gctx *parent, uint32_t proto,
                         unsigned dir);
void gvm_ctx_free(struct gctx *c);
/* Feed a chunk (n may be 0) to a context and run it; ends with the
 * end-of-feed work (hold, pinning). Returns GOP_* (MORE, ENDED, STOP,
 * FAIL when memory ran out). */
int gvm_ctx_feed(struct gctx *c, const uint8_t *p, size_t n);
/* Mark the end of the context's stream and run it to its end. */
int gvm_ctx_eof(struct gctx *c);
/* Whether sink `sink` of conn's bundle keeps no bytes (spu_gvm_set_store_skips). */
bool gvm_store_skipped(const struct spu_gvm_conn *conn, uint32_t sink);
/* Grow a vector of `size`-byte entries to hold `need`. 0 or -1. */
int gvm_grow(void **vec, uint32_t *cap, uint32_t need, size_t size);

/* ---- gvm-run.c ---- */
/* Run the context from its top frame until it suspends or ends. */
int gvm_run(struct gctx *c);
/* Push a frame for program `pi` with record `rec`; args (nargs values) go
 * to its first locals. 0, or GOP_FAIL (context failed: depth, memory). */
int gvm_push_frame(struct gctx *c, uint32_t pi, struct spu_record *rec, struct gmsg *m,
                   const struct spu_value *args, uint32_t nargs, int is_msg);
/* Raise event `ev` with `rec`. */
void gvm_raise(struct gctx *c, uint32_t ev, const struct spu_record *rec);

/* ---- gvm-input.c ---- */
/* Contiguous bytes available at stream position q: count and *p. */
static inline size_t gvm_in_at(const struct gctx *c, uint64_t q, const uint8_t **p)
{
    uint64_t hend = c->hold_base + c->hold_len;
    if (q < hend) {
        *p = c->hold + (q - c->hold_base);
        return (size_t)(hend - q);
    }
    uint64_t off = q - c->chunk_base;
    if (off < c->chunk_len) {
        *p = c->chunk + off;
        return (size_t)(c->chunk_len - off);
    }
    *p = NULL;
    return 0;
}
/* The bytes available at q, as gvm_in_at, but none past the innermost
 * window: what the consuming ops read. */
static inline size_t gvm_in_win(const struct gctx *c, uint64_t q, const uint8_t **p)
{
    size_t n = gvm_in_at(c, q, p);
    if (q >= c->wend)
        return 0;
    if (n > c->wend - q)
        n = (size_t)(c->wend - q);
    return n;
}
/* Does the stream (or the innermost window) end at q? */
static inline bool gvm_ends_at(const struct gctx *c, uint64_t q)
{
    return c->eof || q >= c->wend;
}
static inline bool gvm_in_chunk(const struct gctx *c, const void *p, size_t n)
{
    const uint8_t *q = p;
    return c->chunk && q >= c->chunk && n <= c->chunk_len &&
           (size_t)(q - c->chunk) <= c->chunk_len - n;
}
int gvm_op_lit(struct gctx *c, const struct spu_insn *in, struct spu_value **sp);
int gvm_op_token(struct gctx *c, const struct spu_insn *in, struct spu_value **sp);
int gvm_op_predict(struct gctx *c, const struct spu_insn *in, struct spu_value **sp);
int gvm_op_bytes(struct gctx *c, const struct spu_insn *in, struct spu_value **sp);
int gvm_op_upto(struct gctx *c, const struct spu_insn *in, struct spu_value **sp);
int gvm_op_rest(struct gctx *c, const struct spu_insn *in, struct spu_value **sp);
/* The stream or the innermost window ended where the op needs bytes:
 * "incomplete" at the stream's end, "parse_error" at a window's. */
int gvm_ended(struct gctx *c, const char *msg);
/* Binary ops (gvm-bin.c): integers, windows, the message buffer. */
int gvm_op_uint(struct gctx *c, const struct spu_insn *in, struct spu_value **sp);
int gvm_op_win_open(struct gctx *c, struct spu_value **sp);
int gvm_op_win_close(struct gctx *c);
int gvm_op_buf_mark(struct gctx *c, struct spu_value **sp);
int gvm_op_at_open(struct gctx *c, struct spu_value **sp);
int gvm_op_peek_open(struct gctx *c);
/* Where the outermost `peek` in progress began (GVM_NOWHERE: none). */
uint64_t gvm_peek_floor(const struct gctx *c);
/* Close the windows opened above `keep` (RET, unwinding): the stream
 * position goes back to where the outermost `at` among them was. */
void gvm_wins_drop(struct gctx *c, uint32_t keep);
/* Append n bytes to b (a view when they extend a view in c's chunk, else
 * a copy in arena a); past b->limit they are dropped and the buffer is
 * flagged truncated (anomaly once per message). 0, or GOP_STOP never. */
void gvm_buf_add(struct gctx *c, struct spu_arena *a, struct gbuf *b, const uint8_t *p,
                 size_t n);
/* Copy a view into arena a (end of feed). */
void gvm_buf_pin(struct gctx *c, struct spu_arena *a, struct gbuf *b);
/* The buffer as a string value (sets c->own when it lives in an arena). */
struct spu_value gvm_buf_value(struct gctx *c, struct spu_arena *a, const struct gbuf *b);
/* Keep at the end of the feed the unconsumed bytes [pos, end) in the hold
 * buffer. 0 or -1 (out of memory). */
int gvm_hold_keep(struct gctx *c);

/* ---- gvm-sink.c ---- */
/* Route n consumed bytes to the innermost sink (all of them to a SPAN
 * sink, only `yield`ed ones otherwise). GOP_DONE or GOP_STOP. */
int gvm_route(struct gctx *c, const uint8_t *p, size_t n, int yield);
int gvm_sink_open(struct gctx *c, const struct spu_insn *in, struct spu_value **sp);
/* Close the innermost sink; with `push`, push its stored content. */
int gvm_sink_close(struct gctx *c, struct spu_value **sp, int push);
/* Close sinks down to `keep` without pushing (unwinding, RET). */
void gvm_sinks_unwind(struct gctx *c, uint32_t keep);
/* Release every sink without running children (stop). */
void gvm_sinks_drop(struct gctx *c);

/* ---- gvm-msg.c ---- */
struct spu_arena *gvm_arena_get(struct spu_gvm *g, size_t cap);
void gvm_arena_put(struct spu_gvm *g, struct spu_arena *a);
/* Start message program `pi` in c (G_MESSAGE). 0 or GOP_FAIL. */
int gvm_msg_start(struct gctx *c, uint32_t pi);
/* A sub-stream's entry record and arena. NULL when refused. */
struct gmsg *gvm_entry_new(struct gctx *c, uint32_t pi, const struct spu_record *parent);
/* The message ends: normally, or aborted (completion event flagged
 * incomplete when it consumed bytes and had not raised it). Runs the
 * transaction bookkeeping and releases what it can. */
void gvm_msg_end(struct gctx *c, struct gmsg *m, int aborted);
void gvm_msg_release(struct spu_gvm_conn *conn, struct gmsg *m);
/* The client message the next server message would pair with: the
 * oldest waiting one, else the client message in progress that no server
 * message has paired with yet; NULL when none. */
/* `transaction by KEY;` (G_TX_KEY) in the message in progress; see
 * gvm-msg.c. */
void gvm_tx_key(struct gctx *c, const struct spu_value *key);
struct gmsg *gvm_pair_candidate(const struct spu_gvm_conn *conn);
/* A context with a message in progress goes away: unlink or release the
 * message paired with m (which the caller releases). */
void gvm_msg_drop_pair(struct spu_gvm_conn *conn, struct gmsg *m);
/* Complete alone every client message still waiting. */
void gvm_txq_flush(struct spu_gvm_conn *conn);
/* Anomaly "proto.what" for c's protocol. */
void gvm_anomaly(struct gctx *c, const char *what, size_t len);
static inline void gvm_anomaly_s(struct gctx *c, const char *what)
{
    size_t n = 0;
    while (what[n])
        n++;
    gvm_anomaly(c, what, n);
}
/* The arena values of the running frame live in. */
struct spu_arena *gvm_frame_arena(struct gctx *c);
/* Make *v safe to keep in arena a (copy unless it is immediate, in the
 * bundle, the context's last arena value, or -- with allow_view -- a view
 * of c's chunk). Returns 1 for a kept chunk view, 0, or -1 when the arena
 * refused (v is then null and message_limit was raised). */
int gvm_own(struct gctx *c, struct spu_arena *a, struct spu_value *v, int allow_view);
int gvm_store_field(struct gctx *c, struct spu_record *rec, uint32_t b, struct spu_value v,
                    int mode);
enum { GST_STORE, GST_APPEND, GST_CONCAT };
int gvm_store_local(struct gctx *c, struct spu_value *slot, struct spu_value v);
struct spu_value gvm_state_load(struct gctx *c, uint32_t proto, uint32_t b);
int gvm_state_store(struct gctx *c, uint32_t proto, uint32_t b, struct spu_value v);
void gvm_state_free(struct spu_gvm_conn *conn);
/* End of feed: copy the views of c's chunk held by records registered
 * since pin mark `mark`, by locals, capture buffers and sinks. */
void gvm_pin(struct gctx *c, uint32_t mark);
/* Forget pins of a released arena. */
void gvm_pin_forget(struct spu_gvm *g, struct spu_arena *a);
size_t gvm_conn_arena_bytes(const struct spu_gvm_conn *conn);

/* ---- gvm-resync.c ---- */
/* A parse error (or gap, stream end): anomaly "proto.<what>", abort and
 * unwind, then resync or stop. Returns GOP_FAIL. `detail` is kept as the
 * last error. */
int gvm_fail(struct gctx *c, const char *what, const char *detail);
/* Unwind every frame (closing sinks); the messages end aborted unless
 * `complete`. Sets nothing else. */
void gvm_unwind(struct gctx *c, int complete);
/* Scan for the resync pattern; GOP_DONE when the driver restarted, GOP_MORE,
 * or GOP_ENDED when the direction stopped. */
int gvm_resync(struct gctx *c);
/* Enter the resync state (or stop without a pattern). */
void gvm_resync_enter(struct gctx *c);
/* Stop the whole connection (after G_STOP or spu_gvm_conn_stop). */
void gvm_conn_stop_all(struct spu_gvm_conn *conn);
/* Record the last error text: "prog 'x' pc n (OP): detail". */
void gvm_set_error(struct gctx *c, const char *detail);
/* (Re)start a direction's driver at `pos`. 0 or GOP_FAIL. */
int gvm_driver_start(struct gctx *c);

#endif

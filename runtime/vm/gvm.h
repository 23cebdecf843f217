/*
 * gvm.h - the streaming grammar VM: runs a bundle's compiled grammars
 * (DRIVER, MESSAGE and UNIT programs) over the two byte streams of a
 * connection, one chunk at a time, and raises the grammar's events with
 * their records (docs/grammar-vm.md is the contract).
 *
 * A struct spu_gvm is one worker's context: the operand stacks, the
 * scratch arenas of built-in results, PCRE2 match data, a pool of message
 * arenas and a cache of per-bundle tables (DFA views). A struct
 * spu_gvm_conn is one connection parsed by one protocol: per direction a
 * parse context (frames, locals, loop marks, the op in progress, sinks,
 * the hold buffer of unconsumed bytes), the connection's `state`, the
 * transaction queue. A connection costs a small struct until data
 * arrives; frames, buffers and arenas are allocated when parsing needs
 * them, and each is capped by the protocol's limits (hold buffer by
 * limits.token, a message's arena by limits.message, a stored value by
 * limits.field or its sink's limit, frames plus sub-stream nesting by
 * limits.depth): hitting a cap raises an anomaly, it never grows memory.
 *
 * Streaming: spu_gvm_feed() parses what it can of the chunk and returns;
 * the parse suspends where the chunk ends (in the middle of a token,
 * a length or a delimiter search) keeping only its state and the bytes
 * of the unfinished token. A message parses to the same fields and events
 * however its bytes are split. Values handed to the hooks may point into
 * the chunk being fed; at the end of every feed the values that outlive it
 * (fields of open and queued records, locals, state) are copied into
 * their owner's arena, so nothing points into `data` once feed returns.
 *
 * Thread use: a gvm and all its connections belong to one thread (a
 * worker). Hooks are called on that thread, synchronously, from inside
 * feed/gap/eof; a hook must not call feed, gap, eof or free on the same
 * connection (spu_gvm_conn_stop is allowed).
 */
#ifndef SPU_GVM_H
#define SPU_GVM_H

#include "builtin-api.h"
#include "err.h"
#include "value.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct spu_bundle;
struct spu_gvm;
struct spu_gvm_conn;

struct spu_gvm_config {
    /* Built-in functions by id; NULL: spu_builtin_fns. Borrowed for the
     * gvm's life (tests substitute their own). */
    const spu_builtin_fn *builtins;
    size_t scratch_cap;         /* bytes of built-in results per nesting level; 0: 4 MiB */
    uint32_t regex_match_limit; /* PCRE2 match limit; 0: 100000 */
    uint32_t regex_depth_limit; /* PCRE2 depth limit; 0: 10000 */
    /* SPU_HASH_* bits `digest` captures do NOT compute (0: all of them);
     * md5()/sha1()/sha256() of such a capture are null. */
    uint8_t skip_hashes;
};

/* What the runtime learns from a connection's parse. Every hook may be
 * NULL. Records are valid during the call only (rules that keep values
 * copy them). `dir` is SPU_DIR_CLIENT or SPU_DIR_SERVER (a sub-stream
 * reports its opener's direction). */
struct spu_gvm_hooks {
    /* A grammar event (bundle event index) with its record; rules run here.
     * tx_id is the transaction of the message being parsed (sub-streams:
     * of the message that opened them). A record flagged
     * SPU_VF_INCOMPLETE belongs to a message that was aborted. */
    void (*event)(void *ctx, uint32_t event, const struct spu_record *rec, uint64_t tx_id,
                  unsigned dir);
    /* An anomaly, named "proto.what" (docs/grammar-vm.md lists them); the
     * name is not NUL-terminated and valid during the call. */
    void (*anomaly)(void *ctx, const char *name, size_t len);
    /* A transaction is complete: a client message and its server message,
     * or one of them alone (the other NULL). */
    void (*tx_complete)(void *ctx, uint64_t tx_id, const struct spu_record *client,
                        const struct spu_record *server);
    /* The packet time in milliseconds since the epoch, for now(); NULL:
     * now() returns null. */
    int64_t (*now_ms)(void *ctx);
    /* The file type of p[0..n) for magic() (struct spu_host's magic);
     * NULL: magic() returns null. */
    const char *(*magic)(void *ctx, const uint8_t *p, size_t n);
    /* filestore() (struct spu_host's store); NULL: it returns false. */
    bool (*store)(void *ctx, const uint8_t *p, size_t n);
};

/* Counters. `bytes` counts bytes fed to the directions (gap bytes apart),
 * `messages` messages completed or aborted, `errors` parse errors and
 * gaps that aborted a parse, `resyncs` restarts after a resync match,
 * `anomalies` every anomaly raised; `held_bytes` and `arena_bytes` are
 * the memory held now (hold buffers: the undecided bytes; message, state
 * and sink arenas, and the bytes kept for a message buffer). */
struct spu_gvm_stats {
    uint64_t bytes;
    uint64_t messages;
    uint64_t errors;
    uint64_t resyncs;
    uint64_t gaps;
    uint64_t anomalies;
    uint64_t held_bytes;
    uint64_t arena_bytes;
};

/* Returns a new gvm, or NULL with err set (out of memory). cfg may be NULL
 * (defaults); it is copied, cfg->builtins borrowed. */
struct spu_gvm *spu_gvm_new(const struct spu_gvm_config *cfg, struct spu_error *err);

/* The SPU_HASH_* bits digest captures opened from now on compute (a
 * reload that changes what rules read); captures already open keep theirs. */
void spu_gvm_set_hashes(struct spu_gvm *g, unsigned hashes);

/* Sinks of bundle b whose stored content nothing reads: skip[s] != 0 for
 * sink s (n entries, copied; bundle-stores.h computes them). Captures of
 * those sinks opened from now on, when they have their digest, count
 * their bytes against their limit (field_truncated as before) and keep
 * none: their value is empty, with the digest of all of them (size and
 * hashes). skip NULL: every sink of b keeps its bytes. b is not
 * referenced: clear the entry before b can go. SPU_OK or SPU_ENOMEM (b's
 * sinks then keep their bytes). */
int spu_gvm_set_store_skips(struct spu_gvm *g, const struct spu_bundle *b, const uint8_t *skip,
                            uint32_t n);
/* Forget every bundle's skips (every sink keeps its bytes again). */
void spu_gvm_clear_store_skips(struct spu_gvm *g);

/* Frees the gvm. Its connections must have been freed first. NULL is a
 * no-op. */
void spu_gvm_free(struct spu_gvm *g);

/* Totals over the gvm's connections (live and freed); `held_bytes` and
 * `arena_bytes` are current, as of the end of the last call into any of
 * its connections. */
void spu_gvm_stats(const struct spu_gvm *g, struct spu_gvm_stats *out);

/* A connection of protocol `proto` (an index into the bundle's PROTO
 * section with at least one driver) of bundle b. Takes its own reference
 * on b (released by spu_gvm_conn_free); hooks are copied, hook_ctx is
 * passed back to them. Returns new, or NULL with err set (SPU_EINVAL for a
 * protocol without drivers, SPU_ENOMEM). */
struct spu_gvm_conn *spu_gvm_conn_new(struct spu_gvm *g, struct spu_bundle *b, uint32_t proto,
                                      const struct spu_gvm_hooks *hooks, void *hook_ctx,
                                      struct spu_error *err);

/* Frees the connection: messages in progress and transactions waiting are
 * released without further hooks (call spu_gvm_eof on both directions
 * first to have them completed). NULL is a no-op. */
void spu_gvm_conn_free(struct spu_gvm_conn *conn);

/* Parse `len` bytes of direction `dir` (borrowed: nothing points into
 * them after the call). Returns SPU_OK; SPU_DONE when the direction no
 * longer parses (stopped, finished, no messages in that direction, or
 * the connection stopped), so the caller may stop feeding it; SPU_EINVAL
 * for a bad direction; SPU_ENOMEM when memory ran out (the direction is
 * then stopped). Parse errors are not errors of the call: they raise
 * anomalies and the direction resyncs. */
int spu_gvm_feed(struct spu_gvm_conn *conn, unsigned dir, const uint8_t *data, size_t len);

/* One datagram of direction `dir` (UDP): a whole number of messages.
 * Parsed as by spu_gvm_feed; then a message left unfinished where the
 * datagram ends (truncated, or bytes after the last message) is aborted
 * with anomaly "proto.truncated", and after any parse error the rest of
 * the datagram is skipped and the next datagram starts a new message:
 * nothing of one datagram reaches the next. Do not mix with
 * spu_gvm_feed on the same direction. Returns as spu_gvm_feed. */
int spu_gvm_datagram(struct spu_gvm_conn *conn, unsigned dir, const uint8_t *data, size_t len);
/* `len` bytes of direction `dir` were lost (reassembly gap): anomaly
 * "proto.gap", the message in progress is aborted and the direction
 * resyncs after the gap. Returns as spu_gvm_feed. */
int spu_gvm_gap(struct spu_gvm_conn *conn, unsigned dir, uint64_t len);

/* Direction `dir` ended (FIN): the parse finishes (a message that still
 * needs bytes is aborted, anomaly "proto.incomplete"). When the server
 * side ends, client messages still waiting for it complete alone.
 * Returns as spu_gvm_feed. */
int spu_gvm_eof(struct spu_gvm_conn *conn, unsigned dir);

/* Stop parsing the connection for good, as G_STOP does (messages in
 * progress are aborted, waiting transactions complete alone). Safe to call
 * from a hook of this connection: the stop then happens when the hook
 * returns. */
void spu_gvm_conn_stop(struct spu_gvm_conn *conn);

/* Whether the connection is at a message boundary, where its parse may
 * end and another connection (of another bundle's grammar) take the
 * streams over from the next byte: no call in progress, no transaction
 * waiting for its pair, no connection `state` set, and in each direction
 * no byte of a message consumed or held (a message that started but
 * consumed nothing may be in progress: it is given up silently), no
 * sub-stream, sink, window or message buffer open, no resync under way.
 * On true, *next_tx is the transaction id the next message would take
 * (spu_gvm_conn_set_next_tx continues the numbering). */
bool spu_gvm_conn_at_boundary(const struct spu_gvm_conn *conn, uint64_t *next_tx);

/* The id of the connection's next transaction (a fresh connection that
 * takes another's streams over continues its numbering). */
void spu_gvm_conn_set_next_tx(struct spu_gvm_conn *conn, uint64_t next_tx);

/* Whether the connection stopped (G_STOP or spu_gvm_conn_stop). */
int spu_gvm_conn_stopped(const struct spu_gvm_conn *conn);

/* Bytes the connection holds now (held_bytes + arena_bytes of its
 * counters, as of the end of the last call into it). */
uint64_t spu_gvm_conn_memuse(const struct spu_gvm_conn *conn);

/* The connection's counters. */
void spu_gvm_conn_stats(const struct spu_gvm_conn *conn, struct spu_gvm_stats *out);

/* The last parse error of direction `dir` as text ("prog 'request' pc 7
 * (G_LIT): expected \" \""), or "" when none; valid until the next call
 * into the connection. */
const char *spu_gvm_conn_last_error(const struct spu_gvm_conn *conn, unsigned dir);

#endif

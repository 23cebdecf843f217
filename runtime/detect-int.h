/*
 * detect-int.h - what the rule engine's files share (detect.c: engine,
 * worker contexts and event dispatch; detect-record.c: runtime event
 * records; detect-host.c: the VM host and actions; detect-eve.c: alert,
 * log and explain records; detect-stats.c: counters as JSON).
 * Not for use outside runtime/detect*.c and their tests.
 */
#ifndef SPU_DETECT_INT_H
#define SPU_DETECT_INT_H

#include "detect.h"

#include "app-event.h"
#include "bundle.h"
#include "classification.h"
#include "eve-json.h"
#include "eve.h"
#include "host.h"
#include "index.h"
#include "rt-events.h"
#include "session.h"
#include "shun.h"
#include "vm.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

#define DETECT_MAX_WORKERS 1024u
#define DETECT_MAX_SLOTS 64u /* applications */
#define DETECT_MAX_PENDING 64u /* EVE records one event may produce */
#define DETECT_MAX_HELD 8u     /* session entries one rule run may hold */
#define DETECT_RT_MAX_FIELDS 16u
#define DETECT_FLOW_STATE_CAP 4096u /* default bytes of flow variables per flow and bundle */

/* The fields of runtime event records (events.def), by name. */
enum rt_field {
    RTF_NONE,
    RTF_SRC_IP,
    RTF_DST_IP,
    RTF_SRC_PORT,
    RTF_DST_PORT,
    RTF_PROTO,
    RTF_LEN,
    RTF_PAYLOAD_LEN,
    RTF_TCP_FLAGS,
    RTF_TTL,
    RTF_VLAN,
    RTF_PAYLOAD,
    RTF_TS,
    RTF_SENSOR,
    RTF_APP_PROTO,
    RTF_PKTS_TOSERVER,
    RTF_PKTS_TOCLIENT,
    RTF_BYTES_TOSERVER,
    RTF_BYTES_TOCLIENT,
    RTF_DURATION,
    RTF_STATE,
    RTF_REASON,
    RTF_COUNT, /* monitor.counts */
    RTF_WINDOW,
    RTF_TOTAL, /* spam.message */
    RTF_THRESHOLD,
    RTF_SOURCE_SCORE,
    RTF_RULES
};

/* Flow keys (events.def FLOWKEY), numbered as bundles store them. */
enum detect_flowkey {
#define FLOWKEY(id, name, type) DFK_##id,
#include "events.def"
#undef FLOWKEY
    DFK__COUNT
};

/* Verdicts, in precedence order (lowest value wins; docs/detect.md). */
enum detect_verdict { DV_PASS = 0, DV_DROP = 1, DV_REJECT = 2, DV_REDIRECT = 3, DV_NONE = 4 };
const char *detect_verdict_name(unsigned v);

/* An output a bundle declares (`output NAME file|unix "path"`). */
struct detect_output {
    char *name;
    uint32_t kind; /* SPU_OUT_* */
    char *path;
    int fd;
    pthread_mutex_t mu;
    _Atomic uint64_t sent, failed;
};

/* A `state` declaration of a bundle: the store of that table. */
struct detect_route {
    uint32_t kind;    /* SPU_ST_* */
    const char *name; /* SPU_ST_LIST: the list's name (in the bundle) */
    uint32_t nlen;
    struct state_store *st; /* the engine's, or --state's */
};

/* One loaded bundle, as the engine sees it. Immutable after setup. */
struct detect_bundle {
    struct spu_bundle *b;
    const char *name;
    char sha256[65];
    uint32_t nrules;
    uint32_t rt_ev[RT_EV__COUNT]; /* bundle event index, or SPU_NONE */
    /* per runtime event: slot of each events.def field in the record */
    int32_t rt_slot[RT_EV__COUNT][DETECT_RT_MAX_FIELDS];
    uint32_t flow_nslots;           /* flow variables (0: none) */
    struct session_space **sess;    /* per bundle session: its space */
    struct detect_output **out;     /* per bundle output */
    const struct class_entry **cls; /* per rule: its class, or NULL */
    uint64_t flow_decl;             /* declaration of the flow variables (detect_decl) */
    uint8_t *msg_end;               /* per bundle event: 1 when a message ends there */
    struct detect_route *routes;    /* its `state` declarations' stores */
    uint32_t nroutes;
    struct rule_counters *rc;       /* per worker, per rule: rc[worker * nrules + rule] */
};

/* One generation of the applications: what the workers run, immutable once
 * published (detect-gen.c). Slot i is application i; an empty slot has no
 * bundle (b NULL, nrules 0). Freed once no worker is inside an event that
 * uses it. */
struct detect_gen {
    uint64_t seq;                  /* 1, 2, ... in publication order */
    unsigned nslots;               /* = engine nslots */
    struct detect_bundle *bundles; /* per slot */
    char **names;                  /* per slot: owned copies, or NULL */
};

struct detect_engine {
    struct detect_cfg cfg;
    unsigned nslots, nworkers;
    struct detect_gen *_Atomic gen; /* the published generation */
    pthread_mutex_t pub_mu;         /* publication, stats, the shared tables below */
    struct session_space **spaces;  /* distinct spaces (shared by name and declaration) */
    uint64_t *space_decl;           /* per space: detect_decl of its variables */
    unsigned nspaces;
    /* publications (under pub_mu but the stall, which workers raise) */
    uint64_t publications, last_grace_ns, max_grace_ns;
    _Atomic uint64_t max_stall_ns;
    struct detect_output **outputs;
    unsigned noutputs;
    struct shun_table *shun;
    struct classification *cls;
    /* field names of each runtime event, events.def order */
    enum rt_field rt_fields[RT_EV__COUNT][DETECT_RT_MAX_FIELDS];
    unsigned rt_nfields[RT_EV__COUNT];
    _Atomic int64_t flow_memuse;                       /* flow-variable memory, all workers */
    _Atomic int64_t session_resv;                      /* meta-session bytes reserved */
    uint64_t session_hits_gone;                        /* memcap hits of freed spaces (pub_mu) */
    struct detect_store *stores; /* backends of `state` declarations (detect-stores.c) */
    unsigned nstores;
    struct detect_worker *workers[DETECT_MAX_WORKERS]; /* registered contexts */
};

/* Per rule, per worker (single writer, read by the stats thread). */
struct rule_counters {
    _Atomic uint64_t evals, matches, ns, faults;
};

/* Worker-wide counters. */
#define DETECT_COUNTER_LIST(X)                                                                     \
    X(EVENTS, "events")         /* events with rules in some bundle */                             \
    X(CANDIDATES, "candidates") /* rules selected by index + prefilter */                          \
    X(RULES_RUN, "rules_run")                                                                      \
    X(MATCHES, "matches") /* rule runs that took an action */                                      \
    X(FAULTS, "faults")                                                                            \
    X(ALERTS, "alerts")                                                                            \
    X(LOGS, "logs")                                                                                \
    X(SUPPRESSED, "suppressed_by_pass") /* records dropped by a pass verdict */                    \
    X(PENDING_FULL, "records_dropped")  /* over DETECT_MAX_PENDING in one event */                 \
    X(SHUNNED_EVENTS, "shunned_events") /* events ignored: source shunned */                       \
    X(SHUNS, "shuns")                                                                              \
    X(SHUN_REFUSED, "shun_refused")                                                                \
    X(MESSAGES, "messages") /* SendMessage lines written */                                        \
    X(MESSAGE_ERRORS, "message_errors")                                                            \
    X(VERDICT_PASS, "verdict_pass")                                                                \
    X(VERDICT_DROP, "verdict_drop")                                                                \
    X(VERDICT_REJECT, "verdict_reject")                                                            \
    X(VERDICT_REDIRECT, "verdict_redirect")                                                        \
    X(REWRITES, "rewrites")           /* InsertString, DeleteString, ... recorded */               \
    X(PASSED_EVENTS, "passed_events") /* events of a flow with a pass verdict */                   \
    X(FLOW_STATE_REFUSED, "flow_state_refused")                                                    \
    X(ACTION_ERRORS, "action_errors")                                                              \
    X(SELECT_ERRORS, "select_errors")                                                              \
    X(RECORD_ERRORS, "record_errors")                                                              \
    X(EXPLAINED, "explained")                                                                      \
    X(RELOAD_UNMAPPED, "reload_unmapped_events") /* its bundle replaced: event changed */  \
    X(MESSAGES_SCORED, "messages_scored")        /* messages ended (`message ends on`) */      \
    X(SPAM_MESSAGES, "spam_messages")            /* of those, over --spam-threshold */

enum detect_counter {
#define DC_ENUM(id, name) DC_##id,
    DETECT_COUNTER_LIST(DC_ENUM)
#undef DC_ENUM
        DC__COUNT
};

/* The rule engine's slot in a flow (struct flow.detect). */
struct detect_flow {
    uint8_t verdict; /* enum detect_verdict, strongest so far */
    int64_t score;   /* sum of the scores of the flow's alerts */
    size_t bytes;    /* accounted in engine->flow_memuse */
    struct {
        struct spu_value *slots;
        struct spu_arena *arena;
        uint32_t n;    /* slots */
        uint64_t decl; /* detect_decl of the declaration they were made for */
        struct detect_msg *msg; /* the message under way's spam score, or NULL */
    } fv[]; /* per application slot */
};

/* The event being processed. */
struct detect_event {
    const struct pkt *p;
    const struct decoded *d;
    struct flow *f;
    int64_t ts_ns;
    uint64_t pcap_cnt; /* app events: the packet that completed it (p is NULL), or 0 */
    int64_t tx_id; /* -1: none */
    int dir;       /* app events: STREAM_TO*, else -1 */
    const struct detect_bundle *db;
    uint32_t ev; /* bundle event index */
    const struct spu_record *rec;
    const struct detect_monitor_rec *mon; /* monitor.counts, else NULL */
    const struct detect_spam *spam;       /* spam.message, else NULL */
    bool app;                             /* a grammar event */
    uint32_t rule;                        /* rule running */
    bool acted;                           /* the running rule took an action */
    unsigned verdict;                     /* strongest verdict of the event */
    const char *redirect;                 /* Redirect location (scratch) */
    size_t redirect_len;
    /* Records waiting for the event's verdict (alerts and log records),
     * written as text: text.buf[off, off + blen) is its body, the blen +
     * slen bytes after it its spu members (detect-eve.c). */
    struct detect_pending {
        size_t off, blen, slen;
    } pending[DETECT_MAX_PENDING];
    unsigned npending;
    struct eve_text text; /* owned; emptied at each event's end */
    json_t *rewrites; /* array of recorded rewrites, or NULL */
    unsigned actions; /* bit per action builtin kind (SHUN, ...) */
    const struct spu_bundle *src; /* app events: the bundle whose layouts rec uses */
    int64_t rw_body;  /* inline rewrites: bytes the body grew by (rewrite-msg.c) */
    bool rw_fix;      /* a Content-Length to fix at the event's end */
    /* What every alert of the event on one (bundle, event, record) has
     * alike, written once as text at its first alert (detect-eve.c):
     * text.buf holds the envelope's members (env_len bytes), then the
     * transaction's protocol objects in order (tx_len, each with a
     * leading comma), then spu.bundle and spu.tx (spu_len, the same).
     * Empty (valid false) between events; text is kept (owned). */
    struct {
        const struct detect_bundle *db;
        uint32_t ev;
        const struct spu_record *rec;
        struct eve_text text;
        size_t env_len, tx_len, spu_len;
        bool valid, tx_failed;
    } alert_base;
};

/* A worker's mapping of one source bundle's events to a slot's bundle. */
struct detect_evmap {
    uint64_t seq; /* generation it was made for */
    const struct spu_bundle *src;
    uint32_t *map; /* per src event: the slot bundle's event, or SPU_NONE */
    uint32_t n;
};

struct held_session {
    struct session_space *space;
    struct session_entry *e;
    uint32_t sess;
};

struct detect_worker {
    struct detect_engine *eng;
    unsigned id;
    const char *in_iface;
    struct spu_vm *vm;
    struct spu_index *ix;
    struct eve_writer eve;
    struct rt_hooks hooks;
    struct app_sink sink;
    struct detect_gen *g;                 /* generation of the event being processed */
    struct detect_gen *_Atomic using;     /* the same, seen by publishers; NULL between events */
    uint64_t seen_seq;                    /* last generation this worker ran */
    _Atomic uint64_t left;                /* events finished (detect_engine_sync) */
    struct detect_evmap *evmap;           /* per slot */
    int64_t switch_t0;                    /* start of the first event of a new one, or 0 */
    _Atomic uint64_t c[DC__COUNT];
    _Atomic uint64_t fault_kind[SPU_VMF__COUNT];
    struct evelog *el; /* the alerts' protocol objects (detect-txlog.c) */
    struct detect_event cur;
    struct held_session held[DETECT_MAX_HELD];
    unsigned nheld;
    /* inline: the TCP payload of the packet being processed (rewrites find
     * the bytes of their message in it), and its flow */
    const uint8_t *pl;
    uint32_t pllen;
    const struct flow *plf;
    detect_alert_fn on_alert; /* NULL: none */
    void *on_alert_ctx;
};

static inline void dc_inc(struct detect_worker *w, enum detect_counter c)
{
    atomic_store_explicit(&w->c[c], atomic_load_explicit(&w->c[c], memory_order_relaxed) + 1,
                          memory_order_relaxed);
}
static inline void dc_add(_Atomic uint64_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

/* detect-gen.c (detect_gen_build/free: detect.c) */
/* A hash of the declaration of layout `l` of b (its fields' names, types
 * and flags): two bundles declaring the same variables give the same. */
uint64_t detect_decl(const struct spu_bundle *b, uint32_t l);
/* Enter/leave the published generation around one event (worker thread):
 * a publisher waits for workers inside the generation it replaces. */
struct detect_gen *detect_gen_enter(struct detect_worker *w);
void detect_gen_leave(struct detect_worker *w);
/* Build generation `seq` (pub_mu held) from n <= nslots applications;
 * `notes`, when not NULL, gets one string per session whose state starts
 * fresh or carries over. Returns new, or NULL with err. */
struct detect_gen *detect_gen_build(struct detect_engine *e, const struct detect_app *apps,
                                    unsigned n, uint64_t seq, json_t *notes,
                                    struct spu_error *err);
void detect_gen_free(struct detect_engine *e, struct detect_gen *g);

/* detect-record.c */
/* Parse events.def's field lists into the engine. */
void detect_rt_fields_init(struct detect_engine *e);
/* Fill db->rt_ev and rt_slot from the bundle's events and layouts. */
void detect_rt_map(const struct detect_engine *e, struct detect_bundle *db);
/* The record of runtime event `id` for bundle db, in the VM's scratch
 * arena; NULL on memory exhaustion. */
struct spu_record *detect_rt_record(struct detect_worker *w, const struct detect_bundle *db,
                                    enum rt_event_id id, int reason);
/* 16-byte address (IPv4 as ::ffff:a.b.c.d) of a decoded 4/16-byte one. */
void detect_ip16(int ipver, const uint8_t *a, uint8_t out[16]);

/* detect-host.c */
extern const struct spu_host detect_host_ops;
/* The flow's slot, created on demand (NULL when refused). */
struct detect_flow *detect_flow_get(struct detect_worker *w, struct flow *f);
/* Free the flow's slot (flow.end). */
void detect_flow_free(struct detect_worker *w, struct flow *f);
/* Release every session entry the running rule holds. */
void detect_release_sessions(struct detect_worker *w);

/* detect-txlog.c */
/* Add to the alert record `rec` the protocol objects of the current
 * grammar event's transaction (the grammar's log declarations), and to its
 * `spu` object, as `spu.tx`, the logs' "/tx_id" (the protocol's own
 * transaction number); nothing for runtime events. SPU_OK, or an error
 * with err set. */
int detect_alert_tx(struct detect_worker *w, json_t *rec, json_t *spu, struct spu_error *err);

/* The connection's protocol of the current grammar event, into buf
 * (NUL-terminated): the event's protocol, or for a protocol applied to a
 * sub-stream (email in smtp) that of the nearest enclosing record's event
 * whose protocol runs on a connection. false for runtime events. */
bool detect_app_proto(const struct detect_worker *w, char *buf, size_t n);

/* detect-spam.c: a message's spam score (docs/spam.md). */
#define DETECT_MSG_RULES 32u /* rules listed per message (more are counted, not listed) */
struct detect_msg {
    int64_t score; /* the `score` of the rules that alerted, once each */
    uint32_t n;    /* rules listed */
    uint32_t more; /* rules past DETECT_MSG_RULES */
    struct {
        uint32_t gid, sid;
        int32_t score;
    } r[DETECT_MSG_RULES];
};
/* spam.message: what its record and alerts show. */
struct detect_spam {
    int64_t total, threshold, source_score;
    const struct detect_msg *msg; /* NULL: no rule added */
};
/* The running rule (with a score) alerted on a grammar event: add its
 * score to the message of the event's flow, once per rule and message. */
void detect_msg_add(struct detect_worker *w, const struct spu_brule *r);
/* The current grammar event ends a message of application slot `slot`:
 * fill *sp (total: the rules' scores plus the client's Score() in the
 * state store) and count it. True when the total is above the threshold.
 * The message stays on the flow until detect_msg_release(). */
bool detect_msg_close(struct detect_worker *w, unsigned slot, struct detect_spam *sp);
/* Free the message of slot `slot` of flow f (NULL flow or none: no-op). */
void detect_msg_release(struct detect_worker *w, struct flow *f, unsigned slot);
/* spu.spam of an alert on spam.message: total, threshold, source_score,
 * rules [{gid, sid, score}], rules_not_listed. Returns new. */
json_t *detect_spam_json(const struct detect_spam *sp);
/* The `rules` field: "gid:sid:score,..." in the VM's scratch arena. */
struct spu_value detect_spam_rules_value(struct detect_worker *w, const struct detect_spam *sp);

/* detect-stores.c: stores of `state` declarations (docs/spam.md). */
struct detect_store;
/* Map db's declarations to stores, creating the engine's own for backends
 * other than --state's (pub_mu held, or at engine construction). */
int detect_stores_route(struct detect_engine *e, struct detect_bundle *db, struct spu_error *err);
/* The store of table `kind` (list `name`) for the current bundle: its
 * declaration's, else --state's (NULL: none). */
struct state_store *detect_store(const struct detect_worker *w, uint32_t kind, const char *name,
                                 size_t nlen);
/* [{url, backend, counters...}] of the engine's own stores (pub_mu held). */
json_t *detect_stores_json(struct detect_engine *e);
void detect_stores_free(struct detect_engine *e);

/* detect-state.c: the score the state store holds for addr (Score()), 0
 * without a store or on a store error. */
int64_t detect_state_score(struct detect_worker *w, const uint8_t ip[16], unsigned family);
/* SessionSet(session, key, field, value): the variable `field` of the
 * declared session `session` for `key`, created when absent. */
int detect_session_set(struct detect_worker *w, const struct spu_value *args);

/* detect-state.c: host.h state() */
int detect_host_state(void *ctx, uint32_t builtin, const struct spu_value *args, unsigned argc,
                      struct spu_value *ret);

/* detect-eve.c */
/* An Alert action's record, written as text and pending until the
 * event's verdict. SPU_OK, SPU_ENOMEM, or SPU_ELIMIT when the event has
 * DETECT_MAX_PENDING records already (counted). */
int detect_alert_pend(struct detect_worker *w, const struct spu_value *args, unsigned argc);
int detect_log_pend(struct detect_worker *w, const struct spu_value *args, unsigned argc);
json_t *detect_value_json(const struct spu_value *v, unsigned depth);
/* Write the event's pending records, applying its verdict; forget the
 * event's shared alert parts. */
void detect_flush_event(struct detect_worker *w);
/* An explain record for the event just selected. */
void detect_explain(struct detect_worker *w, const struct spu_cands *c);

/* rewrite-msg.c (inline only): InsertString, DeleteString, InsertCookie,
 * ReplaceHeader on the current grammar event's message, turned into
 * splices of the packet being processed (rewrite.h). SPU_OK when queued;
 * an error (the packet's edits refused, counted) otherwise. */
int rewrite_msg_action(struct detect_worker *w, uint32_t builtin, const struct spu_value *args,
                       unsigned argc);
/* At the event's end: the Content-Length of a message whose body changed. */
void rewrite_msg_end(struct detect_worker *w);

#endif

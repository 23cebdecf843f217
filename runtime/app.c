/* app.c - characterization of flows and the grammar VM on their streams
 * (see app.h). */
#include "app.h"

#include "app-pub.h"
#include "bundle.h"
#include "bundle-hashes.h"
#include "bundle-stores.h"
#include "dfa-run.h"
#include "eve.h"
#include "evelog.h"
#include "filestore.h"
#include "flow.h"
#include "gvm.h"

#include <magic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* One protocol of one bundle that flows can be given. */
struct app_proto {
    struct spu_bundle *bundle;
    unsigned bundle_idx;
    uint32_t proto;         /* index in the bundle's PROTO section */
    uint8_t transport;      /* 6 or 17 */
    char *name;             /* NUL-terminated copy */
    bool has_detect[2];
    struct spu_dfa detect[2];
    const uint32_t *ports;
    uint32_t nports;
};

/* The protocols of one grammar set (app-pub.h), as this worker uses them:
 * the current table characterizes new flows; a flow parses with the table
 * it was given (users counts them) until it moves at a message boundary;
 * a table no flow uses and that is not current is freed. */
struct app_table {
    struct app_table *next; /* retired tables still in use */
    struct app_gset *set;   /* one reference */
    struct app_proto *protos;
    unsigned nprotos;
    unsigned users;
    unsigned hashes; /* SPU_HASH_*: cfg.hashes and what the set's rules read */
    uint8_t **skips;  /* per bundle of the set: its sinks whose bytes nothing reads
                       * (bundle-stores.h), NULL when none */
};

/* A protocol name, kept for the app's life: a flow's app_proto outlives
 * the table that named it (the flow record is written after the flow's
 * parse is freed). */
struct app_name {
    struct app_name *next;
    char s[];
};

struct app {
    struct app_cfg cfg;
    struct app_sink sink;
    struct app_tx_sink tx_sink;
    struct spu_gvm *gvm;
    struct evelog *el;      /* EVE records of the bundles' log declarations */
    struct app_pub *pub;    /* NULL: the bundles of cfg for the app's life */
    uint64_t seq;           /* the publication `cur` was built from */
    struct app_table *cur;
    struct app_table *retired;
    struct app_name *names;
    struct eve_writer eve;
    struct stats_block st;
    struct stream_consumer cons;
    unsigned max_scans;     /* protocols of the largest transport */
    uint64_t pcap_cnt;      /* the packet whose bytes are parsed (0: none, flow end) */
    magic_t magic;          /* libmagic for magic(), opened at its first call */
    bool magic_failed;      /* ... and it could not be: magic() is null */
};

enum af_state { AF_DETECT, AF_PARSE, AF_NONE };

/* What a flow holds in its stream slot. */
struct app_flow {
    struct app *app;
    struct flow *flow;
    uint8_t state;                  /* enum af_state */
    uint8_t closed[2];
    uint8_t done[2];                /* the grammar no longer parses the direction */
    uint8_t swap;                   /* the flow's client is the protocol's server (a
                                     * session picked up midstream, told by its port) */
    struct app_table *tab;          /* the table the flow detects or parses with */
    int64_t acct;                   /* bytes of conn accounted in cfg.memuse */
    uint64_t stay_seq;              /* publication whose table lacks the flow's protocol */
    const struct app_proto *pi;
    struct spu_gvm_conn *conn;
    int64_t ts_ns;                  /* time of the chunk being parsed */
    int cur_dir;                    /* direction being fed (anomaly details) */
    /* Detection: per protocol and direction, a scan (or finished). */
    struct spu_dfa_scan *scan;      /* nprotos * 2 */
    uint8_t *dead;                  /* nprotos * 2: 1 once the pattern failed or ended */
    /* Bytes seen while undecided, in arrival order: `hold` holds the
     * bytes, `piece_dir`/`piece_len` the runs of one direction. */
    uint8_t *hold;
    uint32_t held;
    uint16_t npieces;
    uint8_t piece_dir[16];
    uint32_t piece_len[16];
    struct app_anom *anoms;         /* APP_ANOMALY_KINDS, at the first anomaly */
    char cid[32];                   /* the records' community_id, "" until the first */
};

/* One anomaly of a flow: its name (the first APP_ANOM_NAME bytes) and how
 * many of its records were written and folded. */
#define APP_ANOM_NAME 63u
struct app_anom {
    uint8_t len; /* 0: a free slot */
    char name[APP_ANOM_NAME];
    uint32_t written;
    uint64_t folded;
};

/* ---- setup ---- */

static const char *intern(struct app *a, const char *nm, uint32_t len)
{
    for (struct app_name *n = a->names; n; n = n->next)
        if (strlen(n->s) == len && memcmp(n->s, nm, len) == 0)
            return n->s;
    struct app_name *n = malloc(sizeof(*n) + len + 1u);
    if (!n)
        return NULL;
    memcpy(n->s, nm, len);
    n->s[len] = 0;
    n->next = a->names;
    a->names = n;
    return n->s;
}

static int add_protos(struct app *a, struct app_table *a_t, struct spu_bundle *b, unsigned bidx,
                      struct spu_error *err)
{
    uint32_t np, ndfa, nwords;
    const struct spu_bproto *ps = spu_bundle_protos(b, &np);
    const struct spu_bdfa *dfas = spu_bundle_dfas(b, &ndfa);
    const uint32_t *data = spu_bundle_dfadata(b, &nwords);
    for (uint32_t i = 0; i < np; i++) {
        const struct spu_bproto *p = &ps[i];
        if (p->transport != SPU_TRANSPORT_TCP && p->transport != SPU_TRANSPORT_UDP)
            continue;
        if (p->driver[0] == SPU_NONE && p->driver[1] == SPU_NONE)
            continue;
        struct app_proto *n = realloc(a_t->protos, (a_t->nprotos + 1) * sizeof(*n));
        if (!n)
            return spu_error_set(err, SPU_ENOMEM, "out of memory");
        a_t->protos = n;
        struct app_proto *ap = &a_t->protos[a_t->nprotos];
        memset(ap, 0, sizeof(*ap));
        uint32_t len;
        const char *nm = spu_bundle_str(b, p->name, &len);
        if (!(ap->name = (char *)intern(a, nm, len)))
            return spu_error_set(err, SPU_ENOMEM, "out of memory");
        a_t->nprotos++;
        ap->bundle = b;
        ap->bundle_idx = bidx;
        ap->proto = i;
        ap->transport = p->transport == SPU_TRANSPORT_TCP ? 6 : 17;
        ap->ports = p->nports ? spu_bundle_u32(b, p->ports) : NULL;
        ap->nports = p->nports;
        for (int d = 0; d < 2; d++) {
            if (p->detect[d] == SPU_NONE || p->detect[d] >= ndfa)
                continue;
            if (spu_dfa_from_bundle(&ap->detect[d], &dfas[p->detect[d]], data, nwords) == SPU_OK)
                ap->has_detect[d] = true;
        }
    }
    return SPU_OK;
}

static void table_free(struct app_table *t)
{
    if (!t)
        return;
    if (t->skips)
        for (unsigned i = 0; i < app_gset_count(t->set); i++)
            free(t->skips[i]);
    free(t->skips);
    free(t->protos);
    app_gset_unref(t->set);
    free(t);
}

/* Which sinks of the set's bundles keep no bytes: their stored content is
 * read by no program of the set (rules, logs, grammars) but through its
 * digest, nor by magic() or filestore() unless they are on. Without
 * memory, every sink keeps its bytes. */
static void table_skips(const struct app *a, struct app_table *t)
{
    unsigned n = app_gset_count(t->set);
    const struct spu_bundle **set = n ? calloc(n, sizeof(*set)) : NULL;
    if (!set || !(t->skips = calloc(n, sizeof(*t->skips)))) {
        free(set);
        return;
    }
    for (unsigned i = 0; i < n; i++)
        set[i] = app_gset_bundle(t->set, i);
    unsigned host = (a->cfg.no_magic ? 0u : SPU_STORE_HOST_MAGIC) |
                    (a->cfg.filestore && a->cfg.filestore_used ? SPU_STORE_HOST_FILESTORE : 0u);
    for (unsigned i = 0; i < n; i++) {
        uint32_t ns = spu_bundle_store_sinks(set[i]);
        uint8_t *skip = ns ? malloc(ns) : NULL;
        if (skip && spu_bundle_store_skips(set[i], set, n, host, skip) == 0) {
            free(skip);
            skip = NULL;
        }
        t->skips[i] = skip;
    }
    free(set);
}

/* Tell the gvm which sinks of t's bundles keep no bytes (captures opened
 * from now on; a sink that cannot be told keeps its bytes). */
static void apply_skips(struct app *a, const struct app_table *t)
{
    spu_gvm_clear_store_skips(a->gvm);
    for (unsigned i = 0; t->skips && i < app_gset_count(t->set); i++) {
        const struct spu_bundle *b = app_gset_bundle(t->set, i);
        if (t->skips[i])
            spu_gvm_set_store_skips(a->gvm, b, t->skips[i], spu_bundle_store_sinks(b));
    }
}

/* The table of set s (takes its reference; on failure it is dropped). */
static struct app_table *table_new(struct app *a, struct app_gset *s, struct spu_error *err)
{
    struct app_table *t = calloc(1, sizeof(*t));
    if (!t) {
        app_gset_unref(s);
        spu_error_set(err, SPU_ENOMEM, "out of memory");
        return NULL;
    }
    t->set = s;
    t->hashes = a->cfg.hashes;
    for (unsigned i = 0; i < app_gset_count(s); i++)
        t->hashes |= spu_bundle_file_hashes(app_gset_bundle(s, i));
    table_skips(a, t);
    for (unsigned i = 0; i < app_gset_count(s); i++)
        if (add_protos(a, t, app_gset_bundle(s, i), app_gset_slot(s, i), err) != SPU_OK) {
            table_free(t);
            return NULL;
        }
    return t;
}

/* A flow no longer uses t. */
static void table_put(struct app *a, struct app_table *t)
{
    if (--t->users || t == a->cur)
        return;
    for (struct app_table **pp = &a->retired; *pp; pp = &(*pp)->next)
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    table_free(t);
}

/* Take up the published grammar set when it changed (worker thread: one
 * acquire load when it did not). */
static void refresh(struct app *a)
{
    if (!a->pub || app_pub_seq(a->pub) == a->seq)
        return;
    uint64_t seq;
    struct app_gset *s = app_pub_get(a->pub, &seq);
    struct spu_error e = {0};
    struct app_table *t = table_new(a, s, &e);
    a->seq = seq; /* a table that cannot be made is not retried at every chunk */
    if (!t) {
        stats_inc(&a->st, CNT_SPU_APP_ERRORS);
        return;
    }
    struct app_table *old = a->cur;
    a->cur = t;
    if (a->gvm) {
        spu_gvm_set_hashes(a->gvm, t->hashes); /* what the new rules read */
        apply_skips(a, t);                      /* ... and which bodies they read */
    }
    if (old->users) {
        old->next = a->retired;
        a->retired = old;
    } else {
        table_free(old);
    }
    stats_inc(&a->st, CNT_SPU_APP_GRAMMAR_SETS);
}

static void on_data(void *ctx, struct flow *f, int dir, const uint8_t *p, size_t n, int64_t ts);
static void on_gap(void *ctx, struct flow *f, int dir, uint64_t size, int64_t ts);
static void on_close(void *ctx, struct flow *f, int dir, int reason, int64_t ts);
static void on_destroy(void *ctx, struct flow *f, void *app);
static void on_packet(void *ctx, uint64_t pcap_cnt);

struct app *app_new(const struct app_cfg *cfg, struct spu_error *err)
{
    struct app *a = calloc(1, sizeof(*a));
    if (!a) {
        spu_error_set(err, SPU_ENOMEM, "out of memory");
        return NULL;
    }
    a->cfg = *cfg;
    if (cfg->sink)
        a->sink = *cfg->sink;
    if (cfg->tx_sink)
        a->tx_sink = *cfg->tx_sink;
    stats_block_init(&a->st);
    a->eve.out = cfg->out;
    a->eve.worker = cfg->worker;
    a->eve.thread = NULL;
    a->pub = cfg->pub;
    struct app_gset *s = a->pub ? app_pub_get(a->pub, &a->seq)
                                : app_gset_new(cfg->bundles, NULL, cfg->nbundles, err);
    if (!s || !(a->cur = table_new(a, s, err)))
        goto fail;
    /* with a publication, grammars may come later */
    bool parse = a->pub || a->cur->nprotos;
    struct spu_gvm_config gc = {.skip_hashes = (uint8_t)(~a->cur->hashes & SPU_HASH_ALL)};
    if (parse && !(a->gvm = spu_gvm_new(&gc, err)))
        goto fail;
    if (a->gvm)
        apply_skips(a, a->cur);
    if (parse && cfg->out && !(a->el = evelog_new(err)))
        goto fail;
    a->cons = (struct stream_consumer){a, on_data, on_gap, on_close, on_destroy, on_packet};
    return a;
fail:
    app_free(a);
    return NULL;
}

void app_free(struct app *a)
{
    if (!a)
        return;
    table_free(a->cur);
    while (a->retired) {
        struct app_table *t = a->retired;
        a->retired = t->next;
        table_free(t);
    }
    while (a->names) {
        struct app_name *n = a->names;
        a->names = n->next;
        free(n);
    }
    spu_gvm_free(a->gvm);
    evelog_free(a->el);
    if (a->magic)
        magic_close(a->magic);
    eve_writer_fini(&a->eve);
    free(a);
}

const struct stream_consumer *app_consumer(struct app *a)
{
    return &a->cons;
}

int app_active(const struct app *a)
{
    return a->pub || a->cur->nprotos > 0;
}

const struct stats_block *app_stats(const struct app *a)
{
    return &a->st;
}

/* ---- hooks of a parsed flow ---- */

static void swap_endpoints(struct eve_endpoints *ep)
{
    const uint8_t *t = ep->src;
    ep->src = ep->dst;
    ep->dst = t;
    uint16_t p = ep->sport;
    ep->sport = ep->dport;
    ep->dport = p;
}

/* The flow's endpoints, the protocol's client as the source. */
static void endpoints(const struct app_flow *af, struct eve_endpoints *ep)
{
    eve_endpoints_flow(ep, af->flow);
    if (af->swap)
        swap_endpoints(ep);
}

/* The flow's Community ID, computed for its first record (it does not
 * depend on the direction); NULL when it cannot be. */
static const char *flow_cid(struct app_flow *af, const struct eve_endpoints *ep)
{
    if (!af->cid[0] && !eve_writer_community_id(&af->app->eve, ep, af->cid, sizeof(af->cid)))
        af->cid[0] = 0;
    return af->cid[0] ? af->cid : NULL;
}

/* An object of a log declaration: the envelope around it, written. */
struct log_ctx {
    struct app_flow *af;
    int64_t tx_id;
    bool to_client; /* the record is of bytes the server sent (an event's) */
};

static void emit_log(void *ctx, const char *type, json_t *obj)
{
    const struct log_ctx *lc = ctx;
    struct app_flow *af = lc->af;
    struct app *a = af->app;
    json_t *body = json_object_get(obj, type);
    if (json_is_object(body) && json_object_size(body) == 0 && json_object_size(obj) == 1) {
        /* nothing to say (a message cut before its first field, e.g. a
         * stray byte after the last request) */
        json_decref(obj);
        return;
    }
    /* spu's extras ("/spu.NAME") go in the one top-level spu object */
    json_t *spu = json_object_get(obj, "spu");
    if (spu)
        json_incref(spu);
    json_object_del(obj, "spu");
    /* "/tx_id": the declaration numbers the record's transaction itself
     * (the protocol's tx_id differs from the VM's message pairs); the
     * envelope writes it */
    int64_t tx_id = lc->tx_id;
    json_t *tx = json_object_get(obj, "tx_id");
    if (json_is_integer(tx))
        tx_id = (int64_t)json_integer_value(tx);
    json_object_del(obj, "tx_id");
    /* Suricata's fileinfo repeats the transaction inside */
    if (tx_id >= 0 && strcmp(type, "fileinfo") == 0 && json_is_object(body))
        json_object_set_new_nocheck(body, "tx_id", json_integer(tx_id));
    struct eve_endpoints ep;
    endpoints(af, &ep);
    if (lc->to_client && strcmp(type, "fileinfo") == 0) {
        /* a file's record goes the way the file went (Suricata: a
         * response body's fileinfo is from the server to the client) */
        swap_endpoints(&ep);
    }
    struct eve_envelope env = {af->ts_ns, type, eve_flow_id(af->flow), a->pcap_cnt,
                               a->cfg.in_iface, &ep, af->pi->name, tx_id, flow_cid(af, &ep), NULL};
    eve_emit_envelope(&a->eve, &env, obj, spu);
}

static void log_failed(struct app *a)
{
    stats_inc(&a->st, CNT_SPU_APP_ERRORS);
}

static void hook_event(void *ctx, uint32_t event, const struct spu_record *rec, uint64_t tx_id,
                       unsigned dir)
{
    struct app_flow *af = ctx;
    struct app *a = af->app;
    stats_inc(&a->st, CNT_SPU_APP_EVENTS);
    if (a->el && evelog_has_event(af->pi->bundle, event)) {
        struct log_ctx lc = {af, (int64_t)tx_id, dir == SPU_DIR_SERVER};
        struct spu_error e = {0};
        if (evelog_event(a->el, af->pi->bundle, event, rec, emit_log, &lc, &e) != SPU_OK)
            log_failed(a);
    }
    if (!a->sink.event)
        return;
    struct app_event ev = {
        .flow = af->flow,
        .bundle = af->pi->bundle,
        .bundle_idx = af->pi->bundle_idx,
        .event = event,
        .rec = rec,
        .tx_id = tx_id,
        .dir = (dir == SPU_DIR_CLIENT ? STREAM_TOSERVER : STREAM_TOCLIENT) ^ af->swap,
        .ts_ns = af->ts_ns,
        .pcap_cnt = a->pcap_cnt,
    };
    a->sink.event(a->sink.ctx, &ev);
}

/* Write an applayer anomaly record named `name` ("proto.what"). `extra`
 * (consumed, may be NULL) goes in the record's spu object; pcap_cnt 0 is
 * absent. */
static void anomaly_record(struct app_flow *af, const char *name, size_t len, uint64_t pcap_cnt,
                           json_t *extra)
{
    struct app *a = af->app;
    /* "proto.what": Suricata's applayer anomaly has app_proto and event */
    const char *dot = memchr(name, '.', len);
    size_t plen = dot ? (size_t)(dot - name) : 0;
    const char *what = dot ? dot + 1 : name;
    size_t wlen = len - (size_t)(what - name);
    struct eve_endpoints ep;
    endpoints(af, &ep);
    struct eve_envelope env = {af->ts_ns, "anomaly", eve_flow_id(af->flow), pcap_cnt,
                               a->cfg.in_iface, &ep, af->pi->name, -1, flow_cid(af, &ep), NULL};
    json_t *o = json_object();
    if (!o) {
        json_decref(extra);
        eve_emit(&a->eve, NULL, NULL);
        return;
    }
    json_t *an = json_object();
    json_object_set_new_nocheck(an, "app_proto",
                                plen ? json_stringn(name, plen) : json_string(af->pi->name));
    json_object_set_new_nocheck(an, "type", json_string("applayer"));
    json_object_set_new_nocheck(an, "event", json_stringn(what, wlen));
    json_object_set_new_nocheck(an, "layer", json_string("proto_parser"));
    json_object_set_new_nocheck(o, "anomaly", an);
    eve_emit_envelope(&a->eve, &env, o, extra);
}

/* The flow's slot for anomaly `name`: the first free one when it has none,
 * the last when all are taken; NULL when out of memory. */
static struct app_anom *anomaly_slot(struct app_flow *af, const char *name, size_t len)
{
    if (!af->anoms && !(af->anoms = calloc(APP_ANOMALY_KINDS, sizeof(*af->anoms))))
        return NULL;
    size_t n = len < APP_ANOM_NAME ? len : APP_ANOM_NAME;
    for (unsigned i = 0; i < APP_ANOMALY_KINDS; i++) {
        struct app_anom *s = &af->anoms[i];
        if (s->len == 0) {
            s->len = (uint8_t)n;
            memcpy(s->name, name, n);
            return s;
        }
        if (s->len == n && memcmp(s->name, name, n) == 0)
            return s;
    }
    return &af->anoms[APP_ANOMALY_KINDS - 1];
}

static void hook_anomaly(void *ctx, const char *name, size_t len)
{
    struct app_flow *af = ctx;
    struct app *a = af->app;
    stats_inc(&a->st, CNT_SPU_APP_ANOMALIES);
    if (!a->cfg.out)
        return;
    if (a->cfg.anomaly_repeat) {
        /* the same anomaly over and over (a stream that never parses
         * again) is written a bounded number of times, the rest counted */
        struct app_anom *s = anomaly_slot(af, name, len);
        if (s && s->written >= a->cfg.anomaly_repeat) {
            s->folded++;
            stats_inc(&a->st, CNT_SPU_APP_ANOMALIES_FOLDED);
            return;
        }
        if (s)
            s->written++;
    }
    /* what the parser expected, for the reader of the log */
    json_t *extra = NULL;
    const char *detail = af->conn ? spu_gvm_conn_last_error(af->conn, (unsigned)af->cur_dir) : "";
    if (*detail) {
        extra = json_object();
        json_object_set_new_nocheck(extra, "detail", json_string(detail));
        json_object_set_new_nocheck(extra, "direction",
                                    json_string(af->cur_dir ? "to_client" : "to_server"));
    }
    anomaly_record(af, name, len, a->pcap_cnt, extra);
}

/* At the flow's end: one record per anomaly some of whose records were
 * folded, saying how many (spu.folded). */
static void anomalies_folded(struct app_flow *af)
{
    if (!af->anoms || !af->app->cfg.out)
        return;
    for (unsigned i = 0; i < APP_ANOMALY_KINDS; i++) {
        const struct app_anom *s = &af->anoms[i];
        if (!s->folded)
            continue;
        json_t *extra = json_object();
        json_object_set_new_nocheck(extra, "folded", json_integer((json_int_t)s->folded));
        anomaly_record(af, s->name, s->len, 0, extra);
    }
}

static void hook_tx(void *ctx, uint64_t tx_id, const struct spu_record *client,
                    const struct spu_record *server)
{
    struct app_flow *af = ctx;
    struct app *a = af->app;
    stats_inc(&a->st, CNT_SPU_APP_TX);
    if (a->el && evelog_has_tx(af->pi->bundle, af->pi->proto)) {
        struct log_ctx lc = {af, (int64_t)tx_id, false};
        struct spu_error e = {0};
        if (evelog_tx(a->el, af->pi->bundle, af->pi->proto, client, server, emit_log, &lc, &e) !=
            SPU_OK)
            log_failed(a);
    }
    if (!a->tx_sink.tx)
        return;
    struct app_tx tx = {
        .flow = af->flow,
        .bundle = af->pi->bundle,
        .bundle_idx = af->pi->bundle_idx,
        .proto = af->pi->proto,
        .proto_name = af->pi->name,
        .tx_id = tx_id,
        .client = client,
        .server = server,
        .ts_ns = af->ts_ns,
    };
    a->tx_sink.tx(a->tx_sink.ctx, &tx);
}

static int64_t hook_now(void *ctx)
{
    const struct app_flow *af = ctx;
    return af->ts_ns / 1000000;
}

/* magic(): libmagic's description of a file's bytes (fileinfo.magic).
 * The database is loaded by the first file a worker sees. Only with
 * --force-magic (as Suricata's force-magic): libmagic walks its whole
 * database for each text file (about 1 ms), which made it most of the app
 * layer's cost on web traffic. */
static const char *hook_magic(void *ctx, const uint8_t *p, size_t n)
{
    const struct app_flow *af = ctx;
    struct app *a = af->app;
    if (a->cfg.no_magic)
        return NULL;
    if (!a->magic && !a->magic_failed) {
        a->magic = magic_open(MAGIC_NONE);
        if (!a->magic || magic_load(a->magic, NULL) != 0) {
            if (a->magic)
                magic_close(a->magic);
            a->magic = NULL;
            a->magic_failed = true;
            stats_inc(&a->st, CNT_SPU_APP_ERRORS);
        }
    }
    return a->magic ? magic_buffer(a->magic, p, n) : NULL;
}

/* filestore(): the file kept under --filestore DIR (failures counted). */
static bool hook_store(void *ctx, const uint8_t *p, size_t n)
{
    const struct app_flow *af = ctx;
    struct app *a = af->app;
    if (!a->cfg.filestore || !a->cfg.filestore_used)
        return false;
    bool stored = false;
    struct spu_error e = {0};
    if (filestore_put(a->cfg.filestore, a->cfg.filestore_cap, a->cfg.filestore_used,
                      a->cfg.worker, p, n, &stored, &e) != SPU_OK)
        stats_inc(&a->st, CNT_SPU_APP_ERRORS);
    return stored;
}

static const struct spu_gvm_hooks gvm_hooks = {hook_event, hook_anomaly, hook_tx, hook_now,
                                               hook_magic, hook_store};

/* ---- characterization ---- */

/* Account delta bytes of grammar buffers: false when they would pass the
 * cap (nothing is then added). */
static bool mem_take(struct app *a, int64_t delta)
{
    _Atomic int64_t *m = a->cfg.memuse;
    if (!m || delta == 0)
        return true;
    if (delta < 0) {
        atomic_fetch_add_explicit(m, delta, memory_order_relaxed);
        return true;
    }
    int64_t cur = atomic_load_explicit(m, memory_order_relaxed);
    do {
        if (cur + delta > (int64_t)a->cfg.memcap)
            return false;
    } while (!atomic_compare_exchange_weak_explicit(m, &cur, cur + delta, memory_order_relaxed,
                                                    memory_order_relaxed));
    return true;
}

/* The flow's parse ends for good and its memory goes (accounted out). */
static void conn_drop(struct app_flow *af)
{
    spu_gvm_conn_free(af->conn);
    af->conn = NULL;
    mem_take(af->app, -af->acct);
    af->acct = 0;
}

/* After a call into the parse: account what it holds now; past the cap
 * the flow is no longer inspected. */
static void account(struct app_flow *af)
{
    struct app *a = af->app;
    if (!a->cfg.memuse || !af->conn)
        return;
    int64_t now = (int64_t)spu_gvm_conn_memuse(af->conn);
    if (mem_take(a, now - af->acct)) {
        af->acct = now;
        return;
    }
    stats_inc(&a->st, CNT_SPU_APP_MEMCAP);
    spu_gvm_conn_stop(af->conn); /* waiting transactions complete alone */
    conn_drop(af);
    af->state = AF_NONE;
}

static void flow_release_detect(struct app_flow *af)
{
    free(af->scan);
    free(af->dead);
    if (af->hold)
        mem_take(af->app, -(int64_t)APP_DETECT_HOLD);
    free(af->hold);
    af->scan = NULL;
    af->dead = NULL;
    af->hold = NULL;
    af->held = 0;
    af->npieces = 0;
}

static struct app_flow *flow_new(struct app *a, struct flow *f)
{
    struct app_flow *af = calloc(1, sizeof(*af));
    if (!af)
        return NULL;
    af->app = a;
    af->flow = f;
    af->tab = a->cur;
    af->scan = calloc((size_t)af->tab->nprotos * 2, sizeof(*af->scan));
    af->dead = calloc((size_t)af->tab->nprotos * 2, 1);
    if (!af->scan || !af->dead) {
        flow_release_detect(af);
        free(af);
        return NULL;
    }
    af->tab->users++;
    for (unsigned i = 0; i < af->tab->nprotos; i++) {
        const struct app_proto *ap = &af->tab->protos[i];
        for (int d = 0; d < 2; d++) {
            if (ap->transport != f->key.proto || !ap->has_detect[d])
                af->dead[2 * i + d] = 1;
            else
                spu_dfa_scan_init(&af->scan[2 * i + d], &ap->detect[d]);
        }
    }
    return af;
}

static bool port_matches(const struct app_proto *ap, uint16_t port)
{
    for (uint32_t i = 0; i < ap->nports; i++)
        if (ap->ports[i] == port)
            return true;
    return false;
}

/* Remember undecided bytes; false when they do not fit. */
static bool hold_bytes(struct app_flow *af, int dir, const uint8_t *p, size_t n)
{
    if (n == 0)
        return true;
    if (af->held + n > APP_DETECT_HOLD)
        return false;
    if (!af->hold) {
        if (!mem_take(af->app, APP_DETECT_HOLD)) {
            stats_inc(&af->app->st, CNT_SPU_APP_MEMCAP);
            return false;
        }
        if (!(af->hold = malloc(APP_DETECT_HOLD))) {
            mem_take(af->app, -(int64_t)APP_DETECT_HOLD);
            return false;
        }
    }
    /* a datagram stays a piece of its own (its bounds are messages') */
    if (af->npieces && af->piece_dir[af->npieces - 1] == dir && af->flow->key.proto != 17) {
        af->piece_len[af->npieces - 1] += (uint32_t)n;
    } else {
        if (af->npieces == sizeof(af->piece_dir))
            return false;
        af->piece_dir[af->npieces] = (uint8_t)dir;
        af->piece_len[af->npieces] = (uint32_t)n;
        af->npieces++;
    }
    memcpy(af->hold + af->held, p, n);
    af->held += (uint32_t)n;
    return true;
}

/* Both directions parsed to their end (closed, or their grammar done):
 * nothing more will be fed, so the parse's memory (contexts, frames,
 * grammar state, message records) goes now rather than when the flow
 * times out, as on_destroy would drop it (the same calls, earlier). A
 * closed flow can stay in the flow table a long time. */
static void parse_over(struct app_flow *af)
{
    if (!af->conn || !af->done[0] || !af->done[1])
        return;
    conn_drop(af);
}

static void feed_dir(struct app_flow *af, int dir, const uint8_t *p, size_t n)
{
    if (af->done[dir] || !n || !af->conn)
        return;
    stats_add(&af->app->st, CNT_SPU_APP_BYTES, n);
    af->cur_dir = dir;
    /* over UDP each datagram is a whole number of messages */
    int rc = af->flow->key.proto == 17
                 ? spu_gvm_datagram(af->conn, (unsigned)(dir ^ af->swap), p, n)
                 : spu_gvm_feed(af->conn, (unsigned)(dir ^ af->swap), p, n);
    if (rc == SPU_DONE)
        af->done[dir] = 1;
    else if (rc < 0) {
        af->done[dir] = 1;
        stats_inc(&af->app->st, CNT_SPU_APP_ERRORS);
    }
    account(af);
    parse_over(af);
}

static void eof_dir(struct app_flow *af, int dir)
{
    if (af->done[dir] || !af->conn)
        return;
    af->done[dir] = 1;
    af->cur_dir = dir;
    spu_gvm_eof(af->conn, (unsigned)(dir ^ af->swap));
    account(af);
    parse_over(af);
}

/* The flow is protocol `pi`: start the parse and feed what was held. */
static void assign(struct app_flow *af, const struct app_proto *pi, bool by_port)
{
    struct app *a = af->app;
    struct spu_error e = {0};
    af->conn = spu_gvm_conn_new(a->gvm, pi->bundle, pi->proto, &gvm_hooks, af, &e);
    if (!af->conn) {
        stats_inc(&a->st, CNT_SPU_APP_ERRORS);
        af->state = AF_NONE;
        flow_release_detect(af);
        return;
    }
    af->pi = pi;
    af->state = AF_PARSE;
    af->flow->app_proto = pi->name;
    stats_inc(&a->st, by_port ? CNT_SPU_APP_FLOWS_PORT : CNT_SPU_APP_FLOWS_PATTERN);
    uint8_t *hold = af->hold;
    uint32_t off = 0;
    af->hold = NULL;
    for (unsigned i = 0; i < af->npieces && af->state == AF_PARSE; i++) {
        feed_dir(af, af->piece_dir[i], hold + off, af->piece_len[i]);
        off += af->piece_len[i];
    }
    if (hold)
        mem_take(a, -(int64_t)APP_DETECT_HOLD);
    free(hold);
    flow_release_detect(af);
}

/* The protocol the flow's server port names, else its client port (a
 * session picked up midstream may have its endpoints the wrong way
 * round), or NULL. */
static const struct app_proto *by_port_proto(struct app_flow *af)
{
    const struct app_table *t = af->tab;
    for (int side = 0; side < 2; side++) {
        uint16_t port = af->flow->key.port[side == 0 ? !af->flow->client : af->flow->client];
        for (unsigned i = 0; i < t->nprotos; i++)
            if (t->protos[i].transport == af->flow->key.proto &&
                port_matches(&t->protos[i], port)) {
                af->swap = (uint8_t)side; /* the protocol's server is the flow's client */
                return &t->protos[i];
            }
    }
    return NULL;
}

enum verdict { V_WAIT, V_PATTERN, V_PORT, V_NONE };

/* Run the patterns of `dir` over p[0..n) (`ended`: the direction closed).
 * A pattern that matches decides; while one may still match in a
 * direction that has not closed, wait; when none can, the port decides. */
static enum verdict detect(struct app_flow *af, int dir, const uint8_t *p, size_t n, bool ended,
                           const struct app_proto **out)
{
    const struct app_table *t = af->tab;
    for (unsigned i = 0; i < t->nprotos; i++) {
        unsigned k = 2 * i + (unsigned)dir;
        if (af->dead[k])
            continue;
        const struct app_proto *ap = &t->protos[i];
        struct spu_dfa_scan *s = &af->scan[k];
        int rc = n ? spu_dfa_search(&ap->detect[dir], s, p, n) : SPU_NEED_MORE;
        if (rc == SPU_NEED_MORE && ended)
            rc = spu_dfa_finish(&ap->detect[dir], s);
        if (rc == SPU_DONE) {
            if (s->choice != SPU_NONE) {
                *out = ap;
                return V_PATTERN;
            }
            af->dead[k] = 1;
        }
    }
    for (unsigned k = 0; k < 2 * t->nprotos; k++)
        if (!af->dead[k] && !af->closed[k & 1])
            return V_WAIT;
    *out = by_port_proto(af);
    return *out ? V_PORT : V_NONE;
}

static void give_up(struct app_flow *af)
{
    af->state = AF_NONE;
    flow_release_detect(af);
    stats_inc(&af->app->st, CNT_SPU_APP_FLOWS_UNKNOWN);
}

/* Bytes (or the end, n == 0 and `ended`) of `dir` on an undecided flow. */
static void undecided_data(struct app_flow *af, int dir, const uint8_t *p, size_t n,
                           bool ended)
{
    const struct app_proto *pi = NULL;
    enum verdict v = detect(af, dir, p, n, ended, &pi);
    if (v == V_WAIT) {
        if (hold_bytes(af, dir, p, n))
            return;
        /* undecided for too long: the port decides */
        pi = by_port_proto(af);
        v = pi ? V_PORT : V_NONE;
    }
    if (v == V_NONE) {
        give_up(af);
        return;
    }
    assign(af, pi, v == V_PORT);
    if (af->state == AF_PARSE)
        feed_dir(af, dir, p, n);
}

/* ---- moving a flow to the current grammar set ---- */

/* A parsed flow whose table is not the current one moves to the current
 * table's protocol of the same name and transport when its parse is at a
 * message boundary (spu_gvm_conn_at_boundary): a new connection takes the
 * streams over from the next byte, continuing the transaction numbering.
 * When the current set has no such protocol the flow stays with its own
 * until it ends (or until a later publication brings it back). */
static void try_move(struct app_flow *af)
{
    struct app *a = af->app;
    const struct app_proto *np = NULL;
    for (unsigned i = 0; i < a->cur->nprotos && !np; i++) {
        const struct app_proto *ap = &a->cur->protos[i];
        if (ap->transport == af->pi->transport && ap->name == af->pi->name)
            np = ap; /* names are interned */
    }
    if (!np) {
        af->stay_seq = a->seq;
        return;
    }
    uint64_t tx;
    if (!spu_gvm_conn_at_boundary(af->conn, &tx))
        return;
    struct spu_error e = {0};
    struct spu_gvm_conn *nc = spu_gvm_conn_new(a->gvm, np->bundle, np->proto, &gvm_hooks, af, &e);
    if (!nc) {
        stats_inc(&a->st, CNT_SPU_APP_ERRORS);
        af->stay_seq = a->seq;
        return;
    }
    spu_gvm_conn_set_next_tx(nc, tx);
    conn_drop(af);
    af->conn = nc;
    af->pi = np;
    a->cur->users++;
    table_put(a, af->tab);
    af->tab = a->cur;
    stats_inc(&a->st, CNT_SPU_APP_GRAMMAR_MOVES);
}

/* ---- the stream consumer ---- */

static struct app_flow *flow_of(struct app *a, struct flow *f, bool create)
{
    void **slot = stream_slot(f);
    if (*slot || !create)
        return *slot;
    refresh(a);
    if (!a->cur->nprotos)
        return NULL;
    struct app_flow *af = flow_new(a, f);
    if (!af) {
        stats_inc(&a->st, CNT_SPU_APP_ERRORS);
        return NULL;
    }
    *slot = af;
    return af;
}

static void on_data(void *ctx, struct flow *f, int dir, const uint8_t *p, size_t n, int64_t ts)
{
    struct app *a = ctx;
    struct app_flow *af = flow_of(a, f, true);
    if (!af || af->state == AF_NONE)
        return;
    af->ts_ns = ts;
    if (af->state == AF_DETECT) {
        undecided_data(af, dir, p, n, false);
        return;
    }
    refresh(a);
    if (af->conn && af->tab != a->cur && af->stay_seq != a->seq)
        try_move(af);
    feed_dir(af, dir, p, n);
}

static void on_gap(void *ctx, struct flow *f, int dir, uint64_t size, int64_t ts)
{
    struct app *a = ctx;
    struct app_flow *af = flow_of(a, f, true);
    if (!af || af->state == AF_NONE)
        return;
    af->ts_ns = ts;
    stats_inc(&a->st, CNT_SPU_APP_GAPS);
    if (af->state == AF_DETECT) {
        /* a pattern cannot anchor after lost bytes: the port decides */
        const struct app_proto *pi = by_port_proto(af);
        if (!pi) {
            give_up(af);
            return;
        }
        assign(af, pi, true);
        if (af->state != AF_PARSE)
            return;
    }
    if (af->done[dir])
        return;
    af->cur_dir = dir;
    int rc = spu_gvm_gap(af->conn, (unsigned)(dir ^ af->swap), size);
    if (rc == SPU_DONE || rc < 0)
        af->done[dir] = 1;
    account(af);
    parse_over(af);
}

static void on_close(void *ctx, struct flow *f, int dir, int reason, int64_t ts)
{
    struct app *a = ctx;
    struct app_flow *af = flow_of(a, f, false);
    if (!af || af->state == AF_NONE)
        return;
    af->ts_ns = ts;
    if (af->state == AF_DETECT) {
        af->closed[dir] = 1;
        undecided_data(af, dir, NULL, 0, true);
        if (af->state != AF_PARSE)
            return;
    }
    eof_dir(af, dir);
}

static void on_destroy(void *ctx, struct flow *f, void *app)
{
    struct app_flow *af = app;
    (void)ctx;
    (void)f;
    if (!af)
        return;
    /* A direction that never carried data was never closed by the TCP
     * layer: end it now, so a request whose response never came still
     * completes (and is logged) when its flow ends. */
    if (af->conn && af->state == AF_PARSE) {
        af->ts_ns = f->last_ns;
        eof_dir(af, STREAM_TOSERVER);
        eof_dir(af, STREAM_TOCLIENT);
    }
    if (af->anoms) {
        af->ts_ns = f->last_ns;
        anomalies_folded(af);
        free(af->anoms);
    }
    if (af->conn)
        conn_drop(af);
    flow_release_detect(af);
    table_put(af->app, af->tab);
    free(af);
}

static void on_packet(void *ctx, uint64_t pcap_cnt)
{
    struct app *a = ctx;
    a->pcap_cnt = pcap_cnt;
}

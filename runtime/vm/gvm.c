/*
 * gvm.c - the grammar VM's objects and entry points: the per-worker gvm,
 * connections, parse contexts, the feed loop and the end-of-feed work
 * (see gvm.h, gvm-int.h).
 */
#include "gvm-int.h"
#include "grow.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_SCRATCH_CAP (4u << 20)
#define DEFAULT_MATCH_LIMIT 100000u
#define DEFAULT_DEPTH_LIMIT 10000u

int gvm_grow(void **vec, uint32_t *cap, uint32_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t max = SIZE_MAX / size < UINT32_MAX / 2 ? SIZE_MAX / size : UINT32_MAX / 2;
    size_t n = spu_grow_cap(*cap, need, 4, max);
    if (!n)
        return -1;
    void *p = realloc(*vec, n * size);
    if (!p)
        return -1;
    *vec = p;
    *cap = (uint32_t)n;
    return 0;
}

/* ---- the gvm ---- */

struct spu_gvm *spu_gvm_new(const struct spu_gvm_config *cfg, struct spu_error *err)
{
    struct spu_gvm *g = calloc(1, sizeof(*g));
    if (!g)
        goto oom;
    if (cfg)
        g->cfg = *cfg;
    if (!g->cfg.builtins)
        g->cfg.builtins = spu_builtin_fns;
    if (!g->cfg.scratch_cap)
        g->cfg.scratch_cap = DEFAULT_SCRATCH_CAP;
    if (!g->cfg.regex_match_limit)
        g->cfg.regex_match_limit = DEFAULT_MATCH_LIMIT;
    if (!g->cfg.regex_depth_limit)
        g->cfg.regex_depth_limit = DEFAULT_DEPTH_LIMIT;
    g->md = pcre2_match_data_create(1, NULL);
    g->mc = pcre2_match_context_create(NULL);
    g->acache = spu_arena_cache_new(GVM_ACACHE_HEAP, GVM_ACACHE_MAPS);
    if (!g->md || !g->mc || !g->acache)
        goto oom;
    pcre2_set_match_limit(g->mc, g->cfg.regex_match_limit);
    pcre2_set_depth_limit(g->mc, g->cfg.regex_depth_limit);
    gvm_digest_algs_fetch(g);
    return g;
oom:
    spu_gvm_free(g);
    spu_error_set(err, SPU_ENOMEM, "out of memory creating a grammar VM");
    return NULL;
}

static void cache_free(struct gcache *k)
{
    if (k->dfa)
        for (uint32_t i = 0; i < k->ndfa; i++)
            spu_dfa_runs_free((struct spu_dfa_run *)k->dfa[i].runs);
    spu_bundle_unref(k->b);
    free(k->dfa);
    free(k);
}

void spu_gvm_free(struct spu_gvm *g)
{
    if (!g)
        return;
    for (unsigned i = 0; i < GVM_MAX_LEVEL; i++) {
        spu_arena_free(g->scratch[i]);
        free(g->stack[i]);
    }
    for (uint32_t i = 0; i < g->npool; i++)
        spu_arena_free(g->pool[i]);
    spu_arena_cache_free(g->acache); /* after the arenas that release into it */
    while (g->caches) {
        struct gcache *k = g->caches;
        g->caches = k->next;
        cache_free(k);
    }
    spu_gvm_clear_store_skips(g);
    pcre2_match_data_free(g->md);
    pcre2_match_context_free(g->mc);
    gvm_digest_algs_free(g);
    free(g->pins);
    free(g);
}

void spu_gvm_clear_store_skips(struct spu_gvm *g)
{
    while (g->skips) {
        struct gskip *k = g->skips;
        g->skips = k->next;
        free(k);
    }
}

int spu_gvm_set_store_skips(struct spu_gvm *g, const struct spu_bundle *b, const uint8_t *skip,
                            uint32_t n)
{
    for (struct gskip **pp = &g->skips; *pp; pp = &(*pp)->next)
        if ((*pp)->b == b) {
            struct gskip *k = *pp;
            *pp = k->next;
            free(k);
            break;
        }
    if (!skip || !n)
        return SPU_OK;
    struct gskip *k = malloc(sizeof(*k) + n);
    if (!k)
        return SPU_ENOMEM;
    k->b = b;
    k->n = n;
    memcpy(k->skip, skip, n);
    k->next = g->skips;
    g->skips = k;
    return SPU_OK;
}

bool gvm_store_skipped(const struct spu_gvm_conn *conn, uint32_t sink)
{
    for (const struct gskip *k = conn->g->skips; k; k = k->next)
        if (k->b == conn->b)
            return sink < k->n && k->skip[sink];
    return false;
}

void spu_gvm_stats(const struct spu_gvm *g, struct spu_gvm_stats *out)
{
    *out = g->st;
}

/* The per-bundle tables, shared by the gvm's connections on that bundle.
 * The newest bundle's entry stays when unused; older ones go with their
 * last connection, so a reloaded bundle is not kept alive. */
static struct gcache *cache_get(struct spu_gvm *g, struct spu_bundle *b)
{
    for (struct gcache *k = g->caches; k; k = k->next)
        if (k->b == b) {
            k->users++;
            return k;
        }
    const struct spu_bview *v = spu_bundle_view(b);
    struct gcache *k = calloc(1, sizeof(*k));
    if (!k)
        return NULL;
    k->dfa = calloc(v->ndfas ? v->ndfas : 1, sizeof(*k->dfa));
    if (!k->dfa) {
        free(k);
        return NULL;
    }
    for (uint32_t i = 0; i < v->ndfas; i++) {
        if (spu_dfa_from_bundle(&k->dfa[i], &v->dfas[i], v->dfadata, v->ndfadata) != SPU_OK) {
            cache_free(k);
            return NULL;
        }
        /* crossing runs with memchr (dfa-run.h); without the table (no
         * memory) the tokens step byte by byte, with the same results */
        k->dfa[i].runs = spu_dfa_runs_new(&k->dfa[i]);
        k->ndfa = i + 1;
    }
    k->b = spu_bundle_ref(b);
    k->users = 1;
    /* drop idle entries of older bundles */
    for (struct gcache **pp = &g->caches; *pp;) {
        struct gcache *o = *pp;
        if (o->users == 0) {
            *pp = o->next;
            cache_free(o);
        } else {
            pp = &o->next;
        }
    }
    k->next = g->caches;
    g->caches = k;
    return k;
}

static void cache_put(struct spu_gvm *g, struct gcache *k)
{
    if (--k->users || g->caches == k)
        return;
    for (struct gcache **pp = &g->caches; *pp; pp = &(*pp)->next)
        if (*pp == k) {
            *pp = k->next;
            cache_free(k);
            return;
        }
}

/* ---- contexts ---- */

static uint32_t clamp(uint32_t x, uint32_t lo, uint32_t hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

struct gctx *gvm_ctx_new(struct spu_gvm_conn *conn, struct gctx *parent, uint32_t proto,
                         unsigned dir)
{
    struct spu_gvm *g = conn->g;
    unsigned level = parent ? parent->level + 1u : 0u;
    if (level >= GVM_MAX_LEVEL)
        return NULL;
    if (!g->scratch[level])
        g->scratch[level] = spu_arena_new(0, g->cfg.scratch_cap);
    if (!g->stack[level])
        g->stack[level] = malloc(SPU_MAX_STACK * sizeof(struct spu_value));
    if (!g->scratch[level] || !g->stack[level])
        return NULL;
    struct gctx *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    const struct spu_bproto *P = &conn->v->protos[proto];
    c->conn = conn;
    c->parent = parent;
    c->P = P;
    c->proto = proto;
    c->dir = (uint8_t)dir;
    c->level = (uint8_t)level;
    c->status = GS_IDLE;
    c->wend = GVM_NOWHERE;
    c->lim_token = clamp(P->lim_token, 0, GVM_MAX_TOKEN);
    c->lim_field = P->lim_field;
    c->lim_message = P->lim_message ? P->lim_message : 1;
    c->lim_depth = clamp(P->lim_depth, 1, GVM_MAX_DEPTH);
    c->lim_iter = P->lim_iterations;
    c->arena = spu_arena_new(1024, c->lim_message);
    if (!c->arena) {
        free(c);
        return NULL;
    }
    if (!parent) {
        uint32_t pi = P->driver[dir];
        const struct spu_bprog *dp = pi == SPU_NONE ? NULL : &conn->v->progs[pi];
        const struct spu_layout *lay =
            dp && dp->layout != SPU_NONE ? spu_bundle_layout(conn->b, dp->layout) : NULL;
        uint32_t n = lay ? lay->nfields : 0;
        c->drv = calloc(1, sizeof(*c->drv) + (size_t)n * sizeof(struct spu_value));
        if (!c->drv) {
            spu_arena_free(c->arena);
            free(c);
            return NULL;
        }
        c->drv->layout = lay;
        c->drv->nslots = n;
    }
    return c;
}

void gvm_ctx_free(struct gctx *c)
{
    if (!c)
        return;
    struct spu_gvm_conn *conn = c->conn;
    gvm_sinks_drop(c);
    while (c->nfr) {
        struct gframe *f = &c->fr[--c->nfr];
        if (f->is_msg) {
            if (c->msg == f->msg)
                c->msg = f->msg->outer;
            gvm_msg_drop_pair(conn, f->msg);
            gvm_msg_release(conn, f->msg);
        }
    }
    while (c->msg) {
        struct gmsg *m = c->msg;
        c->msg = m->outer;
        gvm_msg_release(conn, m);
    }
    spu_arena_free(c->arena);
    free(c->hold);
    free(c->fr);
    free(c->loc);
    free(c->mk);
    free(c->dbuf);
    free(c->fbuf);
    free(c->win);
    free(c->sk);
    free(c->drv);
    free(c);
}

int gvm_ctx_feed(struct gctx *c, const uint8_t *p, size_t n)
{
    struct spu_gvm *g = c->conn->g;
    c->chunk = n ? p : NULL;
    c->chunk_len = n;
    c->chunk_base = c->hold_base + c->hold_len;
    c->end = c->chunk_base + n;
    uint32_t mark = g->npins;
    c->viewed = 0;
    int rc = GOP_ENDED;
    for (;;) {
        if (c->conn->stop_req) {
            rc = GOP_STOP;
            break;
        }
        if (c->status == GS_RUN) {
            rc = gvm_run(c);
            if (rc == GOP_FAIL)
                continue; /* now resyncing or stopped */
            if (rc == GOP_ENDED)
                c->status = GS_DONE;
            break;
        }
        if (c->status == GS_RESYNC) {
            rc = gvm_resync(c);
            if (rc == GOP_DONE)
                continue; /* the driver restarted */
            break;
        }
        rc = GOP_ENDED;
        break;
    }
    if ((c->status == GS_RUN || c->status == GS_RESYNC) && !c->conn->stop_req) {
        int hk = gvm_hold_keep(c);
        if (hk == -2) {
            gvm_fail(c, "token_limit", "a peek held more than limits.token bytes");
            hk = gvm_hold_keep(c);
        }
        if (hk != 0) {
            gvm_fail(c, "memory", "out of memory for the hold buffer");
            c->pos = c->end;
            c->hold_len = 0;
            c->hold_base = c->end;
            rc = GOP_FAIL;
        }
    } else {
        c->pos = c->end;
        c->hold_len = 0;
        c->hold_base = c->end;
    }
    /* values can only point into the chunk through a capture's view of
     * it (gvm_buf_add): none taken, none to copy */
    if (c->viewed)
        gvm_pin(c, mark);
    g->npins = mark;
    c->chunk = NULL;
    c->chunk_len = 0;
    c->chunk_base = c->hold_base + c->hold_len;
    return rc;
}

int gvm_ctx_eof(struct gctx *c)
{
    c->eof = 1;
    if (c->status != GS_RUN && c->status != GS_RESYNC)
        return GOP_ENDED;
    return gvm_ctx_feed(c, NULL, 0);
}

/* ---- connections ---- */

struct spu_gvm_conn *spu_gvm_conn_new(struct spu_gvm *g, struct spu_bundle *b, uint32_t proto,
                                      const struct spu_gvm_hooks *hooks, void *hook_ctx,
                                      struct spu_error *err)
{
    const struct spu_bview *v = spu_bundle_view(b);
    if (proto >= v->nprotos ||
        (v->protos[proto].driver[0] == SPU_NONE && v->protos[proto].driver[1] == SPU_NONE)) {
        spu_error_set(err, SPU_EINVAL, "protocol %u has no message driver", proto);
        return NULL;
    }
    struct spu_gvm_conn *conn = calloc(1, sizeof(*conn));
    if (!conn) {
        spu_error_set(err, SPU_ENOMEM, "out of memory creating a connection");
        return NULL;
    }
    conn->cache = cache_get(g, b);
    if (!conn->cache) {
        free(conn);
        spu_error_set(err, SPU_ENOMEM, "out of memory creating a connection");
        return NULL;
    }
    conn->g = g;
    conn->b = spu_bundle_ref(b);
    conn->v = v;
    conn->proto = proto;
    if (hooks)
        conn->hooks = *hooks;
    conn->hctx = hook_ctx;
    return conn;
}

static void account(struct spu_gvm_conn *conn)
{
    struct spu_gvm *g = conn->g;
    uint64_t held = 0, arena = gvm_conn_arena_bytes(conn);
    for (int d = 0; d < 2; d++) {
        const struct gctx *c = conn->dir[d];
        if (!c)
            continue;
        /* bytes kept behind the position are the message buffer's: memory
         * bounded by its declaration, not undecided input */
        uint64_t buffered = c->pos > c->hold_base ? c->pos - c->hold_base : 0;
        if (buffered > c->hold_len)
            buffered = c->hold_len;
        held += c->hold_len - buffered;
        arena += buffered;
    }
    g->st.held_bytes = g->st.held_bytes - conn->acct_held + held;
    g->st.arena_bytes = g->st.arena_bytes - conn->acct_arena + arena;
    conn->acct_held = conn->st.held_bytes = held;
    conn->acct_arena = conn->st.arena_bytes = arena;
}

void spu_gvm_conn_free(struct spu_gvm_conn *conn)
{
    if (!conn)
        return;
    struct spu_gvm *g = conn->g;
    conn->stop_req = 1; /* release without running anything */
    memset(&conn->hooks, 0, sizeof(conn->hooks));
    while (conn->txq) {
        struct gmsg *m = conn->txq;
        conn->txq = m->next;
        gvm_msg_release(conn, m);
    }
    for (int d = 0; d < 2; d++) {
        struct gctx *c = conn->dir[d];
        conn->dir[d] = NULL;
        gvm_ctx_free(c);
    }
    gvm_state_free(conn);
    g->st.held_bytes -= conn->acct_held;
    g->st.arena_bytes -= conn->acct_arena;
    cache_put(g, conn->cache);
    spu_bundle_unref(conn->b);
    free(conn);
}

static struct gctx *dir_ctx(struct spu_gvm_conn *conn, unsigned dir)
{
    if (!conn->dir[dir]) {
        conn->dir[dir] = gvm_ctx_new(conn, NULL, conn->proto, dir);
        if (!conn->dir[dir])
            return NULL;
        if (conn->v->protos[conn->proto].driver[dir] == SPU_NONE)
            conn->dir[dir]->status = GS_DONE;
    }
    return conn->dir[dir];
}

/* The direction starts parsing at its first data (or gap). */
static void dir_start(struct gctx *c)
{
    if (c->status == GS_IDLE)
        gvm_driver_start(c);
}

static int finish_call(struct spu_gvm_conn *conn, struct gctx *c)
{
    if (conn->stop_req && !conn->stopped)
        gvm_conn_stop_all(conn);
    account(conn);
    conn->in_call = 0;
    if (c->oom)
        return SPU_ENOMEM;
    if (conn->stopped || c->status == GS_STOPPED || c->status == GS_DONE)
        return SPU_DONE;
    return SPU_OK;
}

static int enter(struct spu_gvm_conn *conn, unsigned dir, struct gctx **out)
{
    if (dir > SPU_DIR_SERVER)
        return SPU_EINVAL;
    if (conn->stopped)
        return SPU_DONE;
    struct gctx *c = dir_ctx(conn, dir);
    if (!c)
        return SPU_ENOMEM;
    *out = c;
    if (c->oom)
        return SPU_ENOMEM;
    if (c->eof)
        return SPU_DONE;
    conn->in_call = 1;
    return SPU_OK;
}

int spu_gvm_feed(struct spu_gvm_conn *conn, unsigned dir, const uint8_t *data, size_t len)
{
    struct gctx *c = NULL;
    int rc = enter(conn, dir, &c);
    if (rc != SPU_OK)
        return rc;
    dir_start(c);
    if (c->status == GS_RUN || c->status == GS_RESYNC) {
        conn->st.bytes += len;
        conn->g->st.bytes += len;
        gvm_ctx_feed(c, data, len);
    }
    return finish_call(conn, c);
}

/* Nothing of the datagram is left inside a message: every byte consumed
 * and no message past its first byte. */
static int at_boundary(const struct gctx *c)
{
    return c->pos == c->end && (!c->msg || c->msg->start == c->pos);
}

int spu_gvm_datagram(struct spu_gvm_conn *conn, unsigned dir, const uint8_t *data, size_t len)
{
    struct gctx *c = NULL;
    int rc = enter(conn, dir, &c);
    if (rc != SPU_OK)
        return rc;
    c->dgram = 1;
    if (c->status == GS_DGRAM) /* the previous datagram failed: start afresh here */
        gvm_driver_start(c);
    dir_start(c);
    if (c->status == GS_RUN) {
        conn->st.bytes += len;
        conn->g->st.bytes += len;
        gvm_ctx_feed(c, data, len);
        if (c->status == GS_RUN && !conn->stop_req && !at_boundary(c))
            gvm_fail(c, "truncated", "the datagram ended inside a message");
    }
    if (c->status == GS_DGRAM) { /* drop what the failed parse held */
        c->hold_len = 0;
        c->hold_base = c->end;
        c->pos = c->chunk_base = c->end;
    }
    return finish_call(conn, c);
}

int spu_gvm_gap(struct spu_gvm_conn *conn, unsigned dir, uint64_t len)
{
    struct gctx *c = NULL;
    int rc = enter(conn, dir, &c);
    if (rc != SPU_OK)
        return rc;
    dir_start(c);
    if (c->status == GS_RUN || c->status == GS_RESYNC) {
        conn->st.gaps++;
        conn->g->st.gaps++;
        if (c->status == GS_RUN) {
            gvm_fail(c, "gap", "bytes lost in the stream");
        } else {
            gvm_anomaly_s(c, "gap");
            c->rs_active = 0;
        }
        c->rs_min = 0;
        c->rs_skip = 0;
        c->hold_len = 0;
        c->hold_base = c->end + len;
        c->pos = c->end = c->chunk_base = c->hold_base;
    }
    return finish_call(conn, c);
}

int spu_gvm_eof(struct spu_gvm_conn *conn, unsigned dir)
{
    if (dir > SPU_DIR_SERVER)
        return SPU_EINVAL;
    if (conn->stopped)
        return SPU_DONE;
    struct gctx *c = dir_ctx(conn, dir);
    if (!c)
        return SPU_ENOMEM;
    conn->in_call = 1;
    if (!c->eof) {
        if (c->status == GS_IDLE)
            c->status = GS_DONE; /* nothing ever came */
        gvm_ctx_eof(c);
        c->eof = 1;
        if (c->status == GS_RUN || c->status == GS_RESYNC || c->status == GS_DGRAM)
            c->status = GS_DONE;
    }
    if (dir == SPU_DIR_SERVER && !conn->server_done && !conn->stop_req) {
        conn->server_done = 1;
        gvm_txq_flush(conn);
    }
    return finish_call(conn, c);
}

void spu_gvm_conn_stop(struct spu_gvm_conn *conn)
{
    if (conn->stopped)
        return;
    conn->stop_req = 1;
    if (!conn->in_call)
        gvm_conn_stop_all(conn);
}

int spu_gvm_conn_stopped(const struct spu_gvm_conn *conn)
{
    return conn->stopped || conn->stop_req;
}

void spu_gvm_conn_stats(const struct spu_gvm_conn *conn, struct spu_gvm_stats *out)
{
    *out = conn->st;
}

uint64_t spu_gvm_conn_memuse(const struct spu_gvm_conn *conn)
{
    return conn->acct_held + conn->acct_arena;
}

const char *spu_gvm_conn_last_error(const struct spu_gvm_conn *conn, unsigned dir)
{
    if (dir > SPU_DIR_SERVER || !conn->dir[dir])
        return "";
    return conn->dir[dir]->err;
}

/* Direction context c is between two messages: nothing consumed of the
 * message in progress (if any), nothing held, no sub-stream, window or
 * sink open, not resynchronising. *tx lowers to the id such an empty
 * message already took. */
static bool ctx_at_boundary(const struct gctx *c, uint64_t *tx)
{
    if (!c || c->status == GS_IDLE || c->status == GS_DONE || c->status == GS_STOPPED)
        return true;
    if (c->status != GS_RUN || c->hold_len || c->nsk || c->nwin || c->bon)
        return false;
    const struct gmsg *m = c->msg;
    if (!m)
        return true;
    if (m->outer || m->start != c->pos || m->pair || m->early)
        return false;
    if (m->tx_id < *tx)
        *tx = m->tx_id;
    return true;
}

bool spu_gvm_conn_at_boundary(const struct spu_gvm_conn *conn, uint64_t *next_tx)
{
    if (conn->in_call || conn->stopped || conn->stop_req || conn->txq)
        return false;
    /* connection state belongs to the grammar that declared it */
    for (uint32_t p = 0; conn->state && p < conn->v->nprotos; p++) {
        const struct spu_record *r = conn->state[p].rec;
        for (uint32_t i = 0; r && i < r->nslots; i++)
            if (r->slot[i].type != SPU_T_NULL)
                return false;
    }
    uint64_t tx = conn->next_tx;
    if (!ctx_at_boundary(conn->dir[0], &tx) || !ctx_at_boundary(conn->dir[1], &tx))
        return false;
    *next_tx = tx;
    return true;
}

void spu_gvm_conn_set_next_tx(struct spu_gvm_conn *conn, uint64_t next_tx)
{
    conn->next_tx = next_tx;
}

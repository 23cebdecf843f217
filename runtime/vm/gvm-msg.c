/*
 * gvm-msg.c - messages and transactions, the values records keep, the
 * connection's `state`, anomalies, and the end-of-feed pinning of values
 * that point into a chunk (see gvm-int.h, docs/grammar-vm.md "Values that
 * outlive a chunk").
 *
 * Where a stored value lives: a view into the context's current chunk is
 * kept as is and its record is registered in the gvm's pin list (copied
 * into the record's arena at the end of the feed); a value in the bundle,
 * or the arena value the last op pushed (a capture, a unit's record, a
 * sink's content), is kept; anything else (built-in results in the
 * scratch arena, fields of other records) is copied into the arena of the
 * record's message. Strings are cut at limits.field.
 */
#include "gvm-int.h"

#include "vm-ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arenas ---- */

struct spu_arena *gvm_arena_get(struct spu_gvm *g, size_t cap)
{
    struct spu_arena *a = g->npool ? g->pool[--g->npool] : spu_arena_new(GVM_ARENA_CHUNK, cap);
    if (a) {
        spu_arena_set_cache(a, g->acache);
        spu_arena_set_cap(a, cap ? cap : 1);
        spu_arena_set_growth(a, GVM_ARENA_CHUNK_MAX);
    }
    return a;
}

void gvm_arena_put(struct spu_gvm *g, struct spu_arena *a)
{
    if (!a)
        return;
    gvm_pin_forget(g, a);
    spu_arena_reset(a);
    if (g->npool < GVM_POOL && spu_arena_held(a) <= 4 * GVM_ARENA_CHUNK)
        g->pool[g->npool++] = a;
    else
        spu_arena_free(a);
}

struct spu_arena *gvm_frame_arena(struct gctx *c)
{
    if (c->nfr && c->fr[c->nfr - 1].msg)
        return c->fr[c->nfr - 1].msg->arena;
    return c->arena;
}

/* ---- anomalies ---- */

void gvm_anomaly(struct gctx *c, const char *what, size_t len)
{
    struct spu_gvm_conn *conn = c->conn;
    struct spu_gvm *g = conn->g;
    conn->st.anomalies++;
    g->st.anomalies++;
    if (!conn->hooks.anomaly)
        return;
    uint32_t pl = 0;
    const char *pn = spu_bundle_str(conn->b, c->P->name, &pl);
    int n = snprintf(g->name, sizeof(g->name), "%.*s.%.*s", (int)pl, pn, (int)len, what);
    if (n < 0)
        return;
    size_t k = (size_t)n < sizeof(g->name) ? (size_t)n : sizeof(g->name) - 1;
    conn->hooks.anomaly(conn->hctx, g->name, k);
}

static void limit_anomaly(struct gctx *c)
{
    if (c->msg) {
        if (c->msg->limit_hit)
            return;
        c->msg->limit_hit = 1;
    }
    gvm_anomaly_s(c, "message_limit");
}

static void trunc_anomaly(struct gctx *c)
{
    if (c->msg) {
        if (c->msg->trunc_hit)
            return;
        c->msg->trunc_hit = 1;
    }
    gvm_anomaly_s(c, "field_truncated");
}

/* ---- messages and transactions ---- */

static int in_list(const struct spu_bview *v, uint32_t off, uint32_t n, uint32_t prog)
{
    for (uint32_t i = 0; i < n; i++)
        if (v->u32[off + i] == prog)
            return 1;
    return 0;
}

static struct gmsg *msg_new(struct gctx *c, uint32_t pi)
{
    struct spu_gvm_conn *conn = c->conn;
    struct spu_arena *a = gvm_arena_get(conn->g, c->lim_message);
    struct gmsg *m = a ? spu_arena_zalloc(a, sizeof(*m)) : NULL;
    const struct spu_layout *lay = spu_bundle_layout(conn->b, conn->v->progs[pi].layout);
    struct spu_record *rec = m && lay ? spu_record_new(a, lay) : NULL;
    if (!rec) {
        gvm_arena_put(conn->g, a);
        return NULL;
    }
    m->arena = a;
    m->rec = rec;
    m->prog = pi;
    m->dir = c->dir;
    m->start = c->pos;
    return m;
}

int gvm_msg_start(struct gctx *c, uint32_t pi)
{
    struct spu_gvm_conn *conn = c->conn;
    const struct spu_bview *v = conn->v;
    const struct spu_bproto *P = &v->protos[conn->proto];
    struct gmsg *m = msg_new(c, pi);
    if (!m)
        return gvm_fail(c, "message_limit", "no room for a message record");
    m->outer = c->msg;
    m->rec->parent = c->msg ? c->msg->rec : NULL;
    if (gvm_push_frame(c, pi, m->rec, m, NULL, 0, 1) != GOP_DONE) {
        gvm_msg_release(conn, m);
        return GOP_FAIL;
    }
    if (in_list(v, P->tx_client, P->ntx_client, pi))
        m->role = GR_CLIENT;
    else if (in_list(v, P->tx_server, P->ntx_server, pi))
        m->role = GR_SERVER;
    struct gmsg *q = m->role == GR_SERVER ? gvm_pair_candidate(conn) : NULL;
    if (q) {
        if (q == conn->txq) {
            conn->txq = q->next;
            if (!conn->txq)
                conn->txq_tail = NULL;
            conn->ntxq--;
            q->next = NULL;
        } else {
            /* the response began before its request ended (an interim
             * 100 Continue, an early error): pair with the request in
             * progress, which its own context keeps until it ends */
            m->early = 1;
            q->pair = m;
        }
        m->pair = q;
        m->tx_id = q->tx_id;
        m->rec->pair = q->rec;
        q->rec->pair = m->rec;
    } else {
        m->tx_id = conn->next_tx++;
    }
    c->msg = m;
    c->own = NULL;
    return GOP_DONE;
}

struct gmsg *gvm_pair_candidate(const struct spu_gvm_conn *conn)
{
    if (conn->txq)
        return conn->txq;
    const struct gctx *cl = conn->dir[SPU_DIR_CLIENT];
    struct gmsg *q = cl ? cl->msg : NULL;
    while (q && q->outer)
        q = q->outer;
    return q && q->role == GR_CLIENT && !q->pair && !q->ended ? q : NULL;
}

/* Undo the pairing of server message m made at its start: a client
 * message taken from the queue goes back to its head (it was the oldest);
 * one still in progress forgets m. */
static void unpair_server(struct spu_gvm_conn *conn, struct gmsg *m)
{
    struct gmsg *q = m->pair;
    if (!q)
        return;
    m->pair = NULL;
    m->rec->pair = NULL;
    q->rec->pair = NULL;
    if (m->early) {
        m->early = 0;
        q->pair = NULL;
        return;
    }
    q->next = conn->txq;
    conn->txq = q;
    if (!conn->txq_tail)
        conn->txq_tail = q;
    conn->ntxq++;
}

/* A re-paired outermost message took transaction id tx: the messages
 * nested in it and the sub-streams it opened (from c up to the direction's
 * context) raise their events with it. */
static void inherit_tx(struct gctx *c, uint64_t tx)
{
    for (struct gctx *k = c; k; k = k->parent) {
        if (k->parent)
            k->tx_inherit = tx;
        for (struct gmsg *n = k->msg; n; n = n->outer)
            n->tx_id = tx;
    }
}

/* `transaction by KEY;`: the key of the outermost message in progress of
 * a direction (keys are ints). In a sub-stream only its entry unit may
 * key, and it keys the outermost message of the direction that opened it
 * (DNS over TCP: dns.msg parsed within each length-prefixed message). A client message keeps it for the server message to find; a
 * server message whose start paired it with a client message of another
 * key (or none) pairs instead with the oldest waiting client message of
 * its key, or, when none waits, stands alone in a transaction of its own
 * (DNS answers find their query by id, in whatever order they come). */
void gvm_tx_key(struct gctx *c, const struct spu_value *key)
{
    struct spu_gvm_conn *conn = c->conn;
    struct gctx *root = c;
    while (root->parent)
        root = root->parent;
    struct gmsg *m = root->msg;
    if (!m || key->type != SPU_T_INT)
        return;
    if (c->level && !(c->msg && c->msg->entry && !c->msg->outer))
        return; /* only a sub-stream's entry unit keys its opener */
    while (m->outer)
        m = m->outer;
    m->has_key = 1;
    m->key = key->u.i;
    if (m->role != GR_SERVER)
        return;
    if (m->pair && m->pair->has_key && m->pair->key == m->key)
        return;
    int had_pair = m->pair != NULL;
    unpair_server(conn, m);
    struct gmsg *prev = NULL, *q = conn->txq;
    while (q && !(q->has_key && q->key == m->key)) {
        prev = q;
        q = q->next;
    }
    if (!q) {
        if (had_pair) { /* its id was its client's */
            m->tx_id = conn->next_tx++;
            inherit_tx(c, m->tx_id);
        }
        return;
    }
    if (prev)
        prev->next = q->next;
    else
        conn->txq = q->next;
    if (conn->txq_tail == q)
        conn->txq_tail = prev;
    conn->ntxq--;
    q->next = NULL;
    m->pair = q;
    m->tx_id = q->tx_id;
    m->rec->pair = q->rec;
    q->rec->pair = m->rec;
    inherit_tx(c, m->tx_id);
}

void gvm_msg_drop_pair(struct spu_gvm_conn *conn, struct gmsg *m)
{
    struct gmsg *q = m->pair;
    if (!q)
        return;
    m->pair = NULL;
    q->pair = NULL;
    m->rec->pair = NULL;
    q->rec->pair = NULL;
    if (m->role == GR_SERVER) {
        if (!m->early)
            gvm_msg_release(conn, q); /* the client message it took over */
        return;                       /* else the client context keeps q */
    }
    /* m is a client message in progress; q paired with it early */
    q->early = 0;
    if (q->ended)
        gvm_msg_release(conn, q); /* it waited for m: nobody else holds it */
}

struct gmsg *gvm_entry_new(struct gctx *c, uint32_t pi, const struct spu_record *parent)
{
    struct gmsg *m = msg_new(c, pi);
    if (!m)
        return NULL;
    m->entry = 1;
    m->tx_id = c->tx_inherit;
    m->rec->parent = parent;
    return m;
}

void gvm_msg_release(struct spu_gvm_conn *conn, struct gmsg *m)
{
    for (int d = 0; d < 2; d++)
        if (conn->dir[d] && conn->dir[d]->own_arena == m->arena)
            conn->dir[d]->own = NULL;
    gvm_arena_put(conn->g, m->arena);
}

static void tx_done(struct spu_gvm_conn *conn, uint64_t id, const struct spu_record *cl,
                    const struct spu_record *sv)
{
    if (conn->hooks.tx_complete)
        conn->hooks.tx_complete(conn->hctx, id, cl, sv);
}

/* A message with no pair completes alone. */
static void alone(struct spu_gvm_conn *conn, struct gmsg *m)
{
    if (m->dir == SPU_DIR_CLIENT)
        tx_done(conn, m->tx_id, m->rec, NULL);
    else
        tx_done(conn, m->tx_id, NULL, m->rec);
    gvm_msg_release(conn, m);
}

static void enqueue(struct gctx *c, struct gmsg *m)
{
    struct spu_gvm_conn *conn = c->conn;
    uint32_t lim = conn->v->protos[conn->proto].lim_pipeline;
    if (conn->ntxq >= lim) {
        gvm_anomaly_s(c, "pipeline_overflow");
        if (!conn->txq) { /* nothing may wait at all */
            alone(conn, m);
            return;
        }
        struct gmsg *old = conn->txq;
        conn->txq = old->next;
        if (!conn->txq)
            conn->txq_tail = NULL;
        conn->ntxq--;
        old->next = NULL;
        alone(conn, old);
    }
    m->next = NULL;
    if (conn->txq_tail)
        conn->txq_tail->next = m;
    else
        conn->txq = m;
    conn->txq_tail = m;
    conn->ntxq++;
}

void gvm_txq_flush(struct spu_gvm_conn *conn)
{
    while (conn->txq) {
        struct gmsg *m = conn->txq;
        conn->txq = m->next;
        conn->ntxq--;
        m->next = NULL;
        if (!conn->txq)
            conn->txq_tail = NULL;
        alone(conn, m);
    }
}

/* A record copied out of a sub-stream: the records nested in it kept the
 * parent pointers of the originals, which die with the sub-stream; each
 * now names the copy that holds it (the copy's own parent, the opener,
 * stays). Nesting is bounded by limits.depth. */
static void reparent(struct spu_record *r)
{
    for (uint32_t i = 0; i < r->nslots; i++) {
        struct spu_value *v = &r->slot[i];
        if (v->type == SPU_T_REC) {
            struct spu_record *k = (struct spu_record *)v->u.rec;
            k->parent = r;
            k->pair = NULL;
            reparent(k);
        } else if (v->type == SPU_T_ARR && v->u.arr) {
            for (uint32_t j = 0; j < v->u.arr->n; j++) {
                if (v->u.arr->v[j].type != SPU_T_REC)
                    continue;
                struct spu_record *k = (struct spu_record *)v->u.arr->v[j].u.rec;
                k->parent = r;
                k->pair = NULL;
                reparent(k);
            }
        }
    }
}

void gvm_msg_end(struct gctx *c, struct gmsg *m, int aborted)
{
    struct spu_gvm_conn *conn = c->conn;
    if (aborted) {
        uint32_t ev = conn->v->progs[m->prog].event;
        m->rec->flags |= SPU_VF_INCOMPLETE;
        if (ev != SPU_NONE && !m->raised && c->pos > m->start && conn->hooks.event) {
            m->raised = 1;
            conn->hooks.event(conn->hctx, ev, m->rec, m->tx_id, c->dir);
        }
    }
    if (c->own_arena == m->arena)
        c->own = NULL;
    if (c->msg == m)
        c->msg = m->outer;
    if (aborted && c->pos == m->start && !m->entry) {
        /* it never started: no transaction of its own, its id is reused;
         * a client it was paired with completes alone (or, still in
         * progress, waits for another server message) */
        if (m->pair && m->early) {
            m->pair->pair = NULL;
            m->pair->rec->pair = NULL;
        } else if (m->pair && m->role == GR_CLIENT) {
            /* a server message paired with it early: it completes alone */
            struct gmsg *s = m->pair;
            s->pair = NULL;
            s->rec->pair = NULL;
            s->early = 0;
            if (s->ended)
                alone(conn, s);
        } else if (m->pair) {
            m->pair->rec->pair = NULL;
            alone(conn, m->pair);
        }
        else if (m->tx_id + 1 == conn->next_tx)
            conn->next_tx--;
        gvm_msg_release(conn, m);
        return;
    }
    conn->st.messages++;
    conn->g->st.messages++;
    if (m->entry) {
        /* a RECORD sink's child: its record outlives it, in the opener's
         * arena (a copy that fails leaves null) */
        if (c->keep) {
            struct spu_value rv = spu_v_rec(m->rec);
            if (spu_value_copy(c->keep_arena, &rv, c->keep) != SPU_OK) {
                *c->keep = spu_v_null();
                gvm_anomaly_s(c, "message_limit");
            } else {
                reparent((struct spu_record *)c->keep->u.rec);
            }
            c->keep = NULL;
        }
        gvm_msg_release(conn, m);
        return;
    }
    m->ended = 1;
    if (m->role == GR_CLIENT && m->pair) {
        /* a server message paired with it early: the transaction completes
         * when both have ended; the server message owns it from now on */
        struct gmsg *s = m->pair;
        s->early = 0;
        if (s->ended) {
            tx_done(conn, m->tx_id, m->rec, s->rec);
            gvm_msg_release(conn, m);
            gvm_msg_release(conn, s);
        }
    } else if (m->role == GR_SERVER && m->early) {
        /* its client message is still in progress: it completes the
         * transaction when it ends (the arena stays pinned meanwhile) */
    } else if (m->role == GR_CLIENT && !conn->server_done) {
        enqueue(c, m);
    } else if (m->role == GR_SERVER && m->pair) {
        struct gmsg *q = m->pair;
        tx_done(conn, m->tx_id, q->rec, m->rec);
        gvm_msg_release(conn, q);
        gvm_msg_release(conn, m);
    } else {
        alone(conn, m);
    }
}

/* ---- stored values ---- */

static bool in_bundle(const struct gctx *c, const void *p, size_t n)
{
    const struct spu_bundle *b = c->conn->b;
    const uint8_t *q = p;
    return q >= b->mem && n <= b->map_len && (size_t)(q - b->mem) <= b->map_len - n;
}

int gvm_own(struct gctx *c, struct spu_arena *a, struct spu_value *v, int allow_view)
{
    switch (v->type) {
    case SPU_T_STR: {
        if (v->len == 0 && !(v->flags & SPU_VF_DIGEST)) {
            v->u.s = (const uint8_t *)"";
            return 0;
        }
        if (allow_view && v->len && gvm_in_chunk(c, v->u.s, v->len))
            return 1;
        if (in_bundle(c, v->u.s, v->len) || (v->u.s == c->own && a == c->own_arena))
            return 0;
        uint32_t n = v->len;
        if (n > c->lim_field) {
            n = c->lim_field;
            v->flags |= SPU_VF_TRUNCATED;
            trunc_anomaly(c);
        }
        if (spu_str_dup(a, v, n) != SPU_OK) {
            *v = spu_v_null();
            limit_anomaly(c);
            return -1;
        }
        return 0;
    }
    case SPU_T_IP: {
        if (in_bundle(c, v->u.s, 16))
            return 0;
        const uint8_t *q = spu_arena_memdup(a, v->u.s, 16);
        if (!q) {
            *v = spu_v_null();
            limit_anomaly(c);
            return -1;
        }
        v->u.s = q;
        return 0;
    }
    case SPU_T_REC:
    case SPU_T_ARR: {
        if (v->u.rec && (const void *)v->u.rec == c->own && a == c->own_arena)
            return 0;
        struct spu_value out;
        if (spu_value_copy(a, v, &out) != SPU_OK) {
            *v = spu_v_null();
            limit_anomaly(c);
            return -1;
        }
        *v = out;
        return 0;
    }
    default:
        return 0;
    }
}

static int pin_add(struct gctx *c, struct spu_record *rec, struct spu_arena *a)
{
    struct spu_gvm *g = c->conn->g;
    if (g->npins && g->pins[g->npins - 1].rec == rec)
        return 0;
    if (gvm_grow((void **)&g->pins, &g->pins_cap, g->npins + 1, sizeof(*g->pins)))
        return -1;
    g->pins[g->npins++] = (struct gpin){rec, a};
    return 0;
}

static struct spu_value concat(struct gctx *c, struct spu_arena *a, const struct spu_value *old,
                               struct spu_value v)
{
    uint32_t n0 = old->type == SPU_T_STR ? old->len : 0, n1 = v.type == SPU_T_STR ? v.len : 0;
    uint64_t n = (uint64_t)n0 + n1;
    uint8_t flags = (uint8_t)(((old->type == SPU_T_STR ? old->flags : 0) | v.flags) &
                              ~SPU_VF_DIGEST); /* the digest was of one part */
    if (n > c->lim_field) {
        n = c->lim_field;
        flags |= SPU_VF_TRUNCATED;
        trunc_anomaly(c);
    }
    /* always a fresh copy: growing in place could write over bytes another
     * field still shares */
    uint8_t *q = spu_arena_alloc(a, n ? (size_t)n : 1);
    if (!q) {
        limit_anomaly(c);
        return *old;
    }
    uint32_t k0 = n0 < n ? n0 : (uint32_t)n;
    if (k0)
        memcpy(q, old->u.s, k0);
    if (n > k0)
        memcpy(q + k0, v.u.s, (size_t)(n - k0));
    struct spu_value r = spu_v_str(q, (uint32_t)n);
    r.flags = flags;
    return r;
}

int gvm_store_field(struct gctx *c, struct spu_record *rec, uint32_t b, struct spu_value v,
                    int mode)
{
    struct spu_arena *a = gvm_frame_arena(c);
    struct spu_value *slot = &rec->slot[b];
    if (mode == GST_CONCAT) {
        *slot = concat(c, a, slot, v);
        return 0;
    }
    int r = gvm_own(c, a, &v, 1);
    if (r < 0)
        return -1;
    if (r == 1 && pin_add(c, rec, a) != 0) {
        r = gvm_own(c, a, &v, 0);
        if (r < 0)
            return -1;
    }
    if (mode == GST_STORE) {
        *slot = v;
        return 0;
    }
    if (slot->type != SPU_T_ARR)
        *slot = spu_v_null();
    if (spu_array_push(a, slot, v) != SPU_OK) {
        limit_anomaly(c);
        return -1;
    }
    return 0;
}

int gvm_store_local(struct gctx *c, struct spu_value *slot, struct spu_value v)
{
    int r = gvm_own(c, gvm_frame_arena(c), &v, 1);
    *slot = v;
    return r < 0 ? -1 : 0;
}

/* ---- state ---- */

static struct gstate *state_of(struct spu_gvm_conn *conn, uint32_t proto, int create)
{
    const struct spu_bview *v = conn->v;
    if (!conn->state) {
        if (!create)
            return NULL;
        conn->state = calloc(v->nprotos, sizeof(*conn->state));
        if (!conn->state)
            return NULL;
    }
    struct gstate *st = &conn->state[proto];
    if (!st->rec && create) {
        uint32_t sl = v->protos[proto].state_layout;
        const struct spu_layout *lay = spu_bundle_layout(conn->b, sl);
        if (!lay)
            return NULL;
        st->rec = calloc(1, sizeof(*st->rec) + (size_t)lay->nfields * sizeof(struct spu_value));
        st->arena = calloc(lay->nfields ? lay->nfields : 1, sizeof(*st->arena));
        if (!st->rec || !st->arena) {
            free(st->rec);
            free(st->arena);
            st->rec = NULL;
            st->arena = NULL;
            return NULL;
        }
        st->rec->layout = lay;
        st->rec->nslots = lay->nfields;
    }
    return st->rec ? st : NULL;
}

struct spu_value gvm_state_load(struct gctx *c, uint32_t proto, uint32_t b)
{
    struct gstate *st = state_of(c->conn, proto, 0);
    return st ? st->rec->slot[b] : spu_v_null();
}

int gvm_state_store(struct gctx *c, uint32_t proto, uint32_t b, struct spu_value v)
{
    struct spu_gvm_conn *conn = c->conn;
    struct gstate *st = state_of(conn, proto, 1);
    if (!st) {
        gvm_anomaly_s(c, "memory");
        return -1;
    }
    struct spu_arena *na = NULL;
    if (v.type == SPU_T_STR && v.len > c->lim_field) {
        v.len = c->lim_field;
        v.flags = (uint8_t)((v.flags | SPU_VF_TRUNCATED) & ~SPU_VF_DIGEST);
        trunc_anomaly(c);
    }
    if (v.type == SPU_T_STR || v.type == SPU_T_IP || v.type == SPU_T_ARR) {
        /* each variable has its own arena, replaced with its value */
        na = spu_arena_new(v.type == SPU_T_ARR ? 1024 : (size_t)v.len + 16, c->lim_message);
        struct spu_value out;
        if (!na || spu_value_copy(na, &v, &out) != SPU_OK) {
            spu_arena_free(na);
            limit_anomaly(c);
            return -1;
        }
        v = out;
    }
    spu_arena_free(st->arena[b]);
    st->arena[b] = na;
    st->rec->slot[b] = v;
    return 0;
}

void gvm_state_free(struct spu_gvm_conn *conn)
{
    if (!conn->state)
        return;
    for (uint32_t p = 0; p < conn->v->nprotos; p++) {
        struct gstate *st = &conn->state[p];
        if (!st->rec)
            continue;
        for (uint32_t i = 0; i < st->rec->nslots; i++)
            spu_arena_free(st->arena[i]);
        free(st->arena);
        free(st->rec);
    }
    free(conn->state);
    conn->state = NULL;
}

/* ---- pinning ---- */

static void pin_value(struct gctx *c, struct spu_arena *a, struct spu_value *x)
{
    if (x->type == SPU_T_STR) {
        if (x->len == 0 || !gvm_in_chunk(c, x->u.s, x->len))
            return;
        const uint8_t *q = spu_arena_memdup(a, x->u.s, x->len);
        if (!q) {
            *x = spu_v_null();
            limit_anomaly(c);
            return;
        }
        x->u.s = q;
    } else if (x->type == SPU_T_ARR) {
        struct spu_array *arr = (struct spu_array *)x->u.arr;
        for (uint32_t i = 0; i < arr->n; i++)
            if (arr->v[i].type == SPU_T_STR)
                pin_value(c, a, &arr->v[i]);
    }
}

void gvm_pin(struct gctx *c, uint32_t mark)
{
    struct spu_gvm *g = c->conn->g;
    if (!c->chunk_len)
        return;
    for (uint32_t i = mark; i < g->npins; i++) {
        struct gpin *e = &g->pins[i];
        if (!e->rec)
            continue;
        for (uint32_t k = 0; k < e->rec->nslots; k++)
            pin_value(c, e->arena, &e->rec->slot[k]);
    }
    g->npins = mark;
    for (uint32_t f = 0; f < c->nfr; f++) {
        const struct gframe *fr = &c->fr[f];
        struct spu_arena *a = fr->msg ? fr->msg->arena : c->arena;
        uint32_t n = c->conn->v->progs[fr->prog].nlocals;
        for (uint32_t k = 0; k < n; k++)
            pin_value(c, a, &c->loc[fr->lbase + k]);
    }
    if (c->op.active)
        gvm_buf_pin(c, gvm_frame_arena(c), &c->op.cap);
    for (uint32_t s = 0; s < c->nsk; s++)
        gvm_buf_pin(c, c->sk[s]->arena, &c->sk[s]->store);
}

void gvm_pin_forget(struct spu_gvm *g, struct spu_arena *a)
{
    for (uint32_t i = 0; i < g->npins; i++)
        if (g->pins[i].arena == a)
            g->pins[i].rec = NULL;
}

/* ---- accounting ---- */

static size_t msg_bytes(const struct gmsg *m)
{
    size_t n = 0;
    for (; m; m = m->outer)
        n += spu_arena_held(m->arena) +
             (m->pair && m->pair->ended ? spu_arena_held(m->pair->arena) : 0);
    return n;
}

static size_t ctx_bytes(const struct gctx *c)
{
    if (!c)
        return 0;
    size_t n = spu_arena_held(c->arena) + msg_bytes(c->msg);
    for (uint32_t s = 0; s < c->nsk; s++)
        n += ctx_bytes(c->sk[s]->child);
    return n;
}

size_t gvm_conn_arena_bytes(const struct spu_gvm_conn *conn)
{
    size_t n = ctx_bytes(conn->dir[0]) + ctx_bytes(conn->dir[1]);
    for (const struct gmsg *m = conn->txq; m; m = m->next)
        n += spu_arena_held(m->arena);
    if (conn->state)
        for (uint32_t p = 0; p < conn->v->nprotos; p++) {
            const struct gstate *st = &conn->state[p];
            for (uint32_t i = 0; st->rec && i < st->rec->nslots; i++)
                n += st->arena[i] ? spu_arena_held(st->arena[i]) : 0;
        }
    return n;
}

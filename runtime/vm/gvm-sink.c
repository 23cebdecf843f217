/*
 * gvm-sink.c - sinks: where captured content flows through a chain of
 * filters (stdlib/filters.def) into storage and into a sub-stream child
 * context that parses it with another unit (see gvm-int.h and
 * docs/grammar-vm.md, "Sinks").
 *
 * A filter that meets undecodable input raises "proto.filter_<name>" and
 * from then on passes its input through unchanged, starting with the piece
 * it failed on (so no input byte is lost; what it decoded of that piece
 * before failing stays too, and how much that is depends on where the
 * chunks were cut). A filter that fails before producing any output
 * (content labelled gzip that is not) passes on everything it was given,
 * up to GVM_REPLAY bytes kept for that, so the result does not depend on
 * the cuts. A child runs at once on every piece it is given, until it
 * needs more; its parse errors stay inside it (it stops, the opener goes
 * on). Sinks are heap objects (filters keep a pointer to theirs).
 */
#include "gvm-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int stage(struct gsink *s, uint32_t i, const uint8_t *p, size_t n);

static void filter_anomaly(struct gctx *c, const struct gfilt *f)
{
    char what[64];
    int n = snprintf(what, sizeof(what), "filter_%s", f->ops->name);
    gvm_anomaly(c, what, n > 0 && (size_t)n < sizeof(what) ? (size_t)n : 0);
}

static void replay_drop(struct gfilt *f)
{
    free(f->replay);
    f->replay = NULL;
    f->nreplay = GVM_REPLAY + 1;
}

static int filter_out(void *ctx, const uint8_t *p, size_t n)
{
    struct gfilt *f = ctx;
    if (n && !f->produced) {
        f->produced = 1;
        replay_drop(f);
    }
    return stage(f->sink, f->idx + 1u, p, n);
}

/* Keep p[0..n) while f has produced nothing. */
static void replay_keep(struct gfilt *f, const uint8_t *p, size_t n)
{
    if (f->produced || f->nreplay > GVM_REPLAY || !n)
        return;
    if ((size_t)f->nreplay + n > GVM_REPLAY || (!f->replay && !(f->replay = malloc(GVM_REPLAY)))) {
        replay_drop(f);
        return;
    }
    memcpy(f->replay + f->nreplay, p, n);
    f->nreplay = (uint16_t)(f->nreplay + n);
}

/* f failed: what goes on undecoded (the kept input, or just the piece). */
static int replay_fail(struct gsink *s, struct gfilt *f, uint32_t i, const uint8_t *p, size_t n)
{
    f->failed = 1;
    filter_anomaly(s->owner, f);
    if (!f->produced && f->nreplay <= GVM_REPLAY) {
        int rc = stage(s, i + 1, f->replay, f->nreplay);
        replay_drop(f);
        return rc;
    }
    return stage(s, i + 1, p, n);
}

/* The end of the chain: storage, then the child. SPU_ESTATE unwinds the
 * filters when the connection is stopping. */
static int sink_final(struct gsink *s, const uint8_t *p, size_t n)
{
    struct gctx *c = s->owner;
    if (s->digest && gvm_digest_add(s->digest, p, n) != 0) {
        gvm_digest_free(s->digest); /* the value goes without a digest */
        s->digest = NULL;
        gvm_anomaly_s(c, "memory");
    }
    if (s->store.limit)
        gvm_buf_add(c, s->arena, &s->store, p, n);
    if (s->child && s->child->status == GS_RUN && n)
        gvm_ctx_feed(s->child, p, n);
    return c->conn->stop_req ? SPU_ESTATE : SPU_OK;
}

static int stage(struct gsink *s, uint32_t i, const uint8_t *p, size_t n)
{
    while (i < s->nflt && s->flt[i].failed)
        i++;
    if (i == s->nflt)
        return sink_final(s, p, n);
    struct gfilt *f = &s->flt[i];
    replay_keep(f, p, n);
    int rc = f->ops->update(f->state, p, n, filter_out, f);
    if (rc == SPU_OK || s->owner->conn->stop_req)
        return rc == SPU_OK ? SPU_OK : SPU_ESTATE;
    /* where in this piece decoding failed is not known: the whole piece
     * goes on undecoded, so no input byte is lost */
    return replay_fail(s, f, i, p, n);
}

int gvm_route(struct gctx *c, const uint8_t *p, size_t n, int yield)
{
    if (!c->nsk || !n)
        return GOP_DONE;
    /* Group captures (span sinks) are transparent: consumed bytes go to
     * every span sink open from the innermost outwards (a group capture
     * inside a group capture gets its bytes, and so does the outer one),
     * and yielded bytes also go on to the first sink that takes produced
     * bytes (`body: ( url: ( "http://" host: ... ) | ... )* limit N` keeps
     * the URL in body). */
    for (uint32_t k = c->nsk; k-- > 0;) {
        struct gsink *s = c->sk[k];
        int span = (s->flags & SPU_SINKF_SPAN) != 0;
        if (!span && !yield)
            break;
        if (stage(s, 0, p, n) != SPU_OK)
            return GOP_STOP;
        if (!span)
            break;
    }
    return GOP_DONE;
}

static void sink_free(struct gsink *s)
{
    for (uint32_t i = 0; i < s->nflt; i++) {
        if (s->flt[i].state) {
            s->flt[i].ops->fini(s->flt[i].state);
            free(s->flt[i].state);
        }
        free(s->flt[i].replay);
    }
    free(s->flt);
    gvm_digest_free(s->digest);
    gvm_ctx_free(s->child);
    free(s);
}

/* The depth a new frame or child of c would be at. */
static uint32_t depth_of(const struct gctx *c)
{
    return c->depth_base + c->nfr - c->has_driver;
}

static struct gctx *child_new(struct gctx *c, struct gsink *s, const struct spu_bsink *bs,
                              const struct spu_value *args)
{
    const struct spu_bview *v = c->conn->v;
    uint32_t depth = depth_of(c);
    if (depth + 1 > c->lim_depth || c->level + 1u >= GVM_MAX_LEVEL) {
        gvm_anomaly_s(c, "depth_limit");
        return NULL;
    }
    struct gctx *k = gvm_ctx_new(c->conn, c, v->progs[bs->child].proto, c->dir);
    if (!k) {
        gvm_anomaly_s(c, "memory");
        return NULL;
    }
    k->depth_base = depth;
    k->tx_inherit = c->msg ? c->msg->tx_id : c->tx_inherit;
    if (bs->flags & SPU_SINKF_RECORD) {
        k->keep = &s->result;
        k->keep_arena = s->arena;
    }
    const struct spu_record *opener = c->nfr ? c->fr[c->nfr - 1].rec : NULL;
    struct gmsg *m = gvm_entry_new(k, bs->child, opener);
    if (!m) {
        gvm_anomaly_s(c, "message_limit");
        gvm_ctx_free(k);
        return NULL;
    }
    k->msg = m;
    k->status = GS_RUN;
    if (gvm_push_frame(k, bs->child, m->rec, m, args, bs->nargs, 1) != GOP_DONE)
        return k; /* it failed and stopped; gvm_ctx_free releases the rest */
    return k;
}

int gvm_sink_open(struct gctx *c, const struct spu_insn *in, struct spu_value **sp)
{
    const struct spu_bview *v = c->conn->v;
    const struct spu_bsink *bs = &v->sinks[in->c];
    struct spu_value *args = *sp - in->b, *conds = args - in->a;
    *sp = conds;
    struct gsink *s = calloc(1, sizeof(*s));
    uint32_t on = 0;
    for (uint32_t i = 0; i < bs->nfilters; i++)
        on += spu_value_truth(&conds[i]);
    if (s && on)
        s->flt = calloc(on, sizeof(*s->flt));
    if (!s || (on && !s->flt) ||
        gvm_grow((void **)&c->sk, &c->sk_cap, c->nsk + 1, sizeof(*c->sk))) {
        if (s)
            free(s->flt);
        free(s);
        return gvm_fail(c, "memory", "out of memory for a sink");
    }
    s->idx = in->c;
    s->flags = bs->flags;
    s->result = spu_v_null();
    s->owner = c;
    s->arena = gvm_frame_arena(c);
    s->store.limit = bs->limit == SPU_NONE ? c->lim_field : bs->limit;
    for (uint32_t i = 0; i < bs->nfilters; i++) {
        if (!spu_value_truth(&conds[i]))
            continue;
        uint32_t id = v->u32[bs->filters + i];
        struct gfilt *f = &s->flt[s->nflt];
        f->ops = spu_filters[id];
        f->sink = s;
        f->id = (uint8_t)id;
        f->idx = (uint8_t)s->nflt;
        f->state = malloc(f->ops->state_size ? f->ops->state_size : 1);
        if (!f->state || f->ops->init(f->state) != SPU_OK) {
            free(f->state);
            f->state = NULL;
            filter_anomaly(c, f);
            continue; /* the content passes this filter undecoded */
        }
        s->nflt++;
    }
    if ((bs->flags & SPU_SINKF_DIGEST) &&
        !(s->digest = gvm_digest_new(c->conn->g, ~c->conn->g->cfg.skip_hashes & SPU_HASH_ALL)))
        gvm_anomaly_s(c, "memory"); /* the content is kept without its digest */
    /* content nothing reads but through its digest: counted, not kept */
    if (s->digest && s->store.limit && gvm_store_skipped(c->conn, in->c))
        s->store.count_only = 1;
    c->sk[c->nsk++] = s;
    if (bs->child != SPU_NONE) {
        s->child = child_new(c, s, bs, args);
        if (s->child && s->child->status == GS_RUN)
            gvm_ctx_feed(s->child, NULL, 0); /* it runs at once, until it needs bytes */
    }
    return c->conn->stop_req ? GOP_STOP : GOP_DONE;
}

int gvm_sink_close(struct gctx *c, struct spu_value **sp, int push)
{
    struct gsink *s = c->sk[c->nsk - 1];
    struct spu_gvm_conn *conn = c->conn;
    for (uint32_t i = 0; i < s->nflt && !conn->stop_req; i++) {
        struct gfilt *f = &s->flt[i];
        if (f->failed)
            continue;
        int rc = f->ops->finish(f->state, filter_out, f);
        if (rc != SPU_OK && !conn->stop_req)
            replay_fail(s, f, i, NULL, 0); /* the kept input, if any, goes on */
    }
    if (s->child && !conn->stop_req)
        gvm_ctx_eof(s->child);
    struct spu_value val = spu_v_null();
    if (push && (s->flags & SPU_SINKF_RECORD)) {
        val = s->result; /* already in s->arena (gvm_msg_end): stored as is */
        if (val.type == SPU_T_REC) {
            c->own = val.u.rec;
            c->own_arena = s->arena;
        }
    } else if (push) {
        s->store.incomplete |= c->abort_pending;
        if (s->digest)
            val = gvm_digest_store(c, s->arena, s->digest, &s->store);
        else
            val = gvm_buf_value(c, s->arena, &s->store);
    }
    c->nsk--;
    sink_free(s);
    if (push)
        *(*sp)++ = val;
    return conn->stop_req ? GOP_STOP : GOP_DONE;
}

void gvm_sinks_unwind(struct gctx *c, uint32_t keep)
{
    while (c->nsk > keep) {
        if (c->conn->stop_req) {
            struct gsink *s = c->sk[--c->nsk];
            if (s->child)
                gvm_unwind(s->child, s->child->stop_here);
            sink_free(s);
        } else {
            gvm_sink_close(c, NULL, 0);
        }
    }
}

void gvm_sinks_drop(struct gctx *c)
{
    while (c->nsk) {
        struct gsink *s = c->sk[--c->nsk];
        if (s->child)
            gvm_unwind(s->child, s->child->stop_here);
        sink_free(s);
    }
}

/*
 * gvm-run.c - the grammar interpreter loop: dispatch, frames and calls,
 * records, events, loops (see gvm-int.h).
 *
 * The opcodes common to rules and grammars run the shared bodies of
 * vm-ops.inc; the grammar opcodes are here, the consuming ones delegate
 * to gvm-input.c and the sink ones to gvm-sink.c. A consuming op that
 * cannot finish saves the frame's pc on itself and the loop returns
 * GOP_MORE; the next run resumes the top frame at that pc and the op
 * continues from its saved progress. The operand stack is empty there
 * (verified), so it is not saved.
 */
#include "gvm-int.h"

#include "lists.h"
#include "vm-ops.h"
#include "vm.h"

#include <string.h>

static int call_builtin(struct gctx *c, uint32_t id, unsigned argc, const struct spu_value *args,
                        struct spu_value *ret, const char **detail)
{
    struct spu_gvm_conn *conn = c->conn;
    struct spu_gvm *g = conn->g;
    struct spu_host host;
    memset(&host, 0, sizeof(host));
    host.now_ms = conn->hooks.now_ms;
    host.magic = conn->hooks.magic;
    host.store = conn->hooks.store;
    struct spu_call call = {
        .scratch = g->scratch[c->level],
        .lists = conn->b->lists,
        .host = &host,
        .host_ctx = conn->hctx,
        .rule = SPU_NONE,
        .builtin = id,
        .fault = NULL,
    };
    int rc = g->cfg.builtins[id](&call, args, argc, ret);
    if (rc != SPU_OK) {
        *detail = call.fault ? call.fault : spu_strerror(rc);
        return SPU_VMF_BUILTIN;
    }
    return SPU_VMF_NONE;
}

static int list_has(struct gctx *c, uint32_t list, const struct spu_value *v,
                    struct spu_value *out, const char **detail)
{
    int rc = spu_lists_has(c->conn->b->lists, list, v);
    if (rc < 0) {
        *detail = "list lookup failed";
        return rc == SPU_ENOMEM ? SPU_VMF_MEMORY : SPU_VMF_TYPE;
    }
    *out = spu_v_bool(rc == 1);
    return SPU_VMF_NONE;
}

void gvm_raise(struct gctx *c, uint32_t ev, const struct spu_record *rec)
{
    struct spu_gvm_conn *conn = c->conn;
    if (!conn->hooks.event)
        return;
    uint64_t tx = c->msg ? c->msg->tx_id : c->tx_inherit;
    conn->hooks.event(conn->hctx, ev, rec, tx, c->dir);
}

int gvm_push_frame(struct gctx *c, uint32_t pi, struct spu_record *rec, struct gmsg *m,
                   const struct spu_value *args, uint32_t nargs, int is_msg)
{
    const struct spu_bprog *p = &c->conn->v->progs[pi];
    int driver = p->kind == SPU_PROG_DRIVER;
    if (!driver) {
        uint32_t depth = c->depth_base + c->nfr - c->has_driver;
        if (depth + 1 > c->lim_depth)
            return gvm_fail(c, "depth_limit", "unit calls nested deeper than limits.depth");
    }
    if (gvm_grow((void **)&c->fr, &c->fr_cap, c->nfr + 1, sizeof(*c->fr)) ||
        gvm_grow((void **)&c->loc, &c->loc_cap, c->nloc + p->nlocals, sizeof(*c->loc)) ||
        gvm_grow((void **)&c->mk, &c->mk_cap, c->nmk + p->nloops, sizeof(*c->mk)))
        return gvm_fail(c, "memory", "out of memory for frames");
    struct gframe *f = &c->fr[c->nfr++];
    memset(f, 0, sizeof(*f));
    f->prog = pi;
    f->lbase = c->nloc;
    f->mbase = c->nmk;
    f->sinks = c->nsk;
    f->wins = c->nwin;
    f->rec = rec;
    f->msg = m;
    f->is_msg = (uint8_t)is_msg;
    if (p->nlocals)
        memset(c->loc + c->nloc, 0, (size_t)p->nlocals * sizeof(*c->loc));
    if (p->nloops)
        memset(c->mk + c->nmk, 0, (size_t)p->nloops * sizeof(*c->mk));
    c->nloc += p->nlocals;
    c->nmk += p->nloops;
    if (driver)
        c->has_driver = 1;
    for (uint32_t i = 0; i < nargs && i < p->nlocals; i++)
        gvm_store_local(c, &c->loc[f->lbase + i], args[i]);
    return GOP_DONE;
}

static void scratch_reset(struct gctx *c)
{
    struct spu_arena *s = c->conn->g->scratch[c->level];
    if (spu_arena_used(s))
        spu_arena_reset(s);
}

/* Computed goto under GCC/Clang (SPU_VM_SWITCH forces the portable
 * switch, as in vm.c). Rule-only opcodes land on op_bad: the verifier
 * refuses them in grammar programs. */
#if defined(__GNUC__) && !defined(SPU_VM_SWITCH)
#define VM_LABEL_R(name) &&op_bad
#define VM_LABEL_RG(name) &&L_##name
#define VM_LABEL_G(name) &&L_##name
#define DISPATCH() goto *labels[(in = ip++)->op]
#define VM_CASE(name) L_##name:
#define VM_NEXT() DISPATCH()
#define DISPATCH_END
#else
#define DISPATCH()                                                                                 \
    dispatch:                                                                                      \
    in = ip++;                                                                                     \
    switch (in->op) {
#define VM_CASE(name) case SPU_OP_##name:
#define VM_NEXT() goto dispatch
#define DISPATCH_END                                                                               \
    default:                                                                                       \
        goto op_bad;                                                                               \
        }
#endif

#define VM_JUMP(t)                                                                                 \
    do {                                                                                           \
        ip = code + (t);                                                                           \
        VM_NEXT();                                                                                 \
    } while (0)
#define VM_FAULT(k)                                                                                \
    do {                                                                                           \
        fk = (k);                                                                                  \
        goto fault;                                                                                \
    } while (0)
#define VM_RECORD ((const struct spu_record *)rec)
#define VM_LOCALS locals
/* a local outlives the scratch arena that built-in results live in */
#define VM_STORE_LOCAL(slot, v) ((void)gvm_store_local(c, (slot), (v)))
#define VM_CONST(i) (&b->kvals[i])
#define VM_REGEX(i) (b->re[i])
#define VM_MATCH_DATA (g->md)
#define VM_MATCH_CTX (g->mc)
#define VM_SCRATCH (g->scratch[c->level])
#define VM_CALL(id, argc, args, ret) call_builtin(c, (id), (argc), (args), (ret), &fdetail)
#define VM_IN_LIST(i, v, out) list_has(c, (i), (v), (out), &fdetail)

/* Save the pc on the op (so a suspension resumes it and an error names
 * it), and honour an abort that an earlier op left pending. */
#define SAVE_PC() (f->pc = (uint32_t)(in - code))
#define GOP_ENTER()                                                                                \
    do {                                                                                           \
        SAVE_PC();                                                                                 \
        if (GVM_UNLIKELY(c->abort_pending))                                                        \
            return gvm_fail(c, "incomplete", "the stream ended inside the message");               \
        if (GVM_UNLIKELY(conn->stop_req))                                                          \
            return GOP_STOP;                                                                       \
    } while (0)
#define CONSUME(fn)                                                                                \
    do {                                                                                           \
        GOP_ENTER();                                                                               \
        r = fn(c, in, &sp);                                                                        \
        if (GVM_UNLIKELY(r != GOP_DONE))                                                           \
            return r;                                                                              \
        VM_NEXT();                                                                                 \
    } while (0)

/* The record a server `when` condition reads as the paired message. */
static const struct spu_record *pair_rec(const struct spu_gvm_conn *conn)
{
    const struct gmsg *q = gvm_pair_candidate(conn);
    return q ? q->rec : NULL;
}

int gvm_run(struct gctx *c)
{
#if defined(__GNUC__) && !defined(SPU_VM_SWITCH)
    static const void *const labels[SPU_OP__COUNT] = {
#define OP(name, fmt, pop, push, where, doc) [SPU_OP_##name] = VM_LABEL_##where(name),
#include "opcodes.def"
#undef OP
    };
#endif
    struct spu_gvm_conn *conn = c->conn;
    struct spu_gvm *g = conn->g;
    const struct spu_bundle *b = conn->b;
    const struct spu_bview *v = conn->v;
    struct spu_value *sp = g->stack[c->level];
    struct gframe *f;
    const struct spu_bprog *p;
    const struct spu_insn *code, *ip, *in = NULL;
    struct spu_value *locals;
    struct spu_record *rec;
    int fk = SPU_VMF_NONE, r;
    const char *fdetail = NULL;

    if (c->drv)
        c->drv->pair = c->dir == SPU_DIR_SERVER ? pair_rec(conn) : NULL;

frame:
    if (c->nfr == 0)
        return GOP_ENDED;
    f = &c->fr[c->nfr - 1];
    p = &v->progs[f->prog];
    code = v->code + p->code_off;
    ip = code + f->pc;
    locals = c->loc ? c->loc + f->lbase : NULL; /* none allocated before a program has locals */
    rec = f->rec;
    DISPATCH();
#include "vm-ops.inc"

    VM_CASE(RET)
    {
        GOP_ENTER();
        if (c->nsk > f->sinks) { /* a `return` inside a capture: close without pushing */
            gvm_sinks_unwind(c, f->sinks);
            if (conn->stop_req)
                return GOP_STOP;
        }
        if (c->nwin > f->wins) /* a `return` inside within or at */
            gvm_wins_drop(c, f->wins);
        if (c->bon && c->bframe == c->nfr)
            c->bon = 0;
        struct gframe done = *f;
        c->nfr--;
        c->nloc = done.lbase;
        c->nmk = done.mbase;
        if (done.is_msg) {
            if (done.msg->entry) { /* a sub-stream's entry unit ended */
                gvm_msg_end(c, done.msg, 0);
                c->status = GS_DONE;
                return GOP_ENDED;
            }
            c->msg = done.msg->outer;
            gvm_msg_end(c, done.msg, 0);
            if (c->drv)
                c->drv->pair = c->dir == SPU_DIR_SERVER ? pair_rec(conn) : NULL;
        }
        if (c->nfr == 0)
            return GOP_ENDED;
        if (done.capture) {
            *sp++ = spu_v_rec(done.rec);
            c->own = done.rec;
            c->own_arena = gvm_frame_arena(c);
        }
        if (conn->stop_req)
            return GOP_STOP;
        goto frame;
    }

    /* ---- records and state ---- */
    VM_CASE(LOAD_STATE)
    {
        *sp++ = gvm_state_load(c, p->proto, in->b);
        VM_NEXT();
    }
    VM_CASE(STORE_STATE)
    {
        sp--;
        if (!spu_vmop_storable(sp)) /* no records in state: they die with their message */
            VM_FAULT(SPU_VMF_TYPE);
        gvm_state_store(c, p->proto, in->b, *sp);
        VM_NEXT();
    }
    VM_CASE(STORE_FIELD)
    {
        sp--;
        gvm_store_field(c, rec, in->b, *sp, GST_STORE);
        VM_NEXT();
    }
    VM_CASE(APPEND_FIELD)
    {
        sp--;
        gvm_store_field(c, rec, in->b, *sp, GST_APPEND);
        VM_NEXT();
    }
    VM_CASE(CONCAT_FIELD)
    {
        sp--;
        if (sp->type != SPU_T_STR && sp->type != SPU_T_NULL)
            VM_FAULT(SPU_VMF_TYPE);
        gvm_store_field(c, rec, in->b, *sp, GST_CONCAT);
        VM_NEXT();
    }

    /* ---- consuming ---- */
    VM_CASE(G_LIT)
    {
        CONSUME(gvm_op_lit);
    }
    VM_CASE(G_TOKEN)
    {
        CONSUME(gvm_op_token);
    }
    VM_CASE(G_PREDICT)
    {
        CONSUME(gvm_op_predict);
    }
    VM_CASE(G_BYTES)
    {
        CONSUME(gvm_op_bytes);
    }
    VM_CASE(G_UPTO)
    {
        CONSUME(gvm_op_upto);
    }
    VM_CASE(G_REST)
    {
        CONSUME(gvm_op_rest);
    }
    VM_CASE(G_AWAIT)
    {
        GOP_ENTER();
        if (c->pos < c->end && c->pos < c->wend) {
            scratch_reset(c);
            *sp++ = spu_v_bool(true);
            VM_NEXT();
        }
        if (gvm_ends_at(c, c->pos)) {
            *sp++ = spu_v_bool(false);
            VM_NEXT();
        }
        return GOP_MORE;
    }

    VM_CASE(G_UINT)
    {
        CONSUME(gvm_op_uint);
    }
    VM_CASE(G_WIN_OPEN)
    {
        GOP_ENTER();
        if (gvm_op_win_open(c, &sp) != GOP_DONE)
            return GOP_FAIL;
        VM_NEXT();
    }
    VM_CASE(G_WIN_CLOSE)
    {
        GOP_ENTER();
        r = gvm_op_win_close(c);
        if (r != GOP_DONE)
            return r;
        VM_NEXT();
    }
    VM_CASE(G_BUF_MARK)
    {
        GOP_ENTER();
        if (gvm_op_buf_mark(c, &sp) != GOP_DONE)
            return GOP_FAIL;
        VM_NEXT();
    }
    VM_CASE(G_PEEK_OPEN)
    {
        GOP_ENTER();
        if (gvm_op_peek_open(c) != GOP_DONE)
            return GOP_FAIL;
        VM_NEXT();
    }
    VM_CASE(G_AT_OPEN)
    {
        GOP_ENTER();
        if (gvm_op_at_open(c, &sp) != GOP_DONE)
            return GOP_FAIL;
        VM_NEXT();
    }

    /* ---- structure ---- */
    VM_CASE(G_CALL)
    {
        GOP_ENTER();
        const struct spu_bprog *cp = &v->progs[in->c];
        unsigned argc = in->a;
        sp -= argc;
        f->pc = (uint32_t)(in - code) + 1;
        struct spu_arena *a = gvm_frame_arena(c);
        const struct spu_layout *lay = spu_bundle_layout(b, cp->layout);
        struct spu_record *nr = lay ? spu_record_new(a, lay) : NULL;
        if (!nr) {
            SAVE_PC();
            return gvm_fail(c, "message_limit", "no room for a unit's record");
        }
        nr->parent = rec;
        r = gvm_push_frame(c, in->c, nr, f->msg, sp, argc, 0);
        if (r != GOP_DONE) {
            SAVE_PC();
            return r;
        }
        c->fr[c->nfr - 1].capture = (in->b & SPU_GF_CAPTURE) != 0;
        scratch_reset(c);
        goto frame;
    }
    VM_CASE(G_MESSAGE)
    {
        GOP_ENTER();
        f->pc = (uint32_t)(in - code) + 1;
        r = gvm_msg_start(c, in->c);
        if (r != GOP_DONE)
            return r;
        scratch_reset(c);
        goto frame;
    }
    VM_CASE(G_SINK_OPEN)
    {
        GOP_ENTER();
        r = gvm_sink_open(c, in, &sp);
        if (r != GOP_DONE)
            return r;
        VM_NEXT();
    }
    VM_CASE(G_SINK_CLOSE)
    {
        GOP_ENTER();
        if (c->nsk <= f->sinks)
            return gvm_fail(c, "parse_error", "sink closed by a frame that did not open it");
        r = gvm_sink_close(c, &sp, (in->a & SPU_GF_CAPTURE) != 0);
        if (r != GOP_DONE)
            return r;
        VM_NEXT();
    }
    VM_CASE(G_EVENT)
    {
        GOP_ENTER();
        gvm_raise(c, in->c, rec);
        if (f->msg && rec == f->msg->rec && in->c == v->progs[f->msg->prog].event)
            f->msg->raised = 1;
        if (conn->stop_req)
            return GOP_STOP;
        VM_NEXT();
    }
    VM_CASE(G_LOOP_INIT)
    {
        struct gmark *m = &c->mk[f->mbase + in->b];
        m->pos = c->pos;
        m->count = 0;
        VM_NEXT();
    }
    VM_CASE(G_LOOP)
    {
        GOP_ENTER();
        struct gmark *m = &c->mk[f->mbase + in->b];
        if (m->pos == c->pos)
            return gvm_fail(c, "parse_error", "a loop iteration consumed nothing");
        if (++m->count > c->lim_iter)
            return gvm_fail(c, "iteration_limit", "a loop ran more than limits.iterations");
        m->pos = c->pos;
        VM_JUMP(in->c);
    }
    VM_CASE(G_STOP)
    {
        SAVE_PC();
        c->stop_here = 1;
        conn->stop_req = 1;
        return GOP_STOP;
    }
    VM_CASE(G_ERROR)
    {
        GOP_ENTER();
        uint32_t n = 0;
        const char *t = spu_bundle_str(b, (struct spu_bstr){(uint32_t)v->consts[in->c].val,
                                                            v->consts[in->c].len},
                                       &n);
        char what[GVM_ERRLEN];
        size_t k = n < sizeof(what) - 1 ? n : sizeof(what) - 1;
        memcpy(what, t, k);
        what[k] = '\0';
        return gvm_fail(c, what, what);
    }
    VM_CASE(G_TX_KEY)
    {
        GOP_ENTER();
        sp--;
        gvm_tx_key(c, sp);
        VM_NEXT();
    }
    VM_CASE(G_ANOMALY)
    {
        GOP_ENTER();
        uint32_t n = 0;
        const char *t = spu_bundle_str(b, (struct spu_bstr){(uint32_t)v->consts[in->c].val,
                                                            v->consts[in->c].len},
                                       &n);
        gvm_anomaly(c, t, n);
        if (conn->stop_req)
            return GOP_STOP;
        VM_NEXT();
    }
    DISPATCH_END

op_bad:
    SAVE_PC();
    return gvm_fail(c, "parse_error", "rule opcode in a grammar program");
fault:
    SAVE_PC();
    return gvm_fail(c, "parse_error", fdetail ? fdetail : spu_vm_fault_name((unsigned)fk));
}

/*
 * lower-grammar.c - grammar units, messages and direction drivers to IR,
 * following docs/grammar-vm.md construct by construct.
 *
 * Elements are lowered with flags: SPU_GF_CAPTURE (the element pushes what
 * it produces) and SPU_GF_YIELD (its consumed bytes go to the innermost
 * sink). A capture whose element is a group (alternatives, switch), or that
 * has sink options, or that captures a stream unit, goes through a sink
 * (G_SINK_OPEN ... G_SINK_CLOSE capture); captures of `E?`, `E*`, `E+`
 * capture each occurrence (a field left untouched when E is absent, one
 * element appended per iteration).
 *
 * Every consuming op and call runs with an empty operand stack (the
 * verifier requires it): values are stored right after the op that
 * produced them, and prediction labels go through a hidden local.
 */
#include "cg-int.h"

#include "builtin-api.h"

#include <string.h>

struct gx {
    struct lx x;
    struct cg *cg;
    struct ir_func *f;
    const struct sema_unit *u;
    const struct sema_proto *p;
    uint32_t tmp; /* local holding a prediction label, SPU_NONE until needed */
    uint32_t *current; /* by field: hidden local of the current iteration's capture */
};

static void g_el(struct gx *g, const struct ast_node *el, unsigned fl);
static void reset_current(struct gx *g, const struct ast_node *loop);
static void g_items(struct gx *g, const struct ast_node *items, unsigned fl);
static void g_block(struct gx *g, const struct ast_node *blk);

static uint32_t tmp_local(struct gx *g)
{
    if (g->tmp == SPU_NONE)
        g->tmp = ir_temp(g->f);
    return g->tmp;
}

static void emit(struct gx *g, unsigned op, unsigned a, unsigned b, uint32_t c,
                 const struct ast_node *n)
{
    ir_emit(g->f, op, a, b, c, n->loc);
}

static void g_error(struct gx *g, const char *msg, const struct ast_node *n)
{
    ir_emit_k(g->f, SPU_OP_G_ERROR, 0, cg_k_str(g->cg, msg, (uint32_t)strlen(msg)), n->loc);
}

static bool is_stream_ref(const struct ast_node *el)
{
    return el->kind == AST_EL_REF && el->sema.ref == SEMA_REF_UNIT && el->sema.sym.unit &&
           el->sema.sym.unit->stream;
}

static bool is_group(const struct ast_node *el)
{
    return el->kind == AST_EL_ALT || el->kind == AST_EL_SWITCH;
}

static void unit_call(struct gx *g, const struct ast_node *el, unsigned fl)
{
    const struct sema_unit *v = el->sema.sym.unit;
    if ((fl & SPU_GF_YIELD) && !v->stream) {
        cg_error(g->cg, el->loc, "unit '%s' produces a record, not bytes: it cannot be part of "
                 "yielded or filtered content", v->name);
        return;
    }
    if ((fl & SPU_GF_CAPTURE) && v->stream) {
        cg_bug(g->cg, "stream unit '%s' captured outside a sink", v->name);
        return;
    }
    uint32_t n = 0;
    for (const struct ast_node *a = el->a; a; a = a->next, n++)
        lx_expr(&g->x, a->kind == AST_ARG ? a->a : a);
    if (n != v->nparams || n > SPU_MAX_ARGS) {
        cg_bug(g->cg, "call of '%s' with %u arguments", v->name, n);
        return;
    }
    emit(g, SPU_OP_G_CALL, n, fl & SPU_GF_CAPTURE, cg_unit_func(g->cg, v), el);
}

/* Dispatch on a prediction label kept in the hidden local: jump to
 * targets[i] for label i, fall through when none matches. */
static void dispatch(struct gx *g, const uint32_t *targets, uint32_t n, const struct ast_node *el)
{
    uint32_t t = tmp_local(g);
    emit(g, SPU_OP_STORE_LOCAL, 0, t, 0, el);
    for (uint32_t i = 0; i < n; i++) {
        emit(g, SPU_OP_LOAD_LOCAL, 0, t, 0, el);
        emit(g, SPU_OP_PUSH_INT, 0, 0, i, el);
        emit(g, SPU_OP_EQ, 0, 0, 0, el);
        emit(g, SPU_OP_JNZ, 0, 0, targets[i], el);
    }
}

static const char *expected(struct gx *g, const struct sema_choice *ch)
{
    const char *s = "expected ";
    for (uint32_t i = 0; i < ch->n; i++)
        s = cg_sprintf(g->cg, "%s%s%s", s, i ? " or " : "", cg_first_text(g->cg, &ch->alts[i]));
    return s;
}

static void g_alt(struct gx *g, const struct ast_node *el, unsigned fl)
{
    uint32_t n = ast_count(el->a);
    if (n == 1) { /* a group of one: nothing to choose */
        g_items(g, el->a->a, fl);
        return;
    }
    const struct sema_choice *ch = el->sema.choice;
    if (!ch || ch->n != n) {
        cg_bug(g->cg, "alternatives without their FIRST sets");
        return;
    }
    uint32_t *lab = cg_alloc(g->cg, n * sizeof(uint32_t));
    if (!lab)
        return;
    for (uint32_t i = 0; i < n; i++)
        lab[i] = ir_label(g->f);
    uint32_t le = ir_label(g->f);
    emit(g, SPU_OP_G_PREDICT, 0, 0, cg_dfa_choice(g->cg, ch, el->loc), el);
    dispatch(g, lab, n, el);
    g_error(g, expected(g, ch), el);
    uint32_t i = 0;
    for (const struct ast_node *alt = el->a; alt; alt = alt->next, i++) {
        ir_place(g->f, lab[i], alt->loc);
        g_items(g, alt->a, fl);
        if (alt->next)
            emit(g, SPU_OP_JMP, 0, 0, le, alt);
    }
    ir_place(g->f, le, el->loc);
}

/* `E?`: `body` lowers E (plain, or capturing into a field). */
typedef void (*body_fn)(struct gx *g, const struct ast_node *e, const void *arg, unsigned fl);

static void plain_body(struct gx *g, const struct ast_node *e, const void *arg, unsigned fl)
{
    (void)arg;
    g_el(g, e, fl);
}

static void g_opt(struct gx *g, const struct ast_node *el, body_fn body, const void *arg,
                  unsigned fl)
{
    uint32_t ls = ir_label(g->f);
    emit(g, SPU_OP_G_PREDICT, SPU_GF_SURE, 0, cg_dfa_choice(g->cg, el->sema.choice, el->loc), el);
    emit(g, SPU_OP_PUSH_INT, 0, 0, 0, el);
    emit(g, SPU_OP_EQ, 0, 0, 0, el);
    emit(g, SPU_OP_JZ, 0, 0, ls, el);
    body(g, el->a, arg, fl);
    ir_place(g->f, ls, el->loc);
}

static void g_rep(struct gx *g, const struct ast_node *el, body_fn body, const void *arg,
                  unsigned fl)
{
    const struct sema_choice *ch = el->sema.choice;
    if (el->kind == AST_EL_PLUS) {
        reset_current(g, el);
        body(g, el->a, arg, fl);
    }
    uint32_t s = ir_loop_slot(g->f);
    uint32_t lh = ir_label(g->f), lx = ir_label(g->f);
    emit(g, SPU_OP_G_LOOP_INIT, 0, s, 0, el);
    ir_place(g->f, lh, el->loc);
    if (!el->b) {
        emit(g, SPU_OP_G_PREDICT, SPU_GF_SURE, 0, cg_dfa_choice(g->cg, ch, el->loc), el);
        emit(g, SPU_OP_PUSH_INT, 0, 0, 0, el);
        emit(g, SPU_OP_EQ, 0, 0, 0, el);
        emit(g, SPU_OP_JZ, 0, 0, lx, el);
        reset_current(g, el);
        body(g, el->a, arg, fl);
        emit(g, SPU_OP_G_LOOP, 0, s, lh, el);
        ir_place(g->f, lx, el->loc);
        return;
    }
    /* E* until T: T is label 0, E label 1 */
    uint32_t le = ir_label(g->f), lt = ir_label(g->f);
    if (!ch || ch->n != 2) {
        cg_bug(g->cg, "repetition with until without two FIRST sets");
        return;
    }
    emit(g, SPU_OP_G_PREDICT, 0, 0, cg_dfa_choice(g->cg, ch, el->loc), el);
    uint32_t t = tmp_local(g);
    emit(g, SPU_OP_STORE_LOCAL, 0, t, 0, el);
    emit(g, SPU_OP_LOAD_LOCAL, 0, t, 0, el);
    emit(g, SPU_OP_PUSH_INT, 0, 0, 0, el);
    emit(g, SPU_OP_EQ, 0, 0, 0, el);
    emit(g, SPU_OP_JNZ, 0, 0, lt, el);
    emit(g, SPU_OP_LOAD_LOCAL, 0, t, 0, el);
    emit(g, SPU_OP_PUSH_INT, 0, 0, 1, el);
    emit(g, SPU_OP_EQ, 0, 0, 0, el);
    emit(g, SPU_OP_JZ, 0, 0, le, el);
    reset_current(g, el);
    body(g, el->a, arg, fl);
    emit(g, SPU_OP_G_LOOP, 0, s, lh, el);
    ir_place(g->f, le, el->loc);
    g_error(g, expected(g, ch), el);
    ir_place(g->f, lt, el->b->loc);
    g_el(g, el->b, 0); /* the terminator is consumed, not produced */
    ir_place(g->f, lx, el->loc);
}

static void g_switch(struct gx *g, const struct ast_node *el, unsigned fl)
{
    uint32_t le = ir_label(g->f);
    for (const struct ast_node *arm = el->a; arm; arm = arm->next) {
        uint32_t next = ir_label(g->f);
        if (arm->a)
            lx_cond(&g->x, arm->a, false, next);
        g_items(g, arm->b->a, fl);
        if (arm->next)
            emit(g, SPU_OP_JMP, 0, 0, le, arm);
        ir_place(g->f, next, arm->loc);
    }
    ir_place(g->f, le, el->loc);
}

static void g_el(struct gx *g, const struct ast_node *el, unsigned fl)
{
    struct cg *cg = g->cg;
    switch (el->kind) {
    case AST_STR:
        ir_emit_k(g->f, SPU_OP_G_LIT, fl | ((el->flags & AST_F_NOCASE) ? SPU_GF_NOCASE : 0),
                  cg_k_str(cg, el->bytes, el->len), el->loc);
        return;
    case AST_REGEX:
        emit(g, SPU_OP_G_TOKEN, fl, 0, cg_dfa_pattern(cg, el, SPU_DFA_ANCHORED), el);
        return;
    case AST_EL_REF:
        if (el->sema.ref == SEMA_REF_TOKEN) {
            const struct ast_node *pat = el->sema.sym.token->pattern;
            if (pat->kind == AST_STR)
                ir_emit_k(g->f, SPU_OP_G_LIT,
                          fl | ((pat->flags & AST_F_NOCASE) ? SPU_GF_NOCASE : 0),
                          cg_k_str(cg, pat->bytes, pat->len), el->loc);
            else
                emit(g, SPU_OP_G_TOKEN, fl, 0, cg_dfa_pattern(cg, pat, SPU_DFA_ANCHORED), el);
            return;
        }
        if (el->sema.ref == SEMA_REF_UNIT) {
            unit_call(g, el, fl);
            return;
        }
        if (el->sema.ref == SEMA_REF_UINT) {
            emit(g, SPU_OP_G_UINT, fl | el->sema.index, 0, 0, el);
            return;
        }
        cg_bug(cg, "element '%s' is neither a token nor a unit", el->name);
        return;
    case AST_EL_BYTES:
        lx_expr(&g->x, el->a);
        emit(g, SPU_OP_G_BYTES, fl, 0, 0, el);
        return;
    case AST_EL_UPTO:
        lx_expr(&g->x, el->a);
        emit(g, SPU_OP_G_UPTO, fl, 0, 0, el);
        return;
    case AST_EL_REST:
        emit(g, SPU_OP_G_REST, fl, 0, 0, el);
        return;
    case AST_EL_NOTHING:
        if (fl & SPU_GF_CAPTURE)
            ir_emit_k(g->f, SPU_OP_PUSH_K, 0, cg_k_str(cg, "", 0), el->loc);
        return;
    default:
        break;
    }
    if (fl & SPU_GF_CAPTURE) {
        cg_bug(cg, "%s element captured without a sink", ast_kind_name(el->kind));
        return;
    }
    switch (el->kind) {
    case AST_EL_ALT:
        g_alt(g, el, fl);
        return;
    case AST_EL_OPT:
        g_opt(g, el, plain_body, NULL, fl);
        return;
    case AST_EL_STAR:
    case AST_EL_PLUS:
        g_rep(g, el, plain_body, NULL, fl);
        return;
    case AST_EL_SWITCH:
        g_switch(g, el, fl);
        return;
    default:
        cg_bug(cg, "unknown element %s", ast_kind_name(el->kind));
        return;
    }
}

/* ---- captures ---- */

/* What content a sink needs to receive an element's product: NEED_YIELD
 * when produced bytes differ from consumed ones (a stream unit, `upto`,
 * the terminator of `until`), NEED_SPAN when a unit producing a record
 * consumes them (only the span of consumed bytes can carry them). */
enum { NEED_YIELD = 1, NEED_SPAN = 2 };

static unsigned need_items(const struct ast_node *items);

static unsigned need_el(const struct ast_node *el)
{
    switch (el->kind) {
    case AST_EL_UPTO:
        return NEED_YIELD;
    case AST_EL_REF:
        if (el->sema.ref != SEMA_REF_UNIT || !el->sema.sym.unit)
            return 0;
        return el->sema.sym.unit->stream ? NEED_YIELD : NEED_SPAN;
    case AST_EL_ALT: {
        unsigned n = 0;
        for (const struct ast_node *alt = el->a; alt; alt = alt->next)
            n |= need_items(alt->a);
        return n;
    }
    case AST_EL_SWITCH: {
        unsigned n = 0;
        for (const struct ast_node *arm = el->a; arm; arm = arm->next)
            n |= need_items(arm->b->a);
        return n;
    }
    case AST_EL_OPT:
        return need_el(el->a);
    case AST_EL_STAR:
    case AST_EL_PLUS:
        return need_el(el->a) | (el->b ? NEED_YIELD | need_el(el->b) : 0);
    default:
        return 0;
    }
}

static unsigned need_items(const struct ast_node *items)
{
    unsigned n = 0;
    for (const struct ast_node *it = items; it; it = it->next)
        n |= need_el(it->kind == AST_CAPTURE || it->kind == AST_APPEND ? it->a : it);
    return n;
}

/* One capture's sink options, and the sink entries made from them (one per
 * content mode). */
struct sinkopt {
    const struct ast_node *opts;
    const struct ast_node *at;
    uint32_t idx[2]; /* [span]: SINK index, or SPU_NONE */
};

/* Push the filter conditions and the child's arguments, then G_SINK_OPEN. */
static void open_sink(struct gx *g, struct sinkopt *so, bool span)
{
    struct cg *cg = g->cg;
    uint32_t filters[256];
    uint32_t nf = 0, nargs = 0, child = SPU_NONE, limit = SPU_NONE, flags = span ? SPU_SINKF_SPAN : 0;
    for (const struct ast_node *k = so->opts; k; k = k->next) {
        if (k->kind != AST_SINK_FILTER)
            continue;
        if (nf == 255) {
            cg_error(cg, k->loc, "too many filters on one capture (at most 255)");
            return;
        }
        filters[nf++] = k->sema.index;
        if (k->a) {
            lx_expr(&g->x, k->a);
            if (!k->a->sema.type || k->a->sema.type->base != SPU_T_BOOL)
                emit(g, SPU_OP_TRUTH, 0, 0, 0, k->a);
        } else {
            emit(g, SPU_OP_PUSH_BOOL, 1, 0, 0, k);
        }
    }
    for (const struct ast_node *k = so->opts; k; k = k->next) {
        if (k->kind == AST_SINK_PARSE && k->sema.sym.unit) {
            child = cg_unit_func(cg, k->sema.sym.unit);
            for (const struct ast_node *a = k->a; a; a = a->next, nargs++)
                lx_expr(&g->x, a->kind == AST_ARG ? a->a : a);
        } else if (k->kind == AST_SINK_LIMIT) {
            limit = (uint32_t)k->ival;
        } else if (k->kind == AST_SINK_RECORD) {
            flags |= SPU_SINKF_RECORD;
            limit = 0; /* the content is not the value: store none of it */
        } else if (k->kind == AST_SINK_DIGEST) {
            flags |= SPU_SINKF_DIGEST;
        }
    }
    if (so->idx[span] == SPU_NONE) {
        struct spu_bsink s = {
            .filters = nf ? spu_bw_u32(cg->bw, filters, nf) : 0,
            .nfilters = nf,
            .child = child,
            .nargs = nargs,
            .limit = limit,
            .flags = flags,
        };
        so->idx[span] = spu_bw_sink(cg->bw, &s);
        if (so->idx[span] == SPU_NONE) {
            cg->status = SPU_ENOMEM;
            return;
        }
    }
    emit(g, SPU_OP_G_SINK_OPEN, nf, nargs, so->idx[span], so->at);
}

static void close_sink(struct gx *g, const struct ast_node *at)
{
    emit(g, SPU_OP_G_SINK_CLOSE, SPU_GF_CAPTURE, 0, 0, at);
}

/* Items of an arm or alternative into their own sink, in the mode they
 * need; leaves the content on the stack. */
static void sink_items(struct gx *g, struct sinkopt *so, const struct ast_node *items,
                       const struct ast_node *at)
{
    unsigned need = need_items(items);
    if (need == (NEED_YIELD | NEED_SPAN)) {
        cg_error(g->cg, at->loc, "this content mixes bytes a unit consumes (a record) with "
                 "bytes produced otherwise (a stream unit, upto, until); put them in separate "
                 "alternatives or captures");
        return;
    }
    bool span = need == NEED_SPAN;
    open_sink(g, so, span);
    g_items(g, items, span ? 0 : SPU_GF_YIELD);
    close_sink(g, at);
}

/* A capture of el with sink options (or of a group or a stream unit): push
 * its filtered content. The sink receives the bytes el produces; where a
 * record-producing unit produces them, the bytes it consumes (a SPAN sink).
 * When a switch or alternatives mix both, each arm gets its own sink. */
static void sink(struct gx *g, const struct ast_node *el, const struct ast_node *opts,
                 unsigned yfl)
{
    struct sinkopt so = {.opts = opts, .at = el, .idx = {SPU_NONE, SPU_NONE}};
    unsigned need = need_el(el);
    if (!opts && !is_stream_ref(el)) {
        /* a group captured without options receives every byte it consumes */
        open_sink(g, &so, true);
        g_el(g, el, yfl);
        close_sink(g, el);
        return;
    }
    if (need != (NEED_YIELD | NEED_SPAN)) {
        bool span = need == NEED_SPAN;
        open_sink(g, &so, span);
        g_el(g, el, span ? yfl : SPU_GF_YIELD);
        close_sink(g, el);
        return;
    }
    uint32_t le = ir_label(g->f);
    if (el->kind == AST_EL_SWITCH) {
        bool has_else = false;
        for (const struct ast_node *arm = el->a; arm; arm = arm->next) {
            uint32_t next = ir_label(g->f);
            has_else |= arm->a == NULL;
            if (arm->a)
                lx_cond(&g->x, arm->a, false, next);
            sink_items(g, &so, arm->b->a, arm);
            emit(g, SPU_OP_JMP, 0, 0, le, arm);
            ir_place(g->f, next, arm->loc);
        }
        if (!has_else) { /* no arm applies: empty content */
            open_sink(g, &so, false);
            close_sink(g, el);
        }
        ir_place(g->f, le, el->loc);
        return;
    }
    if (el->kind == AST_EL_ALT && el->sema.choice && el->sema.choice->n == ast_count(el->a)) {
        uint32_t n = ast_count(el->a);
        uint32_t *lab = cg_alloc(g->cg, n * sizeof(uint32_t));
        if (!lab)
            return;
        for (uint32_t i = 0; i < n; i++)
            lab[i] = ir_label(g->f);
        emit(g, SPU_OP_G_PREDICT, 0, 0, cg_dfa_choice(g->cg, el->sema.choice, el->loc), el);
        dispatch(g, lab, n, el);
        g_error(g, expected(g, el->sema.choice), el);
        uint32_t i = 0;
        for (const struct ast_node *alt = el->a; alt; alt = alt->next, i++) {
            ir_place(g->f, lab[i], alt->loc);
            sink_items(g, &so, alt->a, alt);
            emit(g, SPU_OP_JMP, 0, 0, le, alt);
        }
        ir_place(g->f, le, el->loc);
        return;
    }
    cg_error(g->cg, el->loc, "this content mixes bytes a unit consumes (a record) with bytes "
             "produced otherwise (a stream unit, upto, until); put them in separate "
             "alternatives or captures");
}

/* Push what element el produces (through a sink when it must). */
static void produce(struct gx *g, const struct ast_node *el, unsigned yfl)
{
    if (is_group(el) || is_stream_ref(el))
        sink(g, el, NULL, yfl);
    else
        g_el(g, el, SPU_GF_CAPTURE | yfl);
}

static void capture_body(struct gx *g, const struct ast_node *e, const void *arg, unsigned fl);

/* Store what a capture (NAME: E) or an append (NAME +: E) produced. */
static void store(struct gx *g, const struct ast_node *cap)
{
    if (cap->kind == AST_APPEND) {
        emit(g, SPU_OP_CONCAT_FIELD, 0, cap->sema.index, 0, cap);
        return;
    }
    if (cap->sema.ref == SEMA_REF_FIELD && (cap->sema.flags & SEMA_F_ARRAY) && g->current &&
        g->current[cap->sema.index] != SPU_NONE) {
        emit(g, SPU_OP_DUP, 0, 0, 0, cap);
        emit(g, SPU_OP_STORE_LOCAL, 0, g->current[cap->sema.index], 0, cap);
    }
    lx_store(&g->x, cap, (cap->sema.flags & SEMA_F_ARRAY) != 0);
}

/* At the start of each iteration of `loop`: forget what the previous
 * iteration captured into the fields that loop makes arrays. */
static void reset_current(struct gx *g, const struct ast_node *loop)
{
    if (!g->current || !g->u)
        return;
    const struct sema_layout *l = g->u->layout;
    for (uint32_t i = 0; i < l->nfields; i++)
        if (g->current[i] != SPU_NONE && l->fields[i]->loop == loop) {
            emit(g, SPU_OP_PUSH_NULL, 0, 0, 0, loop);
            emit(g, SPU_OP_STORE_LOCAL, 0, g->current[i], 0, loop);
        }
}

/* Capture (or append) `cap` of element el (the capture's element, or the
 * occurrence of a repetition or option inside it). */
static void capture_el(struct gx *g, const struct ast_node *cap, const struct ast_node *el,
                       unsigned yfl)
{
    if (cap->kind == AST_CAPTURE && cap->b) {
        sink(g, el, cap->b, yfl);
    } else if (el->kind == AST_EL_OPT) {
        g_opt(g, el, capture_body, cap, yfl);
        return;
    } else if (el->kind == AST_EL_STAR || el->kind == AST_EL_PLUS) {
        g_rep(g, el, capture_body, cap, yfl);
        return;
    } else {
        produce(g, el, yfl);
    }
    store(g, cap);
}

static void capture_body(struct gx *g, const struct ast_node *e, const void *arg, unsigned fl)
{
    capture_el(g, arg, e, fl);
}

static void g_items(struct gx *g, const struct ast_node *items, unsigned fl)
{
    unsigned yfl = fl & SPU_GF_YIELD;
    for (const struct ast_node *it = items; it; it = it->next) {
        if (it->kind == AST_CAPTURE || it->kind == AST_APPEND) {
            capture_el(g, it, it->a, yfl);
        } else {
            g_el(g, it, yfl);
        }
    }
}

/* ---- statements ---- */

static void typed_zero(struct gx *g, const struct ast_node *st)
{
    const struct sema_type *t = st->sema.type;
    unsigned base = t ? t->base : SPU_T_NULL;
    if (base == SPU_T_INT)
        emit(g, SPU_OP_PUSH_INT, 0, 0, 0, st);
    else if (base == SPU_T_BOOL)
        emit(g, SPU_OP_PUSH_BOOL, 0, 0, 0, st);
    else
        emit(g, SPU_OP_PUSH_NULL, 0, 0, 0, st);
}

/* Jump to `label` when the condition's truth is `when`; more() is G_AWAIT. */
static void g_cond(struct gx *g, const struct ast_node *cond, bool when, uint32_t label)
{
    if (cond->sema.flags & SEMA_F_MORE) {
        emit(g, SPU_OP_G_AWAIT, 0, 0, 0, cond);
        emit(g, when ? SPU_OP_JNZ : SPU_OP_JZ, 0, 0, label, cond);
        return;
    }
    lx_cond(&g->x, cond, when, label);
}

static void g_loop(struct gx *g, const struct ast_node *st)
{
    bool rep = st->kind == AST_REPEAT;
    const struct ast_node *body = rep ? st->a : st->b, *cond = rep ? st->b : st->a;
    uint32_t s = ir_loop_slot(g->f);
    uint32_t lh = ir_label(g->f), lx = ir_label(g->f);
    emit(g, SPU_OP_G_LOOP_INIT, 0, s, 0, st);
    ir_place(g->f, lh, st->loc);
    if (!rep)
        g_cond(g, cond, false, lx);
    reset_current(g, st);
    g_block(g, body);
    if (rep) /* repeat ... until (c): leave when c; repeat ... while (c): leave when !c */
        g_cond(g, cond, st->ival == AST_REPEAT_WHILE ? false : true, lx);
    emit(g, SPU_OP_G_LOOP, 0, s, lh, st);
    ir_place(g->f, lx, st->loc);
}

static void g_stmt(struct gx *g, const struct ast_node *st)
{
    struct cg *cg = g->cg;
    switch (st->kind) {
    case AST_BLOCK:
        g_block(g, st);
        return;
    case AST_SEQ:
        g_items(g, st->a, 0);
        return;
    case AST_ASSIGN:
        lx_expr(&g->x, st->b);
        lx_store(&g->x, st->a, false);
        return;
    case AST_VAR:
        if (st->a)
            lx_expr(&g->x, st->a);
        else
            typed_zero(g, st);
        emit(g, SPU_OP_STORE_LOCAL, 0, st->sema.index, 0, st);
        return;
    case AST_IF: {
        uint32_t lelse = ir_label(g->f), lend = ir_label(g->f);
        g_cond(g, st->a, false, lelse);
        g_block(g, st->b);
        if (st->c)
            emit(g, SPU_OP_JMP, 0, 0, lend, st);
        ir_place(g->f, lelse, st->loc);
        if (st->c) {
            g_stmt(g, st->c);
            ir_place(g->f, lend, st->loc);
        }
        return;
    }
    case AST_REPEAT:
    case AST_WHILE:
        g_loop(g, st);
        return;
    case AST_EVENT:
        if (st->sema.sym.event)
            emit(g, SPU_OP_G_EVENT, 0, 0, st->sema.sym.event->id, st);
        return;
    case AST_YIELD:
        g_el(g, st->a, SPU_GF_YIELD);
        return;
    case AST_STOP:
        emit(g, SPU_OP_G_STOP, 0, 0, 0, st);
        return;
    case AST_ERROR:
        ir_emit_k(g->f, SPU_OP_G_ERROR, 0, cg_k_str(cg, st->bytes, st->len), st->loc);
        return;
    case AST_ANOMALY:
        ir_emit_k(g->f, SPU_OP_G_ANOMALY, 0, cg_k_str(cg, st->bytes, st->len), st->loc);
        return;
    case AST_RETURN:
        emit(g, SPU_OP_RET, 0, 0, 0, st);
        return;
    case AST_TX_KEY:
        lx_expr(&g->x, st->a);
        emit(g, SPU_OP_G_TX_KEY, 0, 0, 0, st);
        return;
    case AST_WITHIN:
    case AST_AT:
        lx_expr(&g->x, st->a);
        emit(g, st->kind == AST_AT ? SPU_OP_G_AT_OPEN : SPU_OP_G_WIN_OPEN, 0, 0, 0, st);
        g_block(g, st->b);
        emit(g, SPU_OP_G_WIN_CLOSE, 0, 0, 0, st);
        return;
    case AST_PEEK:
        emit(g, SPU_OP_G_PEEK_OPEN, 0, 0, 0, st);
        g_block(g, st->b);
        emit(g, SPU_OP_G_WIN_CLOSE, 0, 0, 0, st);
        return;
    case AST_BUFFER:
        emit(g, SPU_OP_PUSH_INT, 0, 0, (uint32_t)st->ival, st);
        emit(g, SPU_OP_G_BUF_MARK, 0, 0, 0, st);
        return;
    default:
        cg_bug(cg, "grammar statement %s", ast_kind_name(st->kind));
        return;
    }
}

static void g_block(struct gx *g, const struct ast_node *blk)
{
    if (!blk)
        return;
    if (blk->kind != AST_BLOCK) {
        g_stmt(g, blk);
        return;
    }
    for (const struct ast_node *st = blk->a; st; st = st->next)
        if (!(st->sema.flags & SEMA_F_UNREACHABLE))
            g_stmt(g, st);
}

/* ---- programs ---- */

static void gx_init(struct gx *g, struct cg *cg, struct ir_func *f, const struct sema_proto *p,
                    const struct sema_unit *u)
{
    memset(g, 0, sizeof(*g));
    g->cg = cg;
    g->f = f;
    g->p = p;
    g->u = u;
    g->tmp = SPU_NONE;
    g->x.cg = cg;
    g->x.f = f;
    g->x.grammar = true;
}

/* Mark the fields read as "the current iteration's capture". */
static void find_current(const struct ast_node *n, const struct sema_layout *l, bool *need)
{
    for (; n; n = n->next) {
        if ((n->sema.flags & SEMA_F_CURRENT) && n->sema.ref == SEMA_REF_FIELD &&
            n->sema.layout == l && n->sema.index < l->nfields)
            need[n->sema.index] = true;
        find_current(n->a, l, need);
        find_current(n->b, l, need);
        find_current(n->c, l, need);
    }
}

static void lower_unit(struct cg *cg, const struct sema_unit *u)
{
    struct ir_func *f = cg->funcs[cg_unit_func(cg, u)];
    struct gx g;
    gx_init(&g, cg, f, u->proto, u);
    const struct ast_node *body = u->is_message ? u->decl->b : u->decl->c;
    const struct sema_layout *l = u->layout;
    bool *need = cg_alloc(cg, (l->nfields ? l->nfields : 1) * sizeof(bool));
    uint32_t *cur = cg_alloc(cg, (l->nfields ? l->nfields : 1) * sizeof(uint32_t));
    if (!need || !cur)
        return;
    find_current(body->a, l, need);
    for (uint32_t i = 0; i < l->nfields; i++) {
        cur[i] = SPU_NONE;
        if (need[i] && l->fields[i]->array && l->fields[i]->loop) {
            cur[i] = ir_temp(f);
            ir_emit(f, SPU_OP_PUSH_NULL, 0, 0, 0, u->decl->loc);
            ir_emit(f, SPU_OP_STORE_LOCAL, 0, cur[i], 0, u->decl->loc);
        }
    }
    g.current = cur;
    g.x.current = cur;
    g_block(&g, body);
    ir_emit(f, SPU_OP_RET, 0, 0, 0, u->decl->loc);
}

static void lower_driver(struct cg *cg, const struct sema_proto *p, int dir)
{
    struct ir_func *f = cg->funcs[cg->drivers[p->id][dir]];
    struct gx g;
    gx_init(&g, cg, f, p, NULL);
    struct src_loc loc = p->decl->loc;
    uint32_t slot = ir_loop_slot(f);
    uint32_t l0 = ir_label(f), lend = ir_label(f);
    ir_emit(f, SPU_OP_G_LOOP_INIT, 0, slot, 0, loc);
    ir_place(f, l0, loc);
    ir_emit(f, SPU_OP_G_AWAIT, 0, 0, 0, loc);
    ir_emit(f, SPU_OP_JZ, 0, 0, lend, loc);
    for (uint32_t i = 0; i < p->nunits; i++) {
        const struct sema_unit *m = p->units[i];
        if (!m->is_message || m->dir != dir)
            continue;
        uint32_t next = ir_label(f);
        if (m->when)
            lx_cond(&g.x, m->when, false, next);
        ir_emit(f, SPU_OP_G_MESSAGE, 0, 0, cg_unit_func(cg, m), m->decl->loc);
        ir_emit(f, SPU_OP_G_LOOP, 0, slot, l0, m->decl->loc);
        ir_place(f, next, m->decl->loc);
    }
    ir_emit_k(f, SPU_OP_G_ERROR, 0, cg_k_str(cg, "no message applies", 18), loc);
    ir_place(f, lend, loc);
    ir_emit(f, SPU_OP_RET, 0, 0, 0, loc);
}

int lower_grammars_declare(struct cg *cg)
{
    const struct sema_program *prog = cg->prog;
    for (uint32_t pi = 0; pi < prog->nprotos; pi++) {
        const struct sema_proto *p = prog->protos[pi];
        cg->proto_first[pi] = cg->nfuncs;
        for (uint32_t i = 0; i < p->nunits; i++) {
            const struct sema_unit *u = p->units[i];
            struct ir_func *f = ir_func_new(cg_sprintf(cg, "%s.%s", p->name, u->name),
                                            u->is_message ? SPU_PROG_MESSAGE : SPU_PROG_UNIT);
            if (f) {
                f->proto = cg->proto_idx[pi];
                f->layout = u->layout->id;
                f->nparams = u->is_message ? 0 : (uint16_t)u->nparams;
                f->nlocals = u->nlocals;
                f->flags = u->stream && !u->is_message ? SPU_PF_STREAM : 0;
                if (u->is_message && u->completion)
                    f->event = u->completion->id;
            }
            if (cg_add_func(cg, f) != cg->proto_first[pi] + i)
                return cg->status ? cg->status : SPU_ENOMEM;
        }
    }
    for (uint32_t pi = 0; pi < prog->nprotos; pi++) {
        const struct sema_proto *p = prog->protos[pi];
        for (int d = 0; d < 2; d++) {
            bool any = false;
            for (uint32_t i = 0; i < p->nunits; i++)
                any |= p->units[i]->is_message && p->units[i]->dir == d;
            if (!any)
                continue;
            struct ir_func *f =
                ir_func_new(cg_sprintf(cg, "%s %s", p->name, d == AST_DIR_CLIENT ? "client" : "server"),
                            SPU_PROG_DRIVER);
            if (f)
                f->proto = cg->proto_idx[pi];
            cg->drivers[pi][d] = cg_add_func(cg, f);
            if (cg->drivers[pi][d] == SPU_NONE)
                return cg->status ? cg->status : SPU_ENOMEM;
        }
    }
    return cg->status;
}

int lower_grammars(struct cg *cg)
{
    const struct sema_program *prog = cg->prog;
    for (uint32_t pi = 0; pi < prog->nprotos && cg->status == SPU_OK; pi++) {
        const struct sema_proto *p = prog->protos[pi];
        for (uint32_t i = 0; i < p->nunits; i++)
            lower_unit(cg, p->units[i]);
        for (int d = 0; d < 2; d++)
            if (cg->drivers[pi][d] != SPU_NONE)
                lower_driver(cg, p, d);
    }
    for (uint32_t i = 0; i < cg->nfuncs && cg->status == SPU_OK; i++)
        if (cg->funcs[i]->status != SPU_OK)
            cg->status = cg->funcs[i]->status;
    return cg->status;
}

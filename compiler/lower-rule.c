/*
 * lower-rule.c - rule bodies and KEY programs to IR (see cg-int.h).
 *
 * A rule program runs once per event: statements in order, RET at the
 * end. `for (x in a)` evaluates `a` once into a hidden local and walks it
 * with a hidden counter; its backward edge is LOOP, which charges the step
 * budget. A declared local without an initialiser starts as the typed zero
 * of its type (0, false, or null), on every pass through its declaration.
 *
 * A KEY program computes one value from an event's record and returns it
 * on the stack: session keys, lookup-tree levels, prefilter fields.
 */
#include "cg-int.h"

#include "builtin-api.h"

struct lx_loop {
    uint32_t brk, cont;
    struct lx_loop *up;
};

static void r_stmt(struct lx *x, const struct ast_node *st);

static void emit(struct lx *x, unsigned op, unsigned a, unsigned b, uint32_t c,
                 const struct ast_node *n)
{
    ir_emit(x->f, op, a, b, c, n->loc);
}

static void r_sub(struct lx *x, const struct ast_node *st)
{
    if (!st)
        return;
    if (st->kind != AST_BLOCK) {
        r_stmt(x, st);
        return;
    }
    for (const struct ast_node *s = st->a; s; s = s->next)
        if (!(s->sema.flags & SEMA_F_UNREACHABLE))
            r_stmt(x, s);
}

static void r_for(struct lx *x, const struct ast_node *st)
{
    struct ir_func *f = x->f;
    uint32_t arr = ir_temp(f), i = ir_temp(f);
    uint32_t lh = ir_label(f), lc = ir_label(f), lx = ir_label(f);
    lx_expr(x, st->a);
    emit(x, SPU_OP_STORE_LOCAL, 0, arr, 0, st);
    emit(x, SPU_OP_PUSH_INT, 0, 0, 0, st);
    emit(x, SPU_OP_STORE_LOCAL, 0, i, 0, st);
    ir_place(f, lh, st->loc);
    emit(x, SPU_OP_LOAD_LOCAL, 0, i, 0, st);
    emit(x, SPU_OP_LOAD_LOCAL, 0, arr, 0, st);
    emit(x, SPU_OP_LEN, 0, 0, 0, st);
    emit(x, SPU_OP_LT, 0, 0, 0, st);
    emit(x, SPU_OP_JZ, 0, 0, lx, st);
    emit(x, SPU_OP_LOAD_LOCAL, 0, arr, 0, st);
    emit(x, SPU_OP_LOAD_LOCAL, 0, i, 0, st);
    emit(x, SPU_OP_INDEX, 0, 0, 0, st);
    emit(x, SPU_OP_STORE_LOCAL, 0, st->sema.index, 0, st);
    struct lx_loop loop = {lx, lc, x->loops};
    x->loops = &loop;
    r_sub(x, st->b);
    x->loops = loop.up;
    ir_place(f, lc, st->loc);
    emit(x, SPU_OP_LOAD_LOCAL, 0, i, 0, st);
    emit(x, SPU_OP_PUSH_INT, 0, 0, 1, st);
    emit(x, SPU_OP_ADD, 0, 0, 0, st);
    emit(x, SPU_OP_STORE_LOCAL, 0, i, 0, st);
    emit(x, SPU_OP_LOOP, 0, 0, lh, st);
    ir_place(f, lx, st->loc);
}

static void r_stmt(struct lx *x, const struct ast_node *st)
{
    switch (st->kind) {
    case AST_BLOCK:
        r_sub(x, st);
        return;
    case AST_VAR:
        if (st->a) {
            lx_expr(x, st->a);
        } else {
            unsigned base = st->sema.type ? st->sema.type->base : SPU_T_NULL;
            if (base == SPU_T_INT)
                emit(x, SPU_OP_PUSH_INT, 0, 0, 0, st);
            else if (base == SPU_T_BOOL)
                emit(x, SPU_OP_PUSH_BOOL, 0, 0, 0, st);
            else
                emit(x, SPU_OP_PUSH_NULL, 0, 0, 0, st);
        }
        emit(x, SPU_OP_STORE_LOCAL, 0, st->sema.index, 0, st);
        return;
    case AST_EXPR_STMT:
        lx_expr(x, st->a);
        emit(x, SPU_OP_POP, 0, 0, 0, st);
        return;
    case AST_ASSIGN:
        if (st->op == AST_OP_ASSIGN) {
            lx_expr(x, st->b);
        } else {
            lx_expr(x, st->a);
            lx_expr(x, st->b);
            emit(x, st->op == AST_OP_ADD_ASSIGN ? SPU_OP_ADD : SPU_OP_SUB, 0, 0, 0, st);
        }
        lx_store(x, st->a, false);
        return;
    case AST_IF: {
        uint32_t lelse = ir_label(x->f), lend = ir_label(x->f);
        lx_cond(x, st->a, false, lelse);
        r_sub(x, st->b);
        if (st->c)
            emit(x, SPU_OP_JMP, 0, 0, lend, st);
        ir_place(x->f, lelse, st->loc);
        if (st->c) {
            r_sub(x, st->c);
            ir_place(x->f, lend, st->loc);
        }
        return;
    }
    case AST_FOR:
        r_for(x, st);
        return;
    case AST_BREAK:
    case AST_CONTINUE:
        if (!x->loops) {
            cg_bug(x->cg, "%s outside a loop", ast_kind_name(st->kind));
            return;
        }
        emit(x, SPU_OP_JMP, 0, 0, st->kind == AST_BREAK ? x->loops->brk : x->loops->cont, st);
        return;
    case AST_RETURN:
        emit(x, SPU_OP_RET, 0, 0, 0, st);
        return;
    default:
        cg_bug(x->cg, "rule statement %s", ast_kind_name(st->kind));
        return;
    }
}

static const char *rule_name(struct cg *cg, const struct sema_rule *r)
{
    if (r->gid == 1)
        return cg_sprintf(cg, "rule %lld", (long long)r->sid);
    return cg_sprintf(cg, "rule %lld:%lld", (long long)r->gid, (long long)r->sid);
}

int lower_rules(struct cg *cg)
{
    const struct sema_program *prog = cg->prog;
    for (uint32_t i = 0; i < prog->nrules && cg->status == SPU_OK; i++) {
        const struct sema_rule *r = prog->rules[i];
        struct ir_func *f = ir_func_new(rule_name(cg, r), SPU_PROG_RULE);
        if (!f)
            return cg->status = SPU_ENOMEM;
        f->event = r->event->id;
        f->layout = r->event->layout->id;
        f->nlocals = r->nlocals;
        struct lx x = {.cg = cg, .f = f};
        r_sub(&x, r->decl->c);
        ir_emit(f, SPU_OP_RET, 0, 0, 0, r->decl->loc);
        if (f->status != SPU_OK)
            cg->status = f->status;
        cg->rule_func[i] = cg_add_func(cg, f);
    }
    return cg->status;
}

struct ir_func *lower_key(struct cg *cg, const struct sema_event *ev, const struct ast_node *n,
                          const char *name)
{
    struct ir_func *f = ir_func_new(name, SPU_PROG_KEY);
    if (!f) {
        cg->status = SPU_ENOMEM;
        return NULL;
    }
    f->event = ev ? ev->id : SPU_NONE;
    f->layout = ev ? ev->layout->id : SPU_NONE;
    struct lx x = {.cg = cg, .f = f};
    lx_expr(&x, n);
    ir_emit(f, SPU_OP_RET, 0, 0, 0, n->loc);
    if (f->status != SPU_OK)
        cg->status = f->status;
    return f;
}

int lower_sessions(struct cg *cg)
{
    const struct sema_program *prog = cg->prog;
    for (uint32_t i = 0; i < prog->nsessions && cg->status == SPU_OK; i++) {
        const struct sema_session *s = prog->sessions[i];
        cg->session_key[i] =
            cg_key(cg, s->key_event, s->key, cg_sprintf(cg, "%s.key", s->name));
    }
    return cg->status;
}

/*
 * lower-expr.c - expressions of both languages to IR (see cg-int.h).
 *
 * Values: every expression pushes exactly one value. A node sema folded
 * (cval) is pushed as its constant and its subtree is not lowered. Names
 * load from where sema resolved them (docs/compiler-frontend.md).
 *
 * Conditions are lowered as jumps (lx_cond): `&&`, `||` and `!` never
 * materialise a bool, and every jump is forward, so the stack depth is
 * the same on every path that meets at a label.
 */
#include "cg-int.h"

#include "builtin-api.h"

static void emit0(struct lx *x, unsigned op, const struct ast_node *n)
{
    ir_emit(x->f, op, 0, 0, 0, n->loc);
}

void lx_const(struct lx *x, const struct sema_const *c, struct src_loc loc)
{
    switch (c->type) {
    case SPU_T_NULL:
        ir_emit(x->f, SPU_OP_PUSH_NULL, 0, 0, 0, loc);
        break;
    case SPU_T_BOOL:
        ir_emit(x->f, SPU_OP_PUSH_BOOL, c->i ? 1 : 0, 0, 0, loc);
        break;
    case SPU_T_INT:
        if (c->i >= INT32_MIN && c->i <= INT32_MAX)
            ir_emit(x->f, SPU_OP_PUSH_INT, 0, 0, (uint32_t)(int32_t)c->i, loc);
        else
            ir_emit_k(x->f, SPU_OP_PUSH_K, 0, cg_k_int(x->cg, c->i), loc);
        break;
    case SPU_T_STR:
    case SPU_T_IP:
        ir_emit_k(x->f, SPU_OP_PUSH_K, 0, cg_k_const(x->cg, c), loc);
        break;
    default:
        cg_bug(x->cg, "constant of type %u", c->type);
        break;
    }
}

static bool const_truth(const struct sema_const *c)
{
    switch (c->type) {
    case SPU_T_NULL:
        return false;
    case SPU_T_BOOL:
    case SPU_T_INT:
        return c->i != 0;
    default:
        return true;
    }
}

static void mark_list_use(struct lx *x, uint32_t list, const struct ast_node *value)
{
    if (list >= x->cg->prog->nlists || !value->sema.type)
        return;
    unsigned base = value->sema.type->base;
    if (base == SPU_T_ARR && value->sema.type->elem)
        base = value->sema.type->elem->base;
    x->cg->list_use[list] |= base == SPU_T_IP ? CG_USE_IP : CG_USE_STR;
}

/* Load a name or member from where sema resolved it. */
static void load(struct lx *x, const struct ast_node *n)
{
    struct ir_func *f = x->f;
    const struct ast_sema *s = &n->sema;
    switch (s->ref) {
    case SEMA_REF_LOCAL:
        ir_emit(f, SPU_OP_LOAD_LOCAL, 0, s->index, 0, n->loc);
        return;
    case SEMA_REF_FIELD:
        if ((s->flags & SEMA_F_CURRENT) && x->current && x->current[s->index] != SPU_NONE) {
            /* what this iteration captured (null when it captured nothing) */
            ir_emit(f, SPU_OP_LOAD_LOCAL, 0, x->current[s->index], 0, n->loc);
            return;
        }
        ir_emit(f, SPU_OP_LOAD_FIELD, 0, s->index, 0, n->loc);
        if (s->flags & SEMA_F_CURRENT) {
            /* the element this iteration captured: the array's last */
            ir_emit(f, SPU_OP_LOAD_FIELD, 0, s->index, 0, n->loc);
            ir_emit(f, SPU_OP_LEN, 0, 0, 0, n->loc);
            ir_emit(f, SPU_OP_PUSH_INT, 0, 0, 1, n->loc);
            ir_emit(f, SPU_OP_SUB, 0, 0, 0, n->loc);
            ir_emit(f, SPU_OP_INDEX, 0, 0, 0, n->loc);
        }
        return;
    case SEMA_REF_ANC_FIELD:
        ir_emit(f, SPU_OP_LOAD_ANC, 0, s->index, s->layout->id, n->loc);
        return;
    case SEMA_REF_PAIR_FIELD:
        ir_emit(f, SPU_OP_LOAD_PAIR, 0, s->index, s->layout->id, n->loc);
        return;
    case SEMA_REF_MEMBER:
        lx_expr(x, n->a);
        ir_emit(f, SPU_OP_MEMBER, 0, s->index, s->layout->id, n->loc);
        return;
    case SEMA_REF_STATE:
        ir_emit(f, SPU_OP_LOAD_STATE, 0, s->index, 0, n->loc);
        return;
    case SEMA_REF_FLOWVAR:
        ir_emit(f, SPU_OP_LOAD_FLOWVAR, 0, s->index, 0, n->loc);
        return;
    case SEMA_REF_FLOWKEY:
        ir_emit(f, SPU_OP_LOAD_FLOWKEY, 0, s->index, 0, n->loc);
        return;
    case SEMA_REF_SESSVAR:
        ir_emit(f, SPU_OP_LOAD_SESS, s->sym.session->id, s->index, 0, n->loc);
        return;
    case SEMA_REF_LIST:
        ir_emit_k(f, SPU_OP_PUSH_K, 0, cg_k_list(x->cg, s->sym.list->id), n->loc);
        return;
    default:
        cg_bug(x->cg, "'%s' resolved to %s is not a value", n->name ? n->name : "?",
               sema_ref_name(s->ref));
        ir_emit(f, SPU_OP_PUSH_NULL, 0, 0, 0, n->loc);
        return;
    }
}

/* The list the right side of `in` names; SPU_NONE after an error. */
static uint32_t in_list(struct lx *x, const struct ast_node *rhs)
{
    if (rhs->kind == AST_INLIST || (rhs->sema.ref == SEMA_REF_LIST && rhs->sema.sym.list))
        return rhs->sema.sym.list->id;
    const struct sema_const *c = rhs->sema.cval;
    if (c && c->type == SPU_T_IP)
        return cg_cidr_list(x->cg, c);
    cg_error(x->cg, rhs->loc, "the right side of 'in' must be a list, an inline list or a "
             "constant address or CIDR block");
    return SPU_NONE;
}

static void call(struct lx *x, const struct ast_node *n)
{
    if (n->sema.ref != SEMA_REF_BUILTIN) {
        cg_bug(x->cg, "call of '%s' is not a built-in", n->name);
        ir_emit(x->f, SPU_OP_PUSH_NULL, 0, 0, 0, n->loc);
        return;
    }
    uint32_t id = n->sema.index;
    for (uint32_t i = 0; i < n->sema.nargs; i++)
        lx_expr(x, n->sema.args[i]);
    if ((id == SPU_BI_FindInList || id == SPU_BI_FindInRegExList) && n->sema.nargs == 2 &&
        n->sema.args[1]->sema.ref == SEMA_REF_LIST)
        mark_list_use(x, n->sema.args[1]->sema.sym.list->id, n->sema.args[0]);
    if (n->sema.nargs > SPU_MAX_ARGS) {
        cg_error(x->cg, n->loc, "too many arguments to '%s' (at most %u)", n->name, SPU_MAX_ARGS);
        return;
    }
    ir_emit(x->f, SPU_OP_CALL, n->sema.nargs, 0, id, n->loc);
}

static bool is_str(const struct ast_node *n)
{
    return n->sema.type && n->sema.type->base == SPU_T_STR;
}

static void binary(struct lx *x, const struct ast_node *n)
{
    static const uint8_t ops[AST_OP__COUNT] = {
        [AST_OP_EQ] = SPU_OP_EQ,   [AST_OP_NE] = SPU_OP_NE,   [AST_OP_LT] = SPU_OP_LT,
        [AST_OP_LE] = SPU_OP_LE,   [AST_OP_GT] = SPU_OP_GT,   [AST_OP_GE] = SPU_OP_GE,
        [AST_OP_ADD] = SPU_OP_ADD, [AST_OP_SUB] = SPU_OP_SUB, [AST_OP_MUL] = SPU_OP_MUL,
        [AST_OP_DIV] = SPU_OP_DIV, [AST_OP_MOD] = SPU_OP_MOD,
    };
    struct ir_func *f = x->f;
    switch (n->op) {
    case AST_OP_AND:
    case AST_OP_OR: {
        uint32_t lf = ir_label(f), le = ir_label(f);
        lx_cond(x, n, false, lf);
        ir_emit(f, SPU_OP_PUSH_BOOL, 1, 0, 0, n->loc);
        ir_emit(f, SPU_OP_JMP, 0, 0, le, n->loc);
        ir_place(f, lf, n->loc);
        ir_emit(f, SPU_OP_PUSH_BOOL, 0, 0, 0, n->loc);
        ir_place(f, le, n->loc);
        return;
    }
    case AST_OP_IN: {
        lx_expr(x, n->a);
        uint32_t l = in_list(x, n->b);
        if (l != SPU_NONE) {
            mark_list_use(x, l, n->a);
            ir_emit(f, SPU_OP_IN_LIST, 0, 0, l, n->loc);
        }
        return;
    }
    case AST_OP_MATCH:
    case AST_OP_NMATCH:
        lx_expr(x, n->a);
        if (n->b->kind == AST_REGEX) {
            uint32_t r = cg_regex(x->cg, n->b->bytes, n->b->len, n->b->name);
            ir_emit(f, SPU_OP_MATCH_RE, 0, 0, r, n->loc);
        } else {
            lx_expr(x, n->b);
            emit0(x, SPU_OP_CONTAINS_I, n);
        }
        if (n->op == AST_OP_NMATCH)
            emit0(x, SPU_OP_NOT, n);
        return;
    default:
        break;
    }
    if (n->op <= AST_OP_NONE || n->op >= AST_OP__COUNT || !ops[n->op]) {
        cg_bug(x->cg, "binary operator %d", n->op);
        return;
    }
    lx_expr(x, n->a);
    lx_expr(x, n->b);
    unsigned op = ops[n->op];
    if (op == SPU_OP_ADD && (is_str(n) || is_str(n->a) || is_str(n->b)))
        op = SPU_OP_CONCAT;
    emit0(x, op, n);
}

void lx_expr(struct lx *x, const struct ast_node *n)
{
    if (n->sema.cval) {
        lx_const(x, n->sema.cval, n->loc);
        return;
    }
    switch (n->kind) {
    case AST_NAME:
    case AST_MEMBER:
        load(x, n);
        return;
    case AST_SUBSCRIPT:
        lx_expr(x, n->a);
        lx_expr(x, n->b);
        emit0(x, SPU_OP_INDEX, n);
        return;
    case AST_CALL:
        call(x, n);
        return;
    case AST_UNARY:
        lx_expr(x, n->a);
        emit0(x, n->op == AST_OP_NOT ? SPU_OP_NOT : SPU_OP_NEG, n);
        return;
    case AST_BINARY:
        binary(x, n);
        return;
    case AST_ARG:
        lx_expr(x, n->a);
        return;
    default:
        cg_error(x->cg, n->loc, "this %s is not a value here", ast_kind_name(n->kind));
        ir_emit(x->f, SPU_OP_PUSH_NULL, 0, 0, 0, n->loc);
        return;
    }
}

void lx_cond(struct lx *x, const struct ast_node *n, bool when, uint32_t to)
{
    struct ir_func *f = x->f;
    if (n->sema.cval) {
        if (const_truth(n->sema.cval) == when)
            ir_emit(f, SPU_OP_JMP, 0, 0, to, n->loc);
        return;
    }
    if (n->kind == AST_UNARY && n->op == AST_OP_NOT) {
        lx_cond(x, n->a, !when, to);
        return;
    }
    if (n->kind == AST_BINARY && (n->op == AST_OP_AND || n->op == AST_OP_OR)) {
        /* `a && b` is true when both are; `a || b` is false when both are not */
        bool both = n->op == AST_OP_AND ? !when : when;
        if (both) {
            lx_cond(x, n->a, when, to);
            lx_cond(x, n->b, when, to);
        } else {
            uint32_t skip = ir_label(f);
            lx_cond(x, n->a, !when, skip);
            lx_cond(x, n->b, when, to);
            ir_place(f, skip, n->loc);
        }
        return;
    }
    lx_expr(x, n);
    ir_emit(f, when ? SPU_OP_JNZ : SPU_OP_JZ, 0, 0, to, n->loc);
}

void lx_store(struct lx *x, const struct ast_node *tgt, bool append)
{
    struct ir_func *f = x->f;
    const struct ast_sema *s = &tgt->sema;
    switch (s->ref) {
    case SEMA_REF_LOCAL:
        ir_emit(f, SPU_OP_STORE_LOCAL, 0, s->index, 0, tgt->loc);
        return;
    case SEMA_REF_FIELD:
        ir_emit(f, append ? SPU_OP_APPEND_FIELD : SPU_OP_STORE_FIELD, 0, s->index, 0, tgt->loc);
        return;
    case SEMA_REF_STATE:
        ir_emit(f, SPU_OP_STORE_STATE, 0, s->index, 0, tgt->loc);
        return;
    case SEMA_REF_FLOWVAR:
        ir_emit(f, SPU_OP_STORE_FLOWVAR, 0, s->index, 0, tgt->loc);
        return;
    case SEMA_REF_SESSVAR:
        ir_emit(f, SPU_OP_STORE_SESS, s->sym.session->id, s->index, 0, tgt->loc);
        return;
    default:
        cg_bug(x->cg, "cannot store into '%s' (%s)", tgt->name ? tgt->name : "?",
               sema_ref_name(s->ref));
        ir_emit(f, SPU_OP_POP, 0, 0, 0, tgt->loc);
        return;
    }
}

/* sema-expr.c - expressions of both languages: types, names through the
 * context's resolvers, members and indexes, built-in calls with named
 * arguments and defaults, and constant folding (see sema-int.h). */
#include "sema-int.h"

#include "arena.h"
#include "err.h"
#include "bytecode.h"
#include "regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

static const struct sema_type *expr_in(struct ectx *c, struct ast_node *n, bool allow_ns);

static const struct sema_type *set_type(struct ast_node *n, const struct sema_type *t)
{
    n->sema.type = t;
    n->sema.flags |= SEMA_F_CHECKED;
    return t;
}

static const char *tstr(const struct sema_type *t, char *buf)
{
    return sema_type_str(t, buf, 96);
}

const struct sema_type *sema_expr(struct ectx *c, struct ast_node *n)
{
    return expr_in(c, n, false);
}

void sema_cond(struct ectx *c, struct ast_node *n)
{
    sema_expr(c, n);
}

/* ---- locals ---- */

struct sema_local *sema_scope_find(const struct ectx *c, const char *name)
{
    for (struct scope *sc = c->scope; sc; sc = sc->up)
        if (strcmp(sc->local->name, name) == 0)
            return sc->local;
    return NULL;
}

bool sema_block(struct ectx *c, struct ast_node *blk,
                bool (*stmt)(struct ectx *c, struct ast_node *st))
{
    struct scope *saved = c->scope, *saved_block = c->block;
    c->block = c->scope;
    bool term = false, warned = false;
    for (struct ast_node *st = blk->a; st; st = st->next) {
        if (term) {
            st->sema.flags |= SEMA_F_UNREACHABLE;
            if (!warned)
                sema_warning(c->s, st->loc, "unreachable code");
            warned = true;
        }
        if (stmt(c, st))
            term = true;
        if (diag_stop(c->s->diag))
            break;
    }
    c->scope = saved;
    c->block = saved_block;
    return term;
}

struct sema_local *sema_scope_add(struct ectx *c, const char *name,
                                  const struct sema_type *type, const struct ast_node *decl,
                                  bool param)
{
    for (struct scope *sc = c->scope; sc && sc != c->block; sc = sc->up)
        if (strcmp(sc->local->name, name) == 0) {
            sema_dup(c->s, decl->loc, sc->local->decl->loc, "local variable", name);
            return sc->local;
        }
    struct sema_local *l = sema_alloc(c->s, sizeof(*l));
    struct scope *sc = sema_alloc(c->s, sizeof(*sc));
    if (!l || !sc)
        return NULL;
    l->name = name;
    l->type = type;
    l->slot = (*c->nlocals)++;
    l->param = param;
    l->decl = decl;
    sc->local = l;
    sc->up = c->scope;
    c->scope = sc;
    return l;
}

void sema_assign_mismatch(struct sema *s, struct src_loc loc, const char *what,
                          const struct sema_type *dst, const struct sema_type *src)
{
    char a[96], b[96];
    sema_error(s, loc, "type mismatch: cannot assign %s to %s of type %s", tstr(src, b), what,
               tstr(dst, a));
}

const struct sema_type *sema_var_type(struct ectx *c, struct ast_node *var)
{
    if (var->ival == SPU_T_ANY) {
        const struct sema_type *t = var->a ? sema_expr(c, var->a) : &sema_t_any;
        if (t->base == SPU_T_NULL) {
            sema_error(c->s, var->loc, "cannot infer the type of '%s' from null", var->name);
            return &sema_t_any;
        }
        return t;
    }
    const struct sema_type *t = sema_type_scalar((unsigned)var->ival);
    if (var->a) {
        const struct sema_type *it = sema_expr(c, var->a);
        if (!sema_assignable(t, it))
            sema_assign_mismatch(c->s, var->a->loc,
                                 sema_sprintf(c->s, "'%s'", var->name), t, it);
    }
    return t;
}

void sema_var_declare(struct ectx *c, struct ast_node *var)
{
    const struct sema_type *t = sema_var_type(c, var);
    struct sema_local *l = sema_scope_add(c, var->name, t, var, false);
    if (l) {
        var->sema.ref = SEMA_REF_LOCAL;
        var->sema.sym.local = l;
        var->sema.index = l->slot;
        var->sema.type = t;
    }
}

/* ---- regular expressions ---- */

/* A grammar regex becomes a DFA: regex.c, which builds it, is the judge
 * of its syntax. */
static void dfa_regex(struct sema *s, const struct ast_node *re, unsigned flags)
{
    struct spu_error err;
    spu_error_clear(&err);
    struct spu_regex *rx = spu_regex_parse((const char *)re->bytes, re->len, flags, &err);
    if (rx) {
        spu_regex_free(rx);
        return;
    }
    if (err.code == SPU_ENOMEM) {
        s->nomem = true;
        return;
    }
    struct src_loc at = re->loc;
    if (err.offset <= re->len) {
        at.col = re->loc.col + 1 + (uint32_t)err.offset;
        at.end_line = at.line;
        at.end_col = at.col;
    }
    sema_error(s, at, "invalid regular expression: %s", err.msg);
}

/* A rule regex runs on PCRE2: let PCRE2 say whether it compiles. */
static void pcre2_regex(struct sema *s, const struct ast_node *re, uint32_t opts)
{
    int errcode;
    PCRE2_SIZE erroff;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)re->bytes, re->len, opts, &errcode, &erroff,
                                     NULL);
    if (code) {
        pcre2_code_free(code);
        return;
    }
    PCRE2_UCHAR msg[160];
    if (pcre2_get_error_message(errcode, msg, sizeof(msg)) < 0)
        strcpy((char *)msg, "invalid pattern");
    struct src_loc at = re->loc;
    if (erroff <= re->len) {
        at.col = re->loc.col + 1 + (uint32_t)erroff;
        at.end_line = at.line;
        at.end_col = at.col;
    }
    sema_error(s, at, "invalid regular expression: %s", (const char *)msg);
}

void sema_regex(struct sema *s, const struct ast_node *re, enum src_lang lang, bool token)
{
    bool grammar = lang == SRC_LANG_GRAMMAR;
    const char *allowed = grammar ? "is" : "ismx";
    uint32_t opts = 0;
    unsigned rxflags = 0;
    for (const char *f = re->name ? re->name : ""; *f; f++) {
        if (!strchr(allowed, *f)) {
            sema_error(s, re->loc, "unknown regex flag '%c' (%s allow %s)", *f,
                       grammar ? "grammars" : "rules", grammar ? "i and s" : "i, s, m and x");
            return;
        }
        opts |= *f == 'i'   ? PCRE2_CASELESS
                : *f == 's' ? PCRE2_DOTALL
                : *f == 'm' ? PCRE2_MULTILINE
                            : PCRE2_EXTENDED;
        rxflags |= *f == 'i' ? SPU_RX_ICASE : SPU_RX_DOTALL;
    }
    if (re->len == 0) {
        sema_error(s, re->loc, "empty regular expression");
        return;
    }
    if (token)
        dfa_regex(s, re, rxflags);
    else
        pcre2_regex(s, re, opts);
}

/* ---- folding ---- */

static bool const_truth(const struct sema_const *k)
{
    switch (k->type) {
    case SPU_T_NULL:
        return false;
    case SPU_T_BOOL:
    case SPU_T_INT:
        return k->i != 0;
    default:
        return true;
    }
}

static bool const_eq(const struct sema_const *a, const struct sema_const *b)
{
    if (a->type == SPU_T_NULL || b->type == SPU_T_NULL)
        return a->type == b->type;
    if ((a->type == SPU_T_INT || a->type == SPU_T_BOOL) &&
        (b->type == SPU_T_INT || b->type == SPU_T_BOOL))
        return a->i == b->i;
    if (a->type != b->type)
        return false;
    if (a->type == SPU_T_STR)
        return a->len == b->len && (a->len == 0 || memcmp(a->s, b->s, a->len) == 0);
    if (a->type == SPU_T_IP)
        return a->family == b->family && a->len == b->len && memcmp(a->s, b->s, 16) == 0;
    return false;
}

/* ASCII case-insensitive substring test (the `~ "text"` operator). */
static bool contains_nocase(const uint8_t *h, uint32_t hn, const uint8_t *n, uint32_t nn)
{
    if (nn == 0)
        return true;
    for (uint32_t i = 0; i + nn <= hn; i++) {
        uint32_t k = 0;
        while (k < nn) {
            uint8_t x = h[i + k], y = n[k];
            if (x >= 'A' && x <= 'Z')
                x = (uint8_t)(x + 32);
            if (y >= 'A' && y <= 'Z')
                y = (uint8_t)(y + 32);
            if (x != y)
                break;
            k++;
        }
        if (k == nn)
            return true;
    }
    return false;
}

static void fold_binary(struct ectx *c, struct ast_node *n)
{
    const struct sema_const *a = n->a->sema.cval, *b = n->b->sema.cval;
    struct sema *s = c->s;
    if (n->op == AST_OP_AND && a && !const_truth(a)) {
        n->sema.cval = sema_const_bool(s, false);
        return;
    }
    if (n->op == AST_OP_OR && a && const_truth(a)) {
        n->sema.cval = sema_const_bool(s, true);
        return;
    }
    if (!a || !b)
        return;
    uint64_t x = (uint64_t)a->i, y = (uint64_t)b->i;
    bool ints = a->type == SPU_T_INT && b->type == SPU_T_INT;
    switch (n->op) {
    case AST_OP_AND:
    case AST_OP_OR:
        n->sema.cval = sema_const_bool(s, const_truth(b));
        break;
    case AST_OP_EQ:
        n->sema.cval = sema_const_bool(s, const_eq(a, b));
        break;
    case AST_OP_NE:
        n->sema.cval = sema_const_bool(s, !const_eq(a, b));
        break;
    case AST_OP_LT:
    case AST_OP_LE:
    case AST_OP_GT:
    case AST_OP_GE:
        if (ints)
            n->sema.cval = sema_const_bool(s, n->op == AST_OP_LT   ? a->i < b->i
                                              : n->op == AST_OP_LE ? a->i <= b->i
                                              : n->op == AST_OP_GT ? a->i > b->i
                                                                   : a->i >= b->i);
        break;
    case AST_OP_ADD:
        if (ints) {
            n->sema.cval = sema_const_int(s, (int64_t)(x + y));
        } else if (a->type == SPU_T_STR && b->type == SPU_T_STR) {
            uint8_t *p = sema_alloc(s, (size_t)a->len + b->len + 1);
            if (!p)
                return;
            memcpy(p, a->s, a->len);
            memcpy(p + a->len, b->s, b->len);
            n->sema.cval = sema_const_str(s, p, a->len + b->len);
        }
        break;
    case AST_OP_SUB:
        if (ints)
            n->sema.cval = sema_const_int(s, (int64_t)(x - y));
        break;
    case AST_OP_MUL:
        if (ints)
            n->sema.cval = sema_const_int(s, (int64_t)(x * y));
        break;
    case AST_OP_DIV:
    case AST_OP_MOD:
        if (!ints)
            break;
        if (b->i == 0) {
            sema_error(s, n->b->loc, "%s by zero in a constant expression",
                       n->op == AST_OP_DIV ? "division" : "modulo");
            break;
        }
        if (a->i == INT64_MIN && b->i == -1) /* wraps, as the VM does */
            n->sema.cval = sema_const_int(s, n->op == AST_OP_DIV ? INT64_MIN : 0);
        else
            n->sema.cval = sema_const_int(s, n->op == AST_OP_DIV ? a->i / b->i : a->i % b->i);
        break;
    case AST_OP_MATCH:
    case AST_OP_NMATCH:
        if (a->type == SPU_T_STR && b->type == SPU_T_STR) {
            bool m = contains_nocase(a->s, a->len, b->s, b->len);
            n->sema.cval = sema_const_bool(s, n->op == AST_OP_MATCH ? m : !m);
        }
        break;
    default:
        break;
    }
}

/* ---- operators ---- */

static bool is(const struct sema_type *t, unsigned base)
{
    return t->base == base || t->base == SPU_T_ANY;
}

static const struct sema_type *mismatch(struct ectx *c, struct ast_node *n,
                                        const struct sema_type *a, const struct sema_type *b)
{
    char x[96], y[96];
    /* `any` comes from an operand already reported (or from a built-in
     * returning any): one report per mistake */
    if (a->base == SPU_T_ANY || b->base == SPU_T_ANY)
        return &sema_t_any;
    sema_error(c->s, n->loc, "type mismatch: cannot apply '%s' to %s and %s",
               ast_op_text(n->op), tstr(a, x), tstr(b, y));
    return &sema_t_any;
}

static bool eq_compatible(const struct sema_type *a, const struct sema_type *b)
{
    if (a->base == SPU_T_NULL || b->base == SPU_T_NULL || a->base == SPU_T_ANY ||
        b->base == SPU_T_ANY)
        return true;
    if (a->base != b->base)
        return false;
    return a->base == SPU_T_BOOL || a->base == SPU_T_INT || a->base == SPU_T_STR ||
           a->base == SPU_T_IP;
}

static enum sema_list_kind inline_list(struct ectx *c, struct ast_node *l);

static const struct sema_type *in_op(struct ectx *c, struct ast_node *n,
                                     const struct sema_type *a)
{
    struct ast_node *r = n->b;
    enum sema_list_kind k;
    const struct sema_type *b = NULL;
    if (r->kind == AST_INLIST) {
        k = inline_list(c, r);
    } else {
        const char *want = c->want;
        c->want = "list";
        b = sema_expr(c, r);
        c->want = want;
        if (b->base == SPU_T_ANY)
            return &sema_t_bool;
        if (b->base == SPU_T_IP) {
            if (!is(a, SPU_T_IP) && a->base != SPU_T_NULL)
                return mismatch(c, n, a, b);
            return &sema_t_bool;
        }
        if (b->base != SPU_T_LIST) {
            char x[96];
            sema_error(c->s, r->loc,
                       "the right operand of 'in' must be a list, an inline list or a CIDR, "
                       "not %s", tstr(b, x));
            return &sema_t_any;
        }
        k = (enum sema_list_kind)b->list_kind;
    }
    bool ok = a->base == SPU_T_ANY || a->base == SPU_T_NULL || k == SEMA_LIST_NONE ||
              (k == SEMA_LIST_IP ? a->base == SPU_T_IP : a->base == SPU_T_STR);
    if (!ok)
        return mismatch(c, n, a, b ? b : sema_type_list(c->s, k));
    return &sema_t_bool;
}

static const struct sema_type *binary(struct ectx *c, struct ast_node *n)
{
    const struct sema_type *a = sema_expr(c, n->a);
    if (n->op == AST_OP_IN) {
        const struct sema_type *t = in_op(c, n, a);
        return t;
    }
    const struct sema_type *b = sema_expr(c, n->b);
    const struct sema_type *t = &sema_t_bool;
    switch (n->op) {
    case AST_OP_AND:
    case AST_OP_OR:
        break;
    case AST_OP_EQ:
    case AST_OP_NE:
        if (!eq_compatible(a, b))
            return mismatch(c, n, a, b);
        break;
    case AST_OP_LT:
    case AST_OP_LE:
    case AST_OP_GT:
    case AST_OP_GE:
        if (!is(a, SPU_T_INT) || !is(b, SPU_T_INT))
            return mismatch(c, n, a, b);
        break;
    case AST_OP_ADD:
        if (is(a, SPU_T_INT) && is(b, SPU_T_INT))
            t = a->base == SPU_T_INT || b->base == SPU_T_INT ? &sema_t_int : &sema_t_any;
        else if (is(a, SPU_T_STR) && is(b, SPU_T_STR))
            t = &sema_t_str;
        else
            return mismatch(c, n, a, b);
        break;
    case AST_OP_SUB:
    case AST_OP_MUL:
    case AST_OP_DIV:
    case AST_OP_MOD:
        if (!is(a, SPU_T_INT) || !is(b, SPU_T_INT))
            return mismatch(c, n, a, b);
        t = &sema_t_int;
        break;
    case AST_OP_MATCH:
    case AST_OP_NMATCH:
        if (!(is(a, SPU_T_STR) || a->base == SPU_T_NULL) ||
            !(is(b, SPU_T_STR) || b->base == SPU_T_REGEX))
            return mismatch(c, n, a, b);
        break;
    default:
        break;
    }
    fold_binary(c, n);
    return t;
}

static const struct sema_type *unary(struct ectx *c, struct ast_node *n)
{
    const struct sema_type *a = sema_expr(c, n->a);
    const struct sema_const *k = n->a->sema.cval;
    if (n->op == AST_OP_NOT) {
        if (k)
            n->sema.cval = sema_const_bool(c->s, !const_truth(k));
        return &sema_t_bool;
    }
    if (!is(a, SPU_T_INT)) {
        char x[96];
        sema_error(c->s, n->loc, "type mismatch: cannot apply '-' to %s", tstr(a, x));
        return &sema_t_any;
    }
    if (k && k->type == SPU_T_INT)
        n->sema.cval = sema_const_int(c->s, (int64_t)(0 - (uint64_t)k->i));
    return &sema_t_int;
}

/* ---- members and indexes ---- */

static const struct sema_type *field_type(struct ectx *c, struct ast_node *n,
                                          const struct sema_layout *l, enum sema_ref ref,
                                          enum sema_base base)
{
    if (l->unit)
        sema_unit_ensure(c->s, (struct sema_unit *)l->unit);
    const struct sema_field *f = sema_layout_field(l, n->name);
    if (!f) {
        sema_error(c->s, n->loc, "unknown field '%s' in record '%s'", n->name, l->name);
        return &sema_t_any;
    }
    n->sema.ref = ref;
    n->sema.base = base;
    n->sema.sym.field = f;
    n->sema.layout = l;
    n->sema.index = f->index;
    return f->type ? f->type : &sema_t_any;
}

static const struct sema_type *member(struct ectx *c, struct ast_node *n)
{
    const struct sema_type *o = expr_in(c, n->a, true);
    struct ast_node *obj = n->a;
    char x[96];
    if (o->base == SEMA_T_NS) {
        switch (obj->sema.ref) {
        case SEMA_REF_NS_STATE:
            if (!c->proto || !c->proto->state) {
                sema_error(c->s, obj->loc, "protocol '%s' declares no state",
                           c->proto ? c->proto->name : "?");
                return &sema_t_any;
            }
            if (!sema_layout_field(c->proto->state, n->name)) {
                sema_error(c->s, n->loc, "unknown state variable '%s'", n->name);
                return &sema_t_any;
            }
            return field_type(c, n, c->proto->state, SEMA_REF_STATE, SEMA_BASE_CUR);
        case SEMA_REF_NS_RECORD: {
            enum sema_ref ref = obj->sema.base == SEMA_BASE_ANC    ? SEMA_REF_ANC_FIELD
                                : obj->sema.base == SEMA_BASE_PAIR ? SEMA_REF_PAIR_FIELD
                                                                   : SEMA_REF_FIELD;
            return field_type(c, n, obj->sema.layout, ref, obj->sema.base);
        }
        default:
            if (c->member)
                return c->member(c, n, obj);
            sema_error(c->s, n->loc, "unknown field '%s'", n->name);
            return &sema_t_any;
        }
    }
    switch (o->base) {
    case SPU_T_REC:
        return field_type(c, n, o->layout, SEMA_REF_MEMBER, SEMA_BASE_CUR);
    case SPU_T_ANY:
        return &sema_t_any;
    case SPU_T_ARR:
        sema_error(c->s, n->loc, "cannot take field '%s' of an array (%s); index it first",
                   n->name, tstr(o, x));
        return &sema_t_any;
    default:
        sema_error(c->s, n->loc, "cannot take field '%s' of a value of type %s", n->name,
                   tstr(o, x));
        return &sema_t_any;
    }
}

static const struct sema_type *subscript(struct ectx *c, struct ast_node *n)
{
    const struct sema_type *o = sema_expr(c, n->a);
    const struct sema_type *i = sema_expr(c, n->b);
    char x[96], y[96];
    if (o->base == SPU_T_ANY)
        return &sema_t_any;
    if (o->base == SPU_T_STR) {
        if (!is(i, SPU_T_INT))
            goto bad;
        return &sema_t_int;
    }
    if (o->base == SPU_T_ARR) {
        const struct sema_type *e = o->elem;
        if (e->base == SPU_T_REC && e->layout && e->layout->unit)
            sema_unit_ensure(c->s, (struct sema_unit *)e->layout->unit);
        bool map = e->base == SPU_T_REC && e->layout && e->layout->map_key >= 0;
        if (i->base == SPU_T_INT)
            return e;
        if (map && (i->base == SPU_T_STR || i->base == SPU_T_ANY)) {
            const struct sema_layout *l = e->layout;
            if (l->map_value < 0 || (uint32_t)l->map_value >= l->nfields)
                return &sema_t_any;
            n->sema.layout = l;
            return l->fields[l->map_value]->type;
        }
        if (i->base == SPU_T_ANY)
            return e;
        goto bad;
    }
    sema_error(c->s, n->loc, "cannot index a value of type %s", tstr(o, x));
    return &sema_t_any;
bad:
    sema_error(c->s, n->b->loc, "type mismatch: cannot index %s with %s%s", tstr(o, x),
               tstr(i, y),
               o->base == SPU_T_ARR ? " (an int, or a string for a map unit's records)" : "");
    return &sema_t_any;
}

/* ---- inline lists ---- */

static enum sema_list_kind inline_list(struct ectx *c, struct ast_node *l)
{
    struct sema_list *sl = sema_alloc(c->s, sizeof(*sl));
    if (!sl)
        return SEMA_LIST_NONE;
    sl->decl = l;
    sl->kind = SEMA_LIST_NONE;
    for (struct ast_node *it = l->a; it; it = it->next) {
        sema_expr(c, it);
        const struct sema_const *k = it->sema.cval;
        enum sema_list_kind ik = !k                      ? SEMA_LIST_NONE
                                 : k->type == SPU_T_STR ? SEMA_LIST_STR
                                 : k->type == SPU_T_IP  ? SEMA_LIST_IP
                                                        : SEMA_LIST_NONE;
        if (ik == SEMA_LIST_NONE) {
            sema_error(c->s, it->loc, "list items must be constant strings or addresses");
            continue;
        }
        if (sl->kind != SEMA_LIST_NONE && ik != sl->kind) {
            sema_error(c->s, it->loc, "a list holds strings or addresses, not both");
            continue;
        }
        sl->kind = ik;
        SEMA_PUSH(c->s, sl->items, sl->nitems, k);
    }
    sl->id = c->s->prog->nlists;
    SEMA_PUSH(c->s, c->s->prog->lists, c->s->prog->nlists, sl);
    l->sema.ref = SEMA_REF_LIST;
    l->sema.sym.list = sl;
    set_type(l, sema_type_list(c->s, sl->kind));
    return sl->kind;
}

/* ---- calls ---- */

int sema_builtin_find(const char *name)
{
    for (unsigned i = 0; i < SPU_BI__COUNT; i++)
        if (strcmp(spu_builtins[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* A node for a default argument written in the builtin table. */
static struct ast_node *default_node(struct ectx *c, const char *def, struct src_loc loc)
{
    struct sema *s = c->s;
    struct ast_node *d;
    if (strcmp(def, "true") == 0 || strcmp(def, "false") == 0) {
        d = ast_new(s->arena, AST_BOOL, loc);
        if (d) {
            d->ival = def[0] == 't';
            d->sema.cval = sema_const_bool(s, d->ival != 0);
            set_type(d, &sema_t_bool);
        }
    } else if (strcmp(def, "null") == 0) {
        d = ast_new(s->arena, AST_NULL, loc);
        if (d) {
            d->sema.cval = sema_const_null(s);
            set_type(d, &sema_t_null);
        }
    } else if (def[0] == '"') {
        d = ast_new(s->arena, AST_STR, loc);
        if (d) {
            size_t n = strlen(def);
            d->bytes = (const uint8_t *)sema_strndup(s, def + 1, n >= 2 ? n - 2 : 0);
            d->len = n >= 2 ? (uint32_t)(n - 2) : 0;
            d->sema.cval = sema_const_str(s, d->bytes, d->len);
            set_type(d, &sema_t_str);
        }
    } else {
        d = ast_new(s->arena, AST_INT, loc);
        if (d) {
            d->ival = strtoll(def, NULL, 10);
            d->sema.cval = sema_const_int(s, d->ival);
            set_type(d, &sema_t_int);
        }
    }
    if (!d)
        s->nomem = true;
    return d;
}

static void check_arg(struct ectx *c, int id, int k, struct ast_node *arg,
                      const struct sema_type *t)
{
    const struct sema_sig *g = &c->s->sigs[id];
    const struct sema_type *pt = g->ptype[k];
    if (sema_assignable(pt, t))
        return;
    char x[96], y[96];
    sema_error(c->s, arg->loc, "type mismatch: argument '%s' of '%s' expects %s, got %s",
               g->p[k].name, spu_builtins[id].name, tstr(pt, x), tstr(t, y));
}

/* Relations between arguments that the table cannot say. */
static void call_specifics(struct ectx *c, int id, struct ast_node **argv)
{
    if (id == SPU_BI_FindInList || id == SPU_BI_FindInRegExList) {
        const struct sema_type *l = argv[1] ? argv[1]->sema.type : NULL;
        if (!l || l->base != SPU_T_LIST || l->list_kind == SEMA_LIST_NONE)
            return;
        bool want_re = id == SPU_BI_FindInRegExList;
        if (want_re != (l->list_kind == SEMA_LIST_REGEX)) {
            sema_error(c->s, argv[1]->loc, "%s takes a %s", spu_builtins[id].name,
                       want_re ? "regexlist" : "list of strings or addresses");
            return;
        }
        const struct sema_type *v = argv[0] ? argv[0]->sema.type : NULL;
        if (!want_re && v && v->base != SPU_T_ANY && v->base != SPU_T_NULL &&
            v->base != (l->list_kind == SEMA_LIST_IP ? SPU_T_IP : SPU_T_STR)) {
            char x[96], y[96];
            sema_error(c->s, argv[0]->loc, "type mismatch: cannot look for %s in %s",
                       tstr(v, x), tstr(l, y));
        }
    }
    if (id == SPU_BI_SendMessage && argv[0] && argv[0]->sema.cval &&
        argv[0]->sema.cval->type == SPU_T_STR) {
        const struct sema_const *k = argv[0]->sema.cval;
        const struct sema_program *p = c->s->prog;
        for (uint32_t i = 0; i < p->noutputs; i++)
            if (strlen(p->outputs[i]->name) == k->len &&
                memcmp(p->outputs[i]->name, k->s, k->len) == 0) {
                argv[0]->sema.sym.output = p->outputs[i];
                return;
            }
        sema_error(c->s, argv[0]->loc, "unknown output '%.*s'", (int)k->len,
                   (const char *)k->s);
    }
    if (id == SPU_BI_Queue && argv[0]) {
        const struct sema_const *k = argv[0]->sema.cval;
        const struct sema_program *p = c->s->prog;
        if (!k || k->type != SPU_T_STR) {
            sema_error(c->s, argv[0]->loc, "Queue takes the name of a declared queue class");
            return;
        }
        for (uint32_t i = 0; i < p->nqueues; i++)
            if (strlen(p->queues[i]->name) == k->len &&
                memcmp(p->queues[i]->name, k->s, k->len) == 0)
                return;
        sema_error(c->s, argv[0]->loc, "unknown queue class '%.*s' (declare it: queue NAME rate "
                   "RATE;)", (int)k->len, (const char *)k->s);
    }
}

/* A pure built-in called on constants is computed now, by the same C
 * function the VM would call (stdlib), so that its value is the run-time
 * one: `const H = lower("X")`, `cidr("10.1.2.3/8")` (host bits cleared).
 * Results that are not scalars (records, arrays) are left to run time. A
 * call that faults on its constant arguments would fault every time: an
 * error; ip() and cidr() of a string that is not an address are errors too
 * (they would be null). */
static void fold_call(struct ectx *c, struct ast_node *n, int id)
{
    struct sema *s = c->s;
    uint32_t argc = n->sema.nargs;
    if (!(spu_builtins[id].flags & SPU_BIF_PURE) || argc > SPU_MAX_ARGS)
        return;
    struct spu_value args[SPU_MAX_ARGS];
    for (uint32_t k = 0; k < argc; k++) {
        const struct sema_const *v = n->sema.args[k]->sema.cval;
        if (!v)
            return;
        struct spu_value a = {.type = v->type};
        if (v->type == SPU_T_BOOL || v->type == SPU_T_INT) {
            a.u.i = v->i;
        } else if (v->type == SPU_T_STR) {
            a.len = v->len;
            a.u.s = v->s;
        } else if (v->type == SPU_T_IP) {
            a.aux = v->family;
            a.len = v->len;
            a.u.s = v->s;
        }
        args[k] = a;
    }
    struct spu_arena *scratch = spu_arena_new(4096, 1u << 20);
    if (!scratch) {
        s->nomem = true;
        return;
    }
    struct spu_call call = {.scratch = scratch, .rule = 0xffffffffu, .builtin = (uint32_t)id};
    struct spu_value r = spu_v_null();
    int rc = spu_builtin_fns[id](&call, args, argc, &r);
    if (rc != SPU_OK) {
        sema_error(s, n->loc, "'%s' fails on these constant arguments: %s", spu_builtins[id].name,
                   call.fault ? call.fault : spu_strerror(rc));
    } else if ((id == SPU_BI_ip || id == SPU_BI_cidr) && r.type == SPU_T_NULL) {
        const struct sema_const *k = n->sema.args[0]->sema.cval;
        sema_error(s, n->sema.args[0]->loc, "invalid %s '%.*s'",
                   id == SPU_BI_ip ? "IP address" : "CIDR block",
                   k->type == SPU_T_STR ? (int)k->len : 1,
                   k->type == SPU_T_STR ? (const char *)k->s : "?");
    } else if (r.type == SPU_T_NULL) {
        n->sema.cval = sema_const_null(s);
    } else if (r.type == SPU_T_BOOL) {
        n->sema.cval = sema_const_bool(s, r.u.i != 0);
    } else if (r.type == SPU_T_INT) {
        n->sema.cval = sema_const_int(s, r.u.i);
    } else if (r.type == SPU_T_STR) {
        uint8_t *p = sema_alloc(s, r.len + 1);
        if (p) {
            if (r.len)
                memcpy(p, r.u.s, r.len);
            n->sema.cval = sema_const_str(s, p, r.len);
        }
    } else if (r.type == SPU_T_IP) {
        uint8_t *p = sema_alloc(s, 16);
        if (p) {
            memcpy(p, r.u.s, 16);
            n->sema.cval = sema_const_ip(s, p, r.aux, r.len);
        }
    }
    spu_arena_free(scratch);
}

static const struct sema_type *call(struct ectx *c, struct ast_node *n)
{
    struct sema *s = c->s;
    int id = sema_builtin_find(n->name);
    if (id < 0) {
        if (c->proto && sema_proto_unit(c->proto, n->name))
            sema_error(s, n->loc, "'%s' is a unit: use it as an element, not as a function",
                       n->name);
        else
            sema_error(s, n->loc, "unknown function '%s'", n->name);
        for (struct ast_node *a = n->a; a; a = a->next)
            sema_expr(c, a->a);
        return &sema_t_any;
    }
    const struct spu_builtin_info *bi = &spu_builtins[id];
    const struct sema_sig *g = &s->sigs[id];
    n->sema.ref = SEMA_REF_BUILTIN;
    n->sema.index = (uint32_t)id;
    if (c->lang == SRC_LANG_GRAMMAR && !(bi->flags & SPU_BIF_GRAMMAR))
        sema_error(s, n->loc, "'%s' cannot be used in a grammar", bi->name);
    else if (c->lang == SRC_LANG_RULES && !(bi->flags & SPU_BIF_RULE))
        sema_error(s, n->loc, "'%s' cannot be used in rules", bi->name);
    else if ((bi->flags & SPU_BIF_ACTION) && c->no_actions)
        sema_error(s, n->loc, "action '%s' is only allowed in a rule body", bi->name);
    int np = g->n < 0 ? 0 : g->n;
    struct ast_node **argv = sema_alloc(s, sizeof(*argv) * ((size_t)np + ast_count(n->a) + 1));
    if (!argv)
        return &sema_t_any;
    uint32_t nextra = 0;
    int npos = 0;
    bool named = false, too_many = false;
    for (struct ast_node *a = n->a; a; a = a->next) {
        /* the parameter this argument is for, known before typing it so
         * that an unknown list is reported as such */
        int k = -1;
        if (!a->name && !named && npos < np)
            k = npos;
        for (int j = 0; a->name && j < np; j++)
            if (strcmp(g->p[j].name, a->name) == 0)
                k = j;
        const char *want = c->want;
        c->want = k >= 0 && g->ptype[k]->base == SPU_T_LIST ? "list" : NULL;
        const struct sema_type *t = sema_expr(c, a->a);
        c->want = want;
        set_type(a, t);
        if (!a->name) {
            if (named) {
                sema_error(s, a->loc, "positional argument after a named argument");
            } else if (npos < np) {
                argv[npos] = a->a;
                check_arg(c, id, npos, a->a, t);
                npos++;
            } else if (bi->flags & SPU_BIF_VARIADIC) {
                argv[np + nextra++] = a->a;
            } else if (!too_many) {
                too_many = true;
                sema_error(s, a->loc, "too many arguments to '%s' (it takes %d)", bi->name, np);
            }
            continue;
        }
        named = true;
        if (k < 0) {
            sema_error(s, a->loc, "unknown named argument '%s' for '%s'", a->name, bi->name);
            continue;
        }
        if (argv[k]) {
            sema_error(s, a->loc, "argument '%s' of '%s' is given twice", a->name, bi->name);
            continue;
        }
        argv[k] = a->a;
        check_arg(c, id, k, a->a, t);
    }
    for (int k = 0; k < np; k++) {
        if (argv[k])
            continue;
        if (g->p[k].has_default) {
            argv[k] = default_node(c, g->p[k].def, n->loc);
            continue;
        }
        sema_error(s, n->loc, "missing argument '%s' in call to '%s' (%d argument%s needed)",
                   g->p[k].name, bi->name, np, np == 1 ? "" : "s");
        break;
    }
    n->sema.args = argv;
    n->sema.nargs = (uint32_t)np + nextra;
    for (uint32_t k = 0; k < n->sema.nargs; k++)
        if (!argv[k])
            return g->ret;
    call_specifics(c, id, argv);
    fold_call(c, n, id);
    return g->ret;
}

void sema_unit_args(struct ectx *c, const struct sema_unit *u, struct ast_node *args,
                    struct src_loc loc)
{
    uint32_t k = 0;
    for (struct ast_node *a = args; a; a = a->next, k++) {
        const struct sema_type *t = sema_expr(c, a->a);
        set_type(a, t);
        if (a->name)
            sema_error(c->s, a->loc, "units take positional arguments only");
        if (k < u->nparams && !sema_assignable(u->params[k]->type, t)) {
            char x[96], y[96];
            sema_error(c->s, a->loc, "type mismatch: parameter '%s' of '%s' expects %s, got %s",
                       u->params[k]->name, u->name, tstr(u->params[k]->type, x), tstr(t, y));
        }
    }
    if (k != u->nparams)
        sema_error(c->s, loc, "'%s' takes %u argument%s, %u given", u->name, u->nparams,
                   u->nparams == 1 ? "" : "s", k);
}

/* ---- the dispatcher ---- */

static const char *ns_what(const struct ast_node *n)
{
    switch (n->sema.ref) {
    case SEMA_REF_NS_SESSION:
        return "a session: name one of its variables";
    case SEMA_REF_NS_PROTO:
        return "a protocol: name one of its events or fields";
    case SEMA_REF_NS_FLOW:
        return "the flow: name one of its variables or fields";
    case SEMA_REF_NS_STATE:
        return "the protocol state: name one of its variables";
    default:
        return "a record: name one of its fields";
    }
}

static const struct sema_type *expr_in(struct ectx *c, struct ast_node *n, bool allow_ns)
{
    struct sema *s = c->s;
    const struct sema_type *t = &sema_t_any;
    switch (n->kind) {
    case AST_INT:
        n->sema.cval = sema_const_int(s, n->ival);
        t = &sema_t_int;
        break;
    case AST_STR:
        if (n->flags & AST_F_NOCASE)
            sema_error(s, n->loc, "the suffix i only applies to grammar tokens; "
                       "use ~ for a case-insensitive test");
        n->sema.cval = sema_const_str(s, n->bytes, n->len);
        t = &sema_t_str;
        break;
    case AST_REGEX:
        sema_regex(s, n, c->lang, false);
        t = &sema_t_regex;
        break;
    case AST_IP:
        n->sema.cval = sema_const_ip(s, n->bytes, (uint16_t)n->ival, (uint32_t)n->ival2);
        t = &sema_t_ip;
        break;
    case AST_BOOL:
        n->sema.cval = sema_const_bool(s, n->ival != 0);
        t = &sema_t_bool;
        break;
    case AST_NULL:
        n->sema.cval = sema_const_null(s);
        t = &sema_t_null;
        break;
    case AST_NAME:
        t = c->name(c, n);
        break;
    case AST_STATEREF:
        n->sema.ref = SEMA_REF_NS_STATE;
        t = &sema_t_ns;
        break;
    case AST_FLOWREF:
        n->sema.ref = SEMA_REF_NS_FLOW;
        t = &sema_t_ns;
        break;
    case AST_MEMBER:
        t = member(c, n);
        break;
    case AST_SUBSCRIPT:
        t = subscript(c, n);
        break;
    case AST_CALL:
        t = call(c, n);
        break;
    case AST_UNARY:
        t = unary(c, n);
        break;
    case AST_BINARY:
        t = binary(c, n);
        break;
    case AST_INLIST:
        sema_error(s, n->loc, "an inline list is only allowed after 'in'");
        break;
    default:
        sema_error(s, n->loc, "not an expression");
        break;
    }
    if (t->base == SEMA_T_NS && !allow_ns) {
        sema_error(s, n->loc, "'%s' is not a value; it is %s",
                   n->name ? n->name : ast_kind_name(n->kind), ns_what(n));
        t = &sema_t_any;
    }
    return set_type(n, t);
}

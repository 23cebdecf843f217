/* sema-unit.c - the bodies of grammar units and messages: names inside
 * them, elements, captures and their records, sinks, events, statements;
 * checked lazily so that a unit can read the fields of another (see
 * sema-int.h). */
#include "sema-int.h"

#include "bytecode.h"

#include <string.h>

enum { UNIT_NEW = 0, UNIT_BUSY = 1, UNIT_DONE = 2 };
#define MAX_CHECK_DEPTH 128u

static const char *const filter_names[] = {
#define FILTER(name, prefix, doc) #name,
#include "filters.def"
#undef FILTER
};

struct gctx {
    struct ectx e;
    struct sema_unit *u;
};

static struct gctx *gctx_of(struct ectx *e)
{
    return (struct gctx *)e; /* e is the first member */
}

static bool inside(const struct ectx *c, const struct ast_node *loop)
{
    for (const struct loop *l = c->loops; l; l = l->up)
        if (l->node == loop)
            return true;
    return false;
}

/* Does any message that is, or encloses, u pair with v? */
static bool pairs_from(const struct sema_unit *u, const struct sema_unit *v)
{
    if (u->is_message)
        return sema_unit_pairs(u, v);
    const struct sema_proto *p = u->proto;
    for (uint32_t i = 0; i < p->nunits; i++) {
        const struct sema_unit *m = p->units[i];
        if (m->is_message && sema_unit_pairs(m, v) && sema_unit_encloses(m, u))
            return true;
    }
    return false;
}

static const struct sema_type *record_name(struct ectx *c, struct ast_node *n,
                                           struct sema_unit *v, enum sema_base base)
{
    n->sema.ref = SEMA_REF_NS_RECORD;
    n->sema.base = base;
    n->sema.layout = v->layout;
    n->sema.sym.unit = v;
    return &sema_t_ns;
}

static const struct sema_type *gram_name(struct ectx *c, struct ast_node *n)
{
    struct sema_unit *u = gctx_of(c)->u;
    struct sema_local *l = sema_scope_find(c, n->name);
    if (l) {
        n->sema.ref = SEMA_REF_LOCAL;
        n->sema.sym.local = l;
        n->sema.index = l->slot;
        return l->type;
    }
    const struct sema_field *f = sema_layout_field(u->layout, n->name);
    if (f) {
        n->sema.ref = SEMA_REF_FIELD;
        n->sema.base = SEMA_BASE_CUR;
        n->sema.sym.field = f;
        n->sema.layout = u->layout;
        n->sema.index = f->index;
        if (f->array && f->loop && inside(c, f->loop)) {
            n->sema.flags |= SEMA_F_CURRENT;
            return f->type->elem;
        }
        return f->type;
    }
    struct sema_unit *v = sema_proto_unit(c->proto, n->name);
    if (v) {
        if (v == u)
            return record_name(c, n, v, SEMA_BASE_CUR);
        if (sema_unit_encloses(v, u))
            return record_name(c, n, v, SEMA_BASE_ANC);
        if (pairs_from(u, v))
            return record_name(c, n, v, SEMA_BASE_PAIR);
        sema_error(c->s, n->loc, "'%s' neither encloses '%s' nor is its paired message", v->name,
                   u->name);
        return &sema_t_any;
    }
    if (sema_proto_token(c->proto, n->name))
        sema_error(c->s, n->loc, "'%s' is a token, not a value", n->name);
    else
        sema_error(c->s, n->loc, "unknown name '%s' in %s '%s'", n->name,
                   u->is_message ? "message" : "unit", u->name);
    return &sema_t_any;
}

/* A message's `when` reads state and the paired message only. */
static const struct sema_type *when_name(struct ectx *c, struct ast_node *n)
{
    struct sema_unit *u = gctx_of(c)->u;
    struct sema_unit *v = sema_proto_unit(c->proto, n->name);
    if (v && sema_unit_pairs(u, v))
        return record_name(c, n, v, SEMA_BASE_PAIR);
    sema_error(c->s, n->loc, "'%s' cannot be read here: a message's when-condition reads "
               "state.* and the paired message", n->name);
    return &sema_t_any;
}

static const struct sema_type *g_element(struct gctx *g, struct ast_node *el);
static bool g_block(struct gctx *g, struct ast_node *blk);

static void push_loop(struct gctx *g, struct loop *l, const struct ast_node *node)
{
    l->node = node;
    l->up = g->e.loops;
    g->e.loops = l;
}

static const struct sema_type *g_items(struct gctx *g, struct ast_node *items);

bool sema_uint_name(const char *name, unsigned *flags)
{
    static const char *const widths[] = {"8", "16", "24", "32", "40", "48", "56", "64"};
    if (name[0] != 'u')
        return false;
    for (unsigned w = 0; w < 8; w++) {
        size_t n = strlen(widths[w]);
        if (strncmp(name + 1, widths[w], n) != 0)
            continue;
        const char *rest = name + 1 + n;
        if (rest[0] == '\0' || (w > 0 && strcmp(rest, "le") == 0)) {
            *flags = SPU_GUINT_FLAGS(w + 1, rest[0] != '\0');
            return true;
        }
    }
    return false;
}

static const struct sema_type *g_ref(struct gctx *g, struct ast_node *el)
{
    struct sema *s = g->e.s;
    struct sema_token *t = sema_proto_token(g->e.proto, el->name);
    if (t) {
        el->sema.ref = SEMA_REF_TOKEN;
        el->sema.sym.token = t;
        if (el->ival)
            sema_error(s, el->loc, "token '%s' takes no arguments", el->name);
        return &sema_t_str;
    }
    struct sema_unit *v = sema_proto_unit(g->e.proto, el->name);
    unsigned uflags;
    if (!v && sema_uint_name(el->name, &uflags)) {
        if (el->ival)
            sema_error(s, el->loc, "'%s' takes no arguments", el->name);
        el->sema.ref = SEMA_REF_UINT;
        el->sema.index = uflags;
        return &sema_t_int;
    }
    if (!v) {
        sema_error(s, el->loc, "unknown token or unit '%s'", el->name);
        return &sema_t_any;
    }
    if (v->is_message) {
        sema_error(s, el->loc, "'%s' is a message: messages are chosen by direction, not "
                   "called", el->name);
        return &sema_t_any;
    }
    el->sema.ref = SEMA_REF_UNIT;
    el->sema.sym.unit = v;
    if (el->ival || v->nparams)
        sema_unit_args(&g->e, v, el->a, el->loc);
    if (v->stream) {
        el->sema.flags |= SEMA_F_STREAM;
        return &sema_t_str;
    }
    return sema_type_rec(s, v->layout);
}

static const struct sema_type *g_switch(struct gctx *g, struct ast_node *el)
{
    const struct ast_node *els = NULL;
    for (struct ast_node *arm = el->a; arm; arm = arm->next) {
        if (els) {
            sema_error(g->e.s, arm->loc, "an arm after 'else' is never chosen");
            els = NULL;
        }
        if (arm->a)
            sema_cond(&g->e, arm->a);
        else
            els = arm;
        g_items(g, arm->b->a);
    }
    return &sema_t_str;
}

static const struct sema_type *g_element(struct gctx *g, struct ast_node *el)
{
    struct sema *s = g->e.s;
    const struct sema_type *t = &sema_t_str;
    switch (el->kind) {
    case AST_STR:
        if (el->len == 0)
            sema_error(s, el->loc, "an empty literal matches nothing");
        break;
    case AST_REGEX:
        sema_regex(s, el, SRC_LANG_GRAMMAR, true);
        break;
    case AST_EL_REF:
        t = g_ref(g, el);
        break;
    case AST_EL_BYTES: {
        const struct sema_type *n = sema_expr(&g->e, el->a);
        if (n->base != SPU_T_INT && n->base != SPU_T_ANY) {
            char x[96];
            sema_error(s, el->a->loc, "type mismatch: bytes() takes an int, got %s",
                       sema_type_str(n, x, sizeof(x)));
        }
        break;
    }
    case AST_EL_UPTO: {
        const struct sema_type *d = sema_expr(&g->e, el->a);
        if (d->base != SPU_T_STR && d->base != SPU_T_ANY) {
            char x[96];
            sema_error(s, el->a->loc, "type mismatch: upto takes a string delimiter, got %s",
                       sema_type_str(d, x, sizeof(x)));
        } else if (el->a->sema.cval && el->a->sema.cval->type == SPU_T_STR &&
                   el->a->sema.cval->len == 0) {
            sema_error(s, el->a->loc, "an empty delimiter matches nothing");
        }
        break;
    }
    case AST_EL_REST:
    case AST_EL_NOTHING:
        break;
    case AST_EL_ALT:
        for (struct ast_node *alt = el->a; alt; alt = alt->next)
            g_items(g, alt->a);
        sema_choice(s, g->e.proto, el);
        break;
    case AST_EL_OPT:
        t = g_element(g, el->a);
        sema_choice(s, g->e.proto, el);
        break;
    case AST_EL_STAR:
    case AST_EL_PLUS: {
        struct loop l;
        push_loop(g, &l, el);
        t = sema_type_arr(s, g_element(g, el->a));
        g->e.loops = l.up;
        if (el->b)
            g_element(g, el->b);
        sema_choice(s, g->e.proto, el);
        break;
    }
    case AST_EL_SWITCH:
        t = g_switch(g, el);
        break;
    default:
        sema_error(s, el->loc, "not an element");
        t = &sema_t_any;
        break;
    }
    el->sema.type = t;
    el->sema.flags |= SEMA_F_CHECKED;
    return t;
}

/* Sink options turn the capture's content into stored (filtered) bytes,
 * or with `record` into the record the `parse` unit built. Returns the
 * capture's type. */
static const struct sema_type *g_sinks(struct gctx *g, struct ast_node *cap,
                                       const struct sema_type *t)
{
    struct sema *s = g->e.s;
    if (t->base == SPU_T_REC || t->base == SPU_T_ARR) {
        char x[96];
        sema_error(s, cap->b->loc, "filter, parse and limit apply to bytes; '%s' captures %s",
                   cap->name, sema_type_str(t, x, sizeof(x)));
        return &sema_t_str;
    }
    const struct ast_node *parse = NULL, *limit = NULL, *record = NULL, *digest = NULL;
    for (struct ast_node *k = cap->b; k; k = k->next) {
        switch (k->kind) {
        case AST_SINK_FILTER: {
            unsigned f;
            for (f = 0; f < SPU_FLT__COUNT; f++)
                if (strcmp(filter_names[f], k->name) == 0)
                    break;
            if (f == SPU_FLT__COUNT)
                sema_error(s, k->loc, "unknown filter '%s'", k->name);
            else
                k->sema.index = f;
            if (k->a)
                sema_cond(&g->e, k->a);
            break;
        }
        case AST_SINK_PARSE: {
            if (parse) {
                sema_error(s, k->loc, "a capture parses its content with one unit only");
                break;
            }
            parse = k;
            const char *dot = strchr(k->name, '.');
            struct sema_proto *p = g->e.proto;
            const char *uname = k->name;
            if (dot) {
                const char *pname = sema_strndup(s, k->name, (size_t)(dot - k->name));
                uname = dot + 1;
                p = sema_find_proto(s, pname);
                if (!p) {
                    sema_error(s, k->loc, "unknown protocol '%s'", pname);
                    break;
                }
                bool imported = p == g->e.proto;
                for (uint32_t i = 0; i < g->e.proto->nimports; i++)
                    imported |= strcmp(g->e.proto->imports[i], pname) == 0;
                if (!imported)
                    sema_error(s, k->loc, "protocol '%s' is used but not imported "
                               "(add 'import %s;')", pname, pname);
            }
            struct sema_unit *u = sema_proto_unit(p, uname);
            if (!u) {
                sema_error(s, k->loc, "unknown unit '%s'", k->name);
                break;
            }
            if (u->is_message) {
                sema_error(s, k->loc, "'%s' is a message; parse takes a unit", k->name);
                break;
            }
            k->sema.ref = SEMA_REF_UNIT;
            k->sema.sym.unit = u;
            sema_unit_args(&g->e, u, k->a, k->loc);
            break;
        }
        case AST_SINK_LIMIT:
            if (limit) {
                sema_error(s, k->loc, "duplicate limit");
                sema_note(s, limit->loc, "previous definition is here");
                break;
            }
            limit = k;
            if (k->ival < 0 || k->ival > 0xffffffffLL)
                sema_error(s, k->loc, "a limit must be between 0 and 4294967295 bytes");
            break;
        case AST_SINK_RECORD:
            if (record)
                sema_error(s, k->loc, "duplicate record");
            record = k;
            break;
        case AST_SINK_DIGEST:
            if (digest)
                sema_error(s, k->loc, "duplicate digest");
            digest = k;
            break;
        default:
            break;
        }
    }
    if (!record)
        return &sema_t_str;
    if (digest)
        sema_error(s, digest->loc, "a 'record' capture stores no content: 'digest' hashes "
                   "content kept as a string");
    if (!parse) {
        sema_error(s, record->loc, "'record' takes the record of the unit the content is "
                   "parsed with: add 'parse UNIT'");
        return &sema_t_any;
    }
    if (limit)
        sema_error(s, limit->loc, "a 'record' capture stores no content: drop the limit");
    if (parse->sema.ref != SEMA_REF_UNIT || !parse->sema.sym.unit)
        return &sema_t_any;
    return sema_type_rec(s, parse->sema.sym.unit->layout);
}

static const struct ast_node *outermost(const struct loop *l)
{
    while (l && l->up)
        l = l->up;
    return l ? l->node : NULL;
}

static void g_capture(struct gctx *g, struct ast_node *cap)
{
    struct sema *s = g->e.s;
    const struct sema_type *t = g_element(g, cap->a);
    if (cap->b)
        t = g_sinks(g, cap, t);
    struct sema_local *l = sema_scope_find(&g->e, cap->name);
    cap->sema.type = t;
    if (l) {
        if (!sema_assignable(l->type, t))
            sema_assign_mismatch(s, cap->loc, sema_sprintf(s, "local '%s'", cap->name),
                                 l->type, t);
        cap->sema.ref = SEMA_REF_LOCAL;
        cap->sema.sym.local = l;
        cap->sema.index = l->slot;
        return;
    }
    /* a capture of a repetition, or inside a loop, appends to an array */
    bool rep = cap->a->kind == AST_EL_STAR || cap->a->kind == AST_EL_PLUS;
    bool in_loop = g->e.loops != NULL;
    const struct sema_type *elem = rep && t->base == SPU_T_ARR ? t->elem : t;
    bool array = rep || in_loop;
    struct sema_layout *L = g->u->layout;
    struct sema_field *f = (struct sema_field *)sema_layout_field(L, cap->name);
    if (f) {
        const struct sema_type *fe = f->array ? f->type->elem : f->type;
        if (f->array != array) {
            sema_error(s, cap->loc, "field '%s' is captured both inside and outside a "
                       "repetition", cap->name);
            sema_note(s, f->decl->loc, "previous capture is here");
        } else if (!sema_type_eq(fe, elem) && fe->base != SPU_T_ANY && elem->base != SPU_T_ANY) {
            char x[96], y[96];
            sema_error(s, cap->loc, "field '%s' is captured as %s here and as %s before",
                       cap->name, sema_type_str(elem, x, sizeof(x)),
                       sema_type_str(fe, y, sizeof(y)));
            sema_note(s, f->decl->loc, "previous capture is here");
        }
    } else {
        f = sema_layout_add(s, L, cap->name, elem, array, SEMA_FIELD_CAPTURE, cap);
        if (!f)
            return;
        if (array)
            f->loop = in_loop ? outermost(g->e.loops) : cap->a;
    }
    cap->sema.ref = SEMA_REF_FIELD;
    cap->sema.sym.field = f;
    cap->sema.layout = L;
    cap->sema.index = f->index;
    if (f->array)
        cap->sema.flags |= SEMA_F_ARRAY;
    if (in_loop)
        cap->sema.flags |= SEMA_F_IN_LOOP;
}

static void g_append(struct gctx *g, struct ast_node *ap)
{
    struct sema *s = g->e.s;
    const struct sema_type *t = g_element(g, ap->a);
    ap->sema.type = t;
    if (t->base != SPU_T_STR && t->base != SPU_T_ANY) {
        char x[96];
        sema_error(s, ap->loc, "'+:' appends bytes; this element produces %s",
                   sema_type_str(t, x, sizeof(x)));
        return;
    }
    if (sema_scope_find(&g->e, ap->name)) {
        sema_error(s, ap->loc, "'+:' appends to a field; '%s' is a local variable", ap->name);
        return;
    }
    struct sema_layout *L = g->u->layout;
    struct sema_field *f = (struct sema_field *)sema_layout_field(L, ap->name);
    if (f && (f->array || (f->type->base != SPU_T_STR && f->type->base != SPU_T_ANY))) {
        char x[96];
        sema_error(s, ap->loc, "'+:' appends to a string field; '%s' is %s", ap->name,
                   sema_type_str(f->type, x, sizeof(x)));
        sema_note(s, f->decl->loc, "'%s' is declared here", ap->name);
        return;
    }
    if (!f)
        f = sema_layout_add(s, L, ap->name, &sema_t_str, false, SEMA_FIELD_APPEND, ap);
    if (!f)
        return;
    ap->sema.ref = SEMA_REF_FIELD;
    ap->sema.sym.field = f;
    ap->sema.layout = L;
    ap->sema.index = f->index;
}

static const struct sema_type *g_items(struct gctx *g, struct ast_node *items)
{
    for (struct ast_node *it = items; it; it = it->next) {
        if (it->kind == AST_CAPTURE)
            g_capture(g, it);
        else if (it->kind == AST_APPEND)
            g_append(g, it);
        else
            g_element(g, it);
    }
    return &sema_t_str;
}

static void g_assign(struct gctx *g, struct ast_node *as)
{
    struct sema *s = g->e.s;
    struct ast_node *tgt = as->a;
    const struct sema_type *t = sema_expr(&g->e, as->b);
    if (tgt->kind == AST_MEMBER) { /* state.NAME */
        const struct sema_type *ft = sema_expr(&g->e, tgt);
        if (tgt->sema.ref == SEMA_REF_STATE && !sema_assignable(ft, t))
            sema_assign_mismatch(s, as->b->loc, sema_sprintf(s, "'state.%s'", tgt->name), ft, t);
        return;
    }
    struct sema_local *l = sema_scope_find(&g->e, tgt->name);
    if (l) {
        tgt->sema.ref = SEMA_REF_LOCAL;
        tgt->sema.sym.local = l;
        tgt->sema.index = l->slot;
        tgt->sema.type = l->type;
        if (!sema_assignable(l->type, t))
            sema_assign_mismatch(s, as->b->loc, sema_sprintf(s, "'%s'", tgt->name), l->type, t);
        return;
    }
    struct sema_layout *L = g->u->layout;
    struct sema_field *f = (struct sema_field *)sema_layout_field(L, tgt->name);
    if (f) {
        if (!sema_assignable(f->type, t))
            sema_assign_mismatch(s, as->b->loc, sema_sprintf(s, "field '%s'", tgt->name),
                                 f->type, t);
    } else {
        if (t->base == SPU_T_NULL) {
            sema_error(s, as->b->loc, "cannot infer the type of field '%s' from null",
                       tgt->name);
            t = &sema_t_any;
        }
        f = sema_layout_add(s, L, tgt->name, t, false, SEMA_FIELD_DERIVED, as);
        if (!f)
            return;
    }
    tgt->sema.ref = SEMA_REF_FIELD;
    tgt->sema.base = SEMA_BASE_CUR;
    tgt->sema.sym.field = f;
    tgt->sema.layout = L;
    tgt->sema.index = f->index;
    tgt->sema.type = f->type;
}

static void g_event(struct gctx *g, struct ast_node *st)
{
    struct sema *s = g->e.s;
    struct sema_proto *p = g->e.proto;
    const char *name = st->a->name;
    size_t pl = strlen(p->name);
    if (strncmp(name, p->name, pl) != 0 || name[pl] != '.') {
        sema_error(s, st->a->loc, "event '%s' must be named '%s.something' (after its "
                   "protocol)", name, p->name);
        return;
    }
    if (sema_rt_event_find(name) >= 0) {
        sema_error(s, st->a->loc, "event name '%s' is reserved by the runtime", name);
        return;
    }
    struct sema_event *e = sema_find_event(s, name);
    if (e && e->unit != g->u) {
        sema_error(s, st->a->loc, "event '%s' is already raised by %s '%s'; an event is "
                   "raised from one unit only", name, e->unit->is_message ? "message" : "unit",
                   e->unit->name);
        sema_note(s, e->decl->loc, "first raised here");
        return;
    }
    if (!e) {
        e = sema_alloc(s, sizeof(*e));
        if (!e)
            return;
        e->name = name;
        e->kind = SEMA_EVENT_GRAMMAR;
        e->proto = p;
        e->unit = g->u;
        e->rt_id = -1;
        e->layout = g->u->layout;
        e->decl = st;
        e->id = s->prog->nevents;
        SEMA_PUSH(s, s->prog->events, s->prog->nevents, e);
        SEMA_PUSH(s, p->events, p->nevents, e);
        SEMA_PUSH(s, g->u->events, g->u->nevents, e);
    }
    g->u->completion = e;
    st->sema.sym.event = e;
}

/* A condition of if/while/repeat: `more()` (data left before the end of
 * the stream or of the innermost within/at) or an expression. */
static void g_cond(struct gctx *g, struct ast_node *cond)
{
    if (cond->kind == AST_CALL && strcmp(cond->name, "more") == 0) {
        if (cond->a)
            sema_error(g->e.s, cond->loc, "more() takes no arguments");
        cond->sema.flags |= SEMA_F_MORE | SEMA_F_CHECKED;
        cond->sema.type = &sema_t_bool;
        return;
    }
    sema_cond(&g->e, cond);
}

static bool g_stmt(struct gctx *g, struct ast_node *st)
{
    struct sema *s = g->e.s;
    st->sema.flags |= SEMA_F_CHECKED;
    switch (st->kind) {
    case AST_SEQ:
        g_items(g, st->a);
        return false;
    case AST_ASSIGN:
        g_assign(g, st);
        return false;
    case AST_VAR:
        sema_var_declare(&g->e, st);
        return false;
    case AST_IF: {
        g_cond(g, st->a);
        bool t1 = g_block(g, st->b);
        bool t2 = false;
        if (st->c)
            t2 = st->c->kind == AST_IF ? g_stmt(g, st->c) : g_block(g, st->c);
        return st->c && t1 && t2;
    }
    case AST_REPEAT:
    case AST_WHILE: {
        struct loop l;
        push_loop(g, &l, st);
        struct ast_node *body = st->kind == AST_REPEAT ? st->a : st->b;
        struct ast_node *cond = st->kind == AST_REPEAT ? st->b : st->a;
        if (st->kind == AST_WHILE)
            g_cond(g, cond);
        g_block(g, body);
        if (st->kind == AST_REPEAT)
            g_cond(g, cond);
        g->e.loops = l.up;
        return false;
    }
    case AST_EVENT:
        g_event(g, st);
        return false;
    case AST_YIELD: {
        if (g->u->is_message)
            sema_error(s, st->loc, "yield is only allowed in units (a message has no "
                       "consumer for its content)");
        const struct sema_type *t = g_element(g, st->a);
        if (t->base == SPU_T_REC || t->base == SPU_T_ARR) {
            char x[96];
            sema_error(s, st->a->loc, "yield needs bytes; this element produces %s",
                       sema_type_str(t, x, sizeof(x)));
        }
        return false;
    }
    case AST_ERROR:
    case AST_ANOMALY:
        if (st->len == 0)
            sema_error(s, st->loc, "an %s needs a name", st->kind == AST_ERROR ? "error" :
                       "anomaly");
        return st->kind == AST_ERROR;
    case AST_STOP:
    case AST_RETURN:
        return true;
    case AST_TX_KEY: {
        const struct sema_type *k = sema_expr(&g->e, st->a);
        if (k->base != SPU_T_INT && k->base != SPU_T_ANY) {
            char x[96];
            sema_error(s, st->a->loc, "type mismatch: transaction by takes an int, got %s",
                       sema_type_str(k, x, sizeof(x)));
        }
        return false;
    }
    case AST_WITHIN:
    case AST_AT: {
        const struct sema_type *n = sema_expr(&g->e, st->a);
        if (n->base != SPU_T_INT && n->base != SPU_T_ANY) {
            char x[96];
            sema_error(s, st->a->loc, "type mismatch: %s() takes an int, got %s",
                       st->kind == AST_AT ? "at" : "within", sema_type_str(n, x, sizeof(x)));
        }
        g_block(g, st->b);
        return false;
    }
    case AST_PEEK:
        g_block(g, st->b);
        return false;
    case AST_BUFFER:
        if (st->ival < 1 || st->ival > (16 << 20))
            sema_error(s, st->loc, "a message buffer holds between 1 byte and 16MB");
        return false;
    default:
        return false;
    }
}

static bool g_stmt_of(struct ectx *e, struct ast_node *st)
{
    return g_stmt(gctx_of(e), st);
}

static bool g_block(struct gctx *g, struct ast_node *blk)
{
    return sema_block(&g->e, blk, g_stmt_of);
}

static void check_map(struct sema *s, struct sema_unit *u)
{
    const struct ast_node *map = u->decl->kind == AST_UNIT ? u->decl->b : NULL;
    if (!map)
        return;
    const struct sema_field *k = sema_layout_field(u->layout, map->a->name);
    const struct sema_field *v = sema_layout_field(u->layout, map->b->name);
    if (!k || k->array || (k->type->base != SPU_T_STR && k->type->base != SPU_T_ANY)) {
        sema_error(s, map->a->loc, "a map's key must be a string field of '%s'", u->name);
        return;
    }
    if (!v) {
        sema_error(s, map->b->loc, "unknown field '%s' in '%s'", map->b->name, u->name);
        return;
    }
    u->layout->map_key = (int32_t)k->index;
    u->layout->map_value = (int32_t)v->index;
}

static void check_unit(struct sema *s, struct sema_unit *u)
{
    u->state = UNIT_BUSY;
    s->depth++;
    struct gctx g;
    memset(&g, 0, sizeof(g));
    g.u = u;
    g.e.s = s;
    g.e.lang = SRC_LANG_GRAMMAR;
    g.e.name = gram_name;
    g.e.no_actions = true;
    g.e.proto = (struct sema_proto *)u->proto;
    g.e.unit = u;
    g.e.nlocals = &u->nlocals;
    if (u->when) {
        g.e.name = when_name;
        sema_cond(&g.e, (struct ast_node *)u->when);
        g.e.name = gram_name;
    }
    for (uint32_t i = 0; i < u->nparams; i++) {
        struct scope *sc = sema_alloc(s, sizeof(*sc));
        if (!sc)
            break;
        sc->local = u->params[i];
        sc->up = g.e.scope;
        g.e.scope = sc;
    }
    struct ast_node *body = u->is_message ? u->decl->b : u->decl->c;
    g_block(&g, body);
    check_map(s, u);
    s->depth--;
    u->state = UNIT_DONE;
}

void sema_unit_ensure(struct sema *s, struct sema_unit *u)
{
    if (u->state != UNIT_NEW)
        return;
    if (s->depth >= MAX_CHECK_DEPTH) {
        /* left for the main loop: its fields are not known yet here */
        sema_error(s, u->decl->loc, "references between units nest too deeply (more than %u)",
                   MAX_CHECK_DEPTH);
        u->state = UNIT_DONE;
        return;
    }
    check_unit(s, u);
}

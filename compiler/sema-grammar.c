/* sema-grammar.c - grammar files: protocols and their items, tokens, the
 * declarations of units and messages, the enclosing and pairing relations,
 * index declarations; unit bodies are in sema-unit.c (see sema-int.h). */
#include "sema-int.h"

#include "grow.h"

#include <stdlib.h>
#include <string.h>

const char *sema_limit_name(enum sema_limit l)
{
    static const char *const names[] = {
#define SEMA_LIMIT_NAME(n, s, d) s,
        SEMA_LIMIT_LIST(SEMA_LIMIT_NAME)
#undef SEMA_LIMIT_NAME
    };
    return (unsigned)l < SEMA_LIMIT__COUNT ? names[l] : "?";
}

static const int64_t limit_defaults[] = {
#define SEMA_LIMIT_DEF(n, s, d) d,
    SEMA_LIMIT_LIST(SEMA_LIMIT_DEF)
#undef SEMA_LIMIT_DEF
};

/* ---- lookups ---- */

struct sema_unit *sema_proto_unit(const struct sema_proto *p, const char *name)
{
    for (uint32_t i = 0; p && i < p->nunits; i++)
        if (strcmp(p->units[i]->name, name) == 0)
            return p->units[i];
    return NULL;
}

struct sema_token *sema_proto_token(const struct sema_proto *p, const char *name)
{
    for (uint32_t i = 0; p && i < p->ntokens; i++)
        if (strcmp(p->tokens[i]->name, name) == 0)
            return p->tokens[i];
    return NULL;
}

struct sema_proto *sema_find_proto(const struct sema *s, const char *name)
{
    for (uint32_t i = 0; i < s->prog->nprotos; i++)
        if (strcmp(s->prog->protos[i]->name, name) == 0)
            return s->prog->protos[i];
    return NULL;
}

struct sema_event *sema_find_event(const struct sema *s, const char *name)
{
    for (uint32_t i = 0; i < s->prog->nevents; i++)
        if (strcmp(s->prog->events[i]->name, name) == 0)
            return s->prog->events[i];
    return NULL;
}

bool sema_unit_encloses(const struct sema_unit *anc, const struct sema_unit *u)
{
    /* depth-first search over callees; the graph is small */
    const struct sema_unit **stack = NULL, **seen = NULL;
    size_t ns = 0, nseen = 0, cap = 0;
    bool found = false;
    const struct sema_unit *start = anc;
    for (;;) {
        for (uint32_t i = 0; start && i < start->ncallees && !found; i++) {
            const struct sema_unit *v = start->callees[i];
            if (v == u) {
                found = true;
                break;
            }
            size_t k;
            for (k = 0; k < nseen && seen[k] != v; k++)
                ;
            if (k < nseen)
                continue;
            if (nseen == cap) {
                size_t ncap = spu_grow_cap(cap, nseen + 1, 16, SIZE_MAX / sizeof(*stack));
                const struct sema_unit **a = realloc(stack, sizeof(*a) * ncap);
                if (!a)
                    goto out;
                stack = a;
                const struct sema_unit **b = realloc(seen, sizeof(*b) * ncap);
                if (!b)
                    goto out;
                seen = b;
                cap = ncap;
            }
            seen[nseen++] = v;
            stack[ns++] = v;
        }
        if (found || ns == 0)
            break;
        start = stack[--ns];
    }
out:
    free(stack);
    free(seen);
    return found;
}

static bool listed(struct sema_unit *const *v, uint32_t n, const struct sema_unit *u)
{
    for (uint32_t i = 0; i < n; i++)
        if (v[i] == u)
            return true;
    return false;
}

bool sema_unit_pairs(const struct sema_unit *u, const struct sema_unit *other)
{
    const struct sema_proto *p = u->proto;
    if (!u->is_message || !other->is_message || other->proto != p)
        return false;
    return (listed(p->tx_client, p->ntx_client, u) && listed(p->tx_server, p->ntx_server, other)) ||
           (listed(p->tx_server, p->ntx_server, u) && listed(p->tx_client, p->ntx_client, other));
}

/* ---- declarations ---- */

static bool contains_yield(const struct ast_node *n)
{
    for (; n; n = n->next) {
        if (n->kind == AST_YIELD)
            return true;
        /* elements cannot hold statements: only statement slots matter */
        if (n->kind == AST_BLOCK || n->kind == AST_IF || n->kind == AST_REPEAT ||
            n->kind == AST_WHILE)
            if (contains_yield(n->a) || contains_yield(n->b) || contains_yield(n->c))
                return true;
    }
    return false;
}

/* Does a body call a stream unit where its yields flow on (not under a
 * capture, which takes them as that capture's content)? Then the caller
 * yields them too: it is a stream unit itself. */
static bool calls_stream(const struct sema_proto *p, const struct ast_node *n)
{
    for (; n; n = n->next) {
        if (n->kind == AST_CAPTURE || n->kind == AST_APPEND)
            continue;
        if (n->kind == AST_EL_REF) {
            const struct sema_unit *v = sema_proto_unit(p, n->name);
            if (v && !v->is_message && v->stream)
                return true;
        }
        if (calls_stream(p, n->a) || calls_stream(p, n->b) || calls_stream(p, n->c))
            return true;
    }
    return false;
}

/* Stream units are those that yield, and those that call one outside a
 * capture: propagate until nothing changes (each round marks one more
 * unit or ends, so at most one round per unit). */
static void propagate_stream(struct sema_proto *p)
{
    bool changed = true;
    while (changed) {
        changed = false;
        for (uint32_t i = 0; i < p->nunits; i++) {
            struct sema_unit *u = p->units[i];
            if (u->is_message || u->stream || !calls_stream(p, u->decl->c))
                continue;
            u->stream = true;
            changed = true;
        }
    }
}

static bool name_taken(struct sema *s, struct sema_proto *p, const struct ast_node *decl)
{
    const struct sema_token *t = sema_proto_token(p, decl->name);
    const struct sema_unit *u = sema_proto_unit(p, decl->name);
    if (t || u) {
        sema_dup(s, decl->loc, t ? t->decl->loc : u->decl->loc,
                 t ? "token" : (u->is_message ? "message" : "unit"), decl->name);
        return true;
    }
    return false;
}

static void declare_token(struct sema *s, struct sema_proto *p, struct ast_node *d)
{
    if (name_taken(s, p, d))
        return;
    if (d->a->kind == AST_NAME) {
        sema_error(s, d->a->loc, "a token's pattern is a literal or a regex");
        return;
    }
    if (d->a->kind == AST_REGEX)
        sema_regex(s, d->a, SRC_LANG_GRAMMAR, true);
    else if (d->a->len == 0)
        sema_error(s, d->a->loc, "an empty literal matches nothing");
    struct sema_token *t = sema_alloc(s, sizeof(*t));
    if (!t)
        return;
    t->name = d->name;
    t->decl = d;
    t->pattern = d->a;
    t->proto = p;
    d->sema.sym.token = t;
    SEMA_PUSH(s, p->tokens, p->ntokens, t);
}

static void declare_unit(struct sema *s, struct sema_proto *p, struct ast_node *d)
{
    if (name_taken(s, p, d))
        return;
    bool msg = d->kind == AST_MESSAGE;
    if (msg && p->transport == AST_TRANSPORT_STREAM)
        sema_error(s, d->loc, "protocol '%s' is over stream: it has no directions, so no "
                   "messages (declare a unit and parse sub-streams with it)", p->name);
    struct sema_unit *u = sema_alloc(s, sizeof(*u));
    if (!u)
        return;
    u->name = d->name;
    u->decl = d;
    u->proto = p;
    u->is_message = msg;
    u->dir = msg ? (int)d->ival : -1;
    u->when = msg ? d->a : NULL;
    u->layout = sema_layout_new(s, d->name, msg ? SEMA_LAYOUT_MESSAGE : SEMA_LAYOUT_UNIT);
    if (!u->layout)
        return;
    u->layout->proto = p;
    u->layout->unit = u;
    u->stream = contains_yield(msg ? d->b : d->c);
    if (!msg) {
        for (struct ast_node *pa = d->a; pa; pa = pa->next) {
            for (uint32_t i = 0; i < u->nparams; i++)
                if (strcmp(u->params[i]->name, pa->name) == 0)
                    sema_dup(s, pa->loc, u->params[i]->decl->loc, "parameter", pa->name);
            struct sema_local *l = sema_alloc(s, sizeof(*l));
            if (!l)
                return;
            l->name = pa->name;
            l->type = sema_type_scalar((unsigned)pa->ival);
            l->slot = u->nparams;
            l->param = true;
            l->decl = pa;
            pa->sema.ref = SEMA_REF_LOCAL;
            pa->sema.sym.local = l;
            pa->sema.index = l->slot;
            pa->sema.type = l->type;
            SEMA_PUSH(s, u->params, u->nparams, l);
        }
    }
    u->nlocals = u->nparams;
    u->id = p->nunits;
    d->sema.sym.unit = u;
    SEMA_PUSH(s, p->units, p->nunits, u);
}

static void declare_limits(struct sema *s, struct sema_proto *p, struct ast_node *lims)
{
    const struct ast_node *seen[SEMA_LIMIT__COUNT] = {0};
    for (struct ast_node *l = lims->a; l; l = l->next) {
        unsigned k;
        for (k = 0; k < SEMA_LIMIT__COUNT; k++)
            if (strcmp(l->name, sema_limit_name(k)) == 0)
                break;
        if (k == SEMA_LIMIT__COUNT) {
            sema_error(s, l->loc, "unknown limit '%s' (limits are token, field, message, "
                       "pipeline, depth and iterations)", l->name);
            continue;
        }
        if (seen[k]) {
            sema_dup(s, l->loc, seen[k]->loc, "limit", l->name);
            continue;
        }
        seen[k] = l;
        if (l->ival <= 0 || l->ival > 0xffffffffLL) {
            sema_error(s, l->loc, "limit '%s' must be between 1 and 4294967295", l->name);
            continue;
        }
        p->limits[k] = l->ival;
    }
}

static void declare_state(struct sema *s, struct sema_proto *p, struct ast_node *st)
{
    if (!p->state) {
        p->state = sema_layout_new(s, "state", SEMA_LAYOUT_STATE);
        if (!p->state)
            return;
        p->state->proto = p;
    }
    for (struct ast_node *v = st->a; v; v = v->next) {
        const struct sema_field *f = sema_layout_field(p->state, v->name);
        if (f) {
            sema_dup(s, v->loc, f->decl->loc, "state variable", v->name);
            continue;
        }
        if (v->a || v->ival == SPU_T_ANY) {
            sema_error(s, v->loc, "state variables are declared with a type and no value "
                       "(they start null)");
            continue;
        }
        f = sema_layout_add(s, p->state, v->name, sema_type_scalar((unsigned)v->ival), false,
                            SEMA_FIELD_DECLARED, v);
        if (!f)
            return;
        v->sema.ref = SEMA_REF_STATE;
        v->sema.sym.field = f;
        v->sema.layout = p->state;
        v->sema.index = f->index;
        v->sema.type = f->type;
    }
}

static void declare_proto(struct sema *s, struct ast_node *file, struct ast_node *d)
{
    struct sema_proto *prev = sema_find_proto(s, d->name);
    if (prev) {
        sema_dup(s, d->loc, prev->decl->loc, "protocol", d->name);
        return;
    }
    struct sema_proto *p = sema_alloc(s, sizeof(*p));
    if (!p)
        return;
    p->name = d->name;
    p->decl = d;
    p->transport = (int)d->ival;
    p->id = s->prog->nprotos;
    p->path = file->name;
    for (unsigned k = 0; k < SEMA_LIMIT__COUNT; k++)
        p->limits[k] = limit_defaults[k];
    for (struct ast_node *im = file->a; im; im = im->next)
        if (im->kind == AST_IMPORT)
            SEMA_PUSH(s, p->imports, p->nimports, im->name);
    d->sema.sym.proto = p;
    SEMA_PUSH(s, s->prog->protos, s->prog->nprotos, p);
    for (struct ast_node *it = d->a; it; it = it->next) {
        switch (it->kind) {
        case AST_PORTS:
            if (p->transport == AST_TRANSPORT_STREAM) {
                sema_error(s, it->loc, "protocol '%s' is over stream: it has no ports", p->name);
                break;
            }
            for (struct ast_node *n = it->a; n; n = n->next) {
                if (n->ival < 0 || n->ival > 65535) {
                    sema_error(s, n->loc, "port %lld is out of range (0-65535)",
                               (long long)n->ival);
                    continue;
                }
                uint32_t v = (uint32_t)n->ival;
                SEMA_PUSH(s, p->ports, p->nports, v);
            }
            break;
        case AST_LIMITS:
            declare_limits(s, p, it);
            break;
        case AST_STATE:
            declare_state(s, p, it);
            break;
        case AST_TOKEN:
            declare_token(s, p, it);
            break;
        case AST_MESSAGE:
        case AST_UNIT:
            declare_unit(s, p, it);
            break;
        default:
            break;
        }
    }
    propagate_stream(p);
}

/* ---- protocol items that need every declaration ---- */

/* A detect/resync pattern: a literal, a regex or a token's pattern. */
static const struct ast_node *pattern_of(struct sema *s, struct sema_proto *p,
                                         struct ast_node *pat)
{
    if (pat->kind == AST_NAME) {
        struct sema_token *t = sema_proto_token(p, pat->name);
        if (!t) {
            sema_error(s, pat->loc, "unknown token '%s'", pat->name);
            return NULL;
        }
        pat->sema.ref = SEMA_REF_TOKEN;
        pat->sema.sym.token = t;
        return t->pattern;
    }
    if (pat->kind == AST_REGEX)
        sema_regex(s, pat, SRC_LANG_GRAMMAR, true);
    else if (pat->len == 0)
        sema_error(s, pat->loc, "an empty pattern matches nothing");
    return pat;
}

static void transaction(struct sema *s, struct sema_proto *p, struct ast_node *tx)
{
    for (int side = 0; side < 2; side++) {
        for (struct ast_node *n = side ? tx->b : tx->a; n; n = n->next) {
            struct sema_unit *u = sema_proto_unit(p, n->name);
            if (!u || !u->is_message) {
                sema_error(s, n->loc, "unknown message '%s'", n->name);
                continue;
            }
            n->sema.ref = SEMA_REF_UNIT;
            n->sema.sym.unit = u;
            if (u->dir != side) {
                sema_error(s, n->loc, "'%s' is a %s message; the %s side of '->' lists %s "
                           "messages", u->name, u->dir == AST_DIR_CLIENT ? "client" : "server",
                           side ? "right" : "left", side ? "server" : "client");
                continue;
            }
            if (listed(p->tx_client, p->ntx_client, u) || listed(p->tx_server, p->ntx_server, u)) {
                sema_error(s, n->loc, "message '%s' is already part of a transaction", u->name);
                continue;
            }
            if (side)
                SEMA_PUSH(s, p->tx_server, p->ntx_server, u);
            else
                SEMA_PUSH(s, p->tx_client, p->ntx_client, u);
        }
    }
}

/* Record the call/parse edges of a unit's body (for enclosing records). */
static void collect_edges(struct sema *s, struct sema_unit *u, const struct ast_node *n)
{
    for (; n; n = n->next) {
        struct sema_unit *v = NULL;
        if (n->kind == AST_EL_REF) {
            v = sema_proto_unit(u->proto, n->name);
        } else if (n->kind == AST_SINK_PARSE) {
            const char *dot = strchr(n->name, '.');
            if (dot) {
                char pname[128];
                size_t k = (size_t)(dot - n->name);
                if (k < sizeof(pname)) {
                    memcpy(pname, n->name, k);
                    pname[k] = '\0';
                    v = sema_proto_unit(sema_find_proto(s, pname), dot + 1);
                }
            } else {
                v = sema_proto_unit(u->proto, n->name);
            }
        }
        if (v && !listed(u->callees, u->ncallees, v))
            SEMA_PUSH(s, u->callees, u->ncallees, v);
        collect_edges(s, u, n->a);
        collect_edges(s, u, n->b);
        collect_edges(s, u, n->c);
    }
}

static void resolve_proto(struct sema *s, struct sema_proto *p)
{
    const struct ast_node *resync_seen[2] = {0};
    for (struct ast_node *it = p->decl->a; it; it = it->next) {
        switch (it->kind) {
        case AST_DETECT: {
            if (p->transport == AST_TRANSPORT_STREAM) {
                sema_error(s, it->loc, "protocol '%s' is over stream: it is never detected",
                           p->name);
                break;
            }
            const struct ast_node *pat = pattern_of(s, p, it->a);
            if (pat)
                SEMA_PUSH(s, p->detect[it->ival], p->ndetect[it->ival], pat);
            break;
        }
        case AST_RESYNC: {
            if (resync_seen[it->ival]) {
                sema_error(s, it->loc, "duplicate resync for the %s direction",
                           it->ival == AST_DIR_CLIENT ? "client" : "server");
                sema_note(s, resync_seen[it->ival]->loc, "previous definition is here");
                break;
            }
            resync_seen[it->ival] = it;
            p->resync[it->ival] = pattern_of(s, p, it->a);
            p->resync_mode[it->ival] = (int)it->ival2;
            break;
        }
        case AST_TRANSACTION:
            transaction(s, p, it);
            break;
        default:
            break;
        }
    }
    for (uint32_t i = 0; i < p->nunits; i++) {
        const struct ast_node *d = p->units[i]->decl;
        collect_edges(s, p->units[i], d->kind == AST_MESSAGE ? d->b : d->c);
    }
}

/* ---- index declarations ---- */

static const struct sema_type *index_name(struct ectx *c, struct ast_node *n)
{
    const struct sema_event *e = c->event;
    const struct sema_field *f = sema_layout_field(e->layout, n->name);
    if (!f) {
        sema_error(c->s, n->loc, "unknown field '%s' in event '%s'", n->name, e->name);
        return &sema_t_any;
    }
    n->sema.ref = SEMA_REF_FIELD;
    n->sema.base = SEMA_BASE_CUR;
    n->sema.sym.field = f;
    n->sema.layout = e->layout;
    n->sema.index = f->index;
    return f->type;
}

static bool is_path(const struct ast_node *n)
{
    switch (n->kind) {
    case AST_NAME:
        return true;
    case AST_MEMBER:
        return is_path(n->a);
    case AST_SUBSCRIPT:
        return is_path(n->a) && (n->b->kind == AST_STR || n->b->kind == AST_INT);
    default:
        return false;
    }
}

static void index_decl(struct sema *s, struct sema_proto *p, struct ast_node *ix)
{
    struct sema_event *e = sema_find_event(s, ix->a->name);
    if (!e || e->proto != p) {
        sema_error(s, ix->a->loc, "unknown event '%s' in protocol '%s'", ix->a->name, p->name);
        return;
    }
    if (e->index) {
        sema_error(s, ix->loc, "duplicate index for event '%s'", e->name);
        sema_note(s, e->index->decl->loc, "previous definition is here");
        return;
    }
    struct sema_index *x = sema_alloc(s, sizeof(*x));
    if (!x)
        return;
    x->decl = ix;
    struct ectx c;
    memset(&c, 0, sizeof(c));
    c.s = s;
    c.lang = SRC_LANG_GRAMMAR;
    c.name = index_name;
    c.no_actions = true;
    c.proto = p;
    c.event = e;
    uint32_t nl = 0;
    c.nlocals = &nl;
    for (struct ast_node *path = ix->b; path; path = path->next) {
        if (!is_path(path)) {
            sema_error(s, path->loc, "an index level names a field (host, url.ext, "
                       "headers[\"x\"])");
            continue;
        }
        const struct sema_type *t = sema_expr(&c, path);
        if (t->base != SPU_T_STR && t->base != SPU_T_ANY) {
            char y[96];
            sema_error(s, path->loc, "an index level must be a string field; this one is %s",
                       sema_type_str(t, y, sizeof(y)));
            continue;
        }
        SEMA_PUSH(s, x->paths, x->npaths, path);
    }
    e->index = x;
    ix->sema.sym.event = e;
}

/* ---- driver ---- */

void sema_grammars(struct sema *s)
{
    for (unsigned i = 0; i < s->nfiles; i++) {
        struct ast_node *f = s->files[i];
        if (!f || f->ival != SRC_LANG_GRAMMAR)
            continue;
        for (struct ast_node *d = f->a; d; d = d->next)
            if (d->kind == AST_PROTOCOL)
                declare_proto(s, f, d);
    }
    for (uint32_t i = 0; i < s->prog->nprotos; i++)
        resolve_proto(s, s->prog->protos[i]);
    for (uint32_t i = 0; i < s->prog->nprotos && !diag_stop(s->diag); i++) {
        struct sema_proto *p = s->prog->protos[i];
        for (uint32_t k = 0; k < p->nunits && !diag_stop(s->diag); k++)
            sema_unit_ensure(s, p->units[k]);
    }
    for (uint32_t i = 0; i < s->prog->nprotos; i++) {
        struct sema_proto *p = s->prog->protos[i];
        for (struct ast_node *it = p->decl->a; it; it = it->next)
            if (it->kind == AST_INDEX)
                index_decl(s, p, it);
    }
}

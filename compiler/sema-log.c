/*
 * sema-log.c - EVE log declarations of grammars (see sema-int.h).
 *
 *   log TYPE on EVENT { path = EXPR; ... }
 *   log TYPE on transaction [PROTO] { path = EXPR; path = EXPR { sub = EXPR; ... }; }
 *
 * A value on EVENT is typed like an expression of a rule on EVENT (its
 * fields by name, enclosing records and the paired message by prefix). On
 * a transaction the names are the messages of the protocol's
 * `transaction` items, each a record of a synthesised layout (kind TX,
 * one REC field per message) that the runtime fills with the client's
 * and the server's records. A `{ ... }` block after a value of records
 * (or arrays of records) describes the object made of each record: its
 * names are that record's fields.
 *
 * A path is below the TYPE object, or, written as a string starting with
 * '/' ("/email.from"), from the record's root, so that one record can
 * hold sibling objects (Suricata's smtp records carry "smtp" and
 * "email"). Paths are checked per block, compared from the root: each
 * name non-empty, no two entries writing the same path, none writing
 * below another's value. A root path may not name a field of the
 * envelope (eve-envelope.def), which spurun writes, except "/tx_id": a
 * log may number its record's transaction itself (an int).
 */
#include "sema-int.h"

#include "bundle-format.h"

#include <stdio.h>
#include <string.h>

/* An expression context over the fields of one layout. */
struct lctx {
    struct ectx e; /* first: the resolver casts back */
    const struct sema_layout *l;
    unsigned depth; /* 1: a log's entries, 2: a block's in them, ... */
};

static const struct sema_type *layout_name(struct ectx *c, struct ast_node *n)
{
    const struct lctx *lc = (const struct lctx *)c;
    const struct sema_field *f = sema_layout_field(lc->l, n->name);
    if (!f && lc->l->kind == SEMA_LAYOUT_TX) {
        char list[256];
        size_t k = 0;
        for (uint32_t i = 0; i < lc->l->nfields && k + 2 < sizeof(list); i++)
            k += (size_t)snprintf(list + k, sizeof(list) - k, "%s%s", i ? ", " : "",
                                  lc->l->fields[i]->name);
        sema_error(c->s, n->loc,
                   "unknown name '%s' (a transaction log of protocol '%s' names "
                   "its messages: %s)",
                   n->name, lc->l->proto->name, list);
        return &sema_t_any;
    }
    if (!f) {
        sema_error(c->s, n->loc, "unknown name '%s' (not a field of record '%s')", n->name,
                   lc->l->name);
        return &sema_t_any;
    }
    n->sema.ref = SEMA_REF_FIELD;
    n->sema.base = SEMA_BASE_CUR;
    n->sema.sym.field = f;
    n->sema.layout = lc->l;
    n->sema.index = f->index;
    return f->type;
}

static bool path_ok(struct sema *s, const struct ast_node *d)
{
    const char *p = d->name + (d->name[0] == '/');
    size_t seg = 0;
    for (;; p++) {
        if (*p == '.' || *p == 0) {
            if (seg == 0) {
                sema_error(s, d->loc, "log path '%s' has an empty name", d->name);
                return false;
            }
            if (*p == 0)
                return true;
            seg = 0;
        } else {
            seg++;
        }
    }
}

/* Is path a equal to b, or a prefix of it at a dot? */
static bool path_covers(const char *a, const char *b)
{
    size_t n = strlen(a);
    return strncmp(a, b, n) == 0 && (b[n] == 0 || b[n] == '.');
}

/* The layout whose records a value of type t holds, for a { } block. */
static const struct sema_layout *records_of(const struct sema_type *t)
{
    if (t->base == SPU_T_ARR && t->elem)
        t = t->elem;
    return t->base == SPU_T_REC ? t->layout : NULL;
}

static struct sema_logent *entry(struct sema *s, struct ectx *c, const struct sema_layout *l,
                                 const struct sema_event *ev, const char *prefix,
                                 struct ast_node *d);

/* The envelope of an EVE record, which spurun writes (runtime/eve.c,
 * eve_jw_envelope): a root path may not name it. */
static const char *const envelope[] = {
#define EVE_ENVELOPE(name) name,
#include "eve-envelope.def"
#undef EVE_ENVELOPE
};

/* The one envelope field a log may set: the record's tx_id, when the
 * protocol numbers its transactions otherwise than the VM pairs messages
 * (Suricata's SMTP tx_id counts mails and aborted envelopes). spurun takes
 * it out of the object and writes it in the envelope (runtime/app.c). */
#define LOG_TX_ID "/tx_id"

/* Where an entry writes, from the record's root: "/a.b" as written, "a.b"
 * below the TYPE object (log blocks; type NULL: a { } block, relative to
 * the element's object). NULL (reported) when the path is not allowed. */
static const char *abs_path(struct sema *s, const char *type, const struct ast_node *d)
{
    if (d->name[0] != '/')
        return type ? sema_sprintf(s, "%s.%s", type, d->name) : d->name;
    if (!type) {
        sema_error(s, d->loc,
                   "a path in a { } block is relative to the element's object; "
                   "'%s' starts at the record's root",
                   d->name);
        return NULL;
    }
    if (strcmp(d->name, LOG_TX_ID) == 0)
        return d->name + 1;
    size_t first = strcspn(d->name + 1, ".");
    for (size_t i = 0; i < sizeof(envelope) / sizeof(envelope[0]); i++)
        if (strlen(envelope[i]) == first && strncmp(d->name + 1, envelope[i], first) == 0) {
            sema_error(s, d->loc,
                       "'/%s' is a field of the record's envelope, which spurun "
                       "writes",
                       envelope[i]);
            return NULL;
        }
    if (strcmp(d->name + 1, type) == 0) {
        sema_error(s, d->loc,
                   "'%s' is the record's own object: write its fields as paths "
                   "without '/'",
                   d->name);
        return NULL;
    }
    return d->name + 1;
}

/* "/tx_id" = EXPR: an int (so no { } block, which entry() allows on
 * records only). */
static bool tx_id_ok(struct sema *s, const struct ast_node *d)
{
    const struct sema_type *t = d->a->sema.type;
    char x[96];
    if (t && t->base != SPU_T_INT && t->base != SPU_T_ANY) {
        sema_error(s, d->a->loc, "'%s' is the record's transaction number: an int, not %s",
                   LOG_TX_ID, sema_type_str(t, x, sizeof(x)));
        return false;
    }
    return true;
}

/* Check the entries of one block (a log's, type = its TYPE; or a { }
 * block, type NULL); returns the vector. */
static struct sema_logent **block(struct sema *s, struct ectx *c, const struct sema_layout *l,
                                  const struct sema_event *ev, const char *type, const char *prefix,
                                  struct ast_node *list, uint32_t *n)
{
    struct sema_logent **v = NULL;
    *n = 0;
    for (struct ast_node *d = list; d; d = d->next) {
        if (d->kind != AST_LOGENT)
            continue;
        bool ok = path_ok(s, d);
        const char *ab = ok ? abs_path(s, type, d) : NULL;
        ok = ab != NULL;
        for (uint32_t i = 0; ok && i < *n; i++) {
            const struct ast_node *o = v[i]->decl;
            const char *oa = v[i]->abs;
            if (strcmp(oa, ab) == 0) {
                sema_error(s, d->loc, "log path '%s' is written twice", d->name);
                sema_note(s, o->loc, "first written here");
                ok = false;
            } else if (path_covers(oa, ab) || path_covers(ab, oa)) {
                const struct ast_node *up = path_covers(oa, ab) ? o : d;
                const struct ast_node *down = up == o ? d : o;
                sema_error(s, d->loc, "log path '%s' is below '%s', which holds a value",
                           down->name, up->name);
                sema_note(s, o->loc, "'%s' is written here", o->name);
                ok = false;
            }
        }
        struct sema_logent *e = entry(s, c, l, ev, prefix, d);
        if (e && ok && strcmp(d->name, LOG_TX_ID) == 0 && !tx_id_ok(s, d))
            ok = false;
        if (e && ok) {
            e->abs = ab;
            SEMA_PUSH(s, v, *n, e);
        }
    }
    return v;
}

static struct sema_logent *entry(struct sema *s, struct ectx *c, const struct sema_layout *l,
                                 const struct sema_event *ev, const char *prefix,
                                 struct ast_node *d)
{
    struct sema_logent *e = sema_alloc(s, sizeof(*e));
    if (!e)
        return NULL;
    e->path = d->name;
    e->name = sema_sprintf(s, d->name[0] == '/' ? "%s%s" : "%s.%s", prefix, d->name);
    e->decl = d;
    e->value = d->a;
    e->layout = l;
    e->event = ev;
    const struct sema_type *t = sema_expr(c, d->a);
    char x[96];
    if (t->base == SPU_T_REGEX || t->base == SPU_T_LIST) {
        sema_error(s, d->a->loc,
                   "a log value must be data (a string, int, bool, address, "
                   "record or array); this one is %s",
                   sema_type_str(t, x, sizeof(x)));
        return NULL;
    }
    if (!(d->flags & AST_F_SUBS))
        return e;
    const struct sema_layout *sl = records_of(t);
    if (!sl) {
        if (t->base != SPU_T_ANY)
            sema_error(s, d->a->loc, "a { ... } block describes records; this value is %s",
                       sema_type_str(t, x, sizeof(x)));
        return NULL;
    }
    unsigned depth = ((const struct lctx *)c)->depth + 1; /* every ectx here is an lctx */
    if (depth > SPU_LOG_MAX_DEPTH) {
        sema_error(s, d->loc, "{ } blocks nest at most %u deep", SPU_LOG_MAX_DEPTH - 1);
        return NULL;
    }
    struct lctx sc;
    memset(&sc, 0, sizeof(sc));
    sc.depth = depth;
    uint32_t nl = 0;
    sc.e.s = s;
    sc.e.lang = SRC_LANG_RULES;
    sc.e.name = layout_name;
    sc.e.no_actions = true;
    sc.e.nlocals = &nl;
    sc.e.file = c->file;
    sc.l = sl;
    e->sub_layout = sl;
    e->subs = block(s, &sc.e, sl, NULL, NULL, e->name, d->b, &e->nsubs);
    return e;
}

/* The transaction layout of p: one record field per message of its
 * transactions (created once). */
static const struct sema_layout *tx_layout(struct sema *s, const struct sema_proto *p)
{
    for (uint32_t i = 0; i < s->prog->nlayouts; i++)
        if (s->prog->layouts[i]->kind == SEMA_LAYOUT_TX && s->prog->layouts[i]->proto == p)
            return s->prog->layouts[i];
    struct sema_layout *l = sema_layout_new(s, "transaction", SEMA_LAYOUT_TX);
    if (!l)
        return NULL;
    l->proto = p;
    for (int side = 0; side < 2; side++) {
        struct sema_unit **u = side ? p->tx_server : p->tx_client;
        uint32_t n = side ? p->ntx_server : p->ntx_client;
        for (uint32_t i = 0; i < n; i++) {
            sema_unit_ensure(s, u[i]);
            if (!sema_layout_field(l, u[i]->name))
                sema_layout_add(s, l, u[i]->name, sema_type_rec(s, u[i]->layout), false,
                                SEMA_FIELD_DECLARED, u[i]->decl);
        }
    }
    return l;
}

/* Give every entry of a block its id: the block's entries first (so they
 * are contiguous), then each entry's sub block. */
static void number(struct sema *s, struct sema_logent **v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        v[i]->id = s->prog->nlogents;
        SEMA_PUSH(s, s->prog->logents, s->prog->nlogents, v[i]);
    }
    for (uint32_t i = 0; i < n; i++)
        number(s, v[i]->subs, v[i]->nsubs);
}

static void log_decl(struct sema *s, struct sema_proto *p, struct ast_node *d)
{
    struct sema_log *lg = sema_alloc(s, sizeof(*lg));
    if (!lg)
        return;
    lg->type = d->name;
    lg->decl = d;
    lg->kind = (int)d->ival;
    struct lctx lc;
    memset(&lc, 0, sizeof(lc));
    lc.depth = 1;
    uint32_t nl = 0;
    lc.e.s = s;
    lc.e.lang = SRC_LANG_RULES;
    lc.e.no_actions = true;
    lc.e.nlocals = &nl;
    if (lg->kind == AST_LOG_EVENT || lg->kind == AST_LOG_ALERT) {
        struct sema_event *e = sema_find_event(s, d->a->name);
        if (!e || e->kind != SEMA_EVENT_GRAMMAR) {
            sema_error(s, d->a->loc, "unknown event '%s'", d->a->name);
            return;
        }
        sema_unit_ensure(s, (struct sema_unit *)e->unit);
        lg->event = e;
        lg->proto = e->proto;
        lg->layout = e->layout;
        lc.e.name = sema_rule_name;
        lc.e.member = sema_rule_member;
        lc.e.event = e;
        d->a->sema.sym.event = e;
    } else {
        const struct sema_proto *tp = p;
        if (d->a) {
            tp = sema_find_proto(s, d->a->name);
            if (!tp) {
                sema_error(s, d->a->loc, "unknown protocol '%s'", d->a->name);
                return;
            }
        }
        if (!tp->ntx_client || !tp->ntx_server) {
            sema_error(s, d->loc,
                       "protocol '%s' pairs no messages into transactions (it "
                       "needs a 'transaction CLIENT -> SERVER;' item)",
                       tp->name);
            return;
        }
        lg->proto = tp;
        lg->layout = tx_layout(s, tp);
        if (!lg->layout)
            return;
        lc.l = lg->layout;
        lc.e.name = layout_name;
        lc.e.proto = (struct sema_proto *)tp;
    }
    lg->entries = block(s, &lc.e, lg->layout, lg->event, lg->type,
                        sema_sprintf(s, "log.%s", lg->type), d->b, &lg->nentries);
    lg->id = s->prog->nlogs;
    SEMA_PUSH(s, s->prog->logs, s->prog->nlogs, lg);
    number(s, lg->entries, lg->nentries);
}

void sema_logs(struct sema *s)
{
    for (uint32_t i = 0; i < s->prog->nprotos && !diag_stop(s->diag); i++) {
        struct sema_proto *p = s->prog->protos[i];
        for (struct ast_node *it = p->decl->a; it; it = it->next)
            if (it->kind == AST_LOG)
                log_decl(s, p, it);
    }
}

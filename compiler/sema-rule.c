/* sema-rule.c - rule files: lists, regexlists, consts, flow variables,
 * sessions, outputs and rules (attributes, event, body), and the names a
 * rule body can use (see sema-int.h). */
#include "sema-int.h"
#include "bytecode.h"

#include <stdlib.h>
#include <string.h>

/* The context of a rule body (or a session key). */
struct rctx {
    struct ectx e;
};

/* ---- the global namespace of rule declarations ---- */

static const struct ast_node *decl_of(const struct sema *s, const char *name)
{
    const struct sema_program *p = s->prog;
    for (uint32_t i = 0; i < p->nlists; i++)
        if (p->lists[i]->name && strcmp(p->lists[i]->name, name) == 0)
            return p->lists[i]->decl;
    for (uint32_t i = 0; i < p->nconsts; i++)
        if (strcmp(p->consts[i]->name, name) == 0)
            return p->consts[i]->decl;
    for (uint32_t i = 0; i < p->nsessions; i++)
        if (strcmp(p->sessions[i]->name, name) == 0)
            return p->sessions[i]->decl;
    for (uint32_t i = 0; i < p->noutputs; i++)
        if (strcmp(p->outputs[i]->name, name) == 0)
            return p->outputs[i]->decl;
    for (uint32_t i = 0; i < p->nqueues; i++)
        if (strcmp(p->queues[i]->name, name) == 0)
            return p->queues[i]->decl;
    return NULL;
}

static bool name_free(struct sema *s, const struct ast_node *d)
{
    const struct ast_node *prev = decl_of(s, d->name);
    if (prev) {
        sema_dup(s, d->loc, prev->loc, "declaration", d->name);
        return false;
    }
    return true;
}

static struct sema_list *find_list(const struct sema *s, const char *name)
{
    for (uint32_t i = 0; i < s->prog->nlists; i++)
        if (s->prog->lists[i]->name && strcmp(s->prog->lists[i]->name, name) == 0)
            return s->prog->lists[i];
    return NULL;
}

static struct sema_constdecl *find_const(const struct sema *s, const char *name)
{
    for (uint32_t i = 0; i < s->prog->nconsts; i++)
        if (strcmp(s->prog->consts[i]->name, name) == 0)
            return s->prog->consts[i];
    return NULL;
}

static struct sema_session *find_session(const struct sema *s, const char *name)
{
    for (uint32_t i = 0; i < s->prog->nsessions; i++)
        if (strcmp(s->prog->sessions[i]->name, name) == 0)
            return s->prog->sessions[i];
    return NULL;
}

static bool imports(const struct ast_node *file, const char *proto)
{
    for (const struct ast_node *d = file->a; d; d = d->next)
        if (d->kind == AST_IMPORT && strcmp(d->name, proto) == 0)
            return true;
    return false;
}

static const char *dir_of(struct sema *s, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return ".";
    return sema_strndup(s, path, slash == path ? 1 : (size_t)(slash - path));
}

/* ---- names in constant expressions ---- */

static const struct sema_type *const_name(struct ectx *c, struct ast_node *n)
{
    struct sema_constdecl *k = find_const(c->s, n->name);
    if (!k) {
        sema_error(c->s, n->loc, "unknown name '%s' (a constant expression uses literals and "
                   "consts declared before it)", n->name);
        return &sema_t_any;
    }
    n->sema.ref = SEMA_REF_CONST;
    n->sema.sym.konst = k;
    n->sema.cval = k->value;
    return k->type;
}

static void const_ctx(struct sema *s, struct ectx *c, uint32_t *nl)
{
    memset(c, 0, sizeof(*c));
    c->s = s;
    c->lang = SRC_LANG_RULES;
    c->name = const_name;
    c->no_actions = true;
    c->const_only = true;
    c->nlocals = nl;
}

/* ---- declarations ---- */

static void declare_list(struct sema *s, struct ast_node *file, struct ast_node *d)
{
    if (!name_free(s, d))
        return;
    struct sema_list *l = sema_alloc(s, sizeof(*l));
    if (!l)
        return;
    bool re = d->kind == AST_REGEXLIST;
    l->name = d->name;
    l->decl = d;
    l->kind = re ? SEMA_LIST_REGEX : SEMA_LIST_NONE;
    l->nocase = (d->flags & AST_F_NOCASE) != 0;
    if (d->flags & AST_F_FROM) {
        l->from_file = true;
        l->path = d->bytes;
        l->path_len = d->len;
        l->base = dir_of(s, file->name);
        if (d->len == 0)
            sema_error(s, d->loc, "a list file needs a path");
    }
    struct ectx c;
    uint32_t nl = 0;
    const_ctx(s, &c, &nl);
    for (struct ast_node *it = d->a; it; it = it->next) {
        if (re) {
            if (it->kind != AST_REGEX) {
                sema_error(s, it->loc, "a regexlist holds regular expressions (/.../)");
                continue;
            }
            sema_regex(s, it, SRC_LANG_RULES, false);
            it->sema.type = &sema_t_regex;
            SEMA_PUSH(s, l->regexes, l->nitems, it);
            continue;
        }
        sema_expr(&c, it);
        const struct sema_const *k = it->sema.cval;
        enum sema_list_kind ik = !k                     ? SEMA_LIST_NONE
                                 : k->type == SPU_T_STR ? SEMA_LIST_STR
                                 : k->type == SPU_T_IP  ? SEMA_LIST_IP
                                                        : SEMA_LIST_NONE;
        if (ik == SEMA_LIST_NONE) {
            sema_error(s, it->loc, "list items must be constant strings or addresses");
            continue;
        }
        if (l->kind != SEMA_LIST_NONE && ik != l->kind) {
            sema_error(s, it->loc, "a list holds strings or addresses, not both");
            continue;
        }
        l->kind = ik;
        SEMA_PUSH(s, l->items, l->nitems, k);
    }
    if (!re && !l->from_file && l->kind == SEMA_LIST_NONE)
        l->kind = SEMA_LIST_STR; /* an empty inline list */
    l->id = s->prog->nlists;
    d->sema.sym.list = l;
    SEMA_PUSH(s, s->prog->lists, s->prog->nlists, l);
}

static void declare_const(struct sema *s, struct ast_node *d)
{
    if (!name_free(s, d))
        return;
    struct sema_constdecl *k = sema_alloc(s, sizeof(*k));
    if (!k)
        return;
    struct ectx c;
    uint32_t nl = 0;
    const_ctx(s, &c, &nl);
    k->name = d->name;
    k->decl = d;
    unsigned errors = diag_errors(s->diag);
    k->type = sema_expr(&c, d->a);
    k->value = d->a->sema.cval;
    if (!k->value && diag_errors(s->diag) == errors) /* else reported already */
        sema_error(s, d->a->loc, "the value of const '%s' is not a constant expression%s",
                   d->name, d->a->kind == AST_CALL ? " (only pure built-ins with constant "
                                                      "arguments and a scalar result are "
                                                      "computed at compile time)" : "");
    d->sema.sym.konst = k;
    SEMA_PUSH(s, s->prog->consts, s->prog->nconsts, k);
}

/* Variables of flow { } and session { } blocks: typed, no initial value. */
static void declare_vars(struct sema *s, struct sema_layout *l, struct ast_node *vars,
                         const struct sema_session *sess)
{
    bool flow = sess == NULL;
    for (struct ast_node *v = vars; v; v = v->next) {
        const struct sema_field *f = sema_layout_field(l, v->name);
        if (f) {
            sema_dup(s, v->loc, f->decl->loc, flow ? "flow variable" : "session variable",
                     v->name);
            continue;
        }
        if (v->a || v->ival == SPU_T_ANY) {
            sema_error(s, v->loc, "%s variables are declared with a type and no value (they "
                       "start null)", flow ? "flow" : "session");
            continue;
        }
        if (flow && sema_flowkey_find(v->name, NULL) >= 0) {
            sema_error(s, v->loc, "flow variable '%s' would hide the connection field "
                       "flow.%s", v->name, v->name);
            continue;
        }
        f = sema_layout_add(s, l, v->name, sema_type_scalar((unsigned)v->ival), false,
                            SEMA_FIELD_DECLARED, v);
        if (!f)
            return;
        v->sema.layout = l;
        v->sema.index = f->index;
        v->sema.type = f->type;
        if (flow) {
            v->sema.ref = SEMA_REF_FLOWVAR;
            v->sema.sym.field = f;
        } else {
            v->sema.ref = SEMA_REF_SESSVAR;
            v->sema.sym.session = sess;
        }
    }
}

static void declare_session(struct sema *s, struct ast_node *d)
{
    if (!name_free(s, d))
        return;
    struct sema_session *ss = sema_alloc(s, sizeof(*ss));
    if (!ss)
        return;
    ss->name = d->name;
    ss->decl = d;
    ss->key = d->a;
    ss->ttl_ms = d->ival;
    ss->max = d->ival2;
    ss->layout = sema_layout_new(s, d->name, SEMA_LAYOUT_SESSION);
    if (!ss->layout)
        return;
    if (d->ival <= 0)
        sema_error(s, d->loc, "a session's ttl must be positive (30s, 30m, 1h...)");
    if (d->ival2 < 0)
        sema_error(s, d->loc, "a session's max must not be negative");
    declare_vars(s, ss->layout, d->b, ss);
    if (s->prog->nsessions >= SPU_MAX_SESSIONS)
        sema_error(s, d->loc, "too many sessions: a bundle holds at most %u", SPU_MAX_SESSIONS);
    ss->id = s->prog->nsessions;
    d->sema.sym.session = ss;
    SEMA_PUSH(s, s->prog->sessions, s->prog->nsessions, ss);
}

static void declare_output(struct sema *s, struct ast_node *d)
{
    if (!name_free(s, d))
        return;
    struct sema_output *o = sema_alloc(s, sizeof(*o));
    if (!o)
        return;
    o->name = d->name;
    o->decl = d;
    o->kind = (int)d->ival;
    o->path = d->bytes;
    o->path_len = d->len;
    if (d->len == 0)
        sema_error(s, d->loc, "an output needs a path");
    o->id = s->prog->noutputs;
    d->sema.sym.output = o;
    SEMA_PUSH(s, s->prog->outputs, s->prog->noutputs, o);
}

enum { QUEUE_MAX_CLASSES = 64, QUEUE_MAX_PRIORITY = 7 };

/* A queuing class: a rate in bits per second (kbit, mbit, gbit or a bare
 * number), a burst in bytes (KB, MB or a bare number; default a tenth of
 * a second at the rate, at least 3000 bytes) and a priority. */
static void declare_queue(struct sema *s, struct ast_node *d)
{
    if (!name_free(s, d))
        return;
    if (s->prog->nqueues >= QUEUE_MAX_CLASSES) {
        sema_error(s, d->loc, "too many queue classes (at most %d)", QUEUE_MAX_CLASSES);
        return;
    }
    struct sema_queue *q = sema_alloc(s, sizeof(*q));
    if (!q)
        return;
    q->name = d->name;
    q->decl = d;
    q->rate_bps = d->a->ival;
    if (d->a->ival2 != AST_UNIT_RATE && d->a->ival2 != AST_UNIT_NONE)
        sema_error(s, d->a->loc, "a queue's rate is in bits per second (2mbit, 500kbit, 1gbit)");
    else if (q->rate_bps < 8000 || q->rate_bps > INT64_C(100) * 1000 * 1000 * 1000)
        sema_error(s, d->a->loc, "a queue's rate must be between 8kbit and 100gbit");
    const struct ast_node *seen[2] = {0};
    for (const struct ast_node *o = d->b; o; o = o->next) {
        int k = strcmp(o->name, "burst") == 0 ? 0 : 1;
        if (seen[k]) {
            sema_dup(s, o->loc, seen[k]->loc, "queue option", o->name);
            continue;
        }
        seen[k] = o;
        if (k == 0) {
            q->burst = o->ival;
            if (o->ival2 != AST_UNIT_SIZE && o->ival2 != AST_UNIT_NONE)
                sema_error(s, o->loc, "a queue's burst is a size in bytes (16KB, 1MB)");
            else if (o->ival < 1500 || o->ival > 64 * 1024 * 1024)
                sema_error(s, o->loc, "a queue's burst must be between 1500 bytes and 64MB");
        } else {
            q->priority = o->ival;
            if (o->ival2 != AST_UNIT_NONE || o->ival > QUEUE_MAX_PRIORITY)
                sema_error(s, o->loc, "a queue's priority is 0 (first) to %d",
                           QUEUE_MAX_PRIORITY);
        }
    }
    if (!seen[0]) {
        q->burst = q->rate_bps / 80; /* a tenth of a second, in bytes */
        if (q->burst < 3000)
            q->burst = 3000;
        if (q->burst > 64 * 1024 * 1024)
            q->burst = 64 * 1024 * 1024;
    }
    q->id = s->prog->nqueues;
    d->sema.sym.queue = q;
    SEMA_PUSH(s, s->prog->queues, s->prog->nqueues, q);
}

/* "redis://HOST:PORT" with a port in 1..65535 (what spurun --state takes). */
static bool redis_url_ok(const uint8_t *b, uint32_t n)
{
    static const char pre[] = "redis://";
    size_t np = sizeof(pre) - 1;
    if (n <= np || memcmp(b, pre, np) != 0)
        return false;
    uint32_t i = (uint32_t)np, host = i;
    while (i < n && b[i] != ':' && b[i] != '/' && b[i] > ' ')
        i++;
    if (i == host || i >= n || b[i] != ':')
        return false;
    unsigned long port = 0;
    uint32_t digits = ++i;
    while (i < n && b[i] >= '0' && b[i] <= '9' && port <= 65535)
        port = port * 10 + (unsigned long)(b[i++] - '0');
    return i == n && i > digits && port >= 1 && port <= 65535;
}

static const char *state_kind_name(int k)
{
    return k == AST_STATE_LIST     ? "list"
           : k == AST_STATE_BUCKET ? "bucket"
           : k == AST_STATE_WINDOW ? "window"
                                   : "score";
}

/* `state KIND [NAME] in BACKEND;`: one backend per kind (per list for
 * lists) in the bundle; the same declaration in two files is kept once. */
static void declare_state(struct sema *s, struct ast_node *d)
{
    bool mem = d->len == 6 && memcmp(d->bytes, "memory", 6) == 0;
    if (!mem && !redis_url_ok(d->bytes, d->len)) {
        sema_error(s, d->loc, "a state backend is memory or \"redis://HOST:PORT\", not \"%.*s\"",
                   (int)d->len, (const char *)d->bytes);
        return;
    }
    if (d->ival == AST_STATE_LIST && (!d->name || !*d->name)) {
        sema_error(s, d->loc, "a state list needs a name");
        return;
    }
    for (uint32_t i = 0; i < s->prog->nstates; i++) {
        const struct sema_state *o = s->prog->states[i];
        if (o->kind != d->ival || (o->name && strcmp(o->name, d->name) != 0))
            continue;
        if (o->blen != d->len || memcmp(o->backend, d->bytes, d->len) != 0) {
            sema_error(s, d->loc, "state %s%s%s is already in \"%.*s\"", state_kind_name(o->kind),
                       o->name ? " " : "", o->name ? o->name : "", (int)o->blen,
                       (const char *)o->backend);
            sema_note(s, o->decl->loc, "declared here");
        }
        return;
    }
    struct sema_state *st = sema_alloc(s, sizeof(*st));
    if (!st)
        return;
    st->decl = d;
    st->kind = (int)d->ival;
    st->name = d->ival == AST_STATE_LIST ? d->name : NULL;
    st->backend = d->bytes;
    st->blen = d->len;
    SEMA_PUSH(s, s->prog->states, s->prog->nstates, st);
}

/* `message ends on E, ...;`: grammar events of imported protocols. Several
 * files may name the same event (each rule file that scores mail says
 * where a mail ends): the bundle keeps it once. */
static void declare_msg_end(struct sema *s, const struct ast_node *file, struct ast_node *d)
{
    for (struct ast_node *n = d->a; n; n = n->next) {
        struct sema_event *e = sema_find_event(s, n->name);
        if (!e || e->kind != SEMA_EVENT_GRAMMAR) {
            if (sema_rt_event_find(n->name) >= 0)
                sema_error(s, n->loc, "a message ends on a grammar event; '%s' is the runtime's",
                           n->name);
            else
                sema_error(s, n->loc, "unknown event '%s'", n->name);
            continue;
        }
        if (!imports(file, e->proto->name)) {
            sema_error(s, n->loc, "event %s belongs to protocol '%s', which this file does not "
                       "import (add 'import %s;')", e->name, e->proto->name, e->proto->name);
            continue;
        }
        bool dup = false;
        for (uint32_t k = 0; k < s->prog->nmsg_ends && !dup; k++)
            dup = s->prog->msg_ends[k] == e;
        n->sema.sym.event = e;
        if (!dup)
            SEMA_PUSH(s, s->prog->msg_ends, s->prog->nmsg_ends, e);
    }
}

static void rule_attrs(struct sema *s, struct sema_rule *r, const struct ast_node *d)
{
    const struct ast_node *seen[AST_ATTR__COUNT] = {0};
    r->gid = 1;
    r->rev = 1;
    for (const struct ast_node *a = d->a; a; a = a->next) {
        int k = (int)a->ival;
        bool many = k == AST_ATTR_REFERENCE || k == AST_ATTR_METADATA;
        if (!many && seen[k]) {
            sema_error(s, a->loc, "duplicate attribute '%s'", ast_attr_name(k));
            sema_note(s, seen[k]->loc, "previous definition is here");
            continue;
        }
        seen[k] = a;
        switch (k) {
        case AST_ATTR_GID:
        case AST_ATTR_SID:
        case AST_ATTR_REV:
            if (a->ival2 < 1 || a->ival2 > 0xffffffffLL) {
                sema_error(s, a->loc, "%s must be between 1 and 4294967295", ast_attr_name(k));
                break;
            }
            *(k == AST_ATTR_GID ? &r->gid : k == AST_ATTR_SID ? &r->sid : &r->rev) = a->ival2;
            break;
        case AST_ATTR_PRIORITY:
            if (a->ival2 < 1 || a->ival2 > 255)
                sema_error(s, a->loc, "priority must be between 1 and 255");
            else
                r->priority = a->ival2;
            break;
        case AST_ATTR_SCORE:
            r->score = a->ival2;
            break;
        case AST_ATTR_MSG:
            r->msg = a->bytes;
            r->msg_len = a->len;
            break;
        case AST_ATTR_CLASSTYPE:
            r->classtype = a->name;
            break;
        case AST_ATTR_REFERENCE: {
            struct sema_ref_attr ref = {a->name, a->bytes, a->len};
            SEMA_PUSH(s, r->refs, r->nrefs, ref);
            break;
        }
        case AST_ATTR_METADATA: {
            uint32_t n = r->nmeta;
            SEMA_PUSH(s, r->meta, r->nmeta, a->bytes);
            if (r->nmeta > n) {
                r->nmeta = n;
                SEMA_PUSH(s, r->meta_len, r->nmeta, a->len);
            }
            break;
        }
        default:
            break;
        }
    }
    if (!seen[AST_ATTR_SID])
        sema_error(s, d->loc, "rule has no sid");
}

/* ---- names in rule bodies ---- */

/* How the record of unit v relates to event e's record: it is e's own
 * (CUR), it encloses it (ANC), or it is its paired message (PAIR). */
static bool record_relation(const struct sema_event *e, const struct sema_unit *v,
                            enum sema_base *base)
{
    if (!e || e->kind != SEMA_EVENT_GRAMMAR)
        return false;
    if (v == e->unit) {
        *base = SEMA_BASE_CUR;
        return true;
    }
    if (sema_unit_encloses(v, e->unit)) {
        *base = SEMA_BASE_ANC;
        return true;
    }
    if (sema_unit_pairs(e->unit, v)) {
        *base = SEMA_BASE_PAIR;
        return true;
    }
    return false;
}

static const struct sema_type *as_record(struct ast_node *n, const struct sema_unit *v,
                                         enum sema_base base)
{
    n->sema.ref = SEMA_REF_NS_RECORD;
    n->sema.base = base;
    n->sema.layout = v->layout;
    n->sema.sym.unit = v;
    return &sema_t_ns;
}

const struct sema_type *sema_rule_name(struct ectx *c, struct ast_node *n)
{
    struct sema *s = c->s;
    const struct sema_event *e = c->event;
    struct sema_local *l = sema_scope_find(c, n->name);
    if (l) {
        n->sema.ref = SEMA_REF_LOCAL;
        n->sema.sym.local = l;
        n->sema.index = l->slot;
        return l->type;
    }
    if (e->kind == SEMA_EVENT_GRAMMAR)
        sema_unit_ensure(s, (struct sema_unit *)e->unit);
    const struct sema_field *f = sema_layout_field(e->layout, n->name);
    if (f) {
        n->sema.ref = SEMA_REF_FIELD;
        n->sema.base = SEMA_BASE_CUR;
        n->sema.sym.field = f;
        n->sema.layout = e->layout;
        n->sema.index = f->index;
        return f->type;
    }
    struct sema_constdecl *k = find_const(s, n->name);
    if (k) {
        n->sema.ref = SEMA_REF_CONST;
        n->sema.sym.konst = k;
        n->sema.cval = k->value;
        return k->type;
    }
    struct sema_list *li = find_list(s, n->name);
    if (li) {
        n->sema.ref = SEMA_REF_LIST;
        n->sema.sym.list = li;
        return sema_type_list(s, li->kind);
    }
    struct sema_session *ss = find_session(s, n->name);
    if (ss) {
        n->sema.ref = SEMA_REF_NS_SESSION;
        n->sema.sym.session = ss;
        return &sema_t_ns;
    }
    /* a record by its unit or message name: paired, enclosing (any protocol) */
    const struct sema_unit *found = NULL;
    enum sema_base fbase = SEMA_BASE_CUR;
    for (uint32_t i = 0; i < s->prog->nprotos; i++) {
        const struct sema_unit *v = sema_proto_unit(s->prog->protos[i], n->name);
        enum sema_base base;
        if (!v || !record_relation(e, v, &base))
            continue;
        if (found) {
            sema_error(s, n->loc, "'%s' is ambiguous: it names records of protocols '%s' and "
                       "'%s' (write PROTOCOL.%s)", n->name, found->proto->name, v->proto->name,
                       n->name);
            return &sema_t_any;
        }
        found = v;
        fbase = base;
    }
    if (found)
        return as_record(n, found, fbase);
    struct sema_proto *p = sema_find_proto(s, n->name);
    if (p) {
        n->sema.ref = SEMA_REF_NS_PROTO;
        n->sema.sym.proto = p;
        return &sema_t_ns;
    }
    if (c->want)
        sema_error(s, n->loc, "unknown %s '%s'", c->want, n->name);
    else
        sema_error(s, n->loc, "unknown name '%s' (not a field of event %s, a local variable, "
                   "a const, a list, a session, a record or a protocol)", n->name, e->name);
    return &sema_t_any;
}

/* A runtime event named by one word (packet): its record in a key. */
static const struct sema_event *key_runtime_event(struct sema *s, const char *name)
{
    int rt = sema_rt_event_find(name);
    const struct sema_event *e = rt >= 0 ? sema_rt_event(s, (unsigned)rt) : NULL;
    return e && e->layout ? e : NULL;
}

/* Session keys name fields canonically: PROTO.EVENT.path, EVENT.field for
 * a runtime event of one word (packet.src_ip), or flow.NAME; a key declared
 * 'on EVENT' also names the event's record and its pair by their message
 * names (request.cookies on http.response), as a rule on EVENT does. */
static const struct sema_type *key_name(struct ectx *c, struct ast_node *n)
{
    if (c->key_pair) {
        const struct sema_unit *found = NULL;
        enum sema_base fbase = SEMA_BASE_CUR;
        for (uint32_t i = 0; i < c->s->prog->nprotos; i++) {
            const struct sema_unit *v = sema_proto_unit(c->s->prog->protos[i], n->name);
            enum sema_base base;
            if (!v || !record_relation(c->event, v, &base) || base == SEMA_BASE_ANC)
                continue;
            if (found) {
                sema_error(c->s, n->loc, "'%s' is ambiguous: it names records of protocols "
                           "'%s' and '%s' (write PROTOCOL.%s)", n->name, found->proto->name,
                           v->proto->name, n->name);
                return &sema_t_any;
            }
            found = v;
            fbase = base;
        }
        if (found)
            return as_record(n, found, fbase);
    }
    struct sema_proto *p = sema_find_proto(c->s, n->name);
    if (p) {
        n->sema.ref = SEMA_REF_NS_PROTO;
        n->sema.sym.proto = p;
        return &sema_t_ns;
    }
    const struct sema_event *re = key_runtime_event(c->s, n->name);
    if (re) {
        n->sema.ref = SEMA_REF_NS_RECORD;
        n->sema.base = SEMA_BASE_CUR;
        n->sema.layout = re->layout;
        n->sema.sym.unit = NULL;
        return &sema_t_ns;
    }
    for (uint32_t i = 0; i < c->s->prog->nprotos; i++) {
        if (!sema_proto_unit(c->s->prog->protos[i], n->name))
            continue;
        if (c->key_pair)
            sema_error(c->s, n->loc, "record '%s' is neither the record of %s nor its pair",
                       n->name, c->event->name);
        else
            sema_error(c->s, n->loc, "a session key names records by name only when it is "
                       "declared on an event ('keyed by %s... on EVENT'); else canonically "
                       "(PROTO.EVENT.field)", n->name);
        return &sema_t_any;
    }
    sema_error(c->s, n->loc, "a session key names fields canonically "
               "(http.request.cookies[\"SID\"], flow.src_ip); '%s' is not a protocol", n->name);
    return &sema_t_any;
}

static const struct sema_type *proto_member(struct ectx *c, struct ast_node *n,
                                            const struct sema_proto *p)
{
    struct sema *s = c->s;
    const struct sema_event *e = c->event;
    char full[256];
    snprintf(full, sizeof(full), "%s.%s", p->name, n->name);
    const struct sema_event *ev = sema_find_event(s, full);
    const struct sema_unit *v = ev ? ev->unit : sema_proto_unit(p, n->name);
    enum sema_base base;
    if (v) {
        if (e && record_relation(e, v, &base) &&
            (!c->key_mode || base == SEMA_BASE_CUR || (c->key_pair && base == SEMA_BASE_PAIR)))
            return as_record(n, v, base);
        sema_error(s, n->loc, "%s '%s' is not reachable from %s (it neither is, encloses nor "
                   "pairs with its record)", ev ? "event" : "unit", full,
                   c->key_mode ? "this key" : sema_sprintf(s, "a rule on %s", e ? e->name : "?"));
        return &sema_t_any;
    }
    if (c->key_mode || !e || e->kind != SEMA_EVENT_GRAMMAR) {
        sema_error(s, n->loc, "protocol '%s' raises no event '%s'", p->name, full);
        return &sema_t_any;
    }
    /* a field of the (unique) record of p around the event */
    const struct sema_unit *found = NULL;
    for (uint32_t i = 0; i < p->nunits; i++) {
        const struct sema_unit *u = p->units[i];
        sema_unit_ensure(s, (struct sema_unit *)u);
        if (!sema_layout_field(u->layout, n->name) || !record_relation(e, u, &base) ||
            base == SEMA_BASE_PAIR)
            continue;
        if (found) {
            sema_error(s, n->loc, "'%s' is ambiguous: records '%s' and '%s' of protocol '%s' "
                       "both have it (write %s.UNIT.%s)", full, found->name, u->name, p->name,
                       p->name, n->name);
            return &sema_t_any;
        }
        found = u;
    }
    if (!found) {
        sema_error(s, n->loc, "no record of protocol '%s' around event %s has a field '%s'",
                   p->name, e->name, n->name);
        return &sema_t_any;
    }
    record_relation(e, found, &base);
    const struct sema_field *f = sema_layout_field(found->layout, n->name);
    n->sema.ref = base == SEMA_BASE_CUR ? SEMA_REF_FIELD : SEMA_REF_ANC_FIELD;
    n->sema.base = base;
    n->sema.sym.field = f;
    n->sema.layout = found->layout;
    n->sema.index = f->index;
    return f->type;
}

const struct sema_type *sema_rule_member(struct ectx *c, struct ast_node *n,
                                         struct ast_node *obj)
{
    struct sema *s = c->s;
    switch (obj->sema.ref) {
    case SEMA_REF_NS_FLOW: {
        const struct sema_field *f = sema_layout_field(s->prog->flow, n->name);
        if (f && !c->key_mode) {
            n->sema.ref = SEMA_REF_FLOWVAR;
            n->sema.sym.field = f;
            n->sema.layout = s->prog->flow;
            n->sema.index = f->index;
            return f->type;
        }
        const struct sema_type *t;
        int id = sema_flowkey_find(n->name, &t);
        if (id >= 0) {
            n->sema.ref = SEMA_REF_FLOWKEY;
            n->sema.index = (uint32_t)id;
            return t;
        }
        sema_error(s, n->loc, "unknown flow %s '%s'", c->key_mode ? "field" : "variable or field",
                   n->name);
        return &sema_t_any;
    }
    case SEMA_REF_NS_SESSION: {
        const struct sema_session *ss = obj->sema.sym.session;
        if (ss->key_event && ss->key_event != c->event) {
            sema_error(s, obj->loc, "session '%s' is keyed by a field of %s; it is not "
                       "available in a rule on %s", ss->name, ss->key_event->name,
                       c->event->name);
            return &sema_t_any;
        }
        const struct sema_field *f = sema_layout_field(ss->layout, n->name);
        if (!f) {
            sema_error(s, n->loc, "unknown variable '%s' in session '%s'", n->name, ss->name);
            return &sema_t_any;
        }
        n->sema.ref = SEMA_REF_SESSVAR;
        n->sema.sym.session = ss;
        n->sema.layout = ss->layout;
        n->sema.index = f->index;
        return f->type;
    }
    case SEMA_REF_NS_PROTO:
        return proto_member(c, n, obj->sema.sym.proto);
    default:
        sema_error(s, n->loc, "unknown field '%s'", n->name);
        return &sema_t_any;
    }
}

/* ---- sessions ---- */

/* The event a key reads: the PROTO.EVENT prefixes it uses (at most one). */
static void key_events(struct sema *s, const struct ast_node *n, const struct sema_event **ev,
                       bool *several)
{
    if (!n)
        return;
    if (n->kind == AST_MEMBER && n->a->kind == AST_NAME) {
        char full[256];
        snprintf(full, sizeof(full), "%s.%s", n->a->name, n->name);
        const struct sema_event *e = sema_find_event(s, full);
        if (!(e && e->kind == SEMA_EVENT_GRAMMAR))
            e = key_runtime_event(s, n->a->name);
        if (e) {
            if (*ev && *ev != e)
                *several = true;
            *ev = e;
        }
    }
    key_events(s, n->a, ev, several);
    key_events(s, n->b, ev, several);
    if (n->kind == AST_CALL)
        for (const struct ast_node *a = n->a; a; a = a->next)
            key_events(s, a->a, ev, several);
}

/* The event a key declared 'on EVENT' is computed on: a message's event,
 * whose record and pair the key may read. */
static const struct sema_event *key_on_event(struct sema *s, const struct ast_node *on)
{
    const struct sema_event *e = sema_find_event(s, on->name);
    if (!e && sema_rt_event_find(on->name) >= 0)
        e = sema_rt_event(s, (unsigned)sema_rt_event_find(on->name));
    if (!e) {
        sema_error(s, on->loc, "unknown event '%s'", on->name);
        return NULL;
    }
    if (e->kind != SEMA_EVENT_GRAMMAR) {
        sema_error(s, on->loc, "a session keyed 'on' an event reads a message and its pair; "
                   "%s is a runtime event (name its fields canonically: packet.src_ip)",
                   e->name);
        return NULL;
    }
    return e;
}

static void session_key(struct sema *s, struct ast_node *file, struct sema_session *ss)
{
    const struct sema_event *ev = NULL;
    bool several = false;
    const struct ast_node *on = ss->decl->c;
    if (on) {
        ev = key_on_event(s, on);
        if (!ev)
            return;
    } else {
        key_events(s, ss->key, &ev, &several);
        if (several) {
            sema_error(s, ss->key->loc, "a session key reads the fields of one event (or of "
                       "one message and its pair: 'keyed by request.X on http.response')");
            return;
        }
    }
    if (ev && ev->proto && !imports(file, ev->proto->name))
        sema_error(s, ss->key->loc, "event %s belongs to protocol '%s', which this file does "
                   "not import (add 'import %s;')", ev->name, ev->proto->name, ev->proto->name);
    ss->key_event = ev;
    struct rctx r;
    memset(&r, 0, sizeof(r));
    uint32_t nl = 0;
    r.e.s = s;
    r.e.lang = SRC_LANG_RULES;
    r.e.name = key_name;
    r.e.member = sema_rule_member;
    r.e.no_actions = true;
    r.e.key_mode = true;
    r.e.key_pair = on != NULL;
    r.e.event = ev;
    r.e.nlocals = &nl;
    const struct sema_type *t = sema_expr(&r.e, (struct ast_node *)ss->key);
    if (t->base != SPU_T_STR && t->base != SPU_T_INT && t->base != SPU_T_IP &&
        t->base != SPU_T_ANY) {
        char x[96];
        sema_error(s, ss->key->loc, "a session key must be a string, an int or an address; "
                   "this one is %s", sema_type_str(t, x, sizeof(x)));
    }
}

/* ---- rule bodies ---- */

static bool r_stmt(struct rctx *r, struct ast_node *st);

static bool r_stmt_of(struct ectx *e, struct ast_node *st)
{
    return r_stmt((struct rctx *)e, st); /* e is the first member */
}

static bool r_block(struct rctx *r, struct ast_node *blk)
{
    return sema_block(&r->e, blk, r_stmt_of);
}

/* A statement that is not a block: its own scope, like a block. */
static bool r_sub(struct rctx *r, struct ast_node *st)
{
    if (st->kind == AST_BLOCK)
        return r_block(r, st);
    struct scope *saved = r->e.scope, *saved_block = r->e.block;
    r->e.block = r->e.scope;
    bool t = r_stmt(r, st);
    r->e.scope = saved;
    r->e.block = saved_block;
    return t;
}

static void r_assign(struct rctx *r, struct ast_node *as)
{
    struct sema *s = r->e.s;
    struct ast_node *tgt = as->a;
    const struct sema_type *vt = sema_expr(&r->e, as->b);
    const struct sema_type *tt = sema_expr(&r->e, tgt);
    enum sema_ref ref = tgt->sema.ref;
    if (ref != SEMA_REF_LOCAL && ref != SEMA_REF_FLOWVAR && ref != SEMA_REF_SESSVAR) {
        if (tt->base == SPU_T_ANY)
            return; /* already reported (an unknown name, a name that is not a value) */
        const char *what = ref == SEMA_REF_FIELD || ref == SEMA_REF_ANC_FIELD ||
                                   ref == SEMA_REF_PAIR_FIELD || ref == SEMA_REF_MEMBER
                               ? "event fields are read-only"
                           : ref == SEMA_REF_CONST   ? "it is a const"
                           : ref == SEMA_REF_FLOWKEY ? "it is a connection field (read-only)"
                                                     : "only locals, flow and session variables "
                                                       "can be assigned";
        sema_error(s, tgt->loc, "cannot assign to this: %s", what);
        return;
    }
    if (as->op == AST_OP_ASSIGN) {
        if (!sema_assignable(tt, vt)) {
            const char *what = ref == SEMA_REF_LOCAL ? sema_sprintf(s, "'%s'", tgt->name)
                               : ref == SEMA_REF_FLOWVAR
                                   ? sema_sprintf(s, "'flow.%s'", tgt->name)
                                   : sema_sprintf(s, "'%s.%s'", tgt->sema.sym.session->name,
                                                  tgt->name);
            sema_assign_mismatch(s, as->b->loc, what, tt, vt);
        }
        return;
    }
    if ((tt->base != SPU_T_INT && tt->base != SPU_T_ANY) ||
        (vt->base != SPU_T_INT && vt->base != SPU_T_ANY)) {
        char x[96], y[96];
        sema_error(s, as->loc, "type mismatch: cannot apply '%s' to %s and %s",
                   ast_op_text(as->op), sema_type_str(tt, x, sizeof(x)),
                   sema_type_str(vt, y, sizeof(y)));
    }
}

static bool r_stmt(struct rctx *r, struct ast_node *st)
{
    struct sema *s = r->e.s;
    st->sema.flags |= SEMA_F_CHECKED;
    switch (st->kind) {
    case AST_BLOCK:
        return r_block(r, st);
    case AST_VAR:
        sema_var_declare(&r->e, st);
        return false;
    case AST_EXPR_STMT:
        if (st->a->kind != AST_CALL) {
            sema_expr(&r->e, st->a);
            sema_error(s, st->loc, "only calls can be used as statements");
            return false;
        }
        sema_expr(&r->e, st->a);
        if (st->a->sema.ref == SEMA_REF_BUILTIN &&
            (spu_builtins[st->a->sema.index].flags & SPU_BIF_PURE))
            sema_warning(s, st->loc, "the result of '%s' is unused", st->a->name);
        return false;
    case AST_ASSIGN:
        r_assign(r, st);
        return false;
    case AST_IF: {
        sema_cond(&r->e, st->a);
        bool t1 = r_sub(r, st->b);
        bool t2 = st->c ? r_sub(r, st->c) : false;
        return st->c && t1 && t2;
    }
    case AST_FOR: {
        const struct sema_type *it = sema_expr(&r->e, st->a);
        const struct sema_type *et = &sema_t_any;
        if (it->base == SPU_T_ARR) {
            et = it->elem;
        } else if (it->base != SPU_T_ANY) {
            char x[96];
            sema_error(s, st->a->loc, "for iterates over an array; this is %s",
                       sema_type_str(it, x, sizeof(x)));
        }
        struct scope *saved = r->e.scope, *saved_block = r->e.block;
        r->e.block = r->e.scope;
        struct sema_local *l = sema_scope_add(&r->e, st->name, et, st, false);
        if (l) {
            st->sema.ref = SEMA_REF_LOCAL;
            st->sema.sym.local = l;
            st->sema.index = l->slot;
            st->sema.type = et;
        }
        struct loop lp = {st, r->e.loops};
        r->e.loops = &lp;
        r_sub(r, st->b);
        r->e.loops = lp.up;
        r->e.scope = saved;
        r->e.block = saved_block;
        return false;
    }
    case AST_BREAK:
    case AST_CONTINUE:
        if (!r->e.loops)
            sema_error(s, st->loc, "'%s' outside a loop",
                       st->kind == AST_BREAK ? "break" : "continue");
        return true;
    case AST_RETURN:
        return true;
    default:
        return false;
    }
}

static void check_rule(struct sema *s, struct ast_node *file, struct sema_rule *r)
{
    const struct ast_node *d = r->decl;
    const char *ename = d->b->name;
    struct sema_event *e = sema_find_event(s, ename);
    if (!e) {
        int rt = sema_rt_event_find(ename);
        if (rt >= 0)
            e = sema_rt_event(s, (unsigned)rt);
    }
    if (!e) {
        const char *dot = strchr(ename, '.');
        struct sema_proto *p = dot ? sema_find_proto(s, sema_strndup(s, ename,
                                                                     (size_t)(dot - ename)))
                                   : NULL;
        sema_error(s, d->b->loc, "unknown event '%s'", ename);
        if (p && p->nevents) {
            char list[256];
            size_t k = 0;
            for (uint32_t i = 0; i < p->nevents && k + 2 < sizeof(list); i++)
                k += (size_t)snprintf(list + k, sizeof(list) - k, "%s%s", i ? ", " : "",
                                      p->events[i]->name);
            sema_note(s, p->decl->loc, "protocol '%s' raises %s", p->name, list);
        }
        return;
    }
    if (e->kind == SEMA_EVENT_GRAMMAR && !imports(file, e->proto->name))
        sema_error(s, d->b->loc, "event %s belongs to protocol '%s', which this file does not "
                   "import (add 'import %s;')", e->name, e->proto->name, e->proto->name);
    r->event = e;
    d->b->sema.sym.event = e;
    if (r->score && e->kind != SEMA_EVENT_GRAMMAR)
        sema_error(s, d->b->loc, "'score' adds to a message's spam score, and the runtime event "
                   "%s belongs to no message", e->name);
    else if (r->score && !s->prog->nmsg_ends)
        sema_error(s, d->b->loc, "'score' needs to know where a message ends: declare "
                   "'message ends on EVENT, ...;' (rules/mail.spr)");
    struct rctx rc;
    memset(&rc, 0, sizeof(rc));
    rc.e.s = s;
    rc.e.lang = SRC_LANG_RULES;
    rc.e.name = sema_rule_name;
    rc.e.member = sema_rule_member;
    rc.e.event = e;
    rc.e.nlocals = &r->nlocals;
    r_block(&rc, d->c);
}

static int cmp_rule_id(const void *a, const void *b)
{
    const struct sema_rule *x = *(const struct sema_rule *const *)a;
    const struct sema_rule *y = *(const struct sema_rule *const *)b;
    if (x->gid != y->gid)
        return x->gid < y->gid ? -1 : 1;
    if (x->sid != y->sid)
        return x->sid < y->sid ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static void unique_ids(struct sema *s)
{
    uint32_t n = s->prog->nrules;
    if (n < 2)
        return;
    struct sema_rule **v = malloc(sizeof(*v) * n);
    if (!v) {
        s->nomem = true;
        return;
    }
    memcpy(v, s->prog->rules, sizeof(*v) * n);
    qsort(v, n, sizeof(*v), cmp_rule_id);
    for (uint32_t i = 1; i < n; i++) {
        if (v[i]->sid == 0 || v[i]->sid != v[i - 1]->sid || v[i]->gid != v[i - 1]->gid)
            continue;
        uint32_t first = i - 1;
        while (first > 0 && v[first - 1]->sid == v[i]->sid && v[first - 1]->gid == v[i]->gid)
            first--;
        sema_error(s, v[i]->decl->loc, "duplicate rule id (gid %lld, sid %lld)",
                   (long long)v[i]->gid, (long long)v[i]->sid);
        sema_note(s, v[first]->decl->loc, "first used here");
    }
    free(v);
}

void sema_rules(struct sema *s)
{
    for (unsigned i = 0; i < s->nfiles; i++) {
        struct ast_node *f = s->files[i];
        if (!f || f->ival != SRC_LANG_RULES)
            continue;
        for (struct ast_node *d = f->a; d; d = d->next) {
            switch (d->kind) {
            case AST_LIST:
            case AST_REGEXLIST:
                declare_list(s, f, d);
                break;
            case AST_CONST:
                declare_const(s, d);
                break;
            case AST_FLOW:
                if (!s->prog->flow)
                    s->prog->flow = sema_layout_new(s, "flow", SEMA_LAYOUT_FLOW);
                if (s->prog->flow)
                    declare_vars(s, s->prog->flow, d->a, NULL);
                break;
            case AST_SESSION:
                declare_session(s, d);
                break;
            case AST_OUTPUT:
                declare_output(s, d);
                break;
            case AST_QUEUE:
                declare_queue(s, d);
                break;
            case AST_MSGEND:
                declare_msg_end(s, f, d);
                break;
            case AST_STATEDECL:
                declare_state(s, d);
                break;
            case AST_RULE: {
                struct sema_rule *r = sema_alloc(s, sizeof(*r));
                if (!r)
                    return;
                r->decl = d;
                r->path = f->name;
                r->id = s->prog->nrules;
                rule_attrs(s, r, d);
                SEMA_PUSH(s, s->prog->rules, s->prog->nrules, r);
                break;
            }
            default:
                break;
            }
        }
    }
    for (unsigned i = 0; i < s->nfiles; i++) {
        struct ast_node *f = s->files[i];
        if (!f || f->ival != SRC_LANG_RULES)
            continue;
        for (struct ast_node *d = f->a; d; d = d->next)
            if (d->kind == AST_SESSION && d->sema.sym.session)
                session_key(s, f, (struct sema_session *)d->sema.sym.session);
    }
    uint32_t k = 0;
    for (unsigned i = 0; i < s->nfiles && !diag_stop(s->diag); i++) {
        struct ast_node *f = s->files[i];
        if (!f || f->ival != SRC_LANG_RULES)
            continue;
        for (struct ast_node *d = f->a; d && !diag_stop(s->diag); d = d->next)
            if (d->kind == AST_RULE && k < s->prog->nrules)
                check_rule(s, f, s->prog->rules[k++]);
    }
    unique_ids(s);
}

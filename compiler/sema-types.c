/* sema-types.c - types, record layouts, stdlib and runtime records, constants. */
#include "sema-int.h"

#include "arena.h"
#include "err.h"

#include <stdio.h>
#include <string.h>

const struct sema_type sema_t_null = {.base = SPU_T_NULL};
const struct sema_type sema_t_bool = {.base = SPU_T_BOOL};
const struct sema_type sema_t_int = {.base = SPU_T_INT};
const struct sema_type sema_t_str = {.base = SPU_T_STR};
const struct sema_type sema_t_ip = {.base = SPU_T_IP};
const struct sema_type sema_t_regex = {.base = SPU_T_REGEX};
const struct sema_type sema_t_any = {.base = SPU_T_ANY};
const struct sema_type sema_t_ns = {.base = SEMA_T_NS};

const struct sema_type *sema_type_scalar(unsigned base)
{
    switch (base) {
    case SPU_T_NULL: return &sema_t_null;
    case SPU_T_BOOL: return &sema_t_bool;
    case SPU_T_INT: return &sema_t_int;
    case SPU_T_STR: return &sema_t_str;
    case SPU_T_IP: return &sema_t_ip;
    case SPU_T_REGEX: return &sema_t_regex;
    default: return &sema_t_any;
    }
}

const struct sema_type *sema_type_arr(struct sema *s, const struct sema_type *elem)
{
    struct sema_type *t = sema_alloc(s, sizeof(*t));
    if (!t)
        return &sema_t_any;
    t->base = SPU_T_ARR;
    t->elem = elem;
    return t;
}

const struct sema_type *sema_type_rec(struct sema *s, const struct sema_layout *l)
{
    struct sema_type *t = sema_alloc(s, sizeof(*t));
    if (!t)
        return &sema_t_any;
    t->base = SPU_T_REC;
    t->layout = l;
    return t;
}

const struct sema_type *sema_type_list(struct sema *s, enum sema_list_kind k)
{
    struct sema_type *t = sema_alloc(s, sizeof(*t));
    if (!t)
        return &sema_t_any;
    t->base = SPU_T_LIST;
    t->list_kind = (uint8_t)k;
    return t;
}

const struct sema_type *sema_type_parse(struct sema *s, const char *text)
{
    size_t n = strlen(text);
    if (n > 2 && strcmp(text + n - 2, "[]") == 0) {
        char inner[32];
        if (n - 2 >= sizeof(inner))
            return NULL;
        memcpy(inner, text, n - 2);
        inner[n - 2] = '\0';
        const struct sema_type *e = sema_type_parse(s, inner);
        return e ? sema_type_arr(s, e) : NULL;
    }
    static const struct {
        const char *name;
        unsigned base;
    } scalars[] = {{"bool", SPU_T_BOOL}, {"int", SPU_T_INT},     {"string", SPU_T_STR},
                   {"ip", SPU_T_IP},     {"regex", SPU_T_REGEX}, {"any", SPU_T_ANY}};
    for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++)
        if (strcmp(text, scalars[i].name) == 0)
            return sema_type_scalar(scalars[i].base);
    if (strcmp(text, "list") == 0)
        return sema_type_list(s, SEMA_LIST_NONE);
    for (unsigned i = 0; i < SPU_REC__COUNT; i++)
        if (s->std[i] && strcmp(text, s->std[i]->name) == 0)
            return sema_type_rec(s, s->std[i]);
    return NULL;
}

bool sema_type_eq(const struct sema_type *a, const struct sema_type *b)
{
    if (a == b)
        return true;
    if (!a || !b || a->base != b->base)
        return false;
    switch (a->base) {
    case SPU_T_ARR:
        return sema_type_eq(a->elem, b->elem);
    case SPU_T_REC:
        return a->layout == b->layout;
    case SPU_T_LIST:
        return a->list_kind == b->list_kind;
    default:
        return true;
    }
}

bool sema_assignable(const struct sema_type *dst, const struct sema_type *src)
{
    if (dst->base == SPU_T_ANY || src->base == SPU_T_ANY || src->base == SPU_T_NULL)
        return true;
    if (dst->base != src->base)
        return false;
    switch (dst->base) {
    case SPU_T_ARR:
        return sema_assignable(dst->elem, src->elem) && sema_assignable(src->elem, dst->elem);
    case SPU_T_REC:
        return dst->layout == src->layout;
    case SPU_T_LIST:
        return dst->list_kind == SEMA_LIST_NONE || src->list_kind == SEMA_LIST_NONE ||
               dst->list_kind == src->list_kind;
    default:
        return true;
    }
}

const char *sema_type_str(const struct sema_type *t, char *buf, size_t n)
{
    if (!t) {
        snprintf(buf, n, "?");
        return buf;
    }
    switch (t->base) {
    case SPU_T_ARR: {
        char inner[96];
        sema_type_str(t->elem, inner, sizeof(inner));
        snprintf(buf, n, "%s[]", inner);
        break;
    }
    case SPU_T_REC:
        snprintf(buf, n, "%s", t->layout ? t->layout->name : "record");
        break;
    case SPU_T_LIST:
        snprintf(buf, n, "%s", t->list_kind == SEMA_LIST_STR     ? "list<string>"
                               : t->list_kind == SEMA_LIST_IP    ? "list<ip>"
                               : t->list_kind == SEMA_LIST_REGEX ? "list<regex>"
                                                                 : "list");
        break;
    case SEMA_T_NS:
        snprintf(buf, n, "name");
        break;
    default:
        snprintf(buf, n, "%s", spu_type_name(t->base));
        break;
    }
    return buf;
}

struct sema_layout *sema_layout_new(struct sema *s, const char *name, enum sema_layout_kind kind)
{
    struct sema_layout *l = sema_alloc(s, sizeof(*l));
    if (!l)
        return NULL;
    l->name = name;
    l->kind = kind;
    l->map_key = l->map_value = -1;
    if (kind != SEMA_LAYOUT_STD) {
        l->id = s->prog->nlayouts;
        SEMA_PUSH(s, s->prog->layouts, s->prog->nlayouts, l);
    }
    return l;
}

const struct sema_field *sema_layout_field(const struct sema_layout *l, const char *name)
{
    for (uint32_t i = 0; l && i < l->nfields; i++)
        if (strcmp(l->fields[i]->name, name) == 0)
            return l->fields[i];
    return NULL;
}

struct sema_field *sema_layout_add(struct sema *s, struct sema_layout *l, const char *name,
                                   const struct sema_type *type, bool array,
                                   enum sema_field_origin origin, const struct ast_node *decl)
{
    struct sema_field *f = sema_alloc(s, sizeof(*f));
    if (!f)
        return NULL;
    f->name = name;
    f->index = l->nfields;
    f->type = array ? sema_type_arr(s, type) : type;
    f->array = array;
    f->origin = origin;
    f->decl = decl;
    uint32_t before = l->nfields;
    SEMA_PUSH(s, l->fields, l->nfields, f);
    return l->nfields > before ? f : NULL;
}

/* Fill a layout from a "name:type, ..." table signature. */
static void layout_from_sig(struct sema *s, struct sema_layout *l, const char *sig)
{
    struct spu_sig_param p[SPU_MAX_SIG_PARAMS * 2];
    int n = spu_sig_parse(sig, p, SPU_MAX_SIG_PARAMS * 2);
    for (int i = 0; i < n; i++) {
        const struct sema_type *t = sema_type_parse(s, p[i].type);
        sema_layout_add(s, l, sema_strndup(s, p[i].name, strlen(p[i].name)),
                        t ? t : &sema_t_any, false, SEMA_FIELD_DECLARED, NULL);
    }
}

void sema_types_init(struct sema *s)
{
    /* stdlib records first: their field types may name each other
     * (url.params is param[]), so create them all, then fill them */
    for (unsigned i = 0; i < SPU_REC__COUNT; i++) {
        const struct spu_std_record *r = &spu_std_records[i];
        s->std[i] = sema_layout_new(s, r->layout.name, SEMA_LAYOUT_STD);
        if (!s->std[i])
            return;
        s->std[i]->id = r->layout.id;
        s->std[i]->map_key = r->layout.map_key;
        s->std[i]->map_value = r->layout.map_value;
    }
    for (unsigned i = 0; i < SPU_REC__COUNT; i++)
        layout_from_sig(s, s->std[i], spu_std_records[i].fields);
    for (unsigned i = 0; i < SPU_BI__COUNT; i++) {
        struct sema_sig *g = &s->sigs[i];
        g->n = spu_sig_parse(spu_builtins[i].params, g->p, SPU_MAX_SIG_PARAMS);
        for (int k = 0; k < g->n; k++) {
            g->ptype[k] = sema_type_parse(s, g->p[k].type);
            if (!g->ptype[k])
                g->ptype[k] = &sema_t_any;
        }
        g->ret = sema_type_parse(s, spu_builtins[i].ret);
        if (!g->ret)
            g->ret = &sema_t_any;
    }
}

/* ---- runtime events and flow keys (events.def) ---- */

static const struct {
    const char *name;
    const char *fields;
} rt_table[] = {
#define RT_EVENT(id, name, fields) {name, fields},
#include "events.def"
#undef RT_EVENT
};
#define NRT (sizeof(rt_table) / sizeof(rt_table[0]))

static const struct {
    const char *name;
    unsigned type;
} flowkeys[] = {
#define FLOWKEY(id, name, type) {name, SPU_T_##type},
#include "events.def"
#undef FLOWKEY
};

int sema_rt_event_find(const char *name)
{
    for (unsigned i = 0; i < NRT; i++)
        if (strcmp(rt_table[i].name, name) == 0)
            return (int)i;
    return -1;
}

struct sema_event *sema_rt_event(struct sema *s, unsigned rt_id)
{
    if (rt_id >= NRT)
        return NULL;
    if (!s->rt_events) {
        s->rt_events = sema_alloc(s, sizeof(*s->rt_events) * NRT);
        if (!s->rt_events)
            return NULL;
        s->nrt = NRT;
    }
    if (s->rt_events[rt_id])
        return s->rt_events[rt_id];
    struct sema_event *e = sema_alloc(s, sizeof(*e));
    struct sema_layout *l = sema_layout_new(s, rt_table[rt_id].name, SEMA_LAYOUT_RTEVENT);
    if (!e || !l)
        return NULL;
    layout_from_sig(s, l, rt_table[rt_id].fields);
    e->name = rt_table[rt_id].name;
    e->kind = SEMA_EVENT_RUNTIME;
    e->rt_id = (int)rt_id;
    e->layout = l;
    e->id = s->prog->nevents;
    SEMA_PUSH(s, s->prog->events, s->prog->nevents, e);
    s->rt_events[rt_id] = e;
    return e;
}

int sema_flowkey_find(const char *name, const struct sema_type **type)
{
    for (unsigned i = 0; i < sizeof(flowkeys) / sizeof(flowkeys[0]); i++)
        if (strcmp(flowkeys[i].name, name) == 0) {
            if (type)
                *type = sema_type_scalar(flowkeys[i].type);
            return (int)i;
        }
    return -1;
}

const char *sema_flowkey_name(unsigned id)
{
    return id < sizeof(flowkeys) / sizeof(flowkeys[0]) ? flowkeys[id].name : "?";
}

/* ---- constants ---- */

static struct sema_const *const_new(struct sema *s, uint8_t type)
{
    struct sema_const *c = sema_alloc(s, sizeof(*c));
    if (c)
        c->type = type;
    return c;
}

const struct sema_const *sema_const_int(struct sema *s, int64_t v)
{
    struct sema_const *c = const_new(s, SPU_T_INT);
    if (c)
        c->i = v;
    return c;
}

const struct sema_const *sema_const_bool(struct sema *s, bool v)
{
    struct sema_const *c = const_new(s, SPU_T_BOOL);
    if (c)
        c->i = v ? 1 : 0;
    return c;
}

const struct sema_const *sema_const_str(struct sema *s, const uint8_t *p, uint32_t len)
{
    struct sema_const *c = const_new(s, SPU_T_STR);
    if (c) {
        c->s = p;
        c->len = len;
    }
    return c;
}

const struct sema_const *sema_const_null(struct sema *s)
{
    return const_new(s, SPU_T_NULL);
}

const struct sema_const *sema_const_ip(struct sema *s, const uint8_t ip[16], uint16_t family,
                                       uint32_t prefix)
{
    struct sema_const *c = const_new(s, SPU_T_IP);
    if (c) {
        c->s = ip;
        c->family = family;
        c->len = prefix;
    }
    return c;
}

const struct sema_type *sema_const_type(const struct sema_const *c)
{
    return sema_type_scalar(c->type);
}

void sema_bytes_print(FILE *out, const uint8_t *p, uint32_t n)
{
    fputc('"', out);
    for (uint32_t i = 0; i < n; i++) {
        unsigned char ch = p[i];
        if (ch == '"' || ch == '\\')
            fprintf(out, "\\%c", ch);
        else if (ch == '\n')
            fputs("\\n", out);
        else if (ch == '\r')
            fputs("\\r", out);
        else if (ch == '\t')
            fputs("\\t", out);
        else if (ch < 0x20 || ch >= 0x7f)
            fprintf(out, "\\x%02x", ch);
        else
            fputc(ch, out);
    }
    fputc('"', out);
}

void sema_pattern_print(FILE *out, const struct ast_node *pattern)
{
    if (pattern->kind == AST_REGEX) {
        fprintf(out, "/%.*s/%s", (int)pattern->len, (const char *)pattern->bytes,
                pattern->name ? pattern->name : "");
        return;
    }
    sema_bytes_print(out, pattern->bytes, pattern->len);
    if (pattern->flags & AST_F_NOCASE)
        fputc('i', out);
}

void sema_const_print(FILE *out, const struct sema_const *c)
{
    switch (c->type) {
    case SPU_T_NULL:
        fputs("null", out);
        break;
    case SPU_T_BOOL:
        fputs(c->i ? "true" : "false", out);
        break;
    case SPU_T_INT:
        fprintf(out, "%lld", (long long)c->i);
        break;
    case SPU_T_STR:
        sema_bytes_print(out, c->s, c->len);
        break;
    case SPU_T_IP: {
        char buf[64];
        if (spu_ip_format(c->s, c->family, buf, sizeof(buf)) != SPU_OK)
            snprintf(buf, sizeof(buf), "?");
        fputs(buf, out);
        if (c->len != (c->family == 4 ? 32u : 128u))
            fprintf(out, "/%u", c->len);
        break;
    }
    default:
        fputs("?", out);
        break;
    }
}

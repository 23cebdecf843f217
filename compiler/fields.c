/* fields.c - every event with its fields and types, in Markdown (see tools.h). */
#include "tools.h"

#include "builtin-api.h"
#include "bundle-format.h"
#include "bundle-view.h"
#include "err.h"
#include "value.h"

#include <stdbool.h>
#include <string.h>

#define MAX_DEPTH 8

static const struct {
    const char *name, *fields;
} rt_events[] = {
#define RT_EVENT(id, name, fields) {name, fields},
#include "events.def"
#undef RT_EVENT
};

static const struct {
    const char *name;
    unsigned type;
} flowkeys[] = {
#define FLOWKEY(id, name, type) {name, SPU_T_##type},
#include "events.def"
#undef FLOWKEY
};

/* Copy at most n - 1 bytes of s (len bytes) and a NUL. */
static void cpy(char *d, size_t n, const char *s, size_t len)
{
    if (len > n - 1)
        len = n - 1;
    memcpy(d, s, len);
    d[len] = '\0';
}

/* One field, whatever table it comes from. */
struct fld {
    char name[64];
    char type[64];   /* readable type, "header[]" */
    bool array;
    uint32_t sub;    /* record layout (bundle index or SPU_LAYOUT_STD|id), or SPU_NONE */
    bool map;        /* sub is a map record */
    char map_key[32], map_value[32];
};

static int std_find(const char *name, size_t n)
{
    for (unsigned i = 0; i < SPU_REC__COUNT; i++)
        if (strlen(spu_std_records[i].layout.name) == n &&
            strncmp(spu_std_records[i].layout.name, name, n) == 0)
            return (int)i;
    return -1;
}

/* Fields of a stdlib record, parsed from records.def. */
static int std_fields(unsigned id, struct spu_sig_param *p)
{
    return spu_sig_parse(spu_std_records[id].fields, p, SPU_MAX_SIG_PARAMS);
}

static void fld_from_sig(struct fld *f, const struct spu_sig_param *p)
{
    memset(f, 0, sizeof(*f));
    cpy(f->name, sizeof(f->name), p->name, strlen(p->name));
    cpy(f->type, sizeof(f->type), p->type, strlen(p->type));
    size_t n = strlen(p->type);
    f->array = n > 2 && strcmp(p->type + n - 2, "[]") == 0;
    int s = std_find(p->type, f->array ? n - 2 : n);
    f->sub = s >= 0 ? SPU_LAYOUT_STD | (uint32_t)s : SPU_NONE;
    if (s >= 0 && spu_std_records[s].layout.map_key >= 0) {
        struct spu_sig_param q[SPU_MAX_SIG_PARAMS];
        int k = std_fields((unsigned)s, q);
        if (k > spu_std_records[s].layout.map_key && k > spu_std_records[s].layout.map_value) {
            f->map = true;
            const char *kn = q[spu_std_records[s].layout.map_key].name;
            const char *vn = q[spu_std_records[s].layout.map_value].name;
            cpy(f->map_key, sizeof(f->map_key), kn, strlen(kn));
            cpy(f->map_value, sizeof(f->map_value), vn, strlen(vn));
        }
    }
}

static const char *lname(const struct spu_bview *v, uint32_t l, char *buf, size_t n)
{
    if (l & SPU_LAYOUT_STD)
        return spu_std_records[l & ~SPU_LAYOUT_STD].layout.name;
    snprintf(buf, n, "%.*s", (int)v->layouts[l].name.len, spu_bview_str(v, v->layouts[l].name));
    return buf;
}

static void fld_from_bundle(const struct spu_bview *v, const struct spu_bfield *bf, struct fld *f)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->name, sizeof(f->name), "%.*s", (int)bf->name.len, spu_bview_str(v, bf->name));
    f->array = (bf->flags & SPU_FF_ARRAY) != 0;
    f->sub = bf->type == SPU_T_REC ? bf->sub : SPU_NONE;
    char ln[64];
    const char *base = f->sub != SPU_NONE ? lname(v, f->sub, ln, sizeof(ln)) : spu_type_name(bf->type);
    cpy(f->type, sizeof(f->type) - 2, base, strlen(base));
    if (f->array)
        strcat(f->type, "[]");
    if (f->sub != SPU_NONE && !(f->sub & SPU_LAYOUT_STD) && (v->layouts[f->sub].flags & SPU_LF_MAP)) {
        const struct spu_blayout *l = &v->layouts[f->sub];
        const struct spu_bfield *k = &v->fields[l->first_field + l->map_key];
        const struct spu_bfield *val = &v->fields[l->first_field + l->map_value];
        f->map = true;
        cpy(f->map_key, sizeof(f->map_key), spu_bview_str(v, k->name), k->name.len);
        cpy(f->map_value, sizeof(f->map_value), spu_bview_str(v, val->name), val->name.len);
    } else if (f->sub != SPU_NONE && (f->sub & SPU_LAYOUT_STD)) {
        struct spu_sig_param p = {0};
        cpy(p.name, sizeof(p.name), f->name, strlen(f->name));
        cpy(p.type, sizeof(p.type), f->type, strlen(f->type));
        fld_from_sig(f, &p);
    }
}

/* The fields of layout l into out (at most cap); returns the count. */
static uint32_t layout_fields(const struct spu_bview *v, uint32_t l, struct fld *out, uint32_t cap)
{
    if (l & SPU_LAYOUT_STD) {
        struct spu_sig_param p[SPU_MAX_SIG_PARAMS];
        int n = std_fields(l & ~SPU_LAYOUT_STD, p);
        uint32_t k = 0;
        for (int i = 0; i < n && k < cap; i++)
            fld_from_sig(&out[k++], &p[i]);
        return k;
    }
    const struct spu_blayout *lay = &v->layouts[l];
    uint32_t k = 0;
    for (uint32_t i = 0; i < lay->nfields && k < cap; i++)
        fld_from_bundle(v, &v->fields[lay->first_field + i], &out[k++]);
    return k;
}

static void rows(FILE *out, const struct spu_bview *v, const char *prefix, uint32_t layout,
                 uint32_t *path, unsigned depth)
{
    struct fld fs[64];
    uint32_t n = layout_fields(v, layout, fs, 64);
    path[depth] = layout;
    for (uint32_t i = 0; i < n; i++) {
        const struct fld *f = &fs[i];
        char name[512];
        snprintf(name, sizeof(name), "%.400s.%.64s", prefix, f->name);
        fprintf(out, "| `%s` | %s", name, f->type);
        if (f->map)
            fprintf(out, " (`%s[\"%s\"]` is the `%s` of the first element whose `%s` matches, "
                    "case-insensitively)", f->name, f->map_key, f->map_value, f->map_key);
        fputs(" |\n", out);
        if (f->sub == SPU_NONE || depth + 1 >= MAX_DEPTH)
            continue;
        bool seen = false;
        for (unsigned d = 0; d <= depth; d++)
            seen |= path[d] == f->sub;
        if (seen)
            continue; /* a record inside itself: its fields are listed above */
        char sub[520];
        snprintf(sub, sizeof(sub), "%.500s%s", name, f->array ? "[]" : "");
        rows(out, v, sub, f->sub, path, depth + 1);
    }
}

static void header(FILE *out)
{
    fputs("| field | type |\n|---|---|\n", out);
}

int spuc_fields(FILE *out, const struct spu_bview *v)
{
    uint32_t path[MAX_DEPTH];
    fputs("# Events and fields\n\n"
          "Every event rules can attach to (`rule ... on EVENT`), with the canonical name and\n"
          "the type of each field. `NAME[]` is an array (a repeated field); `NAME[].x` is field\n"
          "`x` of each element. Generated by `spuc --fields`; do not edit.\n",
          out);
    bool any = false;
    for (uint32_t i = 0; i < v->nevents; i++) {
        const struct spu_bevent *e = &v->events[i];
        if (e->kind != SPU_EV_GRAMMAR)
            continue;
        if (!any)
            fputs("\n## Grammar events\n", out);
        any = true;
        char name[256], ln[64];
        snprintf(name, sizeof(name), "%.*s", (int)e->name.len, spu_bview_str(v, e->name));
        const struct spu_bproto *p = &v->protos[e->proto];
        fprintf(out, "\n### %s\n\nRaised by protocol `%.*s` with the record of `%s`.\n\n", name,
                (int)p->name.len, spu_bview_str(v, p->name), lname(v, e->layout, ln, sizeof(ln)));
        header(out);
        rows(out, v, name, e->layout, path, 0);
    }
    fputs("\n## Runtime events\n", out);
    for (size_t i = 0; i < sizeof(rt_events) / sizeof(rt_events[0]); i++) {
        struct spu_sig_param p[SPU_MAX_SIG_PARAMS];
        int n = spu_sig_parse(rt_events[i].fields, p, SPU_MAX_SIG_PARAMS);
        fprintf(out, "\n### %s\n\nRaised by the runtime.\n\n", rt_events[i].name);
        header(out);
        for (int k = 0; k < n; k++)
            fprintf(out, "| `%s.%s` | %s |\n", rt_events[i].name, p[k].name, p[k].type);
    }
    fputs("\n## Connection fields\n\nRead in every rule as `flow.NAME`.\n\n", out);
    header(out);
    for (size_t i = 0; i < sizeof(flowkeys) / sizeof(flowkeys[0]); i++)
        fprintf(out, "| `flow.%s` | %s |\n", flowkeys[i].name, spu_type_name(flowkeys[i].type));
    return ferror(out) ? SPU_EIO : SPU_OK;
}

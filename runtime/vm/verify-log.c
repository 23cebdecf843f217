/*
 * verify-log.c - the LOG and LOGENT sections (bundle-format.h): every
 * reference in range, each entry's program a KEY program that runs on the
 * record its place gives it, every entry owned by exactly one log or one
 * parent entry, sub entries after their parent and nested at most
 * SPU_LOG_MAX_DEPTH deep (so building a record's JSON is bounded).
 */
#include "verify-int.h"

#include "value.h"

#include <stddef.h>
#include <stdlib.h>

#define OFF(type, f) offsetof(struct type, f)
#define TRY_LOG(x)                                                                                 \
    do {                                                                                           \
        int rc_ = (x);                                                                             \
        if (rc_ != SPU_OK)                                                                         \
            return rc_;                                                                            \
    } while (0)

static int layout_ok(const struct spu_bview *v, uint32_t l)
{
    if (l & SPU_LAYOUT_STD)
        return (l & ~SPU_LAYOUT_STD) < SPU_REC__COUNT;
    return l < v->nlayouts;
}

static int check_log(const struct vctx *vc, uint32_t i)
{
    const struct spu_bview *v = vc->v;
    const struct spu_blog *l = &v->logs[i];
    unsigned sec = SPU_SEC_LOG;
    if ((uint64_t)l->type.off + l->type.len > v->nstrtab || l->type.len == 0)
        return spu_vfail(vc, sec, i, OFF(spu_blog, type), "log %u: type string bad", i);
    if (l->pad)
        return spu_vfail(vc, sec, i, OFF(spu_blog, pad), "log %u: pad not zero", i);
    if (l->kind == SPU_LOG_EVENT || l->kind == SPU_LOG_ALERT) {
        if (l->trigger >= v->nevents || v->events[l->trigger].kind != SPU_EV_GRAMMAR)
            return spu_vfail(vc, sec, i, OFF(spu_blog, trigger),
                             "log %u: trigger %u is not a grammar event", i, l->trigger);
        if (l->layout != v->events[l->trigger].layout)
            return spu_vfail(vc, sec, i, OFF(spu_blog, layout),
                             "log %u: layout %u is not its event's record layout", i, l->layout);
    } else if (l->kind == SPU_LOG_TX) {
        if (l->trigger >= v->nprotos)
            return spu_vfail(vc, sec, i, OFF(spu_blog, trigger), "log %u: protocol %u unknown", i,
                             l->trigger);
        if (l->layout >= v->nlayouts)
            return spu_vfail(vc, sec, i, OFF(spu_blog, layout), "log %u: layout %u unknown", i,
                             l->layout);
        const struct spu_blayout *bl = &v->layouts[l->layout];
        for (uint32_t k = 0; k < bl->nfields; k++) {
            const struct spu_bfield *f = &v->fields[bl->first_field + k];
            if (f->type != SPU_T_REC || (f->flags & SPU_FF_ARRAY) || f->sub >= v->nlayouts)
                return spu_vfail(vc, sec, i, OFF(spu_blog, layout),
                                 "log %u: transaction layout field %u is not a message record", i,
                                 k);
        }
    } else {
        return spu_vfail(vc, sec, i, OFF(spu_blog, kind), "log %u: unknown kind %u", i, l->kind);
    }
    if ((uint64_t)l->first_entry + l->nentries > v->nlogents)
        return spu_vfail(vc, sec, i, OFF(spu_blog, first_entry),
                         "log %u: entries (%u, %u) outside the logent section (%u)", i,
                         l->first_entry, l->nentries, v->nlogents);
    return SPU_OK;
}

/* A path: names separated by dots, none empty; top entries (root_ok) may
 * start with '/' (from the record's root). */
static int check_path(const struct vctx *vc, uint32_t i, struct spu_bstr s, int root_ok)
{
    const struct spu_bview *v = vc->v;
    if ((uint64_t)s.off + s.len > v->nstrtab || s.len == 0)
        return spu_vfail(vc, SPU_SEC_LOGENT, i, OFF(spu_blogent, path),
                         "logent %u: path string bad", i);
    const char *p = v->strtab + s.off;
    uint32_t k0 = 0;
    if (p[0] == '/') {
        if (!root_ok)
            return spu_vfail(vc, SPU_SEC_LOGENT, i, OFF(spu_blogent, path),
                             "logent %u: a sub entry's path starts at the root", i);
        k0 = 1;
    }
    for (uint32_t k = k0; k <= s.len; k++) {
        int end = k == s.len || p[k] == '.';
        if ((end && (k == k0 || p[k - 1] == '.')) || (k < s.len && (p[k] == 0 || p[k] == '/')))
            return spu_vfail(vc, SPU_SEC_LOGENT, i, OFF(spu_blogent, path),
                             "logent %u: path has an empty name", i);
    }
    return SPU_OK;
}

/* What an entry's program must run on: an event (its record), or no event
 * and a layout. depth 0: unowned. */
struct owner {
    uint32_t event, layout, depth;
};

static int claim(const struct vctx *vc, struct owner *o, uint32_t first, uint32_t n,
                 struct owner want, const char *by, uint32_t byi)
{
    for (uint32_t k = first; k < first + n; k++) {
        if (o[k].depth)
            return spu_vfail(vc, SPU_SEC_LOGENT, k, 0, "logent %u: owned twice (again by %s %u)", k,
                             by, byi);
        o[k] = want;
    }
    return SPU_OK;
}

static int check_entries(const struct vctx *vc, struct owner *o)
{
    const struct spu_bview *v = vc->v;
    unsigned sec = SPU_SEC_LOGENT;
    for (uint32_t i = 0; i < v->nlogs; i++) {
        const struct spu_blog *l = &v->logs[i];
        struct owner w = {l->kind != SPU_LOG_TX ? l->trigger : SPU_NONE, l->layout, 1};
        TRY_LOG(claim(vc, o, l->first_entry, l->nentries, w, "log", i));
    }
    for (uint32_t i = 0; i < v->nlogents; i++) {
        const struct spu_blogent *e = &v->logents[i];
        if (!o[i].depth)
            return spu_vfail(vc, sec, i, 0, "logent %u: owned by no log or entry", i);
        TRY_LOG(check_path(vc, i, e->path, o[i].depth == 1));
        if (e->prog >= v->nprogs || v->progs[e->prog].kind != SPU_PROG_KEY)
            return spu_vfail(vc, sec, i, OFF(spu_blogent, prog),
                             "logent %u: program %u is not a KEY program", i, e->prog);
        const struct spu_bprog *p = &v->progs[e->prog];
        if (p->event != o[i].event || (o[i].event == SPU_NONE && p->layout != o[i].layout))
            return spu_vfail(vc, sec, i, OFF(spu_blogent, prog),
                             "logent %u: program %u runs on another record", i, e->prog);
        if (e->nsubs == 0) {
            if (e->first_sub || e->sub_layout != SPU_NONE)
                return spu_vfail(vc, sec, i, OFF(spu_blogent, first_sub),
                                 "logent %u: sub fields without entries", i);
            continue;
        }
        if (e->first_sub <= i || (uint64_t)e->first_sub + e->nsubs > v->nlogents)
            return spu_vfail(vc, sec, i, OFF(spu_blogent, first_sub),
                             "logent %u: sub entries (%u, %u) not after it or outside (%u)", i,
                             e->first_sub, e->nsubs, v->nlogents);
        if (!layout_ok(v, e->sub_layout))
            return spu_vfail(vc, sec, i, OFF(spu_blogent, sub_layout),
                             "logent %u: layout 0x%x unknown", i, e->sub_layout);
        if (o[i].depth >= SPU_LOG_MAX_DEPTH)
            return spu_vfail(vc, sec, i, OFF(spu_blogent, nsubs),
                             "logent %u: sub entries nested deeper than %u", i, SPU_LOG_MAX_DEPTH);
        struct owner w = {SPU_NONE, e->sub_layout, o[i].depth + 1};
        TRY_LOG(claim(vc, o, e->first_sub, e->nsubs, w, "logent", i));
    }
    return SPU_OK;
}

int spu_verify_logs(const struct vctx *vc)
{
    const struct spu_bview *v = vc->v;
    for (uint32_t i = 0; i < v->nlogs; i++)
        TRY_LOG(check_log(vc, i));
    if (!v->nlogents)
        return SPU_OK;
    struct owner *o = calloc(v->nlogents, sizeof(*o));
    if (!o)
        return spu_error_set(vc->err, SPU_ENOMEM, "out of memory verifying logs");
    int rc = check_entries(vc, o);
    free(o);
    return rc;
}

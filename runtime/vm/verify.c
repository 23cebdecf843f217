/* verify.c - section and cross-section checks of a bundle (see verify.h). */
#include "verify.h"

#include "dfa-run.h"
#include "value.h"
#include "verify-int.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OFF(type, f) offsetof(struct type, f)

enum {
#define FLOWKEY(id, name, type) VFK_##id,
#include "events.def"
#undef FLOWKEY
    VFK__COUNT
};
enum {
#define RT_EVENT(id, name, fields) VRT_##id,
#include "events.def"
#undef RT_EVENT
    VRT__COUNT
};

unsigned spu_vflowkey_count(void)
{
    return VFK__COUNT;
}

unsigned spu_vrt_event_count(void)
{
    return VRT__COUNT;
}

int spu_vfail(const struct vctx *vc, unsigned sec, uint64_t index, uint64_t field, const char *fmt,
              ...)
{
    char msg[sizeof(vc->err->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return spu_error_at(vc->err, SPU_EVERIFY, spu_section_name(sec),
                        spu_bview_off(vc->v, sec, index, field), "%s", msg);
}

/* ---- small range helpers ---- */

static int chk_str(const struct vctx *vc, unsigned sec, uint32_t i, size_t field, struct spu_bstr s,
                   const char *what)
{
    if ((uint64_t)s.off + s.len > vc->v->nstrtab)
        return spu_vfail(vc, sec, i, field, "%s %u: %s string (%u, %u) outside strtab (%u bytes)",
                         spu_section_name(sec), i, what, s.off, s.len, vc->v->nstrtab);
    return SPU_OK;
}

static int chk_u32(const struct vctx *vc, unsigned sec, uint32_t i, size_t field, uint32_t off,
                   uint64_t n, unsigned per, const char *what)
{
    if ((uint64_t)off + n * per > vc->v->nu32)
        return spu_vfail(vc, sec, i, field, "%s %u: %s (%u, %llu) outside the u32 pool (%u)",
                         spu_section_name(sec), i, what, off, (unsigned long long)n, vc->v->nu32);
    return SPU_OK;
}

static int chk_idx(const struct vctx *vc, unsigned sec, uint32_t i, size_t field, uint32_t x,
                   uint32_t n, int none_ok, const char *what)
{
    if ((none_ok && x == SPU_NONE) || x < n)
        return SPU_OK;
    return spu_vfail(vc, sec, i, field, "%s %u: %s %u out of range (%u)", spu_section_name(sec), i,
                     what, x, n);
}

#define TRY(x)                                                                                     \
    do {                                                                                           \
        int rc_ = (x);                                                                             \
        if (rc_ != SPU_OK)                                                                         \
            return rc_;                                                                            \
    } while (0)

/* ---- sections ---- */

static int check_globals(const struct vctx *vc)
{
    const struct spu_bglobals *g = vc->v->globals;
    TRY(chk_str(vc, SPU_SEC_GLOBALS, 0, OFF(spu_bglobals, name), g->name, "name"));
    TRY(chk_idx(vc, SPU_SEC_GLOBALS, 0, OFF(spu_bglobals, flow_layout), g->flow_layout,
                vc->v->nlayouts, 1, "flow layout"));
    if (g->nprotos_entry > vc->v->nprotos)
        return spu_vfail(vc, SPU_SEC_GLOBALS, 0, OFF(spu_bglobals, nprotos_entry),
                         "more entry protocols (%u) than protocols (%u)", g->nprotos_entry,
                         vc->v->nprotos);
    TRY(chk_u32(vc, SPU_SEC_GLOBALS, 0, OFF(spu_bglobals, msg_ends), g->msg_ends, g->nmsg_ends, 1,
                "message ends"));
    const uint32_t *me = g->nmsg_ends ? vc->v->u32 + g->msg_ends : NULL;
    for (uint32_t k = 0; k < g->nmsg_ends; k++)
        if (me[k] >= vc->v->nevents || vc->v->events[me[k]].kind != SPU_EV_GRAMMAR)
            return spu_vfail(vc, SPU_SEC_GLOBALS, 0, OFF(spu_bglobals, msg_ends),
                             "message end %u: %u is not a grammar event", k, me[k]);
    for (int k = 0; k < 2; k++)
        if (g->reserved[k])
            return spu_vfail(vc, SPU_SEC_GLOBALS, 0, OFF(spu_bglobals, reserved) + 4 * k,
                             "reserved words are not zero");
    return SPU_OK;
}

static int check_consts(const struct vctx *vc)
{
    const struct spu_bview *v = vc->v;
    for (uint32_t i = 0; i < v->nconsts; i++) {
        const struct spu_bconst *k = &v->consts[i];
        unsigned sec = SPU_SEC_CONST;
        if (k->flags & ~(unsigned)SPU_KF_NOCASE)
            return spu_vfail(vc, sec, i, OFF(spu_bconst, flags), "const %u: unknown flags", i);
        switch (k->kind) {
        case SPU_K_INT:
            if (k->aux || k->len || k->flags)
                return spu_vfail(vc, sec, i, 0, "const %u: int with aux/len/flags set", i);
            break;
        case SPU_K_STR:
            if (k->aux || k->val + k->len > v->nstrtab)
                return spu_vfail(vc, sec, i, OFF(spu_bconst, val),
                                 "const %u: string outside strtab", i);
            break;
        case SPU_K_IP:
            if ((k->aux != 4 && k->aux != 6) || k->len > (k->aux == 4 ? 32u : 128u))
                return spu_vfail(vc, sec, i, OFF(spu_bconst, aux),
                                 "const %u: bad ip family %u or prefix %u", i, k->aux, k->len);
            if (k->val + 16 > v->nstrtab)
                return spu_vfail(vc, sec, i, OFF(spu_bconst, val),
                                 "const %u: ip bytes outside strtab", i);
            break;
        case SPU_K_LIST:
        case SPU_K_REGEX:
            if (k->aux || k->len || k->flags)
                return spu_vfail(vc, sec, i, 0, "const %u: aux/len/flags set", i);
            if (k->val >= (k->kind == SPU_K_LIST ? v->nlists : v->nregexes))
                return spu_vfail(
                    vc, sec, i, OFF(spu_bconst, val), "const %u: %s index %llu out of range", i,
                    k->kind == SPU_K_LIST ? "list" : "regex", (unsigned long long)k->val);
            break;
        default:
            return spu_vfail(vc, sec, i, OFF(spu_bconst, kind), "const %u: unknown kind %u", i,
                             k->kind);
        }
    }
    return SPU_OK;
}

static int check_layouts(const struct vctx *vc)
{
    const struct spu_bview *v = vc->v;
    for (uint32_t i = 0; i < v->nlayouts; i++) {
        const struct spu_blayout *l = &v->layouts[i];
        unsigned sec = SPU_SEC_LAYOUT;
        TRY(chk_str(vc, sec, i, OFF(spu_blayout, name), l->name, "name"));
        if ((uint64_t)l->first_field + l->nfields > v->nfields)
            return spu_vfail(vc, sec, i, OFF(spu_blayout, first_field),
                             "layout %u: fields (%u, %u) outside the field section (%u)", i,
                             l->first_field, l->nfields, v->nfields);
        if (l->flags & ~(uint32_t)SPU_LF_MAP)
            return spu_vfail(vc, sec, i, OFF(spu_blayout, flags), "layout %u: unknown flags", i);
        if (l->flags & SPU_LF_MAP) {
            if (l->map_key >= l->nfields || l->map_value >= l->nfields ||
                l->map_key == l->map_value)
                return spu_vfail(vc, sec, i, OFF(spu_blayout, map_key),
                                 "layout %u: map key %u / value %u not two fields of %u", i,
                                 l->map_key, l->map_value, l->nfields);
        } else if (l->map_key != SPU_NONE || l->map_value != SPU_NONE) {
            return spu_vfail(vc, sec, i, OFF(spu_blayout, map_key),
                             "layout %u: map key/value set without the MAP flag", i);
        }
        TRY(chk_idx(vc, sec, i, OFF(spu_blayout, proto), l->proto, v->nprotos, 1, "protocol"));
    }
    for (uint32_t i = 0; i < v->nfields; i++) {
        const struct spu_bfield *f = &v->fields[i];
        unsigned sec = SPU_SEC_FIELD;
        TRY(chk_str(vc, sec, i, OFF(spu_bfield, name), f->name, "name"));
        if (f->type >= SPU_T__COUNT || f->type == SPU_T_ARR)
            return spu_vfail(vc, sec, i, OFF(spu_bfield, type), "field %u: bad type %u", i,
                             f->type);
        if ((f->flags & ~(unsigned)SPU_FF_ARRAY) || f->pad)
            return spu_vfail(vc, sec, i, OFF(spu_bfield, flags), "field %u: unknown flags", i);
        if (f->type == SPU_T_REC) {
            int ok = (f->sub & SPU_LAYOUT_STD) ? (f->sub & ~SPU_LAYOUT_STD) < SPU_REC__COUNT
                                               : f->sub < v->nlayouts;
            if (!ok)
                return spu_vfail(vc, sec, i, OFF(spu_bfield, sub),
                                 "field %u: record type 0x%x is neither a layout nor a stdlib "
                                 "record",
                                 i, f->sub);
        }
    }
    return SPU_OK;
}

static int prog_is_grammar(uint32_t kind)
{
    return kind == SPU_PROG_UNIT || kind == SPU_PROG_MESSAGE || kind == SPU_PROG_DRIVER;
}

static int check_prog_headers(const struct vctx *vc)
{
    const struct spu_bview *v = vc->v;
    unsigned sec = SPU_SEC_PROG;
    for (uint32_t i = 0; i < v->nprogs; i++) {
        const struct spu_bprog *p = &v->progs[i];
        TRY(chk_str(vc, sec, i, OFF(spu_bprog, name), p->name, "name"));
        if (p->kind < SPU_PROG_RULE || p->kind > SPU_PROG_KEY)
            return spu_vfail(vc, sec, i, OFF(spu_bprog, kind), "prog %u: unknown kind %u", i,
                             p->kind);
        if (p->code_len == 0 || p->code_len > SPU_MAX_PROG_LEN ||
            (uint64_t)p->code_off + p->code_len > v->ncode)
            return spu_vfail(vc, sec, i, OFF(spu_bprog, code_off),
                             "prog %u: code (%u, %u) empty or outside the code section (%u)", i,
                             p->code_off, p->code_len, v->ncode);
        if (p->nlocals > SPU_MAX_LOCALS || p->nparams > p->nlocals ||
            (p->nparams && p->kind != SPU_PROG_UNIT))
            return spu_vfail(vc, sec, i, OFF(spu_bprog, nlocals),
                             "prog %u: %u locals / %u params not allowed", i, p->nlocals,
                             p->nparams);
        if (p->max_stack > SPU_MAX_STACK)
            return spu_vfail(vc, sec, i, OFF(spu_bprog, max_stack),
                             "prog %u: max_stack %u above %u", i, p->max_stack, SPU_MAX_STACK);
        int g = prog_is_grammar(p->kind);
        if (p->nloops > (g ? SPU_MAX_LOOPS : 0))
            return spu_vfail(vc, sec, i, OFF(spu_bprog, nloops), "prog %u: %u loop slots", i,
                             p->nloops);
        if (p->flags & ~(uint32_t)SPU_PF_STREAM ||
            ((p->flags & SPU_PF_STREAM) && p->kind != SPU_PROG_UNIT))
            return spu_vfail(vc, sec, i, OFF(spu_bprog, flags), "prog %u: bad flags 0x%x", i,
                             p->flags);
        if (g) {
            TRY(chk_idx(vc, sec, i, OFF(spu_bprog, proto), p->proto, v->nprotos, 0, "protocol"));
            TRY(chk_idx(vc, sec, i, OFF(spu_bprog, layout), p->layout, v->nlayouts,
                        p->kind == SPU_PROG_DRIVER, "layout"));
            /* A MESSAGE names its completion event (docs/grammar-vm.md): a
             * grammar event of its protocol carrying its record. */
            if (p->event != SPU_NONE &&
                (p->kind != SPU_PROG_MESSAGE || p->event >= v->nevents ||
                 v->events[p->event].kind != SPU_EV_GRAMMAR ||
                 v->events[p->event].proto != p->proto || v->events[p->event].layout != p->layout))
                return spu_vfail(vc, sec, i, OFF(spu_bprog, event),
                                 "prog %u: event %u is not a completion event of this message", i,
                                 p->event);
        } else {
            if (p->proto != SPU_NONE)
                return spu_vfail(vc, sec, i, OFF(spu_bprog, proto),
                                 "prog %u: rule-kind program with a protocol", i);
            TRY(chk_idx(vc, sec, i, OFF(spu_bprog, event), p->event, v->nevents,
                        p->kind == SPU_PROG_KEY, "event"));
            uint32_t want = p->event == SPU_NONE ? SPU_NONE : v->events[p->event].layout;
            /* A KEY program without an event reads no record (flow keys) or
             * the record it is given: a log entry's transaction layout or
             * element records, a bundle layout or a stdlib record. */
            if (p->event == SPU_NONE && p->layout != SPU_NONE) {
                uint32_t std = p->layout & ~SPU_LAYOUT_STD;
                if ((p->layout & SPU_LAYOUT_STD) ? std >= SPU_REC__COUNT
                                                 : p->layout >= v->nlayouts)
                    return spu_vfail(vc, sec, i, OFF(spu_bprog, layout),
                                     "prog %u: layout 0x%x unknown", i, p->layout);
            } else if (p->layout != want)
                return spu_vfail(vc, sec, i, OFF(spu_bprog, layout),
                                 "prog %u: layout %u is not its event's record layout %u", i,
                                 p->layout, want);
        }
    }
    return SPU_OK;
}

struct span {
    uint32_t off, len, idx;
};

static int span_cmp(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    if (x->off != y->off)
        return x->off < y->off ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int check_code_overlap(const struct vctx *vc)
{
    const struct spu_bview *v = vc->v;
    if (v->nprogs < 2)
        return SPU_OK;
    struct span *s = malloc(v->nprogs * sizeof(*s));
    if (!s)
        return spu_error_set(vc->err, SPU_ENOMEM, "out of memory verifying programs");
    for (uint32_t i = 0; i < v->nprogs; i++)
        s[i] = (struct span){v->progs[i].code_off, v->progs[i].code_len, i};
    qsort(s, v->nprogs, sizeof(*s), span_cmp);
    int rc = SPU_OK;
    for (uint32_t i = 1; i < v->nprogs && rc == SPU_OK; i++)
        if ((uint64_t)s[i - 1].off + s[i - 1].len > s[i].off)
            rc = spu_vfail(vc, SPU_SEC_PROG, s[i].idx, OFF(spu_bprog, code_off),
                           "prog %u: code overlaps prog %u", s[i].idx, s[i - 1].idx);
    free(s);
    return rc;
}

/* Every DFA through spu_dfa_check() (dfa-run.h): ranges, every entry,
 * the dead state, decide consistency. */
static int check_dfas(const struct vctx *vc)
{
    const struct spu_bview *v = vc->v;
    for (uint32_t i = 0; i < v->ndfas; i++) {
        const struct spu_bdfa *d = &v->dfas[i];
        TRY(chk_str(vc, SPU_SEC_DFA, i, OFF(spu_bdfa, source), d->source, "source"));
        struct spu_error e;
        spu_error_clear(&e);
        if (spu_dfa_check(d, v->dfadata, v->ndfadata, &e) == SPU_OK)
            continue;
        if (e.where[0] && e.offset != UINT64_MAX) /* a word of the tables */
            return spu_error_at(vc->err, SPU_EVERIFY, "dfadata",
                                v->sec[SPU_SEC_DFADATA].off + e.offset, "dfa %u: %s", i, e.msg);
        return spu_vfail(vc, SPU_SEC_DFA, i, 0, "dfa %u: %s", i, e.msg);
    }
    return SPU_OK;
}

static int check_regexes_lists(const struct vctx *vc)
{
    const struct spu_bview *v = vc->v;
    for (uint32_t i = 0; i < v->nregexes; i++) {
        const struct spu_bregex *r = &v->regexes[i];
        TRY(chk_str(vc, SPU_SEC_REGEX, i, OFF(spu_bregex, pattern), r->pattern, "pattern"));
        if (r->flags & ~(uint32_t)(SPU_RE_I | SPU_RE_S | SPU_RE_M | SPU_RE_X))
            return spu_vfail(vc, SPU_SEC_REGEX, i, OFF(spu_bregex, flags),
                             "regex %u: unknown flags", i);
    }
    unsigned sec = SPU_SEC_LIST;
    for (uint32_t i = 0; i < v->nlists; i++) {
        const struct spu_blist *l = &v->lists[i];
        TRY(chk_str(vc, sec, i, OFF(spu_blist, name), l->name, "name"));
        if (l->kind < SPU_LIST_STR || l->kind > SPU_LIST_REGEX)
            return spu_vfail(vc, sec, i, OFF(spu_blist, kind), "list %u: unknown kind %u", i,
                             l->kind);
        if (l->flags & ~(uint32_t)(SPU_LISTF_NOCASE | SPU_LISTF_FILE))
            return spu_vfail(vc, sec, i, OFF(spu_blist, flags), "list %u: unknown flags", i);
        TRY(chk_str(vc, sec, i, OFF(spu_blist, path), l->path, "path"));
        TRY(chk_str(vc, sec, i, OFF(spu_blist, base), l->base, "base"));
        if ((l->flags & SPU_LISTF_FILE) && l->path.len == 0)
            return spu_vfail(vc, sec, i, OFF(spu_blist, path), "list %u: file list without a path",
                             i);
        TRY(chk_u32(vc, sec, i, OFF(spu_blist, items), l->items, l->nitems, 1, "items"));
        for (uint32_t k = 0; k < l->nitems; k++) {
            uint32_t it = v->u32[l->items + k];
            int ok;
            if (l->kind == SPU_LIST_REGEX)
                ok = it < v->nregexes;
            else
                ok = it < v->nconsts &&
                     v->consts[it].kind == (l->kind == SPU_LIST_STR ? SPU_K_STR : SPU_K_IP);
            if (!ok)
                return spu_vfail(vc, SPU_SEC_U32, l->items + k, 0,
                                 "list %u: item %u (%u) is not a %s", i, k, it,
                                 l->kind == SPU_LIST_REGEX ? "regex"
                                 : l->kind == SPU_LIST_STR ? "string constant"
                                                           : "ip constant");
        }
    }
    return SPU_OK;
}

static int check_prog_ref(const struct vctx *vc, unsigned sec, uint32_t i, size_t field, uint32_t p,
                          uint32_t kind, uint32_t kind2, const char *what)
{
    const struct spu_bview *v = vc->v;
    if (p >= v->nprogs || (v->progs[p].kind != kind && v->progs[p].kind != kind2))
        return spu_vfail(vc, sec, i, field, "%s %u: %s %u is not a program of the right kind",
                         spu_section_name(sec), i, what, p);
    return SPU_OK;
}

static int check_sinks_protos(const struct vctx *vc)
{
    const struct spu_bview *v = vc->v;
    for (uint32_t i = 0; i < v->nsinks; i++) {
        const struct spu_bsink *s = &v->sinks[i];
        unsigned sec = SPU_SEC_SINK;
        TRY(chk_u32(vc, sec, i, OFF(spu_bsink, filters), s->filters, s->nfilters, 1, "filters"));
        if (s->nfilters > 255 || s->nargs > 0xffff ||
            (s->flags & ~(uint32_t)(SPU_SINKF_SPAN | SPU_SINKF_RECORD | SPU_SINKF_DIGEST)) ||
            ((s->flags & SPU_SINKF_RECORD) && s->child == SPU_NONE) ||
            ((s->flags & SPU_SINKF_RECORD) && (s->flags & SPU_SINKF_DIGEST)))
            return spu_vfail(vc, sec, i, OFF(spu_bsink, nfilters),
                             "sink %u: %u filters, %u args, flags 0x%x", i, s->nfilters, s->nargs,
                             s->flags);
        for (uint32_t k = 0; k < s->nfilters; k++)
            if (v->u32[s->filters + k] >= SPU_FLT__COUNT)
                return spu_vfail(vc, SPU_SEC_U32, s->filters + k, 0,
                                 "sink %u: filter id %u unknown", i, v->u32[s->filters + k]);
        if (s->child != SPU_NONE) {
            TRY(check_prog_ref(vc, sec, i, OFF(spu_bsink, child), s->child, SPU_PROG_UNIT,
                               SPU_PROG_MESSAGE, "child"));
            if (v->progs[s->child].nparams != s->nargs)
                return spu_vfail(vc, sec, i, OFF(spu_bsink, nargs),
                                 "sink %u: %u args for a child of %u params", i, s->nargs,
                                 v->progs[s->child].nparams);
        } else if (s->nargs) {
            return spu_vfail(vc, sec, i, OFF(spu_bsink, nargs), "sink %u: args without a child", i);
        }
    }
    for (uint32_t i = 0; i < v->nprotos; i++) {
        const struct spu_bproto *p = &v->protos[i];
        unsigned sec = SPU_SEC_PROTO;
        TRY(chk_str(vc, sec, i, OFF(spu_bproto, name), p->name, "name"));
        if (p->transport < SPU_TRANSPORT_TCP || p->transport > SPU_TRANSPORT_STREAM)
            return spu_vfail(vc, sec, i, OFF(spu_bproto, transport),
                             "proto %u: unknown transport %u", i, p->transport);
        TRY(chk_u32(vc, sec, i, OFF(spu_bproto, ports), p->ports, p->nports, 1, "ports"));
        for (uint32_t k = 0; k < p->nports; k++)
            if (v->u32[p->ports + k] > 65535)
                return spu_vfail(vc, SPU_SEC_U32, p->ports + k, 0, "proto %u: port %u", i,
                                 v->u32[p->ports + k]);
        for (int d = 0; d < 2; d++) {
            TRY(chk_idx(vc, sec, i, OFF(spu_bproto, detect) + 4 * d, p->detect[d], v->ndfas, 1,
                        "detect dfa"));
            TRY(chk_idx(vc, sec, i, OFF(spu_bproto, resync) + 4 * d, p->resync[d], v->ndfas, 1,
                        "resync dfa"));
            TRY(chk_idx(vc, sec, i, OFF(spu_bproto, resync_rev) + 4 * d, p->resync_rev[d], v->ndfas,
                        1, "reverse resync dfa"));
            if (p->resync_mode[d] > SPU_RESYNC_AFTER)
                return spu_vfail(vc, sec, i, OFF(spu_bproto, resync_mode) + 4 * d,
                                 "proto %u: resync mode %u", i, p->resync_mode[d]);
            if (p->driver[d] != SPU_NONE) {
                TRY(check_prog_ref(vc, sec, i, OFF(spu_bproto, driver) + 4 * d, p->driver[d],
                                   SPU_PROG_DRIVER, SPU_PROG_DRIVER, "driver"));
                if (v->progs[p->driver[d]].proto != i)
                    return spu_vfail(vc, sec, i, OFF(spu_bproto, driver) + 4 * d,
                                     "proto %u: driver of another protocol", i);
            }
        }
        TRY(chk_idx(vc, sec, i, OFF(spu_bproto, state_layout), p->state_layout, v->nlayouts, 1,
                    "state layout"));
        const uint32_t offs[2] = {p->tx_client, p->tx_server},
                       ns[2] = {p->ntx_client, p->ntx_server};
        for (int d = 0; d < 2; d++) {
            size_t fo = d ? OFF(spu_bproto, tx_server) : OFF(spu_bproto, tx_client);
            TRY(chk_u32(vc, sec, i, fo, offs[d], ns[d], 1, "transaction messages"));
            for (uint32_t k = 0; k < ns[d]; k++) {
                uint32_t m = v->u32[offs[d] + k];
                if (m >= v->nprogs || v->progs[m].kind != SPU_PROG_MESSAGE ||
                    v->progs[m].proto != i)
                    return spu_vfail(vc, SPU_SEC_U32, offs[d] + k, 0,
                                     "proto %u: transaction entry %u is not a message of it", i, m);
            }
        }
    }
    return SPU_OK;
}

static int check_events(const struct vctx *vc, uint8_t *listed)
{
    const struct spu_bview *v = vc->v;
    unsigned sec = SPU_SEC_EVENT;
    for (uint32_t i = 0; i < v->nevents; i++) {
        const struct spu_bevent *e = &v->events[i];
        TRY(chk_str(vc, sec, i, OFF(spu_bevent, name), e->name, "name"));
        if (e->kind == SPU_EV_GRAMMAR) {
            TRY(chk_idx(vc, sec, i, OFF(spu_bevent, proto), e->proto, v->nprotos, 0, "protocol"));
            if (e->runtime_id != SPU_NONE)
                return spu_vfail(vc, sec, i, OFF(spu_bevent, runtime_id),
                                 "event %u: grammar event with a runtime id", i);
        } else if (e->kind == SPU_EV_RUNTIME) {
            if (e->proto != SPU_NONE || e->runtime_id >= spu_vrt_event_count())
                return spu_vfail(vc, sec, i, OFF(spu_bevent, runtime_id),
                                 "event %u: runtime id %u / protocol %u invalid", i, e->runtime_id,
                                 e->proto);
        } else {
            return spu_vfail(vc, sec, i, OFF(spu_bevent, kind), "event %u: unknown kind %u", i,
                             e->kind);
        }
        TRY(chk_idx(vc, sec, i, OFF(spu_bevent, layout), e->layout, v->nlayouts, 0, "layout"));
        TRY(chk_idx(vc, sec, i, OFF(spu_bevent, index_root), e->index_root, v->ninodes, 1,
                    "index root"));
        TRY(chk_u32(vc, sec, i, OFF(spu_bevent, rules), e->rules, e->nrules, 1, "rules"));
        for (uint32_t k = 0; k < e->nrules; k++) {
            uint32_t r = v->u32[e->rules + k];
            if (r >= v->nrules || v->rules[r].event != i || listed[r])
                return spu_vfail(vc, SPU_SEC_U32, e->rules + k, 0,
                                 "event %u: rule %u is not a rule of this event, or listed twice",
                                 i, r);
            listed[r] = 1;
        }
        TRY(chk_u32(vc, sec, i, OFF(spu_bevent, levels), e->levels, e->nlevels, 1, "levels"));
        for (uint32_t k = 0; k < e->nlevels; k++) {
            uint32_t p = v->u32[e->levels + k];
            if (p >= v->nprogs || v->progs[p].kind != SPU_PROG_KEY || v->progs[p].event != i)
                return spu_vfail(vc, SPU_SEC_U32, e->levels + k, 0,
                                 "event %u: level %u program %u is not a KEY program of it", i, k,
                                 p);
        }
    }
    return SPU_OK;
}

struct gidsid {
    uint32_t gid, sid, idx;
};

static int gidsid_cmp(const void *a, const void *b)
{
    const struct gidsid *x = a, *y = b;
    if (x->gid != y->gid)
        return x->gid < y->gid ? -1 : 1;
    if (x->sid != y->sid)
        return x->sid < y->sid ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int check_rules(const struct vctx *vc, const uint8_t *listed)
{
    const struct spu_bview *v = vc->v;
    unsigned sec = SPU_SEC_RULE;
    for (uint32_t i = 0; i < v->nrules; i++) {
        const struct spu_brule *r = &v->rules[i];
        TRY(chk_str(vc, sec, i, OFF(spu_brule, msg), r->msg, "message"));
        TRY(chk_str(vc, sec, i, OFF(spu_brule, classtype), r->classtype, "classtype"));
        TRY(chk_str(vc, sec, i, OFF(spu_brule, src_file), r->src_file, "source file"));
        TRY(chk_idx(vc, sec, i, OFF(spu_brule, event), r->event, v->nevents, 0, "event"));
        TRY(check_prog_ref(vc, sec, i, OFF(spu_brule, prog), r->prog, SPU_PROG_RULE, SPU_PROG_RULE,
                           "program"));
        if (v->progs[r->prog].event != r->event)
            return spu_vfail(vc, sec, i, OFF(spu_brule, prog),
                             "rule %u: program %u runs on event %u, the rule on %u", i, r->prog,
                             v->progs[r->prog].event, r->event);
        if (!listed[i])
            return spu_vfail(vc, sec, i, OFF(spu_brule, event),
                             "rule %u: missing from its event's rule list", i);
        if (r->flags & ~(uint32_t)(SPU_RF_INDEXED | SPU_RF_PREFILTERED))
            return spu_vfail(vc, sec, i, OFF(spu_brule, flags), "rule %u: unknown flags", i);
        TRY(chk_u32(vc, sec, i, OFF(spu_brule, refs), r->refs, r->nrefs, 4, "references"));
        TRY(chk_u32(vc, sec, i, OFF(spu_brule, meta), r->meta, r->nmeta, 2, "metadata"));
        for (uint64_t k = 0; k < 2ull * r->nrefs + r->nmeta; k++) {
            uint32_t w = k < 2ull * r->nrefs ? r->refs + 2 * (uint32_t)k
                                             : r->meta + 2 * (uint32_t)(k - 2ull * r->nrefs);
            struct spu_bstr s = {v->u32[w], v->u32[w + 1]};
            if ((uint64_t)s.off + s.len > v->nstrtab)
                return spu_vfail(vc, SPU_SEC_U32, w, 0,
                                 "rule %u: reference/metadata string outside strtab", i);
        }
    }
    if (v->nrules < 2)
        return SPU_OK;
    struct gidsid *g = malloc(v->nrules * sizeof(*g));
    if (!g)
        return spu_error_set(vc->err, SPU_ENOMEM, "out of memory verifying rules");
    for (uint32_t i = 0; i < v->nrules; i++)
        g[i] = (struct gidsid){v->rules[i].gid, v->rules[i].sid, i};
    qsort(g, v->nrules, sizeof(*g), gidsid_cmp);
    int rc = SPU_OK;
    for (uint32_t i = 1; i < v->nrules && rc == SPU_OK; i++)
        if (g[i].gid == g[i - 1].gid && g[i].sid == g[i - 1].sid)
            rc = spu_vfail(vc, sec, g[i].idx, OFF(spu_brule, gid),
                           "rule %u: gid %u sid %u already used by rule %u", g[i].idx, g[i].gid,
                           g[i].sid, g[i - 1].idx);
    free(g);
    return rc;
}

static int check_sessions(const struct vctx *vc)
{
    const struct spu_bview *v = vc->v;
    unsigned sec = SPU_SEC_SESSION;
    for (uint32_t i = 0; i < v->nsessions; i++) {
        const struct spu_bsession *s = &v->sessions[i];
        TRY(chk_str(vc, sec, i, OFF(spu_bsession, name), s->name, "name"));
        TRY(chk_idx(vc, sec, i, OFF(spu_bsession, layout), s->layout, v->nlayouts, 0, "layout"));
        TRY(chk_idx(vc, sec, i, OFF(spu_bsession, key_event), s->key_event, v->nevents, 1,
                    "key event"));
        TRY(check_prog_ref(vc, sec, i, OFF(spu_bsession, key_prog), s->key_prog, SPU_PROG_KEY,
                           SPU_PROG_KEY, "key program"));
        if (v->progs[s->key_prog].event != s->key_event)
            return spu_vfail(vc, sec, i, OFF(spu_bsession, key_prog),
                             "session %u: key program runs on event %u, the session's key "
                             "event is %u",
                             i, v->progs[s->key_prog].event, s->key_event);
    }
    for (uint32_t i = 0; i < v->noutputs; i++) {
        const struct spu_boutput *o = &v->outputs[i];
        TRY(chk_str(vc, SPU_SEC_OUTPUT, i, OFF(spu_boutput, name), o->name, "name"));
        TRY(chk_str(vc, SPU_SEC_OUTPUT, i, OFF(spu_boutput, path), o->path, "path"));
        if (o->kind != SPU_OUT_FILE && o->kind != SPU_OUT_UNIX)
            return spu_vfail(vc, SPU_SEC_OUTPUT, i, OFF(spu_boutput, kind),
                             "output %u: unknown kind %u", i, o->kind);
    }
    for (uint32_t i = 0; i < v->nqueues; i++) {
        const struct spu_bqueue *q = &v->queues[i];
        TRY(chk_str(vc, SPU_SEC_QUEUE, i, OFF(spu_bqueue, name), q->name, "name"));
        if (q->rate_bps == 0)
            return spu_vfail(vc, SPU_SEC_QUEUE, i, OFF(spu_bqueue, rate_bps),
                             "queue %u: a rate of 0", i);
        if (q->burst < 1500)
            return spu_vfail(vc, SPU_SEC_QUEUE, i, OFF(spu_bqueue, burst),
                             "queue %u: burst %u below one packet (1500)", i, q->burst);
        if (q->priority > SPU_QUEUE_MAX_PRIORITY)
            return spu_vfail(vc, SPU_SEC_QUEUE, i, OFF(spu_bqueue, priority),
                             "queue %u: priority %u above %u", i, q->priority,
                             SPU_QUEUE_MAX_PRIORITY);
    }
    for (uint32_t i = 0; i < v->nstates; i++) {
        const struct spu_bstate *st = &v->states[i];
        TRY(chk_str(vc, SPU_SEC_STATE, i, OFF(spu_bstate, name), st->name, "name"));
        TRY(chk_str(vc, SPU_SEC_STATE, i, OFF(spu_bstate, backend), st->backend, "backend"));
        if (st->kind < SPU_ST_LIST || st->kind > SPU_ST_SCORE)
            return spu_vfail(vc, SPU_SEC_STATE, i, OFF(spu_bstate, kind), "state %u: unknown kind %u", i,
                             st->kind);
        if ((st->kind == SPU_ST_LIST) != (st->name.len > 0))
            return spu_vfail(vc, SPU_SEC_STATE, i, OFF(spu_bstate, name),
                             "state %u: a list has a name, other kinds none", i);
        const char *be = (const char *)v->strtab + st->backend.off;
        if (!(st->backend.len == 6 && memcmp(be, "memory", 6) == 0) &&
            !(st->backend.len > 8 && memcmp(be, "redis://", 8) == 0))
            return spu_vfail(vc, SPU_SEC_STATE, i, OFF(spu_bstate, backend),
                             "state %u: backend is neither memory nor redis://", i);
    }
    for (uint32_t i = 0; i < v->nmetas; i++) {
        TRY(chk_str(vc, SPU_SEC_META, i, OFF(spu_bmeta, key), v->metas[i].key, "key"));
        TRY(chk_str(vc, SPU_SEC_META, i, OFF(spu_bmeta, value), v->metas[i].value, "value"));
    }
    return SPU_OK;
}

/* ---- lookup trees ---- */

static int edge_cmp(const struct spu_bview *v, const struct spu_biedge *a,
                    const struct spu_biedge *b)
{
    uint32_t n = a->value.len < b->value.len ? a->value.len : b->value.len;
    int c = n ? memcmp(v->strtab + a->value.off, v->strtab + b->value.off, n) : 0;
    if (c)
        return c;
    return a->value.len < b->value.len ? -1 : a->value.len > b->value.len;
}

static int check_edges(const struct vctx *vc)
{
    const struct spu_bview *v = vc->v;
    for (uint32_t i = 0; i < v->niedges; i++) {
        const struct spu_biedge *e = &v->iedges[i];
        unsigned sec = SPU_SEC_IEDGE;
        if (e->kind < SPU_IE_EXACT || e->kind > SPU_IE_SUFFIX || e->pad ||
            (e->flags & ~(uint32_t)SPU_IEF_NOCASE))
            return spu_vfail(vc, sec, i, OFF(spu_biedge, kind),
                             "edge %u: unknown kind %u or flags 0x%x", i, e->kind, e->flags);
        TRY(chk_str(vc, sec, i, OFF(spu_biedge, value), e->value, "value"));
        TRY(chk_idx(vc, sec, i, OFF(spu_biedge, child), e->child, v->ninodes, 0, "child"));
        if (e->kind == SPU_IE_EXACT && (e->flags & SPU_IEF_NOCASE))
            for (uint32_t k = 0; k < e->value.len; k++) {
                char c = v->strtab[e->value.off + k];
                if (c >= 'A' && c <= 'Z')
                    return spu_vfail(vc, sec, i, OFF(spu_biedge, value),
                                     "edge %u: case-insensitive exact value not lowercase", i);
            }
    }
    unsigned sec = SPU_SEC_INODE;
    for (uint32_t i = 0; i < v->ninodes; i++) {
        const struct spu_binode *n = &v->inodes[i];
        if ((uint64_t)n->edges + n->nedges > v->niedges || n->nexact > n->nedges)
            return spu_vfail(vc, sec, i, OFF(spu_binode, edges),
                             "node %u: edges (%u, %u, exact %u) outside iedge (%u)", i, n->edges,
                             n->nedges, n->nexact, v->niedges);
        if (n->any != SPU_NONE && (n->any <= i || n->any >= v->ninodes))
            return spu_vfail(vc, sec, i, OFF(spu_binode, any),
                             "node %u: any-child %u is not a later node (cycle?)", i, n->any);
        TRY(chk_u32(vc, sec, i, OFF(spu_binode, rules), n->rules, n->nrules, 1, "rules"));
        for (uint32_t k = 0; k < n->nrules; k++)
            if (v->u32[n->rules + k] >= v->nrules)
                return spu_vfail(vc, SPU_SEC_U32, n->rules + k, 0, "node %u: rule %u unknown", i,
                                 v->u32[n->rules + k]);
        uint32_t last_kind = SPU_IE_EXACT;
        for (uint32_t k = 0; k < n->nedges; k++) {
            uint32_t ei = n->edges + k;
            const struct spu_biedge *e = &v->iedges[ei];
            if (e->child <= i)
                return spu_vfail(vc, SPU_SEC_IEDGE, ei, OFF(spu_biedge, child),
                                 "node %u: edge to node %u is not a later node (cycle?)", i,
                                 e->child);
            int want_exact = k < n->nexact;
            if (want_exact != (e->kind == SPU_IE_EXACT) || e->kind < last_kind)
                return spu_vfail(vc, SPU_SEC_IEDGE, ei, OFF(spu_biedge, kind),
                                 "node %u: edge %u out of order (exact, then prefix, then "
                                 "suffix; nexact %u)",
                                 i, k, n->nexact);
            last_kind = e->kind;
            if (k > 0 && k < n->nexact && edge_cmp(v, &v->iedges[ei - 1], e) >= 0)
                return spu_vfail(vc, SPU_SEC_IEDGE, ei, OFF(spu_biedge, value),
                                 "node %u: exact edges not strictly sorted", i);
        }
    }
    return SPU_OK;
}

/* Walk each event's tree: levels in range, rules of the event and flagged
 * INDEXED, no node shared by two events. `in_tree` marks rules seen. */
static int walk_trees(const struct vctx *vc, uint8_t *in_tree)
{
    const struct spu_bview *v = vc->v;
    if (!v->ninodes)
        return SPU_OK;
    uint32_t *owner = calloc(v->ninodes, sizeof(*owner));
    uint32_t *stack = malloc(v->ninodes * sizeof(*stack));
    int rc = SPU_OK;
    if (!owner || !stack) {
        rc = spu_error_set(vc->err, SPU_ENOMEM, "out of memory verifying trees");
        goto out;
    }
    for (uint32_t ev = 0; ev < v->nevents && rc == SPU_OK; ev++) {
        const struct spu_bevent *e = &v->events[ev];
        if (e->index_root == SPU_NONE)
            continue;
        uint32_t sp = 0;
        if (owner[e->index_root] && owner[e->index_root] != ev + 1) {
            rc = spu_vfail(vc, SPU_SEC_EVENT, ev, OFF(spu_bevent, index_root),
                           "event %u: tree root %u belongs to event %u", ev, e->index_root,
                           owner[e->index_root] - 1);
            break;
        }
        if (!owner[e->index_root]) {
            owner[e->index_root] = ev + 1;
            stack[sp++] = e->index_root;
        }
        while (sp && rc == SPU_OK) {
            uint32_t ni = stack[--sp];
            const struct spu_binode *n = &v->inodes[ni];
            if (n->level >= e->nlevels) {
                rc = spu_vfail(vc, SPU_SEC_INODE, ni, OFF(spu_binode, level),
                               "node %u: level %u but event %u has %u levels", ni, n->level, ev,
                               e->nlevels);
                break;
            }
            for (uint32_t k = 0; k < n->nrules; k++) {
                uint32_t r = v->u32[n->rules + k];
                if (v->rules[r].event != ev || !(v->rules[r].flags & SPU_RF_INDEXED)) {
                    rc =
                        spu_vfail(vc, SPU_SEC_U32, n->rules + k, 0,
                                  "node %u: rule %u is not an INDEXED rule of event %u", ni, r, ev);
                    break;
                }
                in_tree[r] = 1;
            }
            for (uint32_t k = 0; k <= n->nedges && rc == SPU_OK; k++) {
                uint32_t c = k < n->nedges ? v->iedges[n->edges + k].child : n->any;
                if (c == SPU_NONE)
                    continue;
                if (owner[c] == ev + 1)
                    continue;
                if (owner[c]) {
                    rc = spu_vfail(vc, SPU_SEC_INODE, c, 0,
                                   "node %u: shared by the trees of events %u and %u", c,
                                   owner[c] - 1, ev);
                    break;
                }
                owner[c] = ev + 1;
                stack[sp++] = c;
            }
        }
    }
out:
    free(owner);
    free(stack);
    return rc;
}

static int check_patterns(const struct vctx *vc, const uint8_t *in_tree, uint8_t *has_pat)
{
    const struct spu_bview *v = vc->v;
    unsigned sec = SPU_SEC_PATTERN;
    for (uint32_t i = 0; i < v->npatterns; i++) {
        const struct spu_bpattern *p = &v->patterns[i];
        TRY(chk_idx(vc, sec, i, OFF(spu_bpattern, event), p->event, v->nevents, 0, "event"));
        TRY(check_prog_ref(vc, sec, i, OFF(spu_bpattern, key_prog), p->key_prog, SPU_PROG_KEY,
                           SPU_PROG_KEY, "key program"));
        if (v->progs[p->key_prog].event != p->event)
            return spu_vfail(vc, sec, i, OFF(spu_bpattern, key_prog),
                             "pattern %u: key program of another event", i);
        TRY(chk_str(vc, sec, i, OFF(spu_bpattern, literal), p->literal, "literal"));
        if (p->literal.len == 0)
            return spu_vfail(vc, sec, i, OFF(spu_bpattern, literal), "pattern %u: empty literal",
                             i);
        if (p->flags & ~(uint32_t)SPU_IEF_NOCASE)
            return spu_vfail(vc, sec, i, OFF(spu_bpattern, flags), "pattern %u: unknown flags", i);
        TRY(chk_idx(vc, sec, i, OFF(spu_bpattern, rule), p->rule, v->nrules, 0, "rule"));
        const struct spu_brule *r = &v->rules[p->rule];
        if (r->event != p->event || !(r->flags & SPU_RF_PREFILTERED))
            return spu_vfail(vc, sec, i, OFF(spu_bpattern, rule),
                             "pattern %u: rule %u is not a PREFILTERED rule of event %u", i,
                             p->rule, p->event);
        has_pat[p->rule] = 1;
    }
    for (uint32_t i = 0; i < v->nrules; i++) {
        const struct spu_brule *r = &v->rules[i];
        if ((r->flags & SPU_RF_PREFILTERED) && !has_pat[i])
            return spu_vfail(vc, SPU_SEC_RULE, i, OFF(spu_brule, flags),
                             "rule %u: PREFILTERED without any pattern", i);
        if ((r->flags & SPU_RF_INDEXED) && !in_tree[i])
            return spu_vfail(vc, SPU_SEC_RULE, i, OFF(spu_brule, flags),
                             "rule %u: INDEXED but in no node of its event's tree", i);
    }
    return SPU_OK;
}

int spu_verify(const struct spu_bview *v, struct spu_error *err)
{
    struct vctx vc = {.v = v, .err = err};
    for (unsigned i = 0; i < SPU_BI__COUNT; i++)
        vc.arity[i] = (uint8_t)spu_builtin_arity(i);
    uint8_t *marks = calloc(3 * (size_t)v->nrules + 1, 1);
    if (!marks)
        return spu_error_set(err, SPU_ENOMEM, "out of memory verifying the bundle");
    uint8_t *listed = marks, *in_tree = marks + v->nrules, *has_pat = marks + 2 * v->nrules;
    int rc = check_globals(&vc);
    if (rc == SPU_OK)
        rc = check_consts(&vc);
    if (rc == SPU_OK)
        rc = check_layouts(&vc);
    if (rc == SPU_OK)
        rc = check_prog_headers(&vc);
    if (rc == SPU_OK)
        rc = check_code_overlap(&vc);
    if (rc == SPU_OK)
        rc = check_dfas(&vc);
    if (rc == SPU_OK)
        rc = check_regexes_lists(&vc);
    if (rc == SPU_OK)
        rc = check_sinks_protos(&vc);
    if (rc == SPU_OK)
        rc = check_events(&vc, listed);
    if (rc == SPU_OK)
        rc = check_rules(&vc, listed);
    if (rc == SPU_OK)
        rc = check_sessions(&vc);
    if (rc == SPU_OK)
        rc = check_edges(&vc);
    if (rc == SPU_OK)
        rc = walk_trees(&vc, in_tree);
    if (rc == SPU_OK)
        rc = check_patterns(&vc, in_tree, has_pat);
    if (rc == SPU_OK)
        rc = spu_verify_logs(&vc);
    for (uint32_t i = 0; rc == SPU_OK && i < v->nprogs; i++)
        rc = spu_verify_code(&vc, i);
    free(marks);
    return rc;
}

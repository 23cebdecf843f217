/*
 * bundle-stores.c - the `digest` captures whose stored bytes nothing reads
 * (see bundle-stores.h). A capture such as http.spg's response body
 * (`body: ... limit 1MB digest`) streams every byte through its digest
 * (size, md5, sha1, sha256) and keeps up to its limit of them in the
 * message's arena. When every program that loads the field only asks
 * the digest (file_size(body), md5(body), ...), the copy is work for
 * nobody: the gvm then counts the bytes (for the limit and its anomaly)
 * and keeps none (gvm-sink.c). The question is answered from the code of
 * every bundle in the set, as bundle-hashes.c answers which hashes rules
 * read; fields are matched by layout and field name, so that rules of one
 * bundle reading another bundle's records count too.
 */
#include "bundle-stores.h"

#include "builtin-api.h"
#include "bundle-view.h"
#include "bytecode.h"
#include "value.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define STORES_MAX_NEST 64u /* open sinks followed in one program */

/* One candidate: the sink's content goes into field `field` of layout
 * `layout` (indexes of the sink's bundle). */
struct cand {
    uint32_t layout, field;
    bool valid;  /* a digest capture stored straight into a field */
    bool demand; /* something reads its bytes */
};

uint32_t spu_bundle_store_sinks(const struct spu_bundle *b)
{
    return spu_bundle_view(b)->nsinks;
}

static bool str_eq(const struct spu_bview *v, struct spu_bstr s, const struct spu_bview *w,
                   struct spu_bstr t)
{
    const char *a = spu_bview_str(v, s), *c = spu_bview_str(w, t);
    return a && c && s.len == t.len && memcmp(a, c, s.len) == 0;
}

/* Whether insn `next` takes the value just loaded only for its digest. */
static bool digest_use(const struct spu_insn *next, unsigned host)
{
    if (!next || next->op != SPU_OP_CALL || next->a != 1)
        return false;
    switch (next->c) {
    case SPU_BI_file_size:
    case SPU_BI_md5:
    case SPU_BI_sha1:
    case SPU_BI_sha256:
        return true;
    case SPU_BI_magic:
        return !(host & SPU_STORE_HOST_MAGIC);
    case SPU_BI_filestore:
        return !(host & SPU_STORE_HOST_FILESTORE);
    default:
        return false;
    }
}

/* Candidates of b's sinks whose layout is named like layout l of w, or
 * like a layout nested in it (its records' fields), are demanded: a whole
 * record of layout l is read. */
static void demand_layout(const struct spu_bview *v, struct cand *cs, const struct spu_bview *w,
                          uint32_t l, unsigned depth)
{
    if (l >= w->nlayouts || depth > 8)
        return;
    for (uint32_t s = 0; s < v->nsinks; s++)
        if (cs[s].valid && cs[s].layout < v->nlayouts &&
            str_eq(v, v->layouts[cs[s].layout].name, w, w->layouts[l].name))
            cs[s].demand = true;
    for (uint32_t f = 0; f < w->layouts[l].nfields; f++) {
        const struct spu_bfield *fd = spu_bview_field(w, l, f);
        if (fd && fd->type == SPU_T_REC && !(fd->sub & SPU_LAYOUT_STD) && fd->sub != l)
            demand_layout(v, cs, w, fd->sub, depth + 1);
    }
}

/* A load of field f of layout l of w followed by `next`. */
static void mark_load(const struct spu_bview *v, struct cand *cs, const struct spu_bview *w,
                      uint32_t l, uint32_t f, const struct spu_insn *next, unsigned host)
{
    const struct spu_bfield *fd = spu_bview_field(w, l, f);
    if (!fd)
        return;
    if (fd->type == SPU_T_REC && !(fd->sub & SPU_LAYOUT_STD) && fd->sub != SPU_NONE) {
        bool member = next && next->op == SPU_OP_MEMBER && next->c == fd->sub &&
                      !(fd->flags & SPU_FF_ARRAY);
        if (!member)
            demand_layout(v, cs, w, fd->sub, 0);
        return;
    }
    if (digest_use(next, host))
        return;
    for (uint32_t s = 0; s < v->nsinks; s++) {
        if (!cs[s].valid || cs[s].demand)
            continue;
        const struct spu_bfield *cf = spu_bview_field(v, cs[s].layout, cs[s].field);
        if (cf && str_eq(v, cf->name, w, fd->name) &&
            str_eq(v, v->layouts[cs[s].layout].name, w, w->layouts[l].name))
            cs[s].demand = true;
    }
}

/* The actions that rewrite a message find its body by the field's name
 * (runtime/rewrite-msg.c), not through a load this scan sees. */
static bool reads_body_by_name(uint32_t builtin)
{
    return builtin == SPU_BI_InsertString || builtin == SPU_BI_DeleteString ||
           builtin == SPU_BI_ReplaceHeader || builtin == SPU_BI_InsertCookie;
}

/* Every read of w's programs; false when one calls a rewrite action. */
static bool scan_reads(const struct spu_bview *v, struct cand *cs, const struct spu_bview *w,
                       unsigned host)
{
    for (uint32_t p = 0; p < w->nprogs; p++) {
        const struct spu_bprog *pr = &w->progs[p];
        if (pr->code_off > w->ncode || pr->code_len > w->ncode - pr->code_off)
            return false;
        const struct spu_insn *code = w->code + pr->code_off;
        for (uint32_t k = 0; k < pr->code_len; k++) {
            const struct spu_insn *in = &code[k];
            const struct spu_insn *next = k + 1 < pr->code_len ? &code[k + 1] : NULL;
            switch (in->op) {
            case SPU_OP_LOAD_FIELD:
                if (pr->layout >= w->nlayouts)
                    return false; /* a record this scan cannot name */
                mark_load(v, cs, w, pr->layout, in->b, next, host);
                break;
            case SPU_OP_LOAD_ANC:
            case SPU_OP_LOAD_PAIR:
            case SPU_OP_MEMBER:
                mark_load(v, cs, w, in->c, in->b, next, host);
                break;
            case SPU_OP_CALL:
                if (in->c >= SPU_BI__COUNT || reads_body_by_name(in->c))
                    return false;
                break;
            default:
                break;
            }
        }
    }
    return true;
}

/* The digest captures of v stored straight into a field. */
static bool find_candidates(const struct spu_bview *v, struct cand *cs)
{
    for (uint32_t p = 0; p < v->nprogs; p++) {
        const struct spu_bprog *pr = &v->progs[p];
        if (pr->kind != SPU_PROG_UNIT && pr->kind != SPU_PROG_MESSAGE)
            continue;
        if (pr->code_off > v->ncode || pr->code_len > v->ncode - pr->code_off)
            return false;
        const struct spu_insn *code = v->code + pr->code_off;
        uint32_t open[STORES_MAX_NEST], n = 0;
        for (uint32_t k = 0; k < pr->code_len; k++) {
            const struct spu_insn *in = &code[k];
            if (in->op == SPU_OP_G_SINK_OPEN) {
                if (n == STORES_MAX_NEST || in->c >= v->nsinks)
                    return false;
                open[n++] = in->c;
            } else if (in->op == SPU_OP_G_SINK_CLOSE) {
                if (n == 0)
                    return false;
                uint32_t s = open[--n];
                const struct spu_bsink *bs = &v->sinks[s];
                const struct spu_insn *next = k + 1 < pr->code_len ? &code[k + 1] : NULL;
                bool ok = (bs->flags & SPU_SINKF_DIGEST) && !(bs->flags & SPU_SINKF_RECORD) &&
                          bs->limit != 0 && (in->a & SPU_GF_CAPTURE) && next &&
                          next->op == SPU_OP_STORE_FIELD && pr->layout < v->nlayouts &&
                          spu_bview_field(v, pr->layout, next->b);
                if (!ok || (cs[s].valid && (cs[s].layout != pr->layout || cs[s].field != next->b))) {
                    cs[s].demand = true;
                    continue;
                }
                cs[s].valid = true;
                cs[s].layout = pr->layout;
                cs[s].field = next->b;
            }
        }
        if (n)
            return false;
    }
    return true;
}

uint32_t spu_bundle_store_skips(const struct spu_bundle *b, const struct spu_bundle *const *set,
                                unsigned nset, unsigned host, uint8_t *skip)
{
    const struct spu_bview *v = spu_bundle_view(b);
    if (!v->nsinks)
        return 0;
    memset(skip, 0, v->nsinks);
    struct cand *cs = calloc(v->nsinks, sizeof(*cs));
    if (!cs)
        return 0; /* every sink keeps its bytes */
    bool ok = find_candidates(v, cs);
    for (unsigned i = 0; ok && i < nset; i++)
        ok = scan_reads(v, cs, spu_bundle_view(set[i]), host);
    uint32_t n = 0;
    for (uint32_t s = 0; ok && s < v->nsinks; s++)
        if (cs[s].valid && !cs[s].demand) {
            skip[s] = 1;
            n++;
        }
    free(cs);
    return n;
}

/* bundle.c - loading, checking and sharing bundles (see bundle.h). */
#include "bundle.h"

#include "builtin-api.h"
#include "bundle-int.h"
#include "lists.h"
#include "prefilter.h"
#include "verify.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static void bundle_free(struct spu_bundle *b)
{
    if (!b)
        return;
    if (b->re)
        for (uint32_t i = 0; i < b->v.nregexes; i++)
            pcre2_code_free(b->re[i]);
    free(b->re);
    spu_prefilter_free(b->pf);
    spu_lists_free(b->lists);
    free(b->kvals);
    free(b->layouts);
    free(b->names);
    free(b->unindexed);
    free(b->unidx_off);
    if (b->mem)
        munmap(b->mem, b->map_len);
    free(b);
}

struct spu_bundle *spu_bundle_ref(struct spu_bundle *b)
{
    atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
    return b;
}

void spu_bundle_unref(struct spu_bundle *b)
{
    if (!b)
        return;
    if (atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1)
        bundle_free(b);
}

/* ---- the checks before verification ---- */

static int check_integrity(struct spu_bundle *b, const struct spu_bundle_opts *o,
                           struct spu_error *err)
{
    const struct spu_bview *v = &b->v;
    const struct spu_bhdr *h = v->hdr;
    uint8_t sum[32], fp[32];
    const struct spu_bview_sect *ss = &v->sec[SPU_SEC_SIG];
    int rc = spu_bundle_digest(v->base, v->size, ss->off, ss->present ? ss->size : 0, sum);
    if (rc != SPU_OK)
        return spu_error_set(err, rc, "cannot compute the checksum");
    if (memcmp(sum, h->checksum, 32) != 0)
        return spu_error_at(err, SPU_ECHECKSUM, "header", offsetof(struct spu_bhdr, checksum),
                            "checksum mismatch: the bundle is corrupted");
    spu_stdlib_fingerprint(fp);
    if (memcmp(fp, h->stdlib_fp, 32) != 0)
        return spu_error_at(err, SPU_EVERSION, "header", offsetof(struct spu_bhdr, stdlib_fp),
                            "built against other builtin/filter/record/event tables: "
                            "recompile it with this spuc");
    int trusted = 0;
    if (v->sig) {
        uint8_t id[8];
        for (size_t k = 0; o && k < o->ntrusted_keys; k++) {
            if (spu_key_id(o->trusted_keys[k], id) != SPU_OK)
                return spu_error_set(err, SPU_ENOMEM, "cannot hash a trusted key");
            if (memcmp(id, v->sig->key_id, 8) != 0)
                continue;
            if (spu_sign_check(o->trusted_keys[k], h->checksum, v->sig->sig) != SPU_OK)
                return spu_error_at(err, SPU_ECHECKSUM, "sig", ss->off,
                                    "signature by trusted key %zu does not verify", k);
            trusted = 1;
            break;
        }
    }
    if (o && o->require_signature && !trusted)
        return spu_error_at(err, SPU_ECHECKSUM, v->sig ? "sig" : "header",
                            v->sig ? ss->off : offsetof(struct spu_bhdr, flags),
                            v->sig ? "signed by a key that is not trusted"
                                   : "unsigned bundle, and a signature is required");
    b->trusted_sig = trusted;
    return SPU_OK;
}

/* ---- derived objects ---- */

static int build_values(struct spu_bundle *b, struct spu_error *err)
{
    const struct spu_bview *v = &b->v;
    b->kvals = calloc(v->nconsts ? v->nconsts : 1, sizeof(*b->kvals));
    b->layouts = calloc(v->nlayouts ? v->nlayouts : 1, sizeof(*b->layouts));
    size_t nl = 0;
    for (uint32_t i = 0; i < v->nlayouts; i++)
        nl += v->layouts[i].name.len + 1;
    b->names = malloc(nl ? nl : 1);
    if (!b->kvals || !b->layouts || !b->names)
        return spu_error_set(err, SPU_ENOMEM, "out of memory loading the bundle");
    for (uint32_t i = 0; i < v->nconsts; i++) {
        const struct spu_bconst *k = &v->consts[i];
        struct spu_value *x = &b->kvals[i];
        switch (k->kind) {
        case SPU_K_INT:
            *x = spu_v_int((int64_t)k->val);
            break;
        case SPU_K_STR:
            *x = spu_v_str(v->strtab ? v->strtab + k->val : "", k->len);
            break;
        case SPU_K_IP:
            x->type = SPU_T_IP;
            x->aux = k->aux;
            x->len = k->len;
            x->u.s = (const uint8_t *)v->strtab + k->val;
            break;
        case SPU_K_LIST:
        case SPU_K_REGEX:
            x->type = k->kind == SPU_K_LIST ? SPU_T_LIST : SPU_T_REGEX;
            x->u.idx = (uint32_t)k->val;
            break;
        }
    }
    char *np = b->names;
    for (uint32_t i = 0; i < v->nlayouts; i++) {
        const struct spu_blayout *l = &v->layouts[i];
        struct spu_layout *x = &b->layouts[i];
        memcpy(np, spu_bview_str(v, l->name), l->name.len);
        np[l->name.len] = '\0';
        x->name = np;
        np += l->name.len + 1;
        x->id = i;
        x->nfields = l->nfields;
        x->map_key = (l->flags & SPU_LF_MAP) ? (int32_t)l->map_key : -1;
        x->map_value = (l->flags & SPU_LF_MAP) ? (int32_t)l->map_value : -1;
    }
    return SPU_OK;
}

static int build_regexes(struct spu_bundle *b, struct spu_error *err)
{
    const struct spu_bview *v = &b->v;
    b->re = calloc(v->nregexes ? v->nregexes : 1, sizeof(*b->re));
    if (!b->re)
        return spu_error_set(err, SPU_ENOMEM, "out of memory loading the bundle");
    for (uint32_t i = 0; i < v->nregexes; i++) {
        const struct spu_bregex *r = &v->regexes[i];
        uint32_t opts = PCRE2_NEVER_UTF | PCRE2_NEVER_UCP;
        opts |= (r->flags & SPU_RE_I) ? PCRE2_CASELESS : 0;
        opts |= (r->flags & SPU_RE_S) ? PCRE2_DOTALL : 0;
        opts |= (r->flags & SPU_RE_M) ? PCRE2_MULTILINE : 0;
        opts |= (r->flags & SPU_RE_X) ? PCRE2_EXTENDED : 0;
        int ecode;
        PCRE2_SIZE eoff;
        const char *pat = spu_bview_str(v, r->pattern);
        b->re[i] = pcre2_compile((PCRE2_SPTR)pat, r->pattern.len, opts, &ecode, &eoff, NULL);
        if (!b->re[i]) {
            PCRE2_UCHAR msg[120];
            if (pcre2_get_error_message(ecode, msg, sizeof(msg)) < 0)
                snprintf((char *)msg, sizeof(msg), "error %d", ecode);
            return spu_error_at(err, SPU_EFORMAT, "regex", spu_bview_off(v, SPU_SEC_REGEX, i, 0),
                                "regex %u: %s at pattern offset %zu", i, (const char *)msg,
                                (size_t)eoff);
        }
        /* Without JIT (unsupported CPU, no executable memory) the
         * interpreter runs the same pattern: nothing to report. */
        (void)pcre2_jit_compile(b->re[i], PCRE2_JIT_COMPLETE);
    }
    return SPU_OK;
}

/* One list: its inline items (constants, or regexes for regex lists),
 * then its file, sealed. */
static int build_list(const struct spu_bundle *b, uint32_t i, const struct spu_bundle_opts *o,
                      struct spu_listset *s, spu_list_edit_fn edit, void *edit_ctx,
                      struct spu_error *err)
{
    const struct spu_bview *v = &b->v;
    const struct spu_blist *l = &v->lists[i];
    int rc = SPU_OK;
    for (uint32_t k = 0; rc == SPU_OK && k < l->nitems; k++) {
        uint32_t it = v->u32[l->items + k];
        if (l->kind == SPU_LIST_REGEX) {
            const struct spu_bregex *r = &v->regexes[it];
            rc = spu_listset_add_regex(s, spu_bview_str(v, r->pattern), r->pattern.len, r->flags,
                                       err);
        } else {
            rc = spu_listset_add_value(s, &b->kvals[it], err);
        }
    }
    if (rc == SPU_OK && (l->flags & SPU_LISTF_FILE)) {
        char path[4096];
        const char *p = spu_bview_str(v, l->path), *base = spu_bview_str(v, l->base);
        int n;
        if (p[0] == '/')
            n = snprintf(path, sizeof(path), "%.*s", (int)l->path.len, p);
        else if (o && o->list_dir)
            n = snprintf(path, sizeof(path), "%s/%.*s", o->list_dir, (int)l->path.len, p);
        else if (l->base.len)
            n = snprintf(path, sizeof(path), "%.*s/%.*s", (int)l->base.len, base, (int)l->path.len,
                         p);
        else
            n = snprintf(path, sizeof(path), "%.*s", (int)l->path.len, p);
        if (n < 0 || (size_t)n >= sizeof(path) || memchr(p, '\0', l->path.len) ||
            memchr(base, '\0', l->base.len))
            return spu_error_at(err, SPU_EFORMAT, "list", spu_bview_off(v, SPU_SEC_LIST, i, 0),
                                "list %u: unusable file path", i);
        rc = spu_listset_load_file(s, path, err);
    }
    if (rc == SPU_OK && edit)
        rc = edit(edit_ctx, s, err);
    if (rc == SPU_OK)
        rc = spu_listset_seal(s, err);
    /* an error in a list file already names the file and the line */
    if (rc != SPU_OK && err && err->where[0] == '\0') {
        char msg[sizeof(err->msg)];
        snprintf(msg, sizeof(msg), "%s", err->msg[0] ? err->msg : spu_strerror(rc));
        spu_error_at(err, rc, "list", spu_bview_off(v, SPU_SEC_LIST, i, 0), "list %u: %s", i, msg);
    }
    return rc;
}

static int build_lists(struct spu_bundle *b, const struct spu_bundle_opts *o, struct spu_error *err)
{
    const struct spu_bview *v = &b->v;
    b->lists = spu_lists_new(v->nlists, err);
    if (!b->lists)
        return SPU_ENOMEM;
    for (uint32_t i = 0; i < v->nlists; i++) {
        const struct spu_blist *l = &v->lists[i];
        struct spu_listset *s = spu_listset_new(l->kind, l->flags & SPU_LISTF_NOCASE, err);
        if (!s)
            return SPU_ENOMEM;
        int rc = build_list(b, i, o, s, NULL, NULL, err);
        if (rc == SPU_OK)
            rc = spu_lists_install(b->lists, i, s);
        if (rc != SPU_OK) {
            spu_listset_free(s); /* installed only on success */
            return rc;
        }
    }
    return SPU_OK;
}

struct spu_listset *spu_bundle_list_rebuild(const struct spu_bundle *b, uint32_t i,
                                            struct spu_error *err)
{
    return spu_bundle_list_rebuild_with(b, i, NULL, NULL, err);
}

struct spu_listset *spu_bundle_list_rebuild_with(const struct spu_bundle *b, uint32_t i,
                                                 spu_list_edit_fn edit, void *ctx,
                                                 struct spu_error *err)
{
    if (i >= b->v.nlists) {
        spu_error_set(err, SPU_EINVAL, "no list %u", i);
        return NULL;
    }
    const struct spu_blist *l = &b->v.lists[i];
    struct spu_listset *s = spu_listset_new(l->kind, l->flags & SPU_LISTF_NOCASE, err);
    if (s && build_list(b, i, NULL, s, edit, ctx, err) != SPU_OK) {
        spu_listset_free(s);
        s = NULL;
    }
    return s;
}

static int build_unindexed(struct spu_bundle *b, struct spu_error *err)
{
    const struct spu_bview *v = &b->v;
    b->unidx_off = calloc((size_t)v->nevents + 1, sizeof(uint32_t));
    b->unindexed = malloc((v->nrules ? v->nrules : 1) * sizeof(uint32_t));
    if (!b->unidx_off || !b->unindexed)
        return spu_error_set(err, SPU_ENOMEM, "out of memory loading the bundle");
    uint32_t n = 0;
    for (uint32_t e = 0; e < v->nevents; e++) {
        b->unidx_off[e] = n;
        const struct spu_bevent *ev = &v->events[e];
        uint32_t start = n;
        for (uint32_t k = 0; k < ev->nrules; k++) {
            uint32_t r = v->u32[ev->rules + k];
            if (!(v->rules[r].flags & SPU_RF_INDEXED))
                b->unindexed[n++] = r;
        }
        /* ascending: insertion sort, lists are in source order already */
        for (uint32_t i = start + 1; i < n; i++)
            for (uint32_t j = i; j > start && b->unindexed[j - 1] > b->unindexed[j]; j--) {
                uint32_t t = b->unindexed[j];
                b->unindexed[j] = b->unindexed[j - 1];
                b->unindexed[j - 1] = t;
            }
    }
    b->unidx_off[v->nevents] = n;
    return SPU_OK;
}

/* Takes the mapping (mem, map_len) holding `len` bundle bytes. */
static struct spu_bundle *load(uint8_t *mem, size_t map_len, size_t len,
                               const struct spu_bundle_opts *opts, struct spu_error *err)
{
    struct spu_bundle *b = calloc(1, sizeof(*b));
    if (!b) {
        munmap(mem, map_len);
        spu_error_set(err, SPU_ENOMEM, "out of memory loading the bundle");
        return NULL;
    }
    atomic_init(&b->refs, 1);
    b->mem = mem;
    b->map_len = map_len;
    if (mprotect(mem, map_len, PROT_READ) != 0) {
        spu_error_set(err, SPU_EIO, "cannot make the bundle read-only: %s", strerror(errno));
        goto fail;
    }
    if (spu_bview_parse(mem, len, &b->v, err) != SPU_OK ||
        check_integrity(b, opts, err) != SPU_OK || spu_verify(&b->v, err) != SPU_OK ||
        build_values(b, err) != SPU_OK || build_regexes(b, err) != SPU_OK ||
        build_lists(b, opts, err) != SPU_OK || build_unindexed(b, err) != SPU_OK)
        goto fail;
    const struct spu_bview *v = &b->v;
    if (spu_prefilter_build(v, b->trusted_sig ? v->hsdb : NULL, b->trusted_sig ? v->nhsdb : 0,
                            &b->pf, err) != SPU_OK)
        goto fail;
    return b;
fail:
    bundle_free(b);
    return NULL;
}

static uint8_t *map_anon(size_t len, size_t *map_len)
{
    size_t n = len ? len : 1;
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    *map_len = n;
    return p;
}

struct spu_bundle *spu_bundle_load_mem(const void *data, size_t len,
                                       const struct spu_bundle_opts *opts, struct spu_error *err)
{
    spu_error_clear(err);
    if (len > SPU_BUNDLE_MAX_SIZE) {
        spu_error_at(err, SPU_EFORMAT, "header", 0, "bundle larger than 2 GiB");
        return NULL;
    }
    size_t map_len;
    uint8_t *mem = map_anon(len, &map_len);
    if (!mem) {
        spu_error_set(err, SPU_ENOMEM, "cannot map %zu bytes for the bundle", len);
        return NULL;
    }
    if (len)
        memcpy(mem, data, len);
    return load(mem, map_len, len, opts, err);
}

struct spu_bundle *spu_bundle_load_file(const char *path, const struct spu_bundle_opts *opts,
                                        struct spu_error *err)
{
    spu_error_clear(err);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        spu_error_at(err, SPU_EIO, path, UINT64_MAX, "cannot open: %s", strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        spu_error_at(err, SPU_EIO, path, UINT64_MAX, "not a regular file");
        return NULL;
    }
    if ((uint64_t)st.st_size > SPU_BUNDLE_MAX_SIZE) {
        close(fd);
        spu_error_at(err, SPU_EFORMAT, "header", 0, "%s: bundle larger than 2 GiB", path);
        return NULL;
    }
    size_t len = (size_t)st.st_size, map_len, got = 0;
    uint8_t *mem = map_anon(len, &map_len);
    if (!mem) {
        close(fd);
        spu_error_set(err, SPU_ENOMEM, "cannot map %zu bytes for %s", len, path);
        return NULL;
    }
    /* Read, not mmap the file: a file changed under a mapping would change
     * a verified bundle. */
    while (got < len) {
        ssize_t r = read(fd, mem + got, len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (got != len) {
        munmap(mem, map_len);
        spu_error_at(err, SPU_EIO, path, got, "short read (%zu of %zu bytes)", got, len);
        return NULL;
    }
    struct spu_bundle *b = load(mem, map_len, len, opts, err);
    if (!b && err && err->where[0] == '\0')
        snprintf(err->where, sizeof(err->where), "%s", path);
    return b;
}

/* ---- accessors ---- */

const struct spu_bview *spu_bundle_view(const struct spu_bundle *b)
{
    return &b->v;
}

const uint8_t *spu_bundle_checksum(const struct spu_bundle *b)
{
    return b->v.hdr->checksum;
}

uint64_t spu_bundle_size(const struct spu_bundle *b)
{
    return b->v.size;
}

int spu_bundle_signed(const struct spu_bundle *b)
{
    return b->trusted_sig;
}

const char *spu_bundle_name(const struct spu_bundle *b, uint32_t *len)
{
    *len = b->v.globals->name.len;
    return spu_bview_str(&b->v, b->v.globals->name);
}

const char *spu_bundle_str(const struct spu_bundle *b, struct spu_bstr s, uint32_t *len)
{
    const char *p = spu_bview_str(&b->v, s);
    if (len)
        *len = p ? s.len : 0;
    return p;
}

const uint32_t *spu_bundle_u32(const struct spu_bundle *b, uint32_t off)
{
    return off <= b->v.nu32 && b->v.u32 ? b->v.u32 + off : NULL;
}

const struct spu_layout *spu_bundle_layout(const struct spu_bundle *b, uint32_t id)
{
    if (id & SPU_LAYOUT_STD) {
        uint32_t k = id & ~SPU_LAYOUT_STD;
        return k < SPU_REC__COUNT ? &spu_std_records[k].layout : NULL;
    }
    return id < b->v.nlayouts ? &b->layouts[id] : NULL;
}

const struct spu_value *spu_bundle_const(const struct spu_bundle *b, uint32_t i)
{
    return i < b->v.nconsts ? &b->kvals[i] : NULL;
}

const pcre2_code *spu_bundle_regex(const struct spu_bundle *b, uint32_t i)
{
    return i < b->v.nregexes ? b->re[i] : NULL;
}

struct spu_lists *spu_bundle_lists(const struct spu_bundle *b)
{
    return b->lists;
}

const struct spu_prefilter *spu_bundle_prefilter(const struct spu_bundle *b)
{
    return b->pf;
}

const uint32_t *spu_bundle_unindexed(const struct spu_bundle *b, uint32_t ev, uint32_t *n)
{
    if (ev >= b->v.nevents) {
        *n = 0;
        return NULL;
    }
    *n = b->unidx_off[ev + 1] - b->unidx_off[ev];
    return b->unindexed + b->unidx_off[ev];
}

#define SPU_BUNDLE_ARRAY(fn, type, ptr, cnt)                                                       \
    const type *spu_bundle_##fn(const struct spu_bundle *b, uint32_t *n)                           \
    {                                                                                              \
        *n = b->v.cnt;                                                                             \
        return b->v.ptr;                                                                           \
    }
SPU_BUNDLE_ARRAY(consts_raw, struct spu_bconst, consts, nconsts)
SPU_BUNDLE_ARRAY(code, struct spu_insn, code, ncode)
SPU_BUNDLE_ARRAY(progs, struct spu_bprog, progs, nprogs)
SPU_BUNDLE_ARRAY(layouts_raw, struct spu_blayout, layouts, nlayouts)
SPU_BUNDLE_ARRAY(fields, struct spu_bfield, fields, nfields)
SPU_BUNDLE_ARRAY(dfas, struct spu_bdfa, dfas, ndfas)
SPU_BUNDLE_ARRAY(dfadata, uint32_t, dfadata, ndfadata)
SPU_BUNDLE_ARRAY(regexes_raw, struct spu_bregex, regexes, nregexes)
SPU_BUNDLE_ARRAY(lists_raw, struct spu_blist, lists, nlists)
SPU_BUNDLE_ARRAY(sinks, struct spu_bsink, sinks, nsinks)
SPU_BUNDLE_ARRAY(protos, struct spu_bproto, protos, nprotos)
SPU_BUNDLE_ARRAY(events, struct spu_bevent, events, nevents)
SPU_BUNDLE_ARRAY(rules, struct spu_brule, rules, nrules)
SPU_BUNDLE_ARRAY(sessions, struct spu_bsession, sessions, nsessions)
SPU_BUNDLE_ARRAY(inodes, struct spu_binode, inodes, ninodes)
SPU_BUNDLE_ARRAY(iedges, struct spu_biedge, iedges, niedges)
SPU_BUNDLE_ARRAY(patterns, struct spu_bpattern, patterns, npatterns)
SPU_BUNDLE_ARRAY(outputs, struct spu_boutput, outputs, noutputs)
SPU_BUNDLE_ARRAY(metas, struct spu_bmeta, metas, nmetas)
SPU_BUNDLE_ARRAY(states, struct spu_bstate, states, nstates)
SPU_BUNDLE_ARRAY(logs, struct spu_blog, logs, nlogs)
SPU_BUNDLE_ARRAY(logents, struct spu_blogent, logents, nlogents)
SPU_BUNDLE_ARRAY(queues, struct spu_bqueue, queues, nqueues)
#undef SPU_BUNDLE_ARRAY

/* bundle-write.c - the bundle builder and writer (see bundle-write.h). */
#include "bundle-write.h"

#include "builtin-api.h"
#include "bundle-crypt.h"
#include "bundle-view.h"
#include "grow.h"
#include "prefilter.h"
#include "value.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vec {
    uint8_t *p;
    size_t len; /* bytes */
    size_t cap;
};

/* Deduplication map: open addressing over ids (index + 1 in `slot`), with
 * each id's hash kept so the table can grow. */
struct dmap {
    uint32_t *slot;
    uint32_t cap; /* power of two */
    uint32_t n;
    uint32_t *hash; /* by id */
    uint32_t hcap;
};

struct strent {
    uint32_t off, len;
};

struct spu_bw {
    struct vec sec[SPU_SEC__MAX + 1];
    struct spu_bglobals globals;
    struct vec strs; /* struct strent, by string id */
    struct dmap strmap;
    struct dmap constmap; /* ids are CONST indexes */
    int status;
};

static int vec_reserve(struct vec *v, size_t more)
{
    if (v->len + more <= v->cap)
        return SPU_OK;
    size_t ncap = more <= SPU_BUNDLE_MAX_SIZE - v->len
                      ? spu_grow_cap(v->cap, v->len + more, 256, SPU_BUNDLE_MAX_SIZE)
                      : 0;
    if (!ncap)
        return SPU_ELIMIT;
    uint8_t *np = realloc(v->p, ncap);
    if (!np)
        return SPU_ENOMEM;
    v->p = np;
    v->cap = ncap;
    return SPU_OK;
}

/* Appends n bytes (zeros when p is NULL); returns the old length or
 * SIZE_MAX, recording the error in the builder. */
static size_t vec_append(struct spu_bw *bw, struct vec *v, const void *p, size_t n)
{
    if (bw->status != SPU_OK)
        return SIZE_MAX;
    int rc = vec_reserve(v, n);
    if (rc != SPU_OK) {
        bw->status = rc;
        return SIZE_MAX;
    }
    size_t at = v->len;
    if (n) {
        if (p)
            memcpy(v->p + at, p, n);
        else
            memset(v->p + at, 0, n);
    }
    v->len += n;
    return at;
}

static uint32_t fnv1a(const void *p, size_t n, uint32_t h)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 16777619u;
    }
    return h;
}

static void dmap_free(struct dmap *m)
{
    free(m->slot);
    free(m->hash);
}

static int dmap_grow(struct dmap *m)
{
    uint32_t ncap = m->cap ? m->cap * 2 : 64;
    uint32_t *ns = calloc(ncap, sizeof(*ns));
    if (!ns)
        return SPU_ENOMEM;
    for (uint32_t i = 0; i < m->cap; i++) {
        uint32_t id1 = m->slot[i];
        if (!id1)
            continue;
        uint32_t j = m->hash[id1 - 1] & (ncap - 1);
        while (ns[j])
            j = (j + 1) & (ncap - 1);
        ns[j] = id1;
    }
    free(m->slot);
    m->slot = ns;
    m->cap = ncap;
    return SPU_OK;
}

/* Finds the id whose entry eq() says equals the key, or inserts `new_id`.
 * Returns the id found or inserted, or SPU_NONE on allocation failure. */
static uint32_t dmap_intern(struct dmap *m, uint32_t h, uint32_t new_id,
                            int (*eq)(const struct spu_bw *, uint32_t, const void *),
                            const struct spu_bw *bw, const void *key, int *found)
{
    *found = 0;
    if ((m->n + 1) * 4 > m->cap * 3 && dmap_grow(m) != SPU_OK)
        return SPU_NONE;
    uint32_t j = h & (m->cap - 1);
    while (m->slot[j]) {
        uint32_t id = m->slot[j] - 1;
        if (m->hash[id] == h && eq(bw, id, key)) {
            *found = 1;
            return id;
        }
        j = (j + 1) & (m->cap - 1);
    }
    if (new_id >= m->hcap) {
        uint32_t nh = (uint32_t)spu_grow_cap(m->hcap, (size_t)new_id + 1, 64, UINT32_MAX);
        uint32_t *hp = realloc(m->hash, nh * sizeof(*hp));
        if (!hp)
            return SPU_NONE;
        m->hash = hp;
        m->hcap = nh;
    }
    m->hash[new_id] = h;
    m->slot[j] = new_id + 1;
    m->n++;
    return new_id;
}

struct spu_bw *spu_bw_new(struct spu_error *err)
{
    struct spu_bw *bw = calloc(1, sizeof(*bw));
    if (!bw) {
        spu_error_set(err, SPU_ENOMEM, "out of memory creating the bundle builder");
        return NULL;
    }
    bw->globals.flow_layout = SPU_NONE;
    return bw;
}

void spu_bw_free(struct spu_bw *bw)
{
    if (!bw)
        return;
    for (unsigned i = 0; i <= SPU_SEC__MAX; i++)
        free(bw->sec[i].p);
    free(bw->strs.p);
    dmap_free(&bw->strmap);
    dmap_free(&bw->constmap);
    free(bw);
}

int spu_bw_status(const struct spu_bw *bw)
{
    return bw->status;
}

struct spu_bglobals *spu_bw_globals(struct spu_bw *bw)
{
    return &bw->globals;
}

struct str_key {
    const void *p;
    size_t len;
};

static int str_eq(const struct spu_bw *bw, uint32_t id, const void *key)
{
    const struct str_key *k = key;
    const struct strent *e = (const struct strent *)bw->strs.p + id;
    return e->len == k->len &&
           (k->len == 0 || memcmp(bw->sec[SPU_SEC_STRTAB].p + e->off, k->p, k->len) == 0);
}

struct spu_bstr spu_bw_str(struct spu_bw *bw, const void *p, size_t len)
{
    struct spu_bstr none = {0, 0};
    if (bw->status != SPU_OK)
        return none;
    if (len > UINT32_MAX) {
        bw->status = SPU_ELIMIT;
        return none;
    }
    struct str_key k = {p, len};
    uint32_t new_id = (uint32_t)(bw->strs.len / sizeof(struct strent));
    int found;
    uint32_t id =
        dmap_intern(&bw->strmap, fnv1a(p, len, 2166136261u), new_id, str_eq, bw, &k, &found);
    if (id == SPU_NONE) {
        bw->status = SPU_ENOMEM;
        return none;
    }
    if (found) {
        const struct strent *e = (const struct strent *)bw->strs.p + id;
        return (struct spu_bstr){e->off, e->len};
    }
    size_t off = vec_append(bw, &bw->sec[SPU_SEC_STRTAB], p, len);
    struct strent e = {(uint32_t)off, (uint32_t)len};
    if (off == SIZE_MAX || off > UINT32_MAX ||
        vec_append(bw, &bw->strs, &e, sizeof(e)) == SIZE_MAX) {
        if (bw->status == SPU_OK)
            bw->status = SPU_ELIMIT;
        return none;
    }
    return (struct spu_bstr){e.off, e.len};
}

struct spu_bstr spu_bw_cstr(struct spu_bw *bw, const char *s)
{
    return spu_bw_str(bw, s, s ? strlen(s) : 0);
}

static uint32_t index_of(struct spu_bw *bw, size_t at, size_t unit)
{
    if (at == SIZE_MAX)
        return SPU_NONE;
    if (at / unit >= SPU_NONE) {
        bw->status = SPU_ELIMIT;
        return SPU_NONE;
    }
    return (uint32_t)(at / unit);
}

uint32_t spu_bw_u32(struct spu_bw *bw, const uint32_t *v, size_t n)
{
    if (n > SPU_BUNDLE_MAX_SIZE / 4) {
        bw->status = SPU_ELIMIT;
        return SPU_NONE;
    }
    size_t at = vec_append(bw, &bw->sec[SPU_SEC_U32], v, n * sizeof(uint32_t));
    return index_of(bw, at, sizeof(uint32_t));
}

static int const_eq(const struct spu_bw *bw, uint32_t id, const void *key)
{
    return memcmp(bw->sec[SPU_SEC_CONST].p + (size_t)id * sizeof(struct spu_bconst), key,
                  sizeof(struct spu_bconst)) == 0;
}

static uint32_t add_const(struct spu_bw *bw, const struct spu_bconst *k)
{
    if (bw->status != SPU_OK)
        return SPU_NONE;
    uint32_t new_id = (uint32_t)(bw->sec[SPU_SEC_CONST].len / sizeof(*k));
    int found;
    uint32_t id = dmap_intern(&bw->constmap, fnv1a(k, sizeof(*k), 2166136261u), new_id, const_eq,
                              bw, k, &found);
    if (id == SPU_NONE) {
        bw->status = SPU_ENOMEM;
        return SPU_NONE;
    }
    if (!found && vec_append(bw, &bw->sec[SPU_SEC_CONST], k, sizeof(*k)) == SIZE_MAX)
        return SPU_NONE;
    return id;
}

uint32_t spu_bw_const_int(struct spu_bw *bw, int64_t v)
{
    struct spu_bconst k;
    memset(&k, 0, sizeof(k));
    k.kind = SPU_K_INT;
    k.val = (uint64_t)v;
    return add_const(bw, &k);
}

uint32_t spu_bw_const_str(struct spu_bw *bw, const void *p, size_t len, unsigned flags)
{
    struct spu_bstr s = spu_bw_str(bw, p, len);
    struct spu_bconst k;
    memset(&k, 0, sizeof(k));
    k.kind = SPU_K_STR;
    k.flags = (uint8_t)flags;
    k.len = s.len;
    k.val = s.off;
    return add_const(bw, &k);
}

uint32_t spu_bw_const_ip(struct spu_bw *bw, const uint8_t ip[16], unsigned family, unsigned prefix,
                         unsigned flags)
{
    struct spu_bstr s = spu_bw_str(bw, ip, 16);
    struct spu_bconst k;
    memset(&k, 0, sizeof(k));
    k.kind = SPU_K_IP;
    k.flags = (uint8_t)flags;
    k.aux = (uint16_t)family;
    k.len = prefix;
    k.val = s.off;
    return add_const(bw, &k);
}

static uint32_t const_index(struct spu_bw *bw, unsigned kind, uint32_t idx)
{
    struct spu_bconst k;
    memset(&k, 0, sizeof(k));
    k.kind = (uint8_t)kind;
    k.val = idx;
    return add_const(bw, &k);
}

uint32_t spu_bw_const_list(struct spu_bw *bw, uint32_t list)
{
    return const_index(bw, SPU_K_LIST, list);
}

uint32_t spu_bw_const_regex(struct spu_bw *bw, uint32_t regex)
{
    return const_index(bw, SPU_K_REGEX, regex);
}

uint32_t spu_bw_code(struct spu_bw *bw, const struct spu_insn *code, size_t n)
{
    if (n > SPU_BUNDLE_MAX_SIZE / sizeof(*code)) {
        bw->status = SPU_ELIMIT;
        return SPU_NONE;
    }
    size_t at = vec_append(bw, &bw->sec[SPU_SEC_CODE], code, n * sizeof(*code));
    return index_of(bw, at, sizeof(*code));
}

uint32_t spu_bw_dfa(struct spu_bw *bw, const struct spu_bw_dfa *img)
{
    struct spu_bdfa d;
    memset(&d, 0, sizeof(d));
    d.nstates = img->nstates;
    d.nclasses = img->nclasses;
    d.start = img->start;
    d.nlabels = img->nlabels;
    d.flags = img->flags;
    uint64_t ntrans = (uint64_t)img->nstates * img->nclasses;
    if (ntrans > SPU_BUNDLE_MAX_SIZE / 4 || img->nstates > SPU_BUNDLE_MAX_SIZE / 4) {
        bw->status = SPU_ELIMIT;
        return SPU_NONE;
    }
    struct vec *dd = &bw->sec[SPU_SEC_DFADATA];
    d.classmap = index_of(bw, vec_append(bw, dd, img->classmap, 256), 4);
    d.trans = index_of(bw, vec_append(bw, dd, img->trans, (size_t)ntrans * 4), 4);
    d.accept = index_of(bw, vec_append(bw, dd, img->accept, (size_t)img->nstates * 4), 4);
    d.decide = index_of(bw, vec_append(bw, dd, img->decide, (size_t)img->nstates * 4), 4);
    if (img->source)
        d.source = spu_bw_str(bw, img->source, img->source_len);
    return spu_bw_add(bw, SPU_SEC_DFA, &d);
}

static int is_table_section(unsigned s)
{
    switch (s) {
    case SPU_SEC_PROG:
    case SPU_SEC_LAYOUT:
    case SPU_SEC_FIELD:
    case SPU_SEC_DFA:
    case SPU_SEC_REGEX:
    case SPU_SEC_LIST:
    case SPU_SEC_SINK:
    case SPU_SEC_PROTO:
    case SPU_SEC_EVENT:
    case SPU_SEC_RULE:
    case SPU_SEC_SESSION:
    case SPU_SEC_INODE:
    case SPU_SEC_IEDGE:
    case SPU_SEC_PATTERN:
    case SPU_SEC_OUTPUT:
    case SPU_SEC_QUEUE:
    case SPU_SEC_META:
    case SPU_SEC_LOG:
    case SPU_SEC_LOGENT:
    case SPU_SEC_STATE:
    case SPU_SEC_CONST:
    case SPU_SEC_CODE:
        return 1;
    default:
        return 0;
    }
}

uint32_t spu_bw_add(struct spu_bw *bw, unsigned section, const void *entry)
{
    if (!is_table_section(section) || section == SPU_SEC_CONST || section == SPU_SEC_CODE) {
        if (bw->status == SPU_OK)
            bw->status = SPU_EINVAL;
        return SPU_NONE;
    }
    size_t es = spu_section_entsize(section);
    return index_of(bw, vec_append(bw, &bw->sec[section], entry, es), es);
}

void *spu_bw_at(struct spu_bw *bw, unsigned section, uint32_t index)
{
    if (!is_table_section(section))
        return NULL;
    size_t es = spu_section_entsize(section);
    if ((size_t)index >= bw->sec[section].len / es)
        return NULL;
    return bw->sec[section].p + (size_t)index * es;
}

uint32_t spu_bw_count(const struct spu_bw *bw, unsigned section)
{
    if (section < 1 || section > SPU_SEC__MAX)
        return 0;
    if (section == SPU_SEC_GLOBALS)
        return 1;
    return (uint32_t)(bw->sec[section].len / spu_section_entsize(section));
}

static uint64_t align8(uint64_t x)
{
    return (x + 7) & ~(uint64_t)7;
}

/* Lays out everything (with `hsdb` as the HSDB section when non-NULL) into
 * a new buffer. */
static int layout(struct spu_bw *bw, const struct spu_bw_opts *opts, const uint8_t *hsdb,
                  size_t hsdb_len, uint8_t **out, size_t *out_len, struct spu_error *err)
{
    const void *data[SPU_SEC__MAX + 1] = {0};
    uint64_t size[SPU_SEC__MAX + 1] = {0};
    struct spu_bsig zsig;
    memset(&zsig, 0, sizeof(zsig));
    for (unsigned id = 1; id <= SPU_SEC__MAX; id++) {
        data[id] = bw->sec[id].p;
        size[id] = bw->sec[id].len;
    }
    data[SPU_SEC_GLOBALS] = &bw->globals;
    size[SPU_SEC_GLOBALS] = sizeof(bw->globals);
    data[SPU_SEC_SIG] = &zsig;
    size[SPU_SEC_SIG] = opts && opts->sign_key ? sizeof(zsig) : 0;
    data[SPU_SEC_HSDB] = hsdb;
    size[SPU_SEC_HSDB] = hsdb ? hsdb_len : 0;

    uint32_t nsect = 0;
    for (unsigned id = 1; id <= SPU_SEC__MAX; id++)
        nsect += size[id] > 0;
    uint64_t pos = align8(SPU_BHDR_SIZE + (uint64_t)nsect * sizeof(struct spu_bsect));
    struct spu_bsect tab[SPU_SEC__MAX];
    uint32_t k = 0;
    for (unsigned id = 1; id <= SPU_SEC__MAX; id++) {
        if (!size[id])
            continue;
        tab[k].id = id;
        tab[k].entsize = spu_section_entsize(id);
        tab[k].offset = pos;
        tab[k].size = size[id];
        pos = align8(pos + size[id]);
        k++;
    }
    if (pos > SPU_BUNDLE_MAX_SIZE)
        return spu_error_set(err, SPU_ELIMIT, "bundle would be %llu bytes, more than 2 GiB",
                             (unsigned long long)pos);
    uint8_t *buf = calloc(1, (size_t)pos);
    if (!buf)
        return spu_error_set(err, SPU_ENOMEM, "out of memory writing the bundle");
    struct spu_bhdr *h = (struct spu_bhdr *)buf;
    memcpy(h->magic, SPU_BUNDLE_MAGIC, 8);
    h->version = SPU_BUNDLE_VERSION;
    h->hdr_size = SPU_BHDR_SIZE;
    h->endian = SPU_BUNDLE_ENDIAN;
    h->insn_size = sizeof(struct spu_insn);
    h->value_size = sizeof(struct spu_value);
    h->nsections = nsect;
    h->flags = size[SPU_SEC_SIG] ? SPU_BF_SIGNED : 0;
    h->file_size = pos;
    spu_stdlib_fingerprint(h->stdlib_fp);
    memcpy(buf + SPU_BHDR_SIZE, tab, (size_t)nsect * sizeof(struct spu_bsect));
    uint64_t sig_off = 0;
    for (uint32_t i = 0; i < nsect; i++) {
        memcpy(buf + tab[i].offset, data[tab[i].id], (size_t)tab[i].size);
        if (tab[i].id == SPU_SEC_SIG)
            sig_off = tab[i].offset;
    }
    int rc = spu_bundle_digest(buf, pos, sig_off, size[SPU_SEC_SIG], h->checksum);
    if (rc == SPU_OK && size[SPU_SEC_SIG]) {
        struct spu_bsig sig;
        uint8_t pk[SPU_PUBLIC_KEY_SIZE];
        memcpy(pk, opts->sign_key + 32, sizeof(pk)); /* libsodium: seed then public key */
        rc = spu_key_id(pk, sig.key_id);
        if (rc == SPU_OK)
            rc = spu_sign(opts->sign_key, h->checksum, sig.sig);
        if (rc == SPU_OK)
            memcpy(buf + sig_off, &sig, sizeof(sig));
    }
    if (rc != SPU_OK) {
        free(buf);
        return spu_error_set(err, rc, "cannot checksum or sign the bundle");
    }
    *out = buf;
    *out_len = (size_t)pos;
    return SPU_OK;
}

int spu_bw_write(struct spu_bw *bw, const struct spu_bw_opts *opts, uint8_t **out, size_t *len,
                 struct spu_error *err)
{
    *out = NULL;
    *len = 0;
    if (bw->status != SPU_OK)
        return spu_error_set(err, bw->status, "building the bundle failed: %s",
                             spu_strerror(bw->status));
    int want_hs = opts && opts->hs_cache && bw->sec[SPU_SEC_PATTERN].len > 0;
    uint8_t *buf;
    size_t n;
    int rc = layout(bw, opts, NULL, 0, &buf, &n, err);
    if (rc != SPU_OK || !want_hs)
        goto done;
    /* The databases are compiled from the finished bundle exactly as the
     * loader compiles them, then embedded. */
    struct spu_bview v;
    struct spu_prefilter *pf = NULL;
    uint8_t *blob = NULL;
    size_t blob_len = 0;
    rc = spu_bview_parse(buf, n, &v, err);
    if (rc == SPU_OK)
        rc = spu_prefilter_build(&v, NULL, 0, &pf, err);
    if (rc == SPU_OK)
        rc = spu_prefilter_serialize(pf, &blob, &blob_len, err);
    spu_prefilter_free(pf);
    free(buf);
    buf = NULL;
    if (rc == SPU_OK)
        rc = layout(bw, opts, blob, blob_len, &buf, &n, err);
    free(blob);
done:
    if (rc == SPU_OK) {
        *out = buf;
        *len = n;
    }
    return rc;
}

int spu_bw_write_file(struct spu_bw *bw, const struct spu_bw_opts *opts, const char *path,
                      struct spu_error *err)
{
    uint8_t *buf;
    size_t n;
    int rc = spu_bw_write(bw, opts, &buf, &n, err);
    if (rc != SPU_OK)
        return rc;
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        free(buf);
        return spu_error_at(err, SPU_EINVAL, path, UINT64_MAX, "path too long");
    }
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        free(buf);
        return spu_error_at(err, SPU_EIO, tmp, UINT64_MAX, "cannot create: %s", strerror(errno));
    }
    size_t w = fwrite(buf, 1, n, f);
    int bad = w != n;
    bad |= fclose(f) != 0;
    free(buf);
    if (bad || rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return spu_error_at(err, SPU_EIO, path, UINT64_MAX, "cannot write: %s", strerror(e));
    }
    return SPU_OK;
}

/*
 * gvm-digest.c - the streaming digest of a `digest` capture: every byte
 * that reaches the end of a sink's filter chain is counted and fed to the
 * md5, sha1 and sha256 contexts the gvm asks for (spu_gvm_set_hashes;
 * the others are never initialised nor updated) as it streams, so size
 * and hashes are of the whole content while the stored bytes stay within the sink's limit (the
 * bytes themselves are not kept). On close the stored string carries the
 * result after its bytes (SPU_VF_DIGEST, value.h).
 */
#include "gvm-int.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

struct gdigest {
    EVP_MD_CTX *md[3]; /* md5, sha1, sha256 (SPU_HASH_* bit i); NULL: not asked for */
    uint64_t size;
    uint8_t hashes;
};

static const EVP_MD *md_of(const struct spu_gvm *g, int i)
{
    if (g->dalg[i])
        return g->dalg[i];
    return i == 0 ? EVP_md5() : i == 1 ? EVP_sha1() : EVP_sha256();
}

void spu_gvm_set_hashes(struct spu_gvm *g, unsigned hashes)
{
    g->cfg.skip_hashes = (uint8_t)(~hashes & SPU_HASH_ALL);
}

void gvm_digest_algs_fetch(struct spu_gvm *g)
{
    static const char *const names[3] = {"MD5", "SHA1", "SHA256"};
    for (int i = 0; i < 3; i++)
        if (!g->dalg[i])
            g->dalg[i] = EVP_MD_fetch(NULL, names[i], NULL);
}

void gvm_digest_algs_free(struct spu_gvm *g)
{
    for (int i = 0; i < 3; i++) {
        EVP_MD_free(g->dalg[i]);
        g->dalg[i] = NULL;
    }
}

struct gdigest *gvm_digest_new(struct spu_gvm *g, unsigned hashes)
{
    struct gdigest *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->hashes = (uint8_t)(hashes & SPU_HASH_ALL);
    for (int i = 0; i < 3; i++) {
        if (!(d->hashes & (1u << i)))
            continue;
        d->md[i] = EVP_MD_CTX_new();
        if (!d->md[i] || EVP_DigestInit_ex(d->md[i], md_of(g, i), NULL) != 1) {
            gvm_digest_free(d);
            return NULL;
        }
    }
    return d;
}

void gvm_digest_free(struct gdigest *d)
{
    if (!d)
        return;
    for (int i = 0; i < 3; i++)
        EVP_MD_CTX_free(d->md[i]);
    free(d);
}

int gvm_digest_add(struct gdigest *d, const uint8_t *p, size_t n)
{
    if (!n)
        return 0;
    d->size += n;
    for (int i = 0; i < 3; i++)
        if (d->md[i] && EVP_DigestUpdate(d->md[i], p, n) != 1)
            return -1;
    return 0;
}

int gvm_digest_end(struct gdigest *d, struct spu_digest *out)
{
    unsigned char h[EVP_MAX_MD_SIZE];
    unsigned hn = 0;
    uint8_t *dst[3] = {out->md5, out->sha1, out->sha256};
    const unsigned want[3] = {sizeof(out->md5), sizeof(out->sha1), sizeof(out->sha256)};
    memset(out, 0, sizeof(*out));
    out->size = d->size;
    out->hashes = d->hashes;
    for (int i = 0; i < 3; i++) {
        if (!d->md[i])
            continue;
        if (EVP_DigestFinal_ex(d->md[i], h, &hn) != 1 || hn != want[i])
            return -1;
        memcpy(dst[i], h, hn);
    }
    return 0;
}

struct spu_value gvm_digest_value(struct gctx *c, struct spu_arena *a, struct gdigest *d,
                                  struct spu_value v)
{
    struct spu_digest dg;
    if (gvm_digest_end(d, &dg) != 0) {
        gvm_anomaly_s(c, "memory");
        return v;
    }
    size_t n = v.type == SPU_T_STR ? v.len : 0;
    uint8_t *q = spu_arena_alloc(a, n + sizeof(dg));
    if (!q) {
        gvm_anomaly_s(c, "memory");
        return v;
    }
    if (n)
        memcpy(q, v.u.s, n);
    memcpy(q + n, &dg, sizeof(dg));
    struct spu_value r = spu_v_str(q, (uint32_t)n);
    r.flags = (uint8_t)((v.type == SPU_T_STR ? v.flags : 0) | SPU_VF_DIGEST);
    c->own = q;
    c->own_arena = a;
    return r;
}

struct spu_value gvm_digest_store(struct gctx *c, struct spu_arena *a, struct gdigest *d,
                                  struct gbuf *b)
{
    struct spu_digest dg;
    size_t need = (size_t)b->len + sizeof(dg);
    if (b->cap && b->len && need > b->cap && need <= UINT32_MAX) {
        uint8_t *q = spu_arena_regrow(a, (void *)b->p, b->cap, need);
        if (q) {
            b->p = q;
            b->cap = (uint32_t)need;
        }
    }
    struct spu_value v = gvm_buf_value(c, a, b);
    if (!b->cap || !b->len || need > b->cap)
        return gvm_digest_value(c, a, d, v);
    if (gvm_digest_end(d, &dg) != 0) {
        gvm_anomaly_s(c, "memory");
        return v;
    }
    memcpy((uint8_t *)b->p + b->len, &dg, sizeof(dg));
    v.flags = (uint8_t)(v.flags | SPU_VF_DIGEST);
    return v;
}

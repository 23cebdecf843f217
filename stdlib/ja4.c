/*
 * ja4.c - the JA4 TLS client fingerprint computed from fields the TLS
 * grammar parsed (grammars/tls.spg), after FoxIO's published definition:
 *
 *   a: "t" (TLS over TCP), the version (the highest of supported_versions,
 *      else the hello's version: "13" "12" "11" "10" "s3" "s2", "00" for
 *      others), "d" with a server_name extension else "i", the numbers of
 *      cipher suites and of extensions (two digits, at most 99), the first
 *      and last characters of the first ALPN value ("00" without ALPN; the
 *      first and last hex digits of the value when either end byte is not
 *      a letter or a digit);
 *   b: the cipher suites as 4 lowercase hex digits, sorted, joined by ',';
 *   c: the extensions likewise, without server_name (0000) and ALPN
 *      (0010), then, when there are any, '_' and the signature algorithms
 *      in their order.
 *
 * GREASE values (RFC 8701) are left out everywhere. JA4 hashes b and c
 * (sha256, the first 12 hex digits; twelve zeros for an empty list); the
 * raw form (JA4_r) keeps them as text.
 */
#include "stdlib-int.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

#define JA4_MAX 512 /* values kept per list (a hello has far fewer) */

static int grease(int64_t v)
{
    return (v & 0x0f0f) == 0x0a0a && ((v >> 8) & 0xff) == (v & 0xff);
}

/* The ints of v (an array of ints, one int, or null) without GREASE, at
 * most JA4_MAX of them; -1 when v is something else. */
static int ints(const struct spu_value *v, uint16_t *out)
{
    if (v->type == SPU_T_NULL)
        return 0;
    if (v->type == SPU_T_INT) {
        if (grease(v->u.i))
            return 0;
        out[0] = (uint16_t)v->u.i;
        return 1;
    }
    if (v->type != SPU_T_ARR)
        return -1;
    int n = 0;
    for (uint32_t i = 0; v->u.arr && i < v->u.arr->n && n < JA4_MAX; i++) {
        const struct spu_value *e = &v->u.arr->v[i];
        if (e->type != SPU_T_INT)
            return -1;
        if (!grease(e->u.i))
            out[n++] = (uint16_t)e->u.i;
    }
    return n;
}

static int cmp_u16(const void *a, const void *b)
{
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static int put_hex_list(struct spu_sb *b, const uint16_t *v, int n)
{
    for (int i = 0; i < n; i++) {
        char t[8];
        int k = snprintf(t, sizeof(t), "%s%04x", i ? "," : "", v[i]);
        if (spu_sb_put(b, t, (size_t)k))
            return -1;
    }
    return 0;
}

static const char *version_code(int64_t v)
{
    switch (v) {
    case 0x0304: return "13";
    case 0x0303: return "12";
    case 0x0302: return "11";
    case 0x0301: return "10";
    case 0x0300: return "s3";
    case 0x0002: return "s2";
    default: return "00";
    }
}

static int alnum(uint8_t ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

/* The two ALPN characters of part a. */
static void alpn_code(const struct spu_value *alpn, char out[2])
{
    const struct spu_value *first = alpn;
    if (alpn->type == SPU_T_ARR)
        first = alpn->u.arr && alpn->u.arr->n ? &alpn->u.arr->v[0] : NULL;
    out[0] = out[1] = '0';
    if (!first || first->type != SPU_T_STR || first->len == 0)
        return;
    const uint8_t *p = first->u.s;
    uint8_t a = p[0], z = p[first->len - 1];
    if (alnum(a) && alnum(z)) {
        out[0] = (char)a;
        out[1] = (char)z;
    } else {
        static const char hx[] = "0123456789abcdef";
        out[0] = hx[a >> 4];
        out[1] = hx[z & 15];
    }
}

/* sha256 of p[0..n), its first 12 hex digits, into the buffer. */
static int put_hash12(struct spu_sb *b, const uint8_t *p, size_t n)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dn = 0;
    if (EVP_Digest(p, n, d, &dn, EVP_sha256(), NULL) != 1 || dn < 6)
        return -1;
    char t[13];
    for (int i = 0; i < 6; i++)
        snprintf(t + 2 * i, 3, "%02x", d[i]);
    return spu_sb_put(b, t, 12);
}

/* Part b or c into `out`: raw text, or its hash (zeros when empty). */
static int put_part(struct spu_sb *out, const struct spu_sb *text, int empty, int raw)
{
    if (raw)
        return text->len ? spu_sb_put(out, text->p, text->len) : 0;
    if (empty)
        return spu_sb_put(out, "000000000000", 12);
    return put_hash12(out, text->p, text->len);
}

static int ja4_common(struct spu_call *c, const struct spu_value *args, unsigned argc, int raw,
                      struct spu_value *ret)
{
    int rc = spu_arg_count(c, argc, 6);
    if (rc)
        return rc;
    *ret = spu_v_null();
    for (unsigned i = 0; i < 6; i++)
        if (args[i].type == SPU_T_LIST)
            return spu_arg_fault(c, "ja4: a list declaration is not a list of values");
    if (args[0].type == SPU_T_NULL)
        return SPU_OK;
    int64_t version;
    if ((rc = spu_arg_int(c, &args[0], 0, &version)))
        return rc;
    uint16_t vers[JA4_MAX], ciph[JA4_MAX], ext[JA4_MAX], sig[JA4_MAX];
    int nv = ints(&args[1], vers), nc = ints(&args[2], ciph), ne = ints(&args[3], ext),
        ns = ints(&args[5], sig);
    if (nv < 0 || nc < 0 || ne < 0 || ns < 0) /* not lists of ints: null */
        return SPU_OK;
    for (int i = 0; i < nv; i++)
        if (i == 0 || vers[i] > version)
            version = vers[i];
    int sni = 0, kept = 0;
    for (int i = 0; i < ne; i++) {
        if (ext[i] == 0x0000)
            sni = 1;
        if (ext[i] != 0x0000 && ext[i] != 0x0010)
            ext[kept++] = ext[i];
    }
    char alpn[2];
    alpn_code(&args[4], alpn);
    char a[16];
    snprintf(a, sizeof(a), "t%s%c%02d%02d%c%c_", version_code(version), sni ? 'd' : 'i',
             nc > 99 ? 99 : nc, ne > 99 ? 99 : ne, alpn[0], alpn[1]);
    qsort(ciph, (size_t)nc, sizeof(*ciph), cmp_u16);
    qsort(ext, (size_t)kept, sizeof(*ext), cmp_u16);
    struct spu_sb bt, ct, out;
    spu_sb_init(&bt, c->scratch, 6 * (size_t)nc + 1);
    spu_sb_init(&ct, c->scratch, 6 * (size_t)(kept + ns) + 2);
    spu_sb_init(&out, c->scratch, 64);
    int bad = put_hex_list(&bt, ciph, nc) || put_hex_list(&ct, ext, kept) ||
              (ns && (spu_sb_put(&ct, "_", 1) || put_hex_list(&ct, sig, ns)));
    bad = bad || spu_sb_put(&out, a, 11) || put_part(&out, &bt, nc == 0, raw) ||
          spu_sb_put(&out, "_", 1) || put_part(&out, &ct, kept == 0 && ns == 0, raw);
    if (bad)
        return spu_arg_nomem(c);
    *ret = spu_sb_value(&out);
    return SPU_OK;
}

/* ja4(version, supported_versions, ciphers, extensions, alpn,
 * signature_algorithms): the JA4 fingerprint of a ClientHello; null when
 * version is null or a list is not ints. */
int spu_bi_ja4(struct spu_call *c, const struct spu_value *args, unsigned argc,
               struct spu_value *ret)
{
    return ja4_common(c, args, argc, 0, ret);
}

/* ja4_r(...): the same unhashed (JA4_r). */
int spu_bi_ja4_r(struct spu_call *c, const struct spu_value *args, unsigned argc,
                 struct spu_value *ret)
{
    return ja4_common(c, args, argc, 1, ret);
}

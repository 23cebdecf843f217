/* hash.c - md5, sha1, sha256 of a string as lowercase hex (libcrypto EVP;
 * one-shot digests, safe on any thread), and file_size. A string a `digest`
 * capture made carries the size and hashes of all the content it saw
 * (SPU_VF_DIGEST): those are the answers then, not those of the bytes
 * its limit kept, and a hash it did not compute is null. */
#include "stdlib-int.h"

#include <openssl/evp.h>

#include <string.h>

enum { H_MD5, H_SHA1, H_SHA256 };

static int digest_hex(struct spu_call *c, const struct spu_value *args, unsigned argc,
                      struct spu_value *ret, int which)
{
    const uint8_t *s = NULL;
    size_t n = 0;
    int ss = spu_arg_subject(c, args, argc, &s, &n, ret);
    if (ss <= 0)
        return ss;
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dn = 0;
    struct spu_digest dg;
    const EVP_MD *md = which == H_MD5 ? EVP_md5() : which == H_SHA1 ? EVP_sha1() : EVP_sha256();
    if (spu_value_digest(&args[0], &dg)) {
        if (!(dg.hashes & (which == H_MD5 ? SPU_HASH_MD5 : which == H_SHA1 ? SPU_HASH_SHA1
                                                                         : SPU_HASH_SHA256))) {
            *ret = spu_v_null(); /* not asked for (spurun --force-hash) */
            return SPU_OK;
        }
        const uint8_t *h = which == H_MD5 ? dg.md5 : which == H_SHA1 ? dg.sha1 : dg.sha256;
        dn = which == H_MD5 ? sizeof(dg.md5) : which == H_SHA1 ? sizeof(dg.sha1)
                                                               : sizeof(dg.sha256);
        memcpy(d, h, dn);
    } else if (!md || EVP_Digest(s, n, d, &dn, md, NULL) != 1) {
        return spu_arg_fault(c, "digest unavailable");
    }
    static const char hexd[] = "0123456789abcdef";
    uint8_t *h = spu_arena_alloc(c->scratch, (size_t)dn * 2);
    if (!h)
        return spu_arg_nomem(c);
    for (unsigned i = 0; i < dn; i++) {
        h[2 * i] = (uint8_t)hexd[d[i] >> 4];
        h[2 * i + 1] = (uint8_t)hexd[d[i] & 15];
    }
    *ret = spu_v_str(h, dn * 2);
    return SPU_OK;
}

int spu_bi_md5(struct spu_call *c, const struct spu_value *args, unsigned argc,
               struct spu_value *ret)
{
    return digest_hex(c, args, argc, ret, H_MD5);
}

int spu_bi_sha1(struct spu_call *c, const struct spu_value *args, unsigned argc,
                struct spu_value *ret)
{
    return digest_hex(c, args, argc, ret, H_SHA1);
}

int spu_bi_sha256(struct spu_call *c, const struct spu_value *args, unsigned argc,
                  struct spu_value *ret)
{
    return digest_hex(c, args, argc, ret, H_SHA256);
}

int spu_bi_file_size(struct spu_call *c, const struct spu_value *args, unsigned argc,
                     struct spu_value *ret)
{
    const uint8_t *s = NULL;
    size_t n = 0;
    int ss = spu_arg_subject(c, args, argc, &s, &n, ret);
    if (ss <= 0)
        return ss;
    struct spu_digest dg;
    *ret = spu_v_int(spu_value_digest(&args[0], &dg) ? (int64_t)dg.size : (int64_t)n);
    return SPU_OK;
}

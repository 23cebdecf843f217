/* hash.c - md5, sha1, sha256 of a string as lowercase hex (libcrypto EVP;
 * one-shot digests, safe on any thread). */
#include "stdlib-int.h"

#include <openssl/evp.h>

static int digest_hex(struct spu_call *c, const struct spu_value *args, unsigned argc,
                      struct spu_value *ret, const EVP_MD *md)
{
    const uint8_t *s = NULL;
    size_t n = 0;
    int ss = spu_arg_subject(c, args, argc, &s, &n, ret);
    if (ss <= 0)
        return ss;
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dn = 0;
    if (!md || EVP_Digest(s, n, d, &dn, md, NULL) != 1)
        return spu_arg_fault(c, "digest unavailable");
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
    return digest_hex(c, args, argc, ret, EVP_md5());
}

int spu_bi_sha1(struct spu_call *c, const struct spu_value *args, unsigned argc,
                struct spu_value *ret)
{
    return digest_hex(c, args, argc, ret, EVP_sha1());
}

int spu_bi_sha256(struct spu_call *c, const struct spu_value *args, unsigned argc,
                  struct spu_value *ret)
{
    return digest_hex(c, args, argc, ret, EVP_sha256());
}

/* bundle-crypt.c - checksums, keys and signatures (see bundle-crypt.h). */
#include "bundle-crypt.h"

#include "bundle-format.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

_Static_assert(crypto_sign_SECRETKEYBYTES == SPU_SECRET_KEY_SIZE, "libsodium secret key size");
_Static_assert(crypto_sign_PUBLICKEYBYTES == SPU_PUBLIC_KEY_SIZE, "libsodium public key size");
_Static_assert(crypto_sign_BYTES == 64, "libsodium signature size");

/* Hash [from, to) of data, reading bytes inside either zero range as 0. */
static int hash_range(EVP_MD_CTX *md, const uint8_t *data, uint64_t from, uint64_t to,
                      const uint64_t z[2][2])
{
    static const uint8_t zeros[256];
    uint64_t pos = from;
    while (pos < to) {
        uint64_t end = to;
        int in_zero = 0;
        for (int k = 0; k < 2; k++) {
            if (z[k][0] <= pos && pos < z[k][1]) {
                in_zero = 1;
                end = z[k][1] < to ? z[k][1] : to;
            } else if (pos < z[k][0] && z[k][0] < end) {
                end = z[k][0];
            }
        }
        if (in_zero) {
            uint64_t n = end - pos;
            while (n) {
                size_t c = n > sizeof(zeros) ? sizeof(zeros) : (size_t)n;
                if (EVP_DigestUpdate(md, zeros, c) != 1)
                    return SPU_ENOMEM;
                n -= c;
            }
        } else if (EVP_DigestUpdate(md, data + pos, (size_t)(end - pos)) != 1) {
            return SPU_ENOMEM;
        }
        pos = end;
    }
    return SPU_OK;
}

int spu_bundle_digest(const uint8_t *data, uint64_t len, uint64_t zero_off, uint64_t zero_len,
                      uint8_t out[32])
{
    const uint64_t csum = offsetof(struct spu_bhdr, checksum);
    uint64_t z[2][2] = {{csum, csum + 32}, {zero_off, zero_off + zero_len}};
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md)
        return SPU_ENOMEM;
    int rc = SPU_ENOMEM;
    unsigned olen = 32;
    if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
        goto out;
    rc = hash_range(md, data, 0, len, z);
    if (rc == SPU_OK && EVP_DigestFinal_ex(md, out, &olen) != 1)
        rc = SPU_ENOMEM;
out:
    EVP_MD_CTX_free(md);
    return rc;
}

int spu_key_id(const uint8_t pk[SPU_PUBLIC_KEY_SIZE], uint8_t id[8])
{
    uint8_t h[32];
    unsigned len = sizeof(h);
    if (EVP_Digest(pk, SPU_PUBLIC_KEY_SIZE, h, &len, EVP_sha256(), NULL) != 1)
        return SPU_ENOMEM;
    memcpy(id, h, 8);
    return SPU_OK;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int spu_key_parse(const uint8_t *buf, size_t len, uint8_t *out, size_t size)
{
    if (len == size) {
        memcpy(out, buf, size);
        return SPU_OK;
    }
    if (len < 2 * size)
        return SPU_EFORMAT;
    for (size_t i = 2 * size; i < len; i++)
        if (!isspace(buf[i]))
            return SPU_EFORMAT;
    for (size_t i = 0; i < size; i++) {
        int hi = hexval(buf[2 * i]), lo = hexval(buf[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return SPU_EFORMAT;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return SPU_OK;
}

int spu_key_read(const char *path, uint8_t *out, size_t size, struct spu_error *err)
{
    uint8_t buf[512];
    FILE *f = fopen(path, "rb");
    if (!f)
        return spu_error_at(err, SPU_EIO, path, UINT64_MAX, "cannot open key file: %s",
                            strerror(errno));
    size_t n = fread(buf, 1, sizeof(buf), f);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return spu_error_at(err, SPU_EIO, path, UINT64_MAX, "cannot read key file");
    if (n == sizeof(buf) || spu_key_parse(buf, n, out, size) != SPU_OK)
        return spu_error_at(err, SPU_EFORMAT, path, UINT64_MAX,
                            "not a key: expected %zu raw bytes or %zu hex digits", size, 2 * size);
    return SPU_OK;
}

int spu_key_generate(uint8_t pk[SPU_PUBLIC_KEY_SIZE], uint8_t sk[SPU_SECRET_KEY_SIZE])
{
    if (sodium_init() < 0)
        return SPU_ENOMEM;
    return crypto_sign_keypair(pk, sk) == 0 ? SPU_OK : SPU_ENOMEM;
}

int spu_sign(const uint8_t sk[SPU_SECRET_KEY_SIZE], const uint8_t msg[32], uint8_t sig[64])
{
    if (sodium_init() < 0)
        return SPU_ENOMEM;
    return crypto_sign_detached(sig, NULL, msg, 32, sk) == 0 ? SPU_OK : SPU_EINVAL;
}

int spu_sign_check(const uint8_t pk[SPU_PUBLIC_KEY_SIZE], const uint8_t msg[32],
                   const uint8_t sig[64])
{
    if (sodium_init() < 0)
        return SPU_ENOMEM;
    return crypto_sign_verify_detached(sig, msg, 32, pk) == 0 ? SPU_OK : SPU_ECHECKSUM;
}

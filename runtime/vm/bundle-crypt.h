/*
 * bundle-crypt.h - checksums, signing keys and signatures of bundles.
 *
 * The checksum (bundle-format.h) is SHA-256 (libcrypto EVP) of the whole
 * file with the header's checksum field and the SIG section's data read
 * as zeros. A signature is Ed25519 (libsodium) over those 32 bytes; the
 * key id is the first 8 bytes of SHA-256(public key).
 *
 * Key files hold either the raw key (64 bytes for a secret key, 32 for a
 * public key) or the same bytes as hexadecimal text (128 or 64 hex
 * digits, upper or lower case, optionally followed by whitespace). A
 * libsodium secret key is the 32-byte seed followed by the public key.
 * `spu_key_generate` writes such a pair.
 *
 * Pure functions over caller memory; any thread.
 */
#ifndef SPU_BUNDLE_CRYPT_H
#define SPU_BUNDLE_CRYPT_H

#include "err.h"

#include <stddef.h>
#include <stdint.h>

#define SPU_SECRET_KEY_SIZE 64u
#define SPU_PUBLIC_KEY_SIZE 32u

/* SHA-256 of `len` bytes with [40, 72) (the checksum field) and
 * [zero_off, zero_off + zero_len) read as zeros (zero_len 0: none).
 * Returns SPU_OK or SPU_ENOMEM. */
int spu_bundle_digest(const uint8_t *data, uint64_t len, uint64_t zero_off, uint64_t zero_len,
                      uint8_t out[32]);

/* First 8 bytes of SHA-256(pk). */
int spu_key_id(const uint8_t pk[SPU_PUBLIC_KEY_SIZE], uint8_t id[8]);

/* Read a key file of `size` raw bytes or 2*size hex digits into out.
 * Returns SPU_OK, SPU_EIO (unreadable) or SPU_EFORMAT, with err naming the
 * path. */
int spu_key_read(const char *path, uint8_t *out, size_t size, struct spu_error *err);

/* Parse a key held in memory (raw or hex, as in files). */
int spu_key_parse(const uint8_t *buf, size_t len, uint8_t *out, size_t size);

/* A new Ed25519 key pair from libsodium's generator. SPU_OK or SPU_ENOMEM
 * (libsodium failed to initialize). */
int spu_key_generate(uint8_t pk[SPU_PUBLIC_KEY_SIZE], uint8_t sk[SPU_SECRET_KEY_SIZE]);

/* Detached Ed25519 signature of msg (32 bytes) with secret key sk. */
int spu_sign(const uint8_t sk[SPU_SECRET_KEY_SIZE], const uint8_t msg[32], uint8_t sig[64]);

/* SPU_OK when sig is a valid signature of msg by pk, else SPU_ECHECKSUM. */
int spu_sign_check(const uint8_t pk[SPU_PUBLIC_KEY_SIZE], const uint8_t msg[32],
                   const uint8_t sig[64]);

#endif

/* bundle-stores.h - which `digest` captures of a bundle need their bytes
 * kept: the stored content of a capture that nothing reads (only its
 * size and hashes, which the digest streams) need not be copied. */
#ifndef SPU_BUNDLE_STORES_H
#define SPU_BUNDLE_STORES_H

#include "bundle.h"

#include <stdint.h>

/* Host functions that read a value's bytes only when the host has them
 * on (spurun: --force-magic, --filestore). */
enum { SPU_STORE_HOST_MAGIC = 1u, SPU_STORE_HOST_FILESTORE = 2u };

/* skip[0..nsinks of b) (spu_bundle_store_sinks): 1 for a sink of b whose
 * stored content no program of the bundles set[0..nset) (b among them)
 * reads, 0 otherwise. A sink qualifies when it has a digest, is not a
 * record capture, and its content goes straight into a field (F of layout
 * L); it then keeps its bytes as soon as any program of any bundle of the
 * set loads a field named F of a layout named L other than as the one
 * argument of file_size(), md5(), sha1(), sha256() -- or of magic() and
 * filestore() when `host` (SPU_STORE_HOST_*) has them on --, or loads a
 * record of such a layout other than to take one of its members, or
 * calls a rewrite action (InsertString, DeleteString, ReplaceHeader,
 * InsertCookie: they find a message's body by its name). Returns how many
 * sinks are skipped. */
uint32_t spu_bundle_store_skips(const struct spu_bundle *b, const struct spu_bundle *const *set,
                                unsigned nset, unsigned host, uint8_t *skip);

/* The number of sinks of b (entries of the skip array). */
uint32_t spu_bundle_store_sinks(const struct spu_bundle *b);

#endif

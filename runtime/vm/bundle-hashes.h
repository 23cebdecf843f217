/* bundle-hashes.h - which file hashes a bundle's rules read. */
#ifndef SPU_BUNDLE_HASHES_H
#define SPU_BUNDLE_HASHES_H

#include "bundle.h"

#include <stddef.h>

/* SPU_HASH_* bits (value.h) of the md5/sha1/sha256 fields the rules of b
 * read (0: none). */
unsigned spu_bundle_file_hashes(const struct spu_bundle *b);

/* The SPU_HASH_* bit named by name[0..n) ("md5", "sha1", "sha256": the
 * field names of the file records and of --force-hash alike); 0 for any
 * other name. */
unsigned spu_hash_bit(const char *name, size_t n);

#endif

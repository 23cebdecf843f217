/* bundle-hashes.h - which file hashes a bundle's rules read. */
#ifndef SPU_BUNDLE_HASHES_H
#define SPU_BUNDLE_HASHES_H

#include "bundle.h"

/* SPU_HASH_* bits (value.h) of the md5/sha1/sha256 fields the rules of b
 * read (0: none). */
unsigned spu_bundle_file_hashes(const struct spu_bundle *b);

#endif

/*
 * filestore.h - files of the application layer kept on disk (--filestore).
 *
 * A file is written as DIR/SHA256 (lowercase hex of its content), so the
 * same content is stored once; it is written under a temporary name and
 * renamed, so a reader never sees a partial file. The bytes stored by all
 * workers of a run together stay under a cap: a file that would pass it is
 * not stored.
 */
#ifndef SPU_FILESTORE_H
#define SPU_FILESTORE_H

#include "err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Store p[0..n) in dir. `used` (shared by the workers) counts the bytes
 * stored so far against `cap`; `worker` makes the temporary name unique.
 * Returns SPU_OK with *stored true (written now, or already there), or
 * false (over the cap); SPU_EIO with err set when the write failed. */
int filestore_put(const char *dir, uint64_t cap, _Atomic uint64_t *used, int worker,
                  const uint8_t *p, size_t n, bool *stored, struct spu_error *err);

#endif

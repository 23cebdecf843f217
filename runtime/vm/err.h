/*
 * err.h - the one error vocabulary of spu.
 *
 * Functions return int: 0 (SPU_OK) on success, a negative SPU_E* on error.
 * Streaming consumers return SPU_NEED_MORE (positive, never an error).
 * Constructors return NULL and fill a caller-provided struct spu_error.
 * Nothing below main() prints or exits: errors travel back as values.
 * Owned by nobody; used by every module and thread.
 */
#ifndef SPU_ERR_H
#define SPU_ERR_H

#include <stddef.h>
#include <stdint.h>

#define SPU_ERR_LIST(X)                                                        \
    X(SPU_OK, 0, "ok")                                                         \
    X(SPU_ENOMEM, -1, "out of memory")                                         \
    X(SPU_EINVAL, -2, "invalid argument")                                      \
    X(SPU_EIO, -3, "input/output error")                                       \
    X(SPU_EFORMAT, -4, "malformed input")                                      \
    X(SPU_EVERIFY, -5, "verification failed")                                  \
    X(SPU_ELIMIT, -6, "limit exceeded")                                        \
    X(SPU_EPARSE, -7, "parse error")                                           \
    X(SPU_ERANGE, -8, "out of range")                                          \
    X(SPU_ENOTFOUND, -9, "not found")                                          \
    X(SPU_EFAULT, -10, "program fault")                                        \
    X(SPU_EBUDGET, -11, "step budget exhausted")                               \
    X(SPU_EVERSION, -12, "unsupported version")                                \
    X(SPU_ECHECKSUM, -13, "checksum mismatch")                                 \
    X(SPU_ESTATE, -14, "invalid state")                                        \
    X(SPU_EEXIST, -15, "already exists")                                       \
    X(SPU_EUNSUPPORTED, -16, "not supported")

enum spu_err {
#define SPU_ERR_ENUM(name, val, text) name = val,
    SPU_ERR_LIST(SPU_ERR_ENUM)
#undef SPU_ERR_ENUM
    SPU_NEED_MORE = 1, /* a streaming consumer wants more input; not an error */
    SPU_DONE = 2       /* a streaming consumer finished; not an error */
};

/* A located error record, filled by constructors and loaders.
 * `where` names the file or the bundle section; `offset` is a byte offset in
 * it (or UINT64_MAX when not applicable); line/col are 1-based or 0. */
struct spu_error {
    int code;
    char msg[256];
    char where[160];
    uint64_t offset;
    int line;
    int col;
};

/* Short text for an error code ("out of memory"). Never NULL. */
const char *spu_strerror(int code);

/* Reset an error record to SPU_OK with empty text. `e` may be NULL. */
void spu_error_clear(struct spu_error *e);

/* Fill `e` (may be NULL) and return `code`, so callers can write
 * `return spu_error_set(err, SPU_EFORMAT, "bad magic");` */
int spu_error_set(struct spu_error *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like spu_error_set, also recording where (file/section) and a byte offset. */
int spu_error_at(struct spu_error *e, int code, const char *where, uint64_t offset,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Format "where:offset: msg" (or just msg) into buf; returns buf. */
const char *spu_error_str(const struct spu_error *e, char *buf, size_t len);

#endif

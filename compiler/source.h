/*
 * source.h - the source files of one compilation and locations in them.
 *
 * A src_set owns every loaded file: its path, the directory it lives in, its
 * bytes (which may contain NUL bytes: lengths are kept) and a line index, so
 * that diagnostics can print the offending line. Locations are 1-based line
 * and column numbers; a column counts bytes, a tab counts as one column.
 * Used by the compiler's single thread; nothing here prints.
 */
#ifndef SPUC_SOURCE_H
#define SPUC_SOURCE_H

#include <stddef.h>
#include <stdint.h>

struct spu_error;

/* The two file kinds of the front end, chosen by extension. */
enum src_lang { SRC_LANG_NONE = 0, SRC_LANG_GRAMMAR = 1, SRC_LANG_RULES = 2 };

/* A range of bytes in one file: first byte (line, col) to last byte
 * (end_line, end_col), inclusive. An empty range (an empty rule of the
 * parser) has end_col == col - 1. file is the file's id in its set, 0 when
 * the location is unknown (whole-program diagnostics). */
struct src_loc {
    uint32_t file;
    uint32_t line, col;
    uint32_t end_line, end_col;
};

struct src_file {
    uint32_t id;          /* 1-based index in the set */
    const char *path;     /* as given (owned by the set) */
    const char *dir;      /* directory of path ("." when none) */
    const char *text;     /* the bytes, NUL-terminated for convenience */
    size_t len;           /* byte length (text may contain NULs) */
    enum src_lang lang;   /* from the extension, or as given */
    uint32_t nlines;
    uint32_t *line_off;   /* byte offset of the start of each line */
};

struct src_set;

/* Returns new (free with src_set_free), or NULL with err filled. */
struct src_set *src_set_new(struct spu_error *err);
/* Frees the set and every file. NULL is a no-op. */
void src_set_free(struct src_set *s);

/* The kind of a path by its extension: .spg, .spr, else SRC_LANG_NONE. */
enum src_lang src_lang_of_path(const char *path);

/* Load a file from disk. Returns the file (borrowed from the set) or NULL
 * with err filled (SPU_EIO with the reason, SPU_ENOMEM). lang may be
 * SRC_LANG_NONE (then taken from the extension, possibly NONE). */
const struct src_file *src_load(struct src_set *s, const char *path, enum src_lang lang,
                                struct spu_error *err);

/* Add a file from memory (tests, fuzzing). The bytes are copied. Returns the
 * file (borrowed) or NULL when out of memory. */
const struct src_file *src_add(struct src_set *s, const char *name, const void *data, size_t len,
                               enum src_lang lang);

/* The file with this id, or NULL. */
const struct src_file *src_get(const struct src_set *s, uint32_t id);
uint32_t src_count(const struct src_set *s);

/* Line `line` (1-based) of f without its line terminator: *len bytes at the
 * returned pointer (borrowed). NULL when out of range. */
const char *src_line(const struct src_file *f, uint32_t line, size_t *len);

#endif

/*
 * eve-json.h - the compact JSON text of an EVE record.
 *
 * eve_json_dumpb() writes exactly the bytes json_dumpb(v, buf, size,
 * JSON_COMPACT) writes (keys in insertion order, no blanks, strings
 * escaped as jansson escapes them, non-ASCII text as is), but without
 * jansson's per-container loop detection (an snprintf of the address and
 * a hash table insert and remove for every object and array), which made
 * formatting the largest cost of an alert record. Records are trees built
 * by spu (no cycles); a value nested deeper than EVE_JSON_MAX_DEPTH fails.
 * Reals and strings with bytes outside ASCII are formatted by jansson
 * itself, so their text (and the refusal of invalid UTF-8) is jansson's.
 * Called by any thread; no state. The eve_jw_* functions write a record
 * piece by piece (eve.c writes a record's envelope without building it).
 */
#ifndef SPU_EVE_JSON_H
#define SPU_EVE_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define EVE_JSON_MAX_DEPTH 256u

/* Format `v` (an object or an array; borrowed) into buf. Returns the
 * length of the whole text, which may exceed `size` (then buf holds its
 * first `size` bytes, as with json_dumpb); 0 when v cannot be formatted
 * (not a container, invalid UTF-8, too deep). No NUL is written. */
size_t eve_json_dumpb(const json_t *v, char *buf, size_t size);

/* A text written piece by piece into buf, as eve_json_dumpb() writes it:
 * past `size` the bytes are only counted (len), and err is set when a
 * value cannot be formatted. Initialize as {buf, size, 0, false}. */
struct eve_jw {
    char *buf;
    size_t size, len;
    bool err;
};

/* Bytes as they are (inline: most are a few constant bytes, a key). */
void eve_jw_raw_tail(struct eve_jw *w, const char *s, size_t n);
static inline void eve_jw_raw(struct eve_jw *w, const char *s, size_t n)
{
    if (w->len <= w->size && w->size - w->len >= n) {
        memcpy(w->buf + w->len, s, n);
        w->len += n;
    } else {
        eve_jw_raw_tail(w, s, n);
    }
}

/* A string, quoted and escaped. */
void eve_jw_string(struct eve_jw *w, const char *s, size_t n);

/* An integer. */
void eve_jw_int(struct eve_jw *w, json_int_t v);

/* A value (borrowed), as eve_json_dumpb() writes it inside a record. */
void eve_jw_value(struct eve_jw *w, const json_t *v);

/* The members of object obj as '"key":value' separated by commas (no
 * braces); with `comma`, a comma before the first one too. */
void eve_jw_members(struct eve_jw *w, const json_t *obj, bool comma);

/* A text that grows: len bytes of buf used, size allocated. {0} starts it
 * empty on the heap; EVE_TEXT_ON(array) starts it on a caller's buffer
 * (a stack array: a short text needs no allocation), which it leaves for
 * the heap when it outgrows it. */
struct eve_text {
    char *buf;
    size_t len, size;
    bool heap; /* buf is owned (malloc'ed) */
};
#define EVE_TEXT_ON(a) ((struct eve_text){(a), 0, sizeof(a), false})

/* A writer of a piece of text: called as often as it takes to get the room
 * its text needs, so it must write the same every time (no side effects). */
typedef void eve_jw_fn(struct eve_jw *j, const void *arg);

/* Append what fn(j, arg) writes to t: once when it fits in t's room, else
 * again in room grown to what it reported (eve_jw counts past its size).
 * false when fn fails or memory is out: t's text is unchanged. */
bool eve_text_append(struct eve_text *t, eve_jw_fn *fn, const void *arg);

/* Free t's heap buffer (a caller's buffer is left alone); t is empty. */
void eve_text_free(struct eve_text *t);

#endif

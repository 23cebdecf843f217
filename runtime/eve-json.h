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
 * Called by any thread; no state.
 */
#ifndef SPU_EVE_JSON_H
#define SPU_EVE_JSON_H

#include <jansson.h>
#include <stddef.h>

#define EVE_JSON_MAX_DEPTH 256u

/* Format `v` (an object or an array; borrowed) into buf. Returns the
 * length of the whole text, which may exceed `size` (then buf holds its
 * first `size` bytes, as with json_dumpb); 0 when v cannot be formatted
 * (not a container, invalid UTF-8, too deep). No NUL is written. */
size_t eve_json_dumpb(const json_t *v, char *buf, size_t size);

#endif

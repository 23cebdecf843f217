/*
 * evelog-int.h - what evelog.c and evelog-json.c share: turning VM values
 * into JSON (the rules are in evelog.h). Internal to the EVE logger.
 */
#ifndef SPU_EVELOG_INT_H
#define SPU_EVELOG_INT_H

#include "builtin-api.h"
#include "value.h"

#include <jansson.h>
#include <stdint.h>

struct spu_bundle;

/* Field names of the stdlib records (records.def), parsed once. */
struct evelog_std_names {
    struct spu_sig_param f[SPU_REC__COUNT][SPU_MAX_SIG_PARAMS];
    int n[SPU_REC__COUNT];
};

/* Parse the stdlib record signatures; SPU_OK or SPU_EFORMAT. */
int evelog_std_names_init(struct evelog_std_names *sn);

/* A JSON string of the bytes (valid UTF-8 as is, else bytes above 0x7f as
 * \xNN); new, NULL when out of memory. */
json_t *evelog_json_bytes(const uint8_t *p, uint32_t len);

/* The JSON of a value: new; json_null() for null and for what has no JSON
 * form (a regex, a list); NULL only when out of memory. Records become
 * objects of their non-null fields, arrays and records nested `depth`
 * levels at most (deeper ones are null). */
json_t *evelog_json_value(const struct spu_bundle *b, const struct evelog_std_names *sn,
                          const struct spu_value *v, unsigned depth);

/* obj[key] = x for a key of len bytes (not NUL-terminated); takes x. As
 * json_object_set_new on the key up to its first NUL (a key with a NUL
 * or a byte above 0x7f takes that way), without the copy and the UTF-8
 * check for the others. 0 or -1 as jansson. */
int evelog_set(json_t *obj, const char *key, size_t len, json_t *x);

/* Name of field f of a record's layout (bundle or stdlib); NULL if none.
 * *len receives its length. */
const char *evelog_field_name(const struct spu_bundle *b, const struct evelog_std_names *sn,
                              const struct spu_record *r, uint32_t f, uint32_t *len);

#endif

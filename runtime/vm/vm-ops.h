/*
 * vm-ops.h - out-of-line helpers of the opcodes common to the rule and the
 * grammar interpreters (vm-ops.inc calls them). Each returns SPU_VMF_NONE
 * (0) and writes *out, or the fault kind (enum spu_vm_fault) and leaves
 * *out untouched. Pure functions of their arguments (the arena one
 * allocates in the arena given); any thread.
 */
#ifndef SPU_VM_OPS_H
#define SPU_VM_OPS_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include "value.h"

#include <pcre2.h>

struct spu_arena;

/* MEMBER: field b of a record of layout id c; null stays null. */
int spu_vmop_member(const struct spu_value *v, uint32_t b, uint32_t c, struct spu_value *out);

/* LOAD_ANC: field b of the nearest ancestor of rec with layout id c. */
struct spu_value spu_vmop_ancestor(const struct spu_record *rec, uint32_t b, uint32_t c);

/* LOAD_PAIR: field b of rec->pair when its layout id is c. */
struct spu_value spu_vmop_pair(const struct spu_record *rec, uint32_t b, uint32_t c);

/* INDEX: container[key]. */
int spu_vmop_index(const struct spu_value *cont, const struct spu_value *key,
                   struct spu_value *out);

/* LEN of a string or array; null gives 0. */
int spu_vmop_len(const struct spu_value *v, struct spu_value *out);

/* CONCAT into the arena (null counts as empty). */
int spu_vmop_concat(struct spu_arena *a, const struct spu_value *x, const struct spu_value *y,
                    struct spu_value *out);

/* LT/LE/GT/GE by opcode. */
int spu_vmop_compare(unsigned op, const struct spu_value *x, const struct spu_value *y,
                     struct spu_value *out);

/* CONTAINS_I: ASCII case-insensitive substring test, linear in the
 * haystack (a long needle is searched in lowercase copies made in `a`). */
int spu_vmop_contains_i(struct spu_arena *a, const struct spu_value *hay,
                        const struct spu_value *needle, struct spu_value *out);

/* MATCH_RE with the thread's match data and context. */
int spu_vmop_match(const pcre2_code *re, pcre2_match_data *md, pcre2_match_context *mc,
                   const struct spu_value *v, struct spu_value *out);

/* Whether a value can be stored in flow or session state: null, bool,
 * int, string, ip, or an array of those. */
int spu_vmop_storable(const struct spu_value *v);

#endif

/* stdlib-test.h - helpers for the stdlib unit tests: calling a built-in the
 * way the VM does (declared defaults filled in from builtins.def), building
 * and checking values. Header-only (static inline) so each test binary
 * takes only what it uses. */
#ifndef SPU_STDLIB_TEST_H
#define SPU_STDLIB_TEST_H

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "builtin-api.h"
#include "err.h"
#include "value.h"

static inline struct spu_value S(const char *s)
{
    return spu_v_str(s, (uint32_t)strlen(s));
}

static inline struct spu_value SN(const void *p, size_t n)
{
    return spu_v_str(p, (uint32_t)n);
}

static inline struct spu_value T_IP(struct spu_arena *a, const char *text)
{
    struct spu_value v = {.type = SPU_T_IP};
    uint8_t *b = spu_arena_alloc(a, 16);
    uint16_t fam = 0;
    uint32_t prefix = 0;
    int rc = spu_ip_parse(text, strlen(text), b, &fam, &prefix);
    cr_assert_eq(rc, SPU_OK, "bad test address %s", text);
    v.aux = fam;
    v.len = prefix;
    v.u.s = b;
    return v;
}

/* The value a default written in builtins.def stands for. */
static inline struct spu_value default_value(const char *d)
{
    if (strcmp(d, "true") == 0)
        return spu_v_bool(true);
    if (strcmp(d, "false") == 0)
        return spu_v_bool(false);
    if (strcmp(d, "null") == 0)
        return spu_v_null();
    if (d[0] == '"')
        return spu_v_str(d + 1, (uint32_t)(strlen(d) - 2));
    return spu_v_int(strtoll(d, NULL, 10));
}

/* Call built-in `id` with the n given arguments, the declared defaults
 * filling the rest, as the compiler does. */
static inline int bi_call(struct spu_call *c, unsigned id, unsigned n,
                          const struct spu_value *given, struct spu_value *ret)
{
    struct spu_sig_param p[SPU_MAX_SIG_PARAMS];
    struct spu_value args[SPU_MAX_SIG_PARAMS + 8];
    int np = spu_sig_parse(spu_builtins[id].params, p, SPU_MAX_SIG_PARAMS);
    cr_assert_geq(np, 0);
    cr_assert_leq(n, SPU_MAX_SIG_PARAMS + 8);
    unsigned total = n > (unsigned)np ? n : (unsigned)np;
    for (unsigned i = 0; i < total; i++)
        args[i] = i < n ? given[i] : default_value(p[i].def);
    c->builtin = id;
    c->fault = NULL;
    *ret = spu_v_int(0x5eed); /* a built-in must always set its result */
    return spu_builtin_fns[id](c, args, total, ret);
}

/* Call and require SPU_OK. */
#define CALL(C, ID, ...)                                                       \
    ({                                                                         \
        struct spu_value a_[] = {__VA_ARGS__};                                 \
        struct spu_value r_;                                                   \
        int rc_ = bi_call((C), SPU_BI_##ID, sizeof(a_) / sizeof(a_[0]), a_, &r_); \
        cr_assert_eq(rc_, SPU_OK, "%s failed: %d (%s)", #ID, rc_,             \
                     (C)->fault ? (C)->fault : "");                            \
        r_;                                                                    \
    })

static inline bool v_is_str(struct spu_value v, const void *s, size_t n)
{
    return v.type == SPU_T_STR && v.len == n && (n == 0 || memcmp(v.u.s, s, n) == 0);
}

#define assert_str(V, STR)                                                     \
    do {                                                                       \
        struct spu_value v_ = (V);                                             \
        const char *s_ = (STR);                                                  \
        cr_assert(v_is_str(v_, s_, strlen(s_)), "expected \"%s\", got type %d \"%.*s\"", s_, \
                  v_.type, v_.type == SPU_T_STR ? (int)v_.len : 0,             \
                  v_.type == SPU_T_STR ? (const char *)v_.u.s : "");            \
    } while (0)

#define assert_strn(V, STR, N)                                                 \
    cr_assert(v_is_str((V), (STR), (N)), "string mismatch (expected %zu bytes)", (size_t)(N))

#define assert_null(V) cr_assert_eq((V).type, SPU_T_NULL, "expected null, got type %d", (V).type)

#define assert_int(V, X)                                                       \
    do {                                                                       \
        struct spu_value v_ = (V);                                             \
        cr_assert_eq(v_.type, SPU_T_INT, "expected int, got type %d", v_.type); \
        cr_assert_eq(v_.u.i, (int64_t)(X), "expected %lld, got %lld", (long long)(X), \
                     (long long)v_.u.i);                                       \
    } while (0)

#define assert_bool(V, B)                                                      \
    do {                                                                       \
        struct spu_value v_ = (V);                                             \
        cr_assert_eq(v_.type, SPU_T_BOOL, "expected bool, got type %d", v_.type); \
        cr_assert_eq(v_.u.i, (int64_t)(B));                                    \
    } while (0)

/* Slot `i` of record value v. */
static inline struct spu_value rec_slot(struct spu_value v, unsigned i)
{
    cr_assert_eq(v.type, SPU_T_REC);
    cr_assert_lt(i, v.u.rec->nslots);
    return v.u.rec->slot[i];
}

/* Element `i` of array value v. */
static inline struct spu_value arr_at(struct spu_value v, unsigned i)
{
    cr_assert_eq(v.type, SPU_T_ARR);
    cr_assert_lt(i, v.u.arr->n);
    return v.u.arr->v[i];
}

static inline unsigned arr_len(struct spu_value v)
{
    cr_assert_eq(v.type, SPU_T_ARR);
    return v.u.arr->n;
}

/* Index of field `name` in stdlib record `rec` (records.def). */
static inline int rec_field(unsigned rec, const char *name)
{
    struct spu_sig_param p[SPU_MAX_SIG_PARAMS];
    int n = spu_sig_parse(spu_std_records[rec].fields, p, SPU_MAX_SIG_PARAMS);
    for (int i = 0; i < n; i++)
        if (strcmp(p[i].name, name) == 0)
            return i;
    return -1;
}

/* A call context with a fresh scratch arena (cap in bytes, 0 for none). */
static inline struct spu_call call_ctx(size_t cap)
{
    struct spu_call c = {0};
    c.scratch = spu_arena_new(0, cap);
    cr_assert_not_null(c.scratch);
    c.rule = 7;
    return c;
}

/* Deterministic pseudo-random numbers for the tests (xorshift64*). */
static inline uint64_t test_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dull;
}

#endif

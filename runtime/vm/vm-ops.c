/* vm-ops.c - helpers of the common opcodes (see vm-ops.h). */
#include "vm-ops.h"

#include "arena.h"
#include "bytecode.h"
#include "vm.h"

#include <string.h>

int spu_vmop_member(const struct spu_value *v, uint32_t b, uint32_t c, struct spu_value *out)
{
    if (v->type == SPU_T_NULL) {
        *out = spu_v_null();
        return SPU_VMF_NONE;
    }
    if (v->type != SPU_T_REC)
        return SPU_VMF_TYPE;
    const struct spu_record *r = v->u.rec;
    if (!r->layout || r->layout->id != c || b >= r->nslots)
        return SPU_VMF_TYPE;
    *out = r->slot[b];
    return SPU_VMF_NONE;
}

struct spu_value spu_vmop_ancestor(const struct spu_record *rec, uint32_t b, uint32_t c)
{
    const struct spu_record *r = rec ? rec->parent : NULL;
    for (unsigned depth = 0; r && depth < SPU_VM_MAX_ANCESTORS; depth++, r = r->parent)
        if (r->layout && r->layout->id == c)
            return b < r->nslots ? r->slot[b] : spu_v_null();
    return spu_v_null();
}

struct spu_value spu_vmop_pair(const struct spu_record *rec, uint32_t b, uint32_t c)
{
    const struct spu_record *r = rec ? rec->pair : NULL;
    if (r && r->layout && r->layout->id == c && b < r->nslots)
        return r->slot[b];
    return spu_v_null();
}

int spu_vmop_index(const struct spu_value *cont, const struct spu_value *key, struct spu_value *out)
{
    if (cont->type == SPU_T_NULL || key->type == SPU_T_NULL) {
        *out = spu_v_null();
        return SPU_VMF_NONE;
    }
    if (cont->type == SPU_T_ARR) {
        const struct spu_array *a = cont->u.arr;
        if (key->type == SPU_T_INT) {
            *out = key->u.i >= 0 && (uint64_t)key->u.i < a->n ? a->v[key->u.i] : spu_v_null();
            return SPU_VMF_NONE;
        }
        if (key->type == SPU_T_STR) {
            *out = spu_map_get(a, key->u.s, key->len);
            return SPU_VMF_NONE;
        }
        return SPU_VMF_TYPE;
    }
    if (cont->type == SPU_T_STR && key->type == SPU_T_INT) {
        *out = key->u.i >= 0 && (uint64_t)key->u.i < cont->len ? spu_v_int(cont->u.s[key->u.i])
                                                               : spu_v_null();
        return SPU_VMF_NONE;
    }
    return SPU_VMF_TYPE;
}

int spu_vmop_len(const struct spu_value *v, struct spu_value *out)
{
    switch (v->type) {
    case SPU_T_NULL:
        *out = spu_v_int(0);
        return SPU_VMF_NONE;
    case SPU_T_STR:
        *out = spu_v_int(v->len);
        return SPU_VMF_NONE;
    case SPU_T_ARR:
        *out = spu_v_int(v->u.arr->n);
        return SPU_VMF_NONE;
    default:
        return SPU_VMF_TYPE;
    }
}

int spu_vmop_concat(struct spu_arena *a, const struct spu_value *x, const struct spu_value *y,
                    struct spu_value *out)
{
    if ((x->type != SPU_T_STR && x->type != SPU_T_NULL) ||
        (y->type != SPU_T_STR && y->type != SPU_T_NULL))
        return SPU_VMF_TYPE;
    uint32_t nx = x->type == SPU_T_STR ? x->len : 0, ny = y->type == SPU_T_STR ? y->len : 0;
    if ((uint64_t)nx + ny > UINT32_MAX)
        return SPU_VMF_MEMORY;
    uint8_t *p = spu_arena_alloc(a, (size_t)nx + ny + 1);
    if (!p)
        return SPU_VMF_MEMORY;
    if (nx)
        memcpy(p, x->u.s, nx);
    if (ny)
        memcpy(p + nx, y->u.s, ny);
    *out = spu_v_str(p, nx + ny);
    return SPU_VMF_NONE;
}

int spu_vmop_compare(unsigned op, const struct spu_value *x, const struct spu_value *y,
                     struct spu_value *out)
{
    if (x->type == SPU_T_NULL || y->type == SPU_T_NULL) {
        if ((x->type != SPU_T_NULL && x->type != SPU_T_INT) ||
            (y->type != SPU_T_NULL && y->type != SPU_T_INT))
            return SPU_VMF_TYPE;
        *out = spu_v_bool(false);
        return SPU_VMF_NONE;
    }
    if (x->type != SPU_T_INT || y->type != SPU_T_INT)
        return SPU_VMF_TYPE;
    int64_t a = x->u.i, b = y->u.i;
    bool r;
    switch (op) {
    case SPU_OP_LT:
        r = a < b;
        break;
    case SPU_OP_LE:
        r = a <= b;
        break;
    case SPU_OP_GT:
        r = a > b;
        break;
    default:
        r = a >= b;
        break;
    }
    *out = spu_v_bool(r);
    return SPU_VMF_NONE;
}

static uint8_t lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* Needles up to this long are searched by direct comparison: at most this
 * many compares per haystack byte. Longer ones go through memmem. */
#define NAIVE_NEEDLE 32u

static uint8_t *lower_copy(struct spu_arena *a, const uint8_t *p, uint32_t n)
{
    uint8_t *d = spu_arena_alloc(a, (size_t)n + 1);
    for (uint32_t i = 0; d && i < n; i++)
        d[i] = lower(p[i]);
    return d;
}

int spu_vmop_contains_i(struct spu_arena *a, const struct spu_value *hay,
                        const struct spu_value *needle, struct spu_value *out)
{
    if (hay->type == SPU_T_NULL || needle->type == SPU_T_NULL) {
        if ((hay->type != SPU_T_NULL && hay->type != SPU_T_STR) ||
            (needle->type != SPU_T_NULL && needle->type != SPU_T_STR))
            return SPU_VMF_TYPE;
        *out = spu_v_bool(false);
        return SPU_VMF_NONE;
    }
    if (hay->type != SPU_T_STR || needle->type != SPU_T_STR)
        return SPU_VMF_TYPE;
    uint32_t n = needle->len, h = hay->len;
    const uint8_t *s = hay->u.s, *t = needle->u.s;
    bool found = false;
    if (n == 0) {
        found = true;
    } else if (n > h) {
        found = false;
    } else if (n <= NAIVE_NEEDLE) {
        uint8_t first = lower(t[0]);
        for (uint32_t i = 0; !found && i <= h - n; i++) {
            if (lower(s[i]) != first)
                continue;
            uint32_t k = 1;
            while (k < n && lower(s[i + k]) == lower(t[k]))
                k++;
            found = k == n;
        }
    } else {
        uint8_t *ls = lower_copy(a, s, h), *lt = lower_copy(a, t, n);
        if (!ls || !lt)
            return SPU_VMF_MEMORY;
        found = memmem(ls, h, lt, n) != NULL; /* glibc: two-way, linear */
    }
    *out = spu_v_bool(found);
    return SPU_VMF_NONE;
}

int spu_vmop_match(const pcre2_code *re, pcre2_match_data *md, pcre2_match_context *mc,
                   const struct spu_value *v, struct spu_value *out)
{
    if (v->type == SPU_T_NULL) {
        *out = spu_v_bool(false);
        return SPU_VMF_NONE;
    }
    if (v->type != SPU_T_STR)
        return SPU_VMF_TYPE;
    /* an empty string may have a NULL pointer: PCRE2 wants a valid one */
    PCRE2_SPTR s = v->len ? (PCRE2_SPTR)v->u.s : (PCRE2_SPTR) "";
    int rc = pcre2_match(re, s, v->len, 0, 0, md, mc);
    if (rc >= 0) {
        *out = spu_v_bool(true);
        return SPU_VMF_NONE;
    }
    if (rc == PCRE2_ERROR_NOMATCH) {
        *out = spu_v_bool(false);
        return SPU_VMF_NONE;
    }
    return SPU_VMF_REGEX;
}

int spu_vmop_storable(const struct spu_value *v)
{
    switch (v->type) {
    case SPU_T_NULL:
    case SPU_T_BOOL:
    case SPU_T_INT:
    case SPU_T_STR:
    case SPU_T_IP:
        return 1;
    case SPU_T_ARR:
        for (uint32_t i = 0; i < v->u.arr->n; i++)
            if (v->u.arr->v[i].type == SPU_T_ARR || !spu_vmop_storable(&v->u.arr->v[i]))
                return 0;
        return 1;
    default:
        return 0;
    }
}

/* conv.c - conversions and small value built-ins: int, hex, str, div, count,
 * all, ip, cidr. */
#include "stdlib-int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Parse an unsigned number in `base` (10 or 16) from all of p[0..n):
 * 1 with *out, 0 on an empty string, a bad digit or a value over `limit`. */
static int parse_digits(const uint8_t *p, size_t n, unsigned base, uint64_t limit,
                        uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int d = spu_hexval(p[i]);
        if (d < 0 || (unsigned)d >= base)
            return 0;
        if (v > (limit - (uint64_t)d) / base)
            return 0;
        v = v * base + (uint64_t)d;
    }
    *out = v;
    return 1;
}

/* int(s): decimal with an optional sign; whitespace around it is allowed;
 * null on anything else or on overflow. */
int spu_bi_int(struct spu_call *c, const struct spu_value *args, unsigned argc,
               struct spu_value *ret)
{
    const uint8_t *s = NULL;
    size_t n = 0;
    int ss = spu_arg_subject(c, args, argc, &s, &n, ret);
    if (ss <= 0)
        return ss;
    spu_trim(&s, &n);
    int neg = 0;
    if (n && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        s++;
        n--;
    }
    uint64_t v;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (!parse_digits(s, n, 10, limit, &v))
        return SPU_OK;
    /* -(INT64_MAX + 1) computed without signed overflow */
    *ret = spu_v_int(neg ? (int64_t)(0 - v) : (int64_t)v);
    return SPU_OK;
}

/* hex(s): hex digits, optional 0x prefix, whitespace around allowed; null on
 * anything else or when the value does not fit in a non-negative int. */
int spu_bi_hex(struct spu_call *c, const struct spu_value *args, unsigned argc,
               struct spu_value *ret)
{
    const uint8_t *s = NULL;
    size_t n = 0;
    int ss = spu_arg_subject(c, args, argc, &s, &n, ret);
    if (ss <= 0)
        return ss;
    spu_trim(&s, &n);
    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        n -= 2;
    }
    uint64_t v;
    if (parse_digits(s, n, 16, (uint64_t)INT64_MAX, &v))
        *ret = spu_v_int((int64_t)v);
    return SPU_OK;
}

/* str(v): text of an int, bool, ip (with /prefix when not a host) or
 * string; null for null. */
int spu_bi_str(struct spu_call *c, const struct spu_value *args, unsigned argc,
               struct spu_value *ret)
{
    int rc = spu_arg_count(c, argc, 1);
    if (rc)
        return rc;
    const struct spu_value *v = &args[0];
    char buf[80];
    switch (v->type) {
    case SPU_T_NULL:
        *ret = spu_v_null();
        return SPU_OK;
    case SPU_T_STR:
        *ret = *v;
        return SPU_OK;
    case SPU_T_BOOL:
        *ret = v->u.i ? spu_v_str("true", 4) : spu_v_str("false", 5);
        return SPU_OK;
    case SPU_T_INT:
        snprintf(buf, sizeof(buf), "%" PRId64, v->u.i);
        break;
    case SPU_T_IP: {
        if (spu_ip_format(v->u.s, v->aux, buf, 64) != SPU_OK)
            return spu_arg_fault(c, "bad ip value");
        uint32_t host = v->aux == 4 ? 32 : 128;
        if (v->len < host)
            snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "/%u", (unsigned)v->len);
        break;
    }
    default:
        return spu_arg_fault(c, "str() takes an int, bool, ip or string");
    }
    if (spu_std_strdup(c->scratch, (const uint8_t *)buf, strlen(buf), ret))
        return spu_arg_nomem(c);
    return SPU_OK;
}

/* div(a, b): integer division truncating toward zero; b == 0 (or the one
 * overflowing case INT64_MIN / -1) faults. */
int spu_bi_div(struct spu_call *c, const struct spu_value *args, unsigned argc,
               struct spu_value *ret)
{
    int rc = spu_arg_count(c, argc, 2);
    if (rc)
        return rc;
    if (args[0].type == SPU_T_NULL || args[1].type == SPU_T_NULL) {
        if ((args[0].type != SPU_T_NULL && args[0].type != SPU_T_INT) ||
            (args[1].type != SPU_T_NULL && args[1].type != SPU_T_INT))
            return spu_arg_fault(c, "argument is not an int");
        *ret = spu_v_null();
        return SPU_OK;
    }
    int64_t a, b;
    if ((rc = spu_arg_int(c, &args[0], 0, &a)) || (rc = spu_arg_int(c, &args[1], 0, &b)))
        return rc;
    if (b == 0)
        return spu_arg_fault(c, "division by zero");
    if (a == INT64_MIN && b == -1)
        return spu_arg_fault(c, "integer overflow in division");
    *ret = spu_v_int(a / b);
    return SPU_OK;
}

/* count(a): elements of an array, bytes of a string, 0 for null. */
int spu_bi_count(struct spu_call *c, const struct spu_value *args, unsigned argc,
                 struct spu_value *ret)
{
    int rc = spu_arg_count(c, argc, 1);
    if (rc)
        return rc;
    switch (args[0].type) {
    case SPU_T_NULL:
        *ret = spu_v_int(0);
        return SPU_OK;
    case SPU_T_ARR:
        *ret = spu_v_int(args[0].u.arr ? args[0].u.arr->n : 0);
        return SPU_OK;
    case SPU_T_STR:
        *ret = spu_v_int(args[0].len);
        return SPU_OK;
    default:
        return spu_arg_fault(c, "count() takes an array or a string");
    }
}

/* all(map, key): the VALUE of every map record in the array whose KEY equals
 * key (ASCII case-insensitive), in order; an empty array when none does. */
int spu_bi_all(struct spu_call *c, const struct spu_value *args, unsigned argc,
               struct spu_value *ret)
{
    const uint8_t *k = NULL;
    size_t kn = 0;
    int rc = spu_arg_count(c, argc, 2);
    if (rc)
        return rc;
    if (args[0].type != SPU_T_NULL && args[0].type != SPU_T_ARR)
        return spu_arg_fault(c, "all() takes an array of map records");
    int ks = spu_arg_str(c, &args[1], &k, &kn);
    if (ks < 0)
        return ks;
    *ret = spu_v_null();
    if (args[0].type == SPU_T_NULL || !ks || !args[0].u.arr)
        return SPU_OK;
    const struct spu_array *m = args[0].u.arr;
    uint32_t hits = 0;
    /* two passes: count, then fill an array of the exact size */
    for (int pass = 0; pass < 2; pass++) {
        struct spu_array *out = NULL;
        if (pass == 1 && !(out = spu_std_array(c->scratch, hits)))
            return spu_arg_nomem(c);
        uint32_t j = 0;
        for (uint32_t i = 0; i < m->n; i++) {
            const struct spu_value *e = &m->v[i];
            if (e->type != SPU_T_REC || !e->u.rec)
                continue;
            const struct spu_record *r = e->u.rec;
            int32_t ki = r->layout->map_key, vi = r->layout->map_value;
            if (ki < 0 || vi < 0 || (uint32_t)ki >= r->nslots || (uint32_t)vi >= r->nslots)
                continue;
            const struct spu_value *key = &r->slot[ki];
            if (key->type != SPU_T_STR || key->len != kn || !spu_memcaseeq(key->u.s, k, kn))
                continue;
            if (out)
                out->v[j] = r->slot[vi];
            j++;
        }
        hits = j;
        if (out)
            *ret = spu_v_arr(out);
    }
    return SPU_OK;
}

/* ip(s) (host address only) and cidr(s) (address or block, host bits
 * cleared); surrounding whitespace allowed; null when s is not one. */
static int parse_ip(struct spu_call *c, const struct spu_value *args, unsigned argc,
                    struct spu_value *ret, int block)
{
    const uint8_t *s = NULL;
    size_t n = 0;
    int ss = spu_arg_subject(c, args, argc, &s, &n, ret);
    if (ss <= 0)
        return ss;
    spu_trim(&s, &n);
    if (!block && memchr(s, '/', n))
        return SPU_OK;
    uint8_t ip[16];
    uint16_t fam;
    uint32_t prefix;
    if (memchr(s, '\0', n) || spu_ip_parse((const char *)s, n, ip, &fam, &prefix) != SPU_OK)
        return SPU_OK;
    /* clear host bits: prefix counts from the family's first address bit */
    uint32_t bits = fam == 4 ? prefix + 96 : prefix;
    for (uint32_t i = bits; i < 128; i++)
        ip[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
    uint8_t *d = spu_arena_memdup(c->scratch, ip, 16);
    if (!d)
        return spu_arg_nomem(c);
    struct spu_value v = {.type = SPU_T_IP, .aux = fam, .len = prefix};
    v.u.s = d;
    *ret = v;
    return SPU_OK;
}

int spu_bi_ip(struct spu_call *c, const struct spu_value *args, unsigned argc,
              struct spu_value *ret)
{
    return parse_ip(c, args, argc, ret, 0);
}

int spu_bi_cidr(struct spu_call *c, const struct spu_value *args, unsigned argc,
                struct spu_value *ret)
{
    return parse_ip(c, args, argc, ret, 1);
}

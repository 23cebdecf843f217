/* str.c - string built-ins: StringInString, StringCompare, StringLength,
 * StringCopy, lower, upper, starts_with, ends_with, contains, find, trim,
 * split. Case-insensitive variants fold ASCII letters only. Substrings
 * returned by StringCopy and trim are views of the argument (same lifetime);
 * new strings go in c->scratch. */
#include "stdlib-int.h"

#include <string.h>

/* Index of the first occurrence of needle in hay at or after 0, or -1;
 * -2 when the scratch arena cannot hold the search table. Linear time in
 * both cases: memmem (two-way) when case matters, Knuth-Morris-Pratt over
 * folded bytes otherwise. */
static int64_t search(struct spu_arena *a, const uint8_t *h, size_t hn, const uint8_t *nd,
                      size_t nn, int nocase)
{
    if (nn == 0)
        return 0;
    if (nn > hn)
        return -1;
    if (!nocase) {
        const uint8_t *r = memmem(h, hn, nd, nn);
        return r ? (int64_t)(r - h) : -1;
    }
    uint32_t small[64];
    uint32_t *fail = nn <= 64 ? small : spu_arena_alloc(a, nn * sizeof(uint32_t));
    if (!fail)
        return -2;
    fail[0] = 0;
    for (size_t i = 1, k = 0; i < nn; i++) {
        while (k > 0 && spu_lc(nd[i]) != spu_lc(nd[k]))
            k = fail[k - 1];
        if (spu_lc(nd[i]) == spu_lc(nd[k]))
            k++;
        fail[i] = (uint32_t)k;
    }
    for (size_t i = 0, k = 0; i < hn; i++) {
        while (k > 0 && spu_lc(h[i]) != spu_lc(nd[k]))
            k = fail[k - 1];
        if (spu_lc(h[i]) == spu_lc(nd[k]))
            k++;
        if (k == nn)
            return (int64_t)(i + 1 - nn);
    }
    return -1;
}

/* Shared by StringInString and contains: (s, needle, nocase) -> bool. */
static int substring(struct spu_call *c, const struct spu_value *args, unsigned argc,
                     struct spu_value *ret)
{
    const uint8_t *h = NULL, *nd = NULL;
    size_t hn = 0, nn = 0;
    int nocase = 0;
    int rc, both = spu_arg_str2(c, args, argc, &h, &hn, &nd, &nn);
    if (both < 0)
        return both;
    if (argc > 2 && (rc = spu_arg_bool(c, &args[2], &nocase)))
        return rc;
    *ret = spu_v_bool(false);
    if (!both)
        return SPU_OK;
    int64_t at = search(c->scratch, h, hn, nd, nn, nocase);
    if (at == -2)
        return spu_arg_nomem(c);
    *ret = spu_v_bool(at >= 0);
    return SPU_OK;
}

int spu_bi_string_in_string(struct spu_call *c, const struct spu_value *args, unsigned argc,
                            struct spu_value *ret)
{
    return substring(c, args, argc, ret);
}

int spu_bi_contains(struct spu_call *c, const struct spu_value *args, unsigned argc,
                    struct spu_value *ret)
{
    return substring(c, args, argc, ret);
}

int spu_bi_string_compare(struct spu_call *c, const struct spu_value *args, unsigned argc,
                          struct spu_value *ret)
{
    const uint8_t *a = NULL, *b = NULL;
    size_t an = 0, bn = 0;
    int nocase = 0;
    int rc, both = spu_arg_str2(c, args, argc, &a, &an, &b, &bn);
    if (both < 0)
        return both;
    if (argc > 2 && (rc = spu_arg_bool(c, &args[2], &nocase)))
        return rc;
    *ret = spu_v_null();
    if (!both)
        return SPU_OK;
    size_t n = an < bn ? an : bn;
    int d = 0;
    for (size_t i = 0; i < n && d == 0; i++) {
        uint8_t x = nocase ? spu_lc(a[i]) : a[i];
        uint8_t y = nocase ? spu_lc(b[i]) : b[i];
        d = (x > y) - (x < y);
    }
    if (d == 0)
        d = (an > bn) - (an < bn);
    *ret = spu_v_int(d);
    return SPU_OK;
}

int spu_bi_string_length(struct spu_call *c, const struct spu_value *args, unsigned argc,
                         struct spu_value *ret)
{
    const uint8_t *s = NULL;
    size_t n = 0;
    int ss = spu_arg_subject(c, args, argc, &s, &n, ret);
    if (ss <= 0)
        return ss;
    *ret = spu_v_int((int64_t)n);
    return SPU_OK;
}

int spu_bi_string_copy(struct spu_call *c, const struct spu_value *args, unsigned argc,
                       struct spu_value *ret)
{
    const uint8_t *s = NULL;
    size_t n = 0;
    int64_t start = 0, len = -1;
    int rc, ss = spu_arg_subject(c, args, argc, &s, &n, ret);
    if (ss <= 0)
        return ss;
    if (argc > 1 && (rc = spu_arg_int(c, &args[1], 0, &start)))
        return rc;
    if (argc > 2 && (rc = spu_arg_int(c, &args[2], -1, &len)))
        return rc;
    /* clamp: a negative start is 0, a start past the end gives "" */
    uint64_t st = start < 0 ? 0 : (uint64_t)start;
    if (st > n)
        st = n;
    uint64_t rest = n - st;
    uint64_t l = (len < 0 || (uint64_t)len > rest) ? rest : (uint64_t)len;
    *ret = spu_v_str(s + st, (uint32_t)l);
    return SPU_OK;
}

static int change_case(struct spu_call *c, const struct spu_value *args, unsigned argc,
                       struct spu_value *ret, int upper)
{
    const uint8_t *s = NULL;
    size_t n = 0;
    int ss = spu_arg_subject(c, args, argc, &s, &n, ret);
    if (ss <= 0)
        return ss;
    uint8_t *d = spu_arena_alloc(c->scratch, n);
    if (!d)
        return spu_arg_nomem(c);
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = s[i];
        if (upper && ch >= 'a' && ch <= 'z')
            ch = (uint8_t)(ch - 32);
        else if (!upper)
            ch = spu_lc(ch);
        d[i] = ch;
    }
    *ret = spu_v_str(d, (uint32_t)n);
    return SPU_OK;
}

int spu_bi_lower(struct spu_call *c, const struct spu_value *args, unsigned argc,
                 struct spu_value *ret)
{
    return change_case(c, args, argc, ret, 0);
}

int spu_bi_upper(struct spu_call *c, const struct spu_value *args, unsigned argc,
                 struct spu_value *ret)
{
    return change_case(c, args, argc, ret, 1);
}

/* starts_with (at_end 0) and ends_with (at_end 1). */
static int affix(struct spu_call *c, const struct spu_value *args, unsigned argc,
                 struct spu_value *ret, int at_end)
{
    const uint8_t *s = NULL, *x = NULL;
    size_t n = 0, xn = 0;
    int nocase = 0;
    int rc, both = spu_arg_str2(c, args, argc, &s, &n, &x, &xn);
    if (both < 0)
        return both;
    if (argc > 2 && (rc = spu_arg_bool(c, &args[2], &nocase)))
        return rc;
    *ret = spu_v_bool(false);
    if (!both || xn > n)
        return SPU_OK;
    const uint8_t *at = at_end ? s + (n - xn) : s;
    int eq = xn == 0 || (nocase ? spu_memcaseeq(at, x, xn) : memcmp(at, x, xn) == 0);
    *ret = spu_v_bool(eq);
    return SPU_OK;
}

int spu_bi_starts_with(struct spu_call *c, const struct spu_value *args, unsigned argc,
                       struct spu_value *ret)
{
    return affix(c, args, argc, ret, 0);
}

int spu_bi_ends_with(struct spu_call *c, const struct spu_value *args, unsigned argc,
                     struct spu_value *ret)
{
    return affix(c, args, argc, ret, 1);
}

int spu_bi_find(struct spu_call *c, const struct spu_value *args, unsigned argc,
                struct spu_value *ret)
{
    const uint8_t *s = NULL, *nd = NULL;
    size_t n = 0, nn = 0;
    int64_t from = 0;
    int rc, both = spu_arg_str2(c, args, argc, &s, &n, &nd, &nn);
    if (both < 0)
        return both;
    if (argc > 2 && (rc = spu_arg_int(c, &args[2], 0, &from)))
        return rc;
    *ret = spu_v_null();
    if (!both)
        return SPU_OK;
    uint64_t st = from < 0 ? 0 : (uint64_t)from;
    *ret = spu_v_int(-1);
    if (st > n)
        return SPU_OK;
    int64_t at = search(c->scratch, s + st, n - st, nd, nn, 0);
    if (at >= 0)
        *ret = spu_v_int(at + (int64_t)st);
    return SPU_OK;
}

int spu_bi_trim(struct spu_call *c, const struct spu_value *args, unsigned argc,
                struct spu_value *ret)
{
    const uint8_t *s = NULL;
    size_t n = 0;
    int ss = spu_arg_subject(c, args, argc, &s, &n, ret);
    if (ss <= 0)
        return ss;
    spu_trim(&s, &n);
    *ret = spu_v_str(s, (uint32_t)n);
    return SPU_OK;
}

/* split(s, sep, max): at most max parts (max < 1 counts as 1); the last
 * part holds the rest of the string, separators included. An empty
 * separator gives one part, the whole string. Parts are views of s. */
int spu_bi_split(struct spu_call *c, const struct spu_value *args, unsigned argc,
                 struct spu_value *ret)
{
    const uint8_t *s = NULL, *sep = NULL;
    size_t n = 0, sn = 0;
    int64_t max = 64;
    int rc, both = spu_arg_str2(c, args, argc, &s, &n, &sep, &sn);
    if (both < 0)
        return both;
    if (argc > 2 && (rc = spu_arg_int(c, &args[2], 64, &max)))
        return rc;
    *ret = spu_v_null();
    if (!both)
        return SPU_OK;
    if (max < 1)
        max = 1;
    /* count the parts first so the array is allocated once */
    uint64_t parts = 1;
    for (size_t i = 0; sn && parts < (uint64_t)max && i + sn <= n;) {
        const uint8_t *r = memmem(s + i, n - i, sep, sn);
        if (!r)
            break;
        parts++;
        i = (size_t)(r - s) + sn;
    }
    struct spu_array *arr =
        parts < UINT32_MAX / sizeof(struct spu_value) ? spu_std_array(c->scratch, (uint32_t)parts)
                                                      : NULL;
    if (!arr)
        return spu_arg_nomem(c);
    size_t i = 0;
    for (uint32_t k = 0; k + 1 < parts; k++) {
        const uint8_t *r = memmem(s + i, n - i, sep, sn);
        size_t at = (size_t)(r - s);
        arr->v[k] = spu_v_str(s + i, (uint32_t)(at - i));
        i = at + sn;
    }
    arr->v[parts - 1] = spu_v_str(s + i, (uint32_t)(n - i));
    *ret = spu_v_arr(arr);
    return SPU_OK;
}

/* join(sep, v...): the non-empty strings among the arguments, and among
 * the elements of array arguments (one level), joined with `sep`; null
 * arguments and elements are skipped; null when nothing is left. Any other
 * type faults. Grammars gather what nested units found with it
 * (`names = join("\n", names, part.names)`). */
static int join_one(struct spu_call *c, struct spu_sb *b, const uint8_t *sep, size_t sn,
                    const struct spu_value *v, int *any)
{
    if (v->type == SPU_T_NULL)
        return SPU_OK;
    if (v->type != SPU_T_STR)
        return spu_arg_fault(c, "join takes strings and arrays of strings");
    if (v->len == 0)
        return SPU_OK;
    if (*any && spu_sb_put(b, sep, sn) != SPU_OK)
        return spu_arg_nomem(c);
    *any = 1;
    return spu_sb_put(b, v->u.s, v->len) == SPU_OK ? SPU_OK : spu_arg_nomem(c);
}

int spu_bi_join(struct spu_call *c, const struct spu_value *args, unsigned argc,
                struct spu_value *ret)
{
    const uint8_t *sep = NULL;
    size_t sn = 0;
    int rc;
    *ret = spu_v_null();
    if ((rc = spu_arg_count(c, argc, 1)))
        return rc;
    if ((rc = spu_arg_str(c, &args[0], &sep, &sn)) < 0)
        return rc;
    struct spu_sb b;
    spu_sb_init(&b, c->scratch, 64);
    int any = 0;
    for (unsigned i = 1; i < argc; i++) {
        if (args[i].type == SPU_T_ARR) {
            const struct spu_array *a = args[i].u.arr;
            for (uint32_t k = 0; a && k < a->n; k++)
                if ((rc = join_one(c, &b, sep, sn, &a->v[k], &any)))
                    return rc;
        } else if ((rc = join_one(c, &b, sep, sn, &args[i], &any))) {
            return rc;
        }
    }
    if (any)
        *ret = spu_sb_value(&b);
    return SPU_OK;
}

/* reverse(a): an array's elements, or a string's bytes, in the opposite
 * order; null for null; other types fault. */
int spu_bi_reverse(struct spu_call *c, const struct spu_value *args, unsigned argc,
                   struct spu_value *ret)
{
    int rc;
    *ret = spu_v_null();
    if ((rc = spu_arg_count(c, argc, 1)))
        return rc;
    if (args[0].type == SPU_T_NULL)
        return SPU_OK;
    if (args[0].type == SPU_T_STR) {
        uint8_t *p = args[0].len ? spu_arena_alloc(c->scratch, args[0].len) : NULL;
        if (args[0].len && !p)
            return spu_arg_nomem(c);
        for (uint32_t i = 0; i < args[0].len; i++)
            p[i] = args[0].u.s[args[0].len - 1 - i];
        *ret = spu_v_str(p ? p : (const uint8_t *)"", args[0].len);
        return SPU_OK;
    }
    if (args[0].type != SPU_T_ARR)
        return spu_arg_fault(c, "reverse takes an array or a string");
    const struct spu_array *a = args[0].u.arr;
    struct spu_array *out = spu_std_array(c->scratch, a->n);
    if (!out)
        return spu_arg_nomem(c);
    for (uint32_t i = 0; i < a->n; i++)
        out->v[i] = a->v[a->n - 1 - i];
    *ret = spu_v_arr(out);
    return SPU_OK;
}

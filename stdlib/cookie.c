/* cookie.c - name=value lists: split_cookies (Cookie header), split_params
 * (query strings and form bodies), and the parser split_url shares. */
#include "stdlib-int.h"

#include <string.h>

static int param_part(struct spu_call *c, const uint8_t *p, size_t n, unsigned flags,
                      struct spu_value *out)
{
    if (flags & SPU_PARAMS_TRIM)
        spu_trim(&p, &n);
    if (!(flags & SPU_PARAMS_DECODE) || (!memchr(p, '%', n) && !memchr(p, '+', n))) {
        *out = spu_v_str(p, (uint32_t)n);
        return SPU_OK;
    }
    struct spu_sb b;
    spu_sb_init(&b, c->scratch, n);
    if (spu_pct_decode(&b, p, n, 1))
        return SPU_ELIMIT;
    *out = spu_sb_value(&b);
    return SPU_OK;
}

int spu_std_params(struct spu_call *c, const uint8_t *p, size_t n, uint8_t sep, unsigned flags,
                   struct spu_value *out)
{
    /* count the segments, then fill an array of that size */
    uint32_t count = 0;
    for (size_t i = 0; i <= n;) {
        const uint8_t *e = memchr(p + i, sep, n - i);
        size_t end = e ? (size_t)(e - p) : n;
        const uint8_t *seg = p + i;
        size_t sn = end - i;
        if (flags & SPU_PARAMS_TRIM)
            spu_trim(&seg, &sn);
        count += sn > 0;
        i = end + 1;
    }
    struct spu_array *arr = spu_std_array(c->scratch, count);
    if (!arr)
        return spu_arg_nomem(c);
    uint32_t k = 0;
    for (size_t i = 0; i <= n;) {
        const uint8_t *e = memchr(p + i, sep, n - i);
        size_t end = e ? (size_t)(e - p) : n;
        const uint8_t *seg = p + i;
        size_t sn = end - i;
        i = end + 1;
        if (flags & SPU_PARAMS_TRIM)
            spu_trim(&seg, &sn);
        if (sn == 0)
            continue;
        struct spu_record *r = spu_std_record(c->scratch, SPU_REC_param);
        if (!r)
            return spu_arg_nomem(c);
        const uint8_t *eq = memchr(seg, '=', sn);
        size_t nn = eq ? (size_t)(eq - seg) : sn;
        if (param_part(c, seg, nn, flags, &r->slot[SPU_PARAM_NAME]))
            return spu_arg_nomem(c);
        if (eq) {
            if (param_part(c, eq + 1, sn - nn - 1, flags, &r->slot[SPU_PARAM_VALUE]))
                return spu_arg_nomem(c);
        } else {
            r->slot[SPU_PARAM_VALUE] = spu_v_str(seg + sn, 0);
        }
        arr->v[k++] = spu_v_rec(r);
    }
    *out = spu_v_arr(arr);
    return SPU_OK;
}

static int params_of(struct spu_call *c, const struct spu_value *args, unsigned argc,
                     struct spu_value *ret, uint8_t sep, unsigned flags)
{
    const uint8_t *s = NULL;
    size_t n = 0;
    int ss = spu_arg_subject(c, args, argc, &s, &n, ret);
    if (ss <= 0)
        return ss;
    return spu_std_params(c, s, n, sep, flags, ret);
}

/* split_cookies("a=b; c=d"): pairs split on ';', names and values trimmed,
 * kept as written (no decoding, quotes kept). */
int spu_bi_split_cookies(struct spu_call *c, const struct spu_value *args, unsigned argc,
                         struct spu_value *ret)
{
    return params_of(c, args, argc, ret, ';', SPU_PARAMS_TRIM);
}

/* split_params("a=1&b=2"): pairs split on '&', percent-decoded, '+' as a
 * space (application/x-www-form-urlencoded). */
int spu_bi_split_params(struct spu_call *c, const struct spu_value *args, unsigned argc,
                        struct spu_value *ret)
{
    return params_of(c, args, argc, ret, '&', SPU_PARAMS_DECODE);
}

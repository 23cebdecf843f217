/* support.c - argument checks, scratch buffers and text helpers shared by
 * the stdlib (see stdlib-int.h). */
#include "grow.h"
#include "stdlib-int.h"

#include <string.h>

int spu_arg_fault(struct spu_call *c, const char *why)
{
    c->fault = why;
    return SPU_EFAULT;
}

int spu_arg_nomem(struct spu_call *c)
{
    c->fault = "scratch memory exhausted";
    return SPU_ELIMIT;
}

int spu_arg_count(struct spu_call *c, unsigned argc, unsigned need)
{
    return argc >= need ? SPU_OK : spu_arg_fault(c, "too few arguments");
}

int spu_arg_str(struct spu_call *c, const struct spu_value *v, const uint8_t **p, size_t *n)
{
    if (v->type == SPU_T_NULL)
        return 0;
    if (v->type != SPU_T_STR)
        return spu_arg_fault(c, "argument is not a string");
    /* an empty string may carry no pointer; give the helpers a valid one */
    static const uint8_t empty[1] = {0};
    *p = v->u.s ? v->u.s : empty;
    *n = v->len;
    return 1;
}

int spu_arg_subject(struct spu_call *c, const struct spu_value *args, unsigned argc,
                    const uint8_t **p, size_t *n, struct spu_value *ret)
{
    int rc = spu_arg_count(c, argc, 1);
    if (rc)
        return rc;
    *ret = spu_v_null();
    return spu_arg_str(c, &args[0], p, n);
}

int spu_arg_str2(struct spu_call *c, const struct spu_value *args, unsigned argc,
                 const uint8_t **a, size_t *an, const uint8_t **b, size_t *bn)
{
    int rc = spu_arg_count(c, argc, 2);
    if (rc)
        return rc;
    int as = spu_arg_str(c, &args[0], a, an);
    int bs = spu_arg_str(c, &args[1], b, bn);
    if (as < 0 || bs < 0)
        return SPU_EFAULT;
    return as && bs;
}

int spu_arg_int(struct spu_call *c, const struct spu_value *v, int64_t def, int64_t *out)
{
    if (v->type == SPU_T_NULL) {
        *out = def;
        return SPU_OK;
    }
    if (v->type != SPU_T_INT && v->type != SPU_T_BOOL)
        return spu_arg_fault(c, "argument is not an int");
    *out = v->u.i;
    return SPU_OK;
}

int spu_arg_bool(struct spu_call *c, const struct spu_value *v, int *out)
{
    if (v->type == SPU_T_NULL) {
        *out = 0;
        return SPU_OK;
    }
    if (v->type != SPU_T_INT && v->type != SPU_T_BOOL)
        return spu_arg_fault(c, "argument is not a bool");
    *out = v->u.i != 0;
    return SPU_OK;
}

/* ---- buffer ---- */

void spu_sb_init(struct spu_sb *b, struct spu_arena *a, size_t hint)
{
    b->a = a;
    b->p = NULL;
    b->len = 0;
    b->cap = hint;
    b->err = SPU_OK;
}

static int sb_reserve(struct spu_sb *b, size_t more)
{
    if (b->err)
        return b->err;
    if (more > SIZE_MAX / 2 - b->len) {
        b->err = SPU_ELIMIT;
        return b->err;
    }
    size_t need = b->len + more;
    if (b->p && need <= b->cap)
        return SPU_OK;
    size_t ncap = spu_grow_cap(b->cap, need, 32, SIZE_MAX / 2);
    uint8_t *np = b->p ? spu_arena_grow(b->a, b->p, b->len, ncap) : spu_arena_alloc(b->a, ncap);
    if (!np) {
        b->err = SPU_ELIMIT;
        return b->err;
    }
    b->p = np;
    b->cap = ncap;
    return SPU_OK;
}

int spu_sb_put(struct spu_sb *b, const void *p, size_t n)
{
    if (n == 0)
        return b->err;
    int rc = sb_reserve(b, n);
    if (rc)
        return rc;
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return SPU_OK;
}

int spu_sb_putc(struct spu_sb *b, uint8_t ch)
{
    int rc = sb_reserve(b, 1);
    if (rc)
        return rc;
    b->p[b->len++] = ch;
    return SPU_OK;
}

int spu_sb_utf8(struct spu_sb *b, uint32_t cp)
{
    uint8_t u[4];
    return spu_sb_put(b, u, spu_utf8_encode(cp, u));
}

int spu_sb_out(void *ctx, const uint8_t *p, size_t n)
{
    return spu_sb_put(ctx, p, n);
}

struct spu_value spu_sb_value(struct spu_sb *b)
{
    static const uint8_t empty[1] = {0};
    return spu_v_str(b->p ? b->p : empty, (uint32_t)b->len);
}

/* ---- values ---- */

struct spu_array *spu_std_array(struct spu_arena *a, uint32_t n)
{
    struct spu_array *arr = spu_arena_zalloc(a, sizeof(*arr) + (size_t)n * sizeof(arr->v[0]));
    if (!arr)
        return NULL;
    arr->n = n;
    arr->cap = n;
    return arr;
}

struct spu_record *spu_std_record(struct spu_arena *a, unsigned rec)
{
    return spu_record_new(a, &spu_std_records[rec].layout);
}

int spu_std_strdup(struct spu_arena *a, const uint8_t *p, size_t n, struct spu_value *out)
{
    if (n > UINT32_MAX) {
        *out = spu_v_null();
        return SPU_ELIMIT;
    }
    void *d = spu_arena_memdup(a, p, n);
    if (!d) {
        *out = spu_v_null();
        return SPU_ELIMIT;
    }
    *out = spu_v_str(d, (uint32_t)n);
    return SPU_OK;
}

/* ---- text ---- */

int spu_hexval(uint8_t ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

int spu_memcaseeq(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (spu_lc(a[i]) != spu_lc(b[i]))
            return 0;
    return 1;
}

void spu_trim(const uint8_t **p, size_t *n)
{
    const uint8_t *s = *p;
    size_t len = *n;
    while (len && spu_isspace(s[0])) {
        s++;
        len--;
    }
    while (len && spu_isspace(s[len - 1]))
        len--;
    *p = s;
    *n = len;
}

size_t spu_utf8_encode(uint32_t cp, uint8_t out[4])
{
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        cp = 0xfffd;
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xc0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xe0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (uint8_t)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (uint8_t)(0xf0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (uint8_t)(0x80 | (cp & 0x3f));
    return 4;
}

/* Windows-1252 0x80..0x9F; the five undefined bytes map to themselves. */
static const uint16_t cp1252_high[32] = {
    0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
    0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
    0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
    0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
};

uint32_t spu_cp1252(uint8_t byte)
{
    return byte >= 0x80 && byte <= 0x9f ? cp1252_high[byte - 0x80] : byte;
}

int spu_filter_run(const struct spu_filter_ops *ops, void *state, const uint8_t *p, size_t n,
                   struct spu_sb *b)
{
    int rc = ops->update(state, p, n, spu_sb_out, b);
    if (rc == SPU_OK)
        rc = ops->finish(state, spu_sb_out, b);
    return b->err ? b->err : rc;
}

int spu_ob_flush(struct spu_ob *o)
{
    if (o->n && o->err == SPU_OK)
        o->err = o->out(o->ctx, o->b, o->n);
    o->n = 0;
    return o->err;
}

void spu_ob_write(struct spu_ob *o, const uint8_t *p, size_t n)
{
    while (n) {
        if (o->n == sizeof(o->b))
            spu_ob_flush(o);
        size_t k = sizeof(o->b) - o->n;
        if (k > n)
            k = n;
        memcpy(o->b + o->n, p, k);
        o->n += k;
        p += k;
        n -= k;
    }
}

/* header.c - header_value and header_param: structured header values
 * such as Content-Type and Content-Disposition ("type/sub; name=value").
 *
 * header_param(value, name) reads the parameters after the first ';'
 * (outside quoted strings):
 *   - parameter names match ASCII case-insensitively;
 *   - a value is a token (trimmed) or a quoted string (backslash escapes
 *     undone; an unterminated one runs to the end);
 *   - RFC 2231: `name*=charset'lang'%XX..` is percent-decoded and converted
 *     to UTF-8 (spu_charset_to_utf8); continuations `name*0`, `name*1*`, ...
 *     are joined in index order from 0 up to the first missing index, the
 *     starred ones percent-decoded, the charset taken from `name*0*`;
 *   - precedence: `name*`, then continuations, then plain `name`;
 *   - a plain value has RFC 2047 encoded words decoded, as mail readers do
 *     for filenames written `"=?utf-8?B?...?="`;
 *   - the first occurrence wins among duplicates; null when absent.
 */
#include "stdlib-int.h"

#include <stdlib.h>
#include <string.h>

/* header_value(v): the text before the first ';', trimmed. */
int spu_bi_header_value(struct spu_call *c, const struct spu_value *args, unsigned argc,
                        struct spu_value *ret)
{
    const uint8_t *s = NULL;
    size_t n = 0;
    int ss = spu_arg_subject(c, args, argc, &s, &n, ret);
    if (ss <= 0)
        return ss;
    const uint8_t *semi = memchr(s, ';', n);
    if (semi)
        n = (size_t)(semi - s);
    spu_trim(&s, &n);
    *ret = spu_v_str(s, (uint32_t)n);
    return SPU_OK;
}

struct pval {
    const uint8_t *p;
    size_t n;
    int quoted;
};

struct segment {
    uint64_t index;
    uint64_t order; /* position among the parameters, for a stable sort */
    struct pval v;
    int ext;
};

/* Unquoted bytes of a value into b. */
static void put_value(struct spu_sb *b, const struct pval *v)
{
    if (!v->quoted) {
        spu_sb_put(b, v->p, v->n);
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        if (v->p[i] == '\\' && i + 1 < v->n)
            i++;
        spu_sb_putc(b, v->p[i]);
    }
}

/* Split an extended value "charset'lang'text": the charset (may be empty)
 * and the text; without two quotes, no charset and the whole value. */
static void ext_split(const uint8_t *p, size_t n, const uint8_t **cs, size_t *csn,
                      const uint8_t **t, size_t *tn)
{
    const uint8_t *q1 = memchr(p, '\'', n);
    const uint8_t *q2 = q1 ? memchr(q1 + 1, '\'', n - (size_t)(q1 - p) - 1) : NULL;
    if (!q2) {
        *cs = NULL;
        *csn = 0;
        *t = p;
        *tn = n;
        return;
    }
    *cs = p;
    *csn = (size_t)(q1 - p);
    *t = q2 + 1;
    *tn = n - (size_t)(q2 + 1 - p);
}

static int cmp_segment(const void *a, const void *b)
{
    const struct segment *x = a, *y = b;
    if (x->index != y->index)
        return x->index < y->index ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

/* Parse the attribute name p[0..n) against `want`: 0 no match; else 1 and
 * *index (UINT64_MAX when none) and *ext (trailing '*'). */
static int attr_match(const uint8_t *p, size_t n, const uint8_t *want, size_t wn,
                      uint64_t *index, int *ext)
{
    if (n < wn || !spu_memcaseeq(p, want, wn))
        return 0;
    p += wn;
    n -= wn;
    *index = UINT64_MAX;
    *ext = 0;
    if (n == 0)
        return 1;
    if (p[0] != '*')
        return 0;
    p++;
    n--;
    if (n == 0) {
        *ext = 1;
        return 1;
    }
    uint64_t v = 0;
    size_t i = 0;
    for (; i < n && i < 9 && p[i] >= '0' && p[i] <= '9'; i++)
        v = v * 10 + (uint64_t)(p[i] - '0');
    if (i == 0)
        return 0;
    if (i < n && !(i + 1 == n && p[i] == '*'))
        return 0;
    *index = v;
    *ext = i < n;
    return 1;
}

int spu_bi_header_param(struct spu_call *c, const struct spu_value *args, unsigned argc,
                        struct spu_value *ret)
{
    const uint8_t *s = NULL, *want = NULL;
    size_t n = 0, wn = 0;
    int both = spu_arg_str2(c, args, argc, &s, &n, &want, &wn);
    if (both < 0)
        return both;
    *ret = spu_v_null();
    if (!both || wn == 0)
        return SPU_OK;

    struct pval plain = {0}, ext = {0};
    int have_plain = 0, have_ext = 0;
    struct spu_sb segs; /* struct segment[] */
    spu_sb_init(&segs, c->scratch, 0);
    uint64_t order = 0;

    /* skip the main value: up to the first ';' outside quotes */
    size_t i = 0;
    for (int q = 0; i < n && (q || s[i] != ';'); i++) {
        if (q && s[i] == '\\')
            i++;
        else if (s[i] == '"')
            q = !q;
    }
    while (i < n) {
        while (i < n && (s[i] == ';' || spu_isspace(s[i])))
            i++;
        size_t ns = i;
        while (i < n && s[i] != '=' && s[i] != ';')
            i++;
        const uint8_t *name = s + ns;
        size_t nn = i - ns;
        spu_trim(&name, &nn);
        if (i >= n || s[i] == ';')
            continue;
        i++; /* '=' */
        while (i < n && spu_isspace(s[i]) && s[i] != ';')
            i++;
        struct pval v = {s + i, 0, 0};
        if (i < n && s[i] == '"') {
            size_t j = ++i;
            while (j < n && s[j] != '"')
                j += (s[j] == '\\' && j + 1 < n) ? 2 : 1;
            v.p = s + i;
            v.n = (j < n ? j : n) - i;
            v.quoted = 1;
            i = j;
            while (i < n && s[i] != ';')
                i++; /* junk after the closing quote */
        } else {
            while (i < n && s[i] != ';')
                i++;
            v.n = (size_t)(s + i - v.p);
            spu_trim(&v.p, &v.n);
        }
        uint64_t index;
        int star;
        if (!attr_match(name, nn, want, wn, &index, &star))
            continue;
        if (index == UINT64_MAX && star && !have_ext) {
            ext = v;
            have_ext = 1;
        } else if (index == UINT64_MAX && !star && !have_plain) {
            plain = v;
            have_plain = 1;
        } else if (index != UINT64_MAX) {
            struct segment sg = {index, order++, v, star};
            spu_sb_put(&segs, &sg, sizeof(sg));
        }
    }
    if (segs.err)
        return spu_arg_nomem(c);

    struct spu_sb raw, out;
    spu_sb_init(&raw, c->scratch, 64);
    spu_sb_init(&out, c->scratch, 64);
    struct segment *sv = (struct segment *)segs.p;
    size_t nseg = segs.len / sizeof(struct segment);
    if (nseg > 1)
        qsort(sv, nseg, sizeof(*sv), cmp_segment);
    const uint8_t *cs = NULL, *t;
    size_t csn = 0, tn;
    if (have_ext) {
        struct spu_sb tmp;
        spu_sb_init(&tmp, c->scratch, ext.n);
        put_value(&tmp, &ext);
        ext_split(tmp.p ? tmp.p : (const uint8_t *)"", tmp.len, &cs, &csn, &t, &tn);
        spu_pct_decode(&raw, t, tn, 0);
        spu_charset_to_utf8(&out, cs, csn, raw.p, raw.len);
        if (tmp.err)
            return spu_arg_nomem(c);
    } else if (nseg && sv[0].index == 0) {
        uint64_t next = 0;
        for (size_t k = 0; k < nseg && sv[k].index <= next; k++) {
            if (sv[k].index < next)
                continue; /* a duplicate index: the first one counts */
            struct spu_sb tmp;
            spu_sb_init(&tmp, c->scratch, sv[k].v.n);
            put_value(&tmp, &sv[k].v);
            const uint8_t *vp = tmp.p ? tmp.p : (const uint8_t *)"";
            if (sv[k].ext) {
                t = vp;
                tn = tmp.len;
                if (k == 0)
                    ext_split(vp, tmp.len, &cs, &csn, &t, &tn);
                spu_pct_decode(&raw, t, tn, 0);
            } else {
                spu_sb_put(&raw, vp, tmp.len);
            }
            if (tmp.err)
                return spu_arg_nomem(c);
            next++;
        }
        spu_charset_to_utf8(&out, cs, csn, raw.p, raw.len);
    } else if (have_plain) {
        put_value(&raw, &plain);
        spu_decode_words(&out, raw.p ? raw.p : (const uint8_t *)"", raw.len);
    } else {
        return SPU_OK;
    }
    if (raw.err || out.err)
        return spu_arg_nomem(c);
    *ret = spu_sb_value(&out);
    return SPU_OK;
}

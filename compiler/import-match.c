/*
 * import-match.c - the matching keywords of a rule read into items and
 * conditions: content and its modifiers, isdataat, byte_test/byte_jump,
 * pcre (checked with PCRE2), bsize/urilen/dsize, TCP flags.
 */
#include "import-rule.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <errno.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int imp_skip(struct rule *r, const char *kw, const char *why)
{
    r->kw = kw;
    r->why = why;
    return -1;
}

bool imp_parse_long(const char *s, long *out)
{
    if (!s)
        return false;
    while (isspace((unsigned char)*s))
        s++;
    errno = 0;
    char *end;
    long v = strtol(s, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (end == s || *end || errno)
        return false;
    *out = v;
    return true;
}

void imp_free_rule(struct rule *r)
{
    for (unsigned i = 0; i < r->nitems; i++) {
        free(r->items[i].pat);
        free(r->items[i].alt);
    }
    for (unsigned i = 0; i < r->nconds; i++)
        free(r->conds[i].text);
    for (unsigned i = 0; i < r->nrefs; i++)
        free(r->refs[i]);
    for (unsigned i = 0; i < r->nmeta; i++)
        free(r->meta[i]);
}

/* ---- content and its modifiers ---- */

int imp_add_content(struct rule *r, const char *val, int buf)
{
    if (!val)
        return imp_skip(r, "content", "no pattern");
    if (r->nitems == MAX_ITEMS)
        return imp_skip(r, "content", "too many contents");
    const char *v = val;
    while (*v == ' ')
        v++;
    bool neg = *v == '!';
    char tmp[MAX_PAT];
    uint8_t bytes[MAX_PAT];
    int n = imp_unquote(val, tmp, sizeof(tmp));
    int bn = n < 0 ? -1 : imp_content_bytes(tmp, bytes, sizeof(bytes));
    if (bn <= 0)
        return imp_skip(r, "content", bn == 0 ? "empty pattern" : "bad pattern (quoting or hex)");
    struct item *it = &r->items[r->nitems];
    memset(it, 0, sizeof(*it));
    if (!(it->pat = malloc((size_t)bn)))
        return imp_skip(r, "content", "out of memory");
    r->nitems++;
    memcpy(it->pat, bytes, (size_t)bn);
    it->plen = (size_t)bn;
    it->buf = buf;
    it->flags = neg ? IT_NOT : 0;
    return 0;
}

struct item *imp_last_content(struct rule *r)
{
    for (unsigned i = r->nitems; i-- > 0;)
        if (!(r->items[i].flags & (IT_ISDATAAT | IT_PCRE | IT_BYTE)))
            return &r->items[i];
    return NULL;
}

int imp_content_mod(struct rule *r, const struct imp_opt *o)
{
    struct item *it = imp_last_content(r);
    if (!it)
        return imp_skip(r, o->name, "modifier without a content");
    const char *n = o->name;
    long v = 0;
    if (strcmp(n, "nocase") == 0) {
        it->flags |= IT_NOCASE;
        return 0;
    }
    if (strcmp(n, "rawbytes") == 0)
        return 0; /* Suricata ignores it */
    if (strcmp(n, "startswith") == 0) {
        it->flags |= IT_STARTS;
        return 0;
    }
    if (strcmp(n, "endswith") == 0) {
        it->flags |= IT_ENDS;
        return 0;
    }
    if (strcmp(n, "fast_pattern") == 0) {
        if (it->flags & IT_NOT)
            return 0; /* a negated pattern only filters: nothing to prefilter */
        if (o->val && strcmp(o->val, "only") != 0) {
            /* fast_pattern:offset,length - the prefilter takes a slice */
            long off, len;
            char a[32], b[32];
            if (sscanf(o->val, "%31[0-9] , %31[0-9]", a, b) != 2 || !imp_parse_long(a, &off) ||
                !imp_parse_long(b, &len) || off < 0 || len <= 0 || (size_t)(off + len) > it->plen)
                return imp_skip(r, "fast_pattern", "bad offset,length");
        }
        it->flags |= IT_FP;
        return 0;
    }
    if (!imp_parse_long(o->val, &v))
        return imp_skip(r, n, "needs a number (byte_extract variables are not supported)");
    if (strcmp(n, "offset") == 0 && v >= 0) {
        it->flags |= IT_OFFSET;
        it->offset = v;
    } else if (strcmp(n, "depth") == 0 && v > 0) {
        it->flags |= IT_DEPTH;
        it->depth = v;
    } else if (strcmp(n, "distance") == 0) {
        it->flags |= IT_DISTANCE;
        it->distance = v;
    } else if (strcmp(n, "within") == 0 && v > 0) {
        it->flags |= IT_WITHIN;
        it->within = v;
    } else
        return imp_skip(r, n, "value out of range");
    if ((it->flags & (IT_OFFSET | IT_DEPTH | IT_STARTS)) && (it->flags & (IT_DISTANCE | IT_WITHIN)))
        return imp_skip(r, n, "absolute and relative modifiers on one content");
    if (v > 65535 || v < -65535)
        return imp_skip(r, n, "value out of range");
    return 0;
}

int imp_add_isdataat(struct rule *r, const char *val, int buf)
{
    if (!val || r->nitems == MAX_ITEMS)
        return imp_skip(r, "isdataat", "no value");
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "%s", val);
    char *p = tmp;
    unsigned fl = IT_ISDATAAT;
    if (*p == '!') {
        fl |= IT_NOT;
        p++;
    }
    char *comma = strchr(p, ',');
    if (comma) {
        *comma = '\0';
        char *w = comma + 1;
        while (*w == ' ')
            w++;
        if (strcmp(w, "relative") == 0)
            fl |= IT_RELATIVE;
        else if (strcmp(w, "rawbytes") != 0)
            return imp_skip(r, "isdataat", "unsupported option");
    }
    long v;
    if (!imp_parse_long(p, &v) || v < 0 || v > 65535)
        return imp_skip(r, "isdataat", "needs a number (byte_extract variables are not supported)");
    struct item *it = &r->items[r->nitems++];
    memset(it, 0, sizeof(*it));
    it->buf = buf;
    it->flags = fl;
    it->at = v;
    return 0;
}

/* byte_test / byte_jump: positional numbers, then options; written as
 * content_match's words (stdlib/content.c). */
int imp_add_byte(struct rule *r, const char *kw, const char *val, int buf)
{
    bool test = strcmp(kw, "byte_test") == 0;
    char v[256], out[160];
    if (!val || strlen(val) >= sizeof(v) || r->nitems == MAX_ITEMS)
        return imp_skip(r, kw, "no value");
    snprintf(v, sizeof(v), "%s", val);
    char *f[16];
    int nf = 0;
    for (char *save = NULL, *w = strtok_r(v, ",", &save); w && nf < 16;
         w = strtok_r(NULL, ",", &save)) {
        while (*w == ' ')
            w++;
        char *e = w + strlen(w);
        while (e > w && e[-1] == ' ')
            *--e = '\0';
        f[nf++] = w;
    }
    int npos = test ? 4 : 2;
    if (nf < npos)
        return imp_skip(r, kw, "too few values");
    long nbytes, offset;
    if (!imp_parse_long(f[0], &nbytes) || nbytes < 1 || nbytes > 10)
        return imp_skip(r, kw, "bad byte count");
    if (!imp_parse_long(f[npos - 1], &offset) || offset < -65535 || offset > 65535)
        return imp_skip(r, kw, "offset is not a number (byte_extract variables are not supported)");
    size_t k = 0;
    bool neg = false;
#define OUT(...) k += (size_t)snprintf(out + k, sizeof(out) - k, __VA_ARGS__)
    if (test) {
        const char *op = f[1];
        if (*op == '!') {
            neg = true;
            op++;
        }
        if (strcmp(op, "<") && strcmp(op, ">") && strcmp(op, "=") && strcmp(op, "<=") &&
            strcmp(op, ">=") && strcmp(op, "&") && strcmp(op, "^"))
            return imp_skip(r, kw, "unknown operator");
        char *end;
        errno = 0;
        unsigned long long value = strtoull(f[2], &end, 0);
        if (end == f[2] || *end || errno || f[2][0] == '-')
            return imp_skip(r, kw,
                            "value is not a number (byte_extract variables are not supported)");
        OUT("%sbyte_test %ld %s %llu %ld", neg ? "not " : "", nbytes, op, value, offset);
    } else {
        OUT("byte_jump %ld %ld", nbytes, offset);
    }
    bool string = false, base = false;
    for (int i = npos; i < nf; i++) {
        char *w = f[i];
        long x;
        if (strcmp(w, "relative") == 0 || strcmp(w, "big") == 0 || strcmp(w, "little") == 0 ||
            strcmp(w, "string") == 0 || strcmp(w, "hex") == 0 || strcmp(w, "dec") == 0 ||
            strcmp(w, "oct") == 0 ||
            (!test && (strcmp(w, "align") == 0 || strcmp(w, "from_beginning") == 0 ||
                       strcmp(w, "from_end") == 0))) {
            string |= strcmp(w, "string") == 0;
            base |= strcmp(w, "hex") == 0 || strcmp(w, "dec") == 0 || strcmp(w, "oct") == 0;
            OUT(" %s", w);
        } else if (!test &&
                   (strncmp(w, "multiplier ", 11) == 0 || strncmp(w, "post_offset ", 12) == 0)) {
            const char *num = strchr(w, ' ') + 1;
            if (!imp_parse_long(num, &x) || x < -65535 || x > 65535 || (w[0] == 'm' && x < 1))
                return imp_skip(r, kw, "bad multiplier/post_offset");
            OUT(" %.*s %ld", (int)(strchr(w, ' ') - w), w, x);
        } else if (strncmp(w, "bitmask ", 8) == 0) {
            char *end;
            errno = 0;
            unsigned long long m = strtoull(w + 8, &end, 0);
            if (end == w + 8 || *end || errno || m == 0)
                return imp_skip(r, kw, "bad bitmask");
            OUT(" bitmask %llu", m);
        } else if (strcmp(w, "dce") == 0)
            return imp_skip(r, kw, "dce (DCE/RPC byte order)");
        else
            return imp_skip(r, kw, "unsupported option");
    }
#undef OUT
    if (k >= sizeof(out) - 1)
        return imp_skip(r, kw, "too long");
    if ((string && !base) || (!string && base) || (!string && nbytes > 8))
        return imp_skip(r, kw, "string needs hex/dec/oct; binary reads at most 8 bytes");
    struct item *it = &r->items[r->nitems++];
    memset(it, 0, sizeof(*it));
    it->buf = buf;
    it->flags = IT_BYTE;
    snprintf(it->bmods, sizeof(it->bmods), "%s", out);
    return 0;
}

/* ---- conditions ---- */

int imp_add_cond(struct rule *r, int buf, const char *kw, const char *fmt, ...)
{
    if (r->nconds == MAX_CONDS)
        return imp_skip(r, kw, "too many conditions");
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        return imp_skip(r, kw, "out of memory");
    r->conds[r->nconds].buf = buf;
    r->conds[r->nconds++].text = s;
    return 0;
}

/* N, <N, >N, N<>M (exclusive), as Suricata's bsize/urilen/dsize read them;
 * writes the comparison of `@`-length into a condition. */
int imp_size_cond(struct rule *r, int buf, const char *kw, const char *val, const char *len)
{
    char v[64];
    if (!val || strlen(val) >= sizeof(v))
        return imp_skip(r, kw, "no value");
    snprintf(v, sizeof(v), "%s", val);
    char *comma = strchr(v, ',');
    if (comma)
        *comma = '\0';
    long a, b;
    char *incl = strstr(v, "<=>");
    if (incl) {
        /* Snort 3's inclusive range */
        *incl = '\0';
        if (!imp_parse_long(v, &a) || !imp_parse_long(incl + 3, &b) || a < 0 || b < a)
            return imp_skip(r, kw, "bad range");
        return imp_add_cond(r, buf, kw, "%s >= %ld && %s <= %ld", len, a, len, b);
    }
    char *range = strstr(v, "<>");
    if (range) {
        *range = '\0';
        if (!imp_parse_long(v, &a) || !imp_parse_long(range + 2, &b) || a < 0 || b <= a)
            return imp_skip(r, kw, "bad range");
        return imp_add_cond(r, buf, kw, "%s > %ld && %s < %ld", len, a, len, b);
    }
    const char *op = "==";
    char *p = v;
    while (*p == ' ')
        p++;
    if (*p == '<' || *p == '>') {
        op = *p == '<' ? "<" : ">";
        p++;
        if (*p == '=')
            return imp_skip(r, kw, "<= and >= are not Suricata 5 syntax");
    }
    if (!imp_parse_long(p, &a) || a < 0)
        return imp_skip(r, kw, "bad value");
    return imp_add_cond(r, buf, kw, "%s %s %ld", len, op, a);
}

/* pcre:"/re/flags" -> "@ ~ /re/flags" on its buffer. */
int imp_add_pcre(struct rule *r, const char *val, int cur)
{
    char tmp[MAX_PAT];
    const char *v = val ? val : "";
    while (*v == ' ')
        v++;
    bool neg = *v == '!';
    if (!val || imp_unquote_raw(val, tmp, sizeof(tmp)) < 0)
        return imp_skip(r, "pcre", "bad quoting");
    char *open = tmp, *close = strrchr(tmp, '/');
    if (*open != '/' || close == open)
        return imp_skip(r, "pcre", "not /regex/flags");
    *close = '\0';
    const char *flags = close + 1, *body = open + 1;
    char fl[8] = "";
    size_t nf = 0;
    int buf = cur;
    bool anchored = false, ungreedy = false, relative = false;
    for (const char *f = flags; *f; f++) {
        int b = -1;
        switch (*f) {
        case 'i':
        case 's':
        case 'm':
        case 'x':
            if (!strchr(fl, *f) && nf < sizeof(fl) - 1)
                fl[nf++] = *f, fl[nf] = '\0';
            continue;
        case 'A':
            anchored = true;
            continue;
        case 'G':
            ungreedy = true;
            continue;
        case 'B':
        case 'O':
            continue; /* rawbytes, match limits: no meaning here */
        case 'R':
            relative = true;
            continue;
        case 'E':
            return imp_skip(r, "pcre", "flag E (dollar end only)");
        case 'U':
            b = imp_buf_find("http.uri", false);
            break;
        case 'I':
            b = imp_buf_find("http.uri.raw", false);
            break;
        case 'P':
            b = imp_buf_find("http.request_body", false);
            break;
        case 'Q':
            b = imp_buf_find("file.data", false);
            break;
        case 'H':
            b = imp_buf_find("http.header", false);
            break;
        case 'D':
            b = imp_buf_find("http.header.raw", false);
            break;
        case 'M':
            b = imp_buf_find("http.method", false);
            break;
        case 'C':
            b = imp_buf_find("http.cookie", false);
            break;
        case 'S':
            b = imp_buf_find("http.stat_code", false);
            break;
        case 'Y':
            b = imp_buf_find("http.stat_msg", false);
            break;
        case 'V':
            b = imp_buf_find("http.user_agent", false);
            break;
        case 'W':
            b = imp_buf_find("http.host", false);
            break;
        default:
            return imp_skip(r, "pcre", "unknown flag");
        }
        buf = b;
    }
    {
        /* an item of the buffer's chain (content_match runs it with
         * Suricata's retries; relative: after the previous match) */
        char src[MAX_PAT + 16];
        int sn = snprintf(src, sizeof(src), "%s%s%s%s", ungreedy ? "(?U)" : "",
                          anchored ? "\\A(?:" : "", body, anchored ? ")" : "");
        if (sn < 0 || (size_t)sn >= sizeof(src))
            return imp_skip(r, "pcre", "pattern too long");
        uint32_t opts = 0;
        for (const char *f = fl; *f; f++)
            opts |= *f == 'i'   ? PCRE2_CASELESS
                    : *f == 's' ? PCRE2_DOTALL
                    : *f == 'm' ? PCRE2_MULTILINE
                                : PCRE2_EXTENDED;
        int ecode;
        PCRE2_SIZE eoff;
        pcre2_code *re = pcre2_compile((PCRE2_SPTR)src, (size_t)sn, opts, &ecode, &eoff, NULL);
        if (!re)
            return imp_skip(r, "pcre", "PCRE2 does not compile it");
        pcre2_code_free(re);
        if (r->nitems == MAX_ITEMS)
            return imp_skip(r, "pcre", "too many contents");
        struct item *it = &r->items[r->nitems];
        memset(it, 0, sizeof(*it));
        if (!(it->pat = malloc((size_t)sn + 1)))
            return imp_skip(r, "pcre", "out of memory");
        r->nitems++;
        memcpy(it->pat, src, (size_t)sn);
        it->plen = (size_t)sn;
        it->buf = buf;
        it->flags = IT_PCRE | (relative ? IT_RELATIVE : 0) | (neg ? IT_NOT : 0);
        snprintf(it->re_flags, sizeof(it->re_flags), "%s", fl);
        if (relative)
            return 0;
    }
    /* the spu lexer ends a regex at an unescaped '/' outside a class */
    char esc[2 * MAX_PAT];
    size_t k = 0;
    bool cls = false;
    for (const char *p = body; *p && k < sizeof(esc) - 3; p++) {
        if (*p == '\\' && p[1]) {
            esc[k++] = *p++;
            esc[k++] = *p;
            continue;
        }
        if (*p == '[' && !cls)
            cls = true;
        else if (*p == ']' && cls)
            cls = false;
        if (*p == '/' && !cls)
            esc[k++] = '\\';
        esc[k++] = *p;
    }
    esc[k] = '\0';
    if (strchr(esc, '\n'))
        return imp_skip(r, "pcre", "newline in pattern");
    struct item *it = &r->items[r->nitems - 1];
    if (asprintf(&it->alt, "%s@ ~ /%s%s%s%s/%s%s", neg ? "!(" : "", ungreedy ? "(?U)" : "",
                 anchored ? "\\A(?:" : "", esc, anchored ? ")" : "", fl, neg ? ")" : "") < 0) {
        it->alt = NULL;
        return imp_skip(r, "pcre", "out of memory");
    }
    return 0;
}

/* flags:[+*!]FLAGS[,MASK] -> a test of the packet's tcp_flags, bit by
 * bit (the rule language has no bitwise operators): exact match of the
 * bits outside MASK; + all given bits set (others free); * any of them;
 * ! not all of them (Suricata's detect-tcp-flags). */
static int tcp_flag_bit(char c)
{
    switch (c) {
    case 'F':
        return 0x01;
    case 'S':
        return 0x02;
    case 'R':
        return 0x04;
    case 'P':
        return 0x08;
    case 'A':
        return 0x10;
    case 'U':
        return 0x20;
    case 'E':
    case '2':
        return 0x40;
    case 'C':
    case '1':
        return 0x80;
    case '0':
        return 0;
    default:
        return -1;
    }
}

int imp_add_flags(struct rule *r, const char *val)
{
    char v[32];
    if (!val || strlen(val) >= sizeof(v))
        return imp_skip(r, "flags", "no value");
    snprintf(v, sizeof(v), "%s", val);
    char *mask_s = strchr(v, ',');
    if (mask_s)
        *mask_s++ = '\0';
    char mod = 0;
    int want = 0, mask = 0;
    for (char *p = v; *p; p++) {
        if (*p == ' ')
            continue;
        if (*p == '+' || *p == '*' || *p == '!') {
            if (mod)
                return imp_skip(r, "flags", "two modifiers");
            mod = *p;
            continue;
        }
        int b = tcp_flag_bit(*p);
        if (b < 0)
            return imp_skip(r, "flags", "unknown flag");
        want |= b;
    }
    for (char *p = mask_s; p && *p; p++) {
        int b = *p == ' ' ? 0 : tcp_flag_bit(*p);
        if (b < 0)
            return imp_skip(r, "flags", "unknown flag in the mask");
        mask |= b;
    }
    char t[512] = "";
    size_t k = 0;
    const char *join = mod == '*' ? " || " : " && ";
    int n = 0;
    for (int bit = 1; bit <= 0x80; bit <<= 1) {
        bool set;
        if (mod == 0) {
            if (mask & bit)
                continue;
            set = (want & bit) != 0;
        } else {
            if (!(want & bit))
                continue;
            set = true;
        }
        k += (size_t)snprintf(t + k, sizeof(t) - k, "%s(tcp_flags / %d) %% 2 == %d",
                              n++ ? join : "", bit, set ? 1 : 0);
    }
    if (!n)
        return imp_skip(r, "flags", "no flag to test");
    if (mod == '!')
        return imp_add_cond(r, IMP_BUF_PAYLOAD, "flags", "proto == 6 && !(%s)", t);
    return imp_add_cond(r, IMP_BUF_PAYLOAD, "flags", "proto == 6 && (%s)", t);
}

/*
 * import-rule.c - one Suricata/Snort rule into one spu rule.
 *
 * The options are read in order into items (contents and isdataat, each
 * on a buffer), conditions (pcre, bsize, urilen, dsize) and state
 * (flow, flowbits, threshold). Then the event is chosen from the buffers
 * used (payload: `packet`; HTTP request fields: `http.request`; response
 * fields or to_client: `http.response`), and the rule is written:
 *
 *   rule gid G sid S rev R msg "..." classtype C ... on EVENT {
 *       if (HEADER && FLOW && FLOWBITS && contains(BUF, "fast pattern")
 *           && content_match(BUF, "p1", "mods", ...) && BUF ~ /pcre/ ...) {
 *           flow.fb_x = 1;     (flowbits set/unset/toggle)
 *           Alert();           (unless noalert; gated by a threshold)
 *       }
 *   }
 *
 * Anything whose meaning the translation cannot keep returns -1 with the
 * keyword and the reason (docs/import.md lists them).
 */
#include "import-int.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <errno.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ITEMS 128
#define MAX_CONDS 32
#define MAX_PAT 4096

enum {
    IT_NOCASE = 1u << 0,
    IT_NOT = 1u << 1,
    IT_OFFSET = 1u << 2,
    IT_DEPTH = 1u << 3,
    IT_DISTANCE = 1u << 4,
    IT_WITHIN = 1u << 5,
    IT_STARTS = 1u << 6,
    IT_ENDS = 1u << 7,
    IT_ISDATAAT = 1u << 8,
    IT_RELATIVE = 1u << 9,
    IT_FP = 1u << 10,
    IT_PCRE = 1u << 11,
    IT_BYTE = 1u << 12,
};

struct item {
    int buf;
    uint8_t *pat;
    size_t plen;
    unsigned flags;
    long offset, depth, distance, within, at;
    char re_flags[8]; /* IT_PCRE: i s m x */
    char bmods[160];  /* IT_BYTE: content_match's byte_test/byte_jump words */
    char *alt;        /* IT_PCRE not relative: the same test as `@ ~ /re/`,
                       * used when nothing after it in the chain depends on it */
};

struct cond {
    int buf;
    char *text; /* "@" stands for the buffer's expression */
};

struct fbit_op {
    int op; /* 's' set, 'u' unset, 't' toggle, 'i' isset, 'n' isnotset */
    char names[256];
};

struct rule {
    char msg[1024];
    long sid, rev, gid, priority;
    char classtype[128];
    char *refs[32];
    unsigned nrefs;
    char *meta[64];
    unsigned nmeta;
    struct item items[MAX_ITEMS];
    unsigned nitems;
    struct cond conds[MAX_CONDS];
    unsigned nconds;
    bool to_server, to_client, noalert;
    struct fbit_op fb[16];
    unsigned nfb;
    struct imp_thr thr;
    const char *kw, *why; /* the skip */
};

static int skip(struct rule *r, const char *kw, const char *why)
{
    r->kw = kw;
    r->why = why;
    return -1;
}

static bool parse_long(const char *s, long *out)
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

static void free_rule(struct rule *r)
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

static int add_content(struct rule *r, const char *val, int buf)
{
    if (!val)
        return skip(r, "content", "no pattern");
    if (r->nitems == MAX_ITEMS)
        return skip(r, "content", "too many contents");
    const char *v = val;
    while (*v == ' ')
        v++;
    bool neg = *v == '!';
    char tmp[MAX_PAT];
    uint8_t bytes[MAX_PAT];
    int n = imp_unquote(val, tmp, sizeof(tmp));
    int bn = n < 0 ? -1 : imp_content_bytes(tmp, bytes, sizeof(bytes));
    if (bn <= 0)
        return skip(r, "content", bn == 0 ? "empty pattern" : "bad pattern (quoting or hex)");
    struct item *it = &r->items[r->nitems];
    memset(it, 0, sizeof(*it));
    if (!(it->pat = malloc((size_t)bn)))
        return skip(r, "content", "out of memory");
    r->nitems++;
    memcpy(it->pat, bytes, (size_t)bn);
    it->plen = (size_t)bn;
    it->buf = buf;
    it->flags = neg ? IT_NOT : 0;
    return 0;
}

static struct item *last_content(struct rule *r)
{
    for (unsigned i = r->nitems; i-- > 0;)
        if (!(r->items[i].flags & (IT_ISDATAAT | IT_PCRE | IT_BYTE)))
            return &r->items[i];
    return NULL;
}

static int content_mod(struct rule *r, const struct imp_opt *o)
{
    struct item *it = last_content(r);
    if (!it)
        return skip(r, o->name, "modifier without a content");
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
            if (sscanf(o->val, "%31[0-9] , %31[0-9]", a, b) != 2 || !parse_long(a, &off) ||
                !parse_long(b, &len) || off < 0 || len <= 0 || (size_t)(off + len) > it->plen)
                return skip(r, "fast_pattern", "bad offset,length");
        }
        it->flags |= IT_FP;
        return 0;
    }
    if (!parse_long(o->val, &v))
        return skip(r, n, "needs a number (byte_extract variables are not supported)");
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
        return skip(r, n, "value out of range");
    if ((it->flags & (IT_OFFSET | IT_DEPTH | IT_STARTS)) && (it->flags & (IT_DISTANCE | IT_WITHIN)))
        return skip(r, n, "absolute and relative modifiers on one content");
    if (v > 65535 || v < -65535)
        return skip(r, n, "value out of range");
    return 0;
}

static int add_isdataat(struct rule *r, const char *val, int buf)
{
    if (!val || r->nitems == MAX_ITEMS)
        return skip(r, "isdataat", "no value");
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
            return skip(r, "isdataat", "unsupported option");
    }
    long v;
    if (!parse_long(p, &v) || v < 0 || v > 65535)
        return skip(r, "isdataat", "needs a number (byte_extract variables are not supported)");
    struct item *it = &r->items[r->nitems++];
    memset(it, 0, sizeof(*it));
    it->buf = buf;
    it->flags = fl;
    it->at = v;
    return 0;
}

/* byte_test / byte_jump: positional numbers, then options; written as
 * content_match's words (stdlib/content.c). */
static int add_byte(struct rule *r, const char *kw, const char *val, int buf)
{
    bool test = strcmp(kw, "byte_test") == 0;
    char v[256], out[160];
    if (!val || strlen(val) >= sizeof(v) || r->nitems == MAX_ITEMS)
        return skip(r, kw, "no value");
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
        return skip(r, kw, "too few values");
    long nbytes, offset;
    if (!parse_long(f[0], &nbytes) || nbytes < 1 || nbytes > 10)
        return skip(r, kw, "bad byte count");
    if (!parse_long(f[npos - 1], &offset) || offset < -65535 || offset > 65535)
        return skip(r, kw, "offset is not a number (byte_extract variables are not supported)");
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
            return skip(r, kw, "unknown operator");
        char *end;
        errno = 0;
        unsigned long long value = strtoull(f[2], &end, 0);
        if (end == f[2] || *end || errno || f[2][0] == '-')
            return skip(r, kw, "value is not a number (byte_extract variables are not supported)");
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
            if (!parse_long(num, &x) || x < -65535 || x > 65535 || (w[0] == 'm' && x < 1))
                return skip(r, kw, "bad multiplier/post_offset");
            OUT(" %.*s %ld", (int)(strchr(w, ' ') - w), w, x);
        } else if (strncmp(w, "bitmask ", 8) == 0) {
            char *end;
            errno = 0;
            unsigned long long m = strtoull(w + 8, &end, 0);
            if (end == w + 8 || *end || errno || m == 0)
                return skip(r, kw, "bad bitmask");
            OUT(" bitmask %llu", m);
        } else if (strcmp(w, "dce") == 0)
            return skip(r, kw, "dce (DCE/RPC byte order)");
        else
            return skip(r, kw, "unsupported option");
    }
#undef OUT
    if (k >= sizeof(out) - 1)
        return skip(r, kw, "too long");
    if ((string && !base) || (!string && base) || (!string && nbytes > 8))
        return skip(r, kw, "string needs hex/dec/oct; binary reads at most 8 bytes");
    struct item *it = &r->items[r->nitems++];
    memset(it, 0, sizeof(*it));
    it->buf = buf;
    it->flags = IT_BYTE;
    snprintf(it->bmods, sizeof(it->bmods), "%s", out);
    return 0;
}

/* ---- conditions ---- */

static int add_cond(struct rule *r, int buf, const char *kw, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int add_cond(struct rule *r, int buf, const char *kw, const char *fmt, ...)
{
    if (r->nconds == MAX_CONDS)
        return skip(r, kw, "too many conditions");
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        return skip(r, kw, "out of memory");
    r->conds[r->nconds].buf = buf;
    r->conds[r->nconds++].text = s;
    return 0;
}

/* N, <N, >N, N<>M (exclusive), as Suricata's bsize/urilen/dsize read them;
 * writes the comparison of `@`-length into a condition. */
static int size_cond(struct rule *r, int buf, const char *kw, const char *val, const char *len)
{
    char v[64];
    if (!val || strlen(val) >= sizeof(v))
        return skip(r, kw, "no value");
    snprintf(v, sizeof(v), "%s", val);
    char *comma = strchr(v, ',');
    if (comma)
        *comma = '\0';
    long a, b;
    char *incl = strstr(v, "<=>");
    if (incl) {
        /* Snort 3's inclusive range */
        *incl = '\0';
        if (!parse_long(v, &a) || !parse_long(incl + 3, &b) || a < 0 || b < a)
            return skip(r, kw, "bad range");
        return add_cond(r, buf, kw, "%s >= %ld && %s <= %ld", len, a, len, b);
    }
    char *range = strstr(v, "<>");
    if (range) {
        *range = '\0';
        if (!parse_long(v, &a) || !parse_long(range + 2, &b) || a < 0 || b <= a)
            return skip(r, kw, "bad range");
        return add_cond(r, buf, kw, "%s > %ld && %s < %ld", len, a, len, b);
    }
    const char *op = "==";
    char *p = v;
    while (*p == ' ')
        p++;
    if (*p == '<' || *p == '>') {
        op = *p == '<' ? "<" : ">";
        p++;
        if (*p == '=')
            return skip(r, kw, "<= and >= are not Suricata 5 syntax");
    }
    if (!parse_long(p, &a) || a < 0)
        return skip(r, kw, "bad value");
    return add_cond(r, buf, kw, "%s %s %ld", len, op, a);
}

/* pcre:"/re/flags" -> "@ ~ /re/flags" on its buffer. */
static int add_pcre(struct rule *r, const char *val, int cur)
{
    char tmp[MAX_PAT];
    const char *v = val ? val : "";
    while (*v == ' ')
        v++;
    bool neg = *v == '!';
    if (!val || imp_unquote(val, tmp, sizeof(tmp)) < 0)
        return skip(r, "pcre", "bad quoting");
    char *open = tmp, *close = strrchr(tmp, '/');
    if (*open != '/' || close == open)
        return skip(r, "pcre", "not /regex/flags");
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
            return skip(r, "pcre", "flag E (dollar end only)");
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
            return skip(r, "pcre", "unknown flag");
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
            return skip(r, "pcre", "pattern too long");
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
            return skip(r, "pcre", "PCRE2 does not compile it");
        pcre2_code_free(re);
        if (r->nitems == MAX_ITEMS)
            return skip(r, "pcre", "too many contents");
        struct item *it = &r->items[r->nitems];
        memset(it, 0, sizeof(*it));
        if (!(it->pat = malloc((size_t)sn + 1)))
            return skip(r, "pcre", "out of memory");
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
        return skip(r, "pcre", "newline in pattern");
    struct item *it = &r->items[r->nitems - 1];
    if (asprintf(&it->alt, "%s@ ~ /%s%s%s%s/%s%s", neg ? "!(" : "", ungreedy ? "(?U)" : "",
                 anchored ? "\\A(?:" : "", esc, anchored ? ")" : "", fl, neg ? ")" : "") < 0) {
        it->alt = NULL;
        return skip(r, "pcre", "out of memory");
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

static int add_flags(struct rule *r, const char *val)
{
    char v[32];
    if (!val || strlen(val) >= sizeof(v))
        return skip(r, "flags", "no value");
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
                return skip(r, "flags", "two modifiers");
            mod = *p;
            continue;
        }
        int b = tcp_flag_bit(*p);
        if (b < 0)
            return skip(r, "flags", "unknown flag");
        want |= b;
    }
    for (char *p = mask_s; p && *p; p++) {
        int b = *p == ' ' ? 0 : tcp_flag_bit(*p);
        if (b < 0)
            return skip(r, "flags", "unknown flag in the mask");
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
        return skip(r, "flags", "no flag to test");
    if (mod == '!')
        return add_cond(r, IMP_BUF_PAYLOAD, "flags", "proto == 6 && !(%s)", t);
    return add_cond(r, IMP_BUF_PAYLOAD, "flags", "proto == 6 && (%s)", t);
}

/* ---- flow, flowbits, threshold ---- */

static int parse_flow(struct rule *r, const char *val)
{
    char v[128];
    snprintf(v, sizeof(v), "%s", val ? val : "");
    for (char *save = NULL, *w = strtok_r(v, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        while (*w == ' ')
            w++;
        char *e = w + strlen(w);
        while (e > w && e[-1] == ' ')
            *--e = '\0';
        if (strcmp(w, "to_server") == 0 || strcmp(w, "from_client") == 0)
            r->to_server = true;
        else if (strcmp(w, "to_client") == 0 || strcmp(w, "from_server") == 0)
            r->to_client = true;
        else if (strcmp(w, "established") == 0 || strcmp(w, "stateless") == 0 ||
                 strcmp(w, "not_established") == 0) {
            if (strcmp(w, "not_established") == 0)
                return skip(r, "flow", "not_established");
        } else if (strcmp(w, "only_stream") == 0 || strcmp(w, "no_stream") == 0 ||
                   strcmp(w, "no_frag") == 0 || strcmp(w, "only_frag") == 0)
            return skip(r, "flow", "stream/fragment selectors (only_stream, no_stream)");
        else
            return skip(r, "flow", "unknown flow option");
    }
    if (r->to_server && r->to_client)
        return skip(r, "flow", "both directions");
    return 0;
}

static int parse_flowbits(struct rule *r, const char *val)
{
    char v[300];
    snprintf(v, sizeof(v), "%s", val ? val : "");
    char *comma = strchr(v, ',');
    char *cmd = v;
    if (comma)
        *comma = '\0';
    while (*cmd == ' ')
        cmd++;
    char *e = cmd + strlen(cmd);
    while (e > cmd && e[-1] == ' ')
        *--e = '\0';
    if (strcmp(cmd, "noalert") == 0) {
        r->noalert = true;
        return 0;
    }
    int op = strcmp(cmd, "set") == 0        ? 's'
             : strcmp(cmd, "unset") == 0    ? 'u'
             : strcmp(cmd, "toggle") == 0   ? 't'
             : strcmp(cmd, "isset") == 0    ? 'i'
             : strcmp(cmd, "isnotset") == 0 ? 'n'
                                            : 0;
    if (!op)
        return skip(r, "flowbits", "unknown command");
    if (!comma)
        return skip(r, "flowbits", "no name");
    if (r->nfb == 16)
        return skip(r, "flowbits", "too many");
    char *name = comma + 1;
    while (*name == ' ')
        name++;
    e = name + strlen(name);
    while (e > name && e[-1] == ' ')
        *--e = '\0';
    if (!*name || strlen(name) >= sizeof(r->fb[0].names))
        return skip(r, "flowbits", "bad name");
    if (strchr(name, '&') && (op == 'i' || op == 'n'))
        return skip(r, "flowbits", "'&' groups");
    if (strchr(name, '|') && op != 'i' && op != 'n')
        return skip(r, "flowbits", "'|' group in set/unset/toggle");
    r->fb[r->nfb].op = op;
    snprintf(r->fb[r->nfb].names, sizeof(r->fb[0].names), "%s", name);
    r->nfb++;
    return 0;
}

static int parse_threshold(struct rule *r, const char *kw, const char *val, struct imp_thr *t)
{
    char v[256];
    snprintf(v, sizeof(v), "%s", val ? val : "");
    memset(t, 0, sizeof(*t));
    t->count = -1;
    t->seconds = -1;
    if (strcmp(kw, "detection_filter") == 0)
        t->type = THR_DETECTION;
    for (char *save = NULL, *w = strtok_r(v, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        char key[32], arg[64];
        if (sscanf(w, " %31s %63s", key, arg) != 2)
            return skip(r, kw, "bad option");
        if (strcmp(key, "type") == 0) {
            t->type = strcmp(arg, "limit") == 0       ? THR_LIMIT
                      : strcmp(arg, "threshold") == 0 ? THR_THRESHOLD
                      : strcmp(arg, "both") == 0      ? THR_BOTH
                                                      : THR_NONE;
            if (t->type == THR_NONE)
                return skip(r, kw, "unknown type");
        } else if (strcmp(key, "track") == 0) {
            if (strcmp(arg, "by_src") == 0)
                t->by_dst = false;
            else if (strcmp(arg, "by_dst") == 0)
                t->by_dst = true;
            else
                return skip(r, kw, "track other than by_src/by_dst");
        } else if (strcmp(key, "count") == 0) {
            if (!parse_long(arg, &t->count) || t->count < 1)
                return skip(r, kw, "bad count");
        } else if (strcmp(key, "seconds") == 0) {
            if (!parse_long(arg, &t->seconds) || t->seconds < 1)
                return skip(r, kw, "bad seconds");
        } else
            return skip(r, kw, "unknown option");
    }
    if (t->type == THR_NONE || t->count < 0 || t->seconds < 0)
        return skip(r, kw, "incomplete");
    return 0;
}

/* ---- the options ---- */

static bool is_ignored(const char *n)
{
    /* no effect on matching: alert output details only */
    return strcmp(n, "target") == 0;
}

/* Snort 3: content:"pattern"[,modifier [arg]]... - the pattern, then each
 * modifier as if it were its own option. */
static int snort3_content(struct rule *r, const char *val, int buf)
{
    char v[8192];
    if (!val || strlen(val) >= sizeof(v))
        return skip(r, "content", "no pattern");
    snprintf(v, sizeof(v), "%s", val);
    /* the end of the quoted pattern */
    char *q = strchr(v, '"');
    if (!q)
        return skip(r, "content", "no quoted pattern");
    char *e = q + 1;
    while (*e && *e != '"') {
        if (*e == '\\' && e[1])
            e++;
        e++;
    }
    if (!*e)
        return skip(r, "content", "unterminated pattern");
    char *mods = e + 1;
    char save = *mods;
    *mods = '\0';
    int rc = add_content(r, v, buf);
    *mods = save;
    if (rc)
        return rc;
    char *m = mods;
    while (*m == ' ')
        m++;
    if (!*m)
        return 0;
    if (*m != ',')
        return skip(r, "content", "text after the pattern");
    for (char *sv = NULL, *w = strtok_r(m + 1, ",", &sv); w; w = strtok_r(NULL, ",", &sv)) {
        while (*w == ' ')
            w++;
        char *arg = strchr(w, ' ');
        if (arg) {
            *arg++ = '\0';
            while (*arg == ' ')
                arg++;
        }
        if (strcmp(w, "fast_pattern_offset") == 0 || strcmp(w, "fast_pattern_length") == 0)
            continue; /* the prefilter takes the whole pattern */
        struct imp_opt o = {.name = w, .val = arg};
        if (strcmp(w, "nocase") && strcmp(w, "offset") && strcmp(w, "depth") &&
            strcmp(w, "distance") && strcmp(w, "within") && strcmp(w, "fast_pattern"))
            return skip(r, "content", "unknown Snort 3 content modifier");
        if ((rc = content_mod(r, &o)) != 0)
            return rc;
    }
    return 0;
}

static int read_options(struct importer *im, const struct imp_rule *pr, struct rule *r)
{
    int cur = IMP_BUF_PAYLOAD;
    bool snort = im->dialect != IMPORT_SURICATA;
    for (unsigned i = 0; i < pr->nopts; i++) {
        const struct imp_opt *o = &pr->opts[i];
        const char *n = o->name;
        int b, rc = 0;
        if (strcmp(n, "msg") == 0) {
            if (!o->val || imp_unquote(o->val, r->msg, sizeof(r->msg)) < 0)
                return skip(r, n, "bad message");
        } else if (strcmp(n, "sid") == 0 || strcmp(n, "rev") == 0 || strcmp(n, "gid") == 0 ||
                   strcmp(n, "priority") == 0) {
            long v;
            if (!parse_long(o->val, &v) || v < 0)
                return skip(r, n, "not a number");
            *(n[0] == 's'   ? &r->sid
              : n[0] == 'r' ? &r->rev
              : n[0] == 'g' ? &r->gid
                            : &r->priority) = v;
        } else if (strcmp(n, "classtype") == 0) {
            if (!o->val || strlen(o->val) >= sizeof(r->classtype) ||
                strspn(o->val,
                       "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") !=
                    strlen(o->val))
                return skip(r, n, "bad class name");
            snprintf(r->classtype, sizeof(r->classtype), "%s", o->val);
        } else if (strcmp(n, "reference") == 0) {
            if (o->val && r->nrefs < 32)
                r->refs[r->nrefs++] = strdup(o->val);
        } else if (strcmp(n, "metadata") == 0) {
            char tmp[1024];
            snprintf(tmp, sizeof(tmp), "%s", o->val ? o->val : "");
            for (char *save = NULL, *w = strtok_r(tmp, ",", &save); w && r->nmeta < 64;
                 w = strtok_r(NULL, ",", &save)) {
                while (*w == ' ')
                    w++;
                if (*w)
                    r->meta[r->nmeta++] = strdup(w);
            }
        } else if (is_ignored(n)) {
            continue;
        } else if (strcmp(n, "content") == 0 && im->dialect == IMPORT_SNORT3) {
            rc = snort3_content(r, o->val, cur);
        } else if (strcmp(n, "content") == 0) {
            rc = add_content(r, o->val, cur);
        } else if (im->dialect == IMPORT_SNORT3 && strcmp(n, "service") == 0) {
            continue; /* which inspector: the buffers used say it */
        } else if (im->dialect == IMPORT_SNORT3 && strcmp(n, "bufferlen") == 0) {
            if (o->val && strstr(o->val, "relative"))
                return skip(r, n, "relative");
            rc = size_cond(r, cur, n, o->val, "StringLength(@)");
        } else if (strcmp(n, "uricontent") == 0) {
            rc = add_content(r, o->val, imp_buf_find("http.uri", false));
        } else if (strcmp(n, "nocase") == 0 || strcmp(n, "offset") == 0 ||
                   strcmp(n, "depth") == 0 || strcmp(n, "distance") == 0 ||
                   strcmp(n, "within") == 0 || strcmp(n, "startswith") == 0 ||
                   strcmp(n, "endswith") == 0 || strcmp(n, "fast_pattern") == 0 ||
                   strcmp(n, "rawbytes") == 0) {
            rc = content_mod(r, o);
        } else if (strcmp(n, "isdataat") == 0) {
            rc = add_isdataat(r, o->val, cur);
        } else if (strcmp(n, "byte_test") == 0 || strcmp(n, "byte_jump") == 0) {
            rc = add_byte(r, n, o->val, cur);
        } else if ((b = imp_buf_find(n, false)) >= 0 && !o->val) {
            cur = b; /* sticky buffer */
        } else if ((b = imp_buf_find(n, true)) >= 0 && !o->val && im->dialect == IMPORT_SNORT3) {
            cur = b; /* Snort 3: http_uri etc. are sticky buffers */
        } else if ((b = imp_buf_find(n, true)) >= 0 && !o->val) {
            if (snort && (strcmp(n, "file_data") == 0)) {
                cur = b; /* sticky in Snort too */
                continue;
            }
            if (strcmp(n, "file_data") == 0) {
                cur = b;
                continue;
            }
            struct item *it = last_content(r);
            if (!it)
                return skip(r, n, "content modifier without a content");
            it->buf = b;
        } else if (strcmp(n, "pcre") == 0) {
            rc = add_pcre(r, o->val, cur);
        } else if (strcmp(n, "bsize") == 0) {
            rc = size_cond(r, cur, n, o->val, "StringLength(@)");
        } else if (strcmp(n, "urilen") == 0) {
            bool raw = o->val && strstr(o->val, "raw");
            rc = size_cond(r, imp_buf_find(raw ? "http.uri.raw" : "http.uri", false), n, o->val,
                           "StringLength(@)");
        } else if (strcmp(n, "dsize") == 0) {
            rc = size_cond(r, IMP_BUF_PAYLOAD, n, o->val, "payload_len");
        } else if (strcmp(n, "flags") == 0) {
            rc = add_flags(r, o->val);
        } else if (strcmp(n, "flow") == 0) {
            rc = parse_flow(r, o->val);
        } else if (strcmp(n, "flowbits") == 0) {
            rc = parse_flowbits(r, o->val);
        } else if (strcmp(n, "noalert") == 0) {
            r->noalert = true;
        } else if (strcmp(n, "threshold") == 0 || strcmp(n, "detection_filter") == 0) {
            if (r->thr.type != THR_NONE)
                return skip(r, n, "two thresholds");
            rc = parse_threshold(r, n, o->val, &r->thr);
        } else {
            return skip(r, n, "keyword not supported");
        }
        if (rc)
            return rc;
    }
    if (r->sid <= 0)
        return skip(r, "sid", "missing");
    if (r->sid > 0xffffffffL || r->gid > 0xffffffffL || r->rev > 0xffffffffL)
        return skip(r, "sid", "gid, sid or rev above 2^32 - 1");
    return 0;
}

/* ---- writing ---- */

/* The buffer's expression with the request prefix filled in. */
static void put_buf(FILE *out, int buf, bool response, bool to_server)
{
    const struct imp_buf *b = &imp_bufs[buf];
    const char *pre = response ? "request." : "";
    if (b->side == SIDE_HDRS && response && !to_server)
        pre = "";
    const char *e = b->expr;
    if (strcmp(b->name, "file.data") == 0 && to_server)
        e = "%sbody";
    if (strcmp(b->name, "http.start") == 0 && *pre == '\0' && response)
        e = "version + \" \" + code + \" \" + reason + \"\\r\\n\" + "
            "header_block(headers, cookies: true) + \"\\r\\n\"";
    for (const char *p = e; *p; p++) {
        if (p[0] == '%' && p[1] == 's') {
            fputs(pre, out);
            p++;
        } else
            fputc(*p, out);
    }
}

static void put_sanitized(FILE *out, const char *name)
{
    for (const char *p = name; *p; p++)
        fputc(isalnum((unsigned char)*p) ? *p : '_', out);
}

static void put_mods(FILE *out, const struct item *it)
{
    if (it->flags & IT_BYTE) {
        fprintf(out, ", \"%s\"", it->bmods);
        return;
    }
    char m[160] = "";
    size_t k = 0;
#define MOD(...) k += (size_t)snprintf(m + k, sizeof(m) - k, __VA_ARGS__)
    if (it->flags & IT_NOT)
        MOD("not ");
    if (it->flags & IT_NOCASE)
        MOD("nocase ");
    if (it->flags & IT_ISDATAAT)
        MOD("isdataat %ld ", it->at);
    if (it->flags & IT_PCRE)
        MOD(it->re_flags[0] ? "pcre:%s " : "pcre%s ", it->re_flags);
    if (it->flags & IT_RELATIVE)
        MOD("relative ");
    if (it->flags & IT_STARTS)
        MOD("startswith ");
    if (it->flags & IT_ENDS)
        MOD("endswith ");
    if (it->flags & IT_OFFSET)
        MOD("offset %ld ", it->offset);
    if (it->flags & IT_DEPTH)
        MOD("depth %ld ", it->depth);
    if (it->flags & IT_DISTANCE)
        MOD("distance %ld ", it->distance);
    if (it->flags & IT_WITHIN)
        MOD("within %ld ", it->within);
#undef MOD
    if (k && m[k - 1] == ' ')
        m[--k] = '\0';
    fprintf(out, ", \"%s\"", m);
}

/* startswith with offset/depth, or the fast-pattern pick: Suricata's
 * choice when no content says fast_pattern is the longest positive one. */
static int pick_fast_pattern(const struct rule *r)
{
    int best = -1;
    for (unsigned i = 0; i < r->nitems; i++) {
        const struct item *it = &r->items[i];
        if (it->flags & (IT_NOT | IT_ISDATAAT | IT_PCRE | IT_BYTE))
            continue;
        if (it->flags & IT_FP)
            return (int)i;
        if (best < 0 || it->plen > r->items[best].plen)
            best = (int)i;
    }
    return best;
}

static int check_items(struct rule *r)
{
    for (unsigned i = 0; i < r->nitems; i++) {
        const struct item *it = &r->items[i];
        if ((it->flags & IT_STARTS) &&
            (it->flags & (IT_OFFSET | IT_DEPTH | IT_DISTANCE | IT_WITHIN)))
            return skip(r, "startswith", "combined with offset/depth/distance/within");
        if ((it->flags & IT_ENDS) && (it->flags & IT_NOT) &&
            (it->flags & ~(IT_ENDS | IT_NOT | IT_NOCASE)))
            return skip(r, "endswith", "negated with a window");
    }
    return 0;
}

/* Open an `if` term: " && " between terms. */
static void term(FILE *out, int *n)
{
    fputs(*n ? "\n        && " : "", out);
    (*n)++;
}

static int write_header_terms(struct importer *im, FILE *out, const struct imp_rule *pr,
                              struct rule *r, bool packet, bool response, int *nt)
{
    /* the packet's source in each event's terms */
    const char *sa = packet ? "src_ip" : response ? "flow.dst_ip" : "flow.src_ip";
    const char *da = packet ? "dst_ip" : response ? "flow.src_ip" : "flow.dst_ip";
    const char *sp = packet ? "src_port" : response ? "flow.dst_port" : "flow.src_port";
    const char *dp = packet ? "dst_port" : response ? "flow.src_port" : "flow.dst_port";
    bool both = strcmp(pr->dir, "<>") == 0;
    if (!both && strcmp(pr->dir, "->") != 0)
        return skip(r, "header", "direction other than -> and <>");
    const char *spec[4] = {pr->src, pr->sport, pr->dst, pr->dport};
    char *txt[2] = {NULL, NULL};
    size_t len[2];
    for (int pass = 0; pass < (both ? 2 : 1); pass++) {
        FILE *m = open_memstream(&txt[pass], &len[pass]);
        if (!m)
            return skip(r, "header", "out of memory");
        const char *subj[4] = {pass ? da : sa, pass ? dp : sp, pass ? sa : da, pass ? sp : dp};
        int k = 0, rc = 0;
        for (int j = 0; j < 4 && rc == 0; j++) {
            if (strcmp(spec[j], "any") == 0)
                continue;
            fputs(k++ ? " && " : "", m);
            fputs("(", m);
            const char *why = NULL;
            rc = (j % 2 ? imp_port_expr : imp_addr_expr)(m, spec[j], subj[j], &im->vars, &why);
            fputs(")", m);
            if (rc)
                r->why = why;
        }
        fclose(m);
        if (rc) {
            free(txt[0]);
            free(txt[1]);
            return skip(r, "header", r->why);
        }
    }
    if (txt[0][0]) {
        term(out, nt);
        if (both)
            fprintf(out, "((%s) || (%s))", txt[0], txt[1]);
        else
            fputs(txt[0], out);
    }
    free(txt[0]);
    free(txt[1]);
    return 0;
}

static void write_fbit_test(FILE *out, const struct fbit_op *f, int *nt)
{
    term(out, nt);
    bool is = f->op == 'i';
    char tmp[256];
    snprintf(tmp, sizeof(tmp), "%s", f->names);
    int k = 0;
    fputs(strchr(tmp, '|') ? "(" : "", out);
    for (char *save = NULL, *w = strtok_r(tmp, "|", &save); w; w = strtok_r(NULL, "|", &save)) {
        while (*w == ' ')
            w++;
        fputs(k++ ? (is ? " || " : " && ") : "", out);
        fputs(is ? "flow.fb_" : "!(flow.fb_", out);
        put_sanitized(out, w);
        fputs(is ? " == 1" : " == 1)", out);
    }
    fputs(strchr(f->names, '|') ? ")" : "", out);
}

static int write_buffers(FILE *out, struct rule *r, bool response, int *nt)
{
    int fp = pick_fast_pattern(r);
    if (fp >= 0) {
        const struct item *it = &r->items[fp];
        term(out, nt);
        fputs("contains(", out);
        put_buf(out, it->buf, response, r->to_server);
        fputs(", ", out);
        imp_put_str(out, it->pat, it->plen);
        fputs((it->flags & IT_NOCASE) ? ", nocase: true)" : ")", out);
    }
    /* one content_match per buffer, items in rule order; a pcre that is
     * not relative and that nothing later in its buffer follows is a
     * plain regex test (compiled into the bundle) */
    bool done[MAX_ITEMS] = {false};
    for (unsigned i = 0; i < r->nitems; i++) {
        const struct item *it = &r->items[i];
        if (!it->alt)
            continue;
        bool later = false;
        for (unsigned j = i + 1; j < r->nitems; j++)
            later |= r->items[j].buf == it->buf;
        if (later)
            continue;
        done[i] = true;
        term(out, nt);
        for (const char *p = it->alt; *p; p++) {
            if (*p == '@')
                put_buf(out, it->buf, response, r->to_server);
            else
                fputc(*p, out);
        }
    }
    for (unsigned i = 0; i < r->nitems; i++) {
        if (done[i])
            continue;
        int buf = r->items[i].buf;
        unsigned n = 0;
        for (unsigned j = i; j < r->nitems; j++)
            n += r->items[j].buf == buf && !done[j];
        if (n > 15)
            return skip(r, "content", "more than 15 contents in one buffer");
        /* a chain's first item with distance/within/relative counts from
         * the buffer's start, as in Suricata (no earlier match in it) */
        if (buf == IMP_BUF_PAYLOAD) {
            /* Suricata inspects no payload keyword on an empty payload */
            term(out, nt);
            fputs("payload_len > 0", out);
        }
        term(out, nt);
        fputs("content_match(", out);
        put_buf(out, buf, response, r->to_server);
        for (unsigned j = i; j < r->nitems; j++) {
            if (r->items[j].buf != buf || done[j])
                continue;
            done[j] = true;
            fputs(", ", out);
            imp_put_str(out, r->items[j].pat, r->items[j].plen);
            put_mods(out, &r->items[j]);
        }
        fputs(")", out);
    }
    for (unsigned i = 0; i < r->nconds; i++) {
        term(out, nt);
        for (const char *p = r->conds[i].text; *p; p++) {
            if (*p == '@')
                put_buf(out, r->conds[i].buf, response, r->to_server);
            else
                fputc(*p, out);
        }
    }
    return 0;
}

static void put_quoted(FILE *out, const char *s)
{
    imp_put_str(out, (const uint8_t *)s, strlen(s));
}

static int write_rule(struct importer *im, const struct imp_rule *pr, struct rule *r, FILE *out)
{
    bool http = false, resp = r->to_client, payload = false;
    for (unsigned i = 0; i < r->nitems + r->nconds; i++) {
        int b = i < r->nitems ? r->items[i].buf : r->conds[i - r->nitems].buf;
        if (b == IMP_BUF_PAYLOAD)
            payload = true;
        else {
            http = true;
            if (imp_bufs[b].side == SIDE_RESP &&
                !(strcmp(imp_bufs[b].name, "file.data") == 0 && r->to_server))
                resp = true;
        }
    }
    if (http && payload)
        return skip(r, "content", "payload content together with HTTP buffers");
    if (http && r->to_server && resp && !r->to_client) {
        for (unsigned i = 0; i < r->nitems + r->nconds; i++) {
            int b = i < r->nitems ? r->items[i].buf : r->conds[i - r->nitems].buf;
            if (b != IMP_BUF_PAYLOAD && imp_bufs[b].side == SIDE_RESP &&
                strcmp(imp_bufs[b].name, "file.data") != 0)
                return skip(r, "flow", "to_server with response buffers");
        }
    }
    const char *proto = pr->proto;
    static const char *const known[] = {"tcp",  "udp",     "ip",         "icmp", "http",
                                        "smtp", "tcp-pkt", "tcp-stream", NULL};
    bool ok = false;
    for (int i = 0; known[i]; i++)
        ok |= strcmp(proto, known[i]) == 0;
    if (!ok)
        return skip(r, "protocol", "application protocol not parsed by spu");
    if (http && strcmp(proto, "udp") == 0)
        return skip(r, "protocol", "HTTP buffers on udp");
    if (http && strcmp(proto, "smtp") == 0)
        return skip(r, "file.data", "on SMTP: the mail grammar's fields are not mapped yet");
    bool packet = !http;
    if (check_items(r))
        return -1;
    im->uses_http |= http;

    const char *event = packet ? "packet" : resp ? "http.response" : "http.request";
    fprintf(out, "rule gid %ld sid %ld rev %ld", r->gid ? r->gid : 1, r->sid, r->rev ? r->rev : 1);
    fputs("\n     msg ", out);
    put_quoted(out, r->msg);
    if (r->classtype[0])
        fprintf(out, "\n     classtype %s", r->classtype);
    long prio = r->priority ? r->priority : imp_class_priority(im, r->classtype);
    if (prio > 0)
        fprintf(out, " priority %ld", prio);
    for (unsigned i = 0; i < r->nrefs; i++) {
        char *comma = strchr(r->refs[i], ',');
        if (!comma)
            continue;
        *comma = '\0';
        char *t = r->refs[i];
        while (*t == ' ')
            t++;
        fputs("\n     reference ", out);
        put_sanitized(out, t);
        fputc(' ', out);
        put_quoted(out, comma + 1);
        *comma = ',';
    }
    for (unsigned i = 0; i < r->nmeta; i++) {
        fputs("\n     metadata ", out);
        put_quoted(out, r->meta[i]);
    }
    fprintf(out, "\n     on %s\n{\n", event);

    /* the condition */
    char *cond = NULL;
    size_t clen = 0;
    FILE *c = open_memstream(&cond, &clen);
    if (!c)
        return skip(r, "rule", "out of memory");
    int nt = 0, rc = 0;
    if (packet) {
        if (strcmp(proto, "tcp") == 0 || strcmp(proto, "http") == 0 || strcmp(proto, "smtp") == 0 ||
            strncmp(proto, "tcp-", 4) == 0)
            term(c, &nt), fputs("proto == 6", c);
        else if (strcmp(proto, "udp") == 0)
            term(c, &nt), fputs("proto == 17", c);
        else if (strcmp(proto, "icmp") == 0)
            term(c, &nt), fputs("(proto == 1 || proto == 58)", c);
        if (strcmp(proto, "http") == 0 || strcmp(proto, "smtp") == 0)
            term(c, &nt), fprintf(c, "flow.app_proto == \"%s\"", proto);
        if (r->to_server)
            term(c, &nt), fputs("src_ip == flow.src_ip && src_port == flow.src_port", c);
        if (r->to_client)
            term(c, &nt), fputs("src_ip == flow.dst_ip && src_port == flow.dst_port", c);
    }
    rc = write_header_terms(im, c, pr, r, packet, resp, &nt);
    for (unsigned i = 0; rc == 0 && i < r->nfb; i++) {
        if (r->fb[i].op == 'i' || r->fb[i].op == 'n')
            write_fbit_test(c, &r->fb[i], &nt);
    }
    if (rc == 0)
        rc = write_buffers(c, r, resp, &nt);
    fclose(c);
    if (rc) {
        free(cond);
        return rc;
    }
    const char *ind = nt ? "        " : "    ";
    if (nt)
        fprintf(out, "    if (%s) {\n", cond);
    free(cond);

    /* the actions */
    for (unsigned i = 0; i < r->nfb; i++) {
        const struct fbit_op *f = &r->fb[i];
        if (f->op == 'i' || f->op == 'n')
            continue;
        if (imp_vars_add(&im->fbits, f->names, false))
            return skip(r, "flowbits", "out of memory");
        if (f->op != 't') {
            fputs(ind, out);
            fputs("flow.fb_", out);
            put_sanitized(out, f->names);
        }
        if (f->op == 's')
            fputs(" = 1;\n", out);
        else if (f->op == 'u')
            fputs(" = 0;\n", out);
        else {
            fputs(ind, out);
            fputs("if (flow.fb_", out);
            put_sanitized(out, f->names);
            fputs(" == 1) flow.fb_", out);
            put_sanitized(out, f->names);
            fputs(" = 0; else flow.fb_", out);
            put_sanitized(out, f->names);
            fputs(" = 1;\n", out);
        }
    }
    for (unsigned i = 0; i < r->nfb; i++) {
        const struct fbit_op *f = &r->fb[i];
        if (f->op != 'i' && f->op != 'n')
            continue;
        char tmp[256];
        snprintf(tmp, sizeof(tmp), "%s", f->names);
        for (char *save = NULL, *w = strtok_r(tmp, "|", &save); w; w = strtok_r(NULL, "|", &save)) {
            while (*w == ' ')
                w++;
            if (imp_vars_add(&im->fbits, w, false))
                return skip(r, "flowbits", "out of memory");
        }
    }
    const struct imp_thr_entry *te = imp_thr_find(im, r->gid ? r->gid : 1, r->sid);
    struct imp_thr thr = te && te->thr.type != THR_NONE ? te->thr : r->thr;
    bool suppressed = te && te->suppress && !te->suppress_ip;
    if (!r->noalert && !suppressed) {
        const char *act = strcmp(pr->action, "alert") == 0    ? NULL
                          : strcmp(pr->action, "drop") == 0   ? "Drop"
                          : strcmp(pr->action, "reject") == 0 ? "Reject"
                          : strcmp(pr->action, "pass") == 0   ? "Pass"
                                                              : "?";
        if (act && act[0] == '?')
            return skip(r, "action", "unknown action");
        char gate[256] = "";
        if (te && te->suppress && te->suppress_ip) {
            char *g = NULL;
            size_t gl = 0;
            FILE *gm = open_memstream(&g, &gl);
            const char *why = NULL;
            const char *subj = te->suppress_by_dst ? (packet ? "dst_ip"
                                                      : resp ? "flow.src_ip"
                                                             : "flow.dst_ip")
                                                   : (packet ? "src_ip"
                                                      : resp ? "flow.dst_ip"
                                                             : "flow.src_ip");
            int arc = gm ? imp_addr_expr(gm, te->suppress_ip, subj, &im->vars, &why) : -1;
            if (gm)
                fclose(gm);
            if (arc || !g || strlen(g) + 8 >= sizeof(gate)) {
                free(g);
                return skip(r, "suppress", why ? why : "bad address");
            }
            snprintf(gate, sizeof(gate), "!(%s)", g);
            free(g);
        }
        char inner[16];
        snprintf(inner, sizeof(inner), "%s%s", ind, gate[0] ? "    " : "");
        if (gate[0])
            fprintf(out, "%sif (%s) {\n", ind, gate);
        if (thr.type != THR_NONE) {
            /* the tracked address as a connection field: on a packet,
             * the rule's flow direction says which end sent it */
            bool from_server = packet ? r->to_client : resp;
            if (packet && !r->to_server && !r->to_client)
                return skip(r, "threshold", "on a packet rule without flow direction");
            const char *key = (thr.by_dst != from_server) ? "flow.dst_ip" : "flow.src_ip";
            fprintf(im->declf, "session thr_%ld_%ld keyed by %s ttl %lds { int n; int t0; }\n",
                    r->gid ? r->gid : 1, r->sid, key, thr.seconds);
            const char *s = inner;
            fprintf(out,
                    "%s// %s: count %ld in %ld s, by_%s\n"
                    "%sif (thr_%ld_%ld.t0 == null || now() - thr_%ld_%ld.t0 >= %ld) {\n"
                    "%s    thr_%ld_%ld.t0 = now();\n%s    thr_%ld_%ld.n = 0;\n%s}\n"
                    "%sthr_%ld_%ld.n += 1;\n",
                    s,
                    thr.type == THR_LIMIT       ? "threshold type limit"
                    : thr.type == THR_THRESHOLD ? "threshold type threshold"
                    : thr.type == THR_BOTH      ? "threshold type both"
                                                : "detection_filter",
                    thr.count, thr.seconds, thr.by_dst ? "dst" : "src", s, r->gid ? r->gid : 1,
                    r->sid, r->gid ? r->gid : 1, r->sid, thr.seconds * 1000, s, r->gid ? r->gid : 1,
                    r->sid, s, r->gid ? r->gid : 1, r->sid, s, s, r->gid ? r->gid : 1, r->sid);
            long g = r->gid ? r->gid : 1;
            if (thr.type == THR_LIMIT)
                fprintf(out, "%sif (thr_%ld_%ld.n <= %ld) {\n", s, g, r->sid, thr.count);
            else if (thr.type == THR_THRESHOLD)
                fprintf(out, "%sif (thr_%ld_%ld.n >= %ld) {\n%s    thr_%ld_%ld.n = 0;\n", s, g,
                        r->sid, thr.count, s, g, r->sid);
            else if (thr.type == THR_BOTH)
                fprintf(out, "%sif (thr_%ld_%ld.n == %ld) {\n", s, g, r->sid, thr.count);
            else
                fprintf(out, "%sif (thr_%ld_%ld.n > %ld) {\n", s, g, r->sid, thr.count);
            fprintf(out, "%s    Alert();\n", s);
            if (act)
                fprintf(out, "%s    %s();\n", s, act);
            fprintf(out, "%s}\n", s);
        } else {
            if (!act || strcmp(act, "Pass") != 0)
                fprintf(out, "%sAlert();\n", inner);
            if (act)
                fprintf(out, "%s%s();\n", inner, act);
        }
        if (gate[0])
            fprintf(out, "%s}\n", ind);
    }
    if (nt)
        fputs("    }\n", out);
    fputs("}\n\n", out);
    return 0;
}

int imp_translate_rule(struct importer *im, char *line, long *sid, const char **keyword,
                       const char **why)
{
    struct imp_rule *p = malloc(sizeof(*p));
    struct rule *r = calloc(1, sizeof(*r));
    *sid = 0;
    if (!p || !r) {
        free(p);
        free(r);
        *keyword = "rule";
        *why = "out of memory";
        return -1;
    }
    int rc = imp_split_rule(line, p, why);
    if (rc) {
        *keyword = "syntax";
    } else {
        for (unsigned i = 0; i < p->nopts; i++)
            if (strcmp(p->opts[i].name, "sid") == 0)
                parse_long(p->opts[i].val, sid);
        rc = read_options(im, p, r);
        if (r->sid)
            *sid = r->sid;
        if (rc == 0) {
            char *txt = NULL;
            size_t n = 0;
            FILE *m = open_memstream(&txt, &n);
            if (!m) {
                rc = skip(r, "rule", "out of memory");
            } else {
                if (imp_id_used(im, r->gid ? r->gid : 1, r->sid))
                    rc = skip(r, "sid", "(gid, sid) already used by an earlier rule");
                else
                    rc = write_rule(im, p, r, m);
                fclose(m);
                if (rc == 0 && !imp_claim_id(im, r->gid ? r->gid : 1, r->sid))
                    rc = skip(r, "rule", "out of memory");
                if (rc == 0)
                    fwrite(txt, 1, n, im->bodyf);
                free(txt);
            }
        }
        *keyword = r->kw;
        *why = r->why;
    }
    free_rule(r);
    free(r);
    free(p);
    return rc;
}

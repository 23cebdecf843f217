/* content.c - content_match: a chain of Suricata content matches on one
 * buffer, with Suricata's semantics (detect-engine-content-inspection):
 *
 *   content_match(buf, PATTERN, "MODIFIERS", PATTERN, "MODIFIERS", ...)
 *
 * Each item is a pattern (a string, any bytes) and a modifier string of
 * space-separated words:
 *   nocase            ASCII case-insensitive
 *   not               negated: true when the pattern is absent from its window
 *   offset N, depth N absolute window: the match starts at >= N, ends at or
 *                     before offset + depth
 *   distance N        relative: starts at >= end of the previous positive
 *                     match + N (N may be negative; the start is clamped at 0)
 *   within N          relative: ends at or before previous end + N (+ distance)
 *   startswith        = offset 0 depth len(pattern)
 *   endswith          the match ends at the end of the buffer
 *   isdataat N [relative]  (pattern ""): a byte exists at offset N; with
 *                     relative, N more bytes follow the previous match
 *                     (Suricata: prev + N <= length); with not, the opposite
 *   byte_test N OP VALUE OFFSET [relative] [big|little] [string hex|dec|oct]
 *                     [bitmask M]  (pattern ""): N bytes at OFFSET (after the
 *                     previous match with relative) read as a number, masked
 *                     and shifted by M's trailing zeros, compared with OP
 *                     (< > = <= >= & ^; with not, negated); the cursor stays
 *   byte_jump N OFFSET [relative] [big|little] [string hex|dec|oct]
 *                     [multiplier K] [align] [from_beginning|from_end]
 *                     [post_offset P] [bitmask M]  (pattern ""): the value
 *                     read moves the cursor (the previous end) to after the
 *                     bytes read (or the start, or the end) + value * K,
 *                     rounded up to 4 with align, + P; past the end: no match
 *   pcre[:FLAGS] [relative]  the pattern is a PCRE2 regex (flags i s m x);
 *                     relative: matched against the bytes after the
 *                     previous match (^ anchors there); the match's end
 *                     is the next "previous end"; with not, no match
 * Mixing offset/depth with distance/within in one item is refused (Suricata
 * refuses it too). The chain holds when some choice of match positions
 * satisfies every item in order: a positive match that leaves a later
 * relative item unsatisfied is retried at its next occurrence, as Suricata
 * does, bounded by Suricata's recursion limit (3000 tries: past it, no
 * match). A null buffer matches nothing (false); an empty chain holds on
 * any other buffer.
 */
#include "stdlib-int.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CM_MAX_ITEMS 16
#define CM_RECURSION_LIMIT 3000

enum {
    CM_NOCASE = 1u << 0,
    CM_NOT = 1u << 1,
    CM_OFFSET = 1u << 2,
    CM_DEPTH = 1u << 3,
    CM_DISTANCE = 1u << 4,
    CM_WITHIN = 1u << 5,
    CM_ENDSWITH = 1u << 6,
    CM_ISDATAAT = 1u << 7,
    CM_RELATIVE = 1u << 8,
    CM_PCRE = 1u << 9,
    CM_BYTE_TEST = 1u << 10,
    CM_BYTE_JUMP = 1u << 11,
    CM_LITTLE = 1u << 12,
    CM_STRING = 1u << 13,
    CM_ALIGN = 1u << 14,
    CM_FROM_BEGIN = 1u << 15,
    CM_FROM_END = 1u << 16,
};

/* a regex's match limit (as the regex lists: no hostile backtracking) */
#define CM_MATCH_LIMIT 1000000

struct cm_item {
    const uint8_t *pat;
    size_t plen;
    unsigned flags;
    uint32_t re_opts; /* pcre: PCRE2 options */
    int64_t offset, depth, distance, within, at;
    pcre2_code *re; /* pcre: compiled for this call */
    /* byte_test / byte_jump */
    unsigned nbytes, base;
    char op[3];
    uint64_t value, mask;
    int64_t mult, post;
};

struct cm_run {
    const uint8_t *buf;
    size_t len;
    const struct cm_item *items;
    unsigned n;
    unsigned tries;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
};

/* One number word after a keyword: *w at the word; advances past it. */
static int cm_number(const char **w, int64_t *out)
{
    const char *p = *w;
    while (*p == ' ')
        p++;
    char *end;
    long long v = strtoll(p, &end, 10);
    if (end == p || (*end && *end != ' ') || v < -65535 || v > 65535)
        return -1;
    *out = v;
    *w = end;
    return 0;
}

static int cm_word_is(const char *p, size_t n, const char *kw)
{
    return strlen(kw) == n && memcmp(p, kw, n) == 0;
}

/* An unsigned number word (0x.. hex, 0.. octal, decimal). */
static int cm_unumber(const char **w, uint64_t *out)
{
    const char *p = *w;
    while (*p == ' ')
        p++;
    if (*p == '-' || *p == '+')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(p, &end, 0);
    if (end == p || (*end && *end != ' ') || errno)
        return -1;
    *out = v;
    *w = end;
    return 0;
}

/* The next word into buf (at most cap - 1 bytes); its length, 0 at the end. */
static size_t cm_next_word(const char **w, char *buf, size_t cap)
{
    const char *p = *w;
    while (*p == ' ')
        p++;
    size_t n = 0;
    while (p[n] && p[n] != ' ')
        n++;
    if (n >= cap)
        return 0;
    memcpy(buf, p, n);
    buf[n] = '\0';
    *w = p + n;
    return n;
}

/* byte_test / byte_jump: the positional part after the keyword. */
static int cm_parse_byte(const char **p, struct cm_item *it, int test)
{
    int64_t n;
    if (cm_number(p, &n) || n < 1 || n > 10)
        return -1;
    it->nbytes = (unsigned)n;
    if (test) {
        char op[4];
        size_t k = cm_next_word(p, op, sizeof(op));
        if (!k || (strcmp(op, "<") && strcmp(op, ">") && strcmp(op, "=") && strcmp(op, "<=") &&
                   strcmp(op, ">=") && strcmp(op, "&") && strcmp(op, "^")))
            return -1;
        memcpy(it->op, op, k + 1);
        if (cm_unumber(p, &it->value))
            return -1;
    }
    return cm_number(p, &it->offset);
}

/* Parse a modifier string into it; 0 or -1 (bad word). */
static int cm_parse_mods(const uint8_t *m, size_t mn, struct cm_item *it)
{
    char tmp[256];
    if (mn >= sizeof(tmp) || memchr(m, '\0', mn))
        return -1;
    memcpy(tmp, m, mn);
    tmp[mn] = '\0';
    const char *p = tmp;
    for (;;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *w = p;
        while (*p && *p != ' ')
            p++;
        size_t n = (size_t)(p - w);
        int rc = 0;
        if (cm_word_is(w, n, "nocase"))
            it->flags |= CM_NOCASE;
        else if (cm_word_is(w, n, "not"))
            it->flags |= CM_NOT;
        else if (cm_word_is(w, n, "endswith"))
            it->flags |= CM_ENDSWITH;
        else if (cm_word_is(w, n, "relative"))
            it->flags |= CM_RELATIVE;
        else if (cm_word_is(w, n, "byte_test") || cm_word_is(w, n, "byte_jump")) {
            int test = w[5] == 't';
            if (it->flags & (CM_BYTE_TEST | CM_BYTE_JUMP))
                return -1;
            it->flags |= test ? CM_BYTE_TEST : CM_BYTE_JUMP;
            it->mult = 1;
            rc = cm_parse_byte(&p, it, test);
        } else if (cm_word_is(w, n, "little"))
            it->flags |= CM_LITTLE;
        else if (cm_word_is(w, n, "big"))
            it->flags &= ~CM_LITTLE;
        else if (cm_word_is(w, n, "string"))
            it->flags |= CM_STRING;
        else if (cm_word_is(w, n, "hex") || cm_word_is(w, n, "dec") || cm_word_is(w, n, "oct"))
            it->base = w[0] == 'h' ? 16 : w[0] == 'd' ? 10 : 8;
        else if (cm_word_is(w, n, "align"))
            it->flags |= CM_ALIGN;
        else if (cm_word_is(w, n, "from_beginning"))
            it->flags |= CM_FROM_BEGIN;
        else if (cm_word_is(w, n, "from_end"))
            it->flags |= CM_FROM_END;
        else if (cm_word_is(w, n, "multiplier")) {
            rc = cm_number(&p, &it->mult);
            rc |= it->mult < 1;
        } else if (cm_word_is(w, n, "post_offset"))
            rc = cm_number(&p, &it->post);
        else if (cm_word_is(w, n, "bitmask"))
            rc = cm_unumber(&p, &it->mask) || it->mask == 0;
        else if (n >= 4 && memcmp(w, "pcre", 4) == 0 && (n == 4 || w[4] == ':')) {
            it->flags |= CM_PCRE;
            for (size_t k = 5; k < n; k++) {
                uint32_t o = w[k] == 'i'   ? PCRE2_CASELESS
                             : w[k] == 's' ? PCRE2_DOTALL
                             : w[k] == 'm' ? PCRE2_MULTILINE
                             : w[k] == 'x' ? PCRE2_EXTENDED
                                           : 0;
                if (!o)
                    return -1;
                it->re_opts |= o;
            }
        } else if (cm_word_is(w, n, "startswith")) {
            it->flags |= CM_OFFSET | CM_DEPTH;
            it->offset = 0;
            it->depth = (int64_t)it->plen;
        } else if (cm_word_is(w, n, "offset")) {
            it->flags |= CM_OFFSET;
            rc = cm_number(&p, &it->offset);
        } else if (cm_word_is(w, n, "depth")) {
            it->flags |= CM_DEPTH;
            rc = cm_number(&p, &it->depth);
        } else if (cm_word_is(w, n, "distance")) {
            it->flags |= CM_DISTANCE;
            rc = cm_number(&p, &it->distance);
        } else if (cm_word_is(w, n, "within")) {
            it->flags |= CM_WITHIN;
            rc = cm_number(&p, &it->within);
        } else if (cm_word_is(w, n, "isdataat")) {
            it->flags |= CM_ISDATAAT;
            rc = cm_number(&p, &it->at);
        } else
            return -1;
        if (rc)
            return -1;
    }
    unsigned abs_ = it->flags & (CM_OFFSET | CM_DEPTH), rel = it->flags & (CM_DISTANCE | CM_WITHIN);
    if (it->flags & (CM_BYTE_TEST | CM_BYTE_JUMP)) {
        unsigned other = CM_NOCASE | CM_ENDSWITH | CM_ISDATAAT | CM_PCRE | CM_OFFSET | CM_DEPTH |
                         CM_DISTANCE | CM_WITHIN;
        if (it->plen != 0 || (it->flags & other))
            return -1;
        if (!(it->flags & CM_STRING) && (it->base || it->nbytes > 8))
            return -1;
        if ((it->flags & CM_STRING) && !it->base)
            it->base = 10;
        if ((it->flags & CM_BYTE_TEST) && (it->flags & (CM_ALIGN | CM_FROM_BEGIN | CM_FROM_END)))
            return -1;
        if ((it->flags & CM_BYTE_JUMP) && (it->flags & CM_NOT))
            return -1;
        return 0;
    }
    if (it->flags & (CM_LITTLE | CM_STRING | CM_ALIGN | CM_FROM_BEGIN | CM_FROM_END) || it->base ||
        it->mask || it->post)
        return -1;
    if (abs_ && rel)
        return -1;
    if ((it->flags & CM_ISDATAAT) ? it->plen != 0 || abs_ || rel || it->at < 0 : it->plen == 0)
        return -1;
    if ((it->flags & CM_PCRE) &&
        (abs_ || rel || (it->flags & (CM_ISDATAAT | CM_NOCASE | CM_ENDSWITH))))
        return -1;
    if ((it->flags & CM_RELATIVE) && !(it->flags & (CM_ISDATAAT | CM_PCRE)))
        return -1;
    if (it->offset < 0 || it->depth < 0 || it->within < 0)
        return -1;
    return 0;
}

static int cm_eq(const uint8_t *a, const uint8_t *b, size_t n, int nocase)
{
    if (!nocase)
        return memcmp(a, b, n) == 0;
    for (size_t i = 0; i < n; i++)
        if (spu_lc(a[i]) != spu_lc(b[i]))
            return 0;
    return 1;
}

/* Window [*lo, *hi) of item `it` after a previous match ending at prev;
 * 0 when the window is empty. */
static int cm_window(const struct cm_run *r, const struct cm_item *it, int64_t prev, int64_t *lo,
                     int64_t *hi)
{
    int64_t l = 0, h = (int64_t)r->len;
    if (it->flags & (CM_DISTANCE | CM_WITHIN)) {
        int64_t dist = (it->flags & CM_DISTANCE) ? it->distance : 0;
        l = prev + dist < 0 ? 0 : prev + dist;
        if ((it->flags & CM_WITHIN) && prev + dist + it->within < h)
            h = prev + dist + it->within;
    } else {
        if (it->flags & CM_OFFSET)
            l = it->offset;
        if ((it->flags & CM_DEPTH) && l + it->depth < h)
            h = l + it->depth;
    }
    *lo = l;
    *hi = h;
    return h - l >= (int64_t)it->plen;
}

/* The number of a byte_test/byte_jump at pos: 1 with *v, or 0 (out of
 * the buffer, or not a number) */
static int cm_read_number(const struct cm_run *r, const struct cm_item *it, int64_t pos,
                          uint64_t *v)
{
    if (pos < 0 || pos + (int64_t)it->nbytes > (int64_t)r->len)
        return 0;
    const uint8_t *b = r->buf + pos;
    uint64_t x = 0;
    if (it->flags & CM_STRING) {
        char tmp[16];
        memcpy(tmp, b, it->nbytes);
        tmp[it->nbytes] = '\0';
        if (memchr(tmp, '\0', it->nbytes) || tmp[0] == '-' || tmp[0] == '+')
            return 0;
        char *end;
        errno = 0;
        x = strtoull(tmp, &end, (int)it->base);
        if (end == tmp || errno)
            return 0;
    } else {
        for (unsigned k = 0; k < it->nbytes; k++) {
            unsigned idx = (it->flags & CM_LITTLE) ? it->nbytes - 1 - k : k;
            x = (x << 8) | b[idx];
        }
    }
    if (it->mask) {
        x &= it->mask;
        for (uint64_t m = it->mask; !(m & 1); m >>= 1)
            x >>= 1;
    }
    *v = x;
    return 1;
}

static int cm_chain(struct cm_run *r, unsigned i, int64_t prev)
{
    if (i == r->n)
        return 1;
    if (++r->tries > CM_RECURSION_LIMIT)
        return 0;
    const struct cm_item *it = &r->items[i];
    int neg = (it->flags & CM_NOT) != 0;
    if (it->flags & CM_ISDATAAT) {
        /* Suricata: absolute, a byte at N; relative, N more bytes after
         * the previous match (prev + N <= len) */
        int has =
            (it->flags & CM_RELATIVE) ? prev + it->at <= (int64_t)r->len : it->at < (int64_t)r->len;
        return has != neg ? cm_chain(r, i + 1, prev) : 0;
    }
    if (it->flags & (CM_BYTE_TEST | CM_BYTE_JUMP)) {
        int64_t pos = ((it->flags & CM_RELATIVE) ? prev : 0) + it->offset;
        uint64_t v;
        if (!cm_read_number(r, it, pos, &v))
            return 0;
        if (it->flags & CM_BYTE_TEST) {
            const char *op = it->op;
            int ok = op[0] == '<'   ? (op[1] ? v <= it->value : v < it->value)
                     : op[0] == '>' ? (op[1] ? v >= it->value : v > it->value)
                     : op[0] == '=' ? v == it->value
                     : op[0] == '&' ? (v & it->value) != 0
                                    : (v ^ it->value) != 0;
            return ok != neg ? cm_chain(r, i + 1, prev) : 0;
        }
        if (v > (uint64_t)INT32_MAX || it->mult > INT32_MAX / (int64_t)(v ? v : 1))
            return 0;
        int64_t base = (it->flags & CM_FROM_BEGIN) ? 0
                       : (it->flags & CM_FROM_END) ? (int64_t)r->len
                                                   : pos + (int64_t)it->nbytes;
        int64_t to = base + (int64_t)v * it->mult;
        if (it->flags & CM_ALIGN)
            to = (to + 3) & ~(int64_t)3;
        to += it->post;
        if (to < 0 || to > (int64_t)r->len)
            return 0;
        return cm_chain(r, i + 1, to);
    }
    if (it->flags & CM_PCRE) {
        /* the subject starts at the previous end when relative */
        int64_t base = (it->flags & CM_RELATIVE) ? prev : 0;
        if (base > (int64_t)r->len)
            return neg ? cm_chain(r, i + 1, prev) : 0;
        const uint8_t *subj = r->buf + base;
        size_t sn = r->len - (size_t)base;
        for (size_t from = 0; from <= sn;) {
            int m = pcre2_match(it->re, subj, sn, from, 0, r->md, r->mctx);
            if (m < 0)
                break;
            if (neg)
                return 0;
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
            size_t s0 = ov[0], e0 = ov[1];
            if (cm_chain(r, i + 1, base + (int64_t)e0))
                return 1;
            if (r->tries > CM_RECURSION_LIMIT)
                return 0;
            from = s0 + 1; /* Suricata retries one byte after the match's start */
        }
        return neg ? cm_chain(r, i + 1, prev) : 0;
    }
    int64_t lo, hi;
    int nocase = (it->flags & CM_NOCASE) != 0;
    int64_t pl = (int64_t)it->plen;
    if (!cm_window(r, it, prev, &lo, &hi))
        return neg ? cm_chain(r, i + 1, prev) : 0;
    if (it->flags & CM_ENDSWITH) {
        int64_t p = (int64_t)r->len - pl;
        int found = p >= lo && p + pl <= hi && cm_eq(r->buf + p, it->pat, it->plen, nocase);
        if (neg)
            return found ? 0 : cm_chain(r, i + 1, prev);
        return found ? cm_chain(r, i + 1, p + pl) : 0;
    }
    for (int64_t p = lo; p + pl <= hi; p++) {
        if (!cm_eq(r->buf + p, it->pat, it->plen, nocase))
            continue;
        if (neg)
            return 0;
        if (cm_chain(r, i + 1, p + pl))
            return 1;
        if (r->tries > CM_RECURSION_LIMIT)
            return 0;
    }
    return neg ? cm_chain(r, i + 1, prev) : 0;
}

int spu_bi_content_match(struct spu_call *c, const struct spu_value *args, unsigned argc,
                         struct spu_value *ret)
{
    int rc = spu_arg_count(c, argc, 1);
    if (rc)
        return rc;
    if ((argc - 1) % 2 != 0)
        return spu_arg_fault(c, "content_match: a pattern without its modifier string");
    if ((argc - 1) / 2 > CM_MAX_ITEMS)
        return spu_arg_fault(c, "content_match: more than 16 items");
    struct cm_item items[CM_MAX_ITEMS];
    unsigned n = 0;
    for (unsigned a = 1; a < argc; a += 2, n++) {
        struct cm_item *it = &items[n];
        memset(it, 0, sizeof(*it));
        const uint8_t *m = NULL;
        size_t mn = 0;
        if (spu_arg_str(c, &args[a], &it->pat, &it->plen) != 1 ||
            spu_arg_str(c, &args[a + 1], &m, &mn) != 1)
            return spu_arg_fault(c, "content_match: patterns and modifiers are strings");
        if (cm_parse_mods(m, mn, it))
            return spu_arg_fault(c, "content_match: bad modifier string");
    }
    const uint8_t *buf = NULL;
    size_t len = 0;
    rc = spu_arg_str(c, &args[0], &buf, &len);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        *ret = spu_v_bool(false);
        return SPU_OK;
    }
    struct cm_run r = {.buf = buf, .len = len, .items = items, .n = n};
    rc = SPU_OK;
    bool any_re = false;
    for (unsigned i = 0; i < n && rc == SPU_OK; i++) {
        if (!(items[i].flags & CM_PCRE))
            continue;
        any_re = true;
        int ecode;
        PCRE2_SIZE eoff;
        items[i].re =
            pcre2_compile(items[i].pat, items[i].plen, items[i].re_opts, &ecode, &eoff, NULL);
        if (!items[i].re)
            rc = spu_arg_fault(c, "content_match: bad regex");
    }
    if (rc == SPU_OK && any_re) {
        r.md = pcre2_match_data_create(1, NULL);
        r.mctx = pcre2_match_context_create(NULL);
        if (!r.md || !r.mctx)
            rc = spu_arg_nomem(c);
        else
            pcre2_set_match_limit(r.mctx, CM_MATCH_LIMIT);
    }
    if (rc == SPU_OK)
        *ret = spu_v_bool(cm_chain(&r, 0, 0) == 1);
    for (unsigned i = 0; i < n; i++)
        pcre2_code_free(items[i].re);
    pcre2_match_data_free(r.md);
    pcre2_match_context_free(r.mctx);
    return rc;
}

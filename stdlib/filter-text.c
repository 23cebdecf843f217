/* filter-text.c - streaming text decoders: url_decode, base64, qp,
 * dot_unstuff (filters.def). Each keeps a few bytes of state between
 * chunks, so any split of the input gives the same output; output leaves
 * in pieces of at most 4 KiB. The url_decode, base64_decode and qp_decode
 * built-ins run these same decoders over a whole string. */
#include "stdlib-int.h"

#include <string.h>

/* ---- url_decode: %XX (either case) -> byte; invalid or truncated escapes
 * stay as written; '+' stays '+' unless `plus` (the built-in's option) ---- */

struct flt_url {
    uint8_t pend; /* 0: none, 1: "%", 2: "%" hi */
    uint8_t hi;
    uint8_t plus;
};

static int url_init(void *st)
{
    memset(st, 0, sizeof(struct flt_url));
    return SPU_OK;
}

static void url_step(struct flt_url *s, const uint8_t *in, size_t n, struct spu_ob *o)
{
    size_t i = 0;
    while (i < n && !o->err) {
        uint8_t ch = in[i];
        if (s->pend == 0) {
            if (ch == '%') {
                s->pend = 1;
                i++;
            } else if (s->plus && ch == '+') {
                spu_ob_put(o, ' ');
                i++;
            } else {
                size_t j = i;
                while (j < n && in[j] != '%' && !(s->plus && in[j] == '+'))
                    j++;
                spu_ob_write(o, in + i, j - i);
                i = j;
            }
        } else if (s->pend == 1) {
            if (spu_hexval(ch) >= 0) {
                s->hi = ch;
                s->pend = 2;
                i++;
            } else {
                spu_ob_put(o, '%'); /* and look at ch again */
                s->pend = 0;
            }
        } else {
            s->pend = 0;
            if (spu_hexval(ch) >= 0) {
                spu_ob_put(o, (uint8_t)(spu_hexval(s->hi) * 16 + spu_hexval(ch)));
                i++;
            } else {
                spu_ob_put(o, '%');
                spu_ob_put(o, s->hi);
            }
        }
    }
}

static int url_update(void *st, const uint8_t *in, size_t n, spu_filter_out out, void *ctx)
{
    struct spu_ob o;
    spu_ob_init(&o, out, ctx);
    url_step(st, in, n, &o);
    return spu_ob_flush(&o);
}

static int url_finish(void *st, spu_filter_out out, void *ctx)
{
    struct flt_url *s = st;
    struct spu_ob o;
    spu_ob_init(&o, out, ctx);
    if (s->pend >= 1)
        spu_ob_put(&o, '%');
    if (s->pend == 2)
        spu_ob_put(&o, s->hi);
    s->pend = 0;
    return spu_ob_flush(&o);
}

static void nothing_to_free(void *st)
{
    (void)st;
}

const struct spu_filter_ops spu_flt_url_decode_ops = {
    "url_decode", sizeof(struct flt_url), url_init, url_update, url_finish, nothing_to_free,
};

int spu_pct_decode(struct spu_sb *b, const uint8_t *p, size_t n, int plus)
{
    struct flt_url s = {.plus = (uint8_t)(plus != 0)};
    return spu_filter_run(&spu_flt_url_decode_ops, &s, p, n, b);
}

/* ---- base64 (RFC 2045): characters outside the alphabet (line breaks,
 * spaces, junk) are skipped; the first '=' ends the data (the partial
 * quantum before it is decoded); a partial quantum at the end is decoded
 * as far as it goes (one lone character gives nothing) ---- */

struct flt_b64 {
    uint32_t acc;
    uint8_t nchar;
    uint8_t done;
};

static int b64_init(void *st)
{
    memset(st, 0, sizeof(struct flt_b64));
    return SPU_OK;
}

/* Each byte's value in the alphabet: 0-63, B64_SKIP (not in it) or B64_PAD
 * ('='). Both have bit 6 set, so four values or-ed tell a whole quantum. */
enum { B64_SKIP = 64, B64_PAD = 65 };
static const uint8_t b64_tab[256] = {
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 62, 64, 64, 64, 63,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 64, 64, 64, 65, 64, 64,
    64,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 64, 64, 64, 64, 64,
    64, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
};

/* The fast path's tables: a character's value already shifted to its
 * place in a quantum of four (b64_q[k]: the k-th character), B64_BAD for a
 * byte outside the alphabet or '=', so that one test tells a whole quantum
 * and or-ing four entries gives its 24 bits. Derived from b64_tab at
 * compile time. */
#define B64_BAD 0x80000000u
#define B64_Q(ch, sh) (b64_val(ch) < 0 ? B64_BAD : (uint32_t)b64_val(ch) << (sh))
#define b64_val(ch) ((ch) >= 'A' && (ch) <= 'Z'   ? (ch) - 'A'        \
                     : (ch) >= 'a' && (ch) <= 'z' ? (ch) - 'a' + 26   \
                     : (ch) >= '0' && (ch) <= '9' ? (ch) - '0' + 52   \
                     : (ch) == '+'                ? 62                \
                     : (ch) == '/'                ? 63                \
                                                  : -1)
#define B64_Q4(ch, sh) B64_Q(ch, sh), B64_Q(ch + 1, sh), B64_Q(ch + 2, sh), B64_Q(ch + 3, sh)
#define B64_Q16(ch, sh) B64_Q4(ch, sh), B64_Q4(ch + 4, sh), B64_Q4(ch + 8, sh), B64_Q4(ch + 12, sh)
#define B64_Q64(ch, sh) B64_Q16(ch, sh), B64_Q16(ch + 16, sh), B64_Q16(ch + 32, sh), \
                        B64_Q16(ch + 48, sh)
#define B64_QTAB(sh) {B64_Q64(0, sh), B64_Q64(64, sh), B64_Q64(128, sh), B64_Q64(192, sh)}
static const uint32_t b64_q[4][256] = {B64_QTAB(18), B64_QTAB(12), B64_QTAB(6), B64_QTAB(0)};

/* With SSSE3 (x86-64, checked at run time), sixteen characters at a time
 * in vector registers: each byte's high nibble picks the offset that turns
 * it into its value, and the two nibbles together tell whether it is in
 * the alphabet ('/' shares its high nibble with '+' and is told apart by
 * a compare). b64_lo[l] holds a bit for each class of high nibble in
 * which l is not in the alphabet, b64_hi[h] the bit of h's class
 * (0x01: none valid; 0x02: 2, "+/"; 0x04: 3, digits; 0x08: 4 and 6,
 * l 1-F; 0x10: 5 and 7, l 0-A). */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define B64_SSSE3 1
#include <tmmintrin.h>

__attribute__((target("ssse3"))) static size_t b64_blocks(const uint8_t *r, size_t nr,
                                                          uint8_t *w, size_t room)
{
    const __m128i lo_tab = _mm_setr_epi8(0x0B, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03,
                                         0x03, 0x07, 0x15, 0x17, 0x17, 0x17, 0x15);
    const __m128i hi_tab = _mm_setr_epi8(0x01, 0x01, 0x02, 0x04, 0x08, 0x10, 0x08, 0x10, 0x01,
                                         0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01);
    /* offsets by high nibble; index 1 is '/' (its nibble 2 less one) */
    const __m128i roll_tab = _mm_setr_epi8(0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0,
                                           0, 0);
    /* each 32-bit lane's 24 bits, most significant byte first, packed */
    const __m128i pack = _mm_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
    const __m128i nib = _mm_set1_epi8(0x0f), slash = _mm_set1_epi8('/'),
                  zero = _mm_setzero_si128();
    size_t done = 0;
    while (nr - done >= 16 && room >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(r + done));
        __m128i hi = _mm_and_si128(_mm_srli_epi32(x, 4), nib), lo = _mm_and_si128(x, nib);
        __m128i bad = _mm_and_si128(_mm_shuffle_epi8(lo_tab, lo), _mm_shuffle_epi8(hi_tab, hi));
        if (_mm_movemask_epi8(_mm_cmpeq_epi8(bad, zero)) != 0xffff)
            break;
        __m128i roll = _mm_shuffle_epi8(roll_tab, _mm_add_epi8(hi, _mm_cmpeq_epi8(x, slash)));
        __m128i v = _mm_add_epi8(x, roll);
        /* a<<6|b in 16-bit lanes, then (a<<6|b)<<12 | (c<<6|d) in 32-bit ones */
        v = _mm_maddubs_epi16(v, _mm_set1_epi32(0x01400140));
        v = _mm_madd_epi16(v, _mm_set1_epi32(0x00011000));
        _mm_storeu_si128((__m128i *)(void *)w, _mm_shuffle_epi8(v, pack));
        w += 12;
        room -= 12;
        done += 16;
    }
    return done;
}
#endif

/* Whole quanta of four alphabet characters from in[*at], none pending,
 * written three bytes each into o's buffer (flushed as it fills) until
 * fewer than four characters are left or a quantum holds a byte outside
 * the alphabet or '='. Locals keep the loop free of stores through o. */
static void b64_quanta(const uint8_t *in, size_t n, size_t *at, struct spu_ob *o)
{
    size_t i = *at;
#ifdef B64_SSSE3
    int simd = __builtin_cpu_supports("ssse3");
#endif
    for (;;) {
#ifdef B64_SSSE3
        while (simd && n - i >= 16 && o->err == SPU_OK) {
            if (sizeof(o->b) - o->n < 16) {
                spu_ob_flush(o);
                continue;
            }
            size_t k = b64_blocks(in + i, n - i, o->b + o->n, sizeof(o->b) - o->n);
            i += k;
            o->n += k / 4 * 3;
            if (n - i >= 16 && sizeof(o->b) - o->n >= 16)
                break; /* a block with a byte outside the alphabet */
        }
#endif
        while (n - i >= 4 && o->err == SPU_OK) {
            size_t q = (n - i) / 4, room = (sizeof(o->b) - o->n) / 3;
            if (room == 0) {
                spu_ob_flush(o);
                continue;
            }
            if (q > room)
                q = room;
            const uint8_t *r = in + i, *e = r + 4 * q;
            uint8_t *w = o->b + o->n;
            for (; r < e; r += 4, w += 3) {
                uint32_t v = b64_q[0][r[0]] | b64_q[1][r[1]] | b64_q[2][r[2]] | b64_q[3][r[3]];
                if (v & B64_BAD)
                    break;
                w[0] = (uint8_t)(v >> 16);
                w[1] = (uint8_t)(v >> 8);
                w[2] = (uint8_t)v;
            }
            o->n = (size_t)(w - o->b);
            i = (size_t)(r - in);
            if (r < e)
                break;
        }
        /* a line break between quanta is skipped (as the caller would)
         * and the next line decoded here too */
        if (o->err != SPU_OK || n - i < 6)
            break;
        if (in[i] == '\n')
            i++;
        else if (in[i] == '\r' && in[i + 1] == '\n')
            i += 2;
        else
            break;
    }
    *at = i;
}

/* Emit the bytes of a partial quantum of 2 or 3 characters. */
static void b64_tail(struct flt_b64 *s, struct spu_ob *o)
{
    if (s->nchar == 2) {
        spu_ob_put(o, (uint8_t)(s->acc >> 4));
    } else if (s->nchar == 3) {
        spu_ob_put(o, (uint8_t)(s->acc >> 10));
        spu_ob_put(o, (uint8_t)(s->acc >> 2));
    }
    s->nchar = 0;
    s->acc = 0;
}

static int b64_update(void *st, const uint8_t *in, size_t n, spu_filter_out out, void *ctx)
{
    struct flt_b64 *s = st;
    struct spu_ob o;
    spu_ob_init(&o, out, ctx);
    size_t i = 0;
    while (i < n && !s->done && !o.err) {
        /* the common case: whole quanta of four alphabet characters, none
         * pending, decoded four characters at a time */
        if (s->nchar == 0)
            b64_quanta(in, n, &i, &o);
        if (i == n || o.err)
            break;
        /* one character: a line break or other byte outside the alphabet
         * (skipped), '=' (the end), or one of a quantum cut by them */
        uint32_t v = b64_tab[in[i++]];
        if (v == B64_PAD) {
            b64_tail(s, &o);
            s->done = 1;
        } else if (v != B64_SKIP) {
            s->acc = (s->acc << 6) | v;
            if (++s->nchar == 4) {
                spu_ob_put(&o, (uint8_t)(s->acc >> 16));
                spu_ob_put(&o, (uint8_t)(s->acc >> 8));
                spu_ob_put(&o, (uint8_t)s->acc);
                s->nchar = 0;
                s->acc = 0;
            }
        }
    }
    return spu_ob_flush(&o);
}

static int b64_finish(void *st, spu_filter_out out, void *ctx)
{
    struct flt_b64 *s = st;
    struct spu_ob o;
    spu_ob_init(&o, out, ctx);
    b64_tail(s, &o);
    return spu_ob_flush(&o);
}

const struct spu_filter_ops spu_flt_base64_ops = {
    "base64", sizeof(struct flt_b64), b64_init, b64_update, b64_finish, nothing_to_free,
};

int spu_b64_decode(struct spu_sb *b, const uint8_t *p, size_t n)
{
    struct flt_b64 s = {0};
    return spu_filter_run(&spu_flt_base64_ops, &s, p, n, b);
}

/* ---- quoted-printable (RFC 2045), lenient: "=XX" (either case) is a byte;
 * "=" followed by up to QP_MAX_WS spaces/tabs and a line break (CRLF or
 * LF) is a soft line break and disappears; "=" at the very end (optionally
 * followed by whitespace) is a soft break too; any other "=" and what
 * follows it stay as written. Other bytes, trailing whitespace included,
 * pass unchanged. ---- */

#define QP_MAX_WS 32
enum { QP_TEXT, QP_EQ, QP_HEX, QP_WS, QP_CR };

struct flt_qp {
    uint8_t state;
    uint8_t n;                   /* pending bytes, starting with '=' */
    uint8_t pend[QP_MAX_WS + 3];
};

static int qp_init(void *st)
{
    memset(st, 0, sizeof(struct flt_qp));
    return SPU_OK;
}

/* Give up on the pending escape: write it as it came. */
static void qp_literal(struct flt_qp *s, struct spu_ob *o)
{
    spu_ob_write(o, s->pend, s->n);
    s->n = 0;
    s->state = QP_TEXT;
}

static void qp_soft_break(struct flt_qp *s)
{
    s->n = 0;
    s->state = QP_TEXT;
}

static int qp_update(void *st, const uint8_t *in, size_t n, spu_filter_out out, void *ctx)
{
    struct flt_qp *s = st;
    struct spu_ob o;
    spu_ob_init(&o, out, ctx);
    size_t i = 0;
    while (i < n && !o.err) {
        uint8_t ch = in[i];
        switch (s->state) {
        case QP_TEXT: {
            if (ch == '=') {
                s->pend[0] = '=';
                s->n = 1;
                s->state = QP_EQ;
                i++;
                break;
            }
            const uint8_t *eq = memchr(in + i, '=', n - i);
            size_t j = eq ? (size_t)(eq - in) : n;
            spu_ob_write(&o, in + i, j - i);
            i = j;
            break;
        }
        case QP_EQ:
            if (spu_hexval(ch) >= 0) {
                s->pend[s->n++] = ch;
                s->state = QP_HEX;
                i++;
            } else if (ch == ' ' || ch == '\t') {
                s->pend[s->n++] = ch;
                s->state = QP_WS;
                i++;
            } else if (ch == '\r') {
                s->pend[s->n++] = ch;
                s->state = QP_CR;
                i++;
            } else if (ch == '\n') {
                qp_soft_break(s);
                i++;
            } else {
                qp_literal(s, &o);
            }
            break;
        case QP_HEX:
            if (spu_hexval(ch) >= 0) {
                spu_ob_put(&o, (uint8_t)(spu_hexval(s->pend[1]) * 16 + spu_hexval(ch)));
                s->n = 0;
                s->state = QP_TEXT;
                i++;
            } else {
                qp_literal(s, &o);
            }
            break;
        case QP_WS:
            if ((ch == ' ' || ch == '\t') && s->n < 1 + QP_MAX_WS) {
                s->pend[s->n++] = ch;
                i++;
            } else if (ch == '\r') {
                s->pend[s->n++] = ch;
                s->state = QP_CR;
                i++;
            } else if (ch == '\n') {
                qp_soft_break(s);
                i++;
            } else {
                qp_literal(s, &o);
            }
            break;
        default: /* QP_CR */
            if (ch == '\n') {
                qp_soft_break(s);
                i++;
            } else {
                qp_literal(s, &o);
            }
            break;
        }
    }
    return spu_ob_flush(&o);
}

static int qp_finish(void *st, spu_filter_out out, void *ctx)
{
    struct flt_qp *s = st;
    struct spu_ob o;
    spu_ob_init(&o, out, ctx);
    if (s->state == QP_HEX)
        qp_literal(s, &o);
    else
        qp_soft_break(s);
    return spu_ob_flush(&o);
}

const struct spu_filter_ops spu_flt_qp_ops = {
    "qp", sizeof(struct flt_qp), qp_init, qp_update, qp_finish, nothing_to_free,
};

/* ---- SMTP dot-unstuffing (RFC 5321 4.5.2): when a line begins with a
 * period followed by other characters, that first period is deleted, so
 * "..x" becomes ".x" (and a non-conforming ".x" becomes "x", as receiving
 * servers do). A line that is only "." keeps it. Lines end at LF. ---- */

enum { DOT_BOL, DOT_DOT, DOT_MID };

struct flt_dot {
    uint8_t state;
};

static int dot_init(void *st)
{
    ((struct flt_dot *)st)->state = DOT_BOL;
    return SPU_OK;
}

/* Hand p[0..n) on as it is, in pieces of at most 4 KiB (as spu_ob's). */
static int dot_pass(const uint8_t *p, size_t n, spu_filter_out out, void *ctx)
{
    while (n) {
        size_t k = n < 4096 ? n : 4096;
        int rc = out(ctx, p, k);
        if (rc != SPU_OK)
            return rc;
        p += k;
        n -= k;
    }
    return SPU_OK;
}

/* The input goes on uncopied: only a line's leading period is left out of
 * the spans handed on (and given back when the line ends right after it). */
static int dot_update(void *st, const uint8_t *in, size_t n, spu_filter_out out, void *ctx)
{
    struct flt_dot *s = st;
    size_t i = 0, from = 0; /* in[from..i): decided, not yet handed on */
    int rc = SPU_OK;
    while (i < n && rc == SPU_OK) {
        if (s->state == DOT_MID) {
            const uint8_t *lf = memchr(in + i, '\n', n - i);
            if (!lf)
                break;
            i = (size_t)(lf - in) + 1;
            s->state = DOT_BOL;
        } else if (s->state == DOT_BOL) {
            if (in[i] == '.') {
                rc = dot_pass(in + from, i - from, out, ctx);
                from = ++i;
                s->state = DOT_DOT;
            } else {
                s->state = DOT_MID;
            }
        } else {
            /* the held period stays only when the line ends right here */
            if (in[i] == '\r' || in[i] == '\n')
                rc = out(ctx, (const uint8_t *)".", 1);
            s->state = DOT_MID;
        }
    }
    if (rc == SPU_OK)
        rc = dot_pass(in + from, n - from, out, ctx);
    return rc;
}

static int dot_finish(void *st, spu_filter_out out, void *ctx)
{
    struct flt_dot *s = st;
    struct spu_ob o;
    spu_ob_init(&o, out, ctx);
    if (s->state == DOT_DOT)
        spu_ob_put(&o, '.');
    s->state = DOT_BOL;
    return spu_ob_flush(&o);
}

const struct spu_filter_ops spu_flt_dot_unstuff_ops = {
    "dot_unstuff", sizeof(struct flt_dot), dot_init, dot_update, dot_finish, nothing_to_free,
};

/* ---- the built-ins over the same decoders ---- */

static int decode_with(struct spu_call *c, const struct spu_value *args, unsigned argc,
                       struct spu_value *ret, const struct spu_filter_ops *ops, void *state)
{
    const uint8_t *s = NULL;
    size_t n = 0;
    int ss = spu_arg_subject(c, args, argc, &s, &n, ret);
    if (ss <= 0)
        return ss;
    struct spu_sb b;
    spu_sb_init(&b, c->scratch, n);
    int rc = spu_filter_run(ops, state, s, n, &b);
    if (rc == SPU_ELIMIT)
        return spu_arg_nomem(c);
    *ret = spu_sb_value(&b);
    return SPU_OK;
}

int spu_bi_url_decode(struct spu_call *c, const struct spu_value *args, unsigned argc,
                      struct spu_value *ret)
{
    struct flt_url s = {0};
    int plus = 0;
    int rc = argc > 1 ? spu_arg_bool(c, &args[1], &plus) : SPU_OK;
    if (rc)
        return rc;
    s.plus = (uint8_t)plus;
    return decode_with(c, args, argc, ret, &spu_flt_url_decode_ops, &s);
}

int spu_bi_base64_decode(struct spu_call *c, const struct spu_value *args, unsigned argc,
                         struct spu_value *ret)
{
    struct flt_b64 s = {0};
    return decode_with(c, args, argc, ret, &spu_flt_base64_ops, &s);
}

int spu_bi_qp_decode(struct spu_call *c, const struct spu_value *args, unsigned argc,
                     struct spu_value *ret)
{
    struct flt_qp s = {0};
    return decode_with(c, args, argc, ret, &spu_flt_qp_ops, &s);
}

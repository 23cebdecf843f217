/*
 * stdlib-int.h - helpers shared by the stdlib's built-in and filter files
 * (argument checks, a growable scratch buffer, record and array
 * constructors, small text helpers, charset conversion). Not a public
 * interface: only the stdlib's own .c files and its unit tests include it.
 *
 * Everything here is reentrant and owns no global mutable state; it is
 * called on whichever thread runs the built-in (a worker, or spuc folding).
 */
#ifndef SPU_STDLIB_INT_H
#define SPU_STDLIB_INT_H

#include "arena.h"
#include "builtin-api.h"
#include "err.h"
#include "value.h"

#include <stddef.h>
#include <stdint.h>

/* Prototypes of every built-in (builtins.def) and filter (filters.def). */
#define BUILTIN(name, sym, rtype, flags, params)                               \
    int sym(struct spu_call *, const struct spu_value *, unsigned, struct spu_value *);
#include "builtins.def"
#undef BUILTIN
#define FILTER(name, prefix, doc) extern const struct spu_filter_ops prefix##_ops;
#include "filters.def"
#undef FILTER

/* Field indexes of the stdlib records, in the order of records.def (the
 * unit tests check these against the field lists). */
enum { SPU_PARAM_NAME, SPU_PARAM_VALUE };
enum {
    SPU_URL_SCHEME,
    SPU_URL_HOST,
    SPU_URL_PORT,
    SPU_URL_PATH,
    SPU_URL_DIRECTORY,
    SPU_URL_FILENAME,
    SPU_URL_EXT,
    SPU_URL_QUERY,
    SPU_URL_PARAMS,
    SPU_URL_FRAGMENT
};
enum { SPU_ADDR_DISPLAY, SPU_ADDR_ADDRESS, SPU_ADDR_USER, SPU_ADDR_DOMAIN, SPU_ADDR_TEXT };
enum {
    SPU_DATE_YEAR,
    SPU_DATE_MONTH,
    SPU_DATE_DAY,
    SPU_DATE_HOUR,
    SPU_DATE_MINUTE,
    SPU_DATE_SECOND,
    SPU_DATE_ZONE,
    SPU_DATE_WEEKDAY,
    SPU_DATE_EPOCH
};

/* ---- faults and arguments ---- */

/* Set c->fault to `why` (a static string) and return SPU_EFAULT. */
int spu_arg_fault(struct spu_call *c, const char *why);
/* Scratch arena full: sets c->fault, returns SPU_ELIMIT. */
int spu_arg_nomem(struct spu_call *c);
/* SPU_OK when at least `need` arguments were passed, else a fault. */
int spu_arg_count(struct spu_call *c, unsigned argc, unsigned need);
/* The first argument of a built-in whose first parameter is the string it
 * works on: 1 with (*p, *n) borrowed from it; 0 when it is null, with *ret
 * set to null (the caller returns SPU_OK, i.e. 0); or a fault. Callers:
 * `if ((ss = spu_arg_subject(...)) <= 0) return ss;` */
int spu_arg_subject(struct spu_call *c, const struct spu_value *args, unsigned argc,
                    const uint8_t **p, size_t *n, struct spu_value *ret);
/* The first two arguments, both strings: 1 with both borrowed, 0 when
 * either is null, or a fault (either is another type). */
int spu_arg_str2(struct spu_call *c, const struct spu_value *args, unsigned argc,
                 const uint8_t **a, size_t *an, const uint8_t **b, size_t *bn);
/* A string argument: 1 with (*p, *n) borrowed from the value, 0 for null,
 * or SPU_EFAULT (c->fault set) for any other type. */
int spu_arg_str(struct spu_call *c, const struct spu_value *v, const uint8_t **p, size_t *n);
/* An int argument (int or bool): *out = its value, or `def` for null;
 * SPU_OK or SPU_EFAULT. */
int spu_arg_int(struct spu_call *c, const struct spu_value *v, int64_t def, int64_t *out);
/* A bool argument (bool or int): *out = 0/1, null is false; SPU_OK or
 * SPU_EFAULT. */
int spu_arg_bool(struct spu_call *c, const struct spu_value *v, int *out);

/* ---- a growable byte buffer in an arena ---- */
struct spu_sb {
    struct spu_arena *a; /* borrowed */
    uint8_t *p;          /* in `a`; NULL until the first byte */
    size_t len;
    size_t cap;
    int err;             /* sticky: SPU_ELIMIT once an allocation failed */
};
/* Start an empty buffer in `a`; `hint` bytes are reserved lazily. */
void spu_sb_init(struct spu_sb *b, struct spu_arena *a, size_t hint);
/* Append; SPU_OK or SPU_ELIMIT (then the buffer stays as it was). */
int spu_sb_put(struct spu_sb *b, const void *p, size_t n);
int spu_sb_putc(struct spu_sb *b, uint8_t ch);
/* Append the UTF-8 encoding of code point `cp` (<= 0x10FFFF). */
int spu_sb_utf8(struct spu_sb *b, uint32_t cp);
/* spu_filter_out adapter: `ctx` is a struct spu_sb. */
int spu_sb_out(void *ctx, const uint8_t *p, size_t n);
/* The buffer as a string value (an empty string if nothing was put). */
struct spu_value spu_sb_value(struct spu_sb *b);

/* ---- values in the scratch arena ---- */

/* An array of n null values (n may be 0); NULL when the arena is full. */
struct spu_array *spu_std_array(struct spu_arena *a, uint32_t n);
/* A record of stdlib record type `rec` (SPU_REC_*), all slots null. */
struct spu_record *spu_std_record(struct spu_arena *a, unsigned rec);
/* A copy of p[0..n) in `a` as a string value; null value when full. */
int spu_std_strdup(struct spu_arena *a, const uint8_t *p, size_t n, struct spu_value *out);

/* ---- text helpers ---- */

/* Value of a hex digit, or -1. */
int spu_hexval(uint8_t ch);
static inline uint8_t spu_lc(uint8_t ch)
{
    return (ch >= 'A' && ch <= 'Z') ? (uint8_t)(ch + 32) : ch;
}
static inline int spu_isspace(uint8_t ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v' || ch == '\f';
}
/* ASCII case-insensitive comparison of two byte ranges of equal length. */
int spu_memcaseeq(const uint8_t *a, const uint8_t *b, size_t n);
/* Trim ASCII whitespace from both ends of (*p, *n). */
void spu_trim(const uint8_t **p, size_t *n);
/* Encode code point `cp` as UTF-8 into out; returns the byte count (1-4).
 * Surrogates and values past 0x10FFFF become U+FFFD. */
size_t spu_utf8_encode(uint32_t cp, uint8_t out[4]);
/* Windows-1252 bytes 0x80..0x9F as Unicode code points (undefined bytes map
 * to themselves, as the WHATWG encoding standard does). */
uint32_t spu_cp1252(uint8_t byte);

/* Percent-decode p[0..n) into b: %XX (either case) becomes the byte, an
 * invalid or truncated escape stays as written; `plus` turns '+' into a
 * space. */
int spu_pct_decode(struct spu_sb *b, const uint8_t *p, size_t n, int plus);

/* Base64-decode p[0..n) into b (the base64 filter's rules). */
int spu_b64_decode(struct spu_sb *b, const uint8_t *p, size_t n);

/* Append `n` bytes in charset `cs` (a MIME charset name, ASCII case-
 * insensitive, an RFC 2231 "*lang" suffix ignored) to b as UTF-8. UTF-8 and
 * US-ASCII pass through unchanged; ISO-8859-1 and Windows-1252 are converted
 * by table (ISO-8859-1 read as its superset Windows-1252, as mail readers and
 * browsers do); any other charset glibc's iconv knows is converted by iconv
 * (an undecodable sequence becomes U+FFFD); an unknown charset's bytes are
 * appended unchanged. cs may be NULL (unknown). */
int spu_charset_to_utf8(struct spu_sb *b, const uint8_t *cs, size_t cslen, const uint8_t *p,
                        size_t n);

/* RFC 2047 encoded words in p[0..n) decoded into b (see decode_words). */
int spu_decode_words(struct spu_sb *b, const uint8_t *p, size_t n);

/* Parse "name=value<sep>name=value..." into an array of param records.
 * Flags: SPU_PARAMS_DECODE percent-decodes names and values with '+' as a
 * space; SPU_PARAMS_TRIM trims ASCII whitespace around names and values.
 * Empty segments are skipped; a segment without '=' has the value "".
 * *out is the array (possibly empty); undecoded parts are views of p. */
enum { SPU_PARAMS_DECODE = 1, SPU_PARAMS_TRIM = 2 };
int spu_std_params(struct spu_call *c, const uint8_t *p, size_t n, uint8_t sep, unsigned flags,
                   struct spu_value *out);

/* ---- filters ---- */

/* Output batching for filters: bytes collect in b[] and go to out() in
 * pieces of at most sizeof(b); the first error out() returns is kept in
 * err and stops further output. Lives on the stack of one update() call. */
struct spu_ob {
    spu_filter_out out;
    void *ctx;
    size_t n;
    int err;
    uint8_t b[4096];
};
static inline void spu_ob_init(struct spu_ob *o, spu_filter_out out, void *ctx)
{
    o->out = out;
    o->ctx = ctx;
    o->n = 0;
    o->err = SPU_OK;
}
/* Hand what is collected to out(); returns o->err. */
int spu_ob_flush(struct spu_ob *o);
static inline void spu_ob_put(struct spu_ob *o, uint8_t ch)
{
    if (o->n == sizeof(o->b))
        spu_ob_flush(o);
    o->b[o->n++] = ch;
}
void spu_ob_write(struct spu_ob *o, const uint8_t *p, size_t n);

/* Run filter `ops` over p[0..n) in one go (update + finish), appending the
 * output to b. `state` holds ops->state_size bytes already set up by
 * ops->init (and is not finalised here). Returns the filter's result
 * (SPU_OK, SPU_EFORMAT) or SPU_ELIMIT when b could not grow. */
int spu_filter_run(const struct spu_filter_ops *ops, void *state, const uint8_t *p, size_t n,
                   struct spu_sb *b);

#endif

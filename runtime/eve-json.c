/* eve-json.c - the compact JSON text of an EVE record (see eve-json.h). */
#include "eve-json.h"

#include "grow.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void put(struct eve_jw *w, const char *s, size_t n)
{
    if (w->len < w->size) {
        size_t k = w->size - w->len < n ? w->size - w->len : n;
        memcpy(w->buf + w->len, s, k);
    }
    w->len += n;
}

static void put_c(struct eve_jw *w, char c)
{
    if (w->len < w->size)
        w->buf[w->len] = c;
    w->len++;
}

/* A scalar formatted by jansson (reals, non-ASCII strings). */
static void put_jansson(struct eve_jw *w, const json_t *v)
{
    char tmp[512];
    size_t n = json_dumpb(v, tmp, sizeof(tmp), JSON_COMPACT | JSON_ENCODE_ANY);
    if (n == 0) {
        w->err = true;
    } else if (n <= sizeof(tmp)) {
        put(w, tmp, n);
    } else {
        char *big = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!big)
            w->err = true;
        else
            put(w, big, strlen(big));
        free(big);
    }
}

/* An ASCII string, quoted: jansson escapes '"', '\\', the C escapes
 * \b \f \n \r \t, and other control characters as \u00XX (upper case). */
static void put_ascii(struct eve_jw *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    put_c(w, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        put(w, s + run, i - run);
        run = i + 1;
        char e[6] = {'\\', 0, '0', '0', 0, 0};
        size_t k = 2;
        switch (ch) {
        case '"':
            e[1] = '"';
            break;
        case '\\':
            e[1] = '\\';
            break;
        case '\b':
            e[1] = 'b';
            break;
        case '\f':
            e[1] = 'f';
            break;
        case '\n':
            e[1] = 'n';
            break;
        case '\r':
            e[1] = 'r';
            break;
        case '\t':
            e[1] = 't';
            break;
        default:
            e[1] = 'u';
            e[4] = hex[ch >> 4];
            e[5] = hex[ch & 15];
            k = 6;
            break;
        }
        put(w, e, k);
    }
    put(w, s + run, n - run);
    put_c(w, '"');
}

/* Strings are scanned eight bytes at a time (most of a record's text is
 * strings, and most strings need no escape): with ONES in every byte,
 * (x - ONES) & ~x & HIGH is nonzero exactly when a byte of x is zero, and
 * (x - c * ONES) & ~x & HIGH when a byte is below c (c <= 0x80). */
#define ONES 0x0101010101010101ull
#define HIGH 0x8080808080808080ull

static bool is_ascii(const char *s, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        if (x & HIGH)
            return false;
    }
    for (; i < n; i++)
        if ((unsigned char)s[i] >= 0x80)
            return false;
    return true;
}

/* A byte a string holds as it is: printable ASCII but '"' and '\\'. */
static inline bool plain(unsigned char ch)
{
    return ch >= 0x20 && ch < 0x80 && ch != '"' && ch != '\\';
}

/* Whether one of the 8 bytes of x is not plain(). */
static inline bool word_has_special(uint64_t x)
{
    uint64_t q = x ^ (ONES * '"'), b = x ^ (ONES * '\\');
    uint64_t hit = x | ((x - ONES * 0x20) & ~x) | ((q - ONES) & ~q) | ((b - ONES) & ~b);
    return (hit & HIGH) != 0;
}

/* The length of the plain() prefix of s. */
static size_t plain_prefix(const char *s, size_t n)
{
    size_t i = 0;
    uint64_t x;
    for (; i + 8 <= n; i += 8) {
        memcpy(&x, s + i, 8);
        if (word_has_special(x))
            break;
    }
    if (i < n && n - i < 8) { /* the tail: the last 8 bytes again, or the bytes padded */
        if (n >= 8) {
            memcpy(&x, s + n - 8, 8);
        } else {
            x = ONES * 'a';
            memcpy(&x, s, n);
        }
        if (!word_has_special(x))
            return n;
    }
    while (i < n && plain((unsigned char)s[i]))
        i++;
    return i;
}

static void put_string(struct eve_jw *w, const char *s, size_t n)
{
    size_t i = plain_prefix(s, n);
    if (i == n) { /* the common case: printable ASCII, copied as it is */
        put_c(w, '"');
        put(w, s, n);
        put_c(w, '"');
        return;
    }
    if (is_ascii(s + i, n - i)) {
        put_ascii(w, s, n);
        return;
    }
    json_t *t = json_stringn_nocheck(s, n);
    if (!t) {
        w->err = true;
        return;
    }
    put_jansson(w, t);
    json_decref(t);
}

static void put_int(struct eve_jw *w, json_int_t v)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324"
                                "25262728293031323334353637383940414243444546474849"
                                "50515253545556575859606162636465666768697071727374"
                                "75767778798081828384858687888990919293949596979899";
    char d[24];
    size_t k = sizeof(d);
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    while (u >= 100) { /* two digits a division */
        unsigned r = (unsigned)(u % 100);
        u /= 100;
        k -= 2;
        memcpy(d + k, pairs + 2 * r, 2);
    }
    if (u >= 10) {
        k -= 2;
        memcpy(d + k, pairs + 2 * u, 2);
    } else {
        d[--k] = (char)('0' + u);
    }
    if (v < 0)
        d[--k] = '-';
    put(w, d + k, sizeof(d) - k);
}

static void put_value(struct eve_jw *w, const json_t *v, unsigned depth)
{
    if (depth > EVE_JSON_MAX_DEPTH) {
        w->err = true;
        return;
    }
    json_t *m = (json_t *)v; /* jansson's iterators take non-const values; nothing changes */
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        put_c(w, '{');
        bool first = true;
        for (void *it = json_object_iter(m); it && !w->err;
             it = json_object_iter_next(m, it)) {
            if (!first)
                put_c(w, ',');
            first = false;
            put_string(w, json_object_iter_key(it), json_object_iter_key_len(it));
            put_c(w, ':');
            put_value(w, json_object_iter_value(it), depth + 1);
        }
        put_c(w, '}');
        break;
    }
    case JSON_ARRAY: {
        put_c(w, '[');
        size_t n = json_array_size(v);
        for (size_t i = 0; i < n && !w->err; i++) {
            if (i)
                put_c(w, ',');
            put_value(w, json_array_get(v, i), depth + 1);
        }
        put_c(w, ']');
        break;
    }
    case JSON_STRING:
        put_string(w, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        put_int(w, json_integer_value(v));
        break;
    case JSON_TRUE:
        put(w, "true", 4);
        break;
    case JSON_FALSE:
        put(w, "false", 5);
        break;
    case JSON_NULL:
        put(w, "null", 4);
        break;
    default: /* JSON_REAL */
        put_jansson(w, v);
        break;
    }
}

size_t eve_json_dumpb(const json_t *v, char *buf, size_t size)
{
    if (!json_is_object(v) && !json_is_array(v))
        return 0;
    struct eve_jw w = {buf, size, 0, false};
    put_value(&w, v, 0);
    return w.err ? 0 : w.len;
}

void eve_jw_raw_tail(struct eve_jw *w, const char *s, size_t n)
{
    put(w, s, n);
}

void eve_jw_string(struct eve_jw *w, const char *s, size_t n)
{
    put_string(w, s, n);
}

void eve_jw_int(struct eve_jw *w, json_int_t v)
{
    put_int(w, v);
}

void eve_jw_value(struct eve_jw *w, const json_t *v)
{
    put_value(w, v, 1);
}

void eve_jw_members(struct eve_jw *w, const json_t *obj, bool comma)
{
    json_t *m = (json_t *)obj; /* as in put_value */
    for (void *it = json_object_iter(m); it && !w->err; it = json_object_iter_next(m, it)) {
        if (comma)
            put_c(w, ',');
        comma = true;
        put_string(w, json_object_iter_key(it), json_object_iter_key_len(it));
        put_c(w, ':');
        put_value(w, json_object_iter_value(it), 1);
    }
}

/* The room a text first gets when empty, and the least a writer is given
 * on its first run (a few envelope members fit). */
#define TEXT_MIN 4096
#define TEXT_ROOM 256

/* t with room for `need` bytes in all; false when memory is out. */
static bool text_reserve(struct eve_text *t, size_t need)
{
    if (need <= t->size)
        return true;
    size_t ns = spu_grow_cap(t->size, need, TEXT_MIN, SIZE_MAX);
    char *nb = t->heap ? realloc(t->buf, ns) : malloc(ns);
    if (!nb)
        return false;
    if (!t->heap && t->len)
        memcpy(nb, t->buf, t->len);
    t->buf = nb;
    t->size = ns;
    t->heap = true;
    return true;
}

bool eve_text_append(struct eve_text *t, eve_jw_fn *fn, const void *arg)
{
    if (t->size - t->len < TEXT_ROOM && !text_reserve(t, t->len + TEXT_ROOM))
        return false;
    struct eve_jw j = {t->buf + t->len, t->size - t->len, 0, false};
    fn(&j, arg);
    if (!j.err && j.len > j.size) {
        if (j.len > SIZE_MAX - t->len || !text_reserve(t, t->len + j.len))
            return false;
        j = (struct eve_jw){t->buf + t->len, t->size - t->len, 0, false};
        fn(&j, arg);
    }
    if (j.err || j.len > j.size)
        return false;
    t->len += j.len;
    return true;
}

void eve_text_free(struct eve_text *t)
{
    if (t->heap)
        free(t->buf);
    *t = (struct eve_text){0};
}

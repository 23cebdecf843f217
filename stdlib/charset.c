/* charset.c - bytes in a MIME charset to UTF-8 (decode_words, RFC 2231
 * parameters). UTF-8/US-ASCII pass through; ISO-8859-1 and Windows-1252 by
 * table; other charsets through glibc's iconv, opened per call (iconv_t is
 * not shared between threads). See spu_charset_to_utf8 in stdlib-int.h. */
#include "stdlib-int.h"

#include <errno.h>
#include <iconv.h>
#include <string.h>

#define CS_MAX 40

static int name_is(const char *name, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(name, *list) == 0)
            return 1;
    return 0;
}

static const char *const passthrough[] = {
    "utf-8", "utf8", "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", NULL,
};

/* WHATWG's labels of windows-1252, which include ISO-8859-1's. */
static const char *const latin[] = {
    "iso-8859-1", "iso8859-1", "iso_8859-1", "iso_8859-1:1987", "iso-ir-100", "latin1",
    "latin-1",    "l1",        "cp819",      "ibm819",          "windows-1252", "cp1252",
    "x-cp1252",   NULL,
};

static int by_iconv(struct spu_sb *b, const char *name, const uint8_t *p, size_t n)
{
    iconv_t cd = iconv_open("UTF-8", name);
    if (cd == (iconv_t)-1)
        return spu_sb_put(b, p, n); /* unknown: the bytes as they are */
    char *in = (char *)(uintptr_t)p;
    size_t left = n;
    char obuf[1024];
    while (left > 0 && !b->err) {
        char *o = obuf;
        size_t oleft = sizeof(obuf);
        size_t r = iconv(cd, &in, &left, &o, &oleft);
        int e = errno;
        spu_sb_put(b, obuf, (size_t)(o - obuf));
        if (r != (size_t)-1 || e == E2BIG)
            continue;
        spu_sb_utf8(b, 0xfffd);
        if (e != EILSEQ)
            break; /* EINVAL: an incomplete sequence at the end */
        in++;
        left--;
        iconv(cd, NULL, NULL, NULL, NULL); /* back to the initial shift state */
    }
    char *o = obuf;
    size_t oleft = sizeof(obuf);
    if (iconv(cd, NULL, NULL, &o, &oleft) != (size_t)-1)
        spu_sb_put(b, obuf, (size_t)(o - obuf));
    iconv_close(cd);
    return b->err;
}

int spu_charset_to_utf8(struct spu_sb *b, const uint8_t *cs, size_t cslen, const uint8_t *p,
                        size_t n)
{
    char name[CS_MAX + 1];
    size_t k = 0;
    int usable = cs != NULL;
    for (size_t i = 0; usable && i < cslen && cs[i] != '*'; i++) {
        uint8_t ch = spu_lc(cs[i]);
        /* names are tokens: letters, digits and - _ . : (never a path or
         * an iconv "//" option) */
        usable = k < CS_MAX && ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                                ch == '-' || ch == '_' || ch == '.' || ch == ':');
        name[k++] = (char)ch;
    }
    name[usable ? k : 0] = '\0';
    if (!usable || k == 0 || name_is(name, passthrough))
        return spu_sb_put(b, p, n);
    if (name_is(name, latin)) {
        for (size_t i = 0; i < n && !b->err; i++)
            spu_sb_utf8(b, spu_cp1252(p[i]));
        return b->err;
    }
    return by_iconv(b, name, p, n);
}

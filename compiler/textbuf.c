/* textbuf.c - see textbuf.h. */
#include "textbuf.h"

#include "grow.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tb_put(struct textbuf *b, const void *s, size_t n)
{
    if (b->bad)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t ncap =
            n < SIZE_MAX - b->len ? spu_grow_cap(b->cap, b->len + n + 1, 64, SIZE_MAX) : 0;
        char *np = ncap ? realloc(b->p, ncap) : NULL;
        if (!np) {
            b->bad = true;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void tb_str(struct textbuf *b, const char *s)
{
    tb_put(b, s, strlen(s));
}

void tb_fmt(struct textbuf *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0)
        tb_put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

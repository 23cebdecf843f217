/* textbuf.h - a growing NUL-terminated text the compiler builds piece by
 * piece (expression keys in cg.c, regex texts in predict.c). A failed
 * allocation sets `bad` and makes every later append a no-op, so callers
 * check once at the end. Start with {0}; free(b.p) when done. */
#ifndef SPU_TEXTBUF_H
#define SPU_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>

struct textbuf {
    char *p; /* NULL until the first append */
    size_t len, cap;
    bool bad;
};

void tb_put(struct textbuf *b, const void *s, size_t n);
void tb_str(struct textbuf *b, const char *s);
/* printf-style; one piece is at most 127 bytes (longer output is cut) */
__attribute__((format(printf, 2, 3))) void tb_fmt(struct textbuf *b, const char *fmt, ...);

#endif

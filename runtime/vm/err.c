/* err.c - error records (see err.h). */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *spu_strerror(int code)
{
    switch (code) {
#define SPU_ERR_CASE(name, val, text)                                          \
    case val:                                                                  \
        return text;
        SPU_ERR_LIST(SPU_ERR_CASE)
#undef SPU_ERR_CASE
    case SPU_NEED_MORE:
        return "need more input";
    case SPU_DONE:
        return "done";
    default:
        return "unknown error";
    }
}

void spu_error_clear(struct spu_error *e)
{
    if (!e)
        return;
    memset(e, 0, sizeof(*e));
    e->offset = UINT64_MAX;
}

static void set_msg(struct spu_error *e, const char *fmt, va_list ap)
{
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

int spu_error_set(struct spu_error *e, int code, const char *fmt, ...)
{
    if (!e)
        return code;
    spu_error_clear(e);
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    set_msg(e, fmt, ap);
    va_end(ap);
    return code;
}

int spu_error_at(struct spu_error *e, int code, const char *where, uint64_t offset,
                 const char *fmt, ...)
{
    if (!e)
        return code;
    spu_error_clear(e);
    e->code = code;
    snprintf(e->where, sizeof(e->where), "%s", where ? where : "");
    e->offset = offset;
    va_list ap;
    va_start(ap, fmt);
    set_msg(e, fmt, ap);
    va_end(ap);
    return code;
}

const char *spu_error_str(const struct spu_error *e, char *buf, size_t len)
{
    if (!e || !buf || len == 0)
        return "";
    const char *m = e->msg[0] ? e->msg : spu_strerror(e->code);
    if (e->where[0] && e->offset != UINT64_MAX)
        snprintf(buf, len, "%s: offset %llu: %s", e->where, (unsigned long long)e->offset, m);
    else if (e->where[0] && e->line > 0)
        snprintf(buf, len, "%s:%d:%d: %s", e->where, e->line, e->col, m);
    else if (e->where[0])
        snprintf(buf, len, "%s: %s", e->where, m);
    else
        snprintf(buf, len, "%s", m);
    return buf;
}

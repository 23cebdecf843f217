/* magic.c - magic(s): the file type of a string's bytes, as the host's
 * file typing (libmagic in spurun) describes it; null without one. */
#include "stdlib-int.h"

#include "host.h"

#include <string.h>

int spu_bi_magic(struct spu_call *c, const struct spu_value *args, unsigned argc,
                 struct spu_value *ret)
{
    const uint8_t *s = NULL;
    size_t n = 0;
    int ss = spu_arg_subject(c, args, argc, &s, &n, ret);
    if (ss <= 0)
        return ss;
    const char *text = c->host && c->host->magic ? c->host->magic(c->host_ctx, s, n) : NULL;
    if (!text) {
        *ret = spu_v_null();
        return SPU_OK;
    }
    size_t len = strlen(text);
    uint8_t *copy = spu_arena_alloc(c->scratch, len ? len : 1);
    if (!copy)
        return spu_arg_nomem(c);
    memcpy(copy, text, len);
    *ret = spu_v_str(copy, (uint32_t)len);
    return SPU_OK;
}

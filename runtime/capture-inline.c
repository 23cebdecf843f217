/*
 * capture-inline.c - `--inline MODE:ARGS` to the backend that implements it.
 */
#include "capture.h"
#include "err.h"

#include <string.h>

struct capture *capture_open_inline(const char *spec, bool fail_open, struct spu_error *err)
{
    if (!strncmp(spec, "nfq:", 4))
        return capture_open_nfq(spec + 4, fail_open, err);
    if (!strncmp(spec, "bridge:", 7))
        return capture_open_bridge(spec + 7, fail_open, err);
    spu_error_set(err, SPU_EINVAL, "--inline %s: expected nfq:N[,M...] or bridge:IF1,IF2", spec);
    return NULL;
}

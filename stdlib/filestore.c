/* filestore.c - filestore(s): hand a file's bytes to the host to keep
 * (spurun --filestore); true when the host stored it, false otherwise. */
#include "stdlib-int.h"

#include "host.h"

int spu_bi_filestore(struct spu_call *c, const struct spu_value *args, unsigned argc,
                     struct spu_value *ret)
{
    const uint8_t *s = NULL;
    size_t n = 0;
    int ss = spu_arg_subject(c, args, argc, &s, &n, ret);
    if (ss <= 0)
        return ss;
    bool stored = c->host && c->host->store && c->host->store(c->host_ctx, s, n);
    *ret = spu_v_bool(stored);
    return SPU_OK;
}

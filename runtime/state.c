/* state.c - the state store (state.h): picks the backend from the URL and
 * forwards requests to its ops table. */
#include "state.h"

#include "err.h"

#include <stdlib.h>
#include <string.h>

struct state_store {
    const struct state_ops *ops;
    void *priv;
};

struct state_store *state_store_new(const struct state_cfg *cfg, struct spu_error *err)
{
    struct state_store *s = calloc(1, sizeof(*s));
    if (!s) {
        spu_error_set(err, SPU_ENOMEM, "state store");
        return NULL;
    }
    const char *url = cfg->url;
    if (!url || strcmp(url, "memory") == 0) {
        s->ops = &state_mem_ops;
        s->priv = state_mem_new(cfg->max_entries);
        if (!s->priv) {
            spu_error_set(err, SPU_ENOMEM, "state store");
            goto fail;
        }
        return s;
    }
    if (strncmp(url, "redis://", 8) == 0) {
        s->ops = &state_redis_ops;
        s->priv = state_redis_new(url, cfg->max_entries, err);
        if (!s->priv)
            goto fail;
        return s;
    }
    spu_error_set(err, SPU_EINVAL, "--state: unknown backend '%s' (memory, redis://HOST:PORT)",
                  url);
fail:
    free(s);
    return NULL;
}

void state_store_free(struct state_store *s)
{
    if (!s)
        return;
    s->ops->free(s->priv);
    free(s);
}

int state_store_op(struct state_store *s, const struct state_req *r, int64_t *v)
{
    *v = 0;
    if (r->kind >= STATE__KINDS)
        return SPU_EINVAL;
    return s->ops->op(s->priv, r, v);
}

void state_store_stats(struct state_store *s, struct state_stats *out)
{
    memset(out, 0, sizeof(*out));
    s->ops->stats(s->priv, out);
}

const char *state_store_backend(const struct state_store *s)
{
    return s->ops->name;
}

/* detect-stores.c - the state stores that bundles' `state` declarations
 * name (docs/spam.md): `state list NAME in BACKEND;` and `state
 * bucket|window|score in BACKEND;` put that table in memory or in a Redis
 * server, whatever spurun --state says. The engine owns one store per
 * distinct backend that is not the --state one (created when a bundle
 * naming it is set up, under pub_mu; kept until the engine is freed, so a
 * reload keeps its state); each bundle maps its declarations to stores
 * (detect_bundle.routes), and the state built-ins pick their store there. */
#include "detect-int.h"

#include "err.h"
#include "spam-stats.h"
#include "state.h"

#include <stdlib.h>
#include <string.h>

struct detect_store {
    char *url;
    struct state_store *st;
};

/* The store for backend url (NUL-terminated): --state's when it is the
 * same, else the engine's own, created on first use. */
static struct state_store *store_for(struct detect_engine *e, const char *url,
                                     struct spu_error *err)
{
    const struct detect_cfg *c = &e->cfg;
    bool mem = strcmp(url, "memory") == 0;
    if (c->state && mem && strcmp(state_store_backend(c->state), "memory") == 0)
        return c->state;
    if (c->state && !mem && c->state_url && strcmp(c->state_url, url) == 0)
        return c->state;
    for (unsigned i = 0; i < e->nstores; i++)
        if (strcmp(e->stores[i].url, url) == 0)
            return e->stores[i].st;
    struct detect_store *ns = realloc(e->stores, (e->nstores + 1) * sizeof(*ns));
    if (!ns) {
        spu_error_set(err, SPU_ENOMEM, "out of memory");
        return NULL;
    }
    e->stores = ns;
    struct state_cfg sc = {mem ? NULL : url, c->state_max};
    struct detect_store *s = &e->stores[e->nstores];
    if (!(s->url = strdup(url))) {
        spu_error_set(err, SPU_ENOMEM, "out of memory");
        return NULL;
    }
    if (!(s->st = state_store_new(&sc, err))) {
        free(s->url);
        return NULL;
    }
    e->nstores++;
    return s->st;
}

int detect_stores_route(struct detect_engine *e, struct detect_bundle *db, struct spu_error *err)
{
    uint32_t n = 0;
    const struct spu_bstate *sts = spu_bundle_states(db->b, &n);
    db->nroutes = 0;
    if (!n)
        return SPU_OK;
    if (!(db->routes = calloc(n, sizeof(*db->routes))))
        return spu_error_set(err, SPU_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        uint32_t bl, nl;
        const char *be = spu_bundle_str(db->b, sts[i].backend, &bl);
        const char *nm = spu_bundle_str(db->b, sts[i].name, &nl);
        char url[256];
        if (bl >= sizeof(url))
            return spu_error_set(err, SPU_EINVAL, "state backend of %u bytes: too long", bl);
        memcpy(url, be, bl);
        url[bl] = 0;
        struct state_store *st = store_for(e, url, err);
        if (!st)
            return err->code ? err->code : SPU_ENOMEM;
        db->routes[db->nroutes++] = (struct detect_route){sts[i].kind, nm, nl, st};
    }
    return SPU_OK;
}

struct state_store *detect_store(const struct detect_worker *w, uint32_t kind, const char *name,
                                 size_t nlen)
{
    const struct detect_bundle *db = w->cur.db;
    for (uint32_t i = 0; db && i < db->nroutes; i++) {
        const struct detect_route *r = &db->routes[i];
        if (r->kind == kind && (kind != SPU_ST_LIST || (r->nlen == nlen &&
                                                        memcmp(r->name, name, nlen) == 0)))
            return r->st;
    }
    return w->eng->cfg.state;
}

json_t *detect_stores_json(struct detect_engine *e)
{
    json_t *a = json_array();
    for (unsigned i = 0; i < e->nstores; i++) {
        json_t *o = spam_stats_state(e->stores[i].st);
        json_object_set_new(o, "url", json_string(e->stores[i].url));
        json_array_append_new(a, o);
    }
    return a;
}

void detect_stores_free(struct detect_engine *e)
{
    for (unsigned i = 0; i < e->nstores; i++) {
        state_store_free(e->stores[i].st);
        free(e->stores[i].url);
    }
    free(e->stores);
    e->stores = NULL;
    e->nstores = 0;
}

/* evelog.c - EVE objects from a bundle's log declarations (see evelog.h). */
#include "evelog.h"

#include "bundle.h"
#include "evelog-int.h"
#include "vm.h"

#include <stdlib.h>
#include <string.h>

struct evelog {
    struct spu_vm *vm;
    struct spu_record *tx; /* the transaction record, reused */
    uint32_t txcap;        /* its slots */
    struct evelog_stats st;
    struct evelog_std_names names;
    char type[256];
};

struct evelog *evelog_new(struct spu_error *err)
{
    struct evelog *el = calloc(1, sizeof(*el));
    if (!el) {
        spu_error_set(err, SPU_ENOMEM, "out of memory for the EVE logger");
        return NULL;
    }
    if (evelog_std_names_init(&el->names) != SPU_OK) {
        spu_error_set(err, SPU_EFORMAT, "stdlib record signatures are malformed");
        free(el);
        return NULL;
    }
    el->vm = spu_vm_new(NULL, err);
    if (!el->vm) {
        free(el);
        return NULL;
    }
    return el;
}

void evelog_free(struct evelog *el)
{
    if (!el)
        return;
    spu_vm_free(el->vm);
    free(el->tx);
    free(el);
}

void evelog_get_stats(const struct evelog *el, struct evelog_stats *st)
{
    *st = el->st;
}

static bool has(const struct spu_bundle *b, uint32_t kind, uint32_t trigger)
{
    uint32_t n;
    const struct spu_blog *l = spu_bundle_logs(b, &n);
    for (uint32_t i = 0; i < n; i++)
        if (l[i].kind == kind && l[i].trigger == trigger)
            return true;
    return false;
}

bool evelog_has_event(const struct spu_bundle *b, uint32_t event)
{
    return has(b, SPU_LOG_EVENT, event);
}

bool evelog_has_alert(const struct spu_bundle *b, uint32_t event)
{
    return has(b, SPU_LOG_EVENT, event) || has(b, SPU_LOG_ALERT, event);
}

bool evelog_has_tx(const struct spu_bundle *b, uint32_t proto)
{
    return has(b, SPU_LOG_TX, proto);
}

/* Set obj[path] = x (path dot-separated, verified non-empty names),
 * creating the objects on the way; takes x. A name already holding a
 * non-object drops x (the compiler refuses such paths). SPU_OK or
 * SPU_ENOMEM. */
static int set_path(json_t *obj, const char *path, uint32_t len, json_t *x)
{
    uint32_t i = 0;
    for (;;) {
        uint32_t j = i;
        while (j < len && path[j] != '.')
            j++;
        if (j - i >= 256) {
            json_decref(x);
            return SPU_OK;
        }
        if (j == len)
            return evelog_set(obj, path + i, j - i, x) == 0 ? SPU_OK : SPU_ENOMEM;
        json_t *sub = json_object_getn(obj, path + i, strnlen(path + i, j - i));
        if (!sub) {
            sub = json_object();
            if (!sub || evelog_set(obj, path + i, j - i, sub) != 0) {
                json_decref(x);
                return SPU_ENOMEM;
            }
        } else if (!json_is_object(sub)) {
            json_decref(x);
            return SPU_OK;
        }
        obj = sub;
        i = j + 1;
    }
}

static int entries(struct evelog *el, const struct spu_bundle *b, uint32_t first, uint32_t n,
                   const struct spu_record *rec, json_t *obj, json_t *root, unsigned depth);

/* The object of one element record under a { } block; NULL when out of
 * memory, json_null() when the element is not a record. */
static json_t *element(struct evelog *el, const struct spu_bundle *b, const struct spu_blogent *e,
                       const struct spu_value *v, unsigned depth)
{
    if (v->type != SPU_T_REC || !v->u.rec)
        return json_null();
    json_t *o = json_object();
    if (o && entries(el, b, e->first_sub, e->nsubs, v->u.rec, o, NULL, depth + 1) != SPU_OK) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *entry_json(struct evelog *el, const struct spu_bundle *b,
                          const struct spu_blogent *e, const struct spu_value *v, unsigned depth)
{
    if (!e->nsubs)
        return evelog_json_value(b, &el->names, v, EVELOG_MAX_DEPTH);
    if (v->type != SPU_T_ARR)
        return element(el, b, e, v, depth);
    json_t *a = json_array();
    for (uint32_t i = 0; a && i < v->u.arr->n; i++) {
        json_t *x = element(el, b, e, &v->u.arr->v[i], depth);
        if (!x || json_array_append_new(a, x) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* Run entries [first, first + n) on rec into obj; paths "/a.b" (top
 * entries only, verified) go into root. The verifier bounds the nesting
 * (SPU_LOG_MAX_DEPTH), so the recursion is bounded. */
static int entries(struct evelog *el, const struct spu_bundle *b, uint32_t first, uint32_t n,
                   const struct spu_record *rec, json_t *obj, json_t *root, unsigned depth)
{
    uint32_t ne;
    const struct spu_blogent *ents = spu_bundle_logents(b, &ne);
    for (uint32_t i = first; i < first + n; i++) {
        const struct spu_blogent *e = &ents[i];
        struct spu_value v;
        struct spu_vm_result res;
        if (spu_vm_run_key(el->vm, b, e->prog, rec, NULL, NULL, &v, &res) != SPU_OK) {
            el->st.faults++;
            continue;
        }
        if (v.type == SPU_T_NULL)
            continue;
        json_t *x = entry_json(el, b, e, &v, depth);
        if (!x)
            return SPU_ENOMEM;
        uint32_t plen = 0;
        const char *path = spu_bundle_str(b, e->path, &plen);
        json_t *into = obj;
        if (plen && path[0] == '/' && root) {
            into = root;
            path++;
            plen--;
        }
        if (set_path(into, path, plen, x) != SPU_OK)
            return SPU_ENOMEM;
    }
    return SPU_OK;
}

/* Build and emit the object of log l on rec. */
static int fire(struct evelog *el, const struct spu_bundle *b, const struct spu_blog *l,
                const struct spu_record *rec, evelog_emit_fn emit, void *ctx, struct spu_error *err)
{
    uint32_t tlen = 0;
    const char *type = spu_bundle_str(b, l->type, &tlen);
    if (tlen >= sizeof(el->type))
        tlen = sizeof(el->type) - 1;
    memcpy(el->type, type, tlen);
    el->type[tlen] = 0;
    json_t *obj = json_object(), *inner = json_object();
    int rc = SPU_OK;
    if (!obj || !inner || json_object_set_new(obj, el->type, inner) != 0) {
        if (!obj)
            json_decref(inner);
        rc = SPU_ENOMEM;
    }
    if (rc == SPU_OK) /* inner is borrowed from obj from here */
        rc = entries(el, b, l->first_entry, l->nentries, rec, inner, obj, 1);
    if (rc != SPU_OK) {
        json_decref(obj);
        return spu_error_set(err, rc, "out of memory building an EVE %s record", el->type);
    }
    el->st.records++;
    emit(ctx, el->type, obj);
    return SPU_OK;
}

/* The objects of the `log ... on EVENT` declarations (with `alerts`, the
 * alert-only ones too). */
static int event_logs(struct evelog *el, const struct spu_bundle *b, uint32_t event,
                      const struct spu_record *rec, int alerts, evelog_emit_fn emit, void *ctx,
                      struct spu_error *err)
{
    const struct spu_bview *v = spu_bundle_view(b);
    if (event >= v->nevents)
        return spu_error_set(err, SPU_EINVAL, "event %u out of range", event);
    if (rec && (!rec->layout || rec->layout->id != v->events[event].layout))
        return spu_error_set(err, SPU_EINVAL, "record of another layout than event %u's", event);
    int rc = SPU_OK;
    for (uint32_t i = 0; i < v->nlogs && rc == SPU_OK; i++)
        if ((v->logs[i].kind == SPU_LOG_EVENT || (alerts && v->logs[i].kind == SPU_LOG_ALERT)) &&
            v->logs[i].trigger == event)
            rc = fire(el, b, &v->logs[i], rec, emit, ctx, err);
    spu_vm_reset(el->vm);
    return rc;
}

int evelog_event(struct evelog *el, const struct spu_bundle *b, uint32_t event,
                 const struct spu_record *rec, evelog_emit_fn emit, void *ctx,
                 struct spu_error *err)
{
    return event_logs(el, b, event, rec, 0, emit, ctx, err);
}

int evelog_alert_event(struct evelog *el, const struct spu_bundle *b, uint32_t event,
                       const struct spu_record *rec, evelog_emit_fn emit, void *ctx,
                       struct spu_error *err)
{
    return event_logs(el, b, event, rec, 1, emit, ctx, err);
}

/* The transaction record of layout `lid`: each REC field gets the client
 * or server record whose layout it names. */
static const struct spu_record *tx_record(struct evelog *el, const struct spu_bundle *b,
                                          uint32_t lid, const struct spu_record *client,
                                          const struct spu_record *server)
{
    const struct spu_bview *v = spu_bundle_view(b);
    const struct spu_blayout *bl = &v->layouts[lid];
    if (bl->nfields > el->txcap || !el->tx) {
        uint32_t cap = bl->nfields > 4 ? bl->nfields : 4;
        struct spu_record *r = realloc(el->tx, sizeof(*r) + cap * sizeof(struct spu_value));
        if (!r)
            return NULL;
        el->tx = r;
        el->txcap = cap;
    }
    struct spu_record *r = el->tx;
    r->layout = spu_bundle_layout(b, lid);
    r->parent = r->pair = NULL;
    r->nslots = bl->nfields;
    r->flags = 0;
    for (uint32_t k = 0; k < bl->nfields; k++) {
        uint32_t sub = v->fields[bl->first_field + k].sub;
        const struct spu_record *m = NULL;
        if (client && client->layout && client->layout->id == sub)
            m = client;
        else if (server && server->layout && server->layout->id == sub)
            m = server;
        r->slot[k] = spu_v_rec(m);
    }
    return r;
}

int evelog_tx(struct evelog *el, const struct spu_bundle *b, uint32_t proto,
              const struct spu_record *client, const struct spu_record *server, evelog_emit_fn emit,
              void *ctx, struct spu_error *err)
{
    const struct spu_bview *v = spu_bundle_view(b);
    if (proto >= v->nprotos)
        return spu_error_set(err, SPU_EINVAL, "protocol %u out of range", proto);
    int rc = SPU_OK;
    for (uint32_t i = 0; i < v->nlogs && rc == SPU_OK; i++) {
        const struct spu_blog *l = &v->logs[i];
        if (l->kind != SPU_LOG_TX || l->trigger != proto)
            continue;
        const struct spu_record *r = tx_record(el, b, l->layout, client, server);
        rc = r ? fire(el, b, l, r, emit, ctx, err)
               : spu_error_set(err, SPU_ENOMEM, "out of memory for a transaction record");
    }
    spu_vm_reset(el->vm);
    return rc;
}

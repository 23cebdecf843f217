/* detect-txlog.c - the protocol objects of an alert's transaction.
 *
 * Suricata's alert records carry the app-layer objects of the transaction
 * that raised them ("http", "smtp", "email", ...). spu builds them the way
 * the EVE logs of the app layer are built: from the grammar's `log`
 * declarations (evelog.h), run on the records around the event. For the
 * event's record and each record enclosing it (rec->parent), nearest
 * first: the `log ... on EVENT` declarations (and the `log ... on EVENT
 * alert` ones, made for alerts only) of the events raised with a record of
 * that layout, and the `log ... on transaction` declarations of
 * the event's protocol with the record and its pair (client and server are
 * told apart by layout). The first object of each type wins; the `spu`
 * extras of the logs are left out (the alert has its own). A log's
 * "/tx_id" (the protocol's own transaction number, e.g. Suricata's SMTP
 * tx_id) is not the alert's envelope tx_id: the alert's spu object gets
 * it as `spu.tx`.
 */
#include "detect-int.h"

#include "evelog.h"

#include <stdio.h>
#include <string.h>

#define TXLOG_MAX_DEPTH 8u /* enclosing records looked at */

struct txlog_ctx {
    json_t *rec;
    json_t *spu; /* the alert's spu object */
};

static void merge(void *ctx, const char *type, json_t *obj)
{
    struct txlog_ctx *t = ctx;
    json_t *tx = json_object_get(obj, "tx_id");
    if (json_is_integer(tx) && !json_object_get(t->spu, "tx"))
        json_object_set(t->spu, "tx", tx);
    json_object_del(obj, "tx_id");
    json_object_del(obj, "spu");
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        if (!json_object_get(t->rec, k))
            json_object_set(t->rec, k, v);
    }
    (void)type;
    json_decref(obj);
}

int detect_alert_tx(struct detect_worker *w, json_t *rec, json_t *spu, struct spu_error *err)
{
    const struct detect_event *c = &w->cur;
    if (!w->el || !c->rec || c->tx_id < 0)
        return SPU_OK;
    const struct spu_bundle *b = c->db->b;
    const struct spu_bview *v = spu_bundle_view(b);
    if (c->ev >= v->nevents || v->events[c->ev].proto == SPU_NONE)
        return SPU_OK;
    uint32_t proto = v->events[c->ev].proto;
    struct txlog_ctx t = {rec, spu};
    const struct spu_record *r = c->rec;
    for (unsigned depth = 0; r && depth < TXLOG_MAX_DEPTH; depth++, r = r->parent) {
        if (!r->layout)
            continue;
        for (uint32_t e = 0; e < v->nevents; e++) {
            if (v->events[e].layout != r->layout->id || !evelog_has_alert(b, e))
                continue;
            int rc = evelog_alert_event(w->el, b, e, r, merge, &t, err);
            if (rc != SPU_OK)
                return rc;
        }
        if (evelog_has_tx(b, proto)) {
            int rc = evelog_tx(w->el, b, proto, r, r->pair, merge, &t, err);
            if (rc != SPU_OK)
                return rc;
        }
    }
    return SPU_OK;
}

/* The protocol of the events raised with records of layout `lid` that
 * runs on a connection (not over a sub-stream), or SPU_NONE. */
static uint32_t conn_proto_of_layout(const struct spu_bview *v, uint32_t lid)
{
    for (uint32_t e = 0; e < v->nevents; e++) {
        uint32_t p = v->events[e].proto;
        if (v->events[e].layout == lid && p < v->nprotos &&
            v->protos[p].transport != SPU_TRANSPORT_STREAM)
            return p;
    }
    return SPU_NONE;
}

bool detect_app_proto(const struct detect_worker *w, char *buf, size_t n)
{
    const struct detect_event *c = &w->cur;
    if (!c->db || !c->rec)
        return false;
    const struct spu_bview *v = spu_bundle_view(c->db->b);
    if (c->ev >= v->nevents || v->events[c->ev].proto >= v->nprotos)
        return false;
    uint32_t p = v->events[c->ev].proto;
    if (v->protos[p].transport == SPU_TRANSPORT_STREAM) {
        const struct spu_record *r = c->rec->parent;
        for (unsigned depth = 0; r && depth < TXLOG_MAX_DEPTH; depth++, r = r->parent) {
            uint32_t q = r->layout ? conn_proto_of_layout(v, r->layout->id) : SPU_NONE;
            if (q != SPU_NONE) {
                p = q;
                break;
            }
        }
    }
    uint32_t len;
    const char *s = spu_bundle_str(c->db->b, v->protos[p].name, &len);
    if (!s || !len)
        return false;
    snprintf(buf, n, "%.*s", (int)len, s);
    return true;
}

/* detect-txlog.c - the protocol objects of an alert's transaction.
 *
 * Suricata's alert records carry the app-layer objects of the transaction
 * that raised them ("http", "smtp", "email", ...). spu builds them the way
 * the EVE logs of the app layer are built: from the grammar's `log`
 * declarations (evelog.h), run on the records around the event. For the
 * event's record and each record enclosing it (rec->parent), nearest
 * first: the `log ... on EVENT` declarations of the events raised with a
 * record of that layout, and the `log ... on transaction` declarations of
 * the event's protocol with the record and its pair (client and server are
 * told apart by layout). The first object of each type wins; the `spu`
 * extras of the logs are left out (the alert has its own), except `spu.tx`
 * (the protocol's own transaction number, e.g. Suricata's SMTP tx_id),
 * which the alert's spu object gets, as the protocol's records have it.
 */
#include "detect-int.h"

#include "evelog.h"

#include <string.h>

#define TXLOG_MAX_DEPTH 8u /* enclosing records looked at */

struct txlog_ctx {
    json_t *rec;
    json_t *spu; /* the alert's spu object */
};

static void merge(void *ctx, const char *type, json_t *obj)
{
    struct txlog_ctx *t = ctx;
    json_t *tx = json_object_get(json_object_get(obj, "spu"), "tx");
    if (tx && !json_object_get(t->spu, "tx"))
        json_object_set(t->spu, "tx", tx);
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
            if (v->events[e].layout != r->layout->id || !evelog_has_event(b, e))
                continue;
            int rc = evelog_event(w->el, b, e, r, merge, &t, err);
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

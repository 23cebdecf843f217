/* detect-spam.c - a message's spam score (docs/spam.md, issue 7).
 *
 * A rule with `score N` that alerts on a grammar event adds N to the
 * message under way on the event's flow (once per rule and message); a
 * message ends at an event its bundle names in `message ends on` (for
 * SMTP: smtp.mail, smtp.envelope). Then the total is the rules' scores
 * plus the client's score in the state store (what the monitor's ScoreAdd
 * gave the source), and a total above --spam-threshold raises spam.message
 * (detect.c). The message lives in the flow's slot of the application
 * (struct detect_flow), counted in the flow memory. Worker thread only. */
#include "detect-int.h"

#include "arena.h"
#include "flow.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

void detect_msg_add(struct detect_worker *w, const struct spu_brule *r)
{
    struct detect_flow *df = detect_flow_get(w, w->cur.f);
    if (!df || !w->g)
        return;
    unsigned bi = (unsigned)(w->cur.db - w->g->bundles);
    struct detect_msg *m = df->fv[bi].msg;
    if (!m) {
        if (!(m = calloc(1, sizeof(*m)))) {
            dc_inc(w, DC_FLOW_STATE_REFUSED);
            return;
        }
        df->fv[bi].msg = m;
        df->bytes += sizeof(*m);
        atomic_fetch_add_explicit(&w->eng->flow_memuse, (int64_t)sizeof(*m),
                                  memory_order_relaxed);
    }
    for (uint32_t i = 0; i < m->n; i++)
        if (m->r[i].gid == r->gid && m->r[i].sid == r->sid)
            return;
    if (m->n < DETECT_MSG_RULES) {
        m->r[m->n].gid = r->gid;
        m->r[m->n].sid = r->sid;
        m->r[m->n].score = r->score;
        m->n++;
    } else {
        /* not listed, so a second alert of such a rule adds again */
        m->more++;
    }
    m->score += r->score;
}

bool detect_msg_close(struct detect_worker *w, unsigned slot, struct detect_spam *sp)
{
    const struct flow *f = w->cur.f;
    const struct detect_flow *df = f ? f->detect : NULL;
    *sp = (struct detect_spam){.threshold = w->eng->cfg.spam_threshold};
    sp->msg = df ? df->fv[slot].msg : NULL;
    if (f) {
        uint8_t ip[16];
        detect_ip16(f->key.ipver, f->key.addr[f->client], ip);
        sp->source_score = detect_state_score(w, ip, f->key.ipver == 6 ? 6 : 4);
    }
    sp->total = (sp->msg ? sp->msg->score : 0) + sp->source_score;
    dc_inc(w, DC_MESSAGES_SCORED);
    if (sp->total <= sp->threshold)
        return false;
    dc_inc(w, DC_SPAM_MESSAGES);
    return true;
}

void detect_msg_release(struct detect_worker *w, struct flow *f, unsigned slot)
{
    struct detect_flow *df = f ? f->detect : NULL;
    if (!df || !df->fv[slot].msg)
        return;
    free(df->fv[slot].msg);
    df->fv[slot].msg = NULL;
    df->bytes -= sizeof(struct detect_msg);
    atomic_fetch_sub_explicit(&w->eng->flow_memuse, (int64_t)sizeof(struct detect_msg),
                              memory_order_relaxed);
}

json_t *detect_spam_json(const struct detect_spam *sp)
{
    json_t *o = json_object();
    json_object_set_new(o, "total", json_integer(sp->total));
    json_object_set_new(o, "threshold", json_integer(sp->threshold));
    json_object_set_new(o, "source_score", json_integer(sp->source_score));
    json_t *a = json_array();
    for (uint32_t i = 0; sp->msg && i < sp->msg->n; i++) {
        json_t *r = json_object();
        json_object_set_new(r, "gid", json_integer(sp->msg->r[i].gid));
        json_object_set_new(r, "sid", json_integer(sp->msg->r[i].sid));
        json_object_set_new(r, "score", json_integer(sp->msg->r[i].score));
        json_array_append_new(a, r);
    }
    json_object_set_new(o, "rules", a);
    if (sp->msg && sp->msg->more)
        json_object_set_new(o, "rules_not_listed", json_integer(sp->msg->more));
    return o;
}

struct spu_value detect_spam_rules_value(struct detect_worker *w, const struct detect_spam *sp)
{
    /* "4294967295:4294967295:-2147483648," at most 34 bytes a rule */
    size_t cap = 1 + (sp->msg ? sp->msg->n : 0) * 36u;
    char *b = spu_arena_alloc(spu_vm_scratch(w->vm), cap);
    if (!b)
        return spu_v_null();
    size_t n = 0;
    for (uint32_t i = 0; sp->msg && i < sp->msg->n; i++)
        n += (size_t)snprintf(b + n, cap - n, "%s%" PRIu32 ":%" PRIu32 ":%" PRId32, i ? "," : "",
                              sp->msg->r[i].gid, sp->msg->r[i].sid, sp->msg->r[i].score);
    return spu_v_str(b, (uint32_t)n);
}

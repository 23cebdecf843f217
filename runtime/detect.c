/* detect.c - the rule engine: engine set-up, worker contexts, and the path
 * of one event through index, prefilter, VM and actions (see detect.h). */
#include "detect-int.h"

#include "evelog.h"

#include "arena.h"
#include "decode.h"
#include "err.h"
#include "flow.h"
#include "pkt.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- engine ---- */

static void output_free(struct detect_output *o)
{
    if (!o)
        return;
    if (o->fd >= 0)
        close(o->fd);
    pthread_mutex_destroy(&o->mu);
    free(o->name);
    free(o->path);
    free(o);
}

/* The output named like bundle output `bo`, opened once for all bundles. */
static struct detect_output *output_get(struct detect_engine *e, const struct spu_bundle *b,
                                        const struct spu_boutput *bo, struct spu_error *err)
{
    uint32_t nl, pl;
    const char *name = spu_bundle_str(b, bo->name, &nl);
    const char *path = spu_bundle_str(b, bo->path, &pl);
    for (unsigned i = 0; i < e->noutputs; i++) {
        struct detect_output *o = e->outputs[i];
        if (strlen(o->name) == nl && memcmp(o->name, name, nl) == 0) {
            if (o->kind != bo->kind || strlen(o->path) != pl || memcmp(o->path, path, pl)) {
                spu_error_set(err, SPU_EEXIST, "output '%.*s' declared twice, differently", (int)nl,
                              name);
                return NULL;
            }
            return o;
        }
    }
    struct detect_output **no = realloc(e->outputs, (e->noutputs + 1) * sizeof(*no));
    struct detect_output *o = calloc(1, sizeof(*o));
    if (no)
        e->outputs = no;
    if (!no || !o || !(o->name = strndup(name, nl)) || !(o->path = strndup(path, pl))) {
        if (o) {
            free(o->name);
            free(o);
        }
        spu_error_set(err, SPU_ENOMEM, "out of memory");
        return NULL;
    }
    o->kind = bo->kind;
    o->fd = -1;
    pthread_mutex_init(&o->mu, NULL);
    e->outputs[e->noutputs++] = o;
    if (o->kind == SPU_OUT_UNIX) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (pl >= sizeof(sa.sun_path)) {
            spu_error_set(err, SPU_EINVAL, "output '%s': socket path too long", o->name);
            return NULL;
        }
        memcpy(sa.sun_path, o->path, pl);
        o->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        /* a listener that is not there yet is not an error: messages to it
         * fail and are counted */
        if (o->fd >= 0 && connect(o->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
            close(o->fd);
            o->fd = -1;
        }
    } else {
        o->fd = open(o->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (o->fd < 0) {
            spu_error_at(err, SPU_EIO, o->path, 0, "output '%s': cannot open the file", o->name);
            return NULL;
        }
    }
    return o;
}

/* The space of bundle session `bs`: the engine's space of the same name
 * and declaration (its state carries over), or a new one. */
static struct session_space *space_get(struct detect_engine *e, const struct spu_bundle *b,
                                       const struct spu_bsession *bs, json_t *notes)
{
    uint32_t nl;
    const char *name = spu_bundle_str(b, bs->name, &nl);
    const struct spu_layout *l = spu_bundle_layout(b, bs->layout);
    uint32_t nslots = l ? l->nfields : 0;
    uint64_t decl = detect_decl(b, bs->layout);
    bool renamed = false;
    for (unsigned i = 0; i < e->nspaces; i++) {
        size_t len;
        const char *n = session_space_name(e->spaces[i], &len);
        if (len != nl || memcmp(n, name, nl) != 0)
            continue;
        /* the same declaration (name and variables) shares its state */
        if (session_space_nslots(e->spaces[i]) == nslots && e->space_decl[i] == decl) {
            if (notes)
                json_array_append_new(
                    notes, json_sprintf("session %.*s: unchanged, its state carries over", (int)nl,
                                        name));
            return e->spaces[i];
        }
        renamed = true;
    }
    struct session_space **ns = realloc(e->spaces, (e->nspaces + 1) * sizeof(*ns));
    if (!ns)
        return NULL;
    e->spaces = ns;
    uint64_t *nd = realloc(e->space_decl, (e->nspaces + 1) * sizeof(*nd));
    if (!nd)
        return NULL;
    e->space_decl = nd;
    struct session_space *s =
        session_space_new(name, nl, nslots, bs->ttl_ms, bs->max, e->cfg.session_entry_cap);
    if (s) {
        session_space_set_memcap(s, &e->session_resv, e->cfg.session_memcap);
        e->space_decl[e->nspaces] = decl;
        e->spaces[e->nspaces++] = s;
        if (notes && renamed)
            json_array_append_new(
                notes, json_sprintf("session %.*s: declaration changed, its state starts fresh",
                                    (int)nl, name));
    }
    return s;
}

static int bundle_setup(struct detect_engine *e, struct detect_bundle *db, struct spu_bundle *b,
                        const char *name, json_t *notes, struct spu_error *err)
{
    db->b = spu_bundle_ref(b);
    db->name = name;
    const uint8_t *ck = spu_bundle_checksum(b);
    for (unsigned j = 0; j < 32; j++)
        snprintf(db->sha256 + 2 * j, 3, "%02x", ck[j]);
    const struct spu_bview *v = spu_bundle_view(b);
    db->nrules = v->nrules;
    detect_rt_map(e, db);
    uint32_t fl = v->globals->flow_layout;
    const struct spu_layout *l = fl == SPU_NONE ? NULL : spu_bundle_layout(b, fl);
    db->flow_nslots = l ? l->nfields : 0;
    db->flow_decl = fl == SPU_NONE ? 0 : detect_decl(b, fl);
    db->rc = calloc((size_t)e->nworkers * v->nrules + 1, sizeof(*db->rc));
    db->sess = calloc(v->nsessions + 1, sizeof(*db->sess));
    uint32_t no = 0;
    const struct spu_boutput *outs = spu_bundle_outputs(b, &no);
    db->out = calloc(no + 1, sizeof(*db->out));
    db->cls = calloc(v->nrules + 1, sizeof(*db->cls));
    db->msg_end = calloc(v->nevents + 1, 1);
    if (!db->sess || !db->out || !db->cls || !db->rc || !db->msg_end)
        return spu_error_set(err, SPU_ENOMEM, "out of memory");
    if (detect_stores_route(e, db, err) != SPU_OK)
        return err->code;
    const uint32_t *me = v->globals->nmsg_ends ? spu_bundle_u32(b, v->globals->msg_ends) : NULL;
    for (uint32_t k = 0; me && k < v->globals->nmsg_ends; k++)
        db->msg_end[me[k]] = 1; /* verified: grammar events */
    for (uint32_t i = 0; i < v->nsessions; i++)
        if (!(db->sess[i] = space_get(e, b, &v->sessions[i], notes)))
            return spu_error_set(err, SPU_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < no; i++)
        if (!(db->out[i] = output_get(e, b, &outs[i], err)))
            return err->code;
    for (uint32_t r = 0; r < v->nrules; r++) {
        uint32_t cl;
        const char *cn = spu_bundle_str(b, v->rules[r].classtype, &cl);
        db->cls[r] = cl ? classification_find(e->cls, cn, cl) : NULL;
    }
    return SPU_OK;
}

void detect_gen_free(struct detect_engine *e, struct detect_gen *g)
{
    if (!g)
        return;
    for (unsigned i = 0; g->bundles && i < g->nslots; i++) {
        struct detect_bundle *db = &g->bundles[i];
        free(db->sess);
        free(db->out);
        free(db->cls);
        free(db->msg_end);
        free(db->routes);
        free(db->rc);
        spu_bundle_unref(db->b);
    }
    for (unsigned i = 0; g->names && i < g->nslots; i++)
        free(g->names[i]);
    free(g->names);
    free(g->bundles);
    free(g);
}

struct detect_gen *detect_gen_build(struct detect_engine *e, const struct detect_app *apps,
                                    unsigned n, uint64_t seq, json_t *notes,
                                    struct spu_error *err)
{
    if (n > e->nslots) {
        spu_error_set(err, SPU_EINVAL, "at most %u applications", e->nslots);
        return NULL;
    }
    struct detect_gen *g = calloc(1, sizeof(*g));
    if (!g || !(g->bundles = calloc(e->nslots + 1, sizeof(*g->bundles))) ||
        !(g->names = calloc(e->nslots + 1, sizeof(*g->names)))) {
        spu_error_set(err, SPU_ENOMEM, "out of memory");
        detect_gen_free(e, g);
        return NULL;
    }
    g->seq = seq;
    g->nslots = e->nslots;
    for (unsigned i = 0; i < n; i++) {
        if (!apps[i].b)
            continue;
        if (!(g->names[i] = strdup(apps[i].name ? apps[i].name : ""))) {
            spu_error_set(err, SPU_ENOMEM, "out of memory");
            goto fail;
        }
        if (bundle_setup(e, &g->bundles[i], apps[i].b, g->names[i], notes, err) != SPU_OK)
            goto fail;
    }
    return g;
fail:
    detect_gen_free(e, g);
    return NULL;
}

void detect_engine_free(struct detect_engine *e)
{
    if (!e)
        return;
    detect_gen_free(e, atomic_load(&e->gen));
    for (unsigned i = 0; i < e->nspaces; i++)
        session_space_free(e->spaces[i]);
    free(e->spaces);
    free(e->space_decl);
    for (unsigned i = 0; i < e->noutputs; i++)
        output_free(e->outputs[i]);
    free(e->outputs);
    shun_free(e->shun);
    classification_free(e->cls);
    detect_stores_free(e);
    pthread_mutex_destroy(&e->pub_mu);
    free(e);
}

unsigned detect_engine_slots(const struct detect_engine *e)
{
    return e->nslots;
}

struct detect_engine *detect_engine_new(const struct detect_cfg *cfg, struct spu_bundle *const *b,
                                        const char *const *names, unsigned n, unsigned nworkers,
                                        struct spu_error *err)
{
    if (nworkers == 0 || nworkers > DETECT_MAX_WORKERS) {
        spu_error_set(err, SPU_EINVAL, "rule engine: 1..%u workers", DETECT_MAX_WORKERS);
        return NULL;
    }
    struct detect_engine *e = calloc(1, sizeof(*e));
    if (!e) {
        spu_error_set(err, SPU_ENOMEM, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&e->pub_mu, NULL);
    if (cfg)
        e->cfg = *cfg;
    if (!e->cfg.flow_state_cap)
        e->cfg.flow_state_cap = DETECT_FLOW_STATE_CAP;
    if (!e->cfg.session_memcap)
        e->cfg.session_memcap = DETECT_SESSION_MEMCAP;
    e->nworkers = nworkers;
    e->nslots = n > e->cfg.max_apps ? n : e->cfg.max_apps;
    if (e->nslots > DETECT_MAX_SLOTS) {
        spu_error_set(err, SPU_EINVAL, "rule engine: at most %u applications", DETECT_MAX_SLOTS);
        goto fail;
    }
    detect_rt_fields_init(e);
    if (e->cfg.classification && !(e->cls = classification_load(e->cfg.classification, err)))
        goto fail;
    e->shun = shun_new(e->cfg.shun_cap);
    struct detect_app *apps = calloc(n + 1, sizeof(*apps));
    if (!e->shun || !apps) {
        free(apps);
        spu_error_set(err, SPU_ENOMEM, "out of memory");
        goto fail;
    }
    for (unsigned i = 0; i < n; i++)
        apps[i] = (struct detect_app){names[i], b[i]};
    struct detect_gen *g = detect_gen_build(e, apps, n, 1, NULL, err);
    free(apps);
    if (!g)
        goto fail;
    atomic_store(&e->gen, g);
    return e;
fail:
    detect_engine_free(e);
    return NULL;
}

/* ---- events ---- */

/* Run the rules of event `ev` of bundle db on the current record. */
static void run_rules(struct detect_worker *w, const struct detect_bundle *db, uint32_t ev)
{
    struct spu_cands cands;
    w->cur.db = db;
    w->cur.ev = ev;
    if (spu_index_select(w->ix, w->vm, db->b, ev, w->cur.rec, &detect_host_ops, w, &cands) !=
        SPU_OK) {
        dc_inc(w, DC_SELECT_ERRORS);
        return;
    }
    dc_add(&w->c[DC_CANDIDATES], cands.n);
    if (w->eng->cfg.explain)
        detect_explain(w, &cands);
    for (uint32_t i = 0; i < cands.n; i++) {
        uint32_t r = cands.rules[i];
        struct rule_counters *rc = &db->rc[(size_t)w->id * db->nrules + r];
        struct spu_vm_result res;
        w->cur.rule = r;
        w->cur.acted = false;
        int64_t t0 = mono_ns();
        int st = spu_vm_run_rule(w->vm, db->b, r, w->cur.rec, &detect_host_ops, w, &res);
        int64_t t1 = mono_ns();
        /* a fault may leave entries held when the VM stopped before
         * end_rule: give them back */
        detect_release_sessions(w);
        dc_add(&rc->evals, 1);
        dc_add(&rc->ns, (uint64_t)(t1 - t0));
        dc_inc(w, DC_RULES_RUN);
        if (st != SPU_OK) {
            dc_add(&rc->faults, 1);
            dc_inc(w, DC_FAULTS);
            if (st == SPU_EFAULT && res.fault > 0 && res.fault < SPU_VMF__COUNT)
                dc_add(&w->fault_kind[res.fault], 1);
        }
        if (w->cur.acted) {
            dc_add(&rc->matches, 1);
            dc_inc(w, DC_MATCHES);
        }
    }
}

static void event_begin(struct detect_worker *w, const struct pkt *p, const struct decoded *d,
                        struct flow *f, int64_t ts_ns)
{
    struct detect_event *c = &w->cur;
    c->p = p;
    c->d = d;
    c->f = f;
    c->ts_ns = ts_ns;
    c->pcap_cnt = p ? p->pcap_cnt : 0;
    c->mon = NULL;
    c->spam = NULL;
    c->app = false;
    c->tx_id = -1;
    c->dir = -1;
    c->verdict = DV_NONE;
    c->redirect = NULL;
    c->actions = 0;
    c->npending = 0;
    c->rewrites = NULL;
    c->src = NULL;
    c->rw_body = 0;
    c->rw_fix = false;
}

static void event_end(struct detect_worker *w)
{
    if (w->cur.rw_fix)
        rewrite_msg_end(w);
    detect_flush_event(w);
    spu_vm_reset(w->vm);
    struct detect_flow *df = w->cur.f ? w->cur.f->detect : NULL;
    /* rewritten strings leave dead copies in the flow's arena: keep only
     * the live values once half of the cap is used */
    for (unsigned i = 0; df && i < w->eng->nslots; i++)
        if (df->fv[i].arena)
            session_compact(df->fv[i].slots, df->fv[i].n, &df->fv[i].arena,
                            w->eng->cfg.flow_state_cap);
}

/* True when the event is not inspected: its flow has a pass verdict, or
 * its source is shunned. */
static bool skip_event(struct detect_worker *w)
{
    const struct detect_flow *df = w->cur.f ? w->cur.f->detect : NULL;
    if (df && df->verdict == DV_PASS) {
        dc_inc(w, DC_PASSED_EVENTS);
        return true;
    }
    uint8_t ip[16];
    const struct decoded *d = w->cur.d;
    const struct flow *f = w->cur.f;
    if (d && d->ipver)
        detect_ip16(d->ipver, d->src, ip);
    else if (f)
        detect_ip16(f->key.ipver, f->key.addr[f->client], ip);
    else
        return false;
    if (shun_check(w->eng->shun, ip, w->cur.ts_ns / 1000000)) {
        dc_inc(w, DC_SHUNNED_EVENTS);
        return true;
    }
    return false;
}

/* Inline: a packet whose source is shunned marks its flow dropped; a flow
 * dropped only by a shun passes again once neither endpoint is shunned
 * (the shun expired or was removed). */
static void enforce_shun(struct detect_worker *w, const struct pkt *p, const struct decoded *d,
                         struct flow *f)
{
    uint8_t ip[16];
    int64_t now = (p ? p->ts_ns : f->last_ns) / 1000000;
    if (f->flags & FLOW_F_SHUN_DROP) {
        bool any = false;
        for (unsigned e = 0; e < 2 && !any; e++) {
            detect_ip16(f->key.ipver, f->key.addr[e], ip);
            any = shun_check(w->eng->shun, ip, now);
        }
        if (!any) {
            f->flags &= (uint8_t)~FLOW_F_SHUN_DROP;
            if (f->verdict == FLOW_VERDICT_DROP)
                f->verdict = FLOW_VERDICT_NONE;
        }
        return;
    }
    detect_ip16(d->ipver, d->src, ip);
    if (shun_check(w->eng->shun, ip, now) && f->verdict == FLOW_VERDICT_NONE) {
        f->verdict = FLOW_VERDICT_DROP;
        f->flags |= FLOW_F_SHUN_DROP;
    }
}

/* Runtime event `id` on every slot of generation g whose bundle declares
 * it: the slot's record of it (`reason` as detect_rt_record takes it) and
 * its rules, in slot order. A record that cannot be built is counted and
 * its slot skipped. Within event_begin/event_end. */
static void run_rt_slots(struct detect_worker *w, const struct detect_gen *g, enum rt_event_id id,
                         int reason)
{
    for (unsigned i = 0; i < g->nslots; i++) {
        const struct detect_bundle *db = &g->bundles[i];
        if (!db->b || db->rt_ev[id] == SPU_NONE)
            continue;
        w->cur.rec = NULL;
        w->cur.db = db;
        struct spu_record *rec = detect_rt_record(w, db, id, reason);
        if (!rec) {
            dc_inc(w, DC_RECORD_ERRORS);
            continue;
        }
        w->cur.rec = rec;
        run_rules(w, db, db->rt_ev[id]);
    }
}

static void on_rt_event(void *ctx, enum rt_event_id id, const struct pkt *p,
                        const struct decoded *d, struct flow *f, int reason)
{
    struct detect_worker *w = ctx;
    if (w->eng->cfg.enforce && id == RT_EV_PACKET) {
        bool tcp = f && d && d->proto == 6 && d->l4ok && d->payload;
        w->pl = tcp ? d->payload : NULL;
        w->pllen = tcp ? d->payload_len : 0;
        w->plf = tcp ? f : NULL;
    }
    if (id == RT_EV_FLOW_END && f == w->plf)
        w->plf = NULL;
    if (w->eng->cfg.enforce && id == RT_EV_PACKET && f && d && d->ipver)
        enforce_shun(w, p, d, f);
    const struct detect_gen *g = detect_gen_enter(w);
    bool any = false;
    for (unsigned i = 0; i < g->nslots && !any; i++)
        any = g->bundles[i].b && g->bundles[i].rt_ev[id] != SPU_NONE;
    if (any) {
        int64_t ts = p ? p->ts_ns : f ? f->last_ns : 0;
        event_begin(w, p, d, f, ts);
        if (!skip_event(w)) {
            dc_inc(w, DC_EVENTS);
            run_rt_slots(w, g, id, reason);
        }
        event_end(w);
    }
    if (id == RT_EV_FLOW_END && f)
        detect_flow_free(w, f);
    detect_gen_leave(w);
}

/* The current grammar event ends a message of slot i: a total over the
 * threshold raises spam.message on that slot's bundle, within the same
 * event (its records go out with the event's); then the message is
 * forgotten. */
static void message_end(struct detect_worker *w, unsigned i)
{
    const struct detect_bundle *db = &w->g->bundles[i];
    struct detect_spam sp;
    if (detect_msg_close(w, i, &sp) && db->rt_ev[RT_EV_SPAM_MESSAGE] != SPU_NONE) {
        w->cur.spam = &sp;
        w->cur.app = false;
        w->cur.db = db;
        struct spu_record *rec = detect_rt_record(w, db, RT_EV_SPAM_MESSAGE, -1);
        if (rec) {
            w->cur.rec = rec;
            run_rules(w, db, db->rt_ev[RT_EV_SPAM_MESSAGE]);
        } else {
            dc_inc(w, DC_RECORD_ERRORS);
        }
        w->cur.spam = NULL;
    }
    detect_msg_release(w, w->cur.f, i);
}

/* The event of bundle `to` that is event `ev` of bundle `from` (same name,
 * same record declaration), or SPU_NONE. */
static uint32_t event_map(const struct spu_bundle *from, uint32_t ev, const struct spu_bundle *to)
{
    const struct spu_bview *fv = spu_bundle_view(from), *tv = spu_bundle_view(to);
    if (ev >= fv->nevents)
        return SPU_NONE;
    uint32_t nl;
    const char *name = spu_bundle_str(from, fv->events[ev].name, &nl);
    uint64_t decl = detect_decl(from, fv->events[ev].layout);
    for (uint32_t i = 0; i < tv->nevents; i++) {
        uint32_t tl;
        const char *tn = spu_bundle_str(to, tv->events[i].name, &tl);
        if (tl == nl && memcmp(tn, name, nl) == 0)
            return detect_decl(to, tv->events[i].layout) == decl ? i : SPU_NONE;
    }
    return SPU_NONE;
}

/* Event `ev` of bundle `src` as the bundle of slot i numbers it, or
 * SPU_NONE; the mapping of src's events is cached per slot until the next
 * generation. */
static uint32_t slot_event(struct detect_worker *w, unsigned i, const struct spu_bundle *src,
                           uint32_t ev)
{
    const struct detect_bundle *db = &w->g->bundles[i];
    if (db->b == src)
        return ev < spu_bundle_view(src)->nevents ? ev : SPU_NONE;
    struct detect_evmap *m = &w->evmap[i];
    if (m->seq != w->g->seq || m->src != src) {
        uint32_t n = spu_bundle_view(src)->nevents;
        uint32_t *nm = realloc(m->map, ((size_t)n + 1) * sizeof(*nm));
        if (!nm)
            return SPU_NONE;
        m->map = nm;
        m->n = n;
        for (uint32_t k = 0; k < n; k++)
            nm[k] = event_map(src, k, db->b);
        m->seq = w->g->seq;
        m->src = src;
    }
    return ev < m->n ? m->map[ev] : SPU_NONE;
}

void detect_worker_monitor(struct detect_worker *w, const struct detect_monitor_rec *m)
{
    struct detect_engine *e = w->eng;
    const struct detect_gen *g = detect_gen_enter(w);
    event_begin(w, NULL, NULL, NULL, m->ts_ms * 1000000);
    w->cur.mon = m;
    if (!shun_check(e->shun, m->src, m->ts_ms)) {
        dc_inc(w, DC_EVENTS);
        run_rt_slots(w, g, RT_EV_MONITOR_COUNTS, -1);
    } else {
        dc_inc(w, DC_SHUNNED_EVENTS);
    }
    event_end(w);
    w->cur.mon = NULL;
    detect_gen_leave(w);
}

/* A grammar event runs the rules of every running application whose
 * bundle declares that event alike: two applications with the same
 * grammar share one parse, and rules switch at the next transaction (a
 * message parsed by the bundle it started with runs the rules published
 * now). */
static void on_app_event(void *ctx, const struct app_event *ev)
{
    struct detect_worker *w = ctx;
    const struct detect_gen *g = detect_gen_enter(w);
    uint32_t evi[DETECT_MAX_SLOTS];
    bool any = false;
    for (unsigned i = 0; i < g->nslots && i < DETECT_MAX_SLOTS; i++) {
        evi[i] = SPU_NONE;
        const struct detect_bundle *db = &g->bundles[i];
        if (!db->b)
            continue;
        evi[i] = slot_event(w, i, ev->bundle, ev->event);
        if (evi[i] == SPU_NONE) {
            if (i == ev->bundle_idx && db->b != ev->bundle)
                dc_inc(w, DC_RELOAD_UNMAPPED);
            continue;
        }
        if (spu_bundle_view(db->b)->events[evi[i]].nrules == 0 && !db->msg_end[evi[i]])
            evi[i] = SPU_NONE;
        else
            any = true;
    }
    if (any) {
        event_begin(w, NULL, NULL, ev->flow, ev->ts_ns);
        w->cur.tx_id = (int64_t)ev->tx_id;
        w->cur.pcap_cnt = ev->pcap_cnt;
        w->cur.dir = ev->dir;
        w->cur.app = true;
        w->cur.src = ev->bundle;
        if (!skip_event(w)) {
            dc_inc(w, DC_EVENTS);
            for (unsigned i = 0; i < g->nslots && i < DETECT_MAX_SLOTS; i++) {
                if (evi[i] == SPU_NONE)
                    continue;
                w->cur.app = true;
                w->cur.rec = ev->rec;
                run_rules(w, &g->bundles[i], evi[i]);
                if (g->bundles[i].msg_end[evi[i]])
                    message_end(w, i);
            }
        }
        event_end(w);
    }
    detect_gen_leave(w);
}

/* ---- worker contexts ---- */

struct detect_worker *detect_worker_new(struct detect_engine *e, unsigned id,
                                        struct output_producer *out, const char *in_iface,
                                        struct spu_error *err)
{
    if (id >= e->nworkers || e->workers[id]) {
        spu_error_set(err, SPU_EINVAL, "rule engine: bad worker id %u", id);
        return NULL;
    }
    struct detect_worker *w = calloc(1, sizeof(*w));
    if (!w) {
        spu_error_set(err, SPU_ENOMEM, "out of memory");
        return NULL;
    }
    w->eng = e;
    w->id = id;
    w->in_iface = in_iface;
    struct spu_vm_config vc = {.budget = e->cfg.rule_budget};
    w->vm = spu_vm_new(&vc, err);
    w->ix = w->vm ? spu_index_new(err) : NULL;
    w->el = w->ix ? evelog_new(err) : NULL;
    if (!w->vm || !w->ix || !w->el)
        goto fail;
    w->eve.out = out;
    w->eve.worker = (int)id;
    w->hooks = (struct rt_hooks){w, on_rt_event};
    w->sink = (struct app_sink){w, on_app_event};
    if (!(w->evmap = calloc(e->nslots + 1, sizeof(*w->evmap))))
        goto fail;
    e->workers[id] = w;
    return w;
fail:
    if (!err->code)
        spu_error_set(err, SPU_ENOMEM, "out of memory");
    detect_worker_free(w);
    return NULL;
}

void detect_worker_free(struct detect_worker *w)
{
    if (!w)
        return;
    if (w->eng->workers[w->id] == w)
        w->eng->workers[w->id] = NULL;
    for (unsigned i = 0; w->evmap && i < w->eng->nslots; i++)
        free(w->evmap[i].map);
    free(w->evmap);
    spu_index_free(w->ix);
    evelog_free(w->el);
    spu_vm_free(w->vm);
    eve_writer_fini(&w->eve);
    eve_text_free(&w->cur.text);
    eve_text_free(&w->cur.alert_base.text);
    free(w);
}

const struct rt_hooks *detect_worker_hooks(struct detect_worker *w)
{
    return &w->hooks;
}

const struct app_sink *detect_worker_sink(struct detect_worker *w)
{
    return &w->sink;
}

void detect_worker_set_alert_hook(struct detect_worker *w, detect_alert_fn fn, void *ctx)
{
    w->on_alert = fn;
    w->on_alert_ctx = ctx;
}

struct shun_table *detect_engine_shuns(struct detect_engine *e)
{
    return e->shun;
}

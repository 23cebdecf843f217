/* detect-host.c - the VM host of a worker (vm/host.h): flow keys, flow
 * variables kept in the flow, meta sessions from the shared store, and the
 * actions. */
#include "detect-int.h"

#include "arena.h"
#include "builtin-api.h"
#include "decode.h"
#include "err.h"
#include "flow.h"
#include "rewrite.h"
#include "shaper.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *const verdict_names[] = {"pass", "drop", "reject", "redirect", "none"};

const char *detect_verdict_name(unsigned v)
{
    return v <= DV_NONE ? verdict_names[v] : "none";
}

static int64_t now_ms(void *ctx)
{
    struct detect_worker *w = ctx;
    return w->cur.ts_ns / 1000000;
}

static struct spu_value ipv(struct detect_worker *w, const struct flow *f, int end)
{
    uint8_t *b = spu_arena_alloc(spu_vm_scratch(w->vm), 16);
    if (!b)
        return spu_v_null();
    detect_ip16(f->key.ipver, f->key.addr[end], b);
    struct spu_value v = {.type = SPU_T_IP,
                          .aux = (uint16_t)(f->key.ipver == 6 ? 6 : 4),
                          .len = f->key.ipver == 6 ? 128u : 32u};
    v.u.s = b;
    return v;
}

static int flowkey(void *ctx, uint32_t key, struct spu_value *out)
{
    struct detect_worker *w = ctx;
    const struct flow *f = w->cur.f;
    *out = spu_v_null();
    if (!f)
        return SPU_ENOTFOUND;
    int c = f->client;
    switch (key) {
    case DFK_SRC_IP:
        *out = ipv(w, f, c);
        break;
    case DFK_DST_IP:
        *out = ipv(w, f, !c);
        break;
    case DFK_SRC_PORT:
        *out = spu_v_int(f->key.port[c]);
        break;
    case DFK_DST_PORT:
        *out = spu_v_int(f->key.port[!c]);
        break;
    case DFK_PROTO:
        *out = spu_v_int(f->key.proto);
        break;
    case DFK_PKTS_TOSERVER:
        *out = spu_v_int(f->pkts[0]);
        break;
    case DFK_PKTS_TOCLIENT:
        *out = spu_v_int(f->pkts[1]);
        break;
    case DFK_BYTES_TOSERVER:
        *out = spu_v_int((int64_t)f->bytes[0]);
        break;
    case DFK_BYTES_TOCLIENT:
        *out = spu_v_int((int64_t)f->bytes[1]);
        break;
    case DFK_START:
        *out = spu_v_int(f->start_ns / 1000000);
        break;
    case DFK_APP_PROTO:
        if (f->app_proto)
            *out = spu_v_str((const uint8_t *)f->app_proto, strlen(f->app_proto));
        break;
    default:
        break;
    }
    return SPU_OK;
}

/* ---- flow state ---- */

static size_t flow_cap(const struct detect_worker *w)
{
    return w->eng->cfg.flow_state_cap;
}

struct detect_flow *detect_flow_get(struct detect_worker *w, struct flow *f)
{
    if (!f)
        return NULL;
    if (f->detect)
        return f->detect;
    unsigned nb = w->eng->nslots;
    size_t sz = sizeof(struct detect_flow) + nb * sizeof(((struct detect_flow *)0)->fv[0]);
    struct detect_flow *df = calloc(1, sz);
    if (!df) {
        dc_inc(w, DC_FLOW_STATE_REFUSED);
        return NULL;
    }
    df->verdict = DV_NONE;
    df->bytes = sz;
    atomic_fetch_add_explicit(&w->eng->flow_memuse, (int64_t)sz, memory_order_relaxed);
    f->detect = df;
    return df;
}

void detect_flow_free(struct detect_worker *w, struct flow *f)
{
    free(f->redirect); /* inline Redirect the flow's last packet never carried */
    f->redirect = NULL;
    rw_flow_free(f->rewrite);
    f->rewrite = NULL;
    struct detect_flow *df = f->detect;
    if (!df)
        return;
    for (unsigned i = 0; i < w->eng->nslots; i++) {
        spu_arena_free(df->fv[i].arena);
        free(df->fv[i].slots);
        detect_msg_release(w, f, i);
    }
    atomic_fetch_sub_explicit(&w->eng->flow_memuse, (int64_t)df->bytes, memory_order_relaxed);
    free(df);
    f->detect = NULL;
}

static struct spu_value *flowvars(void *ctx, uint32_t *n, struct spu_arena **arena)
{
    struct detect_worker *w = ctx;
    const struct detect_bundle *db = w->cur.db;
    *n = 0;
    *arena = NULL;
    if (!db->flow_nslots || !w->cur.f)
        return NULL;
    struct detect_flow *df = detect_flow_get(w, w->cur.f);
    if (!df)
        return NULL;
    unsigned bi = (unsigned)(db - w->g->bundles);
    if (df->fv[bi].slots && df->fv[bi].decl != db->flow_decl) {
        /* the application was reloaded with other flow variables: they
         * start fresh */
        size_t had = df->fv[bi].n * sizeof(struct spu_value) + flow_cap(w);
        spu_arena_free(df->fv[bi].arena);
        free(df->fv[bi].slots);
        df->fv[bi].slots = NULL;
        df->fv[bi].arena = NULL;
        df->bytes -= had;
        atomic_fetch_sub_explicit(&w->eng->flow_memuse, (int64_t)had, memory_order_relaxed);
    }
    if (!df->fv[bi].slots) {
        size_t cap = flow_cap(w);
        df->fv[bi].slots = calloc(db->flow_nslots, sizeof(struct spu_value));
        df->fv[bi].arena = spu_arena_new(256, cap);
        if (!df->fv[bi].slots || !df->fv[bi].arena) {
            free(df->fv[bi].slots);
            spu_arena_free(df->fv[bi].arena);
            df->fv[bi].slots = NULL;
            df->fv[bi].arena = NULL;
            dc_inc(w, DC_FLOW_STATE_REFUSED);
            return NULL;
        }
        df->fv[bi].n = db->flow_nslots;
        df->fv[bi].decl = db->flow_decl;
        size_t add = db->flow_nslots * sizeof(struct spu_value) + cap;
        df->bytes += add;
        atomic_fetch_add_explicit(&w->eng->flow_memuse, (int64_t)add, memory_order_relaxed);
    }
    *n = db->flow_nslots;
    *arena = df->fv[bi].arena;
    return df->fv[bi].slots;
}

/* ---- sessions ---- */

static struct spu_value *session(void *ctx, uint32_t sess, const struct spu_value *key, int create,
                                 uint32_t *n, struct spu_arena **arena)
{
    struct detect_worker *w = ctx;
    const struct detect_bundle *db = w->cur.db;
    *n = 0;
    *arena = NULL;
    uint32_t ns = 0;
    spu_bundle_sessions(db->b, &ns);
    if (sess >= ns || !db->sess[sess])
        return NULL;
    struct session_space *sp = db->sess[sess];
    struct session_entry *e = NULL;
    for (unsigned i = 0; i < w->nheld && !e; i++)
        if (w->held[i].space == sp && w->held[i].sess == sess)
            e = w->held[i].e;
    if (!e) {
        if (w->nheld == DETECT_MAX_HELD)
            return NULL;
        /* an absent key is held too, until the rule ends: a read that finds
         * nothing and the write after it are one update */
        if (session_space_get(sp, key, now_ms(w), create ? SESSION_CREATE : SESSION_HOLD_ABSENT,
                              &e) != SPU_OK ||
            !e)
            return NULL;
        w->held[w->nheld++] = (struct held_session){sp, e, sess};
    }
    if (session_entry_is_absent(e) && (!create || session_entry_confirm(sp, e) != SPU_OK))
        return NULL;
    return session_entry_slots(sp, e, n, arena);
}

static bool str_is(const char *s, uint32_t n, const struct spu_value *v)
{
    return s && v->type == SPU_T_STR && v->len == n && memcmp(s, v->u.s, n) == 0;
}

int detect_session_set(struct detect_worker *w, const struct spu_value *args)
{
    const struct detect_bundle *db = w->cur.db;
    uint32_t ns = 0;
    const struct spu_bsession *bs = spu_bundle_sessions(db->b, &ns);
    const struct spu_bview *v = spu_bundle_view(db->b);
    for (uint32_t i = 0; i < ns; i++) {
        uint32_t nl;
        const char *sn = spu_bundle_str(db->b, bs[i].name, &nl);
        if (!str_is(sn, nl, &args[0]))
            continue;
        struct session_space *sp = db->sess[i];
        if (!sp || bs[i].layout >= v->nlayouts)
            return SPU_ENOTFOUND;
        /* the running rule holds an entry of this space: taking another
         * could wait on ourselves */
        for (unsigned k = 0; k < w->nheld; k++)
            if (w->held[k].space == sp)
                return SPU_ESTATE;
        const struct spu_blayout *l = &v->layouts[bs[i].layout];
        uint32_t f = 0;
        for (; f < l->nfields; f++) {
            const char *fn = spu_bundle_str(db->b, v->fields[l->first_field + f].name, &nl);
            if (str_is(fn, nl, &args[2]))
                break;
        }
        if (f == l->nfields)
            return SPU_ENOTFOUND;
        struct session_entry *e = NULL;
        int64_t t = now_ms(w);
        int rc = session_space_get(sp, &args[1], t, SESSION_CREATE, &e);
        if (rc != SPU_OK || !e)
            return rc != SPU_OK ? rc : SPU_ENOMEM;
        uint32_t n;
        struct spu_arena *arena;
        struct spu_value *slots = session_entry_slots(sp, e, &n, &arena);
        struct spu_value copy;
        rc = f < n && arena ? spu_value_copy(arena, &args[3], &copy) : SPU_EINVAL;
        if (rc == SPU_OK)
            slots[f] = copy;
        session_entry_release(sp, e, t);
        return rc;
    }
    return SPU_ENOTFOUND;
}

void detect_release_sessions(struct detect_worker *w)
{
    int64_t t = now_ms(w);
    for (unsigned i = 0; i < w->nheld; i++)
        session_entry_release(w->held[i].space, w->held[i].e, t);
    w->nheld = 0;
}

static void end_rule(void *ctx, uint32_t rule)
{
    (void)rule;
    detect_release_sessions(ctx);
}

/* ---- actions ---- */

static int pend(struct detect_worker *w, json_t *rec)
{
    if (!rec)
        return SPU_ENOMEM;
    if (w->cur.npending == DETECT_MAX_PENDING) {
        json_decref(rec);
        dc_inc(w, DC_PENDING_FULL);
        return SPU_ELIMIT;
    }
    w->cur.pending[w->cur.npending++] = (struct detect_pending){rec, 0, 0, 0};
    return SPU_OK;
}

static void verdict(struct detect_worker *w, unsigned v)
{
    if (v < w->cur.verdict)
        w->cur.verdict = v;
}

/* The address an action on "the source" means: the packet's sender, or the
 * flow's client for events without a packet. */
static int source_ip(const struct detect_worker *w, uint8_t out[16])
{
    const struct decoded *d = w->cur.d;
    if (d && d->ipver) {
        detect_ip16(d->ipver, d->src, out);
        return 1;
    }
    if (w->cur.f) {
        detect_ip16(w->cur.f->key.ipver, w->cur.f->key.addr[w->cur.f->client], out);
        return 1;
    }
    return 0;
}

static int send_message(struct detect_worker *w, const struct spu_value *args)
{
    const struct detect_bundle *db = w->cur.db;
    if (args[0].type != SPU_T_STR || args[1].type != SPU_T_STR)
        return SPU_EINVAL;
    uint32_t no = 0;
    spu_bundle_outputs(db->b, &no);
    for (uint32_t i = 0; i < no; i++) {
        struct detect_output *o = db->out[i];
        if (!o || strlen(o->name) != args[0].len || memcmp(o->name, args[0].u.s, args[0].len))
            continue;
        if (o->fd < 0)
            break;
        size_t len = args[1].len;
        char *line = malloc(len + 1);
        if (!line)
            return SPU_ENOMEM;
        if (len)
            memcpy(line, args[1].u.s, len);
        line[len] = '\n';
        ssize_t wr;
        pthread_mutex_lock(&o->mu);
        if (o->kind == SPU_OUT_UNIX)
            wr = send(o->fd, line, len + 1, MSG_DONTWAIT | MSG_NOSIGNAL);
        else
            wr = write(o->fd, line, len + 1);
        pthread_mutex_unlock(&o->mu);
        free(line);
        if (wr != (ssize_t)(len + 1)) {
            dc_add(&o->failed, 1);
            dc_inc(w, DC_MESSAGE_ERRORS);
            return SPU_EIO;
        }
        dc_add(&o->sent, 1);
        dc_inc(w, DC_MESSAGES);
        return SPU_OK;
    }
    dc_inc(w, DC_MESSAGE_ERRORS);
    return SPU_ENOTFOUND;
}

static int rewrite(struct detect_worker *w, const char *what, const struct spu_value *args,
                   unsigned argc)
{
    if (!w->cur.rewrites && !(w->cur.rewrites = json_array()))
        return SPU_ENOMEM;
    json_t *o = json_object();
    json_object_set_new(o, "action", json_string(what));
    json_t *a = json_array();
    for (unsigned i = 0; i < argc; i++)
        json_array_append_new(a, detect_value_json(&args[i], 0));
    json_object_set_new(o, "args", a);
    json_array_append_new(w->cur.rewrites, o);
    dc_inc(w, DC_REWRITES);
    return SPU_OK;
}

/* Queue(CLASS) inline: the flow's later packets are shaped by the class
 * (shaper.h); a class the shaper does not know (declared only by a bundle
 * loaded after the start) leaves the flow unshaped. */
static void queue_flow(struct detect_worker *w, const struct spu_value *args, unsigned argc)
{
    const struct shaper *sh = w->eng->cfg.shaper;
    if (!sh || !w->cur.f || !argc || args[0].type != SPU_T_STR)
        return;
    unsigned id = shaper_find(sh, (const char *)args[0].u.s, args[0].len);
    if (id)
        w->cur.f->qclass = (uint8_t)id;
}

static int action(void *ctx, uint32_t builtin, const struct spu_value *args, unsigned argc,
                  uint32_t rule)
{
    struct detect_worker *w = ctx;
    (void)rule;
    w->cur.acted = true;
    int rc = SPU_OK;
    switch (builtin) {
    case SPU_BI_Alert:
        rc = detect_alert_pend(w, args, argc);
        break;
    case SPU_BI_Log:
        rc = pend(w, detect_log_record(w, args, argc));
        break;
    case SPU_BI_Pass:
        verdict(w, DV_PASS);
        break;
    case SPU_BI_Drop:
        verdict(w, DV_DROP);
        break;
    case SPU_BI_Reject:
        verdict(w, DV_REJECT);
        break;
    case SPU_BI_Queue:
        queue_flow(w, args, argc);
        rc = rewrite(w, "Queue", args, argc);
        break;
    case SPU_BI_Redirect:
        verdict(w, DV_REDIRECT);
        if (argc && args[0].type == SPU_T_STR && !w->cur.redirect) {
            w->cur.redirect = (const char *)args[0].u.s;
            w->cur.redirect_len = args[0].len;
        }
        break;
    case SPU_BI_Shun: {
        uint8_t ip[16];
        int64_t dur = argc && args[0].type == SPU_T_INT ? args[0].u.i : 3600000;
        if (dur <= 0 || !source_ip(w, ip)) {
            rc = SPU_EINVAL;
            break;
        }
        int64_t t = now_ms(w);
        rc = shun_add(w->eng->shun, ip, t, dur > INT64_MAX - t ? INT64_MAX : t + dur);
        dc_inc(w, rc == SPU_OK ? DC_SHUNS : DC_SHUN_REFUSED);
        w->cur.actions |= 1u;
        break;
    }
    case SPU_BI_SendMessage:
        rc = argc >= 2 ? send_message(w, args) : SPU_EINVAL;
        break;
    default: {
        const char *name = builtin < SPU_BI__COUNT ? spu_builtins[builtin].name : "?";
        rc = rewrite(w, name, args, argc);
        /* inline: carried out on the packet (rewrite-msg.c); Queue is not
         * a rewrite */
        if (rc == SPU_OK && w->eng->cfg.enforce && builtin != SPU_BI_Queue)
            rc = rewrite_msg_action(w, builtin, args, argc);
        break;
    }
    }
    if (rc != SPU_OK)
        dc_inc(w, DC_ACTION_ERRORS);
    return rc;
}

const struct spu_host detect_host_ops = {
    .action = action,
    .now_ms = now_ms,
    .flowkey = flowkey,
    .flowvars = flowvars,
    .session = session,
    .end_rule = end_rule,
    .anomaly = NULL, /* grammars raise anomalies, rules do not */
    .state = detect_host_state,
    .magic = NULL,   /* magic() is a grammar built-in */
    .store = NULL,   /* and so is filestore() */
};

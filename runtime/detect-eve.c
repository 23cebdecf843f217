/* detect-eve.c - the EVE records of the rule engine: alert (Suricata's
 * shape, written as text: 10,000 firing rules write a million of them),
 * log (text too) and explain (its envelope as text, its members a jansson
 * tree); and the end of an event, where the
 * verdict decides which records are written. */
#include "detect-int.h"

#include "eve-json.h"

#include "decode.h"
#include "flow.h"
#include "pkt.h"

#include <ctype.h>
#include <string.h>

#define JSON_MAX_DEPTH 4

static json_t *bytes_json(const uint8_t *s, size_t n)
{
    json_t *j = json_stringn((const char *)s, n);
    if (j)
        return j;
    /* not UTF-8: escape bytes outside printable ASCII as \xNN */
    char *buf = malloc(4 * n + 1);
    if (!buf)
        return json_null();
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\') {
            buf[k++] = (char)s[i];
        } else {
            static const char hex[] = "0123456789abcdef";
            buf[k++] = '\\';
            buf[k++] = 'x';
            buf[k++] = hex[s[i] >> 4];
            buf[k++] = hex[s[i] & 15];
        }
    }
    j = json_stringn(buf, k);
    free(buf);
    return j ? j : json_null();
}

json_t *detect_value_json(const struct spu_value *v, unsigned depth)
{
    switch (v->type) {
    case SPU_T_BOOL:
        return json_boolean(v->u.i);
    case SPU_T_INT:
        return json_integer((json_int_t)v->u.i);
    case SPU_T_STR:
        return bytes_json(v->u.s, v->len);
    case SPU_T_IP: {
        char buf[64];
        if (spu_ip_format(v->u.s, v->aux, buf, sizeof(buf)) != 0)
            return json_null();
        return json_string(buf);
    }
    case SPU_T_ARR: {
        json_t *a = json_array();
        if (depth < JSON_MAX_DEPTH)
            for (uint32_t i = 0; i < v->u.arr->n; i++)
                json_array_append_new(a, detect_value_json(&v->u.arr->v[i], depth + 1));
        return a;
    }
    case SPU_T_REC: {
        json_t *o = json_object();
        const struct spu_record *r = v->u.rec;
        if (depth < JSON_MAX_DEPTH)
            for (uint32_t i = 0; i < r->nslots; i++)
                if (r->slot[i].type != SPU_T_NULL) {
                    char k[16];
                    snprintf(k, sizeof(k), "%u", i);
                    json_object_set_new(o, k, detect_value_json(&r->slot[i], depth + 1));
                }
        return o;
    }
    default:
        return json_null();
    }
}

/* The envelope of the event's records, its strings and endpoints held
 * here; monitor: the monitor object of a monitor count (new), or NULL. */
struct detect_env {
    struct eve_envelope env;
    struct eve_endpoints ep;
    char proto[64], src[64];
    json_t *monitor;
};

static void env_init(struct detect_worker *w, const char *type, struct detect_env *de)
{
    const struct detect_event *c = &w->cur;
    const struct eve_endpoints *epp = NULL;
    if (c->d && c->d->ipver) {
        eve_endpoints_packet(&de->ep, c->d);
        epp = &de->ep;
    } else if (c->f) {
        eve_endpoints_flow(&de->ep, c->f);
        epp = &de->ep;
    }
    de->env = (struct eve_envelope){
        .ts_ns = c->ts_ns,
        .event_type = type,
        .flow_id = c->f ? eve_flow_id(c->f) : 0,
        .pcap_cnt = c->pcap_cnt,
        .in_iface = w->in_iface,
        .ep = epp,
        .app_proto = detect_app_proto(w, de->proto, sizeof(de->proto)) ? de->proto : NULL,
        .tx_id = c->tx_id,
    };
    de->monitor = NULL;
    if (c->mon) {
        /* monitor.counts: no packet; the source and the sensor's count */
        if (spu_ip_format(c->mon->src, c->mon->family, de->src, sizeof(de->src)) == 0)
            de->env.src_ip = de->src;
        json_t *m = json_object();
        json_object_set_new(m, "sensor", json_string(c->mon->sensor ? c->mon->sensor : ""));
        json_object_set_new(m, "count", json_integer(c->mon->count));
        json_object_set_new(m, "window", json_integer(c->mon->window_ms));
        json_object_set_new(m, "received_ms", json_integer(c->mon->recv_ms));
        de->monitor = m;
    }
    if (epp && epp->ipver && !w->eve.cid_sha1)
        w->eve.cid_sha1 = flowkey_sha1_new(); /* NULL: the one-shot hash */
}

/* Whether the records' envelope (with the monitor object) has member k. */
static bool env_has(const struct detect_env *de, const char *k)
{
    return eve_envelope_has(&de->env, k) || (de->monitor && strcmp(k, "monitor") == 0);
}

struct env_args {
    const struct detect_env *de;
    struct flowkey_sha1 *h;
};

/* The envelope's members, then the monitor object (no leading comma). */
static void write_env(struct eve_jw *j, const void *arg)
{
    const struct env_args *a = arg;
    eve_jw_envelope(j, &a->de->env, a->h);
    if (a->de->monitor) {
        eve_jw_raw(j, ",\"monitor\":", 11);
        eve_jw_value(j, a->de->monitor);
    }
}

static json_t *bstr_json(const struct spu_bundle *b, struct spu_bstr s)
{
    uint32_t len;
    const char *p = spu_bundle_str(b, s, &len);
    return bytes_json((const uint8_t *)p, len);
}

/* spu.bundle: the bundle's name and hash. */
static json_t *spu_base(const struct detect_worker *w)
{
    const struct detect_bundle *db = w->cur.db;
    json_t *spu = json_object();
    json_t *b = json_object();
    json_object_set_new(b, "name", json_string(db->name));
    json_object_set_new(b, "sha256", json_string(db->sha256));
    json_object_set_new(spu, "bundle", b);
    return spu;
}

static void alert_base_clear(struct detect_event *c)
{
    c->alert_base.valid = false;
    c->alert_base.text.len = 0;
}

static void write_members_comma(struct eve_jw *j, const void *obj)
{
    eve_jw_members(j, obj, true);
}

/* The parts of an alert record that the event's other alerts on the same
 * record share (c->alert_base), written once as text: an alert of an HTTP
 * request that raises six alerts used to build its envelope and run the
 * grammar's log declarations six times. The keys come out in the order
 * they had when each alert was built alone as a tree: the envelope,
 * "alert", the protocol objects not already in the record, then "spu".
 * false: out of memory. */
static bool alert_base_get(struct detect_worker *w)
{
    struct detect_event *c = &w->cur;
    if (c->alert_base.valid && c->alert_base.db == c->db && c->alert_base.ev == c->ev &&
        c->alert_base.rec == c->rec)
        return true;
    alert_base_clear(c);
    struct detect_env de;
    env_init(w, "alert", &de);
    json_t *all = json_object(), *spu = json_object(), *tx = json_object();
    json_t *bundle = spu_base(w);
    json_t *sp = json_object();
    bool ok = false;
    if (!all || !spu || !tx || !bundle || !sp || json_object_set_new(all, "alert", json_null()) != 0)
        goto out;
    struct spu_error e = {0};
    c->alert_base.tx_failed = detect_alert_tx(w, all, spu, &e) != SPU_OK;
    const char *k;
    json_t *v;
    json_object_foreach(all, k, v)
    {
        /* a protocol object named "spu" was replaced by the spu object */
        if (!env_has(&de, k) && strcmp(k, "alert") != 0 && strcmp(k, "spu") != 0 &&
            json_object_set(tx, k, v) != 0)
            goto out;
    }
    if (json_object_set(sp, "bundle", json_object_get(bundle, "bundle")) != 0)
        goto out;
    json_t *spu_tx = json_object_get(spu, "tx");
    if (spu_tx && json_object_set(sp, "tx", spu_tx) != 0)
        goto out;
    struct eve_text *t = &c->alert_base.text;
    struct env_args ea = {&de, w->eve.cid_sha1};
    if (!eve_text_append(t, write_env, &ea))
        goto out;
    c->alert_base.env_len = t->len;
    if (!eve_text_append(t, write_members_comma, tx))
        goto out;
    c->alert_base.tx_len = t->len - c->alert_base.env_len;
    if (!eve_text_append(t, write_members_comma, sp))
        goto out;
    c->alert_base.spu_len = t->len - c->alert_base.env_len - c->alert_base.tx_len;
    c->alert_base.db = c->db;
    c->alert_base.ev = c->ev;
    c->alert_base.rec = c->rec;
    c->alert_base.valid = true;
    ok = true;
out:
    if (!ok)
        alert_base_clear(c);
    json_decref(de.monitor);
    json_decref(all);
    json_decref(spu);
    json_decref(tx);
    json_decref(bundle);
    json_decref(sp);
    return ok;
}

static bool ascii(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= 0x80)
            return false;
    return true;
}

/* key (with its comma and colon) and the string bytes_json makes of s. */
static void jw_bytes(struct eve_jw *j, const char *key, const uint8_t *s, size_t n)
{
    eve_jw_raw(j, key, strlen(key));
    if (ascii(s, n)) {
        eve_jw_string(j, (const char *)s, n);
        return;
    }
    json_t *v = bytes_json(s, n);
    eve_jw_value(j, v);
    json_decref(v);
}

/* key and json_string(s); no key when jansson refuses s (invalid UTF-8),
 * as json_object_set_new of a NULL value leaves the key out. */
static void jw_cstr(struct eve_jw *j, const char *key, const char *s)
{
    size_t n = strlen(s);
    if (ascii((const uint8_t *)s, n)) {
        eve_jw_raw(j, key, strlen(key));
        eve_jw_string(j, s, n);
        return;
    }
    json_t *v = json_string(s);
    if (v) {
        eve_jw_raw(j, key, strlen(key));
        eve_jw_value(j, v);
    }
    json_decref(v);
}

static void jw_bstr(struct eve_jw *j, const char *key, const struct spu_bundle *b,
                    struct spu_bstr s)
{
    uint32_t len;
    const char *p = spu_bundle_str(b, s, &len);
    jw_bytes(j, key, (const uint8_t *)p, len);
}

/* A constant string's bytes, counted by the compiler. */
#define RAW(j, lit) eve_jw_raw(j, lit, sizeof(lit) - 1)

/* One alert's text: its body and its spu members (see struct
 * detect_pending), everything computed before (the writer may run twice). */
struct alert_args {
    const struct detect_event *c;
    const struct detect_bundle *db;
    const struct spu_brule *r;
    const struct class_entry *ce;
    int64_t sev;
    json_t *meta, *spam;
    const uint8_t *msg;
    size_t msg_len;
    bool has_msg, has_score;
    int64_t score;
    const char *pcap_file;
};

static void write_alert_body(struct eve_jw *j, const void *arg)
{
    const struct alert_args *a = arg;
    const char *bt = a->c->alert_base.text.buf;
    size_t env_len = a->c->alert_base.env_len;
    eve_jw_raw(j, bt, env_len);
    RAW(j, ",\"alert\":{\"action\":\"allowed\",\"gid\":");
    eve_jw_int(j, a->r->gid);
    RAW(j, ",\"signature_id\":");
    eve_jw_int(j, a->r->sid);
    RAW(j, ",\"rev\":");
    eve_jw_int(j, a->r->rev);
    jw_bstr(j, ",\"signature\":", a->db->b, a->r->msg);
    if (a->ce)
        jw_cstr(j, ",\"category\":", a->ce->desc);
    else if (a->r->classtype.len)
        jw_bstr(j, ",\"category\":", a->db->b, a->r->classtype);
    else
        RAW(j, ",\"category\":\"\"");
    RAW(j, ",\"severity\":");
    eve_jw_int(j, a->sev);
    if (a->meta) {
        RAW(j, ",\"metadata\":");
        eve_jw_value(j, a->meta);
    }
    RAW(j, "}");
    eve_jw_raw(j, bt + env_len, a->c->alert_base.tx_len);
}

static void write_alert_spu(struct eve_jw *j, const void *arg)
{
    const struct alert_args *a = arg;
    const char *bt = a->c->alert_base.text.buf;
    eve_jw_raw(j, bt + a->c->alert_base.env_len + a->c->alert_base.tx_len,
               a->c->alert_base.spu_len);
    if (a->has_msg)
        jw_bytes(j, ",\"message\":", a->msg, a->msg_len);
    if (a->has_score) {
        RAW(j, ",\"score\":");
        eve_jw_int(j, a->score);
    }
    if (a->spam) {
        RAW(j, ",\"spam\":");
        eve_jw_value(j, a->spam);
    }
    if (a->pcap_file)
        jw_cstr(j, ",\"pcap_file\":", a->pcap_file);
}

/* The metadata object of rule r: every "key value" entry, the values of
 * one key in an array, keys in the order they first appear. */
static json_t *alert_metadata(const struct detect_bundle *db, const struct spu_brule *r)
{
    json_t *m = json_object();
    const uint32_t *mw = spu_bundle_u32(db->b, r->meta);
    for (uint32_t i = 0; m && mw && i < r->nmeta; i++) {
        uint32_t len;
        const char *s = spu_bundle_str(db->b, (struct spu_bstr){mw[2 * i], mw[2 * i + 1]}, &len);
        uint32_t k = 0;
        while (k < len && s[k] != ' ')
            k++;
        char key[128];
        snprintf(key, sizeof(key), "%.*s", (int)k, s);
        uint32_t vs = k < len ? k + 1 : len;
        json_t *arr = json_object_get(m, key);
        if (!arr) {
            arr = json_array();
            json_object_set_new(m, key, arr);
        }
        json_array_append_new(arr, bytes_json((const uint8_t *)s + vs, len - vs));
    }
    return m;
}

/* The record written at c->text[off..] (blen bytes of body, then its spu
 * members) joins the event's pending records, counted as `what`; when it
 * could not be written whole (ok false) or the list is full it is taken
 * back. */
static int pend_commit(struct detect_worker *w, size_t off, size_t blen, bool ok,
                       enum detect_counter what)
{
    struct detect_event *c = &w->cur;
    if (!ok) {
        c->text.len = off;
        return SPU_ENOMEM;
    }
    dc_inc(w, what);
    if (c->npending == DETECT_MAX_PENDING) {
        c->text.len = off;
        dc_inc(w, DC_PENDING_FULL);
        return SPU_ELIMIT;
    }
    c->pending[c->npending++] = (struct detect_pending){off, blen, c->text.len - off - blen};
    return SPU_OK;
}

int detect_alert_pend(struct detect_worker *w, const struct spu_value *args, unsigned argc)
{
    struct detect_event *c = &w->cur;
    const struct detect_bundle *db = c->db;
    const struct spu_brule *r = &spu_bundle_view(db->b)->rules[c->rule];
    if (!alert_base_get(w))
        return SPU_ENOMEM;
    struct alert_args a = {.c = c, .db = db, .r = r, .ce = db->cls[c->rule]};
    a.sev = r->priority > 0 ? r->priority : a.ce ? a.ce->priority : 3;
    if (argc > 0 && args[0].type == SPU_T_INT && args[0].u.i > 0)
        a.sev = args[0].u.i;
    if (r->nmeta)
        a.meta = alert_metadata(db, r);
    if (c->alert_base.tx_failed)
        dc_inc(w, DC_RECORD_ERRORS);
    if (argc > 1 && args[1].type == SPU_T_STR) {
        a.has_msg = true;
        a.msg = args[1].u.s;
        a.msg_len = args[1].len;
    }
    if (r->score && c->f) {
        struct detect_flow *df = detect_flow_get(w, c->f);
        if (df) {
            df->score += r->score;
            a.has_score = true;
            a.score = df->score;
        }
        if (c->app)
            detect_msg_add(w, r);
    }
    if (c->spam)
        a.spam = detect_spam_json(c->spam);
    if (w->on_alert && c->f)
        a.pcap_file = w->on_alert(w->on_alert_ctx, c->f);
    size_t off = c->text.len;
    bool ok = eve_text_append(&c->text, write_alert_body, &a);
    size_t blen = c->text.len - off;
    ok = ok && eve_text_append(&c->text, write_alert_spu, &a);
    json_decref(a.meta);
    json_decref(a.spam);
    return pend_commit(w, off, blen, ok, DC_ALERTS);
}

int detect_log_pend(struct detect_worker *w, const struct spu_value *args, unsigned argc)
{
    struct detect_event *c = &w->cur;
    const struct detect_bundle *db = c->db;
    const struct spu_brule *r = &spu_bundle_view(db->b)->rules[c->rule];
    struct detect_env de;
    env_init(w, "log", &de);
    json_t *spu = spu_base(w);
    json_t *l = json_object();
    json_object_set_new(l, "gid", json_integer(r->gid));
    json_object_set_new(l, "signature_id", json_integer(r->sid));
    json_object_set_new(l, "rev", json_integer(r->rev));
    json_t *vals = json_array();
    for (unsigned i = 0; i < argc; i++)
        json_array_append_new(vals, detect_value_json(&args[i], 0));
    json_object_set_new(l, "values", vals);
    json_object_set_new(spu, "log", l);
    size_t off = c->text.len;
    struct env_args ea = {&de, w->eve.cid_sha1};
    bool ok = eve_text_append(&c->text, write_env, &ea);
    size_t blen = c->text.len - off;
    ok = ok && eve_text_append(&c->text, write_members_comma, spu);
    json_decref(de.monitor);
    json_decref(spu);
    return pend_commit(w, off, blen, ok, DC_LOGS);
}

/* Inline: what the packet path does with the flow from now on (flow.verdict,
 * docs/inline.md). Pass lets the rest through. */
static void detect_enforce(struct detect_event *c, unsigned v)
{
    struct flow *f = c->f;
    f->flags &= (uint8_t)~FLOW_F_SHUN_DROP; /* a rule's verdict outlives shuns */
    if (v == DV_REDIRECT && c->redirect) {
        free(f->redirect);
        f->redirect = strndup(c->redirect, c->redirect_len);
        f->verdict = f->redirect ? FLOW_VERDICT_REDIRECT : FLOW_VERDICT_REJECT;
        return;
    }
    f->verdict = v == DV_DROP ? FLOW_VERDICT_DROP : v == DV_PASS ? FLOW_VERDICT_NONE
                                                                  : FLOW_VERDICT_REJECT;
}

void detect_flush_event(struct detect_worker *w)
{
    struct detect_event *c = &w->cur;
    unsigned v = c->verdict;
    if (v != DV_NONE) {
        static const enum detect_counter vc[] = {DC_VERDICT_PASS, DC_VERDICT_DROP,
                                                 DC_VERDICT_REJECT, DC_VERDICT_REDIRECT};
        dc_inc(w, vc[v]);
        struct detect_flow *df = c->f ? detect_flow_get(w, c->f) : NULL;
        if (df && v < df->verdict) {
            df->verdict = (uint8_t)v;
            if (w->eng->cfg.enforce)
                detect_enforce(c, v);
        }
    }
    for (unsigned i = 0; i < c->npending; i++) {
        const struct detect_pending *pd = &c->pending[i];
        if (v == DV_PASS) {
            dc_inc(w, DC_SUPPRESSED);
            continue;
        }
        json_t *spu;
        if (v != DV_NONE || c->redirect || (c->actions & 1u) || c->rewrites) {
            spu = json_object(); /* what the verdict adds to the spu members */
        } else {
            spu = NULL;
        }
        if (v != DV_NONE)
            json_object_set_new(spu, "verdict", json_string(detect_verdict_name(v)));
        if (c->redirect)
            json_object_set_new(spu, "redirect",
                                bytes_json((const uint8_t *)c->redirect, c->redirect_len));
        if (c->actions & 1u)
            json_object_set_new(spu, "shun", json_true());
        if (c->rewrites)
            json_object_set(spu, "rewrites", c->rewrites);
        eve_emit_text(&w->eve, c->text.buf + pd->off, pd->blen, c->text.buf + pd->off + pd->blen,
                      pd->slen, spu);
    }
    c->npending = 0;
    c->text.len = 0;
    json_decref(c->rewrites);
    c->rewrites = NULL;
    alert_base_clear(c);
}

/* ---- explain ---- */

static json_t *key_prog_name(const struct spu_bundle *b, uint32_t prog)
{
    uint32_t np = 0;
    const struct spu_bprog *ps = spu_bundle_progs(b, &np);
    return prog < np ? bstr_json(b, ps[prog].name) : json_null();
}

/* The tree path from the root to the node that lists rule r: one
 * "level=value" step per edge ("level=*" for an any child). */
static json_t *tree_path(const struct spu_bundle *b, const struct spu_bevent *ev, uint32_t r)
{
    uint32_t nn = 0, ne = 0;
    const struct spu_binode *nodes = spu_bundle_inodes(b, &nn);
    const struct spu_biedge *edges = spu_bundle_iedges(b, &ne);
    uint32_t at = SPU_NONE;
    for (uint32_t i = 0; i < nn && at == SPU_NONE; i++) {
        const uint32_t *rl = nodes[i].nrules ? spu_bundle_u32(b, nodes[i].rules) : NULL;
        for (uint32_t k = 0; rl && k < nodes[i].nrules; k++)
            if (rl[k] == r) {
                at = i;
                break;
            }
    }
    json_t *path = json_array();
    const uint32_t *levels = ev->nlevels ? spu_bundle_u32(b, ev->levels) : NULL;
    for (unsigned guard = 0; at != SPU_NONE && at != ev->index_root && guard < 64; guard++) {
        uint32_t parent = SPU_NONE;
        json_t *step = NULL;
        for (uint32_t i = 0; i < nn && parent == SPU_NONE; i++) {
            if (nodes[i].any == at) {
                parent = i;
                step = json_string("*");
            }
            for (uint32_t k = 0; k < nodes[i].nedges && parent == SPU_NONE; k++) {
                const struct spu_biedge *e = &edges[nodes[i].edges + k];
                if (e->child == at) {
                    parent = i;
                    uint32_t len;
                    const char *s = spu_bundle_str(b, e->value, &len);
                    static const char *const kinds[] = {"", "", "prefix ", "suffix "};
                    char buf[300];
                    snprintf(buf, sizeof(buf), "%s%.*s", kinds[e->kind & 3],
                             (int)(len > 256 ? 256 : len), s);
                    step = json_string(buf);
                }
            }
        }
        if (parent == SPU_NONE)
            break;
        json_t *o = json_object();
        uint32_t lv = nodes[parent].level;
        json_object_set_new(
            o, "level", levels && lv < ev->nlevels ? key_prog_name(b, levels[lv]) : json_null());
        json_object_set_new(o, "value", step ? step : json_null());
        json_array_insert_new(path, 0, o);
        at = parent;
    }
    return path;
}

static bool has_literal(const struct spu_value *v, const char *lit, uint32_t n, bool nocase)
{
    if (v->type == SPU_T_ARR) {
        for (uint32_t i = 0; i < v->u.arr->n; i++)
            if (has_literal(&v->u.arr->v[i], lit, n, nocase))
                return true;
        return false;
    }
    if (v->type != SPU_T_STR || v->len < n)
        return false;
    for (uint32_t i = 0; i + n <= v->len; i++) {
        uint32_t k = 0;
        while (k < n && (nocase ? tolower(v->u.s[i + k]) == tolower((unsigned char)lit[k])
                                : v->u.s[i + k] == (uint8_t)lit[k]))
            k++;
        if (k == n)
            return true;
    }
    return false;
}

/* The rule's literals that the event's fields contain. */
static json_t *literal_hits(struct detect_worker *w, uint32_t r)
{
    const struct spu_bundle *b = w->cur.db->b;
    uint32_t np = 0;
    const struct spu_bpattern *pats = spu_bundle_patterns(b, &np);
    json_t *hits = json_array();
    for (uint32_t i = 0; i < np; i++) {
        if (pats[i].rule != r || pats[i].event != w->cur.ev)
            continue;
        struct spu_value key;
        if (spu_vm_run_key(w->vm, b, pats[i].key_prog, w->cur.rec, &detect_host_ops, w, &key,
                           NULL) != SPU_OK)
            continue;
        uint32_t len;
        const char *lit = spu_bundle_str(b, pats[i].literal, &len);
        if (has_literal(&key, lit, len, pats[i].flags & SPU_IEF_NOCASE)) {
            json_t *o = json_object();
            json_object_set_new(o, "field", key_prog_name(b, pats[i].key_prog));
            json_object_set_new(o, "literal", bytes_json((const uint8_t *)lit, len));
            json_array_append_new(hits, o);
        }
    }
    return hits;
}

void detect_explain(struct detect_worker *w, const struct spu_cands *cands)
{
    const struct spu_bundle *b = w->cur.db->b;
    const struct spu_bview *v = spu_bundle_view(b);
    const struct spu_bevent *ev = &v->events[w->cur.ev];
    struct detect_env de;
    env_init(w, "explain", &de);
    json_t *x = json_object();
    json_object_set_new(x, "event", bstr_json(b, ev->name));
    json_object_set_new(x, "rules_on_event", json_integer(ev->nrules));
    json_object_set_new(x, "indexed", json_boolean(ev->index_root != SPU_NONE));
    json_t *sel = json_array();
    for (uint32_t i = 0; i < cands->n; i++) {
        uint32_t r = cands->rules[i];
        json_t *o = json_object();
        json_object_set_new(o, "gid", json_integer(v->rules[r].gid));
        json_object_set_new(o, "signature_id", json_integer(v->rules[r].sid));
        json_t *how = json_array();
        if (cands->how[i] & SPU_SEL_TREE) {
            json_array_append_new(how, json_string("tree"));
            json_object_set_new(o, "path", tree_path(b, ev, r));
        }
        if (cands->how[i] & SPU_SEL_UNINDEXED)
            json_array_append_new(how, json_string("unindexed"));
        if (cands->how[i] & SPU_SEL_PREFILTER) {
            json_array_append_new(how, json_string("prefilter"));
            json_object_set_new(o, "literals", literal_hits(w, r));
        }
        json_object_set_new(o, "how", how);
        json_array_append_new(sel, o);
    }
    json_object_set_new(x, "selected", sel);
    json_t *spu = spu_base(w);
    json_object_set_new(spu, "explain", x);
    dc_inc(w, DC_EXPLAINED);
    json_t *rec = NULL;
    if (de.monitor) {
        rec = json_object();
        json_object_set_new(rec, "monitor", de.monitor);
    }
    eve_emit_envelope(&w->eve, &de.env, rec, spu);
}

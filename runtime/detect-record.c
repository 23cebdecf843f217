/* detect-record.c - records of the runtime events (events.def) built from
 * the packet, its decoded headers and its flow, for the rule VM. */
#include "detect-int.h"

#include "arena.h"
#include "decode.h"
#include "flow.h"
#include "pkt.h"

#include <string.h>

static const struct {
    const char *name;
    enum rt_field f;
} field_names[] = {
    {"src_ip", RTF_SRC_IP},
    {"dst_ip", RTF_DST_IP},
    {"src_port", RTF_SRC_PORT},
    {"dst_port", RTF_DST_PORT},
    {"proto", RTF_PROTO},
    {"len", RTF_LEN},
    {"payload_len", RTF_PAYLOAD_LEN},
    {"tcp_flags", RTF_TCP_FLAGS},
    {"ttl", RTF_TTL},
    {"vlan", RTF_VLAN},
    {"payload", RTF_PAYLOAD},
    {"ts", RTF_TS},
    {"sensor", RTF_SENSOR},
    {"app_proto", RTF_APP_PROTO},
    {"pkts_toserver", RTF_PKTS_TOSERVER},
    {"pkts_toclient", RTF_PKTS_TOCLIENT},
    {"bytes_toserver", RTF_BYTES_TOSERVER},
    {"bytes_toclient", RTF_BYTES_TOCLIENT},
    {"duration", RTF_DURATION},
    {"state", RTF_STATE},
    {"reason", RTF_REASON},
    {"count", RTF_COUNT},
    {"window", RTF_WINDOW},
    {"total", RTF_TOTAL},
    {"threshold", RTF_THRESHOLD},
    {"source_score", RTF_SOURCE_SCORE},
    {"rules", RTF_RULES},
};

static enum rt_field field_by_name(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof(field_names) / sizeof(field_names[0]); i++)
        if (strlen(field_names[i].name) == n && memcmp(field_names[i].name, s, n) == 0)
            return field_names[i].f;
    return RTF_NONE;
}

void detect_rt_fields_init(struct detect_engine *e)
{
    static const char *const lists[RT_EV__COUNT] = {
#define RT_EVENT(id, name, fields) fields,
#include "events.def"
#undef RT_EVENT
    };
    for (unsigned id = 0; id < RT_EV__COUNT; id++) {
        unsigned n = 0;
        const char *s = lists[id];
        while (*s && n < DETECT_RT_MAX_FIELDS) {
            while (*s == ' ' || *s == ',')
                s++;
            const char *colon = strchr(s, ':');
            if (!colon)
                break;
            e->rt_fields[id][n++] = field_by_name(s, (size_t)(colon - s));
            s = strchr(colon, ',');
            if (!s)
                break;
        }
        e->rt_nfields[id] = n;
    }
}

void detect_rt_map(const struct detect_engine *e, struct detect_bundle *db)
{
    static const char *const names[RT_EV__COUNT] = {
#define RT_EVENT(id, name, fields) name,
#include "events.def"
#undef RT_EVENT
    };
    uint32_t nev = 0;
    const struct spu_bevent *evs = spu_bundle_events(db->b, &nev);
    for (unsigned id = 0; id < RT_EV__COUNT; id++) {
        db->rt_ev[id] = SPU_NONE;
        for (unsigned k = 0; k < DETECT_RT_MAX_FIELDS; k++)
            db->rt_slot[id][k] = -1;
    }
    uint32_t nfields = 0;
    const struct spu_bfield *fields = spu_bundle_fields(db->b, &nfields);
    uint32_t nlay = 0;
    const struct spu_blayout *lays = spu_bundle_layouts_raw(db->b, &nlay);
    for (uint32_t i = 0; i < nev; i++) {
        if (evs[i].kind != SPU_EV_RUNTIME || evs[i].runtime_id >= RT_EV__COUNT)
            continue;
        unsigned id = evs[i].runtime_id;
        uint32_t nlen;
        const char *nm = spu_bundle_str(db->b, evs[i].name, &nlen);
        /* the runtime id is authoritative; the name is checked as well so
         * that a bundle from another events.def is not misread */
        if (strlen(names[id]) != nlen || memcmp(names[id], nm, nlen) != 0)
            continue;
        db->rt_ev[id] = i;
        if (evs[i].layout >= nlay)
            continue;
        const struct spu_blayout *l = &lays[evs[i].layout];
        for (uint32_t k = 0; k < l->nfields && l->first_field + k < nfields; k++) {
            uint32_t fl;
            const char *fn = spu_bundle_str(db->b, fields[l->first_field + k].name, &fl);
            enum rt_field rf = field_by_name(fn, fl);
            for (unsigned j = 0; j < e->rt_nfields[id]; j++)
                if (e->rt_fields[id][j] == rf && rf != RTF_NONE)
                    db->rt_slot[id][j] = (int32_t)k;
        }
    }
}

void detect_ip16(int ipver, const uint8_t *a, uint8_t out[16])
{
    if (ipver == 6) {
        memcpy(out, a, 16);
        return;
    }
    memset(out, 0, 10);
    out[10] = out[11] = 0xff;
    memcpy(out + 12, a, 4);
}

static struct spu_value ip_value(struct spu_arena *a, int ipver, const uint8_t *addr)
{
    uint8_t *b = spu_arena_alloc(a, 16);
    if (!b)
        return spu_v_null();
    detect_ip16(ipver, addr, b);
    struct spu_value v = {
        .type = SPU_T_IP, .aux = (uint16_t)(ipver == 6 ? 6 : 4), .len = ipver == 6 ? 128u : 32u};
    v.u.s = b;
    return v;
}

static struct spu_value cstr(const char *s)
{
    return s ? spu_v_str(s, (uint32_t)strlen(s)) : spu_v_null();
}

/* A field of monitor.counts. */
static struct spu_value monitor_value(struct detect_worker *w, enum rt_field rf)
{
    const struct detect_monitor_rec *m = w->cur.mon;
    switch (rf) {
    case RTF_SENSOR:
        return cstr(m->sensor);
    case RTF_SRC_IP: {
        uint8_t *b = spu_arena_alloc(spu_vm_scratch(w->vm), 16);
        if (!b)
            return spu_v_null();
        memcpy(b, m->src, 16);
        struct spu_value v = {
            .type = SPU_T_IP, .aux = m->family, .len = m->family == 6 ? 128u : 32u};
        v.u.s = b;
        return v;
    }
    case RTF_COUNT:
        return spu_v_int(m->count);
    case RTF_WINDOW:
        return spu_v_int(m->window_ms);
    case RTF_TS:
        return spu_v_int(m->ts_ms);
    default:
        return spu_v_null();
    }
}

/* The value of field rf for the current event: from the packet when there
 * is one (its own direction), else from the flow (client = src). */
static struct spu_value field_value(struct detect_worker *w, enum rt_field rf, int reason)
{
    const struct detect_event *c = &w->cur;
    const struct decoded *d = c->d;
    const struct flow *f = c->f;
    struct spu_arena *a = spu_vm_scratch(w->vm);
    int fc = f ? f->client : 0;
    if (c->mon)
        return monitor_value(w, rf);
    switch (rf) {
    case RTF_SRC_IP:
        if (d && d->ipver)
            return ip_value(a, d->ipver, d->src);
        return f ? ip_value(a, f->key.ipver, f->key.addr[fc]) : spu_v_null();
    case RTF_DST_IP:
        if (d && d->ipver)
            return ip_value(a, d->ipver, d->dst);
        return f ? ip_value(a, f->key.ipver, f->key.addr[!fc]) : spu_v_null();
    case RTF_SRC_PORT:
        if (d)
            return d->l4ok ? spu_v_int(d->sport) : spu_v_null();
        return f ? spu_v_int(f->key.port[fc]) : spu_v_null();
    case RTF_DST_PORT:
        if (d)
            return d->l4ok ? spu_v_int(d->dport) : spu_v_null();
        return f ? spu_v_int(f->key.port[!fc]) : spu_v_null();
    case RTF_PROTO:
        if (d && d->ipver)
            return spu_v_int(d->proto);
        return f ? spu_v_int(f->key.proto) : spu_v_null();
    case RTF_LEN:
        return c->p ? spu_v_int(c->p->wirelen) : spu_v_null();
    case RTF_PAYLOAD_LEN:
        return d && d->l4ok ? spu_v_int(d->payload_len) : spu_v_null();
    case RTF_TCP_FLAGS:
        return d && d->l4ok && d->proto == 6 ? spu_v_int(d->tcp_flags) : spu_v_null();
    case RTF_TTL:
        return d && d->ipver ? spu_v_int(d->ttl) : spu_v_null();
    case RTF_VLAN:
        return d ? spu_v_int(d->nvlan ? d->vlan[0] : 0) : spu_v_null();
    case RTF_PAYLOAD:
        return d && d->l4ok && d->payload ? spu_v_str(d->payload, d->payload_len) : spu_v_null();
    case RTF_TS:
        return spu_v_int(c->ts_ns / 1000000);
    case RTF_SENSOR:
        return cstr(w->eng->cfg.sensor_name ? w->eng->cfg.sensor_name : w->in_iface);
    case RTF_APP_PROTO:
        return f && f->app_proto ? cstr(f->app_proto) : spu_v_null();
    case RTF_PKTS_TOSERVER:
        return f ? spu_v_int(f->pkts[0]) : spu_v_null();
    case RTF_PKTS_TOCLIENT:
        return f ? spu_v_int(f->pkts[1]) : spu_v_null();
    case RTF_BYTES_TOSERVER:
        return f ? spu_v_int((int64_t)f->bytes[0]) : spu_v_null();
    case RTF_BYTES_TOCLIENT:
        return f ? spu_v_int((int64_t)f->bytes[1]) : spu_v_null();
    case RTF_DURATION:
        return f ? spu_v_int((f->last_ns - f->start_ns) / 1000000000) : spu_v_null();
    case RTF_STATE:
        return f ? cstr(flow_state_name(f->state)) : spu_v_null();
    case RTF_REASON:
        return reason >= 0 ? cstr(flow_reason_name((unsigned)reason)) : spu_v_null();
    case RTF_TOTAL:
        return c->spam ? spu_v_int(c->spam->total) : spu_v_null();
    case RTF_THRESHOLD:
        return c->spam ? spu_v_int(c->spam->threshold) : spu_v_null();
    case RTF_SOURCE_SCORE:
        return c->spam ? spu_v_int(c->spam->source_score) : spu_v_null();
    case RTF_RULES:
        return c->spam ? detect_spam_rules_value(w, c->spam) : spu_v_null();
    case RTF_COUNT:
    case RTF_WINDOW:
    case RTF_NONE:
        break;
    }
    return spu_v_null();
}

struct spu_record *detect_rt_record(struct detect_worker *w, const struct detect_bundle *db,
                                    enum rt_event_id id, int reason)
{
    uint32_t nev = 0;
    const struct spu_bevent *evs = spu_bundle_events(db->b, &nev);
    const struct spu_layout *l = spu_bundle_layout(db->b, evs[db->rt_ev[id]].layout);
    if (!l)
        return NULL;
    struct spu_record *r = spu_record_new(spu_vm_scratch(w->vm), l);
    if (!r)
        return NULL;
    for (unsigned k = 0; k < w->eng->rt_nfields[id]; k++) {
        int32_t s = db->rt_slot[id][k];
        if (s >= 0 && (uint32_t)s < r->nslots)
            r->slot[s] = field_value(w, w->eng->rt_fields[id][k], reason);
    }
    return r;
}

/* eve.c - EVE records with jansson (see eve.h). */
#include "eve.h"

#include "decode.h"
#include "err.h"
#include "eve-json.h"
#include "flow.h"
#include "output.h"
#include "stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Civil date of a day count since 1970-01-01 (proleptic Gregorian). */
static void civil(int64_t days, int *y, unsigned *m, unsigned *d)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    unsigned doe = (unsigned)(days - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static char *digits(char *p, unsigned v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + n;
}

const char *eve_timestamp(int64_t ts_ns, char *buf, size_t len)
{
    int64_t sec = ts_ns / 1000000000;
    int64_t ns = ts_ns % 1000000000;
    if (ns < 0) {
        ns += 1000000000;
        sec--;
    }
    int64_t days = sec / 86400, rem = sec % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int y;
    unsigned mo, d;
    civil(days, &y, &mo, &d);
    if (len < 32 || y < 0 || y > 9999) {
        snprintf(buf, len, "0000-00-00T00:00:00.000000+0000");
        return buf;
    }
    char *p = buf;
    p = digits(p, (unsigned)y, 4);
    *p++ = '-';
    p = digits(p, mo, 2);
    *p++ = '-';
    p = digits(p, d, 2);
    *p++ = 'T';
    p = digits(p, (unsigned)(rem / 3600), 2);
    *p++ = ':';
    p = digits(p, (unsigned)(rem / 60 % 60), 2);
    *p++ = ':';
    p = digits(p, (unsigned)(rem % 60), 2);
    *p++ = '.';
    p = digits(p, (unsigned)(ns / 1000), 6);
    memcpy(p, "+0000", 6);
    return buf;
}

const char *eve_ip(int ipver, const uint8_t *a, char *buf, size_t len)
{
    if (len < 46) {
        buf[0] = 0;
        return buf;
    }
    char *p = buf;
    if (ipver == 4) {
        for (int i = 0; i < 4; i++) {
            unsigned v = a[i];
            if (v >= 100)
                *p++ = (char)('0' + v / 100);
            if (v >= 10)
                *p++ = (char)('0' + v / 10 % 10);
            *p++ = (char)('0' + v % 10);
            *p++ = i < 3 ? '.' : 0;
        }
        return buf;
    }
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        *p++ = hex[a[i] >> 4];
        *p++ = hex[a[i] & 15];
        if (i & 1)
            *p++ = i < 15 ? ':' : 0;
    }
    return buf;
}

const char *eve_proto(uint8_t proto, char *buf, size_t len)
{
    switch (proto) {
    case 1: return "ICMP";
    case 2: return "IGMP";
    case 6: return "TCP";
    case 17: return "UDP";
    case 47: return "GRE";
    case 50: return "ESP";
    case 51: return "AH";
    case 58: return "IPv6-ICMP";
    case 132: return "SCTP";
    default:
        snprintf(buf, len, "%03u", proto);
        return buf;
    }
}

uint64_t eve_flow_id(const struct flow *f)
{
    uint64_t x = flowkey_mix64(((uint64_t)f->hash << 32) ^ (uint64_t)f->start_ns ^
                               ((uint64_t)f->key.port[0] << 16) ^ f->key.proto);
    x &= ((uint64_t)1 << 51) - 1;
    return x ? x : 1;
}

void eve_endpoints_flow(struct eve_endpoints *ep, const struct flow *f)
{
    int c = f->client, s = !f->client;
    memset(ep, 0, sizeof(*ep));
    ep->ipver = f->key.ipver;
    ep->src = f->key.addr[c];
    ep->dst = f->key.addr[s];
    ep->proto = f->key.proto;
    ep->ports = f->key.proto == 6 || f->key.proto == 17 || f->key.proto == 132;
    ep->sport = f->key.port[c];
    ep->dport = f->key.port[s];
    ep->icmp = (f->key.proto == 1 && f->key.ipver == 4) || (f->key.proto == 58 && f->key.ipver == 6);
    ep->icmp_type = f->icmp_type;
    ep->icmp_code = f->icmp_code;
    ep->vlan = f->key.vlan;
    ep->nvlan = f->key.vlan[1] ? 2 : f->key.vlan[0] ? 1 : 0;
}

void eve_endpoints_packet(struct eve_endpoints *ep, const struct decoded *d)
{
    memset(ep, 0, sizeof(*ep));
    ep->ipver = d->ipver;
    ep->src = d->src;
    ep->dst = d->dst;
    ep->proto = d->proto;
    ep->ports = d->l4ok && (d->proto == 6 || d->proto == 17 || d->proto == 132);
    ep->sport = d->sport;
    ep->dport = d->dport;
    ep->icmp = d->l4ok && ((d->proto == 1 && d->ipver == 4) || (d->proto == 58 && d->ipver == 6));
    ep->icmp_type = d->icmp_type;
    ep->icmp_code = d->icmp_code;
    ep->vlan = d->vlan;
    ep->nvlan = d->nvlan;
}

bool eve_community_id(const struct eve_endpoints *ep, struct flowkey_sha1 *h, char *buf,
                      size_t len)
{
    uint16_t sp = ep->icmp ? ep->icmp_type : ep->ports ? ep->sport : 0;
    uint16_t dp = ep->icmp ? ep->icmp_code : ep->ports ? ep->dport : 0;
    return flowkey_community_id_with(h, buf, len, ep->ipver, ep->src, ep->dst, ep->proto, sp, dp);
}

bool eve_writer_community_id(struct eve_writer *w, const struct eve_endpoints *ep, char *buf,
                             size_t len)
{
    if (!w->cid_sha1)
        w->cid_sha1 = flowkey_sha1_new(); /* NULL: the one-shot hash */
    return eve_community_id(ep, w->cid_sha1, buf, len);
}

/* ---- lines to the output ---- */

/* Write a line with fn(j, arg) and hand it to the writer's output: in a
 * stack buffer, or when longer on the heap (records written as text, and
 * trees by dump_tree). */
static int emit_text(struct eve_writer *w, eve_jw_fn *fn, const void *arg)
{
    char stackbuf[4096];
    struct eve_text t = EVE_TEXT_ON(stackbuf);
    int rc = eve_text_append(&t, fn, arg) ? output_producer_line(w->out, t.buf, t.len)
                                          : SPU_ENOMEM;
    eve_text_free(&t);
    if (rc == SPU_OK)
        w->emitted++;
    else
        w->failed++;
    return rc;
}

/* emit_text's writer for a record kept as a tree: eve_json_dumpb gives the
 * length the whole line needs, as the text writers do. */
static void dump_tree(struct eve_jw *j, const void *rec)
{
    j->len = eve_json_dumpb((const json_t *)rec, j->buf, j->size);
    j->err = j->len == 0;
}

int eve_emit(struct eve_writer *w, json_t *rec, json_t *spu_extra)
{
    if (!rec) {
        json_decref(spu_extra);
        w->failed++;
        return SPU_ENOMEM;
    }
    json_t *spu = json_object();
    if (w->worker >= 0)
        json_object_set_new_nocheck(spu, "worker", json_integer(w->worker));
    if (w->thread)
        json_object_set_new_nocheck(spu, "thread", json_string(w->thread));
    if (spu_extra) {
        json_object_update(spu, spu_extra);
        json_decref(spu_extra);
    }
    json_object_set_new_nocheck(rec, "spu", spu);
    int rc = emit_text(w, dump_tree, rec);
    json_decref(rec);
    return rc;
}

/* ---- the envelope, written as text ---- */

static inline void key(struct eve_jw *j, const char *k)
{
    eve_jw_raw(j, ",\"", 2);
    eve_jw_raw(j, k, strlen(k));
    eve_jw_raw(j, "\":", 2);
}

static bool ascii(const char *s)
{
    for (; s && *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

/* key and the string s as jansson writes json_string(s); no key when
 * jansson refuses s (invalid UTF-8: json_object_set_new of a NULL value
 * leaves the key out). */
static void key_jstr(struct eve_jw *j, const char *k, const char *v)
{
    if (ascii(v)) {
        key(j, k);
        eve_jw_string(j, v, strlen(v));
        return;
    }
    json_t *s = json_string(v);
    if (s) {
        key(j, k);
        eve_jw_value(j, s);
    }
    json_decref(s);
}

/* A string spu formats itself (a timestamp, an address, a name from a
 * table, hex digits, base64): printable ASCII without '"' or '\\', written
 * without the scan for bytes to escape. */
static inline void key_plain(struct eve_jw *j, const char *k, const char *v)
{
    key(j, k);
    eve_jw_raw(j, "\"", 1);
    eve_jw_raw(j, v, strlen(v));
    eve_jw_raw(j, "\"", 1);
}

static inline void key_int(struct eve_jw *j, const char *k, json_int_t v)
{
    key(j, k);
    eve_jw_int(j, v);
}

static inline void key_str(struct eve_jw *j, const char *k, const char *v)
{
    key(j, k);
    eve_jw_string(j, v, strlen(v));
}

static bool str_ok(const char *s)
{
    if (ascii(s))
        return true;
    json_t *v = json_string(s);
    json_decref(v);
    return v != NULL;
}

bool eve_envelope_has(const struct eve_envelope *env, const char *k)
{
    const struct eve_endpoints *ep = env->ep;
    bool ip = ep && ep->ipver;
    if (!strcmp(k, "timestamp"))
        return true;
    if (!strcmp(k, "event_type"))
        return str_ok(env->event_type);
    if (!strcmp(k, "flow_id"))
        return env->flow_id != 0;
    if (!strcmp(k, "in_iface"))
        return env->in_iface && str_ok(env->in_iface);
    if (!strcmp(k, "vlan"))
        return ep && ep->nvlan;
    if (!strcmp(k, "src_ip"))
        return ip || env->src_ip;
    if (!strcmp(k, "dest_ip") || !strcmp(k, "ip_v") || !strcmp(k, "proto"))
        return ip;
    if (!strcmp(k, "src_port") || !strcmp(k, "dest_port"))
        return ip && ep->ports;
    if (!strcmp(k, "icmp_type") || !strcmp(k, "icmp_code"))
        return ip && ep->icmp;
    if (!strcmp(k, "pcap_cnt"))
        return env->pcap_cnt != 0;
    if (!strcmp(k, "app_proto"))
        return env->app_proto && str_ok(env->app_proto);
    if (!strcmp(k, "tx_id"))
        return env->tx_id >= 0;
    if (!strcmp(k, "community_id")) {
        char b[64];
        return ip && (env->community_id || eve_community_id(ep, NULL, b, sizeof(b)));
    }
    return false;
}

/* Write member k of the envelope: over's value when over has k (a record's
 * member replaces the envelope's where it stands), else what fn writes. */
#define MEMBER(j, over, k, stmt)                                                                 \
    do {                                                                                         \
        const json_t *o_ = (over) ? json_object_get((over), (k)) : NULL;                         \
        if (o_) {                                                                                \
            key((j), (k));                                                                       \
            eve_jw_value((j), o_);                                                               \
        } else {                                                                                 \
            stmt;                                                                                \
        }                                                                                        \
    } while (0)

/* The envelope's members in Suricata's order, the first without a comma:
 * the fields of eve-envelope.def (test-eve-envelope checks). */
static void envelope_members(struct eve_jw *j, const struct eve_envelope *env,
                             struct flowkey_sha1 *h, const json_t *over)
{
    const struct eve_endpoints *ep = env->ep;
    char b[64];
    const json_t *ots = over ? json_object_get(over, "timestamp") : NULL;
    eve_jw_raw(j, "\"timestamp\":", 12);
    if (ots) {
        eve_jw_value(j, ots);
    } else {
        const char *ts = eve_timestamp(env->ts_ns, b, sizeof(b));
        eve_jw_raw(j, "\"", 1);
        eve_jw_raw(j, ts, strlen(ts));
        eve_jw_raw(j, "\"", 1);
    }
    if (env->flow_id)
        MEMBER(j, over, "flow_id", key_int(j, "flow_id", (json_int_t)env->flow_id));
    if (env->in_iface)
        MEMBER(j, over, "in_iface", key_jstr(j, "in_iface", env->in_iface));
    MEMBER(j, over, "event_type", key_jstr(j, "event_type", env->event_type));
    if (ep && ep->nvlan) {
        MEMBER(j, over, "vlan", {
            key(j, "vlan");
            for (unsigned i = 0; i < ep->nvlan; i++) {
                eve_jw_raw(j, i ? "," : "[", 1);
                eve_jw_int(j, ep->vlan[i]);
            }
            eve_jw_raw(j, "]", 1);
        });
    }
    if (ep && ep->ipver) {
        MEMBER(j, over, "src_ip",
               env->src_ip ? key_jstr(j, "src_ip", env->src_ip)
                           : key_plain(j, "src_ip", eve_ip(ep->ipver, ep->src, b, sizeof(b))));
        if (ep->ports)
            MEMBER(j, over, "src_port", key_int(j, "src_port", ep->sport));
        MEMBER(j, over, "dest_ip", key_plain(j, "dest_ip", eve_ip(ep->ipver, ep->dst, b, sizeof(b))));
        if (ep->ports)
            MEMBER(j, over, "dest_port", key_int(j, "dest_port", ep->dport));
        MEMBER(j, over, "ip_v", key_int(j, "ip_v", ep->ipver));
        MEMBER(j, over, "proto", key_plain(j, "proto", eve_proto(ep->proto, b, sizeof(b))));
        if (ep->icmp) {
            MEMBER(j, over, "icmp_type", key_int(j, "icmp_type", ep->icmp_type));
            MEMBER(j, over, "icmp_code", key_int(j, "icmp_code", ep->icmp_code));
        }
    }
    if (env->pcap_cnt)
        MEMBER(j, over, "pcap_cnt", key_int(j, "pcap_cnt", (json_int_t)env->pcap_cnt));
    if (env->app_proto)
        MEMBER(j, over, "app_proto", key_jstr(j, "app_proto", env->app_proto));
    if (env->tx_id >= 0)
        MEMBER(j, over, "tx_id", key_int(j, "tx_id", env->tx_id));
    if (ep && ep->ipver) {
        const char *cid = env->community_id;
        if (!cid && eve_community_id(ep, h, b, sizeof(b)))
            cid = b;
        if (cid)
            MEMBER(j, over, "community_id", key_plain(j, "community_id", cid));
    } else if (env->src_ip) {
        /* no endpoints: src_ip comes after the others (the monitor case) */
        MEMBER(j, over, "src_ip", key_jstr(j, "src_ip", env->src_ip));
    }
}

void eve_jw_envelope(struct eve_jw *j, const struct eve_envelope *env, struct flowkey_sha1 *h)
{
    envelope_members(j, env, h, NULL);
}

/* The spu object's members: worker and thread (a member of spu_extra of
 * that name replaces them where they stand), then spu_extra's others. */
static void spu_members(struct eve_jw *j, const struct eve_writer *w, const json_t *spu_extra)
{
    const json_t *ow = spu_extra ? json_object_get(spu_extra, "worker") : NULL;
    const json_t *ot = spu_extra ? json_object_get(spu_extra, "thread") : NULL;
    bool first = true;
    if (w->worker >= 0) {
        eve_jw_raw(j, "\"worker\":", 9);
        if (ow)
            eve_jw_value(j, ow);
        else
            eve_jw_int(j, w->worker);
        first = false;
    }
    if (w->thread) {
        json_t *t = ot ? NULL : json_string(w->thread);
        if (ot || t) {
            eve_jw_raw(j, first ? "\"thread\":" : ",\"thread\":", first ? 9 : 10);
            eve_jw_value(j, ot ? ot : t);
            first = false;
        }
        json_decref(t);
    }
    json_t *m = (json_t *)spu_extra; /* jansson's iterators take non-const values */
    for (void *it = m ? json_object_iter(m) : NULL; it; it = json_object_iter_next(m, it)) {
        const char *k = json_object_iter_key(it);
        if ((w->worker >= 0 && !strcmp(k, "worker")) || (w->thread && !strcmp(k, "thread")))
            continue;
        if (!first)
            eve_jw_raw(j, ",", 1);
        first = false;
        eve_jw_string(j, k, json_object_iter_key_len(it));
        eve_jw_raw(j, ":", 1);
        eve_jw_value(j, json_object_iter_value(it));
    }
}

/* The line of a record with the envelope env, then rec's members (one that
 * names an envelope field replaces the envelope's value where it stands),
 * then the spu object. */
struct envelope_args {
    const struct eve_writer *w;
    const struct eve_envelope *env;
    const json_t *rec, *spu_extra;
};

/* Whether a member of rec is named as an envelope field (rare: most
 * records have one member, their event's object). */
static bool names_envelope(const json_t *rec)
{
    static const char *const names[] = {
#define EVE_ENVELOPE(name) name,
#include "eve-envelope.def"
#undef EVE_ENVELOPE
    };
    json_t *m = (json_t *)rec; /* jansson's iterators take non-const values */
    for (void *it = m ? json_object_iter(m) : NULL; it; it = json_object_iter_next(m, it))
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            if (strcmp(json_object_iter_key(it), names[i]) == 0)
                return true;
    return false;
}

static void write_envelope(struct eve_jw *j, const void *arg)
{
    const struct envelope_args *a = arg;
    const json_t *rec = a->rec;
    const json_t *over = names_envelope(rec) ? rec : NULL;
    eve_jw_raw(j, "{", 1);
    envelope_members(j, a->env, a->w->cid_sha1, over);
    bool spu_done = false;
    json_t *m = (json_t *)rec;
    for (void *it = m ? json_object_iter(m) : NULL; it; it = json_object_iter_next(m, it)) {
        const char *k = json_object_iter_key(it);
        if (!strcmp(k, "spu")) {
            /* the spu object replaces it where it stands */
            eve_jw_raw(j, ",\"spu\":{", 8);
            spu_members(j, a->w, a->spu_extra);
            eve_jw_raw(j, "}", 1);
            spu_done = true;
            continue;
        }
        if (over && eve_envelope_has(a->env, k))
            continue;
        eve_jw_raw(j, ",", 1);
        eve_jw_string(j, k, json_object_iter_key_len(it));
        eve_jw_raw(j, ":", 1);
        eve_jw_value(j, json_object_iter_value(it));
    }
    if (!spu_done) {
        eve_jw_raw(j, ",\"spu\":{", 8);
        spu_members(j, a->w, a->spu_extra);
        eve_jw_raw(j, "}", 1);
    }
    eve_jw_raw(j, "}", 1);
}

int eve_emit_envelope(struct eve_writer *w, const struct eve_envelope *env, json_t *rec,
                      json_t *spu_extra)
{
    if (!env->community_id && env->ep && env->ep->ipver && !w->cid_sha1)
        w->cid_sha1 = flowkey_sha1_new(); /* NULL: the one-shot hash */
    struct envelope_args a = {w, env, rec, spu_extra};
    int rc = emit_text(w, write_envelope, &a);
    json_decref(rec);
    json_decref(spu_extra);
    return rc;
}

struct tree_args {
    const struct eve_envelope *env;
    const json_t *rec;
};

static void write_tree(struct eve_jw *j, const void *arg)
{
    const struct tree_args *a = arg;
    eve_jw_raw(j, "{", 1);
    eve_jw_envelope(j, a->env, NULL);
    eve_jw_members(j, a->rec, true);
    eve_jw_raw(j, "}", 1);
}

json_t *eve_record_tree(const struct eve_envelope *env, const json_t *rec)
{
    struct tree_args a = {env, rec};
    char none[1];
    struct eve_jw j = {none, 0, 0, false};
    write_tree(&j, &a); /* the length */
    char *buf = j.err ? NULL : malloc(j.len);
    if (!buf)
        return NULL;
    size_t n = j.len;
    j = (struct eve_jw){buf, n, 0, false};
    write_tree(&j, &a);
    json_t *o = !j.err && j.len == n ? json_loadb(buf, n, 0, NULL) : NULL;
    free(buf);
    return o;
}

struct text_args {
    const struct eve_writer *w;
    const char *body, *spu;
    size_t blen, slen;
    const json_t *spu_tail;
};

static void write_text(struct eve_jw *j, const void *arg)
{
    const struct text_args *a = arg;
    eve_jw_raw(j, "{", 1);
    eve_jw_raw(j, a->body, a->blen);
    eve_jw_raw(j, ",\"spu\":{", 8);
    bool first = true;
    if (a->w->worker >= 0) {
        eve_jw_raw(j, "\"worker\":", 9);
        eve_jw_int(j, a->w->worker);
        first = false;
    }
    if (a->w->thread) {
        eve_jw_raw(j, first ? "\"thread\":" : ",\"thread\":", first ? 9 : 10);
        eve_jw_string(j, a->w->thread, strlen(a->w->thread));
        first = false;
    }
    /* spu's members each start with a comma: none before the first */
    if (first && a->slen)
        eve_jw_raw(j, a->spu + 1, a->slen - 1);
    else
        eve_jw_raw(j, a->spu, a->slen);
    if (a->spu_tail)
        eve_jw_members(j, a->spu_tail, !first || a->slen);
    eve_jw_raw(j, "}}", 2);
}

int eve_emit_text(struct eve_writer *w, const char *body, size_t blen, const char *spu,
                  size_t slen, json_t *spu_tail)
{
    struct text_args a = {w, body, spu, blen, slen, spu_tail};
    int rc = emit_text(w, write_text, &a);
    json_decref(spu_tail);
    return rc;
}

static void flags_hex(uint8_t f, char *buf)
{
    static const char hex[] = "0123456789abcdef";
    buf[0] = hex[f >> 4];
    buf[1] = hex[f & 15];
    buf[2] = 0;
}

void eve_writer_fini(struct eve_writer *w)
{
    flowkey_sha1_free(w->cid_sha1);
    w->cid_sha1 = NULL;
}

static void key_true(struct eve_jw *j, const char *k, bool on)
{
    if (on) {
        key(j, k);
        eve_jw_raw(j, "true", 4);
    }
}

/* The flow record's text, its keys always in this order. */
struct flow_args {
    const struct eve_writer *w;
    const struct flow *f;
    unsigned reason;
    const char *in_iface;
};

static void write_flow(struct eve_jw *j, const void *arg)
{
    const struct flow_args *a = arg;
    const struct eve_writer *w = a->w;
    const struct flow *f = a->f;
    const char *in_iface = a->in_iface;
    struct eve_endpoints ep;
    eve_endpoints_flow(&ep, f);
    char b[64], last[64]; /* the record's time is the flow's end */
    const char *ts = eve_timestamp(f->last_ns, last, sizeof(last));
    eve_jw_raw(j, "{\"timestamp\":\"", 14);
    eve_jw_raw(j, ts, strlen(ts));
    eve_jw_raw(j, "\"", 1);
    key_int(j, "flow_id", (json_int_t)eve_flow_id(f));
    if (in_iface)
        key_str(j, "in_iface", in_iface);
    key_plain(j, "event_type", "flow");
    if (ep.nvlan) {
        key(j, "vlan");
        for (unsigned i = 0; i < ep.nvlan; i++) {
            eve_jw_raw(j, i ? "," : "[", 1);
            eve_jw_int(j, ep.vlan[i]);
        }
        eve_jw_raw(j, "]", 1);
    }
    key_plain(j, "src_ip", eve_ip(ep.ipver, ep.src, b, sizeof(b)));
    if (ep.ports)
        key_int(j, "src_port", ep.sport);
    key_plain(j, "dest_ip", eve_ip(ep.ipver, ep.dst, b, sizeof(b)));
    if (ep.ports)
        key_int(j, "dest_port", ep.dport);
    key_int(j, "ip_v", ep.ipver);
    key_plain(j, "proto", eve_proto(ep.proto, b, sizeof(b)));
    if (ep.icmp) {
        key_int(j, "icmp_type", ep.icmp_type);
        key_int(j, "icmp_code", ep.icmp_code);
    }
    if (eve_community_id(&ep, w->cid_sha1, b, sizeof(b)))
        key_plain(j, "community_id", b);
    if (f->app_proto)
        key_str(j, "app_proto", f->app_proto);
    eve_jw_raw(j, ",\"flow\":{\"pkts_toserver\":", 25);
    eve_jw_int(j, f->pkts[0]);
    key_int(j, "pkts_toclient", f->pkts[1]);
    key_int(j, "bytes_toserver", (json_int_t)f->bytes[0]);
    key_int(j, "bytes_toclient", (json_int_t)f->bytes[1]);
    key_plain(j, "start", eve_timestamp(f->start_ns, b, sizeof(b)));
    key_plain(j, "end", ts);
    key_int(j, "age", (f->last_ns / 1000000000) - (f->start_ns / 1000000000));
    key_plain(j, "state", flow_state_name(f->state));
    key_plain(j, "reason", flow_reason_name(a->reason));
    eve_jw_raw(j, ",\"alerted\":false}", 17);
    if (f->key.proto == 6 && (f->flags & FLOW_F_TCP_SESSION)) {
        uint8_t all = f->tcp_flags[0] | f->tcp_flags[1];
        char h[3];
        flags_hex(all, h);
        eve_jw_raw(j, ",\"tcp\":{\"tcp_flags\":", 20);
        eve_jw_string(j, h, 2);
        flags_hex(f->tcp_flags[0], h);
        key_plain(j, "tcp_flags_ts", h);
        flags_hex(f->tcp_flags[1], h);
        key_plain(j, "tcp_flags_tc", h);
        static const struct {
            uint8_t bit;
            const char *name;
        } names[] = {{TH_SYN, "syn"}, {TH_FIN, "fin"}, {TH_RST, "rst"}, {TH_PSH, "psh"},
                     {TH_ACK, "ack"}, {TH_URG, "urg"}, {TH_ECE, "ecn"}, {TH_CWR, "cwr"}};
        for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            key_true(j, names[i].name, all & names[i].bit);
        key_plain(j, "state", flow_tcp_state_name(f->tcp_state));
        key_true(j, "ts_gap", f->sd[0].flags & SD_GAP);
        key_true(j, "tc_gap", f->sd[1].flags & SD_GAP);
        key_int(j, "ts_max_regions", f->sd[0].max_regions ? f->sd[0].max_regions : 1);
        key_int(j, "tc_max_regions", f->sd[1].max_regions ? f->sd[1].max_regions : 1);
        eve_jw_raw(j, "}", 1);
    }
    eve_jw_raw(j, ",\"spu\":{", 8);
    bool first = true;
    if (w->worker >= 0) {
        eve_jw_raw(j, "\"worker\":", 9);
        eve_jw_int(j, w->worker);
        first = false;
    }
    if (f->flags & FLOW_F_MIDSTREAM)
        eve_jw_raw(j, first ? "\"midstream\":true" : ",\"midstream\":true", first ? 16 : 17);
    eve_jw_raw(j, "}}", 2);
}

int eve_flow(struct eve_writer *w, const struct flow *f, unsigned reason, const char *in_iface)
{
    if (!w->cid_sha1)
        w->cid_sha1 = flowkey_sha1_new(); /* NULL: the one-shot hash */
    struct flow_args a = {w, f, reason, in_iface};
    return emit_text(w, write_flow, &a);
}

int eve_anomaly(struct eve_writer *w, unsigned code, int64_t ts_ns, uint64_t pcap_cnt,
                const struct decoded *d, const struct flow *f, const char *in_iface)
{
    struct eve_endpoints ep;
    const struct eve_endpoints *epp = NULL;
    if (f) {
        eve_endpoints_flow(&ep, f);
        epp = &ep;
    } else if (d && d->ipver) {
        eve_endpoints_packet(&ep, d);
        epp = &ep;
    }
    struct eve_envelope env = {.ts_ns = ts_ns,
                               .event_type = "anomaly",
                               .flow_id = f ? eve_flow_id(f) : 0,
                               .pcap_cnt = pcap_cnt,
                               .in_iface = in_iface,
                               .ep = epp,
                               .tx_id = -1};
    json_t *o = json_object(), *a = json_object();
    if (!o || !a) {
        json_decref(o);
        json_decref(a);
        return eve_emit(w, NULL, NULL);
    }
    json_object_set_new_nocheck(o, "anomaly", a);
    json_object_set_new_nocheck(a, "type",
                        json_string(anomaly_kind(code) == ANOMALY_STREAM ? "stream" : "decode"));
    json_object_set_new_nocheck(a, "event", json_string(anomaly_name(code)));
    return eve_emit_envelope(w, &env, o, NULL);
}

/* Set a dotted path ("decoder.event.ipv4.trunc_pkt") in nested objects. */
static void set_path(json_t *root, const char *path, json_t *val)
{
    char buf[160];
    snprintf(buf, sizeof(buf), "%s", path);
    json_t *o = root;
    char *part = buf;
    for (char *dot; (dot = strchr(part, '.')); part = dot + 1) {
        *dot = 0;
        json_t *next = json_object_get(o, part);
        if (!json_is_object(next)) {
            next = json_object();
            json_object_set_new_nocheck(o, part, next);
        }
        o = next;
    }
    json_object_set_new_nocheck(o, part, val);
}

int eve_stats(struct eve_writer *w, int64_t ts_ns, int64_t uptime_s, const struct stats_block *s,
              json_t *gauges, json_t *spu_extra)
{
    return eve_stats_emit(w, ts_ns, eve_stats_record(uptime_s, s, gauges, spu_extra));
}

int eve_stats_emit(struct eve_writer *w, int64_t ts_ns, json_t *rec)
{
    if (!rec)
        return eve_emit(w, NULL, NULL);
    json_t *spu = json_incref(json_object_get(rec, "spu"));
    json_object_del(rec, "spu");
    struct eve_envelope env = {.ts_ns = ts_ns, .event_type = "stats", .tx_id = -1};
    return eve_emit_envelope(w, &env, rec, spu);
}

json_t *eve_stats_record(int64_t uptime_s, const struct stats_block *s, json_t *gauges,
                         json_t *spu_extra)
{
    json_t *o = json_object();
    if (!o) {
        json_decref(gauges);
        json_decref(spu_extra);
        return NULL;
    }
    json_t *st = json_object();
    json_t *spu = spu_extra ? spu_extra : json_object();
    json_object_set_new_nocheck(st, "uptime", json_integer(uptime_s));
    uint64_t pkts = 0, bytes = 0;
    for (unsigned i = 0; i < CNT__COUNT; i++) {
        const char *name = stats_counter_name(i);
        uint64_t v = stats_get(s, i);
        if (i == CNT_DEC_PKTS)
            pkts = v;
        if (i == CNT_DEC_BYTES)
            bytes = v;
        if (strncmp(name, "spu.", 4) == 0)
            set_path(spu, name + 4, json_integer((json_int_t)v));
        else
            set_path(st, name, json_integer((json_int_t)v));
    }
    set_path(st, "decoder.avg_pkt_size", json_integer(pkts ? (json_int_t)(bytes / pkts) : 0));
    for (unsigned i = 0; i < ANOM__COUNT; i++) {
        char name[128];
        uint64_t v = atomic_load_explicit(&((struct stats_block *)s)->anom[i],
                                          memory_order_relaxed);
        anomaly_counter_name(i, name, sizeof(name));
        if (strncmp(name, "decoder.", 8) == 0)
            set_path(st, name, json_integer((json_int_t)v));
        else
            set_path(spu, name, json_integer((json_int_t)v));
    }
    if (gauges) {
        const char *k;
        json_t *v;
        json_object_foreach(gauges, k, v) set_path(st, k, json_incref(v));
        json_decref(gauges);
    }
    json_object_set_new_nocheck(o, "stats", st);
    json_object_set_new_nocheck(o, "spu", spu);
    return o;
}

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

/* The fields written here are those of eve-envelope.def (test-eve checks). */
json_t *eve_begin(int64_t ts_ns, const char *event_type, uint64_t flow_id, uint64_t pcap_cnt,
                  const char *in_iface, const struct eve_endpoints *ep, const char *app_proto,
                  int64_t tx_id)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    char b1[64], b2[64];
    json_object_set_new_nocheck(o, "timestamp", json_string(eve_timestamp(ts_ns, b1, sizeof(b1))));
    if (flow_id)
        json_object_set_new_nocheck(o, "flow_id", json_integer((json_int_t)flow_id));
    if (in_iface)
        json_object_set_new_nocheck(o, "in_iface", json_string(in_iface));
    json_object_set_new_nocheck(o, "event_type", json_string(event_type));
    if (ep && ep->nvlan) {
        json_t *v = json_array();
        for (unsigned i = 0; i < ep->nvlan; i++)
            json_array_append_new(v, json_integer(ep->vlan[i]));
        json_object_set_new_nocheck(o, "vlan", v);
    }
    if (ep && ep->ipver) {
        json_object_set_new_nocheck(o, "src_ip", json_string(eve_ip(ep->ipver, ep->src, b1, sizeof(b1))));
        if (ep->ports)
            json_object_set_new_nocheck(o, "src_port", json_integer(ep->sport));
        json_object_set_new_nocheck(o, "dest_ip",
                            json_string(eve_ip(ep->ipver, ep->dst, b1, sizeof(b1))));
        if (ep->ports)
            json_object_set_new_nocheck(o, "dest_port", json_integer(ep->dport));
        json_object_set_new_nocheck(o, "ip_v", json_integer(ep->ipver));
        json_object_set_new_nocheck(o, "proto", json_string(eve_proto(ep->proto, b2, sizeof(b2))));
        if (ep->icmp) {
            json_object_set_new_nocheck(o, "icmp_type", json_integer(ep->icmp_type));
            json_object_set_new_nocheck(o, "icmp_code", json_integer(ep->icmp_code));
        }
    }
    if (pcap_cnt)
        json_object_set_new_nocheck(o, "pcap_cnt", json_integer((json_int_t)pcap_cnt));
    if (app_proto)
        json_object_set_new_nocheck(o, "app_proto", json_string(app_proto));
    if (tx_id >= 0)
        json_object_set_new_nocheck(o, "tx_id", json_integer(tx_id));
    if (ep && ep->ipver) {
        char cid[64];
        if (eve_community_id(ep, NULL, cid, sizeof(cid)))
            json_object_set_new_nocheck(o, "community_id", json_string(cid));
    }
    return o;
}

/* ---- lines to the output ---- */

/* Write a line with fn(j, arg) and hand it to the writer's output: in a
 * stack buffer, or when longer written again into one of its length
 * (records written as text, and trees by dump_tree). */
static int emit_text(struct eve_writer *w, void (*fn)(struct eve_jw *j, const void *arg),
                     const void *arg)
{
    char stackbuf[4096];
    struct eve_jw j = {stackbuf, sizeof(stackbuf), 0, false};
    fn(&j, arg);
    char *big = NULL;
    if (!j.err && j.len > sizeof(stackbuf)) {
        size_t want = j.len;
        big = malloc(want);
        j = (struct eve_jw){big, want, 0, false};
        if (big)
            fn(&j, arg);
        j.err = j.err || !big || j.len != want;
    }
    int rc = j.err ? SPU_ENOMEM : output_producer_line(w->out, j.buf, j.len);
    free(big);
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

/* ---- an application record written without building its envelope ---- */

static bool is_envelope_key(const char *k)
{
    static const char *const names[] = {
#define EVE_ENVELOPE(name) name,
#include "eve-envelope.def"
#undef EVE_ENVELOPE
        "spu",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(k, names[i]) == 0)
            return true;
    return false;
}

static bool ascii(const char *s)
{
    for (; s && *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

/* Whether eve_begin + json_object_update + eve_emit would write another
 * text than write_envelope: a key of rec in the envelope (the update would
 * replace it where it stands), a worker or thread in spu_extra, or a
 * string jansson would refuse (json_string of invalid UTF-8 is NULL, and
 * its key is then left out). */
static bool needs_tree(const struct eve_writer *w, const struct eve_envelope *env,
                       const json_t *rec, const json_t *spu_extra)
{
    if (!ascii(env->event_type) || !ascii(env->in_iface) || !ascii(env->app_proto) ||
        !ascii(w->thread))
        return true;
    json_t *r = (json_t *)rec; /* jansson's iterators take non-const values */
    for (void *it = r ? json_object_iter(r) : NULL; it; it = json_object_iter_next(r, it))
        if (is_envelope_key(json_object_iter_key(it)))
            return true;
    return spu_extra && (json_object_get(spu_extra, "worker") || json_object_get(spu_extra, "thread"));
}

static inline void key(struct eve_jw *j, const char *k)
{
    eve_jw_raw(j, ",\"", 2);
    eve_jw_raw(j, k, strlen(k));
    eve_jw_raw(j, "\":", 2);
}

static inline void key_str(struct eve_jw *j, const char *k, const char *v)
{
    key(j, k);
    eve_jw_string(j, v, strlen(v));
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

/* The text eve_begin's object with rec's members and eve_emit's spu object
 * would have (the same keys in the same order). */
struct envelope_args {
    const struct eve_writer *w;
    const struct eve_envelope *env;
    const json_t *rec, *spu_extra;
};

static void write_envelope(struct eve_jw *j, const void *arg)
{
    const struct envelope_args *a = arg;
    const struct eve_writer *w = a->w;
    const struct eve_envelope *env = a->env;
    const json_t *rec = a->rec, *spu_extra = a->spu_extra;
    const struct eve_endpoints *ep = env->ep;
    char b[64];
    const char *ts = eve_timestamp(env->ts_ns, b, sizeof(b));
    eve_jw_raw(j, "{\"timestamp\":\"", 14);
    eve_jw_raw(j, ts, strlen(ts));
    eve_jw_raw(j, "\"", 1);
    if (env->flow_id)
        key_int(j, "flow_id", (json_int_t)env->flow_id);
    if (env->in_iface)
        key_str(j, "in_iface", env->in_iface);
    key_str(j, "event_type", env->event_type);
    if (ep && ep->nvlan) {
        key(j, "vlan");
        for (unsigned i = 0; i < ep->nvlan; i++) {
            eve_jw_raw(j, i ? "," : "[", 1);
            eve_jw_int(j, ep->vlan[i]);
        }
        eve_jw_raw(j, "]", 1);
    }
    if (ep && ep->ipver) {
        key_plain(j, "src_ip", eve_ip(ep->ipver, ep->src, b, sizeof(b)));
        if (ep->ports)
            key_int(j, "src_port", ep->sport);
        key_plain(j, "dest_ip", eve_ip(ep->ipver, ep->dst, b, sizeof(b)));
        if (ep->ports)
            key_int(j, "dest_port", ep->dport);
        key_int(j, "ip_v", ep->ipver);
        key_plain(j, "proto", eve_proto(ep->proto, b, sizeof(b)));
        if (ep->icmp) {
            key_int(j, "icmp_type", ep->icmp_type);
            key_int(j, "icmp_code", ep->icmp_code);
        }
    }
    if (env->pcap_cnt)
        key_int(j, "pcap_cnt", (json_int_t)env->pcap_cnt);
    if (env->app_proto)
        key_str(j, "app_proto", env->app_proto);
    if (env->tx_id >= 0)
        key_int(j, "tx_id", env->tx_id);
    if (ep && ep->ipver) {
        const char *cid = env->community_id;
        if (!cid && eve_community_id(ep, w->cid_sha1, b, sizeof(b)))
            cid = b;
        if (cid)
            key_plain(j, "community_id", cid);
    }
    if (rec)
        eve_jw_members(j, rec, true);
    eve_jw_raw(j, ",\"spu\":{", 8);
    bool first = true;
    if (w->worker >= 0) {
        eve_jw_raw(j, "\"worker\":", 9);
        eve_jw_int(j, w->worker);
        first = false;
    }
    if (w->thread) {
        eve_jw_raw(j, first ? "\"thread\":" : ",\"thread\":", first ? 9 : 10);
        eve_jw_string(j, w->thread, strlen(w->thread));
        first = false;
    }
    if (spu_extra)
        eve_jw_members(j, spu_extra, !first);
    eve_jw_raw(j, "}}", 2);
}

int eve_emit_envelope(struct eve_writer *w, const struct eve_envelope *env, json_t *rec,
                      json_t *spu_extra)
{
    if (needs_tree(w, env, rec, spu_extra)) {
        json_t *o = eve_begin(env->ts_ns, env->event_type, env->flow_id, env->pcap_cnt,
                              env->in_iface, env->ep, env->app_proto, env->tx_id);
        if (o && rec)
            json_object_update(o, rec);
        json_decref(rec);
        return eve_emit(w, o, spu_extra);
    }
    if (!env->community_id && env->ep && env->ep->ipver && !w->cid_sha1)
        w->cid_sha1 = flowkey_sha1_new(); /* NULL: the one-shot hash */
    struct envelope_args a = {w, env, rec, spu_extra};
    int rc = emit_text(w, write_envelope, &a);
    json_decref(rec);
    json_decref(spu_extra);
    return rc;
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
    json_t *o = eve_stats_record(ts_ns, uptime_s, s, gauges, spu_extra);
    if (!o)
        return eve_emit(w, NULL, NULL);
    json_t *spu = json_incref(json_object_get(o, "spu"));
    json_object_del(o, "spu");
    return eve_emit(w, o, spu);
}

json_t *eve_stats_record(int64_t ts_ns, int64_t uptime_s, const struct stats_block *s,
                         json_t *gauges, json_t *spu_extra)
{
    json_t *o = eve_begin(ts_ns, "stats", 0, 0, NULL, NULL, NULL, -1);
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

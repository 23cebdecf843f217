/*
 * Unit tests for eve_emit_envelope (runtime/eve.c), the one writer of the
 * envelope (as text): its line is, byte for byte, the line of a jansson
 * tree built here from the envelope's fields (tree_envelope: the fields of
 * eve-envelope.def in Suricata's order, the model the text must match) +
 * json_object_update + eve_emit, for envelopes with and without each
 * optional field (vlan, ports, ICMP, IPv6, in_iface, pcap_cnt, app_proto,
 * tx_id, a given Community ID, a replaced src_ip), spu extras, records
 * longer than the stack buffer, records that name an envelope key or carry
 * text jansson refuses, and no record at all; every key the text envelope
 * has is one of eve-envelope.def and eve_envelope_has() says which. The
 * flow record: one key order, exact text.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode.h"
#include "err.h"
#include "eve.h"
#include "flow.h"
#include "flowkey.h"
#include "output.h"

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = 0;
    fclose(f);
    return s;
}

/* A writer on a new temporary file. */
struct sink {
    char path[64];
    struct output *out;
    struct eve_writer w;
};

static void sink_open(struct sink *s, int worker, const char *thread)
{
    strcpy(s->path, "/tmp/test-eve-envelope-XXXXXX");
    int fd = mkstemp(s->path);
    cr_assert_geq(fd, 0);
    close(fd);
    struct spu_error err;
    s->out = output_open(s->path, 1, &err);
    cr_assert_not_null(s->out);
    memset(&s->w, 0, sizeof(s->w));
    s->w.out = output_producer(s->out, 0);
    s->w.worker = worker;
    s->w.thread = thread;
}

static char *sink_close(struct sink *s)
{
    eve_writer_fini(&s->w);
    cr_assert_eq(output_close(s->out, NULL), 0);
    char *text = read_file(s->path);
    unlink(s->path);
    return text;
}

static bool ascii(const char *s)
{
    for (; s && *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

/* eve_record_tree parses the text back: only when it is valid UTF-8. */
static bool ascii_env(const struct eve_envelope *env)
{
    return ascii(env->event_type) && ascii(env->in_iface) && ascii(env->app_proto);
}

static const char *const table[] = {
#define EVE_ENVELOPE(name) name,
#include "eve-envelope.def"
#undef EVE_ENVELOPE
};

/* The envelope as a jansson tree, field by field (the model). */
static json_t *tree_envelope(const struct eve_envelope *env)
{
    const struct eve_endpoints *ep = env->ep;
    json_t *o = json_object();
    char b[64];
    json_object_set_new(o, "timestamp", json_string(eve_timestamp(env->ts_ns, b, sizeof(b))));
    if (env->flow_id)
        json_object_set_new(o, "flow_id", json_integer((json_int_t)env->flow_id));
    if (env->in_iface)
        json_object_set_new(o, "in_iface", json_string(env->in_iface));
    json_object_set_new(o, "event_type", json_string(env->event_type));
    if (ep && ep->nvlan) {
        json_t *v = json_array();
        for (unsigned i = 0; i < ep->nvlan; i++)
            json_array_append_new(v, json_integer(ep->vlan[i]));
        json_object_set_new(o, "vlan", v);
    }
    if (ep && ep->ipver) {
        json_object_set_new(o, "src_ip", json_string(eve_ip(ep->ipver, ep->src, b, sizeof(b))));
        if (ep->ports)
            json_object_set_new(o, "src_port", json_integer(ep->sport));
        json_object_set_new(o, "dest_ip", json_string(eve_ip(ep->ipver, ep->dst, b, sizeof(b))));
        if (ep->ports)
            json_object_set_new(o, "dest_port", json_integer(ep->dport));
        json_object_set_new(o, "ip_v", json_integer(ep->ipver));
        json_object_set_new(o, "proto", json_string(eve_proto(ep->proto, b, sizeof(b))));
        if (ep->icmp) {
            json_object_set_new(o, "icmp_type", json_integer(ep->icmp_type));
            json_object_set_new(o, "icmp_code", json_integer(ep->icmp_code));
        }
    }
    if (env->pcap_cnt)
        json_object_set_new(o, "pcap_cnt", json_integer((json_int_t)env->pcap_cnt));
    if (env->app_proto)
        json_object_set_new(o, "app_proto", json_string(env->app_proto));
    if (env->tx_id >= 0)
        json_object_set_new(o, "tx_id", json_integer(env->tx_id));
    if (ep && ep->ipver && eve_community_id(ep, NULL, b, sizeof(b)))
        json_object_set_new(o, "community_id", json_string(b));
    if (env->src_ip) /* replaced where it stands, or added last */
        json_object_set_new(o, "src_ip", json_string(env->src_ip));
    return o;
}

/* The keys of the text envelope alone (parsed back) are the model's, in
 * its order, each in eve-envelope.def, and eve_envelope_has() knows them. */
static void envelope_keys(const struct eve_envelope *env)
{
    json_t *none = json_object();
    json_t *got = eve_record_tree(env, none);
    json_t *want = tree_envelope(env);
    cr_assert_not_null(got);
    void *g = json_object_iter(got), *w = json_object_iter(want);
    for (; g && w; g = json_object_iter_next(got, g), w = json_object_iter_next(want, w)) {
        const char *k = json_object_iter_key(g);
        cr_assert_str_eq(k, json_object_iter_key(w));
        cr_assert(json_equal(json_object_iter_value(g), json_object_iter_value(w)), "%s", k);
        cr_assert(eve_envelope_has(env, k), "%s", k);
    }
    cr_assert(!g && !w, "the text envelope has other keys than the model");
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        bool in = json_object_get(got, table[i]) != NULL;
        cr_assert_eq(eve_envelope_has(env, table[i]), in, "%s", table[i]);
    }
    const char *k;
    json_t *v;
    json_object_foreach(got, k, v) {
        size_t i = 0;
        while (i < sizeof(table) / sizeof(table[0]) && strcmp(table[i], k) != 0)
            i++;
        cr_assert_lt(i, sizeof(table) / sizeof(table[0]), "'%s' not in eve-envelope.def", k);
    }
    json_decref(got);
    json_decref(want);
    json_decref(none);
}

/* Both ways, compared; returns the number of lines written. */
static size_t same_line(const struct eve_envelope *env, const json_t *rec, const json_t *extra,
                        int worker, const char *thread)
{
    struct sink tree, text;
    sink_open(&tree, worker, thread);
    sink_open(&text, worker, thread);
    json_t *o = tree_envelope(env);
    cr_assert_not_null(o);
    if (rec)
        json_object_update(o, (json_t *)rec);
    eve_emit(&tree.w, o, extra ? json_deep_copy(extra) : NULL);
    eve_emit_envelope(&text.w, env, rec ? json_deep_copy(rec) : NULL,
                      extra ? json_deep_copy(extra) : NULL);
    cr_assert_eq(text.w.emitted, tree.w.emitted);
    if (ascii_env(env))
        envelope_keys(env);
    char *a = sink_close(&tree), *b = sink_close(&text);
    cr_assert_str_eq(b, a);
    size_t lines = 0;
    for (const char *p = a; (p = strchr(p, '\n')); p++)
        lines++;
    free(a);
    free(b);
    return lines;
}

static const uint8_t v4a[16] = {10, 0, 0, 1}, v4b[16] = {192, 168, 7, 200};
static const uint8_t v6a[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x0c, 0x29, 0xff, 0xfa, 0xf2, 0xab, 0x42};
static const uint8_t v6b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

static json_t *http_rec(void)
{
    return json_pack("{s:{s:s,s:s,s:i,s:[{s:s}],s:s},s:b}", "http", "hostname", "example.com",
                     "url", "/a\"b\\c\n\x01 d\xc3\xa9", "status", 200, "request_headers", "name",
                     "Host", "http_method", "GET", "extra", 1);
}

Test(eve_envelope, every_optional_field_on_and_off)
{
    const uint16_t vlan[2] = {10, 4095};
    json_t *rec = http_rec();
    json_t *extra = json_pack("{s:i,s:{s:s}}", "tx", 3, "note", "k", "v");
    size_t cases = 0;
    for (unsigned m = 0; m < 256; m++) {
        struct eve_endpoints ep = {.ipver = m & 1 ? 6 : 4,
                                   .src = m & 1 ? v6a : v4a,
                                   .dst = m & 1 ? v6b : v4b,
                                   .sport = 40000,
                                   .dport = 80,
                                   .proto = 6,
                                   .ports = true};
        if (m & 2) {
            ep.vlan = vlan;
            ep.nvlan = m & 4 ? 2 : 1;
        }
        if (m & 8) { /* ICMP echo request */
            ep.proto = (uint8_t)(m & 1 ? 58 : 1);
            ep.ports = false;
            ep.icmp = true;
            ep.icmp_type = (uint8_t)(m & 1 ? 128 : 8);
            ep.icmp_code = 0;
        }
        struct eve_envelope env = {
            .ts_ns = 1255711456185868000LL + m,
            .event_type = "http",
            .flow_id = m & 16 ? 0 : 1234567890123ull,
            .pcap_cnt = m & 32 ? 0 : 77,
            .in_iface = m & 64 ? "eth0" : NULL,
            .ep = m & 128 && m & 4 ? NULL : &ep,
            .app_proto = m & 16 ? NULL : "http",
            .tx_id = m & 32 ? -1 : (int64_t)m,
        };
        cases += same_line(&env, m & 4 ? rec : NULL, m & 2 ? extra : NULL, m & 64 ? -1 : 2,
                           m & 128 ? NULL : "worker");
    }
    cr_assert_eq(cases, 256);
    json_decref(rec);
    json_decref(extra);
}

Test(eve_envelope, a_given_community_id_is_the_computed_one)
{
    struct eve_endpoints ep = {.ipver = 4, .src = v4a, .dst = v4b, .sport = 40000, .dport = 80,
                               .proto = 6, .ports = true};
    char cid[64];
    cr_assert(eve_community_id(&ep, NULL, cid, sizeof(cid)));
    struct eve_envelope env = {.ts_ns = 1, .event_type = "fileinfo", .ep = &ep, .tx_id = 0,
                               .community_id = cid};
    json_t *rec = http_rec();
    cr_assert_eq(same_line(&env, rec, NULL, 0, "worker"), 1);
    json_decref(rec);
}

Test(eve_envelope, a_record_longer_than_the_stack_buffer)
{
    struct eve_endpoints ep = {.ipver = 4, .src = v4a, .dst = v4b, .sport = 1, .dport = 2,
                               .proto = 17, .ports = true};
    struct eve_envelope env = {.ts_ns = 5, .event_type = "dns", .ep = &ep, .tx_id = -1};
    char *big = malloc(20000);
    for (size_t i = 0; i < 19999; i++)
        big[i] = (char)('a' + i % 26);
    big[19999] = 0;
    big[5000] = '"';
    json_t *rec = json_pack("{s:{s:s}}", "dns", "q", big);
    cr_assert_eq(same_line(&env, rec, NULL, 1, "worker"), 1);
    json_decref(rec);
    free(big);
}

/* A record naming envelope keys (replaced where they stand), spu extras
 * naming the writer's keys, text that is not ASCII, a replaced src_ip (a
 * monitor count's source) with endpoints and without. */
Test(eve_envelope, what_the_tree_writes_otherwise)
{
    struct eve_endpoints ep = {.ipver = 4, .src = v4a, .dst = v4b, .sport = 1, .dport = 2,
                               .proto = 6, .ports = true};
    struct eve_envelope env = {.ts_ns = 5, .event_type = "http", .flow_id = 9, .ep = &ep,
                               .app_proto = "http", .tx_id = 4};
    json_t *rec = json_pack("{s:s,s:{s:s},s:i,s:{s:i}}", "src_ip", "1.2.3.4", "http", "url", "/",
                            "tx_id", 8, "spu", "x", 1);
    cr_assert_eq(same_line(&env, rec, NULL, 1, "worker"), 1);
    json_decref(rec);
    rec = http_rec();
    json_t *extra = json_pack("{s:i,s:s}", "worker", 9, "thread", "other");
    cr_assert_eq(same_line(&env, rec, extra, 1, "worker"), 1);
    json_decref(extra);
    env.in_iface = "eth\xc3\xa9";
    cr_assert_eq(same_line(&env, rec, NULL, 1, "worker"), 1);
    env.in_iface = "bad\xff";
    cr_assert_eq(same_line(&env, rec, NULL, 1, "worker"), 1);
    cr_assert_eq(same_line(&env, NULL, NULL, 1, "worker"), 1);
    env.in_iface = NULL;
    env.app_proto = "\xfe";
    cr_assert_eq(same_line(&env, NULL, NULL, 1, "worker"), 1);
    env.app_proto = "http";
    env.src_ip = "172.16.0.9";
    cr_assert_eq(same_line(&env, rec, NULL, 1, "worker"), 1);
    env.ep = NULL;
    cr_assert_eq(same_line(&env, rec, NULL, 1, "worker"), 1);
    json_t *mon = json_pack("{s:{s:s,s:i}}", "monitor", "sensor", "s1", "count", 3);
    cr_assert_eq(same_line(&env, mon, NULL, -1, "worker"), 1);
    json_decref(mon);
    json_decref(rec);
}

/* The flow record: its keys in one order whatever the records before it
 * held (a UDP flow without VLAN, then a TCP flow with one, gaps, a
 * midstream flag and every TCP flag, then the UDP one again), its text
 * exact. */
Test(eve_envelope, flow_records_keep_one_key_order)
{
    struct flow u, t;
    memset(&u, 0, sizeof(u));
    u.key.ipver = 4;
    u.key.proto = 17;
    memcpy(u.key.addr[0], v4a, 4);
    memcpy(u.key.addr[1], v4b, 4);
    u.key.port[0] = 5353;
    u.key.port[1] = 53;
    u.start_ns = 1000000000LL;
    u.last_ns = 1500000000LL;
    u.pkts[0] = 1;
    u.bytes[0] = 80;
    u.state = FLOW_STATE_NEW;
    t = u;
    t.key.proto = 6;
    t.key.vlan[0] = 7;
    t.key.port[0] = 40000;
    t.key.port[1] = 80;
    t.last_ns = 3500000000LL;
    t.pkts[1] = 2;
    t.bytes[1] = 200;
    t.flags = FLOW_F_TCP_SESSION | FLOW_F_MIDSTREAM;
    t.tcp_flags[0] = 0xff;
    t.tcp_flags[1] = TH_SYN | TH_ACK;
    t.tcp_state = TCP_CLOSE_WAIT;
    t.state = FLOW_STATE_ESTABLISHED;
    t.sd[1].flags = SD_GAP;
    t.sd[0].max_regions = 3;
    t.app_proto = "http";
    struct sink s;
    sink_open(&s, 1, "worker");
    cr_assert_eq(eve_flow(&s.w, &u, FLOW_REASON_TIMEOUT, NULL), 0);
    cr_assert_eq(eve_flow(&s.w, &t, FLOW_REASON_SHUTDOWN, "eth0"), 0);
    cr_assert_eq(eve_flow(&s.w, &u, FLOW_REASON_TIMEOUT, NULL), 0);
    cr_assert_eq(s.w.emitted, 3);
    char *text = sink_close(&s);
    char *second = strchr(text, '\n') + 1, *third = strchr(second, '\n') + 1;
    cr_assert_eq((size_t)(second - text), strlen(third)); /* the UDP record twice, the same */
    cr_assert(memcmp(text, third, strlen(third)) == 0);
    json_t *o = json_loadb(second, (size_t)(third - second), 0, NULL);
    cr_assert_not_null(o);
    char cid[64];
    cr_assert(flowkey_community_id(cid, sizeof(cid), 4, v4a, v4b, 6, 40000, 80));
    cr_assert_str_eq(json_string_value(json_object_get(o, "community_id")), cid);
    json_decref(o);
    char want[2048];
    snprintf(want, sizeof(want),
             "{\"timestamp\":\"1970-01-01T00:00:03.500000+0000\",\"flow_id\":%lld,"
             "\"in_iface\":\"eth0\",\"event_type\":\"flow\",\"vlan\":[7],\"src_ip\":\"10.0.0.1\","
             "\"src_port\":40000,\"dest_ip\":\"192.168.7.200\",\"dest_port\":80,\"ip_v\":4,"
             "\"proto\":\"TCP\",\"community_id\":\"%s\",\"app_proto\":\"http\","
             "\"flow\":{\"pkts_toserver\":1,\"pkts_toclient\":2,\"bytes_toserver\":80,"
             "\"bytes_toclient\":200,\"start\":\"1970-01-01T00:00:01.000000+0000\","
             "\"end\":\"1970-01-01T00:00:03.500000+0000\",\"age\":2,\"state\":\"established\","
             "\"reason\":\"shutdown\",\"alerted\":false},"
             "\"tcp\":{\"tcp_flags\":\"ff\",\"tcp_flags_ts\":\"ff\",\"tcp_flags_tc\":\"12\","
             "\"syn\":true,\"fin\":true,\"rst\":true,\"psh\":true,\"ack\":true,\"urg\":true,"
             "\"ecn\":true,\"cwr\":true,\"state\":\"close_wait\",\"tc_gap\":true,"
             "\"ts_max_regions\":3,\"tc_max_regions\":1},"
             "\"spu\":{\"worker\":1,\"midstream\":true}}\n",
             (long long)eve_flow_id(&t), cid);
    cr_assert(strncmp(second, want, strlen(want)) == 0, "got  %.*s\nwant %s",
              (int)(third - second), second, want);
    free(text);
}

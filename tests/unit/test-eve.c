/*
 * Unit tests for runtime/eve.c and runtime/output.c: Suricata's timestamp
 * and address formats, the flow record, stats nesting, and the writer:
 * several threads, whole lines only, everything flushed at close.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode.h"
#include "err.h"
#include "eve.h"
#include "flow.h"
#include "output.h"
#include "stats.h"

Test(eve, timestamp_and_addresses_as_suricata_prints_them)
{
    char b[64];
    /* 2009-10-16 16:44:16.185868 UTC */
    cr_assert_str_eq(eve_timestamp(1255711456185868000LL, b, sizeof(b)),
                     "2009-10-16T16:44:16.185868+0000");
    uint8_t v4[16] = {192, 168, 2, 3};
    cr_assert_str_eq(eve_ip(4, v4, b, sizeof(b)), "192.168.2.3");
    uint8_t v6[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x0c, 0x29, 0xff, 0xfa, 0xf2, 0xab, 0x42};
    cr_assert_str_eq(eve_ip(6, v6, b, sizeof(b)), "fe80:0000:0000:0000:020c:29ff:faf2:ab42");
    cr_assert_str_eq(eve_proto(58, b, sizeof(b)), "IPv6-ICMP");
    cr_assert_str_eq(eve_proto(99, b, sizeof(b)), "099");
}

static char *tmpfile_path(void)
{
    static char path[64];
    /* mkstemp template: the prefix then six X */
    size_t n = strlen(strcpy(path, "/tmp/test-eve-"));
    memset(path + n, 'X', 6);
    path[n + 6] = 0;
    int fd = mkstemp(path);
    close(fd);
    return path;
}

static json_t *read_lines(const char *path, size_t *n)
{
    json_t *arr = json_array();
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        json_error_t e;
        json_t *o = json_loads(line, 0, &e);
        cr_assert_not_null(o, "torn or invalid line: %s", line);
        json_array_append_new(arr, o);
    }
    free(line);
    fclose(f);
    *n = json_array_size(arr);
    return arr;
}

Test(eve, flow_record_has_suricata_fields_and_spu_object)
{
    char *path = tmpfile_path();
    struct spu_error err;
    struct output *o = output_open(path, 1, &err);
    cr_assert_not_null(o);
    struct eve_writer w = {.out = output_producer(o, 0), .worker = 3};
    struct flow f;
    memset(&f, 0, sizeof(f));
    f.key.ipver = 4;
    f.key.proto = 6;
    uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
    memcpy(f.key.addr[0], a, 4);
    memcpy(f.key.addr[1], b, 4);
    f.key.port[0] = 40000;
    f.key.port[1] = 80;
    f.client = 0;
    f.start_ns = 1000000000LL;
    f.last_ns = 3500000000LL;
    f.pkts[0] = 3;
    f.pkts[1] = 2;
    f.bytes[0] = 300;
    f.bytes[1] = 200;
    f.flags = FLOW_F_TCP_SESSION;
    f.tcp_flags[0] = TH_SYN | TH_ACK | TH_FIN;
    f.tcp_flags[1] = TH_SYN | TH_ACK;
    f.tcp_state = TCP_CLOSE_WAIT;
    f.state = FLOW_STATE_ESTABLISHED;
    cr_assert_eq(eve_flow(&w, &f, FLOW_REASON_SHUTDOWN, NULL), 0);
    /* the record is reused: a UDP flow next must not keep TCP's fields */
    f.key.proto = 17;
    f.flags = 0;
    cr_assert_eq(eve_flow(&w, &f, FLOW_REASON_TIMEOUT, NULL), 0);
    eve_writer_fini(&w);
    cr_assert_eq(output_close(o, NULL), 0);
    size_t n;
    json_t *arr = read_lines(path, &n);
    cr_assert_eq(n, 2);
    json_t *u = json_array_get(arr, 1);
    cr_assert_str_eq(json_string_value(json_object_get(u, "proto")), "UDP");
    cr_assert_null(json_object_get(u, "tcp"));
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(u, "flow"), "reason")),
                     "timeout");
    json_t *r = json_array_get(arr, 0);
    cr_assert_str_eq(json_string_value(json_object_get(r, "event_type")), "flow");
    cr_assert_str_eq(json_string_value(json_object_get(r, "src_ip")), "10.0.0.1");
    cr_assert_eq(json_integer_value(json_object_get(r, "dest_port")), 80);
    cr_assert_str_eq(json_string_value(json_object_get(r, "proto")), "TCP");
    cr_assert(json_integer_value(json_object_get(r, "flow_id")) > 0);
    /* SHA-1 of seed 0, 10.0.0.1, 10.0.0.2, proto 6, pad, 40000, 80 */
    cr_assert_str_eq(json_string_value(json_object_get(r, "community_id")),
                     "1:3k1SoWXs/FltHw2aBCgUTgbDQF4=");
    json_t *fl = json_object_get(r, "flow");
    cr_assert_eq(json_integer_value(json_object_get(fl, "pkts_toserver")), 3);
    cr_assert_eq(json_integer_value(json_object_get(fl, "bytes_toclient")), 200);
    cr_assert_eq(json_integer_value(json_object_get(fl, "age")), 2);
    cr_assert_str_eq(json_string_value(json_object_get(fl, "reason")), "shutdown");
    cr_assert_str_eq(json_string_value(json_object_get(fl, "state")), "established");
    json_t *t = json_object_get(r, "tcp");
    cr_assert_str_eq(json_string_value(json_object_get(t, "tcp_flags")), "13");
    cr_assert_str_eq(json_string_value(json_object_get(t, "tcp_flags_tc")), "12");
    cr_assert_str_eq(json_string_value(json_object_get(t, "state")), "close_wait");
    cr_assert(json_is_true(json_object_get(t, "fin")));
    cr_assert_null(json_object_get(t, "rst"));
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(r, "spu"), "worker")), 3);
    json_decref(arr);
    unlink(path);
}

Test(eve, stats_counters_nest_by_their_dotted_names)
{
    char *path = tmpfile_path();
    struct spu_error err;
    struct output *o = output_open(path, 1, &err);
    struct eve_writer w = {.out = output_producer(o, 0), .worker = -1, .thread = "main"};
    struct stats_block s;
    stats_block_init(&s);
    stats_add(&s, CNT_DEC_PKTS, 10);
    stats_add(&s, CNT_SPU_STREAM_BYTES_COPIED, 7);
    stats_anomaly(&s, ANOM_IPV4_TRUNC_PKT);
    cr_assert_eq(eve_stats(&w, 0, 5, &s, NULL, NULL), 0);
    uint64_t lines;
    output_close(o, &lines);
    cr_assert_eq(lines, 1);
    size_t n;
    json_t *arr = read_lines(path, &n);
    json_t *r = json_array_get(arr, 0);
    json_t *st = json_object_get(r, "stats");
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(st, "decoder"), "pkts")), 10);
    json_t *ev = json_object_get(json_object_get(st, "decoder"), "event");
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(ev, "ipv4"), "trunc_pkt")),
                 1);
    json_t *spu = json_object_get(r, "spu");
    cr_assert_eq(
        json_integer_value(json_object_get(json_object_get(spu, "stream"), "bytes_copied")), 7);
    cr_assert_null(json_object_get(st, "spu"));
    json_decref(arr);
    unlink(path);
}

struct prod_arg {
    struct output_producer *p;
    int id;
};

#define LINES_PER_THREAD 20000

static void *produce(void *arg)
{
    struct prod_arg *a = arg;
    char line[300];
    for (int i = 0; i < LINES_PER_THREAD; i++) {
        /* lines of varying length, up to ~250 bytes */
        int pad = (i * 37 + a->id) % 200;
        int n = snprintf(line, sizeof(line), "{\"t\":%d,\"i\":%d,\"pad\":\"%*s\"}", a->id, i,
                         pad, "");
        output_producer_line(a->p, line, (size_t)n);
    }
    return NULL;
}

Test(eve, many_producers_never_tear_a_line)
{
    char *path = tmpfile_path();
    struct spu_error err;
    struct output *o = output_open(path, 3, &err);
    pthread_t t[3];
    struct prod_arg a[3];
    for (int i = 0; i < 3; i++) {
        a[i].p = output_producer(o, (unsigned)i);
        a[i].id = i;
        pthread_create(&t[i], NULL, produce, &a[i]);
    }
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    uint64_t lines;
    cr_assert_eq(output_close(o, &lines), 0);
    cr_assert_eq(lines, 3 * LINES_PER_THREAD);
    size_t n;
    json_t *arr = read_lines(path, &n); /* fails on any torn line */
    cr_assert_eq(n, 3 * LINES_PER_THREAD);
    /* each producer's lines arrive in its own order */
    int next[3] = {0, 0, 0}, bad = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_array_get(arr, i);
        int tid = (int)json_integer_value(json_object_get(r, "t"));
        bad += json_integer_value(json_object_get(r, "i")) != next[tid]++;
    }
    cr_assert_eq(bad, 0);
    json_decref(arr);
    unlink(path);
}

Test(eve, opening_an_unwritable_path_fails_cleanly)
{
    struct spu_error err;
    cr_assert_null(output_open("/nonexistent-dir/x/eve.json", 1, &err));
    cr_assert_eq(err.code, SPU_EIO);
    cr_assert_eq(output_close(NULL, NULL), 0);
}

/* The envelope writer (eve_jw_envelope, read back with eve_record_tree)
 * writes only the fields of eve-envelope.def (the table spuc checks `log`
 * paths against), and with every option given writes them all: one list
 * for both. ICMP and TCP endpoints cover the optional ones. */
Test(eve, envelope_matches_its_table)
{
    static const char *const table[] = {
#define EVE_ENVELOPE(name) name,
#include "eve-envelope.def"
#undef EVE_ENVELOPE
    };
    const size_t ntable = sizeof(table) / sizeof(table[0]);
    uint8_t a[16] = {10, 0, 0, 1}, b[16] = {10, 0, 0, 2};
    uint16_t vlan[1] = {7};
    struct eve_endpoints tcp = {.ipver = 4, .src = a, .dst = b, .sport = 1, .dport = 2,
                                .proto = 6, .ports = true, .vlan = vlan, .nvlan = 1};
    struct eve_endpoints icmp = {.ipver = 4, .src = a, .dst = b, .proto = 1, .icmp = true,
                                 .icmp_type = 8};
    bool seen[sizeof(table) / sizeof(table[0])] = {false};
    const struct eve_endpoints *eps[] = {&tcp, &icmp};
    for (size_t e = 0; e < 2; e++) {
        struct eve_envelope env = {.ts_ns = 1000000000, .event_type = "x", .flow_id = 42,
                                   .pcap_cnt = 3, .in_iface = "eth0", .ep = eps[e],
                                   .app_proto = "http", .tx_id = 0};
        json_t *none = json_object();
        json_t *o = eve_record_tree(&env, none);
        json_decref(none);
        cr_assert_not_null(o);
        const char *k;
        json_t *v;
        json_object_foreach(o, k, v) {
            size_t i = 0;
            while (i < ntable && strcmp(table[i], k) != 0)
                i++;
            cr_assert_lt(i, ntable, "the envelope has '%s', not in eve-envelope.def", k);
            seen[i] = true;
        }
        json_decref(o);
    }
    for (size_t i = 0; i < ntable; i++)
        cr_assert(seen[i], "eve-envelope.def lists '%s', which the envelope never has", table[i]);
}

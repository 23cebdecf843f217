/*
 * Unit tests for runtime/flowkey.c and runtime/flow-table.c: the hash is
 * symmetric and seeded, spreads real flows evenly over 1..16 workers
 * (chi-square bound, flows of the corpus captures), and the table does
 * lookups, per-state timeouts, memcap eviction and shutdown.
 */
#include <criterion/criterion.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "decode.h"
#include "err.h"
#include "flow.h"
#include "flowkey.h"
#include "helper-pkt.h"
#include "stats.h"

#define SEC 1000000000LL

static void key_of(const uint8_t *frame, size_t n, struct flow_key *k, int *dir)
{
    struct decoded d;
    cr_assert(decode_packet(&d, LINK_ETHERNET, frame, (uint32_t)n, 0, NULL, 0, NULL));
    flowkey_from_decoded(k, &d, dir);
}

Test(flowkey, both_directions_give_one_key_and_one_hash)
{
    uint8_t a[128], b[128];
    size_t na = hp_tcp4_frame(a, "10.0.0.1", "10.0.0.2", 40000, 80, 1, 0, TH_SYN, NULL, 0);
    size_t nb = hp_tcp4_frame(b, "10.0.0.2", "10.0.0.1", 80, 40000, 1, 2, TH_SYN | TH_ACK,
                              NULL, 0);
    struct flow_key ka, kb;
    int da, db;
    key_of(a, na, &ka, &da);
    key_of(b, nb, &kb, &db);
    cr_assert(flowkey_equal(&ka, &kb));
    cr_assert_neq(da, db);
    cr_assert_eq(flowkey_hash(&ka, 1), flowkey_hash(&kb, 1));
    cr_assert_neq(flowkey_hash(&ka, 1), flowkey_hash(&ka, 2)); /* the seed matters */
}

Test(flowkey, worker_choice_uses_the_top_bits)
{
    cr_assert_eq(flowkey_worker(0, 3), 0);
    cr_assert_eq(flowkey_worker(0xffffffffu, 3), 2);
    cr_assert_eq(flowkey_worker(0x80000000u, 2), 1);
    cr_assert_eq(flowkey_worker(0x7fffffffu, 2), 0);
}

Test(flowkey, community_id_matches_the_specification_example)
{
    /* Community ID spec example: TCP 128.232.110.120:34855 -> 66.35.250.204:80 */
    uint8_t s[16] = {128, 232, 110, 120}, d[16] = {66, 35, 250, 204};
    char id[64];
    cr_assert(flowkey_community_id(id, sizeof(id), 4, s, d, 6, 34855, 80));
    cr_assert_str_eq(id, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
    /* the other direction gives the same id */
    cr_assert(flowkey_community_id(id, sizeof(id), 4, d, s, 6, 80, 34855));
    cr_assert_str_eq(id, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
}

/* The kept SHA-1 context gives the one-shot's ids, for every kind of tuple,
 * reused many times in a row (a context left dirty would change the next). */
Test(flowkey, community_id_with_a_kept_context_equals_the_one_shot)
{
    struct flowkey_sha1 *h = flowkey_sha1_new();
    cr_assert_not_null(h);
    uint8_t s[16] = {128, 232, 110, 120}, d[16] = {66, 35, 250, 204};
    char a[64], b[64];
    cr_assert(flowkey_community_id_with(h, a, sizeof(a), 4, s, d, 6, 34855, 80));
    cr_assert_str_eq(a, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
    static const uint8_t protos[] = {6, 17, 132, 1, 58, 47};
    for (unsigned i = 0; i < 600; i++) {
        int ipver = i % 2 ? 6 : 4;
        uint8_t proto = protos[i % sizeof(protos)];
        for (unsigned j = 0; j < 16; j++) {
            s[j] = (uint8_t)(i * 7 + j);
            d[j] = (uint8_t)(i * 13 + j * 3);
        }
        uint16_t sp = (uint16_t)(i * 101), dp = (uint16_t)(i % 3 ? 80 : i);
        if (proto == 1 || proto == 58) {
            sp = (uint16_t)(i % 20);
            dp = (uint16_t)(i % 4);
        }
        cr_assert(flowkey_community_id(a, sizeof(a), ipver, s, d, proto, sp, dp));
        cr_assert(flowkey_community_id_with(h, b, sizeof(b), ipver, s, d, proto, sp, dp));
        cr_assert_str_eq(a, b, "tuple %u", i);
    }
    cr_assert_not(flowkey_community_id_with(h, a, 16, 4, s, d, 6, 1, 2));
    flowkey_sha1_free(h);
    flowkey_sha1_free(NULL);
}

/* chi-square critical values at p = 0.001 for 1..15 degrees of freedom */
static const double chi2_999[16] = {0,     10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32,
                                    26.12, 27.88, 29.59, 31.26, 32.91, 34.53, 36.12, 37.70};

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

Test(flowkey, real_flows_spread_evenly_over_1_to_16_workers)
{
    glob_t g;
    cr_assert_eq(glob("../shared/corpus/suricata-verify/*/input.pcap", 0, NULL, &g), 0);
    cr_assert_eq(glob("../shared/corpus/suricata-verify/*/*/input.pcap", GLOB_APPEND, NULL, &g), 0);
    size_t cap = 1 << 16, n = 0;
    uint32_t *h = malloc(cap * sizeof(*h));
    for (size_t i = 0; i < g.gl_pathc && n < cap; i++) {
        struct spu_error err;
        struct capture *c = capture_open_file(g.gl_pathv[i], NULL, &err);
        cr_assert_not_null(c, "%s", g.gl_pathv[i]);
        struct capture_pkt p[64];
        bool eof = false;
        int k;
        while (!eof && (k = capture_next(c, p, 64, &eof, &err)) >= 0) {
            for (int j = 0; j < k; j++) {
                struct decoded d;
                struct flow_key key;
                int dir;
                decode_packet(&d, p[j].linktype, p[j].data, p[j].caplen, DECODE_PEEK, NULL, 0,
                              NULL);
                flowkey_from_decoded(&key, &d, &dir);
                if (d.ipver && !d.frag && n < cap)
                    h[n++] = flowkey_hash(&key, 0x5350552eu);
                capture_release(c, p[j].source, p[j].cookie);
            }
        }
        capture_close(c);
    }
    globfree(&g);
    /* one hash per distinct flow */
    qsort(h, n, sizeof(*h), cmp_u32);
    size_t flows = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || h[i] != h[i - 1])
            h[flows++] = h[i];
    cr_assert_gt(flows, 200, /* at least 12 per worker at 16 */ "only %zu flows in the corpus", flows);
    for (unsigned w = 1; w <= 16; w++) {
        double count[16] = {0};
        for (size_t i = 0; i < flows; i++)
            count[flowkey_worker(h[i], w)] += 1;
        double e = (double)flows / w, x2 = 0;
        for (unsigned i = 0; i < w; i++)
            x2 += (count[i] - e) * (count[i] - e) / e;
        cr_assert_leq(x2, chi2_999[w - 1], "workers %u: chi-square %.2f over %zu flows", w, x2,
                      flows);
    }
    free(h);
}

/* ---- the flow table ---- */

struct ended {
    unsigned n;
    enum flow_reason reason[16];
    uint16_t port[16];
};

static void on_end(void *ctx, struct flow *f, enum flow_reason reason)
{
    struct ended *e = ctx;
    e->reason[e->n] = reason;
    e->port[e->n] = f->key.port[0];
    e->n++;
}

static void make_key(struct flow_key *k, uint8_t proto, uint16_t port)
{
    memset(k, 0, sizeof(*k));
    k->ipver = 4;
    k->proto = proto;
    k->addr[0][0] = 10;
    k->addr[1][0] = 11;
    k->port[0] = port;
    k->port[1] = 80;
}

Test(flowtable, lookup_create_and_shutdown)
{
    _Atomic int64_t mem = 0;
    struct ended e = {0};
    struct stats_block st;
    stats_block_init(&st);
    struct flow_table *t = flow_table_new(8, NULL, &mem, 1 << 20, on_end, &e, &st);
    struct flow_key k;
    make_key(&k, 6, 1000);
    bool created;
    struct flow *f = flow_table_get(t, &k, flowkey_hash(&k, 0), 0, SEC, true, &created);
    cr_assert(created);
    cr_assert_eq(flow_table_get(t, &k, flowkey_hash(&k, 0), 0, SEC, true, &created), f);
    cr_assert_not(created);
    cr_assert_eq(mem, (int64_t)flow_bytes_per_flow());
    cr_assert_lt(flow_bytes_per_flow(), 512); /* an idle TCP flow stays under 512 bytes */
    flow_table_free(t);
    cr_assert_eq(e.n, 1);
    cr_assert_eq(e.reason[0], FLOW_REASON_SHUTDOWN);
    cr_assert_eq(mem, 0);
    cr_assert_eq(stats_get(&st, CNT_FLOW_TCP), 1);
}

Test(flowtable, timeouts_follow_the_state)
{
    _Atomic int64_t mem = 0;
    struct ended e = {0};
    struct flow_timeouts to;
    flow_timeouts_default(&to);
    struct flow_table *t = flow_table_new(8, &to, &mem, 1 << 20, on_end, &e, NULL);
    struct flow_key k1, k2, k3;
    make_key(&k1, 6, 1);  /* TCP, new: 60 s */
    make_key(&k2, 6, 2);  /* TCP, established: 600 s */
    make_key(&k3, 17, 3); /* UDP, new: 30 s */
    bool c;
    flow_table_get(t, &k1, flowkey_hash(&k1, 0), 0, 0, true, &c);
    struct flow *f2 = flow_table_get(t, &k2, flowkey_hash(&k2, 0), 0, 0, true, &c);
    flow_table_get(t, &k3, flowkey_hash(&k3, 0), 0, 0, true, &c);
    f2->state = FLOW_STATE_ESTABLISHED;
    flow_table_touch(t, f2, 0);
    cr_assert_eq(flow_table_expire(t, 30 * SEC, 0), 0);
    cr_assert_eq(flow_table_expire(t, 31 * SEC, 0), 1);
    cr_assert_eq(e.port[0], 3);
    cr_assert_eq(flow_table_expire(t, 61 * SEC, 0), 1);
    cr_assert_eq(e.port[1], 1);
    cr_assert_eq(flow_table_expire(t, 599 * SEC, 0), 0);
    cr_assert_eq(flow_table_expire(t, 601 * SEC, 0), 1);
    cr_assert_eq(e.reason[2], FLOW_REASON_TIMEOUT);
    cr_assert_eq(flow_table_count(t), 0);
    flow_table_free(t);
}

Test(flowtable, memcap_evicts_the_most_idle_flow)
{
    _Atomic int64_t mem = 0;
    struct ended e = {0};
    struct stats_block st;
    stats_block_init(&st);
    uint64_t cap = 3 * flow_bytes_per_flow();
    struct flow_table *t = flow_table_new(8, NULL, &mem, cap, on_end, &e, &st);
    bool c;
    for (uint16_t p = 1; p <= 4; p++) {
        struct flow_key k;
        make_key(&k, 17, p);
        cr_assert_not_null(flow_table_get(t, &k, flowkey_hash(&k, 0), 0, p * SEC, true, &c));
    }
    cr_assert_eq(flow_table_count(t), 3);
    cr_assert_eq(e.n, 1);
    cr_assert_eq(e.port[0], 1); /* the oldest */
    cr_assert_eq(e.reason[0], FLOW_REASON_FORCED);
    cr_assert_eq(stats_get(&st, CNT_FLOW_EVICTED), 1);
    flow_table_free(t);
}

Test(flowtable, names)
{
    cr_assert_str_eq(flow_tcp_state_name(TCP_CLOSE_WAIT), "close_wait");
    cr_assert_str_eq(flow_state_name(FLOW_STATE_ESTABLISHED), "established");
    cr_assert_str_eq(flow_reason_name(FLOW_REASON_SHUTDOWN), "shutdown");
}

/* 5,000 flows in a table created with 256 buckets: the table grows under
 * them, and every flow is still found (and only once), ended and freed. */
Test(flowtable, grows_past_its_initial_buckets_and_finds_every_flow)
{
    _Atomic int64_t mem = 0;
    struct stats_block st;
    stats_block_init(&st);
    struct flow_table *t = flow_table_new(8, NULL, &mem, 1 << 30, NULL, NULL, &st);
    enum { N = 5000 };
    struct flow *made[N];
    bool created;
    for (unsigned i = 0; i < N; i++) {
        struct flow_key k;
        make_key(&k, 6, (uint16_t)(1000 + i));
        made[i] = flow_table_get(t, &k, flowkey_hash(&k, 7), 0, SEC, true, &created);
        cr_assert(made[i] && created);
    }
    cr_assert_eq(flow_table_count(t), N);
    for (unsigned i = 0; i < N; i++) {
        struct flow_key k;
        make_key(&k, 6, (uint16_t)(1000 + i));
        cr_assert_eq(flow_table_get(t, &k, flowkey_hash(&k, 7), 0, SEC, false, &created),
                     made[i], "flow %u lost after growing", i);
    }
    for (unsigned i = 0; i < N; i += 2)
        flow_table_end(t, made[i], FLOW_REASON_FORCED);
    cr_assert_eq(flow_table_count(t), N / 2);
    for (unsigned i = 0; i < N; i++) {
        struct flow_key k;
        make_key(&k, 6, (uint16_t)(1000 + i));
        struct flow *f = flow_table_get(t, &k, flowkey_hash(&k, 7), 0, SEC, false, &created);
        cr_assert_eq(f, i % 2 ? made[i] : NULL);
    }
    flow_table_free(t);
    cr_assert_eq(mem, 0);
    cr_assert_eq(stats_get(&st, CNT_FLOW_TOTAL), N);
}

/* Memory per flow: struct flow is malloc'ed one by one; at 216 bytes or less
 * glibc gives it a 224-byte chunk (217 to 232 would take 240). The bit-fields
 * that keep it there must still hold every value stored in them. */
Test(flow, struct_fits_a_224_byte_chunk_and_its_bit_fields_hold_their_values)
{
    cr_assert_leq(sizeof(struct flow), 216);
    struct flow f;
    memset(&f, 0, sizeof(f));
    f.client = 1;
    f.state = FLOW_STATE_CLOSED;
    f.verdict = FLOW_VERDICT_REDIRECT;
    f.tclass = 127;
    f.tcp_state = TCP_CLOSED;
    f.qclass = 255;
    cr_assert_eq(f.client, 1);
    cr_assert_eq(f.state, FLOW_STATE_CLOSED);
    cr_assert_eq(f.verdict, FLOW_VERDICT_REDIRECT);
    cr_assert_eq(f.tclass, 127);
    cr_assert_eq(f.tcp_state, TCP_CLOSED);
    cr_assert_eq(f.qclass, 255);
}

/*
 * Unit tests for runtime/worker.c, driven without its thread: a TCP
 * connection's frames go through decode, the flow table, TCP tracking and
 * the stream consumer; the runtime event hook sees packet, tcp.syn,
 * flow.start and flow.end; port reuse and timeouts on the packet clock end
 * flows as they should.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "decode.h"
#include "helper-pkt.h"
#include "pkt.h"
#include "rt-events.h"
#include "stats.h"
#include "stream-tcp.h"
#include "worker.h"

#define SEC 1000000000LL

struct seen {
    unsigned ev[RT_EV__COUNT];
    char data[2][128];
    size_t len[2];
    unsigned closes, destroys;
};

static void on_event(void *ctx, enum rt_event_id id, const struct pkt *p, const struct decoded *d,
                     struct flow *f, int reason)
{
    struct seen *s = ctx;
    s->ev[id]++;
}

static void on_data(void *ctx, struct flow *f, int dir, const uint8_t *p, size_t n, int64_t ts)
{
    struct seen *s = ctx;
    memcpy(s->data[dir] + s->len[dir], p, n);
    s->len[dir] += n;
    *stream_slot(f) = s; /* the consumer keeps per-flow state in the slot */
}

static void on_close(void *ctx, struct flow *f, int dir, int reason, int64_t ts)
{
    ((struct seen *)ctx)->closes++;
}

static void on_destroy(void *ctx, struct flow *f, void *app)
{
    ((struct seen *)ctx)->destroys++;
}

static struct seen S;
static struct rt_hooks hooks = {&S, on_event};
static struct stream_consumer cons = {&S, on_data, NULL, on_close, on_destroy, NULL};
static struct stream_cfg scfg;
static struct stats_gauges gauges;
static _Atomic int64_t clk;
static struct worker *w;

static void setup(void)
{
    memset(&S, 0, sizeof(S));
    stream_cfg_default(&scfg);
    struct worker_cfg wc;
    memset(&wc, 0, sizeof(wc));
    wc.seed = 7;
    wc.stream = &scfg;
    wc.flow_memcap = 1 << 20;
    wc.flow_bits = 8;
    wc.gauges = &gauges;
    wc.clock = &clk;
    wc.hooks = &hooks;
    wc.consumer = &cons;
    w = worker_new(&wc, 16, 16);
    cr_assert_not_null(w);
}

static void teardown(void)
{
    worker_free(w);
}

TestSuite(worker, .init = setup, .fini = teardown);

static uint8_t frame[256];

/* Client 10.0.0.1:5555 <-> server 10.0.0.2:80; dir 0 = from the client. */
static void xmit(int dir, uint8_t flags, uint32_t seq, uint32_t ack, const char *data, int64_t t)
{
    size_t n = dir == 0 ? hp_tcp4_frame(frame, "10.0.0.1", "10.0.0.2", 5555, 80, seq, ack, flags,
                                        data, data ? strlen(data) : 0)
                        : hp_tcp4_frame(frame, "10.0.0.2", "10.0.0.1", 80, 5555, seq, ack, flags,
                                        data, data ? strlen(data) : 0);
    struct pkt p;
    memset(&p, 0, sizeof(p));
    p.data = frame;
    p.caplen = p.wirelen = (uint32_t)n;
    p.ts_ns = p.clock_ns = t;
    p.linktype = LINK_ETHERNET;
    p.pcap_cnt = 1;
    worker_process(w, &p);
}

static void connection(int64_t t, uint32_t isn)
{
    xmit(0, TH_SYN, isn, 0, NULL, t);
    xmit(1, TH_SYN | TH_ACK, 9000, isn + 1, NULL, t);
    xmit(0, TH_ACK, isn + 1, 9001, NULL, t);
    xmit(0, TH_ACK | TH_PSH, isn + 1, 9001, "ping", t);
    xmit(1, TH_ACK | TH_PSH, 9001, isn + 5, "pong", t);
}

Test(worker, a_connection_reaches_the_consumer_and_the_hooks)
{
    connection(SEC, 100);
    cr_assert_eq(worker_flow_count(w), 1);
    cr_assert_eq(S.len[0], 4);
    cr_assert_eq(memcmp(S.data[0], "ping", 4), 0);
    cr_assert_eq(memcmp(S.data[1], "pong", 4), 0);
    cr_assert_eq(S.ev[RT_EV_PACKET], 5);
    cr_assert_eq(S.ev[RT_EV_TCP_SYN], 1);
    cr_assert_eq(S.ev[RT_EV_FLOW_START], 1);
    cr_assert_eq(S.ev[RT_EV_FLOW_END], 0);
    worker_shutdown_flows(w);
    cr_assert_eq(S.ev[RT_EV_FLOW_END], 1);
    cr_assert_eq(S.closes, 2);
    cr_assert_eq(S.destroys, 1);
    struct stats_block *st = worker_stats(w);
    cr_assert_eq(stats_get(st, CNT_DEC_PKTS), 5);
    cr_assert_eq(stats_get(st, CNT_TCP_SESSIONS), 1);
    cr_assert_eq(stats_get(st, CNT_SPU_STREAM_BYTES_COPIED), 0);
    cr_assert_eq(stats_get(st, CNT_FLOW_END_ESTABLISHED), 1);
}

Test(worker, a_new_syn_after_a_close_starts_a_new_flow)
{
    connection(SEC, 100);
    xmit(0, TH_RST, 105, 0, NULL, SEC);
    connection(2 * SEC, 5000); /* same ports, new connection */
    cr_assert_eq(S.ev[RT_EV_FLOW_START], 2);
    cr_assert_eq(S.ev[RT_EV_FLOW_END], 1);
    cr_assert_eq(stats_get(worker_stats(w), CNT_FLOW_TCP_REUSE), 1);
    cr_assert_eq(S.len[0], 8); /* both connections' bytes delivered */
}

Test(worker, an_expired_flow_ends_before_the_next_packet_is_looked_up)
{
    connection(SEC, 100);
    /* 601 s later (established timeout 600 s) the same tuple is a new flow */
    xmit(0, TH_ACK, 105, 9005, NULL, 602 * SEC);
    cr_assert_eq(S.ev[RT_EV_FLOW_END], 1);
    cr_assert_eq(S.ev[RT_EV_FLOW_START], 2);
    cr_assert_eq(stats_get(worker_stats(w), CNT_FLOW_TIMEOUT), 1);
}

Test(worker, fragments_and_non_ip_frames_are_counted_not_tracked)
{
    /* an IPv4 fragment (MF set, offset 0) of protocol 17 */
    size_t o = hp_eth(frame, 0x0800);
    o += hp_ipv4(frame + o, "10.0.0.1", "10.0.0.2", 17, 16, 42, 0x2000);
    memset(frame + o, 0, 16);
    struct pkt p;
    memset(&p, 0, sizeof(p));
    p.data = frame;
    p.caplen = p.wirelen = (uint32_t)(o + 16);
    p.ts_ns = p.clock_ns = SEC;
    p.linktype = LINK_ETHERNET;
    worker_process(w, &p);
    /* an ARP frame (ethertype 0806) */
    memset(frame, 0, 64);
    hp_eth(frame, 0x0806);
    p.caplen = p.wirelen = 60;
    worker_process(w, &p);
    cr_assert_eq(worker_flow_count(w), 0);
    cr_assert_eq(stats_get(worker_stats(w), CNT_DEC_PKTS), 2);
    cr_assert_eq(S.ev[RT_EV_PACKET], 2);
}

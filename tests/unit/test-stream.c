/*
 * Unit tests for runtime/stream-reasm.c and runtime/stream-tcp.c: in-order
 * bytes delivered where they lie, out-of-order bytes held and released,
 * overlaps under each policy, retransmissions, sequence wraparound, gaps,
 * caps, midstream pickup and the state machine.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "decode.h"
#include "flow.h"
#include "stats.h"
#include "stream-tcp.h"

/* A consumer that records what it is given. */
struct rec {
    char data[2][256];
    size_t len[2];
    uint64_t gaps[2];
    unsigned ngaps[2];
    int closed[2];
    int close_reason[2];
    const uint8_t *last_ptr;
    unsigned destroyed;
};

static void r_data(void *ctx, struct flow *f, int dir, const uint8_t *p, size_t n, int64_t ts)
{
    struct rec *r = ctx;
    memcpy(r->data[dir] + r->len[dir], p, n);
    r->len[dir] += n;
    r->last_ptr = p;
}

static void r_gap(void *ctx, struct flow *f, int dir, uint64_t size, int64_t ts)
{
    struct rec *r = ctx;
    r->gaps[dir] += size;
    r->ngaps[dir]++;
    memset(r->data[dir] + r->len[dir], '_', size);
    r->len[dir] += size;
}

static void r_close(void *ctx, struct flow *f, int dir, int reason, int64_t ts)
{
    struct rec *r = ctx;
    r->closed[dir]++;
    r->close_reason[dir] = reason;
}

static void r_destroy(void *ctx, struct flow *f, void *app)
{
    struct rec *r = ctx;
    r->destroyed++;
}

static struct rec R;
static struct stream_consumer cons = {&R, r_data, r_gap, r_close, r_destroy, NULL};
static struct stream_cfg cfg;
static struct stats_block st;
static _Atomic int64_t memuse;
static struct stream_ctx C;
static struct flow F;

static void setup(void)
{
    memset(&R, 0, sizeof(R));
    memset(&F, 0, sizeof(F));
    stream_cfg_default(&cfg);
    stats_block_init(&st);
    memuse = 0;
    C = (struct stream_ctx){&cfg, &cons, &st, &memuse, 0, {0}};
    F.key.proto = 6;
}

static void teardown(void)
{
    reasm_release(&C, &F);
}

TestSuite(stream, .init = setup, .fini = teardown);

static void seg(int dir, uint32_t seq, const char *s)
{
    reasm_data(&C, &F, dir, seq, (const uint8_t *)s, (uint32_t)strlen(s), 0);
}

Test(stream, in_order_bytes_are_delivered_where_they_lie)
{
    reasm_start(&F, 0, 1000);
    static const char a[] = "hello ";
    reasm_data(&C, &F, 0, 1000, (const uint8_t *)a, 6, 0);
    cr_assert_eq(R.last_ptr, (const uint8_t *)a); /* the packet's own bytes, no copy */
    seg(0, 1006, "world");
    cr_assert_eq(R.len[0], 11);
    cr_assert_eq(memcmp(R.data[0], "hello world", 11), 0);
    cr_assert_eq(stats_get(&st, CNT_SPU_STREAM_BYTES_COPIED), 0);
    cr_assert_eq(stats_get(&st, CNT_SPU_STREAM_BYTES_INPLACE), 11);
}

Test(stream, out_of_order_is_held_then_released_in_order)
{
    reasm_start(&F, 0, 1);
    seg(0, 7, "world");
    cr_assert_eq(R.len[0], 0);
    cr_assert_eq(F.sd[0].held, 5);
    cr_assert_eq(memuse, 5);
    seg(0, 1, "hello ");
    cr_assert_eq(R.len[0], 11);
    cr_assert_eq(memcmp(R.data[0], "hello world", 11), 0);
    cr_assert_eq(F.sd[0].held, 0);
    cr_assert_eq(memuse, 0);
    cr_assert_eq(stats_get(&st, CNT_SPU_STREAM_BYTES_COPIED), 5);
    cr_assert_eq(F.sd[0].max_regions, 2);
}

Test(stream, retransmission_of_delivered_bytes_is_dropped)
{
    reasm_start(&F, 0, 1);
    seg(0, 1, "abcdef");
    seg(0, 1, "abcdef");
    seg(0, 4, "DEFghi"); /* overlaps delivered "def": only "ghi" is new */
    cr_assert_eq(R.len[0], 9);
    cr_assert_eq(memcmp(R.data[0], "abcdefghi", 9), 0);
    cr_assert_eq(stats_get(&st, CNT_TCP_OVERLAP), 2);
}

Test(stream, overlap_with_held_bytes_first_policy_keeps_the_first)
{
    reasm_start(&F, 0, 1);
    seg(0, 5, "EFGH");       /* held */
    seg(0, 7, "xyZZ");       /* overlaps held "GH", adds "ZZ" */
    cr_assert_eq(C.nanom, 1);
    cr_assert_eq(C.anom[0], ANOM_STREAM_OVERLAP_DIFFERENT_DATA);
    seg(0, 1, "abcdefgh");   /* in order, overlapping all of it */
    cr_assert_eq(R.len[0], 10);
    cr_assert_eq(memcmp(R.data[0], "abcdEFGHZZ", 10), 0);
    cr_assert_eq(stats_get(&st, CNT_TCP_OVERLAP_DIFF), 2);
}

Test(stream, overlap_with_held_bytes_last_policy_keeps_the_newest)
{
    cfg.policy = STREAM_POLICY_LAST;
    reasm_start(&F, 0, 1);
    seg(0, 5, "EFGH");
    seg(0, 7, "xyZZ");
    seg(0, 1, "abcdefgh");
    cr_assert_eq(R.len[0], 10);
    cr_assert_eq(memcmp(R.data[0], "abcdefghZZ", 10), 0);
}

Test(stream, sequence_numbers_wrap_around)
{
    reasm_start(&F, 1, 0xfffffffcu);
    seg(1, 0x00000002u, "EF"); /* after the wrap, held */
    seg(1, 0xfffffffcu, "abcd");
    seg(1, 0x00000000u, "CD"); /* 0xfffffffc + 4 = 0 */
    cr_assert_eq(R.len[1], 8);
    cr_assert_eq(memcmp(R.data[1], "abcdCDEF", 8), 0);
    cr_assert_eq(F.sd[1].next_seq, 4);
}

Test(stream, an_ack_for_unseen_bytes_is_a_gap)
{
    reasm_start(&F, 0, 100);
    seg(0, 100, "abc");
    reasm_ack(&C, &F, 0, 110, 0); /* the peer saw 7 bytes we never did */
    cr_assert_eq(R.ngaps[0], 0, "one ACK may come before its data");
    reasm_ack(&C, &F, 0, 110, 0); /* the next ACK: still not seen */
    cr_assert_eq(R.ngaps[0], 1);
    cr_assert_eq(R.gaps[0], 7);
    seg(0, 110, "xyz");
    cr_assert_eq(memcmp(R.data[0], "abc_______xyz", 13), 0);
    cr_assert_eq(stats_get(&st, CNT_TCP_REASSEMBLY_GAP), 1);
    cr_assert(F.sd[0].flags & SD_GAP);
}

/* issue-4220-01-ids: the server's ACK is captured 6 us before the client
 * segment it acknowledges: no gap, the bytes arrive whole. A hole that a
 * delivery narrowed but did not close needs a second ACK again. */
Test(stream, an_ack_just_before_its_data_is_no_gap)
{
    reasm_start(&F, 0, 100);
    seg(0, 100, "abc");
    reasm_ack(&C, &F, 0, 110, 0);
    seg(0, 103, "defghij");
    reasm_ack(&C, &F, 0, 110, 0);
    cr_assert_eq(R.ngaps[0], 0);
    cr_assert_eq(R.len[0], 10);
    cr_assert_eq(memcmp(R.data[0], "abcdefghij", 10), 0);
    reasm_ack(&C, &F, 0, 120, 0); /* 10 unseen bytes */
    seg(0, 110, "klm");           /* 7 still unseen: delivered in between */
    reasm_ack(&C, &F, 0, 120, 0);
    cr_assert_eq(R.ngaps[0], 0);
    reasm_ack(&C, &F, 0, 120, 0);
    cr_assert_eq(R.ngaps[0], 1);
    cr_assert_eq(R.gaps[0], 7);
    cr_assert_eq(stats_get(&st, CNT_TCP_REASSEMBLY_GAP), 1);
}

Test(stream, close_with_a_hole_reports_the_gap_then_the_held_bytes)
{
    reasm_start(&F, 0, 1);
    seg(0, 1, "ab");
    seg(0, 6, "fg");
    reasm_close(&C, &F, 0, STREAM_CLOSE_RST, 0);
    cr_assert_eq(R.len[0], 7);
    cr_assert_eq(memcmp(R.data[0], "ab___fg", 7), 0);
    cr_assert_eq(R.closed[0], 1);
    cr_assert_eq(R.close_reason[0], STREAM_CLOSE_RST);
    reasm_close(&C, &F, 0, STREAM_CLOSE_RST, 0); /* once only */
    cr_assert_eq(R.closed[0], 1);
}

Test(stream, the_cap_forces_a_skip_instead_of_growing)
{
    cfg.flow_cap = 8;
    reasm_start(&F, 0, 1);
    seg(0, 11, "KLMNO"); /* held: 5 bytes */
    seg(0, 21, "UVWXY"); /* 10 > 8: skip to 11, deliver KLMNO, hold UVWXY */
    cr_assert_eq(R.gaps[0], 10);
    cr_assert_eq(R.len[0], 15);
    cr_assert_eq(F.sd[0].held, 5);
    cr_assert_eq(stats_get(&st, CNT_TCP_SEGMENT_MEMCAP_DROP), 1);
    cr_assert_leq(F.sd[0].held + F.sd[1].held, cfg.flow_cap);
}

/* ---- the state machine, driven with decoded headers ---- */

static void pkt(int fd, uint8_t flags, uint32_t seq, uint32_t ack, const char *payload)
{
    struct decoded d;
    memset(&d, 0, sizeof(d));
    d.ipver = 4;
    d.proto = 6;
    d.l4ok = 1;
    d.tcp_flags = flags;
    d.seq = seq;
    d.ack = ack;
    d.payload = (const uint8_t *)payload;
    d.payload_len = d.payload_wire = payload ? (uint32_t)strlen(payload) : 0;
    F.tcp_flags[fd] |= flags;
    stream_tcp_packet(&C, &F, fd, &d, 0);
}

Test(stream, handshake_data_and_fin_each_way)
{
    pkt(0, TH_SYN, 100, 0, NULL);
    cr_assert_eq(F.tcp_state, TCP_SYN_SENT);
    pkt(1, TH_SYN | TH_ACK, 500, 101, NULL);
    cr_assert_eq(F.tcp_state, TCP_SYN_RECV);
    pkt(0, TH_ACK, 101, 501, NULL);
    cr_assert_eq(F.tcp_state, TCP_ESTABLISHED);
    cr_assert_eq(F.state, FLOW_STATE_ESTABLISHED);
    pkt(0, TH_ACK | TH_PSH, 101, 501, "GET / HTTP/1.0\r\n\r\n");
    pkt(1, TH_ACK | TH_PSH, 501, 119, "HTTP/1.0 200 OK\r\n\r\n");
    pkt(0, TH_ACK | TH_FIN, 119, 520, NULL);
    cr_assert_eq(F.tcp_state, TCP_CLOSE_WAIT);
    cr_assert_eq(R.closed[0], 1);
    pkt(1, TH_ACK | TH_FIN, 520, 120, NULL);
    cr_assert_eq(F.tcp_state, TCP_LAST_ACK);
    pkt(0, TH_ACK, 120, 521, NULL);
    cr_assert_eq(F.tcp_state, TCP_CLOSED);
    cr_assert_eq(F.state, FLOW_STATE_CLOSED);
    cr_assert_eq(R.len[0], 18);
    cr_assert_eq(R.len[1], 19);
    cr_assert_eq(R.closed[1], 1);
    cr_assert_eq(R.ngaps[0] + R.ngaps[1], 0);
    cr_assert_eq(stats_get(&st, CNT_TCP_SESSIONS), 1);
    cr_assert_eq(stats_get(&st, CNT_TCP_SYNACK), 1);
}

Test(stream, no_session_without_a_syn_unless_midstream)
{
    pkt(0, TH_ACK | TH_PSH, 1000, 2000, "data");
    cr_assert_not(F.flags & FLOW_F_TCP_SESSION);
    cr_assert_eq(R.len[0], 0);
    memset(&F, 0, sizeof(F));
    F.key.proto = 6;
    cfg.midstream = true;
    pkt(0, TH_ACK | TH_PSH, 1000, 2000, "data");
    cr_assert(F.flags & FLOW_F_MIDSTREAM);
    cr_assert_eq(F.tcp_state, TCP_ESTABLISHED);
    pkt(1, TH_ACK | TH_PSH, 2000, 1004, "resp");
    cr_assert_eq(R.len[0], 4);
    cr_assert_eq(R.len[1], 4);
    cr_assert_eq(stats_get(&st, CNT_TCP_MIDSTREAM), 1);
}

Test(stream, rst_closes_both_directions_and_flow_end_destroys_the_slot)
{
    pkt(0, TH_SYN, 1, 0, NULL);
    pkt(1, TH_SYN | TH_ACK, 9, 2, NULL);
    pkt(0, TH_ACK, 2, 10, "ab");
    pkt(1, TH_RST, 10, 0, NULL);
    cr_assert_eq(F.tcp_state, TCP_CLOSED);
    cr_assert_eq(R.closed[0], 1);
    cr_assert_eq(R.closed[1], 1);
    static int slot;
    F.app = &slot;
    stream_flow_end(&C, &F, 0);
    cr_assert_eq(R.destroyed, 1);
    cr_assert_null(F.app);
}

Test(stream, syn_with_data_is_delivered_after_the_syn)
{
    pkt(0, TH_SYN, 41, 0, "fastopen");
    cr_assert_eq(R.len[0], 8);
    cr_assert_eq(F.sd[0].next_seq, 50);
}

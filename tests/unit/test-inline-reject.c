/* Unit tests for runtime/inline-reject.c: the resets and ICMP unreachable a
 * Reject verdict sends, built from hand-made IPv4 packets. */
#include "inline-reject.h"
#include "capture.h"

#include <criterion/criterion.h>
#include <string.h>

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* 10.0.0.1:40000 -> 10.0.0.2:80, seq 1000, ack 5000, flags, `plen` bytes. */
static size_t tcp_packet(uint8_t *p, uint8_t flags, size_t plen)
{
    memset(p, 0, 40 + plen);
    p[0] = 0x45;
    p[2] = (uint8_t)((40 + plen) >> 8);
    p[3] = (uint8_t)(40 + plen);
    p[8] = 64;
    p[9] = 6;
    memcpy(p + 12, (uint8_t[]){10, 0, 0, 1, 10, 0, 0, 2}, 8);
    uint8_t *t = p + 20;
    t[0] = 40000 >> 8;
    t[1] = 40000 & 0xff;
    t[3] = 80;
    t[6] = 1000 >> 8;
    t[7] = 1000 & 0xff;
    t[10] = 5000 >> 8;
    t[11] = 5000 & 0xff;
    t[12] = 5 << 4;
    t[13] = flags;
    memset(t + 20, 'x', plen);
    return 40 + plen;
}

/* The TCP checksum over the pseudo-header verifies to zero. */
static void check_tcp_csum(const uint8_t *ip)
{
    size_t tl = get16(ip + 2) - 20u;
    uint32_t sum = get16(ip + 12) + get16(ip + 14) + get16(ip + 16) + get16(ip + 18) + 6 +
                   (uint32_t)tl;
    cr_assert_eq(inline_csum(ip + 20, tl, sum), 0);
    cr_assert_eq(inline_csum(ip, 20, 0), 0, "IPv4 header checksum");
}

Test(inline_reject, data_segment_resets_both_ends)
{
    uint8_t p[200];
    size_t len = tcp_packet(p, 0x18 /* PSH ACK */, 100);
    struct inline_reject_pkts r;
    cr_assert_eq(inline_reject_build(p, len, &r), 2);
    /* to the server, as if from the client: seq after the data */
    const uint8_t *a = r.buf[0];
    cr_assert_eq(r.len[0], 40);
    cr_assert(!memcmp(a + 12, (uint8_t[]){10, 0, 0, 1, 10, 0, 0, 2}, 8));
    cr_assert_eq(get16(a + 20), 40000);
    cr_assert_eq(get16(a + 22), 80);
    cr_assert_eq(get32(a + 24), 1100);
    cr_assert_eq(a[33], 0x04);
    check_tcp_csum(a);
    /* to the client, as if from the server: seq = the client's ack */
    const uint8_t *b = r.buf[1];
    cr_assert(!memcmp(b + 12, (uint8_t[]){10, 0, 0, 2, 10, 0, 0, 1}, 8));
    cr_assert_eq(get16(b + 20), 80);
    cr_assert_eq(get16(b + 22), 40000);
    cr_assert_eq(get32(b + 24), 5000);
    cr_assert_eq(get32(b + 28), 1100);
    cr_assert_eq(b[33], 0x14);
    check_tcp_csum(b);
}

Test(inline_reject, syn_counts_one_and_no_ack)
{
    uint8_t p[64];
    size_t len = tcp_packet(p, 0x02, 0);
    struct inline_reject_pkts r;
    cr_assert_eq(inline_reject_build(p, len, &r), 2);
    cr_assert_eq(get32(r.buf[1] + 24), 0, "no ack in a SYN: seq 0");
    cr_assert_eq(get32(r.buf[1] + 28), 1001, "the SYN takes one sequence number");
}

Test(inline_reject, never_answers_reset_icmp_or_v6)
{
    uint8_t p[64];
    struct inline_reject_pkts r;
    size_t len = tcp_packet(p, 0x14, 0);
    cr_assert_eq(inline_reject_build(p, len, &r), 0);
    p[9] = 1;
    cr_assert_eq(inline_reject_build(p, len, &r), 0);
    tcp_packet(p, 0x10, 0);
    p[0] = 0x60;
    cr_assert_eq(inline_reject_build(p, len, &r), 0);
    cr_assert_eq(inline_reject_build(p, 10, &r), 0, "truncated");
}

Test(inline_reject, udp_gets_port_unreachable)
{
    uint8_t p[64];
    size_t len = tcp_packet(p, 0, 0);
    p[9] = 17;
    struct inline_reject_pkts r;
    cr_assert_eq(inline_reject_build(p, len, &r), 1);
    const uint8_t *o = r.buf[0];
    cr_assert_eq(o[9], 1);
    cr_assert(!memcmp(o + 12, (uint8_t[]){10, 0, 0, 2, 10, 0, 0, 1}, 8));
    cr_assert_eq(o[20], 3);
    cr_assert_eq(o[21], 3);
    cr_assert_eq(r.len[0], 20 + 8 + 28, "quotes the IP header and 8 bytes");
    cr_assert(!memcmp(o + 28, p, 28));
    cr_assert_eq(inline_csum(o + 20, 36, 0), 0);
    cr_assert_eq(inline_csum(o, 20, 0), 0);
}

Test(inline_reject, redirect_answers_the_request)
{
    uint8_t p[200];
    size_t len = tcp_packet(p, 0x18, 100); /* a 100-byte request from the client */
    struct inline_reject_pkts r;
    cr_assert_eq(inline_redirect_build(p, len, 1, "/new", 4, &r), 2);
    const uint8_t *a = r.buf[0];
    static const char want[] = "HTTP/1.1 302 Found\r\nLocation: /new\r\nContent-Length: 0\r\n"
                               "Connection: close\r\n\r\n";
    cr_assert_eq(r.len[0], 40 + sizeof(want) - 1);
    cr_assert(!memcmp(a + 40, want, sizeof(want) - 1));
    cr_assert(!memcmp(a + 12, (uint8_t[]){10, 0, 0, 2, 10, 0, 0, 1}, 8), "server to client");
    cr_assert_eq(get32(a + 24), 5000, "the server's next sequence");
    cr_assert_eq(get32(a + 28), 1100, "acknowledges the request");
    cr_assert_eq(a[33], 0x19, "ACK PSH FIN");
    check_tcp_csum(a);
    const uint8_t *b = r.buf[1];
    cr_assert(!memcmp(b + 12, (uint8_t[]){10, 0, 0, 1, 10, 0, 0, 2}, 8), "client to server");
    cr_assert_eq(get32(b + 24), 1000, "where the server expects the request");
    cr_assert_eq(b[33], 0x04);
    check_tcp_csum(b);
}

Test(inline_reject, redirect_replaces_a_response)
{
    uint8_t p[200];
    size_t len = tcp_packet(p, 0x18, 50); /* read as a response: 10.0.0.1 is the server */
    struct inline_reject_pkts r;
    cr_assert_eq(inline_redirect_build(p, len, 0, "http://x/", 9, &r), 2);
    cr_assert(!memcmp(r.buf[0] + 12, (uint8_t[]){10, 0, 0, 1, 10, 0, 0, 2}, 8));
    cr_assert_eq(get32(r.buf[0] + 24), 1000, "in place of this segment");
    cr_assert_eq(get32(r.buf[0] + 28), 5000);
    cr_assert_eq(get32(r.buf[1] + 24), 5000, "the client's next sequence");
    check_tcp_csum(r.buf[0]);
}

Test(inline_reject, redirect_refuses_header_injection_and_long_locations)
{
    uint8_t p[64];
    size_t len = tcp_packet(p, 0x18, 0);
    struct inline_reject_pkts r;
    cr_assert_eq(inline_redirect_build(p, len, 1, "/a\r\nSet-Cookie: x", 17, &r), 0);
    static char big[INLINE_LOCATION_MAX + 2];
    memset(big, 'a', sizeof(big) - 1);
    cr_assert_eq(inline_redirect_build(p, len, 1, big, sizeof(big) - 1, &r), 0);
    /* the verdict falls back to resets */
    cr_assert_eq(inline_reply_build(CAPTURE_VERDICT_REDIRECT_C, p, len, big, &r), 2);
    cr_assert_eq(r.buf[0][33], 0x04);
}

/* Unit tests for runtime/inline-reject.c: the resets and ICMP unreachable a
 * Reject verdict sends, built from hand-made IPv4 and IPv6 packets. */
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

Test(inline_reject, never_answers_reset_icmp_or_unknown_version)
{
    uint8_t p[64];
    struct inline_reject_pkts r;
    size_t len = tcp_packet(p, 0x14, 0);
    cr_assert_eq(inline_reject_build(p, len, &r), 0);
    p[9] = 1;
    cr_assert_eq(inline_reject_build(p, len, &r), 0);
    tcp_packet(p, 0x10, 0);
    p[0] = 0x50;
    cr_assert_eq(inline_reject_build(p, len, &r), 0, "IP version 5");
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

/* IPv6: 2001:db8::1 port 40000 -> 2001:db8::2 port 80, seq 1000, ack
 * 5000, after `ext` bytes of a hop-by-hop options header (0 or 8). */
static const uint8_t A6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t B6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

static size_t tcp6_packet(uint8_t *p, uint8_t flags, size_t plen, size_t ext)
{
    memset(p, 0, 60 + ext + plen);
    p[0] = 0x60;
    p[4] = (uint8_t)((20 + ext + plen) >> 8);
    p[5] = (uint8_t)(20 + ext + plen);
    p[6] = ext ? 0 : 6;
    p[7] = 64;
    memcpy(p + 8, A6, 16);
    memcpy(p + 24, B6, 16);
    if (ext) {
        p[40] = 6; /* next header TCP, length 0 (8 bytes), PadN */
        p[42] = 1;
        p[43] = 4;
    }
    uint8_t *t = p + 40 + ext;
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
    return 60 + ext + plen;
}

/* The upper-layer checksum over the IPv6 pseudo-header verifies to zero. */
static void check_v6_csum(const uint8_t *ip, uint8_t proto)
{
    cr_assert_eq(ip[0], 0x60);
    cr_assert_eq(ip[6], proto);
    cr_assert_eq(ip[7], 64, "hop limit");
    size_t pl = get16(ip + 4);
    uint32_t sum = proto + (uint32_t)pl;
    for (int i = 8; i < 40; i += 2)
        sum += get16(ip + i);
    cr_assert_eq(inline_csum(ip + 40, pl, sum), 0);
}

Test(inline_reject, v6_data_segment_resets_both_ends)
{
    uint8_t p[200];
    size_t len = tcp6_packet(p, 0x18, 100, 0);
    struct inline_reject_pkts r;
    cr_assert_eq(inline_reject_build(p, len, &r), 2);
    const uint8_t *a = r.buf[0];
    cr_assert_eq(r.len[0], 60);
    cr_assert_eq(get16(a + 4), 20, "payload length");
    cr_assert(!memcmp(a + 8, A6, 16) && !memcmp(a + 24, B6, 16), "client to server");
    cr_assert_eq(get16(a + 40), 40000);
    cr_assert_eq(get16(a + 42), 80);
    cr_assert_eq(get32(a + 44), 1100, "after the data");
    cr_assert_eq(get32(a + 48), 0);
    cr_assert_eq(a[52], 0x50);
    cr_assert_eq(a[53], 0x04);
    check_v6_csum(a, 6);
    const uint8_t *b = r.buf[1];
    cr_assert_eq(r.len[1], 60);
    cr_assert(!memcmp(b + 8, B6, 16) && !memcmp(b + 24, A6, 16), "server to client");
    cr_assert_eq(get16(b + 40), 80);
    cr_assert_eq(get16(b + 42), 40000);
    cr_assert_eq(get32(b + 44), 5000);
    cr_assert_eq(get32(b + 48), 1100);
    cr_assert_eq(b[53], 0x14);
    check_v6_csum(b, 6);
}

Test(inline_reject, v6_skips_extension_headers)
{
    uint8_t p[200];
    size_t len = tcp6_packet(p, 0x02, 0, 8);
    struct inline_reject_pkts r;
    cr_assert_eq(inline_reject_build(p, len, &r), 2);
    cr_assert_eq(get16(r.buf[0] + 42), 80, "ports read after the hop-by-hop header");
    cr_assert_eq(get32(r.buf[1] + 48), 1001, "the SYN takes one sequence number");
    cr_assert_eq(r.buf[0][6], 6, "the reset carries no extension header");
    check_v6_csum(r.buf[0], 6);
}

Test(inline_reject, v6_udp_gets_icmpv6_port_unreachable)
{
    uint8_t p[200];
    size_t len = tcp6_packet(p, 0, 20, 0);
    p[6] = 17;
    struct inline_reject_pkts r;
    cr_assert_eq(inline_reject_build(p, len, &r), 1);
    const uint8_t *o = r.buf[0];
    cr_assert(!memcmp(o + 8, B6, 16) && !memcmp(o + 24, A6, 16), "to the sender");
    cr_assert_eq(o[40], 1, "destination unreachable");
    cr_assert_eq(o[41], 4, "port unreachable");
    cr_assert_eq(get32(o + 44), 0, "unused");
    cr_assert_eq(r.len[0], 48 + len, "quotes the whole small packet");
    cr_assert_eq(get16(o + 4), 8 + len);
    cr_assert(!memcmp(o + 48, p, len));
    check_v6_csum(o, 58);
}

Test(inline_reject, v6_icmp_quote_stays_within_1280)
{
    static uint8_t p[1500];
    size_t len = tcp6_packet(p, 0, 1400, 0);
    p[6] = 17;
    struct inline_reject_pkts r;
    cr_assert_eq(inline_reject_build(p, len, &r), 1);
    cr_assert_eq(r.len[0], 1280);
    cr_assert(!memcmp(r.buf[0] + 48, p, 1232));
    check_v6_csum(r.buf[0], 58);
}

Test(inline_reject, v6_never_answers_icmpv6_multicast_fragments_or_jumbo)
{
    uint8_t p[200];
    struct inline_reject_pkts r;
    size_t len = tcp6_packet(p, 0, 8, 0);
    p[6] = 58;
    cr_assert_eq(inline_reject_build(p, len, &r), 0, "ICMPv6");
    p[6] = 17;
    p[24] = 0xff;
    cr_assert_eq(inline_reject_build(p, len, &r), 0, "multicast destination");
    len = tcp6_packet(p, 0x18, 8, 8);
    p[6] = 44; /* the 8-byte header becomes a fragment header, offset 8 */
    p[42] = 0;
    p[43] = 8;
    cr_assert_eq(inline_reject_build(p, len, &r), 0, "a later fragment");
    p[43] = 1; /* offset 0, more fragments: the first one is answered */
    cr_assert_eq(inline_reject_build(p, len, &r), 2);
    tcp6_packet(p, 0x18, 8, 0);
    p[4] = p[5] = 0;
    cr_assert_eq(inline_reject_build(p, len, &r), 0, "jumbogram");
    cr_assert_eq(inline_reject_build(p, 39, &r), 0, "truncated");
}

Test(inline_reject, v6_redirect_answers_the_request)
{
    uint8_t p[200];
    size_t len = tcp6_packet(p, 0x18, 100, 0);
    struct inline_reject_pkts r;
    cr_assert_eq(inline_reply_build(CAPTURE_VERDICT_REDIRECT_C, p, len, "/new", &r), 2);
    const uint8_t *a = r.buf[0];
    static const char want[] = "HTTP/1.1 302 Found\r\nLocation: /new\r\nContent-Length: 0\r\n"
                               "Connection: close\r\n\r\n";
    cr_assert_eq(r.len[0], 60 + sizeof(want) - 1);
    cr_assert(!memcmp(a + 60, want, sizeof(want) - 1));
    cr_assert(!memcmp(a + 8, B6, 16) && !memcmp(a + 24, A6, 16), "server to client");
    cr_assert_eq(get32(a + 44), 5000);
    cr_assert_eq(get32(a + 48), 1100);
    cr_assert_eq(a[53], 0x19);
    check_v6_csum(a, 6);
    cr_assert_eq(get32(r.buf[1] + 44), 1000, "reset where the server expects the request");
    check_v6_csum(r.buf[1], 6);
}

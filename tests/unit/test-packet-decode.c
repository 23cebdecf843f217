/*
 * Unit tests for runtime/decode.c (test-decode.c is taken by the stdlib
 * decoders): every encapsulation with hand-built
 * frames (each byte array says what it decodes to), checksums, and
 * malformed frames raising the anomaly Suricata names.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "helper-pkt.h"
#include "stats.h"

static struct stats_block st;

static void setup(void)
{
    stats_block_init(&st);
}

TestSuite(pktdecode, .init = setup);

static bool has_event(const struct decoded *d, unsigned code)
{
    for (unsigned i = 0; i < d->nevents; i++)
        if (d->events[i] == code)
            return true;
    return false;
}

/* An Ethernet/IPv4/TCP frame: 10.0.0.1:1234 -> 10.0.0.2:80, PSH|ACK,
 * seq 1000 ack 2000, payload "GET /". */
static size_t tcp_frame(uint8_t *b)
{
    return hp_tcp4_frame(b, "10.0.0.1", "10.0.0.2", 1234, 80, 1000, 2000, TH_PSH | TH_ACK,
                         "GET /", 5);
}

Test(pktdecode, ethernet_ipv4_tcp)
{
    uint8_t b[128];
    size_t n = tcp_frame(b);
    struct decoded d;
    cr_assert(decode_packet(&d, LINK_ETHERNET, b, (uint32_t)n, DECODE_CSUM, NULL, 0, &st));
    cr_assert_eq(d.ipver, 4);
    cr_assert_eq(d.proto, 6);
    cr_assert(d.l4ok);
    cr_assert_eq(d.sport, 1234);
    cr_assert_eq(d.dport, 80);
    cr_assert_eq(d.seq, 1000);
    cr_assert_eq(d.ack, 2000);
    cr_assert_eq(d.tcp_flags, TH_PSH | TH_ACK);
    cr_assert_eq(d.payload_len, 5);
    cr_assert_eq(memcmp(d.payload, "GET /", 5), 0);
    cr_assert_eq(d.csum, CSUM_OK);
    cr_assert_eq(d.nevents, 0);
    cr_assert_eq(stats_get(&st, CNT_DEC_ETHERNET), 1);
    cr_assert_eq(stats_get(&st, CNT_DEC_IPV4), 1);
    cr_assert_eq(stats_get(&st, CNT_DEC_TCP), 1);
}

Test(pktdecode, bad_tcp_checksum_is_flagged_and_peek_mode_counts_nothing)
{
    uint8_t b[128];
    size_t n = tcp_frame(b);
    b[n - 1] ^= 0xff; /* last payload byte changed after the checksum */
    struct decoded d;
    decode_packet(&d, LINK_ETHERNET, b, (uint32_t)n, DECODE_CSUM, NULL, 0, &st);
    cr_assert_eq(d.csum, CSUM_BAD);
    decode_packet(&d, LINK_ETHERNET, b, (uint32_t)n, 0, NULL, 0, &st);
    cr_assert_eq(d.csum, CSUM_UNCHECKED);
    stats_block_init(&st);
    decode_packet(&d, LINK_ETHERNET, b, (uint32_t)n, DECODE_PEEK, NULL, 0, &st);
    cr_assert_eq(d.sport, 1234);
    cr_assert_eq(stats_get(&st, CNT_DEC_TCP), 0);
}

/* Insert `tag` (n bytes) after the MAC addresses of frame b (len bytes). */
static size_t insert_after_macs(uint8_t *b, size_t len, const uint8_t *tag, size_t n)
{
    memmove(b + 12 + n, b + 12, len - 12);
    memcpy(b + 12, tag, n);
    return len + n;
}

Test(pktdecode, vlan_and_qinq)
{
    uint8_t b[160];
    size_t n = tcp_frame(b);
    /* 802.1ad S-tag (88a8, vid 100) then 802.1Q C-tag (8100, vid 200); the
     * original type 0800 follows */
    static const uint8_t tags[8] = {0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0xc8};
    n = insert_after_macs(b, n, tags, 8);
    struct decoded d;
    cr_assert(decode_packet(&d, LINK_ETHERNET, b, (uint32_t)n, DECODE_CSUM, NULL, 0, &st));
    cr_assert_eq(d.nvlan, 2);
    cr_assert_eq(d.vlan[0], 100);
    cr_assert_eq(d.vlan[1], 200);
    cr_assert_eq(d.dport, 80);
    cr_assert_eq(stats_get(&st, CNT_DEC_VLAN), 1);
    cr_assert_eq(stats_get(&st, CNT_DEC_VLAN_QINQ), 1);
}

Test(pktdecode, four_vlan_tags_are_too_many)
{
    uint8_t b[160];
    size_t n = tcp_frame(b);
    /* four 802.1Q tags, vids 1..4 */
    static const uint8_t tags[16] = {0x81, 0, 0, 1, 0x81, 0, 0, 2, 0x81, 0, 0, 3, 0x81, 0, 0, 4};
    n = insert_after_macs(b, n, tags, 16);
    struct decoded d;
    cr_assert_not(decode_packet(&d, LINK_ETHERNET, b, (uint32_t)n, 0, NULL, 0, &st));
    cr_assert(has_event(&d, ANOM_VLAN_TOO_MANY_LAYERS));
}

Test(pktdecode, mpls_label_stack)
{
    uint8_t b[160];
    size_t n = tcp_frame(b);
    /* type 8847 (MPLS unicast): label 16 (not bottom), label 17 bottom-of-stack,
     * then the IPv4 packet (first nibble 4) */
    b[12] = 0x88;
    b[13] = 0x47;
    static const uint8_t labels[8] = {0x00, 0x01, 0x00, 0x40, 0x00, 0x01, 0x11, 0x40};
    memmove(b + 14 + 8, b + 14, n - 14);
    memcpy(b + 14, labels, 8);
    n += 8;
    struct decoded d;
    cr_assert(decode_packet(&d, LINK_ETHERNET, b, (uint32_t)n, DECODE_CSUM, NULL, 0, &st));
    cr_assert_eq(d.dport, 80);
    cr_assert_eq(d.csum, CSUM_OK);
    cr_assert_eq(stats_get(&st, CNT_DEC_MPLS), 1);
}

Test(pktdecode, pppoe_session)
{
    uint8_t b[160];
    size_t n = tcp_frame(b);
    size_t iplen = n - 14;
    /* type 8864 (PPPoE session): ver/type 0x11, code 0, session 0x0001,
     * length = 2 + IP length; PPP protocol 0021 (IPv4) */
    b[12] = 0x88;
    b[13] = 0x64;
    uint8_t hdr[8] = {0x11, 0x00, 0x00, 0x01, (uint8_t)((iplen + 2) >> 8), (uint8_t)(iplen + 2),
                      0x00, 0x21};
    memmove(b + 14 + 8, b + 14, iplen);
    memcpy(b + 14, hdr, 8);
    n += 8;
    struct decoded d;
    cr_assert(decode_packet(&d, LINK_ETHERNET, b, (uint32_t)n, DECODE_CSUM, NULL, 0, &st));
    cr_assert_eq(d.sport, 1234);
    cr_assert_eq(stats_get(&st, CNT_DEC_PPPOE), 1);
}

Test(pktdecode, pppoe_with_a_compressed_protocol_field)
{
    uint8_t b[160];
    size_t n = tcp_frame(b);
    size_t iplen = n - 14;
    /* PPPoE session header, then a one-byte PPP protocol 0x21 (IPv4, RFC 1661
     * protocol field compression) */
    b[12] = 0x88;
    b[13] = 0x64;
    uint8_t hdr[7] = {0x11, 0x00, 0x00, 0x2d, (uint8_t)((iplen + 1) >> 8), (uint8_t)(iplen + 1),
                      0x21};
    memmove(b + 14 + 7, b + 14, iplen);
    memcpy(b + 14, hdr, 7);
    n += 7;
    struct decoded d;
    cr_assert(decode_packet(&d, LINK_ETHERNET, b, (uint32_t)n, DECODE_CSUM, NULL, 0, &st));
    cr_assert_eq(d.dport, 80);
    cr_assert_eq(d.nevents, 0);
}

Test(pktdecode, linux_cooked_v1_and_v2_null_raw_chdlc)
{
    uint8_t f[128];
    size_t n = tcp_frame(f);
    const uint8_t *ip = f + 14;
    size_t iplen = n - 14;
    uint8_t b[200];
    struct decoded d;
    /* SLL: packet type 0 (to us), ARPHRD 1, addr len 6, addr, protocol 0800 */
    static const uint8_t sll[16] = {0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00};
    memcpy(b, sll, 16);
    memcpy(b + 16, ip, iplen);
    cr_assert(decode_packet(&d, LINK_SLL, b, (uint32_t)(16 + iplen), 0, NULL, 0, &st));
    cr_assert_eq(d.dport, 80);
    /* SLL2: protocol 0800, reserved, ifindex 2, ARPHRD 1, pkttype 0, addr len 6, addr */
    static const uint8_t sll2[20] = {0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6,
                                     2,    0,    0, 0, 0, 1, 0, 0};
    memcpy(b, sll2, 20);
    memcpy(b + 20, ip, iplen);
    cr_assert(decode_packet(&d, LINK_SLL2, b, (uint32_t)(20 + iplen), 0, NULL, 0, &st));
    cr_assert_eq(d.dport, 80);
    /* BSD loopback: family 2 (AF_INET) in host (little-endian) order */
    static const uint8_t null4[4] = {2, 0, 0, 0};
    memcpy(b, null4, 4);
    memcpy(b + 4, ip, iplen);
    cr_assert(decode_packet(&d, LINK_NULL, b, (uint32_t)(4 + iplen), 0, NULL, 0, &st));
    cr_assert_eq(d.dport, 80);
    /* raw IP */
    cr_assert(decode_packet(&d, LINK_RAW, ip, (uint32_t)iplen, 0, NULL, 0, &st));
    cr_assert_eq(d.dport, 80);
    /* Cisco HDLC: address 0x0f (unicast), control 0, protocol 0800 */
    static const uint8_t chdlc[4] = {0x0f, 0x00, 0x08, 0x00};
    memcpy(b, chdlc, 4);
    memcpy(b + 4, ip, iplen);
    cr_assert(decode_packet(&d, LINK_CHDLC, b, (uint32_t)(4 + iplen), 0, NULL, 0, &st));
    cr_assert_eq(d.dport, 80);
    cr_assert_eq(stats_get(&st, CNT_DEC_SLL), 1);
    cr_assert_eq(stats_get(&st, CNT_DEC_SLL2), 1);
    cr_assert_eq(stats_get(&st, CNT_DEC_NULL), 1);
    cr_assert_eq(stats_get(&st, CNT_DEC_RAW), 1);
    cr_assert_eq(stats_get(&st, CNT_DEC_CHDLC), 1);
}

Test(pktdecode, ipv6_udp_with_hop_by_hop_header)
{
    uint8_t b[200];
    /* Ethernet/IPv6 (next header 0: hop-by-hop), an 8-byte hop-by-hop header
     * (next 17, length 0, PadN of 4), then UDP 5353 -> 53 "hi" */
    size_t o = hp_eth(b, 0x86dd);
    uint8_t *ip = b + o;
    o += hp_ipv6(ip, "2001:db8::1", "2001:db8::2", 0, 8 + 8 + 2);
    static const uint8_t hbh[8] = {17, 0, 1, 4, 0, 0, 0, 0};
    memcpy(b + o, hbh, 8);
    o += 8;
    ip[6] = 17; /* checksum over the final protocol */
    o += hp_udp(b + o, ip, 5353, 53, "hi", 2);
    ip[6] = 0;
    struct decoded d;
    cr_assert(decode_packet(&d, LINK_ETHERNET, b, (uint32_t)o, DECODE_CSUM, NULL, 0, &st));
    cr_assert_eq(d.ipver, 6);
    cr_assert_eq(d.proto, 17);
    cr_assert_eq(d.ip_hlen, 48);
    cr_assert_eq(d.sport, 5353);
    cr_assert_eq(d.payload_len, 2);
    cr_assert_eq(d.csum, CSUM_OK);
}

Test(pktdecode, ipv6_fragment_header_marks_a_fragment)
{
    uint8_t b[200];
    /* IPv6 next header 44 (fragment): next 17, offset 0, M=1, id 0x01020304 */
    size_t o = hp_eth(b, 0x86dd);
    o += hp_ipv6(b + o, "2001:db8::1", "2001:db8::2", 44, 8 + 16);
    static const uint8_t fh[8] = {17, 0, 0x00, 0x01, 0x01, 0x02, 0x03, 0x04};
    memcpy(b + o, fh, 8);
    o += 8;
    memset(b + o, 0xaa, 16);
    o += 16;
    struct decoded d;
    cr_assert(decode_packet(&d, LINK_ETHERNET, b, (uint32_t)o, 0, NULL, 0, &st));
    cr_assert(d.frag);
    cr_assert(d.more_frags);
    cr_assert_eq(d.frag_id, 0x01020304);
    cr_assert_eq(d.frag_off, 0);
    cr_assert_eq(d.proto, 17);
    cr_assert_not(d.l4ok);
}

Test(pktdecode, gre_ip_in_ip_and_ipv6_in_ipv4)
{
    uint8_t inner[128];
    size_t in = tcp_frame(inner) - 14; /* the inner IPv4/TCP packet */
    uint8_t b[300];
    struct decoded d;
    /* outer IPv4 192.168.0.1 -> 192.168.0.2 proto 47, GRE: no flags,
     * version 0, protocol 0800 */
    size_t o = hp_eth(b, 0x0800);
    o += hp_ipv4(b + o, "192.168.0.1", "192.168.0.2", 47, (uint16_t)(4 + in), 7, 0);
    static const uint8_t gre[4] = {0x00, 0x00, 0x08, 0x00};
    memcpy(b + o, gre, 4);
    o += 4;
    memcpy(b + o, inner + 14, in);
    o += in;
    cr_assert(decode_packet(&d, LINK_ETHERNET, b, (uint32_t)o, DECODE_CSUM, NULL, 0, &st));
    cr_assert(d.tunneled);
    cr_assert_eq(d.dport, 80);
    cr_assert_eq(d.src[3], 1); /* inner 10.0.0.1 */
    cr_assert_eq(d.src[0], 10);
    /* IP-in-IP: outer proto 4 */
    o = hp_eth(b, 0x0800);
    o += hp_ipv4(b + o, "192.168.0.1", "192.168.0.2", 4, (uint16_t)in, 8, 0);
    memcpy(b + o, inner + 14, in);
    o += in;
    cr_assert(decode_packet(&d, LINK_ETHERNET, b, (uint32_t)o, 0, NULL, 0, &st));
    cr_assert_eq(d.src[0], 10);
    cr_assert_eq(stats_get(&st, CNT_DEC_IPV4_IN_IPV4), 1);
    /* IPv6-in-IPv4 (proto 41) carrying IPv6/UDP */
    uint8_t v6[128];
    size_t v6n = hp_udp6_frame(v6, "2001:db8::1", "2001:db8::2", 1000, 2000, "x", 1) - 14;
    o = hp_eth(b, 0x0800);
    o += hp_ipv4(b + o, "192.168.0.1", "192.168.0.2", 41, (uint16_t)v6n, 9, 0);
    memcpy(b + o, v6 + 14, v6n);
    o += v6n;
    cr_assert(decode_packet(&d, LINK_ETHERNET, b, (uint32_t)o, 0, NULL, 0, &st));
    cr_assert_eq(d.ipver, 6);
    cr_assert_eq(d.dport, 2000);
}

Test(pktdecode, erspan_type2_and_vxlan_carry_ethernet)
{
    uint8_t inner[128];
    size_t in = tcp_frame(inner); /* a whole Ethernet frame */
    uint8_t b[400];
    struct decoded d;
    /* GRE with S flag (0x1000), protocol 88be, sequence number, then the
     * 8-byte ERSPAN II header: version 1, VLAN 0, session 1 */
    size_t o = hp_eth(b, 0x0800);
    o += hp_ipv4(b + o, "192.168.0.1", "192.168.0.2", 47, (uint16_t)(8 + 8 + in), 1, 0);
    static const uint8_t gre[8] = {0x10, 0x00, 0x88, 0xbe, 0, 0, 0, 1};
    static const uint8_t erspan[8] = {0x10, 0x00, 0x00, 0x01, 0, 0, 0, 0};
    memcpy(b + o, gre, 8);
    o += 8;
    memcpy(b + o, erspan, 8);
    o += 8;
    memcpy(b + o, inner, in);
    o += in;
    cr_assert(decode_packet(&d, LINK_ETHERNET, b, (uint32_t)o, 0, NULL, 0, &st));
    cr_assert_eq(d.dport, 80);
    cr_assert_eq(stats_get(&st, CNT_DEC_ERSPAN), 1);
    /* VXLAN: outer UDP to 4789, header flags 0x08 (I), VNI 42 */
    uint8_t vx[8 + 128];
    static const uint8_t vxh[8] = {0x08, 0, 0, 0, 0, 0, 42, 0};
    memcpy(vx, vxh, 8);
    memcpy(vx + 8, inner, in);
    o = hp_eth(b, 0x0800);
    uint8_t *ip = b + o;
    o += hp_ipv4(ip, "192.168.0.1", "192.168.0.2", 17, (uint16_t)(8 + 8 + in), 2, 0);
    o += hp_udp(b + o, ip, 40000, 4789, vx, 8 + in);
    cr_assert(decode_packet(&d, LINK_ETHERNET, b, (uint32_t)o, DECODE_CSUM, NULL, 0, &st));
    cr_assert_eq(d.proto, 6);
    cr_assert_eq(d.dport, 80);
    cr_assert_eq(stats_get(&st, CNT_DEC_VXLAN), 1);
}

Test(pktdecode, icmp_v4_and_v6)
{
    uint8_t b[128];
    struct decoded d;
    /* ICMPv4 echo request: type 8 code 0, id 1 seq 1 */
    size_t o = hp_eth(b, 0x0800);
    o += hp_ipv4(b + o, "10.0.0.1", "10.0.0.2", 1, 8, 3, 0);
    uint8_t icmp[8] = {8, 0, 0, 0, 0, 1, 0, 1};
    uint16_t c = decode_csum_fold(decode_csum_add(0, icmp, 8));
    icmp[2] = (uint8_t)(c >> 8);
    icmp[3] = (uint8_t)c;
    memcpy(b + o, icmp, 8);
    o += 8;
    cr_assert(decode_packet(&d, LINK_ETHERNET, b, (uint32_t)o, DECODE_CSUM, NULL, 0, &st));
    cr_assert_eq(d.icmp_type, 8);
    cr_assert_eq(d.csum, CSUM_OK);
    /* ICMPv4 type 99 is unknown */
    b[o - 8] = 99;
    decode_packet(&d, LINK_ETHERNET, b, (uint32_t)o, 0, NULL, 0, &st);
    cr_assert(has_event(&d, ANOM_ICMPV4_UNKNOWN_TYPE));
    /* ICMPv6 echo request (128) over IPv6 next header 58 */
    o = hp_eth(b, 0x86dd);
    o += hp_ipv6(b + o, "2001:db8::1", "2001:db8::2", 58, 8);
    static const uint8_t icmp6[8] = {128, 0, 0, 0, 0, 1, 0, 1};
    memcpy(b + o, icmp6, 8);
    o += 8;
    cr_assert(decode_packet(&d, LINK_ETHERNET, b, (uint32_t)o, 0, NULL, 0, &st));
    cr_assert_eq(d.icmp_type, 128);
    cr_assert_eq(stats_get(&st, CNT_DEC_ICMPV6), 1);
}

Test(pktdecode, malformed_ipv4_headers_raise_their_anomalies)
{
    uint8_t b[128];
    size_t n = tcp_frame(b);
    struct decoded d;
    /* captured shorter than the IP total length */
    decode_packet(&d, LINK_ETHERNET, b, (uint32_t)(n - 3), 0, NULL, 0, &st);
    cr_assert(has_event(&d, ANOM_IPV4_TRUNC_PKT));
    /* fewer than 20 bytes of IPv4 */
    decode_packet(&d, LINK_ETHERNET, b, 14 + 10, 0, NULL, 0, &st);
    cr_assert(has_event(&d, ANOM_IPV4_PKT_TOO_SMALL));
    /* header length 16 (IHL 4) */
    uint8_t c[128];
    memcpy(c, b, n);
    c[14] = 0x44;
    decode_packet(&d, LINK_ETHERNET, c, (uint32_t)n, 0, NULL, 0, &st);
    cr_assert(has_event(&d, ANOM_IPV4_HLEN_TOO_SMALL));
    /* total length 10 < header length */
    memcpy(c, b, n);
    c[16] = 0;
    c[17] = 10;
    decode_packet(&d, LINK_ETHERNET, c, (uint32_t)n, 0, NULL, 0, &st);
    cr_assert(has_event(&d, ANOM_IPV4_IPLEN_SMALLER_THAN_HLEN));
    /* TCP data offset 4 (16 bytes) */
    memcpy(c, b, n);
    c[14 + 20 + 12] = 0x40;
    decode_packet(&d, LINK_ETHERNET, c, (uint32_t)n, 0, NULL, 0, &st);
    cr_assert(has_event(&d, ANOM_TCP_HLEN_TOO_SMALL));
    cr_assert_eq(stats_get(&st, CNT_DEC_INVALID), 4); /* all but the TCP one */
}

Test(pktdecode, malformed_transport_and_link)
{
    uint8_t b[128];
    struct decoded d;
    /* Ethernet frame of 10 bytes */
    memset(b, 0, sizeof(b));
    decode_packet(&d, LINK_ETHERNET, b, 10, 0, NULL, 0, &st);
    cr_assert(has_event(&d, ANOM_ETH_PKT_TOO_SMALL));
    /* UDP length field 100 in a 12-byte datagram */
    size_t n = hp_udp6_frame(b, "2001:db8::1", "2001:db8::2", 1, 2, "abcd", 4);
    b[14 + 40 + 4] = 0;
    b[14 + 40 + 5] = 100;
    decode_packet(&d, LINK_ETHERNET, b, (uint32_t)n, 0, NULL, 0, &st);
    cr_assert(has_event(&d, ANOM_UDP_HLEN_INVALID));
    /* IPv6 payload length larger than the capture */
    n = hp_udp6_frame(b, "2001:db8::1", "2001:db8::2", 1, 2, "abcd", 4);
    decode_packet(&d, LINK_ETHERNET, b, (uint32_t)(n - 1), 0, NULL, 0, &st);
    cr_assert(has_event(&d, ANOM_IPV6_TRUNC_PKT));
    /* GRE version 2 */
    size_t o = hp_eth(b, 0x0800);
    o += hp_ipv4(b + o, "1.1.1.1", "2.2.2.2", 47, 4, 1, 0);
    static const uint8_t gre[4] = {0x00, 0x02, 0x08, 0x00};
    memcpy(b + o, gre, 4);
    decode_packet(&d, LINK_ETHERNET, b, (uint32_t)(o + 4), 0, NULL, 0, &st);
    cr_assert(has_event(&d, ANOM_GRE_WRONG_VERSION));
    cr_assert_eq(d.ipver, 4); /* the outer packet is still tracked */
    /* raw IP with version 5 */
    b[0] = 0x50;
    decode_packet(&d, LINK_RAW, b, 40, 0, NULL, 0, &st);
    cr_assert(has_event(&d, ANOM_IPRAW_INVALID_IP_VERSION));
}

Test(pktdecode, every_truncation_of_every_frame_is_safe)
{
    uint8_t frames[3][200];
    size_t lens[3];
    lens[0] = tcp_frame(frames[0]);
    lens[1] = hp_udp6_frame(frames[1], "2001:db8::1", "2001:db8::2", 1, 2, "abcd", 4);
    static const uint8_t tags[4] = {0x81, 0x00, 0x00, 0x05};
    lens[2] = insert_after_macs(frames[2], tcp_frame(frames[2]), tags, 4);
    unsigned decoded_ok = 0;
    for (unsigned f = 0; f < 3; f++) {
        for (size_t cut = 0; cut <= lens[f]; cut++) {
            struct decoded d;
            decoded_ok += decode_packet(&d, LINK_ETHERNET, frames[f], (uint32_t)cut,
                                        DECODE_CSUM, NULL, 0, &st);
        }
    }
    /* only the uncut frames decode to an IP layer */
    cr_assert_eq(decoded_ok, 3);
}

Test(pktdecode, supported_link_types)
{
    cr_assert(decode_linktype_supported(LINK_ETHERNET));
    cr_assert(decode_linktype_supported(LINK_SLL2));
    cr_assert_not(decode_linktype_supported(147));
}

/* The word-at-a-time checksum against the definition (big-endian 16-bit
 * words, a last odd byte as a high-order byte, end-around carry): every
 * length 0..300 at every alignment 0..7, chained from a running sum as the
 * pseudo-header callers do. Fixed xorshift data, including runs of 0xff
 * that make the carries fold. */
static uint32_t csum_reference(uint32_t sum, const uint8_t *p, uint32_t n)
{
    uint64_t s = sum;
    for (uint32_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint32_t)s;
}

/* Longer than the vector loop's chunk (32768 steps of 32 bytes): all 0xff,
 * the worst case for the lanes, and mixed bytes, at two alignments. */
Test(pktdecode, checksum_of_more_than_a_megabyte)
{
    size_t n = (1u << 21) + 37;
    uint8_t *buf = malloc(n + 1);
    cr_assert_not_null(buf);
    for (int pass = 0; pass < 2; pass++) {
        uint32_t x = 88172645u;
        for (size_t i = 0; i < n + 1; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            buf[i] = pass ? (uint8_t)x : 0xff;
        }
        for (unsigned off = 0; off < 2; off++) {
            uint16_t got = decode_csum_fold(decode_csum_add(7, buf + off, (uint32_t)n));
            uint16_t want = decode_csum_fold(csum_reference(7, buf + off, (uint32_t)n));
            cr_assert_eq(got, want, "pass %d offset %u: %#x, not %#x", pass, off, got, want);
        }
    }
    free(buf);
}

Test(pktdecode, checksum_matches_the_definition_at_every_length_and_alignment)
{
    uint8_t buf[320];
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < sizeof(buf); i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = i >= 100 && i < 180 ? 0xff : (uint8_t)x;
    }
    const uint32_t starts[] = {0, 1, 0xffff, 0x1fffe, 0xfffffffeu};
    for (unsigned off = 0; off < 8; off++)
        for (uint32_t n = 0; n <= 300; n++)
            for (unsigned s = 0; s < sizeof(starts) / sizeof(starts[0]); s++) {
                uint16_t got = decode_csum_fold(decode_csum_add(starts[s], buf + off, n));
                uint16_t want = decode_csum_fold(csum_reference(starts[s], buf + off, n));
                cr_assert_eq(got, want, "length %u offset %u start %#x: %#x, not %#x", n, off,
                             starts[s], got, want);
            }
}

/* The pseudo-header is summed word by word in decode_l4_csum_ok, apart
 * from the helper's byte-built one: TCP over IPv4 and IPv6 and UDP over
 * IPv6, addresses full of 0xff (carries) or not, payloads of 0..80 bytes
 * (odd, even, past the 32-byte blocks) check OK, and a changed byte of
 * the payload or of an address is flagged. */
Test(pktdecode, transport_checksums_over_both_pseudo_headers)
{
    static const char *const v4[][2] = {{"10.0.0.1", "10.0.0.2"},
                                        {"255.255.255.254", "255.254.255.255"}};
    static const char *const v6[][2] = {{"2001:db8::1", "2001:db8::2"},
                                        {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe",
                                         "fffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}};
    uint8_t payload[80], b[256];
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i * 37 + 11) | (i % 5 == 0 ? 0xf0 : 0);
    for (unsigned a = 0; a < 2; a++)
        for (size_t n = 0; n <= sizeof(payload); n++)
            for (unsigned kind = 0; kind < 3; kind++) {
                size_t len, ipoff = 14;
                if (kind == 0) {
                    len = hp_tcp4_frame(b, v4[a][0], v4[a][1], 40000, 80, 1, 2, 0x18, payload, n);
                } else if (kind == 1) {
                    len = hp_udp6_frame(b, v6[a][0], v6[a][1], 5353, 53, payload, n);
                } else {
                    len = hp_eth(b, 0x86dd);
                    uint8_t *ip = b + len;
                    len += hp_ipv6(ip, v6[a][0], v6[a][1], 6, (uint16_t)(20 + n));
                    len += hp_tcp(b + len, ip, 40000, 443, 7, 9, 0x18, payload, n);
                }
                struct decoded d;
                cr_assert(decode_packet(&d, LINK_ETHERNET, b, (uint32_t)len, DECODE_CSUM, NULL,
                                        0, &st));
                cr_assert_eq(d.csum, CSUM_OK, "kind %u addresses %u length %zu", kind, a, n);
                size_t at = n ? len - 1 - n / 2 : ipoff + (kind ? 8 : 12); /* payload, or src */
                b[at] ^= 0x21;
                decode_packet(&d, LINK_ETHERNET, b, (uint32_t)len, DECODE_CSUM, NULL, 0, &st);
                cr_assert_eq(d.csum, CSUM_BAD, "kind %u addresses %u length %zu", kind, a, n);
            }
}

/*
 * inline-reject.c - resets and ICMP unreachables for Reject (inline-reject.h).
 */
#include "inline-reject.h"

#include "capture.h"

#include <stdbool.h>
#include <string.h>

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

uint16_t inline_csum(const uint8_t *buf, size_t len, uint32_t sum)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += get16(buf + i);
    if (len & 1)
        sum += (uint32_t)buf[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Where a packet's addresses and transport header lie. */
struct ip_view {
    unsigned alen;            /* 4 (IPv4) or 16 (IPv6) */
    const uint8_t *src, *dst; /* alen bytes each */
    uint8_t proto;            /* transport protocol */
    size_t hl;                /* offset of the transport header */
    size_t tot;               /* bytes of the packet, within len */
};

/* Parses an IPv4 or IPv6 packet; IPv6 extension headers (hop-by-hop,
 * routing, destination options, fragment) are walked. -1 when there is no
 * transport header to answer: truncated, a later fragment, a jumbogram. */
static int ip_parse(const uint8_t *ip, size_t len, struct ip_view *v)
{
    if (len < 20)
        return -1;
    if ((ip[0] >> 4) == 4) {
        size_t hl = (size_t)(ip[0] & 15) * 4, tot = get16(ip + 2);
        if (hl < 20 || hl > len || tot < hl)
            return -1;
        if ((get16(ip + 6) & 0x1fff) != 0)
            return -1; /* not the first fragment */
        *v = (struct ip_view){4, ip + 12, ip + 16, ip[9], hl, tot > len ? len : tot};
        return 0;
    }
    if ((ip[0] >> 4) != 6 || len < 40 || get16(ip + 4) == 0)
        return -1;
    size_t tot = 40 + (size_t)get16(ip + 4), off = 40;
    if (tot > len)
        tot = len;
    uint8_t nh = ip[6];
    while (nh == 0 || nh == 43 || nh == 60 || nh == 44) {
        if (off + 8 > tot)
            return -1;
        if (nh == 44 && (get16(ip + off + 2) & 0xfff8) != 0)
            return -1; /* not the first fragment */
        size_t ext = nh == 44 ? 8 : ((size_t)ip[off + 1] + 1) * 8;
        nh = ip[off];
        off += ext;
    }
    if (off > tot)
        return -1;
    *v = (struct ip_view){16, ip + 8, ip + 24, nh, off, tot};
    return 0;
}

/* An IP header (20 bytes IPv4, 40 IPv6) from src to dst carrying `plen`
 * bytes of `proto`. Returns its length. */
static size_t ip_header(uint8_t *h, unsigned alen, const uint8_t *src, const uint8_t *dst,
                        uint8_t proto, size_t plen)
{
    if (alen == 16) {
        memset(h, 0, 40);
        h[0] = 0x60;
        put16(h + 4, (uint16_t)plen);
        h[6] = proto;
        h[7] = 64;
        memcpy(h + 8, src, 16);
        memcpy(h + 24, dst, 16);
        return 40;
    }
    memset(h, 0, 20);
    h[0] = 0x45;
    put16(h + 2, (uint16_t)(20 + plen));
    h[6] = 0x40; /* don't fragment */
    h[8] = 64;
    h[9] = proto;
    memcpy(h + 12, src, 4);
    memcpy(h + 16, dst, 4);
    put16(h + 10, inline_csum(h, 20, 0));
    return 20;
}

/* The pseudo-header's part of a transport checksum (both families). */
static uint32_t pseudo_sum(unsigned alen, const uint8_t *src, const uint8_t *dst, uint8_t proto,
                           size_t plen)
{
    uint32_t sum = proto + (uint32_t)(plen >> 16) + (uint32_t)(plen & 0xffff);
    for (unsigned i = 0; i < alen; i += 2)
        sum += get16(src + i) + (uint32_t)get16(dst + i);
    return sum;
}

/* A TCP segment with `plen` bytes of payload already at
 * out + ip header + 20. Returns the segment's total length. */
static size_t tcp_segment(uint8_t *out, unsigned alen, const uint8_t *src, const uint8_t *dst,
                          uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                          uint8_t flags, size_t plen)
{
    size_t hl = ip_header(out, alen, src, dst, 6, 20 + plen);
    uint8_t *t = out + hl;
    memset(t, 0, 20);
    put16(t, sport);
    put16(t + 2, dport);
    put32(t + 4, seq);
    put32(t + 8, ack);
    t[12] = 5 << 4;
    t[13] = flags;
    if (flags & 0x10)
        put16(t + 14, 65535); /* window */
    put16(t + 16, inline_csum(t, 20 + plen, pseudo_sum(alen, src, dst, 6, 20 + plen)));
    return hl + 20 + plen;
}

/* ICMPv6 errors are not sent for packets to a multicast address (RFC 4443). */
static bool answerable(const struct ip_view *v)
{
    return v->alen == 4 || v->dst[0] != 0xff;
}

unsigned inline_reject_build(const uint8_t *ip, size_t len, struct inline_reject_pkts *out)
{
    out->n = 0;
    struct ip_view v;
    if (ip_parse(ip, len, &v) < 0 || !answerable(&v))
        return 0;
    if (v.proto == 6) {
        if (v.tot < v.hl + 20)
            return 0;
        const uint8_t *t = ip + v.hl;
        size_t thl = (size_t)(t[12] >> 4) * 4;
        uint8_t fl = t[13];
        if (fl & 0x04)
            return 0; /* never answer a reset */
        size_t payload = v.tot >= v.hl + thl ? v.tot - v.hl - thl : 0;
        uint32_t seq = get32(t + 4), ack = get32(t + 8);
        uint32_t end = seq + (uint32_t)payload + ((fl & 0x02) ? 1 : 0) + ((fl & 0x01) ? 1 : 0);
        uint16_t sport = get16(t), dport = get16(t + 2);
        /* to the receiver B, as if from the sender A */
        out->len[0] = (uint16_t)tcp_segment(out->buf[0], v.alen, v.src, v.dst, sport, dport, end,
                                            0, 0x04, 0);
        /* to the sender A, as if from B: B's next sequence is the ack */
        out->len[1] = (uint16_t)tcp_segment(out->buf[1], v.alen, v.dst, v.src, dport, sport,
                                            (fl & 0x10) ? ack : 0, end, 0x14, 0);
        out->n = 2;
        return 2;
    }
    if (v.proto == 1 || v.proto == 58)
        return 0; /* never answer ICMP with ICMP */
    /* destination unreachable, port unreachable, to A from B, quoting the
     * IPv4 header and 8 bytes, or as much of the IPv6 packet as fits in
     * the minimum MTU of 1280 */
    size_t quote = v.alen == 4 ? (v.hl + 8 < v.tot ? v.hl + 8 : v.tot)
                               : (v.tot < 1280 - 48 ? v.tot : 1280 - 48);
    uint8_t *o = out->buf[0];
    uint8_t proto = v.alen == 4 ? 1 : 58;
    size_t hl = ip_header(o, v.alen, v.dst, v.src, proto, 8 + quote);
    uint8_t *ic = o + hl;
    memset(ic, 0, 8);
    ic[0] = v.alen == 4 ? 3 : 1;
    ic[1] = v.alen == 4 ? 3 : 4;
    memcpy(ic + 8, ip, quote);
    uint32_t sum = v.alen == 4 ? 0 : pseudo_sum(16, v.dst, v.src, 58, 8 + quote);
    put16(ic + 2, inline_csum(ic, 8 + quote, sum));
    out->len[0] = (uint16_t)(hl + 8 + quote);
    out->n = 1;
    return 1;
}

unsigned inline_redirect_build(const uint8_t *ip, size_t len, int from_client, const char *loc,
                               size_t loclen, struct inline_reject_pkts *out)
{
    out->n = 0;
    if (loclen > INLINE_LOCATION_MAX || memchr(loc, '\r', loclen) || memchr(loc, '\n', loclen))
        return 0;
    struct ip_view v;
    if (ip_parse(ip, len, &v) < 0 || v.proto != 6 || v.tot < v.hl + 20)
        return 0;
    const uint8_t *t = ip + v.hl;
    size_t thl = (size_t)(t[12] >> 4) * 4;
    if (thl < 20 || v.tot < v.hl + thl || (t[13] & 0x04))
        return 0;
    uint32_t seq = get32(t + 4), ack = get32(t + 8);
    uint32_t end = seq + (uint32_t)(v.tot - v.hl - thl) + ((t[13] & 0x02) ? 1 : 0) +
                   ((t[13] & 0x01) ? 1 : 0);
    /* client and server endpoints */
    const uint8_t *cip = from_client ? v.src : v.dst, *sip = from_client ? v.dst : v.src;
    uint16_t cport = from_client ? get16(t) : get16(t + 2);
    uint16_t sport = from_client ? get16(t + 2) : get16(t);
    /* the server's next sequence towards the client, and what it acknowledges */
    uint32_t sseq = from_client ? ack : seq, sack = from_client ? end : ack;
    /* the client's next sequence towards the server */
    uint32_t cseq = from_client ? seq : ack;
    static const char head[] = "HTTP/1.1 302 Found\r\nLocation: ";
    static const char tail[] = "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    uint8_t *pl = out->buf[0] + (v.alen == 4 ? 20 : 40) + 20;
    size_t plen = 0;
    memcpy(pl, head, sizeof(head) - 1);
    plen += sizeof(head) - 1;
    memcpy(pl + plen, loc, loclen);
    plen += loclen;
    memcpy(pl + plen, tail, sizeof(tail) - 1);
    plen += sizeof(tail) - 1;
    /* ACK PSH FIN */
    out->len[0] =
        (uint16_t)tcp_segment(out->buf[0], v.alen, sip, cip, sport, cport, sseq, sack, 0x19, plen);
    out->len[1] = (uint16_t)tcp_segment(out->buf[1], v.alen, cip, sip, cport, sport, cseq, 0, 0x04, 0);
    out->n = 2;
    return 2;
}

unsigned inline_reply_build(unsigned verdict, const uint8_t *ip, size_t len, const char *location,
                            struct inline_reject_pkts *out)
{
    if ((verdict == CAPTURE_VERDICT_REDIRECT_C || verdict == CAPTURE_VERDICT_REDIRECT_S) &&
        location &&
        inline_redirect_build(ip, len, verdict == CAPTURE_VERDICT_REDIRECT_C, location,
                              strlen(location), out))
        return out->n;
    return inline_reject_build(ip, len, out);
}

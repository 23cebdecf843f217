/*
 * inline-reject.c - resets and ICMP unreachables for Reject (inline-reject.h).
 */
#include "inline-reject.h"

#include "capture.h"

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

/* A 20-byte IPv4 header from src to dst carrying `plen` bytes of `proto`. */
static void ip4_header(uint8_t *h, const uint8_t src[4], const uint8_t dst[4], uint8_t proto,
                       uint16_t plen)
{
    memset(h, 0, 20);
    h[0] = 0x45;
    put16(h + 2, (uint16_t)(20 + plen));
    h[6] = 0x40; /* don't fragment */
    h[8] = 64;
    h[9] = proto;
    memcpy(h + 12, src, 4);
    memcpy(h + 16, dst, 4);
    put16(h + 10, inline_csum(h, 20, 0));
}

/* A TCP segment with `plen` bytes of payload already at out + 40. */
static void tcp_segment(uint8_t *out, const uint8_t src[4], const uint8_t dst[4], uint16_t sport,
                        uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, size_t plen)
{
    ip4_header(out, src, dst, 6, (uint16_t)(20 + plen));
    uint8_t *t = out + 20;
    memset(t, 0, 20);
    put16(t, sport);
    put16(t + 2, dport);
    put32(t + 4, seq);
    put32(t + 8, ack);
    t[12] = 5 << 4;
    t[13] = flags;
    if (flags & 0x10)
        put16(t + 14, 65535); /* window */
    uint32_t sum = get16(src) + get16(src + 2) + get16(dst) + get16(dst + 2) + 6 +
                   (uint32_t)(20 + plen);
    put16(t + 16, inline_csum(t, 20 + plen, sum));
}

static void tcp_reset(uint8_t *out, const uint8_t src[4], const uint8_t dst[4], uint16_t sport,
                      uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags)
{
    tcp_segment(out, src, dst, sport, dport, seq, ack, flags, 0);
}

unsigned inline_reject_build(const uint8_t *ip, size_t len, struct inline_reject_pkts *out)
{
    out->n = 0;
    if (len < 20 || (ip[0] >> 4) != 4)
        return 0;
    size_t hl = (size_t)(ip[0] & 15) * 4;
    size_t tot = get16(ip + 2);
    if (hl < 20 || hl > len || tot < hl)
        return 0;
    if (tot > len)
        tot = len;
    const uint8_t *src = ip + 12, *dst = ip + 16;
    if ((get16(ip + 6) & 0x1fff) != 0)
        return 0; /* not the first fragment: no transport header */
    if (ip[9] == 6) {
        if (tot < hl + 20)
            return 0;
        const uint8_t *t = ip + hl;
        size_t thl = (size_t)(t[12] >> 4) * 4;
        uint8_t fl = t[13];
        if (fl & 0x04)
            return 0; /* never answer a reset */
        size_t payload = tot >= hl + thl ? tot - hl - thl : 0;
        uint32_t seq = get32(t + 4), ack = get32(t + 8);
        uint32_t end = seq + (uint32_t)payload + ((fl & 0x02) ? 1 : 0) + ((fl & 0x01) ? 1 : 0);
        uint16_t sport = get16(t), dport = get16(t + 2);
        /* to the receiver B, as if from the sender A */
        tcp_reset(out->buf[0], src, dst, sport, dport, end, 0, 0x04);
        out->len[0] = 40;
        /* to the sender A, as if from B: B's next sequence is the ack */
        tcp_reset(out->buf[1], dst, src, dport, sport, (fl & 0x10) ? ack : 0, end, 0x14);
        out->len[1] = 40;
        out->n = 2;
        return 2;
    }
    if (ip[9] == 1)
        return 0; /* never answer ICMP with ICMP */
    /* ICMP destination unreachable, port unreachable, to A from B */
    size_t quote = hl + 8 < tot ? hl + 8 : tot;
    uint8_t *o = out->buf[0];
    ip4_header(o, dst, src, 1, (uint16_t)(8 + quote));
    uint8_t *ic = o + 20;
    memset(ic, 0, 8);
    ic[0] = 3;
    ic[1] = 3;
    memcpy(ic + 8, ip, quote);
    put16(ic + 2, inline_csum(ic, 8 + quote, 0));
    out->len[0] = (uint16_t)(28 + quote);
    out->n = 1;
    return 1;
}

unsigned inline_redirect_build(const uint8_t *ip, size_t len, int from_client, const char *loc,
                               size_t loclen, struct inline_reject_pkts *out)
{
    out->n = 0;
    if (loclen > INLINE_LOCATION_MAX || memchr(loc, '\r', loclen) || memchr(loc, '\n', loclen))
        return 0;
    if (len < 20 || (ip[0] >> 4) != 4 || ip[9] != 6 || (get16(ip + 6) & 0x1fff))
        return 0;
    size_t hl = (size_t)(ip[0] & 15) * 4;
    size_t tot = get16(ip + 2);
    if (hl < 20 || tot > len || tot < hl + 20)
        return 0;
    const uint8_t *t = ip + hl;
    size_t thl = (size_t)(t[12] >> 4) * 4;
    if (thl < 20 || tot < hl + thl || (t[13] & 0x04))
        return 0;
    uint32_t seq = get32(t + 4), ack = get32(t + 8);
    uint32_t end = seq + (uint32_t)(tot - hl - thl) + ((t[13] & 0x02) ? 1 : 0) +
                   ((t[13] & 0x01) ? 1 : 0);
    /* client and server endpoints */
    const uint8_t *cip = from_client ? ip + 12 : ip + 16, *sip = from_client ? ip + 16 : ip + 12;
    uint16_t cport = from_client ? get16(t) : get16(t + 2);
    uint16_t sport = from_client ? get16(t + 2) : get16(t);
    /* the server's next sequence towards the client, and what it acknowledges */
    uint32_t sseq = from_client ? ack : seq, sack = from_client ? end : ack;
    /* the client's next sequence towards the server */
    uint32_t cseq = from_client ? seq : ack;
    static const char head[] = "HTTP/1.1 302 Found\r\nLocation: ";
    static const char tail[] = "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    uint8_t *pl = out->buf[0] + 40;
    size_t plen = 0;
    memcpy(pl, head, sizeof(head) - 1);
    plen += sizeof(head) - 1;
    memcpy(pl + plen, loc, loclen);
    plen += loclen;
    memcpy(pl + plen, tail, sizeof(tail) - 1);
    plen += sizeof(tail) - 1;
    /* ACK PSH FIN */
    tcp_segment(out->buf[0], sip, cip, sport, cport, sseq, sack, 0x19, plen);
    out->len[0] = (uint16_t)(40 + plen);
    tcp_reset(out->buf[1], cip, sip, cport, sport, cseq, 0, 0x04);
    out->len[1] = 40;
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

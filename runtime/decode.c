/* decode.c - header decoding, link layer to transport (see decode.h). */
#include "decode.h"

#include "stats.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

struct dctx {
    struct decoded *d;
    unsigned flags;
    struct stats_block *st;
};

static inline uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void ev(struct dctx *c, unsigned code)
{
    if (c->flags & DECODE_PEEK)
        return;
    struct decoded *d = c->d;
    if (d->nevents < DECODE_MAX_EVENTS)
        d->events[d->nevents++] = (uint8_t)code;
    if (c->st)
        stats_anomaly(c->st, code);
}

static void cnt(struct dctx *c, enum stats_counter id)
{
    if (c->st && !(c->flags & DECODE_PEEK))
        stats_inc(c->st, id);
}

/* Every header walked counts as a layer; a frame nesting too deep stops. */
static bool layer(struct dctx *c)
{
    if (++c->d->layers > DECODE_MAX_LAYERS) {
        ev(c, ANOM_TOO_MANY_LAYERS);
        cnt(c, CNT_DEC_TOO_MANY_LAYERS);
        return false;
    }
    return true;
}

static bool dec_ethertype(struct dctx *c, uint16_t type, const uint8_t *p, uint32_t len);
static bool dec_ether(struct dctx *c, const uint8_t *p, uint32_t len);
static bool dec_ipv4(struct dctx *c, const uint8_t *p, uint32_t len);
static bool dec_ipv6(struct dctx *c, const uint8_t *p, uint32_t len);

/* ---- checksums ---- */

/* The Internet checksum is byte-order independent (RFC 1071, 2.B): summing
 * 16-bit words as they lie in memory and swapping the folded result gives
 * the sum of the big-endian words. So the words are added eight bytes at a
 * time, as two 32-bit halves into 64-bit accumulators (a packet cannot
 * carry them over), four of them side by side over 32-byte blocks so that
 * the adds do not wait on each other (with SSE2, eight 32-bit lanes); the
 * last 4 and 2 bytes are one step each, and the odd last byte, a
 * high-order byte, is added last. */
uint32_t decode_csum_add(uint32_t sum, const uint8_t *p, uint32_t n)
{
    uint64_t w = 0, w1 = 0, w2 = 0, w3 = 0;
#ifdef __SSE2__
    /* with SSE2, 32 bytes a step: the 16-bit words widened to 32-bit lanes
     * (a lane takes 2 words a step, so 32768 steps cannot carry out) */
    while (n >= 32) {
        __m128i zero = _mm_setzero_si128(), a = zero, b = zero;
        uint32_t steps = n / 32 < 32768 ? n / 32 : 32768;
        for (uint32_t i = 0; i < steps; i++) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
            __m128i y = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
            a = _mm_add_epi32(a, _mm_add_epi32(_mm_unpacklo_epi16(x, zero),
                                               _mm_unpacklo_epi16(y, zero)));
            b = _mm_add_epi32(b, _mm_add_epi32(_mm_unpackhi_epi16(x, zero),
                                               _mm_unpackhi_epi16(y, zero)));
            p += 32;
        }
        n -= steps * 32;
        uint32_t l[8];
        _mm_storeu_si128((__m128i *)(void *)l, a);
        _mm_storeu_si128((__m128i *)(void *)(l + 4), b);
        for (unsigned k = 0; k < 8; k++)
            w += l[k];
    }
#endif
    while (n >= 32) {
        uint64_t v[4];
        memcpy(v, p, 32);
        w += (v[0] & 0xffffffffu) + (v[0] >> 32);
        w1 += (v[1] & 0xffffffffu) + (v[1] >> 32);
        w2 += (v[2] & 0xffffffffu) + (v[2] >> 32);
        w3 += (v[3] & 0xffffffffu) + (v[3] >> 32);
        p += 32;
        n -= 32;
    }
    w += w1 + w2 + w3;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        w += (v & 0xffffffffu) + (v >> 32);
        p += 8;
        n -= 8;
    }
    if (n >= 4) {
        uint32_t v;
        memcpy(&v, p, 4);
        w += v;
        p += 4;
        n -= 4;
    }
    if (n >= 2) {
        uint16_t v;
        memcpy(&v, p, 2);
        w += v;
        p += 2;
        n -= 2;
    }
    while (w >> 16)
        w = (w & 0xffff) + (w >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    w = ((w & 0xff) << 8) | (w >> 8);
#endif
    uint64_t s = (uint64_t)sum + w;
    if (n)
        s += (uint32_t)p[0] << 8;
    while (s >> 32)
        s = (s & 0xffffffffu) + (s >> 32);
    return (uint32_t)s;
}

uint16_t decode_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

bool decode_l4_csum_ok(const struct decoded *d, const uint8_t *l4, uint32_t l4len)
{
    uint32_t sum = 0;
    if (!(d->ipver == 4 && d->proto == 1)) {
        /* the pseudo-header's big-endian words, added here: the addresses,
         * the protocol and the length (IPv4: 16 bits, IPv6: 32) */
        unsigned alen = d->ipver == 4 ? 4 : 16;
        for (unsigned i = 0; i < alen; i += 2)
            sum += (uint32_t)(d->src[i] << 8 | d->src[i + 1]) +
                   (uint32_t)(d->dst[i] << 8 | d->dst[i + 1]);
        sum += d->proto;
        sum += d->ipver == 4 ? (l4len & 0xffff) : (l4len >> 16) + (l4len & 0xffff);
    }
    sum = decode_csum_add(sum, l4, l4len);
    return decode_csum_fold(sum) == 0;
}

/* ---- transport ---- */

static void set_payload(struct decoded *d, const uint8_t *p, uint32_t caplen, uint32_t wire)
{
    d->payload = p;
    d->payload_len = caplen;
    d->payload_wire = wire;
}

/* `len` is what was captured of the segment, `wire` its declared length. */
static bool dec_tcp(struct dctx *c, const uint8_t *p, uint32_t len, uint32_t wire)
{
    struct decoded *d = c->d;
    if (!layer(c))
        return false;
    if (len < 20) {
        ev(c, ANOM_TCP_PKT_TOO_SMALL);
        return false;
    }
    unsigned hlen = (p[12] >> 4) * 4u;
    if (hlen < 20) {
        ev(c, ANOM_TCP_HLEN_TOO_SMALL);
        return false;
    }
    if (hlen > len) {
        ev(c, ANOM_TCP_INVALID_OPTLEN);
        return false;
    }
    d->sport = rd16(p);
    d->dport = rd16(p + 2);
    d->seq = rd32(p + 4);
    d->ack = rd32(p + 8);
    d->tcp_flags = p[13];
    d->win = rd16(p + 14);
    d->wscale = 0xff;
    if (!(c->flags & DECODE_PEEK) && hlen > 20) {
        unsigned seen = 0; /* bit per option kind below 32 */
        const uint8_t *o = p + 20, *end = p + hlen;
        while (o < end) {
            uint8_t kind = o[0];
            if (kind == 0)
                break;
            if (kind == 1) {
                o++;
                continue;
            }
            if (end - o < 2 || o[1] < 2 || o[1] > end - o) {
                ev(c, ANOM_TCP_OPT_INVALID_LEN);
                break;
            }
            uint8_t olen = o[1];
            if (kind < 32) {
                if (seen & (1u << kind) && (kind == 2 || kind == 3 || kind == 4 || kind == 8))
                    ev(c, ANOM_TCP_OPT_DUPLICATE);
                seen |= 1u << kind;
            }
            if (kind == 3) {
                if (olen != 3)
                    ev(c, ANOM_TCP_OPT_INVALID_LEN);
                else
                    d->wscale = o[2] > 14 ? 14 : o[2];
            } else if ((kind == 2 && olen != 4) || (kind == 4 && olen != 2) ||
                       (kind == 8 && olen != 10)) {
                ev(c, ANOM_TCP_OPT_INVALID_LEN);
            }
            o += olen;
        }
    }
    set_payload(d, p + hlen, len - hlen, wire > hlen ? wire - hlen : 0);
    d->l4ok = 1;
    cnt(c, CNT_DEC_TCP);
    if ((c->flags & DECODE_CSUM) && len == wire && !decode_l4_csum_ok(d, p, len))
        d->csum = CSUM_BAD;
    return true;
}

static bool dec_udp(struct dctx *c, const uint8_t *p, uint32_t len, uint32_t wire)
{
    struct decoded *d = c->d;
    if (!layer(c))
        return false;
    if (len < 8) {
        ev(c, ANOM_UDP_PKT_TOO_SMALL);
        return false;
    }
    uint16_t ulen = rd16(p + 4);
    if (ulen < 8) {
        ev(c, ANOM_UDP_HLEN_TOO_SMALL);
        return false;
    }
    if (ulen > wire) {
        ev(c, ANOM_UDP_HLEN_INVALID);
        return false;
    }
    d->sport = rd16(p);
    d->dport = rd16(p + 2);
    uint32_t cap = len < ulen ? len : ulen;
    set_payload(d, p + 8, cap - 8, ulen - 8u);
    d->l4ok = 1;
    cnt(c, CNT_DEC_UDP);
    if ((c->flags & DECODE_CSUM) && cap == ulen && !(d->ipver == 4 && rd16(p + 6) == 0) &&
        !decode_l4_csum_ok(d, p, ulen))
        d->csum = CSUM_BAD;
    /* VXLAN (RFC 7348): 8-byte header with the I flag, then Ethernet. */
    if (d->dport == 4789 && cap >= 16 && (p[8] & 0x08)) {
        struct decoded saved = *d;
        cnt(c, CNT_DEC_VXLAN);
        d->tunneled = 1;
        if (dec_ether(c, p + 16, cap - 16))
            return true;
        if (d->ipver == saved.ipver && !d->l4ok)
            ev(c, ANOM_VXLAN_UNKNOWN_PAYLOAD_TYPE);
        uint8_t nev = d->nevents;
        uint8_t evs[DECODE_MAX_EVENTS];
        memcpy(evs, d->events, sizeof(evs));
        *d = saved;
        d->nevents = nev;
        memcpy(d->events, evs, sizeof(evs));
    }
    return true;
}

static bool icmp4_type_known(uint8_t t)
{
    return t == 0 || (t >= 3 && t <= 5) || (t >= 8 && t <= 18) || (t >= 30 && t <= 43);
}

static bool dec_icmp4(struct dctx *c, const uint8_t *p, uint32_t len, uint32_t wire)
{
    struct decoded *d = c->d;
    if (!layer(c))
        return false;
    if (len < 8) {
        ev(c, ANOM_ICMPV4_PKT_TOO_SMALL);
        return false;
    }
    d->icmp_type = p[0];
    d->icmp_code = p[1];
    d->sport = p[0];
    d->dport = p[1];
    if (!(c->flags & DECODE_PEEK)) {
        uint8_t t = p[0], k = p[1];
        if (!icmp4_type_known(t))
            ev(c, ANOM_ICMPV4_UNKNOWN_TYPE);
        else if (((t == 0 || t == 8) && k != 0) || (t == 3 && k > 15) || (t == 5 && k > 3) ||
                 (t == 11 && k > 1) || (t == 12 && k > 2))
            ev(c, ANOM_ICMPV4_UNKNOWN_CODE);
    }
    set_payload(d, p + 8, len - 8, wire - 8);
    d->l4ok = 1;
    cnt(c, CNT_DEC_ICMPV4);
    if ((c->flags & DECODE_CSUM) && len == wire && !decode_l4_csum_ok(d, p, len))
        d->csum = CSUM_BAD;
    return true;
}

static bool dec_icmp6(struct dctx *c, const uint8_t *p, uint32_t len, uint32_t wire)
{
    struct decoded *d = c->d;
    if (!layer(c))
        return false;
    if (len < 8) {
        ev(c, ANOM_ICMPV6_PKT_TOO_SMALL);
        return false;
    }
    d->icmp_type = p[0];
    d->icmp_code = p[1];
    d->sport = p[0];
    d->dport = p[1];
    if (!(c->flags & DECODE_PEEK)) {
        uint8_t t = p[0], k = p[1];
        bool known = (t >= 1 && t <= 4) || t == 100 || t == 101 || (t >= 127 && t <= 162) ||
                     t == 200 || t == 201 || t == 255;
        if (!known)
            ev(c, ANOM_ICMPV6_UNKNOWN_TYPE);
        else if ((t == 1 && k > 7) || (t == 3 && k > 1) || (t == 4 && k > 3) ||
                 ((t == 128 || t == 129) && k != 0))
            ev(c, ANOM_ICMPV6_UNKNOWN_CODE);
    }
    set_payload(d, p + 8, len - 8, wire - 8);
    d->l4ok = 1;
    cnt(c, CNT_DEC_ICMPV6);
    if ((c->flags & DECODE_CSUM) && len == wire && !decode_l4_csum_ok(d, p, len))
        d->csum = CSUM_BAD;
    return true;
}

/* ---- tunnels ---- */

/* Decode an inner IP or Ethernet frame; on failure restore the outer view
 * (keeping the anomalies) so the outer packet is still tracked. */
static bool tunnel(struct dctx *c, int kind, const uint8_t *p, uint32_t len)
{
    struct decoded *d = c->d;
    struct decoded saved = *d;
    d->tunneled = 1;
    d->l4ok = 0;
    bool ok = kind == 4 ? dec_ipv4(c, p, len) : kind == 6 ? dec_ipv6(c, p, len)
                                                          : dec_ether(c, p, len);
    if (ok)
        return true;
    uint8_t nev = d->nevents, layers = d->layers;
    uint8_t evs[DECODE_MAX_EVENTS];
    memcpy(evs, d->events, sizeof(evs));
    *d = saved;
    d->nevents = nev;
    d->layers = layers;
    memcpy(d->events, evs, sizeof(evs));
    return false;
}

static bool dec_gre(struct dctx *c, const uint8_t *p, uint32_t len)
{
    struct decoded *d = c->d;
    if (!layer(c))
        return false;
    if (len < 4) {
        ev(c, ANOM_GRE_PKT_TOO_SMALL);
        return false;
    }
    cnt(c, CNT_DEC_GRE);
    uint16_t fl = rd16(p), proto = rd16(p + 2);
    unsigned ver = fl & 7, hlen = 4;
    if (ver == 0) {
        if (fl & 0x0700) {
            ev(c, ANOM_GRE_VERSION0_RECUR);
            return false;
        }
        if (fl & 0x00f8) {
            ev(c, ANOM_GRE_VERSION0_FLAGS);
            return false;
        }
        if (fl & 0xc000)
            hlen += 4;
        if (fl & 0x2000)
            hlen += 4;
        if (fl & 0x1000)
            hlen += 4;
        if (hlen > len) {
            ev(c, ANOM_GRE_VERSION0_HDR_TOO_BIG);
            return false;
        }
        if (fl & 0x4000) { /* source route entries until the null one */
            for (;;) {
                if (hlen + 4 > len) {
                    ev(c, ANOM_GRE_VERSION0_HDR_TOO_BIG);
                    return false;
                }
                uint16_t af = rd16(p + hlen);
                uint8_t sl = p[hlen + 3];
                hlen += 4u + sl;
                if (af == 0 && sl == 0)
                    break;
            }
            if (hlen > len) {
                ev(c, ANOM_GRE_VERSION0_HDR_TOO_BIG);
                return false;
            }
        }
    } else if (ver == 1) {
        if (proto != 0x880b) {
            ev(c, ANOM_GRE_VERSION1_WRONG_PROTOCOL);
            return false;
        }
        if (!(fl & 0x2000)) {
            ev(c, ANOM_GRE_VERSION1_NO_KEY);
            return false;
        }
        hlen = 8 + ((fl & 0x1000) ? 4 : 0) + ((fl & 0x0080) ? 4 : 0);
        if (hlen > len) {
            ev(c, ANOM_GRE_VERSION1_HDR_TOO_BIG);
            return false;
        }
    } else {
        ev(c, ANOM_GRE_WRONG_VERSION);
        return false;
    }
    const uint8_t *q = p + hlen;
    uint32_t n = len - hlen;
    switch (proto) {
    case 0x0800:
        return tunnel(c, 4, q, n);
    case 0x86dd:
        return tunnel(c, 6, q, n);
    case 0x6558:
        return tunnel(c, 0, q, n);
    case 0x880b: { /* PPTP: PPP, maybe with address/control */
        if (n >= 2 && q[0] == 0xff && q[1] == 0x03) {
            q += 2;
            n -= 2;
        }
        unsigned pl = n >= 1 && (q[0] & 1) ? 1 : 2;
        if (n < pl)
            return false;
        uint16_t pp = pl == 1 ? q[0] : rd16(q);
        if (pp == 0x0021)
            return tunnel(c, 4, q + pl, n - pl);
        if (pp == 0x0057)
            return tunnel(c, 6, q + pl, n - pl);
        return false;
    }
    case 0x88be:   /* ERSPAN type II (type I when no sequence number) */
    case 0x22eb: { /* ERSPAN type III */
        cnt(c, CNT_DEC_ERSPAN);
        unsigned eh = 0;
        if (proto == 0x88be && (fl & 0x1000)) {
            if (n < 8) {
                ev(c, ANOM_ERSPAN_HEADER_TOO_SMALL);
                return false;
            }
            if ((q[0] >> 4) != 1) {
                ev(c, ANOM_ERSPAN_UNSUPPORTED_VERSION);
                return false;
            }
            eh = 8;
        } else if (proto == 0x22eb) {
            if (n < 12) {
                ev(c, ANOM_ERSPAN_HEADER_TOO_SMALL);
                return false;
            }
            if ((q[0] >> 4) != 2) {
                ev(c, ANOM_ERSPAN_UNSUPPORTED_VERSION);
                return false;
            }
            eh = 12 + ((q[11] & 0x01) ? 8 : 0);
            if (n < eh) {
                ev(c, ANOM_ERSPAN_HEADER_TOO_SMALL);
                return false;
            }
        }
        if (eh) {
            uint16_t vid = rd16(q) & 0x0fff;
            if (vid && d->nvlan < DECODE_MAX_VLAN && proto == 0x88be)
                d->vlan[d->nvlan++] = vid;
        }
        return tunnel(c, 0, q + eh, n - eh);
    }
    default:
        return false;
    }
}

/* ---- network ---- */

static bool dec_l4(struct dctx *c, uint8_t proto, const uint8_t *p, uint32_t len, uint32_t wire)
{
    struct decoded *d = c->d;
    d->proto = proto;
    switch (proto) {
    case 6:
        return dec_tcp(c, p, len, wire);
    case 17:
        return dec_udp(c, p, len, wire);
    case 1:
        return dec_icmp4(c, p, len, wire);
    case 58:
        return dec_icmp6(c, p, len, wire);
    case 4:
        cnt(c, d->ipver == 4 ? CNT_DEC_IPV4_IN_IPV4 : CNT_DEC_IPV4_IN_IPV6);
        if (d->ipver == 6 && (len < 20 || (p[0] >> 4) != 4)) {
            ev(c, len < 20 ? ANOM_IPV4_IN_IPV6_TOO_SMALL : ANOM_IPV4_IN_IPV6_WRONG_VERSION);
            return true;
        }
        tunnel(c, 4, p, len);
        return true;
    case 41:
        cnt(c, d->ipver == 4 ? CNT_DEC_IPV6_IN_IPV4 : CNT_DEC_IPV6_IN_IPV6);
        if (d->ipver == 6 && (len < 40 || (p[0] >> 4) != 6)) {
            ev(c, len < 40 ? ANOM_IPV6_IN_IPV6_TOO_SMALL : ANOM_IPV6_IN_IPV6_WRONG_VERSION);
            return true;
        }
        tunnel(c, 6, p, len);
        return true;
    case 47:
        dec_gre(c, p, len);
        return true;
    default:
        /* other protocols (ESP, SCTP, IGMP, ...) are tracked by addresses */
        set_payload(d, p, len, wire);
        return true;
    }
}

static void ipv4_options(struct dctx *c, const uint8_t *o, const uint8_t *end)
{
    uint32_t seen[8] = {0};
    while (o < end) {
        uint8_t t = o[0];
        if (t == 0)
            break;
        if (t == 1) {
            o++;
            continue;
        }
        if (end - o < 2) {
            ev(c, ANOM_IPV4_OPT_MALFORMED);
            return;
        }
        uint8_t l = o[1];
        if (l < 2) {
            ev(c, ANOM_IPV4_OPT_INVALID_LEN);
            return;
        }
        if (l > end - o) {
            ev(c, ANOM_IPV4_OPT_MALFORMED);
            return;
        }
        if (seen[t >> 5] & (1u << (t & 31)))
            ev(c, ANOM_IPV4_OPT_DUPLICATE);
        seen[t >> 5] |= 1u << (t & 31);
        /* known options with a fixed or minimum length */
        if ((t == 130 && l != 11) || (t == 136 && l != 4) || (t == 148 && l != 4) ||
            ((t == 7 || t == 131 || t == 137) && l < 3) || (t == 68 && l < 4))
            ev(c, ANOM_IPV4_OPT_INVALID_LEN);
        o += l;
    }
}

static bool dec_ipv4(struct dctx *c, const uint8_t *p, uint32_t len)
{
    struct decoded *d = c->d;
    if (!layer(c))
        return false;
    if (len < 20) {
        ev(c, ANOM_IPV4_PKT_TOO_SMALL);
        return false;
    }
    if ((p[0] >> 4) != 4) {
        ev(c, ANOM_IPV4_WRONG_IP_VERSION);
        return false;
    }
    unsigned hlen = (p[0] & 0x0f) * 4u;
    if (hlen < 20) {
        ev(c, ANOM_IPV4_HLEN_TOO_SMALL);
        return false;
    }
    uint16_t tot = rd16(p + 2);
    if (tot < hlen) {
        ev(c, ANOM_IPV4_IPLEN_SMALLER_THAN_HLEN);
        return false;
    }
    if (len < tot) {
        ev(c, ANOM_IPV4_TRUNC_PKT);
        return false;
    }
    cnt(c, CNT_DEC_IPV4);
    d->ipver = 4;
    d->l4ok = 0;
    d->frag = 0;
    d->ip = p;
    d->ip_len = tot;
    d->ip_caplen = tot;
    d->ip_hlen = (uint16_t)hlen;
    d->ttl = p[8];
    d->proto = p[9];
    memset(d->src, 0, sizeof(d->src));
    memset(d->dst, 0, sizeof(d->dst));
    memcpy(d->src, p + 12, 4);
    memcpy(d->dst, p + 16, 4);
    uint16_t fo = rd16(p + 6);
    d->frag_id = rd16(p + 4);
    d->more_frags = (fo & 0x2000) != 0;
    d->frag_off = (uint32_t)(fo & 0x1fff) * 8u;
    if (!(c->flags & DECODE_PEEK)) {
        if (hlen > 20)
            ipv4_options(c, p + 20, p + hlen);
        if ((c->flags & DECODE_CSUM) && decode_csum_fold(decode_csum_add(0, p, hlen)) != 0)
            d->csum = CSUM_BAD;
    }
    if (d->more_frags || d->frag_off) {
        d->frag = 1;
        return true;
    }
    dec_l4(c, d->proto, p + hlen, tot - hlen, tot - hlen);
    return true;
}

static bool dec_ipv6(struct dctx *c, const uint8_t *p, uint32_t len)
{
    struct decoded *d = c->d;
    if (!layer(c))
        return false;
    if (len < 40) {
        ev(c, ANOM_IPV6_PKT_TOO_SMALL);
        return false;
    }
    if ((p[0] >> 4) != 6) {
        ev(c, ANOM_IPV6_WRONG_IP_VERSION);
        return false;
    }
    uint32_t plen = rd16(p + 4);
    if (plen == 0 && p[6] == 0)
        plen = len - 40; /* jumbogram: the hop-by-hop option carries the length */
    if (len < 40 + plen) {
        ev(c, ANOM_IPV6_TRUNC_PKT);
        return false;
    }
    cnt(c, CNT_DEC_IPV6);
    d->ipver = 6;
    d->l4ok = 0;
    d->frag = 0;
    d->ip = p;
    d->ip_len = 40 + plen;
    d->ip_caplen = 40 + plen;
    d->ttl = p[7];
    memcpy(d->src, p + 8, 16);
    memcpy(d->dst, p + 24, 16);
    uint8_t nh = p[6];
    uint32_t off = 40, end = 40 + plen;
    bool seen_fh = false, seen_hh = false;
    uint32_t nh_off = 6;
    for (;;) {
        if (nh == 0 || nh == 43 || nh == 60 || nh == 135 || nh == 51) {
            if (off + 8 > end) {
                ev(c, ANOM_IPV6_TRUNC_EXTHDR);
                return false;
            }
            uint32_t el = nh == 51 ? (p[off + 1] + 2u) * 4u : (p[off + 1] + 1u) * 8u;
            if (off + el > end) {
                ev(c, ANOM_IPV6_TRUNC_EXTHDR);
                return false;
            }
            if (nh == 0) {
                if (seen_hh || off != 40)
                    ev(c, ANOM_IPV6_EXTHDR_DUPL_HH);
                seen_hh = true;
            }
            if (nh == 43 && p[off + 2] == 0)
                ev(c, ANOM_IPV6_RH_TYPE_0);
            if ((nh == 0 || nh == 60) && !(c->flags & DECODE_PEEK)) {
                /* options: Pad1, or type/len/value inside the header */
                uint32_t o = off + 2;
                while (o < off + el) {
                    if (p[o] == 0) {
                        o++;
                        continue;
                    }
                    if (o + 2 > off + el || o + 2 + p[o + 1] > off + el) {
                        ev(c, ANOM_IPV6_EXTHDR_INVALID_OPTLEN);
                        break;
                    }
                    o += 2u + p[o + 1];
                }
            }
            nh = p[off];
            nh_off = off;
            off += el;
            continue;
        }
        if (nh == 44) {
            if (off + 8 > end) {
                ev(c, ANOM_IPV6_TRUNC_EXTHDR);
                return false;
            }
            if (seen_fh)
                ev(c, ANOM_IPV6_EXTHDR_DUPL_FH);
            seen_fh = true;
            uint16_t fo = rd16(p + off + 2);
            d->frag_off = (uint32_t)(fo >> 3) * 8u;
            d->more_frags = fo & 1;
            d->frag_id = rd32(p + off + 4);
            d->proto = p[off];
            d->v6_nh_off = (uint16_t)nh_off;
            uint8_t inner = p[off];
            nh_off = off;
            off += 8;
            if (d->more_frags || d->frag_off) {
                if (d->more_frags && ((end - off) % 8) != 0)
                    ev(c, ANOM_IPV6_FRAG_INVALID_LENGTH);
                d->frag = 1;
                d->ip_hlen = (uint16_t)off;
                return true;
            }
            nh = inner; /* atomic fragment: carry on */
            continue;
        }
        break;
    }
    d->ip_hlen = (uint16_t)off;
    d->proto = nh;
    if (nh == 59) {
        set_payload(d, p + off, end - off, end - off);
        return true;
    }
    dec_l4(c, nh, p + off, end - off, end - off);
    return true;
}

static bool dec_ip_nibble(struct dctx *c, const uint8_t *p, uint32_t len)
{
    if (len >= 1 && (p[0] >> 4) == 4)
        return dec_ipv4(c, p, len);
    if (len >= 1 && (p[0] >> 4) == 6)
        return dec_ipv6(c, p, len);
    ev(c, ANOM_IPRAW_INVALID_IP_VERSION);
    return false;
}

/* ---- link ---- */

static bool dec_vlan(struct dctx *c, uint16_t outer, const uint8_t *p, uint32_t len)
{
    struct decoded *d = c->d;
    if (!layer(c))
        return false;
    if (len < 4) {
        ev(c, ANOM_VLAN_HEADER_TOO_SMALL);
        return false;
    }
    if (d->nvlan >= DECODE_MAX_VLAN) {
        ev(c, ANOM_VLAN_TOO_MANY_LAYERS);
        return false;
    }
    d->vlan[d->nvlan++] = rd16(p) & 0x0fff;
    cnt(c, d->nvlan == 1 ? CNT_DEC_VLAN : d->nvlan == 2 ? CNT_DEC_VLAN_QINQ : CNT_DEC_VLAN_QINQINQ);
    return dec_ethertype(c, rd16(p + 2), p + 4, len - 4);
}

static bool dec_mpls(struct dctx *c, const uint8_t *p, uint32_t len)
{
    if (!layer(c))
        return false;
    cnt(c, CNT_DEC_MPLS);
    uint32_t label;
    for (;;) {
        if (len < 4) {
            ev(c, ANOM_MPLS_HEADER_TOO_SMALL);
            return false;
        }
        uint32_t e = rd32(p);
        label = e >> 12;
        p += 4;
        len -= 4;
        if (e & 0x100)
            break;
    }
    if (label == 0)
        return dec_ipv4(c, p, len);
    if (label == 2)
        return dec_ipv6(c, p, len);
    if (len < 1) {
        ev(c, ANOM_MPLS_PKT_TOO_SMALL);
        return false;
    }
    switch (p[0] >> 4) {
    case 4:
        return dec_ipv4(c, p, len);
    case 6:
        return dec_ipv6(c, p, len);
    case 0: /* pseudowire control word, then Ethernet */
        if (len < 4 + 14) {
            ev(c, ANOM_MPLS_PKT_TOO_SMALL);
            return false;
        }
        return dec_ether(c, p + 4, len - 4);
    default:
        ev(c, ANOM_MPLS_UNKNOWN_PAYLOAD_TYPE);
        return false;
    }
}

/* PPP protocol field at p (two bytes, or one when compressed: RFC 1661
 * protocol field compression sends an odd first byte alone), then its
 * payload. */
static bool dec_ppp_payload(struct dctx *c, const uint8_t *p, uint32_t len)
{
    if (len < 1 || (!(p[0] & 1) && len < 2)) {
        ev(c, ANOM_PPP_PKT_TOO_SMALL);
        return false;
    }
    unsigned pl = (p[0] & 1) ? 1 : 2;
    uint16_t proto = pl == 1 ? p[0] : rd16(p);
    p += pl;
    len -= pl;
    if (proto == 0x0021)
        return dec_ipv4(c, p, len);
    if (proto == 0x0057)
        return dec_ipv6(c, p, len);
    /* link control (LCP, IPCP, ...) carries no IP */
    if (proto < 0x8000)
        ev(c, ANOM_PPP_UNSUP_PROTO);
    return false;
}

static bool dec_pppoe(struct dctx *c, const uint8_t *p, uint32_t len)
{
    if (!layer(c))
        return false;
    if (len < 7) {
        ev(c, ANOM_PPPOE_PKT_TOO_SMALL);
        return false;
    }
    cnt(c, CNT_DEC_PPPOE);
    if (p[1] != 0x00) {
        ev(c, ANOM_PPPOE_WRONG_CODE);
        return false;
    }
    uint32_t plen = rd16(p + 4);
    if (plen < 1 || plen + 6 > len) {
        ev(c, ANOM_PPPOE_PKT_TOO_SMALL);
        return false;
    }
    return dec_ppp_payload(c, p + 6, plen);
}

static bool dec_ethertype(struct dctx *c, uint16_t type, const uint8_t *p, uint32_t len)
{
    switch (type) {
    case 0x0800:
        return dec_ipv4(c, p, len);
    case 0x86dd:
        return dec_ipv6(c, p, len);
    case 0x8100:
    case 0x88a8:
    case 0x9100:
        return dec_vlan(c, type, p, len);
    case 0x8847:
    case 0x8848:
        return dec_mpls(c, p, len);
    case 0x8864:
        return dec_pppoe(c, p, len);
    default:
        /* ARP, LLDP, PPPoE discovery, ...: not IP, nothing to track */
        return false;
    }
}

/* Link headers of a fixed size that carry an ethertype: Ethernet, Linux
 * cooked v1 and v2, Cisco HDLC. */
struct link_hdr {
    uint8_t hlen, type_off;
    uint8_t anomaly; /* header too short */
    uint8_t counter;
};

static const struct link_hdr LH_ETHER = {14, 12, ANOM_ETH_PKT_TOO_SMALL, CNT_DEC_ETHERNET};
static const struct link_hdr LH_SLL = {16, 14, ANOM_SLL_PKT_TOO_SMALL, CNT_DEC_SLL};
static const struct link_hdr LH_SLL2 = {20, 0, ANOM_SLL2_PKT_TOO_SMALL, CNT_DEC_SLL2};
static const struct link_hdr LH_CHDLC = {4, 2, ANOM_PPP_PKT_TOO_SMALL, CNT_DEC_CHDLC};

static bool dec_link(struct dctx *c, const struct link_hdr *h, const uint8_t *p, uint32_t len)
{
    if (!layer(c))
        return false;
    if (len < h->hlen) {
        ev(c, h->anomaly);
        return false;
    }
    cnt(c, (enum stats_counter)h->counter);
    return dec_ethertype(c, rd16(p + h->type_off), p + h->hlen, len - h->hlen);
}

static bool dec_ether(struct dctx *c, const uint8_t *p, uint32_t len)
{
    return dec_link(c, &LH_ETHER, p, len);
}

static bool dec_null(struct dctx *c, const uint8_t *p, uint32_t len, bool net_order)
{
    if (!layer(c))
        return false;
    if (len < 4) {
        ev(c, ANOM_LTNULL_PKT_TOO_SMALL);
        return false;
    }
    cnt(c, CNT_DEC_NULL);
    uint32_t fam = net_order ? rd32(p) : (uint32_t)p[0] | (uint32_t)p[1] << 8 |
                                             (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    /* Captures from big-endian hosts store the family the other way round. */
    if (!net_order && fam > 0xffff)
        fam = rd32(p);
    switch (fam) {
    case 2:
        return dec_ipv4(c, p + 4, len - 4);
    case 24: /* BSDs */
    case 28: /* FreeBSD */
    case 30: /* macOS */
    case 10: /* Linux */
        return dec_ipv6(c, p + 4, len - 4);
    default:
        ev(c, ANOM_LTNULL_UNSUPPORTED_TYPE);
        return false;
    }
}

static bool dec_ppp(struct dctx *c, const uint8_t *p, uint32_t len)
{
    if (!layer(c))
        return false;
    cnt(c, CNT_DEC_PPP);
    if (len >= 2 && p[0] == 0xff && p[1] == 0x03) {
        p += 2;
        len -= 2;
    }
    return dec_ppp_payload(c, p, len);
}

bool decode_linktype_supported(int linktype)
{
    switch (linktype) {
    case LINK_NULL: case LINK_ETHERNET: case LINK_PPP: case LINK_RAW: case LINK_CHDLC:
    case LINK_LOOP: case LINK_SLL: case LINK_IPV4: case LINK_IPV6: case LINK_SLL2:
    case 12: case 14: /* raw IP under its historical numbers */
        return true;
    default:
        return false;
    }
}

bool decode_packet(struct decoded *d, int linktype, const uint8_t *p, uint32_t caplen,
                   unsigned flags, const uint16_t *pre_vlan, unsigned pre_nvlan,
                   struct stats_block *stats)
{
    memset(d, 0, sizeof(*d));
    d->wscale = 0xff;
    for (unsigned i = 0; i < pre_nvlan && i < DECODE_MAX_VLAN; i++)
        d->vlan[d->nvlan++] = pre_vlan[i];
    struct dctx c = {d, flags, (flags & DECODE_PEEK) ? NULL : stats};
    if ((flags & DECODE_CSUM) && !(flags & DECODE_PEEK))
        d->csum = CSUM_OK;
    switch (linktype) {
    case LINK_ETHERNET:
        dec_ether(&c, p, caplen);
        break;
    case LINK_RAW:
    case 12:
    case 14:
        cnt(&c, CNT_DEC_RAW);
        dec_ip_nibble(&c, p, caplen);
        break;
    case LINK_IPV4:
        cnt(&c, CNT_DEC_RAW);
        dec_ipv4(&c, p, caplen);
        break;
    case LINK_IPV6:
        cnt(&c, CNT_DEC_RAW);
        dec_ipv6(&c, p, caplen);
        break;
    case LINK_NULL:
        dec_null(&c, p, caplen, false);
        break;
    case LINK_LOOP:
        dec_null(&c, p, caplen, true);
        break;
    case LINK_SLL:
        dec_link(&c, &LH_SLL, p, caplen);
        break;
    case LINK_SLL2:
        dec_link(&c, &LH_SLL2, p, caplen);
        break;
    case LINK_CHDLC:
        dec_link(&c, &LH_CHDLC, p, caplen);
        break;
    case LINK_PPP:
        dec_ppp(&c, p, caplen);
        break;
    default:
        break;
    }
    if (d->ipver == 0 && stats && !(flags & DECODE_PEEK))
        stats_inc(stats, CNT_DEC_INVALID);
    if (d->csum == CSUM_OK && d->ipver == 0)
        d->csum = CSUM_UNCHECKED;
    return d->ipver != 0;
}

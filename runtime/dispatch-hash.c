/* dispatch-hash.c - hash-only walk of Ethernet/IPv4/TCP|UDP (see dispatch-hash.h). */
#include "dispatch-hash.h"

#include "decode.h"
#include "flowkey.h"

#include <string.h>

static inline uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

bool dispatch_fast_hash(int linktype, const uint8_t *p, uint32_t caplen, uint32_t seed,
                        uint32_t *h)
{
    /* Ethernet carrying IPv4 (decode.c: dec_link, dec_ethertype) */
    if (linktype != LINK_ETHERNET || caplen < 14 + 20 || be16(p + 12) != 0x0800)
        return false;
    const uint8_t *ip = p + 14;
    uint32_t len = caplen - 14;
    /* dec_ipv4: version, header length, total length within the capture */
    unsigned hlen = (ip[0] & 0x0f) * 4u;
    uint16_t tot = be16(ip + 2);
    if ((ip[0] >> 4) != 4 || hlen < 20 || tot < hlen || len < tot)
        return false;
    if (be16(ip + 6) & 0x3fff) /* more fragments or an offset: defragmentation */
        return false;
    const uint8_t *l4 = ip + hlen;
    uint32_t l4len = tot - hlen;
    uint8_t proto = ip[9];
    if (proto == 6) {
        /* dec_tcp: a whole header, its length within the segment */
        if (l4len < 20)
            return false;
        unsigned thlen = (l4[12] >> 4) * 4u;
        if (thlen < 20 || thlen > l4len)
            return false;
    } else if (proto == 17) {
        /* dec_udp: the declared length within the datagram; VXLAN is a
         * tunnel whose inner packet makes the key */
        if (l4len < 8)
            return false;
        uint16_t ulen = be16(l4 + 4);
        if (ulen < 8 || ulen > l4len)
            return false;
        if (be16(l4 + 2) == 4789 && ulen >= 16 && (l4[8] & 0x08))
            return false;
    } else {
        return false;
    }
    /* flowkey_from_decoded: endpoints in canonical order */
    uint16_t sp = be16(l4), dp = be16(l4 + 2);
    const uint8_t *src = ip + 12, *dst = ip + 16;
    int c = memcmp(src, dst, 4);
    struct flow_key k;
    memset(&k, 0, sizeof(k));
    k.proto = proto;
    k.ipver = 4;
    if (c < 0 || (c == 0 && sp <= dp)) {
        memcpy(k.addr[0], src, 4);
        memcpy(k.addr[1], dst, 4);
        k.port[0] = sp;
        k.port[1] = dp;
    } else {
        memcpy(k.addr[0], dst, 4);
        memcpy(k.addr[1], src, 4);
        k.port[0] = dp;
        k.port[1] = sp;
    }
    *h = flowkey_hash(&k, seed);
    return true;
}

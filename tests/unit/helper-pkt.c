/* helper-pkt.c - frame builders for tests (see helper-pkt.h). */
#include "helper-pkt.h"

#include "decode.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

size_t hp_eth(uint8_t *b, uint16_t type)
{
    static const uint8_t macs[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
    memcpy(b, macs, 12);
    b[12] = (uint8_t)(type >> 8);
    b[13] = (uint8_t)type;
    return 14;
}

size_t hp_ipv4(uint8_t *b, const char *src, const char *dst, uint8_t proto, uint16_t plen,
               uint16_t id, uint16_t frag)
{
    uint16_t tot = (uint16_t)(20 + plen);
    memset(b, 0, 20);
    b[0] = 0x45;
    b[2] = (uint8_t)(tot >> 8);
    b[3] = (uint8_t)tot;
    b[4] = (uint8_t)(id >> 8);
    b[5] = (uint8_t)id;
    b[6] = (uint8_t)(frag >> 8);
    b[7] = (uint8_t)frag;
    b[8] = 64;
    b[9] = proto;
    inet_pton(AF_INET, src, b + 12);
    inet_pton(AF_INET, dst, b + 16);
    uint16_t c = decode_csum_fold(decode_csum_add(0, b, 20));
    b[10] = (uint8_t)(c >> 8);
    b[11] = (uint8_t)c;
    return 20;
}

size_t hp_ipv6(uint8_t *b, const char *src, const char *dst, uint8_t nh, uint16_t plen)
{
    memset(b, 0, 40);
    b[0] = 0x60;
    b[4] = (uint8_t)(plen >> 8);
    b[5] = (uint8_t)plen;
    b[6] = nh;
    b[7] = 64;
    inet_pton(AF_INET6, src, b + 8);
    inet_pton(AF_INET6, dst, b + 24);
    return 40;
}

static void l4_csum(uint8_t *l4, size_t len, const uint8_t *ip, uint8_t proto, size_t off)
{
    struct decoded d;
    memset(&d, 0, sizeof(d));
    d.ipver = (ip[0] >> 4) == 4 ? 4 : 6;
    d.proto = proto;
    if (d.ipver == 4) {
        memcpy(d.src, ip + 12, 4);
        memcpy(d.dst, ip + 16, 4);
    } else {
        memcpy(d.src, ip + 8, 16);
        memcpy(d.dst, ip + 24, 16);
    }
    l4[off] = l4[off + 1] = 0;
    /* sum with a zero checksum field, then store the complement */
    uint32_t sum = 0;
    uint8_t ph[40];
    size_t phl;
    unsigned alen = d.ipver == 4 ? 4 : 16;
    memcpy(ph, d.src, alen);
    memcpy(ph + alen, d.dst, alen);
    phl = 2 * alen;
    if (d.ipver == 4) {
        ph[phl++] = 0;
        ph[phl++] = proto;
        ph[phl++] = (uint8_t)(len >> 8);
        ph[phl++] = (uint8_t)len;
    } else {
        ph[phl++] = (uint8_t)(len >> 24);
        ph[phl++] = (uint8_t)(len >> 16);
        ph[phl++] = (uint8_t)(len >> 8);
        ph[phl++] = (uint8_t)len;
        ph[phl++] = 0;
        ph[phl++] = 0;
        ph[phl++] = 0;
        ph[phl++] = proto;
    }
    sum = decode_csum_add(sum, ph, (uint32_t)phl);
    sum = decode_csum_add(sum, l4, (uint32_t)len);
    uint16_t c = decode_csum_fold(sum);
    if (proto == 17 && c == 0)
        c = 0xffff;
    l4[off] = (uint8_t)(c >> 8);
    l4[off + 1] = (uint8_t)c;
}

size_t hp_tcp(uint8_t *b, const uint8_t *ip, uint16_t sp, uint16_t dp, uint32_t seq,
              uint32_t ack, uint8_t flags, const void *payload, size_t n)
{
    memset(b, 0, 20);
    b[0] = (uint8_t)(sp >> 8);
    b[1] = (uint8_t)sp;
    b[2] = (uint8_t)(dp >> 8);
    b[3] = (uint8_t)dp;
    uint32_t s = htonl(seq), a = htonl(ack);
    memcpy(b + 4, &s, 4);
    memcpy(b + 8, &a, 4);
    b[12] = 5 << 4;
    b[13] = flags;
    b[14] = 0xff;
    b[15] = 0xff;
    if (n)
        memcpy(b + 20, payload, n);
    l4_csum(b, 20 + n, ip, 6, 16);
    return 20 + n;
}

size_t hp_udp(uint8_t *b, const uint8_t *ip, uint16_t sp, uint16_t dp, const void *payload,
              size_t n)
{
    size_t len = 8 + n;
    b[0] = (uint8_t)(sp >> 8);
    b[1] = (uint8_t)sp;
    b[2] = (uint8_t)(dp >> 8);
    b[3] = (uint8_t)dp;
    b[4] = (uint8_t)(len >> 8);
    b[5] = (uint8_t)len;
    if (n)
        memcpy(b + 8, payload, n);
    l4_csum(b, len, ip, 17, 6);
    return len;
}

size_t hp_tcp4_frame(uint8_t *b, const char *src, const char *dst, uint16_t sp, uint16_t dp,
                     uint32_t seq, uint32_t ack, uint8_t flags, const void *payload, size_t n)
{
    size_t o = hp_eth(b, 0x0800);
    uint8_t *ip = b + o;
    o += hp_ipv4(ip, src, dst, 6, (uint16_t)(20 + n), 1, 0x4000);
    o += hp_tcp(b + o, ip, sp, dp, seq, ack, flags, payload, n);
    return o;
}

size_t hp_udp6_frame(uint8_t *b, const char *src, const char *dst, uint16_t sp, uint16_t dp,
                     const void *payload, size_t n)
{
    size_t o = hp_eth(b, 0x86dd);
    uint8_t *ip = b + o;
    o += hp_ipv6(ip, src, dst, 17, (uint16_t)(8 + n));
    o += hp_udp(b + o, ip, sp, dp, payload, n);
    return o;
}

int hp_write_pcap(const char *path, const uint8_t *const *frames, const size_t *lens, size_t n,
                  uint32_t first_sec)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    uint32_t gh[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};
    fwrite(gh, 4, 6, f);
    for (size_t i = 0; i < n; i++) {
        uint32_t rh[4] = {first_sec + (uint32_t)i, 0, (uint32_t)lens[i], (uint32_t)lens[i]};
        fwrite(rh, 4, 4, f);
        fwrite(frames[i], 1, lens[i], f);
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* flowkey.c - canonical flow keys, hashes, Community ID (see flowkey.h). */
#include "flowkey.h"

#include "decode.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

/* ICMP types that come in request/reply pairs: the counterpart, or -1. */
static int icmp_pair(int ipver, uint8_t t)
{
    if (ipver == 4) {
        switch (t) {
        case 8: return 0;
        case 0: return 8;
        case 13: return 14;
        case 14: return 13;
        case 15: return 16;
        case 16: return 15;
        case 17: return 18;
        case 18: return 17;
        case 9: return 10;
        case 10: return 9;
        default: return -1;
        }
    }
    switch (t) {
    case 128: return 129;
    case 129: return 128;
    case 130: return 131;
    case 131: return 130;
    case 133: return 134;
    case 134: return 133;
    case 135: return 136;
    case 136: return 135;
    case 144: return 145;
    case 145: return 144;
    case 146: return 147;
    case 147: return 146;
    default: return -1;
    }
}

static bool is_request(int ipver, uint8_t t)
{
    return ipver == 4 ? (t == 8 || t == 13 || t == 15 || t == 17 || t == 10)
                      : (t == 128 || t == 130 || t == 133 || t == 135 || t == 144 || t == 146);
}

void flowkey_from_decoded(struct flow_key *k, const struct decoded *d, int *dir)
{
    memset(k, 0, sizeof(*k));
    k->proto = d->proto;
    k->ipver = d->ipver;
    k->vlan[0] = d->nvlan > 0 ? d->vlan[0] : 0;
    k->vlan[1] = d->nvlan > 1 ? d->vlan[1] : 0;
    uint16_t sp = d->sport, dp = d->dport;
    bool icmp = (d->proto == 1 && d->ipver == 4) || (d->proto == 58 && d->ipver == 6);
    bool ports = d->l4ok && (d->proto == 6 || d->proto == 17 || d->proto == 132);
    if (icmp && d->l4ok) {
        int pair = icmp_pair(d->ipver, d->icmp_type);
        /* both halves of a pair key as (request type, code) */
        uint8_t req = pair < 0 || is_request(d->ipver, d->icmp_type) ? d->icmp_type
                                                                       : (uint8_t)pair;
        sp = dp = 0;
        k->port[0] = req;
        k->port[1] = d->icmp_code;
        int c = memcmp(d->src, d->dst, 16);
        /* an ICMP "flow" is ordered by address only */
        if (c <= 0) {
            memcpy(k->addr[0], d->src, 16);
            memcpy(k->addr[1], d->dst, 16);
            *dir = 0;
        } else {
            memcpy(k->addr[0], d->dst, 16);
            memcpy(k->addr[1], d->src, 16);
            *dir = 1;
        }
        return;
    }
    if (!ports)
        sp = dp = 0;
    int c = memcmp(d->src, d->dst, 16);
    if (c < 0 || (c == 0 && sp <= dp)) {
        memcpy(k->addr[0], d->src, 16);
        memcpy(k->addr[1], d->dst, 16);
        k->port[0] = sp;
        k->port[1] = dp;
        *dir = 0;
    } else {
        memcpy(k->addr[0], d->dst, 16);
        memcpy(k->addr[1], d->src, 16);
        k->port[0] = dp;
        k->port[1] = sp;
        *dir = 1;
    }
}

bool flowkey_equal(const struct flow_key *a, const struct flow_key *b)
{
    return memcmp(a, b, sizeof(*a)) == 0;
}

static inline uint32_t rotl32(uint32_t x, int r)
{
    return (x << r) | (x >> (32 - r));
}

/* A word-at-a-time multiply/rotate mix with a final avalanche. */
static inline uint32_t mix_word(uint32_t h, uint32_t w)
{
    w *= 0xcc9e2d51u;
    w = rotl32(w, 15);
    w *= 0x1b873593u;
    h ^= w;
    h = rotl32(h, 13);
    return h * 5 + 0xe6546b64u;
}

static inline uint32_t finish(uint32_t h, uint32_t len)
{
    h ^= len;
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

static uint32_t hash_words(const uint8_t *p, size_t n, uint32_t h)
{
    for (size_t i = 0; i + 4 <= n; i += 4) {
        uint32_t w;
        memcpy(&w, p + i, 4);
        h = mix_word(h, w);
    }
    return h;
}

uint32_t flowkey_hash(const struct flow_key *k, uint32_t seed)
{
    /* The key is canonical, so hashing it in order is symmetric. */
    unsigned alen = k->ipver == 4 ? 4 : 16;
    uint32_t h = seed;
    h = hash_words(k->addr[0], alen, h);
    h = hash_words(k->addr[1], alen, h);
    h = mix_word(h, (uint32_t)k->port[0] << 16 | k->port[1]);
    h = mix_word(h, (uint32_t)k->vlan[0] << 16 | k->vlan[1]);
    h = mix_word(h, k->proto);
    return finish(h, alen);
}

uint32_t flowkey_frag_hash(const struct decoded *d, uint32_t seed)
{
    unsigned alen = d->ipver == 4 ? 4 : 16;
    const uint8_t *a = d->src, *b = d->dst;
    if (memcmp(a, b, 16) > 0) {
        a = d->dst;
        b = d->src;
    }
    uint32_t h = seed ^ 0x9e3779b9u;
    h = hash_words(a, alen, h);
    h = hash_words(b, alen, h);
    h = mix_word(h, d->frag_id);
    h = mix_word(h, (uint32_t)(d->nvlan > 0 ? d->vlan[0] : 0) << 16 |
                        (d->nvlan > 1 ? d->vlan[1] : 0));
    h = mix_word(h, d->proto);
    return finish(h, alen);
}

struct flowkey_sha1 {
    EVP_MD *md;      /* fetched once */
    EVP_MD_CTX *ctx; /* re-initialized per digest, not reallocated */
};

struct flowkey_sha1 *flowkey_sha1_new(void)
{
    struct flowkey_sha1 *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->md = EVP_MD_fetch(NULL, "SHA1", NULL);
    h->ctx = EVP_MD_CTX_new();
    if (!h->md || !h->ctx) {
        flowkey_sha1_free(h);
        return NULL;
    }
    return h;
}

void flowkey_sha1_free(struct flowkey_sha1 *h)
{
    if (!h)
        return;
    EVP_MD_CTX_free(h->ctx);
    EVP_MD_free(h->md);
    free(h);
}

static void sha1(struct flowkey_sha1 *h, const uint8_t *buf, size_t n,
                 uint8_t md[SHA_DIGEST_LENGTH])
{
    unsigned len = 0;
    if (h && EVP_DigestInit_ex2(h->ctx, h->md, NULL) == 1 &&
        EVP_DigestUpdate(h->ctx, buf, n) == 1 && EVP_DigestFinal_ex(h->ctx, md, &len) == 1 &&
        len == SHA_DIGEST_LENGTH)
        return;
    SHA1(buf, n, md);
}

bool flowkey_community_id(char *out, size_t outlen, int ipver, const uint8_t *src,
                          const uint8_t *dst, uint8_t proto, uint16_t sport, uint16_t dport)
{
    return flowkey_community_id_with(NULL, out, outlen, ipver, src, dst, proto, sport, dport);
}

bool flowkey_community_id_with(struct flowkey_sha1 *h, char *out, size_t outlen, int ipver,
                               const uint8_t *src, const uint8_t *dst, uint8_t proto,
                               uint16_t sport, uint16_t dport)
{
    if (outlen < 32)
        return false;
    unsigned alen = ipver == 4 ? 4 : 16;
    const uint8_t *a = src, *b = dst;
    uint16_t pa = sport, pb = dport;
    bool has_ports = proto == 6 || proto == 17 || proto == 132;
    bool icmp = (proto == 1 && ipver == 4) || (proto == 58 && ipver == 6);
    bool one_way = false;
    if (icmp) {
        int pair = icmp_pair(ipver, (uint8_t)sport);
        pa = sport;
        if (pair >= 0) {
            pb = (uint16_t)pair;
        } else {
            pb = dport; /* the code */
            one_way = true;
        }
        has_ports = true;
    }
    int c = memcmp(a, b, alen);
    if (!one_way && (c > 0 || (c == 0 && has_ports && pa > pb))) {
        const uint8_t *t = a;
        a = b;
        b = t;
        uint16_t tp = pa;
        pa = pb;
        pb = tp;
    }
    uint8_t buf[2 + 32 + 2 + 4];
    size_t n = 0;
    buf[n++] = 0; /* seed 0, network order */
    buf[n++] = 0;
    memcpy(buf + n, a, alen);
    n += alen;
    memcpy(buf + n, b, alen);
    n += alen;
    buf[n++] = proto;
    buf[n++] = 0;
    if (has_ports) {
        buf[n++] = (uint8_t)(pa >> 8);
        buf[n++] = (uint8_t)pa;
        buf[n++] = (uint8_t)(pb >> 8);
        buf[n++] = (uint8_t)pb;
    }
    uint8_t md[SHA_DIGEST_LENGTH];
    sha1(h, buf, n, md);
    out[0] = '1';
    out[1] = ':';
    EVP_EncodeBlock((unsigned char *)out + 2, md, SHA_DIGEST_LENGTH);
    return true;
}

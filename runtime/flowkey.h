/*
 * flowkey.h - flow identity, the symmetric seeded hash, Community ID.
 *
 * A flow key holds both endpoints in a canonical order (the lower
 * address/port pair first), so both directions of a connection produce the
 * same key and the same hash. The hash is a seeded 32-bit mix of the key
 * (addresses, ports, protocol, VLANs); the worker is (h * n) >> 32.
 * Fragments carry no ports: flowkey_frag_hash() hashes addresses, protocol
 * and IP id with the same symmetric ordering (see dispatch.h for why that is
 * enough). Community ID v1 (seed 0) is SHA-1 via libcrypto, base64.
 * Pure functions; any thread.
 */
#ifndef SPU_FLOWKEY_H
#define SPU_FLOWKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct decoded;

struct flow_key {
    uint8_t addr[2][16]; /* canonical order: endpoint 0 <= endpoint 1 */
    uint16_t port[2];
    uint16_t vlan[2];
    uint8_t proto;
    uint8_t ipver;
    uint8_t pad[2];
};

/* Build the canonical key of a decoded packet; *dir is 0 when the packet's
 * source is endpoint 0, 1 otherwise. ICMP echo-style pairs (request/reply)
 * share one key: the "ports" are (request type, code). */
void flowkey_from_decoded(struct flow_key *k, const struct decoded *d, int *dir);

bool flowkey_equal(const struct flow_key *a, const struct flow_key *b);

/* Symmetric seeded hash of a key. */
uint32_t flowkey_hash(const struct flow_key *k, uint32_t seed);

/* Hash of a fragment: addresses (ordered), protocol, IP id, VLANs. */
uint32_t flowkey_frag_hash(const struct decoded *d, uint32_t seed);

/* Worker index for hash h among n workers: (h * n) >> 32. */
static inline unsigned flowkey_worker(uint32_t h, unsigned n)
{
    return (unsigned)(((uint64_t)h * n) >> 32);
}

/* 64-bit mix used by flow tables and flow ids. */
static inline uint64_t flowkey_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* Community ID v1 of a flow seen from its client: "1:<base64 sha1>".
 * `src`/`dst` are 4 or 16 bytes by ipver; ports are TCP/UDP/SCTP ports, or
 * for ICMP the type and code. Writes a NUL-terminated string into out
 * (at least 32 bytes); returns false if the buffer is too small. */
bool flowkey_community_id(char *out, size_t outlen, int ipver, const uint8_t *src,
                          const uint8_t *dst, uint8_t proto, uint16_t sport, uint16_t dport);

/* A SHA-1 digest context kept for Community IDs. OpenSSL 3's one-shot SHA1()
 * fetches the algorithm and allocates and frees a digest context on every
 * call, several times the cost of hashing the 40 bytes of a flow tuple; a
 * writer of many flow records keeps one of these (one per thread: not
 * shareable). NULL when out of memory. */
struct flowkey_sha1;
struct flowkey_sha1 *flowkey_sha1_new(void);
void flowkey_sha1_free(struct flowkey_sha1 *h);

/* flowkey_community_id() hashing with `h` (or the one-shot when h is NULL):
 * the same text. */
bool flowkey_community_id_with(struct flowkey_sha1 *h, char *out, size_t outlen, int ipver,
                               const uint8_t *src, const uint8_t *dst, uint8_t proto,
                               uint16_t sport, uint16_t dport);

#endif

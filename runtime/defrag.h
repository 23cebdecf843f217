/*
 * defrag.h - IPv4 and IPv6 fragment reassembly.
 *
 * Fragments are copied (they outlive their packet storage) into a tracker
 * keyed by (IP version, source, destination, id, protocol, VLANs). When the
 * last fragment has arrived and the datagram is covered without holes, a new
 * datagram is built: the first fragment's IP header (IPv4: total length and
 * flags fixed, checksum recomputed; IPv6: the fragment header removed) and
 * the payload. Overlaps are resolved first-wins (bytes already held are kept,
 * a later fragment only fills holes), as BSD stacks and Suricata's default
 * "bsd" policy do for the common case, and raise frag_overlap. A datagram
 * over 65535 bytes raises frag_pkt_too_large and is dropped. Trackers idle
 * longer than the timeout (packet time) are dropped and counted; the bytes
 * held are capped (memcap): when full, the oldest trackers are dropped.
 *
 * Owned and called by one thread (spurun's dispatcher).
 */
#ifndef SPU_DEFRAG_H
#define SPU_DEFRAG_H

#include <stddef.h>
#include <stdint.h>

struct decoded;
struct stats_block;
struct defrag;

enum defrag_result {
    DEFRAG_HELD = 0,     /* kept, datagram not complete yet */
    DEFRAG_DONE = 1,     /* *out holds the complete datagram */
    DEFRAG_DROPPED = 2,  /* refused (too large, malformed, over memcap) */
};

/* Returns new; memcap in bytes (0 = 16 MiB), timeout in ns (0 = 60 s). */
struct defrag *defrag_new(size_t memcap, int64_t timeout_ns);

/* Frees every tracker. NULL is a no-op. */
void defrag_free(struct defrag *df);

/* Add the fragment decoded in `d` (a PEEK decode is enough) seen at
 * `now_ns`. On DEFRAG_DONE, *out is a new heap buffer of *outlen bytes
 * holding the IP datagram (the caller frees it). *anomaly is set to an
 * anomaly code + 1 (overlap, too large) or 0. Counters go to `st` (may be
 * NULL). */
enum defrag_result defrag_add(struct defrag *df, const struct decoded *d, int64_t now_ns,
                              uint8_t **out, uint32_t *outlen, unsigned *anomaly,
                              struct stats_block *st);

/* Drop trackers idle since before now_ns - timeout; returns how many. */
unsigned defrag_expire(struct defrag *df, int64_t now_ns, struct stats_block *st);

/* Bytes held and trackers alive. */
size_t defrag_memuse(const struct defrag *df);
size_t defrag_trackers(const struct defrag *df);

#endif

/*
 * dispatch-hash.h - the dispatcher's hash-only header walk.
 *
 * The dispatcher needs one thing from most packets: the flow hash that picks
 * the worker (the worker decodes the packet fully itself). For the common
 * frame, Ethernet / IPv4 (options allowed) / TCP or UDP, not a fragment,
 * not VXLAN, every length consistent, dispatch_fast_hash() reads the few
 * header fields the flow key is made of and returns the same hash as
 * decode_packet(DECODE_PEEK) + flowkey_from_decoded() + flowkey_hash()
 * would; for anything else (VLAN, IPv6, tunnels, fragments, ICMP,
 * truncated or malformed headers) it returns false and the caller takes
 * that general path. tests/unit/test-dispatch-hash.c checks the equality on
 * the corpus and on mutated and truncated frames.
 * Pure function; any thread.
 */
#ifndef SPU_DISPATCH_HASH_H
#define SPU_DISPATCH_HASH_H

#include <stdbool.h>
#include <stdint.h>

/* True with *h set when the frame is one the walk knows (see above). */
bool dispatch_fast_hash(int linktype, const uint8_t *p, uint32_t caplen, uint32_t seed,
                        uint32_t *h);

#endif

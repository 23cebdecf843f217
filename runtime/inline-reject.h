/*
 * inline-reject.h - the packets a Reject verdict sends (docs/inline.md):
 * for a TCP segment A->B, a reset to B as if from A and a reset to A as if
 * from B, with sequence numbers taken from the segment; for UDP (and any
 * other IPv4 datagram), an ICMP port unreachable to A as if from B carrying
 * the datagram's header and first bytes. IPv4 only for now; checksums
 * computed. Pure functions: building and sending are separate so the
 * builder can be tested without a network.
 */
#ifndef SPU_INLINE_REJECT_H
#define SPU_INLINE_REJECT_H

#include <stddef.h>
#include <stdint.h>

enum { INLINE_REJECT_MAX = 3, INLINE_REJECT_BUF = 600 };

struct inline_reject_pkts {
    unsigned n;                                      /* packets built */
    uint16_t len[INLINE_REJECT_MAX];
    uint8_t buf[INLINE_REJECT_MAX][INLINE_REJECT_BUF]; /* IPv4 packets */
};

/* Build the replies to the raw IP packet `ip` (len bytes) into out. Returns
 * out->n (0: nothing to send, e.g. IPv6, a reset, a truncated header). */
unsigned inline_reject_build(const uint8_t *ip, size_t len, struct inline_reject_pkts *out);

/* The Internet checksum of buf folded into 16 bits, starting from `sum`. */
uint16_t inline_csum(const uint8_t *buf, size_t len, uint32_t sum);

#endif

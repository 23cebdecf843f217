/*
 * inline-reject.h - the packets a Reject verdict sends (docs/inline.md):
 * for a TCP segment A->B, a reset to B as if from A and a reset to A as if
 * from B, with sequence numbers taken from the segment; for UDP (and any
 * other IPv4 datagram), an ICMP port unreachable to A as if from B carrying
 * the datagram's header and first bytes; for Redirect, an HTTP 302 to the
 * client and a reset to the server. IPv4 and IPv6 (ICMPv6 port
 * unreachable quoting up to the 1280-byte minimum MTU, none for a
 * multicast destination; extension headers skipped); checksums computed. Pure functions: building and sending are separate so the
 * builder can be tested without a network.
 */
#ifndef SPU_INLINE_REJECT_H
#define SPU_INLINE_REJECT_H

#include <stddef.h>
#include <stdint.h>

enum { INLINE_REJECT_MAX = 3, INLINE_REJECT_BUF = 1500, INLINE_LOCATION_MAX = 1200 };

struct inline_reject_pkts {
    unsigned n;                                      /* packets built */
    uint16_t len[INLINE_REJECT_MAX];
    uint8_t buf[INLINE_REJECT_MAX][INLINE_REJECT_BUF]; /* IP packets, the family of the input */
};

/* Build the replies to the raw IP packet `ip` (len bytes) into out. Returns
 * out->n (0: nothing to send, e.g. a reset, ICMP, a later fragment, a
 * truncated header). */
unsigned inline_reject_build(const uint8_t *ip, size_t len, struct inline_reject_pkts *out);

/* Redirect: `ip` is a TCP segment of an HTTP connection, sent by the
 * client (from_client) or the server. Builds a segment from the server to
 * the client carrying "HTTP/1.1 302 Found" with `Location: loc` and FIN,
 * in place of what the server would send next (from_client: after the
 * request, acknowledging it; else in place of this segment), and a reset to
 * the server as if from the client. Returns out->n (2), or 0 when `ip` is
 * not a TCP segment or loc is longer than INLINE_LOCATION_MAX or holds
 * a CR or LF. */
unsigned inline_redirect_build(const uint8_t *ip, size_t len, int from_client, const char *loc,
                               size_t loclen, struct inline_reject_pkts *out);

/* The replies for a verdict (capture.h CAPTURE_VERDICT_*): Reject's, or
 * Redirect's (location: NUL-terminated), falling back to Reject's when no
 * redirect can be built. Returns out->n. */
unsigned inline_reply_build(unsigned verdict, const uint8_t *ip, size_t len, const char *location,
                            struct inline_reject_pkts *out);

/* The Internet checksum of buf folded into 16 bits, starting from `sum`. */
uint16_t inline_csum(const uint8_t *buf, size_t len, uint32_t sum);

#endif

/*
 * helper-pkt.h - hand-built frames for the packet-path unit tests.
 *
 * Builders write headers into a caller buffer and return the bytes written;
 * checksums are filled in so that a valid frame decodes as valid. Addresses
 * are given as text ("10.0.0.1", "2001:db8::1"). Test-only code.
 */
#ifndef SPU_HELPER_PKT_H
#define SPU_HELPER_PKT_H

#include <stddef.h>
#include <stdint.h>

/* Ethernet header: 02:00:00:00:00:02 <- 02:00:00:00:00:01, `type`. */
size_t hp_eth(uint8_t *b, uint16_t type);

/* IPv4 header (20 bytes) for `plen` payload bytes; frag = flags|offset/8
 * field as on the wire; checksum filled. */
size_t hp_ipv4(uint8_t *b, const char *src, const char *dst, uint8_t proto, uint16_t plen,
               uint16_t id, uint16_t frag);

/* IPv6 header (40 bytes). */
size_t hp_ipv6(uint8_t *b, const char *src, const char *dst, uint8_t nh, uint16_t plen);

/* TCP header (20 bytes) + payload, checksum computed over the pseudo
 * header of the IP header at `ip` (version read from it). */
size_t hp_tcp(uint8_t *b, const uint8_t *ip, uint16_t sp, uint16_t dp, uint32_t seq,
              uint32_t ack, uint8_t flags, const void *payload, size_t n);

/* UDP header (8 bytes) + payload, checksum likewise. */
size_t hp_udp(uint8_t *b, const uint8_t *ip, uint16_t sp, uint16_t dp, const void *payload,
              size_t n);

/* Whole Ethernet/IPv4/TCP frame. */
size_t hp_tcp4_frame(uint8_t *b, const char *src, const char *dst, uint16_t sp, uint16_t dp,
                     uint32_t seq, uint32_t ack, uint8_t flags, const void *payload, size_t n);

/* Whole Ethernet/IPv6/UDP frame. */
size_t hp_udp6_frame(uint8_t *b, const char *src, const char *dst, uint16_t sp, uint16_t dp,
                     const void *payload, size_t n);

/* Write a classic pcap file (micro, little endian, linktype 1) of `n`
 * frames; returns 0 or -1. */
int hp_write_pcap(const char *path, const uint8_t *const *frames, const size_t *lens, size_t n,
                  uint32_t first_sec);

#endif

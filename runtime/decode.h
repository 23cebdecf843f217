/*
 * decode.h - link, network and transport header decoding (bounds-checked).
 *
 * decode_packet() reads one captured frame where it lies and fills a struct
 * decoded with views into it: VLAN ids, the innermost IP layer (tunnels:
 * GRE incl. ERSPAN, VXLAN, IP-in-IP are followed to the packet inside), the
 * transport header and the payload. Malformed input never faults: decoding
 * stops at the bad layer, the anomaly (anomaly.def) is recorded in
 * d->events and counted, and d->l4ok says whether a transport header was
 * read. Link types are pcap's LINKTYPE_* numbers.
 *
 * Two modes: DECODE_PEEK (the dispatcher's: just enough for the flow
 * identity and fragment information, no counters, no checksums) and the
 * full decode of the worker (counters in a stats_block, option parsing,
 * checksum validation with DECODE_CSUM). Pure functions of their arguments;
 * any thread. Nothing is allocated; the views live as long as the frame.
 */
#ifndef SPU_DECODE_H
#define SPU_DECODE_H

#include <stdbool.h>
#include <stdint.h>

struct stats_block;

enum {
    LINK_NULL = 0,      /* BSD loopback: 4-byte host-order family */
    LINK_ETHERNET = 1,
    LINK_PPP = 9,
    LINK_RAW = 101,     /* raw IPv4/IPv6 */
    LINK_CHDLC = 104,   /* Cisco HDLC */
    LINK_LOOP = 108,    /* OpenBSD loopback: network-order family */
    LINK_SLL = 113,     /* Linux cooked v1 */
    LINK_IPV4 = 228,
    LINK_IPV6 = 229,
    LINK_SLL2 = 276,    /* Linux cooked v2 */
};

enum {
    DECODE_PEEK = 1u << 0, /* identity only: no counters, checksums, options */
    DECODE_CSUM = 1u << 1, /* validate IPv4/TCP/UDP/ICMP checksums */
};

#define DECODE_MAX_VLAN 3
#define DECODE_MAX_EVENTS 6
#define DECODE_MAX_LAYERS 16

/* TCP flag bits as on the wire. */
enum {
    TH_FIN = 0x01, TH_SYN = 0x02, TH_RST = 0x04, TH_PSH = 0x08,
    TH_ACK = 0x10, TH_URG = 0x20, TH_ECE = 0x40, TH_CWR = 0x80
};

enum { CSUM_UNCHECKED = 0, CSUM_OK = 1, CSUM_BAD = 2 };

struct decoded {
    /* link */
    uint16_t vlan[DECODE_MAX_VLAN];
    uint8_t nvlan;
    uint8_t layers;       /* headers walked, tunnels included */
    uint8_t tunneled;     /* 1 when the IP layer below came out of a tunnel */
    /* innermost IP layer */
    uint8_t ipver;        /* 0 (none), 4 or 6 */
    uint8_t proto;        /* transport protocol number */
    uint8_t ttl;          /* TTL / hop limit */
    uint8_t frag;         /* 1: a fragment (first or not); l4 not decoded */
    uint8_t more_frags;
    uint16_t ip_hlen;     /* IPv4 header / IPv6 header + extension headers */
    uint16_t v6_nh_off;   /* IPv6 fragment: offset of the next-header byte naming it */
    uint32_t frag_off;    /* fragment offset in bytes */
    uint32_t frag_id;     /* IPv4 id or IPv6 fragment identification */
    uint8_t src[16];      /* IPv4 in the first 4 bytes, rest zero */
    uint8_t dst[16];
    const uint8_t *ip;    /* the IP header */
    uint32_t ip_len;      /* IP total length (header + payload) as declared */
    uint32_t ip_caplen;   /* bytes of it captured */
    /* transport */
    uint8_t l4ok;         /* the transport header was decoded */
    uint8_t tcp_flags;
    uint8_t icmp_type, icmp_code;
    uint16_t sport, dport; /* ICMP: type and code (as Suricata keys ICMP) */
    uint32_t seq, ack;
    uint16_t win;
    uint8_t wscale;       /* 0xff when absent */
    uint8_t csum;         /* CSUM_* of the IPv4 header and the transport */
    const uint8_t *payload;
    uint32_t payload_len; /* captured payload bytes (snaplen may cut it) */
    uint32_t payload_wire; /* payload bytes as declared by the headers */
    /* anomalies raised while decoding */
    uint8_t nevents;
    uint8_t events[DECODE_MAX_EVENTS];
};

/* Decode one frame. `pre_vlan`/`pre_nvlan` seed the VLAN list (a datagram
 * reassembled from fragments keeps the VLANs of its fragments); may be
 * NULL/0. `stats` may be NULL (nothing counted); in PEEK mode it is ignored.
 * Returns true when an IP layer was found (d->ipver != 0). */
bool decode_packet(struct decoded *d, int linktype, const uint8_t *p, uint32_t caplen,
                   unsigned flags, const uint16_t *pre_vlan, unsigned pre_nvlan,
                   struct stats_block *stats);

/* True when `linktype` is one decode_packet() understands. */
bool decode_linktype_supported(int linktype);

/* Internet checksum helpers (exposed for tests and defrag). Returns the
 * folded one's complement sum of n bytes added to `sum`. */
uint32_t decode_csum_add(uint32_t sum, const uint8_t *p, uint32_t n);
uint16_t decode_csum_fold(uint32_t sum);

/* Checksum over the transport segment of a decoded IP packet with its
 * pseudo header (TCP, UDP, ICMPv6) or without (ICMPv4): true when valid.
 * Requires the whole segment captured. */
bool decode_l4_csum_ok(const struct decoded *d, const uint8_t *l4, uint32_t l4len);

#endif

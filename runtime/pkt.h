/*
 * pkt.h - the packet descriptor that travels dispatcher -> worker -> back.
 *
 * A descriptor points at packet bytes where the capture left them (the file
 * mapping, a TPACKET_V3 ring block, a libpcap copy slot, or a datagram
 * reassembled from fragments). Descriptors are owned by the dispatcher's
 * pool; a worker borrows one from its work queue and returns it on its
 * return queue, after which neither it nor anything it handed out may touch
 * `data` again. Written by the capture/dispatcher thread before the push,
 * read by one worker after the pop (the SPSC release/acquire orders them).
 */
#ifndef SPU_PKT_H
#define SPU_PKT_H

#include <stdint.h>

enum {
    PKT_NOCSUM = 1u << 0,  /* do not validate checksums (offload, --checksum no) */
    PKT_PSEUDO = 1u << 1,  /* datagram rebuilt from fragments: not a captured frame */
    PKT_OWNED = 1u << 2,   /* `own` is heap memory freed when the descriptor returns */
};

struct pkt {
    const uint8_t *data;
    uint32_t caplen;      /* bytes at data */
    uint32_t wirelen;     /* length on the wire */
    int64_t ts_ns;        /* capture time, ns since the epoch */
    int64_t clock_ns;     /* the shared packet clock when dispatched (>= ts_ns) */
    uint64_t pcap_cnt;    /* 1-based position in the capture (0 for pseudo) */
    uint32_t hash;        /* symmetric flow hash that chose the worker */
    uint16_t linktype;
    uint16_t flags;       /* PKT_* */
    uint16_t pre_vlan[2]; /* VLANs of a reassembled datagram's fragments */
    uint8_t pre_nvlan;
    uint8_t anomaly;      /* anomaly code + 1 raised by reassembly, or 0 */
    uint16_t source;      /* index of the capture source (file, interface) */
    uint8_t verdict;      /* inline: CAPTURE_VERDICT_* set by the worker */
    uint8_t qclass;       /* inline: queuing class (shaper.h) set by the worker, or 0 */
    uint8_t qdir;         /* its direction: 0 to server, 1 to client */
    uint32_t qlen;        /* bytes counted while held by the shaper */
    void *cookie;         /* capture backend's (ring block) */
    void *own;            /* PKT_OWNED: heap bytes behind data */
    char *location;       /* inline Redirect target (heap, freed on return), or NULL */
    uint8_t *edit;        /* inline: the packet as edited (rewrite.h; heap, freed on
                           * return) to send in place of data, or NULL */
    uint32_t edit_len;
    struct pkt *next;     /* free-list link while in the pool, FIFO link while held */
};

#endif

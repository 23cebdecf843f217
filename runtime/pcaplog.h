/*
 * pcaplog.h - --pcap-log alerts: the packets around an alert, per flow.
 *
 * With pcap logging on, every flow keeps copies of its last N packets in a
 * ring (flow.trace). When a rule alerts on the flow, the ring is written to
 * DIR/<flow_id>.pcap with libpcap's dump API (flow_id as in the EVE
 * records), and the flow's next M packets follow it into the same file; the
 * alert record names the file (spu.pcap_file). A later alert on the same
 * flow appends to that file (nothing is written twice). Off, nothing of
 * this runs: the worker tests one NULL pointer per packet.
 *
 * Memory: the copies of all workers' rings together are accounted in one
 * shared gauge and capped; a packet that would go over the cap is not kept
 * (counted in memcap_drops) and the ring keeps what it had. Files open at
 * once are bounded per worker (PCAPLOG_MAX_OPEN); an alert past that bound
 * writes no pcap (counted in files_refused).
 *
 * One struct pcaplog per worker, used on that worker's thread only
 * (pcaplog_new/_free on the main thread before start / after join);
 * pcaplog_stats is read by the main thread (relaxed atomics).
 */
#ifndef SPU_PCAPLOG_H
#define SPU_PCAPLOG_H

#include <stdatomic.h>
#include <stdint.h>

struct flow;
struct pkt;
struct spu_error;

#define PCAPLOG_MAX_OPEN 256

struct pcaplog_cfg {
    const char *dir;         /* where the pcaps go (must exist) */
    unsigned ring_pkts;      /* N: packets kept per flow before an alert (1..4096) */
    unsigned post_pkts;      /* M: packets written after an alert */
    uint64_t memcap;         /* bytes of packet copies for all workers */
    _Atomic int64_t *memuse; /* the shared gauge of those bytes */
};

struct pcaplog_stats {
    _Atomic uint64_t kept;          /* packets copied into rings */
    _Atomic uint64_t memcap_drops;  /* packets not kept: over the memcap */
    _Atomic uint64_t files;         /* pcaps opened (once per alerting flow) */
    _Atomic uint64_t written;       /* packets written to pcaps */
    _Atomic uint64_t files_refused; /* alerts without a pcap (too many open, open failed) */
    _Atomic uint64_t write_errors;
};

struct pcaplog;

/* Returns new, or NULL with err. cfg is copied (dir is borrowed). */
struct pcaplog *pcaplog_new(const struct pcaplog_cfg *cfg, struct spu_error *err);

/* Frees; every flow must have ended (pcaplog_flow_end). NULL: no-op. */
void pcaplog_free(struct pcaplog *pl);

/* A captured packet of flow f (borrowed for the call): written to the
 * flow's pcap while an alert's M packets are being taken, otherwise copied
 * into its ring (the oldest copy dropped when the ring is full). */
void pcaplog_packet(struct pcaplog *pl, struct flow *f, const struct pkt *p);

/* Rule alert on f: write the ring to DIR/<flow_id>.pcap and take the next M
 * packets. Returns the file's path (borrowed from pl until the next call),
 * or NULL when no pcap could be written. */
const char *pcaplog_alert(struct pcaplog *pl, struct flow *f);

/* The flow ends: close its pcap and free its ring. */
void pcaplog_flow_end(struct pcaplog *pl, struct flow *f);

/* The counters (any thread). */
const struct pcaplog_stats *pcaplog_stats(const struct pcaplog *pl);

#endif

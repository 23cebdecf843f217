/*
 * eve.h - EVE JSON records (Suricata's schema) built with jansson.
 *
 * eve_begin() makes a record with the common envelope in Suricata's order:
 * timestamp (Suricata's format, UTC: 2009-10-16T16:44:16.185868+0000),
 * flow_id, in_iface, event_type, vlan, src/dest ip and port, proto,
 * icmp_type/icmp_code, app_proto, tx_id, pcap_cnt and community_id (v1,
 * seed 0). The caller adds its event's own object, then eve_emit() adds the
 * top-level `spu` object (worker id and whatever the caller put in
 * `spu_extra`), formats the line and hands it to the producer's output
 * buffer. Builders for the packet path's own events: flow (at flow end),
 * anomaly, stats. Everything spu adds lives under `spu`, so a record with
 * `spu` removed validates against Suricata's schema.
 *
 * Each producing thread owns its struct eve_writer. Records are new jansson
 * objects that eve_emit() consumes, or text: the envelope written by
 * eve_emit_envelope(), flow records, and records their producer wrote
 * (eve_emit_text(): alerts).
 */
#ifndef SPU_EVE_H
#define SPU_EVE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct output_producer;
struct flow;
struct flowkey_sha1;
struct decoded;
struct stats_block;

struct eve_writer {
    struct output_producer *out; /* borrowed */
    int worker;                  /* worker id, or -1 for the main thread */
    const char *thread;          /* "worker", "dispatcher", "main" */
    uint64_t emitted, failed;
    struct flowkey_sha1 *cid_sha1; /* owned: the flow records' Community ID hash */
};

/* Free what the writer owns (its Community ID hash). */
void eve_writer_fini(struct eve_writer *w);

/* The endpoints of a record, as the client sees them. */
struct eve_endpoints {
    int ipver;                 /* 4 or 6 */
    const uint8_t *src, *dst;  /* 16 bytes each (IPv4 in the first 4) */
    uint16_t sport, dport;
    uint8_t proto;
    bool ports;                /* TCP/UDP/SCTP: ports are printed */
    bool icmp;                 /* ICMP: icmp_type/icmp_code are printed */
    uint8_t icmp_type, icmp_code;
    const uint16_t *vlan;
    unsigned nvlan;
};

/* Format a timestamp (ns since the epoch) as Suricata does; buf >= 40. */
const char *eve_timestamp(int64_t ts_ns, char *buf, size_t len);

/* Format an address as Suricata does (IPv6 uncompressed); buf >= 46. */
const char *eve_ip(int ipver, const uint8_t *a, char *buf, size_t len);

/* Suricata's name for an IP protocol ("TCP", "IPv6-ICMP", or the number). */
const char *eve_proto(uint8_t proto, char *buf, size_t len);

/* A flow's id: stable for a flow's key and start (same for any worker
 * count), positive, below 2^51 so every JSON reader keeps it exact. */
uint64_t eve_flow_id(const struct flow *f);

/* Fill endpoints from a flow (client = src) or from a decoded packet. */
void eve_endpoints_flow(struct eve_endpoints *ep, const struct flow *f);
void eve_endpoints_packet(struct eve_endpoints *ep, const struct decoded *d);

/* Returns a new record with the envelope. flow_id/pcap_cnt 0 = absent,
 * in_iface/app_proto NULL = absent, tx_id < 0 = absent, ep NULL = none. */
json_t *eve_begin(int64_t ts_ns, const char *event_type, uint64_t flow_id, uint64_t pcap_cnt,
                  const char *in_iface, const struct eve_endpoints *ep, const char *app_proto,
                  int64_t tx_id);

/* A record's envelope, the arguments of eve_begin(); community_id, when
 * not NULL, is the endpoints' one (already computed, e.g. once per flow). */
struct eve_envelope {
    int64_t ts_ns;
    const char *event_type;
    uint64_t flow_id, pcap_cnt;
    const char *in_iface;
    const struct eve_endpoints *ep;
    const char *app_proto;
    int64_t tx_id;
    const char *community_id;
};

/* The same line as eve_emit(w, eve_begin(env...) updated with rec's
 * members, spu_extra) writes, without building the envelope: it is
 * written as text, then rec's members (rec may be NULL), then the spu
 * object. Consumes rec and spu_extra. */
int eve_emit_envelope(struct eve_writer *w, const struct eve_envelope *env, json_t *rec,
                      json_t *spu_extra);

/* A record its producer wrote as text (the alerts of detect-eve.c): the
 * line is '{', body (the members before the spu object, no leading
 * comma), then the spu object: worker and thread as eve_emit() writes
 * them, spu (members, each with a leading comma), then the members of
 * spu_tail (consumed; may be NULL; neither worker nor thread). */
int eve_emit_text(struct eve_writer *w, const char *body, size_t blen, const char *spu,
                  size_t slen, json_t *spu_tail);

/* The Community ID (v1, seed 0) of endpoints, as eve_begin writes it, hashed
 * with h (NULL: the one-shot hash). false when it cannot be computed. */
bool eve_community_id(const struct eve_endpoints *ep, struct flowkey_sha1 *h, char *buf,
                      size_t len);

/* The same, hashed with the writer's SHA-1 context (made at the first). */
bool eve_writer_community_id(struct eve_writer *w, const struct eve_endpoints *ep, char *buf,
                             size_t len);

/* Consumes `rec` and `spu_extra` (may be NULL: an object merged into the
 * `spu` object). Returns 0, or a negative SPU_E* (counted in w->failed). */
int eve_emit(struct eve_writer *w, json_t *rec, json_t *spu_extra);

/* The flow event of a flow that ends with `reason` (enum flow_reason).
 * Flow records are the most frequent: the writer keeps one record and
 * updates its values in place (no allocation per flow once warm). */
int eve_flow(struct eve_writer *w, const struct flow *f, unsigned reason, const char *in_iface);

/* An anomaly event for anomaly `code` raised by a packet (decoded `d` may
 * be NULL when nothing of it decoded; flow `f` may be NULL). */
int eve_anomaly(struct eve_writer *w, unsigned code, int64_t ts_ns, uint64_t pcap_cnt,
                const struct decoded *d, const struct flow *f, const char *in_iface);

/* The stats event: every counter of `s` under Suricata's dotted names as
 * nested objects, the gauges given, and `spu` extras (consumed). */
int eve_stats(struct eve_writer *w, int64_t ts_ns, int64_t uptime_s, const struct stats_block *s,
              json_t *gauges, json_t *spu_extra);

/* The same stats record, returned (new) instead of written: the `spu`
 * object (spu_extra with the spu.* counters) is in the record. Consumes
 * gauges and spu_extra. NULL when out of memory. The metrics endpoint
 * renders this record, so it shows exactly what the EVE record says. */
json_t *eve_stats_record(int64_t ts_ns, int64_t uptime_s, const struct stats_block *s,
                         json_t *gauges, json_t *spu_extra);

#endif

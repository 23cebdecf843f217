/*
 * eve.h - EVE JSON records (Suricata's schema) built with jansson.
 *
 * eve_jw_envelope() writes the common envelope in Suricata's order:
 * timestamp (Suricata's format, UTC: 2009-10-16T16:44:16.185868+0000),
 * flow_id, in_iface, event_type, vlan, src/dest ip and port, proto,
 * icmp_type/icmp_code, pcap_cnt, app_proto, tx_id and community_id (v1,
 * seed 0). eve_emit_envelope() writes it, the event's own members, then the
 * top-level `spu` object (worker id and whatever the caller put in
 * `spu_extra`), and hands the line to the producer's output buffer. Builders for the packet path's own events: flow (at flow end),
 * anomaly, stats. Everything spu adds lives under `spu`, so a record with
 * `spu` removed validates against Suricata's schema.
 *
 * Each producing thread owns its struct eve_writer. Records are text: the
 * envelope written by eve_emit_envelope(), flow records, and records their
 * producer wrote with eve_jw_envelope() (eve_emit_text(): alerts, log
 * records); eve_emit() writes a jansson tree as it is (no envelope).
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

/* A record's envelope: flow_id/pcap_cnt 0 = absent, in_iface/app_proto
 * NULL = absent, tx_id < 0 = absent, ep NULL = no endpoints. community_id,
 * when not NULL, is the endpoints' one (already computed, e.g. once per
 * flow). src_ip, when not NULL, replaces the endpoints' source address, or
 * without endpoints comes last (a monitor count's source). */
struct eve_envelope {
    int64_t ts_ns;
    const char *event_type;
    uint64_t flow_id, pcap_cnt;
    const char *in_iface;
    const struct eve_endpoints *ep;
    const char *app_proto;
    int64_t tx_id;
    const char *community_id;
    const char *src_ip;
};

struct eve_jw;

/* The one writer of the envelope: env's members in Suricata's order,
 * '"timestamp":...' first (no brace, no comma before it or after the
 * last), the fields of eve-envelope.def. h hashes the Community ID (NULL:
 * the one-shot hash). A string jansson would refuse (invalid UTF-8) is
 * left out with its key. */
void eve_jw_envelope(struct eve_jw *j, const struct eve_envelope *env, struct flowkey_sha1 *h);

/* The record of envelope env and rec's members (borrowed; none of them an
 * envelope field) as a new tree: its text parsed back (the control
 * socket's answers show what EVE writes). NULL when out of memory. */
json_t *eve_record_tree(const struct eve_envelope *env, const json_t *rec);

/* Whether eve_jw_envelope(env) writes member k. */
bool eve_envelope_has(const struct eve_envelope *env, const char *k);

/* A record with an envelope: the envelope (eve_jw_envelope), then rec's
 * members (rec may be NULL; a member named as an envelope field replaces
 * the envelope's value where it stands), then the spu object: worker and
 * thread, then spu_extra's members (one named worker or thread replaces
 * that one). Consumes rec and spu_extra. */
int eve_emit_envelope(struct eve_writer *w, const struct eve_envelope *env, json_t *rec,
                      json_t *spu_extra);

/* A record its producer wrote as text (the alerts of detect-eve.c): the
 * line is '{', body (the members before the spu object, no leading
 * comma), then the spu object: worker and thread as eve_emit() writes
 * them, spu (members, each with a leading comma), then the members of
 * spu_tail (consumed; may be NULL; neither worker nor thread). */
int eve_emit_text(struct eve_writer *w, const char *body, size_t blen, const char *spu,
                  size_t slen, json_t *spu_tail);

/* The Community ID (v1, seed 0) of endpoints, as the envelope has it, hashed
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

/* The stats record's members, returned (new) instead of written: "stats"
 * and the `spu` object (spu_extra with the spu.* counters); the envelope
 * is written by eve_stats_emit. Consumes gauges and spu_extra. NULL when
 * out of memory. The metrics endpoint renders this record, so it shows
 * exactly what the EVE record says. */
json_t *eve_stats_record(int64_t uptime_s, const struct stats_block *s, json_t *gauges,
                         json_t *spu_extra);

/* Write the stats record of eve_stats_record (consumed; NULL counts a
 * failure) with the envelope of time ts_ns. */
int eve_stats_emit(struct eve_writer *w, int64_t ts_ns, json_t *rec);

#endif

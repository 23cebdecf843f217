/*
 * capture.h - capture backends behind one small ops table (libpcap's
 * *_op + priv pattern): classic pcap files memory-mapped (capture-file.c),
 * pcapng / standard input through libpcap (capture-pcap.c), live
 * AF_PACKET TPACKET_V3 rings (capture-afp.c).
 *
 * next() hands out a batch of packets whose bytes stay where the backend
 * keeps them (the mapping, a ring block, a copy slot) until release() is
 * called with the packet's cookie; every packet handed out is released
 * exactly once. All calls are made by one thread (spurun's dispatcher);
 * capture_break() may be called from any thread (it sets an atomic flag).
 */
#ifndef SPU_CAPTURE_H
#define SPU_CAPTURE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct spu_error;

struct capture_pkt {
    const uint8_t *data;
    uint32_t caplen, wirelen;
    int64_t ts_ns;
    int linktype;
    uint16_t source;  /* which file / ring it came from */
    uint16_t vlan;    /* live: VLAN id the kernel stripped from the frame, 0 if none */
    void *cookie;     /* for release() */
};

struct capture_stats {
    uint64_t packets;        /* handed out */
    uint64_t bytes;
    uint64_t kernel_packets; /* live: PACKET_STATISTICS */
    uint64_t kernel_drops;
    uint64_t file_size, file_pos; /* files: progress */
};

struct capture;

/* Inline modes (docs/inline.md): what happens to a packet when its
 * descriptor comes back from the worker. */
enum {
    CAPTURE_VERDICT_ACCEPT = 0,
    CAPTURE_VERDICT_DROP = 1,
    CAPTURE_VERDICT_REJECT = 2,     /* drop, reset both ends / ICMP unreachable */
    CAPTURE_VERDICT_REDIRECT_C = 3, /* drop, 302 to the client (packet from the client), reset server */
    CAPTURE_VERDICT_REDIRECT_S = 4, /* the same for a packet from the server */
};

struct capture_inline_counts {
    uint64_t received;     /* read from the kernel */
    uint64_t accepted, dropped, rejected, redirected; /* rejected, redirected: also dropped */
    uint64_t fail_open;    /* accepted uninspected (no room, --fail-open) */
    uint64_t edited;       /* accepted with rewritten bytes (rewrite.h) */
    uint64_t batches;      /* batch verdicts sent */
    uint64_t reject_sent, reject_unsent;
    uint64_t lost;         /* kernel could not deliver (ENOBUFS) */
};

struct capture_ops {
    const char *name;
    /* Up to `max` packets into out; returns how many (0: none now, or end
     * when *eof is set), or a negative SPU_E* with err filled (a corrupt
     * file: err->where is the file and err->offset the byte offset). */
    int (*next)(struct capture *c, struct capture_pkt *out, unsigned max, bool *eof,
                struct spu_error *err);
    void (*release)(struct capture *c, uint16_t source, void *cookie);
    void (*stats)(struct capture *c, struct capture_stats *s);
    void (*close)(struct capture *c);
};

/* Inline sources only: release with a verdict (CAPTURE_VERDICT_*; location:
 * the Redirect target, NUL-terminated, borrowed for the call, or NULL), in
 * place of release(), and the verdict counters; accept_edited() accepts
 * the packet with its bytes replaced by data[0..len) (a rewrite,
 * rewrite.h; borrowed for the call), in place of verdict(). */
struct capture_inline_ops {
    void (*verdict)(struct capture *c, uint16_t source, void *cookie, unsigned verdict,
                    const char *location);
    void (*counts)(struct capture *c, struct capture_inline_counts *n);
    void (*accept_edited)(struct capture *c, uint16_t source, void *cookie, const uint8_t *data,
                          uint32_t len);
    /* Optional: the packet is accepted but held by the queuing engine
     * (shaper.h); its verdict comes later. nfq settles the accepts behind
     * it one by one rather than wait for it. */
    void (*hold)(struct capture *c, uint16_t source, void *cookie);
};

struct capture {
    const struct capture_ops *ops;
    const struct capture_inline_ops *inl; /* NULL: not an inline source */
    void *priv;
    bool live;
    _Atomic bool brk;
    char iface[64]; /* live: the interface name (EVE in_iface) */
};

struct capture_maps;

struct capture_opts {
    const char *bpf;  /* filter expression or NULL */
    bool realtime;    /* files: pace packets by their timestamps */
    unsigned rings;   /* live: rings in a PACKET_FANOUT_HASH group (0/1 = one) */
    struct capture_maps *maps; /* files: mappings shared with other readers, or NULL */
};

/* Mappings of classic pcap files shared by several readers of the same
 * files (spurun --split-read): a file is mapped, and its page tables
 * filled, once however many readers walk it. Thread-safe; borrowed by
 * the captures opened with it, which must all be closed before it is
 * freed. NULL when out of memory. */
struct capture_maps *capture_maps_new(void);
void capture_maps_free(struct capture_maps *m);

/* Open a source: `-r` path (a classic pcap file is mapped, pcapng and "-"
 * go through libpcap; a directory yields every capture in it in name order)
 * or `-i` interface. Return new, or NULL with err filled. */
struct capture *capture_open_file(const char *path, const struct capture_opts *o,
                                  struct spu_error *err);
struct capture *capture_open_live(const char *iface, const struct capture_opts *o,
                                  struct spu_error *err);

/* Inline: `--inline SPEC` with SPEC nfq:N[,M...] (netfilter queues) or
 * bridge:IF1,IF2 (AF_PACKET, frames forwarded between the two); fail_open:
 * accept uninspected when overloaded (--fail-open). Return new, or NULL
 * with err filled. */
struct capture *capture_open_inline(const char *spec, bool fail_open, struct spu_error *err);
struct capture *capture_open_nfq(const char *queues, bool fail_open, struct spu_error *err);
struct capture *capture_open_bridge(const char *ifaces, bool fail_open, struct spu_error *err);

/* True for an inline source (descriptors carry verdicts back). */
static inline bool capture_is_inline(const struct capture *c)
{
    return c->inl != NULL;
}

static inline int capture_next(struct capture *c, struct capture_pkt *out, unsigned max,
                               bool *eof, struct spu_error *err)
{
    return c->ops->next(c, out, max, eof, err);
}

static inline void capture_release(struct capture *c, uint16_t source, void *cookie)
{
    c->ops->release(c, source, cookie);
}

/* Fill s (zeroed first). */
void capture_stats(struct capture *c, struct capture_stats *s);

/* Ask a blocking next() to return soon (any thread). */
void capture_break(struct capture *c);

/* Close and free. NULL is a no-op. Every packet must have been released. */
void capture_close(struct capture *c);

/* ---- shared by the backends ---- */

/* Opened only by capture_open_file(): one classic pcap mapped at `path`
 * (returns NULL with err->code SPU_EUNSUPPORTED when it is not classic
 * pcap), or a libpcap offline source (pcapng, "-"). */
struct capture *capture_file_open_mapped(const char *path, uint16_t source,
                                         struct capture_maps *maps, struct spu_error *err);

/* capture_maps: the mapping of the open file fd (st its fstat, size
 * bytes), made now or taken from an earlier reader (a reference; NULL
 * with err filled); its bytes; how far its page tables are filled (the
 * readers keep it); the reference given back (the last unmaps). */
struct stat;
struct capture_map;
struct capture_map *capture_maps_get(struct capture_maps *m, int fd, const struct stat *st,
                                     size_t size, struct spu_error *err);
const void *capture_map_data(const struct capture_map *e);
_Atomic size_t *capture_map_populated(struct capture_map *e);
void capture_maps_put(struct capture_maps *m, struct capture_map *e);
struct capture *capture_pcap_open_offline(const char *path, uint16_t source,
                                          struct spu_error *err);

/* A compiled BPF program applied to any buffer (libpcap's bpf_filter). */
struct capture_bpf;
struct capture_bpf *capture_bpf_new(const char *expr, int linktype, struct spu_error *err);
bool capture_bpf_match(const struct capture_bpf *b, const uint8_t *p, uint32_t caplen,
                       uint32_t wirelen);
void capture_bpf_free(struct capture_bpf *b);
/* The compiled program (borrowed), e.g. to attach to a socket. */
struct bpf_program;
const struct bpf_program *capture_bpf_program(const struct capture_bpf *b);

#endif

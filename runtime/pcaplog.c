/* pcaplog.c - per-flow packet rings and alert pcaps (see pcaplog.h). */
#include "pcaplog.h"

#include "err.h"
#include "eve.h"
#include "flow.h"
#include "pkt.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* One packet copy. */
struct tpkt {
    int64_t ts_ns;
    uint32_t caplen, wirelen;
    uint8_t data[];
};

/* A flow's trace (flow.trace): ring of copies and, after an alert, its pcap. */
struct trace {
    uint16_t linktype;
    bool has_file; /* the pcap exists (appended to on later alerts) */
    uint32_t head; /* index of the oldest copy */
    uint32_t count;
    uint32_t remaining; /* packets still to write after an alert */
    pcap_t *dead;       /* owned while the file is open */
    pcap_dumper_t *dump;
    int64_t bytes; /* accounted: this struct and its copies */
    struct tpkt *slot[];
};

struct pcaplog {
    struct pcaplog_cfg cfg;
    struct pcaplog_stats st;
    unsigned open_files;
    char path[4096];
};

static void inc(_Atomic uint64_t *c)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

struct pcaplog *pcaplog_new(const struct pcaplog_cfg *cfg, struct spu_error *err)
{
    struct stat sb;
    if (stat(cfg->dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        spu_error_at(err, SPU_EIO, cfg->dir, UINT64_MAX, "--pcap-log: not a directory");
        return NULL;
    }
    if (cfg->ring_pkts == 0 || cfg->ring_pkts > 4096) {
        spu_error_set(err, SPU_EINVAL, "--pcap-log: ring of 1..4096 packets");
        return NULL;
    }
    struct pcaplog *pl = calloc(1, sizeof(*pl));
    if (!pl) {
        spu_error_set(err, SPU_ENOMEM, "--pcap-log: out of memory");
        return NULL;
    }
    pl->cfg = *cfg;
    return pl;
}

void pcaplog_free(struct pcaplog *pl)
{
    free(pl);
}

const struct pcaplog_stats *pcaplog_stats(const struct pcaplog *pl)
{
    return &pl->st;
}

static void write_one(struct pcaplog *pl, struct trace *t, int64_t ts_ns, uint32_t caplen,
                      uint32_t wirelen, const uint8_t *data)
{
    struct pcap_pkthdr h;
    h.ts.tv_sec = (time_t)(ts_ns / 1000000000);
    h.ts.tv_usec = (suseconds_t)(ts_ns % 1000000000 / 1000);
    h.caplen = caplen;
    h.len = wirelen > caplen ? wirelen : caplen;
    pcap_dump((u_char *)t->dump, &h, data);
    inc(&pl->st.written);
}

static void close_file(struct pcaplog *pl, struct trace *t)
{
    if (!t->dump)
        return;
    if (pcap_dump_flush(t->dump) != 0)
        inc(&pl->st.write_errors);
    pcap_dump_close(t->dump);
    pcap_close(t->dead);
    t->dump = NULL;
    t->dead = NULL;
    pl->open_files--;
}

static void drop_copies(struct pcaplog *pl, struct trace *t)
{
    for (uint32_t i = 0; i < t->count; i++) {
        struct tpkt *c = t->slot[(t->head + i) % pl->cfg.ring_pkts];
        int64_t b = (int64_t)(sizeof(*c) + c->caplen);
        atomic_fetch_sub(pl->cfg.memuse, b);
        t->bytes -= b;
        free(c);
    }
    t->head = t->count = 0;
}

void pcaplog_packet(struct pcaplog *pl, struct flow *f, const struct pkt *p)
{
    struct trace *t = f->trace;
    if (!t) {
        size_t sz = sizeof(*t) + pl->cfg.ring_pkts * sizeof(t->slot[0]);
        if (atomic_load_explicit(pl->cfg.memuse, memory_order_relaxed) + (int64_t)sz >
                (int64_t)pl->cfg.memcap ||
            !(t = calloc(1, sz))) {
            inc(&pl->st.memcap_drops);
            return;
        }
        t->bytes = (int64_t)sz;
        t->linktype = p->linktype;
        atomic_fetch_add(pl->cfg.memuse, t->bytes);
        f->trace = t;
    }
    if (t->remaining && t->dump) {
        write_one(pl, t, p->ts_ns, p->caplen, p->wirelen, p->data);
        if (--t->remaining == 0)
            close_file(pl, t);
        return;
    }
    int64_t need = (int64_t)(sizeof(struct tpkt) + p->caplen);
    int64_t freed = 0;
    if (t->count == pl->cfg.ring_pkts)
        freed = (int64_t)(sizeof(struct tpkt) + t->slot[t->head]->caplen);
    if (atomic_load_explicit(pl->cfg.memuse, memory_order_relaxed) + need - freed >
        (int64_t)pl->cfg.memcap) {
        inc(&pl->st.memcap_drops);
        return;
    }
    struct tpkt *c = malloc(sizeof(*c) + p->caplen);
    if (!c) {
        inc(&pl->st.memcap_drops);
        return;
    }
    c->ts_ns = p->ts_ns;
    c->caplen = p->caplen;
    c->wirelen = p->wirelen;
    memcpy(c->data, p->data, p->caplen);
    if (t->count == pl->cfg.ring_pkts) {
        free(t->slot[t->head]);
        t->head = (t->head + 1) % pl->cfg.ring_pkts;
        t->count--;
    }
    t->slot[(t->head + t->count) % pl->cfg.ring_pkts] = c;
    t->count++;
    t->bytes += need - freed;
    atomic_fetch_add(pl->cfg.memuse, need - freed);
    inc(&pl->st.kept);
}

const char *pcaplog_alert(struct pcaplog *pl, struct flow *f)
{
    struct trace *t = f->trace;
    if (!t)
        return NULL; /* nothing kept (memcap): no pcap */
    snprintf(pl->path, sizeof(pl->path), "%s/%llu.pcap", pl->cfg.dir,
             (unsigned long long)eve_flow_id(f));
    if (!t->dump) {
        if (pl->open_files >= PCAPLOG_MAX_OPEN) {
            inc(&pl->st.files_refused);
            return NULL;
        }
        t->dead = pcap_open_dead(t->linktype, 262144);
        if (t->dead)
            t->dump = t->has_file ? pcap_dump_open_append(t->dead, pl->path)
                                  : pcap_dump_open(t->dead, pl->path);
        if (!t->dump) {
            if (t->dead)
                pcap_close(t->dead);
            t->dead = NULL;
            inc(&pl->st.files_refused);
            return NULL;
        }
        pl->open_files++;
        if (!t->has_file)
            inc(&pl->st.files);
        t->has_file = true;
    }
    for (uint32_t i = 0; i < t->count; i++) {
        struct tpkt *c = t->slot[(t->head + i) % pl->cfg.ring_pkts];
        write_one(pl, t, c->ts_ns, c->caplen, c->wirelen, c->data);
    }
    drop_copies(pl, t);
    t->remaining = pl->cfg.post_pkts;
    if (t->remaining == 0)
        close_file(pl, t);
    else if (pcap_dump_flush(t->dump) != 0)
        inc(&pl->st.write_errors);
    return pl->path;
}

void pcaplog_flow_end(struct pcaplog *pl, struct flow *f)
{
    struct trace *t = f->trace;
    if (!t)
        return;
    close_file(pl, t);
    drop_copies(pl, t);
    atomic_fetch_sub(pl->cfg.memuse, t->bytes);
    free(t);
    f->trace = NULL;
}

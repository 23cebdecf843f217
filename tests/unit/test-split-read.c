/*
 * Unit tests for split reading (runtime/dispatch.c with cfg.split, the
 * readers of spurun --split-read): three dispatchers, each over its own
 * capture of the same file and each running one of three workers (never
 * started), together process every packet of corpus captures exactly
 * once, each on the worker its flow hash names; each numbers the packets
 * (pcap_cnt) and decides the checksum mode as a single one would.
 */
#include <criterion/criterion.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "dispatch.h"
#include "err.h"
#include "flowkey.h"
#include "pkt.h"
#include "rt-events.h"
#include "stats.h"
#include "stream-tcp.h"
#include "worker.h"

#define NW 3u
#define SEED 0x5350552eu

struct seen {
    unsigned worker;
    uint8_t *by;     /* per pcap_cnt: 1 + the worker that processed it */
    size_t cap;
    unsigned dup, wrong;
};

struct ctx {
    struct seen *s;
    unsigned id;
};

static void on_event(void *c, enum rt_event_id id, const struct pkt *p, const struct decoded *d,
                     struct flow *f, int reason)
{
    struct ctx *x = c;
    if (id != RT_EV_PACKET || (p->flags & PKT_PSEUDO))
        return;
    struct seen *s = x->s;
    if (p->pcap_cnt >= s->cap) {
        size_t n = s->cap ? s->cap * 2 : 4096;
        while (n <= p->pcap_cnt)
            n *= 2;
        s->by = realloc(s->by, n);
        cr_assert_not_null(s->by);
        memset(s->by + s->cap, 0, n - s->cap);
        s->cap = n;
    }
    if (s->by[p->pcap_cnt])
        s->dup++;
    s->by[p->pcap_cnt] = (uint8_t)(1 + x->id);
    if (flowkey_worker(p->hash, NW) != x->id)
        s->wrong++;
}

/* Runs the three readers of one file in turn; returns the packets read
 * (the same for each, asserted). */
static uint64_t run_split(const char *path, struct seen *s)
{
    struct stream_cfg scfg;
    stream_cfg_default(&scfg);
    struct stats_gauges gauges;
    memset(&gauges, 0, sizeof(gauges));
    _Atomic int64_t clocks[NW] = {0};
    struct ctx cx[NW];
    struct rt_hooks hooks[NW];
    struct worker *w[NW];
    for (unsigned i = 0; i < NW; i++) {
        cx[i] = (struct ctx){s, i};
        hooks[i] = (struct rt_hooks){&cx[i], on_event};
        struct worker_cfg wc;
        memset(&wc, 0, sizeof(wc));
        wc.id = i;
        wc.seed = SEED;
        wc.stream = &scfg;
        wc.flow_memcap = 1 << 24;
        wc.flow_bits = 10;
        wc.gauges = &gauges;
        wc.clock = &clocks[i];
        wc.hooks = &hooks[i];
        w[i] = worker_new(&wc, 16, 16);
        cr_assert_not_null(w[i]);
    }
    uint64_t packets = 0;
    bool csum = false;
    struct capture_maps *maps = capture_maps_new(); /* as spurun: one mapping */
    cr_assert_not_null(maps);
    struct capture_opts co = {NULL, false, 1, maps};
    for (unsigned i = 0; i < NW; i++) {
        struct spu_error err = {0};
        struct capture *c = capture_open_file(path, &co, &err);
        cr_assert_not_null(c, "%s: %s", path, err.msg);
        struct dispatch_cfg dc = {NW, SEED, false, CHECKSUM_AUTO, 0, 0, NULL, true, i};
        struct dispatcher *d = dispatch_new(&dc, c, w, &clocks[i]);
        cr_assert_not_null(d);
        int st;
        while ((st = dispatch_step(d, &err)) != SPU_DONE)
            if (st < 0)
                break; /* a damaged capture: every reader stops at the same packet */
        worker_finish(w[i]);
        dispatch_finish(d);
        if (i == 0) {
            packets = dispatch_packets(d);
            csum = dispatch_checksums_on(d);
        }
        cr_assert_eq(dispatch_packets(d), packets, "%s: reader %u read %llu packets of %llu",
                     path, i, (unsigned long long)dispatch_packets(d),
                     (unsigned long long)packets);
        cr_assert_eq(dispatch_checksums_on(d), csum, "%s: reader %u chose another checksum mode",
                     path, i);
        dispatch_free(d);
        capture_close(c);
    }
    capture_maps_free(maps);
    for (unsigned i = 0; i < NW; i++)
        worker_free(w[i]);
    return packets;
}

Test(split_read, every_packet_once_on_its_flows_worker)
{
    glob_t g;
    cr_assert_eq(glob("../shared/corpus/suricata-verify/*/input.pcap", 0, NULL, &g), 0);
    uint64_t total = 0;
    unsigned files = 0, used[NW] = {0};
    for (size_t i = 0; i < g.gl_pathc && files < 60; i += 3, files++) {
        struct seen s;
        memset(&s, 0, sizeof(s));
        uint64_t n = run_split(g.gl_pathv[i], &s);
        cr_assert_eq(s.dup, 0, "%s: %u packets processed twice", g.gl_pathv[i], s.dup);
        cr_assert_eq(s.wrong, 0, "%s: %u packets on another worker than their hash's",
                     g.gl_pathv[i], s.wrong);
        for (uint64_t k = 1; k <= n; k++) {
            cr_assert(k < s.cap && s.by[k], "%s: packet %llu processed by no worker",
                      g.gl_pathv[i], (unsigned long long)k);
            used[s.by[k] - 1]++;
        }
        total += n;
        free(s.by);
    }
    globfree(&g);
    cr_assert_gt(total, 1000);
    for (unsigned i = 0; i < NW; i++)
        cr_assert_gt(used[i], total / 10, "worker %u processed %u of %llu packets", i, used[i],
                     (unsigned long long)total);
}

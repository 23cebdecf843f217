/*
 * Unit tests for split reading (runtime/dispatch.c with cfg.split, the
 * readers of spurun --split-read): three dispatchers, each over its own
 * capture of the same file and each running one of three workers (never
 * started), together process every packet of corpus captures exactly
 * once, each on the worker its flow hash names; each numbers the packets
 * (pcap_cnt) and decides the checksum mode as a single one would. The
 * same through a shared index of the file (split-index.h), with small
 * chunks in a small ring and the readers stepped in turn, so that chunk
 * boundaries, a full ring and recycling are crossed many times; over one
 * file, a directory of several, and a truncated file (the same fault for
 * every reader, after the same packets as without the index). A reader
 * that finds nothing in the index waits until another one moves it, and
 * wakes then, not at the bound of its wait. And with the smallest packet
 * pool a dispatcher steps with (2 * DISPATCH_BATCH descriptors), over
 * chunks that each hold far more of every reader's records than that:
 * none is lost or processed twice.
 */
#include <criterion/criterion.h>
#include <glob.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "dispatch.h"
#include "err.h"
#include "flowkey.h"
#include "grow.h"
#include "helper-pkt.h"
#include "pkt.h"
#include "split-index.h"
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
        size_t n = spu_grow_cap(s->cap, (size_t)p->pcap_cnt + 1, 4096, SIZE_MAX);
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

/* How run_split reads: each reader its own capture, or a shared index
 * with chunks of `chunk` records in a ring of `ring`. */
struct how {
    bool index;
    unsigned chunk, ring;
    int checksum;  /* enum checksum_mode: YES walks the index by spans */
    unsigned pool; /* each dispatcher's descriptors (0: the default) */
};

/* Runs the three readers of one file (or directory) to the end or a fault
 * (its code in *fault, 0 if none), in turn or, with the index, a step
 * each in turn; returns the packets read (the same for each, asserted). */
static uint64_t run_split_how(const char *path, struct seen *s, struct how how, int *fault)
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
    *fault = 0;
    if (how.index) {
        struct spu_error err = {0};
        struct capture *c = capture_open_file(path, &co, &err);
        cr_assert_not_null(c, "%s: %s", path, err.msg);
        struct split_index *x = split_index_new(c, NW, SEED, how.chunk, how.ring);
        cr_assert_not_null(x);
        struct dispatcher *d[NW];
        bool over[NW] = {false};
        int rc[NW] = {0};
        for (unsigned i = 0; i < NW; i++) {
            struct dispatch_cfg dc = {NW, SEED, false, how.checksum, how.pool, 0, NULL, true, i};
            d[i] = dispatch_new(&dc, c, w, &clocks[i]);
            cr_assert_not_null(d[i]);
            dispatch_use_index(d[i], split_index_cursor(x, i));
        }
        unsigned left = NW, turn = 0, stuck = 0;
        while (left) {
            /* reader 0 takes three steps for one of the others': it runs
             * ahead until the ring is full and must wait for them */
            unsigned i = turn % 5 < 3 ? 0 : 1 + turn % 5 - 3 + (turn / 5) % 2;
            turn++;
            if (i >= NW || over[i])
                continue;
            int st = dispatch_step(d[i], &err);
            stuck = st == 0 ? stuck + 1 : 0;
            cr_assert_lt(stuck, 1000, "%s: the readers wait for each other", path);
            if (st == SPU_DONE || st < 0) {
                over[i] = true;
                rc[i] = st < 0 ? st : 0;
                worker_finish(w[i]);
                dispatch_finish(d[i]);
                left--;
            }
        }
        packets = dispatch_packets(d[0]);
        csum = dispatch_checksums_on(d[0]);
        *fault = rc[0];
        for (unsigned i = 0; i < NW; i++) {
            cr_assert_eq(dispatch_packets(d[i]), packets, "%s: reader %u read %llu of %llu",
                         path, i, (unsigned long long)dispatch_packets(d[i]),
                         (unsigned long long)packets);
            cr_assert_eq(dispatch_checksums_on(d[i]), csum, "%s: reader %u checksum mode", path,
                         i);
            cr_assert_eq(rc[i], rc[0], "%s: reader %u ended otherwise", path, i);
            dispatch_free(d[i]);
        }
        cr_assert_geq(split_index_chunks(x) * (how.chunk ? how.chunk : 2048), packets);
        split_index_free(x);
        capture_close(c);
    }
    for (unsigned i = 0; !how.index && i < NW; i++) {
        struct spu_error err = {0};
        struct capture *c = capture_open_file(path, &co, &err);
        cr_assert_not_null(c, "%s: %s", path, err.msg);
        struct dispatch_cfg dc = {NW, SEED, false, how.checksum, how.pool, 0, NULL, true, i};
        struct dispatcher *d = dispatch_new(&dc, c, w, &clocks[i]);
        cr_assert_not_null(d);
        int st;
        while ((st = dispatch_step(d, &err)) != SPU_DONE)
            if (st < 0)
                break; /* a damaged capture: every reader stops at the same packet */
        if (i == 0)
            *fault = st < 0 ? st : 0;
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

static uint64_t run_split(const char *path, struct seen *s)
{
    int fault;
    return run_split_how(path, s, (struct how){false, 0, 0, CHECKSUM_AUTO, 0}, &fault);
}

/* s saw packets 1..n each once, on its hash's worker. */
static void assert_once(const char *path, const struct seen *s, uint64_t n)
{
    cr_assert_eq(s->dup, 0, "%s: %u packets processed twice", path, s->dup);
    cr_assert_eq(s->wrong, 0, "%s: %u packets on another worker than their hash's", path,
                 s->wrong);
    for (uint64_t k = 1; k <= n; k++)
        cr_assert(k < s->cap && s->by[k], "%s: packet %llu processed by no worker", path,
                  (unsigned long long)k);
}

/* Every packet processed once, on its hash's worker; returns the count. */
static uint64_t check_once(const char *path, struct how how, int *fault)
{
    struct seen s;
    memset(&s, 0, sizeof(s));
    uint64_t n = run_split_how(path, &s, how, fault);
    assert_once(path, &s, n);
    free(s.by);
    return n;
}

Test(split_read, index_every_packet_once_across_chunks)
{
    glob_t g;
    cr_assert_eq(glob("../shared/corpus/suricata-verify/*/input.pcap", 0, NULL, &g), 0);
    uint64_t total = 0;
    unsigned files = 0;
    for (size_t i = 1; i < g.gl_pathc && files < 40; i += 5, files++) {
        for (int m = CHECKSUM_AUTO; m <= CHECKSUM_YES; m++) {
            int f0, f1, f2;
            uint64_t n0 = check_once(g.gl_pathv[i], (struct how){false, 0, 0, m, 0}, &f0);
            uint64_t n1 = check_once(g.gl_pathv[i], (struct how){true, 7, 3, m, 0}, &f1);
            uint64_t n2 = check_once(g.gl_pathv[i], (struct how){true, 0, 0, m, 0}, &f2);
            cr_assert_eq(n1, n0, "%s: %llu packets with the index, %llu without",
                         g.gl_pathv[i], (unsigned long long)n1, (unsigned long long)n0);
            cr_assert_eq(n2, n0);
            cr_assert_eq(f1, f0);
            cr_assert_eq(f2, f0);
            total += n0;
        }
    }
    globfree(&g);
    cr_assert_gt(total, 1000);
}

static void copy_part(const char *from, const char *to, long len)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    cr_assert(in && out);
    char buf[4096];
    size_t n;
    long done = 0;
    while ((len < 0 || done < len) && (n = fread(buf, 1, sizeof(buf), in)) > 0) {
        if (len >= 0 && done + (long)n > len)
            n = (size_t)(len - done);
        cr_assert_eq(fwrite(buf, 1, n, out), n);
        done += (long)n;
    }
    fclose(in);
    fclose(out);
}

Test(split_read, index_over_a_directory_and_a_truncated_file)
{
    glob_t g;
    cr_assert_eq(glob("../shared/corpus/suricata-verify/*/input.pcap", 0, NULL, &g), 0);
    cr_assert_gt(g.gl_pathc, 40);
    char dir[] = "/tmp/test-split-read-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char p[3][300];
    uint64_t sum = 0;
    for (unsigned i = 0; i < 3; i++) {
        snprintf(p[i], sizeof(p[i]), "%s/%u.pcap", dir, i);
        copy_part(g.gl_pathv[7 + 11 * i], p[i], -1);
        int f;
        sum += check_once(p[i], (struct how){false, 0, 0, CHECKSUM_YES, 0}, &f);
    }
    int f0, f1;
    uint64_t n0 = check_once(dir, (struct how){false, 0, 0, CHECKSUM_YES, 0}, &f0);
    uint64_t n1 = check_once(dir, (struct how){true, 5, 2, CHECKSUM_YES, 0}, &f1);
    cr_assert_eq(n0, sum, "a directory is its files one after the other");
    cr_assert_eq(n1, n0);
    cr_assert_eq(f0, 0);
    cr_assert_eq(f1, 0);
    /* the largest of them, cut in the middle of a record */
    for (unsigned i = 0; i < 3; i++)
        unlink(p[i]);
    FILE *f = fopen(g.gl_pathv[7], "rb");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    cr_assert_gt(size, 200);
    copy_part(g.gl_pathv[7], p[0], size - 3);
    n0 = check_once(p[0], (struct how){false, 0, 0, CHECKSUM_YES, 0}, &f0);
    n1 = check_once(p[0], (struct how){true, 3, 2, CHECKSUM_YES, 0}, &f1);
    cr_assert_lt(f0, 0, "a truncated file is a fault");
    cr_assert_eq(f1, f0);
    cr_assert_eq(n1, n0, "the same packets before the fault");
    unlink(p[0]);
    rmdir(dir);
    globfree(&g);
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

/* A capture of n frames: UDP datagrams of 61 flows, and at every 50th
 * frame the two fragments of one more datagram (a reader that completes
 * it takes a second descriptor). Returns the frames written. */
static size_t write_many(const char *path, size_t n)
{
    uint8_t(*buf)[128] = calloc(n, sizeof(*buf));
    const uint8_t **frames = calloc(n, sizeof(*frames));
    size_t *lens = calloc(n, sizeof(*lens));
    cr_assert(buf && frames && lens);
    uint8_t payload[24];
    memset(payload, 'p', sizeof(payload));
    uint8_t whole[128];
    for (size_t i = 0; i < n; i++) {
        uint8_t *b = buf[i];
        size_t o = hp_eth(b, 0x0800);
        uint16_t sp = (uint16_t)(1000 + i % 61);
        if (i % 50 == 10 && i + 1 < n) {
            /* the datagram whole, then cut in two at byte 16 of its UDP */
            size_t w = hp_eth(whole, 0x0800);
            size_t ip = w;
            w += hp_ipv4(whole + w, "10.9.0.1", "10.9.0.2", 17, 32, (uint16_t)i, 0);
            hp_udp(whole + w, whole + ip, sp, 53, payload, sizeof(payload));
            uint8_t *udp = whole + w;
            size_t o2 = hp_eth(buf[i + 1], 0x0800);
            o += hp_ipv4(b + o, "10.9.0.1", "10.9.0.2", 17, 16, (uint16_t)i, 0x2000);
            memcpy(b + o, udp, 16);
            lens[i] = o + 16;
            o2 += hp_ipv4(buf[i + 1] + o2, "10.9.0.1", "10.9.0.2", 17, 16, (uint16_t)i, 16 / 8);
            memcpy(buf[i + 1] + o2, udp + 16, 16);
            lens[i + 1] = o2 + 16;
            frames[i] = b;
            frames[i + 1] = buf[i + 1];
            i++;
            continue;
        }
        size_t ip = o;
        o += hp_ipv4(b + o, "10.9.0.1", "10.9.0.2", 17, 8 + sizeof(payload), 0, 0);
        o += hp_udp(b + o, b + ip, sp, 53, payload, sizeof(payload));
        frames[i] = b;
        lens[i] = o;
    }
    cr_assert_eq(hp_write_pcap(path, frames, lens, n, 1700000000), 0);
    free(buf);
    free(frames);
    free(lens);
    return n;
}

Test(split_read, a_pool_of_two_batches_is_enough_for_a_whole_chunk)
{
    char path[] = "/tmp/test-split-read-pool-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    size_t frames = write_many(path, 3 * 2048 + 300);
    const unsigned pool = 2 * DISPATCH_BATCH;
    /* index with chunks of 2048 walked by spans (CHECKSUM_YES), by batches
     * (AUTO), and each reader on its own capture */
    struct how hows[] = {{true, 0, 0, CHECKSUM_YES, pool},
                         {true, 0, 0, CHECKSUM_AUTO, pool},
                         {false, 0, 0, CHECKSUM_YES, pool}};
    for (unsigned h = 0; h < sizeof(hows) / sizeof(hows[0]); h++) {
        struct seen s;
        memset(&s, 0, sizeof(s));
        int fault;
        uint64_t n = run_split_how(path, &s, hows[h], &fault);
        cr_assert_eq(fault, 0);
        cr_assert_eq(n, frames, "way %u: %llu packets of %zu", h, (unsigned long long)n, frames);
        assert_once(path, &s, n);
        /* the first chunk alone gives every reader many times the pool */
        unsigned first[NW] = {0};
        for (uint64_t k = 1; k <= 2048; k++)
            first[s.by[k] - 1]++;
        for (unsigned i = 0; i < NW; i++)
            cr_assert_gt(first[i], 2 * pool, "way %u: reader %u has %u records of the first chunk",
                         h, i, first[i]);
        free(s.by);
    }
    unlink(path);
}

struct waiter {
    struct split_cursor *c;
    long max_ns;
    double took, end; /* seconds: the wait, and when it ended */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *wait_main(void *arg)
{
    struct waiter *w = arg;
    double t = now_s();
    split_cursor_wait(w->c, w->max_ns);
    w->end = now_s();
    w->took = w->end - t;
    return NULL;
}

/* Reads cursor c until it has nothing (0 without eof); returns the records. */
static unsigned drain(struct split_cursor *c)
{
    const struct split_rec *r[16];
    bool eof = false;
    struct spu_error err = {0};
    unsigned total = 0;
    int n;
    while ((n = split_cursor_next(c, r, 16, &eof, &err)) > 0)
        total += (unsigned)n;
    cr_assert_eq(n, 0);
    cr_assert(!eof, "the capture is long enough to fill the ring");
    return total;
}

Test(split_read, a_waiting_reader_wakes_when_the_index_moves)
{
    glob_t g;
    cr_assert_eq(glob("../shared/corpus/suricata-verify/*/input.pcap", 0, NULL, &g), 0);
    struct capture_maps *maps = capture_maps_new();
    cr_assert_not_null(maps);
    struct capture_opts co = {NULL, false, 1, maps};
    /* a capture of at least 30 records: two cursors, a ring of two chunks of 3 */
    struct capture *c = NULL;
    for (size_t i = 0; i < g.gl_pathc && !c; i++) {
        struct spu_error err = {0};
        c = capture_open_file(g.gl_pathv[i], &co, &err);
        cr_assert_not_null(c, "%s: %s", g.gl_pathv[i], err.msg);
        struct capture_pkt p[30];
        bool eof = false;
        if (capture_next(c, p, 30, &eof, &err) == 30) {
            capture_close(c);
            c = capture_open_file(g.gl_pathv[i], &co, &err);
        } else {
            capture_close(c);
            c = NULL;
        }
    }
    globfree(&g);
    cr_assert_not_null(c);
    struct split_index *x = split_index_new(c, 2, SEED, 3, 2);
    cr_assert_not_null(x);
    struct split_cursor *c0 = split_index_cursor(x, 0), *c1 = split_index_cursor(x, 1);
    /* reader 0 reads the two chunks of the ring, then waits for reader 1 */
    cr_assert_eq(drain(c0), 6);
    /* nothing moves: the wait ends at its bound */
    struct waiter w = {c0, 20000000L, 0, 0};
    wait_main(&w);
    cr_assert_geq(w.took, 0.015, "waited %.3f s of 0.020", w.took);
    cr_assert_lt(w.took, 2.0);
    /* reader 1 moves on to the second chunk while reader 0 waits: it wakes
     * long before the bound of its wait */
    w = (struct waiter){c0, 10000000000L, 0, 0};
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, wait_main, &w), 0);
    struct timespec nap = {0, 50000000L};
    nanosleep(&nap, NULL);
    double moved = now_s();
    cr_assert_geq(drain(c1), 6);
    pthread_join(t, NULL);
    cr_assert_geq(w.end, moved, "returned %.3f s before reader 1 moved", moved - w.end);
    cr_assert_lt(w.took, 5.0, "woke after %.3f s (bound 10 s)", w.took);
    /* the ring has room again: reader 0 reads on until it is full again */
    cr_assert_geq(drain(c0), 3);
    /* the index moved since reader 0 last found nothing (reader 1 read on):
     * no wait at all */
    cr_assert_gt(drain(c1), 0);
    w = (struct waiter){c0, 10000000000L, 0, 0};
    wait_main(&w);
    cr_assert_lt(w.took, 1.0);
    split_index_free(x);
    capture_close(c);
    capture_maps_free(maps);
}

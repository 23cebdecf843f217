/* dispatch.c - capture -> hash -> worker queues (see dispatch.h). */
#include "dispatch.h"

#include "capture.h"
#include "decode.h"
#include "defrag.h"
#include "dispatch-hash.h"
#include "err.h"
#include "flowkey.h"
#include "pkt.h"
#include "shaper.h"
#include "split-index.h"
#include "spsc.h"
#include "worker.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH DISPATCH_BATCH
#define CSUM_SAMPLE 1000u
#define W0_SAMPLE 16u

struct dispatcher {
    struct dispatch_cfg cfg;
    struct capture *cap;
    struct split_cursor *cur; /* split: records from the shared index */
    struct worker **workers;
    _Atomic int64_t *clock;
    int64_t clock_local;
    struct pkt *pool;
    struct pkt *free_list;
    unsigned nfree;
    struct defrag *df;
    struct stats_block stats;
    uint64_t pcap_cnt, bytes;
    /* split: time spent processing this thread's own worker's share (wall),
     * and its CPU time measured on one batch in W0_SAMPLE (a thread CPU
     * clock read is a system call, about 0.5 us here) with their packets */
    uint64_t own_ns;
    uint64_t w0_batches, w0_pkts, w0_cpu_sampled, w0_pkts_sampled;
    uint64_t w0_cpu_idle; /* its sweeps and flushes, measured whole */
    uint64_t *drops;
    /* per-worker outgoing batch */
    struct pkt ***out;
    unsigned *nout;
    /* checksum auto mode */
    int csum_mode;
    uint64_t csum_sampled, csum_bad;
    struct decoded scratch;
};

struct dispatcher *dispatch_new(const struct dispatch_cfg *cfg, struct capture *cap,
                                struct worker **workers, _Atomic int64_t *clock)
{
    struct dispatcher *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->cfg = *cfg;
    if (!d->cfg.pool)
        d->cfg.pool = 16384;
    d->cap = cap;
    d->workers = workers;
    d->clock = clock;
    d->csum_mode = cfg->checksum;
    stats_block_init(&d->stats);
    d->pool = calloc(d->cfg.pool, sizeof(*d->pool));
    d->drops = calloc(cfg->nworkers, sizeof(*d->drops));
    d->out = calloc(cfg->nworkers, sizeof(*d->out));
    d->nout = calloc(cfg->nworkers, sizeof(*d->nout));
    d->df = defrag_new(cfg->defrag_memcap, 0);
    if (!d->pool || !d->drops || !d->out || !d->nout || !d->df) {
        dispatch_free(d);
        return NULL;
    }
    for (unsigned i = 0; i < cfg->nworkers; i++) {
        d->out[i] = calloc(BATCH * 2, sizeof(struct pkt *));
        if (!d->out[i]) {
            dispatch_free(d);
            return NULL;
        }
    }
    for (unsigned i = 0; i < d->cfg.pool; i++) {
        d->pool[i].next = d->free_list;
        d->free_list = &d->pool[i];
    }
    d->nfree = d->cfg.pool;
    return d;
}

void dispatch_free(struct dispatcher *d)
{
    if (!d)
        return;
    if (d->out)
        for (unsigned i = 0; i < d->cfg.nworkers; i++)
            free(d->out[i]);
    free(d->out);
    free(d->nout);
    free(d->drops);
    free(d->pool);
    defrag_free(d->df);
    free(d);
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void put_back(struct dispatcher *d, struct pkt *p);

/* split: the own worker's sweep (and EVE flush); the rare calls that do
 * work have their CPU time measured whole, the others cost a comparison. */
static void own_idle(struct dispatcher *d, int64_t clock, bool flush)
{
    struct worker *w = d->workers[d->cfg.own];
    if (!flush && !worker_sweep_due(w, clock)) {
        worker_idle(w, clock, false);
        return;
    }
    int64_t t = mono_ns(), c = thread_cpu_ns();
    worker_idle(w, clock, flush);
    d->w0_cpu_idle += (uint64_t)(thread_cpu_ns() - c);
    d->own_ns += (uint64_t)(mono_ns() - t);
}

/* A held packet the shaper drops (its class's FIFO overflowed). */
static void dropped(void *ctx, struct pkt *p)
{
    p->qclass = 0;
    p->verdict = CAPTURE_VERDICT_DROP;
    put_back(ctx, p);
}

static void put_back(struct dispatcher *d, struct pkt *p)
{
    if (p->flags & PKT_OWNED)
        free(p->own);
    else if (!(p->flags & PKT_PSEUDO)) {
        if (d->cap->inl && p->qclass && p->verdict == CAPTURE_VERDICT_ACCEPT && d->cfg.shaper) {
            /* shaped: the backend hears of it when its class releases it */
            uint32_t len = p->edit ? p->edit_len : p->wirelen;
            if (shaper_hold(d->cfg.shaper, p, len, mono_ns(), dropped, d)) {
                if (d->cap->inl->hold)
                    d->cap->inl->hold(d->cap, p->source, p->cookie);
                return;
            }
            p->verdict = CAPTURE_VERDICT_DROP;
        }
        if (d->cap->inl && p->edit && p->verdict == CAPTURE_VERDICT_ACCEPT)
            d->cap->inl->accept_edited(d->cap, p->source, p->cookie, p->edit, p->edit_len);
        else if (d->cap->inl)
            d->cap->inl->verdict(d->cap, p->source, p->cookie, p->verdict, p->location);
        else if (!d->cur) /* the index releases its records itself */
            capture_release(d->cap, p->source, p->cookie);
    }
    p->own = NULL;
    if (p->edit) {
        free(p->edit);
        p->edit = NULL;
        p->edit_len = 0;
    }
    if (p->location) {
        free(p->location);
        p->location = NULL;
    }
    p->next = d->free_list;
    d->free_list = p;
    d->nfree++;
}

unsigned dispatch_reclaim(struct dispatcher *d)
{
    unsigned total = 0;
    void *buf[256];
    if (d->cfg.split)
        return 0; /* no queues: every descriptor came back at once */
    for (unsigned i = 0; i < d->cfg.nworkers; i++) {
        struct spsc *q = worker_return_queue(d->workers[i]);
        size_t n;
        while ((n = spsc_pop(q, buf, 256)) > 0) {
            for (size_t j = 0; j < n; j++)
                put_back(d, buf[j]);
            total += (unsigned)n;
        }
    }
    return total;
}

static struct pkt *take(struct dispatcher *d)
{
    struct pkt *p = d->free_list;
    if (p) {
        d->free_list = p->next;
        d->nfree--;
        memset(p, 0, sizeof(*p));
    }
    return p;
}

static void nap(long ns)
{
    struct timespec ts = {0, ns};
    nanosleep(&ts, NULL);
}

/* Push the worker's pending batch; files wait for room, live drops. */
static void flush_worker(struct dispatcher *d, unsigned w)
{
    unsigned n = d->nout[w], done = 0;
    if (d->cfg.split) {
        /* the own worker runs here: its batch is processed now, in order */
        if (!n)
            return;
        bool sample = d->w0_batches++ % W0_SAMPLE == 0;
        int64_t t = mono_ns(), c = sample ? thread_cpu_ns() : 0;
        worker_run_batch(d->workers[w], (void *const *)d->out[w], n);
        if (sample) {
            d->w0_cpu_sampled += (uint64_t)(thread_cpu_ns() - c);
            d->w0_pkts_sampled += n;
        }
        d->own_ns += (uint64_t)(mono_ns() - t);
        d->w0_pkts += n;
        own_idle(d, d->out[w][n - 1]->clock_ns, false);
        for (unsigned i = 0; i < n; i++)
            put_back(d, d->out[w][i]);
        d->nout[w] = 0;
        return;
    }
    struct spsc *q = worker_work_queue(d->workers[w]);
    while (done < n) {
        done += (unsigned)spsc_push(q, (void *const *)d->out[w] + done, n - done);
        if (done == n)
            break;
        if (d->cfg.live) {
            for (unsigned i = done; i < n; i++)
                put_back(d, d->out[w][i]);
            d->drops[w] += n - done;
            stats_add(&d->stats, CNT_SPU_QUEUE_DROPS, n - done);
            break;
        }
        stats_inc(&d->stats, CNT_SPU_QUEUE_WAITS);
        dispatch_reclaim(d);
        /* sleep until the worker has emptied half its queue (it wakes us),
         * instead of waking every few microseconds to find it still full */
        spsc_wait_space(q, spsc_capacity(q) / 2, 2000000L);
    }
    d->nout[w] = 0;
}

static void enqueue(struct dispatcher *d, struct pkt *p, unsigned w)
{
    if (d->cfg.split && w != d->cfg.own) {
        put_back(d, p); /* another worker's: its own thread reads it */
        return;
    }
    d->out[w][d->nout[w]++] = p;
    if (d->nout[w] == BATCH)
        flush_worker(d, w);
}

static bool csum_bad(struct dispatcher *d, const struct pkt *p)
{
    struct decoded *s = &d->scratch;
    decode_packet(s, p->linktype, p->data, p->caplen, DECODE_CSUM, p->pre_vlan, p->pre_nvlan,
                  NULL);
    return s->csum == CSUM_BAD;
}

static void route(struct dispatcher *d, struct pkt *p, const struct decoded *pd)
{
    struct flow_key k;
    int dir;
    uint32_t h = 0;
    if (pd->ipver && pd->frag) {
        h = flowkey_frag_hash(pd, d->cfg.seed);
    } else if (pd->ipver) {
        flowkey_from_decoded(&k, pd, &dir);
        h = flowkey_hash(&k, d->cfg.seed);
    }
    p->hash = h;
    enqueue(d, p, flowkey_worker(h, d->cfg.nworkers));
}

/* --checksum: mark the packet, or sample it while auto mode decides. */
static void checksum_mode(struct dispatcher *d, struct pkt *p, bool ip)
{
    if (d->csum_mode == CHECKSUM_NO) {
        p->flags |= PKT_NOCSUM;
    } else if (d->csum_mode == CHECKSUM_AUTO && ip) {
        d->csum_sampled++;
        if (csum_bad(d, p))
            d->csum_bad++;
        if (d->csum_sampled == CSUM_SAMPLE) {
            d->csum_mode = d->csum_bad > CSUM_SAMPLE / 10 ? CHECKSUM_NO : CHECKSUM_YES;
        }
    }
}

/* fast: the common frame's hash, taken by dispatch_step without a decode,
 * or NULL for any other frame. */
static void handle(struct dispatcher *d, struct pkt *p, const uint32_t *fast)
{
    if (fast) {
        checksum_mode(d, p, true);
        p->hash = *fast;
        enqueue(d, p, flowkey_worker(*fast, d->cfg.nworkers));
        return;
    }
    struct decoded pd;
    decode_packet(&pd, p->linktype, p->data, p->caplen, DECODE_PEEK, p->pre_vlan, p->pre_nvlan,
                  NULL);
    checksum_mode(d, p, pd.ipver != 0);
    if (!(pd.ipver && pd.frag)) {
        route(d, p, &pd);
        return;
    }
    /* A fragment: keep a copy for reassembly, send it to be counted. */
    uint8_t *dg = NULL;
    uint32_t dglen = 0;
    unsigned anomaly = 0;
    enum defrag_result r =
        defrag_add(d->df, &pd, p->clock_ns, &dg, &dglen, &anomaly, &d->stats);
    uint16_t vl[2] = {pd.nvlan > 0 ? pd.vlan[0] : 0, pd.nvlan > 1 ? pd.vlan[1] : 0};
    uint8_t nvl = pd.nvlan > 2 ? 2 : pd.nvlan;
    if (r != DEFRAG_DONE)
        p->anomaly = (uint8_t)anomaly;
    int64_t ts = p->ts_ns, clock = p->clock_ns;
    uint16_t flags = p->flags;
    route(d, p, &pd);
    if (r != DEFRAG_DONE)
        return;
    struct pkt *q = take(d);
    while (!q) {
        for (unsigned w = 0; w < d->cfg.nworkers; w++)
            flush_worker(d, w);
        dispatch_reclaim(d);
        q = take(d);
        if (!q)
            nap(20000);
    }
    q->data = dg;
    q->own = dg;
    q->caplen = q->wirelen = dglen;
    q->ts_ns = ts;
    q->clock_ns = clock;
    q->linktype = LINK_RAW;
    q->flags = (uint16_t)(PKT_PSEUDO | PKT_OWNED | (flags & PKT_NOCSUM));
    q->pre_vlan[0] = vl[0];
    q->pre_vlan[1] = vl[1];
    q->pre_nvlan = nvl;
    q->anomaly = (uint8_t)anomaly;
    decode_packet(&pd, q->linktype, q->data, q->caplen, DECODE_PEEK, q->pre_vlan, q->pre_nvlan,
                  NULL);
    route(d, q, &pd);
}

/* A packet its class releases: let through, descriptor back to the pool. */
static void released(void *ctx, struct pkt *p)
{
    p->qclass = 0;
    put_back(ctx, p);
}

/* A record that takes the full way: a descriptor, then handle(). */
static void take_full_way(struct dispatcher *d, const struct capture_pkt *cp, const uint32_t *h)
{
    struct pkt *p = take(d);
    p->data = cp->data;
    p->caplen = cp->caplen;
    p->wirelen = cp->wirelen;
    p->ts_ns = cp->ts_ns;
    p->linktype = (uint16_t)cp->linktype;
    p->source = cp->source;
    p->cookie = cp->cookie;
    p->verdict = 0;
    if (cp->vlan) {
        p->pre_vlan[0] = cp->vlan;
        p->pre_nvlan = 1;
    }
    p->pcap_cnt = d->pcap_cnt;
    p->clock_ns = d->clock_local;
    handle(d, p, h);
}

/* split, with the index and the checksum mode decided: the rest of a
 * chunk, where only this reader's records are touched; every other one is
 * counted and moves the clock all the same. Returns the records.
 *
 * A chunk holds up to 2048 records, far more than the 2 * BATCH free
 * descriptors dispatch_step asks for before it steps, and take() is not
 * checked here; that is safe because a split dispatcher never has more
 * than BATCH descriptors out at once, however long the span: another
 * worker's record goes back to the pool in enqueue() as soon as it is
 * taken, and the own worker's batch is run by flush_worker() when it
 * reaches BATCH, which puts every descriptor of it back before the next
 * take(). A completed datagram takes its second descriptor after its last
 * fragment was enqueued, so the batch then holds at most BATCH - 1 (and
 * handle() waits for one anyway). Nothing else holds descriptors here:
 * split reading is for files only (no inline verdicts, no shaper), and
 * there are no return queues. So the free count at each step's start is
 * the whole pool, and the guard only refuses a pool under 2 * BATCH.
 * tests/unit/test-split-read.c runs a pool of exactly 2 * BATCH over
 * chunks with hundreds of records of each reader. */
static int span_step(struct dispatcher *d, bool *eof, struct spu_error *err)
{
    struct split_span sp;
    int n = split_cursor_span(d->cur, &sp, eof, err);
    if (n <= 0)
        return n;
    uint64_t base = d->pcap_cnt - sp.from;
    for (unsigned i = 0; i < sp.nown; i++) {
        const struct split_rec *r = &sp.recs[sp.own[i]];
        d->pcap_cnt = base + sp.own[i] + 1;
        d->clock_local = r->clock;
        /* the same table as expiring at each record: nothing was added */
        defrag_expire(d->df, d->clock_local, &d->stats);
        take_full_way(d, &r->cp, r->fast ? &r->hash : NULL);
    }
    d->pcap_cnt = base + sp.count;
    d->bytes += sp.bytes;
    d->clock_local = sp.end_clock;
    defrag_expire(d->df, d->clock_local, &d->stats);
    return n;
}

int dispatch_step(struct dispatcher *d, struct spu_error *err)
{
    dispatch_reclaim(d);
    if (d->cfg.shaper)
        shaper_release(d->cfg.shaper, mono_ns(), released, d);
    if (d->nfree < BATCH * 2) {
        for (unsigned w = 0; w < d->cfg.nworkers; w++)
            if (d->nout[w])
                flush_worker(d, w);
        return 0;
    }
    struct capture_pkt cpb[BATCH];
    const struct split_rec *rec[BATCH];
    bool eof = false;
    uint64_t own_before = d->own_ns;
    bool span = d->cur && d->csum_mode != CHECKSUM_AUTO;
    /* spu.dispatch_ns leaves out the capture's reading (a live capture
     * waits in it), except in a span, where the walk of the index and the
     * handling of the own records are one */
    int64_t t0 = span ? mono_ns() : 0;
    int n = span    ? span_step(d, &eof, err)
            : d->cur ? split_cursor_next(d->cur, rec, BATCH, &eof, err)
                     : capture_next(d->cap, cpb, BATCH, &eof, err);
    if (!span)
        t0 = mono_ns();
    for (int i = 0; !span && i < n; i++) {
        const struct capture_pkt *cp = d->cur ? &rec[i]->cp : &cpb[i];
        /* every packet is counted and moves the clock, whoever owns it */
        d->pcap_cnt++;
        d->bytes += cp->caplen;
        if (cp->ts_ns > d->clock_local)
            d->clock_local = cp->ts_ns;
        defrag_expire(d->df, d->clock_local, &d->stats);
        /* the common frame (Ethernet/IPv4/TCP|UDP): its hash without a
         * decode (with the index: taken once, by the reader that built it) */
        uint32_t h = 0;
        bool fast;
        if (d->cur) {
            fast = rec[i]->fast;
            h = rec[i]->hash;
        } else {
            fast = !cp->vlan &&
                   dispatch_fast_hash(cp->linktype, cp->data, cp->caplen, d->cfg.seed, &h);
        }
        /* split: a common frame another worker owns is let go without a
         * descriptor (most packets, with several workers); anything else
         * (fragments, tunnels, checksum sampling) takes the full way, where
         * enqueue() lets another worker's packet go */
        if (d->cfg.split && fast && d->csum_mode != CHECKSUM_AUTO &&
            flowkey_worker(h, d->cfg.nworkers) != d->cfg.own) {
            if (!d->cur)
                capture_release(d->cap, cp->source, cp->cookie);
            continue;
        }
        take_full_way(d, cp, fast ? &h : NULL);
    }
    for (unsigned w = 0; w < d->cfg.nworkers; w++)
        if (d->nout[w])
            flush_worker(d, w);
    /* Published only once every packet up to it is on a work queue: a
     * worker that finds its queue empty and sweeps with this clock has
     * then processed all its packets up to it, so no flow expires in a
     * sweep while a later packet of it still waits in the dispatcher's
     * batch (which made the flows depend on the worker count). */
    atomic_store_explicit(d->clock, d->clock_local, memory_order_release);
    /* Less than a full batch: the capture is drained for now (a quiet link,
     * the end of the file). Sleeping workers wait for a bigger batch; wake
     * them now so that nothing waits on a queue for their timeout. */
    if (n < BATCH)
        for (unsigned w = 0; !d->cfg.split && w < d->cfg.nworkers; w++)
            spsc_wake_consumer(worker_work_queue(d->workers[w]));
    /* the own worker has nothing left to do now: what its thread does then */
    if (d->cfg.split)
        own_idle(d, d->clock_local, n < 0 || eof || (n == 0 && !d->cur));
    if (n > 0) {
        /* the dispatcher's own time: the own worker's share is not its work */
        stats_add(&d->stats, CNT_SPU_DISPATCH_NS,
                  (uint64_t)(mono_ns() - t0) - (d->own_ns - own_before));
        stats_add(&d->stats, CNT_SPU_DISPATCH_PKTS, (uint64_t)n);
    }
    if (n < 0)
        return n;
    if (eof)
        return SPU_DONE;
    return n > 0 ? 1 : 0;
}

void dispatch_finish(struct dispatcher *d)
{
    if (d->cur)
        split_cursor_done(d->cur);
    for (unsigned w = 0; w < d->cfg.nworkers; w++)
        d->nout[w] = 0;
    dispatch_reclaim(d);
    if (d->cfg.shaper)
        shaper_flush(d->cfg.shaper, released, d);
}

struct stats_block *dispatch_stats(struct dispatcher *d)
{
    return &d->stats;
}

uint64_t dispatch_packets(const struct dispatcher *d)
{
    return d->pcap_cnt;
}

uint64_t dispatch_bytes(const struct dispatcher *d)
{
    return d->bytes;
}

size_t dispatch_defrag_memuse(const struct dispatcher *d)
{
    return defrag_memuse(d->df);
}

uint64_t dispatch_queue_drops(const struct dispatcher *d, unsigned worker)
{
    return worker < d->cfg.nworkers ? d->drops[worker] : 0;
}

uint64_t dispatch_own_cpu_ns(const struct dispatcher *d)
{
    if (!d->w0_pkts_sampled)
        return d->w0_cpu_idle;
    return d->w0_cpu_idle + (uint64_t)((double)d->w0_cpu_sampled * (double)d->w0_pkts /
                                       (double)d->w0_pkts_sampled);
}

void dispatch_use_index(struct dispatcher *d, struct split_cursor *c)
{
    d->cur = c;
}

bool dispatch_wait(struct dispatcher *d, long max_ns)
{
    if (!d->cur)
        return false;
    split_cursor_wait(d->cur, max_ns);
    return true;
}

bool dispatch_checksums_on(const struct dispatcher *d)
{
    return d->csum_mode != CHECKSUM_NO;
}

/* worker.c - the worker thread loop and per-packet processing (see worker.h). */
#include "worker.h"

#include "capture.h"
#include "decode.h"
#include "err.h"
#include "eve.h"
#include "flowkey.h"
#include "output.h"
#include "pcaplog.h"
#include "pkt.h"
#include "rewrite.h"
#include "rt-events.h"
#include "spsc.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 64
#define SWEEP_NS 1000000000LL /* sweep timeouts once per second of packet time */
#define WAKE_ITEMS 256        /* an idle worker sleeps until this many are queued */
#define WAIT_NS 2000000L      /* or this long (sweeps, output flushes, stop) */

struct worker {
    struct worker_cfg cfg;
    pthread_t thread;
    bool started;
    _Atomic bool stop;
    struct spsc *work, *ret;
    struct stats_block stats;
    struct flow_table *flows;
    struct stream_ctx sctx;
    struct eve_writer eve;
    struct decoded d;
    int64_t last_sweep;
    int64_t timeout_ns[3][3]; /* [tcp/udp/other][new/est/closed] */
};

static void raise_event(struct worker *w, enum rt_event_id id, const struct pkt *p,
                  const struct decoded *d, struct flow *f, int reason)
{
    const struct rt_hooks *h = w->cfg.hooks;
    if (h && h->event)
        h->event(h->ctx, id, p, d, f, reason);
}

/* Tell the stream consumer which packet the bytes it gets next come from. */
static void consumer_packet(struct worker *w, uint64_t pcap_cnt)
{
    const struct stream_consumer *c = w->sctx.cons;
    if (c && c->packet)
        c->packet(c->ctx, pcap_cnt);
}

static void on_flow_end(void *ctx, struct flow *f, enum flow_reason reason)
{
    struct worker *w = ctx;
    consumer_packet(w, 0);
    stream_flow_end(&w->sctx, f, f->last_ns);
    raise_event(w, RT_EV_FLOW_END, NULL, NULL, f, (int)reason);
    if (w->cfg.pcaplog)
        pcaplog_flow_end(w->cfg.pcaplog, f);
    if (w->cfg.out)
        eve_flow(&w->eve, f, reason, w->cfg.in_iface);
}

struct worker *worker_new(const struct worker_cfg *cfg, unsigned qsize, unsigned retsize)
{
    struct worker *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->cfg = *cfg;
    stats_block_init(&w->stats);
    w->work = spsc_new(qsize);
    w->ret = spsc_new(retsize);
    w->flows = flow_table_new(cfg->flow_bits ? cfg->flow_bits : 16, cfg->timeouts,
                              &cfg->gauges->flow_memuse, cfg->flow_memcap, on_flow_end, w,
                              &w->stats);
    if (!w->work || !w->ret || !w->flows) {
        worker_free(w);
        return NULL;
    }
    w->sctx.cfg = cfg->stream;
    w->sctx.cons = cfg->consumer;
    w->sctx.st = &w->stats;
    w->sctx.memuse = &cfg->gauges->tcp_reasm_memuse;
    w->eve.out = cfg->out;
    w->eve.worker = (int)cfg->id;
    w->eve.thread = NULL;
    struct flow_timeouts dt;
    const struct flow_timeouts *t = cfg->timeouts;
    if (!t) {
        flow_timeouts_default(&dt);
        t = &dt;
    }
    const int64_t s = 1000000000;
    w->timeout_ns[0][0] = t->tcp_new * s;
    w->timeout_ns[0][1] = t->tcp_est * s;
    w->timeout_ns[0][2] = t->tcp_closed * s;
    w->timeout_ns[1][0] = t->udp_new * s;
    w->timeout_ns[1][1] = w->timeout_ns[1][2] = t->udp_est * s;
    w->timeout_ns[2][0] = t->other_new * s;
    w->timeout_ns[2][1] = w->timeout_ns[2][2] = t->other_est * s;
    return w;
}

static int64_t flow_timeout(const struct worker *w, const struct flow *f)
{
    unsigned p = f->key.proto == 6 ? 0 : f->key.proto == 17 ? 1 : 2;
    return w->timeout_ns[p][f->state];
}

static void report_anomalies(struct worker *w, const struct pkt *p, const uint8_t *codes,
                             unsigned n, const struct decoded *d, const struct flow *f)
{
    if (!w->cfg.out)
        return;
    for (unsigned i = 0; i < n; i++)
        eve_anomaly(&w->eve, codes[i], p->ts_ns, p->pcap_cnt, d, f, w->cfg.in_iface);
}

/* Inline: the flow has edits (rewrite.h): this packet gets them, its
 * sequence numbers moved, or is dropped when it cuts an edit. */
static void rewrite_packet(struct worker *w, struct flow *f, int fd, struct pkt *p,
                           const struct decoded *d)
{
    struct rw_counts n = {0};
    if (p->verdict != CAPTURE_VERDICT_ACCEPT || (p->flags & PKT_PSEUDO) || d->proto != 6 ||
        !d->l4ok || d->tunneled || !d->ip || (d->ipver == 6 && d->ip_hlen != 40)) {
        rw_flow_drop_pending(f->rewrite, &n);
    } else {
        uint8_t *out;
        uint32_t len;
        enum rw_result r = rw_packet(f->rewrite, fd, p->data, p->caplen,
                                     (uint32_t)(d->ip - p->data), &out, &len, &n);
        if (r == RW_EDITED) {
            p->edit = out;
            p->edit_len = len;
        } else if (r == RW_DROP) {
            p->verdict = CAPTURE_VERDICT_DROP;
        }
    }
    struct stats_block *st = &w->stats;
    stats_add(st, CNT_SPU_REWRITE_APPLIED, n.applied);
    stats_add(st, CNT_SPU_REWRITE_REFUSED, n.refused);
    stats_add(st, CNT_SPU_REWRITE_EDITED, n.edited);
    stats_add(st, CNT_SPU_REWRITE_ADJUSTED, n.adjusted);
    stats_add(st, CNT_SPU_REWRITE_DROPPED, n.dropped);
}

void worker_process(struct worker *w, struct pkt *p)
{
    struct decoded *d = &w->d;
    struct stats_block *st = &w->stats;
    if (!(p->flags & PKT_PSEUDO)) {
        stats_inc(st, CNT_DEC_PKTS);
        stats_add(st, CNT_DEC_BYTES, p->caplen);
        stats_max(st, CNT_DEC_MAX_PKT_SIZE, p->caplen);
    }
    unsigned flags = (p->flags & PKT_NOCSUM) ? 0 : DECODE_CSUM;
    decode_packet(d, p->linktype, p->data, p->caplen, flags, p->pre_vlan, p->pre_nvlan, st);
    if (p->anomaly && d->nevents < DECODE_MAX_EVENTS) {
        d->events[d->nevents++] = (uint8_t)(p->anomaly - 1);
        stats_anomaly(st, p->anomaly - 1u);
    }
    if (!d->ipver || d->frag) {
        raise_event(w, RT_EV_PACKET, p, d, NULL, -1);
        report_anomalies(w, p, d->events, d->nevents, d, NULL);
        return;
    }
    struct flow_key k;
    int dir;
    flowkey_from_decoded(&k, d, &dir);
    /* the dispatcher hashed this key with the same seed to pick us */
    uint32_t h = p->hash ? p->hash : flowkey_hash(&k, w->cfg.seed);
    bool created;
    struct flow *f = flow_table_get(w->flows, &k, h, 0, p->clock_ns, false, &created);
    if (f && f->last_ns + flow_timeout(w, f) < p->clock_ns) {
        flow_table_end(w->flows, f, FLOW_REASON_TIMEOUT);
        f = NULL;
    }
    bool synack = d->proto == 6 && d->l4ok &&
                  (d->tcp_flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK);
    /* A new SYN on a connection that has closed opens a new session on the
     * same 5-tuple (port reuse): the old flow ends first. */
    if (f && d->proto == 6 && d->l4ok && (d->tcp_flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN &&
        (f->flags & FLOW_F_TCP_SESSION) &&
        (f->tcp_state == TCP_CLOSED || f->tcp_state == TCP_TIME_WAIT ||
         f->tcp_state == TCP_LAST_ACK)) {
        stats_inc(st, CNT_FLOW_TCP_REUSE);
        flow_table_end(w->flows, f, FLOW_REASON_FORCED);
        f = NULL;
    }
    bool started = false;
    if (!f) {
        int client = synack ? !dir : dir;
        f = flow_table_get(w->flows, &k, h, client, p->ts_ns, true, &created);
        if (f && created) {
            f->icmp_type = d->icmp_type;
            f->icmp_code = d->icmp_code;
            started = true;
        }
    }
    /* into the flow's trace before any rule can alert on this packet */
    if (w->cfg.pcaplog && f && !(p->flags & PKT_PSEUDO))
        pcaplog_packet(w->cfg.pcaplog, f, p);
    if (started)
        raise_event(w, RT_EV_FLOW_START, p, d, f, -1);
    raise_event(w, RT_EV_PACKET, p, d, f, -1);
    if (!f) {
        report_anomalies(w, p, d->events, d->nevents, d, NULL);
        return;
    }
    int fd = dir == f->client ? 0 : 1;
    f->pkts[fd]++;
    f->bytes[fd] += p->caplen;
    if (p->ts_ns < f->start_ns)
        f->start_ns = p->ts_ns;
    report_anomalies(w, p, d->events, d->nevents, d, f);
    w->sctx.nanom = 0;
    consumer_packet(w, p->pcap_cnt);
    if (d->proto == 6 && d->l4ok) {
        f->tcp_flags[fd] |= d->tcp_flags;
        if ((d->tcp_flags & (TH_SYN | TH_ACK)) == TH_SYN)
            raise_event(w, RT_EV_TCP_SYN, p, d, f, -1);
        /* inline rewrites: the receiver acknowledges edited bytes; the
         * stream tracks the original ones */
        if (f->rewrite && (d->tcp_flags & TH_ACK))
            d->ack = rw_unmap_seq(rw_flow_dir(f->rewrite, !fd), d->ack);
        if (d->csum == CSUM_BAD)
            stats_inc(st, CNT_TCP_INVALID_CHECKSUM);
        else
            stream_tcp_packet(&w->sctx, f, fd, d, p->ts_ns);
    } else {
        if (f->pkts[0] && f->pkts[1])
            f->state = FLOW_STATE_ESTABLISHED;
        if (d->proto == 17 && d->l4ok && d->csum != CSUM_BAD)
            stream_udp_packet(&w->sctx, f, fd, d->payload, d->payload_len, p->ts_ns);
    }
    if (w->sctx.nanom)
        report_anomalies(w, p, w->sctx.anom, w->sctx.nanom, d, f);
    flow_table_touch(w->flows, f, p->ts_ns);
    p->verdict = f->verdict; /* inline modes enforce it (dispatch.c) */
    p->qclass = f->qclass;   /* and shape the packet by its class (shaper.h) */
    p->qdir = (uint8_t)fd;
    if (f->verdict == FLOW_VERDICT_REDIRECT) {
        /* this packet carries the 302 (its direction says which end is the
         * client); the rest of the flow is dropped */
        p->verdict = !f->redirect ? CAPTURE_VERDICT_REJECT
                     : fd == 0    ? CAPTURE_VERDICT_REDIRECT_C
                                  : CAPTURE_VERDICT_REDIRECT_S;
        p->location = f->redirect;
        f->redirect = NULL;
        f->verdict = FLOW_VERDICT_DROP;
    }
    if (f->rewrite)
        rewrite_packet(w, f, fd, p, d);
}

static void sweep(struct worker *w, int64_t clock)
{
    if (clock - w->last_sweep < SWEEP_NS)
        return;
    w->last_sweep = clock;
    flow_table_expire(w->flows, clock, 0);
}

/* Process a batch in order, the flow lookups' cache misses taken a few
 * packets ahead; returns the last packet's clock. */
static int64_t process_batch(struct worker *w, void *const *batch, size_t n)
{
    int64_t clock = 0;
    for (size_t i = 0; i < n; i++) {
        struct pkt *p = batch[i];
        if (i + 4 < n)
            flow_table_prefetch(w->flows, ((const struct pkt *)batch[i + 4])->hash, false);
        if (i + 2 < n) {
            const struct pkt *ahead = batch[i + 2];
            flow_table_prefetch(w->flows, ahead->hash, true);
            __builtin_prefetch(ahead->data);
        }
        worker_process(w, p);
        clock = p->clock_ns;
    }
    return clock;
}

void worker_run_batch(struct worker *w, void *const *batch, size_t n)
{
    process_batch(w, batch, n);
}

bool worker_sweep_due(const struct worker *w, int64_t clock)
{
    return clock - w->last_sweep >= SWEEP_NS;
}

void worker_idle(struct worker *w, int64_t clock, bool flush)
{
    sweep(w, clock);
    if (flush && w->cfg.out)
        output_producer_flush(w->cfg.out);
}

void worker_finish(struct worker *w)
{
    /* Flows whose timeout passed by the final packet clock end as timed
     * out, whatever the worker count; the rest end with the run. */
    flow_table_expire(w->flows, atomic_load_explicit(w->cfg.clock, memory_order_acquire), 0);
    worker_shutdown_flows(w);
    if (w->cfg.out)
        output_producer_flush(w->cfg.out);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    void *batch[BATCH];
    unsigned idle = 0;
    for (;;) {
        /* The clock is read before the queue: the dispatcher publishes it
         * after pushing every packet up to it, so an empty queue then
         * means this worker has processed them all and may sweep with it. */
        int64_t published = atomic_load_explicit(w->cfg.clock, memory_order_acquire);
        size_t n = spsc_pop(w->work, batch, BATCH);
        if (n == 0) {
            if (atomic_load_explicit(&w->stop, memory_order_acquire) &&
                spsc_count(w->work) == 0)
                break;
            worker_idle(w, published, ++idle == 2);
            /* two cores are shared with the dispatcher and the writer:
             * sleep until a worthwhile batch is queued (the dispatcher
             * wakes us earlier when it has nothing more to read) */
            spsc_wait_items(w->work, WAKE_ITEMS, WAIT_NS);
            continue;
        }
        idle = 0;
        int64_t clock = process_batch(w, batch, n);
        size_t pushed = 0;
        while (pushed < n) {
            pushed += spsc_push(w->ret, batch + pushed, n - pushed);
            if (pushed < n)
                sched_yield();
        }
        sweep(w, clock);
    }
    worker_finish(w);
    return NULL;
}

void worker_name_thread(const struct worker *w, pthread_t t)
{
    char name[16];
    snprintf(name, sizeof(name), "spu-worker%u", w->cfg.id % 1000);
    pthread_setname_np(t, name);
}

int worker_start(struct worker *w)
{
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
        return SPU_EIO;
    worker_name_thread(w, w->thread);
    w->started = true;
    return SPU_OK;
}

void worker_stop(struct worker *w)
{
    atomic_store_explicit(&w->stop, true, memory_order_release);
    spsc_wake_consumer(w->work); /* called by the queue's producer thread */
}

void worker_join(struct worker *w)
{
    if (w->started) {
        pthread_join(w->thread, NULL);
        w->started = false;
    }
}

void worker_shutdown_flows(struct worker *w)
{
    flow_table_end_all(w->flows);
}

void worker_free(struct worker *w)
{
    if (!w)
        return;
    flow_table_free(w->flows);
    eve_writer_fini(&w->eve);
    spsc_free(w->work);
    spsc_free(w->ret);
    free(w);
}

struct spsc *worker_work_queue(struct worker *w)
{
    return w->work;
}

struct spsc *worker_return_queue(struct worker *w)
{
    return w->ret;
}

struct stats_block *worker_stats(struct worker *w)
{
    return &w->stats;
}

size_t worker_flow_count(const struct worker *w)
{
    return flow_table_count(w->flows);
}

size_t worker_flow_spare_bytes(const struct worker *w)
{
    return flow_table_spare_bytes(w->flows);
}

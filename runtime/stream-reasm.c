/* stream-reasm.c - per-direction TCP reassembly (see stream-tcp.h). */
#include "stream-tcp.h"

#include "stats.h"

#include <stdlib.h>
#include <string.h>

#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)

/* Acknowledgements further ahead than this are not taken as proof of loss. */
#define MAX_ACK_GAP (1u << 30)

struct stream_seg {
    struct stream_seg *next;
    uint32_t seq;  /* sequence number of data[skip] */
    uint32_t len;  /* bytes from data[skip] */
    uint32_t skip; /* bytes already consumed at the front */
    uint32_t size; /* bytes allocated in data */
    uint8_t data[];
};

static void anomaly(struct stream_ctx *c, unsigned code)
{
    if (c->nanom < sizeof(c->anom))
        c->anom[c->nanom++] = (uint8_t)code;
    if (c->st)
        stats_anomaly(c->st, code);
}

static void count(struct stream_ctx *c, enum stats_counter id, uint64_t n)
{
    if (c->st)
        stats_add(c->st, id, n);
}

static size_t held_total(const struct flow *f)
{
    return (size_t)f->sd[0].held + f->sd[1].held;
}

void reasm_start(struct flow *f, int dir, uint32_t next_seq)
{
    struct stream_dir *sd = &f->sd[dir];
    sd->next_seq = next_seq;
    sd->flags |= SD_SEQ_SET;
}

static void seg_free(struct stream_ctx *c, struct stream_dir *sd, struct stream_seg *s)
{
    sd->held -= s->size;
    sd->nsegs--;
    if (c->memuse)
        atomic_fetch_sub_explicit(c->memuse, (int64_t)s->size, memory_order_relaxed);
    free(s);
}

/* Hand p[0..n) to the consumer and advance. */
static void deliver(struct stream_ctx *c, struct flow *f, int dir, const uint8_t *p, uint32_t n,
                    int64_t ts)
{
    if (!n)
        return;
    f->sd[dir].next_seq += n;
    f->sd[dir].flags &= (uint8_t)~SD_ACK_HOLE;
    if (c->cons && c->cons->data)
        c->cons->data(c->cons->ctx, f, dir, p, n, ts);
}

static void gap(struct stream_ctx *c, struct flow *f, int dir, uint32_t n, int64_t ts)
{
    if (!n)
        return;
    struct stream_dir *sd = &f->sd[dir];
    sd->next_seq += n;
    sd->flags |= SD_GAP;
    count(c, CNT_TCP_REASSEMBLY_GAP, 1);
    if (c->cons && c->cons->gap)
        c->cons->gap(c->cons->ctx, f, dir, n, ts);
}

static void check_fin(struct stream_ctx *c, struct flow *f, int dir, int64_t ts)
{
    struct stream_dir *sd = &f->sd[dir];
    if ((sd->flags & SD_FIN) && !(sd->flags & SD_CLOSED) && sd->next_seq == sd->fin_seq &&
        !sd->ooo) {
        sd->flags |= SD_CLOSED;
        if (c->cons && c->cons->close)
            c->cons->close(c->cons->ctx, f, dir, STREAM_CLOSE_FIN, ts);
    }
}

/* Deliver held segments that have become in order. */
static void drain(struct stream_ctx *c, struct flow *f, int dir, int64_t ts)
{
    struct stream_dir *sd = &f->sd[dir];
    while (sd->ooo && SEQ_LEQ(sd->ooo->seq, sd->next_seq)) {
        struct stream_seg *s = sd->ooo;
        uint32_t end = s->seq + s->len;
        if (SEQ_GT(end, sd->next_seq)) {
            uint32_t from = sd->next_seq - s->seq;
            deliver(c, f, dir, s->data + s->skip + from, s->len - from, ts);
        }
        sd->ooo = s->next;
        seg_free(c, sd, s);
    }
    check_fin(c, f, dir, ts);
}

/* In-order bytes p[0..n) at next_seq, interleaved with held bytes they
 * overlap (held segments all start after next_seq). */
static void deliver_inorder(struct stream_ctx *c, struct flow *f, int dir, const uint8_t *p,
                            uint32_t n, int64_t ts)
{
    struct stream_dir *sd = &f->sd[dir];
    count(c, CNT_SPU_STREAM_BYTES_INPLACE, n);
    while (n) {
        struct stream_seg *s = sd->ooo;
        uint32_t seq = sd->next_seq;
        if (!s || SEQ_GEQ(s->seq, seq + n)) {
            deliver(c, f, dir, p, n, ts);
            break;
        }
        uint32_t before = s->seq - seq;
        deliver(c, f, dir, p, before, ts);
        p += before;
        n -= before;
        uint32_t ov = n < s->len ? n : s->len;
        count(c, CNT_TCP_OVERLAP, 1);
        if (memcmp(p, s->data + s->skip, ov) != 0) {
            count(c, CNT_TCP_OVERLAP_DIFF, 1);
            anomaly(c, ANOM_STREAM_OVERLAP_DIFFERENT_DATA);
        }
        deliver(c, f, dir, c->cfg->policy == STREAM_POLICY_LAST ? p : s->data + s->skip, ov, ts);
        p += ov;
        n -= ov;
        s->skip += ov;
        s->seq += ov;
        s->len -= ov;
        if (!s->len) {
            sd->ooo = s->next;
            seg_free(c, sd, s);
        }
    }
}

/* Copy the out-of-order bytes of [seq, seq+n) that no held segment covers;
 * where one does, apply the overlap policy. */
static bool store(struct stream_ctx *c, struct flow *f, int dir, uint32_t seq, const uint8_t *p,
                  uint32_t n, uint32_t *added)
{
    struct stream_dir *sd = &f->sd[dir];
    struct stream_seg **pp = &sd->ooo;
    uint32_t end = seq + n;
    while (SEQ_LT(seq, end)) {
        while (*pp && SEQ_LEQ((*pp)->seq + (*pp)->len, seq))
            pp = &(*pp)->next;
        struct stream_seg *s = *pp;
        if (s && SEQ_LEQ(s->seq, seq)) {
            uint32_t off = seq - s->seq;
            uint32_t ov = s->len - off;
            if (ov > end - seq)
                ov = end - seq;
            uint8_t *held = s->data + s->skip + off;
            count(c, CNT_TCP_OVERLAP, 1);
            if (memcmp(held, p, ov) != 0) {
                count(c, CNT_TCP_OVERLAP_DIFF, 1);
                anomaly(c, ANOM_STREAM_OVERLAP_DIFFERENT_DATA);
                if (c->cfg->policy == STREAM_POLICY_LAST)
                    memcpy(held, p, ov);
            }
            p += ov;
            seq += ov;
            continue;
        }
        uint32_t stop = end;
        if (s && SEQ_LT(s->seq, stop))
            stop = s->seq;
        uint32_t len = stop - seq;
        struct stream_seg *ns = malloc(sizeof(*ns) + len);
        if (!ns)
            return false;
        ns->seq = seq;
        ns->len = len;
        ns->skip = 0;
        ns->size = len;
        memcpy(ns->data, p, len);
        ns->next = s;
        *pp = ns;
        pp = &ns->next;
        sd->held += len;
        sd->nsegs++;
        *added += len;
        count(c, CNT_SPU_STREAM_BYTES_COPIED, len);
        p += len;
        seq = stop;
    }
    /* regions: runs of contiguous held bytes, plus the delivered one */
    unsigned regions = 1;
    for (struct stream_seg *s = sd->ooo; s; s = s->next)
        if (!s->next || s->seq + s->len != s->next->seq)
            regions++;
    if (regions > sd->max_regions)
        sd->max_regions = (uint8_t)(regions > 255 ? 255 : regions);
    return true;
}

/* Bytes of [seq, seq+n) not covered by held segments: what storing costs. */
static uint32_t uncovered(const struct stream_dir *sd, uint32_t seq, uint32_t n)
{
    uint32_t cov = 0, end = seq + n;
    for (const struct stream_seg *s = sd->ooo; s && SEQ_LT(s->seq, end); s = s->next) {
        uint32_t a = SEQ_GT(s->seq, seq) ? s->seq : seq;
        uint32_t b = SEQ_LT(s->seq + s->len, end) ? s->seq + s->len : end;
        if (SEQ_LT(a, b))
            cov += b - a;
    }
    return n - cov;
}

void reasm_data(struct stream_ctx *c, struct flow *f, int dir, uint32_t seq, const uint8_t *p,
                uint32_t n, int64_t ts)
{
    struct stream_dir *sd = &f->sd[dir];
    if (!(sd->flags & SD_SEQ_SET) || (sd->flags & SD_CLOSED) || !n)
        return;
    for (;;) {
        uint32_t end = seq + n;
        if (SEQ_LEQ(end, sd->next_seq)) {
            count(c, CNT_TCP_OVERLAP, 1); /* retransmission of delivered bytes */
            return;
        }
        if (SEQ_LT(seq, sd->next_seq)) {
            uint32_t skip = sd->next_seq - seq;
            count(c, CNT_TCP_OVERLAP, 1);
            p += skip;
            n -= skip;
            seq = sd->next_seq;
        }
        if (seq == sd->next_seq) {
            deliver_inorder(c, f, dir, p, n, ts);
            drain(c, f, dir, ts);
            return;
        }
        uint32_t cost = uncovered(sd, seq, n);
        bool over = held_total(f) + cost > c->cfg->flow_cap;
        /* reserve the bytes before storing them: workers storing at the
         * same time must not pass the global cap together */
        if (!over && c->memuse &&
            !stats_gauge_take(c->memuse, cost, c->cfg->global_cap))
            over = true;
        if (!over) {
            uint32_t added = 0;
            bool ok = store(c, f, dir, seq, p, n, &added);
            if (c->memuse && added != cost) /* a failed allocation stored less */
                atomic_fetch_add_explicit(c->memuse, (int64_t)added - (int64_t)cost,
                                          memory_order_relaxed);
            if (!ok)
                count(c, CNT_TCP_SEGMENT_MEMCAP_DROP, 1);
            return;
        }
        /* Over a cap: skip to the first held byte, or to this segment, and
         * deliver from there; then try again with the stream moved on. */
        count(c, CNT_TCP_SEGMENT_MEMCAP_DROP, 1);
        uint32_t target = sd->ooo && SEQ_LT(sd->ooo->seq, seq) ? sd->ooo->seq : seq;
        gap(c, f, dir, target - sd->next_seq, ts);
        drain(c, f, dir, ts);
        if (sd->flags & SD_CLOSED)
            return;
    }
}

void reasm_ack(struct stream_ctx *c, struct flow *f, int dir, uint32_t ack, int64_t ts)
{
    struct stream_dir *sd = &f->sd[dir];
    if (!(sd->flags & SD_SEQ_SET) || (sd->flags & SD_CLOSED))
        return;
    uint32_t limit = ack;
    if ((sd->flags & SD_FIN) && SEQ_GT(limit, sd->fin_seq))
        limit = sd->fin_seq;
    if (!SEQ_GT(limit, sd->next_seq) || limit - sd->next_seq > MAX_ACK_GAP) {
        sd->flags &= (uint8_t)~SD_ACK_HOLE;
        return;
    }
    /* The peer acknowledged bytes we have not seen. A capture may record
     * the ACK just before the segment it acknowledges (two capture queues,
     * or the two directions stamped by different CPUs: suricata-verify's
     * issue-4220-01-ids has the server's ACK 6 us before the client's
     * data): that is a hole only if the next ACK still finds it open, with
     * no byte delivered in between. */
    if (!(sd->flags & SD_ACK_HOLE)) {
        sd->flags |= SD_ACK_HOLE;
        return;
    }
    sd->flags &= (uint8_t)~SD_ACK_HOLE;
    uint32_t target = sd->ooo && SEQ_LT(sd->ooo->seq, limit) ? sd->ooo->seq : limit;
    gap(c, f, dir, target - sd->next_seq, ts);
    drain(c, f, dir, ts);
}

void reasm_fin(struct stream_ctx *c, struct flow *f, int dir, uint32_t fin_seq, int64_t ts)
{
    struct stream_dir *sd = &f->sd[dir];
    if (!(sd->flags & SD_FIN)) {
        sd->flags |= SD_FIN;
        sd->fin_seq = fin_seq;
    }
    if (sd->flags & SD_SEQ_SET)
        check_fin(c, f, dir, ts);
}

void reasm_close(struct stream_ctx *c, struct flow *f, int dir, int reason, int64_t ts)
{
    struct stream_dir *sd = &f->sd[dir];
    if (sd->flags & SD_CLOSED)
        return;
    if (sd->flags & SD_SEQ_SET) {
        while (sd->ooo) {
            if (SEQ_GT(sd->ooo->seq, sd->next_seq))
                gap(c, f, dir, sd->ooo->seq - sd->next_seq, ts);
            drain(c, f, dir, ts);
        }
        if ((sd->flags & SD_FIN) && SEQ_LT(sd->next_seq, sd->fin_seq) &&
            sd->fin_seq - sd->next_seq <= MAX_ACK_GAP)
            gap(c, f, dir, sd->fin_seq - sd->next_seq, ts);
    }
    if (sd->flags & SD_CLOSED)
        return;
    sd->flags |= SD_CLOSED;
    if ((sd->flags & SD_SEQ_SET) && c->cons && c->cons->close)
        c->cons->close(c->cons->ctx, f, dir, reason, ts);
}

void reasm_release(struct stream_ctx *c, struct flow *f)
{
    for (int dir = 0; dir < 2; dir++) {
        struct stream_dir *sd = &f->sd[dir];
        while (sd->ooo) {
            struct stream_seg *s = sd->ooo;
            sd->ooo = s->next;
            seg_free(c, sd, s);
        }
    }
}
